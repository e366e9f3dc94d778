// Internal to the tuner's SQLite stores (store.cc, sweep_store*.cc): the
// statement helpers they share.
// - SWEEP_ASSIGN prepares a statement or returns its error (writes).
// - InsertSql writes "INSERT ... (columns) VALUES (?1, ?2, ...)" from a
//   column list constant, and BindAll binds values to ?1, ?2, ... in order,
//   so a table's columns are named once and its values listed once.
// - QueryRows / QueryFirstRow (both ReadRows) run a SELECT under the
//   connection mutex and turn its rows into records with a row reader: a
//   function of the statement returning T, or absl::StatusOr<T> when a row
//   can fail validation (its first error ends the query and is returned).
#ifndef MCUTUNE_TUNER_SWEEP_STORE_INTERNAL_H_
#define MCUTUNE_TUNER_SWEEP_STORE_INTERNAL_H_

#include <algorithm>
#include <cstddef>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/sqlite.h"

// Prepares `expr` into `var` (a base::Statement&) or returns its error.
#define SWEEP_ASSIGN(var, expr)                      \
  absl::StatusOr<base::Statement> var##_or = (expr); \
  if (!var##_or.ok()) return var##_or.status();      \
  base::Statement& var = *var##_or

namespace mcutune::tuner::store_internal {

// The record type a row reader returns (T for both T and StatusOr<T>).
template <typename T>
struct RecordOf {
  using type = T;
};
template <typename T>
struct RecordOf<absl::StatusOr<T>> {
  using type = T;
};
template <typename Read>
using RowRecord = typename RecordOf<
    std::invoke_result_t<Read&, const base::Statement&>>::type;

// "<verb> INTO <table> (<columns>) VALUES (?1, ..., ?N)", N = the number of
// comma-separated `columns`; `verb` is "INSERT", "INSERT OR REPLACE", ...
inline std::string InsertSql(std::string_view verb, std::string_view table,
                             std::string_view columns) {
  const int n =
      1 + static_cast<int>(std::count(columns.begin(), columns.end(), ','));
  std::string sql =
      absl::StrCat(std::string(verb), " INTO ", std::string(table), " (",
                   std::string(columns), ") VALUES (");
  for (int i = 1; i <= n; ++i) absl::StrAppend(&sql, i > 1 ? ", ?" : "?", i);
  sql += ")";
  return sql;
}

// Binds `values` to ?1, ?2, ... of `q`, in order.
template <typename... Values>
void BindAll(base::Statement& q, const Values&... values) {
  [[maybe_unused]] int index = 0;
  (q.Bind(++index, values), ...);
}

// At most `max_rows` rows of `sql` (with `values` bound to ?1, ?2, ...) as
// read by `read`; the statement is not stepped past the last row read.
template <typename Read, typename... Values>
absl::StatusOr<std::vector<RowRecord<Read>>> ReadRows(base::Database& db,
                                                      Read read,
                                                      size_t max_rows,
                                                      std::string_view sql,
                                                      const Values&... values) {
  std::lock_guard<std::recursive_mutex> lock(db.mutex());
  absl::StatusOr<base::Statement> q = db.Prepare(sql);
  if (!q.ok()) return q.status();
  BindAll(*q, values...);
  std::vector<RowRecord<Read>> out;
  while (out.size() < max_rows && q->Step()) {
    absl::StatusOr<RowRecord<Read>> row = read(*q);
    if (!row.ok()) return row.status();
    out.push_back(*std::move(row));
  }
  if (!q->status().ok()) return q->status();
  return out;
}

// Every row of `sql` as read by `read`.
template <typename Read, typename... Values>
absl::StatusOr<std::vector<RowRecord<Read>>> QueryRows(
    base::Database& db, Read read, std::string_view sql,
    const Values&... values) {
  return ReadRows(db, read, std::numeric_limits<size_t>::max(), sql, values...);
}

// The first row of `sql` as read by `read`, or nullopt when it has none.
template <typename Read, typename... Values>
absl::StatusOr<std::optional<RowRecord<Read>>> QueryFirstRow(
    base::Database& db, Read read, std::string_view sql,
    const Values&... values) {
  absl::StatusOr<std::vector<RowRecord<Read>>> rows =
      ReadRows(db, read, 1, sql, values...);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<RowRecord<Read>>();
  return std::optional<RowRecord<Read>>(std::move(rows->front()));
}

}  // namespace mcutune::tuner::store_internal

#endif  // MCUTUNE_TUNER_SWEEP_STORE_INTERNAL_H_
