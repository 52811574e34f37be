// The HTML rendering of a timeline: one self-contained page (inline CSS and SVG; no
// scripts, fonts or external styles) with the summary, milestones, one chart per run, and
// the tables. Each chart is drawn twice: a wide one (labels left of the bars, for screens
// and print) and a narrow one (labels above the bars, for phones); CSS shows one.
#include "report/timeline_html.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "base/strings.h"
#include "report/record_json.h"
#include "report/timeline_text.h"

namespace medic {
namespace {

std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (EndsWith(s, ".0")) s.resize(s.size() - 2);
  return s;
}

const char* StatusColor(const std::string& status) {
  if (status == "succeeded") return "#15803d";
  if (status == "failed") return "#b91c1c";
  if (status == "timed_out") return "#c2410c";
  if (status == "interrupted") return "#7e22ce";
  if (status == "skipped") return "#9ca3af";
  if (status == "running") return "#1d4ed8";
  if (status == "awaiting_approval") return "#ca8a04";
  return "#cbd5e1";  // pending
}

// "15s", "1m30s", "3m", "500ms": tick and marker labels.
std::string TickLabel(int64_t ms) {
  if (ms == 0) return "0";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms >= 60'000 && ms % 1000 == 0)
    return std::to_string(ms / 60'000) + "m" + std::to_string((ms / 1000) % 60) + "s";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  return Num(ms / 1000.0) + "s";
}

int64_t TickStep(int64_t range_ms) {
  static const int64_t kSteps[] = {100,     200,     500,       1'000,     2'000,     5'000,
                                   10'000,  15'000,  30'000,    60'000,    120'000,   300'000,
                                   600'000, 900'000, 1'800'000, 3'600'000, 7'200'000, 21'600'000};
  for (int64_t s : kSteps)
    if (range_ms / s <= 8) return s;
  return 86'400'000;
}

std::string Truncate(const std::string& s, size_t max) {
  return s.size() <= max ? s : s.substr(0, max - 1) + "…";
}

struct Layout {
  double width;
  double label_w;  // 0: labels above the bars
  bool narrow;
  double row_h;
  double font;
};

// One chart of a run's steps on a time axis starting at the run's start.
std::string RunChart(const Timeline& t, const TimelineRun& r, const TimeFormatter& time,
                     const Layout& L) {
  int64_t t0 = r.run.started_at > 0 ? r.run.started_at : r.run.created_at;
  for (const StepRecord& s : r.steps)
    if (s.started_at > 0 && (t0 <= 0 || s.started_at < t0)) t0 = s.started_at;
  int64_t last_event = t.events.empty() ? t0 : t.events.back().at;
  auto end_of = [&](const StepRecord& s) { return s.ended_at > 0 ? s.ended_at : last_event; };
  // Each step's attempts, retry waits, interruptions and approval waits, from the events.
  std::map<std::string, std::vector<StepSegment>> segments;
  int64_t range = 1000;
  for (const StepRecord& s : r.steps) {
    auto& segs = segments[s.step_id] = StepSegments(t, r, s, last_event);
    for (const StepSegment& g : segs) range = std::max(range, g.to - t0);
    if (s.started_at > 0) range = std::max(range, end_of(s) - t0);
  }
  for (const auto& [step, since] : r.awaiting_since)
    range = std::max(range, std::max(since, last_event) - t0);
  if (r.run.ended_at > 0) range = std::max(range, r.run.ended_at - t0);
  // The axis fits the run; the SLAs in force are drawn where they fall due, past a break in
  // the axis when that is beyond the run.
  int64_t step = TickStep(range);
  int64_t axis = (range + step - 1) / step * step;
  struct Marker {
    int64_t at;  // ms from t0
    std::string label;
  };
  std::vector<Marker> marks;
  for (const DerivedDuration& d : t.durations) {
    if (d.budget_ms <= 0) continue;
    const Milestone& from = t.milestone(d.from);
    if (from.at <= 0 || from.at + d.budget_ms <= t0) continue;
    std::string name = StartsWith(d.name, "time_to_") ? d.name.substr(8) : d.name;
    marks.push_back({from.at + d.budget_ms - t0, name + " SLA " + TickLabel(d.budget_ms)});
  }
  std::sort(marks.begin(), marks.end(),
            [](const Marker& a, const Marker& b) { return a.at < b.at; });
  bool broken = !marks.empty() && marks.back().at > axis;
  const double plot_x = L.narrow ? 8 : L.label_w;
  const double plot_w = L.width - plot_x - (L.narrow ? 8 : 16);
  const double beyond_w = broken ? (L.narrow ? 56 : 70) : 0;  // past the break
  const double axis_w = plot_w - beyond_w;
  auto x = [&](int64_t ms) {
    return plot_x + axis_w * static_cast<double>(std::min(ms, axis)) / axis;
  };
  const double top = 26;
  const double head_h = 22;

  // Rows: a header per stage, then its steps (playbook order).
  double y = top;
  std::string bands, rows;
  for (const TimelineStage& st : r.stages) {
    double stage_top = y;
    int64_t st_start = 0, st_end = 0;
    std::string stage_rows;
    y += head_h;
    for (const StepRecord& s : r.steps) {
      if (s.stage != st.name) continue;
      double label_y = L.narrow ? y + L.font + 1 : y + L.row_h / 2 + L.font * 0.35;
      double bar_h = L.narrow ? 11 : 14;
      double bar_y = L.narrow ? y + L.font + 5 : y + (L.row_h - bar_h) / 2;
      double label_x = L.narrow ? plot_x : 20;
      std::string label = Truncate(s.step_id, L.narrow ? 40 : 26);
      stage_rows += "<text x=\"" + Num(label_x) + "\" y=\"" + Num(label_y) + "\" class=\"lbl\">" +
                    Esc(label) + "</text>";
      std::string note;
      const std::string status = ShownStatus(r, s);
      auto awaiting = r.awaiting_since.find(s.step_id);
      if (s.started_at <= 0 && awaiting != r.awaiting_since.end()) {
        // Waiting for approval since it was reached, up to the last thing recorded.
        int64_t a = awaiting->second - t0, b = std::max(awaiting->second, last_event) - t0;
        double bx = x(a), bw = std::max(2.0, x(b) - x(a));
        std::string tip = s.step_id + ": waiting for approval since " +
                          time.Human(awaiting->second) + " (`medic approve " +
                          std::to_string(r.run.id) + " " + s.step_id + "`)";
        stage_rows += "<rect class=\"bar\" data-step=\"" + Esc(s.step_id) + "\" data-status=\"" +
                      Esc(status) + "\" x=\"" + Num(bx) + "\" y=\"" + Num(bar_y) + "\" width=\"" +
                      Num(bw) + "\" height=\"" + Num(bar_h) + "\" rx=\"2\" fill=\"" +
                      StatusColor(status) + "\" fill-opacity=\"0.35\" stroke=\"" +
                      StatusColor(status) + "\" stroke-dasharray=\"4 2\"><title>" + Esc(tip) +
                      "</title></rect>";
        note = "waiting for approval";
        double nx = bx + bw + 4;
        bool fits = nx + note.size() * L.font * 0.55 <= L.width;
        stage_rows += "<text x=\"" +
                      Num(L.narrow ? plot_x + plot_w
                          : fits   ? nx
                                   : bx - 4) +
                      "\" y=\"" + Num(label_y) + "\" class=\"note\"" +
                      (L.narrow || !fits ? " text-anchor=\"end\"" : "") + ">" + Esc(note) +
                      "</text>";
        note.clear();
      } else if (s.started_at <= 0) {
        note = StatusText(status);
      } else {
        const std::vector<StepSegment>& segs = segments[s.step_id];
        int64_t a = s.started_at - t0, b = end_of(s) - t0;
        for (const StepSegment& g : segs) {
          a = std::min(a, g.from - t0);
          b = std::max(b, g.to - t0);
        }
        st_start = st_start == 0 || s.started_at < st_start ? s.started_at : st_start;
        st_end = std::max(st_end, end_of(s));
        double bar_mid = bar_y + bar_h / 2;
        int attempts = 0;
        for (const StepSegment& g : segs) attempts += g.kind == StepSegment::Kind::kAttempt;
        for (const StepSegment& g : segs) {
          double gx = x(g.from - t0), gw = std::max(2.0, x(g.to - t0) - gx);
          std::string span = FormatDurationMs(g.to - g.from);
          std::string kind = SegmentText(g.kind);
          if (g.kind == StepSegment::Kind::kAttempt) {
            // The last attempt carries the step's status; earlier ones say how they ended.
            bool last = g.attempt == attempts || attempts <= 1;
            std::string st = last ? status : g.status;
            std::string tip = s.step_id + ": " +
                              (attempts > 1 ? "attempt " + std::to_string(g.attempt) + ", " : "") +
                              st + ", started " + time.Human(g.from) + ", " + span +
                              (s.budget_ms > 0 ? ", budget " + FormatDurationMs(s.budget_ms) : "");
            stage_rows += "<rect class=\"bar\" data-kind=\"attempt\" data-attempt=\"" +
                          std::to_string(g.attempt) + "\" data-step=\"" + Esc(s.step_id) +
                          "\" data-status=\"" + Esc(st) + "\" x=\"" + Num(gx) + "\" y=\"" +
                          Num(bar_y) + "\" width=\"" + Num(gw) + "\" height=\"" + Num(bar_h) +
                          "\" rx=\"2\" fill=\"" + StatusColor(st) + "\"" +
                          (g.status == "running" ? " fill-opacity=\"0.5\"" : "") + "><title>" +
                          Esc(tip) + "</title></rect>";
            continue;
          }
          std::string tip = s.step_id + ": " + kind + " for " + span + ", from " +
                            time.Human(g.from) + " to " + time.Human(g.to);
          if (g.kind == StepSegment::Kind::kRetryWait) {
            stage_rows +=
                "<line class=\"seg\" data-kind=\"retry_wait\" data-step=\"" + Esc(s.step_id) +
                "\" x1=\"" + Num(gx) + "\" x2=\"" + Num(gx + gw) + "\" y1=\"" + Num(bar_mid) +
                "\" y2=\"" + Num(bar_mid) +
                "\" stroke=\"#6b7280\" stroke-width=\"2\" stroke-dasharray=\"2 2\"><title>" +
                Esc(tip) + "</title></line>";
            continue;
          }
          // An interruption or an approval wait: shaded and labelled, so a bar never spans
          // time the step did not run.
          const char* color = g.kind == StepSegment::Kind::kInterrupted ? "#7e22ce" : "#ca8a04";
          stage_rows += "<rect class=\"seg\" data-kind=\"" +
                        std::string(g.kind == StepSegment::Kind::kInterrupted ? "interrupted"
                                                                              : "approval_wait") +
                        "\" data-step=\"" + Esc(s.step_id) + "\" x=\"" + Num(gx) + "\" y=\"" +
                        Num(bar_y) + "\" width=\"" + Num(gw) + "\" height=\"" + Num(bar_h) +
                        "\" fill=\"" + color + "\" fill-opacity=\"0.15\" stroke=\"" + color +
                        "\" stroke-dasharray=\"3 2\"><title>" + Esc(tip) + "</title></rect>";
          std::string label =
              (g.kind == StepSegment::Kind::kInterrupted ? "interrupted " : "approval ") + span;
          if (label.size() * L.font * 0.42 + 4 > gw) label = span;  // the legend says which
          if (label.size() * L.font * 0.42 + 4 <= gw)
            stage_rows += "<text x=\"" + Num(gx + gw / 2) + "\" y=\"" +
                          Num(bar_mid + L.font * 0.33) +
                          "\" class=\"seglbl\" text-anchor=\"middle\">" + Esc(label) + "</text>";
        }
        // A budget counts the step's own time: from its start after the last interruption.
        int64_t budget_from = s.started_at - t0;
        bool after_interruption = false;
        for (const StepSegment& g : segs) {
          if (g.kind == StepSegment::Kind::kInterrupted) after_interruption = true;
          if (g.kind == StepSegment::Kind::kAttempt && after_interruption) {
            budget_from = g.from - t0;
            after_interruption = false;
          }
        }
        if (s.budget_ms > 0) {
          int64_t limit = budget_from + s.budget_ms;
          if (s.over_budget && limit < b && segs.size() <= 1)
            stage_rows += "<rect class=\"over\" x=\"" + Num(x(limit)) + "\" y=\"" + Num(bar_y) +
                          "\" width=\"" + Num(x(b) - x(limit)) + "\" height=\"" + Num(bar_h) +
                          "\" fill=\"url(#hatch)\"/>";
          if (limit <= axis)
            stage_rows += "<line class=\"budget\" x1=\"" + Num(x(limit)) + "\" x2=\"" +
                          Num(x(limit)) + "\" y1=\"" + Num(bar_y - 3) + "\" y2=\"" +
                          Num(bar_y + bar_h + 3) + "\" stroke=\"#111827\" stroke-width=\"2\"/>";
        }
        double bx = x(a), bw = std::max(2.0, x(b) - x(a));
        // What the step took, as the table says it (its own time, without the waits).
        note = s.status == StepStatus::kSkipped
                   ? "skipped"
                   : FormatDurationMs(s.ended_at > 0 ? s.duration_ms : b - (s.started_at - t0));
        if (s.status != StepStatus::kSucceeded && s.status != StepStatus::kSkipped)
          note += " " + status;
        if (s.over_budget) note += " (over " + FormatDurationMs(s.budget_ms) + ")";
        if (s.attempts > 1) note += " ×" + std::to_string(s.attempts);
        double nx = bx + bw + 4;
        double note_w = note.size() * L.font * 0.55;
        int64_t limit = budget_from + s.budget_ms;
        if (s.budget_ms > 0 && limit <= axis && x(limit) + 1 >= bx + bw && x(limit) < nx + note_w)
          nx = x(limit) + 5;  // the budget tick would cross the note
        bool fits = nx + note_w <= plot_x + axis_w + (broken ? 0 : 16);
        if (L.narrow) {
          stage_rows += "<text x=\"" + Num(plot_x + axis_w) + "\" y=\"" + Num(label_y) +
                        "\" class=\"note\" text-anchor=\"end\">" + Esc(note) + "</text>";
        } else {
          stage_rows += "<text x=\"" + Num(fits ? nx : bx - 4) + "\" y=\"" + Num(label_y) +
                        "\" class=\"note\"" + (fits ? "" : " text-anchor=\"end\"") + ">" +
                        Esc(note) + "</text>";
        }
        note.clear();
      }
      if (!note.empty())
        stage_rows += "<text x=\"" + Num(L.narrow ? plot_x + plot_w : plot_x + 2) + "\" y=\"" +
                      Num(label_y) + "\" class=\"note\"" +
                      (L.narrow ? " text-anchor=\"end\"" : "") + ">" + Esc(note) + "</text>";
      y += L.row_h;
    }
    if (st.started_at > 0)
      st_start = st_start == 0 ? st.started_at : std::min(st_start, st.started_at);
    if (st.ended_at > 0) st_end = std::max(st_end, st.ended_at);
    std::string head =
        st.name + (st.parallel ? " · parallel" : "") +
        (st_start > 0 && st_end > st_start ? " · " + FormatDurationMs(st_end - st_start) : "") +
        (st.status == "failed" ? " · failed" : "");
    if (st_start > 0 && st_end >= st_start)
      bands +=
          "<rect class=\"band\" x=\"" + Num(x(st_start - t0)) + "\" y=\"" + Num(stage_top + 3) +
          "\" width=\"" + Num(std::max(2.0, x(st_end - t0) - x(st_start - t0))) + "\" height=\"" +
          Num(y - stage_top - 3) + "\" fill=\"" + (st.parallel ? "#e0e7ff" : "#f1f5f9") + "\"/>";
    rows += "<text x=\"" + Num(L.narrow ? plot_x : 8) + "\" y=\"" + Num(stage_top + 16) +
            "\" class=\"stage\">" + Esc(head) + "</text>" + stage_rows;
  }
  double bottom = y + 4;

  std::string grid;
  for (int64_t v = 0; v <= axis; v += step) {
    grid += "<line x1=\"" + Num(x(v)) + "\" x2=\"" + Num(x(v)) + "\" y1=\"" + Num(top - 4) +
            "\" y2=\"" + Num(bottom) + "\" stroke=\"#e5e7eb\"/>";
    grid += "<text x=\"" + Num(x(v)) + "\" y=\"" + Num(top - 8) + "\" class=\"tick\"" +
            (v == 0      ? ""
             : v == axis ? " text-anchor=\"end\""
                         : " text-anchor=\"middle\"") +
            ">" + TickLabel(v) + "</text>";
  }
  std::string markers;
  if (broken) {
    // The break: the axis stops at the run's end and goes on, compressed, to the SLAs.
    double bx = plot_x + axis_w + 6;
    for (double yy : {top - 4, bottom})
      markers += "<path class=\"axisbreak\" d=\"M" + Num(bx - 3) + " " + Num(yy + 4) + " L" +
                 Num(bx + 1) + " " + Num(yy - 4) + " M" + Num(bx + 3) + " " + Num(yy + 4) + " L" +
                 Num(bx + 7) + " " + Num(yy - 4) +
                 "\" stroke=\"#6b7280\" stroke-width=\"1.5\" fill=\"none\"/>";
    markers += "<rect class=\"beyond\" x=\"" + Num(bx + 10) + "\" y=\"" + Num(top - 2) +
               "\" width=\"" + Num(plot_x + plot_w - bx - 10) + "\" height=\"" +
               Num(bottom - top + 2) + "\" fill=\"#f9fafb\"/>";
  }
  double prev_x = -1000;
  int lane = 0;
  size_t beyond = 0, beyond_n = 0;
  for (const Marker& m : marks) beyond_n += m.at > axis;
  for (const Marker& m : marks) {
    double mx = m.at <= axis
                    ? x(m.at)
                    : plot_x + axis_w + 16 + (plot_w - axis_w - 20) * (beyond++ + 0.5) / beyond_n;
    lane = mx - prev_x < 60 ? 1 - lane : 0;
    prev_x = mx;
    std::string label = m.label + (m.at > axis ? " (at " + FormatDurationMs(m.at) + ")" : "");
    markers += "<line class=\"marker\" data-label=\"" + Esc(m.label) + "\" x1=\"" + Num(mx) +
               "\" x2=\"" + Num(mx) + "\" y1=\"" + Num(top - 2) + "\" y2=\"" + Num(bottom + 2) +
               "\" stroke=\"#be185d\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>";
    const char* anchor = mx > L.width - 60 ? "end" : mx < plot_x + 20 ? "start" : "middle";
    markers += "<text x=\"" + Num(mx) + "\" y=\"" + Num(bottom + 14 + lane * 13) +
               "\" class=\"mk\" text-anchor=\"" + anchor + "\">" + Esc(label) + "</text>";
  }
  double height = bottom + 34;

  std::string cls = L.narrow ? "chart chart-narrow" : "chart chart-wide";
  std::string title = "Run " + std::to_string(r.run.id) + " steps on a time axis from " +
                      time.Human(t0) + " (" + time.zone() + ")";
  std::string svg = "<svg class=\"" + cls +
                    "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + Num(L.width) + " " +
                    Num(height) + "\" width=\"" + Num(L.width) + "\" height=\"" + Num(height) +
                    "\" role=\"img\" font-size=\"" + Num(L.font) + "\"><title>" + Esc(title) +
                    "</title>";
  svg +=
      "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fecaca\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#b91c1c\" stroke-width=\"3\"/>"
      "</pattern></defs>";
  svg += bands + grid + markers + rows + "</svg>";
  return svg;
}

std::string Badge(const DerivedDuration& d) {
  std::string v = VerdictText(d);
  std::string cls = d.verdict.empty() ? "none" : d.verdict;
  return "<span class=\"badge " + cls + "\">" + Esc(v) + "</span>";
}

const char* kStyle = R"css(
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif;color:#1f2937;background:#fff}
main{max-width:1040px;margin:0 auto;padding:16px}
h1{font-size:1.45rem;margin:0 0 4px;line-height:1.25}
h2{font-size:1.15rem;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#4b5563;margin:0 0 14px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:8px;margin:0}
.facts div{border:1px solid #e5e7eb;border-radius:6px;padding:7px 10px}
.facts dt{font-size:.72rem;text-transform:uppercase;letter-spacing:.04em;color:#6b7280}
.facts dd{margin:2px 0 0;font-weight:600;overflow-wrap:anywhere}.facts .day{font-weight:400;color:#4b5563}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:.8em;font-weight:600;background:#e5e7eb}
.met{background:#dcfce7;color:#166534}.missed{background:#fee2e2;color:#991b1b}.pending{background:#fef3c7;color:#92400e}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.86rem}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{background:#f9fafb;font-weight:600;white-space:nowrap}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.85em;overflow-wrap:anywhere}
tr.error td{background:#fef2f2}tr.warning td{background:#fffbeb}
figure{margin:6px 0 4px}
svg.chart{width:100%;height:auto;display:block}
svg .lbl{fill:#111827}svg .note{fill:#374151;font-size:.9em}svg .stage{font-weight:700;fill:#111827}
svg .tick{fill:#6b7280;font-size:.85em}svg .mk{fill:#be185d;font-size:.85em;font-weight:600}
svg .seglbl{fill:#374151;font-size:.75em}
svg.chart-narrow{display:none}
.legend{list-style:none;padding:0;margin:4px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.8rem;color:#374151}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}
.err{color:#991b1b}
.warn{color:#92400e}
@media (max-width:640px){main{padding:10px}.facts{grid-template-columns:1fr 1fr;gap:6px}
 .facts div{padding:5px 7px}.facts dd{font-size:.85rem}.facts .day{display:block;font-size:.75rem}svg.chart-wide{display:none}svg.chart-narrow{display:block}
 table{font-size:.78rem}th,td{padding:3px 5px}.wide-only{display:none}h1{font-size:1.2rem}}
@media print{body{font-size:10pt}main{max-width:none;padding:0}svg.chart-wide{display:block!important}
 svg.chart-narrow{display:none!important}.wide-only{display:table-cell!important}.scroll{overflow:visible}
 h2{break-after:avoid}tr,figure,.facts div{break-inside:avoid}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
@page{margin:12mm}
)css";

}  // namespace

std::string TimelineToHtml(const Timeline& t, const TimeFormatter& time) {
  auto when = [&](int64_t ms) { return ms > 0 ? time.Human(ms) : std::string("—"); };
  std::string title = TimelineTitle(t);
  std::string h;
  h.reserve(4096 + t.events.size() * 300);
  h += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<meta name=\"generator\" content=\"medic timeline\"><title>" +
       Esc(title) + " - timeline</title><style>" + kStyle + "</style></head><body><main>\n";
  h += "<h1>" + Esc(title) + "</h1>\n";
  h += "<p class=\"meta\">" + Esc(t.incident.status) + " · source " + Esc(t.incident.source) +
       " · times in " + Esc(time.zone()) + ", T+0 = " + Esc(when(t.origin_ms)) + "</p>\n";

  // Summary facts.
  StepCounts counts = CountSteps(t);
  auto fact = [&](const std::string& k, const std::string& v_html) {
    h += "<div><dt>" + Esc(k) + "</dt><dd>" + v_html + "</dd></div>";
  };
  h += "<section><dl class=\"facts\">";
  for (const Milestone& m : t.milestones)
    fact(m.name, m.at > 0 ? "<span class=\"day\">" + Esc(time.Human(m.at).substr(0, 10)) +
                                "</span> " + Esc(time.Human(m.at).substr(11)) + " <small>" +
                                Esc(Offset(t, m.at)) + "</small>"
                          : Esc(NotReachedText(m)));
  for (const DerivedDuration& d : t.durations)
    if (d.budget_ms > 0)
      fact(d.name, Esc(d.ms >= 0 ? FormatDurationMs(d.ms) : "—") + " / " +
                       Esc(FormatDurationMs(d.budget_ms)) + " " + Badge(d));
  for (const TimelineAnalysis& a : t.analyses) fact("analysis", Esc(AnalysisLine(a)));
  fact("steps",
       std::to_string(counts.ran) + " ran · " + std::to_string(counts.failed) + " failed · " +
           std::to_string(counts.over_budget) + "/" + std::to_string(counts.with_budget) +
           " over budget" +
           (counts.awaiting ? " · " + std::to_string(counts.awaiting) + " waiting for approval"
                            : ""));
  size_t artifacts = 0;
  for (const TimelineRun& r : t.runs) artifacts += r.artifacts.size();
  fact("artifacts", std::to_string(artifacts));
  if (!t.incident.labels.empty()) {
    std::string labels;
    for (auto it = t.incident.labels.begin(); it != t.incident.labels.end(); ++it)
      labels += (labels.empty() ? "" : ", ") + it.key() + "=" +
                (it->is_string() ? it->get<std::string>() : it->dump());
    fact("labels", Esc(labels));
  }
  h += "</dl></section>\n";

  h += "<section><h2>Milestones</h2><div class=\"scroll\"><table><thead><tr><th>Milestone</th>"
       "<th>Time</th><th>T+</th><th>Source</th></tr></thead><tbody>";
  for (const Milestone& m : t.milestones)
    h += "<tr><td>" + Esc(m.name) + "</td><td class=\"t\">" + Esc(when(m.at)) +
         "</td><td class=\"t\">" + Esc(m.at > 0 ? Offset(t, m.at) : "") + "</td><td>" +
         Esc(m.at > 0 ? m.source : NotReachedText(m)) + "</td></tr>";
  h += "</tbody></table></div><div class=\"scroll\"><table><thead><tr><th>Duration</th><th>From → "
       "to</th>"
       "<th>Took</th><th>Budget</th><th>Verdict</th></tr></thead><tbody>";
  for (const DerivedDuration& d : t.durations)
    h += "<tr><td>" + Esc(d.name) + "</td><td>" + Esc(d.from + " → " + d.to) +
         "</td><td class=\"t\">" + Esc(d.ms >= 0 ? FormatDurationMs(d.ms) : "—") +
         "</td><td class=\"t\">" + Esc(d.budget_ms > 0 ? FormatDurationMs(d.budget_ms) : "—") +
         "</td><td>" + Badge(d) + "</td></tr>";
  h += "</tbody></table></div></section>\n";

  if (!t.analyses.empty()) {
    h += "<section><h2>Analysis</h2><ul>";
    for (const TimelineAnalysis& a : t.analyses) {
      h += "<li>Run " + std::to_string(a.run_id) + ", step <code>" + Esc(a.step_id) + "</code>: " +
           (a.category.empty() ? std::string("no Go crash found")
                               : "<strong>" + Esc(a.category) + "</strong>");
      if (!a.culprit.empty()) h += " in <code>" + Esc(a.culprit) + "</code>";
      if (!a.recommendation.empty())
        h += "; recommendation <strong>" + Esc(a.recommendation) + "</strong>";
      if (!a.why.empty()) h += ": " + Esc(a.why);
      h += "</li>";
    }
    h += "</ul></section>\n";
  }

  std::vector<std::string> statuses;
  for (const TimelineRun& r : t.runs) {
    h += "<section><h2>Run " + std::to_string(r.run.id) + ": " + Esc(r.run.playbook) + " (" +
         Esc(ShownRunStatus(r.run, t.now_ms)) + ")</h2>";
    if (!r.run.error.empty()) h += "<p class=\"err\">" + Esc(r.run.error) + "</p>";
    for (const Json& w : r.run.warnings)
      h += "<p class=\"warn\">warning: step <code>" + Esc(w.value("step", "?")) + "</code> " +
           Esc(w.value("status", "")) + ": " + Esc(w.value("reason", "")) + "</p>";
    h += "<figure>" + RunChart(t, r, time, {960, 200, false, 22, 12}) +
         RunChart(t, r, time, {400, 0, true, 34, 12}) + "<figcaption><ul class=\"legend\">";
    statuses.clear();
    for (const StepRecord& s : r.steps)
      if (std::find(statuses.begin(), statuses.end(), ShownStatus(r, s)) == statuses.end())
        statuses.push_back(ShownStatus(r, s));
    for (const std::string& s : statuses)
      h += "<li><span class=\"sw\" style=\"background:" + std::string(StatusColor(s)) +
           "\"></span>" + Esc(StatusText(s)) + "</li>";
    h += "<li><span class=\"sw\" style=\"background:#111827;width:3px\"></span>step budget</li>"
         "<li><span class=\"sw\" style=\"background:repeating-linear-gradient(45deg,#b91c1c 0 2px,"
         "#fecaca 2px 5px)\"></span>over budget</li>"
         "<li><span class=\"sw\" style=\"border-left:2px dashed #be185d;border-radius:0\"></span>"
         "SLA in force, where it falls due (past the axis break when beyond the run)</li>"
         "<li><span class=\"sw\" style=\"background:#f3e8ff;border:1px dashed #7e22ce\"></span>"
         "interrupted, until resumed</li>"
         "<li><span class=\"sw\" style=\"background:#fef9c3;border:1px dashed #ca8a04\"></span>"
         "waiting for approval</li>"
         "<li><span class=\"sw\" style=\"border-top:2px dashed #6b7280;border-radius:0;height:0;"
         "vertical-align:3px\"></span>wait before a retry</li>"
         "<li><span class=\"sw\" style=\"background:#e0e7ff\"></span>parallel stage</li>"
         "</ul></figcaption></figure>";
    h += "<div class=\"scroll\"><table><thead><tr><th>Stage</th><th>Step</th><th>Status</th>"
         "<th>Tries</th><th class=\"wide-only\">Started</th><th>Took</th><th>Budget</th>"
         "<th>Error</th></tr></thead><tbody>";
    for (const StepRecord& s : r.steps) {
      std::string budget = s.budget_ms > 0
                               ? FormatDurationMs(s.budget_ms) +
                                     (s.ended_at > 0 ? (s.over_budget ? " over" : " met") : "")
                               : "—";
      h +=
          std::string("<tr") +
          (s.status == StepStatus::kFailed || s.status == StepStatus::kTimedOut ? " class=\"error\""
           : s.over_budget ? " class=\"warning\""
                           : "") +
          "><td>" + Esc(s.stage) + "</td><td><code>" + Esc(s.step_id) + "</code></td><td>" +
          Esc(StatusText(ShownStatus(r, s))) + "</td><td>" + std::to_string(s.attempts) +
          "</td><td class=\"t wide-only\">" + Esc(when(s.started_at)) + "</td><td class=\"t\">" +
          Esc(s.ended_at > 0 && s.status != StepStatus::kSkipped ? FormatDurationMs(s.duration_ms)
                                                                 : "—") +
          "</td><td class=\"t\">" + Esc(budget) + "</td><td>" + Esc(s.error) + "</td></tr>";
    }
    h += "</tbody></table></div>";
    if (!r.artifacts.empty()) {
      h += "<h3>Artifacts</h3><div class=\"scroll\"><table><thead><tr><th>Kind</th><th>Step</th>"
           "<th>Size</th><th>SHA-256</th><th>Location</th></tr></thead><tbody>";
      for (const ArtifactRecord& a : r.artifacts)
        h += "<tr><td>" + Esc(a.kind) + "</td><td><code>" + Esc(a.step_id) +
             "</code></td><td class=\"t\">" + Esc(a.size >= 0 ? FormatBytes(a.size) : "—") +
             "</td><td><code>" + Esc(a.sha256) + "</code></td><td><code>" +
             Esc(a.url.empty() ? a.path : a.url) + "</code>" +
             (a.url.empty() || a.path.empty()
                  ? ""
                  : "<br><small>local <code>" + Esc(a.path) + "</code></small>") +
             "</td></tr>";
      h += "</tbody></table></div>";
    }
    h += "</section>\n";
  }

  std::string changes, errors;
  for (const TimelineEvent& e : t.events) {
    if (e.changes)
      changes += "<li>" + Esc(time.Human(e.at)) + " step <code>" + Esc(e.step_id) +
                 "</code>: <code>" + Esc(DescribeEvent(e, time)) + "</code></li>";
    if (e.severity == "error")
      errors += "<li>" + Esc(time.Human(e.at)) + " " +
                (e.step_id.empty() ? "run " + std::to_string(e.run_id)
                                   : "step <code>" + Esc(e.step_id) + "</code>") +
                ": " + Esc(e.message) + "</li>";
  }
  if (!changes.empty()) h += "<section><h2>Changes made</h2><ul>" + changes + "</ul></section>\n";
  if (!errors.empty())
    h += "<section><h2>Errors</h2><ul class=\"err\">" + errors + "</ul></section>\n";

  h += "<section><h2>Events</h2><div class=\"scroll\"><table "
       "class=\"events\"><thead><tr><th>Time</th>"
       "<th>T+</th><th class=\"wide-only\">Run</th><th>Step</th><th>Event</th><th>Details</th></tr>"
       "</thead><tbody>\n";
  for (const TimelineEvent& e : t.events) {
    std::string details = DescribeEvent(e, time);
    h += std::string("<tr") + (e.severity == "info" ? "" : " class=\"" + e.severity + "\"") +
         "><td class=\"t\">" + Esc(time.Human(e.at)) + "</td><td class=\"t\">" +
         Esc(Offset(t, e.at)) + "</td><td class=\"wide-only\">" +
         (e.run_id > 0 ? std::to_string(e.run_id) : "") + "</td><td>" +
         (e.step_id.empty() ? Esc(e.stage) : "<code>" + Esc(e.step_id) + "</code>") + "</td><td>" +
         Esc(ToString(e.kind)) + "</td><td>" +
         (e.category == "command" ? "<code>" + Esc(details) + "</code>" : Esc(details)) +
         "</td></tr>\n";
  }
  h += "</tbody></table></div></section>\n</main></body></html>\n";
  return h;
}

}  // namespace medic
