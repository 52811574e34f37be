#include "integrations/kubectl.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <utility>

#include "env/files.h"
#include "integrations/kube_names.h"
#include "integrations/kubectl_action.h"

namespace medic {

// ---------------------------------------------------------------- small helpers

std::string FileSafe(const std::string& s) {
  std::string out;
  for (char c : s)
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
  return out;
}

int64_t FileSize(const std::string& path) {
  struct stat st = {};
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

// ---------------------------------------------------------------- the action base

std::vector<std::string> KubectlAction::Plan(const Json& with) const {
  Kubectl k = KubectlFrom(with);
  std::vector<std::string> plan;
  for (auto args : Commands(with)) {
    // Trailing notes ("[until it runs]", "> FILE") are shown as they are, not quoted.
    std::string notes;
    while (!args.empty() && !args.back().empty() &&
           (args.back()[0] == '[' || args.back()[0] == '>')) {
      notes = " " + args.back() + notes;
      args.pop_back();
    }
    plan.push_back(k.Show(args) + notes);
  }
  return plan;
}

Status KubectlAction::Run(const Json& with, StepContext& ctx, Json& outputs) {
  // The runner has checked rendered values already; an action run directly is checked too.
  if (auto problems = CheckParams(info_, with, /*allow_templates=*/false); !problems.empty())
    return Status::Invalid(problems.front());
  MEDIC_RETURN_IF_ERROR(Check(with));
  MEDIC_RETURN_IF_ERROR(CheckKubectlConfigured(with));
  Kubectl k = KubectlFrom(with);
  MEDIC_RETURN_IF_ERROR(CheckKubectlBinary(k));
  return Execute(with, k, ctx, outputs);
}

namespace {

// What each action asks the API server to do, by the kubectl commands it runs (kubectl
// label and set image patch; rollout status watches; debug patches ephemeralcontainers).
// One table, so `medic doctor` and deploy/kubernetes/rbac.yaml cannot disagree with it.
const std::vector<std::pair<std::string, std::vector<std::string>>> kKubeAccess = {
    {"kubectl.pods", {"list pods"}},
    {"kubectl.logs", {"get pods", "get pods/log"}},
    {"kubectl.pprof", {"get pods/proxy"}},
    {"kubectl.isolate", {"get pods", "patch pods"}},
    {"kubectl.envoy_fail", {"get pods", "create pods/exec"}},
    {"kubectl.gcore", {"get pods", "patch pods/ephemeralcontainers", "create pods/exec"}},
    {"kubectl.set_image", {"get deployments", "patch deployments"}},
    {"kubectl.rollout_status", {"get deployments", "watch deployments", "list replicasets"}},
    {"kubectl.rollout_restart", {"get deployments", "patch deployments"}},
    {"kubectl.rollout_undo", {"get deployments", "list replicasets", "patch deployments"}},
    {"kubectl.delete_pod", {"get pods", "list pods", "delete pods"}},
};

}  // namespace

KubectlAction::KubectlAction(std::string name, std::string summary, std::vector<ParamSpec> params,
                             std::vector<OutputSpec> outputs, bool idempotent, bool destructive) {
  for (const auto& [action, access] : kKubeAccess)
    if (action == name) info_.kube_access = access;
  info_.name = std::move(name);
  info_.summary = std::move(summary);
  info_.params = std::move(params);
  for (auto& p : KubectlCommonParams()) info_.params.push_back(std::move(p));
  info_.outputs = std::move(outputs);
  info_.outputs.push_back({"stderr", "kubectl's standard error, when it failed"});
  info_.idempotent = idempotent;
  info_.destructive = destructive;
}

ParamSpec PodParam(const std::string& help) {
  return {.name = "pod",
          .type = ParamType::kString,
          .required = true,
          .help = help,
          .check = CheckDnsSubdomain};
}
ParamSpec DeploymentParam() {
  return {.name = "deployment",
          .type = ParamType::kString,
          .required = true,
          .help = "the deployment",
          .check = CheckDnsSubdomain};
}
ParamSpec ContainerParam(const std::string& help, bool required) {
  return {.name = "container",
          .type = ParamType::kString,
          .required = required,
          .help = help,
          .check = CheckDnsLabel};
}
ParamSpec ImageParam(const std::string& help) {
  return {.name = "image",
          .type = ParamType::kString,
          .required = true,
          .help = help,
          .check = CheckImageRef};
}

// ---------------------------------------------------------------- registration

void RegisterKubectlActions(Registry& registry) {
  (void)registry.Add(MakeKubectlPods());
  (void)registry.Add(MakeKubectlLogs());
  (void)registry.Add(MakeKubectlPprof());
  (void)registry.Add(MakeKubectlIsolate());
  (void)registry.Add(MakeKubectlEnvoyFail());
  (void)registry.Add(MakeKubectlGcore());
  (void)registry.Add(MakeKubectlSetImage());
  (void)registry.Add(MakeKubectlRolloutStatus());
  (void)registry.Add(MakeKubectlRolloutRestart());
  (void)registry.Add(MakeKubectlRolloutUndo());
  (void)registry.Add(MakeKubectlDeletePod());
}

}  // namespace medic
