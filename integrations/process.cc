#include "integrations/process.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/redact.h"
#include "base/strings.h"
#include "base/ticker.h"
#include "env/process_runner.h"
#include "integrations/proc_table.h"
#include "integrations/process_status.h"

namespace medic {
namespace {

/// The required `pid` of a local process, as process.find outputs it.
ParamSpec PidParam() {
  return {.name = "pid",
          .type = ParamType::kInt,
          .required = true,
          .help = "the process, e.g. '{{ steps.find.outputs.pid }}'"};
}

class ExecAction : public Action {
 public:
  ExecAction() {
    info_.name = "exec";
    info_.summary = "Run a command (argv, no shell); fails on a non-zero exit code";
    info_.params = {
        {.name = "argv",
         .type = ParamType::kStringList,
         .required = true,
         .help = "program and arguments; never a shell"},
        {.name = "env", .type = ParamType::kStringMap, .help = "extra environment variables"},
        {.name = "cwd", .type = ParamType::kString, .help = "working directory"},
        {.name = "stdin", .type = ParamType::kString, .help = "text fed to standard input"},
        {.name = "max_output",
         .type = ParamType::kSize,
         .default_value = "1MiB",
         .help = "cap on each of stdout and stderr"},
        {.name = "parse",
         .type = ParamType::kString,
         .default_value = "none",
         .help = "also parse stdout: json puts the value in outputs.json",
         .choices = {"none", "json"}},
        {.name = "ok_exit_codes",
         .type = ParamType::kStringList,
         .default_value = Json::array({"0"}),
         .help = "exit codes that count as success"},
    };
    info_.outputs = {{"exit_code", "the exit code (-1 when killed by a signal)"},
                     {"stdout", "standard output, capped at max_output"},
                     {"stderr", "standard error, capped at max_output"},
                     {"stdout_truncated", "true when stdout was longer than max_output"},
                     {"stderr_truncated", "true when stderr was longer than max_output"},
                     {"json", "stdout parsed as JSON (parse: json)"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    return {QuoteArgv(ParamStringList(with, "argv"))};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    ProcessSpec spec;
    spec.argv = ParamStringList(with, "argv");
    if (spec.argv.empty()) return Status::Invalid("argv is empty");
    if (with.contains("env")) {
      for (auto it = with["env"].begin(); it != with["env"].end(); ++it)
        spec.env.emplace_back(it.key(), it->get<std::string>());
    }
    spec.cwd = ParamString(with, "cwd");
    spec.stdin_data = ParamString(with, "stdin");
    spec.max_output = static_cast<size_t>(ParamInt(with, "max_output"));
    auto result = RunStepProcess(ctx, spec);
    if (!result.ok()) return result.status();
    const ProcessResult& r = *result;
    outputs["exit_code"] = r.exit_code;
    outputs["stdout"] = r.out;
    outputs["stderr"] = r.err;
    outputs["stdout_truncated"] = r.out_truncated;
    outputs["stderr_truncated"] = r.err_truncated;
    ProcessCheck check(spec.argv[0]);
    check.ok_exit_codes.clear();
    // An entry that is not a number matches no exit code.
    for (const auto& code : ParamStringList(with, "ok_exit_codes")) {
      int n = 0;
      auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), n);
      if (ec == std::errc() && end == code.data() + code.size()) check.ok_exit_codes.push_back(n);
    }
    MEDIC_RETURN_IF_ERROR(CheckProcessEnd(r, check));
    if (ParamString(with, "parse") == "json") {
      try {
        outputs["json"] = Json::parse(r.out);
      } catch (const std::exception& e) {
        return Status::Invalid(spec.argv[0] + " printed no valid JSON on stdout: " +
                               std::string(e.what()).substr(0, 200));
      }
    }
    return Status::Ok();
  }

 private:
  ActionInfo info_;
};

/// A parameter for display: a dry run may hold a placeholder ("<steps.find.outputs.pid>")
/// where the number will be.
std::string Shown(const Json& with, const std::string& name) {
  auto it = with.find(name);
  if (it == with.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Describe(const ProcInfo& p) {
  std::string cmd = p.argv.empty() ? p.comm : QuoteArgv(p.argv);
  if (cmd.size() > 80) cmd = cmd.substr(0, 77) + "...";
  return std::to_string(p.pid) + " (" + Redact(cmd) + ")";
}

class FindAction : public Action {
 public:
  FindAction() {
    info_.name = "process.find";
    info_.summary = "Find a local process by name, listening TCP port or pid file";
    info_.params = {
        {.name = "name",
         .type = ParamType::kString,
         .help = "process name: /proc/PID/comm, or the executable's or argv[0]'s file name"},
        {.name = "port", .type = ParamType::kInt, .help = "a TCP port the process listens on"},
        {.name = "pid_file", .type = ParamType::kString, .help = "a file holding the pid"},
        {.name = "allow_many",
         .type = ParamType::kBool,
         .default_value = false,
         .help = "when several match, succeed with the lowest pid instead of failing"},
    };
    info_.idempotent = true;
    info_.outputs = {{"pid", "the process (the lowest pid when allow_many)"},
                     {"pids", "every matching pid"},
                     {"exe", "its executable"},
                     {"cmdline", "its command line, shell-quoted for reading"},
                     {"argv", "its command line as a list"},
                     {"comm", "its short name"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    return {"look in /proc for " + Criteria(with)};
  }

  Status Run(const Json& with, StepContext&, Json& outputs) override {
    std::string name = ParamString(with, "name");
    std::string pid_file = ParamString(with, "pid_file");
    bool by_port = with.contains("port");
    int64_t port = ParamInt(with, "port");
    if (name.empty() && pid_file.empty() && !by_port)
      return Status::Invalid("process.find needs `name`, `port` or `pid_file`");
    if (by_port && (port < 1 || port > 65535))
      return Status::Invalid("param 'port': " + std::to_string(port) + " is not a TCP port");

    // Each criterion narrows the candidates; all given ones must hold.
    std::optional<std::vector<pid_t>> pids;
    auto narrow = [&pids](std::vector<pid_t> found) {
      if (!pids) {
        pids = std::move(found);
        return;
      }
      std::vector<pid_t> both;
      for (pid_t p : *pids)
        if (std::find(found.begin(), found.end(), p) != found.end()) both.push_back(p);
      pids = std::move(both);
    };
    if (!pid_file.empty()) {
      auto pid = ReadPidFile(pid_file);
      if (!pid.ok()) return pid.status();
      if (!ProcessAlive(*pid))
        return Status::NotFound("pid file " + pid_file + " names pid " + std::to_string(*pid) +
                                ", which is not running (a stale pid file?)");
      narrow({*pid});
    }
    if (by_port) {
      int sockets = 0;
      auto owners = FindByPort(static_cast<int>(port), &sockets);
      if (owners.empty()) {
        return Status::NotFound(sockets == 0
                                    ? "nothing listens on TCP port " + std::to_string(port)
                                    : "TCP port " + std::to_string(port) +
                                          " is listened on, but by no process medic can see "
                                          "(run medic as root or as the process' user)");
      }
      narrow(owners);
    }
    if (!name.empty()) {
      std::vector<pid_t> named;
      for (const auto& p : FindByName(name)) named.push_back(p.pid);
      narrow(named);
    }
    std::sort(pids->begin(), pids->end());
    Json all = Json::array();
    for (pid_t p : *pids) all.push_back(p);
    outputs["pids"] = all;
    if (pids->empty()) return Status::NotFound("no running process matches " + Criteria(with));
    if (pids->size() > 1 && !ParamBool(with, "allow_many")) {
      std::vector<std::string> shown;
      for (size_t i = 0; i < pids->size() && i < 5; ++i) {
        auto p = ReadProc((*pids)[i]);
        shown.push_back(p.ok() ? Describe(*p) : std::to_string((*pids)[i]));
      }
      if (pids->size() > 5) shown.push_back("...");
      return Status::Precondition(std::to_string(pids->size()) + " processes match " +
                                  Criteria(with) + ": " + Join(shown, ", ") +
                                  "; narrow it with port or pid_file, or set allow_many: true");
    }
    auto info = ReadProc(pids->front());
    if (!info.ok())
      return Status::NotFound("process " + std::to_string(pids->front()) +
                              " ended while medic looked at it");
    outputs["pid"] = info->pid;
    outputs["exe"] = info->exe;
    outputs["comm"] = info->comm;
    outputs["cmdline"] = QuoteArgv(info->argv);
    outputs["argv"] = info->argv;
    return Status::Ok();
  }

 private:
  static std::string Criteria(const Json& with) {
    std::vector<std::string> parts;
    if (!ParamString(with, "name").empty())
      parts.push_back("name '" + ParamString(with, "name") + "'");
    if (with.contains("port")) parts.push_back("TCP port " + Shown(with, "port"));
    if (!ParamString(with, "pid_file").empty())
      parts.push_back("pid file " + ParamString(with, "pid_file"));
    return parts.empty() ? "nothing" : Join(parts, " and ");
  }

  ActionInfo info_;
};

class GcoreAction : public Action {
 public:
  GcoreAction() {
    info_.name = "process.gcore";
    info_.summary = "Write a core file of a running process with gdb's gcore (pauses it briefly)";
    info_.params = {
        PidParam(),
        {.name = "dir",
         .type = ParamType::kString,
         .help = "where the core goes; default the run's directory"},
        {.name = "hash",
         .type = ParamType::kBool,
         .default_value = false,
         .help = "also record the core's SHA-256 (reads the whole file again)"},
    };
    // A second gcore replaces the first core; the process only pauses while it is written.
    info_.idempotent = true;
    info_.outputs = {
        {"path", "the core file (DIR/core.PID)"},
        {"size", "bytes"},
        {"duration_ms", "how long gcore took (the process was paused about this long)"},
        {"sha256", "SHA-256 of the core (hash: true)"},
        {"exe", "the process' executable, needed to read the core"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string dir = ParamString(with, "dir");
    return {QuoteArgv({"gcore", "-o", (dir.empty() ? std::string("RUN_DIR") : dir) + "/core",
                       Shown(with, "pid")})};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    int64_t pid = ParamInt(with, "pid");
    if (pid <= 0)
      return Status::Invalid("param 'pid': " + std::to_string(pid) + " is not a process id");
    auto proc = ReadProc(static_cast<pid_t>(pid));
    if (!proc.ok() || proc->state == 'Z')
      return Status::NotFound("no running process " + std::to_string(pid) + " to take a core of");
    if (!FindExecutable("gcore").ok())
      return Status::NotFound("gcore is not installed (it comes with gdb): apt-get install gdb");
    std::string dir = ParamString(with, "dir");
    if (dir.empty()) dir = ctx.work_dir();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::Io("cannot create " + dir + ": " + ec.message());
    std::string prefix = dir + "/core";
    std::string path = prefix + "." + std::to_string(pid);
    std::filesystem::remove(path, ec);  // a core from an earlier attempt
    outputs["exe"] = proc->exe;

    ProcessSpec spec;
    spec.argv = {"gcore", "-o", prefix, std::to_string(pid)};
    spec.max_output = 256 << 10;
    Result<ProcessResult> result = Status::Internal("gcore did not run");
    {
      Ticker progress(1000, [&ctx, &path, pid] {
        struct stat st = {};
        if (stat(path.c_str(), &st) == 0)
          ctx.Progress("core of " + std::to_string(pid) + ": " + std::to_string(st.st_size >> 20) +
                       " MiB written");
      });
      result = RunStepProcess(ctx, spec);
    }
    if (!result.ok()) return result.status();
    const ProcessResult& r = *result;
    outputs["duration_ms"] = r.duration_ms;
    Status ended = CheckProcessEnd(r, ProcessCheck("gcore " + std::to_string(pid)));
    if (r.cancelled || r.timed_out || r.term_signal != 0) {
      std::filesystem::remove(path, ec);  // a partial core only misleads
      return Status(ended.code(), ended.message() + "; the partial core was removed");
    }
    std::string said = r.err + "\n" + r.out;
    if (said.find("ptrace: Operation not permitted") != std::string::npos ||
        said.find("Could not attach to process") != std::string::npos) {
      return Status::Precondition(
          "gcore may not attach to pid " + std::to_string(pid) +
          " (ptrace denied): run medic as root or as the process' user, allow ptrace "
          "(sysctl kernel.yama.ptrace_scope=0), or give the container CAP_SYS_PTRACE");
    }
    if (said.find("No such process") != std::string::npos)
      return Status::NotFound("process " + std::to_string(pid) + " ended before gcore attached");
    struct stat st = {};
    bool written = stat(path.c_str(), &st) == 0 && st.st_size > 0;
    if (!ended.ok()) {
      return Status(ended.code(), ended.message() + (written ? "; a core was written to " + path
                                                             : "; no core at " + path));
    }
    if (!written) {
      std::string last = LastOutputLine(r);
      return Status::Unavailable("gcore " + std::to_string(pid) + " wrote no core at " + path +
                                 (last.empty() ? "" : ": " + last));
    }
    outputs["size"] = static_cast<int64_t>(st.st_size);
    ArtifactInfo artifact;
    artifact.kind = "core";
    artifact.path = path;
    artifact.size = static_cast<int64_t>(st.st_size);
    artifact.description = "core of pid " + std::to_string(pid) +
                           (proc->exe.empty() ? "" : " (" + proc->exe + ")") + " by gcore in " +
                           FormatDurationMs(r.duration_ms);
    return AddFileArtifact(ctx, outputs, artifact, ParamBool(with, "hash"));
  }

 private:
  ActionInfo info_;
};

struct SignalName {
  const char* name;
  int number;
};
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ABRT", SIGABRT},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},
    {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"SEGV", SIGSEGV},
};

/// "TERM", "SIGTERM", "term" or "15" -> (number, "TERM"); number 0 when unknown.
std::pair<int, std::string> ParseSignal(const std::string& text) {
  std::string s;
  for (char c : text) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (StartsWith(s, "SIG")) s = s.substr(3);
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() <= 2) {
    int n = std::stoi(s);
    for (const auto& sig : kSignals)
      if (sig.number == n) return {n, sig.name};
    return {n >= 1 && n < NSIG ? n : 0, s};
  }
  for (const auto& sig : kSignals)
    if (s == sig.name) return {sig.number, sig.name};
  return {0, s};
}

class SignalAction : public Action {
 public:
  SignalAction() {
    info_.name = "process.signal";
    info_.summary = "Send a signal to a process (QUIT: Go goroutine dump and exit; TERM; KILL)";
    info_.params = {
        PidParam(),
        {.name = "signal",
         .type = ParamType::kString,
         .default_value = "TERM",
         .help = "name (TERM, SIGQUIT, kill) or number"},
        {.name = "wait",
         .type = ParamType::kDuration,
         .default_value = "0s",
         .help =
             "then wait this long for the process to exit, failing if it does not; 0: do not wait"},
    };
    info_.destructive = true;
    info_.outputs = {{"pid", "the process signalled"},
                     {"signal", "the signal's name"},
                     {"exited", "true when it exited within `wait`"}};
  }
  const ActionInfo& info() const override { return info_; }

  std::vector<std::string> Plan(const Json& with) const override {
    std::string plan =
        "kill -" + ParseSignal(ParamString(with, "signal")).second + " " + Shown(with, "pid");
    if (ParamInt(with, "wait") > 0)
      plan += ", then wait up to " + FormatDurationMs(ParamInt(with, "wait")) + " for it to exit";
    return {plan};
  }

  Status Run(const Json& with, StepContext& ctx, Json& outputs) override {
    int64_t pid = ParamInt(with, "pid");
    auto [number, name] = ParseSignal(ParamString(with, "signal"));
    if (number == 0) {
      std::vector<std::string> names;
      for (const auto& s : kSignals) names.push_back(s.name);
      return Status::Invalid("param 'signal': unknown signal '" + ParamString(with, "signal") +
                             "'" + DidYouMean(name, names));
    }
    if (pid <= 1 || pid > 4'194'304)
      return Status::Invalid("param 'pid': refusing to signal pid " + std::to_string(pid));
    if (pid == getpid())
      return Status::Invalid("param 'pid': " + std::to_string(pid) + " is medic itself");
    outputs["pid"] = pid;
    outputs["signal"] = name;
    if (!ProcessAlive(static_cast<pid_t>(pid)))
      return Status::NotFound("no running process " + std::to_string(pid) + " (already gone?)");
    if (kill(static_cast<pid_t>(pid), number) != 0) {
      int err = errno;
      if (err == ESRCH)
        return Status::NotFound("no process " + std::to_string(pid) + " (already gone?)");
      if (err == EPERM)
        return Status::Precondition("not permitted to send SIG" + name + " to pid " +
                                    std::to_string(pid) +
                                    " (run medic as root or as the process' user)");
      return Status::Io("kill(" + std::to_string(pid) + ", SIG" + name +
                        "): " + std::strerror(err));
    }
    int64_t wait = ParamInt(with, "wait");
    if (wait <= 0) return Status::Ok();
    int64_t limit = std::min(wait, ctx.RemainingMs());
    int64_t start = ctx.clock().MonotonicMs();
    for (;;) {
      if (!ProcessAlive(static_cast<pid_t>(pid))) {
        outputs["exited"] = true;
        return Status::Ok();
      }
      if (ctx.clock().MonotonicMs() - start >= limit) break;
      if (!ctx.cancel().SleepFor(50)) return Status::Cancelled("stopped");
    }
    outputs["exited"] = false;
    return Status::Unavailable("pid " + std::to_string(pid) + " is still running " +
                               FormatDurationMs(limit) + " after SIG" + name);
  }

 private:
  ActionInfo info_;
};

}  // namespace

void RegisterProcessActions(Registry& registry) {
  (void)registry.Add(std::make_unique<ExecAction>());
  (void)registry.Add(std::make_unique<FindAction>());
  (void)registry.Add(std::make_unique<GcoreAction>());
  (void)registry.Add(std::make_unique<SignalAction>());
}

}  // namespace medic
