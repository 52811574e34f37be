// Routing: which playbook an alert starts, with which params, and which open incident it
// belongs to. Routes are tried in order and the first whose matchers all match wins. A
// route's vars and dedup_key are templates rendered once with the alert as data
// ({{ labels.x }}, {{ annotations.x }}, status, fingerprint, source, group_key); the result
// is never parsed again, so a label value reaches the playbook only as a parameter.
// Start with MatchRoute and ApplyRoute.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "server/alert.h"
#include "server/config.h"

namespace medic {

/// What a route makes of one alert.
struct RoutedAlert {
  const RouteConfig* route = nullptr;
  Json params = Json::object();  ///< the playbook's params, bound (defaults filled in)
  std::string dedup_key;         ///< alerts with the same key while an incident is open join it
};

/// Longest dedup key medic keeps; longer rendered keys are refused.
inline constexpr size_t kMaxDedupKeyBytes = 8192;

/// The first route whose matchers all match `labels`; nullptr when none does.
const RouteConfig* MatchRoute(const std::vector<RouteConfig>& routes, const Json& labels);

/// Renders `route`'s vars and dedup key with `alert` (from `source`) as data and binds the
/// vars to the playbook's params. Fails with kInvalidArgument saying which var or key could
/// not be made ("vars.service: the alert has no label 'service'").
Result<RoutedAlert> ApplyRoute(const RouteConfig& route, const Alert& alert,
                               const std::string& source);

}  // namespace medic
