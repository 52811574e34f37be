// The local Kubernetes API server for tests (tests/peers/kube-api/server.js): KubePeer
// starts it on a free port with a seed state, writes a kubeconfig pointing at it, reads the
// requests it recorded, and stops it on destruction. The real kubectl talks to it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace medic::testing {

/// One recorded request, as the peer logs it (see tests/peers/kube-api/README.md).
using KubeRequest = nlohmann::json;

class KubePeer {
 public:
  KubePeer() = default;
  ~KubePeer() { Stop(); }
  KubePeer(const KubePeer&) = delete;
  KubePeer& operator=(const KubePeer&) = delete;

  /// Writes `seed` to DIR/seed.json, starts the server and DIR/kubeconfig (context
  /// "medic-test", namespace "shop"). Files the seed names (stdoutFile, bodyFile) are
  /// relative to DIR. Returns "" once it listens, else what went wrong (e.g. run
  /// tests/peers/kube-api/install.sh).
  std::string Start(const std::string& dir, const nlohmann::json& seed);
  /// Stops the server (TERM, then KILL); safe to call twice.
  void Stop() { process_.Stop(); }

  /// "http://127.0.0.1:PORT".
  const std::string& url() const { return url_; }
  const std::string& kubeconfig() const { return kubeconfig_; }

  /// Recorded requests in arrival order, without the gcloud kubectl dispatcher's
  /// `GET /version` and the discovery requests (`/api`, `/apis`, `/version`, `/openapi/...`).
  std::vector<KubeRequest> ApiRequests() const;
  /// Every recorded request.
  std::vector<KubeRequest> AllRequests() const;
  /// Forgets the recorded requests.
  void ResetRequests() const;
  /// The server's current objects ({"pods": [...], "deployments": [...], ...}).
  nlohmann::json State() const;

  /// "METHOD PATH" of each request, e.g. "PATCH /api/v1/namespaces/shop/pods/x".
  static std::vector<std::string> Lines(const std::vector<KubeRequest>& requests);

 private:
  /// Sends one request to the server's control endpoints; returns the body ("" on failure).
  std::string Control(const std::string& method, const std::string& target,
                      const std::string& body = "") const;

  PeerProcess process_;
  int port_ = -1;
  std::string url_;
  std::string kubeconfig_;
};

/// A pod of the "checkout" deployment in namespace "shop" (labels app=checkout): container
/// "app" running `image`, restarted `app_restarts` times (last exit code 2). With `node`, it
/// is scheduled there and has an "envoy" sidecar, as behind a service mesh.
nlohmann::json CheckoutPod(const std::string& name, int app_restarts,
                           const std::string& image = "registry.local/checkout:v1.4.2",
                           const std::string& node = "");

}  // namespace medic::testing
