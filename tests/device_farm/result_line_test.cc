// ParseResultLine: board output is untrusted; every malformed line is
// rejected with INVALID_ARGUMENT, a missing one is NOT_FOUND.
#include "device_farm/result_line.h"

#include <catch2/catch.hpp>

namespace mcutune::device_farm {
namespace {

const std::string kHash(64, 'a');

std::string Line(const std::string& override_fields = "") {
  return "MCUTUNE_RESULT {\"v\":1,\"status\":\"ok\",\"timer\":\"systick\",\"ticks\":1000,"
         "\"runs\":2,\"warmup\":1,\"stack_high_water_bytes\":600,\"stack_bytes\":8192,"
         "\"arena_bytes\":272,\"input_bytes\":256,\"output_bytes\":16,\"flash_bytes\":5000,"
         "\"ram_bytes\":9000,\"output_sha256\":\"" + kHash + "\"" + override_fields + "}\n";
}

TEST_CASE("parses a well-formed line among other output", "[device_farm]") {
  absl::StatusOr<HarnessReport> r = ParseResultLine("boot\n" + Line() + "bye\n");
  REQUIRE(r.ok());
  CHECK(r->status == RunStatus::kOk);
  CHECK(r->timer == "systick");
  CHECK(r->ticks == 1000);
  CHECK(r->runs == 2);
  CHECK(r->warmup == 1);
  CHECK(r->stack_high_water_bytes == 600);
  CHECK(r->arena_bytes == 272);
  CHECK(r->output_sha256 == kHash);
}

TEST_CASE("the last line wins, a prefix inside a line does not count", "[device_farm]") {
  const std::string second = Line(",\"ticks\":5");  // duplicate key: last value
  absl::StatusOr<HarnessReport> r = ParseResultLine(Line() + second);
  REQUIRE(r.ok());
  CHECK(r->ticks == 5);
  CHECK(ParseResultLine("noise MCUTUNE_RESULT {}\n").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("fault lines carry the registers", "[device_farm]") {
  absl::StatusOr<HarnessReport> r = ParseResultLine(
      "MCUTUNE_RESULT {\"v\":1,\"status\":\"fault\",\"exception\":3,\"pc\":\"0x000001a2\","
      "\"cfsr\":\"0x00010000\",\"hfsr\":\"0x40000000\"}\n");
  REQUIRE(r.ok());
  CHECK(r->status == RunStatus::kFault);
  CHECK(r->error == "fault: pc=0x000001a2 cfsr=0x00010000 hfsr=0x40000000 exception=3");
}

TEST_CASE("malformed lines are rejected", "[device_farm]") {
  CHECK(ParseResultLine("").status().code() == absl::StatusCode::kNotFound);
  const std::vector<std::string> bad = {
      "MCUTUNE_RESULT {\"v\":1,\"status\":\"ok\"\n",                   // truncated JSON
      "MCUTUNE_RESULT [1,2]\n",                                       // not an object
      "MCUTUNE_RESULT {\"v\":2,\"status\":\"ok\"}\n",                 // unknown version
      Line(",\"status\":\"great\""),                                   // unknown status
      Line(",\"timer\":\"sundial\""),                                  // unknown timer
      Line(",\"ticks\":-1"),                                           // negative
      Line(",\"ticks\":1.5"),                                          // not an integer
      Line(",\"ticks\":\"7\""),                                        // a string
      Line(",\"ticks\":18446744073709551615"),                         // beyond 2^53
      Line(",\"runs\":0"),                                             // no runs
      Line(",\"output_sha256\":\"xyz\""),                              // bad hash
      Line(",\"output_sha256\":\"" + std::string(64, 'A') + "\""),    // uppercase
      Line(",\"stack_high_water_bytes\":9000"),                        // above stack
  };
  for (const std::string& line : bad) {
    INFO(line);
    CHECK(ParseResultLine(line).status().code() == absl::StatusCode::kInvalidArgument);
  }
  // A line missing a field.
  std::string missing = Line();
  missing.erase(missing.find("\"arena_bytes\":272,"), 18);
  CHECK(ParseResultLine(missing).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcutune::device_farm
