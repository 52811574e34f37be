#include "playbooks/dry_run.h"

#include <algorithm>
#include <functional>

#include "base/redact.h"
#include "base/strings.h"
#include "lang/template.h"

namespace medic {

Result<Json> DryRun(const Playbook& pb, const Json& params, const Registry& registry,
                    const Environment& vars) {
  Json stages = Json::array();
  // Before a run only params and the environment have values; the rest shows as <path>.
  auto resolve = [&](const std::string& path) -> Result<Json> {
    return PlaybookScope().Resolve(path, [&](const Ref& ref) -> Result<Json> {
      if (ref.root == "params") {
        if (const Json* v = JsonAtPath(params, ref.Below())) return *v;
      } else if (ref.root == "env") {
        if (auto v = vars.Get(ref.args[0]))
          return Json(LooksSecretName(ref.args[0]) ? std::string(kRedacted) : *v);
      }
      return Status::NotFound(path);
    });
  };
  std::function<Json(const std::string&)> placeholder = [](const std::string& path) {
    return Json("<" + path + ">");
  };
  for (const auto& stage : pb.stages) {
    Json steps = Json::array();
    for (const auto& def : stage.steps) {
      Json step = {{"id", def.id}, {"action", def.action}};
      Action* action = registry.Find(def.action);
      if (def.when_expr) {
        step["when"] = def.when;
        bool depends_on_steps = std::any_of(
            def.when_expr->paths().begin(), def.when_expr->paths().end(), [](const std::string& p) {
              return StartsWith(p, "steps.") || StartsWith(p, "run.") || StartsWith(p, "incident.");
            });
        if (depends_on_steps) {
          step["would_run"] = "decided at run time";
        } else {
          auto go = def.when_expr->Evaluate(resolve);
          step["would_run"] = go.ok() ? Json(*go) : Json("unknown: " + go.status().message());
        }
      } else {
        step["would_run"] = true;
      }
      auto rendered = RenderJson(def.with, resolve, &placeholder);
      Json with = rendered.ok() ? *rendered : def.with;
      Json shown = RedactJson(with);
      if (action) {
        for (const auto& name : action->info().secret_params)
          if (shown.contains(name)) shown[name] = std::string(kRedacted);
      }
      step["with"] = shown;
      if (action) {
        step["confirm"] = def.confirm.value_or(action->info().destructive);
        auto normalized = NormalizeParams(action->info(), with);
        std::vector<std::string> plan = action->Plan(normalized.ok() ? *normalized : with);
        Json commands = Json::array();
        for (const auto& c : plan) commands.push_back(Redact(c));
        step["commands"] = commands;
      }
      if (def.timeout_ms) step["timeout_ms"] = def.timeout_ms;
      if (def.budget_ms) step["budget_ms"] = def.budget_ms;
      steps.push_back(step);
    }
    stages.push_back({{"name", stage.name}, {"parallel", stage.parallel}, {"steps", steps}});
  }
  return Json{{"playbook", pb.name}, {"params", RedactJson(params)}, {"stages", stages}};
}

}  // namespace medic
