// Crash text that structured loggers wrapped: klog's "Observed a panic" records (the
// structured form with panic="..." stacktrace=< ... >, the classic %#v (%v) form and the
// old one-file:line-per-caller form), testify's "test panicked:", logfmt records
// (time=... level=... msg="...") and JSON records of logrus, zap, slog, hclog, journald
// and klog's JSON format. Each function reads one line; LogLineNormalizer calls them.
#pragma once

#include <string>
#include <string_view>

#include "base/json.h"

namespace medic::golang {

/// A log record that names a recovered panic; `value` is the panic value as the runtime
/// would print it after "panic: " ("runtime error: ..." for runtime errors). Recognises
/// klog's `"Observed a panic" panic="..."` and `Observed a panic: %#v (%v)`, and testify's
/// `test panicked: ...`. False when `line` is none of these.
bool LoggedPanic(std::string_view line, std::string* value);

/// The unquoted msg (or message) value of a logfmt record: `time="..." level=error
/// msg="panic: x\tok"` gives `panic: x<TAB>ok`. False when `line` is not logfmt with one.
bool LogfmtMessage(std::string_view line, std::string* message);

/// The message of a JSON log record (msg, message, @message, MESSAGE, Message, M), or
/// nullptr when it has none that is a string.
const Json* JsonMessage(const Json& record);

/// The panic value a JSON record names next to a stack (a "panic" field, else "error" or
/// "err" when the message speaks of a panic), or "" when it names none.
std::string JsonPanicValue(const Json& record);

/// Decodes a Go- or JSON-quoted string starting at quoted[0] == '"' (escapes such as \t,
/// \n, \", \xNN, \uNNNN); sets *consumed to the bytes read including both quotes. False when the
/// closing quote is missing (the rest is still decoded into *out).
bool Unquote(std::string_view quoted, std::string* out, size_t* consumed);

}  // namespace medic::golang
