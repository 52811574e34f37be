#include "integrations/golang/classifier.h"

#include <array>

namespace medic::golang {
namespace {

bool Has(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}
bool Starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

struct Rule {
  std::string_view needle;  // matched at the start of the message when `prefix`, else anywhere
  bool prefix;
  std::string_view category;
  std::string_view explanation;
};

// Values the runtime and sync package panic with (recoverable).
constexpr std::array<Rule, 15> kPanicRules = {{
    {"runtime error: invalid memory address or nil pointer dereference", true, "nil_dereference",
     "a nil pointer was dereferenced"},
    {"assignment to entry in nil map", true, "nil_map_write",
     "a map that was never made (nil) was written to"},
    {"runtime error: index out of range", true, "index_out_of_range",
     "an index was past the end of a slice, array or string"},
    {"runtime error: slice bounds out of range", true, "slice_bounds",
     "a slice expression was outside the capacity of its operand"},
    {"close of closed channel", true, "closed_channel", "a channel was closed twice"},
    {"close of nil channel", true, "closed_channel", "a nil channel was closed"},
    {"send on closed channel", true, "closed_channel", "a value was sent on a closed channel"},
    {"sync: negative WaitGroup counter", true, "negative_waitgroup",
     "WaitGroup.Done (or Add with a negative delta) was called more times than Add"},
    {"runtime error: integer divide by zero", true, "divide_by_zero",
     "an integer was divided by zero"},
    {"interface conversion: ", true, "type_assertion",
     "a type assertion without ', ok' met a value of another type"},
    {"makeslice: len out of range", false, "bad_allocation_size",
     "make() was asked for a negative or impossibly large slice"},
    {"makeslice: cap out of range", false, "bad_allocation_size",
     "make() was asked for a negative or impossibly large slice capacity"},
    {"makechan: size out of range", false, "bad_allocation_size",
     "make() was asked for a negative or impossibly large channel buffer"},
    {"makemap: size out of range", false, "bad_allocation_size",
     "make() was asked for a negative or impossibly large map"},
    {"growslice: len out of range", false, "bad_allocation_size",
     "append() grew a slice past the maximum size"},
}};

bool IsUnlockOfUnlocked(std::string_view m) {
  return Starts(m, "sync: ") && (Has(m, "nlock of unlocked"));
}

bool IsOutOfMemory(std::string_view m) {
  return m == "out of memory" || m == "runtime: out of memory" ||
         Has(m, "cannot allocate memory") || Has(m, "failed to reserve page summary memory") ||
         Has(m, "cannot reserve arena virtual address space") ||
         Has(m, "out of memory allocating") || Has(m, "runtime: cannot map pages in arena");
}

// Throws from the scheduler and thread management (proc.go, os_linux.go).
bool IsSchedulerFatal(std::string_view m) {
  static constexpr std::array<std::string_view, 22> kPrefixes = {
      "schedule: ",      "findrunnable: ",
      "findRunnable: ",  "checkdead: ",
      "stopm ",          "startm",
      "runqput",         "entersyscall",
      "exitsyscall",     "casgstatus",
      "newproc",         "gfput",
      "stoplockedm",     "startlockedm",
      "handoff",         "thread exhaustion",
      "newosproc",       "runtime: program exceeds",
      "mstart",          "malloc deadlock",
      "morestack on g0", "lock count"};
  for (std::string_view p : kPrefixes) {
    if (Starts(m, p)) return true;
  }
  return Has(m, "failed to create new OS thread") || Has(m, "bad g status") ||
         Has(m, "holding locks");
}

bool IsThreadExhaustion(std::string_view m) {
  return Has(m, "thread exhaustion") || Has(m, "failed to create new OS thread") ||
         Has(m, "newosproc");
}

Classification Make(std::string_view category, bool recoverable, std::string_view why,
                    bool exhaustion = false) {
  return {std::string(category), recoverable, exhaustion, std::string(why)};
}

bool MatchRule(const Rule& r, std::string_view m) {
  if (r.prefix ? Starts(m, r.needle) : Has(m, r.needle)) return true;
  // Go 1.2-1.4 said "runtime error: send on closed channel" where Go now says it bare.
  return r.prefix && !Starts(r.needle, "runtime error: ") && Starts(m, "runtime error: ") &&
         Starts(m.substr(15), r.needle);
}

Classification ClassifyPanicValue(std::string_view m) {
  for (const Rule& r : kPanicRules) {
    if (MatchRule(r, m)) return Make(r.category, true, r.explanation);
  }
  if (IsUnlockOfUnlocked(m)) {
    return Make("unlock_of_unlocked", true, "a mutex was unlocked that was not locked");
  }
  if (Starts(m, "runtime error: ")) {
    return Make("other_runtime_error", true, "the runtime raised an error panic");
  }
  return Make("explicit_panic", true, "the program called panic() with its own value");
}

}  // namespace

const std::vector<std::string>& Categories() {
  static const std::vector<std::string> kAll = {"nil_dereference",     "nil_map_write",
                                                "index_out_of_range",  "slice_bounds",
                                                "closed_channel",      "concurrent_map_access",
                                                "negative_waitgroup",  "unlock_of_unlocked",
                                                "stack_overflow",      "deadlock",
                                                "divide_by_zero",      "type_assertion",
                                                "bad_allocation_size", "out_of_memory",
                                                "cgo_crash",           "scheduler_fatal",
                                                "external_signal",     "explicit_panic",
                                                "other_runtime_error", "other_fatal"};
  return kAll;
}

bool HasCgoFrames(const Goroutine& g) {
  for (const Frame& f : g.frames) {
    if (f.function == "runtime.cgocall" || f.function == "runtime.asmcgocall" ||
        IsCgoGenerated(f)) {
      return true;
    }
  }
  return false;
}

namespace {

Classification ClassifyOnce(const CrashHeader& header, std::string_view m, const Goroutine* crasher,
                            const Goroutine* runtime_stack) {
  bool cgo = header.signal_in_cgo || (crasher && HasCgoFrames(*crasher)) ||
             (runtime_stack && HasCgoFrames(*runtime_stack));
  switch (header.kind) {
    case HeaderKind::kPanic:
    case HeaderKind::kHttpPanic:
      return ClassifyPanicValue(m);
    case HeaderKind::kCoreSnapshot:
      return Make("external_signal", false,
                  "the core was taken from a live process; no goroutine was crashing");
    case HeaderKind::kSignal: {
      bool requested = Starts(m, "SIGQUIT") || Starts(m, "SIGABRT") || Starts(m, "SIGTERM") ||
                       Starts(m, "SIGINT") || Starts(m, "SIGHUP");
      if (cgo) {
        return Make("cgo_crash", false, "a signal arrived while C code (cgo) was running");
      }
      if (requested) {
        return Make("external_signal", false,
                    "the process was stopped by a signal from outside (kill -QUIT/-ABRT, "
                    "a liveness probe or a watchdog), which dumps every goroutine");
      }
      return Make("cgo_crash", false,
                  "a fault signal arrived while non-Go code was running (C code, cgo or a "
                  "foreign thread)");
    }
    case HeaderKind::kFatal:
      break;
  }
  // fatal error: ... (never recoverable)
  if (Starts(m, "concurrent map ")) {
    return Make("concurrent_map_access", false,
                "a map was used from several goroutines without a lock");
  }
  if (IsUnlockOfUnlocked(m)) {
    return Make("unlock_of_unlocked", false, "a mutex was unlocked that was not locked");
  }
  bool overflow_note = false;
  for (const std::string& n : header.notes)
    overflow_note = overflow_note || Has(n, "stack exceeds");
  if (m == "stack overflow" || overflow_note) {
    return Make("stack_overflow", false,
                "a goroutine's stack grew past its limit (unbounded recursion)");
  }
  if (Has(m, "deadlock!")) {
    return Make("deadlock", false, "every goroutine was blocked; nothing could ever run again");
  }
  if (IsOutOfMemory(m)) {
    return Make("out_of_memory", false, "the runtime could not get more memory from the OS", true);
  }
  if (Starts(m, "unexpected signal during runtime execution") || Starts(m, "fault") ||
      Has(m, "signal arrived during cgo execution")) {
    if (cgo) return Make("cgo_crash", false, "C code called through cgo crashed the process");
    return Make("other_fatal", false, "a fault signal arrived inside the runtime");
  }
  if (IsSchedulerFatal(m)) {
    return Make("scheduler_fatal", false, "the Go scheduler hit a fatal condition",
                IsThreadExhaustion(m));
  }
  return Make("other_fatal", false, "the runtime stopped the process with a fatal error");
}

}  // namespace

Classification Classify(const CrashHeader& header, std::string_view m, const Goroutine* crasher,
                        const Goroutine* runtime_stack) {
  Classification c = ClassifyOnce(header, m, crasher, runtime_stack);
  bool fallback = c.category == "explicit_panic" || c.category == "other_runtime_error" ||
                  c.category == "other_fatal";
  if (!fallback || m.find('\n') == std::string_view::npos) return c;
  // A header a terminal or logger wrapped at 80 columns: read it whole again.
  std::string joined;
  for (char ch : m) {
    if (ch != '\n') joined += ch;
  }
  Classification again = ClassifyOnce(header, joined, crasher, runtime_stack);
  return again.category == c.category ? c : again;
}

}  // namespace medic::golang
