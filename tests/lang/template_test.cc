#include "lang/template.h"

#include <gtest/gtest.h>

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

// An index into a list is a number that fits, or the path names nothing.
TEST(Template, AnIndexPastAnyListNamesNothing) {
  Json data = {{"pods", {"a", "b"}}};
  EXPECT_EQ(*JsonAtPath(data, {"pods", "1"}), "b");
  EXPECT_EQ(JsonAtPath(data, {"pods", "2"}), nullptr);
  EXPECT_EQ(JsonAtPath(data, {"pods", std::string(40, '9')}), nullptr) << "once threw";
}

// A label value an attacker chose stays data where it lands: inside a PromQL string, a URL
// path segment, a label selector.
TEST(Template, FiltersEscapeAValueForWhereItLands) {
  Json data = {{"params",
                {{"service", "x\"} or vector(1) or {a=\"\\"},
                 {"path", "../../secrets?x=1#y"},
                 {"port", 8080},
                 {"label", "checkout"}}}};
  auto promql = RenderString(R"(up{service="{{ params.service | promql }}"})", FromJson(data));
  ASSERT_TRUE(promql.ok()) << promql.status().message();
  EXPECT_EQ(*promql, R"(up{service="x\"} or vector(1) or {a=\"\\"})");
  auto path = RenderString("/api/v1/namespaces/{{ params.path | urlpath }}/pods", FromJson(data));
  EXPECT_EQ(*path, "/api/v1/namespaces/..%2F..%2Fsecrets%3Fx%3D1%23y/pods");
  EXPECT_EQ(*RenderString("{{ params.port | urlpath }}", FromJson(data)), Json("8080"))
      << "a filtered value is text";
  EXPECT_EQ(*RenderString("app={{ params.label | label }}", FromJson(data)), Json("app=checkout"));
  auto bad = RenderString("app={{ params.service | label }}", FromJson(data));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("{{ params.service | label }}: 'x\"} or"),
            std::string::npos)
      << bad.status().message();
  auto unknown = ExtractRefs("{{ params.service | promq }}");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'| promq' is not a filter"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("promql"), std::string::npos);
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
  std::function<Json(const std::string&)> stand_in = [](const std::string& p) {
    return Json("<" + p + ">");
  };
  EXPECT_EQ(*RenderString("a {{ params.nope }}", FromJson(Json::object()), &stand_in),
            "a <params.nope>");
}

TEST(Template, AMissingOptionalReferenceIsEmptyAndLeavesItsListElementOut) {
  Json data = {{"steps", {{"logs", {{"outputs", {{"path", "/tmp/log"}}}}}}}};
  auto text = RenderString("dump={{ steps.dump.outputs.path? }};", FromJson(data));
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(*text, "dump=;");
  EXPECT_EQ(*RenderString("{{ steps.dump.outputs.path? }}", FromJson(data)), "");
  EXPECT_EQ(*RenderString("{{ steps.logs.outputs.path? }}", FromJson(data)), "/tmp/log");

  auto list = RenderJson(Json{{"logs",
                               {"{{ steps.logs.outputs.path? }}", "{{ steps.dump.outputs.path? }}",
                                "x{{ steps.dump.outputs.path? }}"}}},
                         FromJson(data));
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_EQ((*list)["logs"], Json({"/tmp/log", "x"}));
  // Without `?` a missing value is still an error.
  auto strict = RenderJson(Json{{"logs", {"{{ steps.dump.outputs.path }}"}}}, FromJson(data));
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().code(), Code::kNotFound);
  // A dry run shows what would be there.
  std::function<Json(const std::string&)> stand_in = [](const std::string& p) {
    return Json("<" + p + ">");
  };
  auto dry = RenderJson(Json::array({"{{ steps.dump.outputs.path? }}"}), FromJson(data), &stand_in);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(*dry, Json::array({"<steps.dump.outputs.path>"}));

  auto refs = ExtractRefs("{{ steps.dump.outputs.path? }} {{ params.x }}");
  ASSERT_TRUE(refs.ok());
  ASSERT_EQ(refs->size(), 2u);
  EXPECT_EQ((*refs)[0].path, "steps.dump.outputs.path");
  EXPECT_TRUE((*refs)[0].optional);
  EXPECT_FALSE((*refs)[1].optional);
}

TEST(Template, MalformedReferencesAreRejected) {
  EXPECT_FALSE(ExtractRefs("{{ ? }}").ok());
  EXPECT_FALSE(ExtractRefs("{{ params.x?? }}").ok());
  EXPECT_FALSE(ExtractRefs("{{ params.x").ok());
  EXPECT_FALSE(ExtractRefs("{{ params.x | upper }}").ok());
  EXPECT_FALSE(ExtractRefs("{{ }}").ok());
  auto refs = ExtractRefsJson(Json{{"a", {"{{ params.x }}", "{{ steps.y.status }}"}}});
  ASSERT_TRUE(refs.ok());
  EXPECT_EQ(refs->size(), 2u);
}

}  // namespace
}  // namespace medic
