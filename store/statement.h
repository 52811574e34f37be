// Internal to store/: one connection to the record, SQLite or PostgreSQL, and a statement on
// it with positional binding. The Store (store.cc) and the AlertStore (alerts.cc) write their
// SQL once, with `?` placeholders, in the subset both databases speak; the few places where
// the dialects differ ask Conn (JsonField, ForUpdate). Not part of the store's API: include
// it only from store/*.cc.
#pragma once

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "store/store.h"

namespace medic::store_internal {

enum class Dialect { kSqlite, kPostgres };

// One connection and its prepared statements. Statements are prepared once per connection
// and reused: preparing costs more than running them, and a step writes to the record
// several times. One thread at a time uses it, through a ConnUse.
struct Conn {
  Dialect dialect = Dialect::kSqlite;
  std::string where;  ///< the file, or the connection URI without its password, for messages

  sqlite3* db = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> sqlite_cache;

  PGconn* pg = nullptr;
  std::unordered_map<std::string, std::string> pg_prepared;  // SQL -> statement name
  int64_t pg_names = 0;  ///< statement names given out, prepared or not yet
  std::string last_sqlstate;  ///< of the last PostgreSQL error ("" none)
  int tx_depth = 0;  ///< nesting of Store::Transaction() calls on it
  /// PostgreSQL: BEGIN is owed, and goes out with the next statement, in one round trip
  /// (Store::Transaction sets it; a transaction that runs no statement sends none).
  bool begin_deferred = false;

  /// PostgreSQL: a query sent in pipeline mode whose result is not read yet. Writes nothing
  /// reads back (Stmt::Queue) go out without waiting; the next statement that waits for its
  /// own result (a read, or the COMMIT) goes out behind them and reads their results first.
  struct Owed {
    enum Kind { kBegin, kPrepare, kExecute } kind;
    std::string what;  ///< for an error message ("" for the statement that waits)
    std::string sql;   ///< kPrepare: the SQL as given, the key of pg_prepared
    std::string name;  ///< kPrepare: the name it is prepared under
  };
  std::vector<Owed> pg_owed;
  bool pg_pipeline = false;  ///< in libpq's pipeline mode (pg_owed is then not empty)

  ~Conn();
  bool postgres() const { return dialect == Dialect::kPostgres; }
  /// Runs `sql` (several statements allowed) without parameters or results.
  Status Exec(const std::string& sql);
  /// Sends the pipeline's sync point and reads every owed result. Returns the last query's
  /// result, or the first failure's (then `*failed` names what failed when that was not the
  /// last query); nullptr when the connection broke.
  PGresult* SyncOwed(std::string* failed);
  /// Reads what is owed, for a rollback or a statement outside the pipeline: the first
  /// failure among the queued writes, if any.
  Status Drain();
  /// The text of a JSON object's top-level field `key` of a TEXT column, NULL when absent.
  std::string JsonField(const char* column, const char* key) const {
    return postgres() ? std::string("(") + column + "::jsonb ->> '" + key + "')"
                      : std::string("json_extract(") + column + ", '$." + key + "')";
  }
  /// Row locks for a read that a write in the same transaction depends on. SQLite needs none:
  /// BEGIN IMMEDIATE holds its one write lock for the whole transaction.
  const char* ForUpdate() const { return postgres() ? " FOR UPDATE" : ""; }
  /// Whether the last failure is one a whole transaction may be retried for: a serialization
  /// failure, a deadlock, or a unique key another transaction committed first.
  bool Retryable() const {
    return last_sqlstate == "40001" || last_sqlstate == "40P01" || last_sqlstate == "23505";
  }
};

// A new connection to the SQLite file (created with its directory; WAL) or the PostgreSQL
// URI (refused when it carries a password).
Result<std::unique_ptr<Conn>> OpenSqlite(const std::string& path);
Result<std::unique_ptr<Conn>> OpenPostgres(const std::string& uri);

// The calling thread's connection to `store` for this object's life: the one an enclosing
// ConnUse on this thread holds (a call inside a Transaction joins it), or a free one from the
// store, given back on destruction. Declare it before any Stmt on it.
class ConnUse {
 public:
  explicit ConnUse(Store& store);
  ~ConnUse();
  ConnUse(const ConnUse&) = delete;
  ConnUse& operator=(const ConnUse&) = delete;

  Conn& operator*() const { return *conn_; }
  Conn* operator->() const { return conn_; }

 private:
  Store& store_;
  Conn* conn_ = nullptr;
  bool owner_ = false;    // took conn_ from the store, and gives it back
  ConnUse* outer_;        // the enclosing ConnUse on this thread, any store
};

class Stmt {
 public:
  enum Result { kRow, kDone, kError };

  Stmt(Conn& conn, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int64_t v);
  Stmt& Bind(const std::string& v);
  Stmt& Bind(const char* v) { return Bind(std::string(v)); }
  /// Invalid UTF-8 in a string (a step's raw output) is written as U+FFFD, not refused.
  Stmt& Bind(const Json& v) { return Bind(v.dump(-1, ' ', false, Json::error_handler_t::replace)); }

  /// kRow for each row, then kDone; kError on failure (see Error).
  Result Step();
  /// Runs a statement that returns no rows (or whose rows do not matter).
  Status Done(const char* what) { return Step() == kError ? Error(what) : Status::Ok(); }
  /// A write whose result nothing reads (no rows, no Changes()). Inside a transaction on
  /// PostgreSQL it is sent without waiting, and a failure fails the transaction's next
  /// statement or its COMMIT, so it costs no round trip of its own; elsewhere it is Done().
  Status Queue(const char* what);
  Status Error(const char* what) const;
  /// Rows the last INSERT, UPDATE or DELETE changed.
  int64_t Changes() const;

  int64_t Int(int col);
  std::string Text(int col) { return std::string(TextView(col)); }
  /// The column's text, valid until the next Step() or the statement's end.
  std::string_view TextView(int col);
  Json JsonCol(int col, Json fallback) {
    std::string_view text = TextView(col);
    try {
      return Json::parse(text.begin(), text.end());
    } catch (...) {
      return fallback;
    }
  }

 private:
  Conn& conn_;
  // SQLite
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
  int index_ = 0;
  // PostgreSQL: the statement's name, its SQL when it is still to be prepared (with its first
  // run, in one round trip), its text parameters, and the result rows
  std::string name_;
  std::string prepare_;
  std::string sql_;  // as given, the key of Conn::pg_prepared
  // Sends BEGIN when owed, the preparation when owed, and the statement, in pipeline mode,
  // without reading; false when pipeline mode is unavailable (nothing was sent then).
  bool Send(const std::vector<const char*>& values, const char* what);
  std::vector<const char*> Values() const;  // params_ as libpq takes them
  std::vector<std::string> params_;
  PGresult* res_ = nullptr;
  int row_ = -1;
  std::string error_;
};

}  // namespace medic::store_internal
