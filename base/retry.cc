#include "base/retry.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace medic {

bool IsRetryableFailure(const Status& status) {
  return status.code() == Code::kUnavailable || status.code() == Code::kTimeout;
}

std::string NoteAttempts(std::string message, int attempts) {
  if (attempts > 1) message += " (after " + std::to_string(attempts) + " attempts)";
  return message;
}

Status NoteAttempts(const Status& status, int attempts) {
  if (status.ok() || attempts <= 1) return status;
  return Status(status.code(), NoteAttempts(status.message(), attempts));
}

Backoff::Backoff(const RetryPolicy& policy) : max_(std::max<int64_t>(0, policy.max_delay_ms)) {
  delay_ = std::min(std::max<int64_t>(0, policy.base_delay_ms), max_);
}

int64_t Backoff::Next() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  int64_t delay = delay_;
  delay_ = delay_ > max_ / 2 ? max_ : delay_ * 2;
  // Half fixed, half random: spreads out clients that failed together.
  if (delay > 1) {
    delay = delay / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(delay / 2 + 1));
  }
  return delay;
}

bool WaitToRetry(const RetryLimits& limits, int64_t ms) {
  if (limits.cancel) return limits.cancel->SleepFor(ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return true;
}

}  // namespace medic
