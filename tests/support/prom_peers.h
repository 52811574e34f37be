// Real Prometheus-family peers for tests: Prometheus and the Pushgateway from Debian's
// packages, each started on a free loopback port with its state in a test directory, ready
// (GET /-/ready answers 200) before Start returns, and stopped on destruction.
// Alertmanager's launcher is alertmanager_peer.h. Start with PrometheusPeer::Start.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace medic::testing {

/// What the peers have in common: a process on a free port with a readiness URL.
class PromFamilyPeer {
 public:
  virtual ~PromFamilyPeer() = default;
  void Stop() { process_.Stop(); }
  int port() const { return port_; }
  /// "http://127.0.0.1:<port>".
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return process_.running(); }

 protected:
  /// Starts `binary` with `args(port)`, logging to `log`, until /-/ready answers 200.
  /// Tries a few ports (another process may take a free port first). Returns "" or why not.
  std::string Launch(const std::string& binary, const std::string& package,
                     const std::function<std::vector<std::string>(int)>& args,
                     const std::string& log);

  PeerProcess process_;
  int port_ = -1;
};

/// /usr/bin/prometheus with scrape and evaluation intervals of 1s.
class PrometheusPeer : public PromFamilyPeer {
 public:
  /// Starts Prometheus scraping `targets` ("127.0.0.1:PORT", with honor_labels) under job
  /// "targets", storing its TSDB under `dir`. Returns "" when ready, else what went wrong.
  std::string Start(const std::string& dir, const std::vector<std::string>& targets);
};

/// /usr/bin/prometheus-pushgateway (no persistence).
class PushgatewayPeer : public PromFamilyPeer {
 public:
  std::string Start(const std::string& dir);
};

/// GETs http://127.0.0.1:port + path; returns the status (0 when there was no answer)
/// and stores the body in *body when given.
int HttpGet(int port, const std::string& path, std::string* body = nullptr);

}  // namespace medic::testing
