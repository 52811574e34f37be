// medic serve's configuration file: credentials, routes from alerts to playbooks, and
// limits. LoadServeConfig() reads and checks everything up front (every route's playbook is
// loaded and validated, every var checked against its params, every template path checked)
// and reports every problem as "file:line:column: route 'x': what", like `medic validate`,
// so a bad config never reaches production. Start with ServeConfig and LoadServeConfig.
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "lang/scope.h"
#include "playbooks/lease.h"
#include "playbooks/playbook.h"

namespace medic {

class Registry;

/// One `label: value` of a route's match. Values: "x" (equal), "!=x", "=~re", "!~re"
/// (regular expressions are anchored, as in Prometheus). An absent label reads as "".
struct LabelMatcher {
  enum class Op { kEqual, kNotEqual, kRegex, kNotRegex };
  std::string label;
  Op op = Op::kEqual;
  std::string value;
  std::shared_ptr<const std::regex> re;  ///< for kRegex / kNotRegex

  bool Matches(const Json& labels) const;
};

struct RouteConfig {
  std::string name;                          ///< `name:`, else "route-N" (1-based)
  std::vector<LabelMatcher> match;           ///< all must match; empty matches everything
  std::string playbook_path;                 ///< resolved against the config's directory
  std::shared_ptr<const Playbook> playbook;  ///< loaded and validated
  Json vars = Json::object();                ///< param -> template, rendered per alert
  std::string dedup_key;                     ///< template; "" = name + "/" + group key
  bool auto_confirm = false;                 ///< destructive steps go without `medic approve`
  /// `max_runs: {count, per}`: at most `max_runs` runs started per `max_runs_per_ms`; beyond
  /// it alerts still open and join incidents, but no run starts (0: no limit).
  int max_runs = 0;
  int64_t max_runs_per_ms = 0;
  /// `concurrency: N`: at most N runs of this route at once; further ones wait queued, oldest
  /// first (0: no route-wide limit). Two runs of one dedup key never run at once either way.
  int concurrency = 0;
  /// `circuit_breaker: {failures, per}`: after `breaker_failures` failed runs within
  /// `breaker_per_ms` the route starts no run for `breaker_per_ms`, or until `medic route
  /// reset NAME` (0: no breaker). server/guardrails.h.
  int breaker_failures = 0;
  int64_t breaker_per_ms = 0;
  /// `on_suppressed: PLAYBOOK`: run for an incident max_runs or the breaker kept from its
  /// own run (e.g. to page a person); null: none.
  std::string on_suppressed_path;
  std::shared_ptr<const Playbook> on_suppressed;
  SourceMark mark;
};

struct ServeLimits {
  int max_concurrent_runs = 4;
  int64_t max_body = 1 << 20;           ///< bytes; larger requests get 413
  int queue = 1000;                     ///< runs waiting for a worker; beyond: 503 + Retry-After
  int http_threads = 16;                ///< requests handled at once
  int max_connections = 4096;           ///< open connections; beyond, the oldest idle is closed
  int max_connections_per_peer = 256;   ///< the same, per client address
  int64_t header_timeout_ms = 10'000;   ///< a request head (or the next one) must arrive within
  int64_t request_timeout_ms = 30'000;  ///< one request's body must arrive within
  int64_t drain_timeout_ms = 30'000;    ///< SIGTERM: how long running steps may finish
  LeaseTiming lease;                    ///< how long a claim of a run lasts, how often renewed
};

struct ServeConfig {
  std::string path;
  std::vector<std::string> bearer_tokens;      ///< secrets: never print
  std::vector<std::string> pagerduty_secrets;  ///< secrets: never print
  /// A signed PagerDuty event whose occurred_at is older than this is refused as a replay
  /// (0: no limit). Deliveries are remembered for 7 days, so keep it well below that.
  int64_t pagerduty_max_event_age_ms = 3'600'000;
  std::vector<RouteConfig> routes;  ///< first match wins
  ServeLimits limits;
  /// Runs that ended (succeeded or failed) longer ago than this are deleted with their steps,
  /// events and artifacts, and so are closed incidents left without runs; 0: never. One
  /// replica at a time does it (Store::TakeLead).
  int64_t retention_ms = 0;
};

/// Reads `path`, the credential files it names, and every route's playbook. Every secret is
/// registered for redaction. Fails with kInvalidArgument listing every problem, one per
/// line ("serve.yaml:12:5: route 'panics': ..."), or kNotFound/kIo when `path` is unreadable.
Result<ServeConfig> LoadServeConfig(const std::string& path, const Registry& registry);

/// The references a route's vars and dedup_key may use, declared once for the config
/// check and the router: labels.NAME, annotations.NAME, status, fingerprint, source and
/// group_key.
const Scope& AlertScope();

}  // namespace medic
