// A thin RAII layer over SQLite (libsqlite3) shared by the modules that keep
// state on disk: the device farm's queue and measurements, the cost model's
// versions, the tuner's jobs. Each owns its tables; this file owns only the
// mechanics:
//
//   Database::Open(path) ── WAL mode, foreign keys on, busy timeout ──►
//     db.Exec("CREATE TABLE ...")          DDL / statements without rows
//     Statement s = db.Prepare("SELECT ... WHERE id = ?1"); s.Bind(1, id);
//     while (s.Step()) s.ColumnInt64(0) ...  rows
//     db.Transaction([&] { ...; return absl::OkStatus(); })  BEGIN IMMEDIATE/COMMIT/ROLLBACK
//
// Errors carry SQLite's message and the SQL: UNAVAILABLE for SQLITE_BUSY /
// SQLITE_LOCKED (another process holds the lock past the busy timeout),
// RESOURCE_EXHAUSTED for SQLITE_FULL, DATA_LOSS for SQLITE_CORRUPT/NOTADB,
// INTERNAL otherwise. Values are always bound, never spliced into SQL.
//
// Thread-safety: one Database may be used from several threads (the
// connection is opened in serialized mode and every call holds the
// connection's mutex, so a transaction's statements are not interleaved with
// another thread's when done inside Transaction()). Separate processes share
// a file through SQLite's own locking (WAL).
#ifndef MCUTUNE_BASE_SQLITE_H_
#define MCUTUNE_BASE_SQLITE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mcutune::base {

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Parameters are 1-based (?1, ?2, ...). Binding never fails for valid
  // indices; an invalid index surfaces as an error from Step().
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, const void* data, size_t size);
  Statement& BindNull(int index);

  // One step: true when a row is available, false when done. A failure
  // makes `status()` non-OK and returns false.
  bool Step();
  // Runs to completion (statements without rows); the first error.
  absl::Status Run();
  const absl::Status& status() const { return status_; }
  // Resets for re-execution with new bindings (bindings are cleared).
  void Reset();

  // 0-based columns of the current row.
  bool IsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, std::string sql);
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
  absl::Status status_;
};

struct DatabaseOptions {
  // How long a writer waits for another connection's lock before UNAVAILABLE.
  absl::Duration busy_timeout = absl::Seconds(5);
  bool create_if_missing = true;
  bool read_only = false;
};

class Database {
 public:
  // Opens (creating parent-less files only) `path`; ":memory:" for a
  // private in-memory database. Sets journal_mode=WAL (files),
  // synchronous=NORMAL, foreign_keys=ON. Errors as described above; a file
  // that is not a database is DATA_LOSS.
  static absl::StatusOr<std::unique_ptr<Database>> Open(
      const std::string& path, const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Executes one or more statements separated by ';' (no result rows).
  absl::Status Exec(std::string_view sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);

  // BEGIN IMMEDIATE; body(); COMMIT if it returned OK, else ROLLBACK and
  // return its status. Holds the connection mutex throughout, so other
  // threads using this Database wait; nested calls run inside the outer one.
  absl::Status Transaction(const std::function<absl::Status()>& body);

  int64_t LastInsertRowId() const;
  int Changes() const;  // rows changed by the last statement
  const std::string& path() const { return path_; }
  // The connection mutex, for callers that chain several statements outside
  // Transaction() and need them not interleaved (recursive).
  std::recursive_mutex& mutex() { return mu_; }

 private:
  Database(sqlite3* db, std::string path);
  sqlite3* db_ = nullptr;
  std::string path_;
  std::recursive_mutex mu_;
  int transaction_depth_ = 0;
};

// The absl::Status for a SQLite result code (see the header comment).
absl::Status SqliteStatus(int code, std::string_view message, std::string_view sql);

}  // namespace mcutune::base

#endif  // MCUTUNE_BASE_SQLITE_H_
