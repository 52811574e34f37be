// End-to-end tests of the built binary: what an on-call engineer types, what lands in
// the record, and what happens when medic itself is killed.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/strings.h"
#include "tests/support/postgres_peer.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::MedicBinary;
using testing::PeerProcess;
using testing::ReadFile;
using testing::ScopedTempDir;
using testing::WaitFor;
using testing::WriteFile;

bool ProcessGone(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return true;
  size_t p = line.rfind(')');
  return p != std::string::npos && line[p + 2] == 'Z';
}

class Cli : public ::testing::Test {
 protected:
  // Chosen before the test body starts threads that all name it.
  void SetUp() override { db_ = testing::TestRecord(dir_); }
  /// The record: a SQLite file, or a fresh PostgreSQL database under cli_test_postgres.
  const std::string& Db() const { return db_; }
  CommandResult Medic(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), MedicBinary());
    return testing::RunCommand(args, input, {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}});
  }
  std::string Playbook(const std::string& name, const std::string& yaml) {
    std::string path = dir_.Join(name);
    WriteFile(path, yaml);
    return path;
  }
  // One value from the record, read the way any other tool would read it.
  std::string Query(const std::string& sql) { return testing::QueryRecord(Db(), sql); }
  std::string StepStatus(const std::string& step) {
    return Query("select status from steps where step_id = '" + step +
                 "' order by run_id desc limit 1");
  }
  ScopedTempDir dir_;
  std::string db_;
};

TEST_F(Cli, HelpDocumentsTheExitCodes) {
  auto r = Medic({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s :
       {"run", "resume", "list", "show", "validate", "actions", "130", "needs attention"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

TEST_F(Cli, RunPrintsTheDocumentedJsonAndShowAgrees) {
  std::string pb = Playbook("pb.yaml", R"(name: demo
params:
  service: {required: true}
stages:
  - name: contain
    parallel: true
    steps:
      - {id: hello, action: exec, budget: 10s, with: {argv: [echo, "{{ params.service }}"]}}
      - {id: nap, action: sleep, with: {duration: 10ms}}
)");
  auto r = Medic({"run", pb, "--var", "service=checkout", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  for (const char* k :
       {"id", "playbook", "status", "started_at", "ended_at", "duration_ms", "steps"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["status"], "succeeded");
  ASSERT_EQ(j["steps"].size(), 2u);
  const json& step = j["steps"][0];
  for (const char* k : {"id", "stage", "action", "status", "attempts", "started_at", "ended_at",
                        "duration_ms", "over_budget", "outputs", "error"})
    EXPECT_TRUE(step.contains(k)) << k;
  EXPECT_EQ(step["outputs"]["stdout"], "checkout\n");

  auto show = Medic({"show", std::to_string(j["id"].get<int>()), "--json"});
  ASSERT_EQ(show.exit_code, 0);
  EXPECT_EQ(json::parse(show.out)["steps"], j["steps"]);
  auto list = Medic({"list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_EQ(json::parse(list.out)[0]["id"], j["id"]);
}

TEST_F(Cli, ExitCodesFollowTheRunStatus) {
  std::string fail = Playbook("f.yaml",
                              "name: f\nstages:\n  - name: s\n    steps:\n      - {id: x, action: "
                              "exec, with: {argv: ['false']}}\n");
  EXPECT_EQ(Medic({"run", fail}).exit_code, 1);
  std::string confirm = Playbook("c.yaml",
                                 "name: c\nstages:\n  - name: s\n    steps:\n      - {id: x, "
                                 "action: exec, confirm: true, with: {argv: ['true']}}\n");
  auto waiting = Medic({"run", confirm});
  EXPECT_EQ(waiting.exit_code, 3);
  EXPECT_NE(waiting.err.find("needs confirmation"), std::string::npos) << waiting.err;
  EXPECT_EQ(Medic({"resume", Query("select max(id) from runs"), "--yes"}).exit_code, 0);
  EXPECT_EQ(Medic({"run", dir_.Join("missing.yaml")}).exit_code, 2);
  EXPECT_EQ(Medic({"show", "12345"}).exit_code, 1);
  EXPECT_EQ(Medic({"frobnicate"}).exit_code, 2);
}

TEST_F(Cli, ValidateReportsEveryProblemWithPositions) {
  std::string pb = Playbook("bad.yaml", R"(name: bad
stages:
  - name: s
    steps:
      - id: capture_core
        action: gcor
        timeout: 10s
        budgt: 5s
)");
  auto r = Medic({"validate", pb});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(pb + ":6:17: step 'capture_core': unknown action 'gcor'"), std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find(":8:9: step 'capture_core': unknown step field 'budgt' (did you mean 'budget'?)"),
      std::string::npos)
      << r.err;
  auto j = Medic({"validate", pb, "--json"});
  json problems = json::parse(j.out)[0]["problems"];
  ASSERT_EQ(problems.size(), 2u) << j.out;
  EXPECT_EQ(problems[1], (json{{"file", pb},
                               {"line", 8},
                               {"column", 9},
                               {"step", "capture_core"},
                               {"message", "unknown step field 'budgt' (did you mean 'budget'?)"},
                               {"suggestion", "budget"}}));
  std::string junk = Playbook("junk.yaml", "{{{{ not yaml");
  auto y = Medic({"validate", junk});
  EXPECT_EQ(y.exit_code, 2);
  EXPECT_NE(y.err.find("invalid YAML"), std::string::npos) << y.err;
}

TEST_F(Cli, DryRunShowsEveryCommandAndRunsNothing) {
  std::string marker = dir_.Join("touched");
  std::string pb = Playbook("pb.yaml", R"(name: dry
params:
  pod: {required: true}
stages:
  - name: s
    steps:
      - {id: touch, action: exec, with: {argv: [touch, ")" +
                                           marker + R"("]}}
      - {id: kill, action: exec, confirm: true, with: {argv: [echo, delete, "{{ params.pod }}"]}}
)");
  auto r = Medic({"run", pb, "--var", "pod=api-7", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("$ touch " + marker), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("$ echo delete api-7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[needs confirmation]"), std::string::npos);
  EXPECT_FALSE(std::ifstream(marker).good());
  EXPECT_EQ(Query("select count(*) from runs"), "");  // no database was even needed
  auto j = Medic({"run", pb, "--var", "pod=api-7", "--dry-run", "--json"});
  EXPECT_EQ(json::parse(j.out)["stages"][0]["steps"][1]["commands"][0], "echo delete api-7");
}

TEST_F(Cli, AHostileParamCannotChangeTheLogicOfWhen) {
  std::string pb = Playbook("pb.yaml", R"(name: inj
params:
  namespace: {required: true}
stages:
  - name: s
    steps:
      - id: only_in_kube_system
        action: exec
        when: "{{ params.namespace }} == 'kube-system'"
        with: {argv: [echo, "{{ params.namespace }}"]}
)");
  auto r = Medic({"run", pb, "--var", "namespace=' or true or '", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["steps"][0]["status"], "skipped");
}

TEST_F(Cli, UnknownVarsAreRejectedWithASuggestion) {
  std::string pb = Playbook("pb.yaml",
                            "name: v\nparams:\n  service: {required: true}\nstages:\n  - name: s\n "
                            "   steps:\n      - {id: a, action: exec, with: {argv: ['true']}}\n");
  auto r = Medic({"run", pb, "--var", "servce=x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'service'"), std::string::npos) << r.err;
}

// The run is killed with SIGKILL while its second step runs; resume stops the leftover
// process group, re-runs the idempotent step, and every side effect happens exactly once.
TEST_F(Cli, KillNineThenResumeRunsEachSideEffectExactlyOnce) {
  std::string log = dir_.Join("effects.log");
  std::string slow = dir_.Join("slow");
  std::string pidfile = dir_.Join("b.pid");
  WriteFile(slow, "");
  std::string pb = Playbook("pb.yaml", R"(name: crashy
stages:
  - name: one
    steps:
      - {id: a, action: exec, with: {argv: [sh, -c, 'echo a >> "$0"', ")" +
                                           log + R"("]}}
      - id: b
        action: exec
        idempotent: true
        with: {argv: [sh, -c, 'echo $$ > "$2"; if [ -f "$1" ]; then sleep 300; fi; echo b >> "$0"', ")" +
                                           log + R"(", ")" + slow + R"(", ")" + pidfile + R"("]}
  - name: two
    steps:
      - {id: c, action: exec, with: {argv: [sh, -c, 'echo c >> "$0"', ")" +
                                           log + R"("]}}
)");
  PeerProcess medic;
  ASSERT_TRUE(medic.Start({MedicBinary(), "--db", Db(), "run", pb}, dir_.Join("run.log")));
  ASSERT_TRUE(WaitFor([&] { return StepStatus("b") == "running" && !ReadFile(pidfile).empty(); }))
      << ReadFile(dir_.Join("run.log"));
  pid_t leftover = std::stoi(ReadFile(pidfile));
  EXPECT_EQ(Query("select pgid from steps where step_id = 'b'"), std::to_string(leftover));
  kill(medic.pid(), SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !medic.running(); }));
  EXPECT_FALSE(ProcessGone(leftover)) << "the step's process should outlive a SIGKILLed medic";

  std::remove(slow.c_str());
  auto r = Medic({"resume", Query("select id from runs"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(leftover); }))
      << "leftover process group not stopped";
  EXPECT_EQ(ReadFile(log), "a\nb\nc\n");
  json j = json::parse(r.out);
  EXPECT_EQ(j["steps"][0]["attempts"], 1);
  EXPECT_EQ(j["steps"][1]["attempts"], 2);
  EXPECT_NE(
      Query("select group_concat(kind) from events where step_id = 'b'").find("step.interrupted"),
      std::string::npos);
}

// Two `medic resume` started at once on a run whose medic was killed: one drives it, the
// other is refused, and the non-idempotent step after the interrupted one runs once.
TEST_F(Cli, TwoResumesRacingOverAKilledRunRunEachStepOnce) {
  for (int trial = 0; trial < 3; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    std::string log = dir_.Join("effects" + std::to_string(trial) + ".log");
    std::string hold = dir_.Join("hold");
    WriteFile(hold, "");
    std::string pb = Playbook("race.yaml", R"(name: race
stages:
  - name: one
    steps:
      - id: wait
        action: exec
        idempotent: true
        with: {argv: [sh, -c, 'if [ -f "$1" ]; then rm "$1"; sleep 300; fi; sleep 0.3; echo wait >> "$0"', ")" +
                                               log + R"(", ")" + hold + R"("]}
  - name: two
    steps:
      - {id: mutate, action: exec, with: {argv: [sh, -c, 'echo mutate >> "$0"', ")" +
                                               log + R"("]}}
)");
    PeerProcess medic;
    ASSERT_TRUE(medic.Start({MedicBinary(), "--db", Db(), "run", pb}, dir_.Join("run.log")));
    std::string id;
    ASSERT_TRUE(WaitFor([&] {
      id = Query("select max(id) from runs");
      return Query("select status from steps where step_id = 'wait' and run_id = " + id) ==
                 "running" &&
             !std::filesystem::exists(hold);
    })) << ReadFile(dir_.Join("run.log"));
    kill(medic.pid(), SIGKILL);
    ASSERT_TRUE(WaitFor([&] { return !medic.running(); }));

    CommandResult results[2];
    std::thread racers[2];
    for (int i = 0; i < 2; ++i)
      racers[i] = std::thread([&, i] { results[i] = Medic({"resume", id, "--yes"}); });
    for (auto& t : racers) t.join();
    EXPECT_EQ(ReadFile(log), "wait\nmutate\n") << results[0].err << "\n---\n" << results[1].err;
    int ok = (results[0].exit_code == 0) + (results[1].exit_code == 0);
    EXPECT_EQ(ok, 1) << "one resume drives the run, the other is refused\n"
                     << results[0].err << "\n---\n"
                     << results[1].err;
    const std::string& refused = results[0].exit_code == 0 ? results[1].err : results[0].err;
    EXPECT_TRUE(refused.find("being run right now") != std::string::npos ||
                refused.find("already succeeded") != std::string::npos)
        << refused;
  }
}

// `medic resume --retry` of a destructive step that was approved once asks again: the old
// approval let it go once, and the record shows each approval next to its execution.
TEST_F(Cli, RetryingADestructiveStepNeedsANewApproval) {
  std::string log = dir_.Join("effects.log");
  std::string pb = Playbook("pb.yaml", R"(name: careful
stages:
  - name: s
    steps:
      - id: mutate
        action: exec
        confirm: true
        with: {argv: [sh, -c, 'echo mutate >> "$0"; sleep 300', ")" +
                                           log + R"("]}
)");
  PeerProcess medic;
  ASSERT_TRUE(medic.Start({MedicBinary(), "--db", Db(), "run", pb, "--yes"}, dir_.Join("run.log")));
  ASSERT_TRUE(WaitFor([&] { return StepStatus("mutate") == "running" && !ReadFile(log).empty(); }));
  kill(medic.pid(), SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !medic.running(); }));
  std::string id = Query("select id from runs");
  auto again = Medic({"resume", id, "--retry", "mutate"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_EQ(ReadFile(log), "mutate\n") << "not run again without a new yes";
  EXPECT_EQ(Query("select approved from steps where step_id = 'mutate'"), "0");
  EXPECT_EQ(Query("select count(*) from events where kind = 'step.awaiting_approval'"), "1");
}

// A closed stdout or stderr (`medic run PB | head -2`) does not stop the run: it goes on to
// the end and the record says so.
TEST_F(Cli, AClosedPipeDoesNotStopARun) {
  std::string pb = Playbook("pb.yaml", R"(name: chatty
stages:
  - name: s
    steps:
      - {id: a, action: exec, with: {argv: [sh, -c, 'sleep 0.2; echo a']}}
      - {id: b, action: exec, with: {argv: [sh, -c, 'sleep 0.2; echo b']}}
      - {id: c, action: exec, with: {argv: [sh, -c, 'sleep 0.2; echo c']}}
      - {id: d, action: exec, with: {argv: [sh, -c, 'sleep 0.2; echo d']}}
)");
  auto r = testing::RunCommand(
      {"sh", "-c", "\"$0\" --db \"$1\" run \"$2\" --yes 2>&1 | head -c 1", MedicBinary(), Db(), pb},
      "", {{"NO_COLOR", "1"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] { return Query("select status from runs") == "succeeded"; }))
      << Query("select status from runs");
  EXPECT_EQ(Query("select count(*) from steps where status = 'succeeded'"), "4");
}

TEST_F(Cli, AnInterruptedNonIdempotentStepNeedsAPerson) {
  std::string log = dir_.Join("effects.log");
  std::string pb = Playbook("pb.yaml", R"(name: careful
stages:
  - name: s
    steps:
      - {id: mutate, action: exec, with: {argv: [sh, -c, 'echo start >> "$0"; sleep 300', ")" +
                                           log + R"("]}}
      - {id: after, action: exec, with: {argv: ['true']}}
)");
  PeerProcess medic;
  ASSERT_TRUE(medic.Start({MedicBinary(), "--db", Db(), "run", pb}, dir_.Join("run.log")));
  ASSERT_TRUE(WaitFor([&] { return StepStatus("mutate") == "running" && !ReadFile(log).empty(); }));
  kill(medic.pid(), SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !medic.running(); }));
  std::string id = Query("select id from runs");
  auto r = Medic({"resume", id});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.out.find("--retry mutate"), std::string::npos) << r.out;
  EXPECT_EQ(StepStatus("mutate"), "interrupted");
  auto skipped = Medic({"resume", id, "--skip", "mutate"});
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(StepStatus("after"), "succeeded");
  EXPECT_EQ(ReadFile(log), "start\n");
}

TEST_F(Cli, SigtermStopsRunningStepsAndRecordsAnInterruptedRun) {
  std::string pidfile = dir_.Join("p.pid");
  std::string pb = Playbook("pb.yaml", R"(name: term
stages:
  - name: s
    steps:
      - {id: long, action: exec, with: {argv: [sh, -c, 'sleep 300 & echo $! > "$0"; wait', ")" +
                                           pidfile + R"("]}}
)");
  PeerProcess medic;
  ASSERT_TRUE(medic.Start({MedicBinary(), "--db", Db(), "run", pb}, dir_.Join("run.log")));
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(pidfile).empty(); }));
  pid_t child = std::stoi(ReadFile(pidfile));
  kill(medic.pid(), SIGTERM);
  int status = 0;
  ASSERT_TRUE(WaitFor([&] { return waitpid(medic.pid(), &status, WNOHANG) == medic.pid(); }));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_EQ(Query("select status from runs"), "interrupted");
  EXPECT_EQ(StepStatus("long"), "interrupted");
  EXPECT_TRUE(WaitFor([&] { return ProcessGone(child); }))
      << "the step's process group outlived SIGTERM";
}

TEST_F(Cli, ActionsListsParametersFromTheSameSchemasValidateUses) {
  auto r = Medic({"actions", "exec", "--json"});
  ASSERT_EQ(r.exit_code, 0);
  json j = json::parse(r.out);
  EXPECT_EQ(j[0]["name"], "exec");
  EXPECT_EQ(j[0]["params"][0]["name"], "argv");
  EXPECT_EQ(Medic({"actions", "exce"}).exit_code, 2);
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

TEST_F(Cli, ShippedPlaybooksValidateAndDryRunShowsTheirCommands) {
  std::string lib = testing::SourceDir() + "/playbooks/library/";
  auto v = Medic(
      {"validate", lib + "golden-three-minutes-k8s.yaml", lib + "golden-three-minutes-local.yaml"});
  ASSERT_EQ(v.exit_code, 0) << v.err;

  auto k8s = Medic({"run", lib + "golden-three-minutes-k8s.yaml", "--dry-run", "--json", "--var",
                    "service=checkout", "--var", "namespace=shop", "--var", "selector=app=checkout",
                    "--var", "deployment=checkout", "--var", "container=app", "--var",
                    "image=registry.example/checkout:1.4.3"});
  ASSERT_EQ(k8s.exit_code, 0) << k8s.err;
  std::string plan = json::parse(k8s.out).dump();
  for (const char* cmd :
       {"get pods", "set image deployment/checkout app=registry.example/checkout:1.4.3",
        "rollout status deployment/checkout", "rollout restart deployment/checkout"})
    EXPECT_NE(plan.find(cmd), std::string::npos) << cmd << " missing from " << plan;

  auto local = Medic({"run", lib + "golden-three-minutes-local.yaml", "--dry-run", "--var",
                      "service=demo", "--var", "port=8080", "--var", "log_file=/var/log/demo.log",
                      "--var", "restart_command=/usr/local/bin/restart-demo"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  for (const char* cmd : {"gcore -o", "POST http://127.0.0.1:8080/admin/degrade",
                          "medic analyze /var/log/demo.log", "/usr/local/bin/restart-demo"})
    EXPECT_NE(local.out.find(cmd), std::string::npos) << cmd;
  EXPECT_EQ(Query("select count(*) from runs"), "");
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

// A run says only what it verified: a check that could not run and a failure that was let
// go are warnings, listed above the last line; a step skipped by its `when:` is not.
const char* kVerdictPlaybook = R"(name: verdicts
params:
  path: {default: quick}
stages:
  - name: verify
    steps:
      - {id: p99, action: prometheus.check, with: {query: "up", success: "result < 1"}}
      - {id: flaky, action: exec, on_failure: continue, with: {argv: ["false"]}}
      - {id: decided, action: exec, when: "params.path == 'slow'", with: {argv: ["true"]}}
      - {id: ok, action: exec, with: {argv: ["true"]}}
)";

// The smallest run there is: one step that succeeds.
const char* kOneStep = R"(name: one
stages:
  - name: s
    steps:
      - {id: a, action: exec, with: {argv: ["true"]}}
)";

TEST_F(Cli, ARunWithUncheckedOrLetGoStepsSucceedsWithWarningsAndStrictMakesThemFail) {
  std::string pb = Playbook("verdicts.yaml", kVerdictPlaybook);
  auto plain = testing::RunCommand({MedicBinary(), "run", pb}, "",
                                   {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}, {"PROMETHEUS_URL", ""}});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  std::string last = plain.out.substr(plain.out.rfind('\n', plain.out.size() - 2) + 1);
  EXPECT_EQ(last, "succeeded with 2 warnings\n") << plain.out;
  EXPECT_NE(plain.out.find("warning: step 'p99' skipped: not configured: no Prometheus URL"),
            std::string::npos)
      << plain.out;
  EXPECT_NE(plain.out.find("warning: step 'flaky' failed"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find("warning: step 'decided'"), std::string::npos) << plain.out;

  auto strict =
      testing::RunCommand({MedicBinary(), "run", pb, "--strict", "--json"}, "",
                          {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}, {"PROMETHEUS_URL", ""}});
  EXPECT_EQ(strict.exit_code, 1) << strict.err;
  json run = json::parse(strict.out);
  EXPECT_EQ(run["status"], "succeeded");
  ASSERT_EQ(run["warnings"].size(), 2u) << run.dump(2);
  EXPECT_EQ(run["warnings"][0]["step"], "p99");
  EXPECT_EQ(run["warnings"][0]["status"], "skipped");
  EXPECT_EQ(run["warnings"][1]["step"], "flaky");

  std::string id = std::to_string(run["id"].get<int>());
  json shown = json::parse(Medic({"show", id, "--json"}).out);
  EXPECT_EQ(shown["warnings"], run["warnings"]);
  json listed = json::parse(Medic({"list", "--json"}).out);
  EXPECT_EQ(listed[0]["warnings"].size(), 2u);
  auto timeline = Medic({"timeline", "--run", id, "--format", "md"});
  EXPECT_NE(timeline.out.find("**warning**: step `p99` skipped"), std::string::npos)
      << timeline.out;
  // The verify stage finished, but one of its checks never ran: not verified.
  EXPECT_NE(timeline.out.find("not reached: step 'p99' skipped: not configured"), std::string::npos)
      << timeline.out;
}

TEST_F(Cli, ARequiredCheckThatIsNotConfiguredFailsTheRun) {
  std::string yaml = kVerdictPlaybook;
  yaml.replace(yaml.find("    steps:"), 0, "    required: true\n");
  std::string pb = Playbook("required.yaml", yaml);
  auto r = testing::RunCommand({MedicBinary(), "run", pb}, "",
                               {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}, {"PROMETHEUS_URL", ""}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(StepStatus("p99"), "failed");
  EXPECT_NE(r.out.find("required, but not configured: no Prometheus URL"), std::string::npos)
      << r.out;
  EXPECT_EQ(StepStatus("ok"), "pending");  // the run stopped there
  // A step's own `required: false` wins over its stage's.
  yaml.replace(yaml.find("query: \"up\", success: \"result < 1\"}}"),
               std::string("query: \"up\", success: \"result < 1\"}}").size(),
               "query: \"up\", success: \"result < 1\"}, required: false}");
  auto relaxed =
      testing::RunCommand({MedicBinary(), "run", Playbook("relaxed.yaml", yaml)}, "",
                          {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}, {"PROMETHEUS_URL", ""}});
  EXPECT_EQ(relaxed.exit_code, 0) << relaxed.out << relaxed.err;
}

TEST_F(Cli, ARunWhoseDriverIsGoneIsShownOrphanedWithTheWayOn) {
  std::string pb = Playbook("one.yaml", kOneStep);
  ASSERT_EQ(Medic({"run", pb}).exit_code, 0);
  // As a medic killed mid-run leaves it: running, its lease long expired.
  ASSERT_EQ(testing::ExecRecord(Db(), "update runs set status = 'running', ended_at = 0, "
                                      "owner_pid = 999999, lease_until = 1000"),
            "");
  auto show = Medic({"show", "1"});
  EXPECT_NE(show.out.find("orphaned: the medic driving it is gone; continue with `medic resume 1`"),
            std::string::npos)
      << show.out;
  EXPECT_EQ(json::parse(Medic({"show", "1", "--json"}).out)["status"], "orphaned");
  EXPECT_EQ(json::parse(Medic({"list", "--json"}).out)[0]["status"], "orphaned");
  EXPECT_NE(Medic({"list"}).out.find("orphaned"), std::string::npos);
  EXPECT_EQ(Query("select status from runs where id = 1"),
            "running");  // the record is not rewritten
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

TEST_F(Cli, AnUnknownCommandGetsASuggestionAndHelpCmdIsCmdHelp) {
  auto typo = Medic({"rnu"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("unknown command \"rnu\" - did you mean \"run\"?"), std::string::npos)
      << typo.err;
  auto help = Medic({"help", "run"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_EQ(help.out, Medic({"run", "--help"}).out);
  EXPECT_NE(help.out.find("Examples:\n  medic run golden.yaml"), std::string::npos) << help.out;
  for (const char* cmd : {"resume", "list", "show", "validate", "actions", "analyze", "timeline",
                          "serve", "approve", "close"})
    EXPECT_NE(Medic({cmd, "--help"}).out.find("Examples:"), std::string::npos) << cmd;
  // An error inside a command points at that command's help.
  auto missing = Medic({"run"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("Run 'medic run --help' for usage."), std::string::npos)
      << missing.err;
  auto nosuch = Medic({"run", dir_.Join("nosuch.yaml")});
  EXPECT_NE(nosuch.err.find("cannot read playbook " + dir_.Join("nosuch.yaml") +
                            ": No such file or directory"),
            std::string::npos)
      << nosuch.err;
}

TEST_F(Cli, RunIncidentAttachesAManualRunToAnOpenIncident) {
  std::string pb = Playbook("one.yaml", kOneStep);
  ASSERT_EQ(Medic({"run", pb}).exit_code, 0);
  auto again = Medic({"run", pb, "--incident", "1"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Query("select count(*) from runs where incident_id = 1"), "2");
  EXPECT_EQ(Query("select count(*) from incidents"), "1");
  auto unknown = Medic({"run", pb, "--incident", "99"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no incident 99"), std::string::npos) << unknown.err;
  auto dry_close = Medic({"close", "1", "--dry-run"});
  EXPECT_NE(dry_close.out.find("would close incident 1"), std::string::npos) << dry_close.out;
  EXPECT_EQ(Query("select status from incidents where id = 1"), "open");
  ASSERT_EQ(Medic({"close", "1"}).exit_code, 0);
  auto closed = Medic({"run", pb, "--incident", "1"});
  EXPECT_EQ(closed.exit_code, 2);
  EXPECT_NE(closed.err.find("incident 1 is closed"), std::string::npos) << closed.err;
}

TEST_F(Cli, ApproveNamesWhatItLetsGoAndShowStopsAskingForIt) {
  std::string pb = Playbook("confirm.yaml", R"(name: confirm
stages:
  - name: s
    steps:
      - {id: restart, action: exec, confirm: true, with: {argv: [echo, restarting]}}
)");
  auto run = Medic({"run", pb});
  ASSERT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(Medic({"show", "1"}).out.find("waiting for confirmation of step 'restart'"),
            std::string::npos);
  auto dry = Medic({"approve", "1", "restart", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would approve step 'restart' of run 1 (pending); it would run: echo "
                         "restarting"),
            std::string::npos)
      << dry.out;
  EXPECT_EQ(Query("select count(*) from approvals"), "0") << "a dry run approves nothing";
  auto approve = Medic({"approve", "1", "restart", "--by", "ann"});
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  EXPECT_NE(approve.out.find("it will run: echo restarting"), std::string::npos) << approve.out;
  std::string show = Medic({"show", "1"}).out;
  EXPECT_EQ(show.find("waiting for confirmation"), std::string::npos) << show;
  EXPECT_NE(show.find("step 'restart' is approved; continue with `medic resume 1`"),
            std::string::npos)
      << show;
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

TEST_F(Cli, ShowPrintsWhatEachStepProducedOneLineEachCutToTheWidth) {
  std::string long_word(300, 'x');
  std::string pb = Playbook("outputs.yaml", R"(name: outputs
stages:
  - name: s
    steps:
      - {id: hello, action: exec, with: {argv: [printf, "first line\nhello from the step\n"]}}
      - {id: wide, action: exec, with: {argv: [echo, )" +
                                                long_word + R"(]}}
)");
  ASSERT_EQ(Medic({"run", pb}).exit_code, 0);
  std::string show = Medic({"show", "1"}).out;
  EXPECT_NE(show.find("    hello  succeeded"), std::string::npos) << show;
  EXPECT_NE(show.find("      stdout: …hello from the step\n"), std::string::npos) << show;
  EXPECT_NE(show.find("      exit_code: 0\n"), std::string::npos) << show;
  // Not a terminal: 100 columns.
  size_t at = show.find("      stdout: xxx");
  ASSERT_NE(at, std::string::npos) << show;
  std::string line = show.substr(at, show.find('\n', at) - at);
  EXPECT_EQ(line.size(), 100u - 1 + std::string("…").size()) << "100 columns, the last one …";
  EXPECT_EQ(line.substr(line.size() - 3), "…") << show;
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

const char* kTypedParams = R"(name: typed
params:
  port: {type: int, default: 8080}
  ratio: {type: number, default: 0.5}
  dry: {type: bool, default: false}
  wait: {type: duration, default: 30s}
  base: {type: url, default: "http://127.0.0.1:8080"}
  path: {type: enum, values: [hotfix, restart], default: restart}
stages:
  - name: s
    steps:
      - {id: big, action: exec, when: "params.port > 1000 and params.dry == false", with: {argv: ["true"]}}
)";

TEST_F(Cli, TypedParamsAreCheckedAtVarTimeInOneLineAndComeTyped) {
  std::string pb = Playbook("typed.yaml", kTypedParams);
  auto ok = Medic({"run", pb, "--var", "port=9090", "--var", "dry=no", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  json run = json::parse(ok.out);
  EXPECT_EQ(run["params"]["port"], 9090);  // a number, so `params.port > 1000` compares numbers
  EXPECT_EQ(run["params"]["dry"], false);
  EXPECT_EQ(run["params"]["ratio"], 0.5);
  EXPECT_EQ(run["steps"][0]["status"], "succeeded");
  struct Case {
    const char* var;
    const char* error;
  };
  for (const Case& c :
       {Case{"port=80a", "param 'port': '80a' is not a whole number"},
        Case{"ratio=half", "param 'ratio': 'half' is not a number"},
        Case{"dry=maybe", "param 'dry': 'maybe' is not true or false"},
        Case{"wait=soon", "param 'wait': 'soon' is not a duration"},
        Case{"base=prometheus:9090", "param 'base': 'prometheus:9090' is not an http(s) URL"},
        Case{"path=hotfx",
             "param 'path': 'hotfx' is not one of hotfix, restart (did you mean 'hotfix'?)"}}) {
    auto r = Medic({"run", pb, "--var", c.var});
    EXPECT_EQ(r.exit_code, 2) << c.var;
    EXPECT_NE(r.err.find(c.error), std::string::npos) << c.var << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line
  }
  std::string bad = kTypedParams;
  bad.replace(bad.find("type: int, default: 8080"), 24, "type: intt, default: 8080");
  auto v = Medic({"validate", Playbook("bad-type.yaml", bad), "--json"});
  EXPECT_EQ(v.exit_code, 2);
  json problems = json::parse(v.out)[0]["problems"];
  ASSERT_EQ(problems.size(), 1u) << v.out;
  EXPECT_EQ(problems[0]["line"], 3);
  EXPECT_EQ(problems[0]["suggestion"], "int");
  std::string bad_default = kTypedParams;
  bad_default.replace(bad_default.find("default: false"), 14, "default: maybe");
  auto d = Medic({"validate", Playbook("bad-default.yaml", bad_default)});
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_NE(d.err.find(":5:"), std::string::npos) << d.err;
  EXPECT_NE(d.err.find("default: param 'dry': 'maybe' is not true or false"), std::string::npos)
      << d.err;
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

// What `cmake --install` puts in place works from there: the binary, the playbooks it
// validates, the example serve.yaml that serve --check accepts, and a unit systemd accepts.
TEST_F(Cli, TheInstallTreeHoldsAWorkingBinaryPlaybooksExampleConfigAndUnit) {
  if (testing::TestingPostgres()) GTEST_SKIP() << "installs, whatever the record";
  std::string prefix = dir_.Join("usr");
  auto install =
      testing::RunCommand({"cmake", "--install", testing::BinaryDir(), "--prefix", prefix});
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  std::string medic = prefix + "/bin/medic";
  std::string share = prefix + "/share/medic";
  auto version = testing::RunCommand({medic, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  // The man page and completions, written by the medic just built; the Kubernetes examples.
  EXPECT_NE(ReadFile(prefix + "/share/man/man1/medic.1").find(".TH MEDIC 1"), std::string::npos);
  EXPECT_NE(ReadFile(prefix + "/share/man/man1/medic.1").find(".SS doctor"), std::string::npos);
  EXPECT_NE(
      ReadFile(prefix + "/share/bash-completion/completions/medic").find("complete -F _medic"),
      std::string::npos);
  EXPECT_NE(ReadFile(prefix + "/share/zsh/vendor-completions/_medic").find("#compdef medic"),
            std::string::npos);
  EXPECT_NE(ReadFile(prefix + "/share/fish/vendor_completions.d/medic.fish").find("complete -c"),
            std::string::npos);
  EXPECT_NE(ReadFile(share + "/examples/kubernetes/rbac.yaml").find("kind: Role"),
            std::string::npos);
  auto validate = Medic({"validate", share + "/playbooks/golden-three-minutes-k8s.yaml",
                         share + "/playbooks/golden-three-minutes-local.yaml"});
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  // The example as an operator would adapt it: this prefix instead of /usr, a tokens file.
  std::string config = ReadFile(share + "/examples/serve.yaml");
  ASSERT_NE(config.find("/usr/share/medic/playbooks/"), std::string::npos);
  for (size_t at = 0; (at = config.find("/usr/share/medic", at)) != std::string::npos;
       at += share.size())
    config.replace(at, 16, share);
  std::string tokens = dir_.Join("serve-tokens");
  WriteFile(tokens, "a-long-random-token-for-alertmanager\n");
  config.replace(config.find("/etc/medic/serve-tokens"), 23, tokens);
  std::string serve_yaml = dir_.Join("serve.yaml");
  WriteFile(serve_yaml, config);
  auto check = Medic({"serve", "--config", serve_yaml, "--check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  std::string unit = ReadFile(prefix + "/lib/systemd/system/medic-serve.service");
  ASSERT_NE(unit.find("ExecStart=/usr/bin/medic serve"), std::string::npos) << unit;
  if (testing::HaveTool("systemd-analyze")) {
    for (size_t at = 0; (at = unit.find("/usr/bin/medic", at)) != std::string::npos;
         at += medic.size())
      unit.replace(at, 14, medic);
    WriteFile(dir_.Join("medic-serve.service"), unit);
    auto verify =
        testing::RunCommand({"systemd-analyze", "verify", dir_.Join("medic-serve.service")});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_EQ(verify.err, "");
  }
}

// The .deb scripts/package builds: installed with dpkg -i on this machine (root only, and
// never over a medic package already installed), it works from /usr and is removed again.
TEST_F(Cli, TheDebPackageInstallsWorksFromUsrAndRemovesCleanly) {
  if (testing::TestingPostgres()) GTEST_SKIP() << "installs, whatever the record";
  if (geteuid() != 0 || !testing::HaveTool("dpkg") || !testing::HaveTool("cpack"))
    GTEST_SKIP() << "needs root, dpkg and cpack";
  if (testing::RunCommand({"dpkg", "-s", "medic"}).exit_code == 0)
    GTEST_SKIP() << "a medic package is installed on this machine; not touching it";
  std::string out = dir_.Join("packages");
  auto pack = testing::RunCommand(
      {"cpack", "-G", "DEB", "-B", out, "--config", testing::BinaryDir() + "/CPackConfig.cmake"},
      "", {}, 300'000);
  ASSERT_EQ(pack.exit_code, 0) << pack.out << pack.err;
  std::string deb = out + "/medic_0.1.0_amd64.deb";
  ASSERT_TRUE(std::filesystem::exists(deb)) << pack.out;
  EXPECT_TRUE(std::filesystem::exists(out + "/medic-dbgsym_0.1.0_amd64.ddeb"))
      << "the debug info goes to its own package";
  auto contents = testing::RunCommand({"dpkg-deb", "-c", deb});
  EXPECT_NE(contents.out.find("./usr/bin/medic"), std::string::npos) << contents.out;
  auto depends = testing::RunCommand({"dpkg-deb", "-f", deb, "Depends"});
  EXPECT_NE(depends.out.find("libsqlite3-0"), std::string::npos) << depends.out;

  auto install = testing::RunCommand({"dpkg", "-i", deb}, "", {}, 120'000);
  struct Remove {
    ~Remove() { testing::RunCommand({"dpkg", "-r", "medic"}, "", {}, 120'000); }
  } remove_at_end;
  ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
#ifndef __SANITIZE_ADDRESS__  // an ASan build's packaged binary is no smaller: not what ships
  EXPECT_LT(std::filesystem::file_size("/usr/bin/medic"),
            std::filesystem::file_size(MedicBinary()) / 4)
      << "stripped: the debug info is in medic-dbgsym";
#endif
  EXPECT_EQ(testing::RunCommand({"/usr/bin/medic", "--version"}).out, "medic 0.1.0\n");
  auto validate = testing::RunCommand(
      {"/usr/bin/medic", "validate", "/usr/share/medic/playbooks/golden-three-minutes-k8s.yaml",
       "/usr/share/medic/playbooks/page-oncall.yaml"},
      "", {{"MEDIC_DB", Db()}});
  EXPECT_EQ(validate.exit_code, 0) << validate.out << validate.err;
  if (testing::HaveTool("systemd-analyze")) {
    auto verify = testing::RunCommand(
        {"systemd-analyze", "verify", "/usr/lib/systemd/system/medic-serve.service"});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }
  auto removed = testing::RunCommand({"dpkg", "-r", "medic"}, "", {}, 120'000);
  EXPECT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_FALSE(std::filesystem::exists("/usr/bin/medic"));
  EXPECT_FALSE(std::filesystem::exists("/usr/share/medic/playbooks/page-oncall.yaml"));
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

// A run with two steps, `talk` printing on both streams and `wait` holding while `marker`
// exists; returns the playbook's path.
std::string TwoStepPlaybook(
    const std::function<std::string(const std::string&, const std::string&)>& write,
    const std::string& marker) {
  return write("talk.yaml", R"(name: talk
stages:
  - name: s
    steps:
      - {id: talk, action: exec, with: {argv: [sh, -c, 'echo to stdout; echo to stderr >&2']}}
      - {id: wait, action: exec, with: {argv: [sh, -c, 'while [ -f "$0" ]; do sleep 0.05; done; echo waited', )" +
                                marker + R"(]}}
)");
}

TEST_F(Cli, LogsPrintsWhatEachStepPrintedAndFollowsARunDrivenElsewhere) {
  std::string marker = dir_.Join("hold");
  WriteFile(marker, "");
  std::string pb = TwoStepPlaybook(
      [&](const std::string& n, const std::string& y) { return Playbook(n, y); }, marker);
  // The run is driven by another medic; logs -f and show --watch follow it from the record.
  CommandResult run, follow, watch;
  std::thread driver([&] { run = Medic({"run", pb}); });
  ASSERT_TRUE(testing::WaitFor([&] { return StepStatus("wait") == "running"; }));
  // Each follower's output is also copied to a file as it comes, so the step is let go only
  // once both have shown it running (however slowly they start, e.g. under ASan).
  auto tee = [&](const std::vector<std::string>& args, const std::string& copy) {
    std::vector<std::string> argv = {"bash", "-c", "set -o pipefail; \"$@\" | tee \"$0\"", copy,
                                     MedicBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(argv, "", {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}});
  };
  std::string follow_copy = dir_.Join("follow.out"), watch_copy = dir_.Join("watch.out");
  std::thread follower([&] { follow = tee({"logs", "1", "-f"}, follow_copy); });
  std::thread watcher([&] { watch = tee({"show", "1", "--watch"}, watch_copy); });
  EXPECT_TRUE(testing::WaitFor([&] {
    return ReadFile(follow_copy).find("to stderr") != std::string::npos &&
           ReadFile(watch_copy).find("): running") != std::string::npos;
  }));
  std::filesystem::remove(marker);
  driver.join();
  follower.join();
  watcher.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(follow.exit_code, 0) << follow.err;
  EXPECT_NE(follow.out.find("── talk (exec) succeeded"), std::string::npos) << follow.out;
  EXPECT_NE(follow.out.find("$ sh -c 'echo to stdout; echo to stderr >&2'\nto stdout\n(stderr)\n"
                            "to stderr\n"),
            std::string::npos)
      << follow.out;
  EXPECT_NE(follow.out.find("── wait (exec) succeeded"), std::string::npos)
      << "-f waited for the step that was still running\n"
      << follow.out;
  EXPECT_NE(follow.out.find("waited\n"), std::string::npos) << follow.out;
  // show --watch printed the run while it ran, and again once it had ended.
  EXPECT_EQ(watch.exit_code, 0) << watch.err;
  EXPECT_NE(watch.out.find("): running"), std::string::npos) << watch.out;
  EXPECT_NE(watch.out.find("): succeeded"), std::string::npos) << watch.out;

  auto one = Medic({"logs", "1", "talk", "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  json j = json::parse(one.out);
  EXPECT_EQ(j["stdout"], "to stdout\n");
  EXPECT_EQ(j["stderr"], "to stderr\n");
  auto typo = Medic({"logs", "1", "tak"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("run 1 has no step 'tak' (did you mean 'talk'?); it has: talk, wait"),
            std::string::npos)
      << typo.err;
}

// The completion scripts, run by the shells themselves: commands, flags, playbook files,
// and run and step ids read from the record when TAB is pressed.
TEST_F(Cli, CompletionScriptsCompleteCommandsFlagsFilesAndIdsFromTheRecord) {
  std::string pb = Playbook("pb.yaml", kOneStep);
  ASSERT_EQ(Medic({"run", pb}).exit_code, 0);
  std::string bash = dir_.Join("medic.bash");
  WriteFile(bash, Medic({"completion", "bash"}).out);
  std::string path = std::filesystem::path(MedicBinary()).parent_path().string() + ":" +
                     std::string(std::getenv("PATH"));
  auto complete = [&](const std::string& words) {
    std::string script = "cd " + dir_.path() + "; source " + bash + "; COMP_WORDS=(" + words +
                         "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
                         "_medic; echo \"${COMPREPLY[*]}\"";
    auto r = testing::RunCommand({"bash", "-c", script}, "", {{"MEDIC_DB", Db()}, {"PATH", path}});
    return std::string(Trim(r.out));
  };
  EXPECT_EQ(complete("medic re"), "resume");
  EXPECT_EQ(complete("medic run --dr"), "--dry-run");
  EXPECT_EQ(complete("medic run p"), "pb.yaml");
  EXPECT_EQ(complete("medic show ''"), "1");
  EXPECT_EQ(complete("medic logs 1 ''"), "a");
  EXPECT_EQ(complete("medic resume 1 --retry ''"), "a");
  EXPECT_EQ(complete("medic --db " + Db() + " show ''"), "1");
  EXPECT_EQ(complete("medic completion f"), "fish");

  if (testing::HaveTool("zsh")) {
    // zsh filters the candidates against the word itself; the function offers them.
    std::string zsh = dir_.Join("_medic");
    WriteFile(zsh, Medic({"completion", "zsh"}).out);
    auto r =
        testing::RunCommand({"zsh", "-c",
                             "source " + zsh +
                                 "; setopt ksharrays; COMP_WORDS=(medic logs 1 ''); COMP_CWORD=3; "
                                 "_medic; print -r -- \"${COMPREPLY[*]}\""},
                            "", {{"MEDIC_DB", Db()}, {"PATH", path}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(Trim(r.out), "a") << r.err;
  }
  if (testing::HaveTool("fish")) {
    std::string fish = dir_.Join("medic.fish");
    WriteFile(fish, Medic({"completion", "fish"}).out);
    auto r = testing::RunCommand({"fish", "-c",
                                  "source " + fish +
                                      "; complete -C 'medic sho'; complete -C 'medic show '; "
                                      "complete -C 'medic logs 1 '"},
                                 "", {{"MEDIC_DB", Db()}, {"PATH", path}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("show\tShow a run"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1\t"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("a\tsucceeded"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace medic
