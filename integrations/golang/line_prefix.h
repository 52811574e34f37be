// Prefixes that log pipelines put in front of every line of a Go crash, learned rather
// than listed: the text before a crash marker ("panic: ", "goroutine 7 [") on one line is
// turned into a shape (runs of digits, letters, blanks and literal punctuation), and the
// lines that follow are stripped of text of the same shape. That one rule reads journald
// with any locale's month names, kubectl --timestamps, compose "svc-1  | ", BuildKit
// "#12 3.456 ", logcat, CI timestamps, a fixed indentation, and prefixes cut off by a paste
// ("]: "). Start at FindCrashMarker and LinePrefix::Learn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace medic::golang {

/// What FindCrashMarker found.
enum class MarkerKind {
  kNone,
  kPanic,      ///< "panic: "
  kFatal,      ///< "fatal error: "
  kGoroutine,  ///< "goroutine 12 [" (a goroutine block header)
  kSignal,     ///< "SIGQUIT: quit" and the other runtime signal dumps
};

/// A crash marker inside a line and where it starts.
struct CrashMarker {
  MarkerKind kind = MarkerKind::kNone;
  size_t pos = 0;
};

/// Finds the first place in `line` where Go crash output starts after some prefix: the
/// prefix must end at a boundary (blank or punctuation), and for "panic: ", "fatal error: "
/// and signals it must not end in a word ("recovered from panic: x" is prose, not a header).
/// Returns kind kNone when there is none.
CrashMarker FindCrashMarker(std::string_view line);

/// The learned shape of a line prefix. Not thread-safe; cheap to copy.
class LinePrefix {
 public:
  /// Learns the shape of `prefix` (the text before a crash marker). An empty prefix, or one
  /// longer than 256 bytes, clears what was learned.
  void Learn(std::string_view prefix);
  void Clear();

  /// True when a prefix has been learned.
  bool active() const { return !tokens_.empty(); }
  /// The prefix as it was learned (for tests and messages).
  const std::string& text() const { return text_; }
  /// True when the prefix is blanks only (an indentation).
  bool blank_only() const { return blank_only_; }

  /// When `line` starts with text of the learned shape, returns its length; otherwise
  /// std::string_view::npos. A prefix of punctuation only ("]: ", "| ", cut off by a copy)
  /// also matches where it ends a longer prefix of the same line.
  size_t Match(std::string_view line) const;

 private:
  enum class Kind : uint8_t { kDigits, kLetters, kBlanks, kLiteral };
  struct Token {
    Kind kind;
    char literal;    // kLiteral
    uint16_t count;  // kBlanks at the end: how many exactly
  };

  size_t MatchAt(std::string_view line, size_t pos) const;

  std::vector<Token> tokens_;
  std::string text_;
  bool blank_only_ = false;
  bool anchor_ = false;  // punctuation only: may also match inside the first bytes of a line
};

}  // namespace medic::golang
