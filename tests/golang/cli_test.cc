// `medic analyze` as the on-call engineer runs it: the built binary, real crash output,
// exit codes 0 / 4 / 2 / 1, text and --json.
#include <gtest/gtest.h>

#include "base/json.h"
#include "tests/golang/go_fixtures.h"
#include "tests/support/test_support.h"

namespace medic::testing {
namespace {

TEST(AnalyzeCommand, AnalysesARealPanicFileAndPrintsOneJsonObject) {
  if (!GoFixturesAvailable()) GTEST_SKIP() << "Debian golang-go missing";
  ScopedTempDir dir;
  WriteFile(dir.Join("crash.log"), CrashOutput("nilmap"));
  CommandResult r = RunCommand({MedicBinary(), "analyze", "--json", dir.Join("crash.log")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["category"], "nil_map_write");
  EXPECT_EQ(j["recoverable"], true);
  EXPECT_EQ(j["culprit"]["function"], "main.(*Registry).Put");
  EXPECT_EQ(j["recommendation"]["action"], "investigate");
}

TEST(AnalyzeCommand, ReadsStandardInputWithDashAndPrintsTextForAPerson) {
  if (!GoFixturesAvailable()) GTEST_SKIP() << "Debian golang-go missing";
  CommandResult r = RunCommand({MedicBinary(), "analyze", "-"}, CrashOutput("deadlock"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Go crash: deadlock"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("main.waitForever"), std::string::npos);
  EXPECT_NE(r.out.find("Recommendation: investigate"), std::string::npos);
}

TEST(AnalyzeCommand, KnownFileMakesTheRecommendationAHotfix) {
  if (!GoFixturesAvailable()) GTEST_SKIP() << "Debian golang-go missing";
  ScopedTempDir dir;
  WriteFile(dir.Join("known.json"),
            R"({"signatures": [{"signature": "nil_map_write main.(*Registry).Put",
                                "fixed_in": "ghcr.io/acme/app:1.4.3"}]})");
  CommandResult r =
      RunCommand({MedicBinary(), "analyze", "--json", "--known", dir.Join("known.json"), "-"},
                 CrashOutput("nilmap"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["recommendation"]["action"], "hotfix");
  EXPECT_EQ(j["recommendation"]["fixed_in"], "ghcr.io/acme/app:1.4.3");
}

TEST(AnalyzeCommand, NoCrashExitsFourWithAOneLineReason) {
  CommandResult r = RunCommand({MedicBinary(), "analyze", "-"},
                               "{\"level\":\"info\",\"msg\":\"all good\"}\nserving on :8080\n");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("medic: no Go crash found: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1);  // one line
  CommandResult empty = RunCommand({MedicBinary(), "analyze", "--json", "-"}, "");
  EXPECT_EQ(empty.exit_code, 4);
  EXPECT_EQ(Json::parse(empty.out)["crash_found"], false);
}

TEST(AnalyzeStep, APlainLogWithoutCrashOrGoroutinesSucceedsSayingSoUnlessACrashIsRequired) {
  ScopedTempDir dir;
  WriteFile(dir.Join("app.log"), "{\"level\":\"info\",\"msg\":\"all good\"}\nserving on :8080\n");
  WriteFile(dir.Join("pb.yaml"),
            "name: t\nparams:\n  require: {default: false}\nstages:\n"
            "  - name: diagnose\n    steps:\n      - id: analyze\n"
            "        action: gdb.analyze\n        with: {logs: [\"" +
                dir.Join("app.log") + "\"], require_crash: \"{{ params.require }}\"}\n");
  CommandResult r =
      RunCommand({MedicBinary(), "--db", dir.Join("m.db"), "run", "--json", dir.Join("pb.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Json step = Json::parse(r.out)["steps"][0];
  EXPECT_EQ(step["outputs"]["crash_found"], false) << step.dump(2);
  EXPECT_NE(step["outputs"]["reason"].get<std::string>().find("no Go panic"), std::string::npos)
      << step.dump(2);

  CommandResult required = RunCommand({MedicBinary(), "--db", dir.Join("m.db"), "run", "--json",
                                       dir.Join("pb.yaml"), "--var", "require=true"});
  EXPECT_EQ(required.exit_code, 1) << required.err;
  EXPECT_NE(
      Json::parse(required.out)["steps"][0]["error"].get<std::string>().find("no Go crash found"),
      std::string::npos)
      << required.out;
}

TEST(AnalyzeCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCommand({MedicBinary(), "analyze"}).exit_code, 2);
  EXPECT_EQ(RunCommand({MedicBinary(), "analyze", "--core", "/tmp/core"}).exit_code, 2);
  EXPECT_EQ(RunCommand({MedicBinary(), "analyze", "--nope", "-"}).exit_code, 2);
  CommandResult missing = RunCommand({MedicBinary(), "analyze", "/nonexistent/crash.log"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/crash.log"), std::string::npos);
  ScopedTempDir dir;
  WriteFile(dir.Join("known.json"), "{\"signatures\": [{\"signature\": \"x\"}]}");
  CommandResult bad_known =
      RunCommand({MedicBinary(), "analyze", "--known", dir.Join("known.json"), "-"}, "x\n");
  EXPECT_EQ(bad_known.exit_code, 2);
  EXPECT_NE(bad_known.err.find("fixed_in"), std::string::npos);
}

TEST(AnalyzeCommand, CoreWithoutAnyDebuggerFailsNamingTheDebianPackage) {
  ScopedTempDir dir;
  WriteFile(dir.Join("core"), "x");
  WriteFile(dir.Join("bin"), "x");
  CommandResult r = RunCommand(
      {MedicBinary(), "analyze", "--core", dir.Join("core"), "--binary", dir.Join("bin")}, "",
      {{"PATH", dir.path()}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("delve"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace medic::testing
