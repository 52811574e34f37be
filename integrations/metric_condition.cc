#include "integrations/metric_condition.h"

namespace medic {
namespace {

// The dialect of lang/expr.h a metric condition is written in.
const ExprDialect& ConditionDialect() {
  static const ExprDialect kDialect = [] {
    ExprDialect d;
    d.what = "condition";
    d.quoted_strings = false;
    d.templates = false;
    d.symbolic_logic = true;
    d.float_numbers = true;
    d.words = {"result"};
    d.unknown_word_hint = " (a condition compares 'result' with numbers)";
    d.groups_are_values = false;
    d.comparisons_only = true;
    d.comparison_needs = "a comparison must involve 'result'";
    d.value_expected = "'result' or a number";
    d.equals_hint = " is not a comparison (use '==')";
    d.found = "got";
    return d;
  }();
  return kDialect;
}

}  // namespace

Result<MetricCondition> MetricCondition::Parse(const std::string& text) {
  auto expr = Expr::Parse(text, ConditionDialect());
  if (!expr.ok()) return expr.status();
  MetricCondition c;
  c.text_ = text;
  c.expr_ = std::move(*expr);
  return c;
}

bool MetricCondition::Evaluate(double result) const {
  if (!expr_) return false;
  // `result` is the only path a condition can read, so the resolver never fails.
  auto v = expr_->Evaluate([result](const std::string&) -> Result<Json> { return Json(result); });
  return v.ok() && *v;
}

}  // namespace medic
