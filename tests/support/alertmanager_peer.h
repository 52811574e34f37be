// A real Alertmanager (Debian's prometheus-alertmanager) for tests: started on a free
// loopback port with a given config, clustering off, its data in a temp dir; stopped on
// destruction. Alerts are posted to it through its v2 API, as Prometheus would.
#pragma once

#include <string>

#include "tests/support/test_support.h"

namespace medic::testing {

class AlertmanagerPeer {
 public:
  static constexpr const char* kBinary = "/usr/bin/prometheus-alertmanager";

  /// Writes `config_yaml` to DATA_DIR/alertmanager.yml and starts Alertmanager; waits until
  /// /-/ready answers. Returns "" on success, else why (the log is DATA_DIR/alertmanager.log).
  std::string Start(const std::string& data_dir, const std::string& config_yaml);
  void Stop() { process_.Stop(); }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& log_path() const { return process_.log_path(); }

  /// POST /api/v2/alerts with `alerts_json` (a JSON array of {labels, annotations,
  /// startsAt, endsAt}). Returns the HTTP status, or -1 when Alertmanager cannot be reached.
  int PostAlerts(const std::string& alerts_json) const;

 private:
  PeerProcess process_;
  int port_ = 0;
};

}  // namespace medic::testing
