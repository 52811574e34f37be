#include "playbooks/approval.h"

#include <algorithm>

#include "base/redact.h"
#include "base/strings.h"
#include "store/alerts.h"

namespace medic {

bool IsWebhookTrigger(const std::string& trigger) {
  return trigger == "alertmanager" || trigger == "pagerduty" || trigger == "generic";
}

std::string DescribeApproval(const Json& approval) {
  auto text = [&](const char* key) {
    auto it = approval.find(key);
    return it != approval.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string by = text("by"), user = text("user"), route = text("route");
  std::string who = !user.empty() ? user : !route.empty() ? "route '" + route + "'" : "";
  std::string how = by == "--yes"                   ? "with --yes"
                    : by == "terminal"              ? "at the terminal"
                    : by == "auto_confirm"          ? "(auto_confirm)"
                    : by == "medic approve"         ? "with medic approve"
                    : by.empty() || by == "unknown" ? "earlier (by whom is not recorded)"
                                                    : "by " + by;
  std::string out = "approved" + (who.empty() ? "" : " by " + who) + " " + how;
  std::string given = text("given_at");
  return given.empty() ? out : out + ", given at " + given;
}

Json StandingApproval(bool yes, const Json& run_options) {
  if (yes) return {{"by", "--yes"}};
  if (!run_options.value("auto_confirm", false)) return nullptr;
  Json approval = {{"by", "auto_confirm"}};
  std::string route = run_options.value("route", "");
  if (!route.empty()) approval["route"] = route;
  return approval;
}

Json UnrecordedApproval(Store& store, int64_t run_id, const std::string& step_id) {
  Json approval = {{"by", "unknown"}};  // approved in the record, with no trace of who
  auto events = store.EventsOfRun(run_id);
  if (!events.ok()) return approval;
  bool recorded = false;
  for (const EventRecord& e : *events) {
    if (e.step_id != step_id) continue;
    // A --retry clears the approval: the next one is recorded again.
    if (e.kind == EventKind::kStepReset && e.data.is_object() && e.data.value("retry", false))
      recorded = false;
    if (e.kind == EventKind::kStepApproved) recorded = true;
    if (e.kind != EventKind::kStepApprovalGiven) continue;
    recorded = false;
    // {"by": "medic approve", "user": USER}; older records have {"by": USER}.
    auto text = [&](const char* key) {
      auto it = e.data.find(key);
      return it != e.data.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    bool old = !e.data.contains("user");
    approval = {{"by", old ? "medic approve" : text("by")}, {"user", text(old ? "by" : "user")}};
    approval["given_at"] = FormatTimeUtc(e.at);
  }
  return recorded ? Json(nullptr) : approval;
}

Result<ApproveResult> ApproveStep(Store& store, Clock& clock, int64_t run_id,
                                  const std::string& step_id, const std::string& by) {
  auto run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  if (run->status == RunStatus::kSucceeded || run->status == RunStatus::kFailed)
    return Status::Precondition("run " + std::to_string(run_id) + " already " +
                                ToString(run->status) + "; there is nothing left to approve");
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
  if (it->status != StepStatus::kPending)
    return Status::Precondition("step '" + step_id + "' of run " + std::to_string(run_id) + " is " +
                                ToString(it->status) +
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
    e.kind = EventKind::kStepApprovalGiven;
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

Result<std::vector<int64_t>> TakeApprovals(Store& store, Clock& clock, const LeaseTiming& lease,
                                           const std::function<bool(int64_t)>& is_active) {
  AlertStore alerts(store);
  auto pending = alerts.PendingApprovals();
  if (!pending.ok()) return pending.status();
  std::vector<int64_t> queued;
  for (const ApprovalRecord& a : *pending) {
    if (is_active(a.run_id)) continue;
    auto run = store.GetRun(a.run_id);
    int64_t now = clock.NowUnixMs();
    if (!run.ok() || !IsWebhookTrigger(run->trigger) || run->status == RunStatus::kSucceeded ||
        run->status == RunStatus::kFailed) {
      auto consumed = alerts.ConsumeApproval(a.id, now);
      if (!consumed.ok()) return consumed.status();
      continue;
    }
    if (run->status != RunStatus::kNeedsAttention) continue;  // still queued or running: next poll
    // Several serves poll one record: only the one that consumes the approval queues the run.
    // It holds the run's lease from the same commit, so that if it dies before its worker
    // claims the run, the lease runs out and another serve continues it (it would otherwise
    // wait in needs_attention with its approval used up).
    bool consumed = false;
    Status st = store.Transaction([&]() -> Status {
      auto once = alerts.ConsumeApproval(a.id, now);
      if (!once.ok()) return once.status();
      consumed = *once;
      if (!consumed) return Status::Ok();
      auto held =
          store.ClaimRun(a.run_id, ClaimByThisProcess(clock, lease, {RunStatus::kNeedsAttention}));
      if (!held.ok()) return held.status();
      auto step = store.GetStep(a.run_id, a.step_id);
      if (step.ok() && step->status == StepStatus::kPending && !step->approved) {
        step->approved = true;
        MEDIC_RETURN_IF_ERROR(store.SaveStep(*step));
      }
      return Status::Ok();
    });
    // Another live process holds the run (a `medic resume` under way): the next poll.
    if (st.code() == Code::kFailedPrecondition) continue;
    if (!st.ok()) return st;
    if (consumed && std::find(queued.begin(), queued.end(), a.run_id) == queued.end())
      queued.push_back(a.run_id);
  }
  return queued;
}

}  // namespace medic
