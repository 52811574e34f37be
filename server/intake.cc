#include "server/intake.h"

#include <algorithm>

#include "base/redact.h"
#include "base/strings.h"
#include "playbooks/lease.h"
#include "playbooks/runner.h"
#include "server/guardrails.h"
#include "server/router.h"
#include "store/alerts.h"

namespace medic {
namespace {

std::string LabelOr(const Json& labels, const char* key, const std::string& fallback) {
  auto it = labels.find(key);
  return it != labels.end() && it->is_string() && !it->get<std::string>().empty()
             ? it->get<std::string>()
             : fallback;
}

std::string IncidentTitle(const Alert& a) {
  std::string title = LabelOr(a.labels, "alertname", "alert " + a.fingerprint);
  std::string service = LabelOr(a.labels, "service", "");
  if (!service.empty()) title += ": " + service;
  std::string ns = LabelOr(a.labels, "namespace", "");
  if (!ns.empty()) title += " in " + ns;
  return Redact(title);
}

UnroutedAlertRecord Unrouted(const Notification& n, const Alert& a, int64_t now,
                             const std::string& reason) {
  UnroutedAlertRecord u;
  u.source = n.source;
  u.received_at = now;
  u.status = a.status;
  u.fingerprint = a.fingerprint;
  u.labels = RedactJson(a.labels);
  u.annotations = RedactJson(a.annotations);
  u.starts_at = a.starts_at;
  u.reason = Redact(reason);
  return u;
}

}  // namespace

// What is written about one alert, redacted before the record is locked: redaction runs
// regular expressions, and the lock is what every other request waits for.
struct RedactedAlert {
  Json labels;
  Json annotations;
  std::string message;
};

struct Intake::Group {
  std::string dedup_key;
  const RouteConfig* route = nullptr;
  Json params;        // from its first firing alert; null when none fires
  std::string title;  // the incident's title, from its first firing alert
  std::string redacted_key;
  std::vector<size_t> alerts;              // indexes into the notification's alerts
  std::vector<RedactedAlert> redacted;     // parallel to alerts
  int64_t run_id = 0;                      // the run it started, once recorded
  const Playbook* run_playbook = nullptr;  // that run's playbook
  bool gated = false;  // the route's own run: admitted by its concurrency and dedup key
};

Status Intake::RecordGroup(const Notification& n, Group& group, int64_t now, IntakeResult* result,
                           size_t* reserved, const RunClaim& hold) {
  AlertStore alerts(store_);
  Json& outcomes = result->body["alerts"];
  bool any_firing = false, any_resolved = false;
  int64_t earliest = 0;
  size_t first_firing = 0;
  for (size_t k = 0; k < group.alerts.size(); ++k) {
    const Alert& a = n.alerts[group.alerts[k]];
    if (a.status == "firing") {
      if (!any_firing) first_firing = k;
      any_firing = true;
      if (a.starts_at > 0 && (earliest == 0 || a.starts_at < earliest)) earliest = a.starts_at;
    } else {
      any_resolved = true;
    }
  }
  auto open = store_.FindOpenIncident(group.dedup_key);
  if (!open.ok()) return open.status();
  int64_t incident_id = 0;
  bool created = false;
  if (open->has_value()) {
    incident_id = (*open)->id;
  } else if (!any_firing) {
    for (size_t i : group.alerts) {
      outcomes[i] = {{"fingerprint", n.alerts[i].fingerprint},
                     {"outcome", "ignored"},
                     {"reason", "resolved, and no incident is open for it"}};
      ++result->ignored;
    }
    return Status::Ok();
  } else {
    if (!queue_.Reserve(1))
      return Status::Unavailable("the run queue is full (" + std::to_string(queue_.capacity()) +
                                 " runs waiting); retry later");
    ++*reserved;
    IncidentRecord inc;
    inc.title = group.title;
    inc.source = n.source;
    inc.dedup_key = group.dedup_key;
    inc.labels = group.redacted[first_firing].labels;
    inc.created_at = now;
    inc.detected_at = earliest > 0 ? earliest : now;
    auto id = store_.CreateIncident(inc);
    if (!id.ok()) return id.status();
    incident_id = *id;
    created = true;
  }

  bool opening = created;
  AlertOrigin origin{n.source, group.route->name, group.redacted_key};
  for (size_t k = 0; k < group.alerts.size(); ++k) {
    size_t i = group.alerts[k];
    const Alert& a = n.alerts[i];
    const RedactedAlert& red = group.redacted[k];
    bool firing = a.status == "firing";
    AlertRecord rec;
    rec.incident_id = incident_id;
    rec.fingerprint = a.fingerprint;
    rec.status = a.status;
    rec.labels = red.labels;
    rec.annotations = red.annotations;
    rec.starts_at = a.starts_at;
    rec.ends_at = a.ends_at;
    rec.first_seen = rec.last_seen = now;
    auto saved = alerts.RecordAlert(rec, firing && opening, red.message, origin);
    if (!saved.ok()) return saved.status();
    if (firing) opening = false;
    if (firing && !created) MEDIC_RETURN_IF_ERROR(alerts.LowerDetectedAt(incident_id, a.starts_at));
    std::string outcome = created ? "new_incident" : firing ? "deduplicated" : "resolved";
    outcomes[i] = {
        {"fingerprint", a.fingerprint}, {"outcome", outcome}, {"incident_id", incident_id}};
    ++result->accepted;
  }

  const RouteConfig& route = *group.route;
  if (created) {
    // The guardrails: an alert storm, or a route whose runs keep failing, opens incidents
    // but starts no run on its own; the incident says why, and on_suppressed runs instead.
    auto held = CheckGuardrails(store_, route, now);
    if (!held.ok()) return held.status();
    if (held->has_value()) {
      const Suppression& why = **held;
      EventRecord e;
      e.incident_id = incident_id;
      e.at = now;
      e.kind = EventKind::kIncidentSuppressed;
      e.message = why.message;
      e.data = why.data;
      MEDIC_RETURN_IF_ERROR(store_.AddEvent(e));
      for (size_t i : group.alerts) outcomes[i]["suppressed_by"] = why.by;
      created = false;
      ++result->suppressed;
      if (route.on_suppressed) {
        Json options = {{"route", route.name}, {"on_suppressed", why.by}};
        auto run = CreateRun(store_, clock_, *route.on_suppressed,
                             SuppressedRunParams(route, group.params, why, incident_id), n.source,
                             incident_id, options, &hold);
        if (!run.ok()) return run.status();
        group.run_id = *run;
        group.run_playbook = route.on_suppressed.get();
        for (size_t i : group.alerts) outcomes[i]["on_suppressed_run_id"] = *run;
      } else {
        queue_.Release(1);  // the slot reserved for its run: a storm does not fill the queue
        --*reserved;
      }
    }
  }
  if (created) {
    Json options = {{"auto_confirm", route.auto_confirm}, {"route", route.name}};
    auto run =
        CreateRun(store_, clock_, *route.playbook, group.params, n.source, incident_id, options,
                  &hold);
    if (!run.ok()) return run.status();
    result->new_runs.push_back(*run);
    group.run_id = *run;
    group.run_playbook = route.playbook.get();
    group.gated = true;
    for (size_t i : group.alerts) outcomes[i]["run_id"] = *run;
  } else if (any_resolved) {
    auto firing = alerts.CountFiring(incident_id);
    if (!firing.ok()) return firing.status();
    if (*firing == 0) {
      MEDIC_RETURN_IF_ERROR(store_.CloseIncident(incident_id, now, "all its alerts resolved"));
      for (size_t i : group.alerts) outcomes[i]["incident_closed"] = true;
    }
  }
  if (std::find(result->incident_ids.begin(), result->incident_ids.end(), incident_id) ==
      result->incident_ids.end())
    result->incident_ids.push_back(incident_id);
  return Status::Ok();
}

Result<IntakeResult> Intake::Accept(const Notification& n, int64_t received_mono_ms) {
  IntakeResult result;
  int64_t now = clock_.NowUnixMs();
  if (!n.ignored.empty()) {
    result.ignored = 1;
    result.body = {{"status", "ignored"}, {"reason", n.ignored}};
    metrics_.CountAlert(n.source, "ignored");
    return result;
  }

  // Routing and rendering happen before the record is locked: they need no I/O. The routes
  // are the ones in force when the notification arrived, for all of it.
  std::shared_ptr<const ServeConfig> config = config_();
  std::vector<Group> groups;
  std::vector<UnroutedAlertRecord> unrouted;
  result.body["alerts"] = Json::array();
  Json& outcomes = result.body["alerts"];
  for (size_t i = 0; i < n.alerts.size(); ++i) {
    const Alert& a = n.alerts[i];
    outcomes.push_back(nullptr);
    const RouteConfig* route = MatchRoute(config->routes, a.labels);
    if (!route) {
      unrouted.push_back(Unrouted(n, a, now, "no route matches"));
      outcomes[i] = {{"fingerprint", a.fingerprint}, {"outcome", "unrouted"}};
      ++result.unrouted;
      continue;
    }
    auto routed = ApplyRoute(*route, a, n.source);
    if (!routed.ok()) {
      std::string reason = "route '" + route->name + "': " + routed.status().message();
      unrouted.push_back(Unrouted(n, a, now, reason));
      outcomes[i] = {
          {"fingerprint", a.fingerprint}, {"outcome", "rejected"}, {"reason", Redact(reason)}};
      if (result.first_reason.empty()) result.first_reason = Redact(reason);
      ++result.rejected;
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const Group& x) { return x.dedup_key == routed->dedup_key; });
    if (g == groups.end()) {
      groups.emplace_back();
      g = groups.end() - 1;
      g->dedup_key = routed->dedup_key;
      g->route = route;
      g->redacted_key = Redact(routed->dedup_key);
    }
    g->alerts.push_back(i);
    g->redacted.push_back({RedactJson(a.labels), RedactJson(a.annotations),
                           Redact(AlertEventMessage(a.labels, a.annotations, a.status))});
    if (g->params.is_null() && a.status == "firing") {
      g->params = routed->params;
      g->title = IncidentTitle(a);
    }
  }

  AlertStore alerts(store_);
  size_t reserved = 0;
  // The runs are created held by this serve, which queues them: another replica takes one
  // over only when this one stops renewing.
  RunClaim hold = ClaimByThisProcess(clock_, config->limits.lease, {});
  // The body may run again (Store::Transaction, PostgreSQL: another replica opened the same
  // incident first); each attempt starts from what was known before it.
  const IntakeResult before = result;
  Status st = store_.Transaction([&]() -> Status {
    result = before;
    queue_.Release(reserved);
    reserved = 0;
    for (auto& group : groups) {
      group.run_id = 0;
      group.run_playbook = nullptr;
      group.gated = false;
    }
    if (!n.delivery_id.empty()) {
      auto seen = alerts.FindDelivery(n.source, n.delivery_id);
      if (!seen.ok()) return seen.status();
      if (seen->has_value()) {
        result = IntakeResult();
        result.duplicate_delivery = true;
        result.body = **seen;
        result.body["duplicate_delivery"] = true;
        return Status::Ok();
      }
    }
    for (auto& group : groups)
      MEDIC_RETURN_IF_ERROR(RecordGroup(n, group, now, &result, &reserved, hold));
    for (const auto& u : unrouted) {
      auto id = alerts.AddUnrouted(u);
      if (!id.ok()) return id.status();
    }
    result.body["incidents"] = result.incident_ids;
    result.body["runs"] = result.new_runs;
    if (!result.incident_ids.empty()) result.body["incident_id"] = result.incident_ids.front();
    if (!n.delivery_id.empty())
      MEDIC_RETURN_IF_ERROR(alerts.SaveDelivery(n.source, n.delivery_id, now, result.body));
    return Status::Ok();
  });
  if (!st.ok()) {
    queue_.Release(reserved);
    return st;
  }
  if (result.duplicate_delivery) {
    metrics_.CountAlert(n.source, "duplicate_delivery");
  } else {
    for (const auto& o : result.body["alerts"])
      if (o.is_object()) metrics_.CountAlert(n.source, o.value("outcome", "unknown"));
  }
  for (const auto& group : groups)
    if (group.run_id != 0) {
      QueuedRun q{.run_id = group.run_id,
                  .trigger_mono_ms = received_mono_ms,
                  .playbook = group.run_playbook,
                  .expect = {RunStatus::kQueued}};
      if (group.gated) q = GatedRun(q, *group.route, group.dedup_key);
      queue_.PushReserved(q);
    }
  return result;
}

}  // namespace medic
