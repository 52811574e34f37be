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
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "approve", "Approve a step that waits for confirmation (e.g. in a webhook-started run)");
  cmd->add_option("run", flags->run, "run id (see `medic list`)")->required();
  cmd->add_option("step", flags->step, "the step's id (see `medic show RUN`)")->required();
  cmd->add_option("--by", flags->by, "who approves (default: $USER)");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
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
    // What the yes lets go: the commands the step showed when it stopped for confirmation.
    if (auto events = (*store)->EventsOfRun(flags->run); events.ok()) {
      std::string plan;
      for (const EventRecord& e : *events)
        if (e.step_id == flags->step && e.kind == EventKind::kStepAwaitingApproval)
          plan = e.message;
      if (StartsWith(plan, "needs confirmation: ")) plan = plan.substr(20);
      if (!plan.empty()) std::printf("it will run: %s\n", Redact(plan).c_str());
    }
    if (IsWebhookTrigger(result->run.trigger))
      std::printf("medic serve continues the run within a second (`medic show %s` to follow it)\n",
                  run.c_str());
    else
      std::printf("continue the run with: medic resume %s\n", run.c_str());
  });
}

}  // namespace medic
