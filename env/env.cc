#include "env/env.h"

#include <cstdlib>

namespace medic {

std::optional<std::string> ProcessEnvironment::Get(const std::string& name) const {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::string Env::Var(const std::string& name) const {
  if (!vars) return "";
  return vars->Get(name).value_or("");
}

SystemEnv::SystemEnv(SpawnMode spawn) : processes_(spawn) {
  env_.clock = &clock_;
  env_.processes = &processes_;
  env_.http = &http_;
  env_.files = &files_;
  env_.vars = &vars_;
}

}  // namespace medic
