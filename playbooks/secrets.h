// The secrets a playbook can reach, registered for redaction (base/redact.h) when it is
// loaded, before any step runs: the variables named under `secrets:`, `allow_env` entries
// whose names look secret, and the environment variables and files its steps' actions read
// keys from (routing_key_env, webhook_url_file, secret_env, ... and their defaults, such as
// PAGERDUTY_ROUTING_KEY). Registering by value means a key that a step prints, or that
// lands in an argv or a response, is replaced with [REDACTED] wherever medic writes it.
#pragma once

#include "playbooks/playbook.h"

namespace medic {

class Registry;

/// Registers every secret value `pb` can reach (unset variables and unreadable files are
/// skipped; the step that needs them reports that). Thread-safe; idempotent.
void RegisterPlaybookSecrets(const Playbook& pb, const Registry& registry);

}  // namespace medic
