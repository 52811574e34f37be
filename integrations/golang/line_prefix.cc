#include "integrations/golang/line_prefix.h"

#include <array>

namespace medic::golang {
namespace {

constexpr size_t kMaxPrefix = 256;
constexpr size_t kMaxTokens = 64;
constexpr size_t kAnchorWindow = 256;  // where a cut-off prefix may end in a full line

constexpr std::array<std::string_view, 14> kSignals = {
    "SIGQUIT: ", "SIGABRT: ", "SIGSEGV: ", "SIGBUS: ", "SIGILL: ",  "SIGFPE: ",  "SIGTRAP: ",
    "SIGSYS: ",  "SIGTERM: ", "SIGINT: ",  "SIGHUP: ", "SIGPIPE: ", "SIGUSR1: ", "SIGEMT: "};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
// Letters of any script: month names are localized ("Dez", "janv.", "Mär").
bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
}
bool IsWordChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }

// A prefix may end in punctuation, a blank, or a one-letter code glued to digits
// ("...05.123Z "), but not in a word: "recovered from panic: x" and "Observed a panic:"
// are prose about a panic, not a log prefix in front of the runtime's header.
bool EndsLikeAPrefix(std::string_view before) {
  size_t end = before.size();
  while (end > 0 && IsBlank(before[end - 1])) --end;
  if (end == 0) return true;
  if (!IsLetter(before[end - 1])) return true;
  size_t start = end;
  while (start > 0 && IsLetter(before[start - 1])) --start;
  if (end - start >= 2) return false;
  return start > 0 && !IsBlank(before[start - 1]);
}

// "goroutine 12 [" or "goroutine 12 gp=..." at pos, and the line ends like a block header.
bool GoroutineHeaderAt(std::string_view line, size_t pos) {
  size_t i = pos + 10;
  size_t digits = i;
  while (i < line.size() && IsDigit(line[i])) ++i;
  if (i == digits || i + 1 >= line.size() || line[i] != ' ') return false;
  if (line[i + 1] != '[' && line.compare(i + 1, 3, "gp=") != 0) return false;
  size_t end = line.size();
  while (end > i && (IsBlank(line[end - 1]) || line[end - 1] == '"')) --end;
  return end >= 2 && line[end - 1] == ':' && line[end - 2] == ']';
}

}  // namespace

CrashMarker FindCrashMarker(std::string_view line) {
  CrashMarker best;
  size_t best_pos = std::string_view::npos;
  auto consider = [&](MarkerKind kind, size_t pos) {
    if (pos < best_pos) {
      best_pos = pos;
      best = {kind, pos};
    }
  };
  for (size_t p = line.find("goroutine "); p != std::string_view::npos && p < best_pos;
       p = line.find("goroutine ", p + 1)) {
    if ((p == 0 || !IsWordChar(line[p - 1])) && GoroutineHeaderAt(line, p)) {
      consider(MarkerKind::kGoroutine, p);
      break;
    }
  }
  auto prose_free = [&](std::string_view needle, MarkerKind kind) {
    for (size_t p = line.find(needle); p != std::string_view::npos && p < best_pos;
         p = line.find(needle, p + 1)) {
      if (p == 0 || (!IsWordChar(line[p - 1]) && EndsLikeAPrefix(line.substr(0, p)))) {
        consider(kind, p);
        return;
      }
    }
  };
  prose_free("panic: ", MarkerKind::kPanic);
  prose_free("fatal error: ", MarkerKind::kFatal);
  if (line.find("SIG") != std::string_view::npos) {
    for (std::string_view s : kSignals) prose_free(s, MarkerKind::kSignal);
  }
  return best;
}

void LinePrefix::Clear() {
  tokens_.clear();
  text_.clear();
  blank_only_ = false;
  anchor_ = false;
}

void LinePrefix::Learn(std::string_view prefix) {
  Clear();
  if (prefix.empty() || prefix.size() > kMaxPrefix) return;
  bool words = false;
  size_t i = 0;
  while (i < prefix.size() && tokens_.size() < kMaxTokens) {
    char c = prefix[i];
    size_t j = i + 1;
    Token t{Kind::kLiteral, c, 0};
    if (IsDigit(c)) {
      while (j < prefix.size() && IsDigit(prefix[j])) ++j;
      t.kind = Kind::kDigits;
      words = true;
    } else if (IsLetter(c)) {
      while (j < prefix.size() && IsLetter(prefix[j])) ++j;
      t.kind = Kind::kLetters;
      words = true;
    } else if (IsBlank(c)) {
      while (j < prefix.size() && IsBlank(prefix[j])) ++j;
      t.kind = Kind::kBlanks;
      t.count = static_cast<uint16_t>(j - i);
    }
    tokens_.push_back(t);
    i = j;
  }
  if (i < prefix.size()) {  // too many tokens to be a log prefix
    Clear();
    return;
  }
  text_.assign(prefix);
  blank_only_ = tokens_.size() == 1 && tokens_[0].kind == Kind::kBlanks;
  anchor_ = !words && !blank_only_;
}

size_t LinePrefix::MatchAt(std::string_view line, size_t pos) const {
  size_t i = pos;
  for (size_t t = 0; t < tokens_.size(); ++t) {
    const Token& tok = tokens_[t];
    bool last = t + 1 == tokens_.size();
    switch (tok.kind) {
      case Kind::kDigits: {
        size_t start = i;
        while (i < line.size() && IsDigit(line[i])) ++i;
        if (i == start) return std::string_view::npos;
        break;
      }
      case Kind::kLetters: {
        size_t start = i;
        while (i < line.size() && IsLetter(line[i])) ++i;
        if (i == start) return std::string_view::npos;
        break;
      }
      case Kind::kBlanks: {
        if (last) {
          // The trailing blanks are counted exactly: what follows is the line's own
          // indentation. An editor may have trimmed them from an empty line.
          if (i == line.size() && !blank_only_) return i;
          for (size_t k = 0; k < tok.count; ++k, ++i) {
            if (i >= line.size() || !IsBlank(line[i])) return std::string_view::npos;
          }
        } else {
          size_t start = i;
          while (i < line.size() && IsBlank(line[i])) ++i;
          if (i == start) return std::string_view::npos;
        }
        break;
      }
      case Kind::kLiteral:
        if (i >= line.size() || line[i] != tok.literal) return std::string_view::npos;
        ++i;
        break;
    }
  }
  return i;
}

size_t LinePrefix::Match(std::string_view line) const {
  if (tokens_.empty()) return std::string_view::npos;
  size_t n = MatchAt(line, 0);
  if (n != std::string_view::npos || !anchor_) return n;
  // "]: " learned from a header whose copy started mid-prefix; the lines after it carry
  // the whole prefix, which ends with the same punctuation.
  size_t lead = 0;
  while (lead < text_.size() && IsBlank(text_[lead])) ++lead;
  std::string_view needle = std::string_view(text_).substr(lead);
  size_t at = line.substr(0, kAnchorWindow).find(needle);
  if (at == std::string_view::npos) return at;
  return at + needle.size();
}

}  // namespace medic::golang
