// kubectl.gcore: a core of a pod's service process without restarting it. An ephemeral
// debug container joins the pod (kubectl debug --target: same PID namespace, ptrace
// profile), gcore writes the core inside it, kubectl exec cat streams it to the run
// directory, and the remote copy is removed. Start with GcoreAction::Execute.
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/strings.h"
#include "base/ticker.h"
#include "env/files.h"
#include "integrations/kube_names.h"
#include "integrations/kubectl_action.h"
#include "integrations/process_status.h"

namespace medic {
namespace {

// What pidof is given: a plain process name (letters, digits, . _ + -), at most 64 long.
Status CheckProcessName(std::string_view what, std::string_view value) {
  MEDIC_RETURN_IF_ERROR(CheckPlainArg(what, value));
  if (value.size() > 64 ||
      value.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") !=
          std::string_view::npos)
    return Status::Invalid(std::string(what) + ": '" + std::string(value) +
                           "' is not a process name (letters, digits, . _ + -)");
  return Status::Ok();
}

// ---------------------------------------------------------------- kubectl.gcore

class GcoreAction : public KubectlAction {
 public:
  GcoreAction()
      : KubectlAction(
            "kubectl.gcore",
            "Core of a pod's service process, taken by gcore in an ephemeral debug container "
            "(shared PID namespace, ptrace profile) and streamed to the run",
            {PodParam(),
             ContainerParam("the container running the service", /*required=*/true),
             ImageParam("debug image with gdb's gcore, sleep, cat and rm (e.g. your registry's "
                        "debian + gdb)"),
             {.name = "pid",
              .type = ParamType::kInt,
              .default_value = 1,
              .help = "the process in the container's PID namespace (1: its entrypoint)"},
             {.name = "process",
              .type = ParamType::kString,
              .help =
                  "find the process by name with pidof instead of `pid` (when an init runs first)",
              .check = CheckProcessName},
             {.name = "profile",
              .type = ParamType::kString,
              .default_value = "general",
              .help = "kubectl debug --profile; general adds CAP_SYS_PTRACE",
              .choices = {"general", "sysadmin", "legacy"}},
             {.name = "keep_alive",
              .type = ParamType::kDuration,
              .default_value = "10m",
              .help = "the debug container sleeps this long, then exits (it cannot be removed)"},
             {.name = "start_timeout",
              .type = ParamType::kDuration,
              .default_value = "2m",
              .help = "how long the debug container may take to start (image pull)"},
             {.name = "hash",
              .type = ParamType::kBool,
              .default_value = false,
              .help = "also record the core's SHA-256"}},
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
    if (ParamInt(with, "pid") < 1) return Status::Invalid("param 'pid': must be 1 or more");
    if (with.contains("process"))
      MEDIC_RETURN_IF_ERROR(CheckProcessName("param 'process'", ParamString(with, "process")));
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
      Ticker progress(500, [&ctx, &path] {
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
    std::string magic = ReadFileHead(path, 4).value_or("");
    if (size <= 0 || magic !=
                         "\x7f"
                         "ELF") {
      std::filesystem::remove(path, ec);
      return Status::Unavailable("the copied core is not an ELF core file (" +
                                 std::to_string(size) +
                                 " bytes): gcore said: " + LastOutputLine(*gcore));
    }
    outputs["size"] = size;
    ArtifactInfo a;
    a.kind = "core";
    a.path = path;
    a.size = size;
    a.description = "core of pid " + pid + " in " + pod + "/" + target +
                    " by gcore in debug container " + name + " (" +
                    FormatDurationMs(gcore->duration_ms) + ")";
    return AddFileArtifact(ctx, outputs, a, ParamBool(with, "hash"));
  }
};

}  // namespace

std::unique_ptr<Action> MakeKubectlGcore() { return std::make_unique<GcoreAction>(); }

}  // namespace medic
