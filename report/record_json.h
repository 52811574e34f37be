// The record's objects as JSON, in one shape wherever medic prints them: `medic run|show
// --json`, `medic list --json`, serve's GET /incidents and GET /incidents/ID, and the runs a
// timeline embeds (timeline_json.h adds what only a timeline knows: stages, analysis,
// awaiting_since). A step is named by "id" in its own object and by "step" wherever
// something else refers to it (artifacts, events). Times are RFC 3339 with milliseconds, or
// null when unknown; text that may be empty (errors, paths) is null when empty.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/json.h"
#include "report/time_formatter.h"
#include "store/store.h"

namespace medic {

struct RecordJsonOptions {
  /// Times in this formatter's zone; nullptr: UTC. A TimeFormatter is not thread-safe, so a
  /// caller on several threads (serve) passes none.
  const TimeFormatter* time = nullptr;
  /// Whether steps carry their "outputs" (a timeline leaves them out: facts, not bytes).
  bool outputs = true;
  /// Now (unix ms), to tell an orphaned run (ShownRunStatus); 0: statuses as recorded.
  int64_t now_ms = 0;
};

/// A run's status as medic shows it: "orphaned" for a run recorded as running whose driver's
/// lease ran out before `now_ms` (the medic driving it is gone; `medic resume ID` goes on),
/// else the recorded status. `now_ms` 0: the recorded status.
std::string ShownRunStatus(const RunRecord& run, int64_t now_ms);

/// `unix_ms` as RFC 3339 with milliseconds (UTC unless `time` is given), or null for 0.
Json TimeJson(int64_t unix_ms, const TimeFormatter* time = nullptr);

/// {"id", "title", "source", "status", "dedup_key", "labels", "created_at", "detected_at",
///  "closed_at"}.
Json IncidentToJson(const IncidentRecord& incident, const RecordJsonOptions& options = {});

/// A run without its steps: {"id", "incident_id", "playbook", "status", "trigger", "params",
///  "created_at", "started_at", "ended_at", "duration_ms", "error", "warnings", "driver",
///  "fence"}; "status" is ShownRunStatus, "warnings" [{"step", "status", "reason"}] (store.h
///  RunRecord::warnings), "driver" the lease holder {"host", "pid", "lease_until"} or null,
///  "fence" the number of claims of the run so far.
Json RunSummaryToJson(const RunRecord& run, const RecordJsonOptions& options = {});

/// {"id", "stage", "action", "status", "attempts", "started_at", "ended_at", "duration_ms",
///  "budget_ms", "over_budget", "approved", "commands", "outputs", "error"}; "outputs" only
///  with options.outputs. Given `awaiting_since` (a timeline: when the step began waiting
///  for approval, 0 if it does not wait), "awaiting_since" follows "approved".
Json StepToJson(const StepRecord& step, const RecordJsonOptions& options = {},
                std::optional<int64_t> awaiting_since = std::nullopt);

/// {"id", "step", "kind", "path", "url", "size", "sha256", "description", "created_at"}.
Json ArtifactToJson(const ArtifactRecord& artifact, const RecordJsonOptions& options = {});

/// The run as `medic show --json` prints it: RunSummaryToJson plus "steps" (playbook order)
/// and "artifacts".
Json RunToJson(const RunRecord& run, const std::vector<StepRecord>& steps,
               const std::vector<ArtifactRecord>& artifacts, const RecordJsonOptions& options = {});

/// {"id", "at", "run_id", "step", "kind", "message", "data"}; "run_id" is null for an event
/// about the incident only, "step" null for one about no step.
Json EventToJson(const EventRecord& event, const RecordJsonOptions& options = {});

}  // namespace medic
