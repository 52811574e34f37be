#include "base/cancel.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

namespace medic {
namespace {
std::atomic<CancelToken*> g_signal_token{nullptr};
volatile sig_atomic_t g_received_signal = 0;
struct sigaction g_old_int, g_old_term;

void OnSignal(int sig) {
  g_received_signal = sig;
  if (CancelToken* t = g_signal_token.load()) t->Cancel();
}
}  // namespace

CancelToken::CancelToken() { fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

CancelToken::~CancelToken() {
  if (fd_ >= 0) close(fd_);
}

void CancelToken::Cancel() {
  if (cancelled_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  ssize_t n = write(fd_, &one, sizeof one);
  (void)n;
}

bool CancelToken::SleepFor(int64_t ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    if (cancelled()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return true;
    struct pollfd p = {fd_, POLLIN, 0};
    poll(&p, 1, static_cast<int>(left > 60'000 ? 60'000 : left));
  }
}

ScopedSignalCancel::ScopedSignalCancel(CancelToken* token) {
  g_signal_token.store(token);
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

ScopedSignalCancel::~ScopedSignalCancel() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_signal_token.store(nullptr);
}

int ScopedSignalCancel::received_signal() { return g_received_signal; }

}  // namespace medic
