#include <gtest/gtest.h>

#include <cstdlib>

#include "base/duration.h"
#include "base/escape.h"
#include "base/redact.h"
#include "base/strings.h"

namespace medic {
namespace {

TEST(Duration, ParsesTheUnitsPlaybooksUse) {
  EXPECT_EQ(*ParseDurationMs("250ms"), 250);
  EXPECT_EQ(*ParseDurationMs("10s"), 10'000);
  EXPECT_EQ(*ParseDurationMs("1m30s"), 90'000);
  EXPECT_EQ(*ParseDurationMs("2h"), 7'200'000);
  EXPECT_EQ(*ParseDurationMs("1.5s"), 1'500);
  EXPECT_EQ(*ParseDurationMs("3"), 3'000);
}

TEST(Duration, RejectsUnknownUnitsWithAHint) {
  auto d = ParseDurationMs("10 parsecs");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("10s"), std::string::npos);
  EXPECT_FALSE(ParseDurationMs("").ok());
  EXPECT_FALSE(ParseDurationMs("s").ok());
}

// Text a fuzzer found: std::stod threw on a lone "." and on numbers past double's range.
TEST(Duration, RefusesNumbersThatAreNotOnesWithoutThrowing) {
  for (const char* text : {".", "..s", "1.2.3s", "5m.", ".ms", "1e5s"})
    EXPECT_FALSE(ParseDurationMs(text).ok()) << text;
  std::string huge(400, '9');
  EXPECT_FALSE(ParseDurationMs(huge + "s").ok());
  EXPECT_FALSE(ParseDurationMs("999999999999999999h").ok()) << "does not fit in int64 ms";
  EXPECT_EQ(*ParseDurationMs(".5s"), 500);
  EXPECT_FALSE(ParseSizeBytes(".").ok());
  EXPECT_FALSE(ParseSizeBytes(huge).ok());
  EXPECT_FALSE(ParseSizeBytes("99999999999GiB").ok());
}

TEST(Strings, ParsesWholeNumbersOnly) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-7"), -7);
  for (const char* text : {"", "-", "--5", "5-3", " 5", "5 ", "0x10", "99999999999999999999"})
    EXPECT_FALSE(ParseInt64(text).has_value()) << "'" << text << "'";
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble("-2e3"), -2000);
  EXPECT_EQ(ParseDouble(".5"), 0.5);
  for (const char* text : {"", ".", "1e999", "inf", "nan", "1.5x", " 1"})
    EXPECT_FALSE(ParseDouble(text).has_value()) << "'" << text << "'";
}

TEST(Size, ParsesBinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseSizeBytes("1MiB"), 1 << 20);
  EXPECT_EQ(*ParseSizeBytes("64KiB"), 64 << 10);
  EXPECT_EQ(*ParseSizeBytes("10MB"), 10'000'000);
  EXPECT_EQ(*ParseSizeBytes("1024"), 1024);
  EXPECT_FALSE(ParseSizeBytes("lots").ok());
}

TEST(Strings, SuggestsTheClosestNameForATypo) {
  std::vector<std::string> actions = {"exec", "sleep", "http.request", "process.gcore"};
  EXPECT_EQ(Suggest("exce", actions), "exec");
  EXPECT_EQ(Suggest("gcore", actions), "process.gcore");
  EXPECT_EQ(Suggest("http.reqest", actions), "http.request");
  EXPECT_EQ(Suggest("kubernetes", actions), "");
  EXPECT_EQ(DidYouMean("slep", actions), " (did you mean 'sleep'?)");
}

TEST(Strings, FitToWidthCountsColumnsNotBytesOrColorCodes) {
  EXPECT_EQ(FitToWidth("short", 10), "short");
  EXPECT_EQ(FitToWidth("exactly10!", 10), "exactly10!");
  EXPECT_EQ(FitToWidth("eleven cols", 10), "eleven co…");
  EXPECT_EQ(FitToWidth("  ⠦ step 4.6s", 8), "  ⠦ ste…") << "the spinner is one column";
  EXPECT_EQ(FitToWidth("\033[36m⠦\033[0m flaky_probe", 6), "\033[36m⠦\033[0m fla…");
  EXPECT_EQ(FitToWidth("\033[33mOVER budget\033[0m", 5), "\033[33mOVER…\033[0m")
      << "a cut inside color ends it";
  EXPECT_EQ(FitToWidth("anything", 0), "anything");
}

TEST(Strings, FormatsAndParsesRfc3339TimesInUtc) {
  EXPECT_EQ(FormatTimeUtc(0), "1970-01-01T00:00:00.000Z");
  int64_t ms = 0;
  ASSERT_TRUE(ParseTimeRfc3339("2026-01-02T03:04:05.123Z", &ms));
  EXPECT_EQ(FormatTimeUtc(ms), "2026-01-02T03:04:05.123Z");
  ASSERT_TRUE(ParseTimeRfc3339("2026-01-02T05:04:05+02:00", &ms));
  EXPECT_EQ(FormatTimeUtc(ms), "2026-01-02T03:04:05.000Z");
  EXPECT_FALSE(ParseTimeRfc3339("yesterday", &ms));
}

TEST(Strings, ParsesRfc3339AcrossTheCalendarAndRefusesWhatIsNotATime) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseTimeRfc3339(" 2024-02-29T23:59:59.5-01:30 ", &ms));
  EXPECT_EQ(FormatTimeUtc(ms), "2024-03-01T01:29:59.500Z");
  ASSERT_TRUE(ParseTimeRfc3339("1969-12-31T23:59:59Z", &ms));
  EXPECT_EQ(ms, -1000);
  ASSERT_TRUE(ParseTimeRfc3339("0001-01-01T00:00:00Z", &ms));  // Alertmanager's "no time"
  EXPECT_LT(ms, 0);
  ASSERT_TRUE(ParseTimeRfc3339("2100-03-01T00:00:00.123456z", &ms));
  EXPECT_EQ(FormatTimeUtc(ms), "2100-03-01T00:00:00.123Z");
  for (const char* bad :
       {"2026-13-01T00:00:00Z", "2026-1-2T03:04:05Z", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05",
        "2026-01-02T03:04:05+0200", "2026-01-02T03:04:05.Z", "+2026-01-02T03:04:05Z",
        "2026-01-02T03:04:05Zjunk", ""})
    EXPECT_FALSE(ParseTimeRfc3339(bad, &ms)) << bad;
}

TEST(Strings, QuotesArgvForDisplay) {
  EXPECT_EQ(QuoteArgv({"kubectl", "-n", "prod", "delete", "pod", "api-1"}),
            "kubectl -n prod delete pod api-1");
  EXPECT_EQ(QuoteArgv({"sh", "-c", "echo it's"}), "sh -c 'echo it'\\''s'");
}

TEST(Redact, ReplacesRegisteredSecretsAndCredentialShapes) {
  RegisterSecret("s3cr3t-value-123");
  EXPECT_EQ(Redact("token is s3cr3t-value-123 here"), "token is [REDACTED] here");
  EXPECT_EQ(Redact("Authorization: Bearer abcdefghijkl"), "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(Redact("https://user:pa55word@example.com/x"), "https://[REDACTED]@example.com/x");
  EXPECT_EQ(Redact("--password=hunter22 next"), "--password=[REDACTED] next");
  EXPECT_EQ(Redact("plain text stays"), "plain text stays");
}

TEST(Redact, RegistersSecretLookingEnvironmentVariables) {
  setenv("MEDIC_TEST_API_TOKEN", "tok-very-secret-9", 1);
  setenv("MEDIC_TEST_SERVICE", "checkout", 1);
  RegisterSecretsFromEnvironment();
  EXPECT_EQ(Redact("x tok-very-secret-9 y"), "x [REDACTED] y");
  EXPECT_EQ(Redact("checkout"), "checkout");
}

TEST(Redact, RedactsSecretKeysInJsonButNotDedupKeys) {
  Json in = {{"api_token", "abc123456"},
             {"dedup_key", "prod/api"},
             {"nested", {{"password", "p4ssw0rd!"}}}};
  Json out = RedactJson(in);
  EXPECT_EQ(out["api_token"], "[REDACTED]");
  EXPECT_EQ(out["dedup_key"], "prod/api");
  EXPECT_EQ(out["nested"]["password"], "[REDACTED]");
}

TEST(Escape, ValidUtf8ReplacesWhatIsNotUtf8AndTheControlsItIsToldTo) {
  const std::string kBad = "\xEF\xBF\xBD";
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xF0\x9F\x94\xA5"), "caf\xC3\xA9 \xF0\x9F\x94\xA5");
  EXPECT_EQ(ValidUtf8("caf\xE9!"), "caf" + kBad + "!");           // Latin-1
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), kBad + kBad);                  // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), kBad + kBad + kBad);      // a surrogate
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), kBad + kBad + kBad + kBad);  // past U+10FFFF
  EXPECT_EQ(ValidUtf8("ab\xE2\x82"), "ab" + kBad + kBad);         // cut short
  std::string nul("a\0b\tc", 5);
  EXPECT_EQ(ValidUtf8(nul), nul);
  EXPECT_EQ(ValidUtf8(nul, [](char c) { return c != '\0'; }), "a" + kBad + "b\tc");
  EXPECT_EQ(ValidUtf8(nul, [](char c) { return c == '\n'; }), "a" + kBad + "b" + kBad + "c");
}

}  // namespace
}  // namespace medic
