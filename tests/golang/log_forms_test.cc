// The analyzer on crash text in the forms production hands it over: real crash output of
// tests/fixtures/go carried through log pipelines by the real tools where this machine has
// them (logger, kubectl logs --timestamps against the kube-api peer, date under a
// localedef-made locale, fold, expand, unix2dos, cat -v, sed, head) and, where it does not
// (containerd, dockerd, docker compose, BuildKit, logcat, GitHub Actions, old Go
// releases, Windows), rewritten the way those write it, as each test says. Every test
// asserts category, recoverable and culprit.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "base/json.h"
#include "integrations/golang/analyzer.h"
#include "tests/golang/go_fixtures.h"
#include "tests/support/kube_peer.h"
#include "tests/support/test_support.h"

namespace medic::golang {
namespace {

using medic::testing::CrashOutput;
using medic::testing::GoFixturesAvailable;
using medic::testing::HaveTool;
using medic::testing::RunCommand;

#define REQUIRE_OUTPUT(name)                                             \
  if (!GoFixturesAvailable()) GTEST_SKIP() << "Go fixtures unavailable"; \
  const std::string& out = CrashOutput(name);                            \
  ASSERT_FALSE(out.empty()) << "fixture " << name << " printed nothing"

#define REQUIRE_TOOL(tool) \
  if (!HaveTool(tool)) GTEST_SKIP() << tool << " is not installed"

Analysis Analyze(const std::string& text) {
  std::istringstream in(text);
  Result<Analysis> r = AnalyzeStream(in, AnalyzeOptions());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Analysis();
}

// The three answers every form must get right.
void ExpectCrash(const std::string& text, const std::string& category, bool recoverable,
                 const std::string& culprit) {
  Analysis a = Analyze(text);
  ASSERT_TRUE(a.crash_found) << a.no_crash_reason << "\n" << text.substr(0, 3000);
  EXPECT_EQ(a.category, category) << text.substr(0, 3000);
  EXPECT_EQ(a.recoverable, recoverable);
  EXPECT_EQ(a.culprit.function, culprit) << text.substr(0, 3000);
}

// Runs a filter tool over `input`; its stdout.
std::string Pipe(const std::vector<std::string>& argv, const std::string& input) {
  medic::testing::CommandResult r = RunCommand(argv, input);
  EXPECT_EQ(r.exit_code, 0) << argv[0] << ": " << r.err;
  return r.out;
}

// Applies `f` to every line (without its newline).
template <typename F>
std::string EachLine(const std::string& text, F f) {
  std::istringstream lines(text);
  std::string line, out;
  for (int i = 0; std::getline(lines, line); ++i) out += f(line, i);
  return out;
}

std::string Replace(const std::string& s, const std::string& re, const std::string& with) {
  return std::regex_replace(s, std::regex(re), with);
}

// ---------------------------------------------------------------- line prefixes

TEST(LogForms, JournaldShortPreciseWithALocalizedMonthIsLearnedFromTheHeader) {
  REQUIRE_OUTPUT("nilderef");
  // journalctl -o short-precise formats the month with the locale's strftime; `date`
  // under a de_DE locale made by localedef prints it the same way ("Mär").
  std::string month = "Mär";
  medic::testing::ScopedTempDir dir;
  if (HaveTool("localedef") &&
      RunCommand({"localedef", "-i", "de_DE", "-f", "UTF-8", dir.Join("de_DE.UTF-8")}).exit_code ==
          0) {
    medic::testing::CommandResult d =
        RunCommand({"date", "-d", "2026-03-05", "+%b"}, "",
                   {{"LOCPATH", dir.path()}, {"LC_ALL", "de_DE.UTF-8"}});
    if (d.exit_code == 0 && d.out.size() > 1) month = d.out.substr(0, d.out.size() - 1);
  }
  std::string log = EachLine(out, [&](const std::string& line, int i) {
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%s 05 06:09:05.%06d node-1 kubelet[1874]: ", month.c_str(),
                  842397 + i * 13);
    return stamp + line + "\n";
  });
  ExpectCrash("-- Boot 4d2c --\n" + log, "nil_dereference", true, "main.(*Server).port");
}

TEST(LogForms, SyslogLinesWrittenByLoggerAndRsyslogsEscapedTabsAreStripped) {
  REQUIRE_OUTPUT("index");
  REQUIRE_TOOL("logger");
  // logger formats each line as a syslog message; the daemon writes it without <PRI>.
  medic::testing::CommandResult r = RunCommand(
      {"logger", "--socket-errors=off", "--no-act", "--stderr", "--rfc3164", "-t", "app", "-i"},
      out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string syslog = Replace(r.err, "(^|\n)<\\d+>", "$1");
  ASSERT_NE(syslog.find(" app["), std::string::npos) << syslog;
  ExpectCrash(syslog, "index_out_of_range", true, "main.pick");
  // rsyslog escapes control characters: a tab becomes "#011".
  ExpectCrash(Replace(syslog, "\t", "#011"), "index_out_of_range", true, "main.pick");
  // A copy that started in the middle of the header's prefix.
  size_t cut = syslog.find("]: panic: ");
  ASSERT_NE(cut, std::string::npos);
  ExpectCrash(syslog.substr(cut), "index_out_of_range", true, "main.pick");
}

TEST(LogForms, KubectlLogsTimestampsFromTheApiServer) {
  REQUIRE_OUTPUT("waitgroup");
  REQUIRE_TOOL("kubectl");
  medic::testing::ScopedTempDir dir;
  medic::testing::KubePeer peer;
  nlohmann::json pod = medic::testing::CheckoutPod("checkout-abc", 1);
  nlohmann::json seed = {
      {"pods", {pod}},
      {"logs", {{"shop/checkout-abc/app", {{"current", "ok\n"}, {"previous", out}}}}}};
  std::string err = peer.Start(dir.path(), seed);
  if (!err.empty()) GTEST_SKIP() << err;
  medic::testing::CommandResult r =
      RunCommand({"kubectl", "logs", "checkout-abc", "-c", "app", "--previous", "--timestamps"}, "",
                 {{"KUBECONFIG", peer.kubeconfig()}, {"HOME", dir.path()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_NE(r.out.find("Z panic: sync: negative WaitGroup counter"), std::string::npos) << r.out;
  ExpectCrash(r.out, "negative_waitgroup", true, "main.finish");
}

// containerd and CRI-O write "<RFC 3339 nano> <stream> <P|F> <text>" and cut lines longer
// than 16 KiB into "P" records; dockerd's json-file cuts them into records without "\n".
TEST(LogForms, ContainerRuntimeRecordsCutAt16KiBAreJoined) {
  REQUIRE_OUTPUT("explicit_long");
  constexpr size_t kMax = 16 * 1024;
  std::string cri, docker;
  EachLine(out, [&](const std::string& line, int i) {
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "2026-12-07T11:20:05.%dZ", 12345 + i * 1000);  // trimmed
    for (size_t at = 0; at < line.size() || at == 0; at += kMax) {
      bool last = at + kMax >= line.size();
      std::string piece = line.substr(at, kMax);
      cri += std::string(stamp) + " stderr " + (last ? "F " : "P ") + piece + "\n";
      docker += Json({{"log", piece + (last ? "\n" : "")}, {"stream", "stderr"}, {"time", stamp}})
                    .dump() +
                "\n";
      if (last) break;
    }
    return std::string();
  });
  ASSERT_NE(cri.find(" stderr P "), std::string::npos);
  ExpectCrash(cri, "explicit_panic", true, "main.callUpstream");
  ExpectCrash(docker, "explicit_panic", true, "main.callUpstream");
}

TEST(LogForms, DockerComposeServicePrefix) {
  REQUIRE_OUTPUT("typeassert");
  // docker compose v2: fmt.Sprintf("%-*s | ", width, service) per line.
  std::string log = "db-1   | ready for connections\n" +
                    EachLine(out, [](const std::string& l, int) { return "api-1  | " + l + "\n"; });
  ExpectCrash(log, "type_assertion", true, "main.asInt");
}

TEST(LogForms, GithubActionsBuildkitAndLogcatPrefixes) {
  REQUIRE_OUTPUT("divzero");
  std::string actions = EachLine(out, [](const std::string& l, int i) {
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "2026-12-07T11:20:05.%07dZ ", 1234567 + i);
    return stamp + l + "\n";
  });
  ExpectCrash(actions, "divide_by_zero", true, "main.average");
  const std::string& slice = CrashOutput("slicebounds");
  std::string buildkit = "#12 [build 4/6] RUN go run ./cmd/migrate\n" +
                         EachLine(slice, [](const std::string& l, int i) {
                           return "#12 " + std::to_string(3 + i / 10) + "." +
                                  std::to_string(100 + i * 7) + " " + l + "\n";
                         });
  ExpectCrash(buildkit, "slice_bounds", true, "main.head");
  const std::string& unlock = CrashOutput("unlock");
  std::string logcat = EachLine(unlock, [](const std::string& l, int i) {
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "12-07 11:20:05.%03d  4242  %d E GoLog   : ", 100 + i,
                  4260 + i % 3);
    return stamp + l + "\n";
  });
  ExpectCrash(logcat, "unlock_of_unlocked", false, "main.(*Counter).Release");
}

// ---------------------------------------------------------------- structured loggers

TEST(LogForms, KlogObservedAPanicStructuredRecordWithItsStacktraceBlock) {
  REQUIRE_OUTPUT("klog_structured");
  ASSERT_NE(out.find("\"Observed a panic\" panic="), std::string::npos);
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "nil_dereference");
  EXPECT_TRUE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.(*Reconciler).desired");
  EXPECT_EQ(a.occurrences, 1);  // the record and the runtime's re-panic are one crash
  // As pasted into an issue: tabs turned into spaces, cut after the runtime's header.
  std::string pasted = Pipe({"expand"}, out.substr(0, out.find("goroutine", out.find(" >"))));
  ExpectCrash(pasted, "nil_dereference", true, "main.(*Reconciler).desired");
}

TEST(LogForms, KlogClassicRecordFollowedByTheGoroutineStack) {
  REQUIRE_OUTPUT("klog_classic");
  std::string record = out.substr(0, out.find("\npanic: ") + 1);
  ExpectCrash(record, "nil_dereference", true, "main.(*Reconciler).desired");
  ExpectCrash(out, "nil_dereference", true, "main.(*Reconciler).desired");
}

TEST(LogForms, KlogCallerListOfFileLinesNamesFileAndLine) {
  REQUIRE_OUTPUT("klog_callers");
  std::string record = out.substr(0, out.find("\npanic: ") + 1);
  Analysis a = Analyze(record);
  ASSERT_TRUE(a.crash_found);
  EXPECT_EQ(a.category, "nil_dereference");
  EXPECT_TRUE(a.recoverable);
  ASSERT_TRUE(a.has_culprit);
  EXPECT_EQ(a.culprit.function, "");
  EXPECT_NE(a.culprit.file.find("klogpanic/main.go"), std::string::npos) << a.culprit.file;
  EXPECT_EQ(a.culprit.line, 16);
  // With the runtime's own trace after it, the function is known.
  ExpectCrash(out, "nil_dereference", true, "main.(*Reconciler).desired");
}

TEST(LogForms, JsonRecordsOfHclogLogrusAndZapCarryingOneLineEach) {
  REQUIRE_OUTPUT("jsonlog_hclog");
  for (const char* name : {"jsonlog_hclog", "jsonlog_logrus", "jsonlog_zap"}) {
    SCOPED_TRACE(name);
    ExpectCrash(CrashOutput(name), "type_assertion", true,
                "example.com/fixtures/jsonlog/provider.(*Provider).Read");
  }
}

TEST(LogForms, LogfmtRecordsAndLogfmtNoiseBetweenTraceLines) {
  REQUIRE_OUTPUT("jsonlog_logfmt");
  ExpectCrash(out, "type_assertion", true,
              "example.com/fixtures/jsonlog/provider.(*Provider).Read");
  const std::string& noise = CrashOutput("jsonlog_noise");
  ASSERT_NE(noise.find("level=info msg=\"waiting for plugin\""), std::string::npos);
  ExpectCrash(noise, "type_assertion", true,
              "example.com/fixtures/jsonlog/provider.(*Provider).Read");
}

TEST(LogForms, GoTestOutputAndATestifyStyleTestPanickedReport) {
  REQUIRE_OUTPUT("gotest");
  ExpectCrash(out, "nil_map_write", true, "example.com/fixtures/gotest.(*LRU).Put");
  const std::string& suite = CrashOutput("gotest_suite");
  ASSERT_NE(suite.find("test panicked: "), std::string::npos) << suite;
  ExpectCrash(suite, "nil_map_write", true, "example.com/fixtures/gotest.(*LRU).Put");
}

// ---------------------------------------------------------------- whitespace damage

TEST(LogForms, FixedIndentationCrlfAndCaretM) {
  REQUIRE_OUTPUT("closedchan");
  ExpectCrash(Pipe({"sed", "s/^/    /"}, out), "closed_channel", true, "main.(*Stream).Close");
  REQUIRE_TOOL("unix2dos");
  std::string crlf = Pipe({"unix2dos"}, out);
  ASSERT_NE(crlf.find("\r\n"), std::string::npos);
  ExpectCrash(crlf, "closed_channel", true, "main.(*Stream).Close");
  std::string caret = Pipe({"cat", "-v"}, crlf);
  ASSERT_NE(caret.find("^M\n"), std::string::npos);
  ExpectCrash(caret, "closed_channel", true, "main.(*Stream).Close");
}

TEST(LogForms, TabsTurnedIntoSpacesWithAnIndentedRepanic) {
  REQUIRE_OUTPUT("explicit_repanic");
  std::string spaces = Pipe({"expand"}, out);
  ASSERT_EQ(spaces.find('\t'), std::string::npos);
  Analysis a = Analyze(spaces);
  ASSERT_EQ(a.panic_chain.size(), 2u);
  EXPECT_EQ(a.category, "nil_map_write");
  EXPECT_TRUE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.(*Job).tag");
}

TEST(LogForms, LinesFoldedByATerminalAreJoinedAgain) {
  REQUIRE_OUTPUT("klog_structured");
  REQUIRE_TOOL("fold");
  std::string runtime_part = out.substr(out.find("\npanic: ") + 1);
  // fold -w 40 cuts function lines inside their arguments and locations inside the path,
  // the line number and the +0x offset.
  std::string folded = Pipe({"fold", "-w", "40"}, runtime_part);
  ASSERT_GT(std::count(folded.begin(), folded.end(), '\n'),
            std::count(runtime_part.begin(), runtime_part.end(), '\n'));
  ExpectCrash(folded, "nil_dereference", true, "main.(*Reconciler).desired");
  Analysis a = Analyze(folded);
  EXPECT_EQ(a.culprit.line, Analyze(runtime_part).culprit.line);
}

TEST(LogForms, BlankLinesBetweenFrames) {
  REQUIRE_OUTPUT("nilmap");
  ExpectCrash(Pipe({"sed", "G"}, out), "nil_map_write", true, "main.(*Registry).Put");
}

// ---------------------------------------------------------------- old and odd Go formats

TEST(LogForms, Go14FormatWithRuntimePanicSignalNumbersAndFuncClosures) {
  REQUIRE_OUTPUT("klog_structured");
  // Real Go 1.19 output rewritten into what Go 1.2-1.4 printed: runtime.panic in panic.c,
  // "[signal 0xb ...]", closures named func·NNN, explicit hexadecimal arguments.
  std::string runtime_part = out.substr(out.find("\npanic: ") + 1);
  std::string go14 =
      Replace(runtime_part, "\\[signal SIGSEGV: segmentation violation ", "[signal 0xb ");
  go14 = Replace(
      go14, "panic\\(\\{0x[0-9a-f]+, 0x[0-9a-f]+\\}\\)\n\t[^\n]*",
      "runtime.panic(0x4b5e20, 0x6a4f37)\n\t/usr/local/go/src/pkg/runtime/panic.c:266 +0xb6");
  go14 = Replace(go14, "main\\.main\\.func1\\(\\)", "main.func·001()");
  go14 = Replace(go14, "\\(\\.\\.\\.\\)", "(0xc208030000)");
  ASSERT_NE(go14.find("runtime.panic("), std::string::npos) << go14;
  Analysis a = Analyze(go14);
  EXPECT_EQ(a.signal, "SIGSEGV: segmentation violation");
  ExpectCrash(go14, "nil_dereference", true, "main.(*Reconciler).desired");
  // Go 1.2-1.4 called a send on a closed channel a runtime error.
  std::string send = Replace(CrashOutput("closedchan_send"), "panic: send on closed channel",
                             "panic: runtime error: send on closed channel");
  ExpectCrash(send, "closed_channel", true, "main.(*Stream).Send");
}

TEST(LogForms, FramesPrintedAsFileAndLineOnlyAfterAGoroutineHeader) {
  REQUIRE_OUTPUT("nilmap");
  // Only the locations kept, as klog prints a stack: the culprit is a file and a line.
  std::string only = Pipe({"sed", "/^goroutine /b; /^[^\t]/{/^panic: /!d}"}, out);
  Analysis a = Analyze(only);
  ASSERT_TRUE(a.crash_found) << only;
  EXPECT_EQ(a.category, "nil_map_write");
  EXPECT_TRUE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "");
  EXPECT_NE(a.culprit.file.find("nilmap/registry.go"), std::string::npos) << only;
  EXPECT_EQ(a.culprit.line, 3);
}

TEST(LogForms, WindowsPathsModuleCacheAndDwrapFrames) {
  REQUIRE_OUTPUT("trimpath");
  // Rewritten as a Windows build and a module-cache build print it.
  std::string win = Replace(CrashOutput("nilmap"), "\t/[^\n]*/nilmap/", "\tC:/Users/ci/app/");
  ExpectCrash(win, "nil_map_write", true, "main.(*Registry).Put");
  std::string backslash = Replace(CrashOutput("nilmap"), "\t/[^\n]*/nilmap/", "\tD:\\a\\app\\");
  ExpectCrash(backslash, "nil_map_write", true, "main.(*Registry).Put");
  std::string modcache = Replace(out, "\texample\\.com/app/registry/",
                                 "\t/usr/pkg/mod/example.com/app@v1.4.2/registry/");
  ExpectCrash(modcache, "nil_map_write", true, "example.com/app/registry.(*Registry).Put");
  // Go 1.17-1.20 wrap deferred and go'd calls in main.main·dwrap·N.
  std::string dwrap =
      Replace(CrashOutput("nilderef"), "main\\.main\\.func1\\(\\)", "main.main·dwrap·1()");
  ExpectCrash(dwrap, "nil_dereference", true, "main.(*Server).port");
}

TEST(LogForms, GopathBuildsVendoredAndOutsideGopath) {
  REQUIRE_OUTPUT("legacy");
  // A vendored library is not the standard library: it is the culprit.
  ExpectCrash(out, "nil_map_write", true,
              "example.com/legacy/vendor/github.com/acme/store.(*Bucket).Put");
  const std::string& outside = CrashOutput("outside");
  ASSERT_NE(outside.find("_/"), std::string::npos) << outside;
  Analysis a = Analyze(outside);
  EXPECT_EQ(a.category, "index_out_of_range");
  EXPECT_NE(a.culprit.function.find("_outside/lib.Field"), std::string::npos) << outside;
}

// ---------------------------------------------------------------- truncated

TEST(LogForms, TracesCutShortSayTruncatedAndStillNameCategoryAndCulprit) {
  REQUIRE_OUTPUT("httppanic");
  REQUIRE_TOOL("head");
  // An excerpt: the header and the first frames of the crashing goroutine.
  const std::string& nilderef = CrashOutput("nilderef");
  std::string excerpt = Pipe({"head", "-n", "6"}, nilderef);
  Analysis a = Analyze(excerpt);
  EXPECT_TRUE(a.truncated) << excerpt;
  ExpectCrash(excerpt, "nil_dereference", true, "main.(*Server).port");
  // A log line limit: cut in the middle of a line.
  size_t cut = out.find("main.(*Store).Save") + 40;
  std::string limited = Pipe({"head", "-c", std::to_string(cut)}, out);
  Analysis b = Analyze(limited);
  EXPECT_TRUE(b.truncated);
  ExpectCrash(limited, "nil_map_write", true, "main.(*Store).Save");
}

}  // namespace
}  // namespace medic::golang
