#include "integrations/golang/trace_parser.h"

#include <array>
#include <charconv>

namespace medic::golang {
namespace {

constexpr size_t kMaxNotes = 8;
constexpr int kMaxContinuationLines = 20;
constexpr size_t kMaxMessageBytes = 4096;

// Signal names the runtime prints as "SIGxxx: description" at the top of a dump.
constexpr std::array<std::string_view, 14> kSignalNames = {
    "SIGQUIT", "SIGABRT", "SIGSEGV", "SIGBUS", "SIGILL",  "SIGFPE",  "SIGTRAP",
    "SIGSYS",  "SIGTERM", "SIGINT",  "SIGHUP", "SIGPIPE", "SIGUSR1", "SIGEMT"};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view TrimLeft(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// "goroutine 12 [" ... "]:" -- cheap shape check before the block is started.
bool LooksLikeGoroutineHeader(std::string_view line) {
  line = TrimRight(line);
  return line.size() > 13 && StartsWith(line, "goroutine ") && line[10] >= '0' && line[10] <= '9' &&
         line.substr(line.size() - 2) == "]:";
}

bool IsSignalHeader(std::string_view line) {
  if (!StartsWith(line, "SIG")) return false;
  size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return false;
  std::string_view name = line.substr(0, colon);
  for (std::string_view known : kSignalNames) {
    if (name == known) return true;
  }
  return false;
}

// Removes " [recovered]" (and Go 1.25's " [recovered, repanicked]") from a panic value.
bool StripRecovered(std::string* message) {
  for (std::string_view suffix :
       {std::string_view(" [recovered]"), std::string_view(" [recovered, repanicked]")}) {
    if (message->size() >= suffix.size() &&
        std::string_view(*message).substr(message->size() - suffix.size()) == suffix) {
      message->resize(message->size() - suffix.size());
      return true;
    }
  }
  return false;
}

}  // namespace

bool TraceParser::ParseFunctionLine(std::string_view line, std::string* function) {
  line = TrimRight(line);
  if (line.size() < 3 || line.back() != ')' || line[0] == ' ' || line[0] == '\t') return false;
  int depth = 0;
  size_t open = std::string_view::npos;
  for (size_t i = line.size(); i-- > 0;) {
    if (line[i] == ')') {
      ++depth;
    } else if (line[i] == '(') {
      if (--depth == 0) {
        open = i;
        break;
      }
    }
  }
  if (open == std::string_view::npos || open == 0) return false;
  std::string_view name = line.substr(0, open);
  int brackets = 0;
  for (char c : name) {
    if (c == '[') ++brackets;
    if (c == ']') --brackets;
    if ((c == ' ' || c == '\t' || c == '"' || c == '{' || c == '=') && brackets <= 0) {
      return false;
    }
  }
  function->assign(name);
  return true;
}

bool TraceParser::ParseLocationLine(std::string_view line, std::string* file, int* line_no) {
  std::string_view s = TrimLeft(line);
  size_t cut = s.find(" +0x");
  if (cut == std::string_view::npos) cut = s.find(" fp=");
  s = TrimRight(s.substr(0, cut));
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  int64_t n = 0;
  if (!ParseInt(s.substr(colon + 1), &n) || n < 0 || n > 100'000'000) return false;
  file->assign(s.substr(0, colon));
  *line_no = static_cast<int>(n);
  return true;
}

bool TraceParser::ParseGoroutineHeader(std::string_view line, Goroutine* g) {
  line = TrimRight(line);
  if (!LooksLikeGoroutineHeader(line)) return false;
  std::string_view rest = line.substr(10);
  size_t id_end = 0;
  while (id_end < rest.size() && rest[id_end] >= '0' && rest[id_end] <= '9') ++id_end;
  int64_t id = 0;
  if (!ParseInt(rest.substr(0, id_end), &id)) return false;
  size_t open = rest.find('[', id_end);  // skips Go 1.23's " gp=0x.. m=0 mp=0x.."
  if (open == std::string_view::npos) return false;
  std::string_view inside = rest.substr(open + 1, rest.size() - open - 3);
  g->id = id;
  g->state.clear();
  bool first = true;
  while (!inside.empty()) {
    size_t comma = inside.find(", ");
    std::string_view part = inside.substr(0, comma);
    inside = comma == std::string_view::npos ? std::string_view() : inside.substr(comma + 2);
    if (first) {
      g->state.assign(part);
      first = false;
    } else if (part == "locked to thread") {
      g->locked_to_thread = true;
    } else if (part.size() > 8 && part.substr(part.size() - 8) == " minutes") {
      int64_t minutes = 0;
      if (ParseInt(part.substr(0, part.size() - 8), &minutes)) {
        g->wait_minutes = static_cast<int>(minutes);
      }
    }
  }
  return true;
}

void TraceParser::StartCrash(HeaderKind kind, std::string message) {
  if (header_pending_) sink_->OnCrash(header_);
  header_ = CrashHeader();
  header_.kind = kind;
  bool recovered = kind == HeaderKind::kPanic && StripRecovered(&message);
  if (message.size() > kMaxMessageBytes) message.resize(kMaxMessageBytes);
  header_.chain.push_back(std::move(message));
  header_.recovered.push_back(recovered);
  header_.line_number = line_no_;
  if (kind == HeaderKind::kFatal && !notes_.empty() &&
      line_no_ - notes_line_ <= static_cast<int64_t>(kMaxNotes)) {
    header_.notes.assign(notes_.begin(), notes_.end());
  }
  notes_.clear();
  header_pending_ = true;
  continuation_lines_ = 0;
  state_ = State::kHeader;
}

bool TraceParser::TryHeader(std::string_view line) {
  if (StartsWith(line, "panic: ")) {
    StartCrash(HeaderKind::kPanic, std::string(TrimRight(line.substr(7))));
    return true;
  }
  if (StartsWith(line, "fatal error: ")) {
    // Two threads may throw at once ("fatal error: concurrent map writes" twice in a row):
    // that is one crash.
    if (header_pending_ && header_.kind == HeaderKind::kFatal) return true;
    StartCrash(HeaderKind::kFatal, std::string(TrimRight(line.substr(13))));
    return true;
  }
  if (IsSignalHeader(line)) {
    StartCrash(HeaderKind::kSignal, std::string(TrimRight(line)));
    return true;
  }
  size_t at = line.find("http: panic serving ");
  size_t skip = 20;
  if (at == std::string_view::npos) {
    at = line.find("http2: panic serving ");
    skip = 21;
  }
  if (at != std::string_view::npos) {
    std::string_view rest = line.substr(at + skip);
    size_t sep = rest.find(": ");
    std::string_view peer = rest.substr(0, sep);
    std::string_view value =
        sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 2);
    StartCrash(HeaderKind::kHttpPanic, std::string(TrimRight(value)));
    header_.peer.assign(peer);
    return true;
  }
  return false;
}

void TraceParser::FlushGoroutine(bool truncated) {
  if (!in_block_) return;
  g_.truncated = truncated;
  sink_->OnGoroutine(g_);
  g_.Reset();
  in_block_ = false;
  pending_frame_ = nullptr;
  pending_created_by_ = false;
}

void TraceParser::Feed(std::string_view line) {
  ++line_no_;
  last_line_incomplete_ = false;
  if (state_ == State::kGoroutine || state_ == State::kLocation) {
    FeedGoroutine(line);
  } else {
    FeedIdle(line);
  }
}

void TraceParser::FeedIdle(std::string_view line) {
  if (line.empty()) {
    if (state_ == State::kHeader) continuation_lines_ = kMaxContinuationLines;
    return;
  }
  if (line[0] == 'g' && LooksLikeGoroutineHeader(line)) {
    if (header_pending_) {
      sink_->OnCrash(header_);
      header_pending_ = false;
    }
    g_.Reset();
    if (!ParseGoroutineHeader(line, &g_)) return;
    in_block_ = true;
    state_ = State::kGoroutine;
    return;
  }
  if (line == "runtime stack:") {
    if (header_pending_) {
      sink_->OnCrash(header_);
      header_pending_ = false;
    }
    g_.Reset();
    g_.id = -1;
    g_.state = "runtime stack";
    in_block_ = true;
    state_ = State::kGoroutine;
    return;
  }
  if (TryHeader(line)) return;
  if (state_ == State::kHeader) {
    if (StartsWith(line, "[signal ")) {
      std::string_view sig = line.substr(8);
      size_t end = sig.find(" code=");
      if (end == std::string_view::npos) end = sig.find(']');
      header_.signal.assign(sig.substr(0, end));
      continuation_lines_ = kMaxContinuationLines;
      return;
    }
    if (StartsWith(line, "signal arrived during cgo execution")) {
      header_.signal_in_cgo = true;
      return;
    }
    if (StartsWith(line, "PC=0x")) return;
    std::string_view trimmed = TrimLeft(line);
    if (line[0] == '\t' && StartsWith(trimmed, "panic: ") && header_.kind == HeaderKind::kPanic) {
      std::string message(TrimRight(trimmed.substr(7)));
      bool recovered = StripRecovered(&message);
      if (message.size() > kMaxMessageBytes) message.resize(kMaxMessageBytes);
      header_.chain.push_back(std::move(message));
      header_.recovered.push_back(recovered);
      continuation_lines_ = 0;
      return;
    }
    if (StartsWith(line, "runtime: ") && header_.kind != HeaderKind::kPanic) {
      if (header_.notes.size() < kMaxNotes) header_.notes.emplace_back(line);
      return;
    }
    bool value_kind = header_.kind == HeaderKind::kPanic || header_.kind == HeaderKind::kHttpPanic;
    if (value_kind && continuation_lines_ < kMaxContinuationLines && line[0] != '{') {
      // A panic value with several lines (Go 1.23 indents the continuation with a tab).
      std::string& last = header_.chain.back();
      if (last.size() < kMaxMessageBytes) {
        last += '\n';
        last.append(line[0] == '\t' ? line.substr(1) : line);
        if (last.size() > kMaxMessageBytes) last.resize(kMaxMessageBytes);
      }
      ++continuation_lines_;
    }
    return;
  }
  if (StartsWith(line, "runtime: ")) {
    if (notes_.size() == kMaxNotes) notes_.pop_front();
    notes_.emplace_back(line.substr(0, kMaxMessageBytes));
    notes_line_ = line_no_;
  }
}

void TraceParser::FeedGoroutine(std::string_view line) {
  if (line.empty()) {
    FlushGoroutine(state_ == State::kLocation && g_.frames.empty());
    state_ = State::kIdle;
    return;
  }
  if (line[0] == '\t' || line[0] == ' ') {
    if (state_ == State::kLocation) {
      Frame& target = pending_created_by_ ? g_.created_by : *pending_frame_;
      last_line_incomplete_ = !ParseLocationLine(line, &target.file, &target.line);
      pending_frame_ = nullptr;
      pending_created_by_ = false;
      state_ = State::kGoroutine;
    }
    return;
  }
  state_ = State::kGoroutine;
  pending_frame_ = nullptr;
  pending_created_by_ = false;
  if (line[0] == 'g' && LooksLikeGoroutineHeader(line)) {
    FlushGoroutine(false);
    FeedIdle(line);
    return;
  }
  if (StartsWith(line, "created by ")) {
    std::string_view rest = TrimRight(line.substr(11));
    size_t in = rest.find(" in goroutine ");
    if (in != std::string_view::npos) {
      int64_t parent = -1;
      if (ParseInt(rest.substr(in + 14), &parent)) g_.created_by_goroutine = parent;
      rest = rest.substr(0, in);
    }
    g_.created_by.function.assign(rest);
    pending_created_by_ = true;
    state_ = State::kLocation;
    return;
  }
  if (StartsWith(line, "...additional frames elided...")) {
    g_.frames_elided = true;
    return;
  }
  if (line[0] == '{') return;  // an application's JSON log record interleaved with the dump
  std::string function;
  if (ParseFunctionLine(line, &function)) {
    g_.frames.emplace_back();
    g_.frames.back().function = std::move(function);
    pending_frame_ = &g_.frames.back();
    state_ = State::kLocation;
    return;
  }
  // Anything else ends the block ("exit status 2", register dumps, a new header).
  FlushGoroutine(false);
  last_line_incomplete_ = true;
  state_ = State::kIdle;
  FeedIdle(line);
}

void TraceParser::Finish(bool cut_mid_line) {
  bool truncated = (cut_mid_line && (in_block_ || last_line_incomplete_)) ||
                   (in_block_ && (state_ == State::kLocation || g_.frames.empty()));
  if (in_block_) FlushGoroutine(truncated);
  if (header_pending_) {
    sink_->OnCrash(header_);
    header_pending_ = false;
  }
  if (truncated) sink_->OnTruncated();
  state_ = State::kIdle;
}

}  // namespace medic::golang
