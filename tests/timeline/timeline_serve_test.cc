// The timeline of an incident exactly as `medic serve` records it: a real serve process gets a
// firing alert, a repeat and the resolution from Alertmanager's webhook, runs the playbook up
// to a step that waits for approval, and `medic timeline` must show the three alert events
// with their labels, fingerprint and times, the milestones they imply, and the waiting step.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/strings.h"
#include "env/clock.h"
#include "tests/support/serve_peer.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic {
namespace {

using nlohmann::json;
using testing::ScopedTempDir;
using testing::WaitFor;
using testing::WriteFile;

const std::string kToken = "timeline-serve-token-0123456789";

class TimelineOfServe : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_.Join("tokens"), kToken + "\n");
    WriteFile(dir_.Join("pb.yaml"), R"(name: rescue
params:
  service: {required: true}
stages:
  - name: contain
    steps:
      - {id: freeze, action: exec, with: {argv: [echo, "{{ params.service }}"]}}
  - name: recover
    steps:
      - {id: restart, action: exec, confirm: true, with: {argv: [echo, restart]}}
)");
    WriteFile(dir_.Join("serve.yaml"), R"(auth:
  bearer_tokens_file: tokens
routes:
  - name: svc
    match: {alertname: GoPanics}
    playbook: pb.yaml
    vars: {service: "{{ labels.service }}"}
    dedup_key: "{{ labels.service }}"
limits: {drain_timeout: 10s}
)");
    ASSERT_EQ(serve_.Start(Db(), dir_.Join("serve.yaml"), dir_.Join("serve.log")), "");
  }

  std::string Db() const { return dir_.Join("medic.db"); }

  testing::CommandResult Medic(std::vector<std::string> args) {
    args.insert(args.begin(), testing::MedicBinary());
    return testing::RunCommand(args, "", {{"MEDIC_DB", Db()}, {"NO_COLOR", "1"}});
  }

  // An Alertmanager v4 webhook with one alert; answers the body, "" when it was not a 202.
  json Post(const std::string& status, const std::string& starts_at, const std::string& ends_at) {
    json alert = {
        {"status", status},
        {"labels", {{"alertname", "GoPanics"}, {"service", "checkout"}, {"pod", "checkout-1"}}},
        {"annotations", {{"summary", "checkout panics"}}},
        {"startsAt", starts_at},
        {"endsAt", ends_at},
        {"fingerprint", "3f2a9c1b7d4e5f60"},
        {"generatorURL", "http://prometheus:9090/graph"}};
    json body = {{"version", "4"},
                 {"groupKey", "{}:{alertname=\"GoPanics\"}"},
                 {"status", status},
                 {"receiver", "medic"},
                 {"alerts", {alert}}};
    httplib::Client client("127.0.0.1", serve_.port());
    client.set_read_timeout(30, 0);
    auto res = client.Post("/hooks/alertmanager", {{"Authorization", "Bearer " + kToken}},
                           body.dump(), "application/json");
    EXPECT_TRUE(res && res->status == 202) << (res ? res->body : "no answer");
    return res ? json::parse(res->body, nullptr, false) : json();
  }

  json Timeline(const std::string& incident) {
    auto r = Medic({"timeline", incident, "--format", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  ScopedTempDir dir_;
  testing::ServePeer serve_;
};

TEST_F(TimelineOfServe, ShowsTheAlertsServeRecordedAndTheMilestonesTheyImply) {
  int64_t now = test::RealEnv().clock->NowUnixMs() / 1000 * 1000;
  std::string starts = FormatTimeUtc(now - 90'000), ends = FormatTimeUtc(now - 5'000);
  json first = Post("firing", starts, "0001-01-01T00:00:00Z");
  ASSERT_TRUE(first.contains("incident_id")) << first.dump();
  std::string incident = std::to_string(first["incident_id"].get<int64_t>());
  std::string run = std::to_string(first["runs"][0].get<int64_t>());
  ASSERT_TRUE(WaitFor([&] {
    auto show = Medic({"show", run, "--json"});
    return show.out.find("\"needs_attention\"") != std::string::npos;
  })) << serve_.log();
  Post("firing", starts, "0001-01-01T00:00:00Z");  // Alertmanager repeats it
  Post("resolved", starts, ends);

  json t = Timeline(incident);
  ASSERT_TRUE(t.is_object());
  std::vector<json> alerts;
  for (const auto& e : t["events"])
    if (e["category"] == "alert") alerts.push_back(e);
  ASSERT_EQ(alerts.size(), 3u) << t["events"].dump();
  EXPECT_EQ(alerts[0]["kind"], "alert.firing");
  EXPECT_EQ(alerts[1]["kind"], "alert.repeated");
  EXPECT_EQ(alerts[2]["kind"], "alert.resolved");
  for (const auto& a : alerts) {
    SCOPED_TRACE(a.dump());
    EXPECT_EQ(a["run_id"], nullptr);
    EXPECT_EQ(a["data"]["labels"],
              json({{"alertname", "GoPanics"}, {"service", "checkout"}, {"pod", "checkout-1"}}));
    EXPECT_EQ(a["data"]["fingerprint"], "3f2a9c1b7d4e5f60");
    EXPECT_EQ(a["data"]["startsAt"], starts);
    EXPECT_EQ(a["data"]["source"], "alertmanager");
    EXPECT_EQ(a["data"]["route"], "svc");
  }
  EXPECT_EQ(alerts[0]["status"], "firing");
  EXPECT_EQ(alerts[0]["message"], "GoPanics firing: checkout panics");
  EXPECT_EQ(alerts[0]["data"]["endsAt"], nullptr) << "Alertmanager's zero time is no time";
  EXPECT_EQ(alerts[1]["status"], "firing");
  EXPECT_EQ(alerts[2]["status"], "resolved");
  EXPECT_EQ(alerts[2]["message"], "GoPanics resolved: checkout panics");
  EXPECT_EQ(alerts[2]["data"]["endsAt"], ends);

  const json& m = t["milestones"];
  EXPECT_EQ(m["detected"]["at"], starts) << m.dump();
  EXPECT_EQ(m["detected"]["source"], "alert.firing startsAt (fingerprint 3f2a9c1b7d4e5f60)");
  EXPECT_EQ(m["resolved"]["at"], ends) << m.dump();
  EXPECT_EQ(m["resolved"]["source"], "every alert resolved");
  EXPECT_EQ(m["durations"]["time_to_resolve"]["ms"], 85'000);
  EXPECT_NE(m["triggered"], nullptr);
  EXPECT_EQ(m["origin"], starts);
  EXPECT_EQ(t["incident"]["status"], "closed");

  // The run stopped before `restart`: waiting for approval, not "not run".
  const json& steps = t["incident"]["runs"][0]["steps"];
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0]["status"], "succeeded");
  EXPECT_EQ(steps[1]["status"], "awaiting_approval");
  EXPECT_NE(steps[1]["awaiting_since"], nullptr);
  auto md = Medic({"timeline", incident});
  EXPECT_NE(md.out.find("| `restart` | waiting for approval |"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("1 waiting for approval"), std::string::npos) << md.out;
  // The Markdown shows each alert's labels, start and end once.
  EXPECT_NE(md.out.find("| alert.firing | GoPanics firing: checkout panics; pod=checkout-1, "
                        "service=checkout; started "),
            std::string::npos)
      << md.out;

  // Approved, the step goes and the record says who let it.
  auto approve = Medic({"approve", run, "restart", "--by", "oncall"});
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  ASSERT_TRUE(WaitFor([&] {
    auto show = Medic({"show", run, "--json"});
    return show.out.find("\"succeeded\"") != std::string::npos &&
           show.out.find("\"needs_attention\"") == std::string::npos;
  })) << serve_.log();
  t = Timeline(incident);
  std::vector<std::string> approvals;
  for (const auto& e : t["events"])
    if (e["category"] == "approval") approvals.push_back(e["kind"].get<std::string>());
  EXPECT_EQ(approvals, (std::vector<std::string>{"step.awaiting_approval", "step.approval_given",
                                                 "step.approved"}));
  EXPECT_EQ(t["incident"]["runs"][0]["steps"][1]["status"], "succeeded");
  EXPECT_EQ(t["incident"]["runs"][0]["steps"][1]["awaiting_since"], nullptr);
}

}  // namespace
}  // namespace medic
