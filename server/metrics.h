// What medic serve exposes on GET /metrics, in the Prometheus text format: requests by
// endpoint and code, alerts by source and outcome, runs by final status, runs in progress,
// queue depth, and histograms of accept latency (request handled to response) and
// trigger-to-start latency (alert received to the run's first step started).
// Start with Metrics.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace medic {

/// Thread-safe.
class Metrics {
 public:
  /// `endpoint` is one of the server's paths ("/hooks/alertmanager", "/incidents/:id",
  /// "other"), so the label's cardinality stays bounded.
  void CountRequest(const std::string& endpoint, int code);
  /// `outcome`: new_incident | deduplicated | resolved | unrouted | rejected | ignored.
  void CountAlert(const std::string& source, const std::string& outcome);
  /// A drive of a run ended with `status` (succeeded, failed, needs_attention, interrupted).
  void CountRun(const std::string& status);
  void RunStarted();
  void RunEnded();
  void ObserveAccept(double seconds);
  void ObserveTriggerToStart(double seconds);
  /// What happened to a lease: "claim" (this process took a run to drive it), "rescue" (a
  /// run whose driver stopped renewing was queued here), "fence_lost" (another driver
  /// claimed a run this one was driving).
  void CountLease(const std::string& event);

  /// What the caller knows at render time.
  struct Gauges {
    size_t queue_depth = 0;
    size_t queue_capacity = 0;
    size_t queue_held = 0;  ///< waiting for a route's concurrency or a dedup key
    std::vector<std::pair<std::string, bool>> breakers = {};  ///< route -> open, routes with one
    int64_t leases_held = -1;  ///< runs whose lease this process holds; -1 unknown
  };

  /// The text exposition.
  std::string Render(const Gauges& gauges) const;

 private:
  static constexpr std::array<double, 14> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1,     2.5,  5,     10,   30};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
    void Observe(double v);
    void Render(const std::string& name, const std::string& help, std::string* out) const;
  };

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, uint64_t> alerts_;
  std::map<std::string, uint64_t> runs_;
  std::map<std::string, uint64_t> leases_;
  int64_t running_ = 0;
  Histogram accept_;
  Histogram trigger_to_start_;
};

}  // namespace medic
