#include "tests/support/kube_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace medic::testing {
namespace {

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool IsDiscovery(const KubeRequest& r) {
  std::string path = r.value("path", "");
  return path == "/version" || path == "/api" || path == "/apis" ||
         path.rfind("/openapi", 0) == 0 ||
         r["headers"].value("user-agent", "").rfind("kubectl-dispatcher", 0) == 0;
}

}  // namespace

std::string KubePeer::Start(const std::string& dir, const nlohmann::json& seed) {
  std::string script = SourceDir() + "/tests/peers/kube-api/server.js";
  if (!HaveTool("node")) return "node is not on PATH (run tests/peers/kube-api/install.sh)";
  std::string seed_path = dir + "/seed.json";
  WriteFile(seed_path, seed.dump(2));
  port_ = -1;
  std::string log = dir + "/kube-api.log";
  WriteFile(log, "");
  if (!process_.Start({"node", script, "--port", "0", "--state", seed_path, "--record",
                       dir + "/requests.jsonl"},
                      log)) {
    return "cannot start node " + script;
  }
  const std::string marker = "listening on http://127.0.0.1:";
  for (int i = 0; i < 400 && port_ < 0; ++i) {
    std::string text = ReadFile(log);
    size_t at = text.find(marker);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      port_ = std::atoi(text.c_str() + at + marker.size());
      break;
    }
    if (!process_.running()) return "kube-api server exited: " + text;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (port_ <= 0) return "kube-api server did not print 'listening on'; see " + log;
  url_ = "http://127.0.0.1:" + std::to_string(port_);
  kubeconfig_ = dir + "/kubeconfig";
  WriteFile(
      kubeconfig_,
      "apiVersion: v1\nkind: Config\nclusters:\n- name: medic-test\n  cluster: {server: \"" + url_ +
          "\"}\ncontexts:\n- name: medic-test\n  context: {cluster: medic-test, user: medic, "
          "namespace: shop}\nusers:\n- name: medic\n  user: {}\ncurrent-context: medic-test\n");
  return "";
}

std::string KubePeer::Control(const std::string& method, const std::string& target,
                              const std::string& body) const {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  std::string resp;
  if (SendAll(fd, req)) {
    char buf[65536];
    for (;;) {
      pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, 10'000) <= 0) break;
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      resp.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  size_t head_end = resp.find("\r\n\r\n");
  if (head_end == std::string::npos) return "";
  std::string head = resp.substr(0, head_end);
  std::string payload = resp.substr(head_end + 4);
  if (head.find("Transfer-Encoding: chunked") == std::string::npos &&
      head.find("transfer-encoding: chunked") == std::string::npos)
    return payload;
  std::string out;
  size_t pos = 0;
  while (pos < payload.size()) {
    size_t eol = payload.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t n = std::stoul(payload.substr(pos, eol - pos), nullptr, 16);
    if (n == 0) break;
    out += payload.substr(eol + 2, n);
    pos = eol + 2 + n + 2;
  }
  return out;
}

std::vector<KubeRequest> KubePeer::AllRequests() const {
  std::string body = Control("GET", "/_medic/requests");
  std::vector<KubeRequest> out;
  try {
    for (auto& r : nlohmann::json::parse(body)) out.push_back(r);
  } catch (const std::exception&) {
  }
  return out;
}

std::vector<KubeRequest> KubePeer::ApiRequests() const {
  std::vector<KubeRequest> out;
  for (auto& r : AllRequests())
    if (!IsDiscovery(r)) out.push_back(r);
  return out;
}

void KubePeer::ResetRequests() const { Control("POST", "/_medic/reset"); }

nlohmann::json KubePeer::State() const {
  try {
    return nlohmann::json::parse(Control("GET", "/_medic/state"));
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::vector<std::string> KubePeer::Lines(const std::vector<KubeRequest>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.value("method", "") + " " + r.value("path", ""));
  return out;
}

nlohmann::json CheckoutPod(const std::string& name, int app_restarts, const std::string& image,
                           const std::string& node) {
  using nlohmann::json;
  json app = {{"name", "app"},
              {"ready", true},
              {"restartCount", app_restarts},
              {"image", image},
              {"state", {{"running", {{"startedAt", "2025-01-01T00:05:00Z"}}}}}};
  if (app_restarts > 0)
    app["lastState"] = {
        {"terminated",
         {{"exitCode", 2}, {"reason", "Error"}, {"finishedAt", "2025-01-01T00:04:59Z"}}}};
  json containers = {{{"name", "app"}, {"image", image}}};
  json statuses = {app};
  json spec = json::object();
  if (!node.empty()) {
    spec["nodeName"] = node;
    containers.push_back({{"name", "envoy"}, {"image", "envoyproxy/envoy:v1.31"}});
    statuses.push_back({{"name", "envoy"},
                        {"ready", true},
                        {"restartCount", 0},
                        {"image", "envoyproxy/envoy:v1.31"},
                        {"state", {{"running", {{"startedAt", "2025-01-01T00:00:00Z"}}}}}});
  }
  spec["containers"] = containers;
  return {
      {"metadata",
       {{"name", name},
        {"namespace", "shop"},
        {"labels", {{"app", "checkout"}, {"pod-template-hash", "7d9f8"}}}}},
      {"spec", spec},
      {"status", {{"phase", "Running"}, {"podIP", "10.1.0.11"}, {"containerStatuses", statuses}}}};
}

}  // namespace medic::testing
