// `medic resume ID`: continues a run whose medic died, was interrupted, or waits for a
// person. Succeeded steps never repeat; see Runner::Drive for the rules.
#include <cstdio>

#include "cmd/commands.h"

namespace medic {

void AddResumeCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    int64_t id = 0;
    std::vector<std::string> retry, skip;
    bool yes = false;
    ReportFlags report;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("resume",
                                 "Continue an interrupted run (succeeded steps are not repeated)");
  cmd->add_option("id", flags->id, "run id (see `medic list`)")->required();
  cmd->add_option("--retry", flags->retry,
                  "run this interrupted or failed step again (repeatable)");
  cmd->add_option("--skip", flags->skip, "mark this step skipped and go on (repeatable)");
  cmd->add_flag("-y,--yes", flags->yes, "confirm every destructive step");
  AddReportFlags(cmd, &flags->report);
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    RunOptions options;
    options.yes = flags->yes;
    options.retry_steps = flags->retry;
    options.skip_steps = flags->skip;
    std::fprintf(stderr, "resuming run %lld\n", static_cast<long long>(flags->id));
    DriveAndReport(ctx, **store, flags->id, options, flags->report);
  });
}

}  // namespace medic
