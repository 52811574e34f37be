// Unit tests of the pieces under the analyzer: line reading in bounded memory, log-prefix
// stripping, frame/header parsing, package rules, and the known-signatures file. Inputs
// that are not Go output (garbage, empty, huge lines) need no real crash to be meaningful.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "integrations/golang/analyzer.h"
#include "integrations/golang/classifier.h"
#include "integrations/golang/log_lines.h"
#include "integrations/golang/trace_parser.h"

namespace medic::golang {
namespace {

Analysis Analyze(const std::string& text) {
  std::istringstream in(text);
  Result<Analysis> r = AnalyzeStream(in, AnalyzeOptions());
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : Analysis();
}

TEST(LineReader, CutsMegabyteLinesAndKeepsReadingAfterThem) {
  std::string huge(3 << 20, 'x');
  std::istringstream in("first\r\n" + huge + "\nlast");
  LineReader reader(in, 1 << 20);
  std::string_view line;
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line, "first");
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line.size(), size_t{1} << 20);
  ASSERT_TRUE(reader.Next(&line));
  EXPECT_EQ(line, "last");
  EXPECT_FALSE(reader.Next(&line));
  EXPECT_EQ(reader.cut_lines(), 1);
}

TEST(LogLineNormalizer, StripsCriKubectlGoLogAndSyslogPrefixes) {
  bool partial = false;
  EXPECT_EQ(LogLineNormalizer::StripPrefix("2026-01-02T03:04:05.123Z stderr F panic: x", &partial),
            "panic: x");
  EXPECT_FALSE(partial);
  EXPECT_EQ(LogLineNormalizer::StripPrefix("2026-01-02T03:04:05.123Z stdout P abc", &partial),
            "abc");
  EXPECT_TRUE(partial);
  EXPECT_EQ(LogLineNormalizer::StripPrefix("2026-01-02T03:04:05Z goroutine 1 [running]:", &partial),
            "goroutine 1 [running]:");
  EXPECT_EQ(
      LogLineNormalizer::StripPrefix("2026/01/02 03:04:05.123456 http: panic serving", &partial),
      "http: panic serving");
  EXPECT_EQ(
      LogLineNormalizer::StripPrefix("Jan  2 03:04:05 web1 app[812]: fatal error: x", &partial),
      "fatal error: x");
  EXPECT_EQ(LogLineNormalizer::StripPrefix("SIGQUIT: quit", &partial), "SIGQUIT: quit");
}

TEST(TraceParser, FunctionLinesKeepReceiversGenericsAndDropArguments) {
  std::string fn;
  ASSERT_TRUE(TraceParser::ParseFunctionLine("main.(*Registry).Put(...)", &fn));
  EXPECT_EQ(fn, "main.(*Registry).Put");
  ASSERT_TRUE(TraceParser::ParseFunctionLine("panic({0x45eea0, 0x47cf70})", &fn));
  EXPECT_EQ(fn, "panic");
  ASSERT_TRUE(TraceParser::ParseFunctionLine("main.Map[...](0xc000010000?, {0x1, 0x2})", &fn));
  EXPECT_EQ(fn, "main.Map[...]");
  ASSERT_TRUE(TraceParser::ParseFunctionLine("main.f(0xc000010000, 0x3, 0x3)", &fn));  // Go 1.16
  EXPECT_EQ(fn, "main.f");
  EXPECT_FALSE(TraceParser::ParseFunctionLine("exit status 2", &fn));
  EXPECT_FALSE(TraceParser::ParseFunctionLine("level=info msg=\"x (y)\"", &fn));
}

TEST(TraceParser, LocationLinesDropOffsetsAndCrashSuffixes) {
  std::string file;
  int line = 0;
  ASSERT_TRUE(TraceParser::ParseLocationLine(
      "\t/usr/lib/go/src/runtime/panic.go:987 +0x3ba fp=0xc00008aee0 sp=0xc00008ae20 pc=0x42de3a",
      &file, &line));
  EXPECT_EQ(file, "/usr/lib/go/src/runtime/panic.go");
  EXPECT_EQ(line, 987);
  ASSERT_TRUE(TraceParser::ParseLocationLine("\texample.com/app/x.go:3", &file, &line));
  EXPECT_EQ(file, "example.com/app/x.go");
  EXPECT_EQ(line, 3);
}

TEST(TraceParser, GoroutineHeadersOfEveryVersionParse) {
  Goroutine g;
  ASSERT_TRUE(TraceParser::ParseGoroutineHeader(
      "goroutine 7 [chan receive, 12 minutes, locked to thread]:", &g));
  EXPECT_EQ(g.id, 7);
  EXPECT_EQ(g.state, "chan receive");
  EXPECT_EQ(g.wait_minutes, 12);
  EXPECT_TRUE(g.locked_to_thread);
  g.Reset();
  ASSERT_TRUE(TraceParser::ParseGoroutineHeader(
      "goroutine 1 gp=0xc000002380 m=0 mp=0x5e5a60 [running]:", &g));
  EXPECT_EQ(g.id, 1);
  EXPECT_EQ(g.state, "running");
  EXPECT_FALSE(TraceParser::ParseGoroutineHeader("goroutine leak detected", &g));
}

TEST(Symbols, StandardLibraryIsDecidedByPackagePathNotFilePath) {
  EXPECT_EQ(PackageOf("net/http.(*conn).serve.func1"), "net/http");
  EXPECT_EQ(PackageOf("example.com/app/registry.(*Registry).Put"), "example.com/app/registry");
  EXPECT_EQ(PackageOf("main.main.func1"), "main");
  EXPECT_TRUE(IsStandardLibrary("runtime"));
  EXPECT_TRUE(IsStandardLibrary("internal/poll"));
  EXPECT_FALSE(IsStandardLibrary("example.com/app"));
  EXPECT_FALSE(IsStandardLibrary("main"));
  EXPECT_TRUE(IsCgoGenerated({"main._Cfunc_load", "_cgo_gotypes.go", 43}));
  EXPECT_TRUE(IsInitFunction("example.com/app/db.init.0"));
  EXPECT_TRUE(IsInitFunction("main.init"));
  EXPECT_FALSE(IsInitFunction("main.(*T).init"));
  EXPECT_FALSE(IsInitFunction("main.initialize"));
}

TEST(Analyzer, EmptyInputIsNoCrashWithAReason) {
  Analysis a = Analyze("");
  EXPECT_FALSE(a.crash_found);
  EXPECT_EQ(a.no_crash_reason, "the input is empty");
}

TEST(Analyzer, BinaryGarbageIsNoCrashAndDoesNotFail) {
  std::mt19937 rng(42);
  std::string garbage(4 << 20, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  Analysis a = Analyze(garbage);
  EXPECT_FALSE(a.crash_found);
  EXPECT_NE(a.no_crash_reason.find("no Go panic"), std::string::npos);
}

TEST(Analyzer, ApplicationLogsWithoutACrashAreNoCrash) {
  Analysis a = Analyze(
      "{\"level\":\"info\",\"msg\":\"listening on :8080\"}\n"
      "2026/01/02 03:04:05 recovered from panic in worker, continuing\n"
      "level=error msg=\"fatal error talking to db\"\n");
  EXPECT_FALSE(a.crash_found);
}

TEST(KnownSignatures, MalformedFilesAreRejectedWithTheEntryAndField) {
  EXPECT_FALSE(ParseKnownSignatures("not json", "k.json").ok());
  Result<KnownSignatures> missing =
      ParseKnownSignatures(R"({"signatures": [{"signature": "nil_map_write main.f"}]})", "k.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("k.json: signatures[0]: 'fixed_in'"),
            std::string::npos);
  Result<KnownSignatures> typo = ParseKnownSignatures(
      R"({"signatures": [{"category": "nil_map_wirte", "fixed_in": "v2"}]})", "k.json");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("nil_map_write"), std::string::npos);  // did you mean
}

TEST(KnownSignatures, EntriesMatchBySignatureOrByCategoryAndFunction) {
  Result<KnownSignatures> k = ParseKnownSignatures(
      R"({"signatures": [{"category": "concurrent_map_access", "function": "main.(*C).Set",
                          "fixed_in": "v2.0.1"},
                         {"signature": "deadlock", "fixed_in": "v3"}]})",
      "k.json");
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_NE(k->Match("x", "concurrent_map_access", "main.(*C).Set"), nullptr);
  EXPECT_EQ(k->Match("x", "concurrent_map_access", "main.(*C).Get"), nullptr);
  EXPECT_NE(k->Match("deadlock", "deadlock", ""), nullptr);
}

TEST(Classifier, EveryFatalErrorIsUnrecoverable) {
  CrashHeader h;
  h.kind = HeaderKind::kFatal;
  for (const char* m :
       {"concurrent map writes", "stack overflow", "out of memory",
        "all goroutines are asleep - deadlock!", "schedule: holding locks", "something new"}) {
    EXPECT_FALSE(Classify(h, m, nullptr, nullptr).recoverable) << m;
  }
  EXPECT_EQ(Classify(h, "something new", nullptr, nullptr).category, "other_fatal");
}

}  // namespace
}  // namespace medic::golang
