#include "server/run_queue.h"

#include <algorithm>

namespace medic {

bool RunQueue::Reserve(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || runs_.size() + reserved_ + n > capacity_) return false;
  reserved_ += n;
  return true;
}

void RunQueue::Release(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  reserved_ -= n < reserved_ ? n : reserved_;
}

void RunQueue::PushReserved(const QueuedRun& run) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reserved_ > 0) --reserved_;
    if (closed_) return;
    runs_.push_back(run);
  }
  cv_.notify_one();
}

void RunQueue::Push(const QueuedRun& run) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    runs_.push_back(run);
  }
  cv_.notify_one();
}

bool RunQueue::Admits(const QueuedRun& run) const {
  if (!run.gate.dedup_key.empty() && running_keys_.count(run.gate.dedup_key)) return false;
  if (run.gate.route_limit > 0) {
    auto it = running_routes_.find(run.gate.route);
    if (it != running_routes_.end() && it->second >= run.gate.route_limit) return false;
  }
  return true;
}

std::optional<QueuedRun> RunQueue::Pop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto next = runs_.end();
  cv_.wait(lock, [&] {
    next = std::find_if(runs_.begin(), runs_.end(), [&](const QueuedRun& r) { return Admits(r); });
    return closed_ || next != runs_.end();
  });
  if (closed_) return std::nullopt;
  QueuedRun run = *next;
  runs_.erase(next);
  if (!run.gate.route.empty()) ++running_routes_[run.gate.route];
  if (!run.gate.dedup_key.empty()) running_keys_.insert(run.gate.dedup_key);
  return run;
}

void RunQueue::Finish(const QueuedRun& run) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!run.gate.route.empty()) {
      auto it = running_routes_.find(run.gate.route);
      if (it != running_routes_.end() && --it->second <= 0) running_routes_.erase(it);
    }
    if (!run.gate.dedup_key.empty()) {
      auto it = running_keys_.find(run.gate.dedup_key);
      if (it != running_keys_.end()) running_keys_.erase(it);
    }
  }
  cv_.notify_all();
}

void RunQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t RunQueue::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_.size() + reserved_;
}

size_t RunQueue::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(
      std::count_if(runs_.begin(), runs_.end(), [&](const QueuedRun& r) { return !Admits(r); }));
}

}  // namespace medic
