// Prometheus actions: `prometheus.snapshot` freezes what a set of PromQL queries showed
// around the incident into a JSON file (an artifact of the run), and `prometheus.check`
// verifies a query against a condition and/or a baseline, measurement after measurement,
// like an Argo Rollouts analysis. Both use the HTTP API (/api/v1/query, /query_range).
// Start with RegisterPrometheusActions; the condition language is in metric_condition.h.
#pragma once

#include <cstdint>
#include <string>

#include "integrations/action.h"

namespace medic {

/// Adds prometheus.snapshot and prometheus.check to `registry`.
void RegisterPrometheusActions(Registry& registry);

/// A Prometheus sample value ("0.12", "NaN", "+Inf") as a double; NaN when unparsable.
double ParsePromValue(const std::string& text);

/// Unix milliseconds as the seconds Prometheus' API takes ("1700000000.123").
std::string PromTime(int64_t unix_ms);

}  // namespace medic
