#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store.h"
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
  EXPECT_EQ((*steps)[0].status, "pending");
  EXPECT_EQ((*steps)[0].budget_ms, 10'000);

  StepRecord step = (*steps)[0];
  step.status = "running";
  step.pgid = 4242;
  step.outputs = {{"stdout", "x"}};
  EventRecord e;
  e.incident_id = incident;
  e.run_id = *id;
  e.step_id = "a";
  e.at = 3;
  e.kind = "step.started";
  ASSERT_TRUE(s.SaveStep(step, &e).ok());
  auto again = s.GetStep(*id, "a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, "running");
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
  EXPECT_EQ((*events)[0].kind, "run.created");
  EXPECT_EQ((*events)[1].kind, "step.started");
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

}  // namespace
}  // namespace medic
