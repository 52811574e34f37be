// The JSON medic serve answers on GET /incidents and GET /incidents/ID: incidents with
// their alerts and runs, read from the record (already redacted when written). Incidents,
// runs, steps, artifacts and events have the one shape of report/record_json.h.
// Start with IncidentsJson and IncidentJson.
#pragma once

#include <cstdint>

#include "base/json.h"
#include "base/status.h"
#include "store/store.h"

namespace medic {

/// {"incidents": [{IncidentToJson..., "runs": [RunSummaryToJson...]}]}, newest first.
Result<Json> IncidentsJson(Store& store, int limit);

/// One incident: IncidentToJson, "runs" as `medic show --json` prints each (RunToJson),
/// "alerts" (one per fingerprint, with status and times), and "events" (EventToJson, in
/// record order). Fails with kNotFound for an unknown id.
Result<Json> IncidentJson(Store& store, int64_t id);

}  // namespace medic
