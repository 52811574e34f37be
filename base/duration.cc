#include "base/duration.h"

#include <cctype>
#include <cmath>
#include <string>

#include "base/strings.h"

namespace medic {
namespace {

// Beyond these a value would not fit in int64 once converted; nothing medic times or sizes
// comes near them (a year is 3.2e10 ms).
constexpr double kMaxMs = 1e15;
constexpr double kMaxBytes = 1e18;

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  std::string_view t = Trim(text);
  auto bad = [&] {
    return Status::Invalid("'" + std::string(text) +
                           "' is not a duration (use e.g. 250ms, 10s, 1m30s, 2h)");
  };
  if (t.empty()) return bad();
  double total = 0;
  size_t i = 0;
  bool any = false;
  while (i < t.size()) {
    size_t start = i;
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
    if (start == i) return bad();
    std::optional<double> value = ParseDouble(t.substr(start, i - start));
    if (!value) return bad();
    size_t ustart = i;
    while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
    std::string_view unit = t.substr(ustart, i - ustart);
    double scale;
    if (unit.empty())
      scale = any ? -1 : 1000;  // "1m30" is ambiguous; a lone "30" means seconds
    else if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1000;
    else if (unit == "m")
      scale = 60'000;
    else if (unit == "h")
      scale = 3'600'000;
    else if (unit == "d")
      scale = 86'400'000;
    else
      return bad();
    if (scale < 0) return bad();
    total += *value * scale;
    any = true;
  }
  if (total > kMaxMs) return bad();
  return static_cast<int64_t>(std::llround(total));
}

Result<int64_t> ParseSizeBytes(std::string_view text) {
  std::string_view t = Trim(text);
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  auto bad = [&] {
    return Status::Invalid("'" + std::string(text) +
                           "' is not a size (use e.g. 1048576, 512KiB, 1MiB, 10MB)");
  };
  std::optional<double> value = ParseDouble(t.substr(0, i));
  if (!value) return bad();
  std::string unit(Trim(t.substr(i)));
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale;
  if (unit.empty() || unit == "b")
    scale = 1;
  else if (unit == "kib" || unit == "ki")
    scale = 1024.0;
  else if (unit == "mib" || unit == "mi")
    scale = 1024.0 * 1024;
  else if (unit == "gib" || unit == "gi")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "kb" || unit == "k")
    scale = 1e3;
  else if (unit == "mb" || unit == "m")
    scale = 1e6;
  else if (unit == "gb" || unit == "g")
    scale = 1e9;
  else
    return bad();
  if (*value * scale > kMaxBytes) return bad();
  return static_cast<int64_t>(std::llround(*value * scale));
}

}  // namespace medic
