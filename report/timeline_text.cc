#include "report/timeline_text.h"

#include <cstdio>
#include <vector>

#include "base/strings.h"
#include "report/json_fields.h"

namespace medic {

std::string TimelineTitle(const Timeline& t) {
  std::string title = t.incident.title.empty() ? "" : ": " + t.incident.title;
  if (t.scope.kind == TimelineScope::Kind::kRun)
    return "Run " + std::to_string(t.scope.id) + " of incident " + std::to_string(t.incident.id) +
           title;
  return "Incident " + std::to_string(t.incident.id) + title;
}

std::string Offset(const Timeline& t, int64_t unix_ms) {
  if (unix_ms <= 0) return "";
  int64_t d = unix_ms - t.origin_ms;
  return (d < 0 ? "T-" : "T+") + FormatDurationMs(d < 0 ? -d : d);
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 0) return "";
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f %s (%lld bytes)", v, units[u],
                static_cast<long long>(bytes));
  return buf;
}

std::string VerdictText(const DerivedDuration& d) {
  if (d.budget_ms <= 0) return "no budget";
  if (d.verdict.empty()) return "not measured";
  return d.verdict;
}

std::string AnalysisLine(const TimelineAnalysis& a) {
  std::string out = a.category.empty() ? "no Go crash found" : a.category;
  if (!a.culprit.empty()) out += " in " + a.culprit;
  if (!a.recommendation.empty()) out += " → " + a.recommendation;
  return out;
}

std::string StatusText(const std::string& status) {
  if (status == "awaiting_approval") return "waiting for approval";
  if (status == "pending") return "not run";
  return status;
}

StepCounts CountSteps(const Timeline& t) {
  StepCounts c;
  for (const TimelineRun& r : t.runs) {
    for (const StepRecord& s : r.steps) {
      if (s.status == StepStatus::kPending) {
        ++(r.awaiting_since.count(s.step_id) ? c.awaiting : c.not_run);
        continue;
      }
      if (s.status != StepStatus::kSkipped) ++c.ran;
      if (s.status == StepStatus::kFailed || s.status == StepStatus::kTimedOut) ++c.failed;
      if (s.budget_ms > 0) ++c.with_budget;
      if (s.over_budget) ++c.over_budget;
    }
  }
  return c;
}

std::string DescribeEvent(const TimelineEvent& e, const TimeFormatter& time) {
  const Json& d = e.data;
  if (e.category == "command") {
    std::vector<std::string> argv;
    auto it = d.find("argv");
    if (it != d.end() && it->is_array())
      for (const Json& a : *it) argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    std::string out = "$ " + (argv.empty() ? e.message : QuoteArgv(argv));
    return e.changes ? out + "  (changes production: approved step)" : out;
  }
  if (e.category == "artifact") {
    auto str = [&](const char* k) { return StringField(d, k); };
    std::string out = str("kind").empty() ? "artifact" : str("kind");
    auto size = d.find("size");
    if (size != d.end() && size->is_number() && size->get<int64_t>() >= 0)
      out += ", " + FormatBytes(size->get<int64_t>());
    if (!str("sha256").empty()) out += ", sha256 " + str("sha256");
    if (!str("url").empty()) out += ", " + str("url");
    if (!str("path").empty())
      out +=
          (str("url").empty() ? ", " : " (local ") + str("path") + (str("url").empty() ? "" : ")");
    return out;
  }
  if (e.category == "alert") {
    // As `medic serve` records it (store/alerts.h): "NAME STATUS: SUMMARY", then the other
    // labels, when it started (and ended), and its fingerprint.
    std::string out = e.message;
    auto labels = d.find("labels");
    if (labels != d.end() && labels->is_object()) {
      std::string name = StringField(*labels, "alertname");
      if (!name.empty() && out.find(name) == std::string::npos)
        out = out.empty() ? name : out + "; " + name;
      std::string rest;
      for (auto it = labels->begin(); it != labels->end(); ++it)
        if (it.key() != "alertname" && it->is_string())
          rest += (rest.empty() ? "" : ", ") + it.key() + "=" + it->get<std::string>();
      if (!rest.empty()) out += (out.empty() ? "" : "; ") + rest;
    }
    auto ann = d.find("annotations");
    if (ann != d.end() && ann->is_object()) {
      std::string summary = StringField(*ann, "summary");
      if (!summary.empty() && out.find(summary) == std::string::npos)
        out += (out.empty() ? "" : "; ") + summary;
    }
    int64_t ms = 0;
    if (ParseTimeRfc3339(StringField(d, "startsAt"), &ms) && ms > 0)
      out += "; started " + time.Human(ms);
    if (e.kind == EventKind::kAlertResolved && ParseTimeRfc3339(StringField(d, "endsAt"), &ms) &&
        ms > 0)
      out += "; ended " + time.Human(ms);
    std::string fingerprint = StringField(d, "fingerprint");
    if (!fingerprint.empty()) out += "; fingerprint " + fingerprint;
    return out;
  }
  if (e.kind == EventKind::kStepAwaitingApproval) {
    std::string_view plan = e.message;
    if (StartsWith(plan, "needs confirmation: ")) plan.remove_prefix(20);
    return "waiting for approval" + (plan.empty() ? "" : " to run: " + std::string(plan));
  }
  if (e.category == "stage") {
    auto parallel = d.find("parallel");
    bool par = parallel != d.end() && parallel->is_boolean() && parallel->get<bool>();
    if (e.kind == EventKind::kStageStarted)
      return "stage " + e.stage + " started" + (par ? ", steps in parallel" : "");
    if (e.kind == EventKind::kStageFinished) return "stage " + e.stage + " finished: " + e.status;
  }
  if (e.category == "step" && e.attempts > 1 && e.message.find("attempts") == std::string::npos)
    return e.message + " (" + std::to_string(e.attempts) + " attempts)";
  if (e.category == "run" && e.kind == EventKind::kRunCreated) {
    std::string out = e.message;
    auto trig = d.find("trigger");
    if (trig != d.end() && trig->is_string()) out += ", trigger " + trig->get<std::string>();
    return out;
  }
  return e.message;
}

}  // namespace medic
