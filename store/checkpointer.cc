#include "store/checkpointer.h"

#include <sqlite3.h>

#include <chrono>

namespace medic {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& path,
                                                                int64_t interval_ms) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "cannot allocate";
    sqlite3_close_v2(db);
    return Status::Io("cannot open " + path + " for checkpoints: " + msg);
  }
  sqlite3_busy_timeout(db, 1'000);
  std::unique_ptr<WalCheckpointer> c(new WalCheckpointer(db, interval_ms));
  c->thread_ = std::thread([p = c.get()] { p->Loop(); });
  return c;
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Checkpoint();
  sqlite3_close_v2(db_);
}

void WalCheckpointer::Checkpoint() {
  int wal_frames = 0, done = 0;
  // Busy (another checkpoint, or a reader still needs old frames) is fine: next time.
  (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &done);
}

void WalCheckpointer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [&] { return stop_; })) {
    lock.unlock();
    Checkpoint();
    lock.lock();
  }
}

}  // namespace medic
