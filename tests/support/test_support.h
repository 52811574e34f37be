// Helpers shared by medic's tests: temporary directories, free loopback ports, and a
// launcher for real peer processes (Prometheus, s3rver, the kube API peer, Go fixtures)
// that waits until they are ready and always stops what it started.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace medic::testing {

/// A fresh directory under $TMPDIR, removed recursively on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close).
int FreePort();

/// True when something accepts TCP connections on 127.0.0.1:port.
bool PortOpen(int port);

/// Polls until 127.0.0.1:port accepts connections or timeout_ms passes.
bool WaitForPort(int port, int timeout_ms);

/// Polls `cond` every 25 ms until it holds or timeout_ms passes; returns its last value.
bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 60'000);

/// Writes `content` to `path` (creating or truncating). Aborts the test binary on failure.
void WriteFile(const std::string& path, const std::string& content);

/// The whole content of `path`, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

/// The result of RunCommand.
struct CommandResult {
  int exit_code = -1;  ///< exit status, or 128+signal
  std::string out;     ///< stdout
  std::string err;     ///< stderr
};

/// Runs argv to completion (no shell), feeding `input` to stdin, with extra environment
/// `env` on top of the test's own. Gives up (SIGKILL) after timeout_ms.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "",
                         const std::map<std::string, std::string>& env = {},
                         int timeout_ms = 120'000);

/// A background process in its own process group; stopped (TERM, then KILL) on destruction.
class PeerProcess {
 public:
  PeerProcess() = default;
  ~PeerProcess() { Stop(); }
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  /// Starts argv with stdout+stderr appended to log_path (no shell). Returns false on failure.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::map<std::string, std::string>& env = {}, const std::string& cwd = "");
  /// Stops the whole process group; safe to call twice.
  void Stop();
  bool running() const;
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

/// The directory holding the medic source tree (from the MEDIC_SOURCE_DIR compile definition).
std::string SourceDir();
/// The build directory holding build/medic (from MEDIC_BINARY_DIR).
std::string BinaryDir();
/// Path of the built medic binary.
std::string MedicBinary();

/// True when `tool` is found on PATH.
bool HaveTool(const std::string& tool);

}  // namespace medic::testing
