// The timeline model without the binary: events in order, stages, approvals, analysis and
// redaction assembled from records, and the milestones and verdicts derived from them.
#include "report/timeline.h"

#include <gtest/gtest.h>

#include "report/milestones.h"

namespace medic {
namespace {

EventRecord Ev(int64_t id, int64_t at, const std::string& kind, Json data = Json::object(),
               int64_t run = 1, const std::string& step = "") {
  EventRecord e;
  e.id = id;
  e.incident_id = 1;
  e.run_id = run;
  e.step_id = step;
  e.at = at;
  e.kind = ParseEventKind(kind).value();
  e.data = std::move(data);
  return e;
}

TimelineRun MakeRun(int64_t id, int64_t created, const std::string& status = "succeeded") {
  TimelineRun r;
  r.run.id = id;
  r.run.incident_id = 1;
  r.run.status = ParseRunStatus(status).value();
  r.run.created_at = created;
  return r;
}

IncidentRecord Incident() {
  IncidentRecord inc;
  inc.id = 1;
  inc.title = "t";
  inc.created_at = 1000;
  return inc;
}

TEST(Timeline, StageNamesMarkMilestonesWhateverTheirCase) {
  EXPECT_EQ(MilestoneOfStage("Contain"), "contained");
  EXPECT_EQ(MilestoneOfStage("DIAGNOSE"), "diagnosed");
  EXPECT_EQ(MilestoneOfStage("recover"), "mitigated");
  EXPECT_EQ(MilestoneOfStage("Mitigation"), "mitigated");
  EXPECT_EQ(MilestoneOfStage(" verify "), "verified");
  EXPECT_EQ(MilestoneOfStage("notify"), "");
}

TEST(Timeline, MilestonesComeFromStagesAlertsAndTheIncident) {
  std::vector<EventRecord> events = {
      Ev(1, 5'000, "alert.firing", {{"startsAt", "1970-01-01T00:00:02Z"}, {"fingerprint", "f1"}},
         0),
      Ev(2, 6'000, "run.created"),
      Ev(3, 7'000, "stage.finished", {{"stage", "Contain"}, {"status", "succeeded"}}),
      Ev(4, 9'000, "stage.finished", {{"stage", "recover"}, {"status", "succeeded"}}),
      Ev(5, 9'500, "stage.finished", {{"stage", "verify"}, {"status", "succeeded"}}),
      Ev(6, 12'000, "alert.resolved", {{"endsAt", "1970-01-01T00:00:11Z"}, {"fingerprint", "f1"}},
         0),
      Ev(7, 20'000, "incident.closed", Json::object(), 0),
  };
  Timeline t = AssembleTimeline({}, Incident(), {MakeRun(1, 6'000)}, events);
  EXPECT_EQ(t.milestone("detected").at, 2'000);
  EXPECT_EQ(t.milestone("triggered").at, 6'000);
  EXPECT_EQ(t.milestone("contained").at, 7'000);
  EXPECT_EQ(t.milestone("diagnosed").at, 0);
  EXPECT_EQ(t.milestone("mitigated").at, 9'000);
  EXPECT_EQ(t.milestone("verified").at, 9'500);
  EXPECT_EQ(t.milestone("resolved").at, 11'000);  // every alert resolved before the close
  EXPECT_EQ(t.milestone("resolved").source, "every alert resolved");
  EXPECT_EQ(t.origin_ms, 2'000);
  ASSERT_EQ(t.durations[1].name, "time_to_contain");
  EXPECT_EQ(t.durations[1].ms, 1'000);
  EXPECT_EQ(t.durations[1].verdict, "met");
  EXPECT_EQ(t.durations.back().name, "time_to_resolve");
  EXPECT_EQ(t.durations.back().ms, 9'000);
}

TEST(Timeline, AFailedContainStageIsNotContainmentAndMissesTheBudget) {
  std::vector<EventRecord> events = {
      Ev(1, 1'000, "run.created"),
      Ev(2, 2'000, "stage.finished", {{"stage", "contain"}, {"status", "failed"}}),
  };
  Timeline t = AssembleTimeline({}, Incident(), {MakeRun(1, 1'000, "failed")}, events);
  EXPECT_EQ(t.milestone("contained").at, 0);
  EXPECT_EQ(t.durations[1].verdict, "missed");
  Timeline ongoing = AssembleTimeline({}, Incident(), {MakeRun(1, 1'000, "running")}, events);
  EXPECT_EQ(ongoing.durations[1].verdict, "pending");
}

TEST(Timeline, ContainmentOverThreeMinutesMissesTheSla) {
  std::vector<EventRecord> events = {
      Ev(1, 1'000, "run.created"),
      Ev(2, 1'000 + kContainBudgetMs + 1, "stage.finished",
         {{"stage", "contain"}, {"status", "succeeded"}}),
  };
  Timeline t = AssembleTimeline({}, Incident(), {MakeRun(1, 1'000)}, events);
  EXPECT_EQ(t.durations[1].verdict, "missed");
  TimelineOptions lenient;
  lenient.budgets_ms["time_to_contain"] = 600'000;
  EXPECT_EQ(AssembleTimeline(lenient, Incident(), {MakeRun(1, 1'000)}, events).durations[1].verdict,
            "met");
}

TEST(Timeline, TheAnalysisIsFoundDirectlyOrUnderOutputsJson) {
  Json result = {{"category", "deadlock"},
                 {"recommendation", {{"action", "restart"}, {"why", "w"}}},
                 {"culprit", {{"function", "main.f"}, {"file", "a.go"}, {"line", 3}}}};
  EXPECT_NE(FindAnalysis(result), nullptr);
  EXPECT_NE(FindAnalysis({{"stdout", "x"}, {"json", result}}), nullptr);
  EXPECT_EQ(FindAnalysis({{"stdout", "category recommendation"}}), nullptr);

  TimelineRun r = MakeRun(1, 1'000);
  StepRecord s;
  s.run_id = 1;
  s.step_id = "analyze";
  s.stage = "diagnose";
  s.status = StepStatus::kSucceeded;
  s.started_at = 2'000;
  s.ended_at = 3'000;
  s.outputs = {{"json", result}};
  r.steps.push_back(s);
  std::vector<EventRecord> events = {
      Ev(1, 3'000, "step.succeeded", {{"status", "succeeded"}}, 1, "analyze"),
      Ev(2, 3'000, "run.succeeded")};
  Timeline t = AssembleTimeline({}, Incident(), {r}, events);
  ASSERT_EQ(t.analyses.size(), 1u);
  EXPECT_EQ(t.analyses[0].category, "deadlock");
  EXPECT_EQ(t.analyses[0].culprit, "main.f (a.go:3)");
  EXPECT_EQ(t.analyses[0].recommendation, "restart");
  // Right after the step that produced it, before what followed at the same millisecond.
  ASSERT_EQ(t.events.size(), 3u);
  EXPECT_EQ(t.events[1].kind, EventKind::kAnalysisResult);
  EXPECT_EQ(t.events[2].kind, EventKind::kRunSucceeded);
  // Without a diagnose stage, the analysis is the diagnosis.
  EXPECT_EQ(t.milestone("diagnosed").at, 3'000);
}

TEST(Timeline, EventsAreOrderedByTimeThenByRecordOrder) {
  std::vector<EventRecord> events = {Ev(3, 5'000, "step.started", {}, 1, "b"),
                                     Ev(1, 5'000, "step.started", {}, 1, "a"),
                                     Ev(2, 4'000, "run.started")};
  Timeline t = AssembleTimeline({}, Incident(), {MakeRun(1, 1'000)}, events);
  EXPECT_EQ(t.events[0].id, 2);
  EXPECT_EQ(t.events[1].id, 1);
  EXPECT_EQ(t.events[2].id, 3);
}

TEST(Timeline, CommandsOfApprovedStepsAreMarkedAsChanges) {
  TimelineRun r = MakeRun(1, 1'000);
  StepRecord s;
  s.run_id = 1;
  s.step_id = "rollback";
  s.stage = "recover";
  s.approved = true;
  r.steps.push_back(s);
  std::vector<EventRecord> events = {
      Ev(1, 2'000, "step.command", {{"argv", {"kubectl", "rollout", "undo"}}}, 1, "rollback"),
      Ev(2, 2'000, "step.command", {{"argv", {"curl", "x"}}}, 1, "other")};
  Timeline t = AssembleTimeline({}, Incident(), {r}, events);
  EXPECT_TRUE(t.events[0].changes);
  EXPECT_EQ(t.events[0].stage, "recover");
  EXPECT_FALSE(t.events[1].changes);
}

TEST(Timeline, OnlyARunThatNeedsAttentionHasStepsWaitingForApproval) {
  auto make = [](const std::string& status, bool approved) {
    TimelineRun r = MakeRun(1, 1'000, status);
    StepRecord s;
    s.run_id = 1;
    s.step_id = "restart";
    s.stage = "recover";
    s.approved = approved;
    r.steps.push_back(s);
    return r;
  };
  std::vector<EventRecord> events = {
      Ev(1, 2'000, "step.awaiting_approval", Json::object(), 1, "restart"),
      Ev(2, 2'100, "run.needs_attention")};
  Timeline waiting = AssembleTimeline({}, Incident(), {make("needs_attention", false)}, events);
  EXPECT_EQ(ShownStatus(waiting.runs[0], waiting.runs[0].steps[0]), "awaiting_approval");
  EXPECT_EQ(waiting.runs[0].awaiting_since.at("restart"), 2'000);
  // Approved, not yet continued: no longer waiting for a person.
  Timeline approved = AssembleTimeline({}, Incident(), {make("needs_attention", true)}, events);
  EXPECT_EQ(approved.runs[0].steps[0].status, StepStatus::kPending);
  // A run that failed elsewhere: the step will never run.
  Timeline failed = AssembleTimeline({}, Incident(), {make("failed", false)}, events);
  EXPECT_EQ(failed.runs[0].steps[0].status, StepStatus::kPending);
  EXPECT_TRUE(failed.runs[0].awaiting_since.empty());
}

TEST(Timeline, AssemblyRedactsWhatTheRecordHolds) {
  TimelineRun r = MakeRun(1, 1'000);
  r.run.params = {{"api_token", "abcdefgh"}, {"service", "checkout"}};
  std::vector<EventRecord> events = {
      Ev(1, 2'000, "step.command", {{"argv", {"curl", "-H", "Authorization: Bearer abc123456789"}}},
         1, "x")};
  events[0].message = "curl --password=hunter22 http://u:pw@host/";
  Timeline t = AssembleTimeline({}, Incident(), {r}, events);
  std::string all = t.events[0].message + t.events[0].data.dump() + t.runs[0].run.params.dump();
  for (const char* secret : {"abcdefgh", "abc123456789", "hunter22", "u:pw@"})
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in " << all;
  EXPECT_EQ(t.runs[0].run.params["service"], "checkout");
}

}  // namespace
}  // namespace medic
