#include "report/milestones.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "base/strings.h"
#include "report/json_fields.h"
#include "report/timeline.h"

namespace medic {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An alert time from the alert's data (startsAt/endsAt): null when unknown, as serve records it;
// Alertmanager's zero time "0001-01-01T00:00:00Z" (in older records) is no time either.
int64_t AlertTime(const Json& data, const char* key) {
  int64_t ms = 0;
  std::string text = StringField(data, key);
  if (text.empty() || !ParseTimeRfc3339(text, &ms) || ms <= 0) return 0;
  return ms;
}

std::string AlertKey(const TimelineEvent& e) {
  std::string fp = StringField(e.data, "fingerprint");
  if (!fp.empty()) return fp;
  auto labels = e.data.find("labels");
  return labels != e.data.end() ? labels->dump() : e.message;
}

void Reach(Milestone& m, int64_t at, std::string source, int64_t run_id = 0) {
  if (at <= 0 || (m.at > 0 && m.at <= at)) return;
  m.at = at;
  m.source = std::move(source);
  m.run_id = run_id;
}

// Why stage `stage` of run `run_id` does not prove milestone `name`; "" when it does.
std::string Unproven(const Timeline& t, const std::string& name, int64_t run_id,
                     const std::string& stage) {
  const TimelineRun* run = nullptr;
  for (const TimelineRun& r : t.runs)
    if (r.run.id == run_id) run = &r;
  if (!run) return "";  // an event without its run (an old record): take the event's word
  if (name == "diagnosed") {
    for (const TimelineAnalysis& a : t.analyses)
      if (a.run_id == run_id) return "";
    return "stage " + stage + " produced no analysis";
  }
  auto gap = [](const StepRecord& s) {
    return "step '" + s.step_id + "' " + ToString(s.status) +
           (s.error.empty() ? "" : ": " + s.error);
  };
  std::vector<const StepRecord*> steps;
  for (const StepRecord& s : run->steps)
    if (s.stage == stage) steps.push_back(&s);
  if (steps.empty()) return "";  // no step records to judge by: take the stage's word
  if (name == "verified") {
    // Every check: one that was skipped as not configured, failed or never ran verified
    // nothing. A check skipped by its `when:` (no error) was not asked for.
    int succeeded = 0;
    for (const StepRecord* s : steps) {
      if (s->status == StepStatus::kSucceeded)
        ++succeeded;
      else if (s->status != StepStatus::kSkipped || !s->error.empty())
        return gap(*s);
    }
    return succeeded > 0 ? "" : "no check of stage " + stage + " ran";
  }
  // contained, mitigated: the steps that changed production (they needed and got a yes)
  // are what the milestone stands for; all of them must have succeeded. A stage without
  // such a step needs one step that succeeded and none that failed.
  bool changes = false, changed = false;
  for (const StepRecord* s : steps) {
    if (!s->approved) continue;
    changes = true;
    if (s->status != StepStatus::kSucceeded) return gap(*s);
    changed = true;
  }
  if (changes) return changed ? "" : "no step of stage " + stage + " changed production";
  int succeeded = 0;
  for (const StepRecord* s : steps) {
    if (s->status == StepStatus::kSucceeded) ++succeeded;
    if (s->status == StepStatus::kFailed || s->status == StepStatus::kTimedOut) return gap(*s);
  }
  return succeeded > 0 ? "" : "no step of stage " + stage + " succeeded";
}

}  // namespace

std::string NotReachedText(const Milestone& m) {
  return m.not_reached.empty() ? "not reached" : "not reached: " + m.not_reached;
}

std::vector<Milestone> ComputeMilestones(const Timeline& t) {
  std::map<std::string, Milestone> m;
  for (const char* name : kMilestoneNames) m[name].name = name;

  // detected: the first alert's startsAt, else the incident record.
  std::set<std::string> firing, resolved;
  int64_t last_resolved = 0;
  for (const TimelineEvent& e : t.events) {
    if (e.kind == EventKind::kAlertFiring || e.kind == EventKind::kAlertRepeated) {
      int64_t starts = AlertTime(e.data, "startsAt");
      std::string fp = StringField(e.data, "fingerprint");
      Reach(m["detected"], starts > 0 ? starts : e.at,
            ToString(e.kind) + std::string(starts > 0 ? " startsAt" : " received") +
                (fp.empty() ? "" : " (fingerprint " + fp + ")"));
      firing.insert(AlertKey(e));
    } else if (e.kind == EventKind::kAlertResolved) {
      int64_t ends = AlertTime(e.data, "endsAt");
      resolved.insert(AlertKey(e));
      last_resolved = std::max(last_resolved, ends > 0 ? ends : e.at);
    } else if (e.kind == EventKind::kRunCreated) {
      Reach(m["triggered"], e.at, "run " + std::to_string(e.run_id) + " created", e.run_id);
    } else if (e.kind == EventKind::kStageFinished && e.status != "failed") {
      std::string name = MilestoneOfStage(e.stage);
      std::string why = name.empty() ? "" : Unproven(t, name, e.run_id, e.stage);
      if (!name.empty() && why.empty())
        Reach(m[name], e.at,
              "stage " + e.stage + " finished (run " + std::to_string(e.run_id) + ")", e.run_id);
      else if (!name.empty())
        m[name].not_reached = why + " (run " + std::to_string(e.run_id) + ")";
    } else if (e.kind == EventKind::kIncidentClosed) {
      Reach(m["resolved"], e.at, "incident closed" + (e.message.empty() ? "" : ": " + e.message));
    }
  }
  if (m["detected"].at == 0)
    Reach(m["detected"], t.incident.detected_at, "incident record (detected_at)");
  for (const TimelineRun& r : t.runs)
    Reach(m["triggered"], r.run.created_at, "run " + std::to_string(r.run.id) + " created",
          r.run.id);
  if (m["diagnosed"].at == 0 && !t.analyses.empty()) {
    const TimelineAnalysis& a = t.analyses.front();
    Reach(m["diagnosed"], a.at, "analysis by step " + a.step_id, a.run_id);
  }
  bool all_resolved = !firing.empty() &&
                      std::includes(resolved.begin(), resolved.end(), firing.begin(), firing.end());
  if (all_resolved) Reach(m["resolved"], last_resolved, "every alert resolved");
  Reach(m["resolved"], t.incident.closed_at, "incident record (closed_at)");

  std::vector<Milestone> out;
  for (const char* name : kMilestoneNames) out.push_back(m[name]);
  return out;
}

std::vector<DerivedDuration> ComputeDurations(const Timeline& t,
                                              const std::map<std::string, int64_t>& budgets_ms) {
  struct Def {
    const char* name;
    const char* from;
    const char* to;
  };
  static const Def kDefs[] = {
      {"time_to_trigger", "detected", "triggered"},
      {"time_to_contain", "triggered", "contained"},
      {"time_to_diagnose", "triggered", "diagnosed"},
      {"time_to_mitigate", "triggered", "mitigated"},
      {"time_to_verify", "triggered", "verified"},
      {"time_to_resolve", "detected", "resolved"},
  };
  std::vector<DerivedDuration> out;
  for (const Def& def : kDefs) {
    DerivedDuration d;
    d.name = def.name;
    d.from = def.from;
    d.to = def.to;
    const Milestone& from = t.milestone(def.from);
    const Milestone& to = t.milestone(def.to);
    if (from.at > 0 && to.at > 0) d.ms = std::max<int64_t>(0, to.at - from.at);
    auto budget = budgets_ms.find(def.name);
    if (budget != budgets_ms.end() && budget->second > 0) {
      d.budget_ms = budget->second;
      if (d.ms >= 0)
        d.verdict = d.ms <= d.budget_ms ? "met" : "missed";
      else if (from.at > 0)
        d.verdict = t.ongoing ? "pending" : "missed";
    }
    out.push_back(d);
  }
  return out;
}

std::string MilestoneOfStage(std::string_view stage) {
  static const std::map<std::string, std::string> kNames = {
      {"contain", "contained"},    {"containment", "contained"}, {"diagnose", "diagnosed"},
      {"diagnosis", "diagnosed"},  {"recover", "mitigated"},     {"recovery", "mitigated"},
      {"mitigate", "mitigated"},   {"mitigation", "mitigated"},  {"verify", "verified"},
      {"verification", "verified"}};
  auto it = kNames.find(Lower(Trim(stage)));
  return it == kNames.end() ? "" : it->second;
}

}  // namespace medic
