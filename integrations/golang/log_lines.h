// Turning raw log input into the lines the Go runtime printed. LineReader splits a stream
// into lines in bounded memory (megabyte lines are cut, binary garbage passes through
// harmlessly); LogLineNormalizer removes what log shippers wrap around those lines:
// container-runtime (CRI) prefixes with partial-line joining, Docker json-file records,
// any other per-line prefix learned from the crash's header line (line_prefix.h), CRLF and
// "^M" endings, rsyslog's "#011" tabs, and crash text that structured loggers embedded
// (structured_logs.h: klog, testify, logfmt, JSON records).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "integrations/golang/line_prefix.h"

namespace medic::golang {

/// Splits an istream into lines without holding more than ~2 x max_line bytes.
/// Not thread-safe; the stream must outlive the reader.
class LineReader {
 public:
  /// Lines longer than `max_line` bytes are cut to their first max_line bytes.
  explicit LineReader(std::istream& in, size_t max_line = 1 << 20);

  /// Sets *line to the next line (without '\n' or a trailing '\r'); valid until the next
  /// call. Returns false at the end of input.
  bool Next(std::string_view* line);

  int64_t lines() const { return lines_; }          ///< lines returned so far
  int64_t cut_lines() const { return cut_lines_; }  ///< lines longer than max_line
  int64_t bytes() const { return bytes_; }          ///< bytes consumed so far
  bool read_error() const { return read_error_; }   ///< the stream failed (not EOF)
  /// The last line returned had no terminating newline (input cut inside a line).
  bool last_line_unterminated() const { return unterminated_; }

 private:
  bool Fill();

  std::istream& in_;
  size_t max_line_;
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // discarding the rest of an over-long line
  bool read_error_ = false;
  bool unterminated_ = false;
  int64_t lines_ = 0;
  int64_t cut_lines_ = 0;
  int64_t bytes_ = 0;
};

/// Strips log-shipper wrapping from raw lines and hands the runtime's own lines on.
/// Stateful (CRI partial lines are joined); not thread-safe.
class LogLineNormalizer {
 public:
  using Emit = std::function<void(std::string_view)>;

  /// `emit` receives zero or more normalized lines per raw line.
  explicit LogLineNormalizer(Emit emit) : emit_(std::move(emit)) {}

  /// Normalizes one raw line (without its newline).
  void Add(std::string_view raw);

  /// Flushes a pending partial (CRI "P") line at end of input.
  void Finish();

  /// Strips one known prefix (CRI, RFC 3339 timestamp, Go log, syslog) from `line`; returns
  /// the rest, or `line` unchanged. `partial` is set for a CRI "P" record. Exposed for tests.
  static std::string_view StripPrefix(std::string_view line, bool* partial);

  /// The prefix learned so far (empty when none). Exposed for tests.
  const LinePrefix& prefix() const { return prefix_; }

 private:
  void AddJson(std::string_view raw);
  void Text(std::string_view line);
  void Content(std::string_view line, size_t skip);
  void Slow(std::string_view line, size_t skip);
  void EmitLines(std::string_view text);

  Emit emit_;
  std::string pending_;  // CRI partial lines waiting for their "F" record
  LinePrefix prefix_;
  bool after_panic_ = false;  // the last header emitted was "panic: " (a re-panic may follow)
  std::string scratch_;
};

}  // namespace medic::golang
