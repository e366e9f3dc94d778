// mcutune: command-line entry point. Dispatches to the local commands.
#include <cstdio>
#include <cstring>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "server/cli/commands.h"

namespace {

constexpr char kUsage[] =
    "usage: mcutune <command> [args]\n"
    "\n"
    "local tools:\n"
    "  inspect MODEL [--json|--csv]      per-operator MACs, params and memory map\n"
    "  run MODEL --input IN --output OUT  reference int8 inference (raw bytes)\n"
    "        [--input-seed N] [--requant single|double]\n"
    "  zoo list                          architectures in configs/models\n"
    "  zoo build NAME -o OUT [--seed N]  synthesize an int8 .tflite\n"
    "  plan MODEL --board B --strategy S  plan one deployment candidate\n"
    "        [--n-patch N --split S] [--json] [--memory-map csv]\n"
    "        (S: layerwise|patch|stream1d|stream2d|hybrid|tinyops)\n"
    "  space MODEL --board B             every candidate, Pareto front marked\n"
    "        [--sram-budget BYTES] [--json|--csv]\n"
    "  codegen MODEL --board B -o DIR    emit C + build firmware for one candidate\n"
    "        (--candidate ID | --strategy S [--n-patch N --split S])\n"
    "        [--input IN] [--requant single|double] [--portable]\n"
    "  exec DIR --board B                run DIR/firmware.elf on a virtual board\n"
    "        [--runs N] [--timeout S]    (QEMU) and print the measurement JSON\n"
    "\n"
    "cost model (database $MCUTUNE_HOME/cost_model.db, seeded from configs/cost_models):\n"
    "  model predict MODEL --board B     candidates ranked by predicted latency\n"
    "  model eval --board-kind K [--json]  leave-one-model-out vs MAC baseline\n"
    "  model fit --board-kind K          fit and store a new model version\n"
    "  model calibrate --board-kind K    measure a calibration set on QEMU\n"
    "\n"
    "device farm (configs/farm.json, database $MCUTUNE_HOME/farm.db):\n"
    "  farm boards                       boards, their states, queue per kind\n"
    "  farm run DIR... --board-kind K    measure builds on the farm's boards\n"
    "        [--repeat N] [--runs N] [--timeout S] [--tag T] [--json]\n"
    "  farm health [--board-kind K]      known-answer firmware on every board\n"
    "  farm drain URI | farm enable URI  take a board out of / back into service\n"
    "\n"
    "tuning service (mcutuned; --server HOST:PORT, --token T | --token-file F, --json;\n"
    "                --tls-ca FILE [--tls-cert F --tls-key F] for a TLS daemon;\n"
    "                $MCUTUNE_SERVER, $MCUTUNE_TOKEN[_FILE], $MCUTUNE_TLS_CA;\n"
    "                docs/daemon.md):\n"
    "  submit MODEL --board-kind K       upload + start a tuning job\n"
    "        [--sram-budget B] [--flash-budget B] [--measure-budget N] [--watch]\n"
    "  jobs | watch JOB | cancel JOB     list, follow, stop jobs\n"
    "  pareto JOB                        the measured Pareto front\n"
    "  fetch JOB CANDIDATE -o DIR        download a candidate's bundle\n"
    "  boards [--available]              board kinds and the farm's boards\n"
    "  sweep list                        nightly sweeps (docs/sweeps.md)\n"
    "  sweep run NAME --now [--wait]     run one now\n"
    "  sweep report NAME [--markdown]    a run's items, alerts, cost models\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  // Library warnings go to stderr: stdout carries the data (--json, --csv).
  spdlog::set_default_logger(spdlog::stderr_color_mt("mcutune"));
  const std::string command = argv[1];
  mcutune::cli::Args args(argv + 2, argv + argc);
  if (command == "inspect") return mcutune::cli::RunInspect(args);
  if (command == "run") return mcutune::cli::RunRun(args);
  if (command == "zoo") return mcutune::cli::RunZoo(args);
  if (command == "plan") return mcutune::cli::RunPlan(args);
  if (command == "space") return mcutune::cli::RunSpace(args);
  if (command == "exec") return mcutune::cli::RunExec(args);
  if (command == "codegen") return mcutune::cli::RunCodegen(args);
  if (command == "model") return mcutune::cli::RunModel(args);
  if (command == "farm") return mcutune::cli::RunFarm(args);
  if (command == "submit") return mcutune::cli::RunSubmit(args);
  if (command == "jobs") return mcutune::cli::RunJobs(args);
  if (command == "watch") return mcutune::cli::RunWatch(args);
  if (command == "cancel") return mcutune::cli::RunCancel(args);
  if (command == "pareto") return mcutune::cli::RunPareto(args);
  if (command == "fetch") return mcutune::cli::RunFetch(args);
  if (command == "boards") return mcutune::cli::RunBoardKinds(args);
  if (command == "sweep") return mcutune::cli::RunSweepCommand(args);
  std::fprintf(stderr, "error: unknown command '%s' (see mcutune --help)\n",
               command.c_str());
  return 2;
}
