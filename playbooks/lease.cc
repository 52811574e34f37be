#include "playbooks/lease.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "env/process_runner.h"

namespace medic {

const std::string& ThisHost() {
  static const std::string host = [] {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return std::string("localhost");
    return std::string(buf);
  }();
  return host;
}

RunClaim ClaimByThisProcess(Clock& clock, const LeaseTiming& timing,
                            std::vector<RunStatus> statuses) {
  RunClaim claim;
  claim.host = ThisHost();
  claim.pid = getpid();
  // Read once: serve asks on every alert it accepts, and this process' start never changes.
  static const uint64_t start = ProcessStartTicks(getpid());
  claim.start = start;
  claim.now_ms = clock.NowUnixMs();
  claim.lease_ms = timing.lease_ms;
  claim.statuses = std::move(statuses);
  claim.holder_alive = [](const RunRecord& run) { return RunIsHeld(run, 0); };
  return claim;
}

bool RunIsHeld(const RunRecord& run, int64_t now_ms) {
  if (run.owner_pid == 0 || run.lease_until <= now_ms) return false;
  // Records from before leases name no host: their owner ran here.
  if (!run.owner_host.empty() && run.owner_host != ThisHost()) return true;
  return run.owner_start != 0 &&
         ProcessStartTicks(static_cast<pid_t>(run.owner_pid)) == run.owner_start;
}

void KillStepGroup(pid_t pgid, uint64_t start_ticks) {
  if (pgid <= 0) return;
  uint64_t leader = ProcessStartTicks(pgid);
  if (leader != 0 && start_ticks != 0 && leader != start_ticks) return;
  kill(-pgid, SIGKILL);
}

LeaseKeeper::LeaseKeeper(Store& store, Clock& clock, int64_t run_id, int64_t fence,
                         LeaseTiming timing, const CancelToken& parent, CancelToken& run_cancel,
                         std::function<void(const std::string&)> on_lost)
    : store_(store),
      clock_(clock),
      run_id_(run_id),
      fence_(fence),
      timing_(timing),
      parent_(parent),
      run_cancel_(run_cancel),
      on_lost_(std::move(on_lost)),
      thread_([this] { Loop(); }) {}

LeaseKeeper::~LeaseKeeper() {
  stop_.Cancel();
  thread_.join();
}

void LeaseKeeper::Loop() {
  int64_t next_renew = clock_.MonotonicMs() + timing_.renew_ms;
  for (;;) {
    pollfd fds[2] = {{stop_.fd(), POLLIN, 0}, {parent_.fd(), POLLIN, 0}};
    // Once the parent was cancelled and forwarded, only the stop and the timer matter.
    nfds_t n = run_cancel_.cancelled() ? 1 : 2;
    int64_t wait = std::max<int64_t>(0, next_renew - clock_.MonotonicMs());
    poll(fds, n, static_cast<int>(std::min<int64_t>(wait, 1'000)));
    if (stop_.cancelled()) return;
    if (parent_.cancelled() && !run_cancel_.cancelled()) run_cancel_.Cancel();
    if (clock_.MonotonicMs() < next_renew) continue;
    next_renew = clock_.MonotonicMs() + timing_.renew_ms;
    Status st = store_.RenewLease(run_id_, fence_, clock_.NowUnixMs() + timing_.lease_ms);
    if (st.code() == Code::kLost) {
      run_cancel_.Cancel();
      on_lost_(st.message());
      return;
    }
    // Other errors (a busy or locked record) are retried at the next beat; the lease is
    // several beats long.
  }
}

}  // namespace medic
