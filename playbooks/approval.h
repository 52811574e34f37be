// Approvals of destructive steps: the one policy for when a step that changes production may
// go. A step that needs confirmation (`confirm: true`, or a destructive action) goes when the
// runner's caller said --yes, the route said auto_confirm, the person at the terminal said
// yes, or `medic approve` recorded an approval (an approvals row plus a step.approval_given
// event). A serve acts on each recorded approval once (TakeApprovals); the runner writes the
// step.approved event as the step goes. Start with StandingApproval and ApproveStep.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "env/clock.h"
#include "playbooks/lease.h"
#include "store/store.h"

namespace medic {

/// Runs started by a webhook; serve drives these (a person drives the others).
bool IsWebhookTrigger(const std::string& trigger);

/// The message of an approval event (step.approved, step.approval_given) from its data:
/// {"by": "--yes"|"terminal"|"auto_confirm"|"medic approve", "user", "route", "given_at"}
/// -> "approved by alice with --yes". README "Timelines" lists the fields.
std::string DescribeApproval(const Json& approval);

/// The approval a runner holds before it reaches any step: {"by": "--yes"} when its caller
/// said --yes, {"by": "auto_confirm", "route": R} when the run's options (`run_options`)
/// say auto_confirm; null when a person must decide.
Json StandingApproval(bool yes, const Json& run_options);

/// For a step the record marks approved outside the runner (`medic approve`), the approval
/// its step.approved event should carry: {"by": "medic approve", "user", "given_at"}, or
/// {"by": "unknown"} when the record holds no trace of who gave it; null when the step's
/// latest approval already has its step.approved event (the step went before on it).
Json UnrecordedApproval(Store& store, int64_t run_id, const std::string& step_id);

struct ApproveResult {
  RunRecord run;
  StepRecord step;
  bool already = false;  ///< the step was approved before; nothing was written
};

/// Approves `step_id` of run `run_id` on behalf of `by`. Fails with kNotFound for an
/// unknown run or step (suggesting the closest step id) and kFailedPrecondition when the
/// run has ended or the step is no longer pending.
Result<ApproveResult> ApproveStep(Store& store, Clock& clock, int64_t run_id,
                                  const std::string& step_id, const std::string& by);

/// Takes the approvals no serve has acted on: a webhook run waiting in needs_attention (and
/// not driven by this process right now, per `is_active`) has its step marked approved
/// again (a runner that reached the step after the approval may have overwritten it).
/// Each approval is taken by one process only, however many poll the record. Approvals of
/// runs that ended, or that a person drives, are marked done as they are; approvals of runs
/// still running are left for the next poll. The process that takes an approval holds the
/// run's lease from then on (`lease`): if it dies before it continues the run, the lease runs
/// out and another serve continues it. A run whose lease another live process holds is left
/// for the next poll. Returns the runs to continue, each once.
Result<std::vector<int64_t>> TakeApprovals(Store& store, Clock& clock, const LeaseTiming& lease,
                                           const std::function<bool(int64_t)>& is_active);

}  // namespace medic
