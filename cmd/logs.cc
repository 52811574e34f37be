// `medic logs RUN [STEP] [-f]`: what each step's processes printed (the captured stdout and
// stderr, and the commands that ran), step by step as they end; -f follows a run another
// medic drives until it stops, like `kubectl logs -f`.
#include <iostream>
#include <set>

#include "base/strings.h"
#include "cmd/commands.h"
#include "cmd/watch.h"

namespace medic {
namespace {

bool Ended(const StepRecord& s) {
  return s.ended_at > 0 && s.status != StepStatus::kPending && s.status != StepStatus::kRunning;
}

std::string Text(const Json& outputs, const char* key) {
  auto it = outputs.find(key);
  return it != outputs.end() && it->is_string() ? it->get<std::string>() : "";
}

Json StepLogJson(const StepRecord& s) {
  return {{"run_id", s.run_id},
          {"step", s.step_id},
          {"action", s.action},
          {"status", ToString(s.status)},
          {"commands", s.commands},
          {"stdout", Text(s.outputs, "stdout")},
          {"stderr", Text(s.outputs, "stderr")},
          {"error", s.error}};
}

void PrintStepLog(const StepRecord& s, bool color) {
  std::string head = "── " + s.step_id + " (" + s.action + ") " + ToString(s.status);
  if (s.status != StepStatus::kSkipped) head += " in " + FormatDurationMs(s.duration_ms);
  if (s.attempts > 1) head += ", " + std::to_string(s.attempts) + " attempts";
  std::cout << Colorize(color, "1", head) << "\n";
  if (s.commands.is_array())
    for (const auto& c : s.commands) {
      std::vector<std::string> argv;
      if (c.is_array())
        for (const auto& a : c) argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
      std::string line = c.is_string() ? c.get<std::string>() : QuoteArgv(argv);
      std::cout << Colorize(color, "2", "$ " + line) << "\n";
    }
  for (const char* stream : {"stdout", "stderr"}) {
    std::string text = Text(s.outputs, stream);
    if (text.empty()) continue;
    if (std::string(stream) == "stderr") std::cout << Colorize(color, "2", "(stderr)") << "\n";
    std::cout << text << (text.back() == '\n' ? "" : "\n");
  }
  if (!s.error.empty()) std::cout << Colorize(color, "31", "error: " + s.error) << "\n";
}

}  // namespace

void AddLogsCommand(CLI::App& app, Context& ctx) {
  struct Flags {
    int64_t run = 0;
    std::string step;
    bool follow = false;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("logs", "Print what a run's steps printed (stdout, stderr)");
  cmd->add_option("run", flags->run, "run id (see `medic list`)")->required();
  cmd->add_option("step", flags->step, "only this step");
  cmd->add_flag("-f,--follow", flags->follow,
                "keep printing steps as they end until the run stops");
  cmd->add_flag("--json", flags->json, "one JSON object per step and line");
  cmd->callback([flags, &ctx] {
    auto store = ctx.OpenStore();
    if (!store.ok()) return ctx.Fail(store.status());
    std::set<std::string> printed;
    Status failed = Status::Ok();
    bool color = ctx.color && ctx.stdout_tty;
    auto draw = [&](const RunRecord&, const std::vector<StepRecord>& steps) {
      if (!flags->step.empty() && printed.empty() && failed.ok()) {
        std::vector<std::string> ids;
        for (const auto& s : steps) ids.push_back(s.step_id);
        if (std::find(ids.begin(), ids.end(), flags->step) == ids.end())
          failed = Status::NotFound("run " + std::to_string(flags->run) + " has no step '" +
                                    flags->step + "'" + DidYouMean(flags->step, ids) +
                                    "; it has: " + Join(ids, ", "));
      }
      if (!failed.ok()) return;
      for (const auto& s : steps) {
        if (!flags->step.empty() && s.step_id != flags->step) continue;
        if (!Ended(s) || !printed.insert(s.step_id).second) continue;
        if (flags->json)
          std::cout << StepLogJson(s).dump() << "\n";
        else
          PrintStepLog(s, color);
      }
      std::cout << std::flush;
    };
    auto run = FollowRun(ctx, **store, flags->run, flags->follow, 500,
                         [&](const RunRecord& r, const std::vector<StepRecord>& steps) {
                           if (failed.ok()) draw(r, steps);
                         });
    if (!run.ok()) return ctx.Fail(run.status());
    if (!failed.ok()) return ctx.Fail(failed);
    if (printed.empty() && !flags->json)
      std::cerr << "run " << flags->run << ": no step has ended yet"
                << (flags->follow ? "" : " (-f waits for them)") << "\n";
  });
}

}  // namespace medic
