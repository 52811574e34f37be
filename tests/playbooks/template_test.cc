#include <gtest/gtest.h>

#include "playbooks/template.h"

namespace medic {
namespace {

Resolver FromJson(const Json& data) {
  return [data](const std::string& path) -> Result<Json> {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
      parts.push_back(path.substr(start, dot - start));
    parts.push_back(path.substr(start));
    if (const Json* v = JsonAtPath(data, parts)) return *v;
    return Status::NotFound(path);
  };
}

TEST(Template, SubstitutesReferencesIntoText) {
  Json data = {{"params", {{"service", "api"}, {"replicas", 3}}}};
  auto r = RenderString("svc={{ params.service }} n={{params.replicas}}", FromJson(data));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "svc=api n=3");
}

TEST(Template, ALoneReferenceKeepsItsType) {
  Json data = {{"steps", {{"a", {{"outputs", {{"list", {1, 2}}, {"n", 7}}}}}}}};
  EXPECT_EQ(*RenderString("{{ steps.a.outputs.list }}", FromJson(data)), Json({1, 2}));
  EXPECT_EQ(*RenderString(" {{ steps.a.outputs.n }} ", FromJson(data)), Json(7));
}

TEST(Template, ValuesAreNeverRenderedTwice) {
  Json data = {{"params", {{"label", "{{ env.SECRET }}"}}}};
  EXPECT_EQ(*RenderString("x {{ params.label }}", FromJson(data)), "x {{ env.SECRET }}");
}

TEST(Template, MissingReferenceFailsUnlessAStandInIsGiven) {
  auto r = RenderString("{{ params.nope }}", FromJson(Json::object()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  std::function<Json(const std::string&)> stand_in = [](const std::string& p) { return Json("<" + p + ">"); };
  EXPECT_EQ(*RenderString("a {{ params.nope }}", FromJson(Json::object()), &stand_in), "a <params.nope>");
}

TEST(Template, MalformedReferencesAreRejected) {
  EXPECT_FALSE(ExtractRefs("{{ params.x").ok());
  EXPECT_FALSE(ExtractRefs("{{ params.x | upper }}").ok());
  EXPECT_FALSE(ExtractRefs("{{ }}").ok());
  auto refs = ExtractRefsJson(Json{{"a", {"{{ params.x }}", "{{ steps.y.status }}"}}});
  ASSERT_TRUE(refs.ok());
  EXPECT_EQ(refs->size(), 2u);
}

}  // namespace
}  // namespace medic
