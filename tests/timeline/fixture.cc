#include "tests/timeline/fixture.h"

#include <algorithm>
#include <map>
#include <vector>

#include "base/strings.h"
#include "env/clock.h"
#include "playbooks/approval.h"
#include "playbooks/runner.h"
#include "store/alerts.h"

namespace medic::testing {
namespace {

constexpr int64_t S = 1000;  // ms per second

class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t at) : at_(at) {}
  int64_t NowUnixMs() override { return at_; }
  int64_t MonotonicMs() override { return at_; }

 private:
  int64_t at_;
};

// Writes a run the way the runner does: each step change with its event.
class Recorder {
 public:
  Recorder(Store& store, int64_t incident) : store_(store), incident_(incident) {}

  Status CreateRun(RunRecord run, const std::vector<StepRecord>& steps) {
    run.incident_id = incident_;
    auto id = store_.CreateRun(run, steps);
    if (!id.ok()) return id.status();
    run_ = run;
    run_.id = *id;
    for (StepRecord s : steps) {
      s.run_id = *id;
      steps_[s.step_id] = s;
    }
    return Status::Ok();
  }
  int64_t run_id() const { return run_.id; }

  Status Event(int64_t at, const std::string& kind, const std::string& step,
               const std::string& message, Json data = Json::object(), bool incident_only = false) {
    EventRecord e;
    e.incident_id = incident_;
    e.run_id = incident_only ? 0 : run_.id;
    e.step_id = step;
    e.at = at;
    e.kind = ParseEventKind(kind).value();
    e.message = message;
    e.data = std::move(data);
    return store_.AddEvent(e);
  }

  // The runner's run states: running (run.started, or run.resumed once it started),
  // needs_attention (no end; `message` is the run's error), or an end.
  Status RunStatus(int64_t at, const std::string& status, const std::string& message) {
    bool resumed = status == "running" && run_.started_at > 0;
    if (status == "running") {
      if (!resumed) run_.started_at = at;
      run_.error.clear();
    } else if (status == "needs_attention") {
      run_.error = message;
    } else {
      run_.ended_at = at;
    }
    run_.status = ParseRunStatus(status).value();
    EventRecord e;
    e.incident_id = incident_;
    e.run_id = run_.id;
    e.at = at;
    e.kind = ParseEventKind(status == "running" ? (resumed ? "run.resumed" : "run.started")
                                                : "run." + status)
                 .value();
    e.message = message;
    return store_.SaveRun(run_, &e);
  }

  Status Stage(int64_t at, const std::string& name, bool parallel, const std::string& status = "") {
    Json data = {{"stage", name}, {"parallel", parallel}};
    if (!status.empty()) data["status"] = status;
    return Event(at, status.empty() ? "stage.started" : "stage.finished", "", name, data);
  }

  Status Save(const std::string& id, int64_t at, const std::string& kind, const std::string& msg,
              Json data = Json::object()) {
    StepRecord& s = steps_.at(id);
    EventRecord e;
    e.incident_id = incident_;
    e.run_id = run_.id;
    e.step_id = id;
    e.at = at;
    e.kind = ParseEventKind(kind).value();
    e.message = msg;
    e.data = std::move(data);
    return store_.SaveStep(s, &e);
  }

  // The runner letting a step go: {"by": ..., "user"|"route", "given_at"}.
  Status Approve(const std::string& id, int64_t at, const Json& approval) {
    steps_.at(id).approved = true;
    return Save(id, at, "step.approved", DescribeApproval(approval), approval);
  }

  // The runner stopping before a step that needs confirmation.
  Status Awaiting(const std::string& id, int64_t at, const std::string& plan) {
    return Save(id, at, "step.awaiting_approval", "needs confirmation: " + plan);
  }

  // `medic approve RUN ID` run by `user`.
  Status ApprovalGiven(const std::string& id, int64_t at, const std::string& user) {
    FixedClock clock(at);
    auto given = ApproveStep(store_, clock, run_.id, id, user);
    if (!given.ok()) return given.status();
    steps_.at(id).approved = true;
    return Status::Ok();
  }

  Status Start(const std::string& id, int64_t at) {
    StepRecord& s = steps_.at(id);
    s.attempts = 1;
    s.status = StepStatus::kRunning;
    s.started_at = at;
    last_start_[id] = at;
    return Save(id, at, "step.started", "started", {{"attempt", 1}});
  }

  // `medic resume` running an interrupted idempotent step again: the runner resets it, then
  // starts it; its started_at stays the first start, its duration counts from this one.
  Status StartAgain(const std::string& id, int64_t reset_at, int64_t at) {
    StepRecord& s = steps_.at(id);
    s.status = StepStatus::kPending;
    s.error.clear();
    MEDIC_RETURN_IF_ERROR(
        Save(id, reset_at, "step.reset", "interrupted and idempotent: will run again"));
    s.attempts += 1;
    s.status = StepStatus::kRunning;
    s.ended_at = 0;
    last_start_[id] = at;
    return Save(id, at, "step.started", "started", {{"attempt", s.attempts}});
  }

  // The attempt before failed at `failed_at`; the next starts at `at`, after the retry delay.
  Status Retry(const std::string& id, int64_t failed_at, int64_t at, const std::string& why) {
    StepRecord& s = steps_.at(id);
    s.attempts += 1;
    return Save(id, at, "step.retry", "attempt " + std::to_string(s.attempts) + " after: " + why,
                {{"attempt", s.attempts}, {"previous_ended_at", failed_at}});
  }

  Status Command(const std::string& id, int64_t at, const std::vector<std::string>& argv) {
    StepRecord& s = steps_.at(id);
    Json arr = Json::array();
    std::string shown;
    for (const auto& a : argv) {
      arr.push_back(a);
      shown += (shown.empty() ? "" : " ") + a;
    }
    s.commands.push_back(arr);
    s.pgid = 4000 + static_cast<int64_t>(s.commands.size());
    return Save(id, at, "step.command", shown, {{"argv", arr}, {"pgid", s.pgid}});
  }

  Status End(const std::string& id, int64_t at, const std::string& status,
             const std::string& error = "", Json outputs = Json::object()) {
    StepRecord& s = steps_.at(id);
    s.status = ParseStepStatus(status).value();
    s.ended_at = at;
    s.duration_ms = at - (last_start_.count(id) ? last_start_[id] : s.started_at);
    s.over_budget = s.budget_ms > 0 && s.duration_ms > s.budget_ms;
    s.error = error;
    s.outputs = std::move(outputs);
    s.pgid = 0;
    Json data = {{"status", status}, {"attempts", s.attempts}, {"duration_ms", s.duration_ms}};
    if (s.budget_ms > 0) {
      data["budget_ms"] = s.budget_ms;
      data["over_budget"] = s.over_budget;
    }
    // The runner's wording (playbooks/runner.cc, Runner::Finish).
    std::string msg = status + " in " + FormatDurationMs(s.duration_ms);
    if (s.over_budget) msg += " (over its " + FormatDurationMs(s.budget_ms) + " budget)";
    if (!error.empty()) msg += ": " + error;
    return Save(id, at, "step." + status, msg, data);
  }

  Status Skip(const std::string& id, int64_t at, const std::string& why) {
    StepRecord& s = steps_.at(id);
    s.status = StepStatus::kSkipped;
    s.started_at = s.ended_at = at;
    return Save(id, at, "step.skipped", why, {{"when", "params.page == true"}});
  }

  Status Artifact(const std::string& step, int64_t at, const std::string& kind,
                  const std::string& path, const std::string& url, int64_t size,
                  const std::string& sha256) {
    ArtifactRecord a;
    a.run_id = run_.id;
    a.step_id = step;
    a.kind = kind;
    a.path = path;
    a.url = url;
    a.size = size;
    a.sha256 = sha256;
    a.created_at = at;
    auto id = store_.AddArtifact(a);
    if (!id.ok()) return id.status();
    return Event(at, "artifact.added", step, kind + " " + (url.empty() ? path : url),
                 {{"artifact_id", *id},
                  {"kind", kind},
                  {"path", path},
                  {"url", url},
                  {"size", size},
                  {"sha256", sha256}});
  }

 private:
  Store& store_;
  int64_t incident_;
  RunRecord run_;
  std::map<std::string, StepRecord> steps_;
  std::map<std::string, int64_t> last_start_;  // by step: its latest (re)start
};

StepRecord StepDef(const std::string& id, const std::string& stage, int position,
                   const std::string& action, int64_t budget_ms) {
  StepRecord s;
  s.step_id = id;
  s.stage = stage;
  s.position = position;
  s.action = action;
  s.budget_ms = budget_ms;
  return s;
}

// One notification about the checkout alert (startsAt T0), recorded as `medic serve` records
// it: through AlertStore::RecordAlert, with the message serve builds.
Status Notify(Store& store, int64_t incident, int64_t at, const std::string& status, bool opens,
              int64_t ends_at = 0, const std::string& summary_note = "") {
  AlertRecord a;
  a.incident_id = incident;
  a.fingerprint = "3f2a9c1b7d4e5f60";
  a.status = status;
  a.labels = {{"alertname", "GoPanics"},
              {"service", "checkout"},
              {"pod", "checkout-7d9f-abcde"},
              {"severity", "critical"}};
  a.annotations = {{"summary", "checkout panics: assignment to entry in nil map" + summary_note}};
  a.starts_at = kFixtureT0;
  a.ends_at = ends_at;
  a.first_seen = a.last_seen = at;
  auto saved =
      AlertStore(store).RecordAlert(a, opens, AlertEventMessage(a.labels, a.annotations, a.status),
                                    {"alertmanager", "checkout", "checkout/GoPanics"});
  return saved.ok() ? Status::Ok() : saved.status();
}

#define RETURN_IF(expr) MEDIC_RETURN_IF_ERROR(expr)

Status WriteGoldenRun(Recorder& r, int64_t t0) {
  RunRecord run;
  run.playbook = "golden-three-minutes";
  run.playbook_path = "playbooks/library/golden-three-minutes.yaml";
  run.params = {
      {"service", "checkout"}, {"namespace", "prod"}, {"slack_token", "xoxb-1234-abcd5678"}};
  run.status = medic::RunStatus::kQueued;
  run.trigger = "alertmanager";
  run.options = {{"auto_confirm", true}, {"route", "checkout"}};
  run.created_at = t0 + 20'150;
  std::vector<StepRecord> steps = {
      StepDef("freeze_metrics", "contain", 0, "exec", 10 * S),
      StepDef("capture_core", "contain", 1, "process.gcore", 15 * S),
      StepDef("goroutine_dump", "contain", 2, "http.get", 10 * S),
      StepDef("drain_instance", "contain", 3, "kubectl.label", 45 * S),
      StepDef("analyze_crash", "diagnose", 4, "exec", 15 * S),
      StepDef("notify_slack", "diagnose", 5, "slack.notify", 0),
      StepDef("rollback", "recover", 6, "kubectl.rollout_undo", 45 * S),
      StepDef("wait_rollout", "recover", 7, "kubectl.rollout_status", 45 * S),
      StepDef("check_health", "verify", 8, "http.get", 10 * S),
      StepDef("page_owner", "verify", 9, "pagerduty.trigger", 0),
  };
  return r.CreateRun(run, steps);
}

// How the golden run's route lets destructive steps go.
const Json kAutoConfirm = {{"by", "auto_confirm"}, {"route", "checkout"}};

Status WriteGoldenSteps(Recorder& r, int64_t t0) {
  auto T = [t0](int64_t ms) { return t0 + ms; };
  RETURN_IF(r.RunStatus(T(20'200), "running", "started by pid 4242"));
  RETURN_IF(r.Stage(T(20'210), "contain", true));
  RETURN_IF(r.Start("freeze_metrics", T(20'220)));
  RETURN_IF(r.Start("capture_core", T(20'225)));
  RETURN_IF(r.Start("goroutine_dump", T(20'230)));
  RETURN_IF(r.Approve("drain_instance", T(20'240), kAutoConfirm));
  RETURN_IF(r.Start("drain_instance", T(20'241)));
  RETURN_IF(r.Command("freeze_metrics", T(20'250),
                      {"curl", "-s", "-H", "Authorization: Bearer sk_live_51Habc123def456",
                       "http://prometheus:9090/api/v1/query?query=up"}));
  RETURN_IF(r.Command("capture_core", T(20'260),
                      {"gcore", "-o", "/var/lib/medic/runs/run-1/core", "4242"}));
  RETURN_IF(r.Command("drain_instance", T(20'270),
                      {"kubectl", "-n", "prod", "label", "pod", "checkout-7d9f-abcde",
                       "serving=false", "--overwrite"}));
  RETURN_IF(r.End("freeze_metrics", T(21'420), "succeeded"));
  RETURN_IF(r.Artifact("goroutine_dump", T(22'820), "goroutines",
                       "/var/lib/medic/runs/run-1/goroutines.txt", "", 48213,
                       "9b74c9897bac770ffc029102a200c5de0d6e1b7b5e0c4a5f3e2d1c0b9a897867"));
  RETURN_IF(r.End("goroutine_dump", T(22'830), "succeeded"));
  RETURN_IF(r.End("drain_instance", T(23'100), "succeeded"));
  RETURN_IF(r.Artifact("capture_core", T(38'500), "core", "/var/lib/medic/runs/run-1/core.4242",
                       "s3://medic-artifacts/incidents/1/core.4242.zst", 1288490188,
                       "5f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"));
  RETURN_IF(r.End("capture_core", T(38'525), "succeeded"));
  RETURN_IF(r.Stage(T(38'530), "contain", true, "succeeded"));

  RETURN_IF(r.Stage(T(38'540), "diagnose", false));
  RETURN_IF(r.Start("analyze_crash", T(38'550)));
  RETURN_IF(r.Command("analyze_crash", T(38'560),
                      {"medic", "analyze", "--json", "/var/lib/medic/runs/run-1/goroutines.txt"}));
  Json analysis = {
      {"crash_found", true},
      {"category", "nil_map_write"},
      {"recoverable", false},
      {"message", "assignment to entry in nil map"},
      {"explanation",
       "Cache.Put wrote to a nil map while reconnecting with password=hunter2-db-password"},
      {"culprit",
       {{"function", "main.(*Cache).Put"},
        {"package", "main"},
        {"file", "/src/checkout/cache.go"},
        {"line", 42}}},
      {"signature", "nil map write in main.(*Cache).Put"},
      {"occurrences", 17},
      {"buckets", Json::array({{{"count", 812}, {"state", "running"}}})},
      {"recommendation",
       {{"action", "rollback"},
        {"why", "every request on this path crashes; the previous image does not have the bug"}}},
  };
  RETURN_IF(r.End("analyze_crash", T(39'800), "succeeded", "",
                  {{"exit_code", 0}, {"stdout", analysis.dump()}, {"json", analysis}}));
  RETURN_IF(r.Start("notify_slack", T(39'810)));
  RETURN_IF(r.Retry("notify_slack", T(40'000), T(41'000), "HTTP 503"));
  RETURN_IF(r.End("notify_slack", T(43'200), "failed",
                  "POST https://slack.com/api/chat.postMessage?token=xoxb-1234-abcd5678: HTTP 503 "
                  "(db password=hunter2-db-password was not sent)"));
  RETURN_IF(r.Stage(T(43'210), "diagnose", false, "succeeded"));

  RETURN_IF(r.Stage(T(43'220), "recover", false));
  RETURN_IF(r.Approve("rollback", T(43'225), kAutoConfirm));
  RETURN_IF(r.Start("rollback", T(43'230)));
  RETURN_IF(r.Command("rollback", T(43'240),
                      {"kubectl", "-n", "prod", "rollout", "undo", "deployment/checkout"}));
  RETURN_IF(r.End("rollback", T(50'930), "succeeded"));
  RETURN_IF(r.Start("wait_rollout", T(50'940)));
  RETURN_IF(r.Command(
      "wait_rollout", T(50'950),
      {"kubectl", "-n", "prod", "rollout", "status", "deployment/checkout", "--timeout=60s"}));
  RETURN_IF(r.End("wait_rollout", T(92'100), "succeeded"));
  RETURN_IF(r.Stage(T(92'110), "recover", false, "succeeded"));

  RETURN_IF(r.Stage(T(92'120), "verify", false));
  RETURN_IF(r.Start("check_health", T(92'130)));
  RETURN_IF(
      r.Retry("check_health", T(93'200), T(94'200), "HTTP 502 from http://checkout.prod/healthz"));
  RETURN_IF(r.End("check_health", T(96'400), "succeeded"));
  RETURN_IF(r.Skip("page_owner", T(96'410), "when is false: params.page == true"));
  RETURN_IF(r.Stage(T(96'420), "verify", false, "succeeded"));
  return r.RunStatus(T(96'430), "succeeded", "succeeded");
}

// Noise at scale: a repeating alert and a second run with many short steps.
Status WriteExtra(Store& store, int64_t incident, int64_t t0, int extra) {
  // Each step records 3 events (started, command, end), the run 3 (created, started, failed).
  int steps = extra / 8;
  int alerts = std::max(0, extra - steps * 3 - 3);
  Recorder r(store, incident);
  RunRecord run;
  run.playbook = "bulk";
  run.status = medic::RunStatus::kQueued;
  run.trigger = "cli";
  run.created_at = t0 + 200 * S;
  std::vector<StepRecord> defs;
  for (int i = 0; i < steps; ++i)
    defs.push_back(
        StepDef("s" + std::to_string(i), "stage" + std::to_string(i / 100), i, "exec", 10 * S));
  RETURN_IF(r.CreateRun(run, defs));
  RETURN_IF(r.RunStatus(t0 + 200 * S + 1, "running", "started"));
  int64_t at = t0 + 201 * S;
  for (int i = 0; i < steps; ++i) {
    std::string id = "s" + std::to_string(i);
    RETURN_IF(r.Start(id, at));
    RETURN_IF(r.Command(id, at + 1, {"/bin/echo", "token=" + std::string(kFixtureSecrets[3])}));
    RETURN_IF(r.End(id, at + 40 + i % 7, i % 50 == 49 ? "failed" : "succeeded",
                    i % 50 == 49 ? "exit status 1" : ""));
    at += 50;
  }
  RETURN_IF(r.RunStatus(at, "failed", "step failed"));
  for (int i = 0; i < alerts; ++i)
    RETURN_IF(Notify(store, incident, t0 + 30 * S + i * 97, "firing", false));
  return Status::Ok();
}

}  // namespace

Result<int64_t> WriteFixtureIncident(Store& store, const FixtureOptions& options) {
  const int64_t t0 = kFixtureT0;
  IncidentRecord inc;
  inc.title = "GoPanics: checkout";
  inc.source = "alertmanager";
  inc.dedup_key = "checkout/GoPanics";
  inc.labels = {{"alertname", "GoPanics"}, {"service", "checkout"}, {"severity", "critical"}};
  inc.created_at = t0 + 20'000;
  inc.detected_at = t0;
  auto incident = store.CreateIncident(inc);
  if (!incident.ok()) return incident.status();

  Recorder r(store, *incident);
  RETURN_IF(Notify(store, *incident, t0 + 20'000, "firing", true));
  RETURN_IF(WriteGoldenRun(r, t0));
  RETURN_IF(WriteGoldenSteps(r, t0));
  RETURN_IF(Notify(store, *incident, t0 + 80'000, "firing", false, 0, " (plainsecretvalue42)"));
  RETURN_IF(Notify(store, *incident, t0 + 160'000, "resolved", false, t0 + 155'000));
  if (options.extra_events > 0) {
    // One transaction: thousands of small commits would make the benchmark slow to set up.
    RETURN_IF(
        store.Transaction([&] { return WriteExtra(store, *incident, t0, options.extra_events); }));
  }
  // As serve does once every alert of the incident has resolved.
  RETURN_IF(store.CloseIncident(*incident, t0 + 160'000, "all its alerts resolved"));
  return *incident;
}

// The incident of a webhook "rescue" run (route checkout, auto_confirm false) opened by the
// checkout alert 5 s after it started firing; the run is created, not started.
Result<int64_t> OpenRescueIncident(Store& store, const std::string& dedup_key) {
  IncidentRecord inc;
  inc.title = "GoPanics: checkout";
  inc.source = "alertmanager";
  inc.dedup_key = dedup_key;
  inc.labels = {{"alertname", "GoPanics"}, {"service", "checkout"}, {"severity", "critical"}};
  inc.created_at = kFixtureT0 + 5'000;
  inc.detected_at = kFixtureT0;
  auto incident = store.CreateIncident(inc);
  if (!incident.ok()) return incident.status();
  RETURN_IF(Notify(store, *incident, kFixtureT0 + 5'000, "firing", true));
  return *incident;
}

RunRecord RescueRun() {
  RunRecord run;
  run.playbook = "rescue";
  run.playbook_path = "/etc/medic/rescue.yaml";
  run.params = {{"service", "checkout"}};
  run.status = medic::RunStatus::kQueued;
  run.trigger = "alertmanager";
  run.options = {{"auto_confirm", false}, {"route", "checkout"}};
  run.created_at = kFixtureT0 + 5'010;
  return run;
}

Result<int64_t> WriteAwaitingApprovalIncident(Store& store) {
  const int64_t t0 = kFixtureT0;
  auto T = [t0](int64_t ms) { return t0 + ms; };
  auto incident = OpenRescueIncident(store, "checkout/GoPanics");
  if (!incident.ok()) return incident.status();
  Recorder r(store, *incident);
  RunRecord run = RescueRun();
  RETURN_IF(
      r.CreateRun(run, {StepDef("freeze_metrics", "contain", 0, "exec", 10 * S),
                        StepDef("drain_instance", "contain", 1, "kubectl.label", 45 * S),
                        StepDef("restart", "recover", 2, "kubectl.rollout_restart", 45 * S)}));
  std::string id = std::to_string(r.run_id());
  auto waiting = [&](const std::string& step) {
    return "waiting for confirmation of step '" + step + "': `medic resume " + id +
           " --yes` or `medic approve " + id + " STEP`";
  };
  RETURN_IF(r.RunStatus(T(5'100), "running", "started by pid 4242"));
  RETURN_IF(r.Stage(T(5'110), "contain", true));
  RETURN_IF(r.Start("freeze_metrics", T(5'120)));
  RETURN_IF(r.Awaiting("drain_instance", T(5'125),
                       "kubectl -n prod label pod checkout-7d9f-abcde serving=false --overwrite"));
  RETURN_IF(r.Command("freeze_metrics", T(5'130), {"/bin/echo", "checkout"}));
  RETURN_IF(r.End("freeze_metrics", T(6'200), "succeeded"));
  RETURN_IF(r.RunStatus(T(6'210), "needs_attention", waiting("drain_instance")));
  RETURN_IF(r.ApprovalGiven("drain_instance", T(40'000), "oncall"));
  RETURN_IF(r.RunStatus(T(41'000), "running", "resumed by pid 4242"));
  RETURN_IF(r.Stage(T(41'010), "contain", true));
  RETURN_IF(r.Approve(
      "drain_instance", T(41'020),
      {{"by", "medic approve"}, {"user", "oncall"}, {"given_at", FormatTimeUtc(T(40'000))}}));
  RETURN_IF(r.Start("drain_instance", T(41'030)));
  RETURN_IF(r.Command("drain_instance", T(41'040),
                      {"kubectl", "-n", "prod", "label", "pod", "checkout-7d9f-abcde",
                       "serving=false", "--overwrite"}));
  RETURN_IF(r.End("drain_instance", T(42'500), "succeeded"));
  RETURN_IF(r.Stage(T(42'510), "contain", true, "succeeded"));
  RETURN_IF(r.Stage(T(42'520), "recover", false));
  RETURN_IF(
      r.Awaiting("restart", T(42'530), "kubectl -n prod rollout restart deployment/checkout"));
  RETURN_IF(r.RunStatus(T(42'540), "needs_attention", waiting("restart")));
  RETURN_IF(Notify(store, *incident, T(65'000), "firing", false));
  return *incident;
}

Result<int64_t> WriteInterruptedIncident(Store& store) {
  const int64_t t0 = kFixtureT0;
  auto T = [t0](int64_t ms) { return t0 + ms; };
  auto incident = OpenRescueIncident(store, "checkout/GoPanics#interrupted");
  if (!incident.ok()) return incident.status();
  Recorder r(store, *incident);
  RunRecord run = RescueRun();
  RETURN_IF(
      r.CreateRun(run, {StepDef("probe", "contain", 0, "http.wait", 10 * S),
                        StepDef("restart", "recover", 1, "kubectl.rollout_restart", 45 * S)}));
  std::string id = std::to_string(r.run_id());
  RETURN_IF(r.RunStatus(T(5'100), "running", "started by pid 4242"));
  RETURN_IF(r.Stage(T(5'110), "contain", false));
  RETURN_IF(r.Start("probe", T(5'120)));
  // Ctrl-C 5 s in; `medic resume` 9 s later runs the idempotent probe again for 5 s.
  RETURN_IF(r.End("probe", T(10'120), "interrupted", "stopped by Ctrl-C"));
  RETURN_IF(r.RunStatus(T(10'130), "interrupted", "stopped by Ctrl-C"));
  RETURN_IF(r.RunStatus(T(19'100), "running", "resumed by pid 4343"));
  RETURN_IF(r.StartAgain("probe", T(19'110), T(19'120)));
  RETURN_IF(r.End("probe", T(24'120), "succeeded"));
  RETURN_IF(r.Stage(T(24'130), "contain", false, "succeeded"));
  RETURN_IF(r.Stage(T(24'140), "recover", false));
  // The restart waits 42 s for `medic approve`.
  RETURN_IF(
      r.Awaiting("restart", T(24'150), "kubectl -n prod rollout restart deployment/checkout"));
  RETURN_IF(r.RunStatus(
      T(24'160), "needs_attention",
      "waiting for confirmation of step 'restart': `medic approve " + id + " restart`"));
  RETURN_IF(r.ApprovalGiven("restart", T(66'000), "oncall"));
  RETURN_IF(r.RunStatus(T(66'900), "running", "resumed by pid 4444"));
  RETURN_IF(r.Approve(
      "restart", T(66'910),
      {{"by", "medic approve"}, {"user", "oncall"}, {"given_at", FormatTimeUtc(T(66'000))}}));
  RETURN_IF(r.Start("restart", T(66'920)));
  RETURN_IF(r.End("restart", T(69'000), "succeeded"));
  RETURN_IF(r.Stage(T(69'010), "recover", false, "succeeded"));
  RETURN_IF(r.RunStatus(T(69'020), "succeeded", ""));
  return *incident;
}

}  // namespace medic::testing
