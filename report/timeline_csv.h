// The timeline as CSV: one event a row, for a spreadsheet or a quick grep.
#pragma once

#include <string>

#include "report/time_formatter.h"
#include "report/timeline.h"

namespace medic {

/// RFC 4180 CSV with a header row, one event a row. Cells that a spreadsheet would run as a
/// formula (starting with = + - @) are prefixed with '.
std::string TimelineToCsv(const Timeline& t, const TimeFormatter& time);

}  // namespace medic
