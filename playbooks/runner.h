// The runner: drives a run through its stages, one step after another or in parallel,
// with timeouts, retries, `when`, confirmation and budgets, writing every state change to
// the record as it happens. The same Drive() starts a fresh run and resumes one whose
// medic died: succeeded steps never repeat, leftover process groups are stopped first,
// interrupted steps re-run only when idempotent. Start with Runner::Drive.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/cancel.h"
#include "base/json.h"
#include "base/status.h"
#include "env/env.h"
#include "integrations/action.h"
#include "playbooks/lease.h"
#include "playbooks/playbook.h"
#include "store/states.h"
#include "store/store.h"

namespace medic {

/// Receives live progress. Called from step threads: implementations must be thread-safe.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnStageStart(const StageDef&) {}
  virtual void OnStepStart(const StepDef&, const StepRecord&) {}
  virtual void OnStepProgress(const StepDef&, const std::string& /*message*/) {}
  virtual void OnStepEnd(const StepDef&, const StepRecord&) {}
  /// A note for the person watching ("step 'restart' awaits confirmation").
  virtual void OnNote(const std::string&) {}
};

/// Asks the operator to confirm a destructive step; `plan` lists what it would run.
/// Returns true to go ahead.
using ConfirmFn = std::function<bool(const StepDef& step, const std::vector<std::string>& plan)>;

struct RunOptions {
  bool yes = false;                      ///< approve every step that needs confirmation
  ConfirmFn ask;                         ///< interactive confirmation; null: none
  std::string user;                      ///< who runs medic ($USER), named in approvals
  std::vector<std::string> retry_steps;  ///< resume: run these again
  std::vector<std::string> skip_steps;   ///< resume: mark these skipped
  std::string work_root;                 ///< runs' files go to WORK_ROOT/run-ID
  /// The run's playbook when the caller has it loaded already; used only when its source
  /// is the run's recorded source (saves parsing it again).
  const Playbook* playbook = nullptr;
  /// The statuses the run must be in to be claimed (serve: what it was queued for); empty:
  /// any that can go on.
  std::vector<RunStatus> expect;
  LeaseTiming lease;
};

/// What the runner works with; all must outlive the Runner.
struct RunServices {
  Env env;  ///< the machine: clock, processes, HTTP, files, variables
  Store* store = nullptr;
  const Registry* registry = nullptr;
  CancelToken* cancel = nullptr;    ///< the caller's stop (Ctrl-C, serve shutting down)
  RunObserver* observer = nullptr;  ///< may be null
};

/// Records a new run of `playbook` with bound `params` and its pending steps; creates an
/// incident titled after the playbook when incident_id is 0. Returns the run id.
/// `options` is stored with the run ({"auto_confirm": true} lets destructive steps go).
/// `hold`: the run is created queued with its lease held by that owner (medic serve, whose
/// queue will drive it and which renews the lease while it waits), so that another replica
/// takes it over only once the creator has died.
Result<int64_t> CreateRun(Store& store, Clock& clock, const Playbook& playbook, const Json& params,
                          const std::string& trigger, int64_t incident_id,
                          const Json& options = Json::object(), const RunClaim* hold = nullptr);

class Runner {
 public:
  explicit Runner(RunServices services) : s_(services) {}

  /// Drives run `run_id` until it ends, fails, needs attention, or is cancelled, and
  /// returns its final record. Claims the run first (playbooks/lease.h): fails without
  /// touching the run when it already ended or another live medic holds it, and with kLost,
  /// having stopped its steps, when another medic claims it while this one drives it.
  Result<RunRecord> Drive(int64_t run_id, const RunOptions& options);

 private:
  enum class Outcome { kDone, kFailedAbort, kAwaiting, kInterrupted };
  class Context;

  /// Makes a run left behind by a dead medic safe to drive again (playbooks/recovery.cc).
  Status Recover(RunRecord& run, const Playbook& pb, const RunOptions& options,
                 bool* needs_attention);
  Outcome ExecuteStep(const StepDef& def, const RunOptions& options);
  Outcome Attempts(const StepDef& def, const Action& action, const Json& with, StepRecord& rec);
  Result<Json> Resolve(const std::string& path);
  Status Save(StepRecord& rec, EventKind kind, const std::string& message,
              Json data = Json::object());
  /// Moves the step to `to` when the state machine allows it (store/states.h); otherwise
  /// leaves it and says so: a move it refuses is a bug in medic.
  bool Move(StepRecord& rec, StepStatus to);
  /// Runs `body` in a transaction that holds only while this runner still holds the run.
  Status Write(const std::function<Status()>& body);
  /// Another driver claimed the run: stop at once and kill the step processes started here.
  void OnLost(const std::string& why);
  const CancelToken& cancel() const { return *run_cancel_; }
  void Finish(StepRecord& rec, StepStatus to, const std::string& error, int64_t mono_start);

  RunServices s_;
  RunRecord run_;
  const Playbook* pb_ = nullptr;
  std::string work_dir_;
  std::mutex mu_;  // guards records_ entries' reads across threads, outputs_ and groups_
  std::unique_ptr<CancelToken> run_cancel_;  // this run's stop: the caller's, or a lost lease
  std::atomic<bool> lost_{false};
  std::map<pid_t, uint64_t> groups_;  // process groups of running steps -> leader start
  std::map<std::string, StepRecord> records_;
  std::map<std::string, Json> outputs_;  // live (unredacted) outputs for templates
};

}  // namespace medic
