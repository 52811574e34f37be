// How a run is shown: the --json object of `medic run` / `medic show`, and the text a
// person reads. Shared by run, resume and show so they never drift.
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "store/store.h"

namespace medic {

/// {"id","incident_id","playbook","status","started_at","ended_at","duration_ms","error",
///  "steps":[{"id","stage","action","status","attempts","started_at","ended_at",
///  "duration_ms","budget_ms","over_budget","outputs","error"}]}; times are RFC 3339 UTC or null.
Json RunToJson(const RunRecord& run, const std::vector<StepRecord>& steps,
               const std::vector<ArtifactRecord>& artifacts);

/// A summary for a person: status line, then one line per step.
std::string RunToText(const RunRecord& run, const std::vector<StepRecord>& steps,
                      const std::vector<ArtifactRecord>& artifacts, bool color);

/// The exit code a run's status maps to (0, 1, 3, 130).
int ExitCodeForRun(const std::string& status);

}  // namespace medic
