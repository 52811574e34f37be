// Cancellation shared by a run and its steps. Ctrl-C and SIGTERM cancel the run's token;
// blocking waits (processes, HTTP, sleeps, backoff) wake on it. The token owns an eventfd
// so poll() loops can wait on it along with their own descriptors.
#pragma once

#include <atomic>
#include <cstdint>

namespace medic {

/// A one-way flag: once cancelled, stays cancelled. Thread-safe; Cancel() is also
/// async-signal-safe, so a signal handler may call it.
class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void Cancel();
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  /// A descriptor that becomes readable once cancelled; for poll(). Never read it.
  int fd() const { return fd_; }

  /// Sleeps up to `ms` or until cancelled. Returns false when cancelled.
  bool SleepFor(int64_t ms) const;

 private:
  std::atomic<bool> cancelled_{false};
  int fd_ = -1;
};

/// Routes SIGINT and SIGTERM to `token` for the life of this object (restores the previous
/// handlers on destruction). One at a time per process.
class ScopedSignalCancel {
 public:
  explicit ScopedSignalCancel(CancelToken* token);
  ~ScopedSignalCancel();
  ScopedSignalCancel(const ScopedSignalCancel&) = delete;
  ScopedSignalCancel& operator=(const ScopedSignalCancel&) = delete;

  /// The signal that cancelled the token (SIGINT, SIGTERM), or 0.
  static int received_signal();
};

}  // namespace medic
