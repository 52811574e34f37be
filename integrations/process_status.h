// CheckProcessEnd: how a finished ProcessResult (exit code, signal, timeout, cancellation,
// what it printed last) becomes the Status a step or a debugger run reports, worded the same
// everywhere: "kubectl get pods failed (exit code 1): Error from server ...". Every action
// that runs a command (exec, process.gcore, kubectl.*, the core reader) goes through it;
// they add only what their own tool's output means (ptrace denied, a partial core).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "env/process_runner.h"

namespace medic {

/// How CheckProcessEnd judges and words one command's end.
struct ProcessCheck {
  explicit ProcessCheck(std::string command) : what(std::move(command)) {}

  std::string what;                      ///< names the command: "kubectl get pods", "gcore 4242"
  std::vector<int> ok_exit_codes = {0};  ///< exit codes that count as success
  bool any_exit_code = false;  ///< every exit counts: the caller judges the output instead
  /// The code of a bad exit from the command's last line; empty: kUnavailable.
  std::function<Code(const std::string& last_line)> classify;
  std::string limit = "the step's timeout";  ///< what a timeout ran into, for the message
};

/// Ok when the process exited with one of check.ok_exit_codes (any code when
/// check.any_exit_code); otherwise the error, first match wins:
///   cancelled         kCancelled    "stopped during WHAT"
///   timed out         kTimeout      "WHAT did not finish within LIMIT (timed out after 2.0s);
///                                    its process group was killed"
///   killed by signal  kUnavailable  "WHAT was killed by signal 9 (Killed)"
///   bad exit code     classify(L)   "WHAT failed (exit code 3): L", L = LastOutputLine(r)
Status CheckProcessEnd(const ProcessResult& r, const ProcessCheck& check);

/// What a command said last: the last non-empty line of its stderr (of its stdout when
/// stderr is empty), trimmed, at most `max` characters; "" when it printed nothing.
std::string LastOutputLine(const ProcessResult& r, size_t max = 400);

}  // namespace medic
