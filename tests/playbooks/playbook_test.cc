#include "playbooks/playbook.h"

#include <gtest/gtest.h>

#include "integrations/action.h"

namespace medic {
namespace {

class PlaybookTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterBuiltinActions(registry_); }
  Result<Playbook> Parse(const std::string& text) {
    return ParsePlaybook(text, "pb.yaml", registry_);
  }
  std::string Errors(const std::string& text) {
    auto pb = Parse(text);
    EXPECT_FALSE(pb.ok());
    return pb.ok() ? "" : pb.status().message();
  }
  Registry registry_;
};

constexpr const char* kGood = R"(name: golden
description: test
params:
  service: {required: true, description: "the service"}
  namespace: {default: default}
stages:
  - name: contain
    parallel: true
    steps:
      - id: freeze_metrics
        action: exec
        with: {argv: [/bin/echo, "{{ params.service }}"]}
        timeout: 10s
        budget: 10s
        retries: 2
        retry_delay: 1s
        when: "{{ params.namespace }} != 'kube-system'"
        on_failure: continue
        idempotent: true
      - id: nap
        action: sleep
        with: {duration: 1s}
  - name: diagnose
    steps:
      - id: use
        action: exec
        with: {argv: [/bin/echo, "{{ steps.freeze_metrics.outputs.stdout }}"]}
        confirm: true
)";

TEST_F(PlaybookTest, LoadsTheDocumentedShape) {
  auto pb = Parse(kGood);
  ASSERT_TRUE(pb.ok()) << pb.status().message();
  EXPECT_EQ(pb->name, "golden");
  ASSERT_EQ(pb->stages.size(), 2u);
  EXPECT_TRUE(pb->stages[0].parallel);
  const StepDef* s = pb->FindStep("freeze_metrics");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->timeout_ms, 10'000);
  EXPECT_EQ(s->retries, 2);
  EXPECT_EQ(s->on_failure, OnFailure::kContinue);
  EXPECT_EQ(s->idempotent, true);
  EXPECT_EQ(pb->FindStep("use")->confirm, true);
  EXPECT_EQ(pb->FindStep("use")->position, 2);
}

TEST_F(PlaybookTest, UnknownFieldsAreErrorsWithPositionAndSuggestion) {
  std::string err = Errors(R"(name: x
stages:
  - name: s
    steps:
      - id: a
        action: exec
        with: {argv: [/bin/true]}
        timout: 10s
)");
  EXPECT_NE(
      err.find("pb.yaml:8:9: step 'a': unknown step field 'timout' (did you mean 'timeout'?)"),
      std::string::npos)
      << err;
}

TEST_F(PlaybookTest, MisspelledActionsGetASuggestion) {
  std::string err = Errors(R"(name: x
stages:
  - name: s
    steps:
      - id: capture_core
        action: gcore
)");
  EXPECT_NE(err.find("pb.yaml:6:17: step 'capture_core': unknown action 'gcore'"),
            std::string::npos)
      << err;
  std::string err2 = Errors(
      "name: x\nstages:\n  - name: s\n    steps:\n      - id: a\n        action: slep\n        "
      "with: {duration: 1s}\n");
  EXPECT_NE(err2.find("did you mean 'sleep'"), std::string::npos) << err2;
}

TEST_F(PlaybookTest, ReportsEveryProblemNotJustTheFirst) {
  std::string err = Errors(R"(name: x
stages:
  - name: s
    steps:
      - id: a
        action: exec
        with: {argv: [/bin/true], evn: {A: b}}
        retries: -1
      - id: a
        action: sleep
        with: {duration: forever}
)");
  EXPECT_NE(err.find("unknown parameter 'evn'"), std::string::npos) << err;
  EXPECT_NE(err.find("did you mean 'env'"), std::string::npos) << err;
  EXPECT_NE(err.find("'retries' must be"), std::string::npos) << err;
  EXPECT_NE(err.find("duplicate step id 'a'"), std::string::npos) << err;
  EXPECT_NE(err.find("not a duration"), std::string::npos) << err;
}

TEST_F(PlaybookTest, AReferenceToAStepThatRunsLaterIsAnError) {
  std::string err = Errors(R"(name: x
stages:
  - name: first
    steps:
      - id: a
        action: exec
        with: {argv: [/bin/echo, "{{ steps.b.outputs.stdout }}"]}
  - name: second
    steps:
      - id: b
        action: exec
        with: {argv: [/bin/true]}
)");
  EXPECT_NE(err.find("step 'a': step 'b' does not run before this step"), std::string::npos) << err;
}

TEST_F(PlaybookTest, AReferenceToAParallelSiblingIsAnError) {
  std::string err = Errors(R"(name: x
stages:
  - name: contain
    parallel: true
    steps:
      - id: a
        action: exec
        with: {argv: [/bin/true]}
      - id: b
        action: exec
        with: {argv: [/bin/true]}
        when: steps.a.status == 'succeeded'
)");
  EXPECT_NE(err.find("runs at the same time"), std::string::npos) << err;
}

TEST_F(PlaybookTest, UndeclaredParamsAndEnvAreErrors) {
  std::string err = Errors(R"(name: x
params:
  service: {required: true}
stages:
  - name: s
    steps:
      - id: a
        action: exec
        with: {argv: [/bin/echo, "{{ params.servce }}", "{{ env.HOME }}"]}
)");
  EXPECT_NE(err.find("unknown param 'servce' (did you mean 'service'?)"), std::string::npos) << err;
  EXPECT_NE(err.find("'HOME' is not listed under 'allow_env'"), std::string::npos) << err;
}

TEST_F(PlaybookTest, IncidentAndRunReferencesAreTheDocumentedOnes) {
  std::string err = Errors(R"(name: x
stages:
  - name: s
    steps:
      - id: a
        action: exec
        with: {argv: [/bin/echo, "{{ incident.id }}", "{{ incident.detected_at }}", "{{ run.id }}",
                      "{{ incident.startsAt }}"]}
)");
  EXPECT_NE(err.find("'incident.startsAt': use incident.id or incident.detected_at"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("'incident.detected_at'"), std::string::npos) << err;
  EXPECT_EQ(err.find("'run.id'"), std::string::npos) << err;
}

TEST_F(PlaybookTest, MalformedYamlReportsWhere) {
  std::string err = Errors("name: x\nstages:\n  - name: [unclosed\n");
  EXPECT_NE(err.find("pb.yaml:"), std::string::npos);
  EXPECT_NE(err.find("invalid YAML"), std::string::npos) << err;
  EXPECT_NE(Errors("just a string").find("a playbook is a mapping"), std::string::npos);
  EXPECT_NE(Errors("name: x\n").find("missing 'stages'"), std::string::npos);
}

TEST_F(PlaybookTest, BadWhenExpressionsAreCaughtAtLoad) {
  std::string err = Errors(R"(name: x
stages:
  - name: s
    steps:
      - id: a
        action: exec
        with: {argv: [/bin/true]}
        when: "params.x = 1"
)");
  EXPECT_NE(err.find("'when'"), std::string::npos) << err;
}

TEST_F(PlaybookTest, ALiteralBadKubernetesNameFailsToLoadWhereItIsWritten) {
  std::string err = Errors(R"(name: x
stages:
  - name: s
    steps:
      - id: pods
        action: kubectl.pods
        with: {namespace: "prod; rm -rf /", selector: "app=checkout"}
      - id: isolate
        action: kubectl.isolate
        with:
          pod: "{{ steps.pods.outputs.first }}"
          remove_labels: [app, "-all"]
)");
  EXPECT_NE(err.find("pb.yaml:7:15: step 'pods': param 'namespace': 'prod; rm -rf /' is not a "
                     "DNS-1123 label"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("step 'isolate': param 'remove_labels': '-all' starts with '-'"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("param 'pod'"), std::string::npos) << err;
}

TEST_F(PlaybookTest, TemplatedKubernetesNamesLoadAndAreCheckedWhenTheStepRuns) {
  auto pb = Parse(R"(name: x
params:
  namespace: {default: "prod; rm -rf /"}
  app: {default: checkout}
stages:
  - name: s
    steps:
      - id: pods
        action: kubectl.pods
        with: {namespace: "{{ params.namespace }}", selector: "app={{ params.app }}"}
)");
  EXPECT_TRUE(pb.ok()) << pb.status().message();
}

TEST(CheckParams, AParamCheckSeesLiteralStringsAndListElementsButNotTemplates) {
  ParamCheck no_x = [](std::string_view what, std::string_view value) {
    return value.find('x') == std::string_view::npos
               ? Status::Ok()
               : Status::Invalid(std::string(what) + ": '" + std::string(value) + "' has an x");
  };
  ActionInfo info;
  info.name = "t";
  info.params = {{"name", ParamType::kString, false, nullptr, "", {}, no_x},
                 {"names", ParamType::kStringList, false, nullptr, "", {}, no_x},
                 {"free", ParamType::kString, false, nullptr, "", {}}};
  EXPECT_TRUE(
      CheckParams(info, {{"name", "ok"}, {"names", {"a", 1}}, {"free", "x"}}, true).empty());
  EXPECT_TRUE(
      CheckParams(info, {{"name", "{{ params.x }}"}, {"names", {"{{ params.x }}"}}}, true).empty());
  EXPECT_EQ(
      CheckParams(info, {{"name", "box"}, {"names", {"a", "fox"}}}, true),
      (std::vector<std::string>{"param 'name': 'box' has an x", "param 'names': 'fox' has an x"}));
  // Run time: the rendered value goes through the same check.
  auto normalized = NormalizeParams(info, {{"name", "box"}});
  ASSERT_FALSE(normalized.ok());
  EXPECT_EQ(normalized.status().message(), "param 'name': 'box' has an x");
}

TEST_F(PlaybookTest, BindParamsFillsDefaultsAndRejectsUnknownOrMissing) {
  auto pb = Parse(kGood);
  ASSERT_TRUE(pb.ok());
  auto p = BindParams(*pb, {{"service", "api"}});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)["namespace"], "default");
  auto missing = BindParams(*pb, Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing required param 'service'"), std::string::npos);
  auto unknown = BindParams(*pb, {{"service", "a"}, {"namespce", "b"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("did you mean 'namespace'"), std::string::npos);
}

}  // namespace
}  // namespace medic
