// Scope: the references one kind of text may use, declared once. A playbook's templates
// and `when` read params.NAME, steps.ID.outputs.KEY, steps.ID.status, env.NAME,
// incident.id, run.id; a serve route's vars read labels.NAME, annotations.NAME, status...
// A Scope lists its roots and the path shapes each accepts; Check() validates a path at
// load time and Resolve() looks it up at run time, both through the same Match(), so the
// validator and the runner can never disagree on what a reference means. The data behind
// a root comes from the caller (a Lookup), so one Scope serves load time, run time and dry
// runs. Start with Scope::Root and Scope::Match.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace medic {

/// A path matched against its root's shape: "steps.a.outputs.log.0" matched by
/// "ID.outputs.KEY..." has root "steps", args {"a", "log"} and rest {"0"}.
struct Ref {
  std::string path;
  std::string root;
  std::string shape;              ///< the declared shape that matched ("ID.status"; "" = bare root)
  std::vector<std::string> args;  ///< the placeholders' values, in order
  std::vector<std::string> rest;  ///< segments below a "..." shape's end

  /// The last placeholder and everything below it: where to look inside a map of values
  /// ({"log", "0"} above; {"NAME", ...} for params.NAME...).
  std::vector<std::string> Below() const;
};

/// Supplies the value of a matched reference; kNotFound when it has none (yet).
using Lookup = std::function<Result<Json>(const Ref&)>;

/// Says what is wrong with a matched reference in its context ("unknown param 'x'"), or ""
/// when it is fine.
using RefCheck = std::function<std::string(const Ref&)>;

/// A set of roots and their shapes. Immutable once built; thread-safe to use.
class Scope {
 public:
  /// The problem for a path no shape accepts. `known_root` says whether the first segment
  /// is a declared root; return "" to get the generic message ("'run.x': use run.id").
  using Mismatch =
      std::function<std::string(const Scope& scope, const std::string& path, bool known_root)>;

  explicit Scope(Mismatch mismatch = nullptr) : mismatch_(std::move(mismatch)) {}

  /// Declares `name` with the shapes it accepts after the root: segments in upper case are
  /// placeholders (one segment each), others literal; a trailing "..." accepts any deeper
  /// path; "" is the bare root. `nouns` name placeholders in messages ({"KEY", "an output
  /// name"}); the default is "a " + lower case.
  Scope& Root(std::string name, std::vector<std::string> shapes,
              std::map<std::string, std::string> nouns = {});

  /// Matches `path`; kInvalidArgument with a message saying what would be right when no
  /// declared shape accepts it.
  Result<Ref> Match(const std::string& path) const;

  /// Load-time validation: Match(), then `check` (when given) for the rules of the context.
  /// Returns the problem, or "" when `path` is fine.
  std::string Check(const std::string& path, const RefCheck& check = nullptr) const;

  /// Run-time lookup: Match(), then `lookup`. kNotFound when the path fits no shape or has
  /// no value; other lookup errors pass through.
  Result<Json> Resolve(const std::string& path, const Lookup& lookup) const;

  /// The declared roots, in order.
  std::vector<std::string> Roots() const;

  /// Every shape written out ("labels.NAME, annotations.NAME, status or group_key").
  std::string Usage() const;

 private:
  struct RootDecl {
    std::string name;
    std::vector<std::vector<std::string>> shapes;  // segments; "..." last when open
    std::vector<std::string> written;              // as declared
    std::map<std::string, std::string> nouns;
  };
  std::string ShapeProblem(const RootDecl& root, const std::string& path,
                           const std::vector<std::string>& parts) const;

  Mismatch mismatch_;
  std::vector<RootDecl> roots_;
};

}  // namespace medic
