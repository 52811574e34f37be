// ProcessRunner: the seam for starting programs. argv only, never a shell. Each process
// runs in its own process group, so a timeout or Ctrl-C stops everything it started.
// The child waits on a pipe until the caller has durably recorded its process group
// (on_started), so the record always knows what to clean up after a crash.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/cancel.h"
#include "base/status.h"

namespace medic {

struct ProcessSpec {
  std::vector<std::string> argv;                         ///< argv[0] is looked up on PATH
  std::vector<std::pair<std::string, std::string>> env;  ///< set on top of medic's own
  std::string cwd;                                       ///< empty: medic's
  std::string stdin_data;                                ///< fed to stdin, then closed
  std::string stdout_path;        ///< when set, stdout is written to this file, not captured
  size_t max_output = 1 << 20;    ///< per stream; the rest is counted, dropped
  int64_t timeout_ms = 0;         ///< 0: none
  int64_t kill_grace_ms = 2'000;  ///< SIGTERM -> SIGKILL delay
};

struct ProcessResult {
  pid_t pid = -1;
  int exit_code = -1;   ///< -1 when killed by a signal
  int term_signal = 0;  ///< the signal that ended it, 0 if it exited
  bool timed_out = false;
  bool cancelled = false;
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
  int64_t duration_ms = 0;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  /// Runs spec to completion. `on_started(pgid)` is called after the child exists and
  /// before it execs; a non-ok Status from it kills the child and is returned. Fails with
  /// kNotFound when argv[0] is not on PATH (naming the Debian package when known). A
  /// non-zero exit, timeout or cancellation is reported in ProcessResult, not as an error.
  virtual Result<ProcessResult> Run(const ProcessSpec& spec, const CancelToken* cancel,
                                    const std::function<Status(pid_t)>& on_started) = 0;
};

/// Runs one process with the cancel token and start record already decided by the caller
/// (RunStepProcess for a step, a runner with medic's Ctrl-C token for a command).
using RunProcessFn = std::function<Result<ProcessResult>(const ProcessSpec&)>;

/// How PosixProcessRunner starts a child.
enum class SpawnMode {
  /// clone(CLONE_VM): the child shares medic's memory until it execs, so starting it costs
  /// the same however large medic is.
  kSharedMemory,
  /// fork(): for tools that cannot follow clone(CLONE_VM), such as valgrind (scripts/bench
  /// engine-instructions sets MEDIC_SPAWN=fork).
  kFork,
};

/// kFork when the environment says MEDIC_SPAWN=fork, else kSharedMemory.
SpawnMode SpawnModeFromEnvironment();

/// clone/exec implementation. Thread-safe.
class PosixProcessRunner : public ProcessRunner {
 public:
  explicit PosixProcessRunner(SpawnMode mode = SpawnMode::kSharedMemory) : mode_(mode) {}
  Result<ProcessResult> Run(const ProcessSpec& spec, const CancelToken* cancel,
                            const std::function<Status(pid_t)>& on_started) override;

 private:
  SpawnMode mode_;
};

/// The absolute path of `program` (as given if it contains '/'), searched on $PATH.
/// kNotFound names the Debian package that provides well-known tools.
Result<std::string> FindExecutable(const std::string& program);

/// Stops a process group left over from a dead medic: SIGTERM, then SIGKILL after
/// `grace_ms`. Does nothing when the group is gone, or when its leader is alive but is not
/// the process started at `start_ticks` (the pid was reused). Returns true if it signalled.
bool StopLeftoverGroup(pid_t pgid, uint64_t start_ticks, int64_t grace_ms);

/// The start time of `pid` in clock ticks since boot (/proc/PID/stat field 22), or 0.
uint64_t ProcessStartTicks(pid_t pid);

/// True when any process of group `pgid` is alive.
bool ProcessGroupAlive(pid_t pgid);

}  // namespace medic
