// The serve config: loads what is right, reports every problem with file:line, and routes
// alerts (first match wins) into playbook params without letting a label inject anything.
#include "server/config.h"

#include <gtest/gtest.h>

#include "base/redact.h"
#include "integrations/action.h"
#include "server/router.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using testing::ScopedTempDir;
using testing::WriteFile;

const char* kPlaybook = R"(name: rescue
params:
  service: {required: true}
  namespace: {default: default}
stages:
  - name: contain
    steps:
      - {id: hello, action: exec, with: {argv: [echo, "{{ params.service }}"]}}
)";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinActions(registry_);
    WriteFile(dir_.Join("rescue.yaml"), kPlaybook);
    WriteFile(dir_.Join("tokens"), "# tokens, one a line\n\nsecret-token-0123456789\n");
  }
  Result<ServeConfig> Load(const std::string& yaml) {
    WriteFile(dir_.Join("serve.yaml"), yaml);
    return LoadServeConfig(dir_.Join("serve.yaml"), registry_);
  }
  Alert MakeAlert(Json labels) {
    Alert a;
    a.labels = std::move(labels);
    a.fingerprint = FingerprintOf(a.labels);
    a.group_key = "{}:{alertname=\"X\"}";
    return a;
  }
  Registry registry_;
  ScopedTempDir dir_;
};

TEST_F(ConfigTest, LoadsRoutesLimitsAndSecretsWhichAreRedacted) {
  auto c = Load(R"(auth:
  bearer_tokens_file: tokens
  bearer_tokens: [inline-token-0123456789]
routes:
  - name: panics
    match: {alertname: GoPanicRateHigh, severity: "=~crit.*"}
    playbook: rescue.yaml
    vars: {service: "{{ labels.service }}", namespace: "{{ labels.namespace }}"}
    dedup_key: "{{ labels.namespace }}/{{ labels.service }}"
    auto_confirm: true
  - match: {}
    playbook: rescue.yaml
    vars: {service: "{{ labels.job }}"}
limits: {max_concurrent_runs: 2, max_body: 64KiB, queue: 10, drain_timeout: 5s}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->routes.size(), 2u);
  EXPECT_EQ(c->routes[0].name, "panics");
  EXPECT_EQ(c->routes[1].name, "route-2");
  EXPECT_TRUE(c->routes[0].auto_confirm);
  EXPECT_EQ(c->routes[0].playbook, c->routes[1].playbook) << "one playbook is loaded once";
  EXPECT_EQ(c->bearer_tokens.size(), 2u);
  EXPECT_EQ(c->limits.max_concurrent_runs, 2);
  EXPECT_EQ(c->limits.max_body, 65536);
  EXPECT_EQ(c->limits.queue, 10);
  EXPECT_EQ(c->limits.drain_timeout_ms, 5000);
  EXPECT_EQ(Redact("Authorization: secret-token-0123456789"), "Authorization: [REDACTED]");
}

TEST_F(ConfigTest, ReportsEveryProblemWithFileLineAndRoute) {
  auto c = Load(R"(auth:
  bearer_tokens: [short]
routes:
  - name: panics
    match: {alertname: "=~(unclosed"}
    playbok: rescue.yaml
  - name: typo
    match: {}
    playbook: rescue.yaml
    vars: {servce: "{{ labels.service }}", namespace: "{{ lables.ns }}"}
  - name: broken
    match: {}
    playbook: missing.yaml
limits: {queue: lots}
)");
  ASSERT_FALSE(c.ok());
  std::string m = c.status().message();
  std::string f = dir_.Join("serve.yaml");
  EXPECT_NE(m.find(f + ":2:19: a token or secret is shorter than 12"), std::string::npos) << m;
  EXPECT_NE(m.find(f + ":5:24: route 'panics': match.alertname: invalid regular expression"),
            std::string::npos)
      << m;
  EXPECT_NE(
      m.find(f + ":6:5: route 'panics': unknown route field 'playbok' (did you mean 'playbook'?)"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("route 'panics': missing 'playbook'"), std::string::npos) << m;
  EXPECT_NE(m.find(":10:12: route 'typo': vars.servce: playbook 'rescue' has no param 'servce' "
                   "(did you mean 'service'?)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("route 'typo': vars.namespace: '{{ lables.ns }}' is not alert data"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("route 'typo': playbook 'rescue' requires param 'service'"), std::string::npos)
      << m;
  EXPECT_NE(m.find("route 'broken': playbook " + dir_.Join("missing.yaml") + " does not load"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("limits.queue: 'lots' must be a whole number"), std::string::npos) << m;
}

TEST_F(ConfigTest, APlaybookProblemIsReportedWithThePlaybooksOwnPosition) {
  WriteFile(dir_.Join("bad.yaml"),
            "name: bad\nstages:\n  - name: s\n    steps:\n      - {id: a, action: gcor}\n");
  auto c =
      Load("auth: {bearer_tokens_file: tokens}\nroutes:\n  - {match: {}, playbook: bad.yaml}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(dir_.Join("bad.yaml") + ":5:"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("unknown action 'gcor'"), std::string::npos)
      << c.status().message();
}

TEST_F(ConfigTest, ADuplicateFieldIsAnErrorNotAGuess) {
  auto c = Load(
      "auth: {bearer_tokens_file: tokens}\nroutes:\n  - {match: {}, playbook: rescue.yaml, "
      "vars: {service: a, service: b}}\nlimits: {queue: 5, queue: 6}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(":4:20: duplicate limits field 'queue'"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("route 'route-1': duplicate var 'service'"),
            std::string::npos)
      << c.status().message();
}

TEST_F(ConfigTest, RefusesToStartWithoutCredentials) {
  auto c = Load("routes:\n  - {match: {}, playbook: rescue.yaml, vars: {service: x}}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no credentials configured"), std::string::npos);
  auto missing = Load(
      "auth: {bearer_tokens_file: nope}\nroutes:\n  - {match: {}, playbook: rescue.yaml, vars: "
      "{service: x}}\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("cannot read " + dir_.Join("nope")), std::string::npos);
}

TEST_F(ConfigTest, FirstMatchingRouteWinsWithEqualityAndAnchoredRegex) {
  auto c = Load(R"(auth: {bearer_tokens_file: tokens}
routes:
  - name: critical
    match: {alertname: GoPanicRateHigh, severity: "=~crit"}
    playbook: rescue.yaml
    vars: {service: "{{ labels.service }}"}
  - name: not-staging
    match: {env: "!=staging", service: "!~test-.*"}
    playbook: rescue.yaml
    vars: {service: "{{ labels.service }}"}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto name = [&](Json labels) {
    const RouteConfig* r = MatchRoute(c->routes, labels);
    return r ? r->name : std::string("none");
  };
  EXPECT_EQ(name({{"alertname", "GoPanicRateHigh"}, {"severity", "crit"}, {"service", "a"}}),
            "critical");
  EXPECT_EQ(name({{"alertname", "GoPanicRateHigh"}, {"severity", "critical"}, {"service", "a"}}),
            "not-staging")
      << "regexes are anchored";
  EXPECT_EQ(name({{"service", "cart"}}), "not-staging") << "an absent label reads as empty";
  EXPECT_EQ(name({{"service", "cart"}, {"env", "staging"}}), "none");
  EXPECT_EQ(name({{"service", "test-cart"}}), "none");
}

TEST_F(ConfigTest, VarsAreRenderedOnceSoALabelCannotInject) {
  auto c = Load(R"(auth: {bearer_tokens_file: tokens}
routes:
  - match: {}
    playbook: rescue.yaml
    vars: {service: "{{ labels.service }}", namespace: "ns-{{ labels.namespace }}"}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  Alert a = MakeAlert({{"service", "{{ env.HOME }}'; rm -rf /"}, {"namespace", "{{ params.x }}"}});
  auto routed = ApplyRoute(c->routes[0], a, "generic");
  ASSERT_TRUE(routed.ok()) << routed.status().message();
  EXPECT_EQ(routed->params["service"], "{{ env.HOME }}'; rm -rf /");
  EXPECT_EQ(routed->params["namespace"], "ns-{{ params.x }}");
  EXPECT_EQ(routed->dedup_key, "route-1/{}:{alertname=\"X\"}")
      << "default: the route and the group key";
}

TEST_F(ConfigTest, AMissingLabelOrKeyTemplateSaysWhich) {
  auto c = Load(R"(auth: {bearer_tokens_file: tokens}
routes:
  - match: {}
    playbook: rescue.yaml
    vars: {service: "{{ labels.service }}"}
    dedup_key: "{{ labels.namespace }}/{{ labels.service }}"
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto missing = ApplyRoute(c->routes[0], MakeAlert({{"namespace", "prod"}}), "generic");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "vars.service: the alert has no label 'service'");
  auto ok =
      ApplyRoute(c->routes[0], MakeAlert({{"namespace", "prod"}, {"service", "cart"}}), "generic");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->dedup_key, "route-1/prod/cart");
}

TEST(AlertScopeTest, OneScopeChecksAndResolvesRouteTemplates) {
  const Scope& scope = AlertScope();
  for (const char* ok :
       {"labels.service", "annotations.summary", "status", "fingerprint", "source", "group_key"})
    EXPECT_EQ(scope.Check(ok), "") << ok;
  const std::string use =
      "use labels.NAME, annotations.NAME, status, fingerprint, source or group_key";
  EXPECT_EQ(scope.Check("labels"), "'{{ labels }}' is not alert data; " + use);
  EXPECT_EQ(scope.Check("labels.a.b"), "'{{ labels.a.b }}' is not alert data; " + use);
  EXPECT_EQ(scope.Check("status.x"), "'{{ status.x }}' is not alert data; " + use);
  EXPECT_EQ(scope.Check("lables.ns"),
            "'{{ lables.ns }}' is not alert data; " + use + " (did you mean 'labels'?)");

  auto got = scope.Resolve("annotations.summary", [](const Ref& ref) -> Result<Json> {
    return Json(ref.root + ":" + ref.args[0]);
  });
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, "annotations:summary");
  EXPECT_EQ(
      scope.Resolve("params.x", [](const Ref&) -> Result<Json> { return Json(1); }).status().code(),
      Code::kNotFound);
}

}  // namespace
}  // namespace medic
