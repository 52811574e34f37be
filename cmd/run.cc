// `medic run PLAYBOOK`: binds params, records a new run, and drives it.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "base/redact.h"
#include "base/strings.h"
#include "cmd/commands.h"
#include "cmd/progress.h"
#include "cmd/run_view.h"
#include "playbooks/dry_run.h"

namespace medic {

void AddReportFlags(CLI::App* cmd, ReportFlags* flags) {
  cmd->add_flag("--json", flags->json, "print the run as JSON on stdout");
  cmd->add_flag("--strict", flags->strict,
                "exit 1 when the run succeeded with warnings (a step failed under "
                "on_failure: continue, or was skipped as not configured)");
}

Result<Json> ParseVarFlags(const std::vector<std::string>& flags) {
  Json vars = Json::object();
  for (const auto& kv : flags) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::Invalid("--var '" + kv + "' must be NAME=VALUE");
    vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return vars;
}

void DriveAndReport(Context& ctx, Store& store, int64_t run_id, RunOptions options,
                    const ReportFlags& report) {
  CancelToken cancel;
  ScopedSignalCancel signals(&cancel);
  ProgressPrinter progress(isatty(STDERR_FILENO) != 0, ctx.color);
  if (!options.yes && isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
    options.ask = [&progress](const StepDef& def, const std::vector<std::string>& plan) {
      return progress.Confirm(def, plan);
    };
  }
  options.work_root = ctx.WorkRoot();
  if (options.user.empty()) options.user = ctx.env().Var("USER");
  if (auto before = store.GetRun(run_id); before.ok()) {
    // The clock counts from the run's first start (a resumed run goes on counting).
    int64_t budget = options.playbook ? options.playbook->budget_ms : 0;
    if (!options.playbook) {
      auto pb = ParsePlaybook(before->playbook_source, before->playbook_path, ctx.registry());
      if (pb.ok()) budget = pb->budget_ms;
    }
    progress.SetRun(before->playbook,
                    before->started_at > 0 ? before->started_at : ctx.env().clock->NowUnixMs(),
                    budget, *ctx.env().clock);
  }
  Runner runner({.env = ctx.env(),
                 .store = &store,
                 .registry = &ctx.registry(),
                 .cancel = &cancel,
                 .observer = &progress});
  auto run = runner.Drive(run_id, options);
  if (!run.ok()) {
    ctx.Fail(run.status());
    return;
  }
  auto steps = store.GetSteps(run_id);
  auto artifacts = store.ArtifactsOfRun(run_id);
  if (!steps.ok() || !artifacts.ok()) {
    ctx.Fail(steps.ok() ? artifacts.status() : steps.status());
    return;
  }
  if (report.json) {
    std::cout << RunToJson(*run, *steps, *artifacts).dump(2) << std::endl;
  } else {
    std::cout << RunToText(*run, *steps, *artifacts, ctx.color && ctx.stdout_tty) << std::flush;
  }
  ctx.exit_code = ExitCodeForRun(*run, report.strict);
}

namespace {

struct RunFlags {
  std::string playbook;
  std::vector<std::string> vars;
  bool dry_run = false;
  bool yes = false;
  int64_t incident = 0;
  ReportFlags report;
};

void PrintDryRun(const Json& plan, bool json) {
  if (json) {
    std::cout << plan.dump(2) << std::endl;
    return;
  }
  std::cout << "dry run of " << plan["playbook"].get<std::string>() << ": nothing will be run\n";
  for (const auto& stage : plan["stages"]) {
    std::cout << "stage " << stage["name"].get<std::string>()
              << (stage["parallel"].get<bool>() ? " (parallel)" : "") << "\n";
    for (const auto& step : stage["steps"]) {
      std::cout << "  " << step["id"].get<std::string>() << " ("
                << step["action"].get<std::string>() << ")";
      if (step.value("confirm", false)) std::cout << " [needs confirmation]";
      if (step.contains("when")) {
        const Json& w = step["would_run"];
        std::cout << "  when " << step["when"].get<std::string>() << " -> "
                  << (w.is_boolean() ? (w.get<bool>() ? "runs" : "skipped") : w.get<std::string>());
      }
      std::cout << "\n";
      for (const auto& c : step.value("commands", Json::array()))
        std::cout << "      $ " << c.get<std::string>() << "\n";
      std::cout << "      with " << step["with"].dump() << "\n";
    }
  }
}

}  // namespace

void AddRunCommand(CLI::App& app, Context& ctx) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand("run", "Run a playbook (changes production: see --dry-run)");
  cmd->add_option("playbook", flags->playbook, "playbook YAML file")->required();
  cmd->add_option("--var", flags->vars, "a playbook param, NAME=VALUE (repeatable)");
  cmd->add_flag("--dry-run", flags->dry_run, "print every step and command, run nothing");
  cmd->add_flag("-y,--yes", flags->yes, "confirm every destructive step in advance");
  cmd->add_option("--incident", flags->incident,
                  "attach the run to this open incident instead of opening a new one");
  AddReportFlags(cmd, &flags->report);
  cmd->callback([flags, &ctx] {
    auto pb = LoadPlaybook(flags->playbook, ctx.registry());
    if (!pb.ok()) return ctx.Fail(pb.status(), kExitUsage);
    auto vars = ParseVarFlags(flags->vars);
    if (!vars.ok()) return ctx.Fail(vars.status(), kExitUsage);
    auto params = BindParams(*pb, *vars);
    if (!params.ok()) return ctx.Fail(params.status(), kExitUsage);
    if (flags->dry_run) {
      auto plan = DryRun(*pb, *params, ctx.registry(), *ctx.env().vars);
      if (!plan.ok()) return ctx.Fail(plan.status());
      PrintDryRun(*plan, flags->report.json);
      return;
    }
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    if (flags->incident > 0) {
      auto incident = (*store)->GetIncident(flags->incident);
      if (!incident.ok()) return ctx.Fail(incident.status(), kExitUsage);
      if (incident->status != "open")
        return ctx.Fail(
            Status::Precondition("incident " + std::to_string(flags->incident) +
                                 " is closed; run without --incident to open a new one"),
            kExitUsage);
    }
    auto id = CreateRun(**store, *ctx.env().clock, *pb, *params, "cli", flags->incident);
    if (!id.ok()) return ctx.Fail(id.status());
    std::fprintf(stderr, "run %lld: %s (record: %s)\n", static_cast<long long>(*id),
                 pb->name.c_str(), (*store)->path().c_str());
    RunOptions options;
    options.yes = flags->yes;
    options.playbook = &*pb;
    DriveAndReport(ctx, **store, *id, options, flags->report);
  });
}

}  // namespace medic
