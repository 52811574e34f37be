// Running the debuggers the core-file path needs (dlv, gdb): posix_spawn with an argv,
// never a shell, stdin from /dev/null, stdout/stderr captured up to a cap, killed at a
// deadline. Kept inside golang/ until the shared process integration lands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace medic::golang {

/// What a finished child printed and how it ended.
struct ToolOutput {
  int exit_code = -1;  ///< exit status, or 128+signal
  std::string out;     ///< stdout, cut at max_output bytes
  std::string err;     ///< stderr, cut at max_output bytes
};

/// Runs argv[0] (looked up on PATH) with `argv`. kNotFound when the program does not exist,
/// kTimeout (child killed) after timeout_ms, kIo when spawning fails.
Result<ToolOutput> RunTool(const std::vector<std::string>& argv, int64_t timeout_ms,
                           size_t max_output = 256u << 20);

/// The full path of `program` on PATH (or `program` itself when it contains '/' and is
/// executable); "" when not found.
std::string FindOnPath(const std::string& program);

}  // namespace medic::golang
