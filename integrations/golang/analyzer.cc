#include "integrations/golang/analyzer.h"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "integrations/golang/classifier.h"
#include "integrations/golang/core_reader.h"
#include "integrations/golang/log_lines.h"
#include "integrations/golang/trace_parser.h"

namespace medic::golang {
namespace {

// One crash being collected: its header, the goroutines needed to judge it, and its buckets.
struct CrashRecord {
  CrashHeader header;
  bool has_first = false;
  Goroutine first;  // first goroutine after the header
  bool has_runtime_stack = false;
  Goroutine runtime_stack;
  StackBuckets buckets;
  bool truncated = false;
};

// A distinct signature: the first crash that had it (kept whole) and how often it came.
struct SignatureGroup {
  std::unique_ptr<CrashRecord> crash;
  Classification cls;
  const Goroutine* crasher = nullptr;  // points into crash
  std::string message;
  SignatureCount count;
};

bool IsRunningState(const std::string& s) { return s == "running" || s == "syscall"; }

const Goroutine* PickCrasher(const CrashRecord& c, std::string_view message) {
  if (!c.has_first) return nullptr;
  const Goroutine& g = c.first;
  switch (c.header.kind) {
    case HeaderKind::kPanic:
    case HeaderKind::kHttpPanic:
      return &g;
    case HeaderKind::kFatal:
      // The runtime prints the goroutine that threw first; when it threw on the system
      // stack (thread exhaustion, deadlock) the first goroutine is just goroutine 1.
      if (IsRunningState(g.state)) return &g;
      if (message.find("deadlock!") != std::string_view::npos) return &g;
      return nullptr;
    case HeaderKind::kSignal:
      return IsRunningState(g.state) && HasCgoFrames(g) ? &g : nullptr;
    case HeaderKind::kCoreSnapshot:
      return nullptr;
  }
  return nullptr;
}

bool FindCulprit(const Goroutine& g, Culprit* out) {
  size_t start = 0;
  for (size_t i = 0; i < g.frames.size(); ++i) {
    if (IsPanicFrame(g.frames[i])) start = i + 1;
  }
  // Below the deepest panic frame is where the original panic happened (the frames above it
  // are deferred handlers that recovered and re-panicked, or net/http's recover). Known
  // handlers are skipped even when the excerpt lost the panic frame.
  for (size_t pass = 0; pass < 2; ++pass) {
    for (size_t i = pass == 0 ? start : 0; i < g.frames.size(); ++i) {
      const Frame& f = g.frames[i];
      if (!IsUserFrame(f) || IsPanicHandler(f.function)) continue;
      out->function = f.function;
      out->package = f.function.empty() ? "" : PackageOf(f.function);
      out->file = f.file;
      out->line = f.line;
      return true;
    }
  }
  return false;
}

// Frames a complete goroutine stack ends with; a crashing stack that ends elsewhere, with
// no "created by" line, was cut short by whoever copied it.
bool EndsLikeACompleteStack(const Goroutine& g) {
  if (g.frames.empty() || g.frames_elided || !g.created_by.function.empty()) return true;
  const Frame& last = g.frames.back();
  if (last.function.empty()) return true;  // klog's caller lists end anywhere
  static constexpr std::string_view kRoots[] = {
      "main.main",         "runtime.main",        "runtime.goexit", "runtime.mstart",
      "runtime.rt0_go",    "runtime.cgocallback", "crosscall2",     "runtime.systemstack",
      "runtime.morestack", "runtime.mcall",       "testing.tRunner"};
  for (std::string_view root : kRoots) {
    if (last.function == root) return true;
  }
  return IsInitFunction(last.function) || last.function.rfind("runtime.", 0) == 0;
}

std::string PhaseOf(const Goroutine& g) {
  bool main = false;
  for (const Frame& f : g.frames) {
    if (IsInitFunction(f.function)) return "init";
    if (f.function == "main.main") main = true;
  }
  // Goroutine 1 runs package initialisation and then main.main (whose frame may be elided).
  if (main || g.id == 1) return "main";
  // A stack that ends in runtime.main without main.main is still package initialisation.
  if (!g.frames.empty() && g.frames.back().function == "runtime.main") return "init";
  return "goroutine";
}

// The sink: groups crashes by signature and keeps one whole crash per signature.
class CrashCollector : public TraceSink {
 public:
  void OnCrash(const CrashHeader& header) override {
    Finalize();
    current_ = std::make_unique<CrashRecord>();
    current_->header = header;
  }

  void OnGoroutine(const Goroutine& g) override {
    CrashRecord& c = current_ ? *current_ : orphan_;
    if (g.truncated) c.truncated = true;
    if (g.id == -1) {
      if (!c.has_runtime_stack) {
        c.runtime_stack = g;
        c.has_runtime_stack = true;
      }
      return;
    }
    if (g.id == 0) return;  // an M's g0 stack in GOTRACEBACK=crash dumps, not a goroutine
    c.buckets.Add(g);
    if (!c.has_first) {
      c.first = g;
      c.has_first = true;
    }
  }

  void OnTruncated() override { (current_ ? *current_ : orphan_).truncated = true; }

  void Finalize() {
    if (!current_) return;
    std::unique_ptr<CrashRecord> c = std::move(current_);
    std::string message = c->header.chain.empty() ? "" : c->header.chain.front();
    const Goroutine* crasher = PickCrasher(*c, message);
    if (crasher && crasher->id >= 0 && !EndsLikeACompleteStack(*crasher)) c->truncated = true;
    if (!c->has_first && !c->has_runtime_stack && c->header.kind != HeaderKind::kCoreSnapshot) {
      c->truncated = true;  // a header without any stack: the paste stopped there
    }
    Classification cls =
        Classify(c->header, message, crasher, c->has_runtime_stack ? &c->runtime_stack : nullptr);
    Culprit culprit;
    bool has_culprit = crasher && FindCulprit(*crasher, &culprit);
    if (MergeWithPrevious(*c, message, has_culprit)) return;
    any_truncated_ = any_truncated_ || c->truncated;
    last_group_ = groups_.size();
    std::string sig = MakeSignature(cls.category, has_culprit ? culprit.function : "");
    auto it = index_.find(sig);
    if (it != index_.end()) {
      ++groups_[it->second].count.occurrences;
      last_group_ = it->second;
      return;
    }
    index_.emplace(sig, groups_.size());
    SignatureGroup g;
    g.cls = cls;
    g.message = message;
    g.count = {sig, cls.category,         message, has_culprit ? culprit.function : "",
               1,   c->header.line_number};
    g.crasher = crasher;
    g.crash = std::move(c);
    groups_.push_back(std::move(g));
  }

  Analysis Build(const AnalyzeOptions& opts) {
    Finalize();
    Analysis a;
    a.truncated = any_truncated_ || orphan_.truncated;
    if (groups_.empty()) {
      a.crash_found = false;
      FillDump(orphan_.buckets, opts, &a);
      return a;
    }
    // The most frequent signature is the one reported; ties go to the first seen.
    std::vector<size_t> order(groups_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return groups_[x].count.occurrences > groups_[y].count.occurrences;
    });
    for (size_t i : order) {
      if (groups_[i].count.occurrences > 0) a.signatures.push_back(groups_[i].count);
    }
    const SignatureGroup& top = groups_[order.front()];
    const CrashRecord& c = *top.crash;
    a.crash_found = true;
    a.category = top.cls.category;
    a.recoverable = top.cls.recoverable;
    a.explanation = top.cls.explanation;
    a.message = top.message;
    a.panic_chain = c.header.chain;
    a.signal = c.header.signal;
    a.http_peer = c.header.peer;
    a.signature = top.count.signature;
    a.occurrences = top.count.occurrences;
    if (top.crasher) {
      a.has_goroutine = true;
      a.goroutine_id = top.crasher->id;
      a.goroutine_state = top.crasher->state;
      a.has_culprit = FindCulprit(*top.crasher, &a.culprit);
      a.phase = PhaseOf(*top.crasher);
    }
    FillDump(c.buckets, opts, &a);
    Recommend(top.cls, opts, &a);
    return a;
  }

 private:
  // A panic a handler logged (klog "Observed a panic", a JSON record with a stack) and then
  // re-panicked reaches the log twice: as the record, then as the runtime's "panic: X
  // [recovered]". That is one crash; the report that names a function is kept.
  bool MergeWithPrevious(const CrashRecord& c, const std::string& message, bool has_culprit) {
    if (last_group_ >= groups_.size() || c.header.kind != HeaderKind::kPanic ||
        c.header.recovered.empty() || !c.header.recovered.front()) {
      return false;
    }
    SignatureGroup& prev = groups_[last_group_];
    const CrashHeader& ph = prev.crash->header;
    if (ph.kind != HeaderKind::kPanic || prev.message != message ||
        (!ph.recovered.empty() && ph.recovered.front())) {
      return false;
    }
    if (!prev.count.function.empty() || !has_culprit) {
      last_group_ = groups_.size();
      return true;
    }
    // The runtime's report names the function the record could not: it replaces the record.
    if (--prev.count.occurrences == 0) index_.erase(prev.count.signature);
    return false;
  }

  static void FillDump(const StackBuckets& buckets, const AnalyzeOptions& opts, Analysis* a) {
    a->goroutines_total = buckets.total();
    a->buckets_total = static_cast<int64_t>(buckets.size());
    a->buckets = buckets.Sorted();
    if (a->buckets.size() > opts.max_buckets) a->buckets.resize(opts.max_buckets);
    a->leak_suspects = buckets.LeakSuspects(opts.leak);
    if (!a->crash_found && !a->leak_suspects.empty()) {
      const LeakSuspect& s = a->leak_suspects.front();
      a->recommendation = {"restart",
                           std::to_string(s.count) + " goroutines are parked in " + s.function +
                               " [" + s.state +
                               "]: a goroutine leak; restart to reclaim them, then fix the "
                               "missing exit path",
                           ""};
    }
  }

  static void Recommend(const Classification& cls, const AnalyzeOptions& opts, Analysis* a) {
    const std::string function = a->has_culprit ? a->culprit.function : "";
    if (const KnownSignature* k = opts.known.Match(a->signature, a->category, function)) {
      a->recommendation = {"hotfix",
                           "known crash '" + a->signature + "' is fixed in " + k->fixed_in +
                               (k->note.empty() ? "" : " (" + k->note + ")") + ": roll out " +
                               k->fixed_in,
                           k->fixed_in};
      return;
    }
    if (cls.resource_exhaustion) {
      a->recommendation = {"restart",
                           "resource exhaustion (" + a->category +
                               "): restart to restore service; it will recur as load grows, "
                               "so watch memory/threads after the restart",
                           ""};
      return;
    }
    if (!a->leak_suspects.empty()) {
      const LeakSuspect& s = a->leak_suspects.front();
      a->recommendation = {"restart",
                           std::to_string(s.count) + " goroutines are parked in " + s.function +
                               " [" + s.state +
                               "]: a goroutine leak; restart to reclaim them, then fix the "
                               "missing exit path",
                           ""};
      return;
    }
    std::string where = a->has_culprit ? " in " + a->culprit.function + " (" + a->culprit.file +
                                             ":" + std::to_string(a->culprit.line) + ")"
                                       : "";
    a->recommendation = {"investigate",
                         "restart to restore service, then investigate: " + a->category + where +
                             "; no fixed build is known for signature '" + a->signature +
                             "' (add it to the --known file once fixed)",
                         ""};
  }

  std::unique_ptr<CrashRecord> current_;
  CrashRecord orphan_;  // goroutines seen before any crash header
  std::vector<SignatureGroup> groups_;
  std::unordered_map<std::string, size_t> index_;
  size_t last_group_ = static_cast<size_t>(-1);  // group of the crash seen last
  bool any_truncated_ = false;
};

}  // namespace

Result<Analysis> AnalyzeStream(std::istream& in, const AnalyzeOptions& opts) {
  CrashCollector collector;
  TraceParser parser(&collector);
  LogLineNormalizer normalizer([&parser](std::string_view line) { parser.Feed(line); });
  LineReader reader(in, opts.max_line);
  std::string_view line;
  try {
    while (reader.Next(&line)) normalizer.Add(line);
    normalizer.Finish();
    parser.Finish(reader.last_line_unterminated());
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while analysing the input (after " +
                            std::to_string(reader.lines()) + " lines)");
  }
  if (reader.read_error() && reader.bytes() == 0) return Status::Io("cannot read the input");
  Analysis a = collector.Build(opts);
  a.source = "stream";
  a.lines = reader.lines();
  a.cut_lines = reader.cut_lines();
  if (reader.read_error()) {
    a.warnings.push_back("reading the input failed after " + std::to_string(reader.lines()) +
                         " lines; the analysis covers what was read");
  }
  if (a.cut_lines > 0) {
    a.warnings.push_back(std::to_string(a.cut_lines) + " line(s) longer than " +
                         std::to_string(opts.max_line) + " bytes were cut");
  }
  if (a.truncated) {
    a.warnings.push_back("the input ends inside a goroutine stack (truncated dump)");
  }
  if (!a.crash_found) {
    if (reader.bytes() == 0) {
      a.no_crash_reason = "the input is empty";
    } else if (a.goroutines_total > 0) {
      a.no_crash_reason = "found " + std::to_string(a.goroutines_total) +
                          " goroutine stack(s) but no panic, fatal error or signal header "
                          "(a goroutine dump such as /debug/pprof/goroutine?debug=2)";
    } else {
      a.no_crash_reason = "no Go panic, fatal error, signal dump or goroutine stack in " +
                          std::to_string(a.lines) + " line(s) of input";
    }
  }
  return a;
}

Result<Analysis> AnalyzeCore(const std::string& core, const std::string& binary,
                             const AnalyzeOptions& opts) {
  CoreReaderOptions ropts;
  ropts.dlv = opts.dlv;
  ropts.gdb = opts.gdb;
  ropts.timeout_ms = opts.tool_timeout_ms;
  ropts.run = opts.run_debugger;
  Result<CoreDump> dump = Status::Internal("core not read");
  try {
    dump = ReadCore(core, binary, ropts);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("reading the core failed: ") + e.what());
  }
  if (!dump.ok()) return dump.status();
  CrashCollector collector;
  collector.OnCrash(dump->header);
  for (const Goroutine& g : dump->goroutines) collector.OnGoroutine(g);
  Analysis a = collector.Build(opts);
  a.source = "core (" + dump->tool + ")";
  a.warnings = dump->warnings;
  return a;
}

}  // namespace medic::golang
