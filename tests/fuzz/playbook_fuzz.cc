// libFuzzer target for playbook YAML: parsing and validation (templates, `when:`
// expressions, parameter schemas, references), then what a run does with a valid one:
// every step's `with:` rendered and every `when:` evaluated against stand-in values.
#include <cstddef>
#include <cstdint>
#include <string>

#include "integrations/action.h"
#include "lang/expr.h"
#include "lang/template.h"
#include "playbooks/playbook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static medic::Registry* registry = [] {
    auto* r = new medic::Registry;
    medic::RegisterBuiltinActions(*r);
    return r;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  auto pb = medic::ParsePlaybook(text, "fuzz.yaml", *registry);
  if (!pb.ok()) return 0;
  medic::Resolver resolve = [](const std::string& path) -> medic::Result<medic::Json> {
    if (path.size() % 3 == 0) return medic::Status::NotFound(path);
    if (path.size() % 3 == 1) return medic::Json(path);
    return medic::Json{{"a", 1}, {"b", {1, 2, "x"}}};
  };
  for (const medic::StepDef* step : pb->Steps()) {
    (void)medic::RenderJson(step->with, resolve);
    if (step->when_expr) (void)step->when_expr->Evaluate(resolve);
  }
  return 0;
}
