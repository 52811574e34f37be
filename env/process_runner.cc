#include "env/process_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sanitizer/asan_interface.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <thread>

extern char** environ;

#include "env/clock.h"

namespace medic {
namespace {

const char* PackageFor(const std::string& program) {
  static const std::map<std::string, const char*> kPackages = {
      {"kubectl", "kubernetes-client"},
      {"gdb", "gdb"},
      {"gcore", "gdb"},
      {"dlv", "delve"},
      {"zstd", "zstd"},
      {"curl", "curl"},
      {"go", "golang-go"},
      {"panicparse", "panicparse"},
  };
  auto it = kPackages.find(program);
  return it == kPackages.end() ? nullptr : it->second;
}

struct Pipe {
  int r = -1, w = -1;
  bool Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    r = fds[0];
    w = fds[1];
    return true;
  }
  void CloseRead() {
    if (r >= 0) close(r);
    r = -1;
  }
  void CloseWrite() {
    if (w >= 0) close(w);
    w = -1;
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
};

// Appends what is readable on fd to `buf` (up to `cap`); returns false at EOF or error.
bool Drain(int fd, std::string& buf, size_t cap, bool& truncated) {
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n > 0) {
      size_t room = buf.size() < cap ? cap - buf.size() : 0;
      size_t take = std::min(room, static_cast<size_t>(n));
      buf.append(chunk, take);
      if (take < static_cast<size_t>(n)) truncated = true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

struct ChildArgs {
  pid_t parent;  // medic, which lets the child go
  int go_r, in_r, out_w, err_w, exec_err_w;
  const char* cwd;
  const char* path;
  char** argv;
  char** envp;
};

// Runs in the child on its own stack, sharing the parent's memory until execve: only
// plain system calls here, no allocation, no locks.
int ChildMain(void* p) {
  auto* a = static_cast<ChildArgs*>(p);
  setpgid(0, 0);
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction cur;
    if (sigaction(sig, nullptr, &cur) == 0 && cur.sa_handler != SIG_DFL &&
        cur.sa_handler != SIG_IGN)
      sigaction(sig, &dfl, nullptr);
  }
  sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Until it execs, the child holds copies of all medic's descriptors: its database sessions
  // (with their row locks), and the go pipes of steps starting beside it, which then wait on
  // each other's. If medic dies before it lets the child go, the child goes too; otherwise
  // no EOF would ever come, and the sessions would stay open for good.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != a->parent) _exit(125);
  char byte;
  // Wait until the parent has recorded our process group (or gives up: EOF).
  if (read(a->go_r, &byte, 1) != 1) _exit(125);
  dup2(a->in_r, 0);
  dup2(a->out_w, 1);
  dup2(a->err_w, 2);
  int e = 0;
  if (a->cwd && chdir(a->cwd) != 0) {
    e = errno;
  } else {
    prctl(PR_SET_PDEATHSIG, 0);  // the step itself may outlive medic, as it always could
    execve(a->path, a->argv, a->envp);
    e = errno;
  }
  ssize_t n = write(a->exec_err_w, &e, sizeof e);
  (void)n;
  _exit(127);
}

void KillGroup(pid_t pgid, int sig) {
  if (pgid > 0) kill(-pgid, sig);
}

}  // namespace

Result<std::string> FindExecutable(const std::string& program) {
  if (program.empty()) return Status::Invalid("empty program name");
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) == 0) return program;
    return Status::NotFound(program + ": not found or not executable");
  }
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  std::string msg = program + ": command not found on PATH";
  if (const char* pkg = PackageFor(program))
    msg += " (install it: apt-get install " + std::string(pkg) + ")";
  return Status::NotFound(msg);
}

SpawnMode SpawnModeFromEnvironment() {
  const char* mode = std::getenv("MEDIC_SPAWN");
  return mode && std::string_view(mode) == "fork" ? SpawnMode::kFork : SpawnMode::kSharedMemory;
}

Result<ProcessResult> PosixProcessRunner::Run(const ProcessSpec& spec, const CancelToken* cancel,
                                              const std::function<Status(pid_t)>& on_started) {
  if (spec.argv.empty()) return Status::Invalid("argv is empty");
  auto exe = FindExecutable(spec.argv[0]);
  if (!exe.ok()) return exe.status();

  // Everything the child needs is built before fork: after fork only async-signal-safe calls.
  std::vector<std::string> args = spec.argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::map<std::string, std::string> envmap;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) envmap[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : spec.env) envmap[k] = v;
  std::vector<std::string> envs;
  for (const auto& [k, v] : envmap) envs.push_back(k + "=" + v);
  std::vector<char*> cenv;
  for (auto& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  Pipe in, out, err, go, exec_err;
  if (!in.Open() || !out.Open() || !err.Open() || !go.Open() || !exec_err.Open())
    return Status::Io(std::string("pipe: ") + std::strerror(errno));
  int out_file = -1;
  if (!spec.stdout_path.empty()) {
    out_file = open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_file < 0)
      return Status::Io("cannot write " + spec.stdout_path + ": " + std::strerror(errno));
  }
  ChildArgs child;
  child.parent = getpid();
  child.go_r = go.r;
  child.in_r = in.r;
  child.out_w = out_file >= 0 ? out_file : out.w;
  child.err_w = err.w;
  child.exec_err_w = exec_err.w;
  child.cwd = spec.cwd.empty() ? nullptr : spec.cwd.c_str();
  child.path = exe->c_str();
  child.argv = cargs.data();
  child.envp = cenv.data();

  // The child shares our memory until it execs (like posix_spawn), so starting it costs
  // the same however large medic is; unlike posix_spawn it waits for the go byte, so the
  // record knows its process group before it runs. Signals stay blocked until the child
  // has reset its handlers: one of ours running there would act on our memory.
  constexpr size_t kStackSize = 64 * 1024;
  void* stack = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    if (out_file >= 0) close(out_file);
    return Status::Io(std::string("mmap: ") + std::strerror(errno));
  }
  struct StackGuard {
    void* p;
    size_t n;
    ~StackGuard() {
      // Under ASan the child's frames poisoned this stack's shadow before it exec'd; the
      // shadow outlives munmap and would make whatever is mapped here next look like a
      // stack overflow (a no-op in other builds).
      ASAN_UNPOISON_MEMORY_REGION(p, n);
      munmap(p, n);
    }
  } stack_guard{stack, kStackSize};
  sigset_t all, old_mask;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old_mask);
  auto start = SteadyNowMs();
  pid_t pid;
  if (mode_ == SpawnMode::kFork) {
    pid = fork();
    if (pid == 0) _exit(ChildMain(&child));
  } else {
    pid = clone(ChildMain, static_cast<char*>(stack) + kStackSize, CLONE_VM | SIGCHLD, &child);
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    if (out_file >= 0) close(out_file);
    return Status::Io(std::string("clone: ") + std::strerror(clone_errno));
  }
  setpgid(pid, pid);  // also in the parent, so the group exists before anyone signals it
  if (out_file >= 0) close(out_file);
  in.CloseRead();
  out.CloseWrite();
  err.CloseWrite();
  go.CloseRead();
  exec_err.CloseWrite();

  ProcessResult result;
  result.pid = pid;
  Status started = on_started ? on_started(pid) : Status::Ok();
  if (!started.ok()) {
    go.CloseWrite();  // child sees EOF and exits
    int st;
    waitpid(pid, &st, 0);
    return started;
  }
  char go_byte = 'g';
  if (write(go.w, &go_byte, 1) != 1) {
    KillGroup(pid, SIGKILL);
  }
  go.CloseWrite();

  int exec_errno = 0;
  ssize_t n = read(exec_err.r, &exec_errno, sizeof exec_errno);
  if (n == sizeof exec_errno) {
    int st;
    waitpid(pid, &st, 0);
    return Status::Io("cannot run " + spec.argv[0] + ": " + std::strerror(exec_errno));
  }

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  fcntl(out.r, F_SETFL, O_NONBLOCK);
  fcntl(err.r, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (spec.stdin_data.empty()) {
    in.CloseWrite();
  } else {
    fcntl(in.w, F_SETFL, O_NONBLOCK);
  }
  bool out_open = out_file < 0, err_open = true, exited = false;
  if (!out_open) out.CloseRead();
  int status = 0;
  int64_t deadline =
      spec.timeout_ms > 0 && spec.timeout_ms < INT64_MAX / 2 ? start + spec.timeout_ms : INT64_MAX;
  int64_t kill_at = INT64_MAX;  // when SIGKILL follows the SIGTERM already sent

  auto stop = [&](bool timed_out) {
    if (kill_at != INT64_MAX) return;
    result.timed_out = timed_out;
    result.cancelled = !timed_out;
    KillGroup(pid, SIGTERM);
    kill_at = SteadyNowMs() + spec.kill_grace_ms;
  };

  while (!exited || out_open || err_open) {
    int64_t now = SteadyNowMs();
    if (!exited && now >= deadline) stop(true);
    if (!exited && cancel && cancel->cancelled()) stop(false);
    if (kill_at != INT64_MAX && now >= kill_at) {
      KillGroup(pid, SIGKILL);
      kill_at = INT64_MAX - 1;
    }
    if (exited) {
      // The child is gone; anything still holding its pipes is a straggler. Take what is
      // buffered and stop waiting.
      if (out_open) Drain(out.r, result.out, spec.max_output, result.out_truncated);
      if (err_open) Drain(err.r, result.err, spec.max_output, result.err_truncated);
      break;
    }
    pollfd fds[5];
    int nfds = 0;
    int i_out = -1, i_err = -1, i_in = -1, i_pid = -1;
    if (out_open) {
      i_out = nfds;
      fds[nfds++] = {out.r, POLLIN, 0};
    }
    if (err_open) {
      i_err = nfds;
      fds[nfds++] = {err.r, POLLIN, 0};
    }
    if (in.w >= 0) {
      i_in = nfds;
      fds[nfds++] = {in.w, POLLOUT, 0};
    }
    if (pidfd >= 0) {
      i_pid = nfds;
      fds[nfds++] = {pidfd, POLLIN, 0};
    }
    if (cancel) fds[nfds++] = {cancel->fd(), POLLIN, 0};
    int64_t wait = 100;
    if (pidfd >= 0) wait = 1000;
    if (deadline != INT64_MAX) wait = std::min<int64_t>(wait, std::max<int64_t>(0, deadline - now));
    if (kill_at < INT64_MAX - 1)
      wait = std::min<int64_t>(wait, std::max<int64_t>(0, kill_at - now));
    if (cancel && cancel->cancelled()) wait = std::min<int64_t>(wait, 50);
    int rc = poll(fds, nfds, static_cast<int>(wait));
    if (rc < 0 && errno != EINTR) break;
    if (i_out >= 0 && (fds[i_out].revents & (POLLIN | POLLHUP | POLLERR)))
      out_open = Drain(out.r, result.out, spec.max_output, result.out_truncated);
    if (i_err >= 0 && (fds[i_err].revents & (POLLIN | POLLHUP | POLLERR)))
      err_open = Drain(err.r, result.err, spec.max_output, result.err_truncated);
    if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in.w, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) in.CloseWrite();
      if (written == spec.stdin_data.size()) in.CloseWrite();
    }
    if (i_pid < 0 || (fds[i_pid].revents & POLLIN)) {
      if (waitpid(pid, &status, WNOHANG) == pid) exited = true;
    }
  }
  if (!exited) waitpid(pid, &status, 0);
  if (pidfd >= 0) close(pidfd);
  // A timed-out or cancelled step leaves nothing behind: the whole group goes.
  if (result.timed_out || result.cancelled) KillGroup(pid, SIGKILL);
  result.duration_ms = SteadyNowMs() - start;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

uint64_t ProcessStartTicks(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  size_t close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream rest(line.substr(close_paren + 2));
  std::string field;
  // Field 3 (state) is the first after the command; starttime is field 22.
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return 0;
  }
  return std::strtoull(field.c_str(), nullptr, 10);
}

bool ProcessGroupAlive(pid_t pgid) {
  if (pgid <= 0) return false;
  if (kill(-pgid, 0) != 0 && errno != EPERM) return false;
  // kill() also succeeds for zombies nobody has reaped yet; they hold nothing and run
  // nothing, so only a member that is not a zombie counts.
  DIR* proc = opendir("/proc");
  if (!proc) return true;
  bool alive = false;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != "Z" && state != "X") {
      alive = true;
      break;
    }
  }
  closedir(proc);
  return alive;
}

bool StopLeftoverGroup(pid_t pgid, uint64_t start_ticks, int64_t grace_ms) {
  if (!ProcessGroupAlive(pgid)) return false;
  // A live leader with another start time means the pid was reused: not ours. (The
  // kernel does not hand out a pid still in use as a process group id, so a group whose
  // leader is gone is still the one we started.)
  uint64_t leader_start = ProcessStartTicks(pgid);
  if (leader_start != 0 && start_ticks != 0 && leader_start != start_ticks) return false;
  kill(-pgid, SIGTERM);
  auto deadline = SteadyNowMs() + grace_ms;
  while (SteadyNowMs() < deadline && ProcessGroupAlive(pgid)) {
    // Reap if it is our own child (resume in the same process); harmless otherwise.
    waitpid(-pgid, nullptr, WNOHANG);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (ProcessGroupAlive(pgid)) kill(-pgid, SIGKILL);
  return true;
}

}  // namespace medic
