// `medic timeline` through the binary: the md/json/csv exports compared with golden files,
// redaction, time zones, budgets, and how ids are resolved. Golden files live in
// tests/timeline/golden/; MEDIC_UPDATE_GOLDEN=1 rewrites them. The model and each rendering
// on their own are tested in tests/report.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"
#include "tests/timeline/fixture.h"

namespace medic {
namespace {

using testing::CommandResult;
using testing::MedicBinary;
using testing::ReadFile;
using testing::ScopedTempDir;
using testing::WriteFile;

class TimelineCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(Db());
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto id = testing::WriteFixtureIncident(**store);
    ASSERT_TRUE(id.ok()) << id.status().message();
    incident_ = *id;
  }
  std::string Db() const { return dir_.Join("medic.db"); }
  CommandResult Medic(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), MedicBinary());
    env["MEDIC_DB"] = Db();
    // plainsecretvalue42 looks like nothing: only the environment says it is a secret.
    env["CHECKOUT_API_TOKEN"] = "plainsecretvalue42";
    env["NO_COLOR"] = "1";
    return testing::RunCommand(args, "", env);
  }
  // Compares `actual` with tests/timeline/golden/NAME, or rewrites it when
  // MEDIC_UPDATE_GOLDEN=1.
  void ExpectGolden(const std::string& name, const std::string& actual) {
    std::string path = testing::SourceDir() + "/tests/timeline/golden/" + name;
    const char* update = std::getenv("MEDIC_UPDATE_GOLDEN");
    if (update && std::string(update) == "1") {
      WriteFile(path, actual);
      return;
    }
    std::string expected = ReadFile(path);
    ASSERT_FALSE(expected.empty()) << path << " is missing: run with MEDIC_UPDATE_GOLDEN=1";
    EXPECT_EQ(actual, expected)
        << "differs from " << path
        << " (if the change is intended: MEDIC_UPDATE_GOLDEN=1 ctest -R timeline)";
  }
  void ExpectNoSecrets(const std::string& text) {
    for (const char* secret : testing::kFixtureSecrets)
      EXPECT_EQ(text.find(secret), std::string::npos) << "secret '" << secret << "' leaked";
    EXPECT_NE(text.find("[REDACTED]"), std::string::npos);
  }
  ScopedTempDir dir_;
  int64_t incident_ = 0;
};

TEST_F(TimelineCli, MarkdownMatchesTheGoldenFile) {
  auto r = Medic({"timeline", std::to_string(incident_), "--format", "md"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectGolden("incident.md", r.out);
}

TEST_F(TimelineCli, JsonMatchesTheGoldenFileAndTheDocumentedSchema) {
  auto r = Medic({"timeline", std::to_string(incident_), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectGolden("incident.json", r.out);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "medic.timeline.v1");
  for (const char* k : {"incident", "milestones", "events"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["milestones"]["detected"]["at"], "2026-11-22T03:00:00.000Z");
  EXPECT_EQ(j["milestones"]["durations"]["time_to_contain"]["verdict"], "met");
  EXPECT_EQ(j["incident"]["runs"][0]["analysis"][0]["category"], "nil_map_write");
  for (const auto& e : j["events"])
    for (const char* k :
         {"id", "at", "offset_ms", "kind", "category", "severity", "message", "data"})
      EXPECT_TRUE(e.contains(k)) << k;
  // --json is --format json.
  EXPECT_EQ(Medic({"timeline", std::to_string(incident_), "--json"}).out, r.out);
}

TEST_F(TimelineCli, CsvMatchesTheGoldenFileOneEventARow) {
  auto r = Medic({"timeline", std::to_string(incident_), "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectGolden("incident.csv", r.out);
  auto json = nlohmann::json::parse(Medic({"timeline", std::to_string(incident_), "--json"}).out);
  size_t rows = 0;
  bool quoted = false;
  for (size_t i = 0; i < r.out.size(); ++i) {
    if (r.out[i] == '"') quoted = !quoted;
    if (!quoted && r.out[i] == '\n') ++rows;
  }
  EXPECT_EQ(rows, json["events"].size() + 1);
}

TEST_F(TimelineCli, ASingleRunHasItsOwnTimeline) {
  auto r = Medic({"timeline", "--run", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectGolden("run.md", r.out);
  EXPECT_EQ(r.out.find("alert.firing"), std::string::npos);  // alerts are the incident's
}

// A webhook run that waits for approval: one step approved with `medic approve` (given,
// then taking effect when the run went on), the next still waiting.
TEST_F(TimelineCli, AStepWaitingForApprovalIsShownAsWaitingNotAsNotRun) {
  int64_t incident = 0;
  {
    auto store = Store::Open(Db());
    ASSERT_TRUE(store.ok());
    auto id = testing::WriteAwaitingApprovalIncident(**store);
    ASSERT_TRUE(id.ok()) << id.status().message();
    incident = *id;
  }
  std::string id = std::to_string(incident);
  auto md = Medic({"timeline", id});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  ExpectGolden("awaiting.md", md.out);
  EXPECT_NE(md.out.find("| recover | `restart` | waiting for approval | 0 |"), std::string::npos);
  EXPECT_NE(md.out.find("1 waiting for approval"), std::string::npos);
  EXPECT_EQ(md.out.find("not run"), std::string::npos);

  auto json = Medic({"timeline", id, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  ExpectGolden("awaiting.json", json.out);
  auto j = nlohmann::json::parse(json.out);
  const auto& steps = j["incident"]["runs"][0]["steps"];
  EXPECT_EQ(steps[1]["status"], "succeeded");
  EXPECT_EQ(steps[1]["awaiting_since"], nullptr);
  EXPECT_EQ(steps[2]["status"], "awaiting_approval");
  EXPECT_EQ(steps[2]["awaiting_since"], "2026-11-22T03:00:42.530Z");
  std::vector<std::string> approvals;
  for (const auto& e : j["events"])
    if (e["category"] == "approval")
      approvals.push_back(e["step"].get<std::string>() + " " + e["kind"].get<std::string>());
  EXPECT_EQ(approvals,
            (std::vector<std::string>{
                "drain_instance step.awaiting_approval", "drain_instance step.approval_given",
                "drain_instance step.approved", "restart step.awaiting_approval"}));
  EXPECT_EQ(j["milestones"]["contained"]["at"], "2026-11-22T03:00:42.510Z");
  EXPECT_EQ(j["milestones"]["resolved"], nullptr);

  auto csv = Medic({"timeline", id, "--format", "csv"});
  EXPECT_NE(csv.out.find(",restart,step.awaiting_approval,approval,warning,awaiting_approval,"),
            std::string::npos)
      << csv.out;
  EXPECT_NE(csv.out.find("waiting for approval to run: kubectl -n prod rollout restart "
                         "deployment/checkout"),
            std::string::npos);

  auto html = Medic({"timeline", id, "--format", "html"});
  EXPECT_NE(html.out.find("data-step=\"restart\" data-status=\"awaiting_approval\""),
            std::string::npos);
  EXPECT_NE(html.out.find("#ca8a04\"></span>waiting for approval</li>"), std::string::npos);
  EXPECT_NE(html.out.find("<td>waiting for approval</td>"), std::string::npos);
}

TEST_F(TimelineCli, SecretsInTheRecordAreRedactedInEveryFormat) {
  for (const char* format : {"md", "json", "csv", "html"}) {
    auto r = Medic({"timeline", std::to_string(incident_), "--format", format});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    SCOPED_TRACE(format);
    ExpectNoSecrets(r.out);
  }
}

// End to end: a real run whose step prints a secret from the environment, as JSON the
// timeline picks up as the analysis result.
TEST_F(TimelineCli, ASecretAStepPrintedNeverReachesTheTimeline) {
  std::string pb = dir_.Join("leak.yaml");
  WriteFile(pb, R"(name: leak
allow_env: [DEPLOY_TOKEN]
stages:
  - name: diagnose
    steps:
      - id: classify
        action: exec
        with:
          argv: [printf, '{"category": "deadlock", "recommendation": {"action": "restart", "why": "%s"}}', "{{ env.DEPLOY_TOKEN }}"]
          parse: json
)");
  std::map<std::string, std::string> env = {{"DEPLOY_TOKEN", "supersecret-deploy-123"}};
  auto run = Medic({"run", pb, "--json"}, env);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  int64_t incident = nlohmann::json::parse(run.out)["incident_id"].get<int64_t>();
  for (const char* format : {"md", "json", "csv", "html"}) {
    SCOPED_TRACE(format);
    auto r = Medic({"timeline", std::to_string(incident), "--format", format});  // no DEPLOY_TOKEN
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("supersecret-deploy-123"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("deadlock"), std::string::npos);
    EXPECT_NE(r.out.find("[REDACTED]"), std::string::npos);
  }
}

TEST_F(TimelineCli, TimesFollowTheChosenZone) {
  auto r = Medic({"timeline", std::to_string(incident_), "--json", "--tz", "America/New_York"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["timezone"], "America/New_York");
  EXPECT_EQ(j["milestones"]["detected"]["at"], "2026-11-21T22:00:00.000-05:00");
  auto md = Medic({"timeline", std::to_string(incident_), "--tz", "Asia/Kolkata"});
  EXPECT_NE(md.out.find("| 2026-11-22 08:30:00.000 | T+0ms |"), std::string::npos) << md.out;
  auto utc = Medic({"timeline", std::to_string(incident_), "--json", "--utc"});
  EXPECT_EQ(nlohmann::json::parse(utc.out)["milestones"]["detected"]["at"],
            "2026-11-22T03:00:00.000Z");
  auto bad = Medic({"timeline", std::to_string(incident_), "--tz", "Mars/Olympus_Mons"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("TZ database"), std::string::npos) << bad.err;
  EXPECT_EQ(Medic({"timeline", "1", "--tz", "../../etc/passwd"}).exit_code, 2);
  EXPECT_EQ(Medic({"timeline", "1", "--utc", "--tz", "UTC"}).exit_code, 2);
}

TEST_F(TimelineCli, IdsAreIncidentsUnlessRunIsGiven) {
  EXPECT_EQ(Medic({"timeline"}).exit_code, 2);
  EXPECT_EQ(Medic({"timeline", "1", "--run", "1"}).exit_code, 2);
  auto missing = Medic({"timeline", "999"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no incident 999"), std::string::npos) << missing.err;
  EXPECT_EQ(Medic({"timeline", "--run", "999"}).exit_code, 1);
  // A second incident brings runs 2 and 3: run 3 exists but incident 3 does not, say so.
  {
    auto store = Store::Open(Db());
    ASSERT_TRUE(store.ok());
    testing::FixtureOptions more;
    more.extra_events = 16;
    ASSERT_TRUE(testing::WriteFixtureIncident(**store, more).ok());
  }
  auto hint = Medic({"timeline", "3"});
  EXPECT_EQ(hint.exit_code, 1);
  EXPECT_NE(hint.err.find("medic timeline --run 3"), std::string::npos) << hint.err;
}

TEST_F(TimelineCli, OutputFileTakesItsFormatFromItsExtension) {
  std::string out = dir_.Join("postmortem.csv");
  auto r = Medic({"timeline", std::to_string(incident_), "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ReadFile(out).rfind("id,at,offset_ms,", 0), 0u);
  EXPECT_EQ(Medic({"timeline", std::to_string(incident_), "--format", "pdf"}).exit_code, 2);
  EXPECT_EQ(Medic({"timeline", std::to_string(incident_), "--sla", "contian=1m"}).exit_code, 2);
}

TEST_F(TimelineCli, ATighterSlaIsReportedAsMissed) {
  // The id after --sla is the incident, not a second budget.
  auto r = Medic({"timeline", "--sla", "contain=10s", "--sla", "verify=1m",
                  std::to_string(incident_), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto d = nlohmann::json::parse(r.out)["milestones"]["durations"];
  EXPECT_EQ(d["time_to_contain"]["verdict"], "missed");
  EXPECT_EQ(d["time_to_verify"]["verdict"], "missed");
  EXPECT_EQ(d["time_to_mitigate"]["verdict"], nullptr);
}

}  // namespace
}  // namespace medic
