#include "tests/support/alertmanager_peer.h"

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace medic::testing {

std::string AlertmanagerPeer::Start(const std::string& data_dir, const std::string& config_yaml) {
  if (!std::filesystem::exists(kBinary))
    return std::string(kBinary) + " is missing: apt-get install prometheus-alertmanager";
  std::filesystem::create_directories(data_dir);
  std::string config = data_dir + "/alertmanager.yml";
  WriteFile(config, config_yaml);
  // A free port can be taken between FreePort() and Alertmanager's bind: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreePort();
    std::vector<std::string> argv = {kBinary,
                                     "--config.file=" + config,
                                     "--storage.path=" + data_dir + "/data",
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--cluster.listen-address=",
                                     "--log.level=debug"};
    if (!process_.Start(argv, data_dir + "/alertmanager.log"))
      return "cannot start " + std::string(kBinary);
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(0, 200'000);
    for (int i = 0; i < 200 && process_.running(); ++i) {
      auto res = client.Get("/-/ready");
      if (res && res->status == 200) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    process_.Stop();
  }
  return "Alertmanager did not become ready; see " + data_dir + "/alertmanager.log";
}

int AlertmanagerPeer::PostAlerts(const std::string& alerts_json) const {
  httplib::Client client("127.0.0.1", port_);
  auto res = client.Post("/api/v2/alerts", alerts_json, "application/json");
  return res ? res->status : -1;
}

}  // namespace medic::testing
