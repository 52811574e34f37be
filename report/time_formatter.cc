#include "report/time_formatter.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

namespace medic {
namespace {

bool ValidZoneName(const std::string& zone) {
  if (zone.empty() || zone.size() > 64 || zone[0] == '/' || zone.find("..") != std::string::npos)
    return false;
  for (char c : zone)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      return false;
  return true;
}

// A TZ database file: a regular file starting with "TZif".
bool ZoneFileExists(const std::string& zone) {
  const char* dir = std::getenv("TZDIR");
  std::string path = std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + zone;
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ifstream f(path, std::ios::binary);
  char magic[4] = {};
  f.read(magic, 4);
  return f && std::string(magic, 4) == "TZif";
}

}  // namespace

Result<std::unique_ptr<TimeFormatter>> TimeFormatter::Create(const std::string& zone) {
  if (zone.empty() || zone == "UTC" || zone == "Etc/UTC")
    return std::unique_ptr<TimeFormatter>(new TimeFormatter("UTC"));
  if (!ValidZoneName(zone) || !ZoneFileExists(zone))
    return Status::Invalid("--tz '" + zone +
                           "': not a time zone of the TZ database (e.g. Europe/Berlin, "
                           "America/New_York, UTC; see /usr/share/zoneinfo, package tzdata)");
  std::unique_ptr<TimeFormatter> f(new TimeFormatter(zone));
  f->utc_ = false;
  if (const char* old = std::getenv("TZ")) {
    f->had_tz_ = true;
    f->old_tz_ = old;
  }
  setenv("TZ", (":" + zone).c_str(), 1);
  tzset();
  return f;
}

TimeFormatter::~TimeFormatter() {
  if (utc_) return;
  if (had_tz_)
    setenv("TZ", old_tz_.c_str(), 1);
  else
    unsetenv("TZ");
  tzset();
}

int TimeFormatter::Prepare(int64_t unix_ms) const {
  int64_t secs = unix_ms / 1000;
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  if (secs == cached_secs_) return ms;
  time_t t = static_cast<time_t>(secs);
  std::tm tm;
  if (utc_)
    gmtime_r(&t, &tm);
  else
    localtime_r(&t, &tm);
  char buf[96];  // room for any int the compiler imagines in each field
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  cached_date_ = buf;
  if (utc_) {
    cached_offset_ = "Z";
  } else {
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", sign, off / 60, off % 60);
    cached_offset_ = buf;
  }
  cached_secs_ = secs;
  return ms;
}

std::string TimeFormatter::Format(int64_t unix_ms, char separator, bool with_zone) const {
  int ms = Prepare(unix_ms);
  std::string out;
  out.reserve(cached_date_.size() + 4 + cached_offset_.size());
  out += cached_date_;
  out[cached_date_.size() - 9] = separator;  // before "HH:MM:SS", whatever the year
  out += '.';
  out += static_cast<char>('0' + ms / 100);
  out += static_cast<char>('0' + ms / 10 % 10);
  out += static_cast<char>('0' + ms % 10);
  if (with_zone) out += cached_offset_;
  return out;
}

std::string TimeFormatter::Rfc3339(int64_t unix_ms) const { return Format(unix_ms, 'T', true); }

std::string TimeFormatter::Human(int64_t unix_ms) const { return Format(unix_ms, ' ', false); }

}  // namespace medic
