// Background WAL checkpoints for a long-lived writer (medic serve). SQLite runs a
// checkpoint inside whichever commit pushes the WAL past wal_autocheckpoint, and a
// checkpoint fsyncs: on the pager path that put tens of milliseconds into about one request
// in a hundred. WalCheckpointer checkpoints from its own connection and thread instead,
// PASSIVE (writers never wait for it), every interval. Pair it with
// Store::DisableAutoCheckpoint on the writer's connection. Start with WalCheckpointer::Start.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"

struct sqlite3;

namespace medic {

class WalCheckpointer {
 public:
  /// Opens a second connection to the database at `path` and starts checkpointing every
  /// `interval_ms`. Fails with kIo when the database cannot be opened.
  static Result<std::unique_ptr<WalCheckpointer>> Start(const std::string& path,
                                                        int64_t interval_ms = 1'000);
  /// Stops the thread, checkpoints once more, and closes the connection.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  WalCheckpointer(sqlite3* db, int64_t interval_ms) : db_(db), interval_ms_(interval_ms) {}
  void Loop();
  void Checkpoint();

  sqlite3* db_;
  int64_t interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace medic
