// How a timeline (report/timeline.h) is written out for a postmortem: Markdown (summary and
// tables to paste into a doc), JSON (the stable schema below), CSV (one event a row) and a
// self-contained HTML page with an SVG chart of the steps (timeline_html.cc). Times are
// shown in one zone, UTC unless --tz names another; TimeFormatter does the conversion.
//
// JSON schema "medic.timeline.v1" (fields are never removed or renamed within v1; times
// are RFC 3339 in the chosen zone, or null; *_ms are integers, or null when unknown):
//   {"schema": "medic.timeline.v1", "scope": {"kind": "incident"|"run", "id"}, "timezone",
//    "incident": {"id", "title", "source", "status", "dedup_key", "labels", "created_at",
//      "detected_at", "closed_at",
//      "runs": [{"id", "playbook", "status", "trigger", "params", "created_at", "started_at",
//        "ended_at", "duration_ms", "error",
//        "stages": [{"name", "parallel", "status", "started_at", "ended_at", "duration_ms"}],
//        "steps": [{"id", "stage", "action", "status", "attempts", "started_at", "ended_at",
//          "duration_ms", "budget_ms", "over_budget", "approved", "awaiting_since", "commands",
//          "error"}],   (status: pending|running|succeeded|failed|skipped|timed_out|
//          interrupted|awaiting_approval; awaiting_since: when an awaiting_approval step
//          began waiting, else null)
//        "artifacts": [{"id", "step", "kind", "path", "url", "size", "sha256",
//          "description", "created_at"}],
//        "analysis": [{"step", "at", "category", "culprit", "recommendation", "why",
//          "result"}]}]},
//    "milestones": {"origin",
//      "detected"|"triggered"|"contained"|"diagnosed"|"mitigated"|"verified"|"resolved":
//        {"at", "offset_ms", "source", "run_id"} or null when not reached,
//      "durations": {"time_to_trigger"|"time_to_contain"|"time_to_diagnose"|
//        "time_to_mitigate"|"time_to_verify"|"time_to_resolve":
//        {"from", "to", "ms", "budget_ms", "verdict": "met"|"missed"|"pending"|null}}},
//    "events": [{"id", "at", "offset_ms", "run_id", "stage", "step", "kind", "category",
//      "severity", "status", "message", "attempts", "duration_ms", "budget_ms",
//      "over_budget", "changes", "data"}]}
//
// Event kinds and their data, as recorded (report/timeline.h categorizes them):
//   alert.firing (the alert that opened the incident), alert.repeated (any later firing
//     notification), alert.resolved: {"labels", "annotations", "startsAt", "endsAt" (RFC
//     3339 UTC or null), "fingerprint", "source", "status", "route", "dedup_key"}
//   run.created {"trigger", "params"}, run.started, run.resumed, run.succeeded|failed|
//     interrupted|needs_attention; stage.started|finished {"stage", "parallel", "status"}
//   step.started|retry {"attempt"}, step.command {"argv", "pgid"}, step.succeeded|failed|
//     timed_out|skipped|interrupted {"status", "attempts", "duration_ms", "budget_ms",
//     "over_budget"}, step.reset, artifact.added {"artifact_id", "kind", "path", "url",
//     "size", "sha256"}, incident.closed, analysis.result (derived: the analysis summary)
//   step.awaiting_approval: the run stopped before a step that needs confirmation
//   step.approval_given {"by": "medic approve", "user"}: `medic approve` was run
//   step.approved {"by": "--yes"|"terminal"|"auto_confirm"|"medic approve", "user",
//     "route", "given_at"}: the approval taking effect, written once per approved step by
//     the runner as the step goes ("user": who ran medic, or who ran `medic approve`;
//     "route": the serve route of an auto_confirm run; "given_at": when `medic approve`
//     was run)
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "report/timeline.h"

namespace medic {

/// Formats unix-ms times in one zone. A named zone is applied by setting the process' TZ for
/// the formatter's lifetime (libstdc++ 12 has no std::chrono::zoned_time): not thread-safe,
/// and only one named-zone formatter may exist at a time.
class TimeFormatter {
 public:
  /// "" or "UTC" formats in UTC. Any other `zone` must be a TZ database name found under
  /// $TZDIR or /usr/share/zoneinfo ("Europe/Berlin"); fails with kInvalidArgument otherwise.
  static Result<std::unique_ptr<TimeFormatter>> Create(const std::string& zone);
  ~TimeFormatter();
  TimeFormatter(const TimeFormatter&) = delete;
  TimeFormatter& operator=(const TimeFormatter&) = delete;

  /// "2026-11-22T05:04:05.123+02:00" ("...Z" in UTC).
  std::string Rfc3339(int64_t unix_ms) const;
  /// "2026-11-22 05:04:05.123", for tables whose header names the zone.
  std::string Human(int64_t unix_ms) const;
  /// "UTC" or the zone name.
  const std::string& zone() const { return zone_; }

 private:
  explicit TimeFormatter(std::string zone) : zone_(std::move(zone)) {}
  /// Brings the cache to unix_ms' second; returns its milliseconds.
  int Prepare(int64_t unix_ms) const;
  std::string Format(int64_t unix_ms, char separator, bool with_zone) const;

  std::string zone_;
  bool utc_ = true;
  bool had_tz_ = false;
  std::string old_tz_;
  // The last second formatted: events come in time order, many to a second, so most calls
  // only write the milliseconds. "2026-11-22T05:04:05" and "Z" or "+02:00".
  mutable int64_t cached_secs_ = INT64_MIN;
  mutable std::string cached_date_;
  mutable std::string cached_offset_;
};

/// The JSON document described at the top of this file, indented, one event a line.
std::string TimelineToJson(const Timeline& t, const TimeFormatter& time);

/// A summary block, milestones, durations, analysis, steps, artifacts, changes, errors, and
/// the event table: Markdown to paste into a postmortem.
std::string TimelineToMarkdown(const Timeline& t, const TimeFormatter& time);

/// RFC 4180 CSV with a header row, one event a row. Cells that a spreadsheet would run as a
/// formula (starting with = + - @) are prefixed with '.
std::string TimelineToCsv(const Timeline& t, const TimeFormatter& time);

/// One self-contained HTML page (no scripts, external fonts or styles): the summary, the
/// milestones, and per run an SVG chart with one bar per step on a time axis, grouped by
/// stage and colored by status, with budget markers. Readable printed and on a phone.
std::string TimelineToHtml(const Timeline& t, const TimeFormatter& time);

// Shared by the renderers.

/// "Incident 7: title" or "Run 12 of incident 7: title".
std::string TimelineTitle(const Timeline& t);
/// A line of prose for one event: its message, or what its data says (argv of a command,
/// size and digest of an artifact, labels of an alert).
std::string DescribeEvent(const TimelineEvent& e, const TimeFormatter& time);
/// "T+1m05s" relative to the timeline's origin; "" for 0 (unknown) times.
std::string Offset(const Timeline& t, int64_t unix_ms);
/// "1.2 MiB (1234567 bytes)"; "" when unknown (negative).
std::string FormatBytes(int64_t bytes);
/// "met", "missed", "pending" or "no budget" for a verdict.
std::string VerdictText(const DerivedDuration& d);
/// "function (file:line) -> action" style one-liner of an analysis.
std::string AnalysisLine(const TimelineAnalysis& a);
/// Counts for the summary: steps that ran, failed (failed/timed_out), over budget, with
/// budget, waiting for approval, not run (pending).
struct StepCounts {
  int ran = 0, failed = 0, over_budget = 0, with_budget = 0, awaiting = 0, not_run = 0;
};
StepCounts CountSteps(const Timeline& t);
/// A step status for people: "waiting for approval" for awaiting_approval, "not run" for
/// pending, else the status itself.
std::string StatusText(const std::string& status);

}  // namespace medic
