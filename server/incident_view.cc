#include "server/incident_view.h"

#include "report/record_json.h"
#include "store/alerts.h"

namespace medic {
namespace {

// The incident with its runs: summaries for the list, whole runs (as `medic show --json`
// prints them) for one incident.
Result<Json> IncidentWithRuns(Store& store, const IncidentRecord& inc, bool whole_runs) {
  Json j = IncidentToJson(inc);
  auto runs = store.RunsOfIncident(inc.id);
  if (!runs.ok()) return runs.status();
  Json arr = Json::array();
  for (const RunRecord& r : *runs) {
    if (!whole_runs) {
      arr.push_back(RunSummaryToJson(r));
      continue;
    }
    auto steps = store.GetSteps(r.id);
    if (!steps.ok()) return steps.status();
    auto artifacts = store.ArtifactsOfRun(r.id);
    if (!artifacts.ok()) return artifacts.status();
    arr.push_back(RunToJson(r, *steps, *artifacts));
  }
  j["runs"] = std::move(arr);
  return j;
}

}  // namespace

Result<Json> IncidentsJson(Store& store, int limit) {
  auto incidents = store.ListIncidents(limit);
  if (!incidents.ok()) return incidents.status();
  Json arr = Json::array();
  for (const auto& inc : *incidents) {
    auto j = IncidentWithRuns(store, inc, false);
    if (!j.ok()) return j.status();
    arr.push_back(std::move(*j));
  }
  return Json{{"incidents", arr}};
}

Result<Json> IncidentJson(Store& store, int64_t id) {
  auto inc = store.GetIncident(id);
  if (!inc.ok()) return inc.status();
  auto j = IncidentWithRuns(store, *inc, true);
  if (!j.ok()) return j.status();
  auto alerts = AlertStore(store).AlertsOfIncident(id);
  if (!alerts.ok()) return alerts.status();
  Json arr = Json::array();
  for (const auto& a : *alerts)
    arr.push_back({{"fingerprint", a.fingerprint},
                   {"status", a.status},
                   {"labels", a.labels},
                   {"annotations", a.annotations},
                   {"startsAt", TimeJson(a.starts_at)},
                   {"endsAt", TimeJson(a.ends_at)},
                   {"first_seen", TimeJson(a.first_seen)},
                   {"last_seen", TimeJson(a.last_seen)},
                   {"notifications", a.notifications}});
  (*j)["alerts"] = arr;
  auto events = store.EventsOfIncident(id);
  if (!events.ok()) return events.status();
  Json ev = Json::array();
  for (const auto& e : *events) ev.push_back(EventToJson(e));
  (*j)["events"] = ev;
  return j;
}

}  // namespace medic
