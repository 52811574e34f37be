// MetricCondition: the tiny language of prometheus.check's `success:` ("result < 0.12",
// "result >= 0.99 and result <= 1"). Comparisons of `result` with a number (either side),
// joined by and/or, with parentheses and `not`. The engine's richer `when` language lives
// in playbooks/, which integrations must not include; this is all a metric check needs.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

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

  struct Node;

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace medic
