// Internal to store/: a prepared SQLite statement with positional binding, borrowed from a
// per-connection cache and reset after use. Shared by the Store (store.cc) and the
// AlertStore (alerts.cc) so both speak to the one connection the same way. Not part of
// the store's API: include it only from store/*.cc.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/json.h"
#include "base/status.h"

namespace medic::store_internal {

using StatementCache = std::unordered_map<std::string, sqlite3_stmt*>;

// Statements are prepared once per connection and reused: preparing costs more than
// running them, and a step writes to the record several times. The caller holds the
// connection's mutex for the statement's whole life.
class Stmt {
 public:
  Stmt(sqlite3* db, StatementCache& cache, const std::string& sql) : db_(db) {
    auto it = cache.find(sql);
    if (it != cache.end()) {
      stmt_ = it->second;
      rc_ = SQLITE_OK;
      return;
    }
    rc_ = sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc_ == SQLITE_OK) cache[sql] = stmt_;
  }
  ~Stmt() {
    if (stmt_) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int64_t v) {
    sqlite3_bind_int64(stmt_, ++index_, v);
    return *this;
  }
  Stmt& Bind(const std::string& v) {
    sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(const char* v) {
    sqlite3_bind_text(stmt_, ++index_, v, -1, SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(const Json& v) { return Bind(v.dump()); }

  /// SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() {
    if (rc_ != SQLITE_OK) return rc_;
    return sqlite3_step(stmt_);
  }
  Status Done(const char* what) {
    int rc = Step();
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
    return Error(what);
  }
  Status Error(const char* what) const {
    return Status::Io(std::string("database: ") + what + ": " + sqlite3_errmsg(db_));
  }

  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, col)) : "";
  }
  Json JsonCol(int col, Json fallback) {
    std::string_view text = TextView(col);
    try {
      return Json::parse(text.begin(), text.end());
    } catch (...) {
      return fallback;
    }
  }
  /// The column's text, valid until the next Step() or the statement's end.
  std::string_view TextView(int col) {
    const char* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return t ? std::string_view(t, sqlite3_column_bytes(stmt_, col)) : std::string_view();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
  int index_ = 0;
};

}  // namespace medic::store_internal
