// pagerduty.event, slack.post and webhook.post against a local capture server that
// records what arrived, checks it against the services' published formats, and answers
// 429/500/400 or slowly on demand.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "tests/integrations/playbook_harness.h"
#include "tests/support/capture_server.h"

namespace medic {
namespace {

using testing::CaptureServer;
using testing::Describe;
using testing::PagerDutyEventProblems;
using testing::PlaybookHarness;
using testing::SlackMessageProblems;

constexpr const char* kRoutingKey = "R0UT1NGKEYmedictest0123456789abc";

class Notify : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    server_.SetDefault(testing::Reply(202, R"({"status":"success","message":"Event processed"})"));
    unsetenv("PAGERDUTY_ROUTING_KEY");
    unsetenv("SLACK_WEBHOOK_URL");
    setenv("MEDIC_TEST_PD_KEY", kRoutingKey, 1);
  }
  void TearDown() override { unsetenv("MEDIC_TEST_PD_KEY"); }

  std::string PagerDuty(const std::string& more = "") {
    return "{base_url: " + server_.url() +
           ", routing_key_env: MEDIC_TEST_PD_KEY, retry_delay: 20ms" + more + "}";
  }

  /// True when `text` appears nowhere in the run's record.
  bool NotRecorded(int64_t run, const std::string& text) {
    auto step = h_.Step(run);
    std::string all = h_.Events(run) + step.error + step.outputs.dump() + step.commands.dump();
    return all.find(text) == std::string::npos;
  }

  CaptureServer server_;
  PlaybookHarness h_;
};

TEST_F(Notify, PagerDutyTriggerIsAValidEventsV2EventKeyedByTheIncident) {
  auto run = h_.RunStep("pagerduty.event",
                        PagerDuty(", summary: 'checkout is crash-looping', severity: critical, "
                                  "source: checkout-7f9, custom_details: {pods: 3}, "
                                  "links: {Dashboard: 'https://grafana.example/d/1'}"));
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  ASSERT_EQ(server_.count(), 1u);
  auto req = server_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v2/enqueue");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  Json event = Json::parse(req.body);
  EXPECT_EQ(PagerDutyEventProblems(event), std::vector<std::string>{}) << event.dump();
  std::string key = "medic-incident-" + std::to_string(run->incident_id);
  EXPECT_EQ(event["dedup_key"], key);
  EXPECT_EQ(event["routing_key"], kRoutingKey);
  EXPECT_EQ(event["payload"]["severity"], "critical");
  EXPECT_EQ(event["payload"]["source"], "checkout-7f9");
  EXPECT_EQ(event["payload"]["custom_details"]["pods"], 3);
  EXPECT_EQ(event["links"][0]["href"], "https://grafana.example/d/1");
  EXPECT_EQ(step.outputs["dedup_key"], key);
  EXPECT_TRUE(NotRecorded(run->id, kRoutingKey)) << "the routing key leaked into the record";
}

TEST_F(Notify, PagerDutyResolveCarriesOnlyTheKeyAndAction) {
  auto run = h_.RunStep("pagerduty.event", PagerDuty(", event_action: resolve, dedup_key: my-key"));
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(h_.Step(run->id).status, StepStatus::kSucceeded) << Describe(h_.Step(run->id));
  Json event = Json::parse(server_.requests().at(0).body);
  EXPECT_EQ(PagerDutyEventProblems(event), std::vector<std::string>{});
  EXPECT_EQ(event["event_action"], "resolve");
  EXPECT_EQ(event["dedup_key"], "my-key");
  EXPECT_FALSE(event.contains("payload"));
}

TEST_F(Notify, PagerDutyRetriesA429AndA500ThenSucceeds) {
  server_.Queue(testing::Reply(
      429,
      R"({"status":"throttle event","message":"Requests for this service are arriving too quickly."})"));
  server_.Queue(testing::Reply(500, "upstream broke", "text/plain"));
  auto run = h_.RunStep("pagerduty.event", PagerDuty(", summary: x"));
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  EXPECT_EQ(server_.count(), 3u);
  EXPECT_EQ(step.outputs["attempts"], 3);
  auto reqs = server_.requests();
  EXPECT_EQ(reqs[0].body, reqs[2].body) << "a retry sends the same event (same dedup key)";
}

TEST_F(Notify, PagerDutyBadRequestIsNotRetriedAndQuotesPagerDuty) {
  server_.SetDefault(testing::Reply(
      400,
      R"json({"status":"invalid event","message":"Event object is invalid",)json"
      R"json("errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]})json"));
  auto run = h_.RunStep("pagerduty.event", PagerDuty(", summary: x, max_retries: 5"),
                        "        retries: 2\n        retry_delay: 10ms\n");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_EQ(server_.count(), 1u) << "400 means the event is wrong; sending it again cannot help";
  EXPECT_NE(
      step.error.find("HTTP 400: Event object is invalid: Length of 'routing_key' is incorrect"),
      std::string::npos)
      << step.error;
}

TEST_F(Notify, PagerDutyGivesUpWhenTheStepTimeoutIsNear) {
  server_.SetDefault(testing::Reply(503, "", "text/plain"));
  auto run =
      h_.RunStep("pagerduty.event", PagerDuty(", summary: x, max_retries: 100, retry_delay: 200ms"),
                 "        timeout: 1s\n");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_NE(step.status, StepStatus::kSucceeded);
  EXPECT_LT(server_.count(), 10u) << "retries are bounded by the step's deadline";
  EXPECT_NE(step.error.find("HTTP 503"), std::string::npos) << step.error;
}

TEST_F(Notify, PagerDutyWithoutARoutingKeyIsSkippedAsNotConfigured) {
  auto run = h_.RunStep("pagerduty.event", "{base_url: " + server_.url() + ", summary: x}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kSkipped);
  EXPECT_NE(step.error.find("not configured: no PagerDuty routing key"), std::string::npos)
      << step.error;
  EXPECT_EQ(server_.count(), 0u);
}

TEST_F(Notify, PagerDutyRoutingKeyCanComeFromAFile) {
  std::string file = h_.dir().Join("pd.key");
  testing::WriteFile(file, std::string(kRoutingKey) + "\n");
  auto run = h_.RunStep("pagerduty.event", "{base_url: " + server_.url() +
                                               ", routing_key_file: " + file + ", summary: x}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(h_.Step(run->id).status, StepStatus::kSucceeded) << Describe(h_.Step(run->id));
  EXPECT_EQ(Json::parse(server_.requests().at(0).body)["routing_key"], kRoutingKey);
}

TEST_F(Notify, PagerDutyTriggerWithoutSummaryFailsBeforeSending) {
  auto run = h_.RunStep("pagerduty.event", PagerDuty());
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(h_.Step(run->id).status, StepStatus::kFailed);
  EXPECT_NE(h_.Step(run->id).error.find("'summary' is required"), std::string::npos);
  EXPECT_EQ(server_.count(), 0u);
}

TEST_F(Notify, SlackPostSendsTextAndBlocksSummarisingTheIncident) {
  server_.SetDefault(testing::Reply(200, "ok", "text/html"));
  std::string hook = server_.url("/services/T000/B000/XXXXsecretXXXX");
  setenv("SLACK_WEBHOOK_URL", hook.c_str(), 1);
  auto run = h_.RunStep(
      "slack.post",
      "{title: 'checkout: crash loop', status: mitigating, summary: 'rolled back to v41', "
      "fields: {Service: checkout, Namespace: prod}, "
      "links: {Dashboard: 'https://grafana.example/d/1', Runbook: 'https://wiki/rb'}}");
  unsetenv("SLACK_WEBHOOK_URL");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  ASSERT_EQ(step.status, StepStatus::kSucceeded) << Describe(step);
  ASSERT_EQ(server_.count(), 1u);
  auto req = server_.requests()[0];
  EXPECT_EQ(req.path, "/services/T000/B000/XXXXsecretXXXX");
  Json msg = Json::parse(req.body);
  EXPECT_EQ(SlackMessageProblems(msg), std::vector<std::string>{}) << msg.dump(2);
  EXPECT_EQ(msg["text"], "checkout: crash loop [mitigating]: rolled back to v41");
  EXPECT_EQ(msg["blocks"][0]["type"], "header");
  EXPECT_EQ(msg["blocks"][0]["text"]["text"], "checkout: crash loop");
  std::string all = msg.dump();
  EXPECT_NE(all.find("<https://grafana.example/d/1|Dashboard>"), std::string::npos) << all;
  EXPECT_NE(all.find("incident " + std::to_string(run->incident_id)), std::string::npos) << all;
  EXPECT_TRUE(NotRecorded(run->id, "XXXXsecretXXXX")) << "the webhook URL is a secret";
}

TEST_F(Notify, SlackWithoutAWebhookIsSkippedAsNotConfigured) {
  auto run = h_.RunStep("slack.post", "{title: x}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(h_.Step(run->id).status, StepStatus::kSkipped);
  EXPECT_NE(h_.Step(run->id).error.find("not configured: no Slack webhook URL"), std::string::npos);
}

TEST_F(Notify, SlackErrorIsQuotedWithoutTheWebhookUrl) {
  server_.SetDefault(testing::Reply(404, "no_service", "text/html"));
  std::string file = h_.dir().Join("slack.url");
  testing::WriteFile(file, server_.url("/services/T1/B1/TOPSECRETTOKEN"));
  auto run = h_.RunStep("slack.post", "{webhook_url_file: " + file + ", title: x}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("HTTP 404: no_service"), std::string::npos) << step.error;
  EXPECT_NE(step.error.find("from file " + file), std::string::npos) << step.error;
  EXPECT_TRUE(NotRecorded(run->id, "TOPSECRETTOKEN"));
}

std::string Hmac(const std::string& key, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  char hex[3];
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", mac[i]);
    out += hex;
  }
  return out;
}

TEST_F(Notify, WebhookSignsTheRawBodyWithHmacSha256) {
  std::string secret_file = h_.dir().Join("hook.secret");
  testing::WriteFile(secret_file, "s3cr3t-signing-key\n");
  auto run =
      h_.RunStep("webhook.post", "{url: " + server_.url("/hooks/medic") +
                                     ", json: {event: frozen, service: checkout}, "
                                     "secret_file: " +
                                     secret_file + ", signature_header: X-Hub-Signature-256}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_EQ(h_.Step(run->id).status, StepStatus::kSucceeded) << Describe(h_.Step(run->id));
  auto req = server_.requests().at(0);
  EXPECT_EQ(Json::parse(req.body)["service"], "checkout");
  EXPECT_EQ(req.Header("X-Hub-Signature-256"), "sha256=" + Hmac("s3cr3t-signing-key", req.body));
  EXPECT_TRUE(NotRecorded(run->id, "s3cr3t-signing-key"));
}

TEST_F(Notify, WebhookWithAMissingSigningSecretFailsWithoutSending) {
  unsetenv("MEDIC_TEST_HOOK_SECRET");
  auto run = h_.RunStep("webhook.post",
                        "{url: " + server_.url() + ", secret_env: MEDIC_TEST_HOOK_SECRET}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(h_.Step(run->id).status, StepStatus::kFailed);
  EXPECT_NE(h_.Step(run->id).error.find("$MEDIC_TEST_HOOK_SECRET is empty or unset"),
            std::string::npos);
  EXPECT_EQ(server_.count(), 0u);
}

TEST_F(Notify, WebhookToASlowReceiverStopsAtTheRequestTimeout) {
  server_.SetDefault(testing::Reply(200, "{}", "application/json", 5'000));
  auto run = h_.RunStep("webhook.post",
                        "{url: " + server_.url() + ", request_timeout: 300ms, max_retries: 0}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kTimedOut);
  EXPECT_NE(step.error.find("no answer within 300 ms"), std::string::npos) << step.error;
}

TEST_F(Notify, UnreachableEndpointIsAClearErrorInTheStepRecord) {
  std::string dead = "http://127.0.0.1:" + std::to_string(testing::FreePort());
  auto run =
      h_.RunStep("webhook.post", "{url: '" + dead + "/x', max_retries: 1, retry_delay: 10ms}");
  ASSERT_TRUE(run.ok()) << run.status().message();
  auto step = h_.Step(run->id);
  EXPECT_EQ(step.status, StepStatus::kFailed);
  EXPECT_NE(step.error.find("POST " + dead + "/x: cannot connect"), std::string::npos)
      << step.error;
  EXPECT_NE(step.error.find("(after 2 attempts)"), std::string::npos) << step.error;
}

TEST_F(Notify, DryRunPlansNameTheRequestsWithoutSecrets) {
  for (const char* name : {"pagerduty.event", "slack.post", "webhook.post", "prometheus.check",
                           "pushgateway.push", "alertmanager.silence"}) {
    Action* action = h_.registry().Find(name);
    ASSERT_NE(action, nullptr) << name;
    EXPECT_FALSE(action->info().params.empty()) << name;
    Json with = {{"routing_key", kRoutingKey},
                 {"webhook_url", "https://hooks.slack.com/services/T/B/SECRETXYZ"},
                 {"url", "http://127.0.0.1:1"},
                 {"query", "up"},
                 {"matchers", {{"alertname", "X"}}}};
    Json given = Json::object();
    for (const auto& p : action->info().params)
      if (with.contains(p.name)) given[p.name] = with[p.name];
    auto normalized = NormalizeParams(action->info(), given);
    ASSERT_TRUE(normalized.ok()) << name << ": " << normalized.status().message();
    for (const auto& line : action->Plan(*normalized)) {
      EXPECT_EQ(line.find(kRoutingKey), std::string::npos) << name << ": " << line;
      EXPECT_EQ(line.find("SECRETXYZ"), std::string::npos) << name << ": " << line;
    }
  }
}

}  // namespace
}  // namespace medic
