#include "store/states.h"

#include <array>
#include <ostream>
#include <utility>

namespace medic {
namespace {

// One table per enum, in enum order: the only place a status or kind is spelled.
constexpr std::array<const char*, 6> kRunStatusText = {"queued", "running",     "succeeded",
                                                       "failed", "interrupted", "needs_attention"};

constexpr std::array<const char*, 7> kStepStatusText = {
    "pending", "running", "succeeded", "failed", "skipped", "timed_out", "interrupted"};

constexpr std::array<const char*, 32> kEventKindText = {
    "run.created",
    "run.started",
    "run.resumed",
    "run.succeeded",
    "run.failed",
    "run.interrupted",
    "run.needs_attention",
    "stage.started",
    "stage.finished",
    "step.started",
    "step.retry",
    "step.command",
    "step.succeeded",
    "step.failed",
    "step.skipped",
    "step.timed_out",
    "step.interrupted",
    "step.reset",
    "step.awaiting_approval",
    "step.approval_given",
    "step.approved",
    "artifact.added",
    "analysis.result",
    "alert.firing",
    "alert.repeated",
    "alert.resolved",
    "incident.triggered",
    "incident.acknowledged",
    "incident.resolved",
    "incident.reopened",
    "incident.closed",
    "incident.suppressed",
};

static_assert(kRunStatusText.size() == static_cast<size_t>(RunStatus::kNeedsAttention) + 1);
static_assert(kStepStatusText.size() == static_cast<size_t>(StepStatus::kInterrupted) + 1);
static_assert(kEventKindText.size() == static_cast<size_t>(EventKind::kIncidentSuppressed) + 1);

template <typename E, size_t N>
std::optional<E> Parse(const std::array<const char*, N>& table, std::string_view text) {
  for (size_t i = 0; i < N; ++i)
    if (text == table[i]) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace

const char* ToString(RunStatus s) { return kRunStatusText[static_cast<size_t>(s)]; }
const char* ToString(StepStatus s) { return kStepStatusText[static_cast<size_t>(s)]; }
const char* ToString(EventKind k) { return kEventKindText[static_cast<size_t>(k)]; }

std::ostream& operator<<(std::ostream& out, RunStatus s) { return out << ToString(s); }
std::ostream& operator<<(std::ostream& out, StepStatus s) { return out << ToString(s); }
std::ostream& operator<<(std::ostream& out, EventKind k) { return out << ToString(k); }

std::optional<RunStatus> ParseRunStatus(std::string_view t) {
  return Parse<RunStatus>(kRunStatusText, t);
}
std::optional<StepStatus> ParseStepStatus(std::string_view t) {
  return Parse<StepStatus>(kStepStatusText, t);
}
std::optional<EventKind> ParseEventKind(std::string_view t) {
  return Parse<EventKind>(kEventKindText, t);
}

bool IsFinal(RunStatus s) { return s == RunStatus::kSucceeded || s == RunStatus::kFailed; }

bool IsFinal(StepStatus s) {
  return s == StepStatus::kSucceeded || s == StepStatus::kFailed || s == StepStatus::kSkipped ||
         s == StepStatus::kTimedOut;
}

EventKind EventFor(RunStatus s) {
  switch (s) {
    case RunStatus::kQueued:
      return EventKind::kRunCreated;
    case RunStatus::kRunning:
      return EventKind::kRunStarted;
    case RunStatus::kSucceeded:
      return EventKind::kRunSucceeded;
    case RunStatus::kFailed:
      return EventKind::kRunFailed;
    case RunStatus::kInterrupted:
      return EventKind::kRunInterrupted;
    case RunStatus::kNeedsAttention:
      return EventKind::kRunNeedsAttention;
  }
  return EventKind::kRunFailed;
}

EventKind EventFor(StepStatus s) {
  switch (s) {
    case StepStatus::kPending:
      return EventKind::kStepReset;
    case StepStatus::kRunning:
      return EventKind::kStepStarted;
    case StepStatus::kSucceeded:
      return EventKind::kStepSucceeded;
    case StepStatus::kFailed:
      return EventKind::kStepFailed;
    case StepStatus::kSkipped:
      return EventKind::kStepSkipped;
    case StepStatus::kTimedOut:
      return EventKind::kStepTimedOut;
    case StepStatus::kInterrupted:
      return EventKind::kStepInterrupted;
  }
  return EventKind::kStepFailed;
}

bool CanMove(RunStatus from, RunStatus to) {
  using R = RunStatus;
  if (from == to) return true;
  switch (from) {
    case R::kQueued:
      return to == R::kRunning;
    case R::kRunning:
      return true;
    case R::kInterrupted:
    case R::kNeedsAttention:
    case R::kFailed:
      return to == R::kRunning;
    case R::kSucceeded:
      return false;
  }
  return false;
}

bool CanMove(StepStatus from, StepStatus to) {
  using S = StepStatus;
  if (from == to) return true;
  switch (from) {
    case S::kPending:
      return to == S::kRunning || to == S::kSkipped || to == S::kFailed;
    case S::kRunning:
      return to != S::kPending;
    case S::kInterrupted:
      return to == S::kPending || to == S::kSkipped;
    case S::kFailed:
    case S::kTimedOut:
    case S::kSkipped:
      return to == S::kPending || to == S::kSkipped;
    case S::kSucceeded:
      return false;
  }
  return false;
}

}  // namespace medic
