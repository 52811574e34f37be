#include "lang/scope.h"

#include <gtest/gtest.h>

#include "lang/template.h"

namespace medic {
namespace {

Scope Refs() {
  Scope s([](const Scope& scope, const std::string& path, bool known_root) -> std::string {
    if (known_root) return "";
    return "'" + path + "' is not one of " + scope.Usage();
  });
  s.Root("params", {"NAME..."})
      .Root("steps", {"ID.outputs.KEY...", "ID.status"}, {{"KEY", "an output name"}})
      .Root("run", {"id"})
      .Root("status", {""});
  return s;
}

TEST(Scope, MatchesAPathToItsRootShapeAndPlaceholders) {
  Scope s = Refs();
  auto ref = s.Match("steps.dump.outputs.files.0");
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  EXPECT_EQ(ref->root, "steps");
  EXPECT_EQ(ref->shape, "ID.outputs.KEY...");
  EXPECT_EQ(ref->args, (std::vector<std::string>{"dump", "files"}));
  EXPECT_EQ(ref->rest, (std::vector<std::string>{"0"}));
  EXPECT_EQ(ref->Below(), (std::vector<std::string>{"files", "0"}));
  EXPECT_EQ(s.Match("steps.dump.status")->shape, "ID.status");
  EXPECT_EQ(s.Match("params.service")->Below(), (std::vector<std::string>{"service"}));
  EXPECT_EQ(s.Match("status")->shape, "");
}

TEST(Scope, SaysWhatShapeWouldBeRight) {
  Scope s = Refs();
  EXPECT_EQ(s.Check("params"), "'params' needs a name: {{ params.NAME }}");
  EXPECT_EQ(s.Check("steps.a.outputs"),
            "'steps.a.outputs' needs an output name: {{ steps.ID.outputs.KEY }}");
  EXPECT_EQ(s.Check("steps.a"), "'steps.a': use steps.ID.outputs.KEY or steps.ID.status");
  EXPECT_EQ(s.Check("steps.a.status.x"),
            "'steps.a.status.x': use steps.ID.outputs.KEY or steps.ID.status");
  EXPECT_EQ(s.Check("run.uuid"), "'run.uuid': use run.id");
  EXPECT_EQ(s.Check("status.x"), "'status.x': use status");
  EXPECT_EQ(s.Check("lables.x"),
            "'lables.x' is not one of params.NAME, steps.ID.outputs.KEY, steps.ID.status, run.id "
            "or status");
  EXPECT_EQ(Scope().Check("x.y"), "'x.y' does not name anything; use ");
}

TEST(Scope, CheckAddsTheContextsRulesAfterTheShape) {
  Scope s = Refs();
  auto declared = [](const Ref& ref) -> std::string {
    if (ref.root == "params" && ref.args[0] != "service")
      return "unknown param '" + ref.args[0] + "'";
    return "";
  };
  EXPECT_EQ(s.Check("params.service.x", declared), "");
  EXPECT_EQ(s.Check("params.servce", declared), "unknown param 'servce'");
  EXPECT_EQ(s.Check("params", declared), "'params' needs a name: {{ params.NAME }}");
}

TEST(Scope, ResolveLooksUpMatchedReferencesInTheCallersData) {
  Scope s = Refs();
  Json params = {{"service", {{"name", "api"}}}};
  auto lookup = [&](const Ref& ref) -> Result<Json> {
    if (ref.root == "params")
      if (const Json* v = JsonAtPath(params, ref.Below())) return *v;
    if (ref.root == "run") return Json(7);
    return Status::NotFound("'" + ref.path + "' has no value");
  };
  EXPECT_EQ(*s.Resolve("params.service.name", lookup), "api");
  EXPECT_EQ(*s.Resolve("run.id", lookup), 7);
  auto missing = s.Resolve("params.nope", lookup);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  auto malformed = s.Resolve("run.uuid", lookup);
  EXPECT_EQ(malformed.status().code(), Code::kNotFound);
  EXPECT_EQ(malformed.status().message(), "'run.uuid': use run.id");
}

}  // namespace
}  // namespace medic
