#include "integrations/process.h"

#include <signal.h>

#include "base/redact.h"
#include "base/strings.h"
#include "integrations/process_runner.h"

namespace medic {
namespace {

std::string LastLine(const std::string& text) {
  std::string_view t = Trim(text);
  size_t nl = t.rfind('\n');
  std::string_view line = nl == std::string_view::npos ? t : t.substr(nl + 1);
  if (line.size() > 300) line = line.substr(0, 300);
  return std::string(line);
}

class ExecAction : public Action {
 public:
  ExecAction() {
    info_.name = "exec";
    info_.summary = "Run a command (argv, no shell); fails on a non-zero exit code";
    info_.params = {
        {"argv", ParamType::kStringList, true, nullptr, "program and arguments; never a shell", {}},
        {"env", ParamType::kStringMap, false, nullptr, "extra environment variables", {}},
        {"cwd", ParamType::kString, false, nullptr, "working directory", {}},
        {"stdin", ParamType::kString, false, nullptr, "text fed to standard input", {}},
        {"max_output", ParamType::kSize, false, "1MiB", "cap on each of stdout and stderr", {}},
        {"parse", ParamType::kString, false, "none",
         "also parse stdout: json puts the value in outputs.json", {"none", "json"}},
        {"ok_exit_codes", ParamType::kStringList, false, Json::array({"0"}),
         "exit codes that count as success", {}},
    };
    info_.outputs = {{"exit_code", "the exit code (-1 when killed by a signal)"},
                     {"stdout", "standard output, capped at max_output"},
                     {"stderr", "standard error, capped at max_output"},
                     {"stdout_truncated", "true when stdout was longer than max_output"},
                     {"stderr_truncated", "true when stderr was longer than max_output"},
                     {"json", "stdout parsed as JSON (parse: json)"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    return {QuoteArgv(ParamStringList(with, "argv"))};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    ProcessSpec spec;
    spec.argv = ParamStringList(with, "argv");
    if (spec.argv.empty()) return Status::Invalid("argv is empty");
    if (with.contains("env")) {
      for (auto it = with["env"].begin(); it != with["env"].end(); ++it)
        spec.env.emplace_back(it.key(), it->get<std::string>());
    }
    spec.cwd = ParamString(with, "cwd");
    spec.stdin_data = ParamString(with, "stdin");
    spec.max_output = static_cast<size_t>(ParamInt(with, "max_output"));
    auto result = RunStepProcess(ctx, spec);
    if (!result.ok()) return result.status();
    const ProcessResult& r = *result;
    outputs["exit_code"] = r.exit_code;
    outputs["stdout"] = r.out;
    outputs["stderr"] = r.err;
    outputs["stdout_truncated"] = r.out_truncated;
    outputs["stderr_truncated"] = r.err_truncated;
    if (r.cancelled) return Status::Cancelled("stopped");
    if (r.timed_out) return Status::Timeout("timed out after " + FormatDurationMs(r.duration_ms) + "; process group killed");
    if (r.term_signal) {
      return Status::Unavailable(spec.argv[0] + " was killed by signal " +
                                 std::to_string(r.term_signal) + " (" + strsignal(r.term_signal) + ")");
    }
    bool ok = false;
    for (const auto& code : ParamStringList(with, "ok_exit_codes"))
      ok = ok || code == std::to_string(r.exit_code);
    if (!ok) {
      std::string msg = spec.argv[0] + " exited with code " + std::to_string(r.exit_code);
      std::string last = LastLine(r.err.empty() ? r.out : r.err);
      if (!last.empty()) msg += ": " + last;
      return Status::Unavailable(msg);
    }
    if (ParamString(with, "parse") == "json") {
      try {
        outputs["json"] = Json::parse(r.out);
      } catch (const std::exception& e) {
        return Status::Invalid(spec.argv[0] + " printed no valid JSON on stdout: " +
                               std::string(e.what()).substr(0, 200));
      }
    }
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

}  // namespace

void RegisterProcessActions(Registry& registry) {
  (void)registry.Add(std::make_unique<ExecAction>());
}

}  // namespace medic
