#include "server/approvals.h"

#include <algorithm>

#include "base/redact.h"
#include "base/strings.h"
#include "store/alerts.h"

namespace medic {

bool IsWebhookTrigger(const std::string& trigger) {
  return trigger == "alertmanager" || trigger == "pagerduty" || trigger == "generic";
}

Result<ApproveResult> ApproveStep(Store& store, Clock& clock, int64_t run_id,
                                  const std::string& step_id, const std::string& by) {
  auto run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  if (run->status == "succeeded" || run->status == "failed")
    return Status::Precondition("run " + std::to_string(run_id) + " already " + run->status +
                                "; there is nothing left to approve");
  auto steps = store.GetSteps(run_id);
  if (!steps.ok()) return steps.status();
  auto it = std::find_if(steps->begin(), steps->end(),
                         [&](const StepRecord& s) { return s.step_id == step_id; });
  if (it == steps->end()) {
    std::vector<std::string> ids;
    for (const auto& s : *steps) ids.push_back(s.step_id);
    return Status::NotFound("run " + std::to_string(run_id) + " has no step '" + step_id + "'" +
                            DidYouMean(step_id, ids) + "; its steps: " + Join(ids, ", "));
  }
  ApproveResult result;
  result.run = *run;
  result.step = *it;
  if (it->approved) {
    result.already = true;
    return result;
  }
  if (it->status != "pending")
    return Status::Precondition("step '" + step_id + "' of run " + std::to_string(run_id) + " is " +
                                it->status +
                                ", not waiting; only a step that has not run yet can be approved");
  int64_t now = clock.NowUnixMs();
  result.step.approved = true;
  std::string who = Redact(by.empty() ? std::string("unknown") : by);
  Status st = store.Transaction([&]() -> Status {
    EventRecord e;
    e.incident_id = run->incident_id;
    e.run_id = run_id;
    e.step_id = step_id;
    e.at = now;
    e.kind = "step.approval_given";
    e.message =
        "approval given by " + who + " with medic approve; the step goes when the run continues";
    e.data = {{"by", "medic approve"}, {"user", who}};
    MEDIC_RETURN_IF_ERROR(store.SaveStep(result.step, &e));
    ApprovalRecord a;
    a.run_id = run_id;
    a.step_id = step_id;
    a.approved_by = who;
    a.at = now;
    auto id = AlertStore(store).AddApproval(a);
    return id.ok() ? Status::Ok() : id.status();
  });
  if (!st.ok()) return st;
  return result;
}

Result<std::vector<int64_t>> ActOnApprovals(Store& store, Clock& clock, RunQueue& queue,
                                            const std::function<bool(int64_t)>& is_active) {
  AlertStore alerts(store);
  auto pending = alerts.PendingApprovals();
  if (!pending.ok()) return pending.status();
  std::vector<int64_t> queued;
  for (const ApprovalRecord& a : *pending) {
    if (is_active(a.run_id)) continue;
    auto run = store.GetRun(a.run_id);
    int64_t now = clock.NowUnixMs();
    if (!run.ok() || !IsWebhookTrigger(run->trigger) || run->status == "succeeded" ||
        run->status == "failed") {
      MEDIC_RETURN_IF_ERROR(alerts.ConsumeApproval(a.id, now));
      continue;
    }
    if (run->status != "needs_attention") continue;  // still queued or running: next poll
    auto step = store.GetStep(a.run_id, a.step_id);
    Status st = store.Transaction([&]() -> Status {
      if (step.ok() && step->status == "pending" && !step->approved) {
        step->approved = true;
        MEDIC_RETURN_IF_ERROR(store.SaveStep(*step));
      }
      return alerts.ConsumeApproval(a.id, now);
    });
    if (!st.ok()) return st;
    if (std::find(queued.begin(), queued.end(), a.run_id) == queued.end()) {
      queue.Push({a.run_id, 0, nullptr});
      queued.push_back(a.run_id);
    }
  }
  return queued;
}

}  // namespace medic
