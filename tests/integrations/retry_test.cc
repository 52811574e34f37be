// The retry core on its own: attempts, backoff, the deadline, cancellation and the
// "(after N attempts)" note, with attempts that are plain functions (no peer needed).
#include "base/retry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace medic {
namespace {

using Attempt = std::function<Result<int>(int)>;
using Decide = std::function<RetryDecision(const Result<int>&)>;
using OnWait = std::function<void(int, const Result<int>&, int64_t)>;

const RetryPolicy kQuick{.max_retries = 2, .base_delay_ms = 0, .max_delay_ms = 0};

Decide AgainOnFailure() {
  return [](const Result<int>& r) {
    return RetryDecision{.again = !r.ok() && IsRetryableFailure(r.status())};
  };
}

TEST(Retry, StopsAtTheFirstResultNotWorthAnotherTry) {
  int attempts = 0;
  Result<int> r = Retry<int>(
      kQuick, {}, "op", [](int n) { return Result<int>(n * 10); }, AgainOnFailure(), nullptr,
      &attempts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 10);
  EXPECT_EQ(attempts, 1);
}

TEST(Retry, TriesAgainUntilAnAttemptSucceeds) {
  int attempts = 0;
  Attempt flaky = [](int n) -> Result<int> {
    if (n < 3) return Status::Unavailable("refused");
    return n;
  };
  Result<int> r = Retry<int>(kQuick, {}, "op", flaky, AgainOnFailure(), nullptr, &attempts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 3);
  EXPECT_EQ(attempts, 3);
}

TEST(Retry, GivesUpAfterThePolicysAttemptsKeepingTheCodeAndSayingHowMany) {
  int attempts = 0;
  Result<int> r = Retry<int>(
      kQuick, {}, "op", [](int) -> Result<int> { return Status::Timeout("GET x: no answer"); },
      AgainOnFailure(), nullptr, &attempts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kTimeout);
  EXPECT_EQ(r.status().message(), "GET x: no answer (after 3 attempts)");
  EXPECT_EQ(attempts, 3);
}

TEST(Retry, AFailureThatIsNotRetryableIsReturnedAsIsAfterOneAttempt) {
  int attempts = 0;
  Result<int> r = Retry<int>(
      kQuick, {}, "op", [](int) -> Result<int> { return Status::Invalid("bad URL"); },
      AgainOnFailure(), nullptr, &attempts);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "bad URL");
  EXPECT_EQ(attempts, 1);
}

TEST(Retry, ThePeersRequestedWaitWinsOverTheBackoffAndIsAnnounced) {
  std::vector<int64_t> waits;
  OnWait note = [&](int, const Result<int>&, int64_t wait) { waits.push_back(wait); };
  Decide ask = [](const Result<int>& r) { return RetryDecision{.again = !r.ok(), .wait_ms = 2}; };
  RetryPolicy slow{.max_retries = 1, .base_delay_ms = 60'000, .max_delay_ms = 60'000};
  Result<int> r = Retry<int>(
      slow, {}, "op",
      [](int n) -> Result<int> {
        if (n == 1) return Status::Unavailable("x");
        return n;
      },
      ask, note);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(waits, std::vector<int64_t>{2});
}

TEST(Retry, NothingIsAttemptedOnceTheDeadlineHasPassed) {
  int calls = 0;
  RetryLimits limits{.remaining_ms = [] { return int64_t{0}; }};
  Result<int> r = Retry<int>(
      kQuick, limits, "POST http://x", [&](int) -> Result<int> { return ++calls; },
      AgainOnFailure(), nullptr);
  EXPECT_EQ(r.status().code(), Code::kTimeout);
  EXPECT_EQ(r.status().message(), "POST http://x: the step's time ran out before it could be sent");
  EXPECT_EQ(calls, 0);
}

TEST(Retry, NoWaitStartsThatWouldEndAtTheDeadline) {
  int attempts = 0;
  RetryLimits limits{.remaining_ms = [] { return kDeadlineMarginMs; }};
  Result<int> r = Retry<int>(
      kQuick, limits, "op", [](int) -> Result<int> { return Status::Unavailable("refused"); },
      AgainOnFailure(), nullptr, &attempts);
  EXPECT_EQ(r.status().message(), "refused");
  EXPECT_EQ(attempts, 1);
}

TEST(Retry, CancellingWakesTheWaitAndEndsTheLoop) {
  CancelToken cancel;
  RetryPolicy slow{.max_retries = 5, .base_delay_ms = 600'000, .max_delay_ms = 600'000};
  OnWait cancel_now = [&](int, const Result<int>&, int64_t) { cancel.Cancel(); };
  int attempts = 0;
  Result<int> r = Retry<int>(
      slow, RetryLimits{.cancel = &cancel}, "GET http://x",
      [](int) -> Result<int> { return Status::Unavailable("refused"); }, AgainOnFailure(),
      cancel_now, &attempts);
  EXPECT_EQ(r.status().code(), Code::kCancelled);
  EXPECT_EQ(r.status().message(), "GET http://x: cancelled while waiting to retry");
  EXPECT_EQ(attempts, 1);
}

TEST(Backoff, DoublesFromTheBaseUpToTheCapWithHalfOfEachWaitRandom) {
  Backoff backoff(RetryPolicy{.max_retries = 9, .base_delay_ms = 100, .max_delay_ms = 300});
  std::vector<std::pair<int64_t, int64_t>> bounds = {{50, 100}, {100, 200}, {150, 300}, {150, 300}};
  for (auto [low, high] : bounds) {
    int64_t wait = backoff.Next();
    EXPECT_GE(wait, low);
    EXPECT_LE(wait, high);
  }
}

TEST(Backoff, ABaseAboveTheCapStartsAtTheCap) {
  Backoff backoff(RetryPolicy{.max_retries = 1, .base_delay_ms = 10'000, .max_delay_ms = 400});
  int64_t wait = backoff.Next();
  EXPECT_GE(wait, 200);
  EXPECT_LE(wait, 400);
}

TEST(NoteAttempts, NotesOnlyRepeatedAttempts) {
  EXPECT_EQ(NoteAttempts("HTTP 503", 1), "HTTP 503");
  EXPECT_EQ(NoteAttempts("HTTP 503", 4), "HTTP 503 (after 4 attempts)");
  Status s = NoteAttempts(Status::NotFound("no bucket"), 2);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "no bucket (after 2 attempts)");
  EXPECT_TRUE(NoteAttempts(Status::Ok(), 3).ok());
}

}  // namespace
}  // namespace medic
