// The queue between accepting an alert and running its playbook: run ids (already
// committed as "queued" in the record) waiting for a worker. Bounded: the intake reserves a
// slot before it commits a new run, so a full queue turns into 503 + Retry-After instead of
// a run that waits too long, and a crash loses nothing (the record, not this queue, is the
// truth; serve re-queues "queued" runs on start). Start with RunQueue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/states.h"

namespace medic {

struct Playbook;

struct QueuedRun {
  int64_t run_id = 0;
  int64_t trigger_mono_ms = 0;         ///< when its alert arrived (monotonic); 0 unknown
  const Playbook* playbook = nullptr;  ///< its playbook when already loaded; may be null
  /// The statuses the run must still be in when a worker claims it (another serve or a
  /// `medic resume` may have taken it on since); empty: any.
  std::vector<RunStatus> expect = {};
  /// Admission: a run waits (oldest first) while another run of its `dedup_key` runs, or
  /// while `route_limit` runs of its `route` run (0: no route limit). Empty: not gated.
  struct Gate {
    std::string route;
    std::string dedup_key;
    int route_limit = 0;
  };
  Gate gate = {};
};

/// Thread-safe.
class RunQueue {
 public:
  explicit RunQueue(size_t capacity) : capacity_(capacity) {}

  /// Reserves `n` slots for runs about to be committed; false (nothing reserved) when the
  /// queue has fewer free slots.
  bool Reserve(size_t n);
  /// Gives back `n` reserved slots that were not used.
  void Release(size_t n);
  /// Adds a run into a slot reserved earlier.
  void PushReserved(const QueuedRun& run);
  /// Adds a run regardless of capacity (runs resumed on start, approved runs).
  void Push(const QueuedRun& run);
  /// Waits for the oldest run its gates admit and counts it as running until Finish();
  /// nullopt once Close() was called (runs still queued stay in the record as "queued" for
  /// the next start).
  std::optional<QueuedRun> Pop();
  /// A run Pop() returned has ended: runs waiting behind its gates may go.
  void Finish(const QueuedRun& run);
  /// Wakes every Pop(); later pushes are dropped.
  void Close();

  /// Runs waiting plus slots reserved.
  size_t depth() const;
  /// Runs waiting only because a gate holds them.
  size_t held() const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool Admits(const QueuedRun& run) const;  // caller holds mu_

  std::deque<QueuedRun> runs_;
  std::map<std::string, int> running_routes_;  // route -> runs popped and not finished
  std::multiset<std::string> running_keys_;    // dedup keys of those runs
  size_t reserved_ = 0;
  bool closed_ = false;
};

}  // namespace medic
