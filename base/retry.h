// The one retry loop behind every "try again" in medic's integrations: how many attempts,
// how long to wait between them (exponential backoff with jitter, or what the peer asked
// for), never sending or waiting past a deadline, waking when the run is cancelled, and the
// "(after N attempts)" note written in one place. SendWithRetry (http_client.h) and
// SendBounded (endpoint.h) are its HTTP front ends; start with Retry().
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/cancel.h"
#include "base/status.h"

namespace medic {

/// How often and how patiently to try again.
struct RetryPolicy {
  int max_retries = 3;           ///< attempts after the first one
  int64_t base_delay_ms = 200;   ///< the wait before retry n is about base * 2^(n-1) ...
  int64_t max_delay_ms = 5'000;  ///< ... capped here, with jitter so clients spread out
};

/// What bounds a retry loop besides its policy.
struct RetryLimits {
  const CancelToken* cancel = nullptr;  ///< wakes the wait between attempts; null: plain sleep
  /// Milliseconds left before the step's deadline; null when there is none. No attempt
  /// starts once it is spent, and no wait starts that would end within kDeadlineMarginMs
  /// of it (it would only end in a timeout).
  std::function<int64_t()> remaining_ms = nullptr;
};

/// A wait must end this long before the deadline for the loop to try again.
inline constexpr int64_t kDeadlineMarginMs = 100;

/// After one attempt: whether it is worth another, and how long to wait first.
struct RetryDecision {
  bool again = false;
  int64_t wait_ms = -1;  ///< the peer's own request (Retry-After); -1: the policy's backoff
};

/// True for failures worth another try: no answer at all (kUnavailable: refused, reset,
/// dropped mid-transfer; kTimeout). Never kCancelled or a bad request.
bool IsRetryableFailure(const Status& status);

/// `message` with " (after N attempts)" appended when `attempts` > 1.
std::string NoteAttempts(std::string message, int attempts);

/// `status` with its message noted as above; the code is kept.
Status NoteAttempts(const Status& status, int attempts);

/// The policy's waits, one per retry: base, 2 * base, ... capped at max, each jittered (half
/// fixed, half random) so that clients which failed together spread out. Not thread-safe;
/// one per loop.
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy);
  /// The wait before the next retry, in milliseconds.
  int64_t Next();

 private:
  int64_t delay_;
  int64_t max_;
};

/// Sleeps `ms`, waking early on limits.cancel. False when cancelled.
bool WaitToRetry(const RetryLimits& limits, int64_t ms);

/// Calls attempt(n) for n = 1, 2, ... while decide(result) says again, the policy has
/// attempts left and the deadline allows; between attempts calls on_wait(n, result, wait)
/// (a progress note; may be null) and waits. `what` names the operation in the loop's own
/// errors: kTimeout "WHAT: the step's time ran out before it could be sent" and kCancelled
/// "WHAT: cancelled while waiting to retry". Returns the last result, a failure noted
/// "(after N attempts)" when there were several. `attempts`, when given, receives the count.
template <typename T>
Result<T> Retry(const RetryPolicy& policy, const RetryLimits& limits, const std::string& what,
                const std::function<Result<T>(int attempt)>& attempt,
                const std::function<RetryDecision(const Result<T>&)>& decide,
                const std::function<void(int attempt, const Result<T>&, int64_t wait_ms)>& on_wait,
                int* attempts = nullptr) {
  Backoff backoff(policy);
  int max_attempts = 1 + (policy.max_retries > 0 ? policy.max_retries : 0);
  for (int n = 1;; ++n) {
    if (attempts) *attempts = n;
    if (limits.remaining_ms && limits.remaining_ms() <= 0) {
      return Status::Timeout(what + ": the step's time ran out before it could be sent");
    }
    Result<T> result = attempt(n);
    RetryDecision decision = decide(result);
    int64_t wait = decision.wait_ms >= 0 ? decision.wait_ms : backoff.Next();
    bool out_of_time = limits.remaining_ms && limits.remaining_ms() <= wait + kDeadlineMarginMs;
    if (!decision.again || n >= max_attempts || out_of_time) {
      if (!result.ok()) return NoteAttempts(result.status(), n);
      return result;
    }
    if (on_wait) on_wait(n, result, wait);
    if (!WaitToRetry(limits, wait)) {
      return Status::Cancelled(what + ": cancelled while waiting to retry");
    }
  }
}

}  // namespace medic
