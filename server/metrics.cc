#include "server/metrics.h"

#include <cstdio>

#include "base/escape.h"

namespace medic {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Label values here are medic's own words, but escape anyway: the format requires it.
std::string Escape(const std::string& v) { return EscapeDoubleQuoted(v); }

}  // namespace

void Metrics::Histogram::Observe(double v) {
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (v <= kBuckets[i]) ++counts[i];
  ++count;
  sum += v;
}

void Metrics::Histogram::Render(const std::string& name, const std::string& help,
                                std::string* out) const {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (size_t i = 0; i < kBuckets.size(); ++i)
    *out +=
        name + "_bucket{le=\"" + Number(kBuckets[i]) + "\"} " + std::to_string(counts[i]) + "\n";
  *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  *out += name + "_sum " + Number(sum) + "\n";
  *out += name + "_count " + std::to_string(count) + "\n";
}

void Metrics::CountRequest(const std::string& endpoint, int code) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{endpoint, code}];
}

void Metrics::CountAlert(const std::string& source, const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  ++alerts_[{source, outcome}];
}

void Metrics::CountRun(const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++runs_[status];
}

void Metrics::RunStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  ++running_;
}

void Metrics::RunEnded() {
  std::lock_guard<std::mutex> lock(mu_);
  --running_;
}

void Metrics::CountLease(const std::string& event) {
  std::lock_guard<std::mutex> lock(mu_);
  ++leases_[event];
}

void Metrics::ObserveAccept(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  accept_.Observe(seconds);
}

void Metrics::ObserveTriggerToStart(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  trigger_to_start_.Observe(seconds);
}

std::string Metrics::Render(const Gauges& g) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP medic_http_requests_total HTTP requests answered, by endpoint and status code.\n";
  out += "# TYPE medic_http_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    out += "medic_http_requests_total{endpoint=\"" + Escape(key.first) + "\",code=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  out += "# HELP medic_alerts_total Alerts received, by source and what medic did with them.\n";
  out += "# TYPE medic_alerts_total counter\n";
  for (const auto& [key, n] : alerts_)
    out += "medic_alerts_total{source=\"" + Escape(key.first) + "\",outcome=\"" +
           Escape(key.second) + "\"} " + std::to_string(n) + "\n";
  out += "# HELP medic_runs_total Runs this process drove, by the status they ended in.\n";
  out += "# TYPE medic_runs_total counter\n";
  for (const auto& [status, n] : runs_)
    out += "medic_runs_total{status=\"" + Escape(status) + "\"} " + std::to_string(n) + "\n";
  out += "# HELP medic_lease_events_total Runs claimed, rescued from a driver that stopped "
         "renewing, and lost to another driver's claim.\n";
  out += "# TYPE medic_lease_events_total counter\n";
  for (const char* event : {"claim", "rescue", "fence_lost"}) {
    auto it = leases_.find(event);
    out += std::string("medic_lease_events_total{event=\"") + event + "\"} " +
           std::to_string(it == leases_.end() ? 0 : it->second) + "\n";
  }
  if (g.leases_held >= 0) {
    out += "# HELP medic_leases_held Runs whose lease this process holds.\n";
    out += "# TYPE medic_leases_held gauge\n";
    out += "medic_leases_held " + std::to_string(g.leases_held) + "\n";
  }
  out +=
      "# HELP medic_runs_running Runs being driven right now.\n# TYPE medic_runs_running gauge\n";
  out += "medic_runs_running " + std::to_string(running_) + "\n";
  out +=
      "# HELP medic_queue_depth Runs accepted and waiting for a worker.\n# TYPE medic_queue_depth "
      "gauge\n";
  out += "medic_queue_depth " + std::to_string(g.queue_depth) + "\n";
  out += "# HELP medic_queue_capacity Runs the queue holds before new alerts get 503.\n";
  out += "# TYPE medic_queue_capacity gauge\n";
  out += "medic_queue_capacity " + std::to_string(g.queue_capacity) + "\n";
  out +=
      "# HELP medic_queue_held Queued runs waiting for their route's concurrency or dedup key.\n";
  out += "# TYPE medic_queue_held gauge\n";
  out += "medic_queue_held " + std::to_string(g.queue_held) + "\n";
  if (!g.breakers.empty()) {
    out +=
        "# HELP medic_route_breaker_open 1 while a route's circuit breaker keeps it from "
        "starting runs.\n";
    out += "# TYPE medic_route_breaker_open gauge\n";
    for (const auto& [route, open] : g.breakers)
      out +=
          "medic_route_breaker_open{route=\"" + Escape(route) + "\"} " + (open ? "1" : "0") + "\n";
  }
  accept_.Render("medic_hook_accept_seconds", "Time from a webhook request read to its response.",
                 &out);
  trigger_to_start_.Render("medic_trigger_to_start_seconds",
                           "Time from an alert received to its run's first step started.", &out);
  return out;
}

}  // namespace medic
