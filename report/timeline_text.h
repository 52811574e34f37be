// The words every timeline rendering shares: the title, one line of prose per event, offsets
// from T+0, sizes, verdicts, analysis one-liners, step counts and statuses for people.
// Markdown, HTML and CSV call these so the same fact reads the same in each.
#pragma once

#include <cstdint>
#include <string>

#include "report/time_formatter.h"
#include "report/timeline.h"

namespace medic {

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
