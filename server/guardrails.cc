#include "server/guardrails.h"

#include <algorithm>

#include "base/strings.h"

namespace medic {

Result<RouteBreakerRecord> EvaluateBreaker(Store& store, const RouteConfig& route, int64_t now_ms) {
  auto breaker = store.GetRouteBreaker(route.name);
  if (!breaker.ok() || route.breaker_failures <= 0 || breaker->open(now_ms)) return breaker;
  int64_t since = std::max({now_ms - route.breaker_per_ms, breaker->reset_at, breaker->open_until});
  auto failures = store.CountFailedRunsOfRoute(route.name, since);
  if (!failures.ok()) return failures.status();
  if (*failures < route.breaker_failures) return breaker;
  breaker->opened_at = now_ms;
  breaker->open_until = now_ms + route.breaker_per_ms;
  breaker->failures = *failures;
  MEDIC_RETURN_IF_ERROR(store.SaveRouteBreaker(*breaker));
  return breaker;
}

Result<std::optional<Suppression>> CheckGuardrails(Store& store, const RouteConfig& route,
                                                   int64_t now_ms) {
  if (route.breaker_failures > 0) {
    auto breaker = EvaluateBreaker(store, route, now_ms);
    if (!breaker.ok()) return breaker.status();
    if (breaker->open(now_ms)) {
      Suppression s;
      s.by = "circuit_breaker";
      s.message = "no run: route '" + route.name + "' has its circuit breaker open (" +
                  std::to_string(breaker->failures) + " failed runs within " +
                  FormatDurationMs(route.breaker_per_ms) + "); it closes at " +
                  FormatTimeUtc(breaker->open_until) + " UTC, or with `medic route reset " +
                  route.name + "`";
      s.data = {{"suppressed_by", s.by},
                {"route", route.name},
                {"failures", breaker->failures},
                {"open_until", breaker->open_until}};
      return std::optional<Suppression>(std::move(s));
    }
  }
  if (route.max_runs > 0) {
    auto recent = store.CountRunsOfRoute(route.name, now_ms - route.max_runs_per_ms);
    if (!recent.ok()) return recent.status();
    if (*recent >= route.max_runs) {
      Suppression s;
      s.by = "max_runs";
      s.message = "no run: route '" + route.name + "' started " + std::to_string(*recent) +
                  " runs in the last " + FormatDurationMs(route.max_runs_per_ms) + " (max_runs " +
                  std::to_string(route.max_runs) + ")";
      s.data = {{"suppressed_by", s.by},
                {"route", route.name},
                {"runs", *recent},
                {"per_ms", route.max_runs_per_ms}};
      return std::optional<Suppression>(std::move(s));
    }
  }
  return std::optional<Suppression>();
}

Result<RouteBreakerRecord> ResetBreaker(Store& store, const std::string& route, int64_t now_ms,
                                        const std::string& by) {
  RouteBreakerRecord was;
  Status st = store.Transaction([&]() -> Status {
    auto breaker = store.GetRouteBreaker(route);
    if (!breaker.ok()) return breaker.status();
    was = *breaker;
    breaker->open_until = 0;
    breaker->reset_at = now_ms;
    breaker->reset_by = by;
    return store.SaveRouteBreaker(*breaker);
  });
  if (!st.ok()) return st;
  return was;
}

Json SuppressedRunParams(const RouteConfig& route, const Json& route_params, const Suppression& why,
                         int64_t incident_id) {
  Json given = {{"route", route.name},
                {"suppressed_by", why.by},
                {"reason", why.message},
                {"incident_id", std::to_string(incident_id)}};
  Json params = Json::object();
  for (const auto& p : route.on_suppressed->params) {
    if (given.contains(p.name))
      params[p.name] = given[p.name];
    else if (route_params.is_object() && route_params.contains(p.name))
      params[p.name] = route_params[p.name];
  }
  return params;
}

QueuedRun GatedRun(QueuedRun run, const RouteConfig& route, const std::string& dedup_key) {
  run.gate = {route.name, dedup_key, route.concurrency};
  return run;
}

}  // namespace medic
