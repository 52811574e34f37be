// `--core`: real core files of the fixture programs, read through delve (and gdb as the
// fallback). Cores are written by the kernel (GOTRACEBACK=crash under an unlimited
// RLIMIT_CORE, into a temp dir) or by gcore from a live process; both stay in temp dirs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/cancel.h"
#include "env/process_runner.h"
#include "integrations/golang/analyzer.h"
#include "integrations/golang/core_reader.h"
#include "tests/golang/go_fixtures.h"
#include "tests/support/test_env.h"
#include "tests/support/test_support.h"

namespace medic::golang {
namespace {

using medic::testing::GoFixtureBinary;
using medic::testing::GoFixturesAvailable;
using medic::testing::HaveTool;
using medic::testing::ReadFile;
using medic::testing::RunCommand;
using medic::testing::ScopedTempDir;
using medic::testing::WriteFile;

// Runs a fixture with GOTRACEBACK=crash so the kernel writes a core into `dir`; returns its
// path, or "" when this machine's core_pattern sends cores elsewhere.
// Debuggers run as `medic analyze --core` runs them: through the real process runner.
RunProcessFn RealRunner() {
  return [](const ProcessSpec& spec) {
    return test::RealEnv().processes->Run(spec, nullptr, nullptr);
  };
}

AnalyzeOptions CoreOptions() {
  AnalyzeOptions opts;
  opts.run_debugger = RealRunner();
  return opts;
}

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
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("nilmap"), CoreOptions());
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
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("index"), CoreOptions());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->category, "index_out_of_range");
  EXPECT_EQ(r->message, "runtime error: index out of range [5] with length 3");
  EXPECT_EQ(r->culprit.function, "main.pick");
}

TEST(CoreAnalysis, FatalThrowInACoreIsNamedFromTheThrowingFunction) {
  ScopedTempDir dir;
  REQUIRE_CORE(core, dir, "concurrentmap");
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("concurrentmap"), CoreOptions());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->category, "concurrent_map_access");
  EXPECT_FALSE(r->recoverable);
  EXPECT_EQ(r->culprit.package, "main");
}

TEST(CoreAnalysis, DeadlockThrownOnTheSystemStackIsFoundThroughTheThreadStack) {
  ScopedTempDir dir;
  REQUIRE_CORE(core, dir, "deadlock");
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("deadlock"), CoreOptions());
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
  Result<Analysis> r = AnalyzeCore(core, GoFixtureBinary("leak"), CoreOptions());
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
  AnalyzeOptions opts = CoreOptions();
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
  WriteFile(dir.Join("core"), "not a core");
  WriteFile(dir.Join("bin"), "not a binary");
  AnalyzeOptions opts = CoreOptions();
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
  WriteFile(dir.Join("core"), std::string(4096, 'x'));
  WriteFile(dir.Join("bin"), "not a binary");
  Result<Analysis> r = AnalyzeCore(dir.Join("core"), dir.Join("bin"), CoreOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition) << r.status().message();
}

// A stand-in debugger at DIR/bin/dlv that starts a helper (writing its pid to
// DIR/helper.pid) and waits for it forever; DIR/core and DIR/bin/app are the files it reads.
std::string HangingDebugger(const ScopedTempDir& dir) {
  std::filesystem::create_directories(dir.Join("bin"));
  std::string dlv = dir.Join("bin/dlv");
  WriteFile(dlv, "#!/bin/sh\nsleep 600 &\necho $! > " + dir.Join("helper.pid") + "\nwait\n");
  chmod(dlv.c_str(), 0755);
  WriteFile(dir.Join("core"), "a core");
  WriteFile(dir.Join("bin/app"), "a binary");
  return dlv;
}

// The helper's pid once the stand-in debugger has written it (0 after 30 s).
pid_t HelperPid(const ScopedTempDir& dir) {
  for (int i = 0; i < 300; ++i) {
    std::string text = ReadFile(dir.Join("helper.pid"));
    if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

// True once `pid` is gone or a zombie (nobody may reap an orphan in a container), within 5 s.
bool GoneSoon(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z')
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(CoreReader, ADebuggerPastItsTimeoutIsStoppedWithEverythingItStarted) {
  ScopedTempDir dir;
  CoreReaderOptions opts;
  opts.run = RealRunner();
  opts.dlv = HangingDebugger(dir);
  opts.timeout_ms = 1500;
  Result<CoreDump> r = ReadCore(dir.Join("core"), dir.Join("bin/app"), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kTimeout) << r.status().message();
  EXPECT_NE(r.status().message().find("dlv core did not finish within its 1.5s limit"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("its process group was killed"), std::string::npos);
  pid_t helper = HelperPid(dir);
  ASSERT_GT(helper, 0) << "the stand-in debugger never started its helper";
  EXPECT_TRUE(GoneSoon(helper)) << "the debugger's helper " << helper << " outlived the timeout";
}

TEST(CoreReader, CancellingStopsTheDebuggerAndEverythingItStarted) {
  ScopedTempDir dir;
  CoreReaderOptions opts;
  opts.dlv = HangingDebugger(dir);
  CancelToken cancel;
  opts.run = [&cancel](const ProcessSpec& spec) {
    return test::RealEnv().processes->Run(spec, &cancel, nullptr);
  };
  pid_t helper = 0;
  std::thread canceller([&] {
    helper = HelperPid(dir);
    cancel.Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  Result<CoreDump> r = ReadCore(dir.Join("core"), dir.Join("bin/app"), opts);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  ASSERT_GT(helper, 0) << "the stand-in debugger never started its helper";
  EXPECT_TRUE(GoneSoon(helper)) << "the debugger's helper " << helper << " outlived the cancel";
}

TEST(AnalyzeCommand, CtrlCWhileReadingACoreStopsTheDebuggerAndExits130) {
  ScopedTempDir dir;
  HangingDebugger(dir);
  medic::testing::PeerProcess medic;
  const char* path = std::getenv("PATH");
  ASSERT_TRUE(medic.Start({medic::testing::MedicBinary(), "analyze", "--core", dir.Join("core"),
                           "--binary", dir.Join("bin/app")},
                          dir.Join("medic.log"),
                          {{"PATH", dir.Join("bin") + ":" + (path ? path : "/usr/bin:/bin")}}));
  pid_t helper = HelperPid(dir);
  ASSERT_GT(helper, 0) << ReadFile(dir.Join("medic.log"));
  ASSERT_EQ(kill(medic.pid(), SIGINT), 0);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 300 && done == 0; ++i) {
    done = waitpid(medic.pid(), &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(done, medic.pid()) << "medic did not stop within 30 s of SIGINT";
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 130) << ReadFile(dir.Join("medic.log"));
  EXPECT_NE(ReadFile(dir.Join("medic.log")).find("stopped during dlv core"), std::string::npos)
      << ReadFile(dir.Join("medic.log"));
  EXPECT_TRUE(GoneSoon(helper)) << "the debugger's helper " << helper << " outlived medic";
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
