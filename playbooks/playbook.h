// The playbook model and its loading from YAML. A playbook is params + stages run in
// order; a stage's steps run one after another, or all at once when `parallel: true`.
// LoadPlaybook() parses and validates in one go, reporting every problem with
// file:line:column. Start with Playbook and LoadPlaybook.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "lang/expr.h"
#include "lang/scope.h"

namespace medic {

class Registry;

/// A position in the playbook source, 1-based; 0 when unknown.
struct SourceMark {
  int line = 0;
  int column = 0;
};

/// A playbook parameter's type: what `--var NAME=VALUE` and a route's vars must look like.
/// kAny (no `type:`) takes a value as given.
enum class ParamKind { kString, kInt, kNumber, kBool, kDuration, kUrl, kEnum, kAny };

struct ParamDecl {
  std::string name;
  bool required = false;
  Json default_value;  ///< null: none
  std::string description;
  ParamKind kind = ParamKind::kAny;  ///< `type:`
  std::vector<std::string> values;   ///< an enum's allowed values
  SourceMark mark;
};

/// `value` (a --var string, or a route's JSON value) as `param` takes it (as given when the
/// param has no type): an int or number as
/// a JSON number, a bool as a JSON bool, everything else as a string (checked: a duration
/// such as 30s, an http(s) URL, one of an enum's values). kInvalidArgument in one line,
/// naming the param and what it expects.
Result<Json> TypedParamValue(const ParamDecl& param, const Json& value);

enum class OnFailure { kAbort, kContinue };

struct StepDef {
  std::string id;
  std::string action;
  std::string description;
  Json with = Json::object();  ///< raw, templates unrendered
  int64_t timeout_ms = 0;      ///< 0: none
  int64_t budget_ms = 0;       ///< 0: none
  int retries = 0;
  int64_t retry_delay_ms = 1'000;  ///< doubled after each failed attempt
  std::string when;                ///< empty: always
  std::optional<Expr> when_expr;
  OnFailure on_failure = OnFailure::kAbort;
  std::optional<bool> idempotent;  ///< unset: the action's default
  std::optional<bool> confirm;     ///< unset: the action's `destructive`
  /// "Not configured" (no Prometheus URL, no bucket, ...) fails the step and the run instead
  /// of skipping it. A stage's `required:` applies to the steps that do not say.
  bool required = false;
  bool required_set = false;  ///< the step said `required:` itself
  /// For actions that act on a set (ActionInfo::acts_on_set): how many targets they may act
  /// on; unset: 1.
  std::optional<int> max_targets;
  std::string stage;  ///< the stage it belongs to
  int position = 0;   ///< order in the playbook, from 0
  SourceMark mark;
};

struct StageDef {
  std::string name;
  bool parallel = false;
  std::vector<StepDef> steps;
  SourceMark mark;
};

struct Playbook {
  std::string name;
  std::string description;
  std::vector<ParamDecl> params;
  std::vector<std::string> allow_env;
  /// Environment variables whose values are secrets: registered for redaction at load.
  std::vector<std::string> secrets;
  std::vector<StageDef> stages;
  /// `budget:` how long the whole run should take (the three minutes); 0: none. The live
  /// view shows the run's clock against it.
  int64_t budget_ms = 0;
  std::string path;    ///< where it was loaded from
  std::string source;  ///< the YAML text

  /// The step with this id, or nullptr.
  const StepDef* FindStep(const std::string& id) const;
  /// All steps in playbook order.
  std::vector<const StepDef*> Steps() const;
};

/// One problem found while loading: "file:line:col: step 'x': message".
struct Problem {
  SourceMark mark;
  std::string step_id;
  std::string message;
  std::string Format(const std::string& file) const;
};

/// Parses and validates YAML text. On failure the Status message lists every problem,
/// one per line, each "file:line:col: [step 'id': ]what (did you mean ...)".
Result<Playbook> ParsePlaybook(const std::string& text, const std::string& path,
                               const Registry& registry);

/// Reads `path` and calls ParsePlaybook.
Result<Playbook> LoadPlaybook(const std::string& path, const Registry& registry);

/// Checks `vars` (from --var or a webhook route) against the declared params: unknown
/// names (with suggestions) and missing required ones. Returns params with defaults.
Result<Json> BindParams(const Playbook& playbook, const Json& vars);

/// The references a playbook's templates and `when` may use, declared once for the
/// validator, the runner and dry runs: params.NAME..., steps.ID.outputs.KEY...,
/// steps.ID.status, env.NAME, incident.id, incident.detected_at and run.id.
const Scope& PlaybookScope();

}  // namespace medic
