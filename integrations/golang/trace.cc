#include "integrations/golang/trace.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace medic::golang {
namespace {

// First path elements of the Go distribution's packages (Go 1.17 to 1.23). A package is
// standard library when its first element is one of these and has no dot; module paths
// of third-party code always have a dot in their first element ("example.com/...").
constexpr std::array<std::string_view, 47> kStdRoots = {
    "archive", "bufio",   "builtin",  "bytes",   "cmd",     "cmp",      "compress", "container",
    "context", "crypto",  "database", "debug",   "embed",   "encoding", "errors",   "expvar",
    "flag",    "fmt",     "go",       "hash",    "html",    "image",    "index",    "internal",
    "io",      "iter",    "log",      "maps",    "math",    "mime",     "net",      "os",
    "path",    "plugin",  "reflect",  "regexp",  "runtime", "slices",   "sort",     "strconv",
    "strings", "structs", "sync",     "syscall", "testing", "text",     "time"};
constexpr std::array<std::string_view, 5> kStdRootsMore = {"unicode", "unique", "unsafe", "vendor",
                                                           "weak"};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void Goroutine::Reset() {
  id = -1;
  state.clear();
  wait_minutes = 0;
  locked_to_thread = false;
  frames.clear();
  frames_elided = false;
  truncated = false;
  created_by = Frame();
  created_by_goroutine = -1;
}

std::string PackageOf(std::string_view function) {
  if (function == "panic") return "runtime";
  // Type parameters and receivers may contain '/' and '.'; only the part before them names
  // the package.
  size_t stop = function.find_first_of("[(");
  std::string_view head = function.substr(0, stop);
  size_t slash = head.rfind('/');
  size_t dot = head.find('.', slash == std::string_view::npos ? 0 : slash + 1);
  if (dot == std::string_view::npos) {
    // "main.(*T).M": the dot sits right before the '(' that ended `head`.
    if (stop != std::string_view::npos && stop > 0 && function[stop - 1] == '.') {
      return std::string(function.substr(0, stop - 1));
    }
    return std::string(head);
  }
  return std::string(head.substr(0, dot));
}

bool IsStandardLibrary(std::string_view package) {
  if (package.empty()) return false;
  std::string_view root = package.substr(0, package.find('/'));
  if (root.find('.') != std::string_view::npos) return false;
  return std::find(kStdRoots.begin(), kStdRoots.end(), root) != kStdRoots.end() ||
         std::find(kStdRootsMore.begin(), kStdRootsMore.end(), root) != kStdRootsMore.end();
}

bool IsCgoGenerated(const Frame& frame) {
  const std::string& f = frame.function;
  if (f.find("._Cfunc_") != std::string::npos || f.find("._cgo_") != std::string::npos ||
      f.find("._Cgo_") != std::string::npos || f.find("_cgoexp_") != std::string::npos ||
      f.rfind("_cgo_", 0) == 0 || f.rfind("x_cgo_", 0) == 0) {
    return true;
  }
  const std::string& file = frame.file;
  return file.find("_cgo_gotypes.go") != std::string::npos ||
         file.find("cgo-gcc-prolog") != std::string::npos ||
         file.find("cgo-generated-wrapper") != std::string::npos ||
         file.find("_cgo_export.") != std::string::npos;
}

bool IsUserFrame(const Frame& frame) {
  if (frame.function.empty() || IsCgoGenerated(frame)) return false;
  return !IsStandardLibrary(PackageOf(frame.function));
}

bool IsInitFunction(std::string_view function) {
  if (function == "runtime.doInit" || function == "runtime.doInit1") return true;
  if (function.find_first_of("[(") != std::string_view::npos) return false;
  size_t slash = function.rfind('/');
  std::string_view tail = function.substr(slash == std::string_view::npos ? 0 : slash + 1);
  size_t dot = tail.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view rest = tail.substr(dot + 1);  // "init", "init.0", "init.0.func1"
  if (rest == "init") return true;
  if (rest.rfind("init.", 0) != 0) return false;
  std::string_view after = rest.substr(5);
  std::string_view num = after.substr(0, after.find('.'));
  return AllDigits(num);
}

bool IsPanicFrame(std::string_view function) {
  return function == "panic" || function == "runtime.gopanic" || function == "runtime.sigpanic" ||
         function == "runtime.panicmem" || function == "runtime.panicmemAddr";
}

}  // namespace medic::golang
