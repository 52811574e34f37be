#include "server/run_workers.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "base/redact.h"
#include "base/strings.h"
#include "playbooks/runner.h"

namespace medic {
namespace {

// Logs a run's progress and measures how long its alert waited for the first step.
class WorkerObserver : public RunObserver {
 public:
  WorkerObserver(int64_t run_id, int64_t trigger_mono_ms, Clock& clock, Metrics& metrics)
      : run_id_(run_id), trigger_mono_ms_(trigger_mono_ms), clock_(clock), metrics_(metrics) {}

  void OnStepStart(const StepDef& def, const StepRecord& rec) override {
    if (trigger_mono_ms_ > 0 && !first_started_.exchange(true))
      metrics_.ObserveTriggerToStart(static_cast<double>(clock_.MonotonicMs() - trigger_mono_ms_) /
                                     1000.0);
    if (rec.attempts <= 1) spdlog::debug("run {}: step '{}' started", run_id_, def.id);
  }
  void OnStepEnd(const StepDef& def, const StepRecord& rec) override {
    spdlog::info("run {}: step '{}' {}{}{}", run_id_, def.id, ToString(rec.status),
                 rec.ended_at > 0 && rec.status != StepStatus::kSkipped
                     ? " in " + FormatDurationMs(rec.duration_ms)
                     : "",
                 rec.error.empty() ? "" : ": " + rec.error.substr(0, 300));
  }
  void OnNote(const std::string& note) override {
    spdlog::info("run {}: {}", run_id_, Redact(note));
  }

 private:
  int64_t run_id_;
  int64_t trigger_mono_ms_;
  Clock& clock_;
  Metrics& metrics_;
  std::atomic<bool> first_started_{false};
};

}  // namespace

Result<ProcessResult> DrainingProcessRunner::Run(const ProcessSpec& spec,
                                                 const CancelToken* /*cancel*/,
                                                 const std::function<Status(pid_t)>& on_started) {
  return real_.Run(spec, &hard_stop_, on_started);
}

RunWorkers::RunWorkers(WorkerServices services, int count)
    : s_(std::move(services)), count_(count), processes_(*s_.env.processes, hard_stop_) {}

RunWorkers::~RunWorkers() {
  if (!threads_.empty()) Shutdown(0);
}

void RunWorkers::Start() {
  for (int i = 0; i < count_; ++i) threads_.emplace_back([this] { Loop(); });
}

bool RunWorkers::IsActive(int64_t run_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.count(run_id) > 0;
}

size_t RunWorkers::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.size();
}

int RunWorkers::Shutdown(int64_t drain_ms) {
  s_.queue->Close();
  int left = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!idle_.wait_for(lock, std::chrono::milliseconds(drain_ms),
                        [&] { return active_.empty(); })) {
      left = static_cast<int>(active_.size());
      spdlog::warn(
          "{} run(s) still running after the {} drain timeout: stopping their processes; "
          "they are recorded as interrupted and resume on the next start",
          left, FormatDurationMs(drain_ms));
    }
  }
  hard_stop_.Cancel();
  for (auto& t : threads_) t.join();
  threads_.clear();
  return left;
}

void RunWorkers::Loop() {
  for (;;) {
    auto queued = s_.queue->Pop();
    if (!queued) return;
    // A run taken after SIGTERM stays queued in the record for the next start.
    if (s_.soft_stop->cancelled()) return;
    DriveOne(*queued);
    s_.queue->Finish(*queued);
  }
}

void RunWorkers::DriveOne(const QueuedRun& queued) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!active_.insert(queued.run_id).second) return;  // queued twice; one drive is enough
  }
  WorkerObserver observer(queued.run_id, queued.trigger_mono_ms, *s_.env.clock, *s_.metrics);
  Env env = s_.env;
  env.processes = &processes_;
  Runner runner({.env = env,
                 .store = s_.store,
                 .registry = s_.registry,
                 .cancel = s_.soft_stop,
                 .observer = &observer});
  RunOptions options;  // no `yes`, no `ask`: nobody is at a terminal
  options.work_root = s_.work_root;
  options.playbook = queued.playbook;
  options.expect = queued.expect;
  options.lease = s_.lease;
  s_.metrics->RunStarted();
  auto run = runner.Drive(queued.run_id, options);
  s_.metrics->RunEnded();
  Code code = run.ok() ? Code::kOk : run.status().code();
  if (code != Code::kFailedPrecondition && code != Code::kNotFound) s_.metrics->CountLease("claim");
  if (code == Code::kLost) s_.metrics->CountLease("fence_lost");
  if (code == Code::kFailedPrecondition) {
    // Another serve, or a `medic resume`, took it on first; nothing is lost.
    spdlog::info("run {} not driven here: {}", queued.run_id, Redact(run.status().message()));
  } else if (!run.ok()) {
    spdlog::warn("run {} not driven: {}", queued.run_id, Redact(run.status().message()));
  } else {
    s_.metrics->CountRun(ToString(run->status));
    if (s_.on_run_end) s_.on_run_end(*run);
    if (run->status == RunStatus::kSucceeded)
      spdlog::info("run {} ({}) succeeded", run->id, run->playbook);
    else
      spdlog::warn("run {} ({}) {}: {}", run->id, run->playbook, ToString(run->status), run->error);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(queued.run_id);
  }
  idle_.notify_all();
}

}  // namespace medic
