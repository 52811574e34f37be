#include "store/schema.h"

#include <string>

namespace medic::store_internal {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a released entry; append.
const char* const kMigrations[] = {
    // 1: incidents, runs, steps, events, artifacts.
    R"sql(
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  source TEXT NOT NULL,
  dedup_key TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  detected_at INTEGER NOT NULL DEFAULT 0,
  closed_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX incidents_open_by_key ON incidents(dedup_key) WHERE status = 'open';
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  playbook TEXT NOT NULL,
  playbook_path TEXT NOT NULL,
  playbook_source TEXT NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL,
  trigger TEXT NOT NULL,
  options TEXT NOT NULL DEFAULT '{}',
  owner_pid INTEGER NOT NULL DEFAULT 0,
  owner_start INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL DEFAULT 0,
  ended_at INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_incident ON runs(incident_id);
CREATE TABLE steps (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  position INTEGER NOT NULL,
  action TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL DEFAULT 0,
  ended_at INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  budget_ms INTEGER NOT NULL DEFAULT 0,
  over_budget INTEGER NOT NULL DEFAULT 0,
  outputs TEXT NOT NULL DEFAULT '{}',
  commands TEXT NOT NULL DEFAULT '[]',
  error TEXT NOT NULL DEFAULT '',
  pgid INTEGER NOT NULL DEFAULT 0,
  pgid_start INTEGER NOT NULL DEFAULT 0,
  approved INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, step_id)
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL DEFAULT 0,
  run_id INTEGER NOT NULL DEFAULT 0,
  step_id TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_incident ON events(incident_id, id);
CREATE INDEX events_by_run ON events(run_id, id);
CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT -1,
  sha256 TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX artifacts_by_run ON artifacts(run_id);
)sql",
    // 2: alert intake of `medic serve` (store/alerts.h): the alerts of each incident, webhook
    // deliveries already handled, alerts no route matched, approvals given.
    R"sql(
CREATE TABLE alerts (
  incident_id INTEGER NOT NULL REFERENCES incidents(id),
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}',
  annotations TEXT NOT NULL DEFAULT '{}',
  starts_at INTEGER NOT NULL DEFAULT 0,
  ends_at INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  notifications INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (incident_id, fingerprint)
);
CREATE TABLE webhook_deliveries (
  source TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  response TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (source, delivery_id)
);
CREATE TABLE unrouted_alerts (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  fingerprint TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL DEFAULT '{}',
  annotations TEXT NOT NULL DEFAULT '{}',
  starts_at INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE approvals (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  step_id TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  at INTEGER NOT NULL,
  consumed_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX approvals_pending ON approvals(id) WHERE consumed_at = 0;
)sql",
    // 3: leases. A run is driven by whoever holds its lease (owner host, pid and start until
    // lease_until); fence grows on every claim, and a driver's writes check it. A step's
    // process group is recorded with the host it runs on.
    R"sql(
ALTER TABLE runs ADD COLUMN owner_host TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE steps ADD COLUMN pgid_host TEXT NOT NULL DEFAULT '';
)sql",
    // 4: what a run says beyond its status: steps that failed under on_failure: continue or
    // were skipped as not configured ([{"step", "status", "reason"}]).
    R"sql(
ALTER TABLE runs ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
)sql",
    // 5: serve routes' circuit breakers: open until open_until (unix ms) after `failures`
    // failed runs; reset_at is the last `medic route reset`, before which failures don't count.
    R"sql(
CREATE TABLE route_breakers (
  route TEXT PRIMARY KEY,
  opened_at INTEGER NOT NULL DEFAULT 0,
  open_until INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  reset_at INTEGER NOT NULL DEFAULT 0,
  reset_by TEXT NOT NULL DEFAULT ''
);
)sql",
    // 6: jobs one process at a time does for all that share the record (retention): the
    // holder until held_until (unix ms), renewed by taking it again.
    R"sql(
CREATE TABLE leaders (
  job TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  held_until INTEGER NOT NULL
);
)sql",
};

constexpr int kLatestVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

// PostgreSQL runs the same entries in its types (PgMigration): times and counters BIGINT,
// ids identities. What only it needs is added after the entry of the same version.
const char* const kPgAfter[] = {
    // 1: the unique index over open incidents' dedup keys makes two replicas that receive
    // the same new alert at once open one incident: the second insert waits for the first
    // and fails, and its transaction runs again and finds the incident (Store::Transaction).
    // SQLite's single writer gives the same without it.
    R"sql(
CREATE UNIQUE INDEX incidents_one_open_per_key ON incidents(dedup_key)
  WHERE status = 'open' AND dedup_key <> '';
)sql",
    // 2: alerts.seq keeps the order alerts arrived in (SQLite's rowid).
    "ALTER TABLE alerts ADD COLUMN seq BIGINT GENERATED BY DEFAULT AS IDENTITY;",
    "",
    "",
    "",
    "",
};
static_assert(sizeof(kPgAfter) == sizeof(kMigrations), "one PostgreSQL entry per version");

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// Migration `v` (from version v to v+1) as PostgreSQL runs it.
std::string PgMigration(int v) {
  std::string sql = ReplaceAll(kMigrations[v], "INTEGER PRIMARY KEY AUTOINCREMENT", "ID_COLUMN");
  sql = ReplaceAll(sql, "INTEGER PRIMARY KEY,", "ID_COLUMN,");
  sql = ReplaceAll(sql, "INTEGER", "BIGINT");
  sql = ReplaceAll(sql, "ID_COLUMN", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  return sql + kPgAfter[v];
}

}  // namespace

int LatestSchemaVersion() { return kLatestVersion; }

std::string MigrationSql(int from_version, Dialect dialect) {
  return dialect == Dialect::kPostgres ? PgMigration(from_version)
                                       : std::string(kMigrations[from_version]);
}

}  // namespace medic::store_internal
