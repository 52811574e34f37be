#include "store/statement.h"

#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "base/escape.h"

namespace medic::store_internal {
namespace {

// `?` placeholders become PostgreSQL's `$1, $2, ...`; quoted text is left alone.
std::string NumberPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$' + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

// PostgreSQL stores text as UTF-8 and refuses anything else, where SQLite keeps any bytes.
// What medic records (a step's stderr, a crash log line) may be neither: invalid sequences
// and NUL bytes become U+FFFD rather than a failed write.
std::string ValidText(const std::string& in) {
  return ValidUtf8(in, [](char c) { return c != '\0'; });
}

std::string PgError(PGconn* pg, const PGresult* res) {
  std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pg);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg.empty() ? "unknown error" : msg;
}

thread_local ConnUse* t_innermost = nullptr;  // this thread's innermost ConnUse

bool Succeeded(const PGresult* r) {
  ExecStatusType st = PQresultStatus(r);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

// Runs prepared statement `name` with `values` one query at a time, after BEGIN when
// `begin` and after preparing it from `prepare_sql` when that is not null: what Stmt::Step
// does when libpq's pipeline mode is unavailable. Returns the first failure's result, else the
// statement's. `*prepared` says whether `name` was prepared here.
PGresult* ExecOneByOne(PGconn* pg, bool begin, const char* prepare_sql, const char* name, int n,
                       const char* const* values, bool* prepared) {
  *prepared = false;
  if (begin) {  // never outside the transaction
    PGresult* r = PQexec(pg, "BEGIN");
    if (!Succeeded(r)) return r;
    PQclear(r);
  }
  if (prepare_sql) {
    PGresult* r = PQprepare(pg, name, prepare_sql, 0, nullptr);
    if (!Succeeded(r)) return r;
    PQclear(r);
    *prepared = true;
  }
  return PQexecPrepared(pg, name, n, values, nullptr, nullptr, 0);
}

}  // namespace

ConnUse::ConnUse(Store& store) : store_(store), outer_(t_innermost) {
  for (ConnUse* u = outer_; u; u = u->outer_)
    if (&u->store_ == &store) {
      conn_ = u->conn_;
      break;
    }
  if (!conn_) {
    conn_ = store.Acquire();
    owner_ = true;
  }
  t_innermost = this;
}

ConnUse::~ConnUse() {
  t_innermost = outer_;
  if (owner_) store_.Release(conn_);
}

Result<std::unique_ptr<Conn>> OpenSqlite(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto conn = std::make_unique<Conn>();
  conn->where = path;
  int rc = sqlite3_open_v2(path.c_str(), &conn->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = conn->db ? sqlite3_errmsg(conn->db) : sqlite3_errstr(rc);
    return Status::Io("cannot open database " + path + ": " + msg +
                      " (set --db PATH or MEDIC_DB to a writable location)");
  }
  sqlite3_busy_timeout(conn->db, 5000);
  MEDIC_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL"));
  MEDIC_RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous=NORMAL"));
  MEDIC_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON"));
  return conn;
}

Result<std::unique_ptr<Conn>> OpenPostgres(const std::string& uri) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &err);
  if (!options) {
    std::string msg = err ? err : "cannot parse it";
    PQfreemem(err);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Status::Invalid("database URI: " + msg);
  }
  bool has_password = false;
  for (PQconninfoOption* o = options; o->keyword; ++o)
    if (std::string_view(o->keyword) == "password" && o->val && *o->val) has_password = true;
  PQconninfoFree(options);
  if (has_password)
    return Status::Invalid(
        "the database URI carries a password; put it in PGPASSWORD or a PGPASSFILE instead "
        "(a URI shows in `ps`, in shell history and in medic's own messages)");
  auto conn = std::make_unique<Conn>();
  conn->dialect = Dialect::kPostgres;
  conn->where = uri;
  conn->pg = PQconnectdb(uri.c_str());
  if (PQstatus(conn->pg) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn->pg);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Status::Io("cannot connect to database " + uri + ": " + msg);
  }
  // Notices ("relation exists, skipping") are not for medic's users.
  PQsetNoticeProcessor(conn->pg, [](void*, const char*) {}, nullptr);
  MEDIC_RETURN_IF_ERROR(conn->Exec("SET client_encoding = 'UTF8'"));
  return conn;
}

Conn::~Conn() {
  for (auto& [sql, stmt] : sqlite_cache) sqlite3_finalize(stmt);
  if (db) sqlite3_close_v2(db);
  if (pg) PQfinish(pg);
}

PGresult* Conn::SyncOwed(std::string* failed) {
  PGresult* out = nullptr;
  if (PQpipelineSync(pg) == 1) {
    for (size_t i = 0; i < pg_owed.size(); ++i) {
      const Owed& o = pg_owed[i];
      bool last = i + 1 == pg_owed.size();
      while (PGresult* r = PQgetResult(pg)) {
        bool ok = Succeeded(r);
        if (o.kind == Owed::kPrepare && ok) pg_prepared.emplace(o.sql, o.name);
        // The first failure explains the rest: the queries after it are aborted.
        if (!out && (last || !ok)) {
          out = r;
          if (!ok && failed) *failed = o.what;
        } else {
          PQclear(r);
        }
      }
    }
    PQclear(PQgetResult(pg));  // the sync point
  }
  pg_owed.clear();
  if (PQexitPipelineMode(pg) != 1) {
    while (PGresult* r = PQgetResult(pg)) PQclear(r);
    PQexitPipelineMode(pg);
  }
  pg_pipeline = false;
  return out;
}

Status Conn::Drain() {
  if (pg_owed.empty()) return Status::Ok();
  std::string failed;
  PGresult* r = SyncOwed(&failed);
  Status st;
  if (!Succeeded(r)) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    last_sqlstate = state ? state : "";
    st = Status::Io("database: " + (failed.empty() ? std::string("write") : failed) + ": " +
                    PgError(pg, r));
  }
  PQclear(r);
  return st;
}

Status Conn::Exec(const std::string& sql) {
  if (postgres()) MEDIC_RETURN_IF_ERROR(Drain());
  if (!postgres()) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return Status::Io("database " + where + ": " + msg);
    }
    return Status::Ok();
  }
  if (begin_deferred) {
    begin_deferred = false;
    MEDIC_RETURN_IF_ERROR(Exec("BEGIN"));
  }
  PGresult* res = PQexec(pg, sql.c_str());
  ExecStatusType st = PQresultStatus(res);
  Status out = Status::Ok();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    last_sqlstate = state ? state : "";
    out = Status::Io("database " + where + ": " + PgError(pg, res));
  }
  PQclear(res);
  return out;
}

Stmt::Stmt(Conn& conn, const std::string& sql) : conn_(conn) {
  if (!conn.postgres()) {
    auto it = conn.sqlite_cache.find(sql);
    if (it != conn.sqlite_cache.end()) {
      stmt_ = it->second;
      return;
    }
    rc_ = sqlite3_prepare_v3(conn.db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc_ == SQLITE_OK) conn.sqlite_cache[sql] = stmt_;
    return;
  }
  auto it = conn.pg_prepared.find(sql);
  if (it != conn.pg_prepared.end()) {
    name_ = it->second;
    return;
  }
  // Prepared with its first run (Step), in the same round trip.
  name_ = "medic_" + std::to_string(++conn.pg_names);
  prepare_ = NumberPlaceholders(sql);
  sql_ = sql;
}

Stmt::~Stmt() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  if (res_) PQclear(res_);
}

Stmt& Stmt::Bind(int64_t v) {
  if (conn_.postgres())
    params_.push_back(std::to_string(v));
  else
    sqlite3_bind_int64(stmt_, ++index_, v);
  return *this;
}

Stmt& Stmt::Bind(const std::string& v) {
  if (conn_.postgres())
    params_.push_back(ValidText(v));
  else
    sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt::Result Stmt::Step() {
  if (!conn_.postgres()) {
    if (rc_ != SQLITE_OK) return kError;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return kRow;
    if (rc == SQLITE_DONE) return kDone;
    rc_ = rc;
    return kError;
  }
  if (!error_.empty()) return kError;
  if (!res_) {
    std::vector<const char*> values = Values();
    int n = static_cast<int>(values.size());
    std::string failed;  // a queued write that failed before this statement
    if (!conn_.begin_deferred && prepare_.empty() && conn_.pg_owed.empty()) {
      res_ = PQexecPrepared(conn_.pg, name_.c_str(), n, values.data(), nullptr, nullptr, 0);
    } else if (Send(values, "")) {
      res_ = conn_.SyncOwed(&failed);
    } else {  // pipeline mode unavailable (and so nothing is owed): one query at a time
      bool begin = conn_.begin_deferred, prepared = false;
      conn_.begin_deferred = false;
      res_ = ExecOneByOne(conn_.pg, begin, prepare_.empty() ? nullptr : prepare_.c_str(),
                          name_.c_str(), n, values.data(), &prepared);
      if (prepared) conn_.pg_prepared.emplace(sql_, name_);
    }
    prepare_.clear();
    ExecStatusType st = PQresultStatus(res_);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      const char* state = PQresultErrorField(res_, PG_DIAG_SQLSTATE);
      conn_.last_sqlstate = state ? state : "";
      error_ = (failed.empty() ? "" : failed + ": ") + PgError(conn_.pg, res_);
      // A broken connection loses its prepared statements: reconnect for the next call.
      if (PQstatus(conn_.pg) != CONNECTION_OK) {
        PQreset(conn_.pg);
        conn_.pg_prepared.clear();
        conn_.pg_owed.clear();
        conn_.pg_pipeline = false;
      }
      return kError;
    }
    conn_.last_sqlstate.clear();
  }
  ++row_;
  return row_ < PQntuples(res_) ? kRow : kDone;
}

bool Stmt::Send(const std::vector<const char*>& values, const char* what) {
  PGconn* pg = conn_.pg;
  if (!conn_.pg_pipeline) {
    if (PQenterPipelineMode(pg) != 1) return false;
    conn_.pg_pipeline = true;
  }
  using Owed = Conn::Owed;
  if (conn_.begin_deferred) {
    conn_.begin_deferred = false;
    PQsendQueryParams(pg, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0);
    conn_.pg_owed.push_back({Owed::kBegin, "begin", "", ""});
  }
  if (!prepare_.empty()) {
    PQsendPrepare(pg, name_.c_str(), prepare_.c_str(), 0, nullptr);
    conn_.pg_owed.push_back({Owed::kPrepare, *what ? std::string("prepare ") + what : "prepare",
                             sql_, name_});
    prepare_.clear();
  }
  PQsendQueryPrepared(pg, name_.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                      nullptr, 0);
  conn_.pg_owed.push_back({Owed::kExecute, what, "", ""});
  return true;
}

Status Stmt::Queue(const char* what) {
  if (!conn_.postgres() || conn_.tx_depth == 0 || res_) return Done(what);
  if (!Send(Values(), what)) return Done(what);
  return Status::Ok();
}

std::vector<const char*> Stmt::Values() const {
  std::vector<const char*> values;
  values.reserve(params_.size());
  for (const auto& p : params_) values.push_back(p.c_str());
  return values;
}

Status Stmt::Error(const char* what) const {
  if (conn_.postgres()) return Status::Io(std::string("database: ") + what + ": " + error_);
  return Status::Io(std::string("database: ") + what + ": " + sqlite3_errmsg(conn_.db));
}

int64_t Stmt::Changes() const {
  if (!conn_.postgres()) return sqlite3_changes(conn_.db);
  return res_ ? std::strtoll(PQcmdTuples(res_), nullptr, 10) : 0;
}

int64_t Stmt::Int(int col) {
  if (!conn_.postgres()) return sqlite3_column_int64(stmt_, col);
  if (PQgetisnull(res_, row_, col)) return 0;
  return std::strtoll(PQgetvalue(res_, row_, col), nullptr, 10);
}

std::string_view Stmt::TextView(int col) {
  if (conn_.postgres()) {
    if (PQgetisnull(res_, row_, col)) return {};
    return std::string_view(PQgetvalue(res_, row_, col), PQgetlength(res_, row_, col));
  }
  const char* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return t ? std::string_view(t, sqlite3_column_bytes(stmt_, col)) : std::string_view();
}

}  // namespace medic::store_internal
