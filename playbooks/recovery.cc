// Crash recovery: what Runner::Drive does first with a run another medic left behind.
// Steps it left running are stopped and marked interrupted; --skip and --retry are applied
// (a retried destructive step loses its approval); an interrupted step runs again only
// when idempotent, otherwise the run waits for a person.
#include <sys/types.h>

#include <algorithm>
#include <string>

#include "playbooks/lease.h"
#include "playbooks/runner.h"
#include "store/states.h"

namespace medic {
namespace {

bool Listed(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

Status Runner::Recover(RunRecord& run, const Playbook& pb, const RunOptions& options,
                       bool* needs_attention) {
  *needs_attention = false;
  for (const StepDef* def : pb.Steps()) {
    StepRecord& rec = records_.at(def->id);
    bool skip = Listed(options.skip_steps, def->id);
    bool retry = Listed(options.retry_steps, def->id);
    if (rec.status == StepStatus::kRunning) {
      // The medic that ran this step died mid-way. Stop whatever it left running first.
      std::string note = "medic stopped while this step ran";
      if (rec.pgid > 0 && !rec.pgid_host.empty() && rec.pgid_host != ThisHost())
        note += "; its process group " + std::to_string(rec.pgid) + " ran on " + rec.pgid_host +
                " and cannot be stopped from here: check that it is gone";
      else if (rec.pgid > 0 &&
               StopLeftoverGroup(static_cast<pid_t>(rec.pgid), rec.pgid_start, 3'000))
        note += "; stopped its leftover process group " + std::to_string(rec.pgid);
      Move(rec, StepStatus::kInterrupted);
      rec.pgid = 0;
      rec.pgid_start = 0;
      rec.pgid_host.clear();
      MEDIC_RETURN_IF_ERROR(Save(rec, EventKind::kStepInterrupted, note));
    }
    if (skip && !IsFinal(rec.status)) {
      Move(rec, StepStatus::kSkipped);
      MEDIC_RETURN_IF_ERROR(
          Save(rec, EventKind::kStepSkipped, "skipped on resume by the operator"));
      continue;
    }
    StepStatus now = rec.status;
    if (retry && now != StepStatus::kSucceeded && now != StepStatus::kPending) {
      Move(rec, StepStatus::kPending);
      rec.error.clear();
      // An approval lets a destructive step go once: running it again needs a new yes.
      bool had_approval = rec.approved;
      rec.approved = false;
      MEDIC_RETURN_IF_ERROR(Save(rec, EventKind::kStepReset,
                                 had_approval ? "will run again (--retry); needs a new approval"
                                              : "will run again (--retry)",
                                 {{"retry", true}, {"approval_cleared", had_approval}}));
      continue;
    }
    if (rec.status == StepStatus::kInterrupted) {
      Action* action = s_.registry->Find(def->action);
      bool idempotent = def->idempotent.value_or(action && action->info().idempotent);
      if (idempotent) {
        Move(rec, StepStatus::kPending);
        MEDIC_RETURN_IF_ERROR(
            Save(rec, EventKind::kStepReset, "interrupted and idempotent: will run again"));
      } else {
        *needs_attention = true;
        run.error = "step '" + def->id +
                    "' was interrupted mid-way and is not idempotent: check what it did, then "
                    "`medic resume " +
                    std::to_string(run.id) + " --retry " + def->id + "` or `--skip " + def->id +
                    "`";
        return Status::Ok();
      }
    }
  }
  return Status::Ok();
}

}  // namespace medic
