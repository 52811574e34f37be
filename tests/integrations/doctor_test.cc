// `medic doctor --playbook` against the real peers a playbook will call: Prometheus, the
// Pushgateway, Alertmanager, s3rver and the kube-api peer through the real kubectl, first all
// healthy (exit 0), then broken one at a time, each failure named on its own line (exit 1).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "integrations/action.h"
#include "playbooks/playbook.h"
#include "tests/support/alertmanager_peer.h"
#include "tests/support/kube_peer.h"
#include "tests/support/prom_peers.h"
#include "tests/support/s3_peer.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::ScopedTempDir;

// Every step kind doctor probes, with the peers' URLs as params.
const char* kPlaybook = R"YAML(name: checks
params:
  prom: {required: true}
  push: {required: true}
  am: {required: true}
  bucket: {required: true}
  s3: {required: true}
  hook: {default: "http://localhost:9/hook"}
stages:
  - name: contain
    steps:
      - {id: p99, action: prometheus.check, with: {url: "{{ params.prom }}", query: "vector(1)"}}
      - {id: marker, action: pushgateway.push, with: {url: "{{ params.push }}"}}
      - {id: silence, action: alertmanager.silence, with: {url: "{{ params.am }}", matchers: {service: x}}}
      - {id: upload, action: s3.upload, with: {file: /tmp/x, bucket: "{{ params.bucket }}", endpoint: "{{ params.s3 }}"}}
      - {id: logs, action: kubectl.logs, with: {pod: checkout-1, namespace: shop}}
      - {id: restart, action: kubectl.delete_pod, with: {pod: checkout-1, namespace: shop}}
      - {id: hook, action: webhook.post, with: {url: "{{ params.hook }}", json: {}}}
)YAML";

class Doctor : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir();
    prom_ = new testing::PrometheusPeer();
    push_ = new testing::PushgatewayPeer();
    am_ = new testing::AlertmanagerPeer();
    s3_ = new testing::S3rverPeer();
    for (const std::string& err :
         {prom_->Start(dir_->Join("prom"), {}), push_->Start(dir_->Join("push")),
          am_->Start(dir_->Join("am"), "route: {receiver: drop}\nreceivers: [{name: drop}]\n"),
          s3_->Start(dir_->Join("s3"), {"evidence"})})
      if (!err.empty() && skip_.empty()) skip_ = err;
  }
  static void TearDownTestSuite() {
    delete prom_;
    delete push_;
    delete am_;
    delete s3_;
    delete dir_;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    std::string kube_dir = dir_->Join("kube-" + std::to_string(++kube_n_));
    std::filesystem::create_directories(kube_dir);
    std::string err = kube_.Start(kube_dir, Seed({}));
    if (!err.empty()) GTEST_SKIP() << err;
    testing::WriteFile(here_.Join("pb.yaml"), kPlaybook);
  }

  static json Seed(const std::vector<std::string>& deny) {
    return {{"namespaces", json::array({{{"metadata", {{"name", "shop"}}}}})},
            {"pods", json::array({testing::CheckoutPod("checkout-1", 0)})},
            {"deny", deny}};
  }

  CommandResult RunDoctor(const std::string& bucket = "evidence",
                          const std::map<std::string, std::string>& extra_env = {}) {
    std::map<std::string, std::string> env = {{"MEDIC_DB", here_.Join("medic.db")},
                                              {"KUBECONFIG", kube_.kubeconfig()},
                                              {"HOME", here_.path()},
                                              {"NO_COLOR", "1"},
                                              {"AWS_ACCESS_KEY_ID", "S3RVER"},
                                              {"AWS_SECRET_ACCESS_KEY", "S3RVER"}};
    for (const auto& [k, v] : extra_env) env[k] = v;
    return testing::RunCommand(
        {testing::MedicBinary(), "doctor", "--playbook", here_.Join("pb.yaml"), "--var",
         "prom=" + prom_->url(), "--var", "push=" + push_->url(), "--var",
         "am=http://127.0.0.1:" + std::to_string(am_->port()), "--var", "bucket=" + bucket, "--var",
         "s3=" + s3_->endpoint()},
        "", env, 120'000);
  }

  static ScopedTempDir* dir_;
  static testing::PrometheusPeer* prom_;
  static testing::PushgatewayPeer* push_;
  static testing::AlertmanagerPeer* am_;
  static testing::S3rverPeer* s3_;
  static std::string skip_;
  static int kube_n_;
  ScopedTempDir here_;
  testing::KubePeer kube_;
};

ScopedTempDir* Doctor::dir_ = nullptr;
testing::PrometheusPeer* Doctor::prom_ = nullptr;
testing::PushgatewayPeer* Doctor::push_ = nullptr;
testing::AlertmanagerPeer* Doctor::am_ = nullptr;
testing::S3rverPeer* Doctor::s3_ = nullptr;
std::string Doctor::skip_;
int Doctor::kube_n_ = 0;

bool HasLine(const std::string& out, const std::string& level, const std::string& text) {
  size_t at = 0;
  while (at < out.size()) {
    size_t end = out.find('\n', at);
    std::string line = out.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.rfind(level, 0) == 0 && line.find(text) != std::string::npos) return true;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return false;
}

TEST_F(Doctor, EverythingHealthyIsOkAndExitsZero) {
  auto r = RunDoctor();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* what :
       {"step 'p99': Prometheus", "step 'marker': Pushgateway", "step 'silence': Alertmanager",
        "S3 bucket evidence reachable", "kubernetes: API server",
        "kubernetes: get pods/log in shop", "kubernetes: delete pods in shop",
        "step 'hook' (webhook.post): host localhost resolves", "record:"})
    EXPECT_TRUE(HasLine(r.out, "ok", what)) << what << "\n" << r.out;
  EXPECT_EQ(r.out.find("S3RVER"), std::string::npos) << "no key is printed";
  auto j = testing::RunCommand({testing::MedicBinary(), "doctor", "--json"}, "",
                               {{"MEDIC_DB", here_.Join("medic.db")}});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out)[0].value("level", ""), "ok") << j.out;
}

TEST_F(Doctor, APeerDownIsAFailNamingTheStepAndTheUrl) {
  push_->Stop();
  auto r = RunDoctor();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(HasLine(r.out, "fail", "step 'marker': Pushgateway " + push_->url())) << r.out;
  EXPECT_TRUE(HasLine(r.out, "ok", "step 'p99': Prometheus")) << "only the broken one fails\n"
                                                              << r.out;
  ASSERT_EQ(push_->Start(dir_->Join("push2")), "");
}

TEST_F(Doctor, AVerbTheClusterRefusesIsAFailWithWhatToGrant) {
  kube_.Stop();
  std::filesystem::create_directories(dir_->Join("kube-deny"));
  ASSERT_EQ(kube_.Start(dir_->Join("kube-deny"), Seed({"delete pods"})), "");
  auto r = RunDoctor();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(HasLine(r.out, "fail",
                      "kubernetes: delete pods in shop (step 'restart', kubectl.delete_pod): not "
                      "allowed"))
      << r.out;
  EXPECT_TRUE(HasLine(r.out, "ok", "kubernetes: get pods/log in shop")) << r.out;
  kube_.Stop();
  auto down = RunDoctor();
  EXPECT_TRUE(HasLine(down.out, "fail", "kubernetes: the API server does not answer")) << down.out;
}

TEST_F(Doctor, AWebhookHostThatDoesNotResolveIsAFail) {
  std::string pb = testing::ReadFile(here_.Join("pb.yaml"));
  pb.replace(pb.find("http://localhost:9/hook"), 23, "http://no-such-host.invalid/hook");
  testing::WriteFile(here_.Join("pb.yaml"), pb);
  auto r = RunDoctor();
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(HasLine(r.out, "fail", "host no-such-host.invalid does not resolve")) << r.out;
}

TEST_F(Doctor, AMissingBucketOrMissingCredentialsIsAFail) {
  auto r = RunDoctor("no-such-bucket");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(HasLine(r.out, "fail", "S3 bucket no-such-bucket")) << r.out;
  EXPECT_NE(r.out.find("create the bucket"), std::string::npos) << r.out;
  auto keyless = RunDoctor("evidence", {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
  EXPECT_EQ(keyless.exit_code, 1) << keyless.out;
  EXPECT_TRUE(HasLine(keyless.out, "fail", "step 'upload': S3:")) << keyless.out;
}

// deploy/kubernetes applied with the real kubectl (the kube-api peer serves no OpenAPI
// schema, so kubectl's schema validation is off; kubectl still maps and sends every object).
TEST_F(Doctor, TheKubernetesManifestsApplyWithTheRealKubectl) {
  std::string dir = testing::SourceDir() + "/deploy/kubernetes/";
  auto r =
      testing::RunCommand({"kubectl", "apply", "--validate=false", "-f", dir + "medic-serve.yaml",
                           "-f", dir + "rbac.yaml"},
                          "", {{"KUBECONFIG", kube_.kubeconfig()}, {"HOME", here_.path()}}, 60'000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* created :
       {"namespace/medic created", "persistentvolumeclaim/medic-record created",
        "deployment.apps/medic-serve created", "service/medic-serve created",
        "serviceaccount/medic created", "role.rbac.authorization.k8s.io/medic-responder created",
        "rolebinding.rbac.authorization.k8s.io/medic-responder created"})
    EXPECT_NE(r.out.find(created), std::string::npos) << created << "\n" << r.out;
  // The several-replicas variant replaces the Deployment: same name, no volume claim.
  auto replicas = testing::RunCommand(
      {"kubectl", "apply", "--validate=false", "-f", dir + "medic-serve-replicas.yaml"}, "",
      {{"KUBECONFIG", kube_.kubeconfig()}, {"HOME", here_.path()}}, 60'000);
  ASSERT_EQ(replicas.exit_code, 0) << replicas.out << replicas.err;
  EXPECT_NE(replicas.out.find("deployment.apps/medic-serve configured"), std::string::npos)
      << replicas.out;
  auto got = testing::RunCommand(
      {"kubectl", "-n", "medic", "get", "deployment", "medic-serve", "-o",
       "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name}"},
      "", {{"KUBECONFIG", kube_.kubeconfig()}, {"HOME", here_.path()}}, 60'000);
  EXPECT_EQ(got.out, "3 medic-record") << got.err;
}

TEST(DoctorConfig, AServeConfigThatDoesNotLoadIsAFailWithItsErrors) {
  ScopedTempDir dir;
  testing::WriteFile(dir.Join("serve.yaml"), "routes:\n  - name: x\n    playbook: nope.yaml\n");
  auto r =
      testing::RunCommand({testing::MedicBinary(), "doctor", "--config", dir.Join("serve.yaml")},
                          "", {{"MEDIC_DB", dir.Join("medic.db")}, {"NO_COLOR", "1"}});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(HasLine(r.out, "fail", "serve config " + dir.Join("serve.yaml"))) << r.out;
  EXPECT_NE(r.out.find("nope.yaml"), std::string::npos) << r.out;
}

// deploy/kubernetes/rbac.yaml grants exactly what the shipped Kubernetes playbook's steps
// need, derived from the actions they use: nothing missing, nothing more.
TEST(KubeAccess, TheShippedRoleGrantsExactlyWhatTheK8sPlaybookNeeds) {
  Registry registry;
  RegisterBuiltinActions(registry);
  auto pb = LoadPlaybook(testing::SourceDir() + "/playbooks/library/golden-three-minutes-k8s.yaml",
                         registry);
  ASSERT_TRUE(pb.ok()) << pb.status().message();
  std::map<std::string, std::set<std::string>> needed;  // "group/resource" -> verbs
  for (const StepDef* step : pb->Steps()) {
    for (const std::string& access : registry.Find(step->action)->info().kube_access) {
      std::string verb = access.substr(0, access.find(' '));
      std::string resource = access.substr(access.find(' ') + 1);
      std::string base = resource.substr(0, resource.find('/'));
      std::string group = base == "deployments" || base == "replicasets" ? "apps" : "";
      needed[group + "|" + resource].insert(verb);
    }
  }
  std::map<std::string, std::set<std::string>> granted;
  for (const YAML::Node& doc :
       YAML::LoadAllFromFile(testing::SourceDir() + "/deploy/kubernetes/rbac.yaml")) {
    if (doc["kind"].as<std::string>() != "Role") continue;
    for (const YAML::Node& rule : doc["rules"])
      for (const YAML::Node& group : rule["apiGroups"])
        for (const YAML::Node& resource : rule["resources"])
          for (const YAML::Node& verb : rule["verbs"])
            granted[group.as<std::string>() + "|" + resource.as<std::string>()].insert(
                verb.as<std::string>());
  }
  EXPECT_EQ(granted, needed);
}

// Each kubectl action says what API access it needs: doctor asks about it, and the RBAC
// Role in deploy/kubernetes grants it.
TEST(KubeAccess, EveryKubectlActionDeclaresTheAccessItNeeds) {
  Registry registry;
  RegisterBuiltinActions(registry);
  for (const auto& name : registry.Names()) {
    if (name.rfind("kubectl.", 0) != 0) continue;
    EXPECT_FALSE(registry.Find(name)->info().kube_access.empty()) << name;
  }
}

}  // namespace
}  // namespace medic
