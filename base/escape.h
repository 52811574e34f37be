// Escaping a value for the text it is put into, written once for every place that does it:
// a double-quoted string (PromQL label matchers, the Prometheus text format) and a URL.
#pragma once

#include <string>
#include <string_view>

namespace medic {

/// `s` for inside "...": backslash and double quote escaped with a backslash, a newline as \n.
std::string EscapeDoubleQuoted(std::string_view s);

/// Percent-encodes everything but A-Z a-z 0-9 - _ . ~ (and '/' when `keep_slash`).
std::string UrlEncode(std::string_view s, bool keep_slash = false);

}  // namespace medic
