// `when:` expressions. Grammar (lowest precedence first):
//   expr   := or
//   or     := and ('or' and)*
//   and    := not ('and' not)*
//   not    := 'not' not | cmp
//   cmp    := atom (('=='|'!='|'<'|'<='|'>'|'>=') atom)?
//   atom   := '(' expr ')' | 'string' | "string" | number | true | false | null
//           | path | '{{' path '}}'
// A path (params.x, steps.y.outputs.z, steps.y.status) is looked up as data at evaluation
// time: values are never pasted into the expression text, so a label like ' or true or '
// is just a string. A path that does not exist evaluates to null.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "lang/template.h"

namespace medic {

struct ExprNode;

/// A parsed expression. Cheap to copy (shared, immutable).
class Expr {
 public:
  /// Parses `text`. Errors say what was expected and at which character.
  static Result<Expr> Parse(const std::string& text);

  /// Every path the expression reads, for validation.
  const std::vector<std::string>& paths() const { return paths_; }

  /// Evaluates to a truth value. Missing paths are null; resolver errors other than
  /// kNotFound are returned.
  Result<bool> Evaluate(const Resolver& resolve) const;

 private:
  std::shared_ptr<const ExprNode> root_;
  std::vector<std::string> paths_;
};

/// Truthiness used by `when`: false, null, "", "false", 0, empty lists and maps are false.
bool Truthy(const Json& value);

}  // namespace medic
