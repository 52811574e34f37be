// The analyzer on output the Go runtime really printed (tests/fixtures/go, built and run
// by go_fixtures.cc). Where a test needs a format that Go 1.19 does not print (Go 1.17
// arguments, Go 1.21+ "created by X in goroutine N", Go 1.23 "gp= m=" headers and indented
// panic values, container-runtime prefixes), it transforms real output and says so.
#include "integrations/golang/analyzer.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "integrations/golang/report.h"
#include "tests/golang/go_fixtures.h"

namespace medic::golang {
namespace {

using medic::testing::CgoFixtureAvailable;
using medic::testing::CrashOutput;
using medic::testing::GoFixturesAvailable;

#define REQUIRE_OUTPUT(name)                                             \
  if (!GoFixturesAvailable()) GTEST_SKIP() << "Go fixtures unavailable"; \
  const std::string& out = CrashOutput(name);                            \
  ASSERT_FALSE(out.empty()) << "fixture " << name << " printed nothing"

Analysis Analyze(const std::string& text, const AnalyzeOptions& opts = {}) {
  std::istringstream in(text);
  Result<Analysis> r = AnalyzeStream(in, opts);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Analysis();
}

std::string ReplaceAll(std::string s, const std::string& re, const std::string& with) {
  return std::regex_replace(s, std::regex(re), with);
}

TEST(Analyzer, NilMapWriteIsRecoverableAndPointsAtThePutFrame) {
  REQUIRE_OUTPUT("nilmap");
  Analysis a = Analyze(out);
  ASSERT_TRUE(a.crash_found);
  EXPECT_EQ(a.category, "nil_map_write");
  EXPECT_TRUE(a.recoverable);
  EXPECT_EQ(a.message, "assignment to entry in nil map");
  EXPECT_EQ(a.culprit.function, "main.(*Registry).Put");
  EXPECT_EQ(a.culprit.package, "main");
  EXPECT_NE(a.culprit.file.find("nilmap/registry.go"), std::string::npos);
  EXPECT_EQ(a.culprit.line, 3);
  EXPECT_EQ(a.goroutine_id, 1);
  EXPECT_EQ(a.goroutine_state, "running");
  EXPECT_EQ(a.phase, "main");
  EXPECT_EQ(a.occurrences, 1);
  EXPECT_EQ(a.goroutines_total, 1);
  EXPECT_EQ(a.recommendation.action, "investigate");
}

TEST(Analyzer, NilDereferenceInAGoroutineBlamesTheMethodAndSaysGoroutinePhase) {
  REQUIRE_OUTPUT("nilderef");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "nil_dereference");
  EXPECT_TRUE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.(*Server).port");
  EXPECT_EQ(a.phase, "goroutine");
  EXPECT_EQ(a.signal, "SIGSEGV: segmentation violation");
}

TEST(Analyzer, IndexAndSliceBoundsAreSeparateCategories) {
  REQUIRE_OUTPUT("index");
  Analysis index = Analyze(out);
  EXPECT_EQ(index.category, "index_out_of_range");
  EXPECT_EQ(index.culprit.function, "main.pick");
  Analysis slice = Analyze(CrashOutput("slicebounds"));
  EXPECT_EQ(slice.category, "slice_bounds");
  EXPECT_EQ(slice.culprit.function, "main.head");
  EXPECT_TRUE(slice.recoverable);
}

TEST(Analyzer, CloseOfClosedOrNilChannelAndSendOnClosedAreClosedChannel) {
  REQUIRE_OUTPUT("closedchan");
  EXPECT_EQ(Analyze(out).category, "closed_channel");
  EXPECT_EQ(Analyze(out).culprit.function, "main.(*Stream).Close");
  EXPECT_EQ(Analyze(CrashOutput("closedchan_nil")).category, "closed_channel");
  Analysis send = Analyze(CrashOutput("closedchan_send"));
  EXPECT_EQ(send.category, "closed_channel");
  EXPECT_EQ(send.culprit.function, "main.(*Stream).Send");
}

TEST(Analyzer, ConcurrentMapWritesReadsAndIterationAreFatalMapAccess) {
  REQUIRE_OUTPUT("concurrentmap");
  for (const char* name : {"concurrentmap", "concurrentmap_readwrite", "concurrentmap_iterate"}) {
    Analysis a = Analyze(CrashOutput(name));
    EXPECT_EQ(a.category, "concurrent_map_access") << name;
    EXPECT_FALSE(a.recoverable) << name;
    EXPECT_TRUE(a.has_culprit) << name;
    EXPECT_EQ(a.culprit.package, "main") << name;
    // Two threads may throw at once; that is still one crash.
    EXPECT_EQ(a.signatures.size(), 1u) << name << "\n" << CrashOutput(name);
  }
}

TEST(Analyzer, NegativeWaitGroupBlamesTheCallerOfDoneNotTheSyncPackage) {
  REQUIRE_OUTPUT("waitgroup");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "negative_waitgroup");
  EXPECT_TRUE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.finish");
}

TEST(Analyzer, UnlockOfUnlockedMutexIsFatalAndBlamesRelease) {
  REQUIRE_OUTPUT("unlock");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "unlock_of_unlocked");
  EXPECT_FALSE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.(*Counter).Release");
  EXPECT_EQ(Analyze(CrashOutput("unlock_rw")).culprit.function, "main.(*Counter).RRelease");
}

TEST(Analyzer, StackOverflowIsNotRecoverableAndBlamesTheRecursiveFunction) {
  REQUIRE_OUTPUT("stackoverflow");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "stack_overflow");
  EXPECT_FALSE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.walk");
  EXPECT_EQ(a.phase, "main");
}

TEST(Analyzer, DeadlockPointsAtTheBlockedMainGoroutine) {
  REQUIRE_OUTPUT("deadlock");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "deadlock");
  EXPECT_FALSE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.waitForever");
  EXPECT_EQ(a.goroutine_state, "chan receive");
}

TEST(Analyzer, DivideByZeroAndTypeAssertionAreRecoverable) {
  REQUIRE_OUTPUT("divzero");
  Analysis div = Analyze(out);
  EXPECT_EQ(div.category, "divide_by_zero");
  EXPECT_EQ(div.culprit.function, "main.average");
  Analysis cast = Analyze(CrashOutput("typeassert"));
  EXPECT_EQ(cast.category, "type_assertion");
  EXPECT_EQ(cast.culprit.function, "main.asInt");
  EXPECT_TRUE(cast.recoverable);
}

TEST(Analyzer, ImpossibleMakeSizesAreBadAllocationSize) {
  REQUIRE_OUTPUT("badalloc");
  Analysis slice = Analyze(out);
  EXPECT_EQ(slice.category, "bad_allocation_size");
  EXPECT_EQ(slice.culprit.function, "main.buffer");
  Analysis chan = Analyze(CrashOutput("badalloc_chan"));
  EXPECT_EQ(chan.category, "bad_allocation_size");
  EXPECT_EQ(chan.culprit.function, "main.queue");
}

TEST(Analyzer, OutOfMemoryUnderAnAddressSpaceLimitIsFatalAndRecommendsRestart) {
  REQUIRE_OUTPUT("oom");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "out_of_memory") << out.substr(0, 300);
  EXPECT_FALSE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.grow");
  EXPECT_EQ(a.recommendation.action, "restart");
}

TEST(Analyzer, CgoNullDereferenceIsACgoCrashBlamingTheGoCallerNotTheGeneratedWrapper) {
  if (!GoFixturesAvailable() || !CgoFixtureAvailable()) GTEST_SKIP() << "cgo unavailable";
  Analysis a = Analyze(CrashOutput("cgocrash"));
  EXPECT_EQ(a.category, "cgo_crash");
  EXPECT_FALSE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.loadConfig");
}

TEST(Analyzer, ThreadExhaustionIsASchedulerFatalThatRecommendsRestart) {
  REQUIRE_OUTPUT("threadlimit");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "scheduler_fatal");
  EXPECT_FALSE(a.recoverable);
  EXPECT_FALSE(a.has_culprit);  // it threw on the system stack, no goroutine was running
  EXPECT_EQ(a.recommendation.action, "restart");
}

TEST(Analyzer, ExplicitPanicWithTheProgramsOwnErrorValue) {
  REQUIRE_OUTPUT("explicit");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "explicit_panic");
  EXPECT_EQ(a.message, "raft: no quorum for term 7");
  EXPECT_EQ(a.culprit.function, "main.elect");
}

TEST(Analyzer, RecoverAndRepanicBlamesWhereTheOriginalPanicHappened) {
  REQUIRE_OUTPUT("explicit_repanic");
  Analysis a = Analyze(out);
  ASSERT_EQ(a.panic_chain.size(), 2u);
  EXPECT_EQ(a.panic_chain[0], "assignment to entry in nil map");
  EXPECT_EQ(a.panic_chain[1], "job failed: assignment to entry in nil map");
  EXPECT_EQ(a.category, "nil_map_write");
  // Not the deferred handler (main.runJob.func1) that re-panicked.
  EXPECT_EQ(a.culprit.function, "main.(*Job).tag");
}

TEST(Analyzer, PanicDuringPackageInitReportsInitPhase) {
  REQUIRE_OUTPUT("initpanic");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "index_out_of_range");
  EXPECT_EQ(a.phase, "init");
  EXPECT_EQ(a.culprit.function, "main.lookup");
}

TEST(Analyzer, TrimpathBuildTellsStandardLibraryFromUserCodeByPackage) {
  REQUIRE_OUTPUT("trimpath");
  ASSERT_NE(out.find("example.com/app/registry/registry.go"), std::string::npos) << out;
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "nil_map_write");
  EXPECT_EQ(a.culprit.function, "example.com/app/registry.(*Registry).Put");
  EXPECT_EQ(a.culprit.package, "example.com/app/registry");
  EXPECT_EQ(a.culprit.file, "example.com/app/registry/registry.go");
}

TEST(Analyzer, HttpPanicsInterleavedWithJsonLogsAreGroupedBySignature) {
  REQUIRE_OUTPUT("httppanic");
  ASSERT_NE(out.find("\"level\""), std::string::npos);  // JSON logs really are mixed in
  Analysis a = Analyze(out);
  ASSERT_TRUE(a.crash_found);
  EXPECT_EQ(a.category, "nil_map_write");
  EXPECT_TRUE(a.recoverable);
  EXPECT_EQ(a.culprit.function, "main.(*Store).Save");  // below net/http's recover frame
  EXPECT_EQ(a.phase, "goroutine");
  EXPECT_EQ(a.occurrences, 3);
  ASSERT_EQ(a.signatures.size(), 2u);
  EXPECT_EQ(a.signatures[1].category, "index_out_of_range");
  EXPECT_EQ(a.signatures[1].function, "main.itemHandler");
  EXPECT_EQ(a.signatures[1].occurrences, 1);
  EXPECT_FALSE(a.http_peer.empty());
}

TEST(Analyzer, ContainerRuntimePrefixedLogWithPartialLinesIsUnwrapped) {
  REQUIRE_OUTPUT("httppanic");
  // Real output, re-wrapped the way containerd/CRI-O write it; long lines split P/F.
  std::istringstream lines(out);
  std::string line, cri;
  while (std::getline(lines, line)) {
    if (line.size() > 40) {
      cri += "2026-01-02T03:04:05.123456789Z stderr P " + line.substr(0, 40) + "\n";
      line = line.substr(40);
    }
    cri += "2026-01-02T03:04:05.123456789Z stderr F " + line + "\n";
  }
  Analysis a = Analyze(cri);
  EXPECT_EQ(a.category, "nil_map_write");
  EXPECT_EQ(a.culprit.function, "main.(*Store).Save");
  EXPECT_EQ(a.occurrences, 3);
}

TEST(Analyzer, DockerJsonFileAndKubectlTimestampsAreUnwrapped) {
  REQUIRE_OUTPUT("nilmap");
  std::istringstream lines(out);
  std::string line, docker, kubectl;
  while (std::getline(lines, line)) {
    docker += Json({{"log", line + "\n"}, {"stream", "stderr"}, {"time", "2026-01-02T03:04:05Z"}})
                  .dump() +
              "\n";
    kubectl += "2026-01-02T03:04:05.123456789Z " + line + "\n";
  }
  EXPECT_EQ(Analyze(docker).culprit.function, "main.(*Registry).Put");
  EXPECT_EQ(Analyze(kubectl).culprit.function, "main.(*Registry).Put");
}

TEST(Analyzer, StackEmbeddedInAJsonLogRecordIsFound) {
  REQUIRE_OUTPUT("nilderef");
  std::string record = Json({{"level", "error"}, {"msg", out}}).dump();
  Analysis a = Analyze("{\"level\":\"info\",\"msg\":\"started\"}\n" + record + "\n");
  EXPECT_EQ(a.category, "nil_dereference");
  EXPECT_EQ(a.culprit.function, "main.(*Server).port");
}

TEST(Analyzer, SigquitDumpOfALeakNamesTheParkedListenerAndRecommendsRestart) {
  REQUIRE_OUTPUT("leak_sigquit");
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "external_signal");
  EXPECT_FALSE(a.recoverable);
  EXPECT_GE(a.goroutines_total, 5000);
  ASSERT_FALSE(a.leak_suspects.empty());
  EXPECT_EQ(a.leak_suspects[0].function, "main.(*Sub).listen");
  EXPECT_EQ(a.leak_suspects[0].count, 5000);
  EXPECT_EQ(a.leak_suspects[0].state, "chan receive");
  EXPECT_EQ(a.recommendation.action, "restart");
  ASSERT_FALSE(a.buckets.empty());
  EXPECT_EQ(a.buckets[0].count, 5000);
  EXPECT_LT(a.buckets_total, 20);  // memory goes with distinct stacks, not goroutines
}

TEST(Analyzer, GotracebackCrashOutputWithFpSpPcSuffixesStillBlamesPut) {
  REQUIRE_OUTPUT("nilmap_crash");
  ASSERT_NE(out.find(" fp=0x"), std::string::npos);
  Analysis a = Analyze(out);
  EXPECT_EQ(a.category, "nil_map_write");
  EXPECT_EQ(a.culprit.function, "main.(*Registry).Put");
  EXPECT_EQ(a.culprit.line, 3);
  EXPECT_GT(a.goroutines_total, 1);
}

TEST(Analyzer, Go123HeadersCreatedByInGoroutineAndIndentedValuesParse) {
  REQUIRE_OUTPUT("nilderef");
  // Real Go 1.19 output rewritten into the Go 1.21-1.23 forms.
  std::string go123 =
      ReplaceAll(out, "goroutine (\\d+) \\[", "goroutine $1 gp=0xc000007180 m=0 mp=0x5c1e40 [");
  go123 = ReplaceAll(go123, "created by main\\.main\\n", "created by main.main in goroutine 1\n");
  go123 = ReplaceAll(go123, "(panic: [^\\n]*)\\n", "$1\n\tsecond line of the value\n");
  Analysis a = Analyze(go123);
  EXPECT_EQ(a.category, "nil_dereference");
  EXPECT_EQ(a.goroutine_id, Analyze(out).goroutine_id);
  EXPECT_GT(a.goroutine_id, 1);
  EXPECT_EQ(a.culprit.function, "main.(*Server).port");
  EXPECT_EQ(a.message,
            "runtime error: invalid memory address or nil pointer dereference\n"
            "second line of the value");
  ASSERT_FALSE(a.buckets.empty());
  EXPECT_EQ(a.buckets[0].created_by.function, "main.main");
}

TEST(Analyzer, Go117ArgumentFormatsWithoutQuestionMarksParse) {
  REQUIRE_OUTPUT("waitgroup");
  // Go 1.17 prints the same frames without the '?' marks of 1.18+.
  std::string go117 = ReplaceAll(out, "\\?", "");
  ASSERT_EQ(go117.find('?'), std::string::npos);
  Analysis a = Analyze(go117);
  EXPECT_EQ(a.category, "negative_waitgroup");
  EXPECT_EQ(a.culprit.function, "main.finish");
}

TEST(Analyzer, ElidedFramesAreMarkedOnTheBucket) {
  REQUIRE_OUTPUT("stackoverflow");
  ASSERT_NE(out.find("...additional frames elided..."), std::string::npos);
  Analysis a = Analyze(out);
  bool elided_bucket = false;
  for (const Bucket& b : a.buckets) elided_bucket = elided_bucket || b.frames.size() >= 50;
  EXPECT_TRUE(elided_bucket);
}

TEST(Analyzer, TruncatedDumpStillNamesTheCrashAndSaysItWasCut) {
  REQUIRE_OUTPUT("leak_sigquit");
  Analysis a = Analyze(out.substr(0, out.size() / 2) + "main.(*Sub).li");
  EXPECT_TRUE(a.crash_found);
  EXPECT_EQ(a.category, "external_signal");
  EXPECT_TRUE(a.truncated);
  const std::string& nilmap = CrashOutput("nilmap");
  Analysis header_only = Analyze(nilmap.substr(0, nilmap.find("goroutine") + 5));
  EXPECT_TRUE(header_only.crash_found);
  EXPECT_EQ(header_only.category, "nil_map_write");
  EXPECT_FALSE(header_only.has_culprit);
}

TEST(Analyzer, GoroutineDumpWithoutAHeaderIsNoCrashButStillShowsLeaks) {
  REQUIRE_OUTPUT("leak_sigquit");
  size_t first = out.find("goroutine ");
  Analysis a = Analyze(out.substr(first));
  EXPECT_FALSE(a.crash_found);
  EXPECT_NE(a.no_crash_reason.find("goroutine stack"), std::string::npos);
  ASSERT_FALSE(a.leak_suspects.empty());
  EXPECT_EQ(a.leak_suspects[0].function, "main.(*Sub).listen");
}

TEST(Analyzer, KnownSignatureTurnsTheRecommendationIntoHotfix) {
  REQUIRE_OUTPUT("nilmap");
  AnalyzeOptions opts;
  Result<KnownSignatures> known = ParseKnownSignatures(
      R"({"signatures": [{"signature": "nil_map_write main.(*Registry).Put",
                          "fixed_in": "registry.example.com/app:1.4.3", "note": "PR 812"}]})",
      "known.json");
  ASSERT_TRUE(known.ok()) << known.status().message();
  opts.known = *known;
  Analysis a = Analyze(out, opts);
  EXPECT_EQ(a.signature, "nil_map_write main.(*Registry).Put");
  EXPECT_EQ(a.recommendation.action, "hotfix");
  EXPECT_EQ(a.recommendation.fixed_in, "registry.example.com/app:1.4.3");
  // The same file does not match another crash.
  EXPECT_EQ(Analyze(CrashOutput("index"), opts).recommendation.action, "investigate");
}

TEST(Analyzer, JsonReportHasTheDocumentedFields) {
  REQUIRE_OUTPUT("nilmap");
  Json j = AnalysisToJson(Analyze(out));
  for (const char* key : {"category", "recoverable", "message", "culprit", "goroutine", "phase",
                          "occurrences", "panic_chain", "goroutines_total", "buckets",
                          "leak_suspects", "recommendation", "signatures"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["culprit"]["function"], "main.(*Registry).Put");
  EXPECT_EQ(j["goroutine"]["id"], 1);
  EXPECT_EQ(j["buckets"][0]["frames"][0]["function"], "main.(*Registry).Put");
  std::string text = AnalysisToText(Analyze(out), false);
  EXPECT_NE(text.find("nil_map_write"), std::string::npos);
  EXPECT_NE(text.find("main.(*Registry).Put"), std::string::npos);
}

}  // namespace
}  // namespace medic::golang
