// SQLite wrapper: status mapping, statement lifetime, transactions.
#include "base/sqlite.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace mcutune::base {

absl::Status SqliteStatus(int code, std::string_view message, std::string_view sql) {
  const int primary = code & 0xff;
  if (primary == SQLITE_OK || primary == SQLITE_DONE || primary == SQLITE_ROW) {
    return absl::OkStatus();
  }
  std::string text = absl::StrCat("sqlite: ", std::string(message));
  if (!sql.empty()) absl::StrAppend(&text, " (in: ", std::string(sql.substr(0, 200)), ")");
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(text);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(text);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(text);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::PermissionDeniedError(text);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(text);
    default:
      return absl::InternalError(text);
  }
}

Statement::Statement(sqlite3_stmt* stmt, std::string sql)
    : stmt_(stmt), sql_(std::move(sql)) {}

Statement::Statement(Statement&& o) noexcept
    : stmt_(std::exchange(o.stmt_, nullptr)), sql_(std::move(o.sql_)),
      status_(std::move(o.status_)) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    sql_ = std::move(o.sql_);
    status_ = std::move(o.status_);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                      SQLITE_UTF8);
  return *this;
}
Statement& Statement::BindBlob(int index, const void* data, size_t size) {
  sqlite3_bind_blob64(stmt_, index, size == 0 ? "" : data, size, SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Statement::Step() {
  if (!status_.ok()) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    status_ = SqliteStatus(rc, sqlite3_errmsg(sqlite3_db_handle(stmt_)), sql_);
  }
  return false;
}

absl::Status Statement::Run() {
  while (Step()) {
  }
  return status_;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  status_ = absl::OkStatus();
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
double Statement::ColumnDouble(int column) const {
  return sqlite3_column_double(stmt_, column);
}
std::string Statement::ColumnText(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}
std::string Statement::ColumnBlob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(static_cast<const char*>(p), n) : std::string();
}

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(
    const std::string& path, const DatabaseOptions& options) {
  int flags = SQLITE_OPEN_FULLMUTEX;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteStatus(rc, raw ? sqlite3_errmsg(raw) : "cannot open", "");
    if (raw) sqlite3_close_v2(raw);
    return absl::Status(s.code(), absl::StrCat(s.message(), ": ", path));
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_busy_timeout(raw, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  sqlite3_extended_result_codes(raw, 1);
  // Reading the schema here turns "file is not a database" into an error now.
  if (absl::Status s = db->Exec("SELECT count(*) FROM sqlite_master"); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), ": ", path));
  }
  if (!options.read_only && path != ":memory:" && !path.empty()) {
    if (absl::Status s = db->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  }
  if (absl::Status s = db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
      !s.ok()) {
    return s;
  }
  return db;
}

absl::Status Database::Exec(std::string_view sql) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  absl::Status s;
  if (rc != SQLITE_OK) s = SqliteStatus(rc, err ? err : sqlite3_errmsg(db_), sql);
  sqlite3_free(err);
  return s;
}

absl::StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt,
                                    nullptr);
  if (rc != SQLITE_OK) {
    if (stmt) sqlite3_finalize(stmt);
    return SqliteStatus(rc, sqlite3_errmsg(db_), sql);
  }
  return Statement(stmt, std::string(sql));
}

absl::Status Database::Transaction(const std::function<absl::Status()>& body) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (transaction_depth_ > 0) {
    ++transaction_depth_;
    absl::Status s = body();
    --transaction_depth_;
    return s;
  }
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  ++transaction_depth_;
  absl::Status s = body();
  --transaction_depth_;
  if (s.ok()) {
    s = Exec("COMMIT");
    if (s.ok()) return s;
  }
  (void)Exec("ROLLBACK");
  return s;
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }

}  // namespace mcutune::base
