// The `mcutune` CLI's local commands. Each takes the arguments after its own
// name and returns the process exit status. Errors are printed as one line on
// stderr starting with "error:" (see PrintError) and give a non-zero status.
#ifndef MCUTUNE_SERVER_CLI_COMMANDS_H_
#define MCUTUNE_SERVER_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mcutune::cli {

using Args = std::vector<std::string>;

int RunInspect(const Args& args);  // mcutune inspect MODEL [--json|--csv]
int RunRun(const Args& args);      // mcutune run MODEL --input in.bin --output out.bin
int RunZoo(const Args& args);      // mcutune zoo list | build NAME -o out [--seed N]
int RunPlan(const Args& args);     // mcutune plan MODEL --board B --strategy S ...
int RunSpace(const Args& args);    // mcutune space MODEL --board B [--json|--csv]
int RunExec(const Args& args);     // mcutune exec DIR --board B [--runs N] [--timeout S]
int RunCodegen(const Args& args);  // mcutune codegen MODEL --board B (--candidate ID | --strategy S) -o DIR
int RunModel(const Args& args);    // mcutune model fit|eval|predict|calibrate ...
int RunFarm(const Args& args);     // mcutune farm boards | run DIR --board-kind K | health | drain URI | enable URI
// Clients of the daemon (client_jobs.cc, client_results.cc; options in
// client_connection.h).
int RunSubmit(const Args& args);   // mcutune submit MODEL --board-kind K [...] [--watch]
int RunJobs(const Args& args);     // mcutune jobs [--state S]
int RunWatch(const Args& args);    // mcutune watch JOB
int RunCancel(const Args& args);   // mcutune cancel JOB
int RunPareto(const Args& args);   // mcutune pareto JOB [--json]
int RunFetch(const Args& args);    // mcutune fetch JOB CANDIDATE -o DIR
int RunBoardKinds(const Args& args);  // mcutune boards [--available]
// mcutune sweep list | run NAME --now [--wait] | report NAME (client_sweeps.cc)
int RunSweepCommand(const Args& args);

// Prints "error: <message>" on stderr; returns the exit status to use (1, or
// 2 for usage errors).
int PrintError(const absl::Status& status);
int UsageError(const std::string& message);

}  // namespace mcutune::cli

#endif  // MCUTUNE_SERVER_CLI_COMMANDS_H_
