// Slack: `slack.post` posts an incident update through an incoming webhook: a plain
// `text` fallback (notifications, old clients) plus `blocks` with the title, status,
// summary, fields and links. The webhook URL is a secret (from a parameter, environment
// variable or file); without one the step is skipped as not configured.
// Start with RegisterSlackActions; SlackMessage() builds the body.
#pragma once

#include "base/json.h"
#include "integrations/action.h"

namespace medic {

/// Adds slack.post to `registry`.
void RegisterSlackActions(Registry& registry);

/// The incoming-webhook body for normalised `with`: {text, blocks}. `incident_id` and
/// `run_id` fill the default title and the footer.
Json SlackMessage(const Json& with, int64_t incident_id, int64_t run_id);

}  // namespace medic
