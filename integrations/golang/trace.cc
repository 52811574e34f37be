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

// Handlers that recover a panic and log it (and often re-panic): the frames above the
// original panic site on the crashing stack, whoever wrote them.
constexpr std::array<std::string_view, 8> kPanicHandlers = {
    "k8s.io/apimachinery/pkg/util/runtime.",
    "/k8s.io/apimachinery/pkg/util/runtime.",  // vendored copies
    "github.com/hashicorp/terraform/internal/logging.PanicHandler",
    "github.com/hashicorp/terraform/logging.PanicHandler",
    "github.com/stretchr/testify/suite.failOnPanic",
    "github.com/stretchr/testify/assert.didPanic",
    "github.com/onsi/ginkgo",
    "github.com/onsi/gomega/internal.",
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

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

bool IsStandardLibraryFile(std::string_view file) {
  std::string path(file);
  for (char& c : path) c = c == '\\' ? '/' : c;
  std::string_view p = path;
  // The module cache ("/root/go/pkg/mod/github.com/x/y@v1.2.3/z.go", also under /usr/pkg)
  // holds third-party code, except for the Go toolchain downloaded as a module.
  size_t mod = p.find("/pkg/mod/");
  if (mod != std::string_view::npos && p.find("golang.org/toolchain@") == std::string_view::npos) {
    return false;
  }
  std::string_view rest;
  size_t src = p.rfind("/src/");
  if (src != std::string_view::npos) {
    rest = p.substr(src + 5);
    if (rest.substr(0, 4) == "pkg/") rest = rest.substr(4);  // Go 1.2-1.3: $GOROOT/src/pkg/
  } else if (!p.empty() && p[0] != '/' && p.find(':') == std::string_view::npos) {
    rest = p;  // -trimpath: "runtime/panic.go", "net/http/server.go"
  } else {
    return false;
  }
  if (rest.find("/vendor/") != std::string_view::npos) return false;
  size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos) return false;
  return IsStandardLibrary(rest.substr(0, slash));
}

bool IsCgoGenerated(const Frame& frame) {
  const std::string& f = frame.function;
  if (f.find("._Cfunc_") != std::string::npos || f.find("._C2func_") != std::string::npos ||
      f.find("._cgo_") != std::string::npos || f.find("._Cgo_") != std::string::npos ||
      f.find("_cgoexp_") != std::string::npos || f.rfind("_cgo_", 0) == 0 ||
      f.rfind("x_cgo_", 0) == 0) {
    return true;
  }
  const std::string& file = frame.file;
  return file.find("_cgo_gotypes.go") != std::string::npos ||
         file.find("cgo-gcc-prolog") != std::string::npos ||
         file.find("cgo-generated-wrapper") != std::string::npos ||
         file.find("_cgo_export.") != std::string::npos;
}

bool IsUserFrame(const Frame& frame) {
  if (frame.function.empty()) {
    return !frame.file.empty() && !IsStandardLibraryFile(frame.file) && !IsCgoGenerated(frame);
  }
  if (IsCgoGenerated(frame)) return false;
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
         function == "runtime.panicmem" || function == "runtime.panicmemAddr" ||
         function == "runtime.panic";
}

bool IsPanicFrame(const Frame& frame) {
  if (!frame.function.empty()) return IsPanicFrame(frame.function);
  std::string_view f = frame.file;
  return EndsWith(f, "runtime/panic.go") || EndsWith(f, "runtime/panic.c") ||
         EndsWith(f, "runtime\\panic.go") || EndsWith(f, "runtime/signal_unix.go");
}

bool IsPanicHandler(std::string_view function) {
  for (std::string_view h : kPanicHandlers) {
    if (h[0] == '/' ? function.find(h) != std::string_view::npos
                    : function.substr(0, h.size()) == h) {
      return true;
    }
  }
  return false;
}

}  // namespace medic::golang
