// `mcutune sweep`: the daemon's nightly sweeps (docs/sweeps.md), over the
// gRPC Sweeps service (connection options: client_connection.h).
//   sweep list                          sweeps, schedule, next and last run,
//                                       the last run's alerts
//   sweep run NAME --now [--wait]       queue a run now; --wait follows it
//                                       (exit 0 done, 1 failed/interrupted)
//   sweep report NAME [--run ID] [--markdown | --json]
//                                       a run's items, alerts, cost models
//                                       (the newest run by default)
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/cli/client_connection.h"
#include "server/cli/commands.h"

namespace mcutune::cli {
namespace {

namespace pb = ::mcutune::v1;

constexpr char kUsage[] =
    "usage: mcutune sweep list\n"
    "       mcutune sweep run NAME --now [--wait]\n"
    "       mcutune sweep report NAME [--run ID] [--markdown | --json]\n"
    "       [--server HOST:PORT] [--token T | --token-file F] [--json]\n"
    "  Nightly sweeps are defined in the daemon's sweeps_dir\n"
    "  (configs/sweeps/*.json); see docs/sweeps.md.\n";

std::unique_ptr<pb::Sweeps::Stub> SweepsStub(const ClientOptions& o) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  return pb::Sweeps::NewStub(MakeClientChannel(o, args));
}

std::string Short(const std::string& time) {
  // "2030-01-01T02:00:30.000Z" -> "2030-01-01 02:00"
  if (time.size() < 16) return time.empty() ? "-" : time;
  return time.substr(0, 10) + " " + time.substr(11, 5);
}

std::string CountsLine(const pb::SweepCounts& c) {
  return absl::StrFormat(
      "%d items: %d tuned, %d re-measured, %d skipped, %d failed; %d jobs, %d "
      "builds, %d measurements, %d farm runs; %d alerts",
      c.items(), c.tuned(), c.remeasured(), c.skipped(), c.failed(), c.jobs(),
      c.builds(), c.measurements(), c.farm_runs(), c.alerts());
}

void PrintAlerts(
    const google::protobuf::RepeatedPtrField<pb::SweepAlert>& alerts) {
  for (const pb::SweepAlert& a : alerts) {
    std::printf("  %-8s %-16s %s\n", a.severity().c_str(), a.kind().c_str(),
                a.message().c_str());
  }
}

int List(Client& client, pb::Sweeps::Stub& stub) {
  pb::ListSweepsResponse out;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s =
          stub.ListSweeps(ctx.get(), pb::ListSweepsRequest(), &out);
      !s.ok()) {
    return PrintError(FromGrpc(s, client.options()));
  }
  if (client.options().json) {
    std::printf("%s\n", ToJson(out).c_str());
    return 0;
  }
  if (out.sweeps_size() == 0) {
    std::printf("no sweeps configured (daemon config \"sweeps_dir\")\n");
    return 0;
  }
  std::printf("%-20s %-14s %-17s %-17s %-12s %6s %6s\n", "sweep", "schedule",
              "next run", "last run", "state", "items", "alerts");
  for (const pb::Sweep& s : out.sweeps()) {
    const pb::SweepRun& last = s.last_run();
    std::printf("%-20s %-14s %-17s %-17s %-12s %6d %6d\n", s.name().c_str(),
                s.schedule().c_str(),
                s.enabled() ? Short(s.next_run_at()).c_str() : "(disabled)",
                last.id().empty() ? "-" : Short(last.created_at()).c_str(),
                last.id().empty() ? "-" : last.state().c_str(), s.items(),
                s.last_alerts_size());
  }
  return 0;
}

bool Terminal(const std::string& state) {
  return state == "done" || state == "failed" || state == "interrupted";
}

int Run(Client& client, pb::Sweeps::Stub& stub, const std::string& name,
        bool wait) {
  pb::RunSweepRequest req;
  req.set_name(name);
  pb::SweepRun run;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s = stub.RunSweep(ctx.get(), req, &run); !s.ok()) {
    return PrintError(FromGrpc(s, client.options()));
  }
  if (!client.options().json) {
    std::printf("sweep %s: run %s %s%s\n", name.c_str(), run.id().c_str(),
                run.state().c_str(),
                run.deduplicated() ? " (already queued or running)" : "");
    std::fflush(stdout);
  }
  if (!wait) {
    if (client.options().json) std::printf("%s\n", ToJson(run).c_str());
    return 0;
  }
  // Poll once a second, for at most a day; a daemon restart (UNAVAILABLE)
  // is waited out for a minute.
  std::string last_line;
  int unavailable = 0;
  for (int i = 0; i < 24 * 3600; ++i) {
    pb::GetSweepRunRequest g;
    g.set_run_id(run.id());
    std::unique_ptr<grpc::ClientContext> c = client.Context();
    const grpc::Status s = stub.GetSweepRun(c.get(), g, &run);
    if (!s.ok()) {
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
          ++unavailable < 60) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      return PrintError(FromGrpc(s, client.options()));
    }
    unavailable = 0;
    int done = 0;
    for (const pb::SweepItemResult& it : run.items()) {
      done += it.state() == "done" || it.state() == "failed";
    }
    const std::string line =
        absl::StrFormat("[%s] %s: %d/%d items done", run.state(), run.id(),
                        done, run.counts().items());
    if (!client.options().json && line != last_line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
      last_line = line;
    }
    if (Terminal(run.state())) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (client.options().json) {
    std::printf("%s\n", ToJson(run).c_str());
  } else {
    std::printf("run %s %s: %s\n", run.id().c_str(), run.state().c_str(),
                CountsLine(run.counts()).c_str());
    std::printf(
        "report: mcutune sweep report %s --run %s%s%s\n", name.c_str(),
        run.id().c_str(), run.report_path().empty() ? "" : "  (data dir: ",
        run.report_path().empty() ? "" : (run.report_path() + ")").c_str());
  }
  return run.state() == "done" ? 0 : 1;
}

int Report(Client& client, pb::Sweeps::Stub& stub, const std::string& name,
           const std::string& run_id, bool markdown) {
  pb::GetSweepReportRequest req;
  req.set_name(name);
  req.set_run_id(run_id);
  req.set_runs_limit(20);
  pb::SweepReport rep;
  std::unique_ptr<grpc::ClientContext> ctx = client.Context();
  if (grpc::Status s = stub.GetSweepReport(ctx.get(), req, &rep); !s.ok()) {
    return PrintError(FromGrpc(s, client.options()));
  }
  if (client.options().json) {
    std::printf("%s\n", ToJson(rep).c_str());
    return 0;
  }
  if (markdown) {
    if (rep.markdown().empty()) {
      std::printf("sweep %s has not run yet\n", name.c_str());
    } else {
      std::fputs(rep.markdown().c_str(), stdout);
    }
    return 0;
  }
  const pb::Sweep& s = rep.sweep();
  std::printf("sweep %s: %s (%s), next run %s\n", s.name().c_str(),
              s.schedule().c_str(), s.timezone().c_str(),
              s.enabled() ? Short(s.next_run_at()).c_str() : "(disabled)");
  if (rep.runs_size() == 0) {
    std::printf("no runs yet (mcutune sweep run %s --now)\n", name.c_str());
    return 0;
  }
  std::printf("\nruns (newest first):\n");
  for (const pb::SweepRun& r : rep.runs()) {
    std::printf("  %s  %-17s %-9s %-11s %s\n", r.id().c_str(),
                Short(r.created_at()).c_str(), r.trigger().c_str(),
                r.state().c_str(), CountsLine(r.counts()).c_str());
  }
  const pb::SweepRun& r = rep.run();
  std::printf("\nrun %s (%s, %s): %s\n", r.id().c_str(), r.trigger().c_str(),
              r.state().c_str(), CountsLine(r.counts()).c_str());
  std::printf("%-40s %-10s %16s %16s %8s  %s\n", "item", "action", "best",
              "previous best", "change", "reason");
  for (const pb::SweepItemResult& it : r.items()) {
    std::string best = "-", prev = "-", change = "-";
    if (it.has_best()) best = absl::StrFormat("%.0f", it.best().latency());
    if (it.has_previous_best()) {
      prev = absl::StrFormat("%.0f", it.previous_best().latency());
      if (it.has_best() && it.previous_best().latency() > 0) {
        change = absl::StrFormat(
            "%+.1f%%",
            (it.best().latency() / it.previous_best().latency() - 1) * 100);
      }
    }
    std::printf("%-40s %-10s %16s %16s %8s  %s%s\n", it.key().c_str(),
                (it.action() + (it.state() == "failed" ? "!" : "")).c_str(),
                best.c_str(), prev.c_str(), change.c_str(), it.reason().c_str(),
                it.error().empty() ? "" : (" error: " + it.error()).c_str());
  }
  int alerts = 0;
  for (const pb::SweepAlert& a : rep.alerts()) alerts += a.run_id() == r.id();
  std::printf("\nalerts of this run: %d\n", alerts);
  google::protobuf::RepeatedPtrField<pb::SweepAlert> mine;
  for (const pb::SweepAlert& a : rep.alerts()) {
    if (a.run_id() == r.id()) *mine.Add() = a;
  }
  PrintAlerts(mine);
  for (const pb::SweepCostModel& c : r.cost_models()) {
    std::printf(
        "cost model %s: v%d MAPE %s (reference %s)%s\n", c.board_kind().c_str(),
        c.version_used(),
        c.mape_used() < 0
            ? "-"
            : absl::StrFormat("%.1f%%", c.mape_used() * 100).c_str(),
        c.reference_mape() < 0
            ? "-"
            : absl::StrFormat("%.1f%%", c.reference_mape() * 100).c_str(),
        c.version_new() > 0
            ? absl::StrCat(", refitted as v", c.version_new()).c_str()
            : "");
  }
  return 0;
}

}  // namespace

int RunSweepCommand(const Args& in) {
  Args args = in;
  absl::StatusOr<ClientOptions> o = ParseClientOptions(&args);
  if (!o.ok()) return UsageError(std::string(o.status().message()));
  if (args.empty()) return UsageError(kUsage);
  const std::string sub = args[0];
  if (sub == "-h" || sub == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::vector<std::string> positional;
  bool now = false, wait = false, markdown = false;
  std::string run_id;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--now") {
      now = true;
    } else if (a == "--wait") {
      wait = true;
    } else if (a == "--markdown") {
      markdown = true;
    } else if (a == "--run" && i + 1 < args.size()) {
      run_id = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      return UsageError("sweep: unknown option '" + a + "'");
    } else {
      positional.push_back(a);
    }
  }
  Client client(*o);
  std::unique_ptr<pb::Sweeps::Stub> stub = SweepsStub(*o);
  if (sub == "list") {
    if (!positional.empty()) return UsageError("usage: mcutune sweep list");
    return List(client, *stub);
  }
  if (sub == "run") {
    if (positional.size() != 1)
      return UsageError("usage: mcutune sweep run NAME --now [--wait]");
    if (!now) {
      return UsageError(
          "sweep run: pass --now (scheduled runs are the daemon's; --now "
          "queues "
          "one immediately)");
    }
    return Run(client, *stub, positional[0], wait);
  }
  if (sub == "report") {
    if (positional.size() != 1) {
      return UsageError(
          "usage: mcutune sweep report NAME [--run ID] [--markdown | --json]");
    }
    if (markdown && o->json)
      return UsageError("sweep report: --markdown or --json, not both");
    return Report(client, *stub, positional[0], run_id, markdown);
  }
  return UsageError(
      "sweep: expected list, run or report (mcutune sweep --help)");
}

}  // namespace mcutune::cli
