#include "report/timeline_csv.h"

#include <charconv>

#include "report/timeline_text.h"

namespace medic {
namespace {

// Appends one RFC 4180 cell; a text cell a spreadsheet would run as a formula (= + - @)
// gets a leading '.
void AppendCsvCell(std::string& out, std::string_view s, bool text) {
  bool formula = text && !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@');
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (quote) out += '"';
  if (formula) out += '\'';
  if (!quote) {
    out += s;
    return;
  }
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string TimelineToCsv(const Timeline& t, const TimeFormatter& time) {
  std::string out =
      "id,at,offset_ms,run_id,stage,step,kind,category,severity,status,attempts,duration_ms,"
      "budget_ms,over_budget,changes,message,details,data\r\n";
  out.reserve(t.events.size() * 200);
  auto num = [&](bool known, int64_t v) {
    if (known) {
      char buf[24];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }
    out += ',';
  };
  auto cell = [&](std::string_view v, bool text = true) {
    AppendCsvCell(out, v, text);
    out += ',';
  };
  for (const TimelineEvent& e : t.events) {
    bool end = e.duration_ms >= 0;
    num(e.id > 0, e.id);
    cell(time.Rfc3339(e.at), false);
    num(true, e.at - t.origin_ms);
    num(e.run_id > 0, e.run_id);
    cell(e.stage);
    cell(e.step_id);
    cell(ToString(e.kind), false);
    cell(e.category, false);
    cell(e.severity, false);
    cell(e.status, false);
    num(end && e.attempts > 0, e.attempts);
    num(end, e.duration_ms);
    num(end && e.budget_ms > 0, e.budget_ms);
    cell(end ? (e.over_budget ? "true" : "false") : "", false);
    cell(e.changes ? "true" : "false", false);
    cell(e.message);
    cell(DescribeEvent(e, time));
    if (!e.data.empty())
      AppendCsvCell(out, e.data.dump(-1, ' ', false, Json::error_handler_t::replace), true);
    out += "\r\n";
  }
  return out;
}

}  // namespace medic
