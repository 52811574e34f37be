#include "integrations/golang/log_lines.h"

#include <cstring>

#include "base/json.h"

namespace medic::golang {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kMaxPending = 1 << 20;  // a CRI/Docker partial line is cut past this

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool DigitsAt(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return false;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return false;
  }
  return true;
}

// "2026-01-02T03:04:05.123Z " (any RFC 3339 variant): returns the length including the space.
size_t Rfc3339PrefixLength(std::string_view s) {
  if (!DigitsAt(s, 0, 4) || s.size() < 20 || s[4] != '-' || !DigitsAt(s, 5, 2) || s[7] != '-' ||
      !DigitsAt(s, 8, 2) || s[10] != 'T' || !DigitsAt(s, 11, 2) || s[13] != ':') {
    return 0;
  }
  size_t space = s.find(' ', 11);
  if (space == std::string_view::npos || space > 40) return 0;
  return space + 1;
}

// "2026/01/02 03:04:05 " or "2026/01/02 03:04:05.123456 " (Go's log package).
size_t GoLogPrefixLength(std::string_view s) {
  if (s.size() < 20 || !DigitsAt(s, 0, 4) || s[4] != '/' || !DigitsAt(s, 5, 2) || s[7] != '/' ||
      !DigitsAt(s, 8, 2) || s[10] != ' ' || !DigitsAt(s, 11, 2) || s[13] != ':' ||
      !DigitsAt(s, 14, 2) || s[16] != ':' || !DigitsAt(s, 17, 2)) {
    return 0;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i < s.size() && s[i] == ' ' ? i + 1 : 0;
}

// "Jan  2 03:04:05 host app[123]: " (syslog / journalctl short format).
size_t SyslogPrefixLength(std::string_view s) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 20 || s[3] != ' ') return 0;
  bool month = false;
  for (const char* m : kMonths) month = month || s.compare(0, 3, m) == 0;
  if (!month) return 0;
  if (!(s[4] == ' ' || IsDigit(s[4])) || !IsDigit(s[5]) || s[6] != ' ' || !DigitsAt(s, 7, 2) ||
      s[9] != ':' || !DigitsAt(s, 10, 2) || s[12] != ':' || !DigitsAt(s, 13, 2) || s[15] != ' ') {
    return 0;
  }
  size_t host_end = s.find(' ', 16);
  if (host_end == std::string_view::npos) return 0;
  size_t tag_end = s.find(": ", host_end + 1);
  if (tag_end == std::string_view::npos) return 0;
  std::string_view tag = s.substr(host_end + 1, tag_end - host_end - 1);
  if (tag.empty() || tag.find(' ') != std::string_view::npos) return 0;
  return tag_end + 2;
}

bool HasCrashMarker(std::string_view s) {
  return s.find("goroutine ") != std::string_view::npos ||
         s.find("panic") != std::string_view::npos ||
         s.find("fatal error") != std::string_view::npos || s.find("SIG") != std::string_view::npos;
}

}  // namespace

LineReader::LineReader(std::istream& in, size_t max_line)
    : in_(in), max_line_(max_line < 16 ? 16 : max_line), buf_(max_line_ + kChunk) {}

bool LineReader::Fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) return true;  // caller cuts the over-long line
  in_.read(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_));
  std::streamsize got = in_.gcount();
  if (got <= 0) {
    eof_ = true;
    if (in_.bad()) read_error_ = true;
    return false;
  }
  end_ += static_cast<size_t>(got);
  bytes_ += got;
  return true;
}

bool LineReader::Next(std::string_view* line) {
  for (;;) {
    const char* start = buf_.data() + begin_;
    size_t avail = end_ - begin_;
    const void* nl = avail ? std::memchr(start, '\n', avail) : nullptr;
    if (skipping_) {
      if (nl) {
        begin_ += static_cast<size_t>(static_cast<const char*>(nl) - start) + 1;
        skipping_ = false;
        continue;
      }
      begin_ = end_ = 0;
      if (!Fill()) return false;
      continue;
    }
    if (nl) {
      size_t len = static_cast<size_t>(static_cast<const char*>(nl) - start);
      begin_ += len + 1;
      if (len > max_line_) {
        len = max_line_;
        ++cut_lines_;
      }
      if (len && start[len - 1] == '\r') --len;
      *line = std::string_view(start, len);
      ++lines_;
      return true;
    }
    if (avail >= max_line_) {
      // Hand out the first max_line bytes and drop the rest of this line.
      *line = std::string_view(start, max_line_);
      begin_ = end_ = 0;
      skipping_ = true;
      ++cut_lines_;
      ++lines_;
      // The view points into buf_, which stays untouched until the next call.
      return true;
    }
    if (!Fill()) {
      if (end_ == begin_) return false;
      start = buf_.data() + begin_;
      size_t len = end_ - begin_;
      begin_ = end_;
      unterminated_ = true;
      if (len && start[len - 1] == '\r') --len;
      *line = std::string_view(start, len);
      ++lines_;
      return true;
    }
  }
}

std::string_view LogLineNormalizer::StripPrefix(std::string_view line, bool* partial) {
  *partial = false;
  if (line.empty()) return line;
  char c = line[0];
  if (IsDigit(c)) {
    if (size_t n = Rfc3339PrefixLength(line)) {
      std::string_view rest = line.substr(n);
      // CRI: "<time> stdout|stderr F|P <text>"
      if (rest.size() >= 9 && (rest.substr(0, 7) == "stdout " || rest.substr(0, 7) == "stderr ") &&
          (rest[7] == 'F' || rest[7] == 'P') && rest[8] == ' ') {
        *partial = rest[7] == 'P';
        return rest.substr(9);
      }
      if (rest.size() == 8 && (rest.substr(0, 7) == "stdout " || rest.substr(0, 7) == "stderr ") &&
          (rest[7] == 'F' || rest[7] == 'P')) {
        *partial = rest[7] == 'P';
        return std::string_view();
      }
      return rest;
    }
    if (size_t n = GoLogPrefixLength(line)) return line.substr(n);
    return line;
  }
  if (c >= 'A' && c <= 'Z') {
    if (size_t n = SyslogPrefixLength(line)) return line.substr(n);
  }
  return line;
}

void LogLineNormalizer::EmitText(std::string_view text) {
  size_t start = 0;
  for (;;) {
    size_t nl = text.find('\n', start);
    std::string_view one = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!one.empty() && one.back() == '\r') one.remove_suffix(1);
    emit_(one);
    if (nl == std::string_view::npos) return;
    start = nl + 1;
    if (start == text.size()) return;
  }
}

void LogLineNormalizer::AddJson(std::string_view raw) {
  if (!HasCrashMarker(raw) && raw.find("\"log\"") == std::string_view::npos) {
    emit_(raw);
    return;
  }
  Json record = Json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) {
    emit_(raw);
    return;
  }
  auto log = record.find("log");
  if (log != record.end() && log->is_string()) {
    // Docker json-file: one record per line; a record without a trailing newline is a
    // fragment of a longer line.
    const std::string& text = log->get_ref<const std::string&>();
    if (text.empty() || text.back() != '\n') {
      if (pending_.size() < kMaxPending) pending_.append(text, 0, kMaxPending - pending_.size());
      return;
    }
    pending_.append(text, 0, text.size() - 1);
    std::string joined;
    joined.swap(pending_);
    bool partial = false;
    EmitText(StripPrefix(joined, &partial));
    return;
  }
  // An application log record: a stack embedded in one of its string fields is replayed
  // line by line, closed by an empty line since the record ends there.
  bool found = false;
  for (const auto& [key, value] : record.items()) {
    if (!value.is_string()) continue;
    const std::string& text = value.get_ref<const std::string&>();
    if (text.find('\n') == std::string::npos || !HasCrashMarker(text)) continue;
    EmitText(text);
    emit_(std::string_view());
    found = true;
  }
  if (!found) emit_(raw);
}

void LogLineNormalizer::Add(std::string_view raw) {
  if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
  if (!raw.empty() && raw[0] == '{') {
    AddJson(raw);
    return;
  }
  bool partial = false;
  std::string_view text = StripPrefix(raw, &partial);
  if (partial) {
    if (pending_.size() < kMaxPending) {
      pending_.append(text.substr(0, kMaxPending - pending_.size()));
    }
    return;
  }
  if (!pending_.empty()) {
    if (pending_.size() < kMaxPending) {
      pending_.append(text.substr(0, kMaxPending - pending_.size()));
    }
    std::string joined;
    joined.swap(pending_);
    emit_(joined);
    return;
  }
  if (!text.empty() && text[0] == '{') {
    AddJson(text);
    return;
  }
  emit_(text);
}

void LogLineNormalizer::Finish() {
  if (pending_.empty()) return;
  std::string joined;
  joined.swap(pending_);
  emit_(joined);
}

}  // namespace medic::golang
