// The kubectl actions that change production, each destructive (confirmed unless the
// step says otherwise): taking a pod out of traffic (kubectl.isolate relabels it,
// kubectl.envoy_fail fails its sidecar's health checks), rolling a deployment to another
// image and waiting for it (kubectl.set_image, kubectl.rollout_status), and restarting or
// rolling back (kubectl.rollout_restart, kubectl.rollout_undo, kubectl.delete_pod).
#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/strings.h"
#include "base/ticker.h"
#include "env/files.h"
#include "integrations/kube_names.h"
#include "integrations/kubectl_action.h"

namespace medic {
namespace {

constexpr const char* kQuarantineKey = "medic.io/quarantined";

// ---------------------------------------------------------------- kubectl.isolate

class IsolateAction : public KubectlAction {
 public:
  IsolateAction()
      : KubectlAction(
            "kubectl.isolate",
            "Relabel a pod so its Service stops sending it traffic; it keeps running for forensics",
            {PodParam(),
             {.name = "remove_labels",
              .type = ParamType::kStringList,
              .default_value = Json::array(),
              .help = "label keys to drop: the Service's selector keys, e.g. [app]",
              .check = CheckLabelKey},
             {.name = "set_labels",
              .type = ParamType::kStringMap,
              .default_value = Json::object(),
              .help =
                  "labels to set, e.g. {track: quarantine} when the selector matches on a value"},
             {.name = "mark",
              .type = ParamType::kBool,
              .default_value = true,
              .help = std::string("also set ") + kQuarantineKey +
                      "=true, so isolated pods are easy to find"}},
            {{"pod", "the pod"},
             {"labels_before", "its labels before"},
             {"labels_after", "its labels after"},
             {"removed", "the keys that were present and are gone"},
             {"already_isolated", "true when an earlier run had isolated it already"}},
            // Relabelling twice is the same as once.
            /*idempotent=*/true, /*destructive=*/true) {}

 protected:
  Status Check(const Json& with) const override {
    auto remove = ParamStringList(with, "remove_labels");
    const Json& set = with.contains("set_labels") ? with["set_labels"] : Json::object();
    for (auto it = set.begin(); it != set.end(); ++it) {
      MEDIC_RETURN_IF_ERROR(CheckLabelKey("param 'set_labels'", it.key()));
      MEDIC_RETURN_IF_ERROR(
          CheckLabelValue("param 'set_labels' value of " + it.key(), it->get<std::string>()));
      if (std::find(remove.begin(), remove.end(), it.key()) != remove.end())
        return Status::Invalid("label '" + it.key() + "' is both in remove_labels and set_labels");
    }
    if (remove.empty() && set.empty())
      return Status::Invalid(
          "kubectl.isolate needs remove_labels (the Service's selector keys) or set_labels: "
          "otherwise the Service keeps sending the pod traffic");
    return Status::Ok();
  }
  static std::vector<std::string> LabelArgs(const Json& with) {
    std::vector<std::string> args = {"label", "pod", ParamString(with, "pod")};
    for (const auto& key : ParamStringList(with, "remove_labels")) args.push_back(key + "-");
    if (with.contains("set_labels"))
      for (auto it = with["set_labels"].begin(); it != with["set_labels"].end(); ++it)
        args.push_back(it.key() + "=" + it->get<std::string>());
    if (ParamBool(with, "mark")) args.push_back(std::string(kQuarantineKey) + "=true");
    args.push_back("--overwrite");
    args.push_back("-o");
    args.push_back("json");
    return args;
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    return {{"get", "pod", ParamString(with, "pod"), "-o", "json"}, LabelArgs(with)};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    std::string pod = ParamString(with, "pod");
    outputs["pod"] = pod;
    auto before = KubectlGetJson(ctx, k, "pod", pod, outputs);
    if (!before.ok()) return before.status();
    Json labels = JsonAt(*before, {"metadata", "labels"});
    if (!labels.is_object()) labels = Json::object();
    outputs["labels_before"] = labels;
    Json removed = Json::array();
    for (const auto& key : ParamStringList(with, "remove_labels"))
      if (labels.contains(key)) removed.push_back(key);
    bool changes_value = false;
    if (with.contains("set_labels"))
      for (auto it = with["set_labels"].begin(); it != with["set_labels"].end(); ++it)
        changes_value = changes_value || labels.value(it.key(), Json(nullptr)) != *it;
    bool marked = labels.value(kQuarantineKey, "") == "true";
    outputs["removed"] = removed;
    bool already = removed.empty() && !changes_value && marked;
    outputs["already_isolated"] = already;
    if (already) {
      // A re-run after a crash or a retry: nothing left to change.
      outputs["labels_after"] = labels;
      return Status::Ok();
    }
    if (removed.empty() && !changes_value) {
      // Nothing to drop or change: the selector keys are probably wrong, and the pod
      // would keep its traffic while the record said it was isolated.
      std::vector<std::string> have;
      for (auto it = labels.begin(); it != labels.end(); ++it)
        have.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
      return Status::Precondition(
          "pod " + pod +
          " has none of the labels in remove_labels, and set_labels "
          "changes nothing, so its traffic would not change; its labels are: " +
          (have.empty() ? std::string("(none)") : Join(have, ", ")));
    }
    auto r = RunKubectl(ctx, k, {"kubectl label pod " + pod, LabelArgs(with), "", ""}, outputs);
    if (!r.ok()) return r.status();
    auto after = ParseJsonObject(r->out, "kubectl label pod " + pod);
    if (!after.ok()) return after.status();
    Json now = JsonAt(*after, {"metadata", "labels"});
    outputs["labels_after"] = now.is_object() ? now : Json::object();
    return Status::Ok();
  }
};

// ---------------------------------------------------------------- kubectl.envoy_fail

class EnvoyFailAction : public KubectlAction {
 public:
  EnvoyFailAction()
      : KubectlAction(
            "kubectl.envoy_fail",
            "Make a pod's Envoy sidecar fail its health checks (POST /healthcheck/fail on the "
            "admin port), so load balancers drain it",
            {PodParam(),
             {.name = "container",
              .type = ParamType::kString,
              .default_value = "envoy",
              .help = "the sidecar container",
              .check = CheckDnsLabel},
             {.name = "admin_port",
              .type = ParamType::kInt,
              .default_value = 9901,
              .help = "Envoy's admin port"},
             {.name = "client",
              .type = ParamType::kString,
              .default_value = "curl",
              .help = "the HTTP client inside the sidecar image",
              .choices = {"curl", "wget"}}},
            {{"pod", "the pod"}, {"response", "what Envoy answered (\"OK\")"}},
            // Failing health checks twice is the same as once.
            /*idempotent=*/true, /*destructive=*/true) {}

 protected:
  Status Check(const Json& with) const override {
    int64_t port = ParamInt(with, "admin_port");
    if (port < 1 || port > 65535)
      return Status::Invalid("param 'admin_port': " + std::to_string(port) + " is not a TCP port");
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    std::string url =
        "http://localhost:" + std::to_string(ParamInt(with, "admin_port")) + "/healthcheck/fail";
    std::vector<std::string> args = {"exec", ParamString(with, "pod"), "--container",
                                     ParamString(with, "container"), "--"};
    if (ParamString(with, "client") == "wget") {
      for (const char* a : {"wget", "-q", "-O", "-", "--post-data="}) args.push_back(a);
    } else {
      for (const char* a : {"curl", "-sS", "--fail", "-X", "POST"}) args.push_back(a);
    }
    args.push_back(url);
    return {args};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    std::string pod = ParamString(with, "pod");
    std::string container = ParamString(with, "container");
    outputs["pod"] = pod;
    auto r = RunKubectl(
        ctx, k, {"kubectl exec " + pod + " -c " + container, Commands(with)[0], "", ""}, outputs);
    if (!r.ok()) {
      std::string err = outputs.value("stderr", "");
      std::string client = ParamString(with, "client");
      if (err.find("executable file not found") != std::string::npos ||
          err.find("exit code 127") != std::string::npos)
        return Status::Precondition(
            "container '" + container + "' of pod " + pod + " has no " + client +
            (client == "curl" ? " (try client: wget)" : " (try client: curl)") + ": " +
            r.status().message());
      return r.status();
    }
    outputs["response"] = std::string(Trim(r->out));
    return Status::Ok();
  }
};

// ---------------------------------------------------------------- deployments

class SetImageAction : public KubectlAction {
 public:
  SetImageAction()
      : KubectlAction(
            "kubectl.set_image", "Roll a deployment's container to another image (hotfix)",
            {DeploymentParam(),
             ContainerParam("the container in the pod template", /*required=*/true),
             ImageParam("e.g. registry.example.com/checkout:1.4.3")},
            {{"deployment", "the deployment"},
             {"image", "the image set"},
             {"previous_image", "the image before (for the record and a manual rollback)"},
             {"changed", "false when the container already ran that image (nothing was sent)"}},
            /*idempotent=*/true, /*destructive=*/true) {}

 protected:
  static std::vector<std::string> SetArgs(const Json& with) {
    return {"set", "image", "deployment/" + ParamString(with, "deployment"),
            ParamString(with, "container") + "=" + ParamString(with, "image")};
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    return {{"get", "deployment", ParamString(with, "deployment"), "-o", "json"}, SetArgs(with)};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    std::string deployment = ParamString(with, "deployment");
    std::string container = ParamString(with, "container");
    std::string image = ParamString(with, "image");
    outputs["deployment"] = deployment;
    outputs["image"] = image;
    auto obj = KubectlGetJson(ctx, k, "deployment", deployment, outputs);
    if (!obj.ok()) return obj.status();
    Json spec = JsonAt(*obj, {"spec", "template", "spec"});
    MEDIC_RETURN_IF_ERROR(
        RequireContainer(ContainerNames(spec), container, "deployment " + deployment));
    for (const auto& c : JsonAt(spec, {"containers"}))
      if (JsonAtString(c, {"name"}) == container)
        outputs["previous_image"] = JsonAtString(c, {"image"});
    if (outputs["previous_image"] == image) {
      outputs["changed"] = false;
      return Status::Ok();
    }
    auto r = RunKubectl(
        ctx, k, {"kubectl set image deployment/" + deployment, SetArgs(with), "", ""}, outputs);
    if (!r.ok()) return r.status();
    outputs["changed"] = true;
    return Status::Ok();
  }
};

class RolloutStatusAction : public KubectlAction {
 public:
  RolloutStatusAction()
      : KubectlAction("kubectl.rollout_status", "Wait until a deployment's rollout has finished",
                      {DeploymentParam(),
                       {.name = "timeout",
                        .type = ParamType::kDuration,
                        .default_value = "5m",
                        .help = "give up after this long (never later than the step's timeout)"}},
                      {{"deployment", "the deployment"},
                       {"rolled_out", "true when the rollout finished"},
                       {"message", "kubectl's last line"},
                       {"waited_ms", "how long it waited"}},
                      /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  Status Check(const Json& with) const override {
    if (ParamInt(with, "timeout") < 1000) return Status::Invalid("param 'timeout': at least 1s");
    return Status::Ok();
  }
  static std::vector<std::string> StatusArgs(const Json& with, int64_t timeout_ms) {
    return {"rollout", "status", "deployment/" + ParamString(with, "deployment"),
            "--timeout=" + KubeDuration(timeout_ms)};
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    return {StatusArgs(with, ParamInt(with, "timeout"))};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    std::string deployment = ParamString(with, "deployment");
    outputs["deployment"] = deployment;
    outputs["rolled_out"] = false;
    // kubectl gives up a little before the step's timeout, so the error is its own clear
    // "timed out" with the last progress line rather than a killed process.
    int64_t timeout = ParamInt(with, "timeout");
    int64_t remaining = ctx.RemainingMs();
    timeout = std::min(timeout, remaining - std::min<int64_t>(remaining / 5, 2000));
    timeout = std::max<int64_t>(1000, timeout / 1000 * 1000);
    std::string path = ctx.work_dir() + "/.rollout-" + FileSafe(ctx.step_id()) + ".out";
    Result<ProcessResult> r = Status::Internal("kubectl did not run");
    int64_t start = ctx.clock().MonotonicMs();
    {
      std::string shown;
      Ticker progress(500, [&ctx, &path, &shown] {
        std::string line = LastLineOf(ReadFileHead(path, 64 << 10).value_or(""));
        if (!line.empty() && line != shown) ctx.Progress(shown = line);
      });
      r = RunKubectl(
          ctx, k,
          {"kubectl rollout status deployment/" + deployment, StatusArgs(with, timeout), path, ""},
          outputs);
    }
    outputs["waited_ms"] = ctx.clock().MonotonicMs() - start;
    std::string out = ReadFileHead(path, 1 << 20).value_or("");
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::string last = LastLineOf(out);
    outputs["message"] = last;
    if (!r.ok()) {
      if (r.status().code() == Code::kTimeout &&
          r.status().message().find("waiting for the condition") != std::string::npos)
        return Status::Timeout("deployment " + deployment + " did not finish rolling out within " +
                               FormatDurationMs(timeout) + (last.empty() ? "" : "; last: " + last));
      return r.status();
    }
    outputs["rolled_out"] = true;
    return Status::Ok();
  }
};

/// kubectl.rollout_restart, kubectl.rollout_undo and kubectl.delete_pod: one command each.
class SimpleAction : public KubectlAction {
 public:
  using ArgsFn = std::function<std::vector<std::string>(const Json&)>;
  SimpleAction(std::string name, std::string summary, std::vector<ParamSpec> params,
               std::string subject_param, ArgsFn args, std::function<Status(const Json&)> check)
      : KubectlAction(std::move(name), std::move(summary), std::move(params),
                      {{subject_param, "the " + subject_param}, {"message", "what kubectl said"}},
                      /*idempotent=*/false, /*destructive=*/true),
        subject_(std::move(subject_param)),
        args_(std::move(args)),
        check_(std::move(check)) {}

 protected:
  Status Check(const Json& with) const override { return check_(with); }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    return {args_(with)};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    outputs[subject_] = ParamString(with, subject_);
    std::vector<std::string> args = args_(with);
    auto r = RunKubectl(
        ctx, k, {"kubectl " + args[0] + " " + args[1] + " " + args[2], args, "", ""}, outputs);
    if (!r.ok()) return r.status();
    outputs["message"] = LastLineOf(r->out);
    return Status::Ok();
  }

 private:
  std::string subject_;
  ArgsFn args_;
  std::function<Status(const Json&)> check_;
};

}  // namespace

std::unique_ptr<Action> MakeKubectlIsolate() { return std::make_unique<IsolateAction>(); }
std::unique_ptr<Action> MakeKubectlEnvoyFail() { return std::make_unique<EnvoyFailAction>(); }
std::unique_ptr<Action> MakeKubectlSetImage() { return std::make_unique<SetImageAction>(); }
std::unique_ptr<Action> MakeKubectlRolloutStatus() {
  return std::make_unique<RolloutStatusAction>();
}

std::unique_ptr<Action> MakeKubectlRolloutRestart() {
  return std::make_unique<SimpleAction>(
      "kubectl.rollout_restart", "Restart every pod of a deployment, one by one (rollout restart)",
      std::vector<ParamSpec>{DeploymentParam()}, "deployment",
      [](const Json& with) {
        return std::vector<std::string>{"rollout", "restart",
                                        "deployment/" + ParamString(with, "deployment")};
      },
      [](const Json&) { return Status::Ok(); });
}

std::unique_ptr<Action> MakeKubectlRolloutUndo() {
  return std::make_unique<SimpleAction>(
      "kubectl.rollout_undo", "Roll a deployment back to its previous (or a given) revision",
      std::vector<ParamSpec>{DeploymentParam(),
                             {.name = "to_revision",
                              .type = ParamType::kInt,
                              .default_value = 0,
                              .help = "the revision; 0: the previous one"}},
      "deployment",
      [](const Json& with) {
        std::vector<std::string> args = {"rollout", "undo",
                                         "deployment/" + ParamString(with, "deployment")};
        if (ParamInt(with, "to_revision") > 0)
          args.push_back("--to-revision=" + std::to_string(ParamInt(with, "to_revision")));
        return args;
      },
      [](const Json& with) {
        return ParamInt(with, "to_revision") < 0
                   ? Status::Invalid("param 'to_revision': must be 0 or more")
                   : Status::Ok();
      });
}

namespace {

// ---------------------------------------------------------------- kubectl.delete_pod

/// One named pod, or the pods a selector matches, bounded by the step's max_targets: the
/// pods are listed first and nothing is deleted when there are more than that.
class DeletePodAction : public KubectlAction {
 public:
  DeletePodAction()
      : KubectlAction(
            "kubectl.delete_pod",
            "Delete a pod, or the pods a selector matches (at most the step's max_targets, "
            "default 1), so their controller starts fresh ones (restart)",
            {PodParam("the pod, e.g. '{{ steps.pods.outputs.first }}'; or give selector"),
             {.name = "selector",
              .type = ParamType::kString,
              .help = "label selector of the pods to delete, e.g. app=checkout; more matches "
                      "than the step's max_targets (default 1) fail before any delete",
              .check = CheckLabelSelector},
             {.name = "wait",
              .type = ParamType::kBool,
              .default_value = false,
              .help = "wait until the pods are gone (their grace period); default: return once "
                      "the API server accepted"},
             {.name = "grace_period",
              .type = ParamType::kDuration,
              .help = "termination grace period; default the pod's (0s: kill at once)"}},
            {{"pod", "the pod deleted (the first one, with a selector)"},
             {"pods", "every pod deleted"},
             {"message", "what kubectl said"}},
            /*idempotent=*/false, /*destructive=*/true) {
    info_.acts_on_set = true;
    for (ParamSpec& p : info_.params)
      if (p.name == "pod") p.required = false;
  }

 protected:
  Status Check(const Json& with) const override {
    bool pod = !ParamString(with, "pod").empty(), selector = !ParamString(with, "selector").empty();
    if (pod == selector)
      return Status::Invalid("kubectl.delete_pod needs either pod or selector (one of them)");
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    std::string selector = ParamString(with, "selector");
    if (selector.empty()) return {DeleteArgs(with, {ParamString(with, "pod")})};
    return {{"get", "pods", "--selector", selector, "-o", "name"},
            DeleteArgs(with, {"[the pods it lists, at most max_targets]"})};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    std::vector<std::string> pods = {ParamString(with, "pod")};
    std::string selector = ParamString(with, "selector");
    if (!selector.empty()) {
      auto listed = RunKubectl(ctx, k,
                               {"kubectl get pods --selector " + selector,
                                {"get", "pods", "--selector", selector, "-o", "name"},
                                "",
                                ""},
                               outputs);
      if (!listed.ok()) return listed.status();
      pods.clear();
      for (const std::string& line : Split(listed->out, '\n')) {
        std::string_view name = Trim(line);
        if (StartsWith(name, "pod/")) name.remove_prefix(4);
        if (!name.empty()) pods.emplace_back(name);
      }
      outputs["matched"] = pods;
      if (pods.empty()) return Status::NotFound("no pod matches selector '" + selector + "'");
      if (static_cast<int>(pods.size()) > ctx.max_targets())
        return Status::Precondition(
            "selector '" + selector + "' matches " + std::to_string(pods.size()) +
            " pods, more than the step's max_targets " + std::to_string(ctx.max_targets()) +
            ": nothing was deleted (raise max_targets if that many is meant)");
      for (const std::string& pod : pods) MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("pod", pod));
    }
    outputs["pod"] = pods.front();
    outputs["pods"] = pods;
    std::vector<std::string> args = DeleteArgs(with, pods);
    auto r = RunKubectl(ctx, k, {"kubectl delete pod " + Join(pods, " "), args, "", ""}, outputs);
    if (!r.ok()) return r.status();
    outputs["message"] = LastLineOf(r->out);
    return Status::Ok();
  }

 private:
  static std::vector<std::string> DeleteArgs(const Json& with,
                                             const std::vector<std::string>& pods) {
    std::vector<std::string> args = {"delete", "pod"};
    args.insert(args.end(), pods.begin(), pods.end());
    args.push_back(std::string("--wait=") + (ParamBool(with, "wait") ? "true" : "false"));
    if (with.contains("grace_period"))
      args.push_back("--grace-period=" + std::to_string(ParamInt(with, "grace_period") / 1000));
    return args;
  }
};

}  // namespace

std::unique_ptr<Action> MakeKubectlDeletePod() { return std::make_unique<DeletePodAction>(); }

}  // namespace medic
