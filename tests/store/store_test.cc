#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/alerts.h"
#include "store/states.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using testing::ScopedTempDir;

TEST(Store, OpenCreatesTheDirectoryAndMigratesToTheLatestSchema) {
  ScopedTempDir dir;
  auto store = Store::Open(dir.Join("a/b/medic.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_GE((*store)->schema_version(), 1);
}

TEST(Store, ReopeningKeepsDataAndDoesNotRemigrate) {
  ScopedTempDir dir;
  std::string path = dir.Join("medic.db");
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
  ScopedTempDir dir;
  auto store = Store::Open(dir.Join("medic.db"));
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

TEST(Store, RefusesADatabaseFromANewerMedic) {
  ScopedTempDir dir;
  std::string path = dir.Join("medic.db");
  { ASSERT_TRUE(Store::Open(path).ok()); }
  sqlite3* db;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("upgrade medic"), std::string::npos);
}

TEST(Store, UnwritableLocationGivesAClearError) {
  auto store = Store::Open("/proc/medic-cannot-write-here/medic.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("MEDIC_DB"), std::string::npos);
}

TEST(Store, RunsStepsEventsAndArtifactsRoundTrip) {
  ScopedTempDir dir;
  auto store = Store::Open(dir.Join("medic.db"));
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
  auto store = Store::Open(dir.Join("medic.db"));
  StepRecord step;
  step.run_id = 99;
  step.step_id = "nope";
  EXPECT_EQ((*store)->SaveStep(step).code(), Code::kNotFound);
}

TEST(Store, OpenIncidentsAreFoundByDedupKeyUntilClosed) {
  ScopedTempDir dir;
  auto store = Store::Open(dir.Join("medic.db"));
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
  auto one = Store::Open(dir.Join("medic.db"));
  auto two = Store::Open(dir.Join("medic.db"));  // a second process' connection
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
  auto one = Store::Open(dir.Join("medic.db"));
  auto two = Store::Open(dir.Join("medic.db"));
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
  auto store = Store::Open(dir.Join("medic.db"));
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
  auto one = Store::Open(dir.Join("medic.db"));
  auto two = Store::Open(dir.Join("medic.db"));
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
