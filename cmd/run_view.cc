#include "cmd/run_view.h"

#include "base/strings.h"
#include "cmd/context.h"

namespace medic {

std::string RunToText(const RunRecord& run, const std::vector<StepRecord>& steps,
                      const std::vector<ArtifactRecord>& artifacts, bool color) {
  const char* c = run.status == RunStatus::kSucceeded        ? "32"
                  : run.status == RunStatus::kNeedsAttention ? "33"
                                                             : "31";
  std::string out = "run " + std::to_string(run.id) + " (" + run.playbook + ", incident " +
                    std::to_string(run.incident_id) +
                    "): " + Colorize(color, c, ToString(run.status));
  if (run.started_at > 0 && run.ended_at > 0)
    out += " in " + FormatDurationMs(run.ended_at - run.started_at);
  out += "\n";
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
  }
  for (const auto& a : artifacts) {
    out += "  artifact " + a.kind + ": " + (a.url.empty() ? a.path : a.url);
    if (a.size >= 0) out += " (" + std::to_string(a.size) + " bytes)";
    if (!a.sha256.empty()) out += " sha256 " + a.sha256;
    out += "\n";
  }
  if (!run.error.empty()) out += Colorize(color, c, run.error) + "\n";
  return out;
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

}  // namespace medic
