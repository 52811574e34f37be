// Kubernetes actions, each one or a few runs of the real kubectl (argv only, through
// RunStepProcess, so the process group is recorded before it starts and the step's timeout
// and Ctrl-C stop it): kubectl.pods, .logs, .pprof (through the API server's pods/proxy),
// .isolate and .envoy_fail (take a pod out of traffic), .gcore (core from an ephemeral debug
// container), .set_image, .rollout_status, .rollout_restart, .delete_pod, .rollout_undo.
// Every value that becomes a kubectl argument is checked first (integrations/kube_names.h).
// Start with the KubectlAction base class in kubectl_action.h; the actions live in
// kubectl_read.cc, kubectl_change.cc and kubectl_gcore.cc.
#pragma once

#include "integrations/action.h"

namespace medic {

/// Adds the kubectl.* actions to `registry`.
void RegisterKubectlActions(Registry& registry);

}  // namespace medic
