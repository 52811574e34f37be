// The shipped Kubernetes playbook (playbooks/library/golden-three-minutes-k8s.yaml) end to
// end: the real runner and the real kubectl against the local Kubernetes API server
// (tests/peers/kube-api). The crashed pod's previous log holds what a real Go program printed
// when it crashed and its pprof port serves a real goroutine dump (tests/golang/go_fixtures).
// Each test asserts the exact requests kubectl sent, in order, and what every step recorded:
// the hotfix path (a crash listed in the known-signatures file: set image + rollout status)
// and the restart path (a crash nobody has fixed yet, a goroutine leak, or no analysis at
// all: rollout restart).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "tests/golang/go_fixtures.h"
#include "tests/integrations/playbook_harness.h"
#include "tests/support/kube_peer.h"
#include "tests/support/prom_peers.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::CheckoutPod;
using testing::CrashOutput;
using testing::Describe;
using testing::KubePeer;
using testing::KubeRequest;
using testing::PlaybookHarness;
using testing::PrometheusPeer;
using testing::PushgatewayPeer;

const std::string kPlaybook =
    testing::SourceDir() + "/playbooks/library/golden-three-minutes-k8s.yaml";
const std::string kPods = "/api/v1/namespaces/shop/pods";
const std::string kDeps = "/apis/apps/v1/namespaces/shop/deployments";
const std::string kCrashed = "checkout-7d9f8-abcde";  // the pod the playbook picks
const std::string kHealthy = "checkout-7d9f8-fghij";
const std::string kRunning = "registry.local/checkout:v1.4.2";
const std::string kFixed = "registry.local/checkout:v1.4.3";

// The environment variables the optional integrations fall back to: unset, so only what a
// test passes is configured.
const char* const kIntegrationEnv[] = {
    "PROMETHEUS_URL",    "PUSHGATEWAY_URL", "ALERTMANAGER_URL", "PAGERDUTY_ROUTING_KEY",
    "SLACK_WEBHOOK_URL", "MEDIC_S3_BUCKET", "AWS_ENDPOINT_URL"};

// The goroutine part of a SIGQUIT dump: what net/http/pprof's goroutine?debug=2 answers.
std::string GoroutineDump(const std::string& sigquit_output) {
  size_t at = sigquit_output.find("\ngoroutine ");
  return at == std::string::npos ? "" : sigquit_output.substr(at + 1);
}

// The checkout service: two pods, the first restarted `restarts` times with `crash` (a Go
// program's stderr) as its previous log, its pprof port serving `dump` (closed when empty),
// and a Service whose /healthz answers through the API server's proxy.
json Seed(const std::string& crash, const std::string& dump, int restarts = 3) {
  const std::string started = "starting checkout v1.4.2\nlistening on :8080\n";
  json crashed_log = started;
  if (restarts > 0) crashed_log = {{"current", started}, {"previous", started + crash}};
  json pprof = json::object();
  if (!dump.empty()) pprof["/debug/pprof/goroutine?debug=2"] = dump;
  return {
      {"serverVersion", "v1.32.0"},
      {"rolloutDelayMs", 200},
      {"deployments",
       {{{"metadata",
          {{"name", "checkout"}, {"namespace", "shop"}, {"labels", {{"app", "checkout"}}}}},
         {"spec",
          {{"replicas", 2},
           {"selector", {{"matchLabels", {{"app", "checkout"}}}}},
           {"template",
            {{"metadata", {{"labels", {{"app", "checkout"}}}}},
             {"spec", {{"containers", {{{"name", "app"}, {"image", kRunning}}}}}}}}}}}}},
      {"services",
       {{{"metadata", {{"name", "checkout"}, {"namespace", "shop"}}},
         {"spec",
          {{"selector", {{"app", "checkout"}}},
           {"ports", {{{"name", "http"}, {"port", 8080}, {"targetPort", 8080}}}}}}}}},
      {"pods", {CheckoutPod(kCrashed, restarts, kRunning), CheckoutPod(kHealthy, 0, kRunning)}},
      {"logs",
       {{"shop/" + kCrashed + "/app", crashed_log}, {"shop/" + kHealthy + "/app", started}}},
      {"proxy",
       {{"shop/" + kCrashed + ":6060", pprof},
        {"services:shop/checkout:8080", {{"/healthz", "ok\n"}}}}},
  };
}

// "METHOD PATH?QUERY (kubectl COMMAND)": the query parameters that say what was asked (not
// the resourceVersion or timeouts kubectl picks) in name order, and the kubectl command that
// sent the request (its Kubectl-Command header).
std::string Line(const KubeRequest& r) {
  static const char* const kKeys[] = {"container",     "debug",    "fieldManager", "fieldSelector",
                                      "labelSelector", "previous", "watch"};
  std::map<std::string, std::string> q;
  if (r.contains("query") && r["query"].is_object())
    for (const char* key : kKeys)
      if (r["query"].contains(key) && r["query"][key].is_string()) q[key] = r["query"][key];
  std::string line = r.value("method", "") + " " + r.value("path", "");
  char sep = '?';
  for (const auto& [k, v] : q) {
    line += sep + k + "=" + v;
    sep = '&';
  }
  std::string command = r.contains("headers") ? r["headers"].value("kubectl-command", "") : "";
  return line + " (" + command + ")";
}

std::vector<std::string> Lines(const std::vector<KubeRequest>& reqs, size_t from, size_t to) {
  std::vector<std::string> out;
  for (size_t i = from; i < to && i < reqs.size(); ++i) out.push_back(Line(reqs[i]));
  return out;
}

// The lines ending with "(COMMAND)", in their order.
std::vector<std::string> Only(const std::vector<std::string>& lines, const std::string& command) {
  std::vector<std::string> out;
  std::string suffix = " (" + command + ")";
  for (const auto& l : lines)
    if (l.size() >= suffix.size() &&
        l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(l);
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string Dump(const std::vector<KubeRequest>& reqs) {
  std::string out;
  for (size_t i = 0; i < reqs.size(); ++i) out += std::to_string(i) + ": " + Line(reqs[i]) + "\n";
  return out;
}

const std::string kCrashedPath = kPods + "/" + kCrashed;
const std::string kCheckout = kDeps + "/checkout";

// The requests of the contain stage: its steps run in parallel, so these come in any order;
// `log_query` is what kubectl logs asked for.
std::vector<std::string> ContainRequests(const std::string& log_query) {
  return Sorted(
      {// goroutines: kubectl get --raw through the pod proxy
       "GET " + kCrashedPath + ":6060/proxy/debug/pprof/goroutine?debug=2 (kubectl get)",
       // logs: medic reads the restart count, then kubectl logs
       "GET " + kCrashedPath + " (kubectl get)", "GET " + kCrashedPath + " (kubectl logs)",
       "GET " + kCrashedPath + "/log?" + log_query + " (kubectl logs)",
       // isolate: medic reads the labels, then kubectl label
       "GET " + kCrashedPath + " (kubectl get)", "GET " + kCrashedPath + " (kubectl label)",
       "PATCH " + kCrashedPath + "?fieldManager=kubectl-label (kubectl label)"});
}

// What the restart path sends after the contain stage, in this order.
const std::vector<std::string> kRestartRequests = {
    // restart: kubectl rollout restart
    "GET " + kCheckout + " (kubectl rollout restart)",
    "PATCH " + kCheckout + "?fieldManager=kubectl-rollout (kubectl rollout restart)",
    // restart_status
    "GET " + kCheckout + " (kubectl rollout status)",
    "GET " + kDeps + "?fieldSelector=metadata.name=checkout (kubectl rollout status)",
    "GET " + kDeps + "?fieldSelector=metadata.name=checkout&watch=true (kubectl rollout status)",
    // remove_isolated
    "DELETE " + kCrashedPath + " (kubectl delete)",
    // healthz, through the Service proxy
    "GET /api/v1/namespaces/shop/services/checkout:8080/proxy/healthz (kubectl get)",
};

// What the hotfix path sends after the contain stage, in this order.
const std::vector<std::string> kHotfixRequests = {
    // set_known_image: medic reads the current image, then kubectl set image
    "GET " + kCheckout + " (kubectl get)",
    "GET " + kCheckout + " (kubectl set image)",
    "PATCH " + kCheckout + "?fieldManager=kubectl-set (kubectl set image)",
    // rollout_status
    "GET " + kCheckout + " (kubectl rollout status)",
    "GET " + kDeps + "?fieldSelector=metadata.name=checkout (kubectl rollout status)",
    "GET " + kDeps + "?fieldSelector=metadata.name=checkout&watch=true (kubectl rollout status)",
    // remove_isolated
    "DELETE " + kCrashedPath + " (kubectl delete)",
    // healthz, through the Service proxy
    "GET /api/v1/namespaces/shop/services/checkout:8080/proxy/healthz (kubectl get)",
};

// Asserts the requests of a run in order: locate's list; contain's 7 (in any order, but
// each kubectl command's own in order); then, since diagnose sends none, `recover`'s.
void ExpectRequests(const std::vector<KubeRequest>& reqs, const std::string& log_query,
                    const std::vector<std::string>& recover) {
  ASSERT_EQ(reqs.size(), 8 + recover.size()) << Dump(reqs);
  EXPECT_EQ(Line(reqs[0]), "GET " + kPods + "?labelSelector=app=checkout (kubectl get)");
  std::vector<std::string> contain = Lines(reqs, 1, 8);
  EXPECT_EQ(Sorted(contain), ContainRequests(log_query)) << Dump(reqs);
  EXPECT_EQ(
      Only(contain, "kubectl logs"),
      std::vector<std::string>({"GET " + kCrashedPath + " (kubectl logs)",
                                "GET " + kCrashedPath + "/log?" + log_query + " (kubectl logs)"}))
      << Dump(reqs);
  EXPECT_EQ(Only(contain, "kubectl label"),
            std::vector<std::string>(
                {"GET " + kCrashedPath + " (kubectl label)",
                 "PATCH " + kCrashedPath + "?fieldManager=kubectl-label (kubectl label)"}))
      << Dump(reqs);
  EXPECT_EQ(Lines(reqs, 8, reqs.size()), recover) << Dump(reqs);
  for (const auto& r : reqs) {
    if (r["method"] == "PATCH" && r["path"] == kCrashedPath) {
      EXPECT_EQ(r["headers"]["content-type"], "application/merge-patch+json");
      EXPECT_EQ(r["body"], json::parse(R"({"metadata": {"labels": {"app": null,
                                                         "medic.io/quarantined": "true"}}})"));
    }
    if (r["method"] == "DELETE") {
      EXPECT_EQ(r["body"]["propagationPolicy"], "Background");
    }
  }
}

// Asserts that the restart path's PATCH only stamped the pod template (no image change).
void ExpectRestartPatch(const std::vector<KubeRequest>& reqs) {
  int patches = 0;
  for (const auto& r : reqs)
    if (r["method"] == "PATCH" && r["path"] == kCheckout) {
      ++patches;
      EXPECT_EQ(r["headers"]["content-type"], "application/strategic-merge-patch+json");
      EXPECT_TRUE(r["body"]["spec"]["template"]["metadata"]["annotations"].contains(
          "kubectl.kubernetes.io/restartedAt"))
          << r.dump();
      EXPECT_FALSE(r["body"]["spec"]["template"].contains("spec")) << "the image must not change";
    }
  EXPECT_EQ(patches, 1);
}

// Asserts that the hotfix's PATCH set the fixed image, and the peer's state after it: the
// Deployment runs the fixed image and the isolated pod is gone.
void ExpectHotfixRolledOut(const std::vector<KubeRequest>& reqs, const json& state) {
  int patches = 0;
  for (const auto& r : reqs)
    if (r["method"] == "PATCH" && r["path"] == kCheckout) {
      ++patches;
      EXPECT_EQ(r["headers"]["content-type"], "application/strategic-merge-patch+json");
      EXPECT_EQ(r["body"]["spec"]["template"]["spec"]["containers"],
                json::array({{{"image", kFixed}, {"name", "app"}}}));
    }
  EXPECT_EQ(patches, 1);
  ASSERT_EQ(state["deployments"].size(), 1u);
  EXPECT_EQ(state["deployments"][0]["spec"]["template"]["spec"]["containers"][0]["image"], kFixed);
  for (const auto& pod : state["pods"]) EXPECT_NE(pod["metadata"]["name"], kCrashed);
}

// Why the optional integrations skip when they have no endpoint.
const std::string kNoPrometheus =
    "skipped: not configured: no Prometheus URL (set `url`, or $PROMETHEUS_URL)";
const std::string kNoPushgateway =
    "skipped: not configured: no Pushgateway URL (set `url`, or $PUSHGATEWAY_URL)";
const std::string kNoAlertmanager =
    "skipped: not configured: no Alertmanager URL (set `url`, or $ALERTMANAGER_URL)";
const std::string kNoPagerDuty =
    "skipped: not configured: no PagerDuty routing key (set $PAGERDUTY_ROUTING_KEY, "
    "routing_key_file or routing_key)";
const std::string kNoBucket = "skipped: not configured: no bucket (set bucket or MEDIC_S3_BUCKET)";
const std::string kNoSlack =
    "skipped: not configured: no Slack webhook URL (set $SLACK_WEBHOOK_URL, webhook_url_file or "
    "webhook_url)";
const std::string kWhenFalse = "skipped: when is false";

// The outcome of every step on the restart path with no optional integration configured;
// tests change what differs.
std::map<std::string, std::string> RestartOutcomes() {
  return {
      // locate
      {"pods", "succeeded"},
      // contain
      {"snapshot", kNoPrometheus},
      {"marker", kNoPushgateway},
      {"silence", kNoAlertmanager},
      {"goroutines", "succeeded"},
      {"logs", "succeeded"},
      {"core", kWhenFalse},  // no debug_image
      {"isolate", "succeeded"},
      {"envoy_fail", kWhenFalse},
      {"page", kNoPagerDuty},
      // diagnose
      {"analyze", "succeeded"},
      {"upload_evidence", kNoBucket},
      {"upload_core", kWhenFalse},
      // recover: the restart
      {"set_image", kWhenFalse},
      {"set_known_image", kWhenFalse},
      {"rollout_status", kWhenFalse},
      {"restart", "succeeded"},
      {"restart_status", "succeeded"},
      {"remove_isolated", "succeeded"},
      {"healthz", "succeeded"},
      // verify
      {"panic_rate", kNoPrometheus},
      {"p99", kNoPrometheus},
      {"error_rate", kNoPrometheus},
      {"business", kWhenFalse},
      // report
      {"resolve_page", kNoPagerDuty},
      {"unsilence", kWhenFalse},
      {"clear_marker", kWhenFalse},
      {"summary", kNoSlack},
      {"summary_no_crash", kWhenFalse},
  };
}

// The golden playbook's verify checks are required: without Prometheus they fail, the run
// fails at verify, and the report stage does not run. The run says what it could not check.
const std::string kRequiredNoPrometheus =
    "failed: required, but not configured: no Prometheus URL (set `url`, or $PROMETHEUS_URL)";

std::map<std::string, std::string> WithoutPrometheus(std::map<std::string, std::string> out) {
  for (const char* id : {"panic_rate", "p99", "error_rate"}) out[id] = kRequiredNoPrometheus;
  for (const char* id :
       {"resolve_page", "unsilence", "clear_marker", "summary", "summary_no_crash"})
    out[id] = "pending";
  return out;
}

class GoldenK8s : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::GoFixturesAvailable()) GTEST_SKIP() << "needs Debian's golang-go";
    if (!testing::HaveTool("kubectl")) GTEST_SKIP() << "needs kubectl";
    for (const char* name : kIntegrationEnv) unsetenv(name);
    // kubectl caches discovery under $HOME/.kube: keep it inside the test's directory.
    std::filesystem::create_directories(dir_.Join("home"));
    setenv("HOME", dir_.Join("home").c_str(), 1);
    known_ = dir_.Join("known.json");
    testing::WriteFile(known_, json({{"signatures",
                                      {{{"signature", "nil_map_write main.(*Registry).Put"},
                                        {"fixed_in", kFixed},
                                        {"note", "PR 812"}}}}})
                                   .dump());
  }
  void TearDown() override { unsetenv("KUBECONFIG"); }

  void StartPeer(const json& seed) {
    std::string err = peer_.Start(dir_.path(), seed);
    ASSERT_EQ(err, "") << err;
    setenv("KUBECONFIG", peer_.kubeconfig().c_str(), 1);
  }

  Result<RunRecord> RunGolden(json vars) {
    vars["service"] = "checkout";
    vars["namespace"] = "shop";
    vars["selector"] = "app=checkout";
    vars["deployment"] = "checkout";
    vars["container"] = "app";
    vars["known"] = known_;
    return harness_.Run(testing::ReadFile(kPlaybook), vars);
  }

  StepRecord Step(int64_t run, const std::string& id) { return harness_.Step(run, id); }

  // Every step of the playbook -> "succeeded", "skipped: REASON" (the recorded error, or
  // "when is false" when the record's skip event names the step's `when`), "failed: ERROR".
  std::map<std::string, std::string> Outcomes(int64_t run) {
    std::map<std::string, std::string> out;
    auto pb = LoadPlaybook(kPlaybook, harness_.registry());
    if (!pb.ok()) return {{"playbook", pb.status().message()}};
    std::string events = harness_.Events(run);
    for (const StepDef* def : pb->Steps()) {
      StepRecord s = Step(run, def->id);
      std::string outcome = ToString(s.status);
      if (!s.error.empty()) {
        outcome += ": " + s.error;
      } else if (s.status == StepStatus::kSkipped && !def->when.empty() && s.attempts == 0 &&
                 events.find("step.skipped: when is false: " + def->when) != std::string::npos) {
        outcome += ": when is false";
      }
      out[def->id] = outcome;
    }
    return out;
  }

  testing::ScopedTempDir dir_;
  std::string known_;
  KubePeer peer_;
  PlaybookHarness harness_;
};

TEST_F(GoldenK8s, AKnownCrashTakesTheHotfixPathWithTheseRequestsInThisOrder) {
  const std::string& crash = CrashOutput("nilmap");
  const std::string dump = GoroutineDump(CrashOutput("idle_sigquit"));
  ASSERT_NE(crash.find("panic: assignment to entry in nil map"), std::string::npos) << crash;
  ASSERT_FALSE(dump.empty()) << CrashOutput("idle_sigquit");
  StartPeer(Seed(crash, dump));

  // Prometheus (scraping the Pushgateway) is real here, so the snapshot, the marker and the
  // verify stage's PromQL run for real; the checks pass on no data (on_empty: pass).
  PushgatewayPeer pushgateway;
  PrometheusPeer prometheus;
  std::string err = pushgateway.Start(dir_.Join("pushgateway"));
  if (err.empty())
    err = prometheus.Start(dir_.Join("prometheus"),
                           {"127.0.0.1:" + std::to_string(pushgateway.port())});
  ASSERT_EQ(err, "") << err;

  auto run = RunGolden({{"prometheus_url", prometheus.url()},
                        {"pushgateway_url", pushgateway.url()},
                        {"check_interval", "1s"},
                        {"check_count", 2}});
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kSucceeded) << run->error << "\n" << harness_.Events(run->id);
  auto expected = RestartOutcomes();
  for (const char* id : {"snapshot", "marker", "panic_rate", "p99", "error_rate", "clear_marker"})
    expected[id] = "succeeded";
  expected["set_known_image"] = "succeeded";  // no `image` given: the known file's
  expected["rollout_status"] = "succeeded";
  expected["restart"] = expected["restart_status"] = kWhenFalse;
  EXPECT_EQ(Outcomes(run->id), expected);

  EXPECT_EQ(Step(run->id, "pods").outputs["first"], kCrashed);
  StepRecord logs = Step(run->id, "logs");
  EXPECT_EQ(logs.outputs["previous"], true);
  EXPECT_NE(testing::ReadFile(logs.outputs.value("path", "")).find(crash), std::string::npos);
  EXPECT_GE(Step(run->id, "goroutines").outputs.value("goroutines", 0), 9);
  EXPECT_EQ(Step(run->id, "isolate").outputs["removed"], json::array({"app"}));
  // The real panic, matched in the known file.
  StepRecord analyze = Step(run->id, "analyze");
  EXPECT_EQ(analyze.outputs["category"], "nil_map_write");
  EXPECT_EQ(analyze.outputs["culprit"]["function"], "main.(*Registry).Put");
  EXPECT_EQ(analyze.outputs["recommendation"]["action"], "hotfix") << Describe(analyze);
  EXPECT_EQ(analyze.outputs["recommendation"]["fixed_in"], kFixed);
  // Its image, rolled out.
  StepRecord set = Step(run->id, "set_known_image");
  EXPECT_EQ(set.outputs["previous_image"], kRunning);
  EXPECT_EQ(set.outputs["image"], kFixed);
  EXPECT_EQ(set.outputs["changed"], true);
  EXPECT_EQ(Step(run->id, "rollout_status").outputs["message"],
            "deployment \"checkout\" successfully rolled out");
  EXPECT_EQ(Step(run->id, "remove_isolated").outputs["message"],
            "pod \"" + kCrashed + "\" deleted");
  EXPECT_EQ(Step(run->id, "healthz").outputs["stdout"], "ok\n");

  auto reqs = peer_.ApiRequests();
  ExpectRequests(reqs, "container=app&previous=true", kHotfixRequests);
  ExpectHotfixRolledOut(reqs, peer_.State());
}

TEST_F(GoldenK8s, AnUnknownCrashTakesTheRestartPathWithTheseRequestsInThisOrder) {
  // A real crash the known file does not list: restart to restore service, then investigate.
  // No Prometheus, Pushgateway, Alertmanager, PagerDuty, Slack or S3: each skips cleanly.
  const std::string& crash = CrashOutput("concurrentmap");
  const std::string dump = GoroutineDump(CrashOutput("idle_sigquit"));
  ASSERT_NE(crash.find("fatal error: concurrent map"), std::string::npos) << crash;
  ASSERT_FALSE(dump.empty()) << CrashOutput("idle_sigquit");
  StartPeer(Seed(crash, dump));

  auto run = RunGolden(json::object());
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kFailed) << run->error << "\n" << harness_.Events(run->id);
  EXPECT_EQ(Outcomes(run->id), WithoutPrometheus(RestartOutcomes()));
  StepRecord analyze = Step(run->id, "analyze");
  EXPECT_EQ(analyze.outputs["category"], "concurrent_map_access") << Describe(analyze);
  EXPECT_EQ(analyze.outputs["recommendation"]["action"], "investigate") << Describe(analyze);
  EXPECT_EQ(Step(run->id, "restart").outputs["message"], "deployment.apps/checkout restarted");
  EXPECT_EQ(Step(run->id, "restart_status").outputs["message"],
            "deployment \"checkout\" successfully rolled out");

  auto reqs = peer_.ApiRequests();
  ExpectRequests(reqs, "container=app&previous=true", kRestartRequests);
  ExpectRestartPatch(reqs);
  json state = peer_.State();
  ASSERT_EQ(state["deployments"].size(), 1u);
  EXPECT_EQ(state["deployments"][0]["spec"]["template"]["spec"]["containers"][0]["image"],
            kRunning);
}

TEST_F(GoldenK8s, AGoroutineLeakWithoutACrashTakesTheRestartPath) {
  // Nothing crashed (no restarts: the current log is read); the live goroutine dump shows
  // 5,000 goroutines parked in chan receive.
  const std::string dump = GoroutineDump(CrashOutput("leak_sigquit"));
  ASSERT_FALSE(dump.empty()) << CrashOutput("leak_sigquit");
  StartPeer(Seed("", dump, /*restarts=*/0));

  auto run = RunGolden(json::object());
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kFailed) << run->error << "\n" << harness_.Events(run->id);
  auto expected = RestartOutcomes();
  expected["summary"] = kWhenFalse;
  expected["summary_no_crash"] = kNoSlack;
  EXPECT_EQ(Outcomes(run->id), WithoutPrometheus(expected));
  EXPECT_EQ(Step(run->id, "logs").outputs["previous"], false);
  StepRecord analyze = Step(run->id, "analyze");
  EXPECT_EQ(analyze.outputs["crash_found"], false) << Describe(analyze);
  EXPECT_EQ(analyze.outputs["leak_suspects"][0]["function"], "main.(*Sub).listen");
  EXPECT_EQ(analyze.outputs["leak_suspects"][0]["count"], 5000);
  EXPECT_EQ(analyze.outputs["recommendation"]["action"], "restart") << Describe(analyze);

  auto reqs = peer_.ApiRequests();
  ExpectRequests(reqs, "container=app", kRestartRequests);
  ExpectRestartPatch(reqs);
}

// The goroutines step's failure when nothing serves pprof on 6060.
const std::string kNoPprof =
    "failed: kubectl get --raw " + kCrashedPath +
    ":6060/proxy/debug/pprof/goroutine?debug=2 failed (exit code 1): Error from server "
    "(ServiceUnavailable): error trying to reach service: dial tcp 10.1.0.11:6060: connect: "
    "connection refused";

TEST_F(GoldenK8s, WithoutAGoroutineDumpTheLogAloneFindsTheKnownCrashAndTheHotfixRollsOut) {
  // Nothing serves pprof on 6060 (the pod proxy answers 503): analyze reads the previous log
  // alone, finds the known crash there, and the fixed image is rolled out.
  StartPeer(Seed(CrashOutput("nilmap"), ""));

  auto run = RunGolden(json::object());
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kFailed) << run->error << "\n" << harness_.Events(run->id);
  auto expected = RestartOutcomes();
  expected["goroutines"] = kNoPprof;
  expected["set_known_image"] = "succeeded";
  expected["rollout_status"] = "succeeded";
  expected["restart"] = expected["restart_status"] = kWhenFalse;
  EXPECT_EQ(Outcomes(run->id), WithoutPrometheus(expected));
  StepRecord analyze = Step(run->id, "analyze");
  EXPECT_EQ(analyze.outputs["sources"].size(), 1u) << Describe(analyze);
  EXPECT_EQ(analyze.outputs["sources"][0]["path"], Step(run->id, "logs").outputs["path"]);
  EXPECT_EQ(analyze.outputs["recommendation"]["action"], "hotfix") << Describe(analyze);

  auto reqs = peer_.ApiRequests();
  ExpectRequests(reqs, "container=app&previous=true", kHotfixRequests);
  ExpectHotfixRolledOut(reqs, peer_.State());
}

TEST_F(GoldenK8s, WithNeitherLogNorDumpThereIsNoAnalysisAndTheRunStillRestarts) {
  // medic may not read pod logs (RBAC answers 403), and nothing serves pprof: analyze has
  // nothing to read, and recover falls back to the restart instead of stopping the run with
  // the bad pod out of rotation.
  json seed = Seed(CrashOutput("nilmap"), "");
  seed["faults"] = {{{"method", "GET"},
                     {"pathRegex", "/log\\?"},
                     {"status", 403},
                     {"message", "pods \"" + kCrashed +
                                     "\" is forbidden: User \"medic\" cannot get resource "
                                     "\"pods/log\" in API group \"\" in the namespace \"shop\""}}};
  StartPeer(seed);

  auto run = RunGolden(json::object());
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kFailed) << run->error << "\n" << harness_.Events(run->id);
  auto expected = RestartOutcomes();
  expected["goroutines"] = kNoPprof;
  expected["logs"] = "failed: " + Step(run->id, "logs").error;
  expected["analyze"] = "failed: nothing to analyze: give logs and/or core";
  expected["upload_evidence"] = kWhenFalse;
  expected["summary"] = kWhenFalse;
  expected["summary_no_crash"] = kNoSlack;
  EXPECT_EQ(Outcomes(run->id), WithoutPrometheus(expected));
  EXPECT_NE(Step(run->id, "logs").error.find("cannot get resource \"pods/log\""), std::string::npos)
      << Step(run->id, "logs").error;

  ExpectRequests(peer_.ApiRequests(), "container=app&previous=true", kRestartRequests);
}

}  // namespace
}  // namespace medic
