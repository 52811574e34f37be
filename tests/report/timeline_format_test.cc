// Each timeline rendering called directly on a timeline built from a store written in the
// test: the same golden files `medic timeline` is held to (tests/timeline/golden/), the
// HTML page's promises, the choice of renderer, and times in a named zone.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "base/redact.h"
#include "report/time_formatter.h"
#include "report/timeline.h"
#include "report/timeline_csv.h"
#include "report/timeline_export.h"
#include "report/timeline_html.h"
#include "report/timeline_json.h"
#include "report/timeline_markdown.h"
#include "tests/support/test_support.h"
#include "tests/timeline/fixture.h"

namespace medic {
namespace {

using testing::ScopedTempDir;

class TimelineFormats : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // What `medic timeline` learns from CHECKOUT_API_TOKEN in the CLI test's environment.
    RegisterSecret("plainsecretvalue42");
  }
  void SetUp() override {
    auto store = Store::Open(dir_.Join("medic.db"));
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    auto id = testing::WriteFixtureIncident(*store_);
    ASSERT_TRUE(id.ok()) << id.status().message();
    incident_ = *id;
    auto utc = TimeFormatter::Create("UTC");
    ASSERT_TRUE(utc.ok());
    utc_ = std::move(*utc);
  }
  Timeline Build(TimelineScope::Kind kind, int64_t id, TimelineOptions options = {}) {
    options.scope = {kind, id};
    auto t = BuildTimeline(*store_, options);
    EXPECT_TRUE(t.ok()) << t.status().message();
    return t.ok() ? std::move(*t) : Timeline();
  }
  Timeline Incident() { return Build(TimelineScope::Kind::kIncident, incident_); }
  static std::string Golden(const std::string& name) {
    std::string text = testing::ReadFile(testing::SourceDir() + "/tests/timeline/golden/" + name);
    EXPECT_FALSE(text.empty()) << name << " is missing";
    return text;
  }
  static void ExpectNoSecrets(const std::string& text) {
    for (const char* secret : testing::kFixtureSecrets)
      EXPECT_EQ(text.find(secret), std::string::npos) << "secret '" << secret << "' leaked";
  }

  ScopedTempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<TimeFormatter> utc_;
  int64_t incident_ = 0;
};

TEST_F(TimelineFormats, MarkdownIsTheGoldenFile) {
  EXPECT_EQ(TimelineToMarkdown(Incident(), *utc_), Golden("incident.md"));
}

TEST_F(TimelineFormats, JsonIsTheGoldenFileAndParses) {
  std::string out = TimelineToJson(Incident(), *utc_);
  EXPECT_EQ(out, Golden("incident.json"));
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["schema"], "medic.timeline.v1");
  EXPECT_EQ(j["milestones"]["durations"]["time_to_contain"]["verdict"], "met");
}

TEST_F(TimelineFormats, CsvIsTheGoldenFile) {
  EXPECT_EQ(TimelineToCsv(Incident(), *utc_), Golden("incident.csv"));
}

TEST_F(TimelineFormats, ARunAloneLeavesTheIncidentsAlertsOut) {
  std::string md = TimelineToMarkdown(Build(TimelineScope::Kind::kRun, 1), *utc_);
  EXPECT_EQ(md, Golden("run.md"));
  EXPECT_EQ(md.find("alert.firing"), std::string::npos);
}

TEST_F(TimelineFormats, AStepWaitingForApprovalIsTheGoldenFile) {
  auto id = testing::WriteAwaitingApprovalIncident(*store_);
  ASSERT_TRUE(id.ok()) << id.status().message();
  Timeline t = Build(TimelineScope::Kind::kIncident, *id);
  EXPECT_EQ(TimelineToMarkdown(t, *utc_), Golden("awaiting.md"));
  EXPECT_EQ(TimelineToJson(t, *utc_), Golden("awaiting.json"));
}

TEST_F(TimelineFormats, HtmlIsOnePageWithAChartPerRunAndNothingExternal) {
  std::string html = TimelineToHtml(Incident(), *utc_);
  EXPECT_EQ(html.rfind("<!doctype html>", 0), 0u);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("data-step=\"capture_core\""), std::string::npos);
  for (const char* external : {"<script", "<link", "@import", "src=\"http"})
    EXPECT_EQ(html.find(external), std::string::npos) << external;
}

TEST_F(TimelineFormats, NoRenderingShowsASecretTheRecordHolds) {
  Timeline t = Incident();
  for (const char* format : kTimelineFormats) {
    SCOPED_TRACE(format);
    auto out = RenderTimeline(t, format, *utc_);
    ASSERT_TRUE(out.ok()) << out.status().message();
    ExpectNoSecrets(*out);
    EXPECT_NE(out->find("[REDACTED]"), std::string::npos);
  }
}

TEST_F(TimelineFormats, RenderTimelinePicksTheRendererAndRefusesAnUnknownFormat) {
  Timeline t = Incident();
  EXPECT_EQ(*RenderTimeline(t, "csv", *utc_), TimelineToCsv(t, *utc_));
  EXPECT_EQ(*RenderTimeline(t, "md", *utc_), TimelineToMarkdown(t, *utc_));
  auto pdf = RenderTimeline(t, "pdf", *utc_);
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), Code::kInvalidArgument);
}

TEST_F(TimelineFormats, ATighterBudgetIsReportedAsMissed) {
  TimelineOptions strict;
  strict.budgets_ms = {{"time_to_contain", 10'000}};
  auto j = nlohmann::json::parse(
      TimelineToJson(Build(TimelineScope::Kind::kIncident, incident_, strict), *utc_));
  EXPECT_EQ(j["milestones"]["durations"]["time_to_contain"]["verdict"], "missed");
  EXPECT_EQ(j["milestones"]["durations"]["time_to_verify"]["verdict"], nullptr);
}

TEST_F(TimelineFormats, AnIncidentOrRunThatDoesNotExistIsNotFound) {
  TimelineOptions options;
  options.scope = {TimelineScope::Kind::kIncident, 999};
  EXPECT_EQ(BuildTimeline(*store_, options).status().code(), Code::kNotFound);
  options.scope = {TimelineScope::Kind::kRun, 999};
  EXPECT_EQ(BuildTimeline(*store_, options).status().code(), Code::kNotFound);
}

TEST(TimelineExport, AFileNameAsksForItsFormatByItsExtension) {
  EXPECT_EQ(TimelineFormatOfPath("postmortem.md"), "md");
  EXPECT_EQ(TimelineFormatOfPath("a/b.markdown"), "md");
  EXPECT_EQ(TimelineFormatOfPath("t.json"), "json");
  EXPECT_EQ(TimelineFormatOfPath("t.csv"), "csv");
  EXPECT_EQ(TimelineFormatOfPath("t.htm"), "html");
  EXPECT_EQ(TimelineFormatOfPath("t.pdf"), "");
  EXPECT_EQ(TimelineFormatOfPath("timeline"), "");
}

TEST(TimeFormatter, WritesUtcOrTheNamedZoneAndRefusesAnythingElse) {
  auto utc = TimeFormatter::Create("");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ((*utc)->Rfc3339(testing::kFixtureT0 + 5), "2026-11-22T03:00:00.005Z");
  EXPECT_EQ((*utc)->Human(testing::kFixtureT0), "2026-11-22 03:00:00.000");
  {
    auto ny = TimeFormatter::Create("America/New_York");
    ASSERT_TRUE(ny.ok()) << ny.status().message();
    EXPECT_EQ((*ny)->Rfc3339(testing::kFixtureT0), "2026-11-21T22:00:00.000-05:00");
    EXPECT_EQ((*ny)->zone(), "America/New_York");
  }
  for (const char* bad : {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime"})
    EXPECT_EQ(TimeFormatter::Create(bad).status().code(), Code::kInvalidArgument) << bad;
}

}  // namespace
}  // namespace medic
