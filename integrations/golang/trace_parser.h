// TraceParser: a streaming, line-at-a-time parser for what the Go runtime prints when it
// crashes or dumps goroutines (Go 1.17 to 1.23): panic chains with "[recovered]", "fatal
// error:" with the "runtime: ..." notes before it, signal dumps (SIGQUIT/SIGABRT), net/http
// "http: panic serving" records, "goroutine N [state]:" blocks (including the Go 1.23
// "gp=... m=..." form), "runtime stack:" sections, "created by X in goroutine N",
// "...additional frames elided..." and GOTRACEBACK=crash "fp= sp= pc=" suffixes.
// It keeps one goroutine at a time and reports to a TraceSink; lines it does not
// recognise (application logs) are skipped. Feed it normalized lines (log_lines.h).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "integrations/golang/trace.h"

namespace medic::golang {

/// Parses Go crash output line by line. Not thread-safe; the sink must outlive it.
class TraceParser {
 public:
  explicit TraceParser(TraceSink* sink) : sink_(sink) {}

  /// Consumes one line (no newline). Never fails: unknown lines are skipped.
  void Feed(std::string_view line);

  /// Flushes a goroutine cut off by the end of input (marked truncated). `cut_mid_line`
  /// says the input's last line had no newline (the dump was cut inside a line).
  void Finish(bool cut_mid_line = false);

  int64_t lines() const { return line_no_; }  ///< lines fed so far

  /// Splits "pkg.F(0x1, {0x2, 0x3}, ...)" into the function name; false when `line` is not
  /// a frame line. Exposed for tests.
  static bool ParseFunctionLine(std::string_view line, std::string* function);

  /// Splits "\t/src/x.go:12 +0x2e fp=0x.." into file and line; false when malformed.
  static bool ParseLocationLine(std::string_view line, std::string* file, int* line_no);

  /// True for a location printed without its function line ("/src/x.go:12", "x.go:12
  /// +0x2e"): a path with a Go, assembly or C file name and a line number.
  static bool IsFileLine(std::string_view line);

  /// Parses "goroutine 7 [chan receive, 3 minutes, locked to thread]:" into `g`.
  static bool ParseGoroutineHeader(std::string_view line, Goroutine* g);

 private:
  enum class State {
    kIdle,       // between crashes or inside application logs
    kHeader,     // after a crash header, before its first goroutine
    kGoroutine,  // inside a goroutine block, expecting a function line
    kLocation,   // a function line was read; its "\tfile:line" should follow
  };

  bool TryHeader(std::string_view line);
  bool IsHeaderLine(std::string_view line) const;
  void StartImplicitGoroutine();
  void AddFileOnlyFrame(std::string_view line);
  bool ContinueLocation(std::string_view line);
  void ResolvePartial();
  void EndBlock(bool truncated);
  void StartCrash(HeaderKind kind, std::string message);
  void FlushGoroutine(bool truncated);
  void FeedIdle(std::string_view line);
  void FeedGoroutine(std::string_view line);

  TraceSink* sink_;
  State state_ = State::kIdle;
  CrashHeader header_;
  bool header_pending_ = false;  // header_ not yet sent (it may still grow)
  int continuation_lines_ = 0;   // lines appended to a multi-line panic value
  Goroutine g_;
  bool in_block_ = false;
  Frame* pending_frame_ = nullptr;  // frame whose location line is expected
  bool pending_created_by_ = false;
  std::deque<std::string> notes_;  // recent "runtime: ..." lines
  int64_t notes_line_ = 0;
  int64_t line_no_ = 0;
  bool last_line_incomplete_ = false;  // the latest line inside a block did not parse

  // Damage done by terminals, loggers and pastes:
  std::string partial_;           // a function or goroutine line wrapped onto the next line
  bool blank_pending_ = false;    // a blank line inside a block: it ends unless a frame follows
  bool blank_truncated_ = false;  // ... and whether the block was cut off at that point
  int noise_lines_ = 0;           // log lines interleaved inside a block, in a row
  int64_t location_frame_ = -1;   // frame whose location was the previous line (-2: created by)
  bool location_open_ = false;    // that location line ended right after its line number
  std::string failed_location_;   // that location line did not parse: maybe wrapped mid-path
};

}  // namespace medic::golang
