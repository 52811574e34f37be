#include "report/timeline_json.h"

#include <charconv>

#include "report/record_json.h"

namespace medic {
namespace {

Json Maybe(int64_t v, bool known) { return known ? Json(v) : Json(nullptr); }
Json MaybeText(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

// Appends a JSON string literal. Plain ASCII is quoted as is; anything else goes through
// nlohmann's escaper, which also replaces invalid UTF-8.
void AppendJsonString(std::string& out, std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e || c == '"' || c == '\\') {
      out += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

// A JSON value: a string literal, or null for "".
void AppendJsonStringOrNull(std::string& out, std::string_view s) {
  if (s.empty())
    out += "null";
  else
    AppendJsonString(out, s);
}

int64_t AwaitingSince(const TimelineRun& r, const std::string& step_id) {
  auto it = r.awaiting_since.find(step_id);
  return it == r.awaiting_since.end() ? 0 : it->second;
}

}  // namespace

std::string TimelineToJson(const Timeline& t, const TimeFormatter& time) {
  auto at = [&](int64_t ms) { return TimeJson(ms, &time); };
  auto span = [](int64_t a, int64_t b) { return a > 0 && b > 0 ? Json(b - a) : Json(nullptr); };
  Json j = Json::object();
  j["schema"] = "medic.timeline.v1";
  j["scope"] = {{"kind", t.scope.kind == TimelineScope::Kind::kRun ? "run" : "incident"},
                {"id", t.scope.id}};
  j["timezone"] = time.zone();

  // Incident, runs, steps and artifacts in the one shape of record_json.h; step outputs are
  // not part of a timeline.
  const RecordJsonOptions record{&time, /*outputs=*/false, t.now_ms};
  Json incident = IncidentToJson(t.incident, record);
  Json runs = Json::array();
  for (const TimelineRun& r : t.runs) {
    Json run = RunSummaryToJson(r.run, record);
    Json stages = Json::array();
    for (const TimelineStage& s : r.stages)
      stages.push_back({{"name", s.name},
                        {"parallel", s.parallel},
                        {"status", MaybeText(s.status)},
                        {"started_at", at(s.started_at)},
                        {"ended_at", at(s.ended_at)},
                        {"duration_ms", span(s.started_at, s.ended_at)}});
    run["stages"] = stages;
    Json steps = Json::array();
    for (const StepRecord& s : r.steps)
      steps.push_back(StepToJson(s, record, AwaitingSince(r, s.step_id)));
    run["steps"] = steps;
    Json artifacts = Json::array();
    for (const ArtifactRecord& a : r.artifacts) artifacts.push_back(ArtifactToJson(a, record));
    run["artifacts"] = artifacts;
    Json analysis = Json::array();
    for (const TimelineAnalysis& a : t.analyses) {
      if (a.run_id != r.run.id) continue;
      analysis.push_back({{"step", a.step_id},
                          {"at", at(a.at)},
                          {"category", MaybeText(a.category)},
                          {"culprit", MaybeText(a.culprit)},
                          {"recommendation", MaybeText(a.recommendation)},
                          {"why", MaybeText(a.why)},
                          {"result", a.raw}});
    }
    run["analysis"] = analysis;
    runs.push_back(std::move(run));
  }
  incident["runs"] = std::move(runs);
  j["incident"] = std::move(incident);

  Json milestones = Json::object();
  milestones["origin"] = at(t.origin_ms);
  for (const Milestone& m : t.milestones) {
    milestones[m.name] = m.at > 0 ? Json{{"at", at(m.at)},
                                         {"offset_ms", m.at - t.origin_ms},
                                         {"source", m.source},
                                         {"run_id", Maybe(m.run_id, m.run_id > 0)}}
                         : m.not_reached.empty()
                             ? Json(nullptr)
                             : Json{{"at", nullptr}, {"not_reached", m.not_reached}};
  }
  Json durations = Json::object();
  for (const DerivedDuration& d : t.durations)
    durations[d.name] = {{"from", d.from},
                         {"to", d.to},
                         {"ms", Maybe(d.ms, d.ms >= 0)},
                         {"budget_ms", Maybe(d.budget_ms, d.budget_ms > 0)},
                         {"verdict", MaybeText(d.verdict)}};
  milestones["durations"] = std::move(durations);
  j["milestones"] = std::move(milestones);

  // Events one a line: a 10,000-event document stays small and fast to write, and a
  // change to one event is a one-line diff.
  std::string out = j.dump(2, ' ', false, Json::error_handler_t::replace);
  out.resize(out.size() - 2);  // "\n}"
  out += t.events.empty() ? ",\n  \"events\": []\n}\n" : ",\n  \"events\": [\n";
  out.reserve(out.size() + t.events.size() * 400);
  // Appended piece by piece: a temporary string per field would double the work.
  auto num = [&](bool known, int64_t v) {
    if (!known) {
      out += "null";
      return;
    }
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  };
  for (size_t i = 0; i < t.events.size(); ++i) {
    const TimelineEvent& e = t.events[i];
    bool end = e.duration_ms >= 0;
    out += "    {\"id\":";
    num(e.id > 0, e.id);
    out += ",\"at\":";
    AppendJsonString(out, time.Rfc3339(e.at));
    out += ",\"offset_ms\":";
    num(true, e.at - t.origin_ms);
    out += ",\"run_id\":";
    num(e.run_id > 0, e.run_id);
    out += ",\"stage\":";
    AppendJsonStringOrNull(out, e.stage);
    out += ",\"step\":";
    AppendJsonStringOrNull(out, e.step_id);
    out += ",\"kind\":";
    AppendJsonString(out, ToString(e.kind));
    out += ",\"category\":";
    AppendJsonString(out, e.category);
    out += ",\"severity\":";
    AppendJsonString(out, e.severity);
    out += ",\"status\":";
    AppendJsonStringOrNull(out, e.status);
    out += ",\"message\":";
    AppendJsonString(out, e.message);
    out += ",\"attempts\":";
    num(end && e.attempts > 0, e.attempts);
    out += ",\"duration_ms\":";
    num(end, e.duration_ms);
    out += ",\"budget_ms\":";
    num(end && e.budget_ms > 0, e.budget_ms);
    out += ",\"over_budget\":";
    out += end ? (e.over_budget ? "true" : "false") : "null";
    out += ",\"changes\":";
    out += e.changes ? "true" : "false";
    out += ",\"data\":";
    out += e.data.dump(-1, ' ', false, Json::error_handler_t::replace);
    out += i + 1 < t.events.size() ? "},\n" : "}\n  ]\n}\n";
  }
  return out;
}

}  // namespace medic
