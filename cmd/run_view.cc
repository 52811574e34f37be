#include "cmd/run_view.h"

#include "base/strings.h"
#include "cmd/context.h"

namespace medic {

std::string RunToText(const RunRecord& run, const std::vector<StepRecord>& steps,
                      const std::vector<ArtifactRecord>& artifacts, bool color) {
  const char* c = run.status == "succeeded" ? "32" : run.status == "needs_attention" ? "33" : "31";
  std::string out = "run " + std::to_string(run.id) + " (" + run.playbook + ", incident " +
                    std::to_string(run.incident_id) + "): " + Colorize(color, c, run.status);
  if (run.started_at > 0 && run.ended_at > 0) out += " in " + FormatDurationMs(run.ended_at - run.started_at);
  out += "\n";
  std::string stage;
  for (const auto& s : steps) {
    if (s.stage != stage) {
      stage = s.stage;
      out += "  " + stage + "\n";
    }
    out += "    " + s.step_id + "  " + s.status;
    if (s.ended_at > 0 && s.status != "skipped") out += "  " + FormatDurationMs(s.duration_ms);
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

int ExitCodeForRun(const std::string& status) {
  if (status == "succeeded") return kExitOk;
  if (status == "needs_attention") return kExitNeedsAttention;
  if (status == "interrupted") return kExitInterrupted;
  return kExitFailed;
}

}  // namespace medic
