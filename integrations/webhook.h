// Generic webhooks: `webhook.post` sends a JSON body to any receiver (a chat bridge, a
// status page, an internal incident bot), optionally signed with HMAC-SHA256 over the raw
// body ("sha256=<hex>" in a configurable header, as GitHub does) using a secret read from
// an environment variable or a file. Start with RegisterWebhookActions.
#pragma once

#include <string>
#include <string_view>

#include "integrations/action.h"

namespace medic {

/// Adds webhook.post to `registry`.
void RegisterWebhookActions(Registry& registry);

/// "sha256=" + the lower-case hex HMAC-SHA256 of `body` under `secret`.
std::string WebhookSignature(std::string_view secret, std::string_view body);

}  // namespace medic
