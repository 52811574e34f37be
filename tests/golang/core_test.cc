// `--core`: real core files of the fixture programs, read through delve (and gdb as the
// fallback). Cores are written by the kernel (GOTRACEBACK=crash under an unlimited
// RLIMIT_CORE, into a temp dir) or by gcore from a live process; both stay in temp dirs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "integrations/golang/analyzer.h"
#include "integrations/golang/core_reader.h"
#include "tests/golang/go_fixtures.h"
#include "tests/support/test_support.h"

namespace medic::golang {
namespace {

using medic::testing::GoFixtureBinary;
using medic::testing::GoFixturesAvailable;
using medic::testing::HaveTool;
using medic::testing::ReadFile;
using medic::testing::RunCommand;
using medic::testing::ScopedTempDir;

// Runs a fixture with GOTRACEBACK=crash so the kernel writes a core into `dir`; returns its
// path, or "" when this machine's core_pattern sends cores elsewhere.
std::string CrashCore(const ScopedTempDir& dir, const std::string& program) {
  RunCommand({"prlimit", "--core=unlimited", "env", "-C", dir.path(), "GOTRACEBACK=crash",
              GoFixtureBinary(program)});
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("core", 0) == 0) return e.path().string();
  }
  return "";
}

#define REQUIRE_CORE(var, dir, program)                                     \
  if (!GoFixturesAvailable() || !HaveTool("dlv") || !HaveTool("prlimit")) { \
    GTEST_SKIP() << "needs golang-go, delve and prlimit";                   \
  }                                                                         \
  std::string var = CrashCore(dir, program);                                \
  if (var.empty()) {                                                        \
    GTEST_SKIP() << "no core written; kernel.core_pattern is "              \
                 << ReadFile("/proc/sys/kernel/core_pattern");              \
  }

TEST(CoreAnalysis, GotracebackCrashCoreIsReadThroughDelveAndBlamesPut) {
  ScopedTempDir dir;
  REQUIRE_CORE(core, dir, "nilmap");
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("nilmap"), AnalyzeOptions());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->source, "core (dlv)");
  EXPECT_EQ(r->category, "nil_map_write");
  EXPECT_EQ(r->message, "assignment to entry in nil map");
  EXPECT_TRUE(r->recoverable);
  EXPECT_EQ(r->culprit.function, "main.(*Registry).Put");
  EXPECT_EQ(r->culprit.line, 3);
  EXPECT_EQ(r->goroutine_id, 1);
  EXPECT_GE(r->goroutines_total, 2);
}

TEST(CoreAnalysis, BoundsErrorValueIsRebuiltFromTheCore) {
  ScopedTempDir dir;
  REQUIRE_CORE(core, dir, "index");
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("index"), AnalyzeOptions());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->category, "index_out_of_range");
  EXPECT_EQ(r->message, "runtime error: index out of range [5] with length 3");
  EXPECT_EQ(r->culprit.function, "main.pick");
}

TEST(CoreAnalysis, FatalThrowInACoreIsNamedFromTheThrowingFunction) {
  ScopedTempDir dir;
  REQUIRE_CORE(core, dir, "concurrentmap");
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("concurrentmap"), AnalyzeOptions());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->category, "concurrent_map_access");
  EXPECT_FALSE(r->recoverable);
  EXPECT_EQ(r->culprit.package, "main");
}

TEST(CoreAnalysis, DeadlockThrownOnTheSystemStackIsFoundThroughTheThreadStack) {
  ScopedTempDir dir;
  REQUIRE_CORE(core, dir, "deadlock");
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("deadlock"), AnalyzeOptions());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->category, "deadlock");
  EXPECT_EQ(r->culprit.function, "main.waitForever");
}

TEST(CoreAnalysis, GcoreOfALiveLeakingProcessShowsTheLeakNotACrash) {
  if (!GoFixturesAvailable() || !HaveTool("dlv") || !HaveTool("gcore")) {
    GTEST_SKIP() << "needs golang-go, delve and gdb (gcore)";
  }
  ScopedTempDir dir;
  medic::testing::PeerProcess leak;
  ASSERT_TRUE(leak.Start({GoFixtureBinary("leak"), "1200"}, dir.Join("leak.log")));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ReadFile(dir.Join("leak.log")).find("ready") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "leak fixture never got ready";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto g = RunCommand({"gcore", "-o", dir.Join("live"), std::to_string(leak.pid())});
  std::string core = dir.Join("live." + std::to_string(leak.pid()));
  leak.Stop();
  ASSERT_TRUE(std::filesystem::exists(core)) << g.err;
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("leak"), AnalyzeOptions());
  std::filesystem::remove(core);  // ~700 MB of mostly zero pages
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->category, "external_signal");
  EXPECT_FALSE(r->has_culprit);
  ASSERT_FALSE(r->leak_suspects.empty());
  EXPECT_EQ(r->leak_suspects[0].function, "main.(*Sub).listen");
  EXPECT_EQ(r->leak_suspects[0].count, 1200);
  EXPECT_EQ(r->recommendation.action, "restart");
}

TEST(CoreAnalysis, WithoutDelveGdbStillListsTheGoroutinesAndSaysWhatIsMissing) {
  if (!HaveTool("gdb")) GTEST_SKIP() << "needs gdb";
  ScopedTempDir dir;
  REQUIRE_CORE(core, dir, "nilmap");
  AnalyzeOptions opts;
  opts.dlv = "medic-test-no-such-dlv";
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("nilmap"), opts);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->source, "core (gdb)");
  EXPECT_TRUE(r->crash_found);
  EXPECT_FALSE(r->recoverable);
  EXPECT_GE(r->goroutines_total, 2);
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings[0].find("delve"), std::string::npos);
}

TEST(CoreAnalysis, MissingDebuggersAreAClearErrorNamingTheDebianPackages) {
  ScopedTempDir dir;
  medic::testing::WriteFile(dir.Join("core"), "not a core");
  medic::testing::WriteFile(dir.Join("bin"), "not a binary");
  AnalyzeOptions opts;
  opts.dlv = "medic-test-no-such-dlv";
  opts.gdb = "medic-test-no-such-gdb";
  Result<Analysis> r = AnalyzeCore(dir.Join("core"), dir.Join("bin"), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("'delve'"), std::string::npos);
  EXPECT_NE(r.status().message().find("'gdb'"), std::string::npos);
}

TEST(CoreAnalysis, ACoreThatIsNotACoreIsAFailedPreconditionNotACrash) {
  if (!HaveTool("dlv")) GTEST_SKIP() << "needs delve";
  ScopedTempDir dir;
  medic::testing::WriteFile(dir.Join("core"), std::string(4096, 'x'));
  medic::testing::WriteFile(dir.Join("bin"), "not a binary");
  Result<Analysis> r = AnalyzeCore(dir.Join("core"), dir.Join("bin"), AnalyzeOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition) << r.status().message();
}

TEST(CoreReader, DelvePanicValuesBecomeTheTextGoWouldPrint) {
  EXPECT_EQ(
      PanicValueFromDelve("interface {}(runtime.plainError) \"assignment to entry in nil map\""),
      "assignment to entry in nil map");
  EXPECT_EQ(PanicValueFromDelve("interface {}(runtime.errorString) \"integer divide by zero\""),
            "runtime error: integer divide by zero");
  EXPECT_EQ(PanicValueFromDelve("interface {}(*errors.errorString) *{\n\ts: \"raft: no quorum\",}"),
            "raft: no quorum");
}

}  // namespace
}  // namespace medic::golang
