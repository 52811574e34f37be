// The record: every incident, run, step, event and artifact, in SQLite (the embedded
// default) or PostgreSQL (several medic serve replicas sharing one record). SQLite runs in
// WAL mode with synchronous=NORMAL: each commit survives a kill -9 of medic at any instant
// without an fsync per step. The schema is versioned and migrated on open, the same versions
// on both backends; see kMigrations in schema.cc. Start with Store::Open and the record
// structs below.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "store/states.h"

namespace medic {
namespace store_internal {
struct Conn;     // store/statement.h
class ConnUse;   // store/statement.h
}

struct IncidentRecord {
  int64_t id = 0;
  std::string title;
  std::string source = "cli";  ///< cli | alertmanager | pagerduty | generic
  std::string dedup_key;
  std::string status = "open";  ///< open | closed
  Json labels = Json::object();
  int64_t created_at = 0;   ///< unix ms
  int64_t detected_at = 0;  ///< first alert's startsAt, 0 unknown
  int64_t closed_at = 0;
};

struct RunRecord {
  int64_t id = 0;
  int64_t incident_id = 0;
  std::string playbook;  ///< playbook name
  std::string playbook_path;
  std::string playbook_source;  ///< the YAML as it was when the run started
  Json params = Json::object();
  RunStatus status = RunStatus::kRunning;  ///< store/states.h
  std::string trigger = "cli";
  Json options = Json::object();  ///< {yes, auto_confirm, ...}
  std::string owner_host;         ///< the host of the medic driving it ("" none)
  int64_t owner_pid = 0;          ///< the medic process driving it, 0 none
  uint64_t owner_start = 0;       ///< that process' start ticks (pid reuse guard)
  int64_t lease_until = 0;        ///< unix ms; the owner must renew before then
  int64_t fence = 0;              ///< grows on every claim; a driver's writes check it
  /// What the run's status alone does not say: [{"step", "status", "reason"}] for each step
  /// that failed under on_failure: continue or was skipped as not configured.
  Json warnings = Json::array();
  int64_t created_at = 0;
  int64_t started_at = 0;
  int64_t ended_at = 0;
  std::string error;
};

struct StepRecord {
  int64_t run_id = 0;
  std::string step_id;
  std::string stage;
  int position = 0;  ///< order in the playbook
  std::string action;
  StepStatus status = StepStatus::kPending;  ///< store/states.h
  int attempts = 0;
  int64_t started_at = 0;
  int64_t ended_at = 0;
  int64_t duration_ms = 0;
  int64_t budget_ms = 0;  ///< 0: no budget
  bool over_budget = false;
  Json outputs = Json::object();
  Json commands = Json::array();  ///< redacted argv of each process started
  std::string error;
  int64_t pgid = 0;         ///< process group of the running process, 0 none
  uint64_t pgid_start = 0;  ///< start ticks of its leader
  std::string pgid_host;    ///< the host the process group runs on
  bool approved = false;    ///< confirmation given for a destructive step
};

struct EventRecord {
  int64_t id = 0;
  int64_t incident_id = 0;
  int64_t run_id = 0;  ///< 0 when the event is about the incident only
  std::string step_id;
  int64_t at = 0;                           ///< unix ms
  EventKind kind = EventKind::kRunCreated;  ///< store/states.h
  std::string message;
  Json data = Json::object();
};

struct ArtifactRecord {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string step_id;
  std::string kind;
  std::string path;
  std::string url;
  int64_t size = -1;
  std::string sha256;
  std::string description;
  int64_t created_at = 0;
};

/// Who wants to drive a run, for Store::ClaimRun.
struct RunClaim {
  std::string host;
  int64_t pid = 0;
  uint64_t start = 0;
  int64_t now_ms = 0;    ///< unix ms
  int64_t lease_ms = 0;  ///< the lease runs until now_ms + lease_ms
  /// Statuses the run may be in to be claimed; empty: any.
  std::vector<RunStatus> statuses;
  /// Whether the current holder of an unexpired lease is still alive (a holder on this
  /// host whose process is gone lets go at once); null: trust the lease.
  std::function<bool(const RunRecord&)> holder_alive;
};
/// A serve route's circuit breaker (server/guardrails.h decides when it opens).
struct RouteBreakerRecord {
  std::string route;
  int64_t opened_at = 0;   ///< unix ms it last opened, 0 never
  int64_t open_until = 0;  ///< open while now < open_until; 0 once reset
  int64_t failures = 0;    ///< failed runs in the window when it opened
  int64_t reset_at = 0;    ///< the last `medic route reset`; earlier failures do not count
  std::string reset_by;

  bool open(int64_t now_ms) const { return now_ms < open_until; }
};

/// The record. Thread-safe: each call runs on a connection of its own for its length (a
/// call made inside a Transaction() on the same thread joins its connection). SQLite has
/// one connection, so calls take turns; PostgreSQL opens up to kMaxPostgresConnections as
/// threads need them, so serve's requests and its runs do not wait for each other's
/// commits. Several medic processes may share a database (SQLite: busy timeout and one
/// writer at a time; PostgreSQL: row locks on the runs a transaction claims or fences). Strings and JSON are redacted by callers before
/// they reach the store (the runner does it at one place).
class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Opens and migrates to the latest schema. `target` is a file path (SQLite; the file
  /// and its directory are created) or a libpq connection URI, `postgres://` or
  /// `postgresql://` (the password comes from PGPASSWORD or PGPASSFILE, never from the
  /// URI). Fails with kIo when the database cannot be opened, kInvalidArgument for a URI
  /// that carries a password, and kFailedPrecondition when it was written by a newer medic.
  static Result<std::unique_ptr<Store>> Open(const std::string& target);
  /// Whether `target` names a PostgreSQL database rather than a file.
  static bool IsPostgresTarget(const std::string& target);

  /// The schema version after migration.
  int schema_version();
  /// The file, or the connection URI: what to name in messages.
  const std::string& path() const;
  /// "sqlite" or "postgres".
  const char* backend() const;

  Result<int64_t> CreateIncident(const IncidentRecord& incident);
  Result<IncidentRecord> GetIncident(int64_t id);
  /// The open incident with this dedup key, if any.
  Result<std::optional<IncidentRecord>> FindOpenIncident(const std::string& dedup_key);
  Status CloseIncident(int64_t id, int64_t at, const std::string& why);
  Result<std::vector<IncidentRecord>> ListIncidents(int limit);

  /// Creates the run and its pending steps, plus a run.created event, in one transaction.
  Result<int64_t> CreateRun(const RunRecord& run, const std::vector<StepRecord>& steps);
  Result<RunRecord> GetRun(int64_t id);
  /// Newest first.
  Result<std::vector<RunRecord>> ListRuns(int limit);
  Result<std::vector<RunRecord>> RunsOfIncident(int64_t incident_id);
  /// How many runs serve's route `route` created at or after `since_ms` (unix ms); the
  /// on_suppressed notifications it started instead do not count.
  Result<int64_t> CountRunsOfRoute(const std::string& route, int64_t since_ms);
  /// How many of the route's runs ended `failed` at or after `since_ms`.
  Result<int64_t> CountFailedRunsOfRoute(const std::string& route, int64_t since_ms);
  /// The route's circuit breaker; one that never opened reads as all zeros.
  Result<RouteBreakerRecord> GetRouteBreaker(const std::string& route);
  Result<std::vector<RouteBreakerRecord>> ListRouteBreakers();
  Status SaveRouteBreaker(const RouteBreakerRecord& breaker);
  /// Runs in any of `statuses`, oldest first.
  Result<std::vector<RunRecord>> RunsWithStatus(const std::vector<RunStatus>& statuses);
  /// Updates status, started/ended, error, owner and lease of a run, with `event` if given.
  /// Only a run's driver calls it: when it starts (right after its claim) and when it ends
  /// (clearing the owner, which lets the run go).
  Status SaveRun(const RunRecord& run, const EventRecord* event = nullptr);

  /// Takes the lease of run `run_id` for `claim`'s owner in one transaction: fails with
  /// kFailedPrecondition when another owner holds an unexpired lease (and is alive), or the
  /// run is not in one of `claim.statuses`. On success the run's fence has grown by one and
  /// the returned record carries it: every later write of this driver checks it.
  Result<RunRecord> ClaimRun(int64_t run_id, const RunClaim& claim);
  /// kLost when the run's fence is no longer `fence` (another driver claimed it). Call inside
  /// a Transaction() to make a write conditional on still holding the run.
  Status CheckFence(int64_t run_id, int64_t fence);
  /// Extends the lease of the holder of `fence` to `until` (unix ms); kLost when it lost it.
  Status RenewLease(int64_t run_id, int64_t fence, int64_t until);
  /// Extends to `until` the leases `owner` holds on runs it has not started yet: queued runs
  /// medic serve created, and waiting runs whose approval it took. Returns how many.
  Result<int64_t> RenewQueuedLeases(const RunClaim& owner, int64_t until);
  /// Runs whose lease `owner` holds now, in any status.
  Result<int64_t> CountLeasesHeld(const RunClaim& owner, int64_t now_ms);

  /// Makes `holder` the one who does `job` until now_ms + ttl_ms, unless another holder's
  /// term has not run out. True when `holder` now holds it (a term is renewed by taking it
  /// again before it ends).
  Result<bool> TakeLead(const std::string& job, const std::string& holder, int64_t now_ms,
                        int64_t ttl_ms);
  /// Retention: deletes the runs that ended (succeeded or failed) before `cutoff_ms` with
  /// their steps, events, artifacts and approvals, then the closed incidents (closed before
  /// the cutoff) left without runs, with their alerts and events, and unrouted alerts older
  /// than the cutoff. Never a run that is queued, running, interrupted or waits for a person.
  /// Returns how many runs it deleted.
  Result<int64_t> DeleteEndedBefore(int64_t cutoff_ms);

  Result<std::vector<StepRecord>> GetSteps(int64_t run_id);
  Result<StepRecord> GetStep(int64_t run_id, const std::string& step_id);
  /// Writes every mutable field of the step, with `event` if given, in one transaction.
  Status SaveStep(const StepRecord& step, const EventRecord* event = nullptr);

  Status AddEvent(const EventRecord& event);
  /// Events of a run (run_id > 0) or of an incident and all its runs, in order.
  Result<std::vector<EventRecord>> EventsOfRun(int64_t run_id);
  Result<std::vector<EventRecord>> EventsOfIncident(int64_t incident_id);

  Result<int64_t> AddArtifact(const ArtifactRecord& artifact);
  Result<std::vector<ArtifactRecord>> ArtifactsOfRun(int64_t run_id);

  /// Runs `body` inside BEGIN (SQLite: IMMEDIATE) ... COMMIT (ROLLBACK when it fails). A call
  /// made from inside `body` on the same thread (e.g. CreateRun within an intake transaction)
  /// joins the outer transaction: the outer call commits or rolls back everything. On
  /// PostgreSQL the outermost call runs `body` again (up to 5 times) when the database
  /// refused it for a conflict with a concurrent transaction: a deadlock, a serialization
  /// failure, or a unique key committed first (two replicas opening one incident). So
  /// `body` must do nothing outside the record that it cannot do twice.
  Status Transaction(const std::function<Status()>& body);

  /// Commits on this connection stop running WAL checkpoints (a checkpoint fsyncs, and
  /// would stall the commit that triggers it); the caller checkpoints from another
  /// connection instead (store/checkpointer.h). For long-lived writers such as medic serve.
  Status DisableAutoCheckpoint();

  /// Opens now every connection the pool may hold (PostgreSQL; SQLite has its one), so that
  /// the first burst of calls does not wait on connecting. A refused connection makes the
  /// pool do with those open, as when one is opened on demand; the count open is returned.
  size_t OpenAllConnections();

  /// Connections one Store opens to PostgreSQL at most: enough for serve's HTTP threads
  /// and run workers to commit side by side, few enough that three replicas stay far below
  /// PostgreSQL's default max_connections of 100.
  static constexpr size_t kMaxPostgresConnections = 8;

 private:
  friend class AlertStore;              // store/alerts.cc: the alert intake tables
  friend class store_internal::ConnUse;  // takes and gives back connections

  Store(std::unique_ptr<store_internal::Conn> first, std::string target);
  Status Migrate();
  Status InsertEvent(const EventRecord& event);  // on the caller's connection

  // A free connection: an idle one, a new one while below the cap (when opening fails, the
  // cap becomes what is open), or the next one given back.
  store_internal::Conn* Acquire();
  void Release(store_internal::Conn* conn);
  // Opens one more connection with `lock` (on pool_mu_) released meanwhile; nullptr when the
  // server refused it, which lowers the cap to what is open.
  store_internal::Conn* OpenOne(std::unique_lock<std::mutex>& lock);

  const std::string target_;  // what Open() was given: new connections open it too
  const std::string where_;   // the file, or the URI, for messages
  const bool postgres_;
  std::mutex pool_mu_;
  std::condition_variable pool_free_;
  std::vector<std::unique_ptr<store_internal::Conn>> conns_;  // every open one; pool_mu_
  std::vector<store_internal::Conn*> idle_;                   // pool_mu_
  size_t max_conns_;                                          // pool_mu_
  size_t opening_ = 0;  // connections being opened outside the lock; pool_mu_
};

}  // namespace medic
