// How a run is shown to a person, and the exit code its status maps to. Shared by run,
// resume and show so they never drift. The --json object of `medic run` / `medic show` is
// RunToJson (report/record_json.h), the one run shape medic prints everywhere.
#pragma once

#include <string>
#include <vector>

#include "report/record_json.h"
#include "store/store.h"

namespace medic {

/// A summary for a person: status line, one line per step and artifact, the run's warnings,
/// and last the verdict: "succeeded", "succeeded with N warnings", or the status and why
/// ("orphaned" for a running run whose lease ran out before `now_ms`; 0: not judged).
std::string RunToText(const RunRecord& run, const std::vector<StepRecord>& steps,
                      const std::vector<ArtifactRecord>& artifacts, bool color, int64_t now_ms = 0);

/// RunToText with each step's outputs under it, one line each, cut to `width` columns
/// (`medic show`).
std::string RunToTextWithOutputs(const RunRecord& run, const std::vector<StepRecord>& steps,
                                 const std::vector<ArtifactRecord>& artifacts, bool color,
                                 int64_t now_ms, int width);

/// The width in columns of the terminal `fd` is, else `fallback`.
int TerminalWidth(int fallback, int fd = 1);

/// The exit code of a run for `medic run`/`resume`: ExitCodeForRun, except that with
/// `strict` a run that succeeded with warnings exits 1.
int ExitCodeForRun(const RunRecord& run, bool strict);

/// The exit code a run's status maps to (0, 1, 3, 130).
int ExitCodeForRun(RunStatus status);

}  // namespace medic
