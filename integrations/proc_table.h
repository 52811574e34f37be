// Reading the local process table from /proc: who a process is (comm, exe, argv), which
// processes carry a name, which one listens on a TCP port (/proc/net/tcp{,6} socket inode
// -> /proc/*/fd), and what a pid file names. Used by process.find; Linux only.
// Start with FindByName / FindByPort.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace medic {

/// What /proc says about one process. Fields are empty when unreadable (other users).
struct ProcInfo {
  pid_t pid = 0;
  std::string comm;               ///< /proc/PID/comm (at most 15 characters)
  std::string exe;                ///< /proc/PID/exe target, without " (deleted)"
  std::vector<std::string> argv;  ///< /proc/PID/cmdline
  char state = '?';               ///< from /proc/PID/stat: R, S, D, Z, ...
};

/// Reads /proc/PID. kNotFound when there is no such process.
Result<ProcInfo> ReadProc(pid_t pid);

/// True when `pid` exists and is not a zombie.
bool ProcessAlive(pid_t pid);

/// Live processes (not zombies, not kernel threads, not medic itself) whose comm, exe
/// file name or argv[0] file name is `name`, sorted by pid.
std::vector<ProcInfo> FindByName(const std::string& name);

/// Pids of processes holding a TCP socket listening on `port` (IPv4 or IPv6), sorted.
/// Sets *sockets to the number of listening sockets seen, so a caller can tell "nothing
/// listens" from "something listens but its owner is not visible to us".
std::vector<pid_t> FindByPort(int port, int* sockets);

/// The pid written in `path`. Fails naming the file when it is missing or holds no pid.
Result<pid_t> ReadPidFile(const std::string& path);

}  // namespace medic
