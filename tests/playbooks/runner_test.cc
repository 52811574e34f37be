// Runner tests against the real process runner and a real SQLite record in a temp dir.
#include "playbooks/runner.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "env/http_client.h"
#include "env/process_runner.h"
#include "tests/support/postgres_peer.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using testing::ScopedTempDir;

bool ProcessGone(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return true;
  size_t p = line.rfind(')');
  return p != std::string::npos && p + 2 < line.size() && line[p + 2] == 'Z';
}

bool WaitGone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    if (ProcessGone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinActions(registry_);
    db_ = testing::TestRecord(dir_);
    auto s = Store::Open(db_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }

  Result<RunRecord> Run(const std::string& yaml, RunOptions options = {},
                        Json vars = Json::object()) {
    auto pb = ParsePlaybook(yaml, "test.yaml", registry_);
    if (!pb.ok()) return pb.status();
    auto params = BindParams(*pb, vars);
    if (!params.ok()) return params.status();
    auto id = CreateRun(*store_, *test::RealEnv().clock, *pb, *params, "test", 0);
    if (!id.ok()) return id.status();
    return Drive(*id, options);
  }

  // Drives run `id` on the real machine, or through `env` when given.
  Result<RunRecord> Drive(int64_t id, RunOptions options = {}, const Env* env = nullptr) {
    options.work_root = dir_.Join("runs");
    return Runner({.env = env ? *env : test::RealEnv(),
                   .store = store_.get(),
                   .registry = &registry_,
                   .cancel = &cancel_})
        .Drive(id, options);
  }

  StepRecord Step(int64_t run, const std::string& id) { return *store_->GetStep(run, id); }

  ScopedTempDir dir_;
  std::string db_;
  Registry registry_;
  std::unique_ptr<Store> store_;
  CancelToken cancel_;
};

TEST_F(RunnerTest, ParallelStageTakesTheLongestStepNotTheSum) {
  std::string yaml = "name: p\nstages:\n  - name: contain\n    parallel: true\n    steps:\n";
  for (int i = 0; i < 8; ++i)
    yaml +=
        "      - {id: s" + std::to_string(i) + ", action: exec, with: {argv: [sleep, '0.5']}}\n";
  auto run = Run(yaml);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  // Every step started before any step ended: they overlapped.
  auto steps = *store_->GetSteps(run->id);
  int64_t last_start = 0, first_end = INT64_MAX;
  for (const auto& s : steps) {
    last_start = std::max(last_start, s.started_at);
    first_end = std::min(first_end, s.ended_at);
  }
  EXPECT_LT(last_start, first_end);
}

// A step prints bytes that are not UTF-8 (a binary dump, a log in Latin-1): the run goes on
// and the record keeps what it printed, with U+FFFD for the bytes JSON cannot hold. It used
// to end medic with "internal error: invalid UTF-8 byte" and leave the run running.
TEST_F(RunnerTest, OutputThatIsNotUtf8IsStoredReplacedAndTheRunGoesOn) {
  auto run = Run(R"(name: d
stages:
  - name: s
    steps:
      - {id: raw, action: exec, with: {argv: [sh, -c, 'printf "caf\351 \377\376 ok"']}}
      - {id: next, action: exec, with: {argv: ['true']}}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kSucceeded) << run->error;
  EXPECT_EQ(Step(run->id, "raw").outputs["stdout"],
            "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD ok");
  EXPECT_EQ(Step(run->id, "next").status, StepStatus::kSucceeded);
}

TEST_F(RunnerTest, RetriesUntilSuccessAndCountsAttempts) {
  std::string counter = dir_.Join("count");
  auto run = Run(R"(name: r
stages:
  - name: s
    steps:
      - id: flaky
        action: exec
        retries: 3
        retry_delay: 10ms
        with: {argv: [sh, -c, 'echo x >> "$0"; [ $(wc -l < "$0") -ge 3 ]', ")" +
                 counter + R"("]}
)");
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  EXPECT_EQ(Step(run->id, "flaky").attempts, 3);
  auto events = *store_->EventsOfRun(run->id);
  int retries = 0;
  int64_t last_start = 0;
  for (const auto& e : events) {
    if (e.kind == EventKind::kStepStarted) last_start = e.at;
    if (e.kind != EventKind::kStepRetry) continue;
    ++retries;
    // When the attempt before it ended: a timeline draws the retry delay between them.
    int64_t ended = e.data.value("previous_ended_at", int64_t{0});
    EXPECT_GE(ended, last_start) << e.data.dump();
    EXPECT_LE(ended, e.at) << e.data.dump();
    last_start = e.at;
  }
  EXPECT_EQ(retries, 2);
}

TEST_F(RunnerTest, TimeoutKillsTheWholeProcessGroup) {
  std::string pidfile = dir_.Join("bg.pid");
  auto run = Run(R"(name: t
stages:
  - name: s
    steps:
      - id: hang
        action: exec
        timeout: 300ms
        with: {argv: [sh, -c, 'sleep 300 & echo $! > "$0"; wait', ")" +
                 pidfile + R"("]}
)");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kFailed);
  StepRecord s = Step(run->id, "hang");
  EXPECT_EQ(s.status, StepStatus::kTimedOut);
  EXPECT_NE(s.error.find("timed out"), std::string::npos);
  pid_t bg = std::stoi(testing::ReadFile(pidfile));
  EXPECT_TRUE(WaitGone(bg)) << "background child " << bg << " survived the timeout";
}

TEST_F(RunnerTest, RunningStateAndProcessGroupAreRecordedBeforeTheProcessStarts) {
  // The record's own command-line client reads it while the step runs.
  std::string client = testing::TestingPostgres() ? "psql \"$0\" -Atc" : "sqlite3 \"$0\"";
  if (!testing::HaveTool(testing::TestingPostgres() ? "psql" : "sqlite3"))
    GTEST_SKIP() << "no database client installed";
  std::string db = db_;
  auto run = Run(R"(name: d
stages:
  - name: s
    steps:
      - id: look
        action: exec
        with: {argv: [sh, -c, 'echo "$$"; )" + client + R"( "select status, pgid from steps where step_id = ''look''"', ")" +
                 db + R"("]}
)");
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->status, RunStatus::kSucceeded) << run->error;
  std::string out = Step(run->id, "look").outputs["stdout"];
  std::string pid = out.substr(0, out.find('\n'));
  EXPECT_NE(out.find("running|" + pid), std::string::npos) << out;
}

TEST_F(RunnerTest, WhenFalseSkipsAndOnFailureContinueGoesOn) {
  auto run = Run(R"(name: w
params:
  namespace: {default: kube-system}
stages:
  - name: s
    steps:
      - id: guarded
        action: exec
        when: "{{ params.namespace }} != 'kube-system'"
        with: {argv: ['true']}
      - id: broken
        action: exec
        on_failure: continue
        with: {argv: ['false']}
      - id: after
        action: exec
        when: steps.broken.status == 'failed' and steps.guarded.status == 'skipped'
        with: {argv: ['true']}
)");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  EXPECT_EQ(Step(run->id, "guarded").status, StepStatus::kSkipped);
  EXPECT_EQ(Step(run->id, "broken").status, StepStatus::kFailed);
  EXPECT_EQ(Step(run->id, "after").status, StepStatus::kSucceeded);
}

TEST_F(RunnerTest, AFailureAbortsTheRunAndLaterStepsStayPending) {
  auto run = Run(R"(name: a
stages:
  - name: s
    steps:
      - {id: boom, action: exec, with: {argv: [sh, -c, 'echo oops >&2; exit 3']}}
      - {id: never, action: exec, with: {argv: ['true']}}
)");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kFailed);
  EXPECT_NE(run->error.find("sh failed (exit code 3): oops"), std::string::npos) << run->error;
  EXPECT_EQ(Step(run->id, "boom").outputs["stderr"], "oops\n");
  EXPECT_EQ(Step(run->id, "never").status, StepStatus::kPending);
}

TEST_F(RunnerTest, OutputsFlowIntoLaterStepsAsData) {
  auto run = Run(R"(name: o
stages:
  - name: one
    steps:
      - {id: make, action: exec, with: {argv: [echo, '{"action": "hotfix", "n": 2}'], parse: json}}
  - name: two
    steps:
      - id: use
        action: exec
        when: steps.make.outputs.json.action == 'hotfix' and steps.make.outputs.json.n > 1
        with: {argv: [echo, "{{ steps.make.outputs.json.action }}-{{ run.id }}"]}
)");
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->status, RunStatus::kSucceeded) << run->error;
  EXPECT_EQ(Step(run->id, "use").outputs["stdout"], "hotfix-" + std::to_string(run->id) + "\n");
}

TEST_F(RunnerTest, ADestructiveStepWaitsForConfirmationThenRunsOnce) {
  std::string log = dir_.Join("log");
  std::string yaml = R"(name: c
stages:
  - name: s
    steps:
      - {id: before, action: exec, with: {argv: [sh, -c, 'echo before >> "$0"', ")" +
                     log + R"("]}}
      - {id: restart, action: exec, confirm: true, with: {argv: [sh, -c, 'echo restart >> "$0"', ")" +
                     log + R"("]}}
)";
  auto run = Run(yaml);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kNeedsAttention);
  EXPECT_EQ(testing::ReadFile(log), "before\n");
  RunOptions yes;
  yes.yes = true;
  auto resumed = Drive(run->id, yes);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->status, RunStatus::kSucceeded);
  EXPECT_EQ(testing::ReadFile(log), "before\nrestart\n");
  EXPECT_TRUE(Step(run->id, "restart").approved);
}

// The step.approved events of `step` in run `run`.
std::vector<EventRecord> Approvals(Store& store, int64_t run, const std::string& step) {
  std::vector<EventRecord> out;
  auto events = store.EventsOfRun(run);
  for (const auto& e : *events)
    if (e.step_id == step && e.kind == EventKind::kStepApproved) out.push_back(e);
  return out;
}

TEST_F(RunnerTest, EachApprovedStepRecordsOneApprovalSayingWhoAndHow) {
  std::string yaml =
      "name: a\nstages:\n  - name: s\n    steps:\n"
      "      - {id: restart, action: exec, idempotent: true, confirm: true, with: {argv: [echo, "
      "hi]}}\n";
  RunOptions yes;
  yes.yes = true;
  yes.user = "alice";
  auto with_yes = Run(yaml, yes);
  ASSERT_TRUE(with_yes.ok()) << with_yes.status().message();
  auto approved = Approvals(*store_, with_yes->id, "restart");
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(approved[0].data, Json({{"by", "--yes"}, {"user", "alice"}}));
  EXPECT_EQ(approved[0].message, "approved by alice with --yes");

  RunOptions terminal;
  terminal.user = "bob";
  terminal.ask = [](const StepDef&, const std::vector<std::string>&) { return true; };
  auto at_terminal = Run(yaml, terminal);
  ASSERT_TRUE(at_terminal.ok());
  approved = Approvals(*store_, at_terminal->id, "restart");
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(approved[0].data, Json({{"by", "terminal"}, {"user", "bob"}}));
  EXPECT_EQ(approved[0].message, "approved by bob at the terminal");

  // A webhook run whose route says auto_confirm: the route approves, not whoever runs medic.
  auto pb = ParsePlaybook(yaml, "a.yaml", registry_);
  ASSERT_TRUE(pb.ok());
  auto id = CreateRun(*store_, *test::RealEnv().clock, *pb, Json::object(), "generic", 0,
                      {{"auto_confirm", true}, {"route", "svc"}});
  ASSERT_TRUE(id.ok());
  auto automatic = Drive(*id, terminal);
  ASSERT_TRUE(automatic.ok());
  EXPECT_EQ(automatic->status, RunStatus::kSucceeded);
  approved = Approvals(*store_, *id, "restart");
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(approved[0].data, Json({{"by", "auto_confirm"}, {"route", "svc"}}));
  EXPECT_EQ(approved[0].message, "approved by route 'svc' (auto_confirm)");

  // Run again (an idempotent step interrupted and re-run): still one approval.
  auto run = *store_->GetRun(with_yes->id);
  run.status = RunStatus::kInterrupted;
  ASSERT_TRUE(store_->SaveRun(run).ok());
  auto step = Step(run.id, "restart");
  step.status = StepStatus::kInterrupted;
  ASSERT_TRUE(store_->SaveStep(step).ok());
  auto again = Drive(run.id);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->status, RunStatus::kSucceeded);
  EXPECT_EQ(Approvals(*store_, run.id, "restart").size(), 1u);
}

// `medic approve` (server/approvals.cc) marks the step approved with a step.approval_given
// event; the runner that lets the step go later records step.approved naming who gave it.
TEST_F(RunnerTest, AnApprovalGivenOutsideIsRecordedWhenTheStepGoes) {
  auto run =
      Run("name: o\nstages:\n  - name: s\n    steps:\n"
          "      - {id: restart, action: exec, confirm: true, with: {argv: [echo, hi]}}\n");
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->status, RunStatus::kNeedsAttention);
  auto events = *store_->EventsOfRun(run->id);
  EXPECT_EQ(events[events.size() - 2].kind, EventKind::kStepAwaitingApproval);
  EXPECT_TRUE(Approvals(*store_, run->id, "restart").empty());

  StepRecord step = Step(run->id, "restart");
  step.approved = true;
  EventRecord given;
  given.incident_id = run->incident_id;
  given.run_id = run->id;
  given.step_id = "restart";
  given.at = 1795316400000;  // 2026-11-22T03:00:00Z
  given.kind = EventKind::kStepApprovalGiven;
  given.data = {{"by", "medic approve"}, {"user", "carol"}};
  ASSERT_TRUE(store_->SaveStep(step, &given).ok());

  RunOptions options;
  options.user = "dave";  // resumes it; carol approved it
  auto resumed = Drive(run->id, options);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->status, RunStatus::kSucceeded);
  auto approved = Approvals(*store_, run->id, "restart");
  ASSERT_EQ(approved.size(), 1u);
  EXPECT_EQ(
      approved[0].data,
      Json({{"by", "medic approve"}, {"user", "carol"}, {"given_at", "2026-11-22T03:00:00.000Z"}}));
  EXPECT_EQ(approved[0].message,
            "approved by carol with medic approve, given at 2026-11-22T03:00:00.000Z");
  // Written as the step went: right before it started.
  events = *store_->EventsOfRun(run->id);
  auto it = std::find_if(events.begin(), events.end(),
                         [](const EventRecord& e) { return e.kind == EventKind::kStepApproved; });
  ASSERT_NE(it + 1, events.end());
  EXPECT_EQ((it + 1)->kind, EventKind::kStepStarted);
}

TEST_F(RunnerTest, DeclinedConfirmationSkipsTheStep) {
  RunOptions options;
  options.ask = [](const StepDef&, const std::vector<std::string>& plan) {
    EXPECT_EQ(plan, std::vector<std::string>{"echo hi"});
    return false;
  };
  auto run =
      Run("name: d\nstages:\n  - name: s\n    steps:\n      - {id: x, action: exec, confirm: true, "
          "with: {argv: [echo, hi]}}\n",
          options);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(Step(run->id, "x").status, StepStatus::kSkipped);
}

TEST_F(RunnerTest, CancellingInterruptsAndResumeFinishesWithoutRepeats) {
  std::string log = dir_.Join("log");
  std::string yaml = R"(name: i
stages:
  - name: s
    steps:
      - {id: one, action: exec, with: {argv: [sh, -c, 'echo one >> "$0"', ")" +
                     log + R"("]}}
      - {id: wait, action: sleep, with: {duration: 60s}}
      - {id: two, action: exec, with: {argv: [sh, -c, 'echo two >> "$0"', ")" +
                     log + R"("]}}
)";
  std::thread canceller([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel_.Cancel();
  });
  auto run = Run(yaml);
  canceller.join();
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kInterrupted);
  EXPECT_EQ(Step(run->id, "wait").status, StepStatus::kInterrupted);
  // sleep is idempotent: a resume runs it again; `one` is never repeated.
  CancelToken fresh;
  RunServices services;
  services.store = store_.get();
  services.registry = &registry_;
  services.env = test::RealEnv();
  services.cancel = &fresh;
  RunOptions options;
  options.work_root = dir_.Join("runs");
  options.skip_steps = {"wait"};
  auto resumed = Runner(services).Drive(run->id, options);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->status, RunStatus::kSucceeded);
  EXPECT_EQ(testing::ReadFile(log), "one\ntwo\n");
}

TEST_F(RunnerTest, ASucceededRunCannotBeResumed) {
  auto run =
      Run("name: s\nstages:\n  - name: s\n    steps:\n      - {id: a, action: exec, with: {argv: "
          "['true']}}\n");
  ASSERT_TRUE(run.ok());
  auto again = Drive(run->id);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already succeeded"), std::string::npos);
}

TEST_F(RunnerTest, AMissingProgramFailsTheStepWithTheDebianPackage) {
  auto run =
      Run("name: m\nstages:\n  - name: s\n    steps:\n      - {id: k, action: exec, with: {argv: "
          "[medic-no-such-tool]}}\n");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kFailed);
  EXPECT_NE(Step(run->id, "k").error.find("command not found"), std::string::npos);
}

TEST_F(RunnerTest, SecretsInOutputsAreRedactedInTheRecord) {
  setenv("MEDIC_RUNNER_TEST_TOKEN", "sekrit-abc-123", 1);
  auto run = Run(R"(name: s
allow_env: [MEDIC_RUNNER_TEST_TOKEN]
stages:
  - name: s
    steps:
      - {id: leak, action: exec, with: {argv: [echo, "token={{ env.MEDIC_RUNNER_TEST_TOKEN }}"]}}
)");
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->status, RunStatus::kSucceeded);
  StepRecord s = Step(run->id, "leak");
  EXPECT_EQ(s.outputs["stdout"].get<std::string>().find("sekrit"), std::string::npos)
      << s.outputs.dump();
  EXPECT_EQ(s.commands.dump().find("sekrit"), std::string::npos) << s.commands.dump();
  auto events = *store_->EventsOfRun(run->id);
  for (const auto& e : events) {
    EXPECT_EQ(e.message.find("sekrit"), std::string::npos) << e.message;
    EXPECT_EQ(e.data.dump().find("sekrit"), std::string::npos) << e.data.dump();
  }
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

TEST_F(RunnerTest, AnActionThatIsNotConfiguredIsSkippedNotFailed) {
  class NotConfigured : public Action {
   public:
    NotConfigured() { info_.name = "test.optional"; }
    const ActionInfo& info() const override { return info_; }
    Status Run(const Json&, StepContext&, Json&) override {
      return Status::Skipped("not configured: no endpoint");
    }
    ActionInfo info_;
  };
  ASSERT_TRUE(registry_.Add(std::make_unique<NotConfigured>()).ok());
  auto run =
      Run("name: o\nstages:\n  - name: s\n    steps:\n      - {id: opt, action: test.optional}\n   "
          "   - {id: next, action: exec, with: {argv: ['true']}}\n");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, RunStatus::kSucceeded);
  StepRecord s = Step(run->id, "opt");
  EXPECT_EQ(s.status, StepStatus::kSkipped);
  EXPECT_EQ(s.error, "not configured: no endpoint");
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

// The runner reaches the machine only through its Env: a fake clock and fake variables are
// what the record and the templates see.
class FixedClock : public Clock {
 public:
  int64_t NowUnixMs() override { return 1'700'000'000'000; }
  int64_t MonotonicMs() override { return mono_ += 7; }

 private:
  std::atomic<int64_t> mono_{0};  // the lease keeper reads it from its own thread
};

class FakeEnvironment : public Environment {
 public:
  std::optional<std::string> Get(const std::string& name) const override {
    if (name == "MEDIC_TEST_ONLY_IN_THE_FAKE") return "from-the-fake";
    return std::nullopt;
  }
};

TEST_F(RunnerTest, TheRunnerSeesTheMachineOnlyThroughItsEnv) {
  auto pb = ParsePlaybook(R"(name: env
allow_env: [MEDIC_TEST_ONLY_IN_THE_FAKE]
stages:
  - name: s
    steps:
      - {id: echo, action: exec, with: {argv: [echo, "{{ env.MEDIC_TEST_ONLY_IN_THE_FAKE }}"]}}
)",
                          "env.yaml", registry_);
  ASSERT_TRUE(pb.ok()) << pb.status().message();
  FixedClock clock;
  FakeEnvironment vars;
  Env env = test::RealEnv();
  env.clock = &clock;
  env.vars = &vars;
  ASSERT_EQ(std::getenv("MEDIC_TEST_ONLY_IN_THE_FAKE"), nullptr);
  auto id = CreateRun(*store_, clock, *pb, Json::object(), "test", 0);
  ASSERT_TRUE(id.ok());
  auto run = Drive(*id, {}, &env);
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->status, RunStatus::kSucceeded) << run->error;
  StepRecord step = Step(*id, "echo");
  EXPECT_EQ(step.outputs.value("stdout", ""), "from-the-fake\n");
  EXPECT_EQ(step.started_at, 1'700'000'000'000);
  EXPECT_EQ(run->ended_at, 1'700'000'000'000);
  EXPECT_EQ(step.duration_ms % 7, 0);
}

}  // namespace
}  // namespace medic
