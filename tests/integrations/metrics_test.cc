// prometheus.*, pushgateway.* and alertmanager.* against the real servers from Debian's
// packages (started once for the suite on free ports), driven through the real runner so
// every assertion is about what the record says.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "integrations/metric_condition.h"
#include "integrations/pushgateway.h"
#include "integrations/sha256.h"
#include "tests/integrations/playbook_harness.h"
#include "tests/support/alertmanager_peer.h"
#include "tests/support/capture_server.h"
#include "tests/support/prom_peers.h"

namespace medic {
namespace {

using testing::AlertmanagerPeer;
using testing::CaptureServer;
using testing::Describe;
using testing::HttpGet;
using testing::PlaybookHarness;
using testing::PrometheusPeer;
using testing::PushgatewayPeer;
using testing::ScopedTempDir;

class Metrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir();
    pushgateway_ = new PushgatewayPeer();
    prometheus_ = new PrometheusPeer();
    alertmanager_ = new AlertmanagerPeer();
    *error_ = pushgateway_->Start(dir_->Join("pushgateway"));
    if (error_->empty())
      *error_ = prometheus_->Start(dir_->Join("prometheus"),
                                   {"127.0.0.1:" + std::to_string(pushgateway_->port())});
    if (error_->empty())
      *error_ = alertmanager_->Start(dir_->Join("alertmanager"),
                                     "route: {receiver: drop}\nreceivers: [{name: drop}]\n");
  }
  static void TearDownTestSuite() {
    delete alertmanager_;
    delete prometheus_;
    delete pushgateway_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(error_->empty()) << *error_;
    unsetenv("PROMETHEUS_URL");
    unsetenv("PUSHGATEWAY_URL");
    unsetenv("ALERTMANAGER_URL");
  }

  /// Polls Prometheus until `query` returns at least one series (scrapes are every 1s).
  static bool WaitForSeries(const std::string& query, int timeout_ms = 20'000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string body;
      if (HttpGet(prometheus_->port(), "/api/v1/query?query=" + UrlEncode(query), &body) == 200 &&
          Json::parse(body)["data"]["result"].size() > 0)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  /// The Pushgateway's groups (GET /api/v1/metrics `data`).
  static Json PushgatewayGroups() {
    std::string body;
    if (HttpGet(pushgateway_->port(), "/api/v1/metrics", &body) != 200) return Json::array();
    return Json::parse(body)["data"];
  }

  static Json Silence(const std::string& id) {
    std::string body;
    if (HttpGet(alertmanager_->port(), "/api/v2/silence/" + id, &body) != 200) return Json();
    return Json::parse(body);
  }

  std::string Prom() const { return prometheus_->url(); }

  PlaybookHarness h_;
  static ScopedTempDir* dir_;
  static PushgatewayPeer* pushgateway_;
  static PrometheusPeer* prometheus_;
  static AlertmanagerPeer* alertmanager_;
  static std::string* error_;
};

ScopedTempDir* Metrics::dir_ = nullptr;
PushgatewayPeer* Metrics::pushgateway_ = nullptr;
PrometheusPeer* Metrics::prometheus_ = nullptr;
AlertmanagerPeer* Metrics::alertmanager_ = nullptr;
std::string* Metrics::error_ = new std::string();

TEST_F(Metrics, PushPutsTheMarkerInABase64GroupForSlashedValuesAndDeleteRemovesIt) {
  auto run = h_.Run(R"(name: p
stages:
  - name: s
    steps:
      - id: push
        action: pushgateway.push
        with:
          url: )" + pushgateway_->url() +
                    R"(
          grouping: {incident: "{{ incident.id }}", instance: "host/a b"}
          labels: {service: checkout, reason: "crash \"loop\""}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto push = h_.Step(run->id, "push");
  ASSERT_EQ(push.status, StepStatus::kSucceeded) << Describe(push);
  EXPECT_NE(push.outputs["group_url"].get<std::string>().find("/instance@base64/aG9zdC9hIGI="),
            std::string::npos)
      << push.outputs.dump();

  Json mine;
  for (const auto& g : PushgatewayGroups()) {
    if (g["labels"].value("instance", "") == "host/a b") mine = g;
  }
  ASSERT_FALSE(mine.is_null()) << PushgatewayGroups().dump();
  EXPECT_EQ(mine["labels"]["job"], "medic");
  EXPECT_EQ(mine["labels"]["incident"], std::to_string(run->incident_id));
  const Json& sample = mine["medic_incident_frozen"]["metrics"][0];
  EXPECT_EQ(sample["labels"]["service"], "checkout");
  EXPECT_EQ(sample["labels"]["reason"], "crash \"loop\"");
  EXPECT_EQ(sample["value"], "1");

  auto del = h_.RunStep("pushgateway.delete",
                        "{url: " + pushgateway_->url() + ", grouping: {incident: \"" +
                            std::to_string(run->incident_id) + "\", instance: \"host/a b\"}}");
  ASSERT_TRUE(del.ok()) << del.status().message();
  ASSERT_EQ(h_.Step(del->id).status, StepStatus::kSucceeded) << Describe(h_.Step(del->id));
  for (const auto& g : PushgatewayGroups())
    EXPECT_NE(g["labels"].value("instance", ""), "host/a b");
}

TEST_F(Metrics, PushOfAnInvalidMetricNameFailsBeforeSending) {
  auto run =
      h_.RunStep("pushgateway.push", "{url: " + pushgateway_->url() + ", metric: 'bad-name'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("'bad-name' is not a metric name"), std::string::npos) << step.error;
}

TEST_F(Metrics, SnapshotStoresEveryQueriesSeriesInAnArtifactWithItsHash) {
  auto push = h_.RunStep("pushgateway.push",
                         "{url: " + pushgateway_->url() +
                             ", metric: medic_test_snapshot_marker, grouping: {case: snapshot}}");
  ASSERT_TRUE(push.ok() && h_.Step(push->id).status == StepStatus::kSucceeded)
      << Describe(h_.Step(push->id));
  ASSERT_TRUE(WaitForSeries("medic_test_snapshot_marker")) << "Prometheus never scraped the marker";

  auto run = h_.RunStep("prometheus.snapshot",
                        "{url: " + Prom() +
                            ", queries: [medic_test_snapshot_marker, 'up{job=\"targets\"}', "
                            "absent_metric_medic], before: 2m, step: 1s}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  EXPECT_EQ(step.outputs["series"], Json::array({1, 1, 0}));
  EXPECT_EQ(step.outputs["series_total"], 2);

  auto artifacts = h_.Artifacts(run->id);
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].kind, "snapshot");
  std::string text = testing::ReadFile(artifacts[0].path);
  EXPECT_EQ(artifacts[0].size, static_cast<int64_t>(text.size()));
  EXPECT_EQ(artifacts[0].sha256, Sha256Hex(text));
  Json file = Json::parse(text);
  ASSERT_EQ(file["queries"].size(), 3u);
  EXPECT_EQ(file["queries"][0]["resultType"], "matrix");
  const Json& series = file["queries"][0]["result"][0];
  EXPECT_EQ(series["metric"]["__name__"], "medic_test_snapshot_marker");
  EXPECT_GE(series["values"].size(), 1u);
}

TEST_F(Metrics, SnapshotNamesTheQueryPrometheusRejectedAndKeepsTheOthers) {
  auto run =
      h_.RunStep("prometheus.snapshot", "{url: " + Prom() + ", queries: [up, 'rate(up[1m]']}",
                 "        retries: 2\n        retry_delay: 10ms\n");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("'rate(up[1m]'"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("HTTP 400"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("parse error"), std::string::npos) << step.error;
  EXPECT_EQ(step.attempts, 1) << "a rejected query is not worth a retry";
  ASSERT_EQ(h_.Artifacts(run->id).size(), 1u) << "the good query is still kept";
  Json file = Json::parse(testing::ReadFile(h_.Artifacts(run->id)[0].path));
  EXPECT_TRUE(file["queries"][0].contains("result"));
  EXPECT_TRUE(file["queries"][1].contains("error"));
}

TEST_F(Metrics, SnapshotRefusesAWindowOfMoreThanElevenThousandPoints) {
  auto run = h_.RunStep("prometheus.snapshot",
                        "{url: " + Prom() + ", queries: [up], before: 7d, step: 1s}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("raise `step`"), std::string::npos) << step.error;
}

TEST_F(Metrics, CheckPassesWhenEveryMeasurementMeetsTheCondition) {
  auto run = h_.RunStep("prometheus.check",
                        "{url: " + Prom() +
                            ", query: 'sum(up)', success: 'result >= 1 and result < 100', "
                            "count: 3, interval: 100ms}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  EXPECT_EQ(step.outputs["passed"], 3);
  EXPECT_EQ(step.outputs["failed"], 0);
  ASSERT_EQ(step.outputs["measurements"].size(), 3u);
  for (const auto& m : step.outputs["measurements"]) {
    EXPECT_EQ(m["passed"], true);
    EXPECT_TRUE(m["value"].is_number());
    EXPECT_TRUE(m["time"].is_string());
  }
}

TEST_F(Metrics, CheckStopsOnceFailuresExceedTheLimitAndNamesQueryAndValues) {
  auto run =
      h_.RunStep("prometheus.check", "{url: " + Prom() +
                                         ", query: 'sum(up)', success: 'result < 0.5', count: 5, "
                                         "failure_limit: 1, interval: 50ms}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_EQ(step.outputs["failed"], 2);
  EXPECT_EQ(step.outputs["measurements"].size(), 2u)
      << "stops at the second failure, not after five";
  EXPECT_NE(step.error.find("'sum(up)'"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("'result < 0.5' is false"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("last values: 1"), std::string::npos) << step.error;
}

TEST_F(Metrics, CheckPassesWhenTheValueIsWithinToleranceOfTheBaseline) {
  auto run = h_.RunStep(
      "prometheus.check",
      "{url: " + Prom() + ", query: 'vector(100)', baseline: {offset: 1h, tolerance: 3%}}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  EXPECT_EQ(step.outputs["measurements"][0]["baseline"], 100);
}

TEST_F(Metrics, CheckFailsWhenTheValueMovedAwayFromTheBaseline) {
  // time() grows by 3600 over the hour: now it is near 0, an hour ago near -3600.
  std::string t0 = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  auto run = h_.RunStep("prometheus.check", "{url: " + Prom() + ", query: 'vector(time() - " + t0 +
                                                ")', baseline: {offset: 1h, tolerance: 3%}}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("not within 3% of the value 1h"), std::string::npos) << step.error;
}

TEST_F(Metrics, CheckTakesTheBaselineBeforeTheIncidentWasDetectedWhenGivenAt) {
  // time() is the evaluation time: the baseline measured is exactly detected_at - offset.
  auto run = h_.RunStep("prometheus.check",
                        "{url: " + Prom() +
                            ", query: 'vector(time())', baseline: {at: '{{ incident.detected_at "
                            "}}', offset: 1h, tolerance: 100000}}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  auto incident = h_.store().GetIncident(run->incident_id);
  ASSERT_TRUE(incident.ok());
  // Opened by hand, so detected when it was opened.
  EXPECT_DOUBLE_EQ(step.outputs["measurements"][0]["baseline"].get<double>(),
                   static_cast<double>(incident->created_at - 3'600'000) / 1000);

  auto bad =
      h_.RunStep("prometheus.check", "{url: " + Prom() + ", query: up, baseline: {at: yesterday}}");
  ASSERT_TRUE(bad.ok()) << bad.status().message();
  EXPECT_EQ(h_.Step(bad->id).status, StepStatus::kFailed);
  EXPECT_NE(h_.Step(bad->id).error.find("'baseline.at': \"yesterday\" is not an RFC 3339 time"),
            std::string::npos)
      << h_.Step(bad->id).error;
}

TEST_F(Metrics, CheckOfAQueryWithNoDataFailsByDefaultAndIsSkippedOnRequest) {
  auto failed =
      h_.RunStep("prometheus.check",
                 "{url: " + Prom() + ", query: absent_metric_medic, success: 'result > 0'}");
  ASSERT_TRUE(failed.ok()) << failed.status().message();
  EXPECT_EQ(h_.Step(failed->id).status, StepStatus::kFailed);
  EXPECT_NE(h_.Step(failed->id).error.find("no data"), std::string::npos)
      << h_.Step(failed->id).error;

  auto skipped =
      h_.RunStep("prometheus.check", "{url: " + Prom() +
                                         ", query: absent_metric_medic, success: 'result > 0', "
                                         "on_empty: skip, count: 2, interval: 10ms}");
  ASSERT_TRUE(skipped.ok()) << skipped.status().message();
  auto step = h_.Step(skipped->id);
  EXPECT_EQ(step.status, StepStatus::kSkipped) << Describe(step);
  EXPECT_EQ(step.outputs["skipped"], 2);
}

TEST_F(Metrics, CheckWithABadConditionSaysWhereItIsWrong) {
  auto run =
      h_.RunStep("prometheus.check", "{url: " + Prom() + ", query: up, success: 'result = 1'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("column 8: '=' is not a comparison (use '==')"), std::string::npos)
      << step.error;
}

TEST_F(Metrics, UnreachablePrometheusIsAClearErrorInTheStepRecord) {
  int port = testing::FreePort();
  auto run = h_.RunStep("prometheus.check",
                        "{url: 'http://127.0.0.1:" + std::to_string(port) +
                            "', query: up, success: 'result == 1', request_timeout: 2s}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("prometheus query 'up'"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("cannot connect"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << step.error;
}

TEST_F(Metrics, SlowPrometheusIsCutOffByTheRequestTimeout) {
  CaptureServer slow;
  ASSERT_TRUE(slow.Start());
  slow.SetDefault(testing::Reply(200, "{}", "application/json", 5'000));
  auto run = h_.RunStep("prometheus.snapshot",
                        "{url: " + slow.url() + ", queries: [up], request_timeout: 300ms}",
                        "        timeout: 2s\n");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kTimedOut) << Describe(step);
  EXPECT_NE(step.error.find("no answer within"), std::string::npos) << step.error;
}

TEST_F(Metrics, MalformedPrometheusAnswerIsReportedNotCrashedOn) {
  CaptureServer odd;
  ASSERT_TRUE(odd.Start());
  odd.SetDefault(testing::Reply(200, "<html>proxy login</html>", "text/html"));
  auto run =
      h_.RunStep("prometheus.check", "{url: " + odd.url() + ", query: up, success: 'result == 1'}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("the answer is not JSON (starts '<html>proxy login"), std::string::npos)
      << step.error;
}

TEST_F(Metrics, MissingEndpointsSkipTheStepsAsNotConfigured) {
  for (const char* action : {"prometheus.snapshot", "pushgateway.push", "alertmanager.silence"}) {
    std::string with = std::string(action) == "prometheus.snapshot" ? "{queries: [up]}"
                       : std::string(action) == "alertmanager.silence"
                           ? "{matchers: {alertname: X}}"
                           : "{}";
    auto run = h_.RunStep(action, with);
    ASSERT_TRUE(run.ok()) << run.status().message();
    auto step = h_.Step(run->id);
    EXPECT_EQ(step.status, StepStatus::kSkipped) << action << ": " << Describe(step);
    EXPECT_EQ(step.error.rfind("not configured", 0), 0u) << step.error;
    EXPECT_EQ(run->status, RunStatus::kSucceeded) << action;
  }
}

TEST_F(Metrics, UrlFromTheEnvironmentIsUsedWhenNoParameterIsGiven) {
  setenv("PROMETHEUS_URL", Prom().c_str(), 1);
  auto run = h_.RunStep("prometheus.check", "{query: 'vector(1)', success: 'result == 1'}");
  unsetenv("PROMETHEUS_URL");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(h_.Step(run->id).status, StepStatus::kSucceeded) << Describe(h_.Step(run->id));
}

TEST_F(Metrics, SilenceMatchesRegexReusesItselfOnRerunAndUnsilenceExpiresIt) {
  std::string silence =
      "{url: " + alertmanager_->url() +
      ", matchers: {alertname: HighErrorRate, service: '=~checkout-.*', env: '!=dev'}, "
      "duration: 10m, comment: 'medic test silence'}";
  auto first = h_.RunStep("alertmanager.silence", silence);
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto made = h_.Step(first->id);
  ASSERT_EQ(made.status, StepStatus::kSucceeded) << Describe(made);
  std::string id = made.outputs["silence_id"];
  EXPECT_EQ(made.outputs["reused"], false);

  Json s = Silence(id);
  ASSERT_FALSE(s.is_null());
  EXPECT_EQ(s["status"]["state"], "active");
  EXPECT_EQ(s["createdBy"], "medic");
  EXPECT_EQ(s["comment"], "medic test silence");
  std::map<std::string, Json> by_name;
  for (const auto& m : s["matchers"]) by_name[m["name"].get<std::string>()] = m;
  EXPECT_EQ(by_name["service"]["value"], "checkout-.*");
  EXPECT_EQ(by_name["service"]["isRegex"], true);
  EXPECT_EQ(by_name["env"]["isEqual"], false);
  EXPECT_EQ(by_name["alertname"]["isRegex"], false);

  auto again = h_.RunStep("alertmanager.silence", silence);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(h_.Step(again->id).outputs["silence_id"], id);
  EXPECT_EQ(h_.Step(again->id).outputs["reused"], true);

  std::string unsilence = "{url: " + alertmanager_->url() + ", id: " + id + "}";
  auto un = h_.RunStep("alertmanager.unsilence", unsilence);
  ASSERT_TRUE(un.ok()) << un.status().message();
  ASSERT_EQ(h_.Step(un->id).status, StepStatus::kSucceeded) << Describe(h_.Step(un->id));
  EXPECT_EQ(Silence(id)["status"]["state"], "expired");

  auto twice = h_.RunStep("alertmanager.unsilence", unsilence);
  ASSERT_TRUE(twice.ok()) << twice.status().message();
  EXPECT_EQ(h_.Step(twice->id).status, StepStatus::kSucceeded) << Describe(h_.Step(twice->id));
  EXPECT_EQ(h_.Step(twice->id).outputs["already_expired"], true);
}

TEST_F(Metrics, SilenceFromAListOfMatcherStringsIsAccepted) {
  auto run = h_.RunStep(
      "alertmanager.silence",
      "{url: " + alertmanager_->url() +
          ", matchers: ['alertname=\"Disk Full\"', 'instance=~\"db-[0-9]+\"'], duration: 1m}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  Json s = Silence(step.outputs["silence_id"]);
  std::map<std::string, Json> by_name;
  for (const auto& m : s["matchers"]) by_name[m["name"].get<std::string>()] = m;
  EXPECT_EQ(by_name["alertname"]["value"], "Disk Full");
  EXPECT_EQ(by_name["instance"]["value"], "db-[0-9]+");
  EXPECT_EQ(by_name["instance"]["isRegex"], true);
  EXPECT_NE(s["comment"].get<std::string>().find("incident " + std::to_string(run->incident_id)),
            std::string::npos);
}

TEST_F(Metrics, SilenceAlertmanagerRejectsIsQuotedAndNotRetried) {
  auto run = h_.RunStep("alertmanager.silence",
                        "{url: " + alertmanager_->url() + ", matchers: {service: '=~(unclosed'}}",
                        "        retries: 2\n        retry_delay: 10ms\n");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_EQ(step.attempts, 1) << "a 400 is a mistake, not bad luck";
  EXPECT_NE(step.error.find("answered HTTP 400"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("missing closing )"), std::string::npos) << step.error;
}

TEST_F(Metrics, UnsilenceOfAnUnknownIdIsNotFound) {
  auto run =
      h_.RunStep("alertmanager.unsilence",
                 "{url: " + alertmanager_->url() + ", id: 00000000-0000-0000-0000-000000000000}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("no silence"), std::string::npos) << step.error;
}

TEST(MetricCondition, ComparesResultWithNumbersJoinedByAndOrNot) {
  auto c =
      MetricCondition::Parse("(result >= 0.5 and result < 1) or 2 == result or not result > -1e3");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->Evaluate(0.7));
  EXPECT_TRUE(c->Evaluate(2));
  EXPECT_TRUE(c->Evaluate(-5000));
  EXPECT_FALSE(c->Evaluate(1.5));
  EXPECT_TRUE(c->Evaluate(std::nan(""))) << "not (NaN > -1e3) holds";
  EXPECT_FALSE(MetricCondition::Parse("result >= 0 or result < 0")->Evaluate(std::nan("")));
  EXPECT_TRUE(MetricCondition::Parse("result != 1")->Evaluate(std::nan("")));
  EXPECT_EQ(MetricCondition::Parse("result < ").status().message(),
            "condition 'result < ', column 10: expected 'result' or a number, got the end");
  EXPECT_FALSE(MetricCondition::Parse("1 < 2").ok()) << "a comparison without result";
  EXPECT_FALSE(MetricCondition::Parse("value < 2").ok());
}

TEST(PushgatewayGroupPath, UsesBase64ForSlashesAndEmptyValuesAndEscapesTheRest) {
  EXPECT_EQ(PushgatewayGroupPath("medic", {{"env", ""}, {"instance", "a/b"}, {"svc", "check out"}}),
            "/metrics/job/medic/env@base64/=/instance@base64/YS9i/svc/check%20out");
  EXPECT_EQ(PushgatewayGroupPath("batch/nightly", {}), "/metrics/job@base64/YmF0Y2gvbmlnaHRseQ==");
}

}  // namespace
}  // namespace medic
