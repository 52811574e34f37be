#include "report/timeline.h"

#include <algorithm>
#include <climits>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>

#include "base/redact.h"
#include "base/strings.h"
#include "report/json_fields.h"

namespace medic {
namespace {

bool IsStepEnd(EventKind kind) {
  return kind == EventKind::kStepSucceeded || kind == EventKind::kStepFailed ||
         kind == EventKind::kStepTimedOut || kind == EventKind::kStepSkipped ||
         kind == EventKind::kStepInterrupted;
}

// Kinds are named CATEGORY.WHAT; approvals and commands are step events shown apart.
std::string CategoryOf(EventKind k) {
  if (k == EventKind::kStepAwaitingApproval || k == EventKind::kStepApprovalGiven ||
      k == EventKind::kStepApproved)
    return "approval";
  if (k == EventKind::kStepCommand) return "command";
  std::string_view kind = ToString(k);
  if (StartsWith(kind, "alert.")) return "alert";
  if (StartsWith(kind, "incident.")) return "incident";
  if (StartsWith(kind, "run.")) return "run";
  if (StartsWith(kind, "stage.")) return "stage";
  if (StartsWith(kind, "artifact.")) return "artifact";
  if (StartsWith(kind, "analysis.")) return "analysis";
  if (StartsWith(kind, "step.")) return "step";
  return "other";
}

std::string StatusOf(const TimelineEvent& e) {
  switch (e.kind) {
    case EventKind::kStepSucceeded:
    case EventKind::kStepFailed:
    case EventKind::kStepTimedOut:
    case EventKind::kStepSkipped:
    case EventKind::kStepInterrupted: {
      std::string s = StringField(e.data, "status");
      return s.empty() ? std::string(ToString(e.kind)).substr(5) : s;
    }
    case EventKind::kStepStarted:
    case EventKind::kStepRetry:
    case EventKind::kRunStarted:
    case EventKind::kRunResumed:
    case EventKind::kStageStarted:
      return ToString(RunStatus::kRunning);
    case EventKind::kRunCreated:
      return ToString(RunStatus::kQueued);
    case EventKind::kRunSucceeded:
      return ToString(RunStatus::kSucceeded);
    case EventKind::kRunFailed:
      return ToString(RunStatus::kFailed);
    case EventKind::kRunInterrupted:
      return ToString(RunStatus::kInterrupted);
    case EventKind::kRunNeedsAttention:
      return ToString(RunStatus::kNeedsAttention);
    case EventKind::kStageFinished:
      return StringField(e.data, "status");
    case EventKind::kAlertFiring:
    case EventKind::kAlertRepeated:
      return "firing";
    case EventKind::kAlertResolved:
      return "resolved";
    case EventKind::kIncidentClosed:
      return "closed";
    case EventKind::kStepAwaitingApproval:
      return "awaiting_approval";
    case EventKind::kStepApproved:
      return "approved";
    default:
      return "";
  }
}

std::string SeverityOf(const TimelineEvent& e) {
  if (e.status == "failed" || e.status == "timed_out") return "error";
  if (e.over_budget || e.status == "interrupted" || e.status == "needs_attention" ||
      e.kind == EventKind::kStepAwaitingApproval || e.kind == EventKind::kStepRetry ||
      e.kind == EventKind::kAlertFiring)
    return "warning";
  return "info";
}

std::string CulpritText(const Json& culprit) {
  if (culprit.is_string()) return culprit.get<std::string>();
  if (!culprit.is_object()) return "";
  std::string out = StringField(culprit, "function");
  std::string file = StringField(culprit, "file");
  if (!file.empty()) {
    int64_t line = IntField(culprit, "line", 0);
    out += (out.empty() ? "" : " ") + std::string("(") + file +
           (line > 0 ? ":" + std::to_string(line) : "") + ")";
  }
  return out;
}

// The summary of an analysis worth keeping in a timeline; the goroutine buckets and frames
// of `medic analyze --json` belong in the artifact, not in a postmortem table.
Json AnalysisSummary(const Json& a) {
  static const char* const kKeys[] = {"crash_found", "category",      "recoverable", "message",
                                      "explanation", "culprit",       "signal",      "signature",
                                      "occurrences", "recommendation"};
  Json out = Json::object();
  for (const char* k : kKeys)
    if (a.contains(k)) out[k] = a[k];
  return out;
}

TimelineAnalysis ReadAnalysis(const StepRecord& step, const Json& result) {
  TimelineAnalysis a;
  a.run_id = step.run_id;
  a.step_id = step.step_id;
  a.at = step.ended_at > 0 ? step.ended_at : step.started_at;
  a.raw = RedactJson(AnalysisSummary(result));
  a.category = StringField(a.raw, "category");
  a.culprit = a.raw.contains("culprit") ? CulpritText(a.raw["culprit"]) : "";
  const Json& rec = a.raw.contains("recommendation") ? a.raw["recommendation"] : Json();
  if (rec.is_string()) {
    a.recommendation = rec.get<std::string>();
  } else if (rec.is_object()) {
    a.recommendation = StringField(rec, "action");
    a.why = StringField(rec, "why");
  }
  return a;
}

std::string AnalysisMessage(const TimelineAnalysis& a) {
  std::string msg = a.category.empty() ? "no crash found" : "category " + a.category;
  if (!a.culprit.empty()) msg += "; culprit " + a.culprit;
  if (!a.recommendation.empty()) {
    msg += "; recommendation " + a.recommendation;
    if (!a.why.empty()) msg += ": " + a.why;
  }
  return msg;
}

// Redact() for a whole timeline: the same strings come back again and again (a repeating
// alert, the same command on every host), and std::regex is slow, so each distinct string
// is redacted once. JSON is redacted in place rather than copied. Same results as
// Redact/RedactJson for the secrets known when the timeline is built.
class Redactor {
 public:
  const std::string& Text(const std::string& s) {
    auto it = cache_.find(s);
    if (it == cache_.end()) it = cache_.emplace(s, Redact(s)).first;
    return it->second;
  }
  void InPlace(std::string& s) {
    const std::string& r = Text(s);
    if (r != s) s = r;
  }
  void InPlace(Json& j) {
    if (j.is_string()) {
      InPlace(j.get_ref<std::string&>());
    } else if (j.is_array()) {
      for (Json& v : j) InPlace(v);
    } else if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it->is_string() && !it->get_ref<const std::string&>().empty() && SecretKey(it.key()))
          *it = std::string(kRedacted);
        else
          InPlace(*it);
      }
    }
  }

 private:
  bool SecretKey(const std::string& key) {
    auto it = keys_.find(key);
    if (it == keys_.end()) it = keys_.emplace(key, LooksSecretName(key)).first;
    return it->second;
  }
  std::unordered_map<std::string, std::string> cache_;
  std::unordered_map<std::string, bool> keys_;
};

void RedactRecords(Redactor& redact, IncidentRecord& incident, std::vector<TimelineRun>& runs) {
  redact.InPlace(incident.title);
  redact.InPlace(incident.dedup_key);
  redact.InPlace(incident.labels);
  for (TimelineRun& r : runs) {
    redact.InPlace(r.run.params);
    redact.InPlace(r.run.error);
    r.run.playbook_source.clear();  // not part of a timeline; may be large
    for (StepRecord& s : r.steps) {
      redact.InPlace(s.error);
      redact.InPlace(s.commands);
    }
    for (ArtifactRecord& a : r.artifacts) {
      redact.InPlace(a.path);
      redact.InPlace(a.url);
      redact.InPlace(a.description);
    }
  }
}

void BuildStages(TimelineRun& r, const std::vector<TimelineEvent>& events) {
  std::map<std::string, size_t> index;
  for (const StepRecord& s : r.steps) {
    if (index.count(s.stage)) continue;
    index[s.stage] = r.stages.size();
    r.stages.push_back({s.stage, false, "", 0, 0});
  }
  for (const TimelineEvent& e : events) {
    if (e.run_id != r.run.id || e.category != "stage") continue;
    auto it = index.find(e.stage);
    if (it == index.end()) continue;
    TimelineStage& st = r.stages[it->second];
    if (e.kind == EventKind::kStageStarted) {
      auto p = e.data.find("parallel");
      if (p != e.data.end() && p->is_boolean()) st.parallel = p->get<bool>();
      if (st.started_at == 0) st.started_at = e.at;
    } else if (e.kind == EventKind::kStageFinished) {
      st.status = e.status;
      st.ended_at = e.at;
    }
  }
  // Steps bound a stage whose events are missing (an old record, a stage never finished).
  for (const StepRecord& s : r.steps) {
    TimelineStage& st = r.stages[index[s.stage]];
    if (s.started_at > 0 && (st.started_at == 0 || s.started_at < st.started_at))
      st.started_at = s.started_at;
    if (st.status.empty() && s.ended_at > st.ended_at) st.ended_at = s.ended_at;
  }
}

}  // namespace

const Milestone& Timeline::milestone(std::string_view name) const {
  for (const Milestone& m : milestones)
    if (m.name == name) return m;
  static const Milestone kNone;
  return kNone;
}

const Json* FindAnalysis(const Json& outputs) {
  auto is_analysis = [](const Json& j) {
    return j.is_object() && j.contains("category") && j.contains("recommendation");
  };
  if (is_analysis(outputs)) return &outputs;
  if (outputs.is_object()) {
    auto it = outputs.find("json");
    if (it != outputs.end() && is_analysis(*it)) return &*it;
  }
  return nullptr;
}

Timeline AssembleTimeline(const TimelineOptions& options, IncidentRecord incident,
                          std::vector<TimelineRun> runs, std::vector<EventRecord> events) {
  Timeline t;
  t.scope = options.scope;
  t.now_ms = options.now_ms;
  Redactor redact;
  RedactRecords(redact, incident, runs);
  t.incident = std::move(incident);

  // Steps by (run, step id), for the stage and approval of step events.
  std::unordered_map<std::string, const StepRecord*> steps;
  auto key = [](int64_t run, const std::string& step) { return std::to_string(run) + "/" + step; };
  for (const TimelineRun& r : runs) {
    for (const StepRecord& s : r.steps) steps[key(r.run.id, s.step_id)] = &s;
    if (r.run.status == RunStatus::kRunning || r.run.status == RunStatus::kQueued ||
        r.run.status == RunStatus::kNeedsAttention)
      t.ongoing = true;
  }

  std::vector<TimelineEvent> out;
  out.reserve(events.size() + 4);
  std::vector<int64_t> order;  // ties at the same ms keep record order; derived facts follow
  order.reserve(events.size() + 4);
  std::unordered_map<std::string, size_t> last_end;  // step -> index of its last end event
  // step -> its last step.* or approval event (at, id, kind), to tell a step that waits
  // for approval.
  std::unordered_map<std::string, std::tuple<int64_t, int64_t, EventKind>> last_step_event;
  for (EventRecord& rec : events) {
    TimelineEvent e;
    e.id = rec.id;
    e.at = rec.at;
    e.run_id = rec.run_id;
    e.step_id = std::move(rec.step_id);
    e.kind = rec.kind;
    e.category = CategoryOf(e.kind);
    e.message = std::move(rec.message);
    redact.InPlace(e.message);
    e.data = std::move(rec.data);
    redact.InPlace(e.data);
    if (e.category == "stage") e.stage = StringField(e.data, "stage");
    if (e.category == "stage" && e.stage.empty()) e.stage = e.message;
    const StepRecord* step = nullptr;
    if (!e.step_id.empty()) {
      auto it = steps.find(key(e.run_id, e.step_id));
      if (it != steps.end()) step = it->second;
    }
    if (step) e.stage = step->stage;
    if (IsStepEnd(e.kind)) {
      e.attempts = static_cast<int>(IntField(e.data, "attempts", 0));
      e.duration_ms = IntField(e.data, "duration_ms", -1);
      e.budget_ms = IntField(e.data, "budget_ms", step ? step->budget_ms : 0);
      auto ob = e.data.find("over_budget");
      e.over_budget = ob != e.data.end() && ob->is_boolean()
                          ? ob->get<bool>()
                          : e.budget_ms > 0 && e.duration_ms > e.budget_ms;
      last_end[key(e.run_id, e.step_id)] = out.size();
    }
    if (step && (e.category == "step" || e.category == "approval")) {
      auto& last = last_step_event[key(e.run_id, e.step_id)];
      if (std::tie(e.at, e.id) >= std::tie(std::get<0>(last), std::get<1>(last)))
        last = {e.at, e.id, e.kind};
    }
    e.changes = e.kind == EventKind::kStepCommand && step && step->approved;
    e.status = StatusOf(e);
    e.severity = SeverityOf(e);
    order.push_back(e.id * 2);
    out.push_back(std::move(e));
  }

  // A run that stopped for a person: its steps whose last word is step.awaiting_approval
  // wait for approval (a pending step of any other run has simply not run).
  for (TimelineRun& r : runs) {
    if (r.run.status != RunStatus::kNeedsAttention) continue;
    for (StepRecord& s : r.steps) {
      if (s.status != StepStatus::kPending || s.approved) continue;
      auto last = last_step_event.find(key(r.run.id, s.step_id));
      if (last == last_step_event.end() ||
          std::get<2>(last->second) != EventKind::kStepAwaitingApproval)
        continue;
      r.awaiting_since[s.step_id] = std::get<0>(last->second);
    }
  }

  // Analysis results, right after the end of the step that produced them. Outputs are
  // dropped afterwards: a timeline shows facts, not every byte a step printed.
  for (TimelineRun& r : runs) {
    for (StepRecord& s : r.steps) {
      const Json* found = FindAnalysis(s.outputs);
      if (found) {
        TimelineAnalysis a = ReadAnalysis(s, *found);
        TimelineEvent e;
        e.at = a.at;
        e.run_id = r.run.id;
        e.step_id = s.step_id;
        e.stage = s.stage;
        e.kind = EventKind::kAnalysisResult;
        e.category = "analysis";
        e.severity = "info";
        e.message = AnalysisMessage(a);
        e.data = a.raw;
        auto end = last_end.find(key(r.run.id, s.step_id));
        if (end != last_end.end()) e.at = out[end->second].at;
        order.push_back(end != last_end.end() ? out[end->second].id * 2 + 1 : LLONG_MAX);
        out.push_back(std::move(e));
        t.analyses.push_back(std::move(a));
      }
      s.outputs = Json::object();
    }
  }

  std::vector<size_t> idx(out.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (out[a].at != out[b].at) return out[a].at < out[b].at;
    return order[a] < order[b];
  });
  t.events.reserve(out.size());
  for (size_t i : idx) t.events.push_back(std::move(out[i]));
  std::stable_sort(
      t.analyses.begin(), t.analyses.end(),
      [](const TimelineAnalysis& a, const TimelineAnalysis& b) { return a.at < b.at; });

  for (TimelineRun& r : runs) BuildStages(r, t.events);
  t.runs = std::move(runs);
  t.milestones = ComputeMilestones(t);
  t.durations = ComputeDurations(t, options.budgets_ms);

  t.origin_ms = t.events.empty() ? 0 : t.events.front().at;
  int64_t detected = t.milestone("detected").at;
  if (detected > 0 && (t.origin_ms == 0 || detected < t.origin_ms)) t.origin_ms = detected;
  return t;
}

std::string ShownStatus(const TimelineRun& run, const StepRecord& step) {
  if (run.awaiting_since.count(step.step_id)) return "awaiting_approval";
  return ToString(step.status);
}

Result<Timeline> BuildTimeline(Store& store, const TimelineOptions& options) {
  const TimelineScope& scope = options.scope;
  std::vector<RunRecord> run_records;
  int64_t incident_id = scope.id;
  if (scope.kind == TimelineScope::Kind::kRun) {
    auto run = store.GetRun(scope.id);
    if (!run.ok()) return run.status();
    incident_id = run->incident_id;
    run_records.push_back(std::move(*run));
  }
  auto incident = store.GetIncident(incident_id);
  if (!incident.ok()) {
    if (scope.kind == TimelineScope::Kind::kRun && incident.status().code() == Code::kNotFound) {
      // A run without its incident row still has a timeline of its own.
      IncidentRecord none;
      none.id = incident_id;
      incident = none;
    } else {
      return incident.status();
    }
  }
  if (scope.kind == TimelineScope::Kind::kIncident) {
    auto runs = store.RunsOfIncident(incident_id);
    if (!runs.ok()) return runs.status();
    run_records = std::move(*runs);
  }
  std::vector<TimelineRun> runs;
  for (RunRecord& rec : run_records) {
    TimelineRun r;
    auto steps = store.GetSteps(rec.id);
    if (!steps.ok()) return steps.status();
    auto artifacts = store.ArtifactsOfRun(rec.id);
    if (!artifacts.ok()) return artifacts.status();
    r.run = std::move(rec);
    r.steps = std::move(*steps);
    r.artifacts = std::move(*artifacts);
    runs.push_back(std::move(r));
  }
  auto events = scope.kind == TimelineScope::Kind::kRun ? store.EventsOfRun(scope.id)
                                                        : store.EventsOfIncident(incident_id);
  if (!events.ok()) return events.status();
  return AssembleTimeline(options, std::move(*incident), std::move(runs), std::move(*events));
}

const char* SegmentText(StepSegment::Kind kind) {
  switch (kind) {
    case StepSegment::Kind::kAttempt:
      return "attempt";
    case StepSegment::Kind::kRetryWait:
      return "retry wait";
    case StepSegment::Kind::kInterrupted:
      return "interrupted";
    case StepSegment::Kind::kApprovalWait:
      return "waiting for approval";
  }
  return "";
}

namespace {

// The status a step end event reports.
std::string EndedAs(EventKind kind) {
  switch (kind) {
    case EventKind::kStepSucceeded:
      return ToString(StepStatus::kSucceeded);
    case EventKind::kStepFailed:
      return ToString(StepStatus::kFailed);
    case EventKind::kStepTimedOut:
      return ToString(StepStatus::kTimedOut);
    case EventKind::kStepSkipped:
      return ToString(StepStatus::kSkipped);
    default:
      return ToString(StepStatus::kInterrupted);
  }
}

}  // namespace

std::vector<StepSegment> StepSegments(const Timeline& t, const TimelineRun& run,
                                      const StepRecord& step, int64_t last_ms) {
  using Kind = StepSegment::Kind;
  std::vector<StepSegment> out;
  int64_t attempt_from = -1, interrupted_at = -1, waiting_from = -1;
  int attempt = 0;
  auto close_waits = [&](int64_t at) {
    if (interrupted_at >= 0 && at > interrupted_at)
      out.push_back({Kind::kInterrupted, interrupted_at, at, 0, ""});
    if (waiting_from >= 0 && at > waiting_from)
      out.push_back({Kind::kApprovalWait, waiting_from, at, 0, ""});
    interrupted_at = waiting_from = -1;
  };
  for (const TimelineEvent& e : t.events) {
    if (e.run_id != run.run.id || e.step_id != step.step_id) continue;
    switch (e.kind) {
      case EventKind::kStepAwaitingApproval:
        if (waiting_from < 0) waiting_from = e.at;
        break;
      case EventKind::kStepApproved:
        if (waiting_from >= 0) close_waits(e.at);
        break;
      case EventKind::kStepStarted:
      case EventKind::kStepRetry: {
        if (e.kind == EventKind::kStepRetry && attempt_from >= 0) {
          int64_t ended = e.data.is_object() ? e.data.value("previous_ended_at", int64_t{0}) : 0;
          if (ended < attempt_from || ended > e.at) ended = e.at;
          out.push_back({Kind::kAttempt, attempt_from, ended, attempt, "failed"});
          if (ended < e.at) out.push_back({Kind::kRetryWait, ended, e.at, 0, ""});
        }
        close_waits(e.at);
        attempt_from = e.at;
        ++attempt;
        break;
      }
      case EventKind::kStepSucceeded:
      case EventKind::kStepFailed:
      case EventKind::kStepTimedOut:
      case EventKind::kStepSkipped:
      case EventKind::kStepInterrupted:
        if (attempt_from >= 0)
          out.push_back({Kind::kAttempt, attempt_from, e.at, attempt, EndedAs(e.kind)});
        attempt_from = -1;
        if (e.kind == EventKind::kStepInterrupted) interrupted_at = e.at;
        break;
      default:
        break;
    }
  }
  if (attempt_from >= 0) out.push_back({Kind::kAttempt, attempt_from, last_ms, attempt, "running"});
  if (waiting_from >= 0 && last_ms > waiting_from)
    out.push_back({Kind::kApprovalWait, waiting_from, last_ms, 0, ""});
  if (out.empty() && step.started_at > 0)
    out.push_back({Kind::kAttempt, step.started_at, step.ended_at > 0 ? step.ended_at : last_ms,
                   std::max(1, step.attempts), std::string(ToString(step.status))});
  return out;
}

}  // namespace medic
