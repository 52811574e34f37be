// http.request and http.wait against a real HTTP server on loopback, driven through the
// runner so outputs, artifacts and errors land in the record as they would in a run.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "env/http_client.h"
#include "env/process_runner.h"
#include "playbooks/runner.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

class HttpActions : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinActions(registry_);
    auto store = Store::Open(dir_.Join("medic.db"));
    ASSERT_TRUE(store.ok());
    store_ = std::move(store.value());
    server_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      if (++health_calls_ < 3) {
        res.status = 503;
        res.set_content("warming up", "text/plain");
      } else {
        res.set_content("ok", "text/plain");
      }
    });
    server_.Get(
        "/debug/pprof/goroutine", [this](const httplib::Request& req, httplib::Response& res) {
          ++dump_calls_;
          res.set_content("goroutine 1 [running]:\nmain.main()\n" + req.get_param_value("debug"),
                          "text/plain");
        });
    server_.Post("/admin/degrade", [](const httplib::Request& req, httplib::Response& res) {
      res.status = req.get_header_value("Authorization") == "Bearer t0ken-xyz" ? 200 : 401;
      res.set_content(res.status == 200 ? "degraded" : "who are you", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    ASSERT_TRUE(testing::WaitForPort(port_, 5000));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  RunRecord Run(const std::string& yaml, const Json& params = Json::object()) {
    auto pb = ParsePlaybook(yaml, "http.yaml", registry_);
    EXPECT_TRUE(pb.ok()) << pb.status().message();
    auto id = CreateRun(*store_, *test::RealEnv().clock, *pb, params, "test", 0);
    RunServices s;
    s.store = store_.get();
    s.registry = &registry_;
    s.env = test::RealEnv();
    s.cancel = &cancel_;
    RunOptions options;
    options.work_root = dir_.Join("runs");
    options.yes = true;
    auto run = Runner(s).Drive(*id, options);
    EXPECT_TRUE(run.ok()) << run.status().message();
    return run.ok() ? *run : RunRecord{};
  }
  StepRecord Step(int64_t run, const std::string& id) { return *store_->GetStep(run, id); }

  testing::ScopedTempDir dir_;
  Registry registry_;
  std::unique_ptr<Store> store_;
  CancelToken cancel_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> health_calls_{0};
  std::atomic<int> dump_calls_{0};
};

// The URL comes from an alert label: allowed_hosts keeps medic's request at the service's
// host, whatever host, port or user@ the label names; nothing is sent otherwise.
TEST_F(HttpActions, AllowedHostsRefusesAUrlALabelPointedElsewhereBeforeSendingIt) {
  std::string pb = R"(name: h
params:
  instance: {required: true}
stages:
  - name: s
    steps:
      - id: dump
        action: http.request
        with:
          url: "http://{{ params.instance }}/debug/pprof/goroutine?debug=2"
          allowed_hosts: ["localhost, 127.0.0.1:)" +
                   std::to_string(port_) + R"("]
)";
  std::string here = "127.0.0.1:" + std::to_string(port_);
  RunRecord elsewhere = Run(pb, {{"instance", "169.254.169.254"}});
  EXPECT_EQ(elsewhere.status, RunStatus::kFailed);
  EXPECT_NE(Step(elsewhere.id, "dump")
                .error.find("url host '169.254.169.254' is not in allowed_hosts (localhost, " +
                            here + "); nothing was sent"),
            std::string::npos)
      << Step(elsewhere.id, "dump").error;
  RunRecord other_port = Run(pb, {{"instance", "127.0.0.1:1"}});
  EXPECT_EQ(other_port.status, RunStatus::kFailed);
  RunRecord userinfo = Run(pb, {{"instance", here + "@evil.example"}});
  EXPECT_EQ(userinfo.status, RunStatus::kFailed);
  EXPECT_NE(Step(userinfo.id, "dump").error.find("carries user@ credentials"), std::string::npos)
      << Step(userinfo.id, "dump").error;
  EXPECT_EQ(dump_calls_.load(), 0) << "nothing reached any server";
  RunRecord ok = Run(pb, {{"instance", here}});
  EXPECT_EQ(ok.status, RunStatus::kSucceeded) << ok.error;
  EXPECT_EQ(dump_calls_.load(), 1);
}

TEST_F(HttpActions, WaitPollsUntilHealthyAndRequestSavesTheBodyAsAnArtifact) {
  RunRecord run = Run(R"(name: h
stages:
  - name: s
    steps:
      - {id: ready, action: http.wait, with: {url: ")" +
                      Url("/healthz") + R"(", interval: 20ms}}
      - id: dump
        action: http.request
        with: {url: ")" +
                      Url("/debug/pprof/goroutine?debug=2") +
                      R"(", save_to: goroutines.txt, artifact_kind: goroutine_dump}
)");
  ASSERT_EQ(run.status, RunStatus::kSucceeded) << run.error;
  EXPECT_EQ(Step(run.id, "ready").outputs["attempts"], 3);
  EXPECT_EQ(Step(run.id, "ready").outputs["status"], 200);
  StepRecord dump = Step(run.id, "dump");
  std::string path = dump.outputs["path"];
  EXPECT_EQ(testing::ReadFile(path), "goroutine 1 [running]:\nmain.main()\n2");
  auto artifacts = *store_->ArtifactsOfRun(run.id);
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].kind, "goroutine_dump");
  EXPECT_EQ(artifacts[0].size, static_cast<int64_t>(testing::ReadFile(path).size()));
  EXPECT_EQ(artifacts[0].sha256.size(), 64u);
}

TEST_F(HttpActions, AnUnexpectedStatusFailsWithThePeersAnswerAndNoSecret) {
  setenv("MEDIC_HTTP_TEST_TOKEN", "t0ken-xyz", 1);
  RunRecord run = Run(R"(name: h
allow_env: [MEDIC_HTTP_TEST_TOKEN]
stages:
  - name: s
    steps:
      - id: ok
        action: http.request
        with: {method: POST, url: ")" +
                      Url("/admin/degrade") +
                      R"(", headers: {Authorization: "Bearer {{ env.MEDIC_HTTP_TEST_TOKEN }}"}}
      - id: denied
        action: http.request
        with: {method: POST, url: ")" +
                      Url("/admin/degrade") + R"("}
)");
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(Step(run.id, "ok").status, StepStatus::kSucceeded);
  StepRecord denied = Step(run.id, "denied");
  EXPECT_EQ(denied.status, StepStatus::kFailed);
  EXPECT_NE(denied.error.find("answered 401: who are you"), std::string::npos) << denied.error;
  auto events = *store_->EventsOfRun(run.id);
  for (const auto& e : events) EXPECT_EQ(e.data.dump().find("t0ken-xyz"), std::string::npos);
}

TEST_F(HttpActions, AnUnreachableEndpointIsAClearStepErrorAndRetriesAreCounted) {
  int closed = testing::FreePort();
  RunRecord run = Run(R"(name: h
stages:
  - name: s
    steps:
      - id: nobody
        action: http.request
        retries: 1
        retry_delay: 10ms
        with: {url: "http://127.0.0.1:)" +
                      std::to_string(closed) + R"(/x", request_timeout: 2s}
)");
  EXPECT_EQ(run.status, RunStatus::kFailed);
  StepRecord s = Step(run.id, "nobody");
  EXPECT_EQ(s.attempts, 2);
  EXPECT_NE(s.error.find("cannot connect"), std::string::npos) << s.error;
}

TEST_F(HttpActions, ASlowServerHitsTheStepTimeout) {
  server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("late", "text/plain");
  });
  RunRecord run = Run(R"(name: h
stages:
  - name: s
    steps:
      - {id: slow, action: http.request, timeout: 300ms, with: {url: ")" +
                      Url("/slow") + R"("}}
)");
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(Step(run.id, "slow").status, StepStatus::kTimedOut);
}

}  // namespace
}  // namespace medic
