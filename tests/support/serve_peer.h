// `medic serve` from the built binary, for end-to-end tests: started on a free loopback
// port with a config and a record, ready once /healthz answers; stopped (TERM, then KILL)
// on destruction. Kill9() and Restart() let a test crash it between a 202 and a run's end.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/support/postgres_peer.h"
#include "tests/support/test_support.h"

namespace medic::testing {

class ServePeer {
 public:
  ServePeer() = default;
  /// Stops the current process, and kills any earlier one (before a Restart) still alive.
  ~ServePeer();
  ServePeer(const ServePeer&) = delete;
  ServePeer& operator=(const ServePeer&) = delete;

  /// Starts `medic --db DB serve --listen 127.0.0.1:PORT --config CONFIG` (PORT: free, or
  /// the previous one on a restart) with stderr+stdout to LOG. Returns "" or why.
  std::string Start(const std::string& db, const std::string& config, const std::string& log,
                    const std::map<std::string, std::string>& env = {});
  /// Starts it again with the same arguments and port.
  std::string Restart();
  /// SIGKILL, and waits until it is gone.
  void Kill9();
  /// SIGTERM; waits up to timeout_ms for it to exit. Returns its exit code (128+signal
  /// when killed), or -1 when it did not exit in time.
  int Terminate(int timeout_ms);
  bool running() const { return process_.running(); }
  pid_t pid() const { return process_.pid(); }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadFile(log_); }

 private:
  std::string Launch();
  PeerProcess process_;
  std::string db_, config_, log_;
  std::map<std::string, std::string> env_;
  int port_ = 0;
  std::vector<pid_t> launched_;
};


}  // namespace medic::testing
