// The JSON medic serve answers on GET /incidents and GET /incidents/ID: incidents with
// their alerts and runs, read from the record (already redacted when written).
// Start with IncidentsJson and IncidentJson.
#pragma once

#include <cstdint>

#include "base/json.h"
#include "base/status.h"
#include "store/store.h"

namespace medic {

/// {"incidents": [{"id","title","source","dedup_key","status","labels","created_at",
///  "detected_at","closed_at","runs":[{"id","playbook","status"}]}]}, newest first.
Result<Json> IncidentsJson(Store& store, int limit);

/// One incident as above, plus "alerts" (one per fingerprint, with status and times),
/// runs with their steps' statuses, and every event of the incident in order. Fails with
/// kNotFound for an unknown id.
Result<Json> IncidentJson(Store& store, int64_t id);

}  // namespace medic
