// Internal to the kubectl.* actions: the KubectlAction base class they derive from, the
// parameters several of them share, small file helpers, and one factory per action.
// The actions live by concern: kubectl_read.cc (pods, logs, pprof: nothing changes),
// kubectl_change.cc (isolate, envoy_fail, set_image, rollouts, delete_pod: production
// changes), kubectl_gcore.cc (a core through an ephemeral debug container). kubectl.cc holds
// the base class and RegisterKubectlActions. Not for use outside these files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "integrations/action.h"
#include "integrations/kube_names.h"

namespace medic {

/// What every kubectl action shares: the common parameters, checks before anything runs
/// (the schema's name checks, configuration, the binary) and Plan() from the same command lines
/// Run() uses.
class KubectlAction : public Action {
 public:
  const ActionInfo& info() const override { return info_; }
  std::vector<std::string> Plan(const Json& with) const override;
  Status Run(const Json& with, StepContext& ctx, Json& outputs) override;

 protected:
  /// Appends KubectlCommonParams() to `params` and a `stderr` output to `outputs`.
  KubectlAction(std::string name, std::string summary, std::vector<ParamSpec> params,
                std::vector<OutputSpec> outputs, bool idempotent, bool destructive);

  /// Checks what the parameters' schema cannot say (ranges, one parameter against another);
  /// Run has already checked each value against its ParamSpec. Nothing has run yet.
  virtual Status Check(const Json& /*with*/) const { return Status::Ok(); }
  /// The kubectl argument lists Run would use (after the global flags), for --dry-run.
  /// Trailing arguments starting with '[' or '>' are notes, shown unquoted.
  virtual std::vector<std::vector<std::string>> Commands(const Json& with) const = 0;
  /// Runs the action with its parameters and the common ones already checked.
  virtual Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) = 0;

  ActionInfo info_;
};

/// The required `pod` parameter (checked as a DNS-1123 name).
ParamSpec PodParam(const std::string& help = "the pod, e.g. '{{ steps.pods.outputs.first }}'");
/// The required `deployment` parameter (checked as a DNS-1123 name).
ParamSpec DeploymentParam();
/// A `container` parameter (checked as a DNS-1123 label).
ParamSpec ContainerParam(const std::string& help, bool required);
/// The required `image` parameter (checked as an image reference).
ParamSpec ImageParam(const std::string& help);

/// `s` with everything but letters, digits, '.' and '-' replaced by '_', for file names in
/// the run directory (built from checked names; kept plain anyway).
std::string FileSafe(const std::string& s);
/// The size of the file at `path`; -1 when it cannot be read.
int64_t FileSize(const std::string& path);

// One factory per action; RegisterKubectlActions lists them all.
std::unique_ptr<Action> MakeKubectlPods();            // kubectl_read.cc
std::unique_ptr<Action> MakeKubectlLogs();            // kubectl_read.cc
std::unique_ptr<Action> MakeKubectlPprof();           // kubectl_read.cc
std::unique_ptr<Action> MakeKubectlGcore();           // kubectl_gcore.cc
std::unique_ptr<Action> MakeKubectlIsolate();         // kubectl_change.cc
std::unique_ptr<Action> MakeKubectlEnvoyFail();       // kubectl_change.cc
std::unique_ptr<Action> MakeKubectlSetImage();        // kubectl_change.cc
std::unique_ptr<Action> MakeKubectlRolloutStatus();   // kubectl_change.cc
std::unique_ptr<Action> MakeKubectlRolloutRestart();  // kubectl_change.cc
std::unique_ptr<Action> MakeKubectlRolloutUndo();     // kubectl_change.cc
std::unique_ptr<Action> MakeKubectlDeletePod();       // kubectl_change.cc

}  // namespace medic
