#include "base/ticker.h"

#include <chrono>
#include <utility>

namespace medic {

Ticker::Ticker(int64_t interval_ms, std::function<void()> tick)
    : thread_([this, interval_ms, tick = std::move(tick)] {
        std::unique_lock<std::mutex> lock(mu_);
        while (
            !cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; })) {
          // Unlocked, so a slow tick never delays the destructor's stop request.
          lock.unlock();
          tick();
          lock.lock();
        }
      }) {}

Ticker::~Ticker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace medic
