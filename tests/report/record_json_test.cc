// The one JSON shape of the record's objects: what `medic show --json`, `medic list --json`,
// serve's GET /incidents/ID and the timeline print for a run, its steps and artifacts.
#include "report/record_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "report/timeline.h"
#include "report/timeline_json.h"
#include "tests/support/test_support.h"
#include "tests/timeline/fixture.h"

namespace medic {
namespace {

std::vector<std::string> Keys(const Json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return keys;
}

TEST(RecordJson, ARunPrintsTheDocumentedFieldsWithStepsNamedById) {
  RunRecord run;
  run.id = 7;
  run.incident_id = 3;
  run.playbook = "golden";
  run.status = RunStatus::kSucceeded;
  run.started_at = 1'000;
  run.ended_at = 3'500;
  StepRecord step;
  step.step_id = "freeze";
  step.stage = "contain";
  step.action = "exec";
  step.status = StepStatus::kSucceeded;
  step.attempts = 1;
  step.started_at = 1'100;
  step.ended_at = 1'600;
  step.duration_ms = 500;
  step.outputs = {{"stdout", "ok\n"}};
  ArtifactRecord artifact;
  artifact.id = 1;
  artifact.step_id = "freeze";
  artifact.kind = "snapshot";
  artifact.path = "/tmp/s.json";
  Json j = RunToJson(run, {step}, {artifact});
  EXPECT_EQ(Keys(j),
            (std::vector<std::string>{"id", "incident_id", "playbook", "status", "trigger",
                                      "params", "created_at", "started_at", "ended_at",
                                      "duration_ms", "error", "warnings", "driver", "fence", "steps",
                                      "artifacts"}));
  EXPECT_EQ(j["duration_ms"], 2'500);
  EXPECT_EQ(j["started_at"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(j["created_at"], nullptr);
  EXPECT_EQ(j["error"], nullptr);
  EXPECT_EQ(Keys(j["steps"][0]),
            (std::vector<std::string>{"id", "stage", "action", "status", "attempts", "started_at",
                                      "ended_at", "duration_ms", "budget_ms", "over_budget",
                                      "approved", "commands", "outputs", "error"}));
  EXPECT_EQ(j["steps"][0]["id"], "freeze");
  EXPECT_EQ(j["steps"][0]["outputs"]["stdout"], "ok\n");
  EXPECT_EQ(j["steps"][0]["budget_ms"], nullptr);
  EXPECT_EQ(j["artifacts"][0]["step"], "freeze");
  EXPECT_EQ(j["artifacts"][0]["url"], nullptr);
  EXPECT_EQ(j["artifacts"][0]["size"], nullptr);
  // `medic list --json` and serve's incident list: the same run without steps.
  Json summary = RunSummaryToJson(run);
  for (auto it = summary.begin(); it != summary.end(); ++it) EXPECT_EQ(j[it.key()], *it);
  EXPECT_FALSE(summary.contains("steps"));
}

TEST(RecordJson, AnEventNamesItsStepAsStepAndItsRunOrNull) {
  EventRecord e;
  e.id = 4;
  e.at = 2'000;
  e.kind = EventKind::kAlertFiring;
  Json incident_only = EventToJson(e);
  EXPECT_EQ(Keys(incident_only),
            (std::vector<std::string>{"id", "at", "run_id", "step", "kind", "message", "data"}));
  EXPECT_EQ(incident_only["run_id"], nullptr);
  EXPECT_EQ(incident_only["step"], nullptr);
  e.run_id = 2;
  e.step_id = "restart";
  Json of_step = EventToJson(e);
  EXPECT_EQ(of_step["run_id"], 2);
  EXPECT_EQ(of_step["step"], "restart");
}

TEST(RecordJson, TimesAreUtcUnlessAFormatterNamesAZone) {
  EXPECT_EQ(TimeJson(0), nullptr);
  EXPECT_EQ(TimeJson(testing::kFixtureT0), "2026-11-22T03:00:00.000Z");
  auto berlin = TimeFormatter::Create("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.status().message();
  EXPECT_EQ(TimeJson(testing::kFixtureT0, berlin->get()), "2026-11-22T04:00:00.000+01:00");
}

// The timeline embeds each run in the shape `medic show --json` prints, adding only what a
// timeline knows (stages, analysis, when a step began waiting) and leaving step outputs out.
TEST(RecordJson, TheTimelineEmbedsRunsInTheShapeOfShow) {
  testing::ScopedTempDir dir;
  auto store = Store::Open(dir.Join("medic.db"));
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto incident = testing::WriteFixtureIncident(**store);
  ASSERT_TRUE(incident.ok()) << incident.status().message();
  auto run = (*store)->GetRun(1);
  auto steps = (*store)->GetSteps(1);
  auto artifacts = (*store)->ArtifactsOfRun(1);
  ASSERT_TRUE(run.ok() && steps.ok() && artifacts.ok());
  Json show = RunToJson(*run, *steps, *artifacts);

  TimelineOptions options;
  options.scope = {TimelineScope::Kind::kIncident, *incident};
  auto t = BuildTimeline(**store, options);
  ASSERT_TRUE(t.ok()) << t.status().message();
  auto utc = TimeFormatter::Create("UTC");
  ASSERT_TRUE(utc.ok());
  Json timeline = Json::parse(TimelineToJson(*t, **utc));
  const auto& embedded = timeline["incident"]["runs"][0];

  std::vector<std::string> run_keys = Keys(show);
  run_keys.insert(run_keys.begin() + run_keys.size() - 2, "stages");
  run_keys.push_back("analysis");
  EXPECT_EQ(Keys(embedded), run_keys);
  for (const char* k : {"id", "incident_id", "playbook", "status", "trigger", "created_at",
                        "started_at", "ended_at", "duration_ms", "error"})
    EXPECT_EQ(embedded[k], show[k]) << k;

  std::vector<std::string> step_keys = Keys(show["steps"][0]);
  step_keys.erase(std::find(step_keys.begin(), step_keys.end(), "outputs"));
  step_keys.insert(std::find(step_keys.begin(), step_keys.end(), "commands"), "awaiting_since");
  EXPECT_EQ(Keys(embedded["steps"][0]), step_keys);
  EXPECT_EQ(embedded["steps"][0]["id"], show["steps"][0]["id"]);
  EXPECT_EQ(Keys(embedded["artifacts"][0]), Keys(show["artifacts"][0]));
  EXPECT_EQ(embedded["artifacts"][0], show["artifacts"][0]);
}

}  // namespace
}  // namespace medic
