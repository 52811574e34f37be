// Leases: who drives a run. A driver (medic run, medic resume, a serve worker) claims the
// run in the record (Store::ClaimRun), which grows its fence; LeaseKeeper renews the lease
// while the run is driven, and every write of the driver checks the fence (Runner::Write).
// A driver that finds a newer fence has lost the run: it stops at once and kills the step
// processes it started. Start with LeaseKeeper.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "base/cancel.h"
#include "env/clock.h"
#include "store/store.h"

namespace medic {

/// How long a claim lasts and how often its holder renews it.
struct LeaseTiming {
  int64_t lease_ms = 10'000;
  int64_t renew_ms = 2'000;
};

/// This host's name, as recorded with owners and process groups.
const std::string& ThisHost();

/// A claim of a run by this process for `timing.lease_ms` from now. `statuses`: what the
/// run may be in (empty: any).
RunClaim ClaimByThisProcess(Clock& clock, const LeaseTiming& timing,
                            std::vector<RunStatus> statuses);

/// True when the run's lease is held at `now_ms` by a driver that may still be alive: an
/// unexpired lease whose holder is on another host, or is a live process on this one.
bool RunIsHeld(const RunRecord& run, int64_t now_ms);

/// Kills process group `pgid` at once unless its leader is a live process other than the
/// one started at `start_ticks` (the pid was reused). Never reaps.
void KillStepGroup(pid_t pgid, uint64_t start_ticks);

/// Renews the lease of a claimed run from its own thread until destroyed, and forwards the
/// parent's cancellation to the run's own token. When a renewal finds that another driver
/// claimed the run, it cancels the run's token and calls `on_lost` (from its thread).
class LeaseKeeper {
 public:
  LeaseKeeper(Store& store, Clock& clock, int64_t run_id, int64_t fence, LeaseTiming timing,
              const CancelToken& parent, CancelToken& run_cancel,
              std::function<void(const std::string&)> on_lost);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Loop();

  Store& store_;
  Clock& clock_;
  int64_t run_id_;
  int64_t fence_;
  LeaseTiming timing_;
  const CancelToken& parent_;
  CancelToken& run_cancel_;
  std::function<void(const std::string&)> on_lost_;
  CancelToken stop_;
  std::thread thread_;
};

}  // namespace medic
