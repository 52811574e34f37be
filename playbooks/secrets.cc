#include "playbooks/secrets.h"

#include <cstdlib>
#include <fstream>

#include "base/redact.h"
#include "base/strings.h"
#include "env/files.h"
#include "integrations/action.h"

namespace medic {
namespace {

constexpr size_t kMaxSecretFileBytes = 64 * 1024;

void RegisterEnv(const std::string& name) {
  if (name.empty()) return;
  const char* v = std::getenv(name.c_str());
  if (v && *v) RegisterSecret(v);
}

void RegisterFile(const std::string& path) {
  auto read = ReadFileHead(path, kMaxSecretFileBytes);
  if (!read.ok()) return;
  const std::string& text = *read;
  RegisterSecret(Trim(text));
  // A file of several keys (one a line, as bearer_tokens_file) registers each.
  for (const auto& line : Split(text, '\n')) RegisterSecret(Trim(line));
}

// The literal string a step gives `param`, else the action's default; "" for a template
// (rendered per run, and then not a name known at load).
std::string LiteralOrDefault(const StepDef& step, const ParamSpec& param) {
  auto it = step.with.find(param.name);
  const Json& v = it != step.with.end() ? *it : param.default_value;
  if (!v.is_string()) return "";
  const std::string& s = v.get_ref<const std::string&>();
  return s.find("{{") == std::string::npos ? s : "";
}

}  // namespace

void RegisterPlaybookSecrets(const Playbook& pb, const Registry& registry) {
  for (const auto& name : pb.secrets) RegisterEnv(name);
  for (const auto& name : pb.allow_env)
    if (LooksSecretName(name)) RegisterEnv(name);
  for (const StepDef* step : pb.Steps()) {
    const Action* action = registry.Find(step->action);
    if (!action) continue;
    for (const auto& param : action->info().params) {
      bool env = EndsWith(param.name, "_env");
      bool file = EndsWith(param.name, "_file");
      if (!env && !file) continue;
      std::string base = param.name.substr(0, param.name.size() - (env ? 4 : 5));
      if (!LooksSecretName(base)) continue;
      std::string where = LiteralOrDefault(*step, param);
      if (env)
        RegisterEnv(where);
      else if (!where.empty())
        RegisterFile(where);
    }
  }
}

}  // namespace medic
