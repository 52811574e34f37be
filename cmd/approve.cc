// `medic approve RUN STEP`: lets a destructive step of a waiting run go. A webhook run is
// continued by `medic serve` within a second; a run started at a terminal continues with
// `medic resume RUN`.
#include <cstdio>
#include <cstdlib>

#include "base/redact.h"
#include "base/strings.h"
#include "cmd/commands.h"
#include "env/env.h"
#include "playbooks/approval.h"

namespace medic {

void AddApproveCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    int64_t run = 0;
    std::string step;
    std::string by;
    bool dry_run = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "approve", "Approve a step that waits for confirmation (e.g. in a webhook-started run)");
  cmd->add_option("run", flags->run, "run id (see `medic list`)")->required();
  cmd->add_option("step", flags->step, "the step's id (see `medic show RUN`)")->required();
  cmd->add_option("--by", flags->by, "who approves (default: $USER)");
  cmd->add_flag("--dry-run", flags->dry_run, "say what the approval would let go, approve nothing");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    // What the yes lets go: the commands the step showed when it stopped for confirmation.
    auto plan_of = [&]() {
      std::string plan;
      if (auto events = (*store)->EventsOfRun(flags->run); events.ok())
        for (const EventRecord& e : *events)
          if (e.step_id == flags->step && e.kind == EventKind::kStepAwaitingApproval)
            plan = e.message;
      if (StartsWith(plan, "needs confirmation: ")) plan = plan.substr(20);
      return Redact(plan);
    };
    if (flags->dry_run) {
      auto step = (*store)->GetStep(flags->run, flags->step);
      if (!step.ok()) return ctx.Fail(step.status());
      std::string plan = plan_of();
      std::printf("would approve step '%s' of run %lld (%s)%s\ndry run: nothing changed\n",
                  flags->step.c_str(), static_cast<long long>(flags->run), ToString(step->status),
                  plan.empty() ? "" : ("; it would run: " + plan).c_str());
      return;
    }
    std::string by = flags->by;
    if (by.empty()) by = ctx.env().Var("USER");
    if (by.empty()) by = "unknown";
    auto result = ApproveStep(**store, *ctx.env().clock, flags->run, flags->step, by);
    if (!result.ok()) return ctx.Fail(result.status());
    std::string run = std::to_string(flags->run);
    if (result->already)
      std::printf("step '%s' of run %s was already approved\n", flags->step.c_str(), run.c_str());
    else
      std::printf("step '%s' of run %s approved by %s\n", flags->step.c_str(), run.c_str(),
                  by.c_str());
    if (std::string plan = plan_of(); !plan.empty()) std::printf("it will run: %s\n", plan.c_str());
    if (IsWebhookTrigger(result->run.trigger))
      std::printf("medic serve continues the run within a second (`medic show %s` to follow it)\n",
                  run.c_str());
    else
      std::printf("continue the run with: medic resume %s\n", run.c_str());
  });
}

}  // namespace medic
