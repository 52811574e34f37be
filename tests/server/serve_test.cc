// End-to-end tests of `medic serve` from the built binary, posting webhooks directly: what
// each kind of bad input gets (and that it stores nothing), dedup under a burst, approval,
// closing, back-pressure, PagerDuty signatures, SIGTERM, and a kill -9 with runs queued.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/strings.h"
#include "playbooks/lease.h"
#include "server/auth.h"
#include "store/alerts.h"
#include "tests/support/postgres_peer.h"
#include "tests/support/serve_peer.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::MedicBinary;
using testing::ReadFile;
using testing::ScopedTempDir;
using testing::ServePeer;
using testing::WaitFor;
using testing::WriteFile;

const std::string kToken = "serve-test-token-0123456789";

// True when a process of group `pgid` is alive (zombies, which nobody may reap in a
// container, do not count).
bool GroupAlive(int pgid) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string stat = ReadFile(entry.path().string() + "/stat");
    size_t p = stat.rfind(')');
    if (p == std::string::npos || p + 2 >= stat.size()) continue;
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (std::sscanf(stat.c_str() + p + 2, "%c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid &&
        state != 'Z')
      return true;
  }
  return false;
}

// An RFC 3339 time `offset_s` seconds from now: signed PagerDuty events must be recent.
std::string RecentTime(int offset_s = 0) {
  time_t t = time(nullptr) + offset_s;
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  return buf;
}

struct Reply {
  int status = -1;
  std::string body;
  std::string retry_after;
  json Json() const { return json::parse(body, nullptr, false); }
};

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Join("tokens"), kToken + "\n");
    db_ = testing::TestRecord(dir_);  // before any thread of the test names it
    effects_ = dir_.Join("effects.log");
    marker_ = dir_.Join("hold");
  }

  // A playbook whose steps append to effects.log, so "exactly once" can be read off the file.
  // `hold` makes step `b` wait while the marker file exists.
  std::string WritePlaybook(bool confirm = false) {
    std::string pb = R"(name: rescue
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
                     effects_ + R"(", ")" + marker_ + R"(", "{{ params.service }}"]}
  - name: recover
    steps:
      - id: restart
        action: exec
        confirm: )" + std::string(confirm ? "true" : "false") +
                     R"(
        with: {argv: [sh, -c, 'echo "restart $1" >> "$0"', ")" +
                     effects_ + R"(", "{{ params.service }}"]}
)";
    WriteFile(dir_.Join("pb.yaml"), pb);
    return dir_.Join("pb.yaml");
  }

  std::string WriteConfig(const std::string& extra_route = "", const std::string& limits = "",
                          const std::string& auth_extra = "") {
    WritePlaybook(true);
    std::string yaml =
        "auth:\n  bearer_tokens_file: tokens\n" + auth_extra + "routes:\n" + extra_route + R"(
  - name: svc
    match: {alertname: "=~Go.*"}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"}
    dedup_key: "{{ labels.service }}"
limits: {max_body: 64KiB)" +
        (limits.find("drain_timeout") == std::string::npos ? ", drain_timeout: 10s" : "") + limits +
        "}\n";
    WriteFile(dir_.Join("serve.yaml"), yaml);
    return dir_.Join("serve.yaml");
  }

  void StartServe(const std::string& config) {
    std::string err = serve_.Start(Db(), config, dir_.Join("serve.log"));
    ASSERT_EQ(err, "");
  }

  /// The record: a SQLite file, or a fresh PostgreSQL database under serve_cli_test_postgres.
  const std::string& Db() const { return db_; }

  CommandResult Medic(std::vector<std::string> args) {
    args.insert(args.begin(), MedicBinary());
    return testing::RunCommand(args, "",
                               {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}, {"USER", "oncall"}});
  }

  std::string Query(const std::string& sql) { return testing::QueryRecord(Db(), sql); }

  Reply Post(const std::string& path, const std::string& body, httplib::Headers headers = {},
             bool auth = true) {
    httplib::Client client("127.0.0.1", serve_.port());
    client.set_read_timeout(30, 0);
    if (auth) headers.emplace("Authorization", "Bearer " + kToken);
    auto res = client.Post(path.c_str(), headers, body, "application/json");
    Reply r;
    if (!res) return r;
    r.status = res->status;
    r.body = res->body;
    r.retry_after = res->get_header_value("Retry-After");
    return r;
  }

  Reply Get(const std::string& path, bool auth = true) {
    httplib::Client client("127.0.0.1", serve_.port());
    httplib::Headers headers;
    if (auth) headers.emplace("Authorization", "Bearer " + kToken);
    auto res = client.Get(path.c_str(), headers);
    Reply r;
    if (res) {
      r.status = res->status;
      r.body = res->body;
    }
    return r;
  }

  static std::string Alert(const std::string& service, const std::string& pod = "p1",
                           const std::string& status = "firing",
                           const std::string& alertname = "GoPanicRateHigh") {
    return json({{"status", status},
                 {"labels", {{"alertname", alertname}, {"service", service}, {"pod", pod}}},
                 {"annotations", {{"summary", "panics in " + service}}}})
        .dump();
  }

  std::string RunStatus(const std::string& run_id) {
    return Query("select status from runs where id = " + run_id);
  }

  ScopedTempDir dir_;
  std::string db_;
  ServePeer serve_;
  std::string effects_, marker_;
};

TEST_F(Serve, AnAcceptedAlertIsCommittedBeforeThe202AndItsPlaybookRuns) {
  StartServe(WriteConfig("", ""));
  Reply r = Post("/hooks/generic", Alert("checkout"));
  ASSERT_EQ(r.status, 202) << r.body;
  json j = r.Json();
  ASSERT_TRUE(j.contains("incident_id")) << r.body;
  std::string incident = std::to_string(j["incident_id"].get<int64_t>());
  std::string run = std::to_string(j["runs"][0].get<int64_t>());
  // Read right after the answer: already durable.
  EXPECT_EQ(
      Query("select kind from events where incident_id = " + incident + " order by id limit 1"),
      "alert.firing");
  EXPECT_EQ(Query("select trigger from runs where id = " + run), "generic");
  EXPECT_EQ(Query("select options from runs where id = " + run),
            R"({"auto_confirm":false,"route":"svc"})");

  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "needs_attention"; })) << serve_.log();
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\n")
      << "the confirm step waits for `medic approve`";
  EXPECT_EQ(Query("select status from incidents where id = " + incident), "open")
      << "a run ending does not close it";

  Reply one = Get("/incidents/" + incident);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.Json()["runs"][0]["status"], "needs_attention");
  EXPECT_EQ(one.Json()["alerts"][0]["labels"]["pod"], "p1");
  EXPECT_EQ(Get("/incidents").Json()["incidents"][0]["id"].get<int64_t>(), std::stoll(incident));
  EXPECT_EQ(Get("/incidents", false).status, 401);
  EXPECT_EQ(Get("/incidents/999999").status, 404);
}

TEST_F(Serve, BadInputGetsItsCodeAndStoresNothing) {
  StartServe(WriteConfig());
  Reply none = Post("/hooks/alertmanager", Alert("checkout"), {}, false);
  EXPECT_EQ(none.status, 401);
  Reply wrong = Post("/hooks/generic", Alert("checkout"),
                     {{"Authorization", "Bearer not-the-token-at-all"}}, false);
  EXPECT_EQ(wrong.status, 401);
  Reply bad_json = Post("/hooks/generic", "{\"labels\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.Json()["error"].get<std::string>().find("malformed JSON"), std::string::npos)
      << bad_json.body;
  Reply shape = Post("/hooks/alertmanager",
                     R"({"version":"4","alerts":[{"labels":{"service":"a\u0001b"}}]})");
  EXPECT_EQ(shape.status, 400);
  EXPECT_EQ(shape.Json()["error"], "alerts[0].labels.service: control character in value");
  Reply big = Post("/hooks/generic", std::string(70 * 1024, ' ') + Alert("checkout"));
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_EQ(Post("/hooks/nope", Alert("x")).status, 404);
  for (const char* table : {"incidents", "runs", "events", "alerts", "unrouted_alerts"})
    EXPECT_EQ(Query(std::string("select count(*) from ") + table), "0") << table;
  std::string metrics = Get("/metrics", false).body;
  EXPECT_NE(metrics.find("medic_http_requests_total{endpoint=\"/hooks/generic\",code=\"401\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("medic_http_requests_total{endpoint=\"/hooks/generic\",code=\"413\"} 1"),
            std::string::npos)
      << metrics;
}

TEST_F(Serve, AnUnroutedAlertIs404AndListedByListUnrouted) {
  StartServe(WriteConfig());
  Reply r = Post("/hooks/generic", Alert("checkout", "p1", "firing", "DiskFull"));
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(Query("select count(*) from incidents"), "0");
  auto list = Medic({"list", "--unrouted", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json j = json::parse(list.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "DiskFull");
  EXPECT_EQ(j[0]["reason"], "no route matches");
  auto text = Medic({"list", "--unrouted"});
  EXPECT_NE(text.out.find("DiskFull"), std::string::npos) << text.out;
  Reply missing = Post("/hooks/generic", json({{"labels", {{"alertname", "GoDown"}}}}).dump());
  EXPECT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(missing.Json()["error"], "route 'svc': vars.service: the alert has no label 'service'");
}

TEST_F(Serve, AConfirmStepWaitsForMedicApproveThenRuns) {
  StartServe(WriteConfig());
  Reply r = Post("/hooks/generic", Alert("checkout"));
  ASSERT_EQ(r.status, 202) << r.body;
  std::string run = std::to_string(r.Json()["runs"][0].get<int64_t>());
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "needs_attention"; })) << serve_.log();
  EXPECT_EQ(Query("select status from steps where run_id = " + run + " and step_id = 'restart'"),
            "pending");
  auto typo = Medic({"approve", run, "restrat"});
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("did you mean 'restart'"), std::string::npos) << typo.err;
  auto ok = Medic({"approve", run, "restart"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("approved by oncall"), std::string::npos) << ok.out;
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "succeeded"; })) << serve_.log();
  // On PostgreSQL the approval's NOTIFY woke serve; SQLite's serve found it by polling.
  EXPECT_EQ(serve_.log().find("approved; continuing (notified)") != std::string::npos,
            testing::TestingPostgres())
      << serve_.log();
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\nrestart checkout\n");
  // Given with `medic approve`, taking effect when serve's runner lets the step go.
  EXPECT_EQ(Query("select group_concat(kind) from events where run_id = " + run +
                  " and step_id = 'restart' and kind like 'step.%approv%'"),
            "step.awaiting_approval,step.approval_given,step.approved");
  EXPECT_EQ(Query("select data from events where kind = 'step.approval_given'"),
            R"({"by":"medic approve","user":"oncall"})");
  std::string given =
      FormatTimeUtc(std::stoll(Query("select at from events where kind = 'step.approval_given'")));
  EXPECT_EQ(Query("select data from events where kind = 'step.approved'"),
            R"({"by":"medic approve","user":"oncall","given_at":")" + given + R"("})");
  EXPECT_EQ(Query("select message from events where kind = 'step.approved'"),
            "approved by oncall with medic approve, given at " + given);
  EXPECT_EQ(Query("select group_concat(kind) from (select kind from events where run_id = " + run +
                  " and step_id = 'restart' and id > (select id from events where kind = "
                  "'step.approved') order by id limit 1) as next"),
            "step.started")
      << "step.approved is written as the step goes";
  EXPECT_EQ(Medic({"approve", run, "restart"}).exit_code, 1) << "the run already succeeded";
}

TEST_F(Serve, AnAutoConfirmRouteRunsDestructiveStepsWithoutWaiting) {
  std::string route = R"(
  - name: auto
    match: {alertname: GoAuto}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"}
    auto_confirm: true)";
  StartServe(WriteConfig(route));
  Reply r = Post("/hooks/generic", Alert("cart", "p1", "firing", "GoAuto"));
  ASSERT_EQ(r.status, 202) << r.body;
  std::string run = std::to_string(r.Json()["runs"][0].get<int64_t>());
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "succeeded"; })) << serve_.log();
  EXPECT_EQ(Query("select options from runs where id = " + run),
            R"({"auto_confirm":true,"route":"auto"})");
  EXPECT_EQ(ReadFile(effects_), "a cart\nb cart\nrestart cart\n");
  EXPECT_EQ(Query("select group_concat(kind) from events where run_id = " + run +
                  " and kind like 'step.%approv%'"),
            "step.approved");
  EXPECT_EQ(Query("select data from events where kind = 'step.approved'"),
            R"({"by":"auto_confirm","route":"auto"})");
}

TEST_F(Serve, ResolvedClosesTheIncidentAndMedicCloseClosesByHand) {
  StartServe(WriteConfig());
  Reply fired = Post("/hooks/generic", Alert("checkout"));
  std::string incident = std::to_string(fired.Json()["incident_id"].get<int64_t>());
  Reply resolved = Post("/hooks/generic", Alert("checkout", "p1", "resolved"));
  EXPECT_EQ(resolved.status, 202) << resolved.body;
  EXPECT_EQ(Query("select status from incidents where id = " + incident), "closed");
  EXPECT_EQ(Query("select group_concat(kind) from events where incident_id = " + incident +
                  " and run_id = 0"),
            "alert.firing,alert.resolved,incident.closed");

  Reply again = Post("/hooks/generic", Alert("checkout"));
  std::string second = std::to_string(again.Json()["incident_id"].get<int64_t>());
  EXPECT_NE(second, incident);
  auto closed = Medic({"close", second, "--reason", "false alarm"});
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_EQ(Get("/incidents/" + second).Json()["status"], "closed");
  EXPECT_EQ(Query("select message from events where kind = 'incident.closed' and incident_id = " +
                  second),
            "closed with `medic close`: false alarm");
  EXPECT_NE(Medic({"close", second}).out.find("already closed"), std::string::npos);
  EXPECT_EQ(Medic({"close", "4242"}).exit_code, 1);
}

TEST_F(Serve, ABurstOfConcurrentDuplicatesYieldsOneIncidentAndOneRun) {
  StartServe(WriteConfig());
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i)
        if (Post("/hooks/generic", Alert("checkout", "pod-" + std::to_string(t))).status == 202)
          ++accepted;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted, 160);
  EXPECT_EQ(Query("select count(*) from incidents"), "1");
  EXPECT_EQ(Query("select count(*) from runs"), "1");
  EXPECT_EQ(Query("select count(*) from alerts"), "16");
  EXPECT_EQ(Query("select count(*) from events where kind like 'alert.%'"), "160");
}

TEST_F(Serve, AFullQueueAnswers503WithRetryAfterAndRecordsNothing) {
  WriteFile(marker_, "");
  StartServe(WriteConfig("", ", max_concurrent_runs: 1, queue: 1"));
  ASSERT_EQ(Post("/hooks/generic", Alert("one")).status, 202);
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status from steps where step_id = 'b' and run_id = 1") == "running";
  }));
  ASSERT_EQ(Post("/hooks/generic", Alert("two")).status, 202);
  Reply full = Post("/hooks/generic", Alert("three"));
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(full.retry_after, "5");
  EXPECT_EQ(Query("select count(*) from incidents"), "2");
  EXPECT_EQ(Post("/hooks/generic", Alert("one", "p2")).status, 202)
      << "joining an open incident needs no slot";
  std::remove(marker_.c_str());
  ASSERT_TRUE(WaitFor([&] {
    return Query("select count(*) from runs where status = 'needs_attention'") == "2";
  })) << serve_.log();
  EXPECT_NE(Get("/metrics", false).body.find("code=\"503\"} 1"), std::string::npos);
}

TEST_F(Serve, PagerDutyNeedsItsSignatureAndADeliveryIsRecordedOnce) {
  const std::string secret = "pd-webhook-secret-0123456789";
  StartServe(WriteConfig(R"(
  - name: pd
    match: {pagerduty_event: "=~incident\\..*"}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"})",
                         "", "  pagerduty_secrets: [" + secret + "]\n"));
  std::string body =
      R"({"event": {"id": "E1", "event_type": "incident.triggered", "occurred_at": ")" +
      RecentTime(-5) + R"(",
    "data": {"id": "PGR0VU2", "type": "incident", "title": "Checkout panics", "service": {"id": "S1", "summary": "checkout"},
    "created_at": "2024-05-01T10:00:00Z"}}})";
  EXPECT_EQ(Post("/hooks/pagerduty", body, {{"X-Webhook-Id", "w-1"}}, false).status, 401);
  EXPECT_EQ(Post("/hooks/pagerduty", body,
                 {{"X-Webhook-Id", "w-1"},
                  {"X-PagerDuty-Signature", "v1=" + HmacSha256Hex("wrong-secret-0123456", body)}},
                 false)
                .status,
            401);
  EXPECT_EQ(Query("select count(*) from incidents"), "0");
  httplib::Headers signed_headers = {
      {"X-Webhook-Id", "w-1"},
      {"X-PagerDuty-Signature", "v1=00ff,v1=" + HmacSha256Hex(secret, body)}};
  Reply first = Post("/hooks/pagerduty", body, signed_headers, false);
  ASSERT_EQ(first.status, 202) << first.body;
  Reply again = Post("/hooks/pagerduty", body, signed_headers, false);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["duplicate_delivery"], true);
  EXPECT_EQ(again.Json()["incident_id"], first.Json()["incident_id"]);
  EXPECT_EQ(Query("select notifications from alerts"), "1");
  EXPECT_EQ(Query("select trigger from runs"), "pagerduty");
  std::string resolved =
      R"({"event": {"event_type": "incident.resolved", "occurred_at": ")" + RecentTime() + R"(",
    "data": {"id": "PGR0VU2", "title": "Checkout panics", "service": {"summary": "checkout"}}}})";
  Reply r = Post(
      "/hooks/pagerduty", resolved,
      {{"X-Webhook-Id", "w-2"}, {"X-PagerDuty-Signature", "v1=" + HmacSha256Hex(secret, resolved)}},
      false);
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(Query("select status from incidents"), "closed");
}

TEST_F(Serve, SigtermLetsTheRunningStepFinishThenTheNextStartGoesOn) {
  WriteFile(marker_, "");
  StartServe(WriteConfig("", ", max_concurrent_runs: 2"));
  Reply r = Post("/hooks/generic", Alert("checkout"));
  ASSERT_EQ(r.status, 202);
  std::string run = std::to_string(r.Json()["runs"][0].get<int64_t>());
  ASSERT_TRUE(
      WaitFor([&] { return Query("select status from steps where step_id = 'b'") == "running"; }));
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::remove(marker_.c_str());
  });
  int code = serve_.Terminate(20'000);
  release.join();
  EXPECT_EQ(code, 0) << serve_.log();
  EXPECT_EQ(Query("select status from steps where step_id = 'b'"), "succeeded")
      << "the running step was let finish";
  EXPECT_EQ(RunStatus(run), "interrupted");
  EXPECT_EQ(Query("select status from steps where step_id = 'restart'"), "pending");
  ASSERT_EQ(serve_.Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "needs_attention"; })) << serve_.log();
  ASSERT_EQ(Medic({"approve", run, "restart"}).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "succeeded"; })) << serve_.log();
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\nrestart checkout\n");
}

TEST_F(Serve, AStepStillRunningAtTheDrainTimeoutIsStoppedAndResumedOnTheNextStart) {
  WriteFile(marker_, "");
  StartServe(WriteConfig("", ", drain_timeout: 500ms"));
  Reply r = Post("/hooks/generic", Alert("checkout"));
  ASSERT_EQ(r.status, 202);
  std::string run = std::to_string(r.Json()["runs"][0].get<int64_t>());
  ASSERT_TRUE(
      WaitFor([&] { return Query("select status from steps where step_id = 'b'") == "running"; }));
  std::string pgid = Query("select pgid from steps where step_id = 'b'");
  EXPECT_EQ(serve_.Terminate(20'000), 0) << serve_.log();
  EXPECT_EQ(Query("select status from steps where step_id = 'b'"), "interrupted");
  EXPECT_EQ(RunStatus(run), "interrupted");
  EXPECT_FALSE(GroupAlive(std::stoi(pgid))) << "the step's process group was stopped";
  EXPECT_EQ(ReadFile(effects_), "a checkout\n");
  std::remove(marker_.c_str());
  ASSERT_EQ(serve_.Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "needs_attention"; })) << serve_.log();
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\n") << "b is idempotent: run again, once";
}

// The serve that took an approval died before it went on with the run. The approval is used
// up, so no serve would take it again: the run is held by that serve's lease, and once the
// lease is let go (its holder is gone), a serve continues the run.
TEST_F(Serve, AnApprovedRunWhoseApproverDiedIsContinued) {
  StartServe(WriteConfig());
  Reply r = Post("/hooks/generic", Alert("checkout"));
  ASSERT_EQ(r.status, 202) << r.body;
  int64_t id = r.Json()["runs"][0].get<int64_t>();
  std::string run = std::to_string(id);
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "needs_attention"; })) << serve_.log();
  serve_.Kill9();
  ASSERT_EQ(Medic({"approve", run, "restart"}).exit_code, 0);
  {
    // What a serve does when it takes the approval (TakeApprovals), by a process now gone.
    pid_t gone = fork();
    if (gone == 0) _exit(0);
    waitpid(gone, nullptr, 0);
    auto store = Store::Open(Db());
    ASSERT_TRUE(store.ok()) << store.status().message();
    AlertStore alerts(**store);
    auto pending = alerts.PendingApprovals();
    ASSERT_TRUE(pending.ok() && pending->size() == 1u);
    ASSERT_TRUE(*alerts.ConsumeApproval(pending->front().id, 1));
    RunClaim dead;
    dead.host = ThisHost();
    dead.pid = gone;
    dead.start = 1;
    dead.now_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
    dead.lease_ms = 60'000;
    ASSERT_TRUE((*store)->ClaimRun(id, dead).ok());
    auto step = (*store)->GetStep(id, "restart");
    step->approved = true;
    ASSERT_TRUE((*store)->SaveStep(*step).ok());
  }
  ASSERT_EQ(serve_.Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "succeeded"; })) << serve_.log();
  EXPECT_NE(serve_.log().find("its approver (pid"), std::string::npos) << serve_.log();
  EXPECT_EQ(ReadFile(effects_), "a checkout\nb checkout\nrestart checkout\n");
}

TEST_F(Serve, KillNineWithRunsRunningAndQueuedLosesNothingAndRepeatsNothing) {
  WriteFile(marker_, "");
  StartServe(WriteConfig("", ", max_concurrent_runs: 1"));
  ASSERT_EQ(Post("/hooks/generic", Alert("one")).status, 202);
  ASSERT_EQ(Post("/hooks/generic", Alert("two")).status, 202);
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status from steps where step_id = 'b' and run_id = 1") == "running";
  }));
  EXPECT_EQ(RunStatus("2"), "queued");
  serve_.Kill9();
  ASSERT_EQ(serve_.Restart(), "");
  // The restarted serve stops the dead one's leftover step (still waiting on the marker, so
  // it wrote nothing) and runs it again; only then may it finish.
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status || attempts from steps where step_id = 'b' and run_id = 1") ==
           "running2";
  })) << serve_.log();
  std::remove(marker_.c_str());
  ASSERT_TRUE(WaitFor([&] {
    return RunStatus("1") == "needs_attention" && RunStatus("2") == "needs_attention";
  })) << serve_.log();
  EXPECT_EQ(Query("select count(*) from runs"), "2");
  std::string effects = ReadFile(effects_);
  for (const char* line : {"a one\n", "b one\n", "a two\n", "b two\n"}) {
    size_t first = effects.find(line);
    EXPECT_NE(first, std::string::npos) << line << effects;
    EXPECT_EQ(effects.find(line, first + 1), std::string::npos) << "repeated: " << line << effects;
  }
}

// Each of `lines` appears in `effects` exactly once.
void ExpectEachOnce(const std::string& effects, const std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    size_t first = effects.find(line + "\n");
    EXPECT_NE(first, std::string::npos) << line << "\n" << effects;
    if (first != std::string::npos) {
      EXPECT_EQ(effects.find(line + "\n", first + 1), std::string::npos)
          << "repeated: " << line << "\n"
          << effects;
    }
  }
}

// Two serves started on one record after a kill -9, and a `medic resume` racing them: each
// leftover run is claimed by one of them, and no step of it runs twice.
TEST_F(Serve, TwoServesAndAResumeRacingOverLeftoverRunsRunEveryStepOnce) {
  WriteFile(marker_, "");
  std::string config = WriteConfig("", ", max_concurrent_runs: 1");
  StartServe(config);
  std::vector<std::string> services = {"s1", "s2", "s3", "s4"};
  for (const auto& s : services) ASSERT_EQ(Post("/hooks/generic", Alert(s)).status, 202);
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status from steps where step_id = 'b' and run_id = 1") == "running";
  }));
  serve_.Kill9();

  ServePeer other;
  CommandResult resumed;
  std::thread resume([&] { resumed = Medic({"resume", "2"}); });
  ASSERT_EQ(serve_.Restart(), "");
  ASSERT_EQ(other.Start(Db(), config, dir_.Join("other.log")), "");
  // Whoever claimed run 1 stopped the dead serve's leftover step (still waiting on the
  // marker, so it wrote nothing) and runs it again; only then may the steps finish.
  bool rerun = WaitFor([&] {
    return Query("select status || attempts from steps where step_id = 'b' and run_id = 1") ==
           "running2";
  });
  std::remove(marker_.c_str());
  resume.join();
  ASSERT_TRUE(rerun) << serve_.log() << other.log();
  ASSERT_TRUE(WaitFor([&] {
    return Query("select count(*) from runs where status = 'needs_attention'") == "4";
  })) << serve_.log()
      << other.log() << resumed.err;
  std::vector<std::string> lines;
  for (const auto& s : services) {
    lines.push_back("a " + s);
    lines.push_back("b " + s);
  }
  ExpectEachOnce(ReadFile(effects_), lines);
  EXPECT_EQ(Query("select count(*) from steps where step_id = 'a' and attempts != 1"), "0");
}

// retention: two serves on one record; one of them at a time deletes the runs that ended
// before the window, with what belongs to them, and never a run that waits for a person.
TEST_F(Serve, RetentionDeletesEndedRunsOnceAndKeepsWaitingOnes) {
  std::string config = WriteConfig();
  WriteFile(config, ReadFile(config) + "retention: 2s\n");
  StartServe(config);
  ServePeer other;
  ASSERT_EQ(other.Start(Db(), config, dir_.Join("other.log")), "");
  std::string done = Post("/hooks/generic", Alert("done")).Json()["runs"][0].dump();
  std::string waiting = Post("/hooks/generic", Alert("waiting")).Json()["runs"][0].dump();
  // The playbook's last step waits for approval: both runs stop needing attention.
  ASSERT_TRUE(WaitFor([&] {
    return RunStatus(done) == "needs_attention" && RunStatus(waiting) == "needs_attention";
  })) << serve_.log();
  std::string incident = Query("select incident_id from runs where id = " + done);
  ASSERT_EQ(Post("/hooks/generic", Alert("done", "p1", "resolved")).status, 202);
  ASSERT_EQ(Query("select status from incidents where id = " + incident), "closed");
  // As if both had ended long ago, one of them succeeded.
  ASSERT_EQ(testing::ExecRecord(Db(), "update runs set ended_at = 1000"), "");
  ASSERT_EQ(testing::ExecRecord(Db(), "update runs set status = 'succeeded' where id = " + done),
            "");
  ASSERT_TRUE(WaitFor([&] { return Query("select count(*) from incidents") == "1"; }, 30'000))
      << serve_.log() << other.log();
  EXPECT_EQ(Query("select count(*) from runs"), "1");
  EXPECT_EQ(Query("select id from runs"), waiting);
  EXPECT_EQ(Query("select count(*) from steps where run_id = " + done), "0");
  EXPECT_EQ(Query("select count(*) from events where run_id = " + done), "0");
  EXPECT_EQ(Query("select count(*) from events where incident_id = " + incident), "0");
  EXPECT_EQ(Query("select count(*) from alerts where incident_id = " + incident), "0");
  bool mine = serve_.log().find("retention: deleted") != std::string::npos;
  bool theirs = other.log().find("retention: deleted") != std::string::npos;
  EXPECT_NE(mine, theirs) << "exactly one serve holds the retention lead";
  EXPECT_EQ(Query("select count(*) from leaders where job = 'retention'"), "1");
}

// Two serves on one record and `medic approve` of several waiting runs: each approved
// destructive step runs once, in one of the two serves.
TEST_F(Serve, TwoServesActOnEachApprovalOnce) {
  std::string config = WriteConfig("", ", max_concurrent_runs: 4");
  StartServe(config);
  ServePeer other;
  ASSERT_EQ(other.Start(Db(), config, dir_.Join("other.log")), "");
  std::vector<std::string> services = {"s1", "s2", "s3", "s4", "s5"};
  for (const auto& s : services) ASSERT_EQ(Post("/hooks/generic", Alert(s)).status, 202);
  ASSERT_TRUE(WaitFor([&] {
    return Query("select count(*) from runs where status = 'needs_attention'") == "5";
  })) << serve_.log()
      << other.log();
  for (int run = 1; run <= 5; ++run)
    ASSERT_EQ(Medic({"approve", std::to_string(run), "restart"}).exit_code, 0);
  ASSERT_TRUE(WaitFor([&] {
    return Query("select count(*) from runs where status = 'succeeded'") == "5";
  })) << serve_.log()
      << other.log();
  std::vector<std::string> lines;
  for (const auto& s : services) lines.push_back("restart " + s);
  ExpectEachOnce(ReadFile(effects_), lines);
  EXPECT_EQ(Query("select count(*) from events where kind = 'step.started' and "
                  "step_id = 'restart'"),
            "5");
}

// A serve paused past its lease (SIGSTOP) loses its run to another serve, which stops the
// paused one's step process and continues the run; woken up (SIGCONT), the paused serve
// writes nothing more for the run it lost.
TEST_F(Serve, AServePausedPastItsLeaseLosesItsRunAndWritesNothingMore) {
  WriteFile(marker_, "");
  std::string config = WriteConfig("", ", lease: 1s, lease_renew: 200ms");
  StartServe(config);
  ASSERT_EQ(Post("/hooks/generic", Alert("s1")).status, 202);
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status from steps where step_id = 'b' and run_id = 1") == "running";
  }));
  int pgid = std::stoi(Query("select pgid from steps where step_id = 'b' and run_id = 1"));
  ASSERT_EQ(kill(serve_.pid(), SIGSTOP), 0);
  ServePeer other;
  ASSERT_EQ(other.Start(Db(), config, dir_.Join("other.log")), "");
  ASSERT_TRUE(WaitFor([&] {
    return Query("select status || attempts from steps where step_id = 'b' and run_id = 1") ==
           "running2";
  })) << other.log();
  EXPECT_FALSE(GroupAlive(pgid)) << "the paused serve's step process was stopped";
  EXPECT_EQ(Query("select owner_pid from runs where id = 1"), std::to_string(other.pid()));
  std::remove(marker_.c_str());
  ASSERT_TRUE(WaitFor([&] { return RunStatus("1") == "needs_attention"; })) << other.log();
  std::string events = Query("select count(*) from events where run_id = 1");
  ASSERT_EQ(kill(serve_.pid(), SIGCONT), 0);
  // Long enough for several of its lease renewals to find the newer fence.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Query("select count(*) from events where run_id = 1"), events)
      << "the paused serve wrote after losing the run\n"
      << serve_.log();
  EXPECT_EQ(RunStatus("1"), "needs_attention");
  ExpectEachOnce(ReadFile(effects_), {"a s1", "b s1"});
}

// Each alert on a fresh connection while the runs they start spawn step processes: a
// process forked as a connection closes held a copy of its socket, its epoll registration
// outlived the close, and serve freed the connection twice (abort after a few requests).
TEST_F(Serve, AlertsOnFreshConnectionsWhileStepsSpawnKeepServeUp) {
  StartServe(WriteConfig());
  int accepted = 0;
  for (int i = 0; i < 150; ++i) {
    // As curl does: HTTP/1.1 keep-alive, then the client goes away, so the connection waits
    // idle in serve's epoll set when it closes.
    httplib::Client client("127.0.0.1", serve_.port());
    client.set_keep_alive(true);
    auto res = client.Post("/hooks/generic", {{"Authorization", "Bearer " + kToken}},
                           Alert("svc" + std::to_string(i)), "application/json");
    if (res && res->status == 202) ++accepted;
  }
  EXPECT_EQ(accepted, 150) << serve_.log();
  EXPECT_TRUE(serve_.running()) << serve_.log();
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(Serve, MetricsAndHealthReportTheServer) {
  StartServe(WriteConfig());
  Reply h = Get("/healthz", false);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.Json()["status"], "ok");
  Reply r = Post("/hooks/generic", Alert("checkout"));
  ASSERT_EQ(r.status, 202);
  std::string run = std::to_string(r.Json()["runs"][0].get<int64_t>());
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "needs_attention"; }));
  std::string m = Get("/metrics", false).body;
  for (const char* s :
       {"medic_http_requests_total{endpoint=\"/hooks/generic\",code=\"202\"} 1",
        "medic_alerts_total{source=\"generic\",outcome=\"new_incident\"} 1",
        "medic_runs_total{status=\"needs_attention\"} 1", "medic_queue_depth 0",
        "medic_trigger_to_start_seconds_count 1", "medic_hook_accept_seconds_count 1"})
    EXPECT_NE(m.find(s), std::string::npos) << s << "\n" << m;
}

TEST_F(Serve, ABadConfigIsRefusedWithEveryProblemAndCheckSaysOk) {
  WriteConfig();
  auto ok = Medic({"serve", "--config", dir_.Join("serve.yaml"), "--check"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("svc -> " + dir_.Join("pb.yaml")), std::string::npos) << ok.out;
  WriteFile(dir_.Join("bad.yaml"),
            "auth: {bearer_tokens_file: tokens}\nroutes:\n  - {match: {}, playbook: pb.yaml, vars: "
            "{servce: x}}\n");
  auto bad = Medic({"serve", "--config", dir_.Join("bad.yaml"), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(dir_.Join("bad.yaml") + ":3:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("did you mean 'service'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace medic

namespace medic {
namespace {

// An alert storm on one route: every alert is kept and opens its incident, but only max_runs
// runs start per window; the others say why they have none.
TEST_F(Serve, MaxRunsLetsAStormOpenIncidentsButStartsOnlyThatManyRuns) {
  std::string config = WriteConfig("", "");
  std::string yaml = ReadFile(config);
  yaml.replace(yaml.find("    dedup_key:"), 0, "    max_runs: {count: 2, per: 1h}\n");
  WriteFile(config, yaml);
  StartServe(config);
  int suppressed = 0, runs = 0;
  for (const char* service : {"a", "b", "c", "d", "e"}) {
    Reply r = Post("/hooks/generic", Alert(service));
    ASSERT_EQ(r.status, 202) << r.body;
    runs += static_cast<int>(r.Json()["runs"].size());
    if (r.Json()["alerts"][0].value("suppressed_by", "") == "max_runs") ++suppressed;
  }
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(suppressed, 3);
  EXPECT_EQ(Query("select count(*) from incidents"), "5");
  EXPECT_EQ(Query("select count(*) from runs"), "2");
  EXPECT_EQ(Query("select count(*) from events where kind = 'incident.suppressed'"), "3");
  EXPECT_EQ(Query("select message from events where kind = 'incident.suppressed' limit 1"),
            "no run: route 'svc' started 2 runs in the last 1h00m (max_runs 2)");
  // The suppressed incidents held no queue slot: a storm does not fill the queue.
  EXPECT_EQ(Post("/hooks/generic", Alert("a", "p2")).status, 202);

  yaml.replace(yaml.find("{count: 2, per: 1h}"), 19, "{count: 0, per: soon}");
  WriteFile(dir_.Join("bad.yaml"), yaml);
  auto check = Medic({"serve", "--config", dir_.Join("bad.yaml"), "--check"});
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.err.find("max_runs must be {count: N, per: DURATION}"), std::string::npos)
      << check.err;
}

// A playbook whose one step notes "restart SERVICE" in `effects` and fails.
void WriteFailingPlaybook(const std::string& path, const std::string& effects) {
  WriteFile(path, R"(name: fails
params:
  service: {required: true}
stages:
  - name: recover
    steps:
      - {id: restart, action: exec, with: {argv: [sh, -c, 'echo "restart $1" >> "$0"; exit 1', )" +
                      effects + R"(, "{{ params.service }}"]}}
)");
}

// The guardrails' serve.yaml: route `svc` with `route_extra` lines, running `playbook`.
std::string GuardedConfig(const std::string& playbook, const std::string& route_extra) {
  return "auth:\n  bearer_tokens_file: tokens\nroutes:\n  - name: svc\n    match: {alertname: "
         "\"=~Go.*\"}\n    playbook: " +
         playbook +
         "\n    vars: {service: \"{{ labels.service }}\"}\n    dedup_key: \"{{ labels.service "
         "}}\"\n" +
         route_extra + "limits: {max_concurrent_runs: 4, drain_timeout: 10s}\n";
}

// concurrency: 1 under a storm of distinct incidents: one run at a time, the others wait
// queued and start oldest first; with four workers free, nothing else holds them.
TEST_F(Serve, ConcurrencyRunsOneIncidentAtATimeOldestFirst) {
  WritePlaybook(false);
  WriteFile(marker_, "");
  WriteFile(dir_.Join("serve.yaml"), GuardedConfig("pb.yaml", "    concurrency: 1\n"));
  StartServe(dir_.Join("serve.yaml"));
  std::vector<std::string> runs;
  for (const char* service : {"a", "b", "c"}) {
    Reply r = Post("/hooks/generic", Alert(service));
    ASSERT_EQ(r.status, 202) << r.body;
    runs.push_back(std::to_string(r.Json()["runs"][0].get<int64_t>()));
  }
  ASSERT_TRUE(WaitFor([&] { return RunStatus(runs[0]) == "running"; })) << serve_.log();
  // Run a holds the route; b and c stay queued however long a takes.
  ASSERT_TRUE(WaitFor([&] { return Get("/healthz").Json().value("queue_held", 0) == 2; }))
      << Get("/healthz").body;
  EXPECT_EQ(RunStatus(runs[1]), "queued");
  EXPECT_EQ(RunStatus(runs[2]), "queued");
  EXPECT_NE(Get("/metrics", false).body.find("medic_queue_held 2\n"), std::string::npos);
  std::filesystem::remove(marker_);
  for (const auto& run : runs)
    ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "succeeded"; })) << serve_.log();
  // Never two at once, and in the order their incidents opened.
  EXPECT_EQ(ReadFile(effects_), "a a\nb a\nrestart a\na b\nb b\nrestart b\na c\nb c\nrestart c\n");
  for (size_t i = 1; i < runs.size(); ++i)
    EXPECT_EQ(Query("select case when (select started_at from runs where id = " + runs[i] +
                    ") >= (select ended_at from runs where id = " + runs[i - 1] +
                    ") then 1 else 0 end"),
              "1");
}

// Two failed runs within the window open the route's breaker: the next incident gets no run,
// and /healthz, /metrics, `medic list` and `medic route list` say so; `medic route reset`
// closes it, and so does the window passing.
TEST_F(Serve, CircuitBreakerOpensAfterFailedRunsAndClosesOnResetOrWhenItsWindowPasses) {
  WriteFailingPlaybook(dir_.Join("fail.yaml"), effects_);
  WriteFile(dir_.Join("serve.yaml"),
            GuardedConfig("fail.yaml", "    circuit_breaker: {failures: 2, per: 1h}\n"));
  StartServe(dir_.Join("serve.yaml"));
  for (const char* service : {"a", "b"}) {
    Reply r = Post("/hooks/generic", Alert(service));
    ASSERT_EQ(r.status, 202) << r.body;
    std::string run = std::to_string(r.Json()["runs"][0].get<int64_t>());
    ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "failed"; })) << serve_.log();
  }
  ASSERT_TRUE(WaitFor([&] {
    return Get("/healthz").Json()["routes"][0].value("breaker", "") == "open";
  })) << Get("/healthz").body;
  Reply held = Post("/hooks/generic", Alert("c"));
  ASSERT_EQ(held.status, 202) << held.body;
  EXPECT_TRUE(held.Json()["runs"].empty()) << held.body;
  EXPECT_EQ(held.Json()["alerts"][0]["suppressed_by"], "circuit_breaker");
  EXPECT_NE(Query("select message from events where kind = 'incident.suppressed'")
                .find("no run: route 'svc' has its circuit breaker open (2 failed runs within "
                      "1h00m)"),
            std::string::npos);
  EXPECT_NE(Get("/metrics", false).body.find("medic_route_breaker_open{route=\"svc\"} 1\n"),
            std::string::npos);
  auto list = Medic({"list"});
  EXPECT_NE(list.out.find("route 'svc': circuit breaker open until"), std::string::npos)
      << list.out;
  auto routes = Medic({"route", "list", "--json"});
  ASSERT_EQ(routes.exit_code, 0) << routes.err;
  EXPECT_EQ(json::parse(routes.out)[0]["breaker"], "open") << routes.out;
  EXPECT_EQ(json::parse(routes.out)[0]["failures"], 2) << routes.out;

  auto dry = Medic({"route", "reset", "svc", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("dry run: nothing changed"), std::string::npos) << dry.out;
  EXPECT_EQ(Get("/healthz").Json()["routes"][0]["breaker"], "open");
  auto reset = Medic({"route", "reset", "svc"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_NE(reset.out.find("closed: its next alert starts a run"), std::string::npos) << reset.out;
  EXPECT_EQ(Query("select reset_by from route_breakers"), "oncall");
  EXPECT_EQ(Get("/healthz").Json()["routes"][0]["breaker"], "closed")
      << "failures before the reset do not count again";
  Reply again = Post("/hooks/generic", Alert("d"));
  ASSERT_EQ(again.status, 202) << again.body;
  ASSERT_EQ(again.Json()["runs"].size(), 1u) << again.body;
  EXPECT_EQ(Medic({"route", "reset", "svc"}).out,
            "route 'svc': its circuit breaker is not open; nothing to reset\n");
}

TEST_F(Serve, ACircuitBreakerClosesWhenItsWindowPasses) {
  WriteFailingPlaybook(dir_.Join("fail.yaml"), effects_);
  WriteFile(dir_.Join("serve.yaml"),
            GuardedConfig("fail.yaml", "    circuit_breaker: {failures: 1, per: 2s}\n"));
  StartServe(dir_.Join("serve.yaml"));
  Reply r = Post("/hooks/generic", Alert("a"));
  ASSERT_EQ(r.status, 202) << r.body;
  std::string run = std::to_string(r.Json()["runs"][0].get<int64_t>());
  ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "failed"; })) << serve_.log();
  Reply held = Post("/hooks/generic", Alert("b"));
  EXPECT_EQ(held.Json()["alerts"][0].value("suppressed_by", ""), "circuit_breaker") << held.body;
  ASSERT_TRUE(WaitFor([&] {
    return Get("/healthz").Json()["routes"][0].value("breaker", "") == "closed";
  })) << Get("/healthz").body;
  Reply later = Post("/hooks/generic", Alert("c"));
  EXPECT_EQ(later.Json()["runs"].size(), 1u) << later.body;
}

// A suppressed incident runs the route's on_suppressed playbook (here: "page a person"),
// which is told why; it does not count as one of the route's runs.
TEST_F(Serve, OnSuppressedRunsInsteadAndDoesNotCountAgainstMaxRuns) {
  WritePlaybook(false);
  WriteFile(dir_.Join("page.yaml"), R"(name: page
params:
  suppressed_by: {required: true}
  service: {required: true}
  reason: {}
stages:
  - name: notify
    steps:
      - {id: page, action: exec, with: {argv: [sh, -c, 'echo "page $1 $2" >> "$0"', )" +
                                        effects_ +
                                        R"(, "{{ params.suppressed_by }}", "{{ params.service }}"]}}
)");
  WriteFile(dir_.Join("serve.yaml"),
            GuardedConfig("pb.yaml",
                          "    auto_confirm: true\n    max_runs: {count: 1, per: 1h}\n"
                          "    on_suppressed: page.yaml\n"));
  StartServe(dir_.Join("serve.yaml"));
  std::vector<std::string> pages;
  for (const char* service : {"a", "b", "c"}) {
    Reply r = Post("/hooks/generic", Alert(service));
    ASSERT_EQ(r.status, 202) << r.body;
    if (r.Json()["alerts"][0].contains("on_suppressed_run_id"))
      pages.push_back(std::to_string(r.Json()["alerts"][0]["on_suppressed_run_id"].get<int64_t>()));
  }
  ASSERT_EQ(pages.size(), 2u);
  for (const auto& run : pages)
    ASSERT_TRUE(WaitFor([&] { return RunStatus(run) == "succeeded"; })) << serve_.log();
  std::string effects = ReadFile(effects_);
  EXPECT_NE(effects.find("page max_runs b\n"), std::string::npos) << effects;
  EXPECT_NE(effects.find("page max_runs c\n"), std::string::npos) << effects;
  EXPECT_EQ(effects.find("page max_runs a"), std::string::npos) << effects;
  EXPECT_EQ(Query("select count(*) from runs where playbook = 'rescue'"), "1");
  EXPECT_EQ(
      Query("select json_extract(options, '$.on_suppressed') from runs where id = " + pages[0]),
      "max_runs");

  // A config whose on_suppressed playbook needs what it is not given is refused up front.
  WriteFile(dir_.Join("needy.yaml"), R"(name: needy
params:
  team: {required: true}
stages:
  - name: notify
    steps:
      - {id: page, action: exec, with: {argv: ['true']}}
)");
  WriteFile(dir_.Join("bad.yaml"),
            GuardedConfig("pb.yaml",
                          "    on_suppressed: needy.yaml\n    concurrency: 0\n"
                          "    circuit_breaker: {failures: 2}\n"));
  auto check = Medic({"serve", "--config", dir_.Join("bad.yaml"), "--check"});
  EXPECT_EQ(check.exit_code, 2);
  for (const char* problem :
       {"on_suppressed playbook 'needy' requires param 'team', which it is not given",
        "concurrency: '0' must be a whole number of runs, 1 or more",
        "circuit_breaker must be {failures: N, per: DURATION}"})
    EXPECT_NE(check.err.find(problem), std::string::npos) << problem << "\n" << check.err;
}

// SIGHUP under load: a new route and a new tokens file take effect, the old token is refused,
// no request fails in between; a config that does not load is refused and the running one kept.
TEST_F(Serve, SighupReloadsRoutesAndTokensWithoutFailingARequest) {
  WritePlaybook(false);
  const std::string steady = "steady-token-used-throughout-0123";
  WriteFile(dir_.Join("tokens"), kToken + "\n" + steady + "\n");
  std::string config = GuardedConfig("pb.yaml", "    auto_confirm: true\n");
  WriteFile(dir_.Join("serve.yaml"), config);
  StartServe(dir_.Join("serve.yaml"));
  EXPECT_EQ(Post("/hooks/generic", Alert("a")).status, 202);

  // A client posting all along with a token both configs hold.
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0}, failed{0};
  std::string last_failure;
  std::thread client([&] {
    int n = 0;
    while (!stop) {
      Reply r = Post("/hooks/generic", Alert("steady-" + std::to_string(n++ % 3)),
                     {{"Authorization", "Bearer " + steady}}, false);
      ++sent;
      if (r.status != 202) {
        ++failed;
        last_failure = std::to_string(r.status) + " " + r.body;
      }
    }
  });
  WriteFile(dir_.Join("tokens"), "a-brand-new-token-for-after-0123\n" + steady + "\n");
  WriteFile(dir_.Join("serve.yaml"),
            "auth:\n  bearer_tokens_file: tokens\nroutes:\n  - name: disk\n    match: {alertname: "
            "DiskFull}\n    playbook: pb.yaml\n    vars: {service: \"{{ labels.service }}\"}\n" +
                config.substr(config.find("  - name: svc")));
  ASSERT_EQ(kill(serve_.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitFor([&] { return serve_.log().find("SIGHUP: reloaded") != std::string::npos; }))
      << serve_.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  client.join();
  EXPECT_GT(sent.load(), 0);
  EXPECT_EQ(failed.load(), 0) << last_failure;

  EXPECT_EQ(Post("/hooks/generic", Alert("b")).status, 401) << "the old token is gone";
  Reply disk = Post("/hooks/generic", Alert("db", "p1", "firing", "DiskFull"),
                    {{"Authorization", "Bearer a-brand-new-token-for-after-0123"}}, false);
  ASSERT_EQ(disk.status, 202) << disk.body;
  std::string run = std::to_string(disk.Json()["runs"][0].get<int64_t>());
  EXPECT_EQ(Query("select json_extract(options, '$.route') from runs where id = " + run), "disk");

  // A broken config is refused, with its errors in the log, and the running one stays.
  WriteFile(dir_.Join("serve.yaml"), "routes: [ {name: x, playbook: nope.yaml\n");
  ASSERT_EQ(kill(serve_.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitFor([&] {
    return serve_.log().find("does not load; keeping the running config") != std::string::npos;
  })) << serve_.log();
  Reply still = Post("/hooks/generic", Alert("db2", "p1", "firing", "DiskFull"),
                     {{"Authorization", "Bearer a-brand-new-token-for-after-0123"}}, false);
  EXPECT_EQ(still.status, 202) << still.body;
}

}  // namespace
}  // namespace medic
