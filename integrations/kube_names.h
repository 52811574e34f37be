// What medic hands to kubectl, and how: checks for every value that becomes a kubectl
// argument (object names per DNS-1123, label keys and values, image references, label
// selectors), following the API server's rules and refusing a leading '-' (kubectl would read
// the value as a flag) or anything a shell would treat specially; then the kubectl command
// line the kubectl.* actions share (global flags from the common parameters), running it
// through the step's context and turning its failures into clear step errors.
// Used by the kubectl.* actions (integrations/kubectl*.cc); start with Kubectl and RunKubectl.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "integrations/action.h"

namespace medic {

// ---------------------------------------------------------------- names

/// A DNS-1123 label (namespaces, container names): at most 63 lower-case letters, digits
/// and '-', starting and ending with a letter or digit. `what` names the value in the
/// error ("param 'namespace'"). Returns kInvalidArgument saying what is wrong.
Status CheckDnsLabel(std::string_view what, std::string_view value);

/// A DNS-1123 subdomain (pod and deployment names): at most 253 characters, dot-separated
/// DNS-1123 labels.
Status CheckDnsSubdomain(std::string_view what, std::string_view value);

/// A label key: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63
/// letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
Status CheckLabelKey(std::string_view what, std::string_view value);

/// A label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting and
/// ending with a letter or digit.
Status CheckLabelValue(std::string_view what, std::string_view value);

/// A container image reference: [host[:port]/]path[:tag][@algorithm:hex], no whitespace.
Status CheckImageRef(std::string_view what, std::string_view value);

/// A label selector in the restricted grammar medic accepts: comma-joined requirements
/// `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`.
Status CheckLabelSelector(std::string_view what, std::string_view value);

/// A free-form argument (kubeconfig context, file path): not empty, no leading '-', no
/// control characters.
Status CheckPlainArg(std::string_view what, std::string_view value);

// ---------------------------------------------------------------- the kubectl command line

/// The binary and global flags every kubectl call of one step shares.
struct Kubectl {
  std::string binary = "kubectl";
  std::vector<std::string> globals;  ///< --kubeconfig, --context, --namespace, --request-timeout
  std::string ns;                    ///< the `namespace` param; empty: the kubeconfig context's

  /// binary, globals, then `args`.
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;
  /// Argv shell-quoted for display (--dry-run, confirmation prompts).
  std::string Show(const std::vector<std::string>& args) const;
};

/// The parameters every kubectl action takes: namespace, context, kubeconfig, kubectl,
/// request_timeout.
std::vector<ParamSpec> KubectlCommonParams();

/// The command line from the (checked) common parameters.
Kubectl KubectlFrom(const Json& with);

/// kSkipped ("not configured: ...") when kubectl would have no cluster to talk to: no
/// `kubeconfig`, no $KUBECONFIG, no ~/.kube/config and not inside a pod. kNotFound when the
/// `kubeconfig` named does not exist.
Status CheckKubectlConfigured(const Json& with);

/// kNotFound naming the Debian package (kubernetes-client) when the binary is missing.
Status CheckKubectlBinary(const Kubectl& k);

/// How a line kubectl printed last maps onto medic's codes (retries, step status):
/// NotFound, Timeout ("timed out waiting", client timeouts), FailedPrecondition (Forbidden,
/// BadRequest, Invalid, Conflict), else Unavailable.
Code ClassifyKubectlError(const std::string& line);

/// One kubectl invocation of a step.
struct KubectlCall {
  std::string what;               ///< for errors: "kubectl set image deployment/checkout"
  std::vector<std::string> args;  ///< after the global flags
  std::string stdout_path;        ///< stream stdout to this file instead of capturing it
  std::string stdin_data;
};

/// Runs kubectl through RunStepProcess (process group recorded first; the step's timeout
/// and cancel apply). Returns the result only for exit code 0; otherwise the step's error:
/// "WHAT failed (exit code N): kubectl's last stderr line" (kubectl's stderr is kept in
/// outputs["stderr"]), kTimeout when the step's timeout killed it, kCancelled, or
/// CheckKubectlBinary's error.
Result<ProcessResult> RunKubectl(StepContext& ctx, const Kubectl& k, const KubectlCall& call,
                                 Json& outputs);

/// `text` parsed as a JSON object; kUnavailable naming `what` when it is not one.
Result<Json> ParseJsonObject(const std::string& text, const std::string& what);

/// `kubectl get KIND NAME -o json`, parsed.
Result<Json> KubectlGetJson(StepContext& ctx, const Kubectl& k, const std::string& kind,
                            const std::string& name, Json& outputs);

/// The namespace for raw API paths: the `namespace` param, else the kubeconfig context's
/// (`kubectl config view --minify`, no request to the cluster), else "default".
Result<std::string> ResolveKubeNamespace(StepContext& ctx, const Kubectl& k, Json& outputs);

/// Names of spec.containers of a pod spec or pod template spec.
std::vector<std::string> ContainerNames(const Json& pod_spec);

/// kNotFound "WHERE has no container 'x' (it has a, b) (did you mean ...)" unless present.
Status RequireContainer(const std::vector<std::string>& names, const std::string& container,
                        const std::string& where);

// ---------------------------------------------------------------- small helpers

/// "5s" or "1500ms": what kubectl's duration flags accept.
std::string KubeDuration(int64_t ms);

/// The value at `path` in `j`, or null when a step is missing or not an object.
Json JsonAt(const Json& j, std::initializer_list<const char*> path);
/// JsonAt as a string; "" when missing or not a string.
std::string JsonAtString(const Json& j, std::initializer_list<const char*> path);

/// The last non-empty line of `text`, trimmed, at most 400 characters.
std::string LastLineOf(const std::string& text);

}  // namespace medic
