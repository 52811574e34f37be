// The timeline as Markdown to paste into a postmortem doc: a summary block, milestones and
// durations with their verdicts, the analysis, per run its steps and artifacts, the changes
// made, the errors, and the event table. Times in one zone (TimeFormatter).
#pragma once

#include <string>

#include "report/time_formatter.h"
#include "report/timeline.h"

namespace medic {

/// A summary block, milestones, durations, analysis, steps, artifacts, changes, errors, and
/// the event table: Markdown to paste into a postmortem.
std::string TimelineToMarkdown(const Timeline& t, const TimeFormatter& time);

}  // namespace medic
