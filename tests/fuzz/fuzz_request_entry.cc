// FuzzRequestValidators (fuzz_entries.h): the daemon's validation at the
// door, one parser per selector value (RequestMode).
// - Every parser must turn any text or bytes into a value or an error.
// - What passes is checked for the properties its users rely on:
//   * a TuneRequest read from JSON keeps every value it was given (no silent
//     narrowing of out-of-range integers) and survives the store's JSON
//     round trip;
//   * a StartTuning request accepted at the door (proto or HTTP JSON) is
//     stored as JSON and re-read when the job resumes: that must give the
//     same request, still valid; the proto round trip must too;
//   * a sweep definition's canonical JSON (stored with every run) parses
//     back to the same definition, and every item is a valid request;
//   * a daemon config satisfies the rules it was checked against;
//   * a parsed cron schedule fires within its search horizon, after the
//     given time, on a matching minute.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/daemon/daemon_config.h"
#include "server/daemon/proto_convert.h"
#include "tests/fuzz/fuzz_entries.h"
#include "tuner/cron_schedule.h"
#include "tuner/space/board.h"
#include "tuner/sweep_definition.h"
#include "tuner/tune_request.h"

namespace mcutune::fuzz {
namespace {

using Json = nlohmann::json;
namespace pb = ::mcutune::v1;

absl::Status Broken(const std::string& what) {
  return absl::InternalError(absl::StrCat("request invariant: ", what));
}

// The product's own INTERNAL is a bug as well; other errors pass through.
absl::Status Rejected(const absl::Status& s, const char* where) {
  if (s.code() == absl::StatusCode::kInternal) {
    return Broken(absl::StrCat(where, ": ", s.ToString()));
  }
  return s;
}

absl::StatusOr<const std::vector<space::BoardSpec>*> Catalogue() {
  static const auto* const catalogue =
      new absl::StatusOr<std::vector<space::BoardSpec>>(
          space::LoadBoardCatalogue());
  if (!catalogue->ok()) {
    return Broken(absl::StrCat("cannot load the board catalogue: ",
                               catalogue->status().ToString()));
  }
  return &**catalogue;
}

bool SameRequest(const tuner::TuneRequest& a, const tuner::TuneRequest& b) {
  return a.model_id == b.model_id && a.board_kinds == b.board_kinds &&
         a.sram_budget_bytes == b.sram_budget_bytes &&
         a.flash_budget_bytes == b.flash_budget_bytes &&
         a.allow_external_memory == b.allow_external_memory &&
         a.max_n_patch == b.max_n_patch && a.objectives == b.objectives &&
         a.measurement_budget == b.measurement_budget && a.seed == b.seed &&
         a.batch_size == b.batch_size &&
         a.runs_per_measurement == b.runs_per_measurement &&
         a.label == b.label && a.priority == b.priority;
}

// The store keeps a job's request as JSON and parses it on resume.
absl::Status CheckStoreRoundTrip(const tuner::TuneRequest& r,
                                 const std::vector<space::BoardSpec>& boards,
                                 bool validated) {
  absl::StatusOr<tuner::TuneRequest> back =
      tuner::TuneRequestFromJson(tuner::TuneRequestToJson(r));
  if (!back.ok()) {
    return Broken(absl::StrCat("request JSON does not parse back: ",
                               back.status().ToString()));
  }
  if (!SameRequest(r, *back)) return Broken("request JSON round trip differs");
  if (validated) {
    if (absl::Status s = tuner::ValidateTuneRequest(boards, &*back); !s.ok()) {
      return Broken(
          absl::StrCat("a valid request is invalid after the JSON "
                       "round trip: ",
                       s.ToString()));
    }
    if (!SameRequest(r, *back)) return Broken("revalidation changed it");
  }
  return absl::OkStatus();
}

absl::Status TuneRequestJson(const std::string& text) {
  absl::StatusOr<const std::vector<space::BoardSpec>*> boards = Catalogue();
  if (!boards.ok()) return boards.status();
  absl::StatusOr<tuner::TuneRequest> r = tuner::TuneRequestFromJson(text);
  if (!r.ok()) return Rejected(r.status(), "TuneRequestFromJson");
  // Every field that was read keeps the value it had in the text.
  const Json in = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  const Json out = Json::parse(tuner::TuneRequestToJson(*r));
  for (auto it = out.begin(); it != out.end(); ++it) {
    // Text, not json ==: that equates -1 with 2^64 - 1.
    if (in.contains(it.key()) && in[it.key()].dump() != it.value().dump()) {
      return Broken(absl::StrCat("field '", it.key(), "' read as ",
                                 it.value().dump(), " from ",
                                 in[it.key()].dump()));
    }
  }
  if (absl::Status s = CheckStoreRoundTrip(*r, **boards, false); !s.ok()) {
    return s;
  }
  if (absl::Status s = tuner::ValidateTuneRequest(**boards, &*r); !s.ok()) {
    return Rejected(s, "ValidateTuneRequest");
  }
  return CheckStoreRoundTrip(*r, **boards, true);
}

// StartTuning as tuning_core.cc does it, then what happens to the request.
absl::Status StartTuning(const pb::StartTuningRequest& in) {
  absl::StatusOr<const std::vector<space::BoardSpec>*> boards = Catalogue();
  if (!boards.ok()) return boards.status();
  absl::StatusOr<tuner::TuneRequest> r = server::FromProto(in);
  if (!r.ok()) return Rejected(r.status(), "FromProto");
  if (absl::Status s = tuner::ValidateTuneRequest(**boards, &*r); !s.ok()) {
    return Rejected(s, "ValidateTuneRequest");
  }
  if (r->objectives.empty()) return Broken("validation left no objective");
  if (absl::Status s = CheckStoreRoundTrip(*r, **boards, true); !s.ok()) {
    return s;
  }
  absl::StatusOr<tuner::TuneRequest> again =
      server::FromProto(server::ToProto(*r));
  if (!again.ok() || !SameRequest(*r, *again)) {
    return Broken("StartTuningRequest proto round trip differs");
  }
  return absl::OkStatus();
}

absl::Status StartTuningProto(const std::string& bytes) {
  pb::StartTuningRequest in;
  if (!in.ParseFromString(bytes)) {
    return absl::InvalidArgumentError("not a StartTuningRequest");
  }
  return StartTuning(in);
}

absl::Status StartTuningJson(const std::string& text) {
  // As the HTTP API's ParseBody (server/daemon/http_api.cc).
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  pb::StartTuningRequest in;
  if (!google::protobuf::util::JsonStringToMessage(text, &in, options).ok()) {
    return absl::InvalidArgumentError("request body is not a StartTuning");
  }
  return StartTuning(in);
}

absl::Status SweepDefinitionText(const std::string& text) {
  absl::StatusOr<const std::vector<space::BoardSpec>*> boards = Catalogue();
  if (!boards.ok()) return boards.status();
  // Relative model files resolve to a directory that does not exist.
  const std::string base_dir = "/nonexistent/mcutune-fuzz";
  absl::StatusOr<tuner::SweepDefinition> d = tuner::ParseSweepDefinition(
      text, "fuzz.json", base_dir, "fuzz", **boards);
  if (!d.ok()) return Rejected(d.status(), "ParseSweepDefinition");
  // The zone is loaded by name from the zoneinfo tree, never from a path.
  const std::string& tz = d->timezone;
  if (tz.empty() || tz[0] == '/' || tz == ".." || tz.find("../") == 0 ||
      tz.find("/../") != std::string::npos ||
      (tz.size() >= 3 && tz.compare(tz.size() - 3, 3, "/..") == 0)) {
    return Broken(absl::StrCat("time zone '", tz, "' is a path"));
  }
  const std::vector<tuner::SweepItem> items = tuner::Items(*d);
  if (items.empty() || items.size() > tuner::kMaxSweepItems) {
    return Broken(absl::StrCat(items.size(), " sweep items"));
  }
  for (const tuner::SweepItem& item : items) {
    tuner::TuneRequest r = tuner::ItemRequest(*d, item, std::string(64, 'a'));
    if (absl::Status s = tuner::ValidateTuneRequest(**boards, &r); !s.ok()) {
      return Broken(absl::StrCat("item ", item.key, ": ", s.ToString()));
    }
  }
  const absl::Time t0 =
      absl::FromCivil(absl::CivilMinute(2024, 3, 31, 0, 30), d->tz);
  const absl::Time next = d->cron.Next(t0, d->tz);
  if (next == absl::InfiniteFuture() || next <= t0) {
    return Broken("a parsed sweep schedule does not fire");
  }
  const std::string canonical = tuner::SweepDefinitionToJson(*d);
  absl::StatusOr<tuner::SweepDefinition> back = tuner::ParseSweepDefinition(
      canonical, "canonical.json", base_dir, "other", **boards);
  if (!back.ok()) {
    return Broken(absl::StrCat("canonical sweep JSON does not parse: ",
                               back.status().ToString()));
  }
  if (tuner::SweepDefinitionToJson(*back) != canonical) {
    return Broken("canonical sweep JSON round trip differs");
  }
  return absl::OkStatus();
}

absl::Status DaemonConfigText(const std::string& text) {
  absl::StatusOr<server::DaemonConfig> c =
      server::ParseDaemonConfig(text, "fuzz.json");
  if (!c.ok()) return Rejected(c.status(), "ParseDaemonConfig");
  if (!server::ValidateListenAddress(c->listen, "listen").ok() ||
      c->data_dir.empty() || c->agents.heartbeat_s >= c->agents.lease_s ||
      c->limits.max_concurrent_jobs < 1 || c->tuning.explore_fraction < 0 ||
      c->tuning.explore_fraction > 1) {
    return Broken("an accepted daemon config breaks its own rules");
  }
  return absl::OkStatus();
}

absl::Status CronText(const std::string& text) {
  absl::StatusOr<tuner::CronSchedule> c = tuner::CronSchedule::Parse(text);
  if (!c.ok()) return Rejected(c.status(), "CronSchedule::Parse");
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time t0 =
      absl::FromCivil(absl::CivilMinute(2024, 3, 31, 0, 30), utc);
  const absl::Time next = c->Next(t0, utc);
  if (next == absl::InfiniteFuture() || next <= t0 ||
      !c->Matches(absl::ToCivilMinute(next, utc))) {
    return Broken("Next() of a parsed schedule");
  }
  const absl::Time prev = c->Previous(t0, utc);
  if (prev == absl::InfinitePast() || prev > t0 ||
      !c->Matches(absl::ToCivilMinute(prev, utc))) {
    return Broken("Previous() of a parsed schedule");
  }
  // A zone with daylight saving (the search must stay bounded there too).
  absl::TimeZone berlin;
  if (absl::LoadTimeZone("Europe/Berlin", &berlin)) {
    const absl::Time n = c->Next(t0, berlin);
    if (n == absl::InfiniteFuture() || n <= t0) {
      return Broken("Next() in Europe/Berlin");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string WithMode(RequestMode mode, const std::string& payload) {
  return std::string(1, static_cast<char>(mode)) + payload;
}

absl::Status FuzzRequestValidators(const uint8_t* data, size_t size) {
  // protobuf logs every invalid UTF-8 string it rejects; the status is enough.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*,
                                       int, const std::string&) {});
    return true;
  }();
  (void)quiet;
  if (size == 0) return absl::InvalidArgumentError("empty input");
  const auto mode = static_cast<RequestMode>(data[0] % kRequestModes);
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (mode) {
    case RequestMode::kTuneRequestJson:
      return TuneRequestJson(rest);
    case RequestMode::kSweepDefinition:
      return SweepDefinitionText(rest);
    case RequestMode::kDaemonConfig:
      return DaemonConfigText(rest);
    case RequestMode::kStartTuningProto:
      return StartTuningProto(rest);
    case RequestMode::kStartTuningJson:
      return StartTuningJson(rest);
    case RequestMode::kCronSchedule:
      return CronText(rest);
  }
  return Broken("unknown mode");
}

}  // namespace mcutune::fuzz
