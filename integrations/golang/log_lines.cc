#include "integrations/golang/log_lines.h"

#include <cstring>

#include "base/json.h"
#include "integrations/golang/structured_logs.h"

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
  if (space > 40) return 0;  // also npos
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

// "<time> stdout|stderr F|P " of a CRI (containerd, CRI-O) log line: its length, or 0.
size_t CriPrefixLength(std::string_view s, bool* partial) {
  *partial = false;
  if (s.empty() || !IsDigit(s[0])) return 0;
  size_t n = Rfc3339PrefixLength(s);
  if (n == 0) return 0;
  std::string_view rest = s.substr(n);
  if (rest.size() < 8 || (rest.substr(0, 7) != "stdout " && rest.substr(0, 7) != "stderr ") ||
      (rest[7] != 'F' && rest[7] != 'P') || (rest.size() > 8 && rest[8] != ' ')) {
    return 0;
  }
  *partial = rest[7] == 'P';
  return n + (rest.size() > 8 ? 9 : 8);
}

// Prefixes known without learning: RFC 3339 timestamps (kubectl --timestamps, CI logs),
// Go's log package, syslog. Used for lines before a crash marker taught the real one.
size_t KnownPrefixLength(std::string_view s) {
  char c = s[0];
  if (IsDigit(c)) {
    if (size_t n = Rfc3339PrefixLength(s)) return n;
    return GoLogPrefixLength(s);
  }
  if (c >= 'A' && c <= 'Z') return SyslogPrefixLength(s);
  return 0;
}

bool IsLower(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

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
  if (size_t n = CriPrefixLength(line, partial)) return line.substr(n);
  if (size_t n = KnownPrefixLength(line)) return line.substr(n);
  return line;
}

void LogLineNormalizer::EmitLines(std::string_view text) {
  size_t start = 0;
  for (;;) {
    size_t nl = text.find('\n', start);
    std::string_view one = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    while (!one.empty() && one.back() == '\r') one.remove_suffix(1);
    Text(one);
    if (nl == std::string_view::npos) return;
    start = nl + 1;
    if (start == text.size()) return;
  }
}

void LogLineNormalizer::AddJson(std::string_view raw) {
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
    EmitLines(joined);
    return;
  }
  // An application log record: a stack embedded in one of its string fields is replayed
  // line by line, closed by an empty line since the record ends there. A stack without a
  // header gets the one the record names ("Observed a panic" panic="...").
  bool found = false;
  for (const auto& [key, value] : record.items()) {
    if (!value.is_string()) continue;
    const std::string& text = value.get_ref<const std::string&>();
    if (text.find('\n') == std::string::npos || !HasCrashMarker(text)) continue;
    bool headed = text.find("panic: ") != std::string::npos ||
                  text.find("fatal error: ") != std::string::npos ||
                  text.find("SIG") != std::string::npos;
    if (!headed && text.find("goroutine ") != std::string::npos) {
      std::string value_text = JsonPanicValue(record);
      if (!value_text.empty()) Text("panic: " + value_text.substr(0, value_text.find('\n')));
    }
    EmitLines(text);
    emit_(std::string_view());
    found = true;
  }
  if (found) return;
  // Loggers that wrap another program's output write one record per line of it (hclog,
  // logrus, zap, slog, journald's JSON): its message is the line.
  if (const Json* msg = JsonMessage(record)) {
    EmitLines(msg->get_ref<const std::string&>());
    return;
  }
  emit_(raw);
}

void LogLineNormalizer::Add(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
  if (raw.size() >= 2 && raw[raw.size() - 2] == '^' && raw.back() == 'M') {
    raw.remove_suffix(2);  // a CR made visible by cat -v, less or an editor, then pasted
  }
  if (raw.empty()) {
    if (pending_.empty()) Text(raw);
    return;
  }
  if (raw[0] == '{') {
    AddJson(raw);
    return;
  }
  bool partial = false;
  if (size_t n = CriPrefixLength(raw, &partial)) {
    std::string_view text = raw.substr(n);
    if (partial || !pending_.empty()) {
      if (pending_.size() < kMaxPending) {
        pending_.append(text.substr(0, kMaxPending - pending_.size()));
      }
      if (partial) return;
      std::string joined;
      joined.swap(pending_);
      Text(joined);
      return;
    }
    Text(text);
    return;
  }
  if (!pending_.empty()) Finish();
  Text(raw);
}

void LogLineNormalizer::Text(std::string_view line) {
  if (prefix_.active() && !line.empty()) {
    size_t n = prefix_.Match(line);
    if (n != std::string_view::npos) {
      Content(line, n);
      return;
    }
  }
  Content(line, 0);
}

void LogLineNormalizer::Content(std::string_view line, size_t skip) {
  std::string_view c = line.substr(skip);
  if (c.empty()) {
    emit_(c);
    return;
  }
  // The lines of a Go trace itself, the bulk of a large dump, go straight through.
  char first = c[0];
  bool indented_block =
      first == '\t' && c.size() > 10 && c[1] == 'g' && StartsWith(c.substr(1), "goroutine ");
  if ((first == '\t' && !indented_block) || (IsLower(first) && c.back() == ')')) {
    emit_(c);
    return;
  }
  if (first == 'g' && StartsWith(c, "goroutine ")) {
    if (skip == 0) prefix_.Clear();
    after_panic_ = false;
    emit_(c);
    return;
  }
  if (first == 'c' && StartsWith(c, "created by ")) {
    emit_(c);
    return;
  }
  Slow(line, skip);
}

void LogLineNormalizer::Slow(std::string_view line, size_t skip) {
  std::string_view c = line.substr(skip);
  if (c[0] == '{') {  // a JSON record behind a prefix (CRI, kubectl --timestamps)
    AddJson(c);
    return;
  }
  // rsyslog writes a tab as "#011".
  if (skip > 0 && StartsWith(c, "#011")) {
    scratch_.clear();
    while (StartsWith(c, "#011")) {
      scratch_ += '\t';
      c.remove_prefix(4);
    }
    scratch_.append(c);
    std::string unescaped;
    unescaped.swap(scratch_);
    emit_(unescaped);
    return;
  }
  std::string value;
  if (LoggedPanic(c, &value)) {
    after_panic_ = true;
    emit_("panic: " + value);
    return;
  }
  if (LogfmtMessage(c, &value)) {
    EmitLines(value);
    return;
  }
  CrashMarker m = FindCrashMarker(c);
  if (m.kind != MarkerKind::kNone) {
    std::string_view before = c.substr(0, m.pos);
    bool blank = before.find_first_not_of(" \t") == std::string_view::npos;
    if (m.pos == 0) {
      if (skip == 0) prefix_.Clear();
    } else if (blank && m.kind == MarkerKind::kPanic && after_panic_) {
      emit_(c);  // "\tpanic: B" re-panicking a recovered "panic: A [recovered]"
      return;
    } else {
      prefix_.Learn(line.substr(0, skip + m.pos));
    }
    after_panic_ = m.kind == MarkerKind::kPanic;
    emit_(c.substr(m.pos));
    return;
  }
  after_panic_ = false;
  if (skip == 0) {
    if (size_t n = KnownPrefixLength(c)) {
      Content(line, n);
      return;
    }
  }
  emit_(c);
}

void LogLineNormalizer::Finish() {
  if (pending_.empty()) return;
  std::string joined;
  joined.swap(pending_);
  Text(joined);
}

}  // namespace medic::golang
