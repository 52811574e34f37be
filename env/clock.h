// Clock: the seam for time. Wall time (for the record) and a monotonic time (for
// durations and deadlines) come from here so engine tests can use a fake.
#pragma once

#include <cstdint>

namespace medic {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds since the Unix epoch (wall time, for the record).
  virtual int64_t NowUnixMs() = 0;
  /// Milliseconds on a monotonic clock (for durations and deadlines).
  virtual int64_t MonotonicMs() = 0;
};

/// Milliseconds on the monotonic clock itself: for the code that implements the seams
/// (process deadlines, socket deadlines of the HTTP front, the terminal's spinner);
/// everything that a test may want to drive asks a Clock.
int64_t SteadyNowMs();

/// The real clock. Stateless; one shared instance is fine.
class SystemClock : public Clock {
 public:
  int64_t NowUnixMs() override;
  int64_t MonotonicMs() override;
};

}  // namespace medic
