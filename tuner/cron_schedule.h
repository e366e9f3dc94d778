// CronSchedule: when a nightly sweep (sweep_definition.h) fires, written in
// the five-field cron syntax of crontab(5).
//
//   "0 2 * * *"  ──Parse──► CronSchedule ──Next(after, tz)──► 02:00 tomorrow
//                                         ──Previous(at, tz)──► 02:00 today
//
// Fields, in order (whitespace separated, exactly five):
//   minute 0-59 | hour 0-23 | day of month 1-31 | month 1-12 or JAN-DEC |
//   day of week 0-7 or SUN-SAT (0 and 7 are Sunday)
// Each field is a comma-separated list of items; an item is `*`, `N`, `A-B`,
// optionally followed by `/STEP` (`*/15`, `1-31/2`, `5/10` = 5-max/10).
// Names are case-insensitive and may be range ends (`MON-FRI`). Macros:
// @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
// Day matching follows Vixie cron: when both day fields are restricted (do
// not start with `*`) a day matches if EITHER matches, otherwise both must.
// An expression that can never fire (e.g. "0 0 30 2 *") is rejected.
//
// Times are evaluated in a time zone (absl::TimeZone; sweeps default to
// UTC). In a zone with daylight saving, a time skipped by the spring jump
// fires at the equivalent instant after it and a repeated hour fires once.
//
// Errors: INVALID_ARGUMENT naming the field and the offending text.
// A CronSchedule is an immutable value; thread-safe.
#ifndef MCUTUNE_TUNER_CRON_SCHEDULE_H_
#define MCUTUNE_TUNER_CRON_SCHEDULE_H_

#include <bitset>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace mcutune::tuner {

class CronSchedule {
 public:
  // Matches nothing until assigned from Parse().
  CronSchedule() = default;
  static absl::StatusOr<CronSchedule> Parse(const std::string& expression);

  // The first matching minute strictly after `after`, or InfiniteFuture()
  // when none comes within 50 years (never for a parsed schedule).
  absl::Time Next(absl::Time after, const absl::TimeZone& tz) const;
  // The last matching minute at or before `at`, or InfinitePast() when none
  // lies within 50 years before it.
  absl::Time Previous(absl::Time at, const absl::TimeZone& tz) const;
  // Whether the civil minute matches every field.
  bool Matches(const absl::CivilMinute& minute) const;

  const std::string& expression() const { return expression_; }

 private:
  bool DayMatches(const absl::CivilDay& day) const;

  std::string expression_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace mcutune::tuner

#endif  // MCUTUNE_TUNER_CRON_SCHEDULE_H_
