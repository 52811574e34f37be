#include "store/listener.h"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <thread>

#include "store/store.h"

namespace medic {

std::unique_ptr<RecordListener> RecordListener::Open(const std::string& target,
                                                     const std::string& channel) {
  std::unique_ptr<RecordListener> l(new RecordListener(target, channel));
  if (Store::IsPostgresTarget(target)) l->Connect();
  return l;
}

RecordListener::~RecordListener() {
  if (pg_) PQfinish(pg_);
}

bool RecordListener::live() const { return pg_ && PQstatus(pg_) == CONNECTION_OK; }

void RecordListener::Connect() {
  // A record that is down is tried again every few seconds, not on every wait.
  auto now = std::chrono::steady_clock::now();
  if (now < next_connect_) return;
  next_connect_ = now + std::chrono::seconds(5);
  if (pg_) PQfinish(pg_);
  pg_ = PQconnectdb(target_.c_str());
  if (PQstatus(pg_) == CONNECTION_OK) {
    PGresult* res = PQexec(pg_, ("LISTEN " + channel_).c_str());
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (ok) return;
  }
  PQfinish(pg_);
  pg_ = nullptr;
}

bool RecordListener::Wait(int64_t timeout_ms) {
  if (!live()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    if (Store::IsPostgresTarget(target_)) Connect();  // try again for the next wait
    return false;
  }
  pollfd p{PQsocket(pg_), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout_ms)) <= 0) return false;
  if (!PQconsumeInput(pg_)) {
    PQfinish(pg_);
    pg_ = nullptr;
    return false;
  }
  bool any = false;
  while (PGnotify* n = PQnotifies(pg_)) {
    any = true;
    PQfreemem(n);
  }
  return any;
}

}  // namespace medic
