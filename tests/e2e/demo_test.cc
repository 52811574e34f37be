// The local golden playbook end to end, exactly as `scripts/demo` runs it
// (examples/demo-service/incident), with shorter verify checks: a Go service with a real
// nil-map bug panics under load, real Prometheus fires GoPanicRateHigh, real Alertmanager
// posts it to `medic serve`, and the shipped playbook contains, diagnoses, rolls out the
// fixed build once approved, and verifies with PromQL. The assertions read the record
// through `medic show --json` and `medic timeline --json`, as a postmortem would.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::MedicBinary;
using testing::ReadFile;
using testing::RunCommand;
using testing::ScopedTempDir;
using testing::SourceDir;

// Processes whose command line mentions `needle` (the demo's state directory).
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  DIR* proc = opendir("/proc");
  if (!proc) return found;
  while (dirent* d = readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(d->d_name[0]))) continue;
    if (std::to_string(getpid()) == d->d_name) continue;
    std::string cmdline = ReadFile(std::string("/proc/") + d->d_name + "/cmdline");
    for (char& c : cmdline) c = c ? c : ' ';
    if (cmdline.find(needle) != std::string::npos) found.push_back(cmdline);
  }
  closedir(proc);
  return found;
}

class DemoIncident : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScopedTempDir();
    std::map<std::string, std::string> env = {
        {"MEDIC_DB", dir_->Join("medic.db")},
        {"DEMO_STATE", dir_->Join("state")},
        {"DEMO_CHECK_COUNT", "4"},
        {"NO_COLOR", "1"},
        {"GOCACHE", testing::BinaryDir() + "/go-cache"},
    };
    result_ = new CommandResult(RunCommand(
        {SourceDir() + "/examples/demo-service/incident", MedicBinary()}, "", env, 600'000));
  }
  static void TearDownTestSuite() {
    delete result_;
    delete dir_;
  }

  json Medic(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MedicBinary(), "--db", dir_->Join("medic.db")};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = RunCommand(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  // The steps of `run` (`medic show --json`) by id.
  static std::map<std::string, json> StepsById(const json& run) {
    std::map<std::string, json> steps;
    for (const auto& s : run["steps"]) steps[s["id"]] = s;
    return steps;
  }
  std::string Output() const { return result_->out + "\n--- stderr\n" + result_->err; }

  static ScopedTempDir* dir_;
  static CommandResult* result_;
};
ScopedTempDir* DemoIncident::dir_ = nullptr;
CommandResult* DemoIncident::result_ = nullptr;

TEST_F(DemoIncident, ExitsZeroWithTheFixedBuildServingAndNothingLeftRunning) {
  ASSERT_EQ(result_->exit_code, 0) << Output();
  EXPECT_NE(result_->out.find("the service now answers: ok 1.4.3"), std::string::npos) << Output();
  EXPECT_EQ(ProcessesMentioning(dir_->Join("state")), std::vector<std::string>{});
  // The ~1 GB core was uploaded compressed and removed; its upload stays in s3rver.
  json run = Medic({"show", "1", "--json"});
  for (const auto& a : run["artifacts"]) {
    if (a["kind"] != "core") continue;
    EXPECT_NE(access(a["path"].get<std::string>().c_str(), F_OK), 0) << a.dump();
  }
}

TEST_F(DemoIncident, TheAlertCameThroughAlertmanagerAndServeAsOneIncidentWithOneRun) {
  ASSERT_EQ(result_->exit_code, 0) << Output();
  json list = Medic({"list", "--json"});
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_EQ(list[0]["trigger"], "alertmanager");
  EXPECT_EQ(list[0]["status"], "succeeded");
  json t = Medic({"timeline", "1", "--json"});
  EXPECT_EQ(t["incident"]["source"], "alertmanager");
  EXPECT_EQ(t["incident"]["labels"]["alertname"], "GoPanicRateHigh");
  EXPECT_EQ(t["incident"]["labels"]["service"], "demo-service");
  EXPECT_FALSE(t["milestones"]["detected"]["at"].is_null());
  for (const char* m : {"triggered", "contained", "diagnosed", "mitigated", "verified"})
    EXPECT_EQ(t["milestones"][m]["run_id"], 1) << m << ": " << t["milestones"].dump(2);
}

TEST_F(DemoIncident, EveryStageSucceededWithContainInsideItsBudgets) {
  ASSERT_EQ(result_->exit_code, 0) << Output();
  json run = Medic({"show", "1", "--json"});
  ASSERT_EQ(run["status"], "succeeded") << run.dump(2);
  std::map<std::string, json> steps = StepsById(run);
  // Contain: all of it ran in parallel and inside its budgets (10 s freeze, 45 s capture,
  // 15 s degrade); paging is not configured in the demo.
  for (const char* id :
       {"find", "snapshot", "marker", "silence", "goroutines", "core", "degrade"}) {
    EXPECT_EQ(steps[id]["status"], "succeeded") << id << ": " << steps[id].dump(2);
    EXPECT_EQ(steps[id]["over_budget"], false) << id;
  }
  EXPECT_EQ(steps["page"]["status"], "skipped");
  // The core is of the process `find` located by its port.
  std::string core = steps["core"]["outputs"]["path"];
  EXPECT_EQ(core.substr(core.rfind('/') + 1),
            "core." + std::to_string(steps["find"]["outputs"]["pid"].get<int>()));
  // Recover took the hotfix branch, after an approval, not the restart.
  EXPECT_EQ(steps["hotfix"]["status"], "succeeded");
  EXPECT_NE(steps["hotfix"]["outputs"]["stdout"].get<std::string>().find("demo-service-fixed"),
            std::string::npos);
  EXPECT_EQ(steps["restart"]["status"], "skipped");
  for (const char* id : {"healthz", "panic_rate", "p99", "error_rate", "business"})
    EXPECT_EQ(steps[id]["status"], "succeeded") << id << ": " << steps[id].dump(2);
  // The business check compared with a real pre-incident baseline, not an empty one.
  bool compared = false;
  for (const auto& m : steps["business"]["outputs"]["measurements"])
    compared = compared || (m["baseline"].is_number() && m["passed"] == true);
  EXPECT_TRUE(compared) << steps["business"].dump(2);
  EXPECT_EQ(steps["unsilence"]["status"], "succeeded");
  EXPECT_EQ(steps["clear_marker"]["status"], "succeeded");
}

TEST_F(DemoIncident, TheAnalysisFoundTheRealCulpritInTheDemoSource) {
  ASSERT_EQ(result_->exit_code, 0) << Output();
  json run = Medic({"show", "1", "--json"});
  std::map<std::string, json> steps = StepsById(run);
  json analyze = steps["analyze"]["outputs"];
  EXPECT_EQ(analyze["category"], "nil_map_write") << analyze.dump(2);
  EXPECT_EQ(analyze["culprit"]["function"], "main.(*Cart).Add");
  EXPECT_EQ(analyze["culprit"]["line"], 25);
  std::string file = analyze["culprit"]["file"];
  EXPECT_EQ(file.substr(file.rfind('/') + 1), "carts.go");
  EXPECT_EQ(analyze["recommendation"]["action"], "hotfix");
  // The service's log, and the live goroutine dump the contain stage captured.
  ASSERT_EQ(analyze["sources"].size(), 2u) << analyze["sources"].dump(2);
  EXPECT_EQ(analyze["sources"][0]["crash_found"], true);
  EXPECT_EQ(analyze["sources"][1]["path"], steps["goroutines"]["outputs"]["path"]);
}

TEST_F(DemoIncident, TheHtmlTimelineItPointsToOutlivesTheDemo) {
  ASSERT_EQ(result_->exit_code, 0) << Output();
  const std::string mark = "(html: ";
  size_t at = result_->out.find(mark);
  ASSERT_NE(at, std::string::npos) << Output();
  at += mark.size();
  std::string path = result_->out.substr(at, result_->out.find(')', at) - at);
  // Beside the run's evidence, not in the demo's working directory.
  EXPECT_EQ(path.rfind(dir_->Join("runs") + "/", 0), 0u) << path;
  EXPECT_NE(ReadFile(path).find("<svg"), std::string::npos) << path;
}

TEST_F(DemoIncident, TheCoreAndTheGoroutineDumpWereUploadedWithTheirChecksums) {
  ASSERT_EQ(result_->exit_code, 0) << Output();
  json run = Medic({"show", "1", "--json"});
  std::set<std::string> uploaded;
  for (const auto& a : run["artifacts"]) {
    if (a["kind"] != "upload") continue;
    std::string url = a["url"];
    std::string key = url.substr(url.find("/medic-evidence/") + 1);
    // s3rver keeps each object as a file; what medic recorded is what it stored.
    std::string stored = dir_->Join("state/s3/" + key + "._S3rver_object");
    CommandResult sum = RunCommand({"sha256sum", stored});
    ASSERT_EQ(sum.exit_code, 0) << sum.err;
    EXPECT_EQ(sum.out.substr(0, 64), a["sha256"]) << url;
    uploaded.insert(
        key.substr(key.rfind('/') + 1, key.find('.', key.rfind('/')) - key.rfind('/') - 1));
  }
  EXPECT_EQ(uploaded, (std::set<std::string>{"core", "goroutines"}));
}

TEST_F(DemoIncident, TheTimelineShowsTheAlertTheApprovalAndTheProductionChange) {
  ASSERT_EQ(result_->exit_code, 0) << Output();
  json t = Medic({"timeline", "1", "--json"});
  std::map<std::string, int> kinds;
  bool approved_by_oncall = false, hotfix_command = false;
  for (const auto& e : t["events"]) {
    ++kinds[e["kind"]];
    if (e["step"] == "hotfix" &&
        e["message"].get<std::string>().find("demo-oncall") != std::string::npos)
      approved_by_oncall = true;
    if (e["step"] == "hotfix" && e["changes"] == true) hotfix_command = true;
  }
  EXPECT_GE(kinds["alert.firing"], 1);
  EXPECT_EQ(kinds["analysis.result"], 1);
  EXPECT_TRUE(approved_by_oncall) << t["events"].dump(1);
  EXPECT_EQ(kinds["step.awaiting_approval"], 1);
  EXPECT_EQ(kinds["step.approval_given"], 1);
  EXPECT_EQ(kinds["step.approved"], 1);
  EXPECT_TRUE(hotfix_command);
  EXPECT_EQ(kinds["run.succeeded"], 1);
}

}  // namespace
}  // namespace medic
