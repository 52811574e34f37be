// kubectl.pods, kubectl.logs and kubectl.pprof: the kubectl actions that only read (pod
// states, a container's log, a Go profile through the API server's pods/proxy).
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/strings.h"
#include "env/files.h"
#include "integrations/kube_names.h"
#include "integrations/kubectl_action.h"

namespace medic {
namespace {

// ---------------------------------------------------------------- kubectl.pods

Json ContainerSummary(const Json& status) {
  Json c = {{"name", JsonAtString(status, {"name"})},
            {"image", JsonAtString(status, {"image"})},
            {"ready", JsonAt(status, {"ready"}) == true},
            {"restarts", JsonAt(status, {"restartCount"}).is_number()
                             ? JsonAt(status, {"restartCount"}).get<int64_t>()
                             : 0}};
  std::string state = "unknown";
  Json s = JsonAt(status, {"state"});
  if (s.is_object() && !s.empty()) {
    state = s.begin().key();
    std::string reason = JsonAtString(s.begin().value(), {"reason"});
    if (!reason.empty()) state += ": " + reason;
  }
  c["state"] = state;
  Json last = JsonAt(status, {"lastState", "terminated", "exitCode"});
  c["last_exit_code"] = last.is_number() ? last : Json(nullptr);
  return c;
}

Json PodSummary(const Json& pod) {
  Json containers = Json::array();
  int64_t restarts = 0;
  bool ready = true;
  Json statuses = JsonAt(pod, {"status", "containerStatuses"});
  if (statuses.is_array()) {
    for (const auto& s : statuses) {
      Json c = ContainerSummary(s);
      restarts += c["restarts"].get<int64_t>();
      ready = ready && c["ready"].get<bool>();
      containers.push_back(c);
    }
  }
  if (containers.empty()) ready = false;
  return {{"name", JsonAtString(pod, {"metadata", "name"})},
          {"node", JsonAtString(pod, {"spec", "nodeName"})},
          {"phase", JsonAtString(pod, {"status", "phase"})},
          {"ip", JsonAtString(pod, {"status", "podIP"})},
          {"ready", ready},
          {"restarts", restarts},
          {"containers", containers}};
}

class PodsAction : public KubectlAction {
 public:
  PodsAction()
      : KubectlAction(
            "kubectl.pods", "List pods (by label selector) with node, restarts and readiness",
            {{.name = "selector",
              .type = ParamType::kString,
              .help = "label selector: app=checkout, tier!=db, env in (a,b); default every pod",
              .check = CheckLabelSelector},
             {.name = "allow_empty",
              .type = ParamType::kBool,
              .default_value = false,
              .help = "succeed when no pod matches"}},
            {{"pods",
              "[{name, node, phase, ip, ready, restarts, containers: [{name, image, ready, "
              "restarts, state, last_exit_code}]}] in kubectl's order (by name)"},
             {"names", "the pods' names"},
             {"first",
              "the pod with the most restarts (the likely crasher); on a tie the first by name"},
             {"count", "how many pods matched"},
             {"ready_count", "how many of them are ready"}},
            /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    std::vector<std::string> args = {"get", "pods"};
    if (!ParamString(with, "selector").empty()) {
      args.push_back("--selector");
      args.push_back(ParamString(with, "selector"));
    }
    args.push_back("-o");
    args.push_back("json");
    return {args};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    auto r = RunKubectl(ctx, k, {"kubectl get pods", Commands(with)[0], "", ""}, outputs);
    if (!r.ok()) return r.status();
    auto list = ParseJsonObject(r->out, "kubectl get pods");
    if (!list.ok()) return list.status();
    Json items = JsonAt(*list, {"items"});
    if (!items.is_array())
      return Status::Unavailable("kubectl get pods printed a JSON object without `items`");
    Json pods = Json::array(), names = Json::array();
    std::string first;
    int64_t most = -1, ready = 0;
    for (const auto& item : items) {
      Json p = PodSummary(item);
      if (p["restarts"].get<int64_t>() > most) {
        most = p["restarts"].get<int64_t>();
        first = p["name"].get<std::string>();
      }
      ready += p["ready"].get<bool>();
      names.push_back(p["name"]);
      pods.push_back(std::move(p));
    }
    outputs["pods"] = pods;
    outputs["names"] = names;
    outputs["first"] = first;
    outputs["count"] = pods.size();
    outputs["ready_count"] = ready;
    if (pods.empty() && !ParamBool(with, "allow_empty")) {
      std::string sel = ParamString(with, "selector");
      return Status::NotFound(
          "no pod matches " + (sel.empty() ? "anything" : "selector '" + sel + "'") +
          " in namespace " + (k.ns.empty() ? "of the kubeconfig context" : "'" + k.ns + "'"));
    }
    return Status::Ok();
  }
};

// ---------------------------------------------------------------- kubectl.logs

class LogsAction : public KubectlAction {
 public:
  LogsAction()
      : KubectlAction(
            "kubectl.logs",
            "Save a container's log (the crashed instance's with previous) to the run",
            {PodParam(),
             ContainerParam("default: the pod's default container (annotation), else its first",
                            /*required=*/false),
             {.name = "previous",
              .type = ParamType::kString,
              .default_value = "auto",
              .help =
                  "the log of the container before its last restart: auto = when it has restarted",
              .choices = {"auto", "true", "false"}},
             {.name = "tail",
              .type = ParamType::kInt,
              .default_value = 0,
              .help = "only the last N lines; 0: all"},
             {.name = "since", .type = ParamType::kDuration, .help = "only lines newer than this"},
             {.name = "limit_bytes", .type = ParamType::kSize, .help = "cap on the log's size"},
             {.name = "timestamps",
              .type = ParamType::kBool,
              .default_value = false,
              .help = "prefix each line with its time"}},
            {{"path", "the log file in the run's directory (artifact kind 'logs')"},
             {"bytes", "its size"},
             {"sha256", "its SHA-256"},
             {"lines", "its number of lines"},
             {"previous", "true when it is the log before the last restart"},
             {"container", "the container read"},
             {"restarts", "the container's restart count (previous: auto or no container given)"}},
            /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  Status Check(const Json& with) const override {
    if (ParamInt(with, "tail") < 0) return Status::Invalid("param 'tail': must be 0 or more");
    return Status::Ok();
  }
  static bool NeedsPod(const Json& with) {
    return ParamString(with, "container").empty() || ParamString(with, "previous") == "auto";
  }
  static std::vector<std::string> LogArgs(const Json& with, const std::string& container,
                                          bool previous) {
    std::vector<std::string> args = {"logs", ParamString(with, "pod"), "--container", container};
    if (previous) args.push_back("--previous");
    if (ParamInt(with, "tail") > 0)
      args.push_back("--tail=" + std::to_string(ParamInt(with, "tail")));
    if (ParamInt(with, "since") > 0)
      args.push_back("--since=" + KubeDuration(ParamInt(with, "since")));
    if (ParamInt(with, "limit_bytes") > 0)
      args.push_back("--limit-bytes=" + std::to_string(ParamInt(with, "limit_bytes")));
    if (ParamBool(with, "timestamps")) args.push_back("--timestamps");
    return args;
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    std::vector<std::vector<std::string>> cmds;
    if (NeedsPod(with)) cmds.push_back({"get", "pod", ParamString(with, "pod"), "-o", "json"});
    std::string container = ParamString(with, "container");
    cmds.push_back(LogArgs(with, container.empty() ? "CONTAINER" : container,
                           ParamString(with, "previous") == "true"));
    if (ParamString(with, "previous") == "auto")
      cmds.back().push_back("[--previous if it restarted]");
    return cmds;
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    std::string pod = ParamString(with, "pod");
    std::string container = ParamString(with, "container");
    std::string mode = ParamString(with, "previous");
    bool previous = mode == "true";
    if (NeedsPod(with)) {
      auto obj = KubectlGetJson(ctx, k, "pod", pod, outputs);
      if (!obj.ok()) return obj.status();
      std::vector<std::string> names = ContainerNames(JsonAt(*obj, {"spec"}));
      if (container.empty()) {
        container = JsonAtString(
            *obj, {"metadata", "annotations", "kubectl.kubernetes.io/default-container"});
        if (container.empty() && !names.empty()) container = names.front();
      }
      MEDIC_RETURN_IF_ERROR(RequireContainer(names, container, "pod " + pod));
      int64_t restarts = 0;
      Json statuses = JsonAt(*obj, {"status", "containerStatuses"});
      if (statuses.is_array())
        for (const auto& s : statuses)
          if (JsonAtString(s, {"name"}) == container && JsonAt(s, {"restartCount"}).is_number())
            restarts = JsonAt(s, {"restartCount"}).get<int64_t>();
      outputs["restarts"] = restarts;
      if (mode == "auto") previous = restarts > 0;
    }
    outputs["container"] = container;
    std::string path = ctx.work_dir() + "/logs-" + FileSafe(pod) + "-" + FileSafe(container) +
                       (previous ? "-previous" : "") + ".log";
    auto r =
        RunKubectl(ctx, k,
                   {"kubectl logs " + pod + " -c " + container + (previous ? " --previous" : ""),
                    LogArgs(with, container, previous), path, ""},
                   outputs);
    if (!r.ok() && previous && mode == "auto" &&
        outputs.value("stderr", "").find("previous terminated container") != std::string::npos) {
      // The restart count said there was an earlier container, but its log is gone
      // (garbage-collected or the node changed): the current log is the next best thing.
      previous = false;
      outputs.erase("stderr");
      path = ctx.work_dir() + "/logs-" + FileSafe(pod) + "-" + FileSafe(container) + ".log";
      r = RunKubectl(
          ctx, k,
          {"kubectl logs " + pod + " -c " + container, LogArgs(with, container, false), path, ""},
          outputs);
    }
    outputs["previous"] = previous;
    if (!r.ok()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      return r.status();
    }
    int64_t bytes = FileSize(path);
    int64_t lines = 0;
    {
      std::ifstream f(path, std::ios::binary);
      std::string line;
      while (std::getline(f, line)) ++lines;
    }
    outputs["bytes"] = bytes;
    outputs["lines"] = lines;
    ArtifactInfo a;
    a.kind = "logs";
    a.path = path;
    a.size = bytes;
    a.description = std::string(previous ? "previous " : "") + "log of " + pod + "/" + container;
    return AddFileArtifact(ctx, outputs, a, true);
  }
};

// ---------------------------------------------------------------- kubectl.pprof

class PprofAction : public KubectlAction {
 public:
  PprofAction()
      : KubectlAction(
            "kubectl.pprof",
            "Fetch a Go pprof profile through the API server's pods/proxy (no port-forward)",
            {PodParam(),
             {.name = "port",
              .type = ParamType::kInt,
              .default_value = 6060,
              .help = "the pod's port serving net/http/pprof (Go's convention is 6060; many apps "
                      "use their main port)"},
             {.name = "profile",
              .type = ParamType::kString,
              .default_value = "goroutine",
              .help = "goroutine: text dump of every stack (debug=2); the others are binary pprof "
                      "files",
              .choices = {"goroutine", "heap", "allocs", "block", "mutex", "threadcreate"}}},
            {{"path", "the profile in the run's directory"},
             {"bytes", "its size"},
             {"sha256", "its SHA-256"},
             {"profile", "which profile"},
             {"goroutines", "number of goroutines in a goroutine dump"},
             {"url_path", "the API path fetched"}},
            /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  Status Check(const Json& with) const override {
    int64_t port = ParamInt(with, "port");
    if (port < 1 || port > 65535)
      return Status::Invalid("param 'port': " + std::to_string(port) + " is not a TCP port");
    return Status::Ok();
  }
  static std::string ApiPath(const Json& with, const std::string& ns) {
    std::string profile = ParamString(with, "profile");
    return "/api/v1/namespaces/" + ns + "/pods/" + ParamString(with, "pod") + ":" +
           std::to_string(ParamInt(with, "port")) + "/proxy/debug/pprof/" + profile +
           (profile == "goroutine" ? "?debug=2" : "");
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    std::string ns = ParamString(with, "namespace");
    return {{"get", "--raw", ApiPath(with, ns.empty() ? "NAMESPACE_OF_CONTEXT" : ns)}};
  }
  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    auto ns = ResolveKubeNamespace(ctx, k, outputs);
    if (!ns.ok()) return ns.status();
    std::string pod = ParamString(with, "pod");
    std::string profile = ParamString(with, "profile");
    bool text = profile == "goroutine";
    std::string api = ApiPath(with, *ns);
    outputs["profile"] = profile;
    outputs["url_path"] = api;
    std::string path =
        ctx.work_dir() + "/" +
        (text ? "goroutines-" + FileSafe(pod) + ".txt" : profile + "-" + FileSafe(pod) + ".pprof");
    auto r =
        RunKubectl(ctx, k, {"kubectl get --raw " + api, {"get", "--raw", api}, path, ""}, outputs);
    std::error_code ec;
    if (!r.ok()) {
      std::filesystem::remove(path, ec);
      return r.status();
    }
    int64_t bytes = FileSize(path);
    std::string head = ReadFileHead(path, 4096).value_or("");
    // A wrong port can reach another HTTP server that answers 200 with something else.
    std::string where = pod + ":" + std::to_string(ParamInt(with, "port"));
    std::string shown(Trim(head.substr(0, 60)));
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    if (bytes <= 0) {
      std::filesystem::remove(path, ec);
      return Status::Unavailable(where + " answered an empty " + profile + " profile");
    }
    if (text && !StartsWith(head, "goroutine ")) {
      std::filesystem::remove(path, ec);
      return Status::Unavailable(
          where + "/debug/pprof/goroutine did not answer a goroutine dump (it starts '" + shown +
          "'); is net/http/pprof served on port " + std::to_string(ParamInt(with, "port")) + "?");
    }
    if (!text && !(head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
                   static_cast<unsigned char>(head[1]) == 0x8b)) {
      std::filesystem::remove(path, ec);
      return Status::Unavailable(where + "/debug/pprof/" + profile +
                                 " did not answer a gzipped pprof profile (it starts '" + shown +
                                 "'); is net/http/pprof served on port " +
                                 std::to_string(ParamInt(with, "port")) + "?");
    }
    outputs["bytes"] = bytes;
    ArtifactInfo a;
    a.kind = text ? "goroutine_dump" : profile + "_profile";
    a.path = path;
    a.size = bytes;
    a.description = profile + " profile of " + *ns + "/" + where + " through the API server proxy";
    if (text) {
      std::ifstream f(path);
      std::string line;
      int64_t n = 0;
      while (std::getline(f, line)) n += StartsWith(line, "goroutine ");
      outputs["goroutines"] = n;
      a.description += " (" + std::to_string(n) + " goroutines)";
    }
    return AddFileArtifact(ctx, outputs, a, true);
  }
};

}  // namespace

std::unique_ptr<Action> MakeKubectlPods() { return std::make_unique<PodsAction>(); }
std::unique_ptr<Action> MakeKubectlLogs() { return std::make_unique<LogsAction>(); }
std::unique_ptr<Action> MakeKubectlPprof() { return std::make_unique<PprofAction>(); }

}  // namespace medic
