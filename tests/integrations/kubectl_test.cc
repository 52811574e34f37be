// kubectl.* actions driven through the runner, with the real kubectl talking to the local
// Kubernetes API server (tests/peers/kube-api). Each test asserts on the exact requests
// kubectl sent (method, path, key query parameters, patch bodies and content types), as
// recorded by the server, plus what landed in medic's record.
#include "integrations/kubectl.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "base/strings.h"
#include "env/http_client.h"
#include "env/process_runner.h"
#include "integrations/kube_names.h"
#include "integrations/sha256.h"
#include "playbooks/runner.h"
#include "tests/support/kube_peer.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::CheckoutPod;
using testing::KubePeer;
using testing::KubeRequest;
using testing::ScopedTempDir;

const std::string kPods = "/api/v1/namespaces/shop/pods";
const std::string kDeps = "/apis/apps/v1/namespaces/shop/deployments";
const std::string kCrashed = "checkout-7d9f8-abcde";  // app restarted 3 times
const std::string kHealthy = "checkout-7d9f8-fghij";
const std::string kDebugImage = "registry.local/medic/gdb:test";
const std::string kImage = "registry.local/checkout:v1.4.2";

std::string FakeCore() {
  std::mt19937_64 rng(7);
  std::string core =
      "\x7f"
      "ELF";
  core.resize(3 << 20);
  for (size_t i = 4; i < core.size(); ++i) core[i] = static_cast<char>(rng());
  return core;
}

json Deployment(const std::string& name, const std::string& image) {
  json containers = {{{"name", "app"}, {"image", image}}};
  if (name == "checkout")
    containers.push_back({{"name", "envoy"}, {"image", "envoyproxy/envoy:v1.31"}});
  return {
      {"metadata", {{"name", name}, {"namespace", "shop"}, {"labels", {{"app", name}}}}},
      {"spec",
       {{"replicas", 2},
        {"selector", {{"matchLabels", {{"app", name}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", name}}}}}, {"spec", {{"containers", containers}}}}}}}};
}

json Seed() {
  return {
      {"serverVersion", "v1.32.0"},
      {"rolloutDelayMs", 200},
      {"ephemeralStartAfterReads", 2},
      {"deployments",
       {Deployment("checkout", "registry.local/checkout:v1.4.2"), Deployment("stuck", "stuck:v1")}},
      {"replicasets",
       {{{"metadata",
          {{"name", "checkout-5f6d7c8b9"},
           {"namespace", "shop"},
           {"annotations", {{"deployment.kubernetes.io/revision", "1"}}}}},
         {"spec",
          {{"replicas", 0},
           {"template",
            {{"metadata", {{"labels", {{"app", "checkout"}}}}},
             {"spec",
              {{"containers",
                {{{"name", "app"}, {"image", "registry.local/checkout:v1.4.1"}},
                 {{"name", "envoy"}, {"image", "envoyproxy/envoy:v1.31"}}}}}}}}}}}}},
      {"pods",
       {CheckoutPod(kCrashed, 3, kImage, "node-a"),
        CheckoutPod(kHealthy, 0, kImage, "node-b"),
        {{"metadata", {{"name", "other-1"}, {"namespace", "shop"}, {"labels", {{"app", "other"}}}}},
         {"spec", {{"containers", {{{"name", "app"}, {"image", "other:v1"}}}}}},
         {"status", {{"phase", "Pending"}}}}}},
      {"logs",
       {{"shop/" + kCrashed + "/app",
         {{"current", "starting checkout v1.4.2\nlistening on :8080\n"},
          {"previous",
           "starting checkout v1.4.2\npanic: runtime error: invalid memory address or nil pointer "
           "dereference\n"
           "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b1c]\n\n"
           "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:42 +0x1c\n"}}},
        {"shop/" + kHealthy + "/app", "starting checkout v1.4.2\nlistening on :8080\n"}}},
      {"proxy",
       {{"shop/" + kCrashed + ":6060",
         {{"/debug/pprof/goroutine?debug=2",
           "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:42 +0x1c\n\n"
           "goroutine 7 [chan receive, 12 minutes]:\nmain.worker()\n\t/src/worker.go:17 +0x55\n"},
          {"/debug/pprof/heap",
           {{"bodyBase64", "H4sIAGhlYXAgcHJvZmlsZQ=="},
            {"contentType", "application/octet-stream"}}}}},
        {"shop/" + kHealthy + ":6060",
         {{"/debug/pprof/goroutine?debug=2",
           {{"status", 200}, {"body", "<html>not pprof</html>"}}}}}}},
      {"exec",
       {{{"pod", "checkout-7d9f8-*"},
         {"container", "envoy"},
         {"command",
          {"curl", "-sS", "--fail", "-X", "POST", "http://localhost:9901/healthcheck/fail"}},
         {"stdout", "OK\n"}},
        {{"image", kDebugImage}, {"command", {"pidof", "-s", "checkout"}}, {"stdout", "7\n"}},
        {{"image", kDebugImage},
         {"commandPrefix", {"gcore", "-o", "/tmp/medic-core"}},
         {"commandRegex", " (1|7)$"},
         {"stdout", "Saved corefile /tmp/medic-core.1\n"}},
        {{"image", kDebugImage},
         {"commandPrefix", {"cat"}},
         {"commandRegex", "^cat /tmp/medic-core\\.(1|7)$"},
         {"stdoutFile", "core.bin"}},
        {{"image", kDebugImage}, {"commandPrefix", {"rm", "-f"}}},
        {{"image", "registry.local/medic/no-gdb:test"},
         {"commandPrefix", {"gcore"}},
         {"error",
          "error executing command in container: failed to exec in container: OCI runtime exec "
          "failed: "
          "exec failed: unable to start container process: exec: \"gcore\": executable file not "
          "found in $PATH: unknown"}},
        {{"image", "registry.local/medic/no-gdb:test"}, {"commandPrefix", {"rm"}}}}},
      {"rollouts", {{"shop/stuck", {{"mode", "stuck"}}}}},
  };
}

bool HasQuery(const KubeRequest& r, const std::string& key, const json& value) {
  return r.contains("query") && r["query"].contains(key) && r["query"][key] == value;
}

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // kubectl caches discovery under $HOME/.kube: keep it inside the test's directory.
    std::filesystem::create_directories(dir_.Join("home"));
    setenv("HOME", dir_.Join("home").c_str(), 1);
    testing::WriteFile(dir_.Join("core.bin"), FakeCore());
    std::string err = peer_.Start(dir_.path(), Seed());
    ASSERT_EQ(err, "") << err;
    setenv("KUBECONFIG", peer_.kubeconfig().c_str(), 1);
    RegisterBuiltinActions(registry_);
    auto s = Store::Open(dir_.Join("medic.db"));
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  void TearDown() override { unsetenv("KUBECONFIG"); }

  Result<RunRecord> RunYaml(const std::string& yaml, Json vars = Json::object()) {
    auto pb = ParsePlaybook(yaml, "test.yaml", registry_);
    if (!pb.ok()) return pb.status();
    return RunPlaybook(*pb, vars);
  }
  Result<RunRecord> RunPlaybook(const Playbook& pb, Json vars) {
    auto params = BindParams(pb, vars);
    if (!params.ok()) return params.status();
    auto id = CreateRun(*store_, *test::RealEnv().clock, pb, *params, "test", 0);
    if (!id.ok()) return id.status();
    RunOptions options;
    options.yes = true;
    options.work_root = dir_.Join("runs");
    RunServices services;
    services.store = store_.get();
    services.registry = &registry_;
    services.env = test::RealEnv();
    services.cancel = &cancel_;
    return Runner(services).Drive(*id, options);
  }
  // One step: `action` with `with` (YAML flow mapping) under an optional step `extra`.
  Result<RunRecord> RunStep(const std::string& action, const std::string& with,
                            const std::string& extra = "") {
    return RunYaml("name: t\nstages:\n  - name: s\n    steps:\n      - id: k\n        action: " +
                   action + "\n" + extra + "        with: " + with + "\n");
  }
  StepRecord Step(int64_t run, const std::string& id) { return *store_->GetStep(run, id); }
  std::vector<ArtifactRecord> Artifacts(int64_t run) { return *store_->ArtifactsOfRun(run); }

  ScopedTempDir dir_;
  KubePeer peer_;
  Registry registry_;
  std::unique_ptr<Store> store_;
  CancelToken cancel_;
};

std::vector<std::string> Expect(std::initializer_list<std::string> lines) { return lines; }

TEST_F(KubectlTest, PodsListsBySelectorAndPicksTheMostRestartedPodAsFirst) {
  auto run = RunStep("kubectl.pods", "{selector: 'app=checkout'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  ASSERT_EQ(s.status, StepStatus::kSucceeded) << s.error;
  EXPECT_EQ(s.outputs["count"], 2);
  EXPECT_EQ(s.outputs["first"], kCrashed);
  EXPECT_EQ(s.outputs["names"], Json::array({kCrashed, kHealthy}));
  EXPECT_EQ(s.outputs["ready_count"], 2);
  const Json& crashed = s.outputs["pods"][0];
  EXPECT_EQ(crashed["node"], "node-a");
  EXPECT_EQ(crashed["restarts"], 3);
  EXPECT_EQ(crashed["ready"], true);
  EXPECT_EQ(crashed["phase"], "Running");
  EXPECT_EQ(crashed["containers"][0]["last_exit_code"], 2);
  EXPECT_EQ(crashed["containers"][0]["state"], "running");

  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs), Expect({"GET " + kPods}));
  EXPECT_TRUE(HasQuery(reqs[0], "labelSelector", "app=checkout")) << reqs[0].dump();
  EXPECT_EQ(reqs[0]["headers"]["accept"], "application/json");
}

TEST_F(KubectlTest, PodsWithNoMatchFailsUnlessAllowedEmpty) {
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: none, action: kubectl.pods, on_failure: continue, with: {selector: 'app in (nothing,nobody)'}}
      - {id: empty_ok, action: kubectl.pods, with: {selector: 'app notin (checkout,other)', allow_empty: true}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(Step(run->id, "none").status, StepStatus::kFailed);
  EXPECT_NE(Step(run->id, "none")
                .error.find("no pod matches selector 'app in (nothing,nobody)' in namespace of the "
                            "kubeconfig context"),
            std::string::npos)
      << Step(run->id, "none").error;
  EXPECT_EQ(Step(run->id, "empty_ok").status, StepStatus::kSucceeded);
  EXPECT_EQ(Step(run->id, "empty_ok").outputs["count"], 0);
  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(HasQuery(reqs[0], "labelSelector", "app in (nothing,nobody)")) << reqs[0].dump();
  EXPECT_TRUE(HasQuery(reqs[1], "labelSelector", "app notin (checkout,other)")) << reqs[1].dump();
}

TEST_F(KubectlTest, LogsTakesThePreviousLogOfARestartedContainerAndTheCurrentOneOtherwise) {
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: crashed, action: kubectl.logs, with: {pod: )" +
                     kCrashed + R"(}}
      - {id: healthy, action: kubectl.logs, with: {pod: )" +
                     kHealthy + R"(, container: app, tail: 1}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord crashed = Step(run->id, "crashed");
  ASSERT_EQ(crashed.status, StepStatus::kSucceeded) << crashed.error;
  EXPECT_EQ(crashed.outputs["previous"], true);
  EXPECT_EQ(crashed.outputs["container"], "app");
  EXPECT_EQ(crashed.outputs["restarts"], 3);
  std::string log = testing::ReadFile(crashed.outputs["path"]);
  EXPECT_NE(log.find("panic: runtime error: invalid memory address"), std::string::npos) << log;
  EXPECT_EQ(crashed.outputs["bytes"], static_cast<int64_t>(log.size()));
  StepRecord healthy = Step(run->id, "healthy");
  ASSERT_EQ(healthy.status, StepStatus::kSucceeded) << healthy.error;
  EXPECT_EQ(healthy.outputs["previous"], false);
  EXPECT_EQ(testing::ReadFile(healthy.outputs["path"]), "listening on :8080\n");

  auto artifacts = Artifacts(run->id);
  ASSERT_EQ(artifacts.size(), 2u);
  EXPECT_EQ(artifacts[0].kind, "logs");
  EXPECT_EQ(artifacts[0].path, crashed.outputs["path"]);
  EXPECT_EQ(artifacts[0].size, static_cast<int64_t>(log.size()));
  EXPECT_EQ(artifacts[0].sha256, Sha256Hex(log));
  EXPECT_EQ(crashed.outputs["sha256"], Sha256Hex(log));

  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs),
            Expect({"GET " + kPods + "/" + kCrashed,  // medic: restarts, default container
                    "GET " + kPods + "/" + kCrashed,  // kubectl logs
                    "GET " + kPods + "/" + kCrashed + "/log",
                    "GET " + kPods + "/" + kHealthy,  // medic: restarts (previous: auto)
                    "GET " + kPods + "/" + kHealthy,  // kubectl logs
                    "GET " + kPods + "/" + kHealthy + "/log"}));
  EXPECT_TRUE(HasQuery(reqs[2], "container", "app"));
  EXPECT_TRUE(HasQuery(reqs[2], "previous", "true"));
  EXPECT_TRUE(HasQuery(reqs[5], "container", "app"));
  EXPECT_TRUE(HasQuery(reqs[5], "tailLines", "1"));
  EXPECT_FALSE(reqs[5]["query"].contains("previous"));
}

TEST_F(KubectlTest, LogsFallsBackToTheCurrentLogWhenThePreviousOneIsGone) {
  json seed = Seed();
  seed["logs"]["shop/" + kCrashed + "/app"] = "listening on :8080\n";  // no previous log kept
  peer_.Stop();
  ASSERT_EQ(peer_.Start(dir_.path(), seed), "");
  setenv("KUBECONFIG", peer_.kubeconfig().c_str(), 1);
  auto run = RunStep("kubectl.logs", "{pod: " + kCrashed + "}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  ASSERT_EQ(s.status, StepStatus::kSucceeded) << s.error;
  EXPECT_EQ(s.outputs["previous"], false);
  EXPECT_EQ(s.outputs["restarts"], 3);
  EXPECT_FALSE(s.outputs.contains("stderr")) << s.outputs.dump();
  EXPECT_EQ(testing::ReadFile(s.outputs["path"]), "listening on :8080\n");
  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs),
            Expect({"GET " + kPods + "/" + kCrashed, "GET " + kPods + "/" + kCrashed,
                    "GET " + kPods + "/" + kCrashed + "/log", "GET " + kPods + "/" + kCrashed,
                    "GET " + kPods + "/" + kCrashed + "/log"}));
  EXPECT_TRUE(HasQuery(reqs[2], "previous", "true"));
  EXPECT_FALSE(reqs[4]["query"].contains("previous"));
}

TEST_F(KubectlTest, PprofFetchesTheGoroutineDumpAndHeapThroughThePodsProxy) {
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: goroutines, action: kubectl.pprof, with: {namespace: shop, pod: )" +
                     kCrashed + R"(}}
      - {id: heap, action: kubectl.pprof, with: {pod: )" +
                     kCrashed + R"(, profile: heap}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord g = Step(run->id, "goroutines");
  ASSERT_EQ(g.status, StepStatus::kSucceeded) << g.error;
  EXPECT_EQ(g.outputs["goroutines"], 2);
  EXPECT_NE(testing::ReadFile(g.outputs["path"]).find("goroutine 7 [chan receive, 12 minutes]"),
            std::string::npos);
  StepRecord h = Step(run->id, "heap");
  ASSERT_EQ(h.status, StepStatus::kSucceeded) << h.error;
  EXPECT_EQ(testing::ReadFile(h.outputs["path"]), std::string("\x1f\x8b\x08\x00heap profile", 16));
  // Without `namespace`, the raw path uses the kubeconfig context's namespace.
  EXPECT_EQ(h.outputs["url_path"], kPods + "/" + kCrashed + ":6060/proxy/debug/pprof/heap");

  auto artifacts = Artifacts(run->id);
  ASSERT_EQ(artifacts.size(), 2u);
  EXPECT_EQ(artifacts[0].kind, "goroutine_dump");
  EXPECT_EQ(artifacts[1].kind, "heap_profile");
  EXPECT_EQ(artifacts[0].sha256, Sha256Hex(testing::ReadFile(g.outputs["path"])));
  EXPECT_EQ(artifacts[1].sha256, Sha256Hex(testing::ReadFile(h.outputs["path"])));

  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs),
            Expect({"GET " + kPods + "/" + kCrashed + ":6060/proxy/debug/pprof/goroutine",
                    "GET " + kPods + "/" + kCrashed + ":6060/proxy/debug/pprof/heap"}));
  EXPECT_EQ(reqs[0]["rawQuery"], "debug=2");
  EXPECT_EQ(reqs[1]["rawQuery"], "");
}

TEST_F(KubectlTest, PprofOnAClosedPortOrAnotherServerFailsClearly) {
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: closed, action: kubectl.pprof, on_failure: continue, with: {pod: )" +
                     kCrashed + R"(, port: 8080}}
      - {id: html, action: kubectl.pprof, with: {pod: )" +
                     kHealthy + R"(}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord closed = Step(run->id, "closed");
  EXPECT_EQ(closed.status, StepStatus::kFailed);
  EXPECT_NE(closed.error.find("Error from server (ServiceUnavailable): error trying to reach "
                              "service: dial tcp 10.1.0.11:8080: "
                              "connect: connection refused"),
            std::string::npos)
      << closed.error;
  StepRecord html = Step(run->id, "html");
  EXPECT_EQ(html.status, StepStatus::kFailed);
  EXPECT_NE(
      html.error.find(
          "did not answer a goroutine dump (it starts '<html>not pprof</html>'); is net/http/pprof "
          "served on port 6060?"),
      std::string::npos)
      << html.error;
  EXPECT_EQ(run->status, RunStatus::kFailed);
  EXPECT_TRUE(Artifacts(run->id).empty());
}

TEST_F(KubectlTest, IsolateDropsTheSelectorLabelKeepsThePodAndIsANoOpTheSecondTime) {
  std::string yaml = R"(name: t
stages:
  - name: s
    steps:
      - {id: first, action: kubectl.isolate, with: {pod: )" +
                     kCrashed + R"(, remove_labels: [app]}}
      - {id: again, action: kubectl.isolate, with: {pod: )" +
                     kCrashed + R"(, remove_labels: [app]}}
      - {id: wrong_key, action: kubectl.isolate, on_failure: continue, with: {pod: )" +
                     kHealthy + R"(, remove_labels: [application], mark: false}}
)";
  auto run = RunYaml(yaml);
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord first = Step(run->id, "first");
  ASSERT_EQ(first.status, StepStatus::kSucceeded) << first.error;
  EXPECT_EQ(first.outputs["labels_before"]["app"], "checkout");
  EXPECT_EQ(first.outputs["labels_after"],
            Json({{"medic.io/quarantined", "true"}, {"pod-template-hash", "7d9f8"}}));
  EXPECT_EQ(first.outputs["removed"], Json::array({"app"}));
  EXPECT_EQ(first.outputs["already_isolated"], false);
  EXPECT_EQ(Step(run->id, "again").outputs["already_isolated"], true);
  StepRecord wrong = Step(run->id, "wrong_key");
  EXPECT_EQ(wrong.status, StepStatus::kFailed);
  EXPECT_NE(wrong.error.find("has none of the labels in remove_labels"), std::string::npos)
      << wrong.error;
  EXPECT_NE(wrong.error.find("app=checkout"), std::string::npos) << wrong.error;

  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs),
            Expect({"GET " + kPods + "/" + kCrashed, "GET " + kPods + "/" + kCrashed,
                    "PATCH " + kPods + "/" + kCrashed,
                    "GET " + kPods + "/" + kCrashed,     // again: seen isolated, no PATCH
                    "GET " + kPods + "/" + kHealthy}));  // wrong key: no PATCH
  EXPECT_EQ(reqs[2]["headers"]["content-type"], "application/merge-patch+json");
  EXPECT_TRUE(HasQuery(reqs[2], "fieldManager", "kubectl-label"));
  EXPECT_EQ(reqs[2]["body"],
            json::parse(R"({"metadata":{"labels":{"app":null,"medic.io/quarantined":"true"}}})"));
  // The pod is still there, out of the Service's selector.
  json state = peer_.State();
  bool found = false;
  for (const auto& p : state["pods"])
    if (p["metadata"]["name"] == kCrashed) {
      found = true;
      EXPECT_FALSE(p["metadata"]["labels"].contains("app"));
    }
  EXPECT_TRUE(found);
}

TEST_F(KubectlTest, EnvoyFailPostsToTheAdminPortThroughExec) {
  auto run = RunStep("kubectl.envoy_fail", "{pod: " + kCrashed + "}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  ASSERT_EQ(s.status, StepStatus::kSucceeded) << s.error;
  EXPECT_EQ(s.outputs["response"], "OK");
  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs),
            Expect({"GET " + kPods + "/" + kCrashed, "GET " + kPods + "/" + kCrashed + "/exec"}));
  EXPECT_EQ(reqs[1]["protocol"], "v5.channel.k8s.io");
  EXPECT_EQ(reqs[1]["query"]["container"], "envoy");
  EXPECT_EQ(reqs[1]["query"]["command"], json::array({"curl", "-sS", "--fail", "-X", "POST",
                                                      "http://localhost:9901/healthcheck/fail"}));
  EXPECT_EQ(reqs[1]["exitCode"], 0);
}

TEST_F(KubectlTest, EnvoyFailWithoutTheClientInTheSidecarSaysWhatToTry) {
  auto run = RunStep("kubectl.envoy_fail", "{pod: " + kCrashed + ", client: wget}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kFailed);
  // The peer has no rule for wget: the exec fails as on a cluster, with kubectl's message.
  EXPECT_NE(s.error.find("kubectl exec " + kCrashed +
                         " -c envoy failed (exit code 1): error: Internal error occurred"),
            std::string::npos)
      << s.error;
}

TEST_F(KubectlTest, GcoreRunsGcoreInAnEphemeralDebugContainerAndStreamsTheCoreOut) {
  auto run = RunStep("kubectl.gcore",
                     "{pod: " + kCrashed + ", container: app, image: '" + kDebugImage +
                         "', process: checkout, hash: true}",
                     "        timeout: 60s\n");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  ASSERT_EQ(s.status, StepStatus::kSucceeded) << s.error << "\n" << s.outputs.dump();
  std::string core = testing::ReadFile(s.outputs["path"]);
  EXPECT_TRUE(core == FakeCore()) << "the local core differs from the one in the container";
  EXPECT_EQ(s.outputs["pid"], 7);
  EXPECT_EQ(s.outputs["size"], 3 << 20);
  EXPECT_EQ(s.outputs["sha256"], Sha256Hex(core));
  EXPECT_EQ(s.outputs["remote_core_removed"], true);
  std::string name = s.outputs["debug_container"];
  EXPECT_TRUE(StartsWith(name, "medic-gcore-") && name.size() == 18) << name;
  auto artifacts = Artifacts(run->id);
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].kind, "core");
  EXPECT_EQ(artifacts[0].sha256, Sha256Hex(core));

  auto reqs = peer_.ApiRequests();
  // medic's GET, kubectl debug's GET + PATCH, medic's polls until the container runs, then
  // a GET + exec for each of pidof, gcore, cat and rm.
  std::vector<std::string> lines = KubePeer::Lines(reqs);
  ASSERT_GE(lines.size(), 12u);
  const std::string pod = "GET " + kPods + "/" + kCrashed;
  EXPECT_EQ(lines[0], pod);
  EXPECT_EQ(lines[1], pod);
  EXPECT_EQ(lines[2], "PATCH " + kPods + "/" + kCrashed + "/ephemeralcontainers");
  size_t polls = lines.size() - 3 - 8;
  EXPECT_GE(polls, 2u)
      << "the container starts at the second read after the patch: medic must poll until it runs";
  for (size_t i = 3; i < 3 + polls; ++i) EXPECT_EQ(lines[i], pod);
  std::vector<json> commands = {json::array({"pidof", "-s", "checkout"}),
                                json::array({"gcore", "-o", "/tmp/medic-core", "7"}),
                                json::array({"cat", "/tmp/medic-core.7"}),
                                json::array({"rm", "-f", "/tmp/medic-core.7"})};
  for (size_t i = 0; i < commands.size(); ++i) {
    size_t at = 3 + polls + 2 * i;
    EXPECT_EQ(lines[at], pod);
    EXPECT_EQ(lines[at + 1], "GET " + kPods + "/" + kCrashed + "/exec");
    EXPECT_EQ(reqs[at + 1]["query"]["container"], name);
    EXPECT_EQ(reqs[at + 1]["query"]["command"], commands[i]);
  }
  const KubeRequest& patch = reqs[2];
  EXPECT_EQ(patch["headers"]["content-type"], "application/strategic-merge-patch+json");
  const json& ec = patch["body"]["spec"]["ephemeralContainers"][0];
  EXPECT_EQ(ec["name"], name);
  EXPECT_EQ(ec["image"], kDebugImage);
  EXPECT_EQ(ec["targetContainerName"], "app");
  EXPECT_EQ(ec["command"], json::array({"sleep", "600"}));
  EXPECT_EQ(ec["securityContext"]["capabilities"]["add"], json::array({"SYS_PTRACE"}));
}

TEST_F(KubectlTest, GcoreWithADebugImageWithoutGdbSaysSoAndLeavesNoCore) {
  auto run =
      RunStep("kubectl.gcore",
              "{pod: " + kCrashed + ", container: app, image: registry.local/medic/no-gdb:test}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kFailed);
  EXPECT_NE(s.error.find(
                "debug image 'registry.local/medic/no-gdb:test' has no gcore (install gdb in it)"),
            std::string::npos)
      << s.error;
  EXPECT_NE(s.error.find("executable file not found in $PATH"), std::string::npos) << s.error;
  EXPECT_TRUE(Artifacts(run->id).empty());
}

TEST_F(KubectlTest, GcoreOfAMissingContainerFailsBeforeAddingADebugContainer) {
  auto run = RunStep("kubectl.gcore",
                     "{pod: " + kCrashed + ", container: ap, image: '" + kDebugImage + "'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kFailed);
  EXPECT_NE(s.error.find("pod " + kCrashed +
                         " has no container 'ap' (it has app, envoy) (did you mean 'app'?)"),
            std::string::npos)
      << s.error;
  EXPECT_EQ(KubePeer::Lines(peer_.ApiRequests()), Expect({"GET " + kPods + "/" + kCrashed}));
}

TEST_F(KubectlTest, SetImageSkipsThePatchWhenTheImageIsAlreadyThere) {
  auto run =
      RunStep("kubectl.set_image",
              "{deployment: checkout, container: app, image: 'registry.local/checkout:v1.4.2'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  ASSERT_EQ(s.status, StepStatus::kSucceeded) << s.error;
  EXPECT_EQ(s.outputs["changed"], false);
  EXPECT_EQ(s.outputs["previous_image"], "registry.local/checkout:v1.4.2");
  EXPECT_EQ(KubePeer::Lines(peer_.ApiRequests()), Expect({"GET " + kDeps + "/checkout"}));
}

TEST_F(KubectlTest, RolloutStatusOfAStuckRolloutTimesOutWithKubectlsLastLine) {
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: set, action: kubectl.set_image, with: {deployment: stuck, container: app, image: 'stuck:v2'}}
      - {id: wait, action: kubectl.rollout_status, timeout: 4s, with: {deployment: stuck}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "wait");
  EXPECT_EQ(s.status, StepStatus::kTimedOut);
  // kubectl gets a --timeout a little shorter than the step's, so it ends on its own terms.
  EXPECT_NE(
      s.error.find(
          "deployment stuck did not finish rolling out within 3.0s; last: Waiting for deployment "
          "\"stuck\" rollout to finish"),
      std::string::npos)
      << s.error;
  EXPECT_EQ(s.outputs["rolled_out"], false);
  EXPECT_EQ(s.commands.size(), 1u);
  EXPECT_NE(s.commands.dump().find("--timeout=3s"), std::string::npos) << s.commands.dump();
}

TEST_F(KubectlTest, DeletePodAndRolloutUndoSendWhatKubectlSends) {
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: delete, action: kubectl.delete_pod, with: {pod: )" +
                     kHealthy + R"(, grace_period: 5s}}
      - {id: undo, action: kubectl.rollout_undo, with: {deployment: checkout, to_revision: 1}}
      - {id: gone, action: kubectl.delete_pod, on_failure: continue, with: {pod: )" +
                     kHealthy + R"(}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(Step(run->id, "delete").status, StepStatus::kSucceeded)
      << Step(run->id, "delete").error;
  EXPECT_EQ(Step(run->id, "delete").outputs["message"], "pod \"" + kHealthy + "\" deleted");
  ASSERT_EQ(Step(run->id, "undo").status, StepStatus::kSucceeded) << Step(run->id, "undo").error;
  StepRecord gone = Step(run->id, "gone");
  EXPECT_EQ(gone.status, StepStatus::kFailed);
  EXPECT_EQ(gone.error, "kubectl delete pod " + kHealthy +
                            " failed (exit code 1): Error from server (NotFound): pods \"" +
                            kHealthy + "\" not found");
  EXPECT_NE(gone.outputs["stderr"].get<std::string>().find("NotFound"), std::string::npos);

  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs),
            Expect({"DELETE " + kPods + "/" + kHealthy, "GET " + kDeps + "/checkout",
                    "GET " + kDeps + "/checkout", "GET /apis/apps/v1/namespaces/shop/replicasets",
                    "PATCH " + kDeps + "/checkout", "DELETE " + kPods + "/" + kHealthy}));
  EXPECT_EQ(reqs[0]["body"]["gracePeriodSeconds"], 5);
  EXPECT_EQ(reqs[0]["body"]["propagationPolicy"], "Background");
  EXPECT_TRUE(HasQuery(reqs[3], "labelSelector", "app=checkout"));
  EXPECT_EQ(reqs[4]["headers"]["content-type"], "application/json-patch+json");
  EXPECT_EQ(reqs[4]["body"][0]["path"], "/spec/template");
  EXPECT_EQ(reqs[4]["body"][0]["value"]["spec"]["containers"][0]["image"],
            "registry.local/checkout:v1.4.1");
}

TEST_F(KubectlTest, ASelectorMatchingMorePodsThanMaxTargetsDeletesNothing) {
  // Two pods carry app=checkout; by default a step acts on one target.
  auto run = RunStep("kubectl.delete_pod", "{selector: 'app=checkout'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kFailed);
  EXPECT_EQ(s.error,
            "selector 'app=checkout' matches 2 pods, more than the step's max_targets 1: nothing "
            "was deleted (raise max_targets if that many is meant)");
  EXPECT_EQ(s.outputs["matched"], Json::array({kCrashed, kHealthy}));
  auto reqs = peer_.ApiRequests();
  ASSERT_EQ(KubePeer::Lines(reqs), Expect({"GET " + kPods}));
  EXPECT_TRUE(HasQuery(reqs[0], "labelSelector", "app=checkout"));

  // Saying how many is meant lets it go: both pods, one kubectl call.
  auto both =
      RunStep("kubectl.delete_pod", "{selector: 'app=checkout'}", "        max_targets: 2\n");
  ASSERT_TRUE(both.ok()) << both.status().message();
  StepRecord d = Step(both->id, "k");
  ASSERT_EQ(d.status, StepStatus::kSucceeded) << d.error;
  EXPECT_EQ(d.outputs["pods"], Json::array({kCrashed, kHealthy}));
  reqs = peer_.ApiRequests();
  std::vector<std::string> deletes;
  for (const std::string& line : KubePeer::Lines(reqs))
    if (line.rfind("DELETE ", 0) == 0) deletes.push_back(line);
  EXPECT_EQ(deletes,
            Expect({"DELETE " + kPods + "/" + kCrashed, "DELETE " + kPods + "/" + kHealthy}));
}

TEST_F(KubectlTest, MaxTargetsIsRefusedOnActionsThatActOnOneTarget) {
  auto pb = ParsePlaybook(R"(name: t
stages:
  - name: s
    steps:
      - {id: k, action: kubectl.rollout_restart, max_targets: 3, with: {deployment: checkout}}
)",
                          "t.yaml", registry_);
  ASSERT_FALSE(pb.ok());
  EXPECT_NE(pb.status().message().find("'max_targets': kubectl.rollout_restart acts on one target"),
            std::string::npos)
      << pb.status().message();
  // A step gives one pod or a selector, not both.
  auto both = RunStep("kubectl.delete_pod", "{pod: a, selector: 'app=x'}");
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(Step(both->id, "k").error,
            "kubectl.delete_pod needs either pod or selector (one of them)");
  EXPECT_TRUE(peer_.ApiRequests().empty());
}

// ------------------------------------------------------------------- the hotfix and restart paths

TEST_F(KubectlTest, HotfixThenRestartPlaybookSendsTheseRequestsInThisOrder) {
  auto pb = LoadPlaybook(testing::SourceDir() + "/tests/integrations/kubectl_hotfix_restart.yaml",
                         registry_);
  ASSERT_TRUE(pb.ok()) << pb.status().message();
  auto run = RunPlaybook(*pb, {{"image", "registry.local/checkout:v1.4.3"}});
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(run->status, RunStatus::kSucceeded) << run->error;
  EXPECT_EQ(Step(run->id, "hotfix").outputs["previous_image"], "registry.local/checkout:v1.4.2");
  EXPECT_EQ(Step(run->id, "hotfix_rollout").outputs["message"],
            "deployment \"checkout\" successfully rolled out");
  EXPECT_EQ(Step(run->id, "restart_crashed").outputs["pod"], kCrashed);

  auto reqs = peer_.ApiRequests();
  const std::string crashed = kPods + "/" + kCrashed;
  ASSERT_EQ(
      KubePeer::Lines(reqs),
      Expect({// find: kubectl.pods
              "GET " + kPods,
              // capture: kubectl.logs of the most restarted pod (previous container)
              "GET " + crashed, "GET " + crashed, "GET " + crashed + "/log",
              // hotfix: kubectl.set_image (medic's GET, then kubectl's GET + PATCH)
              "GET " + kDeps + "/checkout", "GET " + kDeps + "/checkout",
              "PATCH " + kDeps + "/checkout",
              // hotfix: kubectl.rollout_status (GET, list, watch)
              "GET " + kDeps + "/checkout", "GET " + kDeps, "GET " + kDeps,
              // restart: kubectl.delete_pod of the crashed pod, then kubectl.rollout_restart
              "DELETE " + crashed, "GET " + kDeps + "/checkout", "PATCH " + kDeps + "/checkout",
              // restart: kubectl.rollout_status
              "GET " + kDeps + "/checkout", "GET " + kDeps, "GET " + kDeps}));
  EXPECT_TRUE(HasQuery(reqs[0], "labelSelector", "app=checkout"));
  EXPECT_TRUE(HasQuery(reqs[3], "previous", "true"));
  EXPECT_EQ(reqs[6]["headers"]["content-type"], "application/strategic-merge-patch+json");
  EXPECT_TRUE(HasQuery(reqs[6], "fieldManager", "kubectl-set"));
  EXPECT_EQ(reqs[6]["body"]["spec"]["template"]["spec"]["containers"],
            json::parse(R"([{"image":"registry.local/checkout:v1.4.3","name":"app"}])"));
  EXPECT_TRUE(HasQuery(reqs[8], "fieldSelector", "metadata.name=checkout"));
  EXPECT_TRUE(HasQuery(reqs[9], "watch", "true"));
  EXPECT_EQ(reqs[10]["body"]["propagationPolicy"], "Background");
  EXPECT_TRUE(HasQuery(reqs[12], "fieldManager", "kubectl-rollout"));
  EXPECT_TRUE(reqs[12]["body"]["spec"]["template"]["metadata"]["annotations"].contains(
      "kubectl.kubernetes.io/restartedAt"));
  EXPECT_TRUE(HasQuery(reqs[15], "watch", "true"));
}

// ------------------------------------------------------------------- bad input and failures

// A bad value in `with`: V in `with` stands for `value`; cases without a value are not
// about names.
struct BadInput {
  std::string action, with, value, expect;
};

std::vector<BadInput> BadInputs() {
  return {
      {"kubectl.logs", "{pod: V}", "Checkout_1",
       "param 'pod': 'Checkout_1' is not a DNS-1123 name"},
      {"kubectl.logs", "{pod: V}", "-rf",
       "param 'pod': '-rf' starts with '-', which kubectl would read as a flag"},
      {"kubectl.delete_pod", "{pod: V}", "--all", "param 'pod': '--all' starts with '-'"},
      {"kubectl.pods", "{selector: V}", "app=x;rm -rf /",
       "param 'selector': 'app=x;rm -rf /' contains ';'"},
      {"kubectl.pods", "{selector: V}", "app=$(id)", "contains '$'"},
      {"kubectl.pods", "{selector: V}", "-l", "starts with '-'"},
      {"kubectl.pods", "{namespace: V, selector: 'app=x'}", "-n",
       "param 'namespace': '-n' starts with '-'"},
      {"kubectl.pods", "{namespace: V}", "Shop",
       "param 'namespace': 'Shop' is not a DNS-1123 label"},
      {"kubectl.pods", "{context: V}", "--insecure-skip-tls-verify",
       "param 'context': '--insecure-skip-tls-verify' starts with '-'"},
      {"kubectl.set_image", "{deployment: checkout, container: app, image: V}", "x:1 --record",
       "param 'image': 'x:1 --record' is not an image reference"},
      {"kubectl.set_image", "{deployment: checkout, container: app, image: V}", "-oyaml",
       "starts with '-'"},
      {"kubectl.set_image", "{deployment: checkout, container: V, image: 'x:1'}", "App",
       "param 'container': 'App' is not a DNS-1123 label"},
      {"kubectl.rollout_restart", "{deployment: V}", "checkout/../x", "is not a DNS-1123 name"},
      {"kubectl.isolate", "{pod: p, remove_labels: [V]}", "-app",
       "param 'remove_labels': '-app' starts with '-'"},
      {"kubectl.gcore", "{pod: p, container: app, image: 'img', process: V}", "a;b",
       "param 'process': 'a;b' is not a process name"},
      {"kubectl.isolate", "{pod: p, set_labels: {app: V}}", "a b", "is not a label value"},
      {"kubectl.isolate", "{pod: p}", "", "needs remove_labels"},
      {"kubectl.envoy_fail", "{pod: p, admin_port: 70000}", "", "is not a TCP port"},
  };
}

// One step per case, each `on_failure: continue`; V becomes `value(i)`.
std::string BadInputsYaml(const std::string& params,
                          const std::function<std::string(size_t)>& value) {
  std::vector<BadInput> cases = BadInputs();
  std::string yaml = "name: t\n" + params + "stages:\n  - name: s\n    steps:\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string with = cases[i].with;
    size_t v = with.find('V');
    if (v != std::string::npos) with.replace(v, 1, value(i));
    yaml += "      - {id: c" + std::to_string(i) + ", action: " + cases[i].action +
            ", on_failure: continue, with: " + with + "}\n";
  }
  return yaml;
}

TEST_F(KubectlTest, InvalidLiteralNamesAreRejectedWhenThePlaybookLoads) {
  std::vector<BadInput> cases = BadInputs();
  auto pb =
      ParsePlaybook(BadInputsYaml("", [&cases](size_t i) { return "'" + cases[i].value + "'"; }),
                    "test.yaml", registry_);
  ASSERT_FALSE(pb.ok());
  const std::string err = pb.status().message();
  for (size_t i = 0; i < cases.size(); ++i) {
    // Label values in set_labels, and checks that are not about one name, wait for the run.
    bool at_load = !cases[i].value.empty() && cases[i].with.find("set_labels") == std::string::npos;
    std::string line = "test.yaml:" + std::to_string(i + 5) + ":";
    size_t at = err.find(line);
    EXPECT_EQ(at != std::string::npos, at_load) << cases[i].with << " -> " << err;
    if (!at_load || at == std::string::npos) continue;
    std::string reported = err.substr(at, err.find('\n', at) - at);
    EXPECT_NE(reported.find("step 'c" + std::to_string(i) + "': "), std::string::npos) << reported;
    EXPECT_NE(reported.find(cases[i].expect), std::string::npos) << reported;
  }
  EXPECT_TRUE(peer_.AllRequests().empty());
}

TEST_F(KubectlTest, InvalidNamesFromTemplatesAreRejectedBeforeKubectlRuns) {
  std::vector<BadInput> cases = BadInputs();
  std::string params = "params:\n";
  Json vars = Json::object();
  for (size_t i = 0; i < cases.size(); ++i) {
    params += "  c" + std::to_string(i) + ": {default: x}\n";
    vars["c" + std::to_string(i)] = cases[i].value;
  }
  auto run = RunYaml(
      BadInputsYaml(params, [](size_t i) { return "'{{ params.c" + std::to_string(i) + " }}'"; }),
      vars);
  ASSERT_TRUE(run.ok()) << run.status().message();
  for (size_t i = 0; i < cases.size(); ++i) {
    StepRecord s = Step(run->id, "c" + std::to_string(i));
    EXPECT_EQ(s.status, StepStatus::kFailed) << cases[i].with;
    EXPECT_NE(s.error.find(cases[i].expect), std::string::npos)
        << cases[i].with << " -> " << s.error;
    EXPECT_TRUE(s.commands.empty()) << cases[i].with << " ran " << s.commands.dump();
  }
  EXPECT_TRUE(peer_.AllRequests().empty())
      << "kubectl ran: " << peer_.AllRequests().size() << " requests";
}

TEST_F(KubectlTest, AServerErrorFailsTheStepClearlyAndOnFailureContinueGoesOn) {
  json seed = Seed();
  seed["faults"] = {{{"method", "GET"},
                     {"path", kPods},
                     {"status", 500},
                     {"message", "etcdserver: request timed out"}}};
  peer_.Stop();
  ASSERT_EQ(peer_.Start(dir_.path(), seed), "");
  setenv("KUBECONFIG", peer_.kubeconfig().c_str(), 1);
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: list, action: kubectl.pods, on_failure: continue, with: {selector: 'app=checkout'}}
      - {id: next, action: kubectl.set_image, when: "steps.list.status == 'failed'", with: {deployment: checkout, container: app, image: 'registry.local/checkout:v1.4.3'}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kSucceeded) << run->error;
  StepRecord list = Step(run->id, "list");
  EXPECT_EQ(list.status, StepStatus::kFailed);
  EXPECT_EQ(list.error,
            "kubectl get pods failed (exit code 1): Error from server (InternalError): etcdserver: "
            "request timed out");
  EXPECT_EQ(Step(run->id, "next").status, StepStatus::kSucceeded) << Step(run->id, "next").error;
}

bool KubectlWithArgAlive(const std::string& needle) {
  DIR* d = opendir("/proc");
  bool found = false;
  while (dirent* e = readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    std::string cmdline = testing::ReadFile(std::string("/proc/") + e->d_name + "/cmdline");
    std::string stat = testing::ReadFile(std::string("/proc/") + e->d_name + "/stat");
    size_t p = stat.rfind(')');
    bool zombie = p != std::string::npos && p + 2 < stat.size() && stat[p + 2] == 'Z';
    if (!zombie && cmdline.find(needle) != std::string::npos &&
        cmdline.find("kubectl") != std::string::npos)
      found = true;
  }
  closedir(d);
  return found;
}

TEST_F(KubectlTest, ASlowServerAndAShortStepTimeoutEndTimedOutWithKubectlGone) {
  json seed = Seed();
  seed["faults"] = {{{"path", kPods + "/" + kCrashed}, {"delayMs", 30000}}};
  peer_.Stop();
  ASSERT_EQ(peer_.Start(dir_.path(), seed), "");
  std::string marker = dir_.Join("slow-kubeconfig");
  std::filesystem::copy_file(peer_.kubeconfig(), marker);
  auto run = RunStep("kubectl.logs", "{pod: " + kCrashed + ", kubeconfig: '" + marker + "'}",
                     "        timeout: 1500ms\n");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kTimedOut);
  EXPECT_NE(
      s.error.find("kubectl get pod " + kCrashed + " did not finish within the step's timeout"),
      std::string::npos)
      << s.error;
  EXPECT_NE(s.error.find("its process group was killed"), std::string::npos) << s.error;
  EXPECT_LT(s.duration_ms, 6000);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !KubectlWithArgAlive(marker);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "a kubectl with " << marker << " is still running";
}

TEST_F(KubectlTest, RequestTimeoutMakesKubectlGiveUpOnASlowServerByItself) {
  json seed = Seed();
  seed["faults"] = {{{"path", kPods}, {"delayMs", 5000}}};
  peer_.Stop();
  ASSERT_EQ(peer_.Start(dir_.path(), seed), "");
  setenv("KUBECONFIG", peer_.kubeconfig().c_str(), 1);
  auto run = RunStep("kubectl.pods", "{request_timeout: 1s}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kTimedOut) << s.error;
  EXPECT_NE(s.error.find("kubectl get pods failed (exit code 1)"), std::string::npos) << s.error;
  EXPECT_NE(s.commands.dump().find("--request-timeout"), std::string::npos) << s.commands.dump();
}

TEST_F(KubectlTest, AKubectlPrintingSomethingElseThanJsonFailsTheStepClearly) {
  std::string fake = dir_.Join("fake-kubectl");
  testing::WriteFile(fake, "#!/bin/sh\necho '<html>proxy login page</html>'\n");
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  auto run = RunStep("kubectl.pods", "{kubectl: '" + fake + "'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kFailed);
  EXPECT_EQ(s.error, "kubectl get pods printed no JSON object: '<html>proxy login page</html>'");
}

TEST_F(KubectlTest, AnUnreachableApiServerFailsTheStepWithKubectlsMessage) {
  int port = testing::FreePort();
  std::string kubeconfig = dir_.Join("closed-kubeconfig");
  testing::WriteFile(kubeconfig,
                     "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "
                     "\"http://127.0.0.1:" +
                         std::to_string(port) +
                         "\"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- "
                         "name: u\n  user: {}\n"
                         "current-context: c\n");
  auto run = RunStep("kubectl.rollout_restart",
                     "{deployment: checkout, kubeconfig: '" + kubeconfig + "'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kFailed);
  EXPECT_NE(s.error.find("kubectl rollout restart deployment/checkout failed (exit code 1): "),
            std::string::npos)
      << s.error;
  EXPECT_NE(s.error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("refused"), std::string::npos) << s.error;
}

TEST_F(KubectlTest, AMissingKubectlNamesTheDebianPackage) {
  auto run = RunStep("kubectl.pods", "{kubectl: /nonexistent/bin/kubectl}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kFailed);
  EXPECT_EQ(s.error,
            "/nonexistent/bin/kubectl: not found or not executable (param 'kubectl'; install "
            "kubectl: apt-get install "
            "kubernetes-client)");

  std::string path = std::getenv("PATH");
  std::filesystem::create_directories(dir_.Join("empty-bin"));
  setenv("PATH", dir_.Join("empty-bin").c_str(), 1);
  auto again = RunStep("kubectl.pods", "{}");
  setenv("PATH", path.c_str(), 1);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(Step(again->id, "k").error,
            "kubectl: command not found on PATH (install it: apt-get install kubernetes-client)");
  EXPECT_TRUE(peer_.AllRequests().empty());
}

TEST_F(KubectlTest, WithoutAnyKubeconfigTheStepIsSkippedAsNotConfigured) {
  unsetenv("KUBECONFIG");  // and $HOME/.kube/config does not exist
  auto run = RunYaml(R"(name: t
stages:
  - name: s
    steps:
      - {id: k, action: kubectl.rollout_restart, with: {deployment: checkout}}
      - {id: missing, action: kubectl.pods, on_failure: continue, with: {kubeconfig: /nonexistent/kubeconfig}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  EXPECT_EQ(s.status, StepStatus::kSkipped);
  EXPECT_EQ(s.error,
            "not configured: no kubeconfig (set KUBECONFIG, the step's `kubeconfig`, or create "
            "~/.kube/config)");
  EXPECT_EQ(Step(run->id, "missing").status, StepStatus::kFailed);
  EXPECT_EQ(Step(run->id, "missing").error,
            "param 'kubeconfig': /nonexistent/kubeconfig does not exist");
  EXPECT_TRUE(peer_.AllRequests().empty());
}

TEST_F(KubectlTest, ContextAndKubeconfigParamsArePassedToKubectl) {
  unsetenv("KUBECONFIG");
  auto run =
      RunStep("kubectl.pods", "{kubeconfig: '" + peer_.kubeconfig() +
                                  "', context: medic-test, namespace: shop, selector: 'app'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  StepRecord s = Step(run->id, "k");
  ASSERT_EQ(s.status, StepStatus::kSucceeded) << s.error;
  EXPECT_EQ(s.outputs["count"], 3);
  EXPECT_EQ(s.commands[0],
            Json::array({"kubectl", "--kubeconfig", peer_.kubeconfig(), "--context", "medic-test",
                         "--namespace", "shop", "get", "pods", "--selector", "app", "-o", "json"}))
      << s.commands.dump();
}

// ------------------------------------------------------------------- plans and names (no peer
// needed)

TEST(KubectlPlan, DryRunShowsTheExactKubectlCommands) {
  Registry registry;
  RegisterKubectlActions(registry);
  auto plan = [&registry](const std::string& action, const Json& with) {
    Action* a = registry.Find(action);
    EXPECT_NE(a, nullptr) << action;
    auto normalized = NormalizeParams(a->info(), with);
    EXPECT_TRUE(normalized.ok()) << normalized.status().message();
    return a->Plan(*normalized);
  };
  EXPECT_EQ(
      plan("kubectl.set_image", {{"namespace", "shop"},
                                 {"deployment", "checkout"},
                                 {"container", "app"},
                                 {"image", "registry/checkout:1.4.3"}}),
      (std::vector<std::string>{
          "kubectl --namespace shop get deployment checkout -o json",
          "kubectl --namespace shop set image deployment/checkout app=registry/checkout:1.4.3"}));
  EXPECT_EQ(plan("kubectl.rollout_status",
                 {{"deployment", "checkout"}, {"timeout", "90s"}, {"context", "prod"}}),
            std::vector<std::string>{
                "kubectl --context prod rollout status deployment/checkout --timeout=90s"});
  EXPECT_EQ(plan("kubectl.delete_pod", {{"pod", "api-1"}, {"namespace", "prod"}}),
            std::vector<std::string>{"kubectl --namespace prod delete pod api-1 --wait=false"});
  EXPECT_EQ(
      plan("kubectl.pprof", {{"pod", "api-1"}, {"namespace", "prod"}, {"request_timeout", "5s"}}),
      std::vector<std::string>{
          "kubectl --namespace prod --request-timeout 5s get --raw "
          "'/api/v1/namespaces/prod/pods/api-1:6060/proxy/debug/pprof/goroutine?debug=2'"});
  EXPECT_EQ(
      plan("kubectl.envoy_fail", {{"pod", "api-1"}}),
      std::vector<std::string>{"kubectl exec api-1 --container envoy -- curl -sS --fail -X POST "
                               "http://localhost:9901/healthcheck/fail"});
  EXPECT_EQ(plan("kubectl.isolate", {{"pod", "api-1"}, {"remove_labels", {"app"}}}),
            (std::vector<std::string>{
                "kubectl get pod api-1 -o json",
                "kubectl label pod api-1 app- medic.io/quarantined=true --overwrite -o json"}));
  auto gcore =
      plan("kubectl.gcore", {{"pod", "api-1"}, {"container", "app"}, {"image", "debug:1"}});
  ASSERT_EQ(gcore.size(), 6u);
  EXPECT_EQ(gcore[1],
            "kubectl debug api-1 --image=debug:1 --target=app --profile=general "
            "--container=medic-gcore-XXXXXX "
            "--quiet -- sleep 600");
  EXPECT_EQ(gcore[4],
            "kubectl exec api-1 --container medic-gcore-XXXXXX -- cat /tmp/medic-core.1 > "
            "RUN_DIR/core.api-1.1");
}

TEST(KubectlPlan, EveryKubectlActionHasTheCommonParametersAndHonestFlags) {
  Registry registry;
  RegisterKubectlActions(registry);
  std::vector<std::string> destructive;
  for (const auto& name : registry.Names()) {
    const ActionInfo& info = registry.Find(name)->info();
    for (const char* common : {"namespace", "context", "kubeconfig", "kubectl", "request_timeout"})
      EXPECT_TRUE(std::any_of(info.params.begin(), info.params.end(),
                              [&](const ParamSpec& p) { return p.name == common; }))
          << name << " lacks " << common;
    if (info.destructive) destructive.push_back(name);
  }
  EXPECT_EQ(registry.Names().size(), 11u);
  EXPECT_EQ(destructive, (std::vector<std::string>{"kubectl.delete_pod", "kubectl.envoy_fail",
                                                   "kubectl.isolate", "kubectl.rollout_restart",
                                                   "kubectl.rollout_undo", "kubectl.set_image"}));
}

TEST(KubeNames, AcceptWhatKubernetesAcceptsAndRejectFlagsAndShellText) {
  for (const char* ok : {"checkout-7d9f8-abcde", "a", "web.v2", "0abc"})
    EXPECT_TRUE(CheckDnsSubdomain("p", ok).ok()) << ok;
  for (const char* bad : {"", "-a", "a-", "A", "a_b", "a..b", "a b", "a;b", ".a"})
    EXPECT_FALSE(CheckDnsSubdomain("p", bad).ok()) << bad;
  EXPECT_FALSE(CheckDnsSubdomain("p", std::string(254, 'a')).ok());
  EXPECT_TRUE(CheckDnsLabel("p", std::string(63, 'a')).ok());
  EXPECT_FALSE(CheckDnsLabel("p", std::string(64, 'a')).ok());
  EXPECT_FALSE(CheckDnsLabel("p", "web.v2").ok());

  for (const char* ok : {"app", "app.kubernetes.io/name", "Track_1", "medic.io/quarantined"})
    EXPECT_TRUE(CheckLabelKey("k", ok).ok()) << ok;
  for (const char* bad : {"-app", "app-", "/app", "Example.com/app", "a/b/c", "app$"})
    EXPECT_FALSE(CheckLabelKey("k", bad).ok()) << bad;
  for (const char* ok : {"", "v1.2", "Canary_A"}) EXPECT_TRUE(CheckLabelValue("v", ok).ok()) << ok;
  for (const char* bad : {"-x-", "a b", "x/y"}) EXPECT_FALSE(CheckLabelValue("v", bad).ok()) << bad;

  for (const char* ok :
       {"nginx", "nginx:1.27", "registry.local/checkout:v1.4.3", "localhost:5000/a/b:c",
        "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "Registry.Example.com:443/team/my_app__x:latest"})
    EXPECT_TRUE(CheckImageRef("i", ok).ok()) << ok;
  for (const char* bad :
       {"", "-x", "a b", "team/App", "app:", "app:-tag", "a;b", "app@sha256:12", "$(id)", "app\n"})
    EXPECT_FALSE(CheckImageRef("i", bad).ok()) << bad;

  for (const char* ok : {"app=checkout", "app==checkout,tier!=db", "env in (a,b)",
                         "env notin (a, b),!canary", "app.kubernetes.io/name=x", "app", "app="})
    EXPECT_TRUE(CheckLabelSelector("s", ok).ok()) << ok;
  for (const char* bad : {"", "-l", "app=x;y", "app=`id`", "app in a,b", "app in (a,(b))",
                          "app=x,,y", "app=x|y", "app is (a)", "app=-x"})
    EXPECT_FALSE(CheckLabelSelector("s", bad).ok()) << bad;
  EXPECT_EQ(CheckLabelSelector("param 'selector'", "app=x;y").message(),
            "param 'selector': 'app=x;y' contains ';'; selectors are key=value, key!=value, key in "
            "(a,b), "
            "key notin (a,b), key or !key, joined by commas");
}

}  // namespace
}  // namespace medic
