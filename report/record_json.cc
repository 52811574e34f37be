#include "report/record_json.h"

#include "base/strings.h"

namespace medic {
namespace {

Json TextOrNull(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }
Json IntOrNull(int64_t v, bool known) { return known ? Json(v) : Json(nullptr); }
Json Span(int64_t from, int64_t to) { return IntOrNull(to - from, from > 0 && to > 0); }

}  // namespace

Json TimeJson(int64_t unix_ms, const TimeFormatter* time) {
  if (unix_ms <= 0) return nullptr;
  return time ? time->Rfc3339(unix_ms) : FormatTimeUtc(unix_ms);
}

Json IncidentToJson(const IncidentRecord& inc, const RecordJsonOptions& o) {
  return {{"id", inc.id},
          {"title", inc.title},
          {"source", inc.source},
          {"status", inc.status},
          {"dedup_key", TextOrNull(inc.dedup_key)},
          {"labels", inc.labels},
          {"created_at", TimeJson(inc.created_at, o.time)},
          {"detected_at", TimeJson(inc.detected_at, o.time)},
          {"closed_at", TimeJson(inc.closed_at, o.time)}};
}

std::string ShownRunStatus(const RunRecord& run, int64_t now_ms) {
  if (now_ms > 0 && run.status == RunStatus::kRunning && run.lease_until < now_ms)
    return "orphaned";
  return ToString(run.status);
}

Json RunSummaryToJson(const RunRecord& run, const RecordJsonOptions& o) {
  return {{"id", run.id},
          {"incident_id", run.incident_id},
          {"playbook", run.playbook},
          {"status", ShownRunStatus(run, o.now_ms)},
          {"trigger", run.trigger},
          {"params", run.params},
          {"created_at", TimeJson(run.created_at, o.time)},
          {"started_at", TimeJson(run.started_at, o.time)},
          {"ended_at", TimeJson(run.ended_at, o.time)},
          {"duration_ms", Span(run.started_at, run.ended_at)},
          {"error", TextOrNull(run.error)},
          {"warnings", run.warnings.is_array() ? run.warnings : Json::array()},
          // Who drives it (or last claimed it): the lease holder and the fence of its claim.
          {"driver", run.owner_pid == 0 ? Json(nullptr)
                                        : Json{{"host", run.owner_host},
                                               {"pid", run.owner_pid},
                                               {"lease_until", TimeJson(run.lease_until, o.time)}}},
          {"fence", run.fence}};
}

Json StepToJson(const StepRecord& s, const RecordJsonOptions& o,
                std::optional<int64_t> awaiting_since) {
  Json j = {{"id", s.step_id},
            {"stage", s.stage},
            {"action", s.action},
            {"status", awaiting_since.value_or(0) > 0 ? "awaiting_approval" : ToString(s.status)},
            {"attempts", s.attempts},
            {"started_at", TimeJson(s.started_at, o.time)},
            {"ended_at", TimeJson(s.ended_at, o.time)},
            {"duration_ms", IntOrNull(s.duration_ms, s.ended_at > 0)},
            {"budget_ms", IntOrNull(s.budget_ms, s.budget_ms > 0)},
            {"over_budget", s.over_budget},
            {"approved", s.approved}};
  if (awaiting_since) j["awaiting_since"] = TimeJson(*awaiting_since, o.time);
  j["commands"] = s.commands;
  if (o.outputs) j["outputs"] = s.outputs;
  j["error"] = TextOrNull(s.error);
  return j;
}

Json ArtifactToJson(const ArtifactRecord& a, const RecordJsonOptions& o) {
  return {{"id", a.id},
          {"step", a.step_id},
          {"kind", a.kind},
          {"path", TextOrNull(a.path)},
          {"url", TextOrNull(a.url)},
          {"size", IntOrNull(a.size, a.size >= 0)},
          {"sha256", TextOrNull(a.sha256)},
          {"description", TextOrNull(a.description)},
          {"created_at", TimeJson(a.created_at, o.time)}};
}

Json RunToJson(const RunRecord& run, const std::vector<StepRecord>& steps,
               const std::vector<ArtifactRecord>& artifacts, const RecordJsonOptions& o) {
  Json j = RunSummaryToJson(run, o);
  Json arr = Json::array();
  for (const StepRecord& s : steps) arr.push_back(StepToJson(s, o));
  j["steps"] = std::move(arr);
  Json arts = Json::array();
  for (const ArtifactRecord& a : artifacts) arts.push_back(ArtifactToJson(a, o));
  j["artifacts"] = std::move(arts);
  return j;
}

Json EventToJson(const EventRecord& e, const RecordJsonOptions& o) {
  return {{"id", e.id},
          {"at", TimeJson(e.at, o.time)},
          {"run_id", IntOrNull(e.run_id, e.run_id > 0)},
          {"step", TextOrNull(e.step_id)},
          {"kind", ToString(e.kind)},
          {"message", e.message},
          {"data", e.data}};
}

}  // namespace medic
