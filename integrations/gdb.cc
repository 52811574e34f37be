#include "integrations/gdb.h"

#include <fstream>

#include "base/strings.h"
#include "integrations/golang/analyzer.h"
#include "integrations/golang/known_signatures.h"
#include "integrations/golang/report.h"

namespace medic {
namespace {

class AnalyzeAction : public Action {
 public:
  AnalyzeAction() {
    info_.name = "gdb.analyze";
    info_.summary =
        "Classify a Go crash from logs, goroutine dumps and a core file (medic analyze)";
    info_.params = {
        {.name = "logs",
         .type = ParamType::kStringList,
         .default_value = Json::array(),
         .help = "log files or goroutine dumps to read"},
        {.name = "core",
         .type = ParamType::kString,
         .default_value = "",
         .help = "core file of the Go process (needs binary)"},
        {.name = "binary",
         .type = ParamType::kString,
         .default_value = "",
         .help = "the Go binary that produced the core"},
        {.name = "known",
         .type = ParamType::kString,
         .default_value = "",
         .help = "known signatures file: crash -> fixed build"},
        {.name = "require_crash",
         .type = ParamType::kBool,
         .default_value = false,
         .help = "fail the step when no crash is found"},
    };
    info_.idempotent = true;
    info_.open_outputs = true;
    info_.outputs = {{"crash_found", "true when a Go crash was found"},
                     {"category", "nil_map_write, nil_dereference, deadlock, out_of_memory, ..."},
                     {"culprit", "{function, package, file, line} of the program's own frame"},
                     {"recommendation", "{action: hotfix|restart|investigate, why, fixed_in}"},
                     {"leak_suspects", "large groups of blocked goroutines"},
                     {"sources", "what was read"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::vector<std::string> plan;
    for (const auto& log : ParamStringList(with, "logs")) plan.push_back("medic analyze " + log);
    if (!ParamString(with, "core").empty())
      plan.push_back("medic analyze --core " + ParamString(with, "core") + " --binary " +
                     ParamString(with, "binary"));
    return plan;
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    golang::AnalyzeOptions opts;
    if (std::string known = ParamString(with, "known"); !known.empty()) {
      auto k = golang::LoadKnownSignatures(known);
      if (!k.ok()) return k.status();
      opts.known = std::move(*k);
    }
    opts.tool_timeout_ms = std::min<int64_t>(opts.tool_timeout_ms, ctx.RemainingMs());
    // The debugger's process group is recorded and stopped like any step's process.
    opts.run_debugger = [&ctx](const ProcessSpec& spec) { return RunStepProcess(ctx, spec); };
    Json sources = Json::array();
    // The analysis reported: the worst crash, else the input with goroutines (a live dump or
    // core), else the first input's (no crash, and why).
    std::optional<golang::Analysis> crash, state, first;
    for (const auto& path : ParamStringList(with, "logs")) {
      std::ifstream in(path, std::ios::binary);
      if (!in) return Status::NotFound("cannot read " + path);
      ctx.Progress("reading " + path);
      auto a = golang::AnalyzeStream(in, opts);
      if (!a.ok()) return a.status().WithContext(path);
      sources.push_back({{"path", path}, {"crash_found", a->crash_found}});
      if (a->crash_found && (!crash || a->occurrences > crash->occurrences)) crash = *a;
      if (!a->crash_found && a->goroutines_total > 0 && !state) state = *a;
      if (!first) first = *a;
    }
    std::string core = ParamString(with, "core"), binary = ParamString(with, "binary");
    if (!core.empty()) {
      if (binary.empty())
        return Status::Invalid("core given without binary: delve needs the Go binary too");
      ctx.Progress("reading core " + core + " with delve");
      auto a = golang::AnalyzeCore(core, binary, opts);
      if (!a.ok()) return a.status();
      sources.push_back({{"path", core}, {"crash_found", a->crash_found}, {"source", a->source}});
      if (a->crash_found && !crash) crash = *a;
      if (!state || a->goroutines_total > state->goroutines_total) state = *a;
    }
    if (!crash && !state && !first)
      return Status::Invalid("nothing to analyze: give logs and/or core");
    golang::Analysis result = crash ? *crash : state ? *state : *first;
    // The crash says what broke; the live process' goroutines say what it looks like now.
    if (crash && state && result.leak_suspects.empty()) {
      result.leak_suspects = state->leak_suspects;
      if (result.goroutines_total == 0) result.goroutines_total = state->goroutines_total;
    }
    Json j = golang::AnalysisToJson(result);
    for (auto it = j.begin(); it != j.end(); ++it) outputs[it.key()] = *it;
    outputs["crash_found"] = result.crash_found;
    outputs["sources"] = sources;
    if (!result.crash_found && ParamBool(with, "require_crash"))
      return Status::NotFound("no Go crash found: " + result.no_crash_reason);
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

}  // namespace

void RegisterGdbActions(Registry& registry) {
  (void)registry.Add(std::make_unique<AnalyzeAction>());
}

}  // namespace medic
