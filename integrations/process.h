// Actions that run and inspect local processes: `exec` (a command, argv only).
// The process group and output capture live in process_runner.h.
#pragma once

#include "integrations/action.h"

namespace medic {

/// Adds exec and the process.* actions to `registry`.
void RegisterProcessActions(Registry& registry);

}  // namespace medic
