#include "integrations/kubectl.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "base/strings.h"
#include "integrations/kube_names.h"
#include "integrations/process_runner.h"
#include "integrations/sha256.h"

namespace medic {
namespace {

constexpr const char* kQuarantineKey = "medic.io/quarantined";

// ---------------------------------------------------------------- small helpers

// File names in the run directory are built from validated names; keep them plain anyway.
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

std::string ReadSmallFile(const std::string& path, size_t max) {
  std::ifstream f(path, std::ios::binary);
  std::string out(max, '\0');
  f.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<size_t>(std::max<std::streamsize>(f.gcount(), 0)));
  return out;
}

Result<std::string> HashFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Io("cannot read " + path);
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    sha.Update(buf.data(), static_cast<size_t>(f.gcount()));
  }
  if (f.bad()) return Status::Io("error reading " + path);
  return sha.HexDigest();
}

/// Calls `tick` about twice a second on its own thread until destroyed (progress notes
/// while kubectl runs: rollout lines, core MiB copied).
class Ticker {
 public:
  explicit Ticker(std::function<void()> tick)
      : thread_([this, tick = std::move(tick)] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) {
            lock.unlock();
            tick();
            lock.lock();
          }
        }) {}
  ~Ticker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// ---------------------------------------------------------------- the action base

/// What every kubectl action shares: the common parameters, checks before anything runs
/// (names, configuration, the binary) and Plan() from the same command lines Run() uses.
class KubectlAction : public Action {
 public:
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
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

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    MEDIC_RETURN_IF_ERROR(CheckKubectlCommon(with));
    MEDIC_RETURN_IF_ERROR(Check(with));
    MEDIC_RETURN_IF_ERROR(CheckKubectlConfigured(with));
    Kubectl k = KubectlFrom(with);
    MEDIC_RETURN_IF_ERROR(CheckKubectlBinary(k));
    return Execute(with, k, ctx, outputs);
  }

 protected:
  KubectlAction(std::string name, std::string summary, std::vector<ParamSpec> params,
                std::vector<OutputSpec> outputs, bool idempotent, bool destructive) {
    info_.name = std::move(name);
    info_.summary = std::move(summary);
    info_.params = std::move(params);
    for (auto& p : KubectlCommonParams()) info_.params.push_back(std::move(p));
    info_.outputs = std::move(outputs);
    info_.outputs.push_back({"stderr", "kubectl's standard error, when it failed"});
    info_.idempotent = idempotent;
    info_.destructive = destructive;
  }

  /// Checks the action's own parameters; nothing has run yet.
  virtual Status Check(const Json& with) const = 0;
  /// The kubectl argument lists Run would use (after the global flags), for --dry-run.
  virtual std::vector<std::vector<std::string>> Commands(const Json& with) const = 0;
  virtual Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) = 0;

  ActionInfo info_;
};

ParamSpec PodParam(const std::string& help = "the pod, e.g. '{{ steps.pods.outputs.first }}'") {
  return {"pod", ParamType::kString, true, nullptr, help, {}};
}
ParamSpec DeploymentParam() {
  return {"deployment", ParamType::kString, true, nullptr, "the deployment", {}};
}

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
            {{"selector",
              ParamType::kString,
              false,
              nullptr,
              "label selector: app=checkout, tier!=db, env in (a,b); default every pod",
              {}},
             {"allow_empty", ParamType::kBool, false, false, "succeed when no pod matches", {}}},
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
  Status Check(const Json& with) const override {
    if (with.contains("selector"))
      return CheckLabelSelector("param 'selector'", ParamString(with, "selector"));
    return Status::Ok();
  }
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
             {"container",
              ParamType::kString,
              false,
              nullptr,
              "default: the pod's default container (annotation), else its first",
              {}},
             {"previous",
              ParamType::kString,
              false,
              "auto",
              "the log of the container before its last restart: auto = when it has restarted",
              {"auto", "true", "false"}},
             {"tail", ParamType::kInt, false, 0, "only the last N lines; 0: all", {}},
             {"since", ParamType::kDuration, false, nullptr, "only lines newer than this", {}},
             {"limit_bytes", ParamType::kSize, false, nullptr, "cap on the log's size", {}},
             {"timestamps", ParamType::kBool, false, false, "prefix each line with its time", {}}},
            {{"path", "the log file in the run's directory (artifact kind 'logs')"},
             {"bytes", "its size"},
             {"lines", "its number of lines"},
             {"previous", "true when it is the log before the last restart"},
             {"container", "the container read"},
             {"restarts", "the container's restart count (previous: auto or no container given)"}},
            /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("param 'pod'", ParamString(with, "pod")));
    if (with.contains("container"))
      MEDIC_RETURN_IF_ERROR(CheckDnsLabel("param 'container'", ParamString(with, "container")));
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
    outputs["path"] = path;
    outputs["bytes"] = bytes;
    outputs["lines"] = lines;
    ArtifactInfo a;
    a.kind = "logs";
    a.path = path;
    a.size = bytes;
    a.description = std::string(previous ? "previous " : "") + "log of " + pod + "/" + container;
    return ctx.AddArtifact(a);
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
             {"port",
              ParamType::kInt,
              false,
              6060,
              "the pod's port serving net/http/pprof (Go's convention is 6060; many apps use their "
              "main port)",
              {}},
             {"profile",
              ParamType::kString,
              false,
              "goroutine",
              "goroutine: text dump of every stack (debug=2); the others are binary pprof files",
              {"goroutine", "heap", "allocs", "block", "mutex", "threadcreate"}}},
            {{"path", "the profile in the run's directory"},
             {"bytes", "its size"},
             {"profile", "which profile"},
             {"goroutines", "number of goroutines in a goroutine dump"},
             {"url_path", "the API path fetched"}},
            /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("param 'pod'", ParamString(with, "pod")));
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
    std::string head = ReadSmallFile(path, 4096);
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
    outputs["path"] = path;
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
    return ctx.AddArtifact(a);
  }
};

// ---------------------------------------------------------------- kubectl.isolate

class IsolateAction : public KubectlAction {
 public:
  IsolateAction()
      : KubectlAction(
            "kubectl.isolate",
            "Relabel a pod so its Service stops sending it traffic; it keeps running for forensics",
            {PodParam(),
             {"remove_labels",
              ParamType::kStringList,
              false,
              Json::array(),
              "label keys to drop: the Service's selector keys, e.g. [app]",
              {}},
             {"set_labels",
              ParamType::kStringMap,
              false,
              Json::object(),
              "labels to set, e.g. {track: quarantine} when the selector matches on a value",
              {}},
             {"mark",
              ParamType::kBool,
              false,
              true,
              std::string("also set ") + kQuarantineKey +
                  "=true, so isolated pods are easy to find",
              {}}},
            {{"pod", "the pod"},
             {"labels_before", "its labels before"},
             {"labels_after", "its labels after"},
             {"removed", "the keys that were present and are gone"},
             {"already_isolated", "true when an earlier run had isolated it already"}},
            // Relabelling twice is the same as once.
            /*idempotent=*/true, /*destructive=*/true) {}

 protected:
  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("param 'pod'", ParamString(with, "pod")));
    auto remove = ParamStringList(with, "remove_labels");
    for (const auto& key : remove)
      MEDIC_RETURN_IF_ERROR(CheckLabelKey("param 'remove_labels'", key));
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
             {"container", ParamType::kString, false, "envoy", "the sidecar container", {}},
             {"admin_port", ParamType::kInt, false, 9901, "Envoy's admin port", {}},
             {"client",
              ParamType::kString,
              false,
              "curl",
              "the HTTP client inside the sidecar image",
              {"curl", "wget"}}},
            {{"pod", "the pod"}, {"response", "what Envoy answered (\"OK\")"}},
            // Failing health checks twice is the same as once.
            /*idempotent=*/true, /*destructive=*/true) {}

 protected:
  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("param 'pod'", ParamString(with, "pod")));
    MEDIC_RETURN_IF_ERROR(CheckDnsLabel("param 'container'", ParamString(with, "container")));
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

// ---------------------------------------------------------------- kubectl.gcore

class GcoreAction : public KubectlAction {
 public:
  GcoreAction()
      : KubectlAction(
            "kubectl.gcore",
            "Core of a pod's service process, taken by gcore in an ephemeral debug container "
            "(shared PID namespace, ptrace profile) and streamed to the run",
            {PodParam(),
             {"container",
              ParamType::kString,
              true,
              nullptr,
              "the container running the service",
              {}},
             {"image",
              ParamType::kString,
              true,
              nullptr,
              "debug image with gdb's gcore, sleep, cat and rm (e.g. your registry's debian + gdb)",
              {}},
             {"pid",
              ParamType::kInt,
              false,
              1,
              "the process in the container's PID namespace (1: its entrypoint)",
              {}},
             {"process",
              ParamType::kString,
              false,
              nullptr,
              "find the process by name with pidof instead of `pid` (when an init runs first)",
              {}},
             {"profile",
              ParamType::kString,
              false,
              "general",
              "kubectl debug --profile; general adds CAP_SYS_PTRACE",
              {"general", "sysadmin", "legacy"}},
             {"keep_alive",
              ParamType::kDuration,
              false,
              "10m",
              "the debug container sleeps this long, then exits (it cannot be removed)",
              {}},
             {"start_timeout",
              ParamType::kDuration,
              false,
              "2m",
              "how long the debug container may take to start (image pull)",
              {}},
             {"hash", ParamType::kBool, false, false, "also record the core's SHA-256", {}}},
            {{"path", "the core in the run's directory (artifact kind 'core')"},
             {"size", "bytes"},
             {"pid", "the process dumped"},
             {"debug_container", "the ephemeral container's name"},
             {"gcore_ms", "how long gcore took (the process was paused about this long)"},
             {"sha256", "SHA-256 of the core (hash: true)"}},
            // A second run adds another debug container and writes another core.
            /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  static constexpr const char* kRemotePrefix = "/tmp/medic-core";

  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("param 'pod'", ParamString(with, "pod")));
    MEDIC_RETURN_IF_ERROR(CheckDnsLabel("param 'container'", ParamString(with, "container")));
    MEDIC_RETURN_IF_ERROR(CheckImageRef("param 'image'", ParamString(with, "image")));
    if (ParamInt(with, "pid") < 1) return Status::Invalid("param 'pid': must be 1 or more");
    std::string process = ParamString(with, "process");
    if (with.contains("process")) {
      MEDIC_RETURN_IF_ERROR(CheckPlainArg("param 'process'", process));
      if (process.size() > 64 ||
          process.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") !=
              std::string::npos)
        return Status::Invalid("param 'process': '" + process +
                               "' is not a process name (letters, digits, . _ + -)");
    }
    if (ParamInt(with, "keep_alive") < 1000)
      return Status::Invalid("param 'keep_alive': at least 1s");
    return Status::Ok();
  }
  static std::vector<std::string> DebugArgs(const Json& with, const std::string& name) {
    return {"debug",
            ParamString(with, "pod"),
            "--image=" + ParamString(with, "image"),
            "--target=" + ParamString(with, "container"),
            "--profile=" + ParamString(with, "profile"),
            "--container=" + name,
            "--quiet",
            "--",
            "sleep",
            std::to_string((ParamInt(with, "keep_alive") + 999) / 1000)};
  }
  static std::vector<std::string> ExecArgs(const Json& with, const std::string& name,
                                           std::vector<std::string> command) {
    std::vector<std::string> args = {"exec", ParamString(with, "pod"), "--container", name, "--"};
    args.insert(args.end(), command.begin(), command.end());
    return args;
  }
  std::vector<std::vector<std::string>> Commands(const Json& with) const override {
    const std::string name = "medic-gcore-XXXXXX";
    std::string pid =
        ParamString(with, "process").empty() ? std::to_string(ParamInt(with, "pid")) : "PID";
    std::string core = std::string(kRemotePrefix) + "." + pid;
    std::vector<std::vector<std::string>> cmds = {
        {"get", "pod", ParamString(with, "pod"), "-o", "json"},
        DebugArgs(with, name),
        {"get", "pod", ParamString(with, "pod"), "-o", "json", "[until it runs]"}};
    if (!ParamString(with, "process").empty())
      cmds.push_back(ExecArgs(with, name, {"pidof", "-s", ParamString(with, "process")}));
    cmds.push_back(ExecArgs(with, name, {"gcore", "-o", kRemotePrefix, pid}));
    cmds.push_back(ExecArgs(with, name, {"cat", core}));
    cmds.back().push_back("> RUN_DIR/core." + ParamString(with, "pod") + "." + pid);
    cmds.push_back(ExecArgs(with, name, {"rm", "-f", core}));
    return cmds;
  }

  static std::string RandomSuffix() {
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::string s;
    for (int i = 0; i < 6; ++i) s += kChars[rd() % (sizeof kChars - 1)];
    return s;
  }

  // Waits until the ephemeral container runs; fails at once on states it will not leave.
  Status WaitRunning(const Json& with, const Kubectl& k, const std::string& name, StepContext& ctx,
                     Json& outputs) {
    std::string pod = ParamString(with, "pod");
    int64_t start = ctx.clock().MonotonicMs();
    int64_t limit = ParamInt(with, "start_timeout");
    std::string last = "not reported yet";
    for (;;) {
      auto obj = KubectlGetJson(ctx, k, "pod", pod, outputs);
      if (!obj.ok()) return obj.status();
      Json statuses = JsonAt(*obj, {"status", "ephemeralContainerStatuses"});
      if (statuses.is_array()) {
        for (const auto& s : statuses) {
          if (JsonAtString(s, {"name"}) != name) continue;
          Json state = JsonAt(s, {"state"});
          if (JsonAt(state, {"running"}).is_object()) return Status::Ok();
          if (JsonAt(state, {"terminated"}).is_object()) {
            return Status::Precondition(
                "debug container " + name + " ended before medic used it (" +
                JsonAtString(state, {"terminated", "reason"}) + ", exit code " +
                JsonAt(state, {"terminated", "exitCode"}).dump() + "): does image '" +
                ParamString(with, "image") + "' have `sleep`?");
          }
          std::string reason = JsonAtString(state, {"waiting", "reason"});
          std::string message = JsonAtString(state, {"waiting", "message"});
          last = "waiting" + (reason.empty() ? "" : ": " + reason) +
                 (message.empty() ? "" : " (" + message + ")");
          static const char* kStuck[] = {"ErrImagePull",         "ImagePullBackOff",
                                         "InvalidImageName",     "ErrImageNeverPull",
                                         "CreateContainerError", "CreateContainerConfigError",
                                         "RunContainerError"};
          for (const char* stuck : kStuck)
            if (reason == stuck)
              return Status::Precondition("debug container " + name + " cannot start with image '" +
                                          ParamString(with, "image") + "': " + last);
        }
      }
      ctx.Progress("debug container " + name + ": " + last);
      int64_t waited = ctx.clock().MonotonicMs() - start;
      if (waited >= limit || ctx.RemainingMs() < 1000)
        return Status::Timeout("debug container " + name + " in pod " + pod +
                               " was not running after " + FormatDurationMs(waited) +
                               " (last state: " + last + ")");
      if (!ctx.cancel().SleepFor(300))
        return Status::Cancelled("stopped while waiting for the debug container");
    }
  }

  static Status ExplainExecFailure(const Status& st, const Json& outputs, const std::string& tool,
                                   const Json& with) {
    std::string err = outputs.value("stderr", "") + "\n" + st.message();
    if (err.find("executable file not found") != std::string::npos ||
        err.find("exit code 127") != std::string::npos)
      return Status::Precondition("debug image '" + ParamString(with, "image") + "' has no " +
                                  tool + (tool == "gcore" ? " (install gdb in it)" : "") + ": " +
                                  st.message());
    if (err.find("ptrace") != std::string::npos ||
        err.find("Operation not permitted") != std::string::npos)
      return Status::Precondition(
          "gcore may not attach (ptrace denied): use profile general or sysadmin, and check "
          "that the pod's security policy allows CAP_SYS_PTRACE: " +
          st.message());
    return st;
  }

  Status Execute(const Json& with, const Kubectl& k, StepContext& ctx, Json& outputs) override {
    std::string pod = ParamString(with, "pod");
    std::string target = ParamString(with, "container");
    auto obj = KubectlGetJson(ctx, k, "pod", pod, outputs);
    if (!obj.ok()) return obj.status();
    MEDIC_RETURN_IF_ERROR(
        RequireContainer(ContainerNames(JsonAt(*obj, {"spec"})), target, "pod " + pod));
    std::string phase = JsonAtString(*obj, {"status", "phase"});
    if (!phase.empty() && phase != "Running")
      return Status::Precondition("pod " + pod + " is " + phase +
                                  ", not Running: there is no process to dump");

    std::string name = "medic-gcore-" + RandomSuffix();
    outputs["debug_container"] = name;
    auto debug =
        RunKubectl(ctx, k, {"kubectl debug " + pod, DebugArgs(with, name), "", ""}, outputs);
    if (!debug.ok()) return debug.status();
    MEDIC_RETURN_IF_ERROR(WaitRunning(with, k, name, ctx, outputs));

    std::string pid = std::to_string(ParamInt(with, "pid"));
    std::string process = ParamString(with, "process");
    if (!process.empty()) {
      auto found = RunKubectl(
          ctx, k,
          {"kubectl exec pidof " + process, ExecArgs(with, name, {"pidof", "-s", process}), "", ""},
          outputs);
      if (!found.ok()) {
        // pidof exits 1, silently, when nothing has that name.
        if (outputs.value("stderr", "").find("exit code 1\n") != std::string::npos ||
            EndsWith(Trim(outputs.value("stderr", "")), "exit code 1"))
          return Status::NotFound("no process named '" + process + "' runs in container " + target +
                                  " of pod " + pod);
        return ExplainExecFailure(found.status(), outputs, "pidof", with);
      }
      pid = std::string(Trim(found->out));
      if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
        return Status::Unavailable("pidof " + process + " printed '" + pid.substr(0, 40) +
                                   "', not a pid");
    }
    outputs["pid"] = std::stoll(pid);

    ctx.Progress("gcore " + pid + " in " + pod + "/" + target);
    std::string remote = std::string(kRemotePrefix) + "." + pid;
    auto gcore = RunKubectl(
        ctx, k,
        {"kubectl exec gcore", ExecArgs(with, name, {"gcore", "-o", kRemotePrefix, pid}), "", ""},
        outputs);
    if (!gcore.ok()) return ExplainExecFailure(gcore.status(), outputs, "gcore", with);
    outputs["gcore_ms"] = gcore->duration_ms;

    std::string path = ctx.work_dir() + "/core." + FileSafe(pod) + "." + pid;
    Result<ProcessResult> copy = Status::Internal("cat did not run");
    {
      Ticker progress([&ctx, &path] {
        int64_t size = FileSize(path);
        if (size >= 0) ctx.Progress("core: " + std::to_string(size >> 20) + " MiB copied");
      });
      copy = RunKubectl(
          ctx, k, {"kubectl exec cat " + remote, ExecArgs(with, name, {"cat", remote}), path, ""},
          outputs);
    }
    // The core would otherwise fill the node's disk until the pod goes; best effort.
    Json keep_stderr = outputs.value("stderr", Json(nullptr));
    auto cleanup = RunKubectl(
        ctx, k, {"kubectl exec rm", ExecArgs(with, name, {"rm", "-f", remote}), "", ""}, outputs);
    outputs["remote_core_removed"] = cleanup.ok();
    if (keep_stderr.is_null())
      outputs.erase("stderr");
    else
      outputs["stderr"] = keep_stderr;

    std::error_code ec;
    if (!copy.ok()) {
      std::filesystem::remove(path, ec);  // a partial core only misleads
      return ExplainExecFailure(copy.status(), outputs, "cat", with);
    }
    int64_t size = FileSize(path);
    std::string magic = ReadSmallFile(path, 4);
    if (size <= 0 || magic !=
                         "\x7f"
                         "ELF") {
      std::filesystem::remove(path, ec);
      return Status::Unavailable(
          "the copied core is not an ELF core file (" + std::to_string(size) +
          " bytes): gcore said: " + LastLineOf(gcore->out + "\n" + gcore->err));
    }
    outputs["path"] = path;
    outputs["size"] = size;
    ArtifactInfo a;
    a.kind = "core";
    a.path = path;
    a.size = size;
    a.description = "core of pid " + pid + " in " + pod + "/" + target +
                    " by gcore in debug container " + name + " (" +
                    FormatDurationMs(gcore->duration_ms) + ")";
    if (ParamBool(with, "hash")) {
      auto sha = HashFile(path);
      if (!sha.ok()) return sha.status();
      a.sha256 = *sha;
      outputs["sha256"] = *sha;
    }
    return ctx.AddArtifact(a);
  }
};

// ---------------------------------------------------------------- deployments

class SetImageAction : public KubectlAction {
 public:
  SetImageAction()
      : KubectlAction(
            "kubectl.set_image", "Roll a deployment's container to another image (hotfix)",
            {DeploymentParam(),
             {"container",
              ParamType::kString,
              true,
              nullptr,
              "the container in the pod template",
              {}},
             {"image",
              ParamType::kString,
              true,
              nullptr,
              "e.g. registry.example.com/checkout:1.4.3",
              {}}},
            {{"deployment", "the deployment"},
             {"image", "the image set"},
             {"previous_image", "the image before (for the record and a manual rollback)"},
             {"changed", "false when the container already ran that image (nothing was sent)"}},
            /*idempotent=*/true, /*destructive=*/true) {}

 protected:
  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("param 'deployment'", ParamString(with, "deployment")));
    MEDIC_RETURN_IF_ERROR(CheckDnsLabel("param 'container'", ParamString(with, "container")));
    return CheckImageRef("param 'image'", ParamString(with, "image"));
  }
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
                       {"timeout",
                        ParamType::kDuration,
                        false,
                        "5m",
                        "give up after this long (never later than the step's timeout)",
                        {}}},
                      {{"deployment", "the deployment"},
                       {"rolled_out", "true when the rollout finished"},
                       {"message", "kubectl's last line"},
                       {"waited_ms", "how long it waited"}},
                      /*idempotent=*/true, /*destructive=*/false) {}

 protected:
  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(CheckDnsSubdomain("param 'deployment'", ParamString(with, "deployment")));
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
      Ticker progress([&ctx, &path, &shown] {
        std::string line = LastLineOf(ReadSmallFile(path, 64 << 10));
        if (!line.empty() && line != shown) ctx.Progress(shown = line);
      });
      r = RunKubectl(
          ctx, k,
          {"kubectl rollout status deployment/" + deployment, StatusArgs(with, timeout), path, ""},
          outputs);
    }
    outputs["waited_ms"] = ctx.clock().MonotonicMs() - start;
    std::string out = ReadSmallFile(path, 1 << 20);
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
  Status Check(const Json& with) const override {
    MEDIC_RETURN_IF_ERROR(
        CheckDnsSubdomain("param '" + subject_ + "'", ParamString(with, subject_)));
    return check_(with);
  }
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

std::unique_ptr<Action> RolloutRestart() {
  return std::make_unique<SimpleAction>(
      "kubectl.rollout_restart", "Restart every pod of a deployment, one by one (rollout restart)",
      std::vector<ParamSpec>{DeploymentParam()}, "deployment",
      [](const Json& with) {
        return std::vector<std::string>{"rollout", "restart",
                                        "deployment/" + ParamString(with, "deployment")};
      },
      [](const Json&) { return Status::Ok(); });
}

std::unique_ptr<Action> RolloutUndo() {
  return std::make_unique<SimpleAction>(
      "kubectl.rollout_undo", "Roll a deployment back to its previous (or a given) revision",
      std::vector<ParamSpec>{
          DeploymentParam(),
          {"to_revision", ParamType::kInt, false, 0, "the revision; 0: the previous one", {}}},
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

std::unique_ptr<Action> DeletePod() {
  return std::make_unique<SimpleAction>(
      "kubectl.delete_pod", "Delete a pod so its controller starts a fresh one (restart)",
      std::vector<ParamSpec>{PodParam(),
                             {"wait",
                              ParamType::kBool,
                              false,
                              false,
                              "wait until the pod is gone (its grace period); default: return once "
                              "the API server accepted",
                              {}},
                             {"grace_period",
                              ParamType::kDuration,
                              false,
                              nullptr,
                              "termination grace period; default the pod's (0s: kill at once)",
                              {}}},
      "pod",
      [](const Json& with) {
        std::vector<std::string> args = {
            "delete", "pod", ParamString(with, "pod"),
            std::string("--wait=") + (ParamBool(with, "wait") ? "true" : "false")};
        if (with.contains("grace_period"))
          args.push_back("--grace-period=" + std::to_string(ParamInt(with, "grace_period") / 1000));
        return args;
      },
      [](const Json&) { return Status::Ok(); });
}

}  // namespace

void RegisterKubectlActions(Registry& registry) {
  (void)registry.Add(std::make_unique<PodsAction>());
  (void)registry.Add(std::make_unique<LogsAction>());
  (void)registry.Add(std::make_unique<PprofAction>());
  (void)registry.Add(std::make_unique<IsolateAction>());
  (void)registry.Add(std::make_unique<EnvoyFailAction>());
  (void)registry.Add(std::make_unique<GcoreAction>());
  (void)registry.Add(std::make_unique<SetImageAction>());
  (void)registry.Add(std::make_unique<RolloutStatusAction>());
  (void)registry.Add(RolloutRestart());
  (void)registry.Add(RolloutUndo());
  (void)registry.Add(DeletePod());
}

}  // namespace medic
