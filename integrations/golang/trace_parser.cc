#include "integrations/golang/trace_parser.h"

#include <array>
#include <charconv>
#include <utility>

namespace medic::golang {
namespace {

constexpr size_t kMaxNotes = 8;
constexpr int kMaxContinuationLines = 20;
constexpr size_t kMaxMessageBytes = 4096;
constexpr int kMaxNoiseLines = 64;    // log lines tolerated inside a block, in a row
constexpr size_t kMaxPartial = 8192;  // a wrapped line is joined up to this length

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

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Go 1.2-1.4 print the signal's number: "[signal 0xb code=0x1 addr=0x0 pc=0x4010b3]".
std::string SignalName(std::string_view number) {
  static constexpr std::array<std::pair<int, std::string_view>, 8> kNames = {{
      {0x4, "SIGILL: illegal instruction"},
      {0x5, "SIGTRAP: trace trap"},
      {0x6, "SIGABRT: abort"},
      {0x7, "SIGBUS: bus error"},
      {0x8, "SIGFPE: floating-point exception"},
      {0xa, "SIGBUS: bus error"},  // Darwin and the BSDs
      {0xb, "SIGSEGV: segmentation violation"},
      {0xc, "SIGSYS: bad system call"},
  }};
  if (number.substr(0, 2) != "0x" || number.size() > 4) return std::string(number);
  int value = 0;
  auto [ptr, ec] = std::from_chars(number.data() + 2, number.data() + number.size(), value, 16);
  if (ec != std::errc() || ptr != number.data() + number.size()) return std::string(number);
  for (const auto& [n, name] : kNames) {
    if (n == value) return std::string(name);
  }
  return std::string(number);
}

// A function line cut by a terminal or logger before its closing parenthesis, or before
// its argument list: "github.com/acme/store.(*Bucket).Put(0xc000010000, {0x4b2" or
// "github.com/acme/store.(*Buck". Prose has a blank before any parenthesis.
bool LooksLikePartialFunction(std::string_view line) {
  if (line.size() > kMaxPartial) return false;
  unsigned char c = static_cast<unsigned char>(line[0]);
  if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80)) return false;
  bool dot = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (ch == '(' && i > 0 && line[i - 1] != '.') return dot;  // the argument list starts
    if (ch == '.') dot = true;
    if (ch == ' ' || ch == '\t' || ch == '"' || ch == '=' || ch == ',' || ch == ':' || ch == '{' ||
        ch == '<' || ch == '>' || ch == '|') {
      return false;
    }
  }
  return dot;
}

// What a wrapped location line leaves on the next line: the rest of the path, line number
// or "+0x.." offset. Only characters a location can end with; blanks only before
// "+0x"/"fp="/"sp="/"pc=".
bool LooksLikeLocationTail(std::string_view line, bool path_open, bool number_open) {
  if (line.size() > 512) return false;
  size_t first_end = line.find(' ');
  std::string_view first = line.substr(0, first_end);
  for (size_t p = first_end; p != std::string_view::npos; p = line.find(' ', p + 1)) {
    std::string_view tok = line.substr(p + 1, 3);
    if (tok != "+0x" && tok != "fp=" && tok != "sp=" && tok != "pc=") return false;
  }
  if (path_open) {
    return first.find_first_of("()\"{}[]=,<>|") == std::string_view::npos;
  }
  if (number_open && !first.empty() && IsDigit(first[0])) {
    return first.find_first_not_of("0123456789") == std::string_view::npos;
  }
  // The hex digits of a cut offset or fp/sp/pc value.
  if (StartsWith(first, "fp=") || StartsWith(first, "sp=") || StartsWith(first, "pc=") ||
      StartsWith(first, "+0x")) {
    first.remove_prefix(3);
  }
  return first.find_first_not_of("0123456789abcdefx") == std::string_view::npos;
}

}  // namespace

bool TraceParser::IsFileLine(std::string_view line) {
  std::string_view s = TrimLeft(line);
  size_t cut = s.find(" +0x");
  if (cut == std::string_view::npos) cut = s.find(" fp=");
  s = TrimRight(s.substr(0, cut));
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon < 3 || colon + 1 >= s.size() || s.size() > 4096) {
    return false;
  }
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (!IsDigit(s[i])) return false;
  }
  std::string_view file = s.substr(0, colon);
  auto ends = [&](std::string_view ext) {
    return file.size() > ext.size() && file.substr(file.size() - ext.size()) == ext;
  };
  return ends(".go") || ends(".s") || ends(".c");
}

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

bool TraceParser::IsHeaderLine(std::string_view line) const {
  return StartsWith(line, "panic: ") || StartsWith(line, "fatal error: ") || IsSignalHeader(line) ||
         StartsWith(line, "runtime stack:") || StartsWith(line, "runtime: ") ||
         line.find("http: panic serving ") != std::string_view::npos ||
         line.find("http2: panic serving ") != std::string_view::npos;
}

void TraceParser::StartImplicitGoroutine() {
  if (header_pending_) {
    sink_->OnCrash(header_);
    header_pending_ = false;
  }
  g_.Reset();
  g_.id = kUnknownGoroutine;
  g_.state = "running";
  in_block_ = true;
  state_ = State::kGoroutine;
}

void TraceParser::AddFileOnlyFrame(std::string_view line) {
  g_.frames.emplace_back();
  Frame& f = g_.frames.back();
  ParseLocationLine(line, &f.file, &f.line);
  location_frame_ = static_cast<int64_t>(g_.frames.size()) - 1;
  location_open_ = false;
  failed_location_.clear();
}

bool TraceParser::ContinueLocation(std::string_view line) {
  bool path_open = !failed_location_.empty();
  if (!LooksLikeLocationTail(line, path_open, location_open_)) return false;
  if (location_frame_ == -1 ||
      (location_frame_ >= 0 && static_cast<size_t>(location_frame_) >= g_.frames.size())) {
    return false;
  }
  Frame& f = location_frame_ == -2 ? g_.created_by : g_.frames[location_frame_];
  if (path_open) {
    std::string joined = std::move(failed_location_);
    failed_location_.clear();
    joined.append(line);
    if (ParseLocationLine(joined, &f.file, &f.line)) {
      location_open_ = joined.find(" +0x") == std::string::npos && IsDigit(joined.back());
    } else if (joined.size() < kMaxPartial) {
      failed_location_ = std::move(joined);
    }
    last_line_incomplete_ = false;
    return true;
  }
  if (location_open_ && IsDigit(line[0])) {
    size_t i = 0;
    int64_t n = f.line;
    while (i < line.size() && IsDigit(line[i]) && n < 10'000'000) n = n * 10 + (line[i++] - '0');
    f.line = static_cast<int>(n);
    location_open_ = i == line.size();
  }
  return true;
}

void TraceParser::ResolvePartial() {
  std::string partial = std::move(partial_);
  partial_.clear();
  if (partial.empty() || !in_block_) return;
  // The wrapped function line never got its end: keep the name it started with.
  std::string function;
  if (!ParseFunctionLine(partial + ")", &function)) {
    size_t args = std::string::npos;
    for (size_t i = 1; i < partial.size(); ++i) {
      if (partial[i] == '(' && partial[i - 1] != '.') {
        args = i;
        break;
      }
    }
    function = partial.substr(0, args);
  }
  g_.frames.emplace_back();
  g_.frames.back().function = std::move(function);
  pending_frame_ = &g_.frames.back();
  pending_created_by_ = false;
  state_ = State::kLocation;
}

void TraceParser::EndBlock(bool truncated) {
  FlushGoroutine(truncated);
  state_ = State::kIdle;
}

void TraceParser::FlushGoroutine(bool truncated) {
  if (!in_block_) return;
  g_.truncated = truncated;
  sink_->OnGoroutine(g_);
  g_.Reset();
  in_block_ = false;
  pending_frame_ = nullptr;
  pending_created_by_ = false;
  partial_.clear();
  blank_pending_ = false;
  noise_lines_ = 0;
  location_frame_ = -1;
  location_open_ = false;
  failed_location_.clear();
}

void TraceParser::Feed(std::string_view line) {
  ++line_no_;
  last_line_incomplete_ = false;
  if (!partial_.empty() && !in_block_) {
    // A goroutine header wrapped onto this line ("goroutine 9 [chan receive, 12" + " minutes]:").
    std::string joined = std::move(partial_);
    partial_.clear();
    if (line.empty() || joined.size() >= kMaxPartial) {
      FeedIdle(line);
      return;
    }
    joined.append(line);
    --line_no_;
    Feed(joined);
    return;
  }
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
  if (line[0] == 'g' && StartsWith(line, "goroutine ") && line.size() > 10 && IsDigit(line[10]) &&
      line.find(" [") != std::string_view::npos && line.size() < kMaxPartial) {
    partial_.assign(line);  // wrapped: the rest of the header is on the next line
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
      header_.signal = SignalName(sig.substr(0, end));
      continuation_lines_ = kMaxContinuationLines;
      return;
    }
    if (StartsWith(line, "signal arrived during cgo execution")) {
      header_.signal_in_cgo = true;
      return;
    }
    if (StartsWith(line, "PC=0x")) return;
    std::string_view trimmed = TrimLeft(line);
    // The re-panic of a recovered panic, indented by a tab (or the blanks a copy made of it).
    if (IsBlank(line[0]) && StartsWith(trimmed, "panic: ") && header_.kind == HeaderKind::kPanic) {
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
    if (IsFileLine(line)) {  // klog's callers, one "file:line" each, right after the header
      StartImplicitGoroutine();
      AddFileOnlyFrame(line);
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
    if (!partial_.empty()) ResolvePartial();
    if (!blank_pending_) {
      blank_pending_ = true;
      blank_truncated_ = state_ == State::kLocation && g_.frames.empty();
    }
    return;
  }
  bool indented = line[0] == '\t' || line[0] == ' ';
  if (blank_pending_) {
    // A blank line ends the block, unless frames go on after it (a paste that put blank
    // lines between frames).
    blank_pending_ = false;
    std::string function;
    bool frame_follows = indented ? state_ == State::kLocation || IsFileLine(line)
                                  : !(line[0] == 'g' && LooksLikeGoroutineHeader(line)) &&
                                        (StartsWith(line, "created by ") ||
                                         ParseFunctionLine(line, &function) || IsFileLine(line));
    if (!frame_follows) {
      EndBlock(blank_truncated_);
      FeedIdle(line);
      return;
    }
  }
  if (!partial_.empty()) {
    if (!indented) {
      std::string joined = std::move(partial_);
      partial_.clear();
      joined.append(line);
      FeedGoroutine(joined);
      return;
    }
    ResolvePartial();  // the wrapped function line ended where its location starts
  }
  if (indented) {
    if (state_ == State::kLocation) {
      bool created_by = pending_created_by_;
      Frame& target = created_by ? g_.created_by : *pending_frame_;
      bool ok = ParseLocationLine(line, &target.file, &target.line);
      last_line_incomplete_ = !ok;
      location_frame_ = created_by ? -2 : static_cast<int64_t>(pending_frame_ - g_.frames.data());
      location_open_ = ok && line.find(" +0x") == std::string_view::npos &&
                       line.find(" fp=") == std::string_view::npos && IsDigit(line.back());
      if (ok) {
        failed_location_.clear();
      } else {
        failed_location_.assign(line.substr(0, kMaxPartial));
      }
      pending_frame_ = nullptr;
      pending_created_by_ = false;
      state_ = State::kGoroutine;
      noise_lines_ = 0;
    } else if (IsFileLine(line)) {
      AddFileOnlyFrame(line);  // a location without its function line
    }
    return;
  }
  // A location that lost its indentation (pasted as plain text) still belongs to the frame
  // before it.
  Frame* expecting = state_ != State::kLocation ? nullptr
                     : pending_created_by_      ? &g_.created_by
                                                : pending_frame_;
  int64_t expecting_index =
      pending_created_by_ || !expecting ? -2 : static_cast<int64_t>(expecting - g_.frames.data());
  state_ = State::kGoroutine;
  pending_frame_ = nullptr;
  pending_created_by_ = false;
  int64_t after_location = location_frame_;
  location_frame_ = -1;
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
    noise_lines_ = 0;
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
    noise_lines_ = 0;
    return;
  }
  if (after_location != -1) {
    location_frame_ = after_location;
    if (ContinueLocation(line)) return;  // the location line was wrapped
    location_frame_ = -1;
  }
  if (IsFileLine(line)) {
    if (expecting) {
      ParseLocationLine(line, &expecting->file, &expecting->line);
      location_frame_ = expecting_index;
      location_open_ = false;
      failed_location_.clear();
      return;
    }
    AddFileOnlyFrame(line);
    return;
  }
  if (LooksLikePartialFunction(line)) {
    partial_.assign(line);
    last_line_incomplete_ = true;
    return;
  }
  if (IsHeaderLine(line)) {
    EndBlock(false);
    FeedIdle(line);
    return;
  }
  // Anything else is a log line between frames ("time=... level=info ...", "exit status 2"):
  // skipped, unless so many come in a row that the block is clearly over.
  last_line_incomplete_ = true;
  if (++noise_lines_ > kMaxNoiseLines) EndBlock(false);
}

void TraceParser::Finish(bool cut_mid_line) {
  bool partial_header = !partial_.empty() && !in_block_;
  if (partial_header) partial_.clear();
  if (!partial_.empty()) {
    ResolvePartial();  // the input ended inside a function line
    last_line_incomplete_ = true;
  }
  bool truncated =
      partial_header ||
      (blank_pending_ ? blank_truncated_
                      : (cut_mid_line && (in_block_ || last_line_incomplete_)) ||
                            (in_block_ && (state_ == State::kLocation || g_.frames.empty())));
  if (in_block_) FlushGoroutine(truncated);
  if (header_pending_) {
    sink_->OnCrash(header_);
    header_pending_ = false;
  }
  if (truncated) sink_->OnTruncated();
  state_ = State::kIdle;
}

}  // namespace medic::golang
