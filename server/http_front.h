// medic serve's HTTP front: its own accept loop in front of cpp-httplib's request handling.
// httplib gives each connection a thread from first byte to last, so 16 idle connections
// stopped serve entirely. Here one epoll thread holds every connection while it is idle or
// still sending its request head (cheap: a few KiB each), closes it when the head is not
// complete within header_timeout or when a peer or the server holds too many, and hands a
// connection to a worker thread only once a whole head has arrived. Start with HttpFront.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"

namespace medic {

struct HttpFrontLimits {
  size_t threads = 16;                    ///< requests handled at once
  size_t max_connections = 4096;          ///< open connections; beyond, the oldest idle is closed
  size_t max_connections_per_peer = 256;  ///< the same, per client address
  int64_t header_timeout_ms = 10'000;     ///< a whole request head must arrive within this
  int64_t request_timeout_ms = 30'000;    ///< reading one request's body, all of it
  size_t max_head_bytes = 16 * 1024;      ///< request line + headers; beyond, 431
};

/// An httplib::Server whose connections are accepted and held by HttpFront's own loop; the
/// routes, handlers and error handlers are httplib's. Bind, then Serve() on one thread;
/// Shutdown() from any thread makes Serve() return after in-flight requests finish.
class HttpFront : public httplib::Server {
 public:
  HttpFront();
  ~HttpFront() override;

  /// Listens on host:port (port 0: any free port). Returns the port, or kUnavailable.
  Result<int> Bind(const std::string& host, int port, int backlog);

  /// Runs the accept loop until Shutdown(). Fails when the loop cannot start.
  Status Serve(const HttpFrontLimits& limits);

  /// Stops accepting, closes idle connections and lets in-flight requests finish.
  void Shutdown();

  /// From a handler: the connection is closed after this response instead of kept alive
  /// (for a request whose body was refused unread).
  static void CloseAfterResponse();

  /// Connections open right now (idle, reading their head, or being served).
  size_t open_connections() const { return open_.load(); }

 private:
  struct Conn;
  class ConnStream;
  void Process(Conn* conn);

  HttpFrontLimits limits_;
  std::mutex mu_;
  std::vector<Conn*> returned_;  // guarded by mu_: served connections going back to idle
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_{0};
};

}  // namespace medic
