// Status and Result<T>: how medic's library code reports failure.
// Library code never throws across its API and never decides exit codes; it returns a
// Status (or a Result<T> holding either a value or a Status) whose message says what was
// wrong, where, and what to do. cmd/ maps the code to an exit code.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace medic {

/// The kind of a failure; cmd/ maps these to exit codes.
enum class Code {
  kOk = 0,
  kInvalidArgument,     ///< bad input: playbook, flags, JSON, names
  kNotFound,            ///< a run, file, tool or action that does not exist
  kFailedPrecondition,  ///< the world is not in a state where this can be done
  kUnavailable,         ///< a peer could not be reached or answered 5xx
  kTimeout,             ///< a deadline passed
  kCancelled,           ///< stopped by the user (Ctrl-C, SIGTERM)
  kIo,                  ///< local file or process I/O failed
  kInternal,            ///< a bug in medic
  kSkipped,             ///< nothing to do (e.g. an optional integration is not configured)
  kLost,                ///< another driver claimed the run: this one must stop at once
};

/// Returns a stable lower-case name for `code` ("invalid_argument", ...).
const char* CodeName(Code code);

/// The outcome of an operation: ok, or a code with a human-readable message.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Precondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
  static Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
  static Status Io(std::string m) { return {Code::kIo, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  /// For actions: the step is recorded as skipped with this reason, not failed.
  static Status Skipped(std::string m) { return {Code::kSkipped, std::move(m)}; }
  static Status Lost(std::string m) { return {Code::kLost, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  /// Returns a copy whose message is "context: message".
  Status WithContext(const std::string& context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

/// Either a T or a non-ok Status. Accessing value() of an error is a bug (asserts).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The value, or `fallback` when this holds an error.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

  /// The error; Status::Ok() when this holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace medic

/// Propagates a non-ok Status from an expression returning Status.
#define MEDIC_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::medic::Status medic_status_ = (expr);        \
    if (!medic_status_.ok()) return medic_status_; \
  } while (0)
