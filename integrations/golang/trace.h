// The model of Go crash output that every part of the analyzer shares: frames, goroutines,
// crash headers ("panic:", "fatal error:", "SIGQUIT: quit", "http: panic serving"), the
// TraceSink that the parser feeds, and the helpers that tell standard-library code from
// the program's own code by package path. Start with Goroutine and CrashHeader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace medic::golang {

/// One line pair of a Go traceback: "pkg.Func(args)" and "\t/file.go:12 +0x2e".
struct Frame {
  /// "main.(*Registry).Put"; "panic" for runtime.gopanic; empty when only "file:line" was
  /// printed (klog's caller lists)
  std::string function;
  std::string file;  ///< as printed: absolute, or module-relative under -trimpath
  int line = 0;      ///< 0 when the location line was missing
};

/// The id of a goroutine whose header was not printed.
constexpr int64_t kUnknownGoroutine = -2;

/// One "goroutine N [state]:" block (or the "runtime stack:" section, id -1).
struct Goroutine {
  /// -1 for a "runtime stack:" section; kUnknownGoroutine when frames were printed without
  /// a "goroutine N [...]:" line (klog's one file:line per caller).
  int64_t id = -1;
  std::string state;                  ///< "running", "chan receive", ... without duration
  int wait_minutes = 0;               ///< from "[chan receive, 12 minutes]"
  bool locked_to_thread = false;      ///< "[..., locked to thread]"
  std::vector<Frame> frames;          ///< innermost first
  bool frames_elided = false;         ///< "...additional frames elided..."
  bool truncated = false;             ///< the input ended inside this block
  Frame created_by;                   ///< empty function when absent
  int64_t created_by_goroutine = -1;  ///< Go 1.21+: "created by X in goroutine N"

  /// Empties every field but keeps the frames' capacity (the parser reuses one object).
  void Reset();
};

/// What kind of line opened a crash.
enum class HeaderKind {
  kPanic,         ///< "panic: ..." (an unrecovered panic)
  kFatal,         ///< "fatal error: ..." (runtime throw / fatal)
  kSignal,        ///< "SIGQUIT: quit" and other signal dumps printed by the runtime
  kHttpPanic,     ///< "http: panic serving ADDR: ..." (recovered and logged by net/http)
  kCoreSnapshot,  ///< a core file in which no goroutine was crashing (gcore of a live process)
};

/// The text that opened a crash, before any goroutine block.
struct CrashHeader {
  HeaderKind kind = HeaderKind::kPanic;
  /// Panic values oldest first ("panic: A [recovered]\n\tpanic: B" gives {A, B}); for other
  /// kinds a single entry: the fatal error text, "SIGQUIT: quit", the http panic value.
  std::vector<std::string> chain;
  std::vector<bool> recovered;     ///< parallel to chain: marked "[recovered]"
  std::string signal;              ///< "SIGSEGV: segmentation violation" from "[signal ...]"
  bool signal_in_cgo = false;      ///< "signal arrived during cgo execution"
  std::vector<std::string> notes;  ///< "runtime: ..." lines printed just before it
  std::string peer;                ///< kHttpPanic: the remote address
  int64_t line_number = 0;         ///< 1-based input line of the header
};

/// Receives what the parser finds, in input order. Goroutines that arrive before any
/// header belong to no crash (e.g. a pprof goroutine dump).
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  /// A new crash starts; the goroutines that follow belong to it.
  virtual void OnCrash(const CrashHeader& header) = 0;
  /// One goroutine block (or runtime stack when g.id == -1). The reference is only valid
  /// during the call: the parser reuses the object.
  virtual void OnGoroutine(const Goroutine& g) = 0;
  /// The input ended in the middle of a goroutine block (called at most once, last).
  virtual void OnTruncated() {}
};

/// The package path of a Go symbol: "net/http.(*conn).serve" -> "net/http",
/// "example.com/app/registry.(*R).Put" -> "example.com/app/registry", "panic" -> "runtime".
std::string PackageOf(std::string_view function);

/// True for packages of the Go distribution (runtime, net/http, internal/..., vendor/...).
/// Decided by package path, not by file path, so -trimpath builds classify correctly.
bool IsStandardLibrary(std::string_view package);

/// True for a file of the Go distribution, judged by path for frames printed without their
/// function ("/usr/local/go/src/runtime/panic.go", "C:\\Go\\src\\net\\http\\server.go",
/// "runtime/panic.go" under -trimpath); module-cache, GOPATH and vendored files are not.
bool IsStandardLibraryFile(std::string_view file);

/// True for frames of cgo-generated code (_Cfunc_ wrappers, _cgo_gotypes.go, gcc prologs).
bool IsCgoGenerated(const Frame& frame);

/// True for the program's own code: neither standard library/runtime nor cgo-generated.
bool IsUserFrame(const Frame& frame);

/// True for package initialisers: "main.init", "pkg.init.0", "pkg.init.0.func1", and the
/// runtime's doInit.
bool IsInitFunction(std::string_view function);

/// True for the runtime frames that start a panic ("panic", runtime.gopanic, sigpanic, Go
/// 1.2-1.4's runtime.panic); for a frame without function, its file (runtime/panic.go).
bool IsPanicFrame(std::string_view function);
bool IsPanicFrame(const Frame& frame);

/// True for well-known handlers that recover a panic and log or re-panic it
/// (k8s.io/apimachinery's HandleCrash/logPanic, terraform's PanicHandler, testify's
/// failOnPanic, ginkgo's GinkgoRecover): never the culprit.
bool IsPanicHandler(std::string_view function);

}  // namespace medic::golang
