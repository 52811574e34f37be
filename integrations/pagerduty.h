// PagerDuty: `pagerduty.event` sends an Events API v2 event (POST {base_url}/v2/enqueue):
// trigger, acknowledge or resolve, under a dedup key derived from medic's incident so the
// three line up on one PagerDuty incident. The routing key comes from a parameter, an
// environment variable or a file and never reaches the record; without one the step is
// skipped as not configured. Start with RegisterPagerDutyActions.
#pragma once

#include "integrations/action.h"

namespace medic {

/// Adds pagerduty.event to `registry`.
void RegisterPagerDutyActions(Registry& registry);

}  // namespace medic
