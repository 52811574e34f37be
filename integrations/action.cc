#include "integrations/action.h"

#include <algorithm>

#include "base/duration.h"
#include "base/strings.h"
#include "integrations/process.h"
#include "integrations/sha256.h"

namespace medic {
namespace {

bool IsTemplate(const Json& v) {
  return v.is_string() && v.get_ref<const std::string&>().find("{{") != std::string::npos;
}

std::string Describe(const Json& v) {
  if (v.is_string()) return "the string '" + v.get<std::string>() + "'";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a mapping";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "nothing";
  return "the number " + v.dump();
}

// Returns "" when `v` fits `spec`, else what is wrong.
std::string CheckValue(const ParamSpec& spec, const Json& v, bool allow_templates) {
  if (allow_templates && IsTemplate(v)) return "";
  auto expected = [&](const char* what) {
    return std::string("expected ") + what + ", got " + Describe(v);
  };
  switch (spec.type) {
    case ParamType::kString:
      if (!v.is_string() && !v.is_number() && !v.is_boolean()) return expected("a string");
      if (!spec.choices.empty() && v.is_string() &&
          std::find(spec.choices.begin(), spec.choices.end(), v.get<std::string>()) ==
              spec.choices.end())
        return "'" + v.get<std::string>() + "' is not one of " + Join(spec.choices, ", ") +
               DidYouMean(v.get<std::string>(), spec.choices);
      return "";
    case ParamType::kInt:
      if (v.is_number_integer()) return "";
      if (v.is_string() && ParseInt64(v.get_ref<const std::string&>())) return "";
      return expected("an integer");
    case ParamType::kNumber:
      if (v.is_number()) return "";
      if (v.is_string() && ParseDouble(v.get_ref<const std::string&>())) return "";
      return expected("a number");
    case ParamType::kBool:
      if (v.is_boolean()) return "";
      if (v.is_string() && (v == "true" || v == "false")) return "";
      return expected("true or false");
    case ParamType::kDuration:
      if (v.is_number() && v.get<double>() >= 0) return "";
      if (v.is_string()) {
        auto d = ParseDurationMs(v.get<std::string>());
        return d.ok() ? "" : d.status().message();
      }
      return expected("a duration like 10s");
    case ParamType::kSize:
      if (v.is_number_integer() && v.get<int64_t>() >= 0) return "";
      if (v.is_string()) {
        auto s = ParseSizeBytes(v.get<std::string>());
        return s.ok() ? "" : s.status().message();
      }
      return expected("a size like 1MiB");
    case ParamType::kStringList:
      if (!v.is_array()) return expected("a list of strings");
      for (const auto& e : v) {
        if (!(e.is_string() || e.is_number() || e.is_boolean()))
          return "expected a list of strings, an element is " + Describe(e);
      }
      return "";
    case ParamType::kStringMap:
      if (!v.is_object()) return expected("a mapping of strings");
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!(it->is_string() || it->is_number() || it->is_boolean()))
          return "expected string values, '" + it.key() + "' is " + Describe(*it);
      }
      return "";
    case ParamType::kObject:
      return v.is_object() ? "" : expected("a mapping");
    case ParamType::kAny:
      return "";
  }
  return "";
}

// Runs spec.check on a literal string value, or on each literal element of a list of
// strings, as Normalize will present it; "" when fine, else the check's whole message.
std::string CheckLiteral(const ParamSpec& spec, const Json& v) {
  if (!spec.check) return "";
  const std::string what = "param '" + spec.name + "'";
  auto one = [&](const Json& e) -> std::string {
    if (IsTemplate(e) || !(e.is_string() || e.is_number() || e.is_boolean())) return "";
    Status st = spec.check(what, e.is_string() ? e.get_ref<const std::string&>() : e.dump());
    return st.ok() ? "" : st.message();
  };
  if (spec.type == ParamType::kString) return one(v);
  if (spec.type == ParamType::kStringList && v.is_array()) {
    for (const auto& e : v) {
      std::string bad = one(e);
      if (!bad.empty()) return bad;
    }
  }
  return "";
}

Json Normalize(const ParamSpec& spec, const Json& v) {
  switch (spec.type) {
    case ParamType::kString:
      return v.is_string() ? v
                           : Json(v.is_boolean() ? (v.get<bool>() ? "true" : "false") : v.dump());
    case ParamType::kInt:
      return v.is_string() ? Json(ParseInt64(v.get_ref<const std::string&>()).value_or(0)) : v;
    case ParamType::kNumber:
      return v.is_string() ? Json(ParseDouble(v.get_ref<const std::string&>()).value_or(0)) : v;
    case ParamType::kBool:
      return v.is_string() ? Json(v == "true") : v;
    case ParamType::kDuration:
      if (v.is_number()) return Json(static_cast<int64_t>(v.get<double>() * 1000));
      return Json(*ParseDurationMs(v.get<std::string>()));
    case ParamType::kSize:
      return v.is_string() ? Json(*ParseSizeBytes(v.get<std::string>())) : v;
    case ParamType::kStringList: {
      Json out = Json::array();
      for (const auto& e : v) out.push_back(e.is_string() ? e : Json(e.dump()));
      return out;
    }
    case ParamType::kStringMap: {
      Json out = Json::object();
      for (auto it = v.begin(); it != v.end(); ++it)
        out[it.key()] = it->is_string() ? *it : Json(it->dump());
      return out;
    }
    default:
      return v;
  }
}

}  // namespace

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "string";
    case ParamType::kInt:
      return "int";
    case ParamType::kNumber:
      return "number";
    case ParamType::kBool:
      return "bool";
    case ParamType::kDuration:
      return "duration";
    case ParamType::kSize:
      return "size";
    case ParamType::kStringList:
      return "list of strings";
    case ParamType::kStringMap:
      return "map of strings";
    case ParamType::kObject:
      return "mapping";
    case ParamType::kAny:
      return "any";
  }
  return "?";
}

std::vector<std::string> Action::Plan(const Json&) const { return {}; }

Status Registry::Add(std::unique_ptr<Action> action) {
  std::string name = action->info().name;
  if (actions_.count(name)) return Status::Internal("action '" + name + "' registered twice");
  actions_[name] = std::move(action);
  return Status::Ok();
}

Action* Registry::Find(const std::string& name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : it->second.get();
}

std::vector<std::string> Registry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : actions_) names.push_back(name);
  return names;
}

std::vector<std::string> CheckParams(const ActionInfo& info, const Json& with,
                                     bool allow_templates) {
  std::vector<std::string> problems;
  if (!with.is_null() && !with.is_object()) {
    problems.push_back("'with' must be a mapping of parameters");
    return problems;
  }
  std::vector<std::string> names;
  for (const auto& p : info.params) names.push_back(p.name);
  if (with.is_object()) {
    for (auto it = with.begin(); it != with.end(); ++it) {
      auto spec = std::find_if(info.params.begin(), info.params.end(),
                               [&](const ParamSpec& p) { return p.name == it.key(); });
      if (spec == info.params.end()) {
        problems.push_back("unknown parameter '" + it.key() + "' for action '" + info.name + "'" +
                           DidYouMean(it.key(), names));
        continue;
      }
      std::string bad = CheckValue(*spec, *it, allow_templates);
      if (!bad.empty()) {
        problems.push_back("param '" + it.key() + "': " + bad);
        continue;
      }
      bad = CheckLiteral(*spec, *it);
      if (!bad.empty()) problems.push_back(bad);
    }
  }
  for (const auto& p : info.params) {
    if (p.required && (!with.is_object() || !with.contains(p.name)))
      problems.push_back("missing required parameter '" + p.name + "' for action '" + info.name +
                         "'");
  }
  return problems;
}

Result<Json> NormalizeParams(const ActionInfo& info, const Json& with) {
  auto problems = CheckParams(info, with, /*allow_templates=*/false);
  if (!problems.empty()) return Status::Invalid(problems.front());
  Json out = Json::object();
  for (const auto& p : info.params) {
    if (with.is_object() && with.contains(p.name) && !with[p.name].is_null())
      out[p.name] = Normalize(p, with[p.name]);
    else if (!p.default_value.is_null())
      out[p.name] = Normalize(p, p.default_value);
  }
  return out;
}

std::string ParamString(const Json& with, const std::string& name) {
  auto it = with.find(name);
  return it != with.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t ParamInt(const Json& with, const std::string& name) {
  auto it = with.find(name);
  return it != with.end() && it->is_number() ? it->get<int64_t>() : 0;
}

bool ParamBool(const Json& with, const std::string& name) {
  auto it = with.find(name);
  return it != with.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> ParamStringList(const Json& with, const std::string& name) {
  std::vector<std::string> out;
  auto it = with.find(name);
  if (it == with.end() || !it->is_array()) return out;
  for (const auto& e : *it) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

Status AddFileArtifact(StepContext& ctx, Json& outputs, ArtifactInfo artifact, bool hash) {
  outputs["path"] = artifact.path;
  if (hash) {
    auto sha = Sha256File(artifact.path);
    if (!sha.ok()) return sha.status();
    artifact.sha256 = *sha;
    outputs["sha256"] = *sha;
  }
  return ctx.AddArtifact(artifact);
}

Result<ProcessResult> RunStepProcess(StepContext& ctx, ProcessSpec spec) {
  int64_t remaining = ctx.RemainingMs();
  if (spec.timeout_ms <= 0 || spec.timeout_ms > remaining) spec.timeout_ms = remaining;
  return ctx.processes().Run(spec, &ctx.cancel(), [&ctx, &spec](pid_t pgid) {
    return ctx.OnProcessStarted(pgid, spec.argv);
  });
}

}  // namespace medic
