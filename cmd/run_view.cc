#include "cmd/run_view.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "base/strings.h"
#include "cmd/context.h"

namespace medic {

namespace {

// One line per output, "key: value", the value's last line for multi-line text, cut to
// `width`; at most kMaxShown keys, then how many more.
std::string OutputLines(const Json& outputs, int width) {
  constexpr size_t kMaxShown = 8;
  std::string out;
  if (!outputs.is_object()) return out;
  size_t shown = 0, more = 0;
  for (auto it = outputs.begin(); it != outputs.end(); ++it) {
    std::string value = it->is_string() ? it->get<std::string>() : it->dump();
    if (value.empty() || value == "[]" || value == "{}") continue;
    if (++shown > kMaxShown) {
      ++more;
      continue;
    }
    std::string_view text = Trim(value);
    size_t nl = text.rfind('\n');
    std::string line =
        "      " + it.key() + ": " +
        (nl == std::string_view::npos ? std::string(text) : "…" + std::string(text.substr(nl + 1)));
    out += FitToWidth(line, width) + "\n";
  }
  if (more > 0) out += "      (" + std::to_string(more) + " more: --json shows them all)\n";
  return out;
}

std::string RunText(const RunRecord& run, const std::vector<StepRecord>& steps,
                    const std::vector<ArtifactRecord>& artifacts, bool color, int64_t now_ms,
                    int outputs_width) {
  std::string status = ShownRunStatus(run, now_ms);
  size_t warnings = run.warnings.is_array() ? run.warnings.size() : 0;
  const char* c = run.status == RunStatus::kSucceeded && warnings == 0 ? "32"
                  : run.status == RunStatus::kSucceeded || run.status == RunStatus::kNeedsAttention
                      ? "33"
                      : "31";
  std::string out = "run " + std::to_string(run.id) + " (" + run.playbook + ", incident " +
                    std::to_string(run.incident_id) + "): " + Colorize(color, c, status);
  if (run.started_at > 0 && run.ended_at > 0)
    out += " in " + FormatDurationMs(run.ended_at - run.started_at);
  out += "\n";
  if (run.owner_pid != 0 && (run.status == RunStatus::kRunning || run.status == RunStatus::kQueued))
    out += "  driven by medic pid " + std::to_string(run.owner_pid) + " on " +
           (run.owner_host.empty() ? "this host" : run.owner_host) + " (claim " +
           std::to_string(run.fence) + ", lease until " + FormatTimeUtc(run.lease_until) + ")\n";
  std::string stage;
  for (const auto& s : steps) {
    if (s.stage != stage) {
      stage = s.stage;
      out += "  " + stage + "\n";
    }
    out += "    " + s.step_id + "  " + ToString(s.status);
    if (s.ended_at > 0 && s.status != StepStatus::kSkipped)
      out += "  " + FormatDurationMs(s.duration_ms);
    if (s.over_budget) out += " (over " + FormatDurationMs(s.budget_ms) + " budget)";
    if (s.attempts > 1) out += "  " + std::to_string(s.attempts) + " attempts";
    if (!s.error.empty()) out += "  " + s.error.substr(0, 300);
    out += "\n";
    if (outputs_width > 0) out += OutputLines(s.outputs, outputs_width);
  }
  for (const auto& a : artifacts) {
    out += "  artifact " + a.kind + ": " + (a.url.empty() ? a.path : a.url);
    if (a.size >= 0) out += " (" + std::to_string(a.size) + " bytes)";
    if (!a.sha256.empty()) out += " sha256 " + a.sha256;
    out += "\n";
  }
  for (size_t i = 0; i < warnings; ++i) {
    const Json& w = run.warnings[i];
    out += Colorize(color, "33", "warning:") + " step '" + w.value("step", "?") + "' " +
           w.value("status", "?") + ": " + w.value("reason", "") + "\n";
  }
  // The last line is the verdict: succeeded, succeeded with N warnings, or what went wrong.
  std::string verdict = status;
  if (run.status == RunStatus::kSucceeded && warnings > 0)
    verdict += " with " + std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
  const StepRecord* approved = nullptr;  // approved since the run stopped for it
  for (const auto& s : steps)
    if (s.status == StepStatus::kPending && s.approved && !approved) approved = &s;
  if (run.status == RunStatus::kNeedsAttention && approved)
    verdict += ": step '" + approved->step_id + "' is approved; " +
               (run.trigger == "cli" ? "continue with `medic resume " + std::to_string(run.id) + "`"
                                     : "medic serve goes on with it");
  else if (status == "orphaned")
    verdict += ": the medic driving it is gone; continue with `medic resume " +
               std::to_string(run.id) + "`";
  else if (!run.error.empty())
    verdict += ": " + run.error;
  out += Colorize(color, c, verdict) + "\n";
  return out;
}

}  // namespace

std::string RunToText(const RunRecord& run, const std::vector<StepRecord>& steps,
                      const std::vector<ArtifactRecord>& artifacts, bool color, int64_t now_ms) {
  return RunText(run, steps, artifacts, color, now_ms, 0);
}

std::string RunToTextWithOutputs(const RunRecord& run, const std::vector<StepRecord>& steps,
                                 const std::vector<ArtifactRecord>& artifacts, bool color,
                                 int64_t now_ms, int width) {
  return RunText(run, steps, artifacts, color, now_ms, std::max(width, 20));
}

int TerminalWidth(int fallback, int fd) {
  struct winsize ws = {};
  if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return fallback;
}

int ExitCodeForRun(RunStatus status) {
  switch (status) {
    case RunStatus::kSucceeded:
      return kExitOk;
    case RunStatus::kNeedsAttention:
      return kExitNeedsAttention;
    case RunStatus::kInterrupted:
      return kExitInterrupted;
    default:
      return kExitFailed;
  }
}

int ExitCodeForRun(const RunRecord& run, bool strict) {
  bool warned = run.warnings.is_array() && !run.warnings.empty();
  if (strict && run.status == RunStatus::kSucceeded && warned) return kExitFailed;
  return ExitCodeForRun(run.status);
}

}  // namespace medic
