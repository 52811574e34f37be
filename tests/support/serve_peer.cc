#include "tests/support/serve_peer.h"

#include <httplib.h>
#include <signal.h>
#include <libpq-fe.h>
#include <sqlite3.h>
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

std::string ServePeer::Restart() { return Launch(); }

std::string ServePeer::Launch() {
  std::vector<std::string> argv = {MedicBinary(), "--db",     db_,
                                   "serve",       "--listen", "127.0.0.1:" + std::to_string(port_),
                                   "--config",    config_};
  std::map<std::string, std::string> env = env_;
  env.emplace("NO_COLOR", "1");
  if (!process_.Start(argv, log_, env)) return "cannot start " + MedicBinary();
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

std::string QueryRecord(const std::string& db_path, const std::string& sql) {
  if (db_path.rfind("postgres", 0) == 0) {
    PGconn* c = PQconnectdb(db_path.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    std::string out;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
      out = PQgetvalue(r, 0, 0);
    PQclear(r);
    PQfinish(c);
    return out;
  }
  sqlite3* db;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "";
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(s, 0);
    out = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

}  // namespace medic::testing
