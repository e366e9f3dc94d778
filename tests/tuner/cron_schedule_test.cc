// Cron expressions: parsing (fields, ranges, lists, steps, names, macros,
// errors), the Vixie day rule, Next/Previous on hand-computed calendars, time
// zones, and Next/Previous against a minute-by-minute scan of random
// expressions (the skipping search must never jump over a match).
#include "tuner/cron_schedule.h"

#include <catch2/catch.hpp>
#include <random>

namespace mcutune::tuner {
namespace {

absl::Time Utc(int y, int mo, int d, int h, int mi, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

absl::Time NextUtc(const std::string& expr, absl::Time after) {
  absl::StatusOr<CronSchedule> c = CronSchedule::Parse(expr);
  INFO(expr << ": " << c.status().message());
  REQUIRE(c.ok());
  return c->Next(after, absl::UTCTimeZone());
}

TEST_CASE("cron: the next slot of common schedules") {
  // Strictly after: exactly 02:00 goes to tomorrow.
  CHECK(NextUtc("0 2 * * *", Utc(2025, 1, 1, 2, 0)) == Utc(2025, 1, 2, 2, 0));
  CHECK(NextUtc("0 2 * * *", Utc(2025, 1, 1, 1, 59, 59)) ==
        Utc(2025, 1, 1, 2, 0));
  CHECK(NextUtc("0 2 * * *", Utc(2025, 12, 31, 3, 0)) == Utc(2026, 1, 1, 2, 0));
  CHECK(NextUtc("*/15 * * * *", Utc(2025, 1, 1, 10, 7)) ==
        Utc(2025, 1, 1, 10, 15));
  CHECK(NextUtc("*/15 * * * *", Utc(2025, 1, 1, 10, 45)) ==
        Utc(2025, 1, 1, 11, 0));
  // 2025-01-03 is a Friday; hours 9, 11, 13, 15, 17 on weekdays.
  CHECK(NextUtc("0 9-17/2 * * MON-FRI", Utc(2025, 1, 3, 17, 30)) ==
        Utc(2025, 1, 6, 9, 0));
  CHECK(NextUtc("0 9-17/2 * * mon-fri", Utc(2025, 1, 6, 9, 0)) ==
        Utc(2025, 1, 6, 11, 0));
  // Leap day: the next 29 February after 2025 is in 2028.
  CHECK(NextUtc("0 0 29 2 *", Utc(2025, 1, 1, 0, 0)) == Utc(2028, 2, 29, 0, 0));
  // Month names, lists; "5/20" = 5, 25, 45.
  CHECK(NextUtc("30 4 1 JAN,jul *", Utc(2025, 1, 2, 0, 0)) ==
        Utc(2025, 7, 1, 4, 30));
  CHECK(NextUtc("5/20 * * * *", Utc(2025, 1, 1, 0, 26)) ==
        Utc(2025, 1, 1, 0, 45));
  CHECK(NextUtc("5/20 * * * *", Utc(2025, 1, 1, 0, 45)) ==
        Utc(2025, 1, 1, 1, 5));
  // Day of week 7 is Sunday (2025-01-05).
  CHECK(NextUtc("0 12 * * 7", Utc(2025, 1, 1, 0, 0)) == Utc(2025, 1, 5, 12, 0));
  CHECK(NextUtc("0 12 * * 0", Utc(2025, 1, 1, 0, 0)) == Utc(2025, 1, 5, 12, 0));
  // A single list mixing ranges, steps and values.
  CHECK(NextUtc("0,10-12,50-59/5 * * * *", Utc(2025, 1, 1, 0, 12)) ==
        Utc(2025, 1, 1, 0, 50));
}

TEST_CASE("cron: both day fields restricted means either matches (Vixie)") {
  // 1st and 15th, or any Sunday: 2025-01-01 is a Wednesday.
  const std::string e = "0 0 1,15 * SUN";
  CHECK(NextUtc(e, Utc(2025, 1, 1, 0, 0)) == Utc(2025, 1, 5, 0, 0));
  CHECK(NextUtc(e, Utc(2025, 1, 5, 0, 0)) == Utc(2025, 1, 12, 0, 0));
  CHECK(NextUtc(e, Utc(2025, 1, 12, 0, 0)) == Utc(2025, 1, 15, 0, 0));
  // With "*" in the day-of-week field only day-of-month counts.
  CHECK(NextUtc("0 0 15 * *", Utc(2025, 1, 1, 0, 0)) == Utc(2025, 1, 15, 0, 0));
  // A star-with-step day of month is unrestricted: day of week decides.
  CHECK(NextUtc("0 0 */1 * FRI", Utc(2025, 1, 1, 0, 0)) ==
        Utc(2025, 1, 3, 0, 0));
}

TEST_CASE("cron: macros") {
  const absl::Time t = Utc(2025, 3, 14, 10, 20);
  for (auto [macro, expr] : std::vector<std::pair<std::string, std::string>>{
           {"@yearly", "0 0 1 1 *"},
           {"@annually", "0 0 1 1 *"},
           {"@monthly", "0 0 1 * *"},
           {"@weekly", "0 0 * * 0"},
           {"@daily", "0 0 * * *"},
           {"@midnight", "0 0 * * *"},
           {"@HOURLY", "0 * * * *"}}) {
    CHECK(NextUtc(macro, t) == NextUtc(expr, t));
  }
  CHECK(NextUtc("@weekly", t) == Utc(2025, 3, 16, 0, 0));  // a Sunday
}

TEST_CASE("cron: the previous slot") {
  const CronSchedule c = *CronSchedule::Parse("0 2 * * *");
  const absl::TimeZone utc = absl::UTCTimeZone();
  CHECK(c.Previous(Utc(2025, 1, 2, 1, 0), utc) == Utc(2025, 1, 1, 2, 0));
  CHECK(c.Previous(Utc(2025, 1, 2, 2, 0), utc) == Utc(2025, 1, 2, 2, 0));
  CHECK(c.Previous(Utc(2025, 3, 1, 1, 0), utc) == Utc(2025, 2, 28, 2, 0));
  const CronSchedule leap = *CronSchedule::Parse("0 0 29 2 *");
  CHECK(leap.Previous(Utc(2027, 6, 1, 0, 0), utc) == Utc(2024, 2, 29, 0, 0));
  const CronSchedule weekdays = *CronSchedule::Parse("30 8 * * 1-5");
  // Sunday 2025-01-05 -> Friday 2025-01-03 08:30.
  CHECK(weekdays.Previous(Utc(2025, 1, 5, 12, 0), utc) ==
        Utc(2025, 1, 3, 8, 30));
}

TEST_CASE("cron: time zones") {
  absl::TimeZone ny;
  if (!absl::LoadTimeZone("America/New_York", &ny)) {
    WARN("no tzdata for America/New_York: skipped");
    return;
  }
  const CronSchedule c = *CronSchedule::Parse("0 2 * * *");
  // 02:00 EST is 07:00 UTC; in July (EDT) 06:00 UTC.
  CHECK(c.Next(Utc(2025, 1, 1, 0, 0), ny) == Utc(2025, 1, 1, 7, 0));
  CHECK(c.Next(Utc(2025, 7, 1, 0, 0), ny) == Utc(2025, 7, 1, 6, 0));
  // 9 March 2025: 02:00 does not exist in New York; the slot still fires
  // once that day (at the instant 02:00 EST would have been).
  const absl::Time spring = c.Next(Utc(2025, 3, 9, 0, 0), ny);
  CHECK(spring == Utc(2025, 3, 9, 7, 0));
  CHECK(c.Next(spring, ny) == Utc(2025, 3, 10, 6, 0));
  // 2 November 2025: 01:30 happens twice; it fires once.
  const CronSchedule half = *CronSchedule::Parse("30 1 * * *");
  const absl::Time first = half.Next(Utc(2025, 11, 2, 0, 0), ny);
  CHECK(first == Utc(2025, 11, 2, 5, 30));
  CHECK(half.Next(first, ny) == Utc(2025, 11, 3, 6, 30));
}

TEST_CASE("cron: bad expressions are rejected with the field named") {
  struct Bad {
    std::string expr, needle;
  };
  for (const Bad& b : std::vector<Bad>{
           {"", "0 fields"},
           {"* * * *", "4 fields"},
           {"* * * * * *", "6 fields"},
           {"60 * * * *", "minute"},
           {"* 24 * * *", "hour"},
           {"* * 0 * *", "day of month"},
           {"* * 32 * *", "day of month"},
           {"* * * 13 *", "month"},
           {"* * * 0 *", "month"},
           {"* * * * 8", "day of week"},
           {"5-1 * * * *", "reversed"},
           {"*/0 * * * *", "bad step"},
           {"*/60 * * * *", "bad step"},
           {"*/x * * * *", "bad step"},
           {"a * * * *", "unknown value"},
           {"1,,2 * * * *", "empty value"},
           {"1- * * * *", "empty value"},
           {"* * * FOO *", "unknown value"},
           {"* * * * FRIDAY", "unknown value"},
           {"* * * * JAN", "unknown value"},
           {"-5 * * * *", "empty value"},
           {"1000 * * * *", "not a number"},
           {"@reboot", "macro"},
           {"0 0 30 2 *", "never fires"},
           {"0 0 31 4,6,9,11 *", "never fires"},
       }) {
    absl::StatusOr<CronSchedule> c = CronSchedule::Parse(b.expr);
    INFO("'" << b.expr << "' -> " << c.status().message());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(c.status().message()).find(b.needle) !=
          std::string::npos);
  }
  // Never-firing day of month but a weekday too: fires on that weekday.
  CHECK(CronSchedule::Parse("0 0 30 2 MON").ok());
}

// Random expressions against a minute-by-minute scan with Matches().
TEST_CASE("cron: Next and Previous never skip a match (random expressions)") {
  std::mt19937 rng(20240601);
  auto field = [&](int lo, int hi) -> std::string {
    switch (rng() % 5) {
      case 0:
        return "*";
      case 1:
        return std::to_string(lo + static_cast<int>(rng() % (hi - lo + 1)));
      case 2: {
        int a = lo + static_cast<int>(rng() % (hi - lo + 1));
        int b = lo + static_cast<int>(rng() % (hi - lo + 1));
        if (a > b) std::swap(a, b);
        return std::to_string(a) + "-" + std::to_string(b);
      }
      case 3:
        return "*/" + std::to_string(1 + rng() % 7);
      default: {
        int a = lo + static_cast<int>(rng() % (hi - lo + 1));
        int b = lo + static_cast<int>(rng() % (hi - lo + 1));
        return std::to_string(a) + "," + std::to_string(b);
      }
    }
  };
  const absl::TimeZone utc = absl::UTCTimeZone();
  int checked = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string e = field(0, 59) + " " + field(0, 23) + " " +
                          field(1, 28) + " " + field(1, 12) + " " + field(0, 6);
    absl::StatusOr<CronSchedule> c = CronSchedule::Parse(e);
    INFO(e);
    REQUIRE(c.ok());
    const absl::Time start =
        Utc(2025, 1 + static_cast<int>(rng() % 12),
            1 + static_cast<int>(rng() % 28), static_cast<int>(rng() % 24),
            static_cast<int>(rng() % 60), 17);
    // Scan up to 40 days forward and backward.
    const int kMinutes = 40 * 24 * 60;
    absl::CivilMinute m = absl::ToCivilMinute(start, utc) + 1;
    absl::Time expected_next = absl::InfiniteFuture();
    for (int k = 0; k < kMinutes; ++k, m += 1) {
      if (c->Matches(m)) {
        expected_next = absl::FromCivil(m, utc);
        break;
      }
    }
    const absl::Time next = c->Next(start, utc);
    if (expected_next != absl::InfiniteFuture()) {
      CHECK(next == expected_next);
      ++checked;
    } else {
      CHECK(next > start + absl::Hours(24 * 40));
    }
    absl::CivilMinute b = absl::ToCivilMinute(start, utc);
    absl::Time expected_prev = absl::InfinitePast();
    for (int k = 0; k < kMinutes; ++k, b -= 1) {
      if (c->Matches(b)) {
        expected_prev = absl::FromCivil(b, utc);
        break;
      }
    }
    const absl::Time prev = c->Previous(start, utc);
    if (expected_prev != absl::InfinitePast()) {
      CHECK(prev == expected_prev);
    } else {
      CHECK(prev < start - absl::Hours(24 * 40));
    }
    // Matches agrees with the hand definition on a few fields.
    if (next != absl::InfiniteFuture()) {
      CHECK(c->Matches(absl::ToCivilMinute(next, utc)));
    }
  }
  CHECK(checked > 20);
}

TEST_CASE("cron: Matches follows the fields") {
  const CronSchedule c = *CronSchedule::Parse("15 3 * 6 TUE");
  CHECK(c.Matches(absl::CivilMinute(2025, 6, 3, 3, 15)));  // a Tuesday
  CHECK_FALSE(c.Matches(absl::CivilMinute(2025, 6, 4, 3, 15)));
  CHECK_FALSE(c.Matches(absl::CivilMinute(2025, 6, 3, 3, 16)));
  CHECK_FALSE(c.Matches(absl::CivilMinute(2025, 7, 1, 3, 15)));  // July
  CHECK(c.expression() == "15 3 * 6 TUE");
}

}  // namespace
}  // namespace mcutune::tuner
