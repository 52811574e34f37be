#include "lang/expr.h"

#include <gtest/gtest.h>

namespace medic {
namespace {

Resolver Values(Json params) {
  return [params](const std::string& path) -> Result<Json> {
    if (path.rfind("params.", 0) == 0) {
      std::string key = path.substr(7);
      if (params.contains(key)) return params[key];
    }
    return Status::NotFound(path);
  };
}

bool Eval(const std::string& text, Json params = Json::object()) {
  auto e = Expr::Parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().message();
  if (!e.ok()) return false;
  auto v = e->Evaluate(Values(params));
  EXPECT_TRUE(v.ok()) << v.status().message();
  return v.ok() && *v;
}

TEST(Expr, ComparesTemplatesAndBarePathsAsData) {
  Json p = {{"namespace", "prod"}, {"count", "12"}};
  EXPECT_TRUE(Eval("{{ params.namespace }} != 'kube-system'", p));
  EXPECT_TRUE(Eval("params.namespace == \"prod\"", p));
  EXPECT_TRUE(Eval("params.count > 9", p));
  EXPECT_FALSE(Eval("params.count < 9", p));
  EXPECT_TRUE(Eval("params.count >= 12 and params.count <= 12", p));
}

TEST(Expr, AFilterIsRefusedInAConditionWhichComparesValuesAsTheyAre) {
  auto e = Expr::Parse("{{ params.service | promql }} == 'x'");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("'| promql' escapes a value inside text"), std::string::npos)
      << e.status().message();
}

TEST(Expr, HonoursPrecedenceAndParentheses) {
  EXPECT_TRUE(Eval("true or false and false"));
  EXPECT_FALSE(Eval("(true or false) and false"));
  EXPECT_TRUE(Eval("not false and true"));
  EXPECT_FALSE(Eval("not (false or true)"));
}

TEST(Expr, AnInjectedLabelIsJustAString) {
  // A hostile label cannot close the quote: its value is compared, never parsed.
  Json p = {{"namespace", "' or true or '"}};
  EXPECT_FALSE(Eval("{{ params.namespace }} == 'kube-system'", p));
  EXPECT_TRUE(Eval("{{ params.namespace }} == \"' or true or '\"", p));
}

TEST(Expr, MissingPathsAreNullAndFalse) {
  EXPECT_FALSE(Eval("params.absent"));
  EXPECT_TRUE(Eval("params.absent == null"));
  EXPECT_FALSE(Eval("params.absent > 3"));
}

TEST(Expr, ReportsTheColumnOfASyntaxError) {
  auto e = Expr::Parse("params.a = 'x'");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("character 10"), std::string::npos) << e.status().message();
  EXPECT_FALSE(Expr::Parse("(params.a == 'x'").ok());
  EXPECT_FALSE(Expr::Parse("params.a == 'x").ok());
  auto bare = Expr::Parse("namespace == 'x'");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.status().message().find("params.namespace"), std::string::npos);
}

TEST(Expr, ListsThePathsItReads) {
  auto e = Expr::Parse("{{ params.a }} == 'x' or steps.b.outputs.c > 1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->paths(), (std::vector<std::string>{"params.a", "steps.b.outputs.c"}));
}

}  // namespace
}  // namespace medic
