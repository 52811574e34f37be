// Guardrails on what serve's routes start on their own: at most max_runs runs per window,
// and a circuit breaker that stops a route after repeated failed runs. A run held back is
// recorded as a suppression, and the route's on_suppressed playbook (e.g. page a person)
// runs instead. The record, not a serve process, holds the breaker, so every serve sharing
// the record and `medic route reset` see the same one. Start with CheckGuardrails.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "server/config.h"
#include "server/run_queue.h"
#include "store/store.h"

namespace medic {

/// Why a route starts no run for a new incident.
struct Suppression {
  std::string by;       ///< max_runs | circuit_breaker
  std::string message;  ///< for the incident's incident.suppressed event
  Json data;            ///< {suppressed_by, route, ...}
};

/// Whether `route` may start a run for a new incident at `now_ms`; a Suppression when its
/// breaker is open or its max_runs is reached. Call inside the intake's transaction.
Result<std::optional<Suppression>> CheckGuardrails(Store& store, const RouteConfig& route,
                                                   int64_t now_ms);

/// The route's breaker, opened (and recorded open for breaker_per_ms) when breaker_failures
/// of its runs failed within the window. Failures before the last reset, or before the
/// breaker last closed, do not count again. A route without a breaker reads closed.
Result<RouteBreakerRecord> EvaluateBreaker(Store& store, const RouteConfig& route, int64_t now_ms);

/// Closes `route`'s breaker (`medic route reset`): failures until `now_ms` no longer count.
/// Returns the breaker as it was.
Result<RouteBreakerRecord> ResetBreaker(Store& store, const std::string& route, int64_t now_ms,
                                        const std::string& by);

/// The params of the route's on_suppressed playbook: each it declares, from the route's
/// `route_params` or from route, suppressed_by, reason and incident_id.
Json SuppressedRunParams(const RouteConfig& route, const Json& route_params, const Suppression& why,
                         int64_t incident_id);

/// `run`, a run of `route` for an incident of `dedup_key`, admitted by the route's
/// concurrency and by its dedup key (one run per key at once).
QueuedRun GatedRun(QueuedRun run, const RouteConfig& route, const std::string& dedup_key);

}  // namespace medic
