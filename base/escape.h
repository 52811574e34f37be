// Putting a value into text, written once for every place that does it: escaping for a
// double-quoted string (PromQL label matchers, the Prometheus text format) and a URL,
// checking the one form that cannot be escaped, a Kubernetes qualified name (label value),
// and making arbitrary bytes valid UTF-8 for JSON and PostgreSQL.
#pragma once

#include <string>
#include <string_view>

namespace medic {

/// `s` for inside "...": backslash and double quote escaped with a backslash, a newline as \n.
std::string EscapeDoubleQuoted(std::string_view s);

/// Percent-encodes everything but A-Z a-z 0-9 - _ . ~ (and '/' when `keep_slash`).
std::string UrlEncode(std::string_view s, bool keep_slash = false);

/// A Kubernetes qualified name (a label value, the name part of a label key): 1 to 63
/// letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
bool IsQualifiedName(std::string_view s);

/// `s` with U+FFFD for each byte that does not start a valid UTF-8 sequence (overlong
/// forms, surrogates and code points past U+10FFFF are not valid), and for each control
/// character below 0x20 that `keep_control` refuses (null: every one is kept).
std::string ValidUtf8(std::string_view s, bool (*keep_control)(char) = nullptr);

}  // namespace medic
