#include "playbooks/runner.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "base/redact.h"
#include "base/strings.h"
#include "lang/template.h"
#include "playbooks/approval.h"
#include "store/states.h"

namespace medic {
namespace {

template <typename T>
bool Contains(const std::vector<T>& v, const T& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool Terminal(const StepRecord& rec) { return IsFinal(rec.status); }

// What a succeeded run does not say by its status: the steps that failed and were let go
// (on_failure: continue) and the steps skipped because what they need is not configured. A
// step skipped by its `when:` (no error) was a decision, not a warning.
Json Warnings(const Playbook& pb, const std::map<std::string, StepRecord>& records) {
  Json out = Json::array();
  for (const StepDef* def : pb.Steps()) {
    const StepRecord& rec = records.at(def->id);
    bool let_go = (rec.status == StepStatus::kFailed || rec.status == StepStatus::kTimedOut) &&
                  def->on_failure == OnFailure::kContinue;
    bool not_configured = rec.status == StepStatus::kSkipped && !rec.error.empty();
    if (let_go || not_configured)
      out.push_back({{"step", def->id}, {"status", ToString(rec.status)}, {"reason", rec.error}});
  }
  return out;
}

// Stored outputs are capped so one chatty step cannot bloat the record.
constexpr size_t kMaxStoredOutputBytes = 2 << 20;

// A step's output is whatever bytes its process printed; what is stored (and what later
// steps, templates and views read) is valid UTF-8, with U+FFFD for what was not.
Json StoredOutputs(const Json& outputs) {
  std::string text = RedactJson(outputs).dump(-1, ' ', false, Json::error_handler_t::replace);
  Json redacted = Json::parse(text);
  if (text.size() <= kMaxStoredOutputBytes) return redacted;
  Json out = Json::object();
  for (auto it = redacted.begin(); it != redacted.end(); ++it) {
    std::string text = it->dump();
    out[it.key()] = text.size() > kMaxStoredOutputBytes / 4
                        ? Json("[" + std::to_string(text.size()) + " bytes, not stored]")
                        : *it;
  }
  return out;
}

}  // namespace

// The StepContext handed to an action for one attempt.
class Runner::Context : public StepContext {
 public:
  Context(Runner& r, const StepDef& def, StepRecord& rec, int64_t deadline)
      : r_(r), def_(def), rec_(rec), deadline_(deadline) {}

  int64_t run_id() const override { return r_.run_.id; }
  int64_t incident_id() const override { return r_.run_.incident_id; }
  const std::string& step_id() const override { return def_.id; }
  const std::string& work_dir() const override { return r_.work_dir_; }
  const CancelToken& cancel() const override { return r_.cancel(); }
  int64_t RemainingMs() override {
    if (deadline_ == INT64_MAX) return INT64_MAX / 4;
    return std::max<int64_t>(0, deadline_ - r_.s_.env.clock->MonotonicMs());
  }
  const Env& env() const override { return r_.s_.env; }
  int max_targets() const override { return def_.max_targets.value_or(1); }

  Status OnProcessStarted(pid_t pgid, const std::vector<std::string>& argv) override {
    Json redacted = Json::array();
    for (const auto& a : argv) redacted.push_back(Redact(a));
    rec_.pgid = pgid;
    rec_.pgid_start = ProcessStartTicks(pgid);
    rec_.pgid_host = ThisHost();
    rec_.commands.push_back(redacted);
    {
      std::lock_guard<std::mutex> lock(r_.mu_);
      r_.groups_[pgid] = rec_.pgid_start;
    }
    std::vector<std::string> shown;
    for (const auto& a : redacted) shown.push_back(a.get<std::string>());
    return r_.Save(rec_, EventKind::kStepCommand, QuoteArgv(shown),
                   {{"argv", redacted}, {"pgid", pgid}});
  }

  void Progress(const std::string& message) override {
    if (r_.s_.observer) r_.s_.observer->OnStepProgress(def_, Redact(message));
  }

  Status AddArtifact(const ArtifactInfo& a) override {
    ArtifactRecord rec;
    rec.run_id = r_.run_.id;
    rec.step_id = def_.id;
    rec.kind = a.kind;
    rec.path = a.path;
    rec.url = Redact(a.url);
    rec.size = a.size;
    rec.sha256 = a.sha256;
    rec.description = Redact(a.description);
    rec.created_at = r_.s_.env.clock->NowUnixMs();
    return r_.Write([&]() -> Status {
      auto id = r_.s_.store->AddArtifact(rec);
      if (!id.ok()) return id.status();
      EventRecord e;
      e.incident_id = r_.run_.incident_id;
      e.run_id = r_.run_.id;
      e.step_id = def_.id;
      e.at = rec.created_at;
      e.kind = EventKind::kArtifactAdded;
      e.message = a.kind + " " + (rec.url.empty() ? rec.path : rec.url);
      e.data = {{"artifact_id", *id}, {"kind", a.kind}, {"path", rec.path},
                {"url", rec.url},     {"size", a.size}, {"sha256", a.sha256}};
      return r_.s_.store->AddEvent(e);
    });
  }

 private:
  Runner& r_;
  const StepDef& def_;
  StepRecord& rec_;
  int64_t deadline_;
};

Result<int64_t> CreateRun(Store& store, Clock& clock, const Playbook& pb, const Json& params,
                          const std::string& trigger, int64_t incident_id, const Json& options,
                          const RunClaim* hold) {
  int64_t now = clock.NowUnixMs();
  if (incident_id == 0) {
    IncidentRecord inc;
    inc.title = pb.name;
    if (params.contains("service") && params["service"].is_string() &&
        !params["service"].get<std::string>().empty())
      inc.title += ": " + params["service"].get<std::string>();
    inc.source = trigger;
    inc.created_at = now;
    inc.detected_at = now;
    auto id = store.CreateIncident(inc);
    if (!id.ok()) return id.status();
    incident_id = *id;
  }
  RunRecord run;
  run.incident_id = incident_id;
  run.playbook = pb.name;
  run.playbook_path = pb.path;
  run.playbook_source = pb.source;
  run.params = RedactJson(params);
  run.status = RunStatus::kQueued;
  run.trigger = trigger;
  run.options = options;
  run.created_at = now;
  if (hold) {
    run.owner_host = hold->host;
    run.owner_pid = hold->pid;
    run.owner_start = hold->start;
    run.lease_until = hold->now_ms + hold->lease_ms;
  }
  std::vector<StepRecord> steps;
  for (const StepDef* def : pb.Steps()) {
    StepRecord s;
    s.step_id = def->id;
    s.stage = def->stage;
    s.position = def->position;
    s.action = def->action;
    s.budget_ms = def->budget_ms;
    steps.push_back(s);
  }
  return store.CreateRun(run, steps);
}

Status Runner::Save(StepRecord& rec, EventKind kind, const std::string& message, Json data) {
  EventRecord e;
  e.incident_id = run_.incident_id;
  e.run_id = run_.id;
  e.step_id = rec.step_id;
  e.at = s_.env.clock->NowUnixMs();
  e.kind = kind;
  e.message = Redact(message);
  e.data = RedactJson(data);
  return Write([&] { return s_.store->SaveStep(rec, &e); });
}

Status Runner::Write(const std::function<Status()>& body) {
  if (lost_)
    return Status::Lost("run " + std::to_string(run_.id) + " was claimed by another medic");
  Status st = s_.store->Transaction([&]() -> Status {
    MEDIC_RETURN_IF_ERROR(s_.store->CheckFence(run_.id, run_.fence));
    return body();
  });
  if (st.code() == Code::kLost) OnLost(st.message());
  return st;
}

void Runner::OnLost(const std::string& why) {
  if (lost_.exchange(true)) return;
  run_cancel_->Cancel();
  std::map<pid_t, uint64_t> groups;
  {
    std::lock_guard<std::mutex> lock(mu_);
    groups = groups_;
  }
  for (const auto& [pgid, start] : groups) KillStepGroup(pgid, start);
  if (s_.observer)
    s_.observer->OnNote("lost the run: " + why + "; stopped driving it" +
                        (groups.empty() ? "" : " and killed its step processes"));
}

Result<Json> Runner::Resolve(const std::string& path) {
  // PlaybookScope() has matched the shape; this only finds the run's data.
  return PlaybookScope().Resolve(path, [this](const Ref& ref) -> Result<Json> {
    if (ref.root == "params") {
      if (const Json* v = JsonAtPath(run_.params, ref.Below())) return *v;
    } else if (ref.root == "steps") {
      std::lock_guard<std::mutex> lock(mu_);
      auto rec = records_.find(ref.args[0]);
      if (rec != records_.end()) {
        if (ref.shape == "ID.status") return Json(ToString(rec->second.status));
        auto live = outputs_.find(ref.args[0]);
        const Json& outputs = live != outputs_.end() ? live->second : rec->second.outputs;
        if (const Json* v = JsonAtPath(outputs, ref.Below())) return *v;
      }
    } else if (ref.root == "env") {
      if (auto v = s_.env.vars->Get(ref.args[0])) {
        if (LooksSecretName(ref.args[0])) RegisterSecret(*v);
        return Json(*v);
      }
    } else if (ref.shape == "id") {
      return Json(ref.root == "run" ? run_.id : run_.incident_id);
    } else if (ref.shape == "detected_at") {
      // The first alert's startsAt; an incident opened by hand was detected when it was opened.
      auto incident = s_.store->GetIncident(run_.incident_id);
      if (!incident.ok()) return incident.status();
      int64_t at = incident->detected_at ? incident->detected_at : incident->created_at;
      return Json(FormatTimeUtc(at));
    }
    return Status::NotFound("'" + ref.path + "' has no value");
  });
}

bool Runner::Move(StepRecord& rec, StepStatus to) {
  StepStatus from = rec.status;
  if (!CanMove(from, to)) {
    if (s_.observer)
      s_.observer->OnNote("medic bug: step '" + rec.step_id + "' may not go from " +
                          ToString(from) + " to " + ToString(to));
    return false;
  }
  rec.status = to;
  return true;
}

void Runner::Finish(StepRecord& rec, StepStatus to, const std::string& error, int64_t mono_start) {
  Move(rec, to);
  std::string status = ToString(to);
  rec.error = Redact(error);
  rec.ended_at = s_.env.clock->NowUnixMs();
  rec.duration_ms = s_.env.clock->MonotonicMs() - mono_start;
  rec.over_budget = rec.budget_ms > 0 && rec.duration_ms > rec.budget_ms;
  if (rec.pgid > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    groups_.erase(static_cast<pid_t>(rec.pgid));
  }
  rec.pgid = 0;
  rec.pgid_start = 0;
  rec.pgid_host.clear();
  Json data = {{"status", status}, {"attempts", rec.attempts}, {"duration_ms", rec.duration_ms}};
  if (rec.budget_ms > 0) {
    data["budget_ms"] = rec.budget_ms;
    data["over_budget"] = rec.over_budget;
  }
  std::string msg = status + " in " + FormatDurationMs(rec.duration_ms);
  if (rec.over_budget) msg += " (over its " + FormatDurationMs(rec.budget_ms) + " budget)";
  if (!error.empty()) msg += ": " + error;
  Status st = Save(rec, EventFor(to), msg, data);
  if (!st.ok() && s_.observer) s_.observer->OnNote("could not record step end: " + st.message());
}

Runner::Outcome Runner::Attempts(const StepDef& def, const Action& action, const Json& with,
                                 StepRecord& rec) {
  int64_t mono_start = s_.env.clock->MonotonicMs();
  if (rec.started_at == 0) rec.started_at = s_.env.clock->NowUnixMs();
  int64_t delay = def.retry_delay_ms;
  Json outputs = Json::object();
  Status result;
  int64_t attempt_ended_at = 0;  // when the previous attempt failed (unix ms)
  for (int attempt = 1; attempt <= def.retries + 1; ++attempt) {
    rec.attempts += 1;
    Move(rec, StepStatus::kRunning);
    // The running state is durable before the action does anything. A retry says when the
    // attempt before it ended, so a timeline can draw the wait between them.
    Json data = {{"attempt", rec.attempts}};
    if (attempt > 1) data["previous_ended_at"] = attempt_ended_at;
    Status saved =
        Save(rec, attempt == 1 ? EventKind::kStepStarted : EventKind::kStepRetry,
             attempt == 1 ? "started"
                          : "attempt " + std::to_string(attempt) + " after: " + result.message(),
             data);
    if (!saved.ok()) {
      Finish(rec, StepStatus::kFailed, "cannot record the step: " + saved.message(), mono_start);
      return Outcome::kFailedAbort;
    }
    if (s_.observer) s_.observer->OnStepStart(def, rec);
    int64_t deadline =
        def.timeout_ms > 0 ? s_.env.clock->MonotonicMs() + def.timeout_ms : INT64_MAX;
    Context ctx(*this, def, rec, deadline);
    outputs = Json::object();
    try {
      result = const_cast<Action&>(action).Run(with, ctx, outputs);
    } catch (const std::exception& e) {
      result = Status::Internal(std::string("action failed unexpectedly: ") + e.what());
    }
    if (result.ok() && def.timeout_ms > 0 && ctx.RemainingMs() <= 0)
      result = Status::Timeout("exceeded its " + FormatDurationMs(def.timeout_ms) + " timeout");
    {
      std::lock_guard<std::mutex> lock(mu_);
      outputs_[def.id] = outputs;
    }
    rec.outputs = StoredOutputs(outputs);
    if (result.ok()) {
      Finish(rec, StepStatus::kSucceeded, "", mono_start);
      return Outcome::kDone;
    }
    if (result.code() == Code::kSkipped && def.required) {
      // A check that could not run has not verified anything: the run must not say it did.
      Finish(rec, StepStatus::kFailed, "required, but " + result.message(), mono_start);
      return Outcome::kFailedAbort;
    }
    if (result.code() == Code::kSkipped) {
      Finish(rec, StepStatus::kSkipped, result.message(), mono_start);
      return Outcome::kDone;
    }
    if (result.code() == Code::kCancelled || cancel().cancelled()) {
      int sig = ScopedSignalCancel::received_signal();
      Finish(rec, StepStatus::kInterrupted,
             sig == SIGINT    ? "stopped by Ctrl-C"
             : sig == SIGTERM ? "stopped by SIGTERM"
                              : "stopped",
             mono_start);
      return Outcome::kInterrupted;
    }
    bool retryable = result.code() != Code::kInvalidArgument && result.code() != Code::kNotFound;
    if (attempt <= def.retries && retryable) {
      attempt_ended_at = s_.env.clock->NowUnixMs();
      if (s_.observer)
        s_.observer->OnStepProgress(def, "attempt " + std::to_string(attempt) +
                                             " failed: " + Redact(result.message()) +
                                             "; retrying in " + FormatDurationMs(delay));
      if (!cancel().SleepFor(delay)) {
        Finish(rec, StepStatus::kInterrupted, "stopped during retry backoff", mono_start);
        return Outcome::kInterrupted;
      }
      delay *= 2;
      continue;
    }
    break;
  }
  Finish(rec, result.code() == Code::kTimeout ? StepStatus::kTimedOut : StepStatus::kFailed,
         result.message(), mono_start);
  return def.on_failure == OnFailure::kContinue ? Outcome::kDone : Outcome::kFailedAbort;
}

Runner::Outcome Runner::ExecuteStep(const StepDef& def, const RunOptions& options) {
  StepRecord& rec = records_.at(def.id);
  Action* action = s_.registry->Find(def.action);
  auto resolver = [this](const std::string& p) { return Resolve(p); };
  int64_t mono_start = s_.env.clock->MonotonicMs();
  if (!action) {
    Finish(rec, StepStatus::kFailed, "unknown action '" + def.action + "'", mono_start);
    return Outcome::kFailedAbort;
  }
  if (def.when_expr) {
    auto go = def.when_expr->Evaluate(resolver);
    if (!go.ok()) {
      Finish(rec, StepStatus::kFailed, "'when' could not be evaluated: " + go.status().message(),
             mono_start);
      return def.on_failure == OnFailure::kContinue ? Outcome::kDone : Outcome::kFailedAbort;
    }
    if (!*go) {
      rec.started_at = rec.ended_at = s_.env.clock->NowUnixMs();
      Move(rec, StepStatus::kSkipped);
      rec.error = "";
      (void)Save(rec, EventKind::kStepSkipped, "when is false: " + def.when, {{"when", def.when}});
      if (s_.observer) s_.observer->OnStepEnd(def, rec);
      return Outcome::kDone;
    }
  }
  auto rendered = RenderJson(def.with, resolver);
  Result<Json> with =
      rendered.ok() ? NormalizeParams(action->info(), *rendered) : Result<Json>(rendered.status());
  if (!with.ok()) {
    rec.attempts += 1;
    if (rec.started_at == 0) rec.started_at = s_.env.clock->NowUnixMs();
    Finish(rec, StepStatus::kFailed, "bad parameters: " + with.status().message(), mono_start);
    if (s_.observer) s_.observer->OnStepEnd(def, rec);
    return def.on_failure == OnFailure::kContinue ? Outcome::kDone : Outcome::kFailedAbort;
  }
  // Secrets written straight into a playbook are known as such from the schema.
  for (const auto& name : action->info().secret_params) {
    if (with->contains(name) && (*with)[name].is_string())
      RegisterSecret((*with)[name].get<std::string>());
  }
  bool needs_confirm = def.confirm.value_or(action->info().destructive);
  if (needs_confirm && !rec.approved) {
    Json approval = StandingApproval(options.yes, run_.options);
    if (approval.is_null() && options.ask) {
      if (!options.ask(def, action->Plan(*with))) {
        Move(rec, StepStatus::kSkipped);
        rec.started_at = rec.ended_at = s_.env.clock->NowUnixMs();
        (void)Save(rec, EventKind::kStepSkipped, "declined by the operator");
        if (s_.observer) s_.observer->OnStepEnd(def, rec);
        return Outcome::kDone;
      }
      approval = {{"by", "terminal"}};
    }
    if (approval.is_null()) {
      (void)Save(rec, EventKind::kStepAwaitingApproval,
                 "needs confirmation: " + Join(action->Plan(*with), "; "));
      if (s_.observer)
        s_.observer->OnNote("step '" + def.id +
                            "' changes production and needs confirmation: run `medic approve " +
                            std::to_string(run_.id) + " " + def.id + "` or `medic resume " +
                            std::to_string(run_.id) + " --yes`");
      return Outcome::kAwaiting;
    }
    if (approval["by"] != "auto_confirm" && !options.user.empty()) approval["user"] = options.user;
    rec.approved = true;
    (void)Save(rec, EventKind::kStepApproved, DescribeApproval(approval), approval);
  } else if (needs_confirm) {
    // Approved outside this runner (`medic approve`): recorded once, as the step goes.
    Json approval = UnrecordedApproval(*s_.store, run_.id, def.id);
    if (!approval.is_null())
      (void)Save(rec, EventKind::kStepApproved, DescribeApproval(approval), approval);
  }
  Outcome outcome = Attempts(def, *action, *with, rec);
  if (s_.observer) s_.observer->OnStepEnd(def, rec);
  return outcome;
}

Result<RunRecord> Runner::Drive(int64_t run_id, const RunOptions& options) {
  auto loaded = s_.store->GetRun(run_id);
  if (!loaded.ok()) return loaded.status();
  RunStatus was = loaded->status;
  if (was == RunStatus::kSucceeded)
    return Status::Precondition("run " + std::to_string(run_id) +
                                " already succeeded; nothing to resume");
  bool resets = !options.retry_steps.empty() || !options.skip_steps.empty();
  if (was == RunStatus::kFailed && !resets)
    return Status::Precondition("run " + std::to_string(run_id) + " failed: " + loaded->error +
                                "\nto run a failed step again: medic resume " +
                                std::to_string(run_id) + " --retry STEP");
  // The claim is the one atomic check: two medics that both read the run above as theirs
  // to drive cannot both get past it.
  std::vector<RunStatus> claimable;
  for (RunStatus from : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kInterrupted,
                         RunStatus::kNeedsAttention, RunStatus::kFailed})
    if (CanMove(from, RunStatus::kRunning) && (from != RunStatus::kFailed || resets))
      claimable.push_back(from);
  if (!options.expect.empty()) {
    std::vector<RunStatus> both;
    for (RunStatus st : options.expect)
      if (Contains(claimable, st)) both.push_back(st);
    claimable = both;
  }
  auto claimed =
      s_.store->ClaimRun(run_id, ClaimByThisProcess(*s_.env.clock, options.lease, claimable));
  if (!claimed.ok()) return claimed.status();
  run_ = *claimed;
  lost_ = false;
  run_cancel_ = std::make_unique<CancelToken>();
  LeaseKeeper keeper(*s_.store, *s_.env.clock, run_.id, run_.fence, options.lease, *s_.cancel,
                     *run_cancel_, [this](const std::string& why) { OnLost(why); });

  Playbook pb;
  if (options.playbook && options.playbook->source == run_.playbook_source) {
    pb = *options.playbook;
  } else {
    auto parsed = ParsePlaybook(run_.playbook_source, run_.playbook_path, *s_.registry);
    if (!parsed.ok()) return parsed.status().WithContext("the run's playbook no longer loads");
    pb = std::move(*parsed);
  }
  pb_ = &pb;
  auto steps = s_.store->GetSteps(run_id);
  if (!steps.ok()) return steps.status();
  records_.clear();
  outputs_.clear();
  for (auto& rec : *steps) records_[rec.step_id] = rec;
  for (const StepDef* def : pb.Steps()) {
    if (!records_.count(def->id))
      return Status::Internal("run " + std::to_string(run_id) + " has no record of step " +
                              def->id);
  }
  for (const auto& id : options.retry_steps)
    if (!pb.FindStep(id)) return Status::Invalid("--retry: the playbook has no step '" + id + "'");
  for (const auto& id : options.skip_steps)
    if (!pb.FindStep(id)) return Status::Invalid("--skip: the playbook has no step '" + id + "'");

  work_dir_ = (options.work_root.empty() ? std::string("/tmp/medic") : options.work_root) +
              "/run-" + std::to_string(run_id);
  std::error_code ec;
  std::filesystem::create_directories(work_dir_, ec);
  if (ec) return Status::Io("cannot create " + work_dir_ + ": " + ec.message());

  bool resumed = run_.started_at != 0;
  run_.status = RunStatus::kRunning;
  run_.error.clear();
  if (run_.started_at == 0) run_.started_at = s_.env.clock->NowUnixMs();
  EventRecord start;
  start.incident_id = run_.incident_id;
  start.run_id = run_.id;
  start.at = s_.env.clock->NowUnixMs();
  start.kind = resumed ? EventKind::kRunResumed : EventKind::kRunStarted;
  start.message = (resumed ? "resumed by pid " : "started by pid ") + std::to_string(getpid()) +
                  " on " + ThisHost();
  start.data = {{"host", ThisHost()}, {"pid", run_.owner_pid}, {"fence", run_.fence}};
  MEDIC_RETURN_IF_ERROR(Write([&] { return s_.store->SaveRun(run_, &start); }));

  bool attention = false;
  MEDIC_RETURN_IF_ERROR(Recover(run_, pb, options, &attention));

  bool failed = false, awaiting = false, interrupted = false;
  std::string fail_reason;
  if (!attention) {
    for (const StageDef& stage : pb.stages) {
      std::vector<const StepDef*> todo;
      for (const auto& def : stage.steps)
        if (records_.at(def.id).status == StepStatus::kPending) todo.push_back(&def);
      if (todo.empty()) continue;
      if (s_.observer) s_.observer->OnStageStart(stage);
      EventRecord se;
      se.incident_id = run_.incident_id;
      se.run_id = run_.id;
      se.at = s_.env.clock->NowUnixMs();
      se.kind = EventKind::kStageStarted;
      se.message = stage.name;
      se.data = {{"stage", stage.name}, {"parallel", stage.parallel}};
      MEDIC_RETURN_IF_ERROR(Write([&] { return s_.store->AddEvent(se); }));

      std::vector<Outcome> outcomes(todo.size(), Outcome::kDone);
      if (stage.parallel && todo.size() > 1) {
        std::vector<std::thread> threads;
        for (size_t i = 0; i < todo.size(); ++i)
          threads.emplace_back([&, i] { outcomes[i] = ExecuteStep(*todo[i], options); });
        for (auto& t : threads) t.join();
      } else {
        for (size_t i = 0; i < todo.size(); ++i) {
          outcomes[i] = ExecuteStep(*todo[i], options);
          if (outcomes[i] != Outcome::kDone) break;
          if (cancel().cancelled()) {
            outcomes[i] = Outcome::kInterrupted;
            break;
          }
        }
      }
      for (size_t i = 0; i < todo.size(); ++i) {
        if (outcomes[i] == Outcome::kFailedAbort && !failed) {
          failed = true;
          fail_reason = "step '" + todo[i]->id + "' " + ToString(records_.at(todo[i]->id).status) +
                        ": " + records_.at(todo[i]->id).error;
        }
        awaiting = awaiting || outcomes[i] == Outcome::kAwaiting;
        interrupted = interrupted || outcomes[i] == Outcome::kInterrupted;
      }
      interrupted = interrupted || cancel().cancelled();
      bool stage_done = std::all_of(stage.steps.begin(), stage.steps.end(),
                                    [&](const StepDef& d) { return Terminal(records_.at(d.id)); });
      if (stage_done) {
        EventRecord fe = se;
        fe.at = s_.env.clock->NowUnixMs();
        fe.kind = EventKind::kStageFinished;
        fe.data["status"] = ToString(failed ? StepStatus::kFailed : StepStatus::kSucceeded);
        MEDIC_RETURN_IF_ERROR(Write([&] { return s_.store->AddEvent(fe); }));
      }
      if (failed || awaiting || interrupted) break;
    }
  }

  RunStatus status = RunStatus::kSucceeded;
  if (interrupted) {
    status = RunStatus::kInterrupted;
    run_.error = "interrupted; continue with `medic resume " + std::to_string(run_.id) + "`";
  } else if (failed) {
    status = RunStatus::kFailed;
    run_.error = Redact(fail_reason);
  } else if (attention || awaiting) {
    status = RunStatus::kNeedsAttention;
    if (run_.error.empty()) {
      std::vector<std::string> waiting;
      for (const StepDef* def : pb.Steps())
        if (records_.at(def->id).status == StepStatus::kPending && !records_.at(def->id).approved) {
          waiting.push_back(def->id);
          break;
        }
      run_.error = "waiting for confirmation of step '" +
                   (waiting.empty() ? std::string("?") : waiting[0]) + "': `medic resume " +
                   std::to_string(run_.id) + " --yes` or `medic approve " +
                   std::to_string(run_.id) + " STEP`";
    }
  }
  run_.warnings = Warnings(pb, records_);
  if (!CanMove(RunStatus::kRunning, status))
    return Status::Internal("medic bug: a run may not go from running to " +
                            std::string(ToString(status)));
  run_.status = status;
  run_.ended_at = status == RunStatus::kNeedsAttention ? 0 : s_.env.clock->NowUnixMs();
  if (lost_) return Status::Lost("lost run " + std::to_string(run_.id) + " to another medic");
  run_.owner_host.clear();
  run_.owner_pid = 0;
  run_.owner_start = 0;
  run_.lease_until = 0;
  EventRecord end;
  end.incident_id = run_.incident_id;
  end.run_id = run_.id;
  end.at = s_.env.clock->NowUnixMs();
  end.kind = EventFor(status);
  end.message = run_.error.empty() ? ToString(run_.status) : run_.error;
  MEDIC_RETURN_IF_ERROR(Write([&] { return s_.store->SaveRun(run_, &end); }));
  pb_ = nullptr;
  return run_;
}

}  // namespace medic
