// The pyOCD board, at three depths (none of them hardware):
//  - the result-block decoder on hand-built bytes;
//  - the REAL bridge script with a FAKE pyOCD package first on PYTHONPATH
//    (tests/device_farm/fake_pyocd/): the bridge's connect/flash/run logic
//    and its classification of pyOCD/pyusb exceptions, through the Board;
//  - the stand-in (tests/device_farm/pyocd_stand_in.py), which speaks the
//    bridge's protocol but runs the firmware in QEMU: a real firmware's real
//    result block, decoded and compared with the semihosting build's report.
// Plus the real pyOCD 0.13.1 listing no probe on this machine.
#include "device_farm/pyocd_board.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/subprocess.h"
#include "device_farm/qemu_runner.h"
#include "device_farm/result_block_decoder.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune::device_farm {
namespace {

namespace fs = std::filesystem;

const std::string kSource = MCUTUNE_SOURCE_DIR;
const std::string kStandIn = kSource + "/tests/device_farm/pyocd_stand_in.py";
const std::string kFakePyocd = kSource + "/tests/device_farm/fake_pyocd";
const char kPython[] = "/usr/bin/python3";

bool HavePython() { return base::ProgramExists(kPython); }

bool PythonImports(const std::string& module, const std::vector<std::string>& env = {}) {
  if (!HavePython()) return false;
  base::SubprocessOptions o;
  o.timeout = absl::Seconds(20);
  if (!env.empty()) {
    std::vector<std::string> full = env;
    for (char** e = environ; *e; ++e) full.push_back(*e);
    o.env = full;
  }
  absl::StatusOr<base::SubprocessResult> r =
      base::RunSubprocess({kPython, "-c", "import " + module}, o);
  return r.ok() && r->ok();
}

#define REQUIRE_PYTHON()                                                     \
  if (!PythonImports("elftools")) {                                          \
    WARN("/usr/bin/python3 with pyelftools not available: skip");           \
    return;                                                                  \
  }

#define REQUIRE_QEMU()                                                       \
  REQUIRE_PYTHON();                                                          \
  if (!testing::HaveArmToolchain() || !testing::HaveQemu()) {                \
    WARN("arm-none-eabi-gcc or qemu-system-arm not installed: skip");        \
    return;                                                                  \
  }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A fresh directory for one test's state.
std::string FreshDir(const std::string& name) {
  const std::string dir = testing::TestTempDir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

space::BoardSpec Spec(const std::string& id) {
  absl::StatusOr<space::BoardSpec> spec = testing::CatalogueBoard(id);
  REQUIRE(spec.ok());
  return *spec;
}

// ---------------------------------------------------------------------------
// The decoder.

// Bytes written field by field at the offsets of result_block.h, independent
// of EncodeResultBlock.
std::string HandBuiltBlock() {
  std::string b(104, '\0');
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
  };
  b[0] = 'M'; b[1] = 'C'; b[2] = 'R'; b[3] = 'T';  // magic, little-endian
  put32(4, 1);             // version
  put32(8, 0);             // status ok
  put32(12, 1);            // DWT CYCCNT
  put32(16, 0x89ABCDEF);   // ticks low
  put32(20, 0x1);          // ticks high
  put32(24, 3);            // runs
  put32(28, 1);            // warmup
  put32(32, 640);          // stack high-water
  put32(36, 8192);         // stack
  put32(40, 272);          // arena
  put32(44, 16);           // output
  put32(48, 4900);         // flash
  put32(52, 8992);         // ram
  for (int i = 0; i < 32; ++i) b[72 + i] = static_cast<char>(0xF0 + (i & 15));
  return b;
}

TEST_CASE("the decoder reads every field of a valid block", "[device_farm]") {
  absl::StatusOr<ResultBlock> r = DecodeResultBlock(HandBuiltBlock());
  REQUIRE(r.ok());
  CHECK(r->ticks == 0x189ABCDEFull);
  CHECK(r->runs == 3);
  CHECK(r->warmup == 1);
  CHECK(r->stack_high_water_bytes == 640);
  CHECK(r->ram_bytes == 8992);
  CHECK(r->output_sha256.substr(0, 6) == "f0f1f2");
  CHECK(r->output_sha256.size() == 64);
  const HarnessReport h = ToHarnessReport(*r);
  CHECK(h.status == RunStatus::kOk);
  CHECK(h.timer == "dwt_cyccnt");
  CHECK(EncodeResultBlock(*r) == HandBuiltBlock());
}

TEST_CASE("the decoder rejects corrupt blocks", "[device_farm]") {
  auto with32 = [](size_t at, uint32_t v) {
    std::string b = HandBuiltBlock();
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
    return b;
  };
  const std::map<std::string, std::string> bad = {
      {"truncated", HandBuiltBlock().substr(0, 103)},
      {"too long", HandBuiltBlock() + "x"},
      {"not written", std::string(104, '\0')},
      {"bad magic", with32(0, 0x5452434E)},
      {"version", with32(4, 2)},
      {"status", with32(8, 1)},
      {"timer", with32(12, 4)},
      {"zero runs", with32(24, 0)},
      {"huge runs", with32(24, 2000000)},
      {"high-water over stack", with32(32, 9000)},
      {"stack over ram", with32(52, 4096)},
      {"no output", with32(44, 0)},
      {"ticks over 2^62", with32(20, 0x40000001)},
  };
  for (const auto& [name, bytes] : bad) {
    INFO(name);
    absl::StatusOr<ResultBlock> r = DecodeResultBlock(bytes);
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a fault block keeps its registers", "[device_farm]") {
  ResultBlock f;
  f.magic = kResultBlockMagic;
  f.version = 1;
  f.status = 3;
  f.fault_pc = 0x000012a4;
  f.fault_cfsr = 0x00010000;
  f.fault_exception = 3;
  absl::StatusOr<ResultBlock> r = DecodeResultBlock(EncodeResultBlock(f));
  REQUIRE(r.ok());
  const HarnessReport h = ToHarnessReport(*r);
  CHECK(h.status == RunStatus::kFault);
  CHECK(Contains(h.error, "pc=0x000012a4"));
  CHECK(Contains(h.error, "cfsr=0x00010000"));
  f.fault_exception = 0;
  CHECK(!DecodeResultBlock(EncodeResultBlock(f)).ok());
}

TEST_CASE("hex of the bridge is checked", "[device_farm]") {
  CHECK(*HexToBytes("4d43") == "MC");
  CHECK(*HexToBytes("4D43") == "MC");
  CHECK(!HexToBytes("4d4").ok());
  CHECK(!HexToBytes("4g").ok());
}

// ---------------------------------------------------------------------------
// Options and construction.

TEST_CASE("MakePyocdBoard validates the uid and finds its tools", "[device_farm]") {
  REQUIRE_PYTHON();
  const space::BoardSpec spec = Spec("f746");
  CHECK(MakePyocdBoard("", spec).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(MakePyocdBoard("a b", spec).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(MakePyocdBoard("x/../y", spec).status().code() == absl::StatusCode::kInvalidArgument);
  PyocdBoardOptions o;
  o.bridge_script = "/nonexistent/bridge.py";
  CHECK(MakePyocdBoard("0669FF", spec, o).status().code() == absl::StatusCode::kNotFound);
  o = {};
  o.python = "/nonexistent/python3";
  CHECK(MakePyocdBoard("0669FF", spec, o).status().code() == absl::StatusCode::kNotFound);
  o = {};
  o.target_type = "stm32;rm";
  CHECK(MakePyocdBoard("0669FF", spec, o).status().code() ==
        absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::unique_ptr<Board>> board = MakePyocdBoard("0669FF52", spec);
  REQUIRE(board.ok());
  CHECK((*board)->uri() == "pyocd://0669FF52");
  CHECK((*board)->kind() == "f746");
  CHECK((*board)->slots() == 1);
  CHECK(Contains(DefaultPyocdBridgeScript(), "device_farm/pyocd/mcutune_pyocd_bridge.py"));
}

// ---------------------------------------------------------------------------
// The real bridge over a fake pyOCD package.

// A host object file defining `mcutune_result` (104 bytes): enough ELF for
// the bridge to find the symbol; the fake target does not execute it.
const std::string& HostResultElf() {
  static const std::string path = [] {
    const std::string out = testing::TestTempDir() + "/result_block_host.o";
    absl::StatusOr<base::SubprocessResult> r = base::RunSubprocess(
        {"gcc", "-c", "-I" + kSource, "-DMCUTUNE_HOST",
         kSource + "/codegen/firmware/result_block.c", "-o", out});
    return r.ok() && r->ok() ? out : std::string();
  }();
  return path;
}

struct FakeRun {
  absl::StatusOr<Measurement> m;
  std::string log;  // what the fake pyOCD saw
};

std::string WriteBin(const std::string& dir) {
  const std::string bin = dir + "/firmware.bin";
  std::ofstream(bin) << std::string(300, '\x5a');
  return bin;
}

FakeRun RunWithFake(const std::string& scenario, const std::string& name,
                    PyocdBoardOptions o = {}, RunOptions run = {},
                    const std::string& uid = "FAKE0001", const std::string& block_hex = "") {
  const std::string dir = FreshDir("fake-" + name);
  const std::string log = dir + "/pyocd.log";
  o.extra_env = {"PYTHONPATH=" + kFakePyocd, "FAKE_PYOCD_SCENARIO=" + scenario,
                 "FAKE_PYOCD_LOG=" + log, "FAKE_PYOCD_BLOCK_HEX=" + block_hex};
  o.poll_interval = absl::Milliseconds(10);
  absl::StatusOr<std::unique_ptr<Board>> board = MakePyocdBoard(uid, Spec("f746"), o);
  REQUIRE(board.ok());
  Artifact a;
  a.elf_path = HostResultElf();
  a.bin_path = WriteBin(dir);
  a.semihosting = false;
  FakeRun out{(*board)->Run(a, run), ""};
  out.log = ReadFile(log);
  return out;
}

ResultBlock GoodBlock() {
  absl::StatusOr<ResultBlock> b = DecodeResultBlock(HandBuiltBlock());
  REQUIRE(b.ok());
  return *b;
}

TEST_CASE("bridge + fake pyOCD: a healthy run", "[device_farm]") {
  REQUIRE_PYTHON();
  REQUIRE(!HostResultElf().empty());
  const std::string hex = [] {
    const std::string b = EncodeResultBlock(GoodBlock());
    std::string h;
    for (unsigned char c : b) h += absl::StrFormat("%02x", c);
    return h;
  }();
  PyocdBoardOptions o;
  o.target_type = "stm32f439xi";
  o.frequency_hz = 1800000;
  const FakeRun r = RunWithFake("healthy", "healthy", o, {}, "FAKE0001", hex);
  INFO(r.log);
  REQUIRE(r.m.ok());
  const Measurement& m = *r.m;
  INFO(m.raw_log);
  CHECK(m.status == RunStatus::kOk);
  CHECK(m.unit == CountUnit::kCycles);
  CHECK(Contains(m.counted_by, "DWT CYCCNT"));
  CHECK(Contains(m.counted_by, "pyOCD 0.13.1-fake"));
  CHECK(m.raw_ticks == 0x189ABCDEF);
  CHECK(m.per_inference == Approx(0x189ABCDEF / 3.0));
  CHECK(m.output_sha256 == GoodBlock().output_sha256);
  CHECK(m.board == "pyocd:FAKE0001");
  // Flashed the .bin at the real f746's flash origin, then: session with our
  // options, halt at reset, clear the block, resume, poll, halt, read.
  CHECK(Contains(r.log, "program 0x08000000 300"));
  CHECK(Contains(r.log, "session stm32f439xi frequency=1800000 halt_on_connect=True"));
  const size_t reset = r.log.rfind("reset_stop_on_reset");
  const size_t clear = r.log.find("write ", reset);
  const size_t resume = r.log.find("resume", reset);
  CHECK(reset != std::string::npos);
  CHECK(clear < resume);
  CHECK(Contains(r.log.substr(clear), " 104\n"));
  CHECK(Contains(r.log.substr(resume), "halt"));
}

TEST_CASE("bridge + fake pyOCD: each failure has its status", "[device_farm]") {
  REQUIRE_PYTHON();
  REQUIRE(!HostResultElf().empty());
  struct Case {
    std::string scenario;
    absl::StatusCode code;
    std::string error;
  };
  const Case cases[] = {
      {"none", absl::StatusCode::kNotFound, "probe_not_found"},
      {"busy", absl::StatusCode::kUnavailable, "probe_busy"},
      {"access_denied", absl::StatusCode::kNotFound, "probe_access_denied"},
      {"dp_wait_stlink", absl::StatusCode::kUnavailable, "dp_wait"},
      {"dp_wait_cmsisdap", absl::StatusCode::kUnavailable, "dp_wait"},
      {"transfer_fault", absl::StatusCode::kUnavailable, "transfer_fault"},
      {"lost", absl::StatusCode::kUnavailable, "probe_lost"},
      {"lost_io", absl::StatusCode::kUnavailable, "probe_lost"},
      {"flash_fail", absl::StatusCode::kUnavailable, "flash_failed"},
      {"generic_target", absl::StatusCode::kNotFound, "flash_unsupported"},
  };
  for (const Case& c : cases) {
    INFO(c.scenario);
    const FakeRun r = RunWithFake(c.scenario, c.scenario);
    INFO(r.log);
    REQUIRE(!r.m.ok());
    INFO(r.m.status().ToString());
    CHECK(r.m.status().code() == c.code);
    CHECK(Contains(std::string(r.m.status().message()), c.error));
    CHECK(Contains(std::string(r.m.status().message()), "pyocd://FAKE0001"));
  }
  PyocdBoardOptions bad_target;
  bad_target.target_type = "stm32f746xg";  // not a pyOCD 0.13.1 target
  const FakeRun r = RunWithFake("healthy", "bad-target", bad_target);
  CHECK(r.m.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Contains(std::string(r.m.status().message()), "bad_target"));
}

TEST_CASE("bridge + fake pyOCD: never completes, wedged USB", "[device_farm]") {
  REQUIRE_PYTHON();
  REQUIRE(!HostResultElf().empty());
  PyocdBoardOptions o;
  o.skip_flash = true;
  o.connect_timeout = absl::Milliseconds(500);
  RunOptions run;
  run.timeout = absl::Seconds(1);
  FakeRun r = RunWithFake("never", "never", o, run);
  REQUIRE(r.m.ok());
  CHECK(r.m->status == RunStatus::kTimeout);
  CHECK(Contains(r.m->error, "pc=0x08000123"));  // the bridge halted and read PC
  CHECK(!Contains(r.log, "program"));            // skip_flash
  // A poll stuck in USB I/O: the bridge's watchdog ends it (run timeout +
  // 2 x connect timeout) before the board kills the process.
  const absl::Time start = absl::Now();
  r = RunWithFake("hang_usb", "hang-usb", o, run);
  CHECK(r.m.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(Contains(std::string(r.m.status().message()), "step_timeout"));
  CHECK(absl::Now() - start < absl::Seconds(8));
}

TEST_CASE("bridge + fake pyOCD: listing", "[device_farm]") {
  REQUIRE_PYTHON();
  PyocdBoardOptions o;
  o.extra_env = {"PYTHONPATH=" + kFakePyocd, "FAKE_PYOCD_SCENARIO=healthy"};
  absl::StatusOr<std::vector<ProbeInfo>> probes = ListPyocdProbes(o);
  REQUIRE(probes.ok());
  REQUIRE(probes->size() == 1);
  CHECK((*probes)[0].uid == "FAKE0001");
  CHECK((*probes)[0].description == "Fake CMSIS-DAP");
}

// ---------------------------------------------------------------------------
// The real pyOCD 0.13.1, no probe attached.

TEST_CASE("real pyOCD: no probe attached lists nothing, quickly", "[device_farm]") {
  if (!PythonImports("pyocd")) {
    WARN("/usr/bin/python3 cannot import pyocd (python3-pyocd): skip");
    return;
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<ProbeInfo>> probes = ListPyocdProbes();
  REQUIRE(probes.ok());
  if (!probes->empty()) {
    WARN("a debug probe is attached to this machine: " << (*probes)[0].uid);
    return;
  }
  CHECK(absl::Now() - start < absl::Seconds(10));
  // The flash and run paths up to enumeration: an absent probe is NOT_FOUND.
  REQUIRE(!HostResultElf().empty());
  Artifact a;
  a.elf_path = HostResultElf();
  a.bin_path = WriteBin(FreshDir("real-pyocd"));
  a.semihosting = false;
  for (bool skip_flash : {false, true}) {
    PyocdBoardOptions o;
    o.skip_flash = skip_flash;
    absl::StatusOr<std::unique_ptr<Board>> board =
        MakePyocdBoard("NOSUCHPROBE42", Spec("f746"), o);
    REQUIRE(board.ok());
    absl::StatusOr<Measurement> m = (*board)->Run(a, {});
    INFO(m.status().ToString());
    CHECK(m.status().code() == absl::StatusCode::kNotFound);
    CHECK(Contains(std::string(m.status().message()),
                   skip_flash ? "run: probe_not_found" : "flash: probe_not_found"));
  }
}

// ---------------------------------------------------------------------------
// The QEMU-backed stand-in.

// The stand-in model for qemu-f746 without semihosting (the pyOCD build),
// 3 measured runs after 1 warm-up fixed at compile time; cached per name.
const codegen::BuildResult& BareFirmware(const std::string& name,
                                         const testing::Defines& extra = {}) {
  static std::map<std::string, codegen::BuildResult>* cache =
      new std::map<std::string, codegen::BuildResult>();
  auto it = cache->find(name);
  if (it != cache->end()) return it->second;
  codegen::FirmwareBuildOptions o;
  o.work_dir = testing::TestTempDir() + "/bare-" + name;
  o.sources = {testing::StandInSource()};
  o.defines = {{"MCUTUNE_RUNS", "3"}, {"MCUTUNE_WARMUP", "1"}};
  o.defines.insert(o.defines.end(), extra.begin(), extra.end());
  o.semihosting = false;
  absl::StatusOr<codegen::BuildResult> b = codegen::BuildFirmware(Spec("qemu-f746"), o);
  REQUIRE(b.ok());
  INFO(b->log);
  REQUIRE(b->ok);
  return cache->emplace(name, *b).first->second;
}

struct StandIn {
  std::string state;
  std::unique_ptr<Board> board;
};

StandIn MakeStandIn(const std::string& name, const std::string& fault = "",
                    PyocdBoardOptions o = {}) {
  StandIn s;
  s.state = FreshDir("standin-" + name);
  o.bridge_script = kStandIn;
  o.extra_env = {"MCUTUNE_STAND_IN_STATE=" + s.state, "MCUTUNE_STAND_IN_FAULT=" + fault,
                 "MCUTUNE_STAND_IN_PROBES=STANDIN0001"};
  o.poll_interval = absl::Milliseconds(20);
  // The firmware is linked for the virtual board's memory map (flash at 0).
  absl::StatusOr<std::unique_ptr<Board>> b = MakePyocdBoard("STANDIN0001", Spec("qemu-f746"), o);
  REQUIRE(b.ok());
  s.board = std::move(*b);
  return s;
}

Artifact ArtifactOf(const codegen::BuildResult& build) {
  Artifact a;
  a.elf_path = build.elf_path;
  a.bin_path = build.bin_path;
  a.semihosting = false;
  return a;
}

TEST_CASE("stand-in: a real firmware's result block, as the semihosting build reports",
          "[qemu][device_farm]") {
  REQUIRE_QEMU();
  const codegen::BuildResult& bare = BareFirmware("ok");
  StandIn s = MakeStandIn("healthy");
  absl::StatusOr<Measurement> m = s.board->Run(ArtifactOf(bare), {});
  REQUIRE(m.ok());
  INFO(m->raw_log);
  REQUIRE(m->status == RunStatus::kOk);
  // The flashed .bin is what ran: flash, then run.
  const std::string calls = ReadFile(s.state + "/calls.log");
  CHECK(Contains(calls, "\"flash\""));
  CHECK(Contains(calls, bare.bin_path));
  CHECK(fs::exists(s.state + "/flash.bin"));

  // The same model built with semihosting, run by the QEMU runner.
  absl::StatusOr<codegen::BuildResult> semi = testing::BuildForBoard("qemu-f746", "pyocd-semi");
  REQUIRE(semi.ok());
  REQUIRE(semi->ok);
  QemuRunOptions q;
  q.machine = "mps2-an500";
  q.runs = 3;
  q.warmup = 1;
  absl::StatusOr<Measurement> ref = RunOnQemu(semi->elf_path, q);
  REQUIRE(ref.ok());
  REQUIRE(ref->status == RunStatus::kOk);
  CHECK(m->output_sha256 == ref->output_sha256);
  CHECK(m->runs == 3);
  CHECK(m->warmup == 1);
  CHECK(m->output_bytes == ref->output_bytes);
  CHECK(m->arena_bytes == ref->arena_bytes);
  CHECK(m->stack_bytes == ref->stack_bytes);
  // QEMU has no DWT: the block says SysTick, and under -icount the ticks
  // of the timed region match the semihosting build's within a tick or two
  // per inference.
  CHECK(Contains(m->counted_by, "SysTick"));
  CHECK(Contains(m->counted_by, "stand-in: qemu-system-arm mps2-an500"));
  CHECK(m->raw_ticks > 0);
  CHECK(std::abs(m->raw_ticks - ref->raw_ticks) <= 2 * 3);
}

TEST_CASE("stand-in: HardFault and hang of a real firmware", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  StandIn s = MakeStandIn("fault");
  absl::StatusOr<Measurement> m =
      s.board->Run(ArtifactOf(BareFirmware("fault", {{"MCUTUNE_STAND_IN_FAULT", "1"}})), {});
  REQUIRE(m.ok());
  INFO(m->raw_log);
  CHECK(m->status == RunStatus::kFault);
  CHECK(Contains(m->error, "cfsr=0x00010000"));  // UNDEFINSTR, as on the semihosting path
  CHECK(!Contains(m->error, "pc=0x00000000"));

  StandIn h = MakeStandIn("hang");
  RunOptions run;
  run.timeout = absl::Seconds(2);
  const absl::Time start = absl::Now();
  m = h.board->Run(ArtifactOf(BareFirmware("hang", {{"MCUTUNE_STAND_IN_HANG", "1"}})), run);
  REQUIRE(m.ok());
  CHECK(m->status == RunStatus::kTimeout);
  CHECK(Contains(m->error, "pc=0x"));
  CHECK(absl::Now() - start < absl::Seconds(10));
}

TEST_CASE("stand-in: a probe that drops off the bus mid-run", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  StandIn s = MakeStandIn("lost", "run:probe_lost");
  absl::StatusOr<Measurement> m = s.board->Run(ArtifactOf(BareFirmware("ok")), {});
  REQUIRE(!m.ok());
  CHECK(m.status().code() == absl::StatusCode::kUnavailable);
  CHECK(Contains(std::string(m.status().message()), "probe_lost"));
  // Gone from the bus: not listed, and the next run cannot find it.
  PyocdBoardOptions o;
  o.bridge_script = kStandIn;
  o.extra_env = {"MCUTUNE_STAND_IN_STATE=" + s.state, "MCUTUNE_STAND_IN_PROBES=STANDIN0001"};
  absl::StatusOr<std::vector<ProbeInfo>> probes = ListPyocdProbes(o);
  REQUIRE(probes.ok());
  CHECK(probes->empty());
  m = s.board->Run(ArtifactOf(BareFirmware("ok")), {});
  CHECK(m.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("stand-in: injected failures map onto the board contract", "[qemu][device_farm]") {
  REQUIRE_QEMU();
  const Artifact a = ArtifactOf(BareFirmware("ok"));
  struct Case {
    std::string fault;
    absl::StatusCode code;
    std::string error;
  };
  for (const Case& c : {Case{"flash:probe_busy", absl::StatusCode::kUnavailable, "probe_busy"},
                        Case{"flash:flash_failed", absl::StatusCode::kUnavailable, "flash_failed"},
                        Case{"run:dp_wait", absl::StatusCode::kUnavailable, "dp_wait"},
                        Case{"run:no_json", absl::StatusCode::kInternal, "no JSON reply"}}) {
    INFO(c.fault);
    StandIn s = MakeStandIn("inject", c.fault);
    absl::StatusOr<Measurement> m = s.board->Run(a, {});
    REQUIRE(!m.ok());
    INFO(m.status().ToString());
    CHECK(m.status().code() == c.code);
    CHECK(Contains(std::string(m.status().message()), c.error));
  }
  // A corrupt block is the firmware's (or the link's) fault: a measurement.
  StandIn g = MakeStandIn("garbage", "run:garbage_block");
  absl::StatusOr<Measurement> m = g.board->Run(a, {});
  REQUIRE(m.ok());
  CHECK(m->status == RunStatus::kBadOutput);
  CHECK(Contains(m->error, "result block"));
  // Busy once, then fine: the retry a scheduler would make succeeds.
  StandIn once = MakeStandIn("once", "run:probe_busy:1");
  CHECK(once.board->Run(a, {}).status().code() == absl::StatusCode::kUnavailable);
  m = once.board->Run(a, {});
  REQUIRE(m.ok());
  CHECK(m->status == RunStatus::kOk);
  // A bridge wedged before any deadline of its own is killed by the board.
  PyocdBoardOptions quick;
  quick.connect_timeout = absl::Milliseconds(500);
  quick.kill_grace = absl::Milliseconds(500);
  StandIn stuck = MakeStandIn("stuck", "flash:hang", quick);
  RunOptions run;
  run.timeout = absl::Seconds(1);
  const absl::Time start = absl::Now();
  absl::StatusOr<Measurement> killed = stuck.board->Run(a, run);
  CHECK(killed.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(Contains(std::string(killed.status().message()), "killed"));
  CHECK(absl::Now() - start < absl::Seconds(6));
}

}  // namespace
}  // namespace mcutune::device_farm
