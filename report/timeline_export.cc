#include "report/timeline_export.h"

#include <filesystem>
#include <vector>

#include "base/strings.h"
#include "report/timeline_csv.h"
#include "report/timeline_html.h"
#include "report/timeline_json.h"
#include "report/timeline_markdown.h"

namespace medic {

std::string TimelineFormatOfPath(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".md" || ext == ".markdown") return "md";
  if (ext == ".json") return "json";
  if (ext == ".csv") return "csv";
  if (ext == ".html" || ext == ".htm") return "html";
  return "";
}

Result<std::string> RenderTimeline(const Timeline& t, std::string_view format,
                                   const TimeFormatter& time) {
  if (format == "md") return TimelineToMarkdown(t, time);
  if (format == "json") return TimelineToJson(t, time);
  if (format == "csv") return TimelineToCsv(t, time);
  if (format == "html") return TimelineToHtml(t, time);
  std::vector<std::string> names(std::begin(kTimelineFormats), std::end(kTimelineFormats));
  return Status::Invalid("timeline format '" + std::string(format) + "': expected one of " +
                         Join(names, ", "));
}

}  // namespace medic
