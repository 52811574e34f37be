#include "store/store.h"

#include <algorithm>
#include <unordered_map>

#include "store/schema.h"
#include "store/statement.h"

namespace medic {
namespace {

using store_internal::Conn;
using store_internal::ConnUse;
using store_internal::OpenPostgres;
using store_internal::OpenSqlite;
using store_internal::Stmt;  // store/statement.h, shared with store/alerts.cc

constexpr const char* kRunColumns =
    "id, incident_id, playbook, playbook_path, playbook_source, params, status, trigger, "
    "options, owner_pid, owner_start, created_at, started_at, ended_at, error, owner_host, "
    "lease_until, fence, warnings";

RunRecord ReadRun(Stmt& s) {
  RunRecord r;
  r.id = s.Int(0);
  r.incident_id = s.Int(1);
  r.playbook = s.Text(2);
  r.playbook_path = s.Text(3);
  r.playbook_source = s.Text(4);
  r.params = s.JsonCol(5, Json::object());
  // A status this medic does not know (text edited by hand) waits for a person.
  r.status = ParseRunStatus(s.TextView(6)).value_or(RunStatus::kNeedsAttention);
  r.trigger = s.Text(7);
  r.options = s.JsonCol(8, Json::object());
  r.owner_pid = s.Int(9);
  r.owner_start = static_cast<uint64_t>(s.Int(10));
  r.created_at = s.Int(11);
  r.started_at = s.Int(12);
  r.ended_at = s.Int(13);
  r.error = s.Text(14);
  r.owner_host = s.Text(15);
  r.lease_until = s.Int(16);
  r.fence = s.Int(17);
  r.warnings = s.JsonCol(18, Json::array());
  return r;
}

constexpr const char* kStepColumns =
    "run_id, step_id, stage, position, action, status, attempts, started_at, ended_at, "
    "duration_ms, budget_ms, over_budget, outputs, commands, error, pgid, pgid_start, approved, "
    "pgid_host";

StepRecord ReadStep(Stmt& s) {
  StepRecord r;
  r.run_id = s.Int(0);
  r.step_id = s.Text(1);
  r.stage = s.Text(2);
  r.position = static_cast<int>(s.Int(3));
  r.action = s.Text(4);
  r.status = ParseStepStatus(s.TextView(5)).value_or(StepStatus::kInterrupted);
  r.attempts = static_cast<int>(s.Int(6));
  r.started_at = s.Int(7);
  r.ended_at = s.Int(8);
  r.duration_ms = s.Int(9);
  r.budget_ms = s.Int(10);
  r.over_budget = s.Int(11) != 0;
  r.outputs = s.JsonCol(12, Json::object());
  r.commands = s.JsonCol(13, Json::array());
  r.error = s.Text(14);
  r.pgid = s.Int(15);
  r.pgid_start = static_cast<uint64_t>(s.Int(16));
  r.approved = s.Int(17) != 0;
  r.pgid_host = s.Text(18);
  return r;
}

constexpr const char* kIncidentColumns =
    "id, title, source, dedup_key, status, labels, created_at, detected_at, closed_at";

IncidentRecord ReadIncident(Stmt& s) {
  IncidentRecord r;
  r.id = s.Int(0);
  r.title = s.Text(1);
  r.source = s.Text(2);
  r.dedup_key = s.Text(3);
  r.status = s.Text(4);
  r.labels = s.JsonCol(5, Json::object());
  r.created_at = s.Int(6);
  r.detected_at = s.Int(7);
  r.closed_at = s.Int(8);
  return r;
}

// Reads every event `s` yields. Identical data (the same alert notified thousands of times
// while an incident is open) is parsed once and copied: parsing JSON is most of what reading
// a large incident costs.
Result<std::vector<EventRecord>> ReadEvents(Stmt& s, const char* what) {
  std::vector<EventRecord> out;
  std::unordered_map<std::string, size_t> parsed;  // data text -> first event with it
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) {
    EventRecord e;
    e.id = s.Int(0);
    e.incident_id = s.Int(1);
    e.run_id = s.Int(2);
    e.step_id = s.Text(3);
    e.at = s.Int(4);
    std::optional<EventKind> kind = ParseEventKind(s.TextView(5));
    if (!kind)
      return Status::Precondition("the record holds an event of unknown kind '" +
                                  std::string(s.TextView(5)) + "' (written by a newer medic?)");
    e.kind = *kind;
    e.message = s.Text(6);
    auto [it, fresh] = parsed.try_emplace(std::string(s.TextView(7)), out.size());
    e.data = fresh ? s.JsonCol(7, Json::object()) : out[it->second].data;
    out.push_back(std::move(e));
  }
  if (rc != Stmt::kDone) return s.Error(what);
  return out;
}

}  // namespace

Store::Store(std::unique_ptr<Conn> first, std::string target)
    : target_(std::move(target)),
      where_(first->where),
      postgres_(first->postgres()),
      max_conns_(first->postgres() ? kMaxPostgresConnections : 1) {
  idle_.push_back(first.get());
  conns_.push_back(std::move(first));
}
Store::~Store() = default;

const std::string& Store::path() const { return where_; }
const char* Store::backend() const { return postgres_ ? "postgres" : "sqlite"; }

bool Store::IsPostgresTarget(const std::string& target) {
  return target.rfind("postgres://", 0) == 0 || target.rfind("postgresql://", 0) == 0;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& target) {
  auto conn = IsPostgresTarget(target) ? OpenPostgres(target) : OpenSqlite(target);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<Store> store(new Store(std::move(*conn), target));
  MEDIC_RETURN_IF_ERROR(store->Migrate());
  return store;
}

Conn* Store::OpenOne(std::unique_lock<std::mutex>& lock) {
  ++opening_;
  lock.unlock();
  auto opened = OpenPostgres(target_);  // only PostgreSQL has more than one
  lock.lock();
  --opening_;
  if (!opened.ok()) {
    // The server refuses more (max_connections): make do with those open.
    max_conns_ = std::max<size_t>(1, conns_.size());
    return nullptr;
  }
  conns_.push_back(std::move(*opened));
  return conns_.back().get();
}

Conn* Store::Acquire() {
  std::unique_lock<std::mutex> lock(pool_mu_);
  for (;;) {
    if (!idle_.empty()) {
      Conn* c = idle_.back();
      idle_.pop_back();
      return c;
    }
    if (conns_.size() + opening_ < max_conns_) {
      if (Conn* c = OpenOne(lock)) return c;
      continue;
    }
    pool_free_.wait(lock);
  }
}

size_t Store::OpenAllConnections() {
  std::unique_lock<std::mutex> lock(pool_mu_);
  while (postgres_ && conns_.size() + opening_ < max_conns_) {
    Conn* c = OpenOne(lock);
    if (!c) break;
    idle_.push_back(c);
  }
  size_t open = conns_.size();
  lock.unlock();
  pool_free_.notify_all();
  return open;
}

void Store::Release(Conn* conn) {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    idle_.push_back(conn);
  }
  pool_free_.notify_one();
}

int Store::schema_version() {
  ConnUse conn(*this);
  Stmt s(*conn, conn->postgres() ? "SELECT max(version) FROM medic_schema" : "PRAGMA user_version");
  return s.Step() == Stmt::kRow ? static_cast<int>(s.Int(0)) : -1;
}

Status Store::Migrate() {
  ConnUse conn(*this);
  return Transaction([&]() -> Status {
    bool pg = conn->postgres();
    if (pg) {
      MEDIC_RETURN_IF_ERROR(conn->Exec(store_internal::kMigrationLock));
      MEDIC_RETURN_IF_ERROR(conn->Exec(
          "CREATE TABLE IF NOT EXISTS medic_schema (version INTEGER NOT NULL);"
          "INSERT INTO medic_schema (version) SELECT 0 WHERE NOT EXISTS "
          "(SELECT 1 FROM medic_schema)"));
    }
    int version = schema_version();
    if (version > store_internal::LatestSchemaVersion())
      return Status::Precondition("database " + path() + " has schema version " +
                                  std::to_string(version) + ", newer than this medic knows (" +
                                  std::to_string(store_internal::LatestSchemaVersion()) + "): upgrade medic");
    for (int v = version; v < store_internal::LatestSchemaVersion(); ++v) {
      MEDIC_RETURN_IF_ERROR(conn->Exec(store_internal::MigrationSql(v, conn->dialect)));
      MEDIC_RETURN_IF_ERROR(conn->Exec(
          pg ? "UPDATE medic_schema SET version = " + std::to_string(v + 1)
             : "PRAGMA user_version = " + std::to_string(v + 1)));
    }
    return Status::Ok();
  });
}

Status Store::Transaction(const std::function<Status()>& body) {
  ConnUse conn(*this);
  struct Depth {
    int& n;
    explicit Depth(int& d) : n(d) { ++n; }
    ~Depth() { --n; }
  };
  if (conn->tx_depth > 0) {
    Depth nested(conn->tx_depth);
    return body();  // the outermost call commits or rolls back
  }
  for (int attempt = 1;; ++attempt) {
    conn->last_sqlstate.clear();
    // PostgreSQL: BEGIN goes out with the body's first statement (statement.cc).
    if (conn->postgres())
      conn->begin_deferred = true;
    else
      MEDIC_RETURN_IF_ERROR(Stmt(*conn, "BEGIN IMMEDIATE").Done("begin"));
    Status st;
    {
      Depth outer(conn->tx_depth);
      st = body();
    }
    bool begun = !conn->begin_deferred;  // a body that ran no statement has nothing to end
    conn->begin_deferred = false;
    if (!st.ok()) {
      bool again = conn->postgres() && conn->Retryable() && attempt < 5;
      (void)conn->Drain();  // writes queued behind the failure: ROLLBACK must not be among them
      if (begun) (void)Stmt(*conn, "ROLLBACK").Done("rollback");
      if (again) continue;
      return st;
    }
    if (!begun) return Status::Ok();
    // On PostgreSQL the body's queued writes go out with the COMMIT, and a failure among them
    // (a unique key another replica committed first) is the COMMIT's: retried the same way.
    Status commit = Stmt(*conn, "COMMIT").Done("commit");
    if (commit.ok()) return commit;
    bool again = conn->postgres() && conn->Retryable() && attempt < 5;
    (void)Stmt(*conn, "ROLLBACK").Done("rollback");
    if (again) continue;
    return commit;
  }
}

Status Store::DisableAutoCheckpoint() {
  ConnUse conn(*this);
  if (conn->postgres()) return Status::Precondition("PostgreSQL checkpoints on its own");
  return conn->Exec("PRAGMA wal_autocheckpoint=0");
}

Result<int64_t> Store::CreateIncident(const IncidentRecord& in) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "INSERT INTO incidents (title, source, dedup_key, status, labels, created_at, "
         "detected_at, closed_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id");
  s.Bind(in.title).Bind(in.source).Bind(in.dedup_key).Bind(in.status).Bind(in.labels);
  s.Bind(in.created_at).Bind(in.detected_at).Bind(in.closed_at);
  if (s.Step() != Stmt::kRow) return s.Error("create incident");
  return s.Int(0);
}

Result<IncidentRecord> Store::GetIncident(int64_t id) {
  ConnUse conn(*this);
  Stmt s(*conn, (std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = ?"));
  s.Bind(id);
  Stmt::Result rc = s.Step();
  if (rc == Stmt::kRow) return ReadIncident(s);
  if (rc == Stmt::kDone) return Status::NotFound("no incident " + std::to_string(id));
  return s.Error("get incident");
}

Result<std::optional<IncidentRecord>> Store::FindOpenIncident(const std::string& dedup_key) {
  ConnUse conn(*this);
  Stmt s(*conn,
         (std::string("SELECT ") + kIncidentColumns +
          " FROM incidents WHERE status = 'open' AND dedup_key = ? ORDER BY id DESC LIMIT 1"));
  s.Bind(dedup_key);
  Stmt::Result rc = s.Step();
  if (rc == Stmt::kRow) return std::optional<IncidentRecord>(ReadIncident(s));
  if (rc == Stmt::kDone) return std::optional<IncidentRecord>();
  return s.Error("find incident");
}

Status Store::CloseIncident(int64_t id, int64_t at, const std::string& why) {
  ConnUse conn(*this);
  return Transaction([&]() -> Status {
    Stmt s(*conn,
           "UPDATE incidents SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'");
    s.Bind(at).Bind(id);
    MEDIC_RETURN_IF_ERROR(s.Done("close incident"));
    if (s.Changes() == 0) return Status::Ok();
    EventRecord e;
    e.incident_id = id;
    e.at = at;
    e.kind = EventKind::kIncidentClosed;
    e.message = why;
    return InsertEvent(e);
  });
}

Result<std::vector<IncidentRecord>> Store::ListIncidents(int limit) {
  ConnUse conn(*this);
  Stmt s(*conn,
         (std::string("SELECT ") + kIncidentColumns + " FROM incidents ORDER BY id DESC LIMIT ?"));
  s.Bind(static_cast<int64_t>(limit));
  std::vector<IncidentRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadIncident(s));
  if (rc != Stmt::kDone) return s.Error("list incidents");
  return out;
}

Result<int64_t> Store::CreateRun(const RunRecord& run, const std::vector<StepRecord>& steps) {
  int64_t id = 0;
  ConnUse conn(*this);
  Status st = Transaction([&]() -> Status {
    Stmt s(*conn,
           "INSERT INTO runs (incident_id, playbook, playbook_path, playbook_source, params, "
           "status, trigger, options, owner_pid, owner_start, created_at, started_at, ended_at, "
           "error, owner_host, lease_until) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
    s.Bind(run.incident_id).Bind(run.playbook).Bind(run.playbook_path).Bind(run.playbook_source);
    s.Bind(run.params)
        .Bind(ToString(run.status))
        .Bind(run.trigger)
        .Bind(run.options)
        .Bind(run.owner_pid);
    s.Bind(static_cast<int64_t>(run.owner_start)).Bind(run.created_at).Bind(run.started_at);
    s.Bind(run.ended_at).Bind(run.error).Bind(run.owner_host).Bind(run.lease_until);
    if (s.Step() != Stmt::kRow) return s.Error("create run");
    id = s.Int(0);
    for (StepRecord step : steps) {
      step.run_id = id;
      Stmt i(*conn,
             "INSERT INTO steps (run_id, step_id, stage, position, action, status, budget_ms) "
             "VALUES (?,?,?,?,?,?,?)");
      i.Bind(id).Bind(step.step_id).Bind(step.stage).Bind(static_cast<int64_t>(step.position));
      i.Bind(step.action).Bind(ToString(step.status)).Bind(step.budget_ms);
      MEDIC_RETURN_IF_ERROR(i.Queue("create step"));
    }
    EventRecord e;
    e.incident_id = run.incident_id;
    e.run_id = id;
    e.at = run.created_at;
    e.kind = EventKind::kRunCreated;
    e.message = "playbook " + run.playbook;
    e.data = {{"trigger", run.trigger}, {"params", run.params}};
    return InsertEvent(e);
  });
  if (!st.ok()) return st;
  return id;
}

Result<RunRecord> Store::GetRun(int64_t id) {
  ConnUse conn(*this);
  Stmt s(*conn, (std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?"));
  s.Bind(id);
  Stmt::Result rc = s.Step();
  if (rc == Stmt::kRow) return ReadRun(s);
  if (rc == Stmt::kDone)
    return Status::NotFound("no run " + std::to_string(id) + " in " + path() +
                            " (see `medic list`)");
  return s.Error("get run");
}

Result<std::vector<RunRecord>> Store::ListRuns(int limit) {
  ConnUse conn(*this);
  Stmt s(*conn,
         (std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id DESC LIMIT ?"));
  s.Bind(static_cast<int64_t>(limit));
  std::vector<RunRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadRun(s));
  if (rc != Stmt::kDone) return s.Error("list runs");
  return out;
}

Result<std::vector<RunRecord>> Store::RunsOfIncident(int64_t incident_id) {
  ConnUse conn(*this);
  Stmt s(*conn,
         (std::string("SELECT ") + kRunColumns + " FROM runs WHERE incident_id = ? ORDER BY id"));
  s.Bind(incident_id);
  std::vector<RunRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadRun(s));
  if (rc != Stmt::kDone) return s.Error("runs of incident");
  return out;
}

// A route's own runs: not the on_suppressed notifications it started instead of one.
std::string RouteRuns(const store_internal::Conn& conn) {
  return conn.JsonField("options", "route") + " = ? AND " +
         conn.JsonField("options", "on_suppressed") + " IS NULL";
}

Result<int64_t> Store::CountRunsOfRoute(const std::string& route, int64_t since_ms) {
  ConnUse conn(*this);
  Stmt s(*conn,
         std::string("SELECT count(*) FROM runs WHERE created_at >= ? AND ") + RouteRuns(*conn));
  s.Bind(since_ms).Bind(route);
  if (s.Step() != Stmt::kRow) return s.Error("count runs of route");
  return s.Int(0);
}

Result<int64_t> Store::CountFailedRunsOfRoute(const std::string& route, int64_t since_ms) {
  ConnUse conn(*this);
  Stmt s(*conn,
         std::string("SELECT count(*) FROM runs WHERE status = 'failed' AND ended_at >= ? AND ") +
             RouteRuns(*conn));
  s.Bind(since_ms).Bind(route);
  if (s.Step() != Stmt::kRow) return s.Error("count failed runs of route");
  return s.Int(0);
}

namespace {

constexpr const char* kBreakerColumns =
    "route, opened_at, open_until, failures, reset_at, reset_by";

RouteBreakerRecord ReadBreaker(Stmt& s) {
  RouteBreakerRecord b;
  b.route = s.Text(0);
  b.opened_at = s.Int(1);
  b.open_until = s.Int(2);
  b.failures = s.Int(3);
  b.reset_at = s.Int(4);
  b.reset_by = s.Text(5);
  return b;
}

}  // namespace

Result<RouteBreakerRecord> Store::GetRouteBreaker(const std::string& route) {
  ConnUse conn(*this);
  Stmt s(*conn,
         std::string("SELECT ") + kBreakerColumns + " FROM route_breakers WHERE route = ?");
  s.Bind(route);
  Stmt::Result rc = s.Step();
  if (rc == Stmt::kRow) return ReadBreaker(s);
  if (rc != Stmt::kDone) return s.Error("read route breaker");
  RouteBreakerRecord none;
  none.route = route;
  return none;
}

Result<std::vector<RouteBreakerRecord>> Store::ListRouteBreakers() {
  ConnUse conn(*this);
  Stmt s(*conn,
         std::string("SELECT ") + kBreakerColumns + " FROM route_breakers ORDER BY route");
  std::vector<RouteBreakerRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadBreaker(s));
  if (rc != Stmt::kDone) return s.Error("list route breakers");
  return out;
}

Status Store::SaveRouteBreaker(const RouteBreakerRecord& b) {
  ConnUse conn(*this);
  Stmt s(
      *conn,
      "INSERT INTO route_breakers (route, opened_at, open_until, failures, reset_at, reset_by) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(route) DO UPDATE SET opened_at = excluded.opened_at, "
      "open_until = excluded.open_until, failures = excluded.failures, "
      "reset_at = excluded.reset_at, reset_by = excluded.reset_by");
  s.Bind(b.route)
      .Bind(b.opened_at)
      .Bind(b.open_until)
      .Bind(b.failures)
      .Bind(b.reset_at)
      .Bind(b.reset_by);
  if (s.Step() != Stmt::kDone) return s.Error("save route breaker");
  return Status::Ok();
}

Result<std::vector<RunRecord>> Store::RunsWithStatus(const std::vector<RunStatus>& statuses) {
  ConnUse conn(*this);
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE status IN (";
  for (size_t i = 0; i < statuses.size(); ++i) sql += i ? ",?" : "?";
  sql += ") ORDER BY id";
  Stmt s(*conn, sql);
  for (RunStatus st : statuses) s.Bind(ToString(st));
  std::vector<RunRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadRun(s));
  if (rc != Stmt::kDone) return s.Error("runs by status");
  return out;
}

Status Store::SaveRun(const RunRecord& run, const EventRecord* event) {
  ConnUse conn(*this);
  return Transaction([&]() -> Status {
    Stmt s(*conn,
           "UPDATE runs SET status = ?, started_at = ?, ended_at = ?, error = ?, owner_pid = ?, "
           "owner_start = ?, options = ?, owner_host = ?, lease_until = ?, warnings = ? "
           "WHERE id = ?");
    s.Bind(ToString(run.status))
        .Bind(run.started_at)
        .Bind(run.ended_at)
        .Bind(run.error)
        .Bind(run.owner_pid);
    s.Bind(static_cast<int64_t>(run.owner_start)).Bind(run.options).Bind(run.owner_host);
    s.Bind(run.lease_until).Bind(run.warnings).Bind(run.id);
    MEDIC_RETURN_IF_ERROR(s.Queue("save run"));
    return event ? InsertEvent(*event) : Status::Ok();
  });
}

Result<RunRecord> Store::ClaimRun(int64_t run_id, const RunClaim& claim) {
  RunRecord run;
  ConnUse conn(*this);
  Status st = Transaction([&]() -> Status {
    // The run's row stays locked until commit: concurrent claims of one run queue up here.
    Stmt lock(*conn, std::string("SELECT id FROM runs WHERE id = ?") + conn->ForUpdate());
    lock.Bind(run_id);
    if (lock.Step() == Stmt::kError) return lock.Error("lock run");
    auto current = GetRun(run_id);
    if (!current.ok()) return current.status();
    run = *current;
    std::string id = std::to_string(run_id);
    if (!claim.statuses.empty() &&
        std::find(claim.statuses.begin(), claim.statuses.end(), run.status) == claim.statuses.end())
      return Status::Precondition("run " + id + " is " + ToString(run.status) +
                                  " now; nothing to claim");
    bool mine = run.owner_host == claim.host && run.owner_pid == claim.pid &&
                run.owner_start == claim.start;
    if (run.owner_pid != 0 && !mine && run.lease_until > claim.now_ms &&
        (!claim.holder_alive || claim.holder_alive(run)))
      return Status::Precondition(
          "run " + id + " is being run right now by medic pid " + std::to_string(run.owner_pid) +
          " on " + (run.owner_host.empty() ? "this host" : run.owner_host) +
          " (its lease runs for another " +
          std::to_string((run.lease_until - claim.now_ms + 999) / 1000) + " s)");
    run.owner_host = claim.host;
    run.owner_pid = claim.pid;
    run.owner_start = claim.start;
    run.lease_until = claim.now_ms + claim.lease_ms;
    run.fence += 1;
    Stmt s(*conn,
           "UPDATE runs SET owner_host = ?, owner_pid = ?, owner_start = ?, lease_until = ?, "
           "fence = ? WHERE id = ?");
    s.Bind(run.owner_host).Bind(run.owner_pid).Bind(static_cast<int64_t>(run.owner_start));
    s.Bind(run.lease_until).Bind(run.fence).Bind(run_id);
    return s.Done("claim run");
  });
  if (!st.ok()) return st;
  return run;
}

Status Store::CheckFence(int64_t run_id, int64_t fence) {
  ConnUse conn(*this);
  // FOR UPDATE: the write this check guards commits before any claim can grow the fence.
  Stmt s(*conn, std::string("SELECT fence FROM runs WHERE id = ?") + conn->ForUpdate());
  s.Bind(run_id);
  Stmt::Result rc = s.Step();
  if (rc != Stmt::kRow && rc != Stmt::kDone) return s.Error("check fence");
  int64_t now = rc == Stmt::kRow ? s.Int(0) : -1;
  if (now == fence) return Status::Ok();
  return Status::Lost("run " + std::to_string(run_id) + " was claimed by another medic (fence " +
                      std::to_string(now) + ", this driver holds " + std::to_string(fence) + ")");
}

Status Store::RenewLease(int64_t run_id, int64_t fence, int64_t until) {
  ConnUse conn(*this);
  return Transaction([&]() -> Status {
    MEDIC_RETURN_IF_ERROR(CheckFence(run_id, fence));
    Stmt s(*conn,
           "UPDATE runs SET lease_until = ? WHERE id = ? AND fence = ? AND owner_pid != 0");
    s.Bind(until).Bind(run_id).Bind(fence);
    return s.Done("renew lease");
  });
}

Result<int64_t> Store::RenewQueuedLeases(const RunClaim& owner, int64_t until) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "UPDATE runs SET lease_until = ? WHERE status IN ('queued', 'needs_attention') AND "
         "owner_host = ? AND owner_pid = ? AND owner_start = ?");
  s.Bind(until).Bind(owner.host).Bind(owner.pid).Bind(static_cast<int64_t>(owner.start));
  MEDIC_RETURN_IF_ERROR(s.Done("renew queued leases"));
  return s.Changes();
}

Result<int64_t> Store::CountLeasesHeld(const RunClaim& owner, int64_t now_ms) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "SELECT count(*) FROM runs WHERE owner_host = ? AND owner_pid = ? AND owner_start = ? "
         "AND lease_until > ?");
  s.Bind(owner.host).Bind(owner.pid).Bind(static_cast<int64_t>(owner.start)).Bind(now_ms);
  if (s.Step() != Stmt::kRow) return s.Error("count leases");
  return s.Int(0);
}

Result<bool> Store::TakeLead(const std::string& job, const std::string& holder, int64_t now_ms,
                             int64_t ttl_ms) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "INSERT INTO leaders (job, holder, held_until) VALUES (?, ?, ?) ON CONFLICT (job) DO "
         "UPDATE SET holder = excluded.holder, held_until = excluded.held_until "
         "WHERE leaders.holder = excluded.holder OR leaders.held_until < ?");
  s.Bind(job).Bind(holder).Bind(now_ms + ttl_ms).Bind(now_ms);
  MEDIC_RETURN_IF_ERROR(s.Done("take lead"));
  return s.Changes() == 1;
}

Result<int64_t> Store::DeleteEndedBefore(int64_t cutoff_ms) {
  int64_t deleted = 0;
  ConnUse conn(*this);
  Status st = Transaction([&]() -> Status {
    const std::string old_runs =
        "SELECT id FROM runs WHERE status IN ('succeeded', 'failed') AND ended_at > 0 AND "
        "ended_at < ?";
    for (const char* table : {"steps", "events", "artifacts", "approvals"}) {
      Stmt s(*conn, std::string("DELETE FROM ") + table + " WHERE run_id IN (" + old_runs + ")");
      s.Bind(cutoff_ms);
      MEDIC_RETURN_IF_ERROR(s.Done("retention"));
    }
    Stmt runs(*conn,
              "DELETE FROM runs WHERE status IN ('succeeded', 'failed') AND ended_at > 0 AND "
              "ended_at < ?");
    runs.Bind(cutoff_ms);
    MEDIC_RETURN_IF_ERROR(runs.Done("retention"));
    deleted = runs.Changes();
    const std::string old_incidents =
        "SELECT id FROM incidents WHERE status = 'closed' AND closed_at < ? AND NOT EXISTS "
        "(SELECT 1 FROM runs WHERE runs.incident_id = incidents.id)";
    for (const char* table : {"alerts", "events"}) {
      Stmt s(*conn,
             std::string("DELETE FROM ") + table + " WHERE incident_id IN (" + old_incidents + ")");
      s.Bind(cutoff_ms);
      MEDIC_RETURN_IF_ERROR(s.Done("retention"));
    }
    Stmt incidents(*conn, "DELETE FROM incidents WHERE id IN (" + old_incidents + ")");
    incidents.Bind(cutoff_ms);
    MEDIC_RETURN_IF_ERROR(incidents.Done("retention"));
    Stmt unrouted(*conn, "DELETE FROM unrouted_alerts WHERE received_at < ?");
    unrouted.Bind(cutoff_ms);
    return unrouted.Done("retention");
  });
  if (!st.ok()) return st;
  return deleted;
}

Result<std::vector<StepRecord>> Store::GetSteps(int64_t run_id) {
  ConnUse conn(*this);
  Stmt s(
      *conn,
      (std::string("SELECT ") + kStepColumns + " FROM steps WHERE run_id = ? ORDER BY position"));
  s.Bind(run_id);
  std::vector<StepRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) out.push_back(ReadStep(s));
  if (rc != Stmt::kDone) return s.Error("get steps");
  return out;
}

Result<StepRecord> Store::GetStep(int64_t run_id, const std::string& step_id) {
  ConnUse conn(*this);
  Stmt s(*conn,
         (std::string("SELECT ") + kStepColumns + " FROM steps WHERE run_id = ? AND step_id = ?"));
  s.Bind(run_id).Bind(step_id);
  Stmt::Result rc = s.Step();
  if (rc == Stmt::kRow) return ReadStep(s);
  if (rc == Stmt::kDone)
    return Status::NotFound("run " + std::to_string(run_id) + " has no step '" + step_id + "'");
  return s.Error("get step");
}

Status Store::SaveStep(const StepRecord& step, const EventRecord* event) {
  ConnUse conn(*this);
  return Transaction([&]() -> Status {
    Stmt s(*conn,
           "UPDATE steps SET status = ?, attempts = ?, started_at = ?, ended_at = ?, "
           "duration_ms = ?, over_budget = ?, outputs = ?, commands = ?, error = ?, pgid = ?, "
           "pgid_start = ?, approved = ?, pgid_host = ? WHERE run_id = ? AND step_id = ?");
    s.Bind(ToString(step.status)).Bind(static_cast<int64_t>(step.attempts)).Bind(step.started_at);
    s.Bind(step.ended_at).Bind(step.duration_ms).Bind(static_cast<int64_t>(step.over_budget));
    s.Bind(step.outputs).Bind(step.commands).Bind(step.error).Bind(step.pgid);
    s.Bind(static_cast<int64_t>(step.pgid_start)).Bind(static_cast<int64_t>(step.approved));
    s.Bind(step.pgid_host);
    s.Bind(step.run_id).Bind(step.step_id);
    MEDIC_RETURN_IF_ERROR(s.Done("save step"));
    if (s.Changes() == 0)
      return Status::NotFound("run " + std::to_string(step.run_id) + " has no step '" +
                              step.step_id + "'");
    return event ? InsertEvent(*event) : Status::Ok();
  });
}

Status Store::InsertEvent(const EventRecord& e) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "INSERT INTO events (incident_id, run_id, step_id, at, kind, message, data) "
         "VALUES (?,?,?,?,?,?,?)");
  s.Bind(e.incident_id)
      .Bind(e.run_id)
      .Bind(e.step_id)
      .Bind(e.at)
      .Bind(ToString(e.kind))
      .Bind(e.message);
  s.Bind(e.data);
  return s.Queue("add event");
}

Status Store::AddEvent(const EventRecord& event) {
  ConnUse conn(*this);
  return InsertEvent(event);
}

Result<std::vector<EventRecord>> Store::EventsOfRun(int64_t run_id) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "SELECT id, incident_id, run_id, step_id, at, kind, message, data FROM events "
         "WHERE run_id = ? ORDER BY id");
  s.Bind(run_id);
  return ReadEvents(s, "events of run");
}

Result<std::vector<EventRecord>> Store::EventsOfIncident(int64_t incident_id) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "SELECT id, incident_id, run_id, step_id, at, kind, message, data FROM events "
         "WHERE incident_id = ? ORDER BY id");
  s.Bind(incident_id);
  return ReadEvents(s, "events of incident");
}

Result<int64_t> Store::AddArtifact(const ArtifactRecord& a) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "INSERT INTO artifacts (run_id, step_id, kind, path, url, size, sha256, description, "
         "created_at) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id");
  s.Bind(a.run_id).Bind(a.step_id).Bind(a.kind).Bind(a.path).Bind(a.url).Bind(a.size);
  s.Bind(a.sha256).Bind(a.description).Bind(a.created_at);
  if (s.Step() != Stmt::kRow) return s.Error("add artifact");
  return s.Int(0);
}

Result<std::vector<ArtifactRecord>> Store::ArtifactsOfRun(int64_t run_id) {
  ConnUse conn(*this);
  Stmt s(*conn,
         "SELECT id, run_id, step_id, kind, path, url, size, sha256, description, created_at "
         "FROM artifacts WHERE run_id = ? ORDER BY id");
  s.Bind(run_id);
  std::vector<ArtifactRecord> out;
  Stmt::Result rc;
  while ((rc = s.Step()) == Stmt::kRow) {
    ArtifactRecord a;
    a.id = s.Int(0);
    a.run_id = s.Int(1);
    a.step_id = s.Text(2);
    a.kind = s.Text(3);
    a.path = s.Text(4);
    a.url = s.Text(5);
    a.size = s.Int(6);
    a.sha256 = s.Text(7);
    a.description = s.Text(8);
    a.created_at = s.Int(9);
    out.push_back(a);
  }
  if (rc != Stmt::kDone) return s.Error("artifacts of run");
  return out;
}

}  // namespace medic
