#include "cmd/context.h"

#include <cstdio>
#include <cstdlib>

#include "base/redact.h"

namespace medic {

void Context::Fail(const Status& status, int code) {
  std::string msg = Redact(status.message());
  std::fprintf(stderr, "%s %s\n", Colorize(color, "1;31", "medic: error:").c_str(), msg.c_str());
  if (code >= 0)
    exit_code = code;
  else
    exit_code = status.code() == Code::kInvalidArgument ? kExitUsage : kExitFailed;
}

namespace {

std::string DataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/medic";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/share/medic";
}

}  // namespace

std::string Context::DatabasePath() const {
  if (!db_path.empty()) return db_path;
  if (const char* env = std::getenv("MEDIC_DB"); env && *env) return env;
  return DataDir() + "/medic.db";
}

Result<std::unique_ptr<Store>> Context::OpenStore() const { return Store::Open(DatabasePath()); }

std::string Context::WorkRoot() const {
  std::string db = DatabasePath();
  // A shared PostgreSQL record has no directory here: step files stay on this machine.
  if (Store::IsPostgresTarget(db)) return DataDir() + "/runs";
  size_t slash = db.rfind('/');
  return (slash == std::string::npos ? std::string(".") : db.substr(0, slash)) + "/runs";
}

const Registry& Context::registry() {
  if (!registry_) {
    registry_ = std::make_unique<Registry>();
    RegisterBuiltinActions(*registry_);
  }
  return *registry_;
}

const Env& Context::env() {
  if (!env_) env_ = std::make_unique<SystemEnv>();
  return env_->env();
}

std::string Colorize(bool on, const char* code, const std::string& text) {
  if (!on) return text;
  return std::string("\033[") + code + "m" + text + "\033[0m";
}

}  // namespace medic
