#include "cmd/watch.h"

#include "base/cancel.h"
#include "report/record_json.h"

namespace medic {

bool RunMoving(const RunRecord& run, int64_t now_ms) {
  std::string shown = ShownRunStatus(run, now_ms);
  return shown == "queued" || shown == "running";
}

Result<RunRecord> FollowRun(
    Context& ctx, Store& store, int64_t run_id, bool follow, int64_t interval_ms,
    const std::function<void(const RunRecord&, const std::vector<StepRecord>&)>& draw) {
  CancelToken stop;
  ScopedSignalCancel signals(&stop);
  for (;;) {
    auto run = store.GetRun(run_id);
    if (!run.ok()) return run.status();
    auto steps = store.GetSteps(run_id);
    if (!steps.ok()) return steps.status();
    draw(*run, *steps);
    if (!follow || !RunMoving(*run, ctx.env().clock->NowUnixMs())) return run;
    if (!stop.SleepFor(interval_ms)) return run;
  }
}

}  // namespace medic
