// The intake: what happens to a parsed notification before the webhook is answered.
// Every alert is routed; alerts with the same dedup key join the incident that is open for
// it (appended as alert.repeated / alert.resolved events) instead of starting another run;
// a firing alert with no open incident opens one (alert.firing) and records a queued run;
// an incident whose alerts have all resolved is closed. All of a notification is committed
// in one SQLite transaction before Accept returns, so a 202 means it is durable, and a
// failure records nothing. Start with Intake::Accept.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "env/clock.h"
#include "server/alert.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/run_queue.h"
#include "store/store.h"

namespace medic {

/// What the intake did with a notification; `body` is what the webhook answers.
struct IntakeResult {
  int accepted = 0;  ///< alerts recorded on an incident (new or open)
  int unrouted = 0;  ///< no route matched (kept for `medic list --unrouted`)
  int rejected = 0;  ///< a route matched but could not use the alert (kept as unrouted, with why)
  int ignored = 0;  ///< nothing to do (a resolved alert with no open incident, ignored event types)
  int suppressed = 0;  ///< incidents opened without a run: their route's max_runs was reached
  bool duplicate_delivery = false;  ///< a delivery id seen before: nothing was recorded again
  std::string first_reason;         ///< why the first rejected alert was rejected
  std::vector<int64_t> incident_ids;
  std::vector<int64_t> new_runs;
  Json body = Json::object();
};

/// The config in force: `medic serve` swaps it on SIGHUP; each notification uses the one
/// it started with.
using ServeConfigSource = std::function<std::shared_ptr<const ServeConfig>()>;

/// Thread-safe; every dependency must outlive it.
class Intake {
 public:
  Intake(Store& store, ServeConfigSource config, RunQueue& queue, Clock& clock, Metrics& metrics)
      : store_(store),
        config_(std::move(config)),
        queue_(queue),
        clock_(clock),
        metrics_(metrics) {}
  /// With a config that never changes.
  Intake(Store& store, const ServeConfig& config, RunQueue& queue, Clock& clock, Metrics& metrics)
      : Intake(
            store,
            [&config] {
              return std::shared_ptr<const ServeConfig>(std::shared_ptr<void>(), &config);
            },
            queue, clock, metrics) {}

  /// Records `notification` and queues the runs it starts. `received_mono_ms` is when its
  /// request arrived (for the trigger-to-start histogram). Fails with kUnavailable when the
  /// run queue is full and kIo when the record cannot be written; either way nothing is
  /// recorded and the sender should retry.
  Result<IntakeResult> Accept(const Notification& notification, int64_t received_mono_ms);

 private:
  struct Group;
  Status RecordGroup(const Notification& n, Group& group, int64_t now, IntakeResult* result,
                     size_t* reserved, const RunClaim& hold);

  Store& store_;
  ServeConfigSource config_;
  RunQueue& queue_;
  Clock& clock_;
  Metrics& metrics_;
};

}  // namespace medic
