// `gdb.analyze`: the triage step. Reads crash logs and goroutine dumps (the panic, often
// recovered by net/http, is only in the logs) and the core of the live process (through
// delve, gdb as fallback, for goroutine state and leaks), and outputs the analysis that
// `medic analyze --json` prints: category, culprit, recommendation.
#pragma once

#include "integrations/action.h"

namespace medic {

/// Adds gdb.analyze to `registry`.
void RegisterGdbActions(Registry& registry);

}  // namespace medic
