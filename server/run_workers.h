// The workers of medic serve: max_concurrent_runs threads that take queued runs and drive
// them with the same Runner (and the same resume rules) as `medic run` and `medic resume`,
// with nobody at a terminal: a step that needs confirmation waits in needs_attention unless
// the route said auto_confirm. Shutdown is two-phase: the soft stop (SIGTERM) stops runs
// at their next step boundary while running processes may finish; after the drain timeout
// the hard stop ends those processes, and the runner records the steps as interrupted, to
// be resumed on the next start. Start with RunWorkers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/cancel.h"
#include "env/env.h"
#include "integrations/action.h"
#include "playbooks/lease.h"
#include "server/metrics.h"
#include "server/run_queue.h"
#include "store/store.h"

namespace medic {

/// A ProcessRunner whose processes stop on the server's hard stop, not on the run's
/// cancel token: the run's token is the soft stop, which only keeps the next step from
/// starting. Thread-safe.
class DrainingProcessRunner : public ProcessRunner {
 public:
  DrainingProcessRunner(ProcessRunner& real, const CancelToken& hard_stop)
      : real_(real), hard_stop_(hard_stop) {}
  Result<ProcessResult> Run(const ProcessSpec& spec, const CancelToken* cancel,
                            const std::function<Status(pid_t)>& on_started) override;

 private:
  ProcessRunner& real_;
  const CancelToken& hard_stop_;
};

/// What the workers use; everything must outlive them.
struct WorkerServices {
  Store* store = nullptr;
  const Registry* registry = nullptr;
  Env env;  ///< the machine; its process runner is wrapped in a DrainingProcessRunner
  CancelToken* soft_stop = nullptr;  ///< SIGTERM: finish the current steps, start no more
  RunQueue* queue = nullptr;
  Metrics* metrics = nullptr;
  std::string work_root;  ///< runs' files go to WORK_ROOT/run-ID
  LeaseTiming lease;      ///< each run this serve drives is claimed with it
  /// Called with each run a worker drove, once the drive returned (may be null).
  std::function<void(const RunRecord&)> on_run_end;
};

class RunWorkers {
 public:
  RunWorkers(WorkerServices services, int count);
  ~RunWorkers();
  RunWorkers(const RunWorkers&) = delete;
  RunWorkers& operator=(const RunWorkers&) = delete;

  /// Starts the threads.
  void Start();
  /// True while a worker of this process drives `run_id`. Thread-safe.
  bool IsActive(int64_t run_id) const;
  /// How many runs are being driven. Thread-safe.
  size_t active() const;
  /// Closes the queue (queued runs stay "queued" in the record), waits up to `drain_ms` for
  /// running steps to end, then stops what is left and joins the threads. The caller has
  /// cancelled the soft stop first. Returns how many runs were still running at the deadline.
  int Shutdown(int64_t drain_ms);

 private:
  void Loop();
  void DriveOne(const QueuedRun& queued);

  WorkerServices s_;
  int count_;
  CancelToken hard_stop_;
  DrainingProcessRunner processes_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::set<int64_t> active_;
  std::vector<std::thread> threads_;
};

}  // namespace medic
