#include "store/store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "store/alerts.h"
#include "store/states.h"
#include "tests/support/postgres_peer.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using testing::ScopedTempDir;
using testing::TestingPostgres;
using testing::TestRecord;

TEST(Store, OpenCreatesTheDirectoryAndMigratesToTheLatestSchema) {
  if (TestingPostgres()) GTEST_SKIP() << "SQLite only";
  ScopedTempDir dir;
  auto store = Store::Open(dir.Join("a/b/medic.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_GE((*store)->schema_version(), 1);
}

TEST(Store, ReopeningKeepsDataAndDoesNotRemigrate) {
  ScopedTempDir dir;
  std::string path = TestRecord(dir);
  int64_t incident;
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    IncidentRecord inc;
    inc.title = "api panics";
    inc.created_at = 1000;
    incident = *(*store)->CreateIncident(inc);
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  auto inc = (*store)->GetIncident(incident);
  ASSERT_TRUE(inc.ok());
  EXPECT_EQ(inc->title, "api panics");
}

TEST(Store, UsesWriteAheadLogging) {
  if (TestingPostgres()) GTEST_SKIP() << "SQLite only";
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  ASSERT_TRUE(store.ok());
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(dir.Join("medic.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

// Runs `sql` on the record at `target`, outside medic.
void ExecOnRecord(const std::string& target, const std::string& sql) {
  if (Store::IsPostgresTarget(target)) {
    PGconn* c = PQconnectdb(target.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return;
  }
  sqlite3* db;
  sqlite3_open(target.c_str(), &db);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(Store, RefusesADatabaseFromANewerMedic) {
  ScopedTempDir dir;
  std::string path = TestRecord(dir);
  { ASSERT_TRUE(Store::Open(path).ok()); }
  ExecOnRecord(path, TestingPostgres() ? "UPDATE medic_schema SET version = 999"
                                       : "PRAGMA user_version = 999");
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("upgrade medic"), std::string::npos);
}

TEST(Store, UnwritableLocationGivesAClearError) {
  if (TestingPostgres()) GTEST_SKIP() << "SQLite only";
  auto store = Store::Open("/proc/medic-cannot-write-here/medic.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("MEDIC_DB"), std::string::npos);
}

TEST(Store, RunsStepsEventsAndArtifactsRoundTrip) {
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  IncidentRecord inc;
  inc.title = "t";
  inc.created_at = 1;
  int64_t incident = *s.CreateIncident(inc);
  RunRecord run;
  run.incident_id = incident;
  run.playbook = "pb";
  run.playbook_path = "pb.yaml";
  run.playbook_source = "name: pb";
  run.params = {{"service", "api"}};
  run.created_at = 2;
  StepRecord a, b;
  a.step_id = "a";
  a.stage = "contain";
  a.action = "exec";
  a.budget_ms = 10'000;
  b.step_id = "b";
  b.stage = "contain";
  b.action = "sleep";
  b.position = 1;
  auto id = s.CreateRun(run, {a, b});
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto steps = s.GetSteps(*id);
  ASSERT_TRUE(steps.ok());
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[0].status, StepStatus::kPending);
  EXPECT_EQ((*steps)[0].budget_ms, 10'000);

  StepRecord step = (*steps)[0];
  step.status = StepStatus::kRunning;
  step.pgid = 4242;
  step.outputs = {{"stdout", "x"}};
  EventRecord e;
  e.incident_id = incident;
  e.run_id = *id;
  e.step_id = "a";
  e.at = 3;
  e.kind = EventKind::kStepStarted;
  ASSERT_TRUE(s.SaveStep(step, &e).ok());
  auto again = s.GetStep(*id, "a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, StepStatus::kRunning);
  EXPECT_EQ(again->pgid, 4242);
  EXPECT_EQ(again->outputs["stdout"], "x");

  ArtifactRecord art;
  art.run_id = *id;
  art.step_id = "a";
  art.kind = "core";
  art.path = "/tmp/core";
  art.size = 10;
  art.sha256 = "ab";
  ASSERT_TRUE(s.AddArtifact(art).ok());
  EXPECT_EQ(s.ArtifactsOfRun(*id)->size(), 1u);

  auto events = s.EventsOfRun(*id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);  // run.created + step.started
  EXPECT_EQ((*events)[0].kind, EventKind::kRunCreated);
  EXPECT_EQ((*events)[1].kind, EventKind::kStepStarted);
  EXPECT_EQ(s.EventsOfIncident(incident)->size(), 2u);
}

TEST(Store, SavingAStepOfAnUnknownRunFails) {
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  StepRecord step;
  step.run_id = 99;
  step.step_id = "nope";
  EXPECT_EQ((*store)->SaveStep(step).code(), Code::kNotFound);
}

TEST(Store, OpenIncidentsAreFoundByDedupKeyUntilClosed) {
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  Store& s = **store;
  IncidentRecord inc;
  inc.title = "t";
  inc.dedup_key = "prod/api";
  inc.created_at = 1;
  int64_t id = *s.CreateIncident(inc);
  auto found = s.FindOpenIncident("prod/api");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, id);
  ASSERT_TRUE(s.CloseIncident(id, 5, "resolved").ok());
  EXPECT_FALSE(s.FindOpenIncident("prod/api")->has_value());
}

// A run with one step on a fresh record; returns its id.
int64_t NewRun(Store& s) {
  IncidentRecord inc;
  inc.title = "t";
  inc.created_at = 1;
  RunRecord run;
  run.incident_id = *s.CreateIncident(inc);
  run.playbook = "pb";
  run.playbook_path = "pb.yaml";
  run.playbook_source = "name: pb";
  run.status = RunStatus::kQueued;
  run.created_at = 2;
  StepRecord a;
  a.step_id = "a";
  a.stage = "s";
  a.action = "exec";
  return *s.CreateRun(run, {a});
}

RunClaim ClaimBy(int64_t pid, int64_t now, std::function<bool(const RunRecord&)> alive = nullptr) {
  RunClaim c;
  c.host = "h1";
  c.pid = pid;
  c.start = 7;
  c.now_ms = now;
  c.lease_ms = 10'000;
  c.holder_alive = std::move(alive);
  return c;
}

TEST(Store, AClaimGrowsTheFenceAndAnUnexpiredLeaseKeepsOthersOut) {
  ScopedTempDir dir;
  std::string db = TestRecord(dir);
  auto one = Store::Open(db);
  auto two = Store::Open(db);  // a second process' connection
  ASSERT_TRUE(one.ok() && two.ok());
  int64_t id = NewRun(**one);
  auto first = (*one)->ClaimRun(id, ClaimBy(100, 1'000));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->fence, 1);
  EXPECT_EQ(first->lease_until, 11'000);
  auto refused = (*two)->ClaimRun(id, ClaimBy(200, 5'000));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("being run right now by medic pid 100"),
            std::string::npos)
      << refused.status().message();
  // Past the lease, or with the holder known dead, the run is free to take.
  auto late = (*two)->ClaimRun(id, ClaimBy(200, 11'001));
  ASSERT_TRUE(late.ok()) << late.status().message();
  EXPECT_EQ(late->fence, 2);
  auto dead = (*one)->ClaimRun(id, ClaimBy(300, 11'002, [](const RunRecord&) { return false; }));
  ASSERT_TRUE(dead.ok()) << dead.status().message();
  EXPECT_EQ(dead->fence, 3);
}

TEST(Store, AWriteFencedByAnOlderClaimIsRefusedAndChangesNothing) {
  ScopedTempDir dir;
  std::string db = TestRecord(dir);
  auto one = Store::Open(db);
  auto two = Store::Open(db);
  ASSERT_TRUE(one.ok() && two.ok());
  int64_t id = NewRun(**one);
  auto old_claim = (*one)->ClaimRun(id, ClaimBy(100, 1'000));
  ASSERT_TRUE(old_claim.ok());
  auto new_claim = (*two)->ClaimRun(id, ClaimBy(200, 20'000));
  ASSERT_TRUE(new_claim.ok());
  auto step = *(*one)->GetStep(id, "a");
  step.status = StepStatus::kRunning;
  Status st = (*one)->Transaction([&]() -> Status {
    MEDIC_RETURN_IF_ERROR((*one)->CheckFence(id, old_claim->fence));
    return (*one)->SaveStep(step);
  });
  EXPECT_EQ(st.code(), Code::kLost) << st.message();
  EXPECT_EQ((*two)->GetStep(id, "a")->status, StepStatus::kPending);
  EXPECT_EQ((*one)->RenewLease(id, old_claim->fence, 99'000).code(), Code::kLost);
  EXPECT_TRUE((*two)->RenewLease(id, new_claim->fence, 99'000).ok());
  EXPECT_EQ((*one)->GetRun(id)->lease_until, 99'000);
}

TEST(Store, AClaimChecksTheStatusTheCallerExpects) {
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  ASSERT_TRUE(store.ok());
  int64_t id = NewRun(**store);
  RunClaim c = ClaimBy(100, 1'000);
  c.statuses = {RunStatus::kNeedsAttention};
  auto r = (*store)->ClaimRun(id, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ((*store)->GetRun(id)->fence, 0) << "a refused claim changes nothing";
}

TEST(Store, AnApprovalIsConsumedOnceAcrossConnections) {
  ScopedTempDir dir;
  std::string db = TestRecord(dir);
  auto one = Store::Open(db);
  auto two = Store::Open(db);
  ASSERT_TRUE(one.ok() && two.ok());
  int64_t id = NewRun(**one);
  ApprovalRecord a;
  a.run_id = id;
  a.step_id = "a";
  a.approved_by = "oncall";
  a.at = 5;
  int64_t approval = *AlertStore(**one).AddApproval(a);
  EXPECT_TRUE(*AlertStore(**one).ConsumeApproval(approval, 6));
  EXPECT_FALSE(*AlertStore(**two).ConsumeApproval(approval, 7));
}

// `n` Stores on `db`, or one Store `n` times (the threads of one serve share one).
std::vector<std::shared_ptr<Store>> Stores(const std::string& db, int n, bool shared) {
  std::vector<std::shared_ptr<Store>> out;
  for (int i = 0; i < n; ++i) {
    if (shared && i > 0) {
      out.push_back(out.front());
      continue;
    }
    auto s = Store::Open(db);
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (!s.ok()) return {};
    out.push_back(std::move(*s));
  }
  return out;
}

// Runs fn(i) on `n` threads released at the same instant.
void AtOnce(int n, const std::function<void(int)>& fn) {
  std::atomic<int> go{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      go.fetch_add(1);
      while (go.load() < n) std::this_thread::yield();
      fn(i);
    });
  for (auto& t : threads) t.join();
}

// Eight claimers of one queued run at the same instant, each on its own Store (eight medics)
// or all on one (one serve's threads, several connections on PostgreSQL): one wins.
void ClaimRace(bool shared) {
  ScopedTempDir dir;
  auto stores = Stores(TestRecord(dir), 8, shared);
  ASSERT_EQ(stores.size(), 8u);
  for (int round = 0; round < 5; ++round) {
    int64_t id = NewRun(*stores[0]);
    std::atomic<int> won{0};
    AtOnce(8, [&](int i) {
      RunClaim c = ClaimBy(100 + i, 1'000);
      c.statuses = {RunStatus::kQueued};
      if (stores[i]->ClaimRun(id, c).ok()) won.fetch_add(1);
    });
    EXPECT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(stores[0]->GetRun(id)->fence, 1);
  }
}

TEST(Store, ConcurrentClaimsFromManyConnectionsHaveOneWinner) { ClaimRace(false); }
TEST(Store, ConcurrentClaimsFromThreadsOfOneStoreHaveOneWinner) { ClaimRace(true); }

// Replicas (or one replica's threads) that receive the same new alert at once each look for
// its open incident and create it when there is none, in one transaction: one incident
// results.
void IntakeRace(bool shared) {
  ScopedTempDir dir;
  auto stores = Stores(TestRecord(dir), 6, shared);
  ASSERT_EQ(stores.size(), 6u);
  for (int round = 0; round < 5; ++round) {
    std::string key = "prod/api/" + std::to_string(round);
    std::vector<int64_t> ids(stores.size());
    std::vector<std::string> errors(stores.size());
    AtOnce(static_cast<int>(stores.size()), [&](int i) {
      Store& s = *stores[i];
      Status st = s.Transaction([&]() -> Status {
        auto open = s.FindOpenIncident(key);
        if (!open.ok()) return open.status();
        if (open->has_value()) {
          ids[i] = (*open)->id;
          return Status::Ok();
        }
        IncidentRecord inc;
        inc.title = "api panics";
        inc.dedup_key = key;
        inc.created_at = 1;
        auto id = s.CreateIncident(inc);
        if (!id.ok()) return id.status();
        ids[i] = *id;
        return Status::Ok();
      });
      if (!st.ok()) errors[i] = st.message();
    });
    std::set<int64_t> distinct(ids.begin(), ids.end());
    for (const auto& e : errors) EXPECT_EQ(e, "");
    EXPECT_EQ(distinct.size(), 1u) << "round " << round;
  }
}

TEST(Store, ConcurrentIntakesOfOneDedupKeyOpenOneIncident) { IntakeRace(false); }
TEST(Store, ConcurrentIntakesOnThreadsOfOneStoreOpenOneIncident) { IntakeRace(true); }

// On PostgreSQL a Store has several connections: a transaction that is open on one thread
// (an intake waiting for its commit) does not hold up another thread's calls (a run's step
// write). One connection would make the second thread wait for the first, which here waits
// for the second: the reader would never finish.
TEST(Store, AnOpenTransactionDoesNotHoldUpAnotherThread) {
  if (!TestingPostgres()) GTEST_SKIP() << "SQLite has one connection: calls take turns";
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  ASSERT_TRUE(store.ok()) << store.status().message();
  Store& s = **store;
  int64_t run = NewRun(s);
  std::atomic<bool> read{false};
  bool read_inside = false;
  Status st = s.Transaction([&]() -> Status {
    IncidentRecord inc;
    inc.title = "not committed yet";
    inc.created_at = 1;
    auto id = s.CreateIncident(inc);
    if (!id.ok()) return id.status();
    std::thread other([&] {
      auto got = s.GetRun(run);
      EXPECT_TRUE(got.ok());
      // The other thread's connection does not see this uncommitted transaction.
      auto incidents = s.ListIncidents(100);
      EXPECT_TRUE(incidents.ok());
      if (incidents.ok()) {
        for (const auto& i : *incidents) EXPECT_NE(i.title, "not committed yet");
      }
      read = true;
    });
    for (int i = 0; i < 2000 && !read; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    read_inside = read;
    other.join();
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(read_inside) << "the other thread waited for this transaction to end";
  auto incidents = s.ListIncidents(100);
  ASSERT_TRUE(incidents.ok());
  EXPECT_EQ(incidents->front().title, "not committed yet");
}

// serve opens its pool before the first alert: the record then holds that many sessions, and
// each serves calls, including the first run of a statement (prepared in the same round trip).
TEST(Store, OpenAllConnectionsOpensThePoolUpFront) {
  ScopedTempDir dir;
  std::string target = TestRecord(dir);
  auto store = Store::Open(target);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Store& s = **store;
  if (!TestingPostgres()) {
    EXPECT_EQ(s.OpenAllConnections(), 1u) << "SQLite has its one connection";
    return;
  }
  EXPECT_EQ(s.OpenAllConnections(), Store::kMaxPostgresConnections);
  std::string sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                         " AND pid <> pg_backend_pid()";  // not the session that asks
  EXPECT_EQ(testing::QueryRecord(target, sessions), std::to_string(Store::kMaxPostgresConnections));
  EXPECT_EQ(s.OpenAllConnections(), Store::kMaxPostgresConnections) << "opens none twice";
  // Every connection runs statements it has not prepared before, in and out of transactions.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (size_t t = 0; t < Store::kMaxPostgresConnections; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        Status st = s.Transaction([&]() -> Status {
          IncidentRecord inc;
          inc.title = "pooled";
          inc.created_at = 1;
          auto id = s.CreateIncident(inc);
          if (!id.ok()) return id.status();
          return s.GetIncident(*id).status();
        });
        if (!st.ok() || !s.ListIncidents(1).ok()) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(testing::QueryRecord(target, "SELECT count(*) FROM incidents"),
            std::to_string(5 * Store::kMaxPostgresConnections));
}

// Writes nothing reads back go out without waiting (PostgreSQL: pipelined up to the next
// read or the COMMIT). One that fails still fails its transaction and rolls back the rest,
// the read after it reports it, and the connection goes on working.
TEST(Store, AQueuedWriteThatFailsFailsItsTransaction) {
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  ASSERT_TRUE(store.ok()) << store.status().message();
  Store& s = **store;
  AlertStore alerts(s);
  ASSERT_TRUE(alerts.SaveDelivery("pagerduty", "d1", 1, Json::object()).ok());
  enum After { kCommit, kRead, kBodyFails };
  // An incident and an event about it (queued): the incident's id.
  auto incident_and_event = [&](const std::string& title) -> Result<int64_t> {
    IncidentRecord inc;
    inc.title = title;
    inc.created_at = 1;
    auto id = s.CreateIncident(inc);
    if (!id.ok()) return id.status();
    EventRecord e;
    e.incident_id = *id;
    e.at = 1;
    e.kind = EventKind::kIncidentTriggered;
    e.message = title;
    MEDIC_RETURN_IF_ERROR(s.AddEvent(e));
    return id;
  };
  auto failing = [&](After after) {
    return s.Transaction([&]() -> Status {
      auto id = incident_and_event("rolled back");
      if (!id.ok()) return id.status();
      MEDIC_RETURN_IF_ERROR(alerts.SaveDelivery("pagerduty", "d1", 2, Json::object()));
      EventRecord after_it;  // queued after the failing write, in the same pipeline
      after_it.incident_id = *id;
      after_it.kind = EventKind::kIncidentTriggered;
      MEDIC_RETURN_IF_ERROR(s.AddEvent(after_it));
      if (after == kRead) return alerts.FindDelivery("pagerduty", "d1").status();
      if (after == kBodyFails) return Status::Io("the body fails for a reason of its own");
      return Status::Ok();
    });
  };
  for (After after : {kCommit, kRead, kBodyFails}) {
    Status st = failing(after);
    ASSERT_FALSE(st.ok()) << "the second delivery with one id";
    // (SQLite runs each write at once: its body stops at the failing one.)
    if (after != kBodyFails)
      EXPECT_NE(st.message().find("save delivery"), std::string::npos) << st.message();
    auto incidents = s.ListIncidents(100);
    ASSERT_TRUE(incidents.ok()) << incidents.status().message();
    EXPECT_TRUE(incidents->empty()) << "the incident was rolled back";
  }
  // A read inside the transaction sees the writes queued before it.
  std::vector<EventRecord> seen;
  Status st = s.Transaction([&]() -> Status {
    auto id = incident_and_event("queued");
    if (!id.ok()) return id.status();
    auto events = s.EventsOfIncident(*id);
    if (!events.ok()) return events.status();
    seen = *events;
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].message, "queued");
  EXPECT_EQ(s.ListIncidents(100)->size(), 1u);
}

// Calls made inside a Transaction on its thread join it: a failure rolls them all back.
TEST(Store, CallsInsideATransactionJoinIt) {
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  ASSERT_TRUE(store.ok()) << store.status().message();
  Store& s = **store;
  Status st = s.Transaction([&]() -> Status {
    IncidentRecord inc;
    inc.title = "rolled back";
    inc.created_at = 1;
    auto id = s.CreateIncident(inc);
    if (!id.ok()) return id.status();
    MEDIC_RETURN_IF_ERROR(s.CloseIncident(*id, 2, "test"));
    return Status::Io("fails after two calls");
  });
  EXPECT_FALSE(st.ok());
  auto incidents = s.ListIncidents(100);
  ASSERT_TRUE(incidents.ok());
  EXPECT_TRUE(incidents->empty());
}

TEST(Store, APostgresUriWithAPasswordIsRefusedBeforeConnecting) {
  auto store = Store::Open("postgres://medic:hunter2@127.0.0.1:1/medic");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kInvalidArgument);
  EXPECT_NE(store.status().message().find("PGPASSWORD"), std::string::npos);
  EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos);
}

TEST(Store, AnUnreachablePostgresGivesAClearError) {
  auto store = Store::Open("postgresql://medic@127.0.0.1:1/medic?connect_timeout=2");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kIo);
  EXPECT_NE(store.status().message().find("cannot connect to database"), std::string::npos)
      << store.status().message();
}

// What PostgreSQL refuses and SQLite keeps (invalid UTF-8, NUL bytes in a step's output)
// is written on both, replaced rather than lost with the whole write.
TEST(Store, TextThatIsNotUtf8IsStoredReplaced) {
  ScopedTempDir dir;
  auto store = Store::Open(TestRecord(dir));
  ASSERT_TRUE(store.ok());
  int64_t id = NewRun(**store);
  auto step = *(*store)->GetStep(id, "a");
  step.error = std::string("core dumped \xff\xfe at ") + std::string(1, '\0') + "0x0";
  ASSERT_TRUE((*store)->SaveStep(step).ok());
  std::string back = (*store)->GetStep(id, "a")->error;
  EXPECT_EQ(back.rfind("core dumped ", 0), 0u) << back;
  EXPECT_NE(back.find("0x0"), std::string::npos) << back;
}

TEST(States, EveryStatusAndKindRoundTripsThroughItsText) {
  for (int i = 0; i <= static_cast<int>(RunStatus::kNeedsAttention); ++i)
    EXPECT_EQ(ParseRunStatus(ToString(static_cast<RunStatus>(i))), static_cast<RunStatus>(i));
  for (int i = 0; i <= static_cast<int>(StepStatus::kInterrupted); ++i)
    EXPECT_EQ(ParseStepStatus(ToString(static_cast<StepStatus>(i))), static_cast<StepStatus>(i));
  for (int i = 0; i <= static_cast<int>(EventKind::kIncidentClosed); ++i)
    EXPECT_EQ(ParseEventKind(ToString(static_cast<EventKind>(i))), static_cast<EventKind>(i));
  EXPECT_EQ(ParseRunStatus("runing"), std::nullopt);
  EXPECT_STREQ(ToString(EventFor(StepStatus::kTimedOut)), "step.timed_out");
  EXPECT_STREQ(ToString(EventFor(RunStatus::kNeedsAttention)), "run.needs_attention");
}

TEST(States, OnlyLegalTransitionsAreAllowed) {
  using S = StepStatus;
  using R = RunStatus;
  EXPECT_TRUE(CanMove(S::kPending, S::kRunning));
  EXPECT_TRUE(CanMove(S::kRunning, S::kTimedOut));
  EXPECT_TRUE(CanMove(S::kInterrupted, S::kPending)) << "an idempotent step runs again";
  EXPECT_TRUE(CanMove(S::kFailed, S::kPending)) << "--retry";
  EXPECT_FALSE(CanMove(S::kSucceeded, S::kPending)) << "a succeeded step never repeats";
  EXPECT_FALSE(CanMove(S::kSucceeded, S::kRunning));
  EXPECT_FALSE(CanMove(S::kPending, S::kSucceeded)) << "nothing succeeds without running";
  EXPECT_FALSE(CanMove(S::kRunning, S::kPending)) << "interrupted first, then reset";
  EXPECT_TRUE(CanMove(R::kQueued, R::kRunning));
  EXPECT_TRUE(CanMove(R::kNeedsAttention, R::kRunning));
  EXPECT_FALSE(CanMove(R::kQueued, R::kSucceeded));
  EXPECT_FALSE(CanMove(R::kSucceeded, R::kRunning));
}

}  // namespace
}  // namespace medic
