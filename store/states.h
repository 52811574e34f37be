// The record's vocabulary: run statuses, step statuses and event kinds as enums, each with
// one table to and from the text the record keeps, and the transitions a status may make.
// The runner asks CanMove before it writes a new status; everything that reads the record
// (report/, server/, cmd/) parses kinds and statuses here instead of comparing strings.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace medic {

enum class RunStatus {
  kQueued,          ///< committed, no driver yet
  kRunning,         ///< a driver holds its lease
  kSucceeded,       ///< every stage done
  kFailed,          ///< a step failed and aborted the run
  kInterrupted,     ///< stopped by Ctrl-C/SIGTERM; `medic resume` goes on
  kNeedsAttention,  ///< waits for a person: an approval, or a non-idempotent step cut short
};

enum class StepStatus {
  kPending,
  kRunning,
  kSucceeded,
  kFailed,
  kSkipped,
  kTimedOut,
  kInterrupted,
};

/// Every kind of event the record holds. Their data fields are listed in the README
/// ("Timelines").
enum class EventKind {
  kRunCreated,
  kRunStarted,
  kRunResumed,
  kRunSucceeded,
  kRunFailed,
  kRunInterrupted,
  kRunNeedsAttention,
  kStageStarted,
  kStageFinished,
  kStepStarted,
  kStepRetry,
  kStepCommand,
  kStepSucceeded,
  kStepFailed,
  kStepSkipped,
  kStepTimedOut,
  kStepInterrupted,
  kStepReset,
  kStepAwaitingApproval,
  kStepApprovalGiven,
  kStepApproved,
  kArtifactAdded,
  kAnalysisResult,  ///< derived by report/ from a step's outputs; never stored
  kAlertFiring,
  kAlertRepeated,
  kAlertResolved,
  kIncidentTriggered,
  kIncidentAcknowledged,
  kIncidentResolved,
  kIncidentReopened,
  kIncidentClosed,
  kIncidentSuppressed,  ///< a guardrail (max_runs) kept the incident's run from starting
};

/// The text the record keeps.
const char* ToString(RunStatus status);
const char* ToString(StepStatus status);
const char* ToString(EventKind kind);

/// The text, for logs and test failures.
std::ostream& operator<<(std::ostream& out, RunStatus status);
std::ostream& operator<<(std::ostream& out, StepStatus status);
std::ostream& operator<<(std::ostream& out, EventKind kind);

/// The value for a recorded text; nullopt for text this medic does not know.
std::optional<RunStatus> ParseRunStatus(std::string_view text);
std::optional<StepStatus> ParseStepStatus(std::string_view text);
std::optional<EventKind> ParseEventKind(std::string_view text);

/// A run in this status is over: nothing drives it again (a failed run only with --retry).
bool IsFinal(RunStatus status);
/// A step in this status will not run again unless a person resets it.
bool IsFinal(StepStatus status);

/// The event a run or step writes when it reaches `status` (run.failed, step.timed_out...).
EventKind EventFor(RunStatus status);
EventKind EventFor(StepStatus status);

/// Whether a status may change from `from` to `to` (the same status is always allowed):
///   run:  queued -> running; running -> any other; interrupted, needs_attention and failed
///         (with --retry/--skip) -> running; succeeded -> nothing.
///   step: pending -> running | skipped | failed (bad parameters, `when` errors);
///         running -> succeeded | failed | skipped | timed_out | interrupted;
///         interrupted -> pending (re-run) | skipped; failed, timed_out, skipped ->
///         pending (--retry) ; interrupted/failed/pending -> skipped (--skip); succeeded ->
///         nothing.
bool CanMove(RunStatus from, RunStatus to);
bool CanMove(StepStatus from, StepStatus to);

}  // namespace medic
