// Wake-ups across processes that share a record: on PostgreSQL, LISTEN on a channel over its
// own connection, so that a `medic approve` (which NOTIFYs when its approval commits) wakes
// every serve at once instead of at its next poll. On SQLite, and whenever the connection is
// down, Wait just sleeps: the caller polls as it would without it. Start with
// RecordListener::Open.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

typedef struct pg_conn PGconn;

namespace medic {

/// The channel `medic approve` notifies when an approval is recorded.
inline constexpr const char* kApprovalsChannel = "medic_approvals";

class RecordListener {
 public:
  /// Listens on `channel` of the record `target` (a postgres:// URI; anything else gives a
  /// listener that only sleeps).
  static std::unique_ptr<RecordListener> Open(const std::string& target,
                                              const std::string& channel);
  ~RecordListener();
  RecordListener(const RecordListener&) = delete;
  RecordListener& operator=(const RecordListener&) = delete;

  /// Waits up to timeout_ms; true when a notification arrived (all pending ones consumed).
  bool Wait(int64_t timeout_ms);
  /// Whether notifications can arrive (PostgreSQL, connected).
  bool live() const;

 private:
  RecordListener(std::string target, std::string channel)
      : target_(std::move(target)), channel_(std::move(channel)) {}
  void Connect();

  std::string target_;
  std::string channel_;
  PGconn* pg_ = nullptr;
  std::chrono::steady_clock::time_point next_connect_{};  // while down: not before then
};

}  // namespace medic
