#include "tests/support/prom_peers.h"

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace medic::testing {

int HttpGet(int port, const std::string& path, std::string* body) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2);
  client.set_read_timeout(10);
  auto r = client.Get(path.c_str());
  if (!r) return 0;
  if (body) *body = r->body;
  return r->status;
}

std::string PromFamilyPeer::Launch(const std::string& binary, const std::string& package,
                                   const std::function<std::vector<std::string>(int)>& args,
                                   const std::string& log) {
  if (!std::filesystem::exists(binary)) return binary + " is missing: apt-get install " + package;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreePort();
    std::vector<std::string> argv = args(port_);
    argv.insert(argv.begin(), binary);
    if (!process_.Start(argv, log)) return "cannot start " + binary;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && process_.running()) {
      if (HttpGet(port_, "/-/ready") == 200) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    process_.Stop();
  }
  return binary + " did not become ready; see " + log;
}

std::string PrometheusPeer::Start(const std::string& dir, const std::vector<std::string>& targets) {
  std::filesystem::create_directories(dir);
  std::string config = dir + "/prometheus.yml";
  std::string list;
  for (const auto& t : targets) list += (list.empty() ? "'" : ", '") + t + "'";
  WriteFile(config,
            "global:\n"
            "  scrape_interval: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: targets\n"
            "    honor_labels: true\n"
            "    static_configs:\n"
            "      - targets: [" +
                list + "]\n");
  return Launch(
      "/usr/bin/prometheus", "prometheus",
      [&](int port) {
        return std::vector<std::string>{
            "--config.file=" + config, "--storage.tsdb.path=" + dir + "/tsdb",
            "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"};
      },
      dir + "/prometheus.log");
}

std::string PushgatewayPeer::Start(const std::string& dir) {
  std::filesystem::create_directories(dir);
  return Launch(
      "/usr/bin/prometheus-pushgateway", "prometheus-pushgateway",
      [](int port) {
        return std::vector<std::string>{"--web.listen-address=127.0.0.1:" + std::to_string(port),
                                        "--log.level=warn"};
      },
      dir + "/pushgateway.log");
}

}  // namespace medic::testing
