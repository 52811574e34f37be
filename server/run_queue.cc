#include "server/run_queue.h"

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

std::optional<QueuedRun> RunQueue::Pop() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !runs_.empty(); });
  if (closed_) return std::nullopt;
  QueuedRun run = runs_.front();
  runs_.pop_front();
  return run;
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

}  // namespace medic
