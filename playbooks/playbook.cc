#include "playbooks/playbook.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "base/duration.h"
#include "base/strings.h"
#include "integrations/action.h"
#include "lang/template.h"
#include "playbooks/secrets.h"
#include "playbooks/yaml_bounds.h"

namespace medic {
namespace {

const std::vector<std::string> kTopFields = {"name",    "description", "params", "allow_env",
                                             "secrets", "budget",      "stages"};
const std::vector<std::string> kParamFields = {"required", "default", "description", "type",
                                               "values"};

// `type:` names, in ParamKind order.
const std::vector<std::string> kParamTypes = {"string",   "int", "number", "bool",
                                              "duration", "url", "enum"};
const std::vector<std::string> kStageFields = {"name", "parallel", "required", "steps"};
const std::vector<std::string> kStepFields = {
    "id",          "action", "description", "with",       "timeout", "budget",   "retries",
    "retry_delay", "when",   "on_failure",  "idempotent", "confirm", "required", "max_targets"};

SourceMark MarkOf(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

// Converts YAML to JSON. Plain scalars that look like numbers, booleans or null become
// those; quoted scalars stay strings.
Json ToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& e : n) out.push_back(ToJson(e));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : n) out[kv.first.Scalar()] = ToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() != "?") return s;  // quoted: a string
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "null" || s == "~" || s.empty()) return nullptr;
      static const std::regex kInt(R"(-?[0-9]+)");
      static const std::regex kFloat(R"(-?[0-9]*\.[0-9]+([eE][-+]?[0-9]+)?)");
      try {
        if (std::regex_match(s, kInt)) return std::stoll(s);
        if (std::regex_match(s, kFloat)) return std::stod(s);
      } catch (...) {
      }
      return s;
    }
  }
  return nullptr;
}

class Loader {
 public:
  Loader(const Registry& registry, std::vector<Problem>* problems)
      : registry_(registry), problems_(problems) {}

  void Load(const YAML::Node& root, Playbook* pb) {
    if (!root.IsMap()) {
      Add(MarkOf(root), "", "a playbook is a mapping with name, params and stages");
      return;
    }
    CheckFields(root, kTopFields, "playbook", "");
    pb->name = ScalarField(root, "name", "", true);
    pb->description = ScalarField(root, "description", "", false);
    pb->budget_ms = DurationField(root, "budget", "", 0);
    if (auto params = root["params"]) LoadParams(params, pb);
    if (auto env = root["allow_env"]) {
      if (!env.IsSequence()) {
        Add(MarkOf(env), "", "'allow_env' must be a list of environment variable names");
      } else {
        for (const auto& e : env) pb->allow_env.push_back(e.Scalar());
      }
    }
    if (auto secrets = root["secrets"]) {
      static const std::regex kEnvName("[A-Za-z_][A-Za-z0-9_]*");
      if (!secrets.IsSequence()) {
        Add(MarkOf(secrets), "", "'secrets' must be a list of environment variable names");
      } else {
        for (const auto& e : secrets) {
          if (!e.IsScalar() || !std::regex_match(e.Scalar(), kEnvName))
            Add(MarkOf(e), "", "'secrets': each entry is an environment variable name");
          else
            pb->secrets.push_back(e.Scalar());
        }
      }
    }
    auto stages = root["stages"];
    if (!stages) {
      Add(MarkOf(root), "", "missing 'stages': a playbook needs at least one stage");
      return;
    }
    if (!stages.IsSequence() || stages.size() == 0) {
      Add(MarkOf(stages), "", "'stages' must be a non-empty list");
      return;
    }
    int position = 0;
    std::set<std::string> stage_names;
    for (const auto& s : stages) {
      StageDef stage;
      stage.mark = MarkOf(s);
      if (!s.IsMap()) {
        Add(stage.mark, "", "a stage is a mapping with name and steps");
        continue;
      }
      CheckFields(s, kStageFields, "stage", "");
      stage.name = ScalarField(s, "name", "", true);
      if (!stage.name.empty() && !stage_names.insert(stage.name).second)
        Add(stage.mark, "", "duplicate stage name '" + stage.name + "'");
      stage.parallel = BoolField(s, "parallel", "").value_or(false);
      std::optional<bool> stage_required = BoolField(s, "required", "");
      auto steps = s["steps"];
      if (!steps || !steps.IsSequence() || steps.size() == 0) {
        Add(stage.mark, "", "stage '" + stage.name + "' needs a non-empty 'steps' list");
      } else {
        for (const auto& st : steps) {
          StepDef step;
          if (LoadStep(st, &step)) {
            step.stage = stage.name;
            step.position = position++;
            if (!step.required_set) step.required = stage_required.value_or(false);
            stage.steps.push_back(std::move(step));
          }
        }
      }
      pb->stages.push_back(std::move(stage));
    }
  }

 private:
  void Add(SourceMark mark, const std::string& step, const std::string& msg) {
    problems_->push_back({mark, step, msg});
  }

  void CheckFields(const YAML::Node& map, const std::vector<std::string>& known,
                   const std::string& what, const std::string& step) {
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end())
        Add(MarkOf(kv.first), step,
            "unknown " + what + " field '" + key + "'" + DidYouMean(key, known));
    }
  }

  std::string ScalarField(const YAML::Node& map, const char* key, const std::string& step,
                          bool required) {
    auto n = map[key];
    if (!n) {
      if (required) Add(MarkOf(map), step, std::string("missing '") + key + "'");
      return "";
    }
    if (!n.IsScalar()) {
      Add(MarkOf(n), step, std::string("'") + key + "' must be a single value");
      return "";
    }
    return n.Scalar();
  }

  std::optional<bool> BoolField(const YAML::Node& map, const char* key, const std::string& step) {
    auto n = map[key];
    if (!n) return std::nullopt;
    Json v = n.IsScalar() ? ToJson(n) : Json();
    if (!v.is_boolean()) {
      Add(MarkOf(n), step, std::string("'") + key + "' must be true or false");
      return std::nullopt;
    }
    return v.get<bool>();
  }

  int64_t DurationField(const YAML::Node& map, const char* key, const std::string& step,
                        int64_t fallback) {
    auto n = map[key];
    if (!n) return fallback;
    if (!n.IsScalar()) {
      Add(MarkOf(n), step, std::string("'") + key + "' must be a duration like 10s");
      return fallback;
    }
    auto d = ParseDurationMs(n.Scalar());
    if (!d.ok()) {
      Add(MarkOf(n), step, std::string("'") + key + "': " + d.status().message());
      return fallback;
    }
    return *d;
  }

  void LoadParams(const YAML::Node& params, Playbook* pb) {
    if (!params.IsMap()) {
      Add(MarkOf(params), "",
          "'params' must be a mapping of name -> {required, default, description}");
      return;
    }
    static const std::regex kName("[a-z_][a-z0-9_]*");
    for (const auto& kv : params) {
      ParamDecl p;
      p.name = kv.first.Scalar();
      p.mark = MarkOf(kv.first);
      if (!std::regex_match(p.name, kName))
        Add(p.mark, "", "param name '" + p.name + "' must be lower_snake_case");
      const YAML::Node& spec = kv.second;
      if (spec.IsNull()) {
        pb->params.push_back(p);
        continue;
      }
      if (!spec.IsMap()) {
        Add(MarkOf(spec), "", "param '" + p.name + "' must be a mapping like {required: true}");
        continue;
      }
      CheckFields(spec, kParamFields, "param", "");
      p.required = BoolField(spec, "required", "").value_or(false);
      if (auto d = spec["default"]) p.default_value = ToJson(d);
      p.description = ScalarField(spec, "description", "", false);
      if (auto t = spec["type"]) {
        auto kind = std::find(kParamTypes.begin(), kParamTypes.end(), t.Scalar());
        if (kind == kParamTypes.end())
          Add(MarkOf(t), "",
              "param '" + p.name + "': unknown type '" + t.Scalar() + "'" +
                  DidYouMean(t.Scalar(), kParamTypes) + "; one of " + Join(kParamTypes, ", "));
        else
          p.kind = static_cast<ParamKind>(kind - kParamTypes.begin());
      }
      if (auto v = spec["values"]) {
        if (!v.IsSequence() || v.size() == 0) {
          Add(MarkOf(v), "", "param '" + p.name + "': 'values' must be a non-empty list");
        } else {
          for (const auto& e : v) p.values.push_back(e.Scalar());
        }
        if (p.kind != ParamKind::kEnum)
          Add(MarkOf(v), "", "param '" + p.name + "': 'values' goes with type: enum");
      } else if (p.kind == ParamKind::kEnum) {
        Add(p.mark, "", "param '" + p.name + "': type enum needs 'values: [...]'");
      }
      if (!p.default_value.is_null()) {
        auto typed = TypedParamValue(p, p.default_value);
        if (!typed.ok())
          Add(MarkOf(spec["default"]), "", "default: " + typed.status().message());
        else
          p.default_value = *typed;
      }
      pb->params.push_back(p);
    }
  }

  bool LoadStep(const YAML::Node& n, StepDef* step) {
    step->mark = MarkOf(n);
    if (!n.IsMap()) {
      Add(step->mark, "", "a step is a mapping with id and action");
      return false;
    }
    step->id = ScalarField(n, "id", "", true);
    const std::string& id = step->id;
    static const std::regex kId("[a-z0-9_][a-z0-9_-]*");
    if (!id.empty() && !std::regex_match(id, kId))
      Add(MarkOf(n["id"]), id, "step id must be lower case letters, digits, '_' or '-'");
    CheckFields(n, kStepFields, "step", id);
    step->action = ScalarField(n, "action", id, true);
    step->description = ScalarField(n, "description", id, false);
    if (auto w = n["with"]) {
      if (!w.IsMap() && !w.IsNull())
        Add(MarkOf(w), id, "'with' must be a mapping of parameters");
      else
        step->with = w.IsNull() ? Json::object() : ToJson(w);
      with_marks_[id] = MarkOf(w);
    }
    step->timeout_ms = DurationField(n, "timeout", id, 0);
    step->budget_ms = DurationField(n, "budget", id, 0);
    step->retry_delay_ms = DurationField(n, "retry_delay", id, 1'000);
    if (auto r = n["retries"]) {
      Json v = r.IsScalar() ? ToJson(r) : Json();
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 100)
        Add(MarkOf(r), id, "'retries' must be a whole number from 0 to 100");
      else
        step->retries = static_cast<int>(v.get<int64_t>());
    }
    if (auto w = n["when"]) {
      step->when = w.Scalar();
      auto e = Expr::Parse(step->when);
      if (!e.ok())
        Add(MarkOf(w), id, "'when': " + e.status().message());
      else
        step->when_expr = *e;
    }
    if (auto f = n["on_failure"]) {
      const std::string& v = f.Scalar();
      if (v == "abort")
        step->on_failure = OnFailure::kAbort;
      else if (v == "continue")
        step->on_failure = OnFailure::kContinue;
      else
        Add(MarkOf(f), id,
            "'on_failure' must be abort or continue" + DidYouMean(v, {"abort", "continue"}));
    }
    step->idempotent = BoolField(n, "idempotent", id);
    step->confirm = BoolField(n, "confirm", id);
    if (std::optional<bool> required = BoolField(n, "required", id)) {
      step->required = *required;
      step->required_set = true;
    }
    const Action* action = step->action.empty() ? nullptr : registry_.Find(step->action);
    if (!step->action.empty() && !action) {
      Add(MarkOf(n["action"]), id,
          "unknown action '" + step->action + "'" + DidYouMean(step->action, registry_.Names()) +
              " (see `medic actions`)");
    }
    if (auto m = n["max_targets"]) {
      Json v = m.IsScalar() ? ToJson(m) : Json();
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 10'000)
        Add(MarkOf(m), id, "'max_targets' must be a whole number from 1 to 10000");
      else if (action && !action->info().acts_on_set)
        Add(MarkOf(m), id,
            "'max_targets': " + step->action + " acts on one target; only actions that act on a " +
                "set (a selector) take it");
      else
        step->max_targets = static_cast<int>(v.get<int64_t>());
    }
    return true;
  }

 public:
  std::map<std::string, SourceMark> with_marks_;

 private:
  const Registry& registry_;
  std::vector<Problem>* problems_;
};

// Checks that a reference names something that exists before the step runs: its shape
// comes from PlaybookScope(), the rest from the playbook around it.
std::string CheckRef(const Playbook& pb, const StepDef& step, const std::string& path,
                     const std::map<std::string, const StepDef*>& steps) {
  return PlaybookScope().Check(path, [&](const Ref& ref) -> std::string {
    if (ref.root == "params") {
      const std::string& name = ref.args[0];
      std::vector<std::string> names;
      for (const auto& p : pb.params) {
        if (p.name == name) return "";
        names.push_back(p.name);
      }
      return "unknown param '" + name + "'" + DidYouMean(name, names) +
             "; declare it under 'params'";
    }
    if (ref.root == "env") {
      if (std::find(pb.allow_env.begin(), pb.allow_env.end(), ref.args[0]) == pb.allow_env.end())
        return "environment variable '" + ref.args[0] + "' is not listed under 'allow_env'";
      return "";
    }
    if (ref.root != "steps") return "";
    const std::string& id = ref.args[0];
    auto it = steps.find(id);
    if (it == steps.end()) {
      std::vector<std::string> ids;
      for (const auto& [sid, _] : steps) ids.push_back(sid);
      return "reference to unknown step '" + id + "'" + DidYouMean(id, ids);
    }
    const StepDef* other = it->second;
    if (other == &step) return "step refers to its own outputs";
    bool earlier_stage = false, same_stage = other->stage == step.stage;
    for (const auto& st : pb.stages) {
      if (st.name == step.stage) break;
      if (st.name == other->stage) earlier_stage = true;
    }
    if (earlier_stage) return "";
    if (same_stage) {
      const StageDef* stage = nullptr;
      for (const auto& st : pb.stages)
        if (st.name == step.stage) stage = &st;
      if (stage && stage->parallel)
        return "step '" + other->id + "' runs at the same time (stage '" + step.stage +
               "' is parallel), so its outputs are not known yet";
      if (other->position < step.position) return "";
    }
    return "step '" + other->id + "' does not run before this step";
  });
}

void Validate(const Playbook& pb, const Registry& registry,
              const std::map<std::string, SourceMark>& with_marks, std::vector<Problem>* problems) {
  std::map<std::string, const StepDef*> steps;
  for (const StepDef* s : pb.Steps()) {
    if (s->id.empty()) continue;
    if (!steps.emplace(s->id, s).second)
      problems->push_back({s->mark, s->id, "duplicate step id '" + s->id + "'"});
  }
  for (const StepDef* s : pb.Steps()) {
    SourceMark wmark = with_marks.count(s->id) ? with_marks.at(s->id) : s->mark;
    if (Action* action = registry.Find(s->action)) {
      for (const auto& p : CheckParams(action->info(), s->with, /*allow_templates=*/true))
        problems->push_back({wmark, s->id, p});
    }
    auto refs = ExtractRefsJson(s->with);
    if (!refs.ok()) {
      problems->push_back({wmark, s->id, refs.status().message()});
    } else {
      for (const auto& r : *refs) {
        std::string bad = CheckRef(pb, *s, r.path, steps);
        if (!bad.empty()) problems->push_back({wmark, s->id, bad});
      }
    }
    if (s->when_expr) {
      for (const auto& path : s->when_expr->paths()) {
        std::string bad = CheckRef(pb, *s, path, steps);
        if (!bad.empty()) problems->push_back({s->mark, s->id, "'when': " + bad});
      }
    }
    if (s->budget_ms > 0 && s->timeout_ms > 0 && s->budget_ms > s->timeout_ms)
      problems->push_back(
          {s->mark, s->id, "budget is longer than timeout: the step is killed first"});
  }
}

}  // namespace

const StepDef* Playbook::FindStep(const std::string& id) const {
  for (const auto& stage : stages)
    for (const auto& s : stage.steps)
      if (s.id == id) return &s;
  return nullptr;
}

std::vector<const StepDef*> Playbook::Steps() const {
  std::vector<const StepDef*> out;
  for (const auto& stage : stages)
    for (const auto& s : stage.steps) out.push_back(&s);
  return out;
}

std::string Problem::Format(const std::string& file) const {
  std::string out = file;
  if (mark.line > 0) out += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
  out += ": ";
  if (!step_id.empty()) out += "step '" + step_id + "': ";
  return out + message;
}

Result<Playbook> ParsePlaybook(const std::string& text, const std::string& path,
                               const Registry& registry) {
  Playbook pb;
  pb.path = path;
  pb.source = text;
  if (Status bounded = CheckYamlBounds(text, path); !bounded.ok()) return bounded;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    Problem p{{e.mark.line + 1, e.mark.column + 1}, "", "invalid YAML: " + e.msg};
    return Status::Invalid(p.Format(path));
  }
  std::vector<Problem> problems;
  Loader loader(registry, &problems);
  try {
    loader.Load(root, &pb);
  } catch (const YAML::Exception& e) {
    problems.push_back({{e.mark.line + 1, e.mark.column + 1}, "", e.msg});
  }
  Validate(pb, registry, loader.with_marks_, &problems);
  if (!problems.empty()) {
    std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
      return a.mark.line < b.mark.line ||
             (a.mark.line == b.mark.line && a.mark.column < b.mark.column);
    });
    std::vector<std::string> lines;
    for (const auto& p : problems) lines.push_back(p.Format(path));
    return Status::Invalid(Join(lines, "\n"));
  }
  RegisterPlaybookSecrets(pb, registry);
  return pb;
}

Result<Playbook> LoadPlaybook(const std::string& path, const Registry& registry) {
  auto text = ReadYamlFile(path, "playbook");
  if (!text.ok()) return text.status();
  return ParsePlaybook(*text, path, registry);
}

const Scope& PlaybookScope() {
  static const Scope kScope = [] {
    Scope s([](const Scope& scope, const std::string& path, bool known_root) -> std::string {
      if (known_root) return "";
      std::vector<std::string> roots = scope.Roots();
      std::string root = Split(path, '.')[0];
      std::string last = roots.back() + ".";
      roots.pop_back();
      for (auto& r : roots) r += ".";
      return "'" + path + "' does not name anything; references start with " + Join(roots, ", ") +
             " or " + last + DidYouMean(root, scope.Roots());
    });
    s.Root("params", {"NAME..."})
        .Root("steps", {"ID.outputs.KEY...", "ID.status"},
              {{"ID", "a step id"}, {"KEY", "an output name"}})
        .Root("env", {"NAME"})
        .Root("incident", {"id", "detected_at"})
        .Root("run", {"id"});
    return s;
  }();
  return kScope;
}

Result<Json> TypedParamValue(const ParamDecl& p, const Json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  auto bad = [&](const std::string& expected) {
    return Status::Invalid("param '" + p.name + "': '" + text + "' is not " + expected);
  };
  switch (p.kind) {
    case ParamKind::kAny:
      return value;
    case ParamKind::kString:
      return value.is_string() ? value : Json(text);
    case ParamKind::kInt: {
      if (value.is_number_integer()) return value;
      static const std::regex kInt("-?[0-9]{1,18}");
      if (!value.is_string() || !std::regex_match(text, kInt)) return bad("a whole number");
      return Json(std::stoll(text));
    }
    case ParamKind::kNumber: {
      if (value.is_number()) return value;
      static const std::regex kNumber(R"(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
      if (!value.is_string() || !std::regex_match(text, kNumber)) return bad("a number");
      std::optional<double> number = ParseDouble(text);  // in double's range
      if (!number) return bad("a number");
      return Json(*number);
    }
    case ParamKind::kBool:
      if (value.is_boolean()) return value;
      if (text == "true" || text == "yes" || text == "1") return Json(true);
      if (text == "false" || text == "no" || text == "0") return Json(false);
      return bad("true or false");
    case ParamKind::kDuration:
      if (!ParseDurationMs(text).ok()) return bad("a duration such as 30s, 5m or 250ms");
      return Json(text);
    case ParamKind::kUrl: {
      static const std::regex kUrl(R"(https?://[^\s/?#]+([/?#]\S*)?)");
      if (!std::regex_match(text, kUrl)) return bad("an http(s) URL such as http://host:9090");
      return Json(text);
    }
    case ParamKind::kEnum:
      if (std::find(p.values.begin(), p.values.end(), text) == p.values.end())
        return bad("one of " + Join(p.values, ", ") + DidYouMean(text, p.values));
      return Json(text);
  }
  return value;
}

Result<Json> BindParams(const Playbook& pb, const Json& vars) {
  std::vector<std::string> names, problems;
  for (const auto& p : pb.params) names.push_back(p.name);
  Json out = Json::object();
  if (vars.is_object()) {
    for (auto it = vars.begin(); it != vars.end(); ++it) {
      if (std::find(names.begin(), names.end(), it.key()) == names.end())
        problems.push_back("unknown param '" + it.key() + "' for playbook '" + pb.name + "'" +
                           DidYouMean(it.key(), names) +
                           (names.empty() ? "" : "; it takes: " + Join(names, ", ")));
    }
  }
  for (const auto& p : pb.params) {
    if (vars.is_object() && vars.contains(p.name)) {
      auto typed = TypedParamValue(p, vars[p.name]);
      if (typed.ok())
        out[p.name] = *typed;
      else
        problems.push_back(typed.status().message());
    } else if (!p.default_value.is_null())
      out[p.name] = p.default_value;
    else if (p.required)
      problems.push_back("missing required param '" + p.name + "'" +
                         (p.description.empty() ? "" : " (" + p.description + ")") +
                         ": pass --var " + p.name + "=...");
    else
      out[p.name] = "";
  }
  if (!problems.empty()) return Status::Invalid(Join(problems, "\n"));
  return out;
}

}  // namespace medic
