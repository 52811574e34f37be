// The action interface: what a playbook step can do. An action has a name
// ("kubectl.set_image"), a parameter schema that drives both `medic validate` and
// `medic actions`, idempotent/destructive flags, and Run(). The runner hands each attempt a
// StepContext: the only way an action reaches processes, HTTP, time, the record and the
// user. Start with Action and Registry; RegisterBuiltinActions() lists every action.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/cancel.h"
#include "base/json.h"
#include "base/status.h"
#include "env/env.h"

namespace medic {

enum class ParamType {
  kString,
  kInt,
  kNumber,
  kBool,
  kDuration,    ///< "10s", "250ms" or a number of seconds
  kSize,        ///< "1MiB" or a number of bytes
  kStringList,  ///< [a, b]
  kStringMap,   ///< {k: v}
  kObject,      ///< any mapping
  kAny,
};

/// "string", "int", ... as shown by `medic actions`.
const char* ParamTypeName(ParamType type);

/// Checks one literal value of a parameter beyond its type: `what` names it in the error
/// ("param 'namespace'"); returns kInvalidArgument with a message that starts with `what`.
/// Must be thread-safe and free of side effects (it runs at load time and again at run time).
using ParamCheck = std::function<Status(std::string_view what, std::string_view value)>;

/// One parameter of an action, written with designated initializers
/// (`{.name = "tail", .type = ParamType::kInt, .default_value = 0, .help = "..."}`); every
/// member has a default so that a schema names only what it sets.
struct ParamSpec {
  std::string name{};
  ParamType type = ParamType::kString;
  bool required = false;
  Json default_value{};  ///< null when there is none
  std::string help{};
  std::vector<std::string> choices{};  ///< allowed values of a string; empty = any
  /// Optional: run by CheckParams on a string value (each element of a list of strings)
  /// that is not a template, so `medic validate` rejects a bad literal; a templated value
  /// is checked once rendered. Empty: the type alone decides.
  ParamCheck check = nullptr;
};

struct OutputSpec {
  std::string name;
  std::string help;
};

/// What an action is, for validation, help and the runner's defaults.
struct ActionInfo {
  std::string name;
  std::string summary;
  std::vector<ParamSpec> params;
  std::vector<OutputSpec> outputs;
  bool idempotent = false;  ///< safe to re-run after a crash mid-way
  bool destructive =
      false;  ///< changes production: needs confirmation unless the step says otherwise
  bool open_outputs = false;  ///< outputs may hold keys beyond `outputs` (e.g. parsed JSON)
  /// May act on several targets at once (pods matching a selector): a step bounds how many
  /// with `max_targets` (default 1), checked before anything changes.
  bool acts_on_set = false;
  /// Names of parameters whose values are secrets (redacted in the record and dry runs).
  std::vector<std::string> secret_params;
  /// The Kubernetes API access the action needs, as "VERB RESOURCE[/SUBRESOURCE]" ("delete
  /// pods", "create pods/exec"): what `medic doctor` asks `kubectl auth can-i` about and
  /// what the shipped RBAC Role grants.
  std::vector<std::string> kube_access;
};

/// A file or object the step produced (core, dump, snapshot), kept in the record.
struct ArtifactInfo {
  std::string kind;    ///< "core", "goroutine_dump", "snapshot", "upload", ...
  std::string path;    ///< local path, if any
  std::string url;     ///< remote location, if any
  int64_t size = -1;   ///< bytes, -1 unknown
  std::string sha256;  ///< hex, if known
  std::string description;
};

/// The runner's services for one attempt of one step. Methods are thread-safe for the
/// step's own thread; the context outlives Run().
class StepContext {
 public:
  virtual ~StepContext() = default;

  virtual int64_t run_id() const = 0;
  virtual int64_t incident_id() const = 0;
  virtual const std::string& step_id() const = 0;
  /// A directory for this run's files (cores, dumps, snapshots); exists.
  virtual const std::string& work_dir() const = 0;

  virtual const CancelToken& cancel() const = 0;
  /// Milliseconds left before the step's timeout (INT64_MAX when it has none).
  virtual int64_t RemainingMs() = 0;
  /// How many targets an action that acts on a set may act on (the step's max_targets,
  /// default 1). More matches fail the step before anything changes.
  virtual int max_targets() const = 0;

  /// The machine (env/env.h); the three below are its most used parts.
  virtual const Env& env() const = 0;
  ProcessRunner& processes() const { return *env().processes; }
  HttpClient& http() const { return *env().http; }
  Clock& clock() const { return *env().clock; }

  /// Records durably that a process group was started for this step, with its (redacted)
  /// argv, before the process runs. A failure here means the process must not run.
  virtual Status OnProcessStarted(pid_t pgid, const std::vector<std::string>& argv) = 0;
  /// A one-line progress note shown live on long steps ("uploaded 120/800 MiB").
  virtual void Progress(const std::string& message) = 0;
  /// Adds an artifact to the record.
  virtual Status AddArtifact(const ArtifactInfo& artifact) = 0;
};

/// Records the file `artifact.path` as an artifact of the step and sets outputs["path"]; when
/// `hash`, first computes its sha256 (artifact.sha256 and outputs["sha256"]). Hashing reads
/// the whole file: seconds for a gigabyte core, so cores hash only when asked.
Status AddFileArtifact(StepContext& ctx, Json& outputs, ArtifactInfo artifact, bool hash);

/// Runs `spec` through ctx.processes() with the step's deadline, cancel token and the
/// durable "process started" record; the common path for actions that run a command.
Result<ProcessResult> RunStepProcess(StepContext& ctx, ProcessSpec spec);

class Action {
 public:
  virtual ~Action() = default;
  virtual const ActionInfo& info() const = 0;

  /// Performs the action with parameters already rendered and normalised against
  /// info().params (defaults filled in). Writes the step's outputs into `outputs` (an
  /// object) even when it fails, so a failed command still shows its stderr. A non-ok
  /// Status is the step's error. Must honour ctx.cancel() and ctx.RemainingMs().
  virtual Status Run(const Json& with, StepContext& ctx, Json& outputs) = 0;

  /// The commands or requests Run would make, for --dry-run ("kubectl -n prod delete pod x").
  virtual std::vector<std::string> Plan(const Json& with) const;
};

/// The set of known actions. Not thread-safe for Add; lookups are safe once filled.
class Registry {
 public:
  /// Adds an action; a second action with the same name is a bug (returns kInternal).
  Status Add(std::unique_ptr<Action> action);
  /// nullptr when unknown.
  Action* Find(const std::string& name) const;
  /// All action names, sorted.
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::unique_ptr<Action>> actions_;
};

/// Registers every action medic ships, in one explicit list (integrations/builtin.cc).
void RegisterBuiltinActions(Registry& registry);

/// Checks `with` against `info`: unknown keys (with suggestions), missing required
/// parameters, types, choices and each ParamSpec::check. Template strings ("{{ ... }}") are
/// accepted for any type when `allow_templates`. Returns every problem, each as
/// "param 'x': ...".
std::vector<std::string> CheckParams(const ActionInfo& info, const Json& with,
                                     bool allow_templates);

/// Returns `with` with defaults filled in and durations/sizes normalised to integers
/// (milliseconds, bytes). Fails with the first problem from CheckParams.
Result<Json> NormalizeParams(const ActionInfo& info, const Json& with);

/// Shorthands for actions reading normalised parameters.
std::string ParamString(const Json& with, const std::string& name);
int64_t ParamInt(const Json& with, const std::string& name);
bool ParamBool(const Json& with, const std::string& name);
std::vector<std::string> ParamStringList(const Json& with, const std::string& name);

}  // namespace medic
