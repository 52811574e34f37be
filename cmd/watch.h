// Following a run that another medic (serve, or a `medic run` elsewhere) drives: `medic show
// --watch` and `medic logs -f` poll the record until the run stops moving. Start with
// FollowRun.
#pragma once

#include <cstdint>
#include <functional>

#include "base/status.h"
#include "cmd/context.h"
#include "store/store.h"

namespace medic {

/// True while `run` may still change on its own: queued, or running with a live driver.
bool RunMoving(const RunRecord& run, int64_t now_ms);

/// Calls `draw` with the run and its steps now, then every `interval_ms` while `follow` and
/// the run is moving, until Ctrl-C or SIGTERM. Returns the run as last read.
Result<RunRecord> FollowRun(
    Context& ctx, Store& store, int64_t run_id, bool follow, int64_t interval_ms,
    const std::function<void(const RunRecord&, const std::vector<StepRecord>&)>& draw);

}  // namespace medic
