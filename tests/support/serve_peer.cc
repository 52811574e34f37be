#include "tests/support/serve_peer.h"

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

namespace medic::testing {

std::string ServePeer::Start(const std::string& db, const std::string& config,
                             const std::string& log,
                             const std::map<std::string, std::string>& env) {
  db_ = db;
  config_ = config;
  log_ = log;
  env_ = env;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreePort();
    std::string err = Launch();
    if (err.empty()) return "";
    if (ReadFile(log_).find("cannot listen") == std::string::npos) return err;  // not a port race
  }
  return "medic serve did not start; see " + log_;
}

ServePeer::~ServePeer() {
  process_.Stop();
  // Only a process that is still this serve (its pid may have been reused since).
  std::string listen = "127.0.0.1:" + std::to_string(port_);
  for (pid_t pid : launched_) {
    std::string cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(MedicBinary()) == 0 && cmdline.find(listen) != std::string::npos)
      kill(pid, SIGKILL);
  }
}

std::string ServePeer::Restart() { return Launch(); }

std::string ServePeer::Launch() {
  std::vector<std::string> argv = {MedicBinary(), "--db",     db_,
                                   "serve",       "--listen", "127.0.0.1:" + std::to_string(port_),
                                   "--config",    config_};
  std::map<std::string, std::string> env = env_;
  env.emplace("NO_COLOR", "1");
  if (!process_.Start(argv, log_, env)) return "cannot start " + MedicBinary();
  launched_.push_back(process_.pid());
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(0, 200'000);
  for (int i = 0; i < 400 && process_.running(); ++i) {
    auto res = client.Get("/healthz");
    if (res && res->status == 200) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::string why =
      process_.running() ? "medic serve did not answer /healthz" : "medic serve exited";
  process_.Stop();
  return why + "; see " + log_ + ":\n" + ReadFile(log_);
}

void ServePeer::Kill9() {
  if (!process_.running()) return;
  kill(process_.pid(), SIGKILL);
  for (int i = 0; i < 400 && process_.running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

int ServePeer::Terminate(int timeout_ms) {
  pid_t pid = process_.pid();
  if (pid <= 0) return -1;
  kill(pid, SIGTERM);
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

}  // namespace medic::testing
