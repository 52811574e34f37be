// medic serve: the HTTP front of the pager path (cpp-httplib). POST /hooks/alertmanager,
// /hooks/pagerduty and /hooks/generic authenticate, parse, and hand the alerts to the
// Intake, which commits them before the 202; RunWorkers then drive the runs. GET /healthz,
// /metrics (Prometheus text) and /incidents[/ID] (JSON) show what is going on. On start,
// runs a previous serve left queued, running or interrupted are resumed; on SIGTERM the
// server stops accepting, lets running steps finish (up to the drain timeout) and exits.
// Start with Server::Run.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "base/cancel.h"
#include "base/status.h"
#include "integrations/action.h"
#include "server/config.h"
#include "store/store.h"

namespace medic {

struct ServeOptions {
  std::string listen =
      "127.0.0.1:8080";   ///< HOST:PORT, [V6]:PORT or :PORT (all interfaces); port 0 picks one
  std::string work_root;  ///< runs' files go to WORK_ROOT/run-ID
};

/// Asks the running server to re-read its config (SIGHUP). Async-signal-safe.
void RequestServeReload();

/// Splits "HOST:PORT" ("[::1]:80", ":80" = 0.0.0.0). Fails with kInvalidArgument.
Status ParseListenAddress(const std::string& listen, std::string* host, int* port);

class Server {
 public:
  /// What `env` points to, `store` and `registry` must outlive the server.
  Server(const Env& env, ServeConfig config, Store& store, const Registry& registry,
         ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds the listen address. kInvalidArgument for a malformed address, kUnavailable when
  /// it cannot be bound (in use, no permission).
  Status Bind();
  /// "http://HOST:PORT" once bound.
  std::string url() const;

  /// Re-queues runs a previous serve left behind, then serves until `stop` is cancelled
  /// (SIGTERM/SIGINT route there), drains, and returns. `stop` is also every run's cancel
  /// token: once cancelled, runs stop at their next step boundary. Fails when the HTTP
  /// server stopped by itself.
  Status Run(CancelToken& stop);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medic
