// How a run is shown to a person, and the exit code its status maps to. Shared by run,
// resume and show so they never drift. The --json object of `medic run` / `medic show` is
// RunToJson (report/record_json.h), the one run shape medic prints everywhere.
#pragma once

#include <string>
#include <vector>

#include "report/record_json.h"
#include "store/store.h"

namespace medic {

/// A summary for a person: status line, then one line per step.
std::string RunToText(const RunRecord& run, const std::vector<StepRecord>& steps,
                      const std::vector<ArtifactRecord>& artifacts, bool color);

/// The exit code a run's status maps to (0, 1, 3, 130).
int ExitCodeForRun(RunStatus status);

}  // namespace medic
