// The one list of every action medic ships. Each integration contributes a
// Register*Actions function from its own file pair; add new ones here.
#include "base/strings.h"
#include "integrations/action.h"
#include "integrations/alertmanager.h"
#include "integrations/gdb.h"
#include "integrations/http.h"
#include "integrations/kubectl.h"
#include "integrations/pagerduty.h"
#include "integrations/process.h"
#include "integrations/prometheus.h"
#include "integrations/pushgateway.h"
#include "integrations/s3_action.h"
#include "integrations/slack.h"
#include "integrations/webhook.h"

namespace medic {
namespace {

class SleepAction : public Action {
 public:
  SleepAction() {
    info_.name = "sleep";
    info_.summary = "Wait for a duration (cancellable)";
    info_.params = {{.name = "duration",
                     .type = ParamType::kDuration,
                     .required = true,
                     .help = "how long, e.g. 5s"}};
    info_.idempotent = true;
    info_.outputs = {{"slept_ms", "how long it waited"}};
  }
  const ActionInfo& info() const override { return info_; }
  std::vector<std::string> Plan(const Json& with) const override {
    return {"sleep " + FormatDurationMs(ParamInt(with, "duration"))};
  }
  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    int64_t ms = ParamInt(with, "duration");
    int64_t start = ctx.clock().MonotonicMs();
    int64_t remaining = ctx.RemainingMs();
    bool done = ctx.cancel().SleepFor(std::min(ms, remaining));
    outputs["slept_ms"] = ctx.clock().MonotonicMs() - start;
    if (!done) return Status::Cancelled("stopped");
    if (remaining < ms) return Status::Timeout("step timeout before the sleep ended");
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

}  // namespace

void RegisterBuiltinActions(Registry& registry) {
  (void)registry.Add(std::make_unique<SleepAction>());
  RegisterProcessActions(registry);
  RegisterHttpActions(registry);
  RegisterKubectlActions(registry);
  RegisterPrometheusActions(registry);
  RegisterPushgatewayActions(registry);
  RegisterAlertmanagerActions(registry);
  RegisterPagerDutyActions(registry);
  RegisterSlackActions(registry);
  RegisterWebhookActions(registry);
  RegisterGdbActions(registry);
  RegisterS3Actions(registry);
}

}  // namespace medic
