// Ticker: calls a function at a fixed interval on its own thread while a blocking call runs,
// for progress notes ("core: 120 MiB written", kubectl's last rollout line).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace medic {

/// Calls `tick` every `interval_ms` (first after one interval) on its own thread until
/// destroyed; the destructor waits for a tick in progress. `tick` runs concurrently with
/// the owner, so what it touches must be thread-safe.
class Ticker {
 public:
  Ticker(int64_t interval_ms, std::function<void()> tick);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace medic
