// Small string helpers shared by every area: trimming, splitting, "did you mean"
// suggestions, and the timestamp formats medic prints and stores.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medic {

std::string_view Trim(std::string_view s);
/// All of `text` as a base-10 integer ("42", "-7"); nullopt when it is anything else or does
/// not fit. Never throws, unlike std::stoll.
std::optional<int64_t> ParseInt64(std::string_view text);
/// All of `text` as a finite decimal number ("1.5", "-2e3", ".5"); nullopt otherwise.
std::optional<double> ParseDouble(std::string_view text);
std::vector<std::string> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

/// Edit distance between a and b (insert, delete, substitute, adjacent swap).
size_t EditDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is close enough to be a likely typo, else "".
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" for the closest candidate, or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

/// Milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds:
/// "2026-11-22T03:04:05.123Z".
std::string FormatTimeUtc(int64_t unix_ms);

/// Parses RFC 3339 ("2026-11-22T03:04:05Z", fractional seconds and offsets allowed) into
/// milliseconds since the epoch; returns false when `text` is not such a time.
bool ParseTimeRfc3339(std::string_view text, int64_t* unix_ms);

/// A duration for people: "850ms", "12.3s", "2m05s", "1h02m".
std::string FormatDurationMs(int64_t ms);

/// `line` cut to `columns` terminal columns, ending "…" when something was cut. ANSI color
/// sequences take no column (and a cut inside color ends it); each UTF-8 character takes one.
/// `columns` <= 0: no limit.
std::string FitToWidth(std::string_view line, int columns);

/// Shell-quotes an argv for display only (never executed): a b 'c d'.
std::string QuoteArgv(const std::vector<std::string>& argv);

}  // namespace medic
