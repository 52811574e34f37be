// The timeline as one self-contained HTML page (inline CSS and SVG; no scripts, fonts or
// external styles): the summary, the milestones, one chart per run, and the tables.
#pragma once

#include <string>

#include "report/time_formatter.h"
#include "report/timeline.h"

namespace medic {

/// One self-contained HTML page (no scripts, external fonts or styles): the summary, the
/// milestones, and per run an SVG chart with one bar per step on a time axis, grouped by
/// stage and colored by status, with budget markers. Readable printed and on a phone.
std::string TimelineToHtml(const Timeline& t, const TimeFormatter& time);

}  // namespace medic
