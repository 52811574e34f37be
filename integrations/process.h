// Actions that run and inspect local processes: `exec` (a command, argv only),
// `process.find` (by name, listening port or pid file), `process.gcore` (a core file of a
// live process, through gdb's gcore) and `process.signal`. The process group and output
// capture live in process_runner.h; reading /proc lives in proc_table.h.
#pragma once

#include "integrations/action.h"

namespace medic {

/// Adds exec and the process.* actions to `registry`.
void RegisterProcessActions(Registry& registry);

}  // namespace medic
