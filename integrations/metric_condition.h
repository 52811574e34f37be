// MetricCondition: the tiny language of prometheus.check's `success:` ("result < 0.12",
// "result >= 0.99 and result <= 1"). Comparisons of `result` with a number (either side),
// joined by and/or (or && ||), with parentheses and `not` (or !). It is a dialect of the
// expression language in lang/expr.h, read by the same parser as a playbook's `when`.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "lang/expr.h"

namespace medic {

/// A parsed condition. Immutable once parsed; thread-safe to evaluate.
class MetricCondition {
 public:
  /// Parses `text`. Fails with kInvalidArgument naming the column and what was expected.
  static Result<MetricCondition> Parse(const std::string& text);

  /// True when the condition holds for `result`. Comparisons with NaN are false (and
  /// `!=` true), as in PromQL.
  bool Evaluate(double result) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::optional<Expr> expr_;
};

}  // namespace medic
