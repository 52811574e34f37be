#include "report/timeline_markdown.h"

#include <vector>

#include "base/strings.h"
#include "report/record_json.h"
#include "report/timeline_text.h"

namespace medic {
namespace {

// Free text in a Markdown table cell: one line, no table or HTML breakage.
std::string MdText(std::string_view s, size_t max = 400) {
  std::string out;
  size_t n = 0;
  for (char c : s) {
    if (++n > max) {
      out += "…";
      break;
    }
    switch (c) {
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      case '|':
      case '\\':
      case '<':
      case '>':
      case '*':
      case '`':
      case '[':
      case ']':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

// An identifier or command as inline code; a backtick inside widens the fence.
std::string MdCode(std::string_view s) {
  if (s.empty()) return "";
  std::string text;
  for (char c : s) {
    if (c == '\n' || c == '\r') c = ' ';
    if (c == '|') text += '\\';
    text += c;
  }
  std::string fence = text.find('`') != std::string::npos ? "``" : "`";
  std::string pad = fence.size() > 1 ? " " : "";
  return fence + pad + text + pad + fence;
}

std::string MdRow(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& c : cells) out += " " + c + " |";
  return out + "\n";
}

std::string MdHeader(const std::vector<std::string>& cells) {
  std::string out = MdRow(cells) + "|";
  for (size_t i = 0; i < cells.size(); ++i) out += " --- |";
  return out + "\n";
}

std::string LabelsText(const Json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it)
      parts.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
  return Join(parts, ", ");
}

std::string DurationCell(int64_t ms) { return ms >= 0 ? FormatDurationMs(ms) : "—"; }

}  // namespace

std::string TimelineToMarkdown(const Timeline& t, const TimeFormatter& time) {
  auto when = [&](int64_t ms) { return ms > 0 ? time.Human(ms) : std::string("—"); };
  std::string md = "# " + MdText(TimelineTitle(t)) + "\n\n";

  // Summary.
  const IncidentRecord& inc = t.incident;
  StepCounts counts = CountSteps(t);
  md += MdHeader({"Summary", ""});
  md += MdRow({"Incident", std::to_string(inc.id) + " (" + MdText(inc.status) + ", source " +
                               MdText(inc.source) + ")"});
  if (!inc.labels.empty()) md += MdRow({"Labels", MdText(LabelsText(inc.labels))});
  std::string runs;
  for (const TimelineRun& r : t.runs)
    runs += (runs.empty() ? "" : "; ") + std::to_string(r.run.id) + " " + MdCode(r.run.playbook) +
            " " + ShownRunStatus(r.run, t.now_ms);
  md += MdRow({"Runs", runs.empty() ? "none" : runs});
  md += MdRow({"Times", "in " + time.zone() + "; T+0 = " + when(t.origin_ms)});
  for (const DerivedDuration& d : t.durations) {
    if (d.budget_ms <= 0) continue;
    md += MdRow({MdText(d.name), DurationCell(d.ms) + " (budget " + FormatDurationMs(d.budget_ms) +
                                     ": **" + VerdictText(d) + "**)"});
  }
  for (const TimelineAnalysis& a : t.analyses) md += MdRow({"Analysis", MdText(AnalysisLine(a))});
  md +=
      MdRow({"Steps",
             std::to_string(counts.ran) + " ran, " + std::to_string(counts.failed) + " failed, " +
                 std::to_string(counts.over_budget) + " of " + std::to_string(counts.with_budget) +
                 " with a budget over it" +
                 (counts.awaiting ? ", " + std::to_string(counts.awaiting) + " waiting for approval"
                                  : "") +
                 (counts.not_run ? ", " + std::to_string(counts.not_run) + " not run" : "")});
  size_t artifacts = 0;
  for (const TimelineRun& r : t.runs) artifacts += r.artifacts.size();
  md += MdRow({"Artifacts", std::to_string(artifacts)});
  md += MdRow({"Events", std::to_string(t.events.size())});

  md +=
      "\n## Milestones\n\n" + MdHeader({"Milestone", "Time (" + time.zone() + ")", "T+", "Source"});
  for (const Milestone& m : t.milestones)
    md += MdRow({m.name, when(m.at), m.at > 0 ? Offset(t, m.at) : "",
                 m.at > 0 ? MdText(m.source) : MdText(NotReachedText(m))});
  md += "\n" + MdHeader({"Duration", "From → to", "Took", "Budget", "Verdict"});
  for (const DerivedDuration& d : t.durations)
    md += MdRow({d.name, d.from + " → " + d.to, DurationCell(d.ms),
                 d.budget_ms > 0 ? FormatDurationMs(d.budget_ms) : "—", VerdictText(d)});

  if (!t.analyses.empty()) {
    md += "\n## Analysis\n\n";
    for (const TimelineAnalysis& a : t.analyses) {
      md += "- Run " + std::to_string(a.run_id) + ", step " + MdCode(a.step_id) + " at " +
            when(a.at) + ": ";
      md += a.category.empty() ? "no Go crash found" : "category " + MdCode(a.category);
      if (!a.culprit.empty()) md += "; culprit " + MdCode(a.culprit);
      if (!a.recommendation.empty()) md += "; recommendation **" + MdText(a.recommendation) + "**";
      if (!a.why.empty()) md += ": " + MdText(a.why);
      md += "\n";
    }
  }

  for (const TimelineRun& r : t.runs) {
    md += "\n## Run " + std::to_string(r.run.id) + ": " + MdText(r.run.playbook) + " (" +
          ShownRunStatus(r.run, t.now_ms) + ")\n\n";
    if (!r.run.error.empty()) md += "> " + MdText(r.run.error, 1000) + "\n\n";
    for (const Json& w : r.run.warnings)
      md += "> **warning**: step " + MdCode(w.value("step", "?")) + " " + w.value("status", "") +
            ": " + MdText(w.value("reason", ""), 300) + "\n\n";
    md +=
        MdHeader({"Stage", "Step", "Status", "Attempts", "Started", "Duration", "Budget", "Error"});
    for (const StepRecord& s : r.steps) {
      bool parallel = false;
      for (const TimelineStage& st : r.stages)
        if (st.name == s.stage) parallel = st.parallel;
      std::string budget = s.budget_ms > 0
                               ? FormatDurationMs(s.budget_ms) +
                                     (s.ended_at > 0 ? (s.over_budget ? " **over**" : " met") : "")
                               : "—";
      md += MdRow({MdText(s.stage) + (parallel ? " (parallel)" : ""), MdCode(s.step_id),
                   StatusText(ShownStatus(r, s)), std::to_string(s.attempts), when(s.started_at),
                   s.ended_at > 0 && s.status != StepStatus::kSkipped
                       ? FormatDurationMs(s.duration_ms)
                       : "—",
                   budget, MdText(s.error, 200)});
    }
    if (!r.artifacts.empty()) {
      md += "\n" + MdHeader({"Artifact", "Step", "Size", "SHA-256", "Location"});
      for (const ArtifactRecord& a : r.artifacts) {
        std::string where = a.url.empty() ? MdCode(a.path) : MdCode(a.url);
        if (!a.url.empty() && !a.path.empty()) where += " (local " + MdCode(a.path) + ")";
        md += MdRow({MdText(a.kind), MdCode(a.step_id), a.size >= 0 ? FormatBytes(a.size) : "—",
                     a.sha256.empty() ? "—" : MdCode(a.sha256), where});
      }
    }
  }

  std::string changes, errors;
  for (const TimelineEvent& e : t.events) {
    if (e.changes)
      changes += "- " + when(e.at) + " run " + std::to_string(e.run_id) + " step " +
                 MdCode(e.step_id) + ": " + MdCode(DescribeEvent(e, time).substr(2)) + "\n";
    if (e.severity == "error")
      errors +=
          "- " + when(e.at) + " " +
          (e.step_id.empty() ? "run " + std::to_string(e.run_id) : "step " + MdCode(e.step_id)) +
          ": " + MdText(e.message, 1000) + "\n";
  }
  if (!changes.empty()) md += "\n## Changes made\n\n" + changes;
  if (!errors.empty()) md += "\n## Errors\n\n" + errors;

  md += "\n## Timeline\n\n" +
        MdHeader({"Time (" + time.zone() + ")", "T+", "Run", "Step", "Event", "Details"});
  for (const TimelineEvent& e : t.events) {
    std::string step =
        e.step_id.empty() ? (e.category == "stage" ? MdText(e.stage) : "") : MdCode(e.step_id);
    std::string details =
        e.category == "command" ? MdCode(DescribeEvent(e, time)) : MdText(DescribeEvent(e, time));
    if (e.severity == "error") details = "**" + details + "**";
    md += MdRow({time.Human(e.at), Offset(t, e.at), e.run_id > 0 ? std::to_string(e.run_id) : "",
                 step, ToString(e.kind), details});
  }
  return md;
}

}  // namespace medic
