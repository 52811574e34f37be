#include "server/incident_view.h"

#include "base/strings.h"
#include "store/alerts.h"

namespace medic {
namespace {

Json Time(int64_t ms) { return ms > 0 ? Json(FormatTimeUtc(ms)) : Json(nullptr); }

Result<Json> Summary(Store& store, const IncidentRecord& inc) {
  Json j = {{"id", inc.id},
            {"title", inc.title},
            {"source", inc.source},
            {"dedup_key", inc.dedup_key},
            {"status", inc.status},
            {"labels", inc.labels},
            {"created_at", Time(inc.created_at)},
            {"detected_at", Time(inc.detected_at)},
            {"closed_at", Time(inc.closed_at)}};
  auto runs = store.RunsOfIncident(inc.id);
  if (!runs.ok()) return runs.status();
  Json arr = Json::array();
  for (const auto& r : *runs)
    arr.push_back(
        {{"id", r.id}, {"playbook", r.playbook}, {"status", r.status}, {"trigger", r.trigger}});
  j["runs"] = arr;
  return j;
}

}  // namespace

Result<Json> IncidentsJson(Store& store, int limit) {
  auto incidents = store.ListIncidents(limit);
  if (!incidents.ok()) return incidents.status();
  Json arr = Json::array();
  for (const auto& inc : *incidents) {
    auto j = Summary(store, inc);
    if (!j.ok()) return j.status();
    arr.push_back(std::move(*j));
  }
  return Json{{"incidents", arr}};
}

Result<Json> IncidentJson(Store& store, int64_t id) {
  auto inc = store.GetIncident(id);
  if (!inc.ok()) return inc.status();
  auto j = Summary(store, *inc);
  if (!j.ok()) return j.status();
  auto alerts = AlertStore(store).AlertsOfIncident(id);
  if (!alerts.ok()) return alerts.status();
  Json arr = Json::array();
  for (const auto& a : *alerts)
    arr.push_back({{"fingerprint", a.fingerprint},
                   {"status", a.status},
                   {"labels", a.labels},
                   {"annotations", a.annotations},
                   {"startsAt", Time(a.starts_at)},
                   {"endsAt", Time(a.ends_at)},
                   {"first_seen", Time(a.first_seen)},
                   {"last_seen", Time(a.last_seen)},
                   {"notifications", a.notifications}});
  (*j)["alerts"] = arr;
  for (auto& run : (*j)["runs"]) {
    auto steps = store.GetSteps(run["id"].get<int64_t>());
    if (!steps.ok()) return steps.status();
    Json s = Json::array();
    for (const auto& st : *steps)
      s.push_back({{"id", st.step_id},
                   {"status", st.status},
                   {"approved", st.approved},
                   {"error", st.error}});
    run["steps"] = s;
  }
  auto events = store.EventsOfIncident(id);
  if (!events.ok()) return events.status();
  Json ev = Json::array();
  for (const auto& e : *events)
    ev.push_back({{"at", Time(e.at)},
                  {"kind", e.kind},
                  {"run_id", e.run_id},
                  {"step_id", e.step_id},
                  {"message", e.message},
                  {"data", e.data}});
  (*j)["events"] = ev;
  return j;
}

}  // namespace medic
