// `medic run --dry-run`: a playbook shown as it would run, without running or recording
// anything. Only params and environment variables have values before a run; a reference to
// a step's outputs shows as <steps.ID.outputs.NAME>.
#pragma once

#include "base/json.h"
#include "base/status.h"
#include "env/env.h"
#include "integrations/action.h"
#include "playbooks/playbook.h"

namespace medic {

/// Every step with its rendered parameters, whether it would run, whether it asks for a
/// confirmation, and the commands it would run (redacted). Runs nothing, records nothing.
Result<Json> DryRun(const Playbook& playbook, const Json& params, const Registry& registry,
                    const Environment& vars);

}  // namespace medic
