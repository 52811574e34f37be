// Parsing the three webhook shapes, and refusing what is malformed or absurd with a
// one-line reason naming the field.
#include "server/alert.h"

#include <gtest/gtest.h>

namespace medic {
namespace {

const char* kAlertmanager = R"({
  "version": "4", "groupKey": "{}:{alertname=\"GoPanicRateHigh\"}", "truncatedAlerts": 0,
  "status": "firing", "receiver": "medic", "groupLabels": {"alertname": "GoPanicRateHigh"},
  "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
  "alerts": [
    {"status": "firing", "labels": {"alertname": "GoPanicRateHigh", "service": "checkout", "pod": "checkout-1"},
     "annotations": {"summary": "panics\nin checkout"}, "startsAt": "2024-05-01T10:00:00.123456789Z",
     "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph", "fingerprint": "a1b2c3d4e5f60708"},
    {"status": "resolved", "labels": {"alertname": "GoPanicRateHigh", "service": "checkout", "pod": "checkout-2"},
     "annotations": {}, "startsAt": "2024-05-01T09:59:00Z", "endsAt": "2024-05-01T10:01:00Z",
     "generatorURL": "", "fingerprint": "0807060504030201"}
  ]})";

TEST(Alert, AlertmanagerPayloadBecomesAlertsWithTimesAndGroupKey) {
  auto n = ParseAlertmanager(kAlertmanager);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->source, "alertmanager");
  ASSERT_EQ(n->alerts.size(), 2u);
  const Alert& a = n->alerts[0];
  EXPECT_EQ(a.status, "firing");
  EXPECT_EQ(a.labels["pod"], "checkout-1");
  EXPECT_EQ(a.annotations["summary"], "panics\nin checkout");
  EXPECT_EQ(a.starts_at, 1714557600123);
  EXPECT_EQ(a.ends_at, 0) << "Alertmanager's zero time means unknown";
  EXPECT_EQ(a.fingerprint, "a1b2c3d4e5f60708");
  EXPECT_EQ(a.group_key, "{}:{alertname=\"GoPanicRateHigh\"}");
  EXPECT_EQ(n->alerts[1].status, "resolved");
  EXPECT_EQ(n->alerts[1].ends_at, 1714557660000);
}

TEST(Alert, MalformedOrWrongShapeSaysWhatIsWrongInOneLine) {
  auto expect = [](const std::string& body, const std::string& what) {
    auto n = ParseAlertmanager(body);
    ASSERT_FALSE(n.ok()) << body;
    EXPECT_EQ(n.status().code(), Code::kInvalidArgument);
    EXPECT_NE(n.status().message().find(what), std::string::npos) << n.status().message();
    EXPECT_EQ(n.status().message().find('\n'), std::string::npos) << n.status().message();
  };
  expect("{not json", "malformed JSON");
  expect("", "malformed JSON");
  expect("[]", "must be a JSON object");
  expect(R"({"version":"3","alerts":[]})", "version");
  expect(R"({"version":"4"})", "alerts: missing");
  expect(R"({"version":"4","alerts":[]})", "alerts: empty");
  expect(R"({"alerts":[{"labels":{}}]})", "alerts[0].labels: empty");
  expect(R"({"alerts":[{"labels":{"a":1}}]})", "alerts[0].labels.a: must be a string");
  expect(R"({"alerts":[{"labels":{"a":"x\u0000y"}}]})", "alerts[0].labels.a: control character");
  expect(R"({"alerts":[{"labels":{"a":"x\ny"}}]})", "control character");
  expect(R"({"alerts":[{"labels":{"bad-name":"x"}}]})", "invalid name 'bad-name'");
  expect(R"({"alerts":[{"status":"burning","labels":{"a":"x"}}]})", "alerts[0].status: 'burning'");
  expect(R"({"alerts":[{"labels":{"a":"x"},"startsAt":"yesterday"}]})", "alerts[0].startsAt");
  expect(R"({"alerts":[{"labels":{"a":")" + std::string(5000, 'x') + R"("}}]})", "at most 4096");
  expect(std::string(100, '[') + std::string(100, ']'), "nested deeper");
}

TEST(Alert, DepthCheckIgnoresBracketsInStrings) {
  EXPECT_TRUE(
      CheckJsonDepth(R"({"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]"})")
          .ok());
}

TEST(Alert, GenericShapeFillsFingerprintAndGroupKey) {
  auto n = ParseGeneric(
      R"({"labels": {"alertname": "Down", "service": "cart"}, "annotations": {"summary": "x"}})");
  ASSERT_TRUE(n.ok()) << n.status().message();
  ASSERT_EQ(n->alerts.size(), 1u);
  EXPECT_EQ(n->alerts[0].status, "firing");
  EXPECT_EQ(n->alerts[0].fingerprint.size(), 16u);
  EXPECT_EQ(n->alerts[0].fingerprint,
            FingerprintOf(Json{{"service", "cart"}, {"alertname", "Down"}}))
      << "the fingerprint does not depend on label order";
  EXPECT_EQ(n->alerts[0].group_key, n->alerts[0].fingerprint);
  auto many = ParseGeneric(
      R"({"alerts": [{"labels": {"a": "1"}, "group_key": "g"}, {"status": "resolved", "labels": {"a": "2"}}]})");
  ASSERT_TRUE(many.ok()) << many.status().message();
  EXPECT_EQ(many->alerts[0].group_key, "g");
  EXPECT_EQ(many->alerts[1].status, "resolved");
  EXPECT_FALSE(ParseGeneric(R"({"annotations": {}})").ok());
}

TEST(Alert, PagerDutyTriggeredResolvedAndOtherEvents) {
  auto fired = ParsePagerDuty(R"({"event": {"id": "01", "event_type": "incident.triggered",
    "occurred_at": "2024-05-01T10:00:05Z", "data": {"id": "PGR0VU2", "type": "incident",
    "title": "Checkout\u0007 panics", "status": "triggered", "urgency": "high",
    "created_at": "2024-05-01T10:00:00Z", "html_url": "https://pd/incidents/PGR0VU2",
    "service": {"id": "PF9KMXH", "summary": "checkout"}, "priority": {"summary": "P1"}}}})");
  ASSERT_TRUE(fired.ok()) << fired.status().message();
  ASSERT_EQ(fired->alerts.size(), 1u);
  const Alert& a = fired->alerts[0];
  EXPECT_EQ(a.status, "firing");
  EXPECT_EQ(a.labels["alertname"], "Checkout  panics")
      << "control characters in free text become spaces";
  EXPECT_EQ(a.labels["service"], "checkout");
  EXPECT_EQ(a.labels["priority"], "P1");
  EXPECT_EQ(a.group_key, "PGR0VU2");
  EXPECT_EQ(a.starts_at, 1714557600000);
  auto resolved = ParsePagerDuty(
      R"({"event": {"event_type": "incident.resolved", "occurred_at": "2024-05-01T10:09:00Z",
    "data": {"id": "PGR0VU2", "title": "Checkout panics"}}})");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->alerts[0].status, "resolved");
  EXPECT_EQ(resolved->alerts[0].ends_at, 1714558140000);
  auto acked = ParsePagerDuty(
      R"({"event": {"event_type": "incident.acknowledged", "data": {"id": "PGR0VU2"}}})");
  ASSERT_TRUE(acked.ok());
  EXPECT_TRUE(acked->alerts.empty());
  EXPECT_NE(acked->ignored.find("incident.acknowledged"), std::string::npos);
  EXPECT_FALSE(ParsePagerDuty(R"({"messages": []})").ok()) << "v2 webhooks are not v3";
}

}  // namespace
}  // namespace medic
