// Parsing of the human units playbooks and configs use: durations ("10s", "1m30s",
// "250ms", "2h") and sizes ("1MiB", "512KiB", "100MB", plain bytes).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace medic {

/// Parses a duration into milliseconds. A bare number means seconds. Fails with a message
/// naming the accepted units.
Result<int64_t> ParseDurationMs(std::string_view text);

/// Parses a byte size ("1MiB", "64KiB", "10MB", "1024"). Fails with a clear message.
Result<int64_t> ParseSizeBytes(std::string_view text);

}  // namespace medic
