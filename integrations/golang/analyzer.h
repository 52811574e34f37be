// Go crash triage, the library entry points behind `medic analyze` (and the playbook step
// that will call it): AnalyzeStream reads logs / dumps, AnalyzeCore reads a core file
// through delve (gdb as fallback). Both return an Analysis: the crash's category, whether
// recover() could have caught it, the culprit frame, how often it occurred, goroutine
// buckets, leak suspects and the on-call recommendation. Render it with report.h.
// Start reading at AnalyzeStream; the pieces are log_lines -> trace_parser -> classifier /
// buckets -> known_signatures.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "base/status.h"
#include "env/process_runner.h"
#include "integrations/golang/buckets.h"
#include "integrations/golang/known_signatures.h"

namespace medic::golang {

/// The frame blamed for a crash: the first of the program's own code on the crashing stack.
struct Culprit {
  std::string function;
  std::string package;
  std::string file;
  int line = 0;
};

/// One distinct crash signature seen in the input and how often.
struct SignatureCount {
  std::string signature;  ///< "CATEGORY FUNCTION"
  std::string category;
  std::string message;
  std::string function;  ///< culprit function, may be empty
  int64_t occurrences = 0;
  int64_t first_line = 0;  ///< input line of the first occurrence (0 for cores)
};

/// What the on-call engineer should do next.
struct Recommendation {
  std::string action;  ///< "hotfix", "restart" or "investigate"
  std::string why;
  std::string fixed_in;  ///< hotfix: the fixed image/version from --known
};

/// The result of analysing one input. When crash_found is false the crash fields are empty
/// and no_crash_reason says why (cmd/ maps that to exit code 4); goroutine buckets and leak
/// suspects are still filled for plain goroutine dumps.
struct Analysis {
  bool crash_found = false;
  std::string no_crash_reason;

  std::string category;
  bool recoverable = false;
  std::string explanation;               ///< one sentence about the category
  std::string message;                   ///< the original panic value / fatal error text
  std::vector<std::string> panic_chain;  ///< every panic value, oldest first
  std::string signal;                    ///< "SIGSEGV: segmentation violation", if printed
  std::string http_peer;                 ///< for "http: panic serving" records
  bool has_culprit = false;
  Culprit culprit;
  bool has_goroutine = false;
  int64_t goroutine_id = 0;
  std::string goroutine_state;
  std::string phase;  ///< "init", "main", "goroutine", or "" when unknown
  std::string signature;
  int64_t occurrences = 0;
  std::vector<SignatureCount> signatures;  ///< all distinct signatures, most frequent first

  int64_t goroutines_total = 0;  ///< goroutines in the dump of the reported crash
  int64_t buckets_total = 0;     ///< distinct stacks among them
  std::vector<Bucket> buckets;   ///< the largest AnalyzeOptions::max_buckets buckets
  std::vector<LeakSuspect> leak_suspects;
  Recommendation recommendation;

  bool truncated = false;  ///< the input ended inside a goroutine stack
  int64_t lines = 0;       ///< input lines read
  int64_t cut_lines = 0;   ///< lines longer than the limit (cut, not lost count)
  std::string source;      ///< "stream", "core (dlv)", "core (gdb)"
  std::vector<std::string> warnings;
};

/// Knobs for the analysis; the defaults are what `medic analyze` uses.
struct AnalyzeOptions {
  KnownSignatures known;  ///< from --known; empty means no hotfix mapping
  LeakThresholds leak;
  size_t max_buckets = 20;            ///< buckets listed in the result (all are counted)
  size_t max_line = 1 << 20;          ///< longer input lines are cut
  std::string dlv = "dlv";            ///< AnalyzeCore: delve executable (PATH lookup)
  std::string gdb = "gdb";            ///< AnalyzeCore: gdb executable, the fallback
  int64_t tool_timeout_ms = 300'000;  ///< AnalyzeCore: per debugger run
  RunProcessFn run_debugger;  ///< AnalyzeCore: how a debugger runs (cancel, record); see ReadCore
};

/// Analyses Go crash output read from `in` (logs, dumps, container logs) in bounded memory.
/// Returns an Analysis (crash_found false when there is none); kIo only when reading
/// fails before anything was read. Never throws.
Result<Analysis> AnalyzeStream(std::istream& in, const AnalyzeOptions& opts);

/// Analyses a core file of the Go program `binary` by running delve (`dlv core`), or gdb
/// when delve is missing, through argv (no shell). kNotFound when the files or both tools
/// are missing (naming the Debian packages), kFailedPrecondition when the debugger cannot
/// read the core, kTimeout when it runs too long, kCancelled when the cancel token of
/// opts.run_debugger fired. Never throws.
Result<Analysis> AnalyzeCore(const std::string& core, const std::string& binary,
                             const AnalyzeOptions& opts);

}  // namespace medic::golang
