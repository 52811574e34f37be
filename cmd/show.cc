// `medic show ID`: one run with its steps, outputs and artifacts (--json: RunToJson, the one
// run shape of report/record_json.h); --watch redraws it until the run stops.
#include <iostream>

#include "cmd/commands.h"
#include "cmd/run_view.h"
#include "cmd/watch.h"

namespace medic {

void AddShowCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    int64_t id = 0;
    bool json = false;
    bool watch = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd =
      app.add_subcommand("show", "Show a run: every step, its status, outputs and artifacts");
  cmd->add_option("id", flags->id, "run id (see `medic list`)")->required();
  cmd->add_flag("--json", flags->json, "print JSON (with --watch: one line per change)");
  cmd->add_flag("-w,--watch", flags->watch,
                "redraw every second until the run stops (ends, or waits for a person)");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    bool redraw = flags->watch && ctx.stdout_tty && !flags->json;
    std::string last;
    Status failed = Status::Ok();
    auto draw = [&](const RunRecord& run, const std::vector<StepRecord>& steps) {
      auto artifacts = (*store)->ArtifactsOfRun(run.id);
      if (!artifacts.ok()) {
        failed = artifacts.status();
        return;
      }
      int64_t now = ctx.env().clock->NowUnixMs();
      std::string text =
          flags->json
              ? RunToJson(run, steps, *artifacts, {.now_ms = now}).dump(flags->watch ? -1 : 2) +
                    "\n"
              : RunToTextWithOutputs(run, steps, *artifacts, ctx.color && ctx.stdout_tty, now,
                                     TerminalWidth(100));
      if (text == last) return;  // a watch prints what changed only
      last = text;
      if (redraw)
        std::cout << "\033[H\033[2J"
                  << "every 1s until run " << run.id << " stops; Ctrl-C to leave\n\n";
      std::cout << text << std::flush;
    };
    auto run = FollowRun(ctx, **store, flags->id, flags->watch, 1'000, draw);
    if (!run.ok()) return ctx.Fail(run.status());
    if (!failed.ok()) return ctx.Fail(failed);
    if (flags->watch) ctx.exit_code = ExitCodeForRun(*run, false);
  });
}

}  // namespace medic
