#include "integrations/proc_table.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "env/files.h"

namespace medic {
namespace {

// /proc files of one process: small, and read whole.
std::string ReadProcFile(const std::string& path) {
  return ReadFileHead(path, 256 << 10).value_or("");
}

std::string ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  DIR* dir = opendir("/proc");
  if (!dir) return pids;
  while (dirent* e = readdir(dir)) {
    const char* n = e->d_name;
    if (!*n || std::strspn(n, "0123456789") != std::strlen(n)) continue;
    pids.push_back(static_cast<pid_t>(std::atol(n)));
  }
  closedir(dir);
  std::sort(pids.begin(), pids.end());
  return pids;
}

/// Inodes of sockets in LISTEN state on `port` from one /proc/net/tcp-style table.
void ListeningInodes(const std::string& table, int port, std::set<std::string>* inodes) {
  std::ifstream f(table);
  std::string line;
  std::getline(f, line);  // header
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string slot, local, remote, state, queues, timer, retrans, uid, timeout, inode;
    if (!(in >> slot >> local >> remote >> state >> queues >> timer >> retrans >> uid >> timeout >>
          inode))
      continue;
    if (state != "0A") continue;  // TCP_LISTEN
    size_t colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    if (std::strtol(local.c_str() + colon + 1, nullptr, 16) != port) continue;
    if (inode != "0") inodes->insert(inode);
  }
}

}  // namespace

Result<ProcInfo> ReadProc(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid);
  std::string stat = ReadProcFile(dir + "/stat");
  if (stat.empty()) return Status::NotFound("no process " + std::to_string(pid));
  ProcInfo p;
  p.pid = pid;
  size_t close = stat.rfind(')');
  if (close != std::string::npos && close + 2 < stat.size()) p.state = stat[close + 2];
  p.comm = std::string(Trim(ReadProcFile(dir + "/comm")));
  p.exe = ReadLink(dir + "/exe");
  if (EndsWith(p.exe, " (deleted)")) p.exe.resize(p.exe.size() - 10);
  std::string cmdline = ReadProcFile(dir + "/cmdline");
  size_t start = 0;
  while (start < cmdline.size()) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    p.argv.push_back(cmdline.substr(start, end - start));
    start = end + 1;
  }
  return p;
}

bool ProcessAlive(pid_t pid) {
  auto p = ReadProc(pid);
  return p.ok() && p->state != 'Z' && p->state != 'X';
}

std::vector<ProcInfo> FindByName(const std::string& name) {
  std::vector<ProcInfo> out;
  if (name.empty()) return out;
  pid_t self = getpid();
  for (pid_t pid : AllPids()) {
    if (pid == self) continue;
    auto p = ReadProc(pid);
    if (!p.ok() || p->state == 'Z' || p->state == 'X') continue;
    if (p->argv.empty()) continue;  // kernel thread
    // comm is cut at 15 characters; the exe and argv[0] file names catch longer names.
    bool match = p->comm == name || (!p->exe.empty() && BaseName(p->exe) == name) ||
                 BaseName(p->argv[0]) == name;
    if (match) out.push_back(*p);
  }
  return out;
}

std::vector<pid_t> FindByPort(int port, int* sockets) {
  std::set<std::string> inodes;
  ListeningInodes("/proc/net/tcp", port, &inodes);
  ListeningInodes("/proc/net/tcp6", port, &inodes);
  if (sockets) *sockets = static_cast<int>(inodes.size());
  std::set<pid_t> owners;
  if (inodes.empty()) return {};
  for (pid_t pid : AllPids()) {
    std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* dir = opendir(fd_dir.c_str());
    if (!dir) continue;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::string target = ReadLink(fd_dir + "/" + e->d_name);
      if (StartsWith(target, "socket:[") && EndsWith(target, "]") &&
          inodes.count(target.substr(8, target.size() - 9))) {
        owners.insert(pid);
        break;
      }
    }
    closedir(dir);
  }
  std::vector<pid_t> out(owners.begin(), owners.end());
  // A forked child may share the socket; the caller decides whether several are fine.
  out.erase(std::remove_if(out.begin(), out.end(), [](pid_t p) { return !ProcessAlive(p); }),
            out.end());
  return out;
}

Result<pid_t> ReadPidFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    int err = errno;
    std::string text = "cannot read pid file " + path + ": " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(text) : Status::Io(text);
  }
  std::string first;
  std::getline(f, first);
  std::string_view t = Trim(first);
  if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string_view::npos)
    return Status::Invalid("pid file " + path + " does not hold a pid (first line '" +
                           std::string(t.substr(0, 40)) + "')");
  pid_t pid = static_cast<pid_t>(std::atol(std::string(t).c_str()));
  if (pid <= 0) return Status::Invalid("pid file " + path + " holds pid " + std::string(t));
  return pid;
}

}  // namespace medic
