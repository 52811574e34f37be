// The expression language: playbook `when:` conditions and prometheus.check's `success:`
// are two dialects of it, read by one tokenizer and one parser and evaluated by one
// evaluator. Grammar (lowest precedence first):
//   expr   := or
//   or     := and ('or' and)*
//   and    := not ('and' not)*
//   not    := 'not' not | cmp
//   cmp    := atom (('=='|'!='|'<'|'<='|'>'|'>=') atom)?
//   atom   := '(' expr ')' | 'string' | "string" | number | true | false | null
//           | path | '{{' path '}}'
// A path (params.x, steps.y.outputs.z, steps.y.status) is looked up as data at evaluation
// time: values are never pasted into the expression text, so a label like ' or true or '
// is just a string. A path that does not exist evaluates to null. ExprDialect narrows the
// language for one use (a metric condition compares `result` with numbers). Start with
// Expr::Parse.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "lang/template.h"

namespace medic {

struct ExprNode;

/// What one use of the language accepts and how its errors read. The defaults are `when`.
struct ExprDialect {
  /// "": errors say "... at character N ..."; otherwise they start "<what> 'TEXT', column N: ".
  std::string what;
  bool quoted_strings = true;   ///< 'text' and "text"
  bool templates = true;        ///< {{ path }}
  bool symbolic_logic = false;  ///< && || ! mean and, or, not
  /// Numbers as strtod reads them (+1, .5, 1e3) and the words NaN, Inf, inf; otherwise
  /// digits with an optional leading '-' and a '.'.
  bool float_numbers = false;
  /// When non-empty, the only words besides and/or/not; each is a path ("result"), and any
  /// other word is an error as the text is read. When empty, words are paths with a dot
  /// (params.x), true, false or null.
  std::vector<std::string> words;
  std::string unknown_word_hint;  ///< appended to "unknown word 'x'"
  bool groups_are_values = true;  ///< "(a) == 1"; otherwise parentheses only group conditions
  bool comparisons_only = false;  ///< every operand of and/or/not is a comparison
  std::string comparison_needs;   ///< non-empty: the error for a comparison reading no path
  std::string value_expected = "a value";
  std::string equals_hint = " is not an operator (use == or !=, and 'not')";
  std::string found = "found";  ///< "expected X, found Y"
};

/// A parsed expression. Cheap to copy (shared, immutable); thread-safe to evaluate.
class Expr {
 public:
  /// Parses `text` as a `when` expression. Errors say what was expected and at which
  /// character.
  static Result<Expr> Parse(const std::string& text);

  /// Parses `text` in `dialect`.
  static Result<Expr> Parse(const std::string& text, const ExprDialect& dialect);

  /// Every path the expression reads, for validation.
  const std::vector<std::string>& paths() const { return paths_; }

  /// Evaluates to a truth value. Missing paths are null; resolver errors other than
  /// kNotFound are returned. Two numbers compare as IEEE doubles (NaN is unequal to
  /// everything, as in PromQL).
  Result<bool> Evaluate(const Resolver& resolve) const;

 private:
  std::shared_ptr<const ExprNode> root_;
  std::vector<std::string> paths_;
};

/// Truthiness used by `when`: false, null, "", "false", 0, empty lists and maps are false.
bool Truthy(const Json& value);

}  // namespace medic
