// Helpers shared by the FarmStore implementation files (farm_store*.cc);
// not part of the module's interface.
#ifndef MCUTUNE_DEVICE_FARM_FARM_STORE_INTERNAL_H_
#define MCUTUNE_DEVICE_FARM_FARM_STORE_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/sqlite.h"

#define FARM_RETURN_IF_ERROR(expr)          \
  do {                                      \
    if (absl::Status _s = (expr); !_s.ok()) \
      return _s;                            \
  } while (0)

#define FARM_CONCAT_INNER(a, b) a##b
#define FARM_CONCAT(a, b) FARM_CONCAT_INNER(a, b)
#define FARM_ASSIGN_OR_RETURN(lhs, expr) \
  FARM_ASSIGN_OR_RETURN_IMPL(FARM_CONCAT(_farm_or_, __LINE__), lhs, expr)
#define FARM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(*tmp)

namespace mcutune::device_farm::store_internal {

// Times are INTEGER unix microseconds; InfinitePast <-> NULL.
inline void BindTime(base::Statement& s, int index, absl::Time t) {
  if (t == absl::InfinitePast()) {
    s.BindNull(index);
  } else {
    s.Bind(index, static_cast<int64_t>(absl::ToUnixMicros(t)));
  }
}
inline absl::Time ColumnTime(const base::Statement& s, int column) {
  if (s.IsNull(column)) return absl::InfinitePast();
  return absl::FromUnixMicros(s.ColumnInt64(column));
}

}  // namespace mcutune::device_farm::store_internal

#endif  // MCUTUNE_DEVICE_FARM_FARM_STORE_INTERNAL_H_
