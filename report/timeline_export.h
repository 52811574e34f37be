// Which rendering a timeline export uses: the format names `medic timeline --format` takes,
// the one a file name asks for, and RenderTimeline, which picks the renderer.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "report/time_formatter.h"
#include "report/timeline.h"

namespace medic {

/// The formats a timeline is written in.
inline constexpr const char* kTimelineFormats[] = {"md", "json", "csv", "html"};

/// The format a file name asks for by its extension (.md/.markdown, .json, .csv,
/// .html/.htm); "" for any other.
std::string TimelineFormatOfPath(const std::string& path);

/// `t` rendered in `format` (one of kTimelineFormats); fails with kInvalidArgument for any
/// other format.
Result<std::string> RenderTimeline(const Timeline& t, std::string_view format,
                                   const TimeFormatter& time);

}  // namespace medic
