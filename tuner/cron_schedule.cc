// Cron expressions (cron_schedule.h).
// - Parsing: macros are expanded first; each field's items fill a bitset;
//   every number is checked against the field's bounds, every range for
//   order, every step for > 0. Day-of-week 7 folds onto 0 (Sunday).
// - Next/Previous walk civil time in the schedule's zone, skipping whole
//   months, days and hours that cannot match before stepping by minutes, so
//   a search costs at most a few thousand steps per year searched.
#include "tuner/cron_schedule.h"

#include <cctype>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mcutune::tuner {
namespace {

// How far Next/Previous look (a Feb-29-on-a-Monday schedule fires every 28
// years at worst).
constexpr int kSearchYears = 50;

struct FieldSpec {
  const char* name;
  int lo, hi;
  const char* const* names;  // names[i] is value lo + i (nullptr = none)
  int name_count;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR",
                                       "MAY", "JUN", "JUL", "AUG",
                                       "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED",
                                     "THU", "FRI", "SAT"};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, nullptr, 0},       {"hour", 0, 23, nullptr, 0},
    {"day of month", 1, 31, nullptr, 0}, {"month", 1, 12, kMonthNames, 12},
    {"day of week", 0, 7, kDayNames, 7},
};

absl::Status FieldError(const FieldSpec& f, const std::string& text,
                        const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("cron ", f.name, " field '", text, "': ", why, " (", f.lo,
                   "-", f.hi, f.names != nullptr ? " or names" : "", ")"));
}

absl::StatusOr<int> ParseValue(const FieldSpec& f, const std::string& whole,
                               const std::string& token) {
  if (token.empty()) return FieldError(f, whole, "empty value");
  if (std::isdigit(static_cast<unsigned char>(token[0]))) {
    int v = 0;
    if (token.size() > 3 || !absl::SimpleAtoi(token, &v)) {
      return FieldError(f, whole,
                        absl::StrCat("'", token, "' is not a number"));
    }
    if (v < f.lo || v > f.hi) {
      return FieldError(f, whole, absl::StrCat(v, " is out of range"));
    }
    return v;
  }
  const std::string upper = absl::AsciiStrToUpper(token);
  for (int i = 0; i < f.name_count; ++i) {
    if (upper == f.names[i]) return f.names == kMonthNames ? i + 1 : i;
  }
  return FieldError(f, whole, absl::StrCat("unknown value '", token, "'"));
}

// Fills `bits` (indexed by value) from one field's text.
absl::Status ParseField(const FieldSpec& f, const std::string& text,
                        std::vector<bool>* bits) {
  bits->assign(f.hi + 1, false);
  if (text.empty()) return FieldError(f, text, "empty field");
  for (const absl::string_view item_view : absl::StrSplit(text, ',')) {
    const std::string item(item_view);
    std::string range = item;
    int step = 1;
    const size_t slash = item.find('/');
    if (slash != std::string::npos) {
      range = item.substr(0, slash);
      const std::string s = item.substr(slash + 1);
      if (s.empty() || s.size() > 3 || !absl::SimpleAtoi(s, &step) ||
          step < 1 || step > f.hi) {
        return FieldError(f, text, absl::StrCat("bad step '", s, "'"));
      }
    }
    int lo = f.lo, hi = f.hi;
    if (range == "*") {
      // full range
    } else {
      const size_t dash = range.find('-');
      if (dash == std::string::npos) {
        absl::StatusOr<int> v = ParseValue(f, text, range);
        if (!v.ok()) return v.status();
        lo = *v;
        // "N/S" runs from N to the end of the field; plain "N" is one value.
        hi = slash == std::string::npos ? *v : f.hi;
      } else {
        absl::StatusOr<int> a = ParseValue(f, text, range.substr(0, dash));
        if (!a.ok()) return a.status();
        absl::StatusOr<int> b = ParseValue(f, text, range.substr(dash + 1));
        if (!b.ok()) return b.status();
        if (*a > *b) {
          return FieldError(
              f, text, absl::StrCat("range ", *a, "-", *b, " is reversed"));
        }
        lo = *a;
        hi = *b;
      }
    }
    for (int v = lo; v <= hi; v += step) (*bits)[v] = true;
  }
  return absl::OkStatus();
}

std::string ExpandMacro(const std::string& e) {
  const std::string m = absl::AsciiStrToLower(e);
  if (m == "@yearly" || m == "@annually") return "0 0 1 1 *";
  if (m == "@monthly") return "0 0 1 * *";
  if (m == "@weekly") return "0 0 * * 0";
  if (m == "@daily" || m == "@midnight") return "0 0 * * *";
  if (m == "@hourly") return "0 * * * *";
  return "";
}

int WeekdayIndex(const absl::CivilDay& d) {
  switch (absl::GetWeekday(d)) {
    case absl::Weekday::sunday:
      return 0;
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
  }
  return 0;
}

}  // namespace

absl::StatusOr<CronSchedule> CronSchedule::Parse(
    const std::string& expression) {
  if (expression.size() > 256) {
    return absl::InvalidArgumentError(
        "cron expression longer than 256 characters");
  }
  std::string text(absl::StripAsciiWhitespace(expression));
  if (!text.empty() && text[0] == '@') {
    const std::string expanded = ExpandMacro(text);
    if (expanded.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cron macro '", text,
          "' is not one of @yearly, @annually, @monthly, @weekly, @daily, "
          "@midnight, @hourly"));
    }
    text = expanded;
  }
  const std::vector<std::string> fields =
      absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron expression '", expression, "' has ", fields.size(),
        " fields; expected 5 (minute hour day-of-month month day-of-week)"));
  }
  CronSchedule c;
  c.expression_ = std::string(absl::StripAsciiWhitespace(expression));
  std::vector<bool> bits;
  for (int i = 0; i < 5; ++i) {
    if (absl::Status s = ParseField(kFields[i], fields[i], &bits); !s.ok()) {
      return s;
    }
    for (int v = kFields[i].lo; v <= kFields[i].hi; ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0:
          c.minutes_.set(v);
          break;
        case 1:
          c.hours_.set(v);
          break;
        case 2:
          c.days_.set(v);
          break;
        case 3:
          c.months_.set(v);
          break;
        case 4:
          c.weekdays_.set(v % 7);
          break;
      }
    }
  }
  c.days_restricted_ = fields[2][0] != '*';
  c.weekdays_restricted_ = fields[4][0] != '*';
  // A schedule that never fires (30 February) is a mistake, not a schedule.
  if (c.Next(
          absl::FromCivil(absl::CivilMinute(2000, 1, 1), absl::UTCTimeZone()),
          absl::UTCTimeZone()) == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron expression '", expression, "' never fires (no such date)"));
  }
  return c;
}

bool CronSchedule::DayMatches(const absl::CivilDay& d) const {
  const bool dom = days_.test(d.day());
  const bool dow = weekdays_.test(WeekdayIndex(d));
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  return dom && dow;
}

bool CronSchedule::Matches(const absl::CivilMinute& m) const {
  return months_.test(m.month()) && DayMatches(absl::CivilDay(m)) &&
         hours_.test(m.hour()) && minutes_.test(m.minute());
}

absl::Time CronSchedule::Next(absl::Time after,
                              const absl::TimeZone& tz) const {
  if (after == absl::InfiniteFuture()) return after;
  absl::CivilMinute t = absl::ToCivilMinute(after, tz) + 1;
  const absl::CivilMinute limit = t + 60 * 24 * 366 * kSearchYears;
  while (t < limit) {
    if (!months_.test(t.month())) {
      t = absl::CivilMinute(absl::CivilMonth(t) + 1);
    } else if (!DayMatches(absl::CivilDay(t))) {
      t = absl::CivilMinute(absl::CivilDay(t) + 1);
    } else if (!hours_.test(t.hour())) {
      t = absl::CivilMinute(absl::CivilHour(t) + 1);
    } else if (!minutes_.test(t.minute())) {
      t += 1;
    } else {
      const absl::Time at = absl::FromCivil(t, tz);
      if (at > after) return at;
      t += 1;  // a civil minute that maps before `after` (repeated hour)
    }
  }
  return absl::InfiniteFuture();
}

absl::Time CronSchedule::Previous(absl::Time at,
                                  const absl::TimeZone& tz) const {
  if (at == absl::InfinitePast()) return at;
  absl::CivilMinute t = absl::ToCivilMinute(at, tz);
  const absl::CivilMinute limit = t - 60 * 24 * 366 * kSearchYears;
  while (t > limit) {
    if (!months_.test(t.month())) {
      t = absl::CivilMinute(absl::CivilMonth(t)) - 1;
    } else if (!DayMatches(absl::CivilDay(t))) {
      t = absl::CivilMinute(absl::CivilDay(t)) - 1;
    } else if (!hours_.test(t.hour())) {
      t = absl::CivilMinute(absl::CivilHour(t)) - 1;
    } else if (!minutes_.test(t.minute())) {
      t -= 1;
    } else {
      const absl::Time when = absl::FromCivil(t, tz);
      if (when <= at) return when;
      t -= 1;  // skipped civil time mapped after `at`
    }
  }
  return absl::InfinitePast();
}

}  // namespace mcutune::tuner
