// Approvals of destructive steps in runs nobody watches at a terminal. `medic approve RUN
// STEP` records one (the step is marked approved, a step.approval_given event and an
// approvals row are written in one transaction); a running `medic serve` notices it within
// a second (ActOnApprovals, polled) and drives the run on, and the runner writes the
// step's step.approved event as the step goes. Polling the record survives restarts of
// either side and needs no channel between the two processes.
// Start with ApproveStep and ActOnApprovals.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "server/run_queue.h"
#include "store/store.h"

namespace medic {

/// Runs started by a webhook; serve drives these (a person drives the others).
bool IsWebhookTrigger(const std::string& trigger);

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

/// Acts on approvals no serve has acted on: a webhook run waiting in needs_attention (and
/// not driven by this process right now, per `is_active`) has its step marked approved
/// again (a runner that reached the step after the approval may have overwritten it) and
/// is queued. Approvals of runs that ended, or that a person drives, are marked done as
/// they are; approvals of runs still running are left for the next poll. Returns the runs
/// queued.
Result<std::vector<int64_t>> ActOnApprovals(Store& store, Clock& clock, RunQueue& queue,
                                            const std::function<bool(int64_t)>& is_active);

}  // namespace medic
