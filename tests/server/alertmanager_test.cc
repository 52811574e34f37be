// The pager path with a real Alertmanager (Debian's prometheus-alertmanager) posting its
// webhooks to `medic serve`: firing and resolved notifications, repeats deduplicated, a
// wrong token refused with nothing stored, a kill -9 of serve between the 202 and the run's
// end followed by a restart that completes the run exactly once, and a burst of duplicate
// alerts that yields one incident.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/alertmanager_peer.h"
#include "tests/support/serve_peer.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::AlertmanagerPeer;
using testing::ReadFile;
using testing::ScopedTempDir;
using testing::ServePeer;
using testing::WaitFor;
using testing::WriteFile;

const std::string kToken = "alertmanager-test-token-0123456789";

std::string Rfc3339(int offset_seconds) {
  time_t t = time(nullptr) + offset_seconds;
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class WithAlertmanager : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(AlertmanagerPeer::kBinary))
      GTEST_SKIP() << AlertmanagerPeer::kBinary << " is missing (scripts/install-deps installs it)";
    WriteFile(dir_.Join("tokens"), kToken + "\n");
    effects_ = dir_.Join("effects.log");
    marker_ = dir_.Join("hold");
    WriteFile(dir_.Join("pb.yaml"), R"(name: rescue
params:
  service: {required: true}
stages:
  - name: contain
    steps:
      - {id: a, action: exec, with: {argv: [sh, -c, 'echo "a $1" >> "$0"', ")" +
                                        effects_ + R"(", "{{ params.service }}"]}}
      - id: b
        action: exec
        idempotent: true
        with: {argv: [sh, -c, 'while [ -f "$1" ]; do sleep 0.05; done; echo "b $2" >> "$0"', ")" +
                                        effects_ + R"(", ")" + marker_ +
                                        R"(", "{{ params.service }}"]}
  - name: verify
    steps:
      - {id: c, action: exec, with: {argv: [sh, -c, 'echo "c $1" >> "$0"', ")" +
                                        effects_ + R"(", "{{ params.service }}"]}}
)");
    WriteFile(dir_.Join("serve.yaml"), R"(auth:
  bearer_tokens_file: tokens
routes:
  - name: panics
    match: {alertname: GoPanicRateHigh, severity: "=~crit.*"}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"}
    dedup_key: "{{ labels.namespace }}/{{ labels.service }}"
)");
  }

  void StartBoth(const std::string& token = kToken) {
    std::string err = serve_.Start(Db(), dir_.Join("serve.yaml"), dir_.Join("serve.log"));
    ASSERT_EQ(err, "");
    // Short waits so notifications follow within a second or two; Alertmanager groups by
    // service, as a production route would.
    std::string config = R"(route:
  receiver: medic
  group_by: [alertname, namespace, service]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: medic
    webhook_configs:
      - url: )" + serve_.url() +
                         R"(/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization: {type: Bearer, credentials: ")" +
                         token + R"("}
)";
    err = am_.Start(dir_.Join("am"), config);
    ASSERT_EQ(err, "");
  }

  static std::string Alert(const std::string& pod, bool resolved = false,
                           const std::string& service = "checkout") {
    json a = {{"labels",
               {{"alertname", "GoPanicRateHigh"},
                {"severity", "critical"},
                {"namespace", "prod"},
                {"service", service},
                {"pod", pod}}},
              {"annotations", {{"summary", "panics in " + service}}},
              {"startsAt", Rfc3339(-60)}};
    if (resolved) a["endsAt"] = Rfc3339(-1);
    return a.dump();
  }

  void PostToAlertmanager(const std::vector<std::string>& alerts) {
    std::string body = "[";
    for (size_t i = 0; i < alerts.size(); ++i) body += (i ? "," : "") + alerts[i];
    body += "]";
    ASSERT_EQ(am_.PostAlerts(body), 200) << ReadFile(am_.log_path());
  }

  std::string Db() const { return dir_.Join("medic.db"); }

  std::string Query(const std::string& sql) { return testing::QueryRecord(Db(), sql); }

  std::string Metrics() {
    httplib::Client client("127.0.0.1", serve_.port());
    auto res = client.Get("/metrics");
    return res ? res->body : "";
  }

  std::string Logs() {
    return "serve:\n" + serve_.log() + "\nalertmanager:\n" + ReadFile(am_.log_path());
  }

  ScopedTempDir dir_;
  ServePeer serve_;
  AlertmanagerPeer am_;
  std::string effects_, marker_;
};

TEST_F(WithAlertmanager, FiringRunsThePlaybookAndResolvedClosesTheIncident) {
  StartBoth();
  PostToAlertmanager({Alert("checkout-1")});
  ASSERT_TRUE(WaitFor([&] { return Query("select status from runs") == "succeeded"; })) << Logs();
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\nc checkout\n");
  EXPECT_EQ(Query("select trigger from runs"), "alertmanager");
  EXPECT_EQ(Query("select dedup_key from incidents"), "panics/prod/checkout");
  EXPECT_EQ(Query("select status from incidents"), "open")
      << "the run ending does not close the incident";
  std::string data = Query("select data from events where kind = 'alert.firing'");
  json j = json::parse(data);
  EXPECT_EQ(j["labels"]["pod"], "checkout-1");
  EXPECT_EQ(j["source"], "alertmanager");
  EXPECT_EQ(j["fingerprint"].get<std::string>().size(), 16u) << "Alertmanager's own fingerprint";
  EXPECT_EQ(Query("select detected_at = (select min(starts_at) from alerts) from incidents"), "1");

  PostToAlertmanager({Alert("checkout-1", true)});
  ASSERT_TRUE(WaitFor([&] { return Query("select status from incidents") == "closed"; })) << Logs();
  EXPECT_EQ(Query("select count(*) from events where kind = 'alert.resolved'"), "1");
  EXPECT_EQ(Query("select count(*) from runs"), "1");
}

TEST_F(WithAlertmanager, RepeatsAndOtherPodsAreDeduplicatedIntoTheOpenIncident) {
  StartBoth();
  PostToAlertmanager({Alert("checkout-1")});
  ASSERT_TRUE(WaitFor([&] { return Query("select status from runs") == "succeeded"; })) << Logs();
  PostToAlertmanager({Alert("checkout-2")});
  PostToAlertmanager({Alert("checkout-1")});
  // Alertmanager re-sends the whole group, now with both pods.
  ASSERT_TRUE(WaitFor([&] { return Query("select count(*) from alerts") == "2"; })) << Logs();
  ASSERT_TRUE(WaitFor([&] {
    return std::atoi(Query("select count(*) from events where kind = 'alert.repeated'").c_str()) >=
           2;
  })) << Logs();
  EXPECT_EQ(Query("select count(*) from incidents"), "1");
  EXPECT_EQ(Query("select count(*) from runs"), "1");
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\nc checkout\n");
  PostToAlertmanager({Alert("checkout-1", true)});
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status from alerts where labels like '%checkout-1%'") == "resolved";
  })) << Logs();
  EXPECT_EQ(Query("select status from incidents"), "open") << "checkout-2 still fires";
  PostToAlertmanager({Alert("checkout-2", true)});
  ASSERT_TRUE(WaitFor([&] { return Query("select status from incidents") == "closed"; })) << Logs();
}

TEST_F(WithAlertmanager, AWrongTokenIsRefusedAndNothingIsStored) {
  StartBoth("a-token-medic-does-not-know");
  PostToAlertmanager({Alert("checkout-1")});
  ASSERT_TRUE(WaitFor([&] {
    return Metrics().find(
               "medic_http_requests_total{endpoint=\"/hooks/alertmanager\",code=\"401\"}") !=
           std::string::npos;
  })) << Logs();
  for (const char* table : {"incidents", "runs", "events", "alerts", "unrouted_alerts"})
    EXPECT_EQ(Query(std::string("select count(*) from ") + table), "0") << table;
}

TEST_F(WithAlertmanager, KillNineBetween202AndTheRunsEndThenRestartCompletesItExactlyOnce) {
  WriteFile(marker_, "");
  StartBoth();
  PostToAlertmanager({Alert("checkout-1")});
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status from steps where step_id = 'b'") == "running";
  })) << Logs();
  serve_.Kill9();
  // Alertmanager keeps notifying (group_interval) while serve is down and after it is back.
  PostToAlertmanager({Alert("checkout-2")});
  ASSERT_EQ(serve_.Restart(), "");
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status || attempts from steps where step_id = 'b'") == "running2";
  })) << Logs();
  std::remove(marker_.c_str());
  ASSERT_TRUE(WaitFor([&] { return Query("select status from runs") == "succeeded"; })) << Logs();
  ASSERT_TRUE(WaitFor([&] { return Query("select count(*) from alerts") == "2"; })) << Logs();
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\nc checkout\n");
  EXPECT_EQ(Query("select count(*) from runs"), "1");
  EXPECT_EQ(Query("select count(*) from incidents"), "1");
  EXPECT_EQ(
      Query("select group_concat(kind) from events where kind in ('run.started', 'run.resumed')"),
      "run.started,run.resumed");
}

TEST_F(WithAlertmanager, ABurstOfDuplicateAlertsYieldsOneIncident) {
  StartBoth();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i)
        am_.PostAlerts("[" + Alert("checkout-" + std::to_string(t)) + "," +
                       Alert("checkout-" + std::to_string(i)) + "]");
    });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(WaitFor([&] { return Query("select count(*) from alerts") == "10"; })) << Logs();
  ASSERT_TRUE(WaitFor([&] { return Query("select status from runs") == "succeeded"; })) << Logs();
  EXPECT_EQ(Query("select count(*) from incidents"), "1");
  EXPECT_EQ(Query("select count(*) from runs"), "1");
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\nc checkout\n");
}

}  // namespace
}  // namespace medic
