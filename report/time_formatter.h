// Times for people: unix ms written as RFC 3339 or as a table cell, in UTC or in one named
// zone of the TZ database. The timeline renderings take one TimeFormatter for all their times.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include "base/status.h"

namespace medic {

/// Formats unix-ms times in one zone. A named zone is applied by setting the process' TZ for
/// the formatter's lifetime (libstdc++ 12 has no std::chrono::zoned_time): not thread-safe,
/// and only one named-zone formatter may exist at a time.
class TimeFormatter {
 public:
  /// "" or "UTC" formats in UTC. Any other `zone` must be a TZ database name found under
  /// $TZDIR or /usr/share/zoneinfo ("Europe/Berlin"); fails with kInvalidArgument otherwise.
  static Result<std::unique_ptr<TimeFormatter>> Create(const std::string& zone);
  ~TimeFormatter();
  TimeFormatter(const TimeFormatter&) = delete;
  TimeFormatter& operator=(const TimeFormatter&) = delete;

  /// "2026-11-22T05:04:05.123+02:00" ("...Z" in UTC).
  std::string Rfc3339(int64_t unix_ms) const;
  /// "2026-11-22 05:04:05.123", for tables whose header names the zone.
  std::string Human(int64_t unix_ms) const;
  /// "UTC" or the zone name.
  const std::string& zone() const { return zone_; }

 private:
  explicit TimeFormatter(std::string zone) : zone_(std::move(zone)) {}
  /// Brings the cache to unix_ms' second; returns its milliseconds.
  int Prepare(int64_t unix_ms) const;
  std::string Format(int64_t unix_ms, char separator, bool with_zone) const;

  std::string zone_;
  bool utc_ = true;
  bool had_tz_ = false;
  std::string old_tz_;
  // The last second formatted: events come in time order, many to a second, so most calls
  // only write the milliseconds. "2026-11-22T05:04:05" and "Z" or "+02:00".
  mutable int64_t cached_secs_ = INT64_MIN;
  mutable std::string cached_date_;
  mutable std::string cached_offset_;
};

}  // namespace medic
