// `medic show ID`: one run with its steps, outputs and artifacts (--json: RunToJson, the one
// run shape of report/record_json.h).
#include <iostream>

#include "cmd/commands.h"
#include "cmd/run_view.h"

namespace medic {

void AddShowCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    int64_t id = 0;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("show", "Show a run: every step, its status, outputs and artifacts");
  cmd->add_option("id", flags->id, "run id (see `medic list`)")->required();
  cmd->add_flag("--json", flags->json, "print JSON");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    auto run = (*store)->GetRun(flags->id);
    if (!run.ok()) return ctx.Fail(run.status());
    auto steps = (*store)->GetSteps(flags->id);
    auto artifacts = (*store)->ArtifactsOfRun(flags->id);
    if (!steps.ok()) return ctx.Fail(steps.status());
    if (!artifacts.ok()) return ctx.Fail(artifacts.status());
    int64_t now = ctx.env().clock->NowUnixMs();
    if (flags->json)
      std::cout << RunToJson(*run, *steps, *artifacts, {.now_ms = now}).dump(2) << std::endl;
    else
      std::cout << RunToTextWithOutputs(*run, *steps, *artifacts, ctx.color && ctx.stdout_tty, now,
                                        TerminalWidth(100));
  });
}

}  // namespace medic
