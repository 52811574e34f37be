// Several `medic serve` replicas sharing one PostgreSQL record, killed and paused under load:
// no alert answered 202 is lost, no run is left running or queued, no non-idempotent step
// runs twice, and a replica that lost its lease writes nothing more. A real PostgreSQL is
// started by the test (tests/support/postgres_peer.h).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/postgres_peer.h"
#include "tests/support/serve_peer.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::PostgresPeer;
using testing::QueryRecord;
using testing::ReadFile;
using testing::ScopedTempDir;
using testing::ServePeer;
using testing::WaitFor;
using testing::WriteFile;

const std::string kToken = "replicas-test-token-0123456789";

class Replicas : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err = pg_.Start();
    ASSERT_EQ(err, "") << err;
    db_ = pg_.CreateDatabase();
    ASSERT_FALSE(db_.empty());
    effects_ = dir_.Join("effects.log");
    WriteFile(dir_.Join("tokens"), kToken + "\n");
  }

  // Steps: `i` idempotent, `n` not, `s` slow and idempotent; each appends its own line.
  std::string WriteConfig(const std::string& slow = "sleep 0.3") {
    WriteFile(dir_.Join("pb.yaml"), R"YAML(name: failover
params:
  service: {required: true}
stages:
  - name: contain
    steps:
      - id: i
        action: exec
        idempotent: true
        with: {argv: [sh, -c, 'echo "i $1" >> "$0"', ")YAML" + effects_ + R"YAML(", "{{ params.service }}"]}
      - id: n
        action: exec
        idempotent: false
        with: {argv: [sh, -c, 'echo "n $1" >> "$0"', ")YAML" + effects_ + R"YAML(", "{{ params.service }}"]}
      - id: s
        action: exec
        idempotent: true
        with: {argv: [sh, -c, 'echo "$$" >> "$0.pids"; )YAML" + slow + R"YAML(; echo "s $1" >> "$0"', ")YAML" + effects_ + R"YAML(", "{{ params.service }}"]}
)YAML");
    WriteFile(dir_.Join("serve.yaml"), R"YAML(auth:
  bearer_tokens_file: tokens
routes:
  - name: svc
    match: {alertname: "=~Go.*"}
    playbook: pb.yaml
    auto_confirm: true
    vars: {service: "{{ labels.service }}"}
    dedup_key: "{{ labels.service }}"
  - name: pd
    match: {pagerduty_event: "=~incident\\..*"}
    playbook: pb.yaml
    auto_confirm: true
    vars: {service: "{{ labels.service }}"}
limits: {max_concurrent_runs: 8, lease: 2s, lease_renew: 400ms, drain_timeout: 2s}
)YAML");
    return dir_.Join("serve.yaml");
  }

  void StartReplicas(int n) {
    std::string config = WriteConfig();
    for (int i = 0; i < n; ++i) {
      replicas_.push_back(std::make_unique<ServePeer>());
      std::string err = replicas_.back()->Start(
          db_, config, dir_.Join("serve" + std::to_string(i) + ".log"), {{"XDG_DATA_HOME", dir_.path()}});
      ASSERT_EQ(err, "") << err;
    }
  }

  static std::string Alert(const std::string& service) {
    return json({{"status", "firing"},
                 {"labels", {{"alertname", "GoPanicRateHigh"}, {"service", service}}},
                 {"annotations", {{"summary", "panics in " + service}}}})
        .dump();
  }

  // Posts to replica `i`; -1 when it did not answer.
  static std::pair<int, std::string> Post(int port, const std::string& body) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(10, 0);
    httplib::Headers headers{{"Authorization", "Bearer " + kToken}};
    auto res = client.Post("/hooks/generic", headers, body, "application/json");
    if (!res) return {-1, ""};
    return {res->status, res->body};
  }

  std::string Query(const std::string& sql) { return QueryRecord(db_, sql); }

  int64_t Count(const std::string& sql) {
    std::string v = Query(sql);
    return v.empty() ? -1 : std::stoll(v);
  }

  bool AllRunsSettled(int timeout_ms) {
    return WaitFor(
        [&] { return Count("select count(*) from runs where status in ('queued', 'running')") == 0; },
        timeout_ms);
  }

  // How many times each line occurs in the effects file.
  std::map<std::string, int> Effects() {
    std::map<std::string, int> out;
    std::istringstream in(ReadFile(effects_));
    for (std::string line; std::getline(in, line);) ++out[line];
    return out;
  }

  std::string Logs() {
    std::string out;
    for (size_t i = 0; i < replicas_.size(); ++i)
      out += "--- replica " + std::to_string(i) + "\n" + replicas_[i]->log().substr(0, 20'000);
    return out;
  }

  // For a run that did not settle: what each replica logged about it, and what the record's
  // sessions are doing (a lock wait, a transaction left open).
  std::string WhyUnsettled() {
    std::string out = "\n--- sessions: " +
                      Query("select string_agg(pid || ' ' || state || ' ' || "
                            "coalesce(wait_event_type, '-') || ' ' || left(query, 60), E'\\n') "
                            "from pg_stat_activity where datname = current_database() "
                            "and pid <> pg_backend_pid()") +
                      "\n";
    std::string ids = Query(
        "select string_agg(id::text, ' ') from runs where status in ('queued', 'running')");
    std::istringstream in(ids);
    for (std::string id; in >> id;) {
      for (size_t i = 0; i < replicas_.size(); ++i) {
        std::istringstream log(replicas_[i]->log());
        for (std::string line; std::getline(log, line);)
          if (line.find("run " + id + ":") != std::string::npos ||
              line.find("run " + id + " ") != std::string::npos ||
              line.find("[" + id + "]") != std::string::npos)
            out += "replica " + std::to_string(i) + ": " + line + "\n";
      }
    }
    return out;
  }

  ScopedTempDir dir_;
  PostgresPeer pg_;
  std::string db_;
  std::string effects_;
  std::vector<std::unique_ptr<ServePeer>> replicas_;
};

// 1,000 copies of one new alert, posted at once to three replicas: one incident, one run.
TEST_F(Replicas, ADuplicateBurstAcrossReplicasOpensOneIncidentAndOneRun) {
  StartReplicas(3);
  std::atomic<int> accepted{0};
  std::atomic<int> next{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 12; ++c)
    clients.emplace_back([&, c] {
      for (int k; (k = next.fetch_add(1)) < 1000;) {
        auto [code, body] = Post(replicas_[(k + c) % 3]->port(), Alert("checkout"));
        if (code == 202) accepted.fetch_add(1);
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(accepted.load(), 1000);
  EXPECT_EQ(Count("select count(*) from incidents"), 1);
  EXPECT_EQ(Count("select count(*) from runs"), 1);
  EXPECT_EQ(Count("select count(*) from alerts"), 1);
  EXPECT_EQ(Count("select notifications from alerts"), 1000);
  ASSERT_TRUE(AllRunsSettled(60'000)) << Logs();
  EXPECT_EQ(Effects()["n checkout"], 1);
}

// One PagerDuty delivery (one X-Webhook-Id) sent to every replica at once, 30 times: one is
// handled, every other answer says it is a duplicate, and the alert is counted once.
TEST_F(Replicas, ADeliveryReplayedToEveryReplicaAtOnceIsHandledOnce) {
  StartReplicas(3);
  std::string body = R"({"event": {"id": "E-burst", "event_type": "incident.triggered",
    "data": {"id": "PGR0VU2", "type": "incident", "title": "Checkout panics",
    "service": {"id": "S1", "summary": "checkout"}}}})";
  std::atomic<int> go{0};
  std::mutex mu;
  std::map<int, int> codes;
  int duplicates = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < 30; ++c)
    clients.emplace_back([&, c] {
      go.fetch_add(1);
      while (go.load() < 30) std::this_thread::yield();
      httplib::Client client("127.0.0.1", replicas_[c % 3]->port());
      client.set_read_timeout(10, 0);
      auto res = client.Post("/hooks/pagerduty",
                             {{"Authorization", "Bearer " + kToken}, {"X-Webhook-Id", "w-burst"}},
                             body, "application/json");
      std::lock_guard<std::mutex> lock(mu);
      ++codes[res ? res->status : -1];
      if (res && json::parse(res->body, nullptr, false).value("duplicate_delivery", false))
        ++duplicates;
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(codes[202], 1) << Logs();
  EXPECT_EQ(codes[200], 29);
  EXPECT_EQ(duplicates, 29);
  EXPECT_EQ(Count("select notifications from alerts"), 1);
  EXPECT_EQ(Count("select count(*) from runs"), 1);
}

// 300 distinct alerts to random replicas while one replica at a time is killed with kill -9
// and restarted, ten times. When the replicas restart slowly (an ASan build) the load goes
// on past 300 until the tenth kill, so every kill lands under load.
TEST_F(Replicas, KillingReplicasUnderLoadLosesNoAlertAndDoublesNoStep) {
  StartReplicas(3);
  constexpr int kAlerts = 300;
  auto began = std::chrono::steady_clock::now();
  // Replicas that stop answering make the test fail with their logs, not hang.
  auto give_up = began + std::chrono::seconds(400);
  std::mutex mu;
  std::map<std::string, int64_t> accepted;  // service -> incident id
  std::atomic<int> next{0};
  std::atomic<int> sent{0};
  std::atomic<int> kills{0};
  std::atomic<bool> stop_killing{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&, c] {
      std::mt19937 rng(c * 7919 + 1);
      for (int k; (k = next.fetch_add(1)) < kAlerts || (kills < 10 && k < 4 * kAlerts);) {
        sent.fetch_add(1);
        std::string service = "svc-" + std::to_string(k);
        // A client whose replica is down tries another, as Alertmanager would.
        for (int attempt = 0; attempt < 20 && std::chrono::steady_clock::now() < give_up;
             ++attempt) {
          auto [code, body] = Post(replicas_[rng() % 3]->port(), Alert(service));
          if (code == 202) {
            std::lock_guard<std::mutex> lock(mu);
            accepted[service] = json::parse(body).value("incident_id", int64_t{0});
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(230));  // ~20 s of load
      }
    });
  std::thread killer([&] {
    std::mt19937 rng(42);
    for (; kills < 10 && !stop_killing; ++kills) {
      std::this_thread::sleep_for(std::chrono::milliseconds(600 + rng() % 1200));
      ServePeer& victim = *replicas_[rng() % 3];
      victim.Kill9();
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 500));
      std::string err = victim.Restart();
      EXPECT_EQ(err, "") << err;
    }
  });
  for (auto& t : clients) t.join();
  stop_killing = true;
  killer.join();
  auto loaded = std::chrono::steady_clock::now();

  ASSERT_TRUE(AllRunsSettled(180'000))
      << Query("select group_concat(id || ':' || status || ':' || owner_pid) from runs where "
               "status in ('queued', 'running')")
      << WhyUnsettled();
  EXPECT_EQ(kills.load(), 10) << "the load ended before ten kills";
  std::printf("failover: load %.1f s with %d kills, settled %.1f s later\n",
              std::chrono::duration<double>(loaded - began).count(), kills.load(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - loaded).count());
  EXPECT_GE(sent.load(), kAlerts);
  EXPECT_EQ(static_cast<int>(accepted.size()), sent.load()) << Logs();
  for (const auto& [service, incident] : accepted)
    EXPECT_EQ(Query("select dedup_key from incidents where id = " + std::to_string(incident)),
              "svc/" + service);
  EXPECT_EQ(Count("select count(*) from runs where status not in ('succeeded', 'needs_attention')"),
            0)
      << Query("select group_concat(id || ':' || status) from runs where status not in "
               "('succeeded', 'needs_attention')");
  std::map<std::string, int> effects = Effects();
  int repeats = 0;
  for (const auto& [line, n] : effects) {
    if (line.rfind("n ", 0) == 0) {
      EXPECT_EQ(n, 1) << line << " ran " << n << " times";
    }
    if (line.rfind("i ", 0) != 0 || n == 1) continue;
    ++repeats;
    // An idempotent step ran again only where a replica took the run over from a dead one.
    std::string service = line.substr(2);
    int64_t takeovers = Count(
        "select count(*) from events e join runs r on e.run_id = r.id join incidents i on "
        "r.incident_id = i.id where e.kind = 'run.resumed' and i.dedup_key = 'svc/" +
        service + "'");
    EXPECT_GE(takeovers, n - 1) << line << " ran " << n << " times";
  }
  int64_t needs_attention = Count("select count(*) from runs where status = 'needs_attention'");
  std::printf("failover: %zu alerts accepted, %d idempotent repeats, %lld runs need attention\n",
              accepted.size(), repeats, static_cast<long long>(needs_attention));
}

// A replica paused past its lease (SIGSTOP) loses its run to another; resumed (SIGCONT), it
// writes nothing more for it, and the step process it started is gone.
TEST_F(Replicas, APausedReplicaLosesItsRunAndWritesNothingMore) {
  WriteConfig("sleep 8");
  std::string config = dir_.Join("serve.yaml");
  for (int i = 0; i < 2; ++i) {
    replicas_.push_back(std::make_unique<ServePeer>());
    ASSERT_EQ(replicas_.back()->Start(db_, config, dir_.Join("serve" + std::to_string(i) + ".log"),
                                      {{"XDG_DATA_HOME", dir_.path()}}),
              "");
  }
  ServePeer& a = *replicas_[0];
  ASSERT_EQ(Post(a.port(), Alert("paused")).first, 202);
  ASSERT_TRUE(WaitFor([&] { return Count("select count(*) from steps where step_id = 's' and status = "
                                         "'running'") == 1; }, 30'000));
  ASSERT_TRUE(WaitFor([&] { return !ReadFile(effects_ + ".pids").empty(); }, 10'000));
  int first_step_pid = std::stoi(ReadFile(effects_ + ".pids"));
  EXPECT_EQ(Query("select owner_pid from runs"), std::to_string(a.pid()));
  std::string fence_before = Query("select fence from runs");

  kill(a.pid(), SIGSTOP);
  // The other replica claims the run once the lease (2 s) has run out.
  bool taken = WaitFor([&] { return Query("select owner_pid from runs") ==
                                    std::to_string(replicas_[1]->pid()); }, 20'000);
  int64_t events_at_takeover = Count("select count(*) from events");
  kill(a.pid(), SIGCONT);
  ASSERT_TRUE(taken) << Logs();
  EXPECT_GT(std::stoll(Query("select fence from runs")), std::stoll(fence_before));

  // The paused replica finds its fence older at its next renewal and stops.
  EXPECT_TRUE(WaitFor([&] { return a.log().find("claimed by another medic") != std::string::npos; },
                      10'000))
      << Logs();
  EXPECT_TRUE(WaitFor([&] { return kill(first_step_pid, 0) != 0; }, 10'000))
      << "the step process of the paused replica still runs";
  // Nothing the paused replica did after SIGCONT landed: every event since the takeover is
  // the new holder's, and the run ends under it.
  ASSERT_TRUE(AllRunsSettled(60'000)) << Logs();
  EXPECT_EQ(Query("select group_concat(data) from events where id > " +
                  std::to_string(events_at_takeover) + " and data like '%\"pid\":" +
                  std::to_string(a.pid()) + "%'"),
            "");
  EXPECT_EQ(Query("select status from runs"), "succeeded") << Logs();
  std::map<std::string, int> effects = Effects();
  EXPECT_EQ(effects["n paused"], 1);
  EXPECT_EQ(effects["s paused"], 1) << "only the new holder's slow step completed";
}

}  // namespace
}  // namespace medic
