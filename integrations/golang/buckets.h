// StackBuckets: groups goroutines that share a stack (state, frames, creator) so a dump of
// 100,000 goroutines costs memory per distinct stack, not per goroutine; and picks the
// buckets of blocked goroutines that look like leaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "integrations/golang/trace.h"

namespace medic::golang {

/// Goroutines with the same state, frames (function, file, line) and creator.
struct Bucket {
  int64_t count = 0;
  std::string state;
  std::vector<Frame> frames;  ///< of the first goroutine seen
  Frame created_by;
  std::vector<int64_t> sample_ids;  ///< the first few goroutine ids
  int max_wait_minutes = 0;
  bool locked_to_thread = false;

  /// The innermost frame's function, or "" for an empty stack.
  std::string TopFunction() const;
  /// Where the goroutines wait: the first frame of the program's own code, else the first
  /// frame outside the runtime, else the top frame.
  std::string ParkedIn() const;
};

/// Thresholds for calling a bucket a leak suspect.
struct LeakThresholds {
  int64_t absolute = 1000;  ///< this many blocked goroutines on one stack is a suspect
  int64_t min_count = 100;  ///< ... and so is a bucket at least this large
  double share = 0.25;      ///< ... holding at least this share of all goroutines
};

/// A bucket of blocked goroutines that is large in absolute terms or as a share.
struct LeakSuspect {
  std::string function;  ///< Bucket::ParkedIn()
  int64_t count = 0;
  std::string state;
  double share = 0;  ///< count / all goroutines
};

/// Accumulates goroutines into buckets. Not thread-safe.
class StackBuckets {
 public:
  /// Adds one goroutine (copied only when it opens a new bucket).
  void Add(const Goroutine& g);

  int64_t total() const { return total_; }  ///< goroutines added
  size_t size() const { return buckets_.size(); }

  /// Buckets, largest first (ties: first seen first).
  std::vector<Bucket> Sorted() const;

  /// Blocked buckets that cross `t`, largest first.
  std::vector<LeakSuspect> LeakSuspects(const LeakThresholds& t) const;

  /// True when goroutines in `state` are parked (waiting), not running or runtime-idle.
  static bool IsBlockedState(const std::string& state);

 private:
  std::vector<Bucket> buckets_;
  std::unordered_map<std::string, size_t> index_;
  std::string key_;  // reused to build lookup keys without reallocating
  int64_t total_ = 0;
};

}  // namespace medic::golang
