// The post-incident timeline: every recorded fact of an incident (or of one run) in time
// order, plus the milestones and derived durations a postmortem asks for (milestones.h).
// Built from the public Store API only; every string is redacted here, so each rendering is
// safe to share. Renderings live next to it (timeline_json, timeline_markdown, timeline_csv,
// timeline_html). Start with BuildTimeline, then Timeline below.
//
// Event kinds and their data, as recorded (TimelineEvent::category groups them):
//   alert.firing (the alert that opened the incident), alert.repeated (any later firing
//     notification), alert.resolved: {"labels", "annotations", "startsAt", "endsAt" (RFC
//     3339 UTC or null), "fingerprint", "source", "status", "route", "dedup_key"}
//   run.created {"trigger", "params"}, run.started, run.resumed, run.succeeded|failed|
//     interrupted|needs_attention; stage.started|finished {"stage", "parallel", "status"}
//   step.started|retry {"attempt"}, step.command {"argv", "pgid"}, step.succeeded|failed|
//     timed_out|skipped|interrupted {"status", "attempts", "duration_ms", "budget_ms",
//     "over_budget"}, step.reset, artifact.added {"artifact_id", "kind", "path", "url",
//     "size", "sha256"}, incident.closed, incident.suppressed {"suppressed_by", "route",
//     "runs", "per_ms"}, analysis.result (derived: the analysis summary)
//   step.awaiting_approval: the run stopped before a step that needs confirmation
//   step.approval_given {"by": "medic approve", "user"}: `medic approve` was run
//   step.approved {"by": "--yes"|"terminal"|"auto_confirm"|"medic approve", "user",
//     "route", "given_at"}: the approval taking effect, written once per approved step by
//     the runner as the step goes ("user": who ran medic, or who ran `medic approve`;
//     "route": the serve route of an auto_confirm run; "given_at": when `medic approve`
//     was run)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "report/milestones.h"
#include "store/store.h"

namespace medic {

/// What a timeline covers: an incident with all its runs and alerts, or a single run.
struct TimelineScope {
  enum class Kind { kIncident, kRun };
  Kind kind = Kind::kIncident;
  int64_t id = 0;
};

struct TimelineOptions {
  TimelineScope scope;
  /// Overall budgets of derived durations, by duration name ("time_to_contain"); durations
  /// not named here have no budget.
  std::map<std::string, int64_t> budgets_ms = {{"time_to_contain", kContainBudgetMs}};
  /// Now (unix ms), to show a run whose driver is gone as orphaned; 0: as recorded.
  int64_t now_ms = 0;
};

/// One line of the timeline: a recorded event, or a fact derived from the record
/// (kind "analysis.result", id 0), redacted.
struct TimelineEvent {
  int64_t id = 0;      ///< the event's row id; 0 for derived facts
  int64_t at = 0;      ///< unix ms
  int64_t run_id = 0;  ///< 0: about the incident only (alerts, incident.closed)
  std::string step_id;
  std::string stage;                        ///< the step's stage, or the stage of stage.* events
  EventKind kind = EventKind::kRunCreated;  ///< as recorded (store/states.h)
  std::string category;  ///< alert|incident|run|stage|step|approval|command|artifact|analysis|other
  std::string severity;  ///< info | warning (over budget, interrupted, awaiting) | error (failed)
  std::string status;    ///< run/step/stage status the event reports, else ""
  std::string message;
  Json data = Json::object();
  int attempts = 0;          ///< step end events: attempts so far; 0 unknown
  int64_t duration_ms = -1;  ///< step end events; -1 unknown
  int64_t budget_ms = 0;     ///< step end events: the step's budget; 0 none
  bool over_budget = false;
  bool changes = false;  ///< a command of a step that needed approval: it changed production
};

/// A stage of a run as it happened (from stage.* events and its steps' times).
struct TimelineStage {
  std::string name;
  bool parallel = false;
  std::string status;  ///< succeeded | failed (stage.finished), else "" (not finished)
  int64_t started_at = 0;
  int64_t ended_at = 0;
};

/// A run with its steps (playbook order), stages (playbook order) and artifacts, redacted.
/// Step statuses are as recorded; ShownStatus tells a step the run stopped to wait on.
struct TimelineRun {
  RunRecord run;
  std::vector<StepRecord> steps;
  /// Steps waiting for approval -> when they began waiting (their step.awaiting_approval).
  std::map<std::string, int64_t> awaiting_since;
  std::vector<TimelineStage> stages;
  std::vector<ArtifactRecord> artifacts;
};

/// A step's status as timelines show it: as recorded, except "awaiting_approval" for a step
/// the run stopped to wait on (pending, not approved, in a run that needs attention).
std::string ShownStatus(const TimelineRun& run, const StepRecord& step);

/// A stretch of a step's time on a chart: an attempt running, the wait before a retry, the
/// time it lay interrupted until `medic resume` ran it again, or a wait for approval.
struct StepSegment {
  enum class Kind { kAttempt, kRetryWait, kInterrupted, kApprovalWait };
  Kind kind = Kind::kAttempt;
  int64_t from = 0;  ///< unix ms
  int64_t to = 0;
  int attempt = 0;     ///< kAttempt: 1-based
  std::string status;  ///< kAttempt: how it ended (failed, succeeded, ...), "running" if not
};

/// `step`'s segments, in order, from the run's events (up to `last_ms` for what has not
/// ended); a step with no events but a start time is one attempt.
std::vector<StepSegment> StepSegments(const Timeline& t, const TimelineRun& run,
                                      const StepRecord& step, int64_t last_ms);

/// "interrupted", "waiting for approval", "retry wait", "attempt".
const char* SegmentText(StepSegment::Kind kind);

/// The analysis result a step produced (outputs with category and recommendation, directly
/// or under outputs.json as `exec` with parse: json leaves them).
struct TimelineAnalysis {
  int64_t run_id = 0;
  std::string step_id;
  int64_t at = 0;
  std::string category;        ///< "" when the analysis found no crash
  std::string culprit;         ///< "function (file:line)", or ""
  std::string recommendation;  ///< the action, or ""
  std::string why;             ///< why that action, or ""
  Json raw = Json::object();   ///< the whole result, redacted
};

struct Timeline {
  TimelineScope scope;
  IncidentRecord incident;
  std::vector<TimelineRun> runs;      ///< oldest first
  std::vector<TimelineEvent> events;  ///< by time, ties in record order
  std::vector<Milestone> milestones;  ///< one per kMilestoneNames, in that order
  std::vector<DerivedDuration> durations;
  std::vector<TimelineAnalysis> analyses;
  int64_t origin_ms = 0;  ///< T+0: the earliest of detected and the first event
  bool ongoing = false;   ///< a run in scope is still queued, running or waiting for a person
  int64_t now_ms = 0;     ///< TimelineOptions::now_ms

  /// The milestone named `name` (always present after BuildTimeline).
  const Milestone& milestone(std::string_view name) const;
};

/// Reads the scope's incident, runs, steps, artifacts and events from `store` and assembles
/// the timeline. Fails with kNotFound when the incident or run does not exist.
Result<Timeline> BuildTimeline(Store& store, const TimelineOptions& options);

/// Assembles a timeline from records already read (what BuildTimeline does after reading);
/// exposed for tests. `runs` are the scope's runs; `events` may be in any order.
Timeline AssembleTimeline(const TimelineOptions& options, IncidentRecord incident,
                          std::vector<TimelineRun> runs, std::vector<EventRecord> events);

/// The analysis result held in step outputs: the outputs themselves when they have
/// "category" and "recommendation", else outputs.json when it has them; nullptr otherwise.
const Json* FindAnalysis(const Json& outputs);

}  // namespace medic
