// Seed generation (fuzz_seeds.h).
// - tflite: one probe graph per operator type (tests/graph/probe_graphs.h),
//   optionally every zoo architecture and a local models directory; a
//   truncated file and a bare header as edge cases.
// - requests: TuneRequest JSON from TuneRequestToJson, StartTuning in proto
//   binary and in the HTTP API's JSON (from the daemon's ToProto), the
//   shipped daemon config and sweep definitions, cron expressions.
// - firmware: MCUTUNE_RESULT lines in the byte order codegen/firmware/
//   harness.c and cortex_m/startup.c print them, result blocks from
//   EncodeResultBlock, raw and as hex.
#include "tests/fuzz/fuzz_seeds.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "device_farm/result_block_decoder.h"
#include "graph/tflite_writer.h"
#include "graph/zoo/synthesizer.h"
#include "graph/zoo/zoo.h"
#include "server/daemon/proto_convert.h"
#include "tests/fuzz/fuzz_entries.h"
#include "tests/graph/probe_graphs.h"
#include "tuner/tune_request.h"

namespace mcutune::fuzz {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

std::string Bytes(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

// Lower-case, [a-z0-9_.-] only.
std::string FileName(const std::string& s) {
  std::string out;
  for (char c : s) {
    const char l =
        (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') ||
                    l == '.' || l == '_' || l == '-';
    out += ok ? l : '_';
  }
  return out;
}

absl::StatusOr<std::vector<Seed>> TfliteSeeds(const SeedOptions& o) {
  std::vector<Seed> seeds;
  for (const graph::Graph& g : testing::ProbeGraphs()) {
    absl::StatusOr<std::vector<uint8_t>> bytes = graph::WriteTflite(g);
    if (!bytes.ok()) return bytes.status();
    seeds.push_back(
        {"probe_" + FileName(g.name) + ".tflite", Bytes(*bytes), Expect::kOk});
  }
  const std::string conv = seeds.front().bytes;
  seeds.push_back({"edge_truncated.tflite", conv.substr(0, conv.size() / 2),
                   Expect::kError});
  seeds.push_back(
      {"edge_header_only.tflite", conv.substr(0, 8), Expect::kError});
  seeds.push_back({"edge_empty.tflite", "", Expect::kError});
  if (o.zoo_models) {
    absl::StatusOr<std::vector<graph::zoo::ZooEntry>> zoo =
        graph::zoo::ListZoo();
    if (!zoo.ok()) return zoo.status();
    for (const graph::zoo::ZooEntry& e : *zoo) {
      absl::StatusOr<graph::Graph> g = graph::zoo::Synthesize(e.arch, 1);
      if (!g.ok()) return g.status();
      absl::StatusOr<std::vector<uint8_t>> bytes = graph::WriteTflite(*g);
      if (!bytes.ok()) return bytes.status();
      seeds.push_back({"zoo_" + FileName(e.arch.name) + ".tflite",
                       Bytes(*bytes), Expect::kOk});
    }
  }
  if (!o.models_dir.empty()) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const fs::directory_entry& e :
         fs::directory_iterator(o.models_dir, ec)) {
      if (e.path().extension() == ".tflite") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      absl::StatusOr<std::string> bytes = ReadFile(f);
      if (!bytes.ok()) return bytes.status();
      seeds.push_back({"models_" + FileName(f.filename().string()),
                       std::move(*bytes), Expect::kAny});
    }
  }
  return seeds;
}

tuner::TuneRequest ValidRequest() {
  tuner::TuneRequest r;
  r.model_id = std::string(64, '0');
  for (int i = 0; i < 64; i += 7) r.model_id[i] = "0123456789abcdef"[i % 16];
  r.board_kinds = {"qemu-f746"};
  return r;
}

tuner::TuneRequest FullRequest() {
  tuner::TuneRequest r = ValidRequest();
  r.board_kinds = {"qemu-f746", "qemu-f469"};
  r.sram_budget_bytes = 256 * 1024;
  r.flash_budget_bytes = 1024 * 1024;
  r.allow_external_memory = false;
  r.max_n_patch = 4;
  r.objectives = {tuner::Objective::kLatency, tuner::Objective::kFlash};
  r.measurement_budget = 32;
  r.seed = 7;
  r.batch_size = 2;
  r.runs_per_measurement = 5;
  r.label = "fuzz seed";
  r.priority = -3;
  return r;
}

absl::StatusOr<std::vector<Seed>> RequestSeeds(const SeedOptions& o) {
  std::vector<Seed> s;
  auto add = [&](const std::string& name, RequestMode mode,
                 const std::string& payload, Expect expect) {
    s.push_back({name, WithMode(mode, payload), expect});
  };
  using M = RequestMode;
  // TuneRequest rows.
  add("tune_request_min.json", M::kTuneRequestJson,
      tuner::TuneRequestToJson(ValidRequest()), Expect::kOk);
  add("tune_request_full.json", M::kTuneRequestJson,
      tuner::TuneRequestToJson(FullRequest()), Expect::kOk);
  add("tune_request_empty_object.json", M::kTuneRequestJson, "{}",
      Expect::kError);
  add("tune_request_unknown_board.json", M::kTuneRequestJson,
      R"({"model_id":")" + std::string(64, 'a') +
          R"(","board_kinds":["no-such-board"]})",
      Expect::kError);
  add("tune_request_not_json.json", M::kTuneRequestJson,
      "{\"model_id\":", Expect::kError);
  // StartTuning, binary and HTTP JSON.
  for (const auto& [name, r] :
       {std::pair{"min", ValidRequest()}, std::pair{"full", FullRequest()}}) {
    const server::pb::StartTuningRequest p = server::ToProto(r);
    add(absl::StrCat("start_tuning_", name, ".pb"), M::kStartTuningProto,
        p.SerializeAsString(), Expect::kOk);
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(p, &json).ok()) {
      return absl::InternalError("cannot print a StartTuningRequest as JSON");
    }
    add(absl::StrCat("start_tuning_", name, ".json"), M::kStartTuningJson, json,
        Expect::kOk);
  }
  add("start_tuning_empty.pb", M::kStartTuningProto, "", Expect::kError);
  add("start_tuning_unknown_key.json", M::kStartTuningJson,
      R"({"modelId":"x","extra":1})", Expect::kError);
  // Daemon configs.
  absl::StatusOr<std::string> config =
      ReadFile(fs::path(o.source_dir) / "configs" / "mcutuned.json");
  if (!config.ok()) return config.status();
  add("daemon_config_shipped.json", M::kDaemonConfig, *config, Expect::kOk);
  add("daemon_config_defaults.json", M::kDaemonConfig, "{}", Expect::kOk);
  add("daemon_config_local.json", M::kDaemonConfig,
      R"({"auth":"disabled","http_listen":"","listen":"127.0.0.1:0",)"
      R"("agents":{"lease_s":10,"heartbeat_s":3},"log_level":"debug"})",
      Expect::kOk);
  add("daemon_config_bad_listen.json", M::kDaemonConfig,
      R"({"listen":"no-port"})", Expect::kError);
  // Sweep definitions: the shipped ones and small variants.
  std::error_code ec;
  std::vector<fs::path> sweeps;
  for (const fs::directory_entry& e : fs::directory_iterator(
           fs::path(o.source_dir) / "configs" / "sweeps", ec)) {
    if (e.path().extension() == ".json") sweeps.push_back(e.path());
  }
  std::sort(sweeps.begin(), sweeps.end());
  for (const fs::path& f : sweeps) {
    absl::StatusOr<std::string> text = ReadFile(f);
    if (!text.ok()) return text.status();
    add("sweep_" + FileName(f.filename().string()), M::kSweepDefinition, *text,
        Expect::kOk);
  }
  add("sweep_min.json", M::kSweepDefinition,
      R"({"schedule":"@daily","models":["ds-cnn-kws"],)"
      R"("board_kinds":["qemu-f746"]})",
      Expect::kOk);
  add("sweep_constraints.json", M::kSweepDefinition,
      R"({"name":"c","schedule":"30 1 * * MON-FRI","timezone":"Europe/Berlin",)"
      R"("enabled":false,"models":[{"zoo":"mcunet-in0","name":"in0"}],)"
      R"("board_kinds":["qemu-f746","qemu-h743"],"constraints":[)"
      R"({"name":"small","sram_budget":"256K","flash_budget":1048576,)"
      R"("allow_external_memory":false,"max_n_patch":2},{"name":"board"}],)"
      R"("catch_up":"skip","drift":{"noise_floor":0.05}})",
      Expect::kAny);  // Europe/Berlin needs tzdata
  add("sweep_missing_file.json", M::kSweepDefinition,
      R"({"schedule":"0 2 * * *","models":["missing.tflite"],)"
      R"("board_kinds":["qemu-f746"]})",
      Expect::kError);
  // Cron expressions.
  int i = 0;
  for (const char* cron :
       {"0 2 * * *", "*/15 * * * MON-FRI", "@daily", "0 0 29 2 *",
        "5/10 1-23/2 1,15 JAN-DEC SUN-SAT", "0 12 13 * 5"}) {
    add(absl::StrCat("cron_", i++, ".txt"), M::kCronSchedule, cron,
        Expect::kOk);
  }
  add("cron_never.txt", M::kCronSchedule, "0 0 30 2 *", Expect::kError);
  add("cron_six_fields.txt", M::kCronSchedule, "0 0 * * * *", Expect::kError);
  return s;
}

// A result line in the harness's field order (codegen/firmware/harness.c).
std::string HarnessLine(const std::string& status, const std::string& error,
                        const std::string& timer, uint64_t ticks) {
  std::string line = "MCUTUNE_RESULT {\"v\":1,\"status\":\"" + status + "\"";
  if (!error.empty()) line += ",\"error\":\"" + error + "\"";
  line += ",\"timer\":\"" + timer + "\"";
  const std::pair<const char*, uint64_t> fields[] = {
      {"ticks", ticks},
      {"runs", 3},
      {"warmup", 1},
      {"stack_high_water_bytes", 1432},
      {"stack_bytes", 8192},
      {"arena_bytes", 50176},
      {"input_bytes", 3072},
      {"output_bytes", 10},
      {"flash_bytes", 1048576},
      {"ram_bytes", 327680}};
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&line, ",\"", key, "\":", value);
  }
  line += ",\"output_sha256\":\"";
  for (int i = 0; i < 4; ++i) line += "0123456789abcdef";
  return line + "\"}\n";
}

device_farm::ResultBlock OkBlock() {
  device_farm::ResultBlock b;
  b.magic = device_farm::kResultBlockMagic;
  b.version = device_farm::kResultBlockVersion;
  b.status = 0;
  b.timer_kind = 1;
  b.ticks = 123456789;
  b.runs = 3;
  b.warmup = 1;
  b.stack_high_water_bytes = 1432;
  b.stack_bytes = 8192;
  b.arena_bytes = 50176;
  b.output_bytes = 10;
  b.flash_bytes = 1048576;
  b.ram_bytes = 327680;
  for (int i = 0; i < 4; ++i) b.output_sha256 += "fedcba9876543210";
  return b;
}

std::string Hex(const std::string& bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::vector<Seed> FirmwareSeeds() {
  std::vector<Seed> s;
  auto add = [&](const std::string& name, FirmwareMode mode,
                 const std::string& payload, Expect expect) {
    s.push_back({name, WithMode(mode, payload), expect});
  };
  using M = FirmwareMode;
  const std::string boot = "mcutune harness: qemu mps2-an500\r\nmodel init\n";
  add("line_ok.log", M::kConsoleLog,
      boot + HarnessLine("ok", "", "dwt_cyccnt", 987654), Expect::kOk);
  add("line_systick.log", M::kConsoleLog, HarnessLine("ok", "", "systick", 42),
      Expect::kOk);
  add("line_harness_error.log", M::kConsoleLog,
      HarnessLine("harness_error", "model has an empty input or output", "none",
                  0),
      Expect::kOk);
  add("line_output_varies.log", M::kConsoleLog,
      HarnessLine("output_varies", "", "host_ns", 5000), Expect::kOk);
  // As cortex_m/startup.c prints a fault.
  add("line_fault.log", M::kConsoleLog,
      boot +
          "MCUTUNE_RESULT {\"v\":1,\"status\":\"fault\",\"exception\":3,"
          "\"pc\":\"0x08001234\",\"cfsr\":\"0x00008200\",\"hfsr\":"
          "\"0x40000000\",\"bfar\":\"0x20050000\",\"mmfar\":\"0x00000000\"}\n",
      Expect::kOk);
  add("line_two_results.log", M::kConsoleLog,
      HarnessLine("ok", "", "none", 0) + HarnessLine("ok", "", "systick", 7),
      Expect::kOk);
  add("line_none.log", M::kConsoleLog, boot, Expect::kError);
  add("line_mid_line.log", M::kConsoleLog,
      "noise " + HarnessLine("ok", "", "systick", 1), Expect::kError);
  add("line_truncated.log", M::kConsoleLog,
      HarnessLine("ok", "", "systick", 1).substr(0, 60), Expect::kError);

  const std::string ok = device_farm::EncodeResultBlock(OkBlock());
  device_farm::ResultBlock fault;
  fault.magic = device_farm::kResultBlockMagic;
  fault.version = device_farm::kResultBlockVersion;
  fault.status = 3;
  fault.fault_pc = 0x08001234;
  fault.fault_cfsr = 0x8200;
  fault.fault_exception = 3;
  fault.output_sha256 = std::string(64, '0');
  const std::string fault_bytes = device_farm::EncodeResultBlock(fault);
  add("block_ok.bin", M::kResultBlock, ok, Expect::kOk);
  add("block_fault.bin", M::kResultBlock, fault_bytes, Expect::kOk);
  add("block_zero.bin", M::kResultBlock,
      std::string(device_farm::kResultBlockBytes, '\0'), Expect::kError);
  add("block_short.bin", M::kResultBlock, ok.substr(0, 100), Expect::kError);
  add("hex_ok.txt", M::kResultHex, Hex(ok, false), Expect::kOk);
  add("hex_fault_upper.txt", M::kResultHex, Hex(fault_bytes, true),
      Expect::kOk);
  add("hex_odd.txt", M::kResultHex, Hex(ok, false).substr(1), Expect::kError);
  return s;
}

}  // namespace

absl::StatusOr<std::vector<Seed>> MakeSeeds(const std::string& target,
                                            const SeedOptions& options) {
  if (target == "fuzz_tflite_reader") return TfliteSeeds(options);
  if (target == "fuzz_request_validators") return RequestSeeds(options);
  if (target == "fuzz_firmware_output") return FirmwareSeeds();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fuzz target ", target));
}

}  // namespace mcutune::fuzz
