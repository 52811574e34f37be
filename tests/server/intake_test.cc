// The intake against a real SQLite record: dedup while an incident is open, resolve and
// close, the queue's back-pressure, PagerDuty delivery ids, unrouted alerts, and the
// approvals `medic approve` leaves for serve.
#include "server/intake.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "integrations/action.h"
#include "playbooks/approval.h"
#include "playbooks/runner.h"
#include "store/alerts.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using testing::ScopedTempDir;
using testing::WriteFile;

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinActions(registry_);
    WriteFile(dir_.Join("pb.yaml"), R"(name: rescue
params:
  service: {required: true}
stages:
  - name: contain
    steps:
      - {id: hello, action: exec, with: {argv: [echo, "{{ params.service }}"]}}
      - {id: restart, action: exec, confirm: true, with: {argv: ['true']}}
)");
    WriteFile(dir_.Join("serve.yaml"), R"(auth: {bearer_tokens: [intake-test-token-123]}
routes:
  - name: svc
    match: {alertname: "=~.+"}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"}
    dedup_key: "{{ labels.service }}"
)");
    auto c = LoadServeConfig(dir_.Join("serve.yaml"), registry_);
    ASSERT_TRUE(c.ok()) << c.status().message();
    config_ = std::move(*c);
    auto s = Store::Open(dir_.Join("medic.db"));
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }

  static Alert MakeAlert(const std::string& service, const std::string& pod,
                         const std::string& status = "firing", int64_t starts_at = 0) {
    Alert a;
    a.status = status;
    a.labels = {{"alertname", "GoPanicRateHigh"}, {"service", service}, {"pod", pod}};
    a.fingerprint = FingerprintOf(a.labels);
    a.group_key = "g";
    a.starts_at = starts_at;
    return a;
  }
  static Notification Of(std::vector<Alert> alerts, const std::string& source = "generic") {
    Notification n;
    n.source = source;
    n.alerts = std::move(alerts);
    return n;
  }
  int64_t Count(const std::string& table, const std::string& where = "1") {
    // Through the store's own API where it has one; a run count is all these tests need.
    if (table == "runs") return static_cast<int64_t>(store_->ListRuns(100000)->size());
    if (table == "incidents") return static_cast<int64_t>(store_->ListIncidents(100000)->size());
    (void)where;
    return -1;
  }

  Registry registry_;
  ScopedTempDir dir_;
  ServeConfig config_;
  std::unique_ptr<Store> store_;
  Metrics metrics_;
};

TEST_F(IntakeTest, FirstAlertOpensAnIncidentAndQueuesOneRun) {
  RunQueue queue(10);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  auto r = intake.Accept(Of({MakeAlert("checkout", "p1", "firing", 1'000)}), 0);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->accepted, 1);
  ASSERT_EQ(r->new_runs.size(), 1u);
  EXPECT_EQ(queue.depth(), 1u);
  auto run = store_->GetRun(r->new_runs[0]);
  EXPECT_EQ(run->status, RunStatus::kQueued);
  EXPECT_EQ(run->trigger, "generic");
  EXPECT_EQ(run->options, Json({{"auto_confirm", false}, {"route", "svc"}}));
  EXPECT_EQ(run->params["service"], "checkout");
  auto inc = store_->GetIncident(run->incident_id);
  EXPECT_EQ(inc->status, "open");
  EXPECT_EQ(inc->dedup_key, "svc/checkout");
  EXPECT_EQ(inc->detected_at, 1'000);
  EXPECT_EQ(inc->title, "GoPanicRateHigh: checkout");
  auto events = store_->EventsOfIncident(inc->id);
  ASSERT_GE(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, EventKind::kAlertFiring);
  for (const char* k : {"labels", "annotations", "startsAt", "endsAt", "fingerprint", "source"})
    EXPECT_TRUE((*events)[0].data.contains(k)) << k;
  EXPECT_EQ((*events)[0].data["startsAt"], "1970-01-01T00:00:01.000Z");
}

TEST_F(IntakeTest, RepeatsAndOtherPodsJoinTheOpenIncidentWithoutNewRuns) {
  RunQueue queue(10);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  auto first = intake.Accept(Of({MakeAlert("checkout", "p1", "firing", 5'000)}), 0);
  ASSERT_TRUE(first.ok());
  auto again = intake.Accept(
      Of({MakeAlert("checkout", "p1"), MakeAlert("checkout", "p2", "firing", 2'000)}), 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->accepted, 2);
  EXPECT_TRUE(again->new_runs.empty());
  EXPECT_EQ(again->incident_ids, first->incident_ids);
  EXPECT_EQ(Count("runs"), 1);
  int64_t id = first->incident_ids[0];
  EXPECT_EQ(store_->GetIncident(id)->detected_at, 2'000) << "detected_at is the earliest startsAt";
  auto alerts = AlertStore(*store_).AlertsOfIncident(id);
  ASSERT_EQ(alerts->size(), 2u);
  EXPECT_EQ((*alerts)[0].notifications, 2);
  std::vector<std::string> kinds;
  auto events = store_->EventsOfIncident(id);
  ASSERT_TRUE(events.ok());
  for (const auto& e : *events)
    if (e.kind == EventKind::kAlertFiring || e.kind == EventKind::kAlertRepeated ||
        e.kind == EventKind::kAlertResolved)
      kinds.push_back(ToString(e.kind));
  EXPECT_EQ(kinds, (std::vector<std::string>{"alert.firing", "alert.repeated", "alert.repeated"}));
  auto other = intake.Accept(Of({MakeAlert("cart", "c1")}), 0);
  EXPECT_EQ(other->new_runs.size(), 1u) << "another dedup key is another incident";
}

TEST_F(IntakeTest, ABurstOfDuplicatesFromManyThreadsYieldsOneIncident) {
  RunQueue queue(1000);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i)
        if (!intake.Accept(Of({MakeAlert("checkout", "p" + std::to_string(t))}), 0).ok())
          ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Count("incidents"), 1);
  EXPECT_EQ(Count("runs"), 1);
  EXPECT_EQ(queue.depth(), 1u);
  EXPECT_EQ(store_->EventsOfIncident(store_->ListIncidents(1)->at(0).id)->size(), 200u + 1u)
      << "200 alert events and the run's run.created";
}

TEST_F(IntakeTest, ResolvedClosesTheIncidentOnlyWhenAllItsAlertsResolved) {
  RunQueue queue(10);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  auto first = intake.Accept(Of({MakeAlert("checkout", "p1"), MakeAlert("checkout", "p2")}), 0);
  int64_t id = first->incident_ids[0];
  ASSERT_TRUE(intake.Accept(Of({MakeAlert("checkout", "p1", "resolved")}), 0).ok());
  EXPECT_EQ(store_->GetIncident(id)->status, "open");
  auto last = intake.Accept(Of({MakeAlert("checkout", "p2", "resolved")}), 0);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->body["alerts"][0]["incident_closed"], true);
  EXPECT_EQ(store_->GetIncident(id)->status, "closed");
  auto events = store_->EventsOfIncident(id);
  EXPECT_EQ(events->back().kind, EventKind::kIncidentClosed);
  auto late = intake.Accept(Of({MakeAlert("checkout", "p2", "resolved")}), 0);
  EXPECT_EQ(late->ignored, 1) << "a resolved alert with no open incident opens nothing";
  auto refire = intake.Accept(Of({MakeAlert("checkout", "p1")}), 0);
  ASSERT_EQ(refire->new_runs.size(), 1u);
  EXPECT_NE(refire->incident_ids[0], id) << "firing after the close opens a new incident";
}

TEST_F(IntakeTest, AFullQueueRefusesNewRunsAndRecordsNothing) {
  RunQueue queue(1);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  ASSERT_TRUE(intake.Accept(Of({MakeAlert("a", "1")}), 0).ok());
  auto full = intake.Accept(Of({MakeAlert("a", "2"), MakeAlert("b", "1")}), 0);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), Code::kUnavailable);
  EXPECT_EQ(Count("incidents"), 1);
  EXPECT_EQ(AlertStore(*store_).AlertsOfIncident(1)->size(), 1u)
      << "the joined alert was rolled back too";
  EXPECT_EQ(queue.depth(), 1u) << "the reservation was given back";
  auto dedup = intake.Accept(Of({MakeAlert("a", "2")}), 0);
  EXPECT_TRUE(dedup.ok()) << "alerts that join an open incident need no queue slot";
}

TEST_F(IntakeTest, UnroutedAndUnusableAlertsAreKeptWithTheReason) {
  RunQueue queue(10);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  Alert nameless;
  nameless.labels = {{"job", "x"}};
  nameless.fingerprint = "f1";
  Alert no_service;
  no_service.labels = {{"alertname", "Down"}};
  no_service.fingerprint = "f2";
  auto r = intake.Accept(Of({nameless, no_service}), 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->unrouted, 1);
  EXPECT_EQ(r->rejected, 1);
  EXPECT_EQ(r->accepted, 0);
  auto kept = AlertStore(*store_).ListUnrouted(10);
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[1].reason, "no route matches");
  EXPECT_EQ((*kept)[0].reason, "route 'svc': vars.service: the alert has no label 'service'");
  EXPECT_EQ(Count("incidents"), 0);
}

TEST_F(IntakeTest, ARedeliveredPagerDutyWebhookIsRecordedOnce) {
  RunQueue queue(10);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  Notification n = Of({MakeAlert("checkout", "p1")}, "pagerduty");
  n.delivery_id = "d-1";
  auto first = intake.Accept(n, 0);
  auto second = intake.Accept(n, 0);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(first->duplicate_delivery);
  EXPECT_TRUE(second->duplicate_delivery);
  EXPECT_EQ(second->body["incident_id"], first->body["incident_id"]);
  EXPECT_EQ(AlertStore(*store_).AlertsOfIncident(first->incident_ids[0])->at(0).notifications, 1);
}

TEST_F(IntakeTest, ApprovalsLetAWaitingWebhookRunGoOn) {
  RunQueue queue(10);
  Intake intake(*store_, config_, queue, *test::RealEnv().clock, metrics_);
  auto r = intake.Accept(Of({MakeAlert("checkout", "p1")}), 0);
  int64_t run_id = r->new_runs[0];
  auto take = [&](bool driven_here) {
    return TakeApprovals(*store_, *test::RealEnv().clock, LeaseTiming{},
                         [driven_here](int64_t) { return driven_here; });
  };
  auto early = take(false);
  EXPECT_TRUE(early->empty());

  EXPECT_EQ(
      ApproveStep(*store_, *test::RealEnv().clock, run_id, "restrat", "ann").status().message(),
      "run " + std::to_string(run_id) +
          " has no step 'restrat' (did you mean 'restart'?); its steps: hello, restart");
  auto ok = ApproveStep(*store_, *test::RealEnv().clock, run_id, "restart", "ann");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(store_->GetStep(run_id, "restart")->approved);
  EXPECT_TRUE(ApproveStep(*store_, *test::RealEnv().clock, run_id, "restart", "bob")->already);
  auto events = store_->EventsOfRun(run_id);
  EXPECT_EQ(events->back().kind, EventKind::kStepApprovalGiven);
  EXPECT_EQ(events->back().data, Json({{"by", "medic approve"}, {"user", "ann"}}));

  // A runner reaching the step before the approval overwrote the flag; the run waits.
  auto run = store_->GetRun(run_id);
  run->status = RunStatus::kNeedsAttention;
  ASSERT_TRUE(store_->SaveRun(*run).ok());
  auto step = store_->GetStep(run_id, "restart");
  step->approved = false;
  ASSERT_TRUE(store_->SaveStep(*step).ok());
  auto busy = take(true);
  EXPECT_TRUE(busy->empty()) << "a run being driven is left for the next poll";
  run->owner_pid = 0;  // a waiting run has no driver
  run->lease_until = 0;
  ASSERT_TRUE(store_->SaveRun(*run).ok());
  int64_t fence = store_->GetRun(run_id)->fence;
  auto queued = take(false);
  ASSERT_EQ(*queued, std::vector<int64_t>{run_id});
  EXPECT_TRUE(store_->GetStep(run_id, "restart")->approved);
  EXPECT_TRUE(take(false)->empty());
  // Whoever took the approval holds the run until its worker goes on with it: if it dies
  // first, the lease runs out and another serve continues the run.
  auto held = store_->GetRun(run_id);
  EXPECT_EQ(held->status, RunStatus::kNeedsAttention);
  EXPECT_EQ(held->owner_pid, getpid());
  EXPECT_GT(held->lease_until, test::RealEnv().clock->NowUnixMs());
  EXPECT_EQ(held->fence, fence + 1);
}

TEST(RunQueue, ReservationsCountAgainstCapacityUntilUsedOrReleased) {
  RunQueue q(2);
  EXPECT_TRUE(q.Reserve(2));
  EXPECT_FALSE(q.Reserve(1));
  q.PushReserved({1, 0, nullptr});
  q.Release(1);
  EXPECT_EQ(q.depth(), 1u);
  EXPECT_TRUE(q.Reserve(1));
  q.Push({2, 0, nullptr});
  EXPECT_EQ(q.depth(), 3u) << "resumed runs go in regardless";
  EXPECT_EQ(q.Pop()->run_id, 1);
  q.Close();
  EXPECT_FALSE(q.Pop().has_value());
}

TEST(RunQueue, GatedRunsWaitForTheirDedupKeyAndRouteLimitOldestFirst) {
  RunQueue q(10);
  auto run = [](int64_t id, const char* key, int limit) {
    QueuedRun r{.run_id = id};
    r.gate = {"svc", key, limit};
    return r;
  };
  q.Push(run(1, "a", 2));
  q.Push(run(2, "a", 2));  // same key as 1: waits for it
  q.Push(run(3, "b", 2));
  q.Push(run(4, "c", 2));  // the route's limit is 2: waits
  q.Push({.run_id = 5});   // not gated
  auto first = q.Pop();
  EXPECT_EQ(first->run_id, 1);
  EXPECT_EQ(q.Pop()->run_id, 3);
  EXPECT_EQ(q.Pop()->run_id, 5);
  EXPECT_EQ(q.held(), 2u);
  q.Finish(*first);
  EXPECT_EQ(q.Pop()->run_id, 2) << "the oldest admitted run goes first";
  EXPECT_EQ(q.held(), 1u);
  q.Close();
  EXPECT_FALSE(q.Pop().has_value());
}

TEST(Metrics, RenderIsPrometheusText) {
  Metrics m;
  m.CountRequest("/hooks/alertmanager", 202);
  m.CountRequest("/hooks/alertmanager", 202);
  m.CountAlert("alertmanager", "deduplicated");
  m.CountRun("succeeded");
  m.ObserveTriggerToStart(0.004);
  std::string text = m.Render({.queue_depth = 3, .queue_capacity = 1000});
  EXPECT_NE(
      text.find("medic_http_requests_total{endpoint=\"/hooks/alertmanager\",code=\"202\"} 2\n"),
      std::string::npos);
  EXPECT_NE(text.find("medic_alerts_total{source=\"alertmanager\",outcome=\"deduplicated\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("medic_runs_total{status=\"succeeded\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("medic_queue_depth 3\n"), std::string::npos);
  EXPECT_NE(text.find("medic_trigger_to_start_seconds_bucket{le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("medic_trigger_to_start_seconds_bucket{le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE medic_trigger_to_start_seconds histogram\n"), std::string::npos);
}

}  // namespace
}  // namespace medic
