#include "integrations/golang/core_reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "integrations/process_status.h"

namespace medic::golang {
namespace {

constexpr const char* kInstallHint =
    "install Debian package 'delve' (apt-get install delve), or 'gdb' for a reduced analysis";
// A listing of every goroutine of a large process runs to hundreds of MiB.
constexpr size_t kMaxDebuggerOutput = 256u << 20;

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// "/path/file.go:123" -> file, line.
void SplitLocation(std::string_view loc, Frame* f) {
  size_t colon = loc.rfind(':');
  int64_t n = 0;
  if (colon != std::string_view::npos && ParseInt(loc.substr(colon + 1), &n)) {
    f->file.assign(loc.substr(0, colon));
    f->line = static_cast<int>(n);
  } else {
    f->file.assign(loc);
  }
}

// Delve frame lines: "0  0x0000000000456e81 in runtime.raise" (any indentation).
bool ParseDelveFrame(std::string_view line, std::string* function) {
  std::string_view t = Trim(line);
  size_t i = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  if (i == 0) return false;
  size_t in = t.find(" in ", i);
  if (in == std::string_view::npos || t.find("0x", i) > in) return false;
  function->assign(Trim(t.substr(in + 4)));
  return true;
}

std::vector<Frame> ParseDelveStack(const std::string& text) {
  std::vector<Frame> frames;
  std::istringstream in(text);
  std::string line;
  std::string fn;
  while (std::getline(in, line)) {
    std::string_view t = Trim(line);
    if (StartsWith(t, "Goroutine ") || StartsWith(t, "* Goroutine ")) break;
    if (ParseDelveFrame(line, &fn)) {
      frames.push_back({fn, "", 0});
    } else if (StartsWith(t, "at ") && !frames.empty()) {
      SplitLocation(t.substr(3), &frames.back());
    }
  }
  return frames;
}

int FindFrame(const Goroutine& g, std::string_view function, bool deepest) {
  int found = -1;
  for (size_t i = 0; i < g.frames.size(); ++i) {
    if (g.frames[i].function == function) {
      found = static_cast<int>(i);
      if (!deepest) return found;
    }
  }
  return found;
}

// The index of the frame that threw (runtime.throw / runtime.fatal / sync.fatal), or -1.
int FindThrow(const Goroutine& g) {
  for (const char* fn : {"sync.fatal", "runtime.fatal", "runtime.throw", "runtime.fatalthrow"}) {
    int i = FindFrame(g, fn, false);
    if (i >= 0) return i;
  }
  return -1;
}

// The throw text is passed in registers and rarely readable from a core; the function that
// threw names it well enough for classification.
std::string FatalMessageFromCaller(const Goroutine& g, int throw_index) {
  for (size_t i = static_cast<size_t>(throw_index) + 1; i < g.frames.size(); ++i) {
    const std::string& f = g.frames[i].function;
    if (f == "runtime.throw" || f == "runtime.fatal" || f == "runtime.fatalthrow" ||
        f == "sync.fatal" || f == "runtime.fatalthrow.func1") {
      continue;
    }
    if (StartsWith(f, "runtime.mapaccess")) return "concurrent map read and map write";
    if (StartsWith(f, "runtime.mapiternext")) return "concurrent map iteration and map write";
    if (StartsWith(f, "runtime.mapassign") || StartsWith(f, "runtime.mapdelete") ||
        StartsWith(f, "runtime.mapclear") || StartsWith(f, "runtime.growWork")) {
      return "concurrent map writes";
    }
    if (f == "sync.(*Mutex).unlockSlow" || f == "sync.(*Mutex).Unlock") {
      return "sync: unlock of unlocked mutex";
    }
    if (f == "sync.(*RWMutex).rUnlockSlow" || f == "sync.(*RWMutex).RUnlock") {
      return "sync: RUnlock of unlocked RWMutex";
    }
    if (f == "sync.(*RWMutex).Unlock") return "sync: Unlock of unlocked RWMutex";
    if (f == "runtime.newstack") return "stack overflow";
    if (f == "runtime.checkdead") return "all goroutines are asleep - deadlock!";
    if (f == "runtime.checkmcount" || f == "runtime.newosproc") return "thread exhaustion";
    if (f == "runtime.sigpanic") return "unexpected signal during runtime execution";
    if (StartsWith(f, "runtime.(*mheap).") || StartsWith(f, "runtime.(*mcache).") ||
        f == "runtime.sysMap" || f == "runtime.mallocgc" || f == "runtime.persistentalloc1") {
      return "out of memory";
    }
    return "runtime throw in " + f + " (message not readable from the core)";
  }
  return "runtime throw (message not readable from the core)";
}

// Runs a debugger. Its exit code is not judged here (its output says whether it could read
// the core); a cancel, a timeout (the process group is killed) or a signal is an error.
Result<ProcessResult> RunDebugger(const std::string& what, std::vector<std::string> argv,
                                  const CoreReaderOptions& opts) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.timeout_ms = opts.timeout_ms;
  spec.max_output = kMaxDebuggerOutput;
  if (!opts.run) return Status::Internal("no way to run " + what + " was given to the core reader");
  Result<ProcessResult> r = opts.run(spec);
  if (!r.ok()) return r.status();
  ProcessCheck check(what);
  check.any_exit_code = true;
  check.limit = "its " + FormatDurationMs(opts.timeout_ms) + " limit";
  MEDIC_RETURN_IF_ERROR(CheckProcessEnd(*r, check));
  return r;
}

// Runs dlv with a one-command init script; returns its stdout.
Result<std::string> RunDelve(const std::string& dlv, const std::string& core,
                             const std::string& binary, const std::string& script,
                             const CoreReaderOptions& opts) {
  char tmpl[] = "/tmp/medic-dlv-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return Status::Io("cannot create a temporary delve script");
  std::string path = tmpl;
  std::string body = script + "\nexit\n";
  bool wrote = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  close(fd);
  if (!wrote) {
    unlink(path.c_str());
    return Status::Io("cannot write the temporary delve script " + path);
  }
  Result<ProcessResult> r = RunDebugger(
      "dlv core",
      {dlv, "core", binary, core, "--init", path, "--allow-non-terminal-interactive=true"}, opts);
  unlink(path.c_str());
  if (!r.ok()) return r.status();
  bool listing = script.rfind("stack", 0) == 0;
  if (listing && r->out.find("Goroutine") == std::string::npos) {
    return Status::Precondition("dlv could not read core '" + core + "' of '" + binary +
                                "' (exit " + std::to_string(r->exit_code) +
                                "): " + LastOutputLine(*r));
  }
  return std::move(r->out);
}

Result<CoreDump> ReadWithDelve(const std::string& core, const std::string& binary,
                               const CoreReaderOptions& opts, const std::string& dlv) {
  std::string depth = std::to_string(opts.max_depth);
  Result<std::string> listing =
      RunDelve(dlv, core, binary, "stack " + depth + "\ngoroutines -t " + depth, opts);
  if (!listing.ok()) return listing.status();
  CoreDump dump;
  dump.tool = "dlv";
  int64_t selected = -1;
  dump.goroutines = ParseDelveGoroutines(*listing, &selected);
  if (dump.goroutines.empty()) {
    return Status::Precondition("dlv found no goroutines in core '" + core +
                                "'; is it a core of '" + binary + "'?");
  }
  Goroutine thread_stack;
  thread_stack.id = -1;
  thread_stack.state = "runtime stack";
  thread_stack.frames = ParseDelveStack(*listing);

  // The crashing goroutine: the one inside fatalpanic/gopanic/throw; delve selects the
  // goroutine of the thread that received the signal, so prefer it.
  int crasher = -1;
  for (int pass = 0; pass < 2 && crasher < 0; ++pass) {
    for (size_t i = 0; i < dump.goroutines.size(); ++i) {
      const Goroutine& g = dump.goroutines[i];
      if (pass == 0 && g.id != selected) continue;
      if (FindFrame(g, "runtime.fatalpanic", false) >= 0 || FindThrow(g) >= 0 ||
          FindFrame(g, "runtime.gopanic", false) >= 0) {
        crasher = static_cast<int>(i);
        break;
      }
    }
  }
  CrashHeader& h = dump.header;
  if (crasher >= 0) {
    std::swap(dump.goroutines[0], dump.goroutines[static_cast<size_t>(crasher)]);
    dump.has_crasher = true;
    Goroutine& g = dump.goroutines[0];
    g.state = "running";
    if (FindFrame(g, "runtime.gopanic", false) >= 0 && FindThrow(g) < 0) {
      h.kind = HeaderKind::kPanic;
      // Every gopanic frame is one panic of the chain; the deepest is the oldest.
      for (int i = static_cast<int>(g.frames.size()) - 1; i >= 0; --i) {
        if (g.frames[static_cast<size_t>(i)].function != "runtime.gopanic") continue;
        Result<std::string> printed = RunDelve(
            dlv, core, binary,
            "goroutine " + std::to_string(g.id) + " frame " + std::to_string(i) + " print e", opts);
        if (printed.status().code() == Code::kCancelled) return printed.status();
        std::string value = printed.ok() ? PanicValueFromDelve(*printed) : "";
        if (value.empty()) value = "(panic value not readable from the core)";
        h.chain.push_back(value);
        h.recovered.push_back(false);
      }
      for (size_t i = 0; i + 1 < h.recovered.size(); ++i) h.recovered[i] = true;
      if (FindFrame(g, "runtime.sigpanic", false) >= 0) h.signal = "SIGSEGV";
    } else {
      h.kind = HeaderKind::kFatal;
      h.chain.push_back(FatalMessageFromCaller(g, FindThrow(g)));
      h.recovered.push_back(false);
    }
    dump.goroutines.insert(dump.goroutines.begin() + 1, thread_stack);
  } else if (FindThrow(thread_stack) >= 0) {
    // Thrown on the system stack (deadlock, thread exhaustion): no goroutine was running.
    h.kind = HeaderKind::kFatal;
    h.chain.push_back(FatalMessageFromCaller(thread_stack, FindThrow(thread_stack)));
    h.recovered.push_back(false);
    dump.goroutines.insert(dump.goroutines.begin(), thread_stack);
  } else {
    h.kind = HeaderKind::kCoreSnapshot;
    h.chain.push_back("core of a running process (no goroutine was crashing)");
    h.recovered.push_back(false);
  }
  return dump;
}

// gdb fallback: goroutine list (one frame each) and the current thread's backtrace.
Result<CoreDump> ReadWithGdb(const std::string& core, const std::string& binary,
                             const CoreReaderOptions& opts, const std::string& gdb) {
  std::vector<std::string> argv = {gdb, "-batch", "-nx", "-q"};
  std::string script = FindGoGdbScript(binary);
  if (!script.empty()) {
    argv.insert(argv.end(),
                {"-ex", "source " + script + "/runtime-gdb.py", "-ex", "info goroutines"});
  }
  argv.insert(argv.end(), {"-ex", "bt " + std::to_string(opts.max_depth), binary, core});
  Result<ProcessResult> r = RunDebugger("gdb", std::move(argv), opts);
  if (!r.ok()) return r.status();
  CoreDump dump;
  dump.tool = "gdb";
  dump.warnings.push_back(
      "delve (Debian package 'delve') is not installed: gdb lists goroutines of a core but "
      "cannot unwind them, so stacks have one frame and the panic value is unknown");
  Goroutine thread;
  thread.id = -1;
  thread.state = "runtime stack";
  int64_t selected = -1;
  std::string terminated_by;  // "SIGABRT, Aborted"
  std::istringstream in(r->out);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view t = Trim(line);
    if (StartsWith(t, "Program terminated with signal ")) {
      terminated_by.assign(t.substr(31));
      if (!terminated_by.empty() && terminated_by.back() == '.') terminated_by.pop_back();
      continue;
    }
    if (StartsWith(t, "#0 ")) thread.frames.clear();  // gdb shows frame #0 once on load
    if (StartsWith(t, "#")) {
      // "#3  0x0000000000456e81 in runtime.raise () at /x.s:159" or "#0  runtime.raise () at"
      size_t sp = t.find("  ");
      if (sp == std::string_view::npos) continue;
      std::string_view rest = Trim(t.substr(sp));
      size_t in_pos = rest.find(" in ");
      if (StartsWith(rest, "0x") && in_pos != std::string_view::npos)
        rest = rest.substr(in_pos + 4);
      Frame f;
      f.function.assign(rest.substr(0, rest.find(" (")));
      size_t at = rest.rfind(" at ");
      if (at != std::string_view::npos) SplitLocation(rest.substr(at + 4), &f);
      thread.frames.push_back(std::move(f));
      continue;
    }
    // info goroutines: "* 1 running  runtime.systemstack_switch" / "  2 waiting  runtime.gopark"
    std::string_view g = t;
    bool current = StartsWith(g, "* ");
    if (current) g.remove_prefix(2);
    size_t sp1 = g.find(' ');
    int64_t id = 0;
    if (sp1 == std::string_view::npos || !ParseInt(g.substr(0, sp1), &id)) continue;
    std::string_view rest = Trim(g.substr(sp1));
    size_t sp2 = rest.find(' ');
    if (sp2 == std::string_view::npos) continue;
    Goroutine gr;
    gr.id = id;
    gr.state.assign(rest.substr(0, sp2));
    gr.frames.push_back({std::string(Trim(rest.substr(sp2))), "", 0});
    if (current) selected = id;
    dump.goroutines.push_back(std::move(gr));
  }
  if (dump.goroutines.empty() && thread.frames.empty()) {
    return Status::Precondition("gdb could not read core '" + core + "' of '" + binary +
                                "': " + std::string(Trim(r->err)).substr(0, 400));
  }
  CrashHeader& h = dump.header;
  int thrown = FindThrow(thread);
  if (FindFrame(thread, "runtime.fatalpanic", false) >= 0 && thrown < 0) {
    h.kind = HeaderKind::kPanic;
    h.chain.push_back("(panic value not readable with gdb; install delve)");
  } else if (thrown >= 0) {
    h.kind = HeaderKind::kFatal;
    h.chain.push_back(FatalMessageFromCaller(thread, thrown));
  } else if (StartsWith(terminated_by, "SIGABRT") &&
             FindFrame(thread, "runtime.dieFromSignal", false) >= 0) {
    // GOTRACEBACK=crash: the runtime aborted itself after printing; gdb cannot unwind past
    // the signal frame to say why.
    h.kind = HeaderKind::kFatal;
    h.chain.push_back(
        "the Go runtime aborted the process (GOTRACEBACK=crash); the panic or "
        "throw text needs delve to read");
  } else if (!terminated_by.empty() && !StartsWith(terminated_by, "SIGABRT") &&
             !StartsWith(terminated_by, "SIGQUIT")) {
    h.kind = HeaderKind::kSignal;
    h.chain.push_back(terminated_by);
  } else {
    h.kind = HeaderKind::kCoreSnapshot;
    h.chain.push_back("core of a running process (no goroutine was crashing)");
  }
  h.recovered.push_back(false);
  if (h.kind != HeaderKind::kCoreSnapshot) {
    // The current thread's backtrace stands in for the crashing goroutine's stack.
    thread.id = selected > 0 ? selected : 1;
    thread.state = "running";
    dump.goroutines.erase(std::remove_if(dump.goroutines.begin(), dump.goroutines.end(),
                                         [&](const Goroutine& g) { return g.id == thread.id; }),
                          dump.goroutines.end());
    dump.goroutines.insert(dump.goroutines.begin(), thread);
    dump.has_crasher = true;
  }
  return dump;
}

}  // namespace

std::vector<Goroutine> ParseDelveGoroutines(const std::string& text, int64_t* selected_id) {
  std::vector<Goroutine> out;
  *selected_id = -1;
  std::istringstream in(text);
  std::string line;
  std::string fn;
  bool in_goroutines = false;
  while (std::getline(in, line)) {
    std::string_view t = Trim(line);
    bool selected = StartsWith(t, "* Goroutine ");
    if (selected || StartsWith(t, "Goroutine ")) {
      std::string_view rest = t.substr(selected ? 12 : 10);
      size_t end = rest.find(' ');
      Goroutine g;
      if (!ParseInt(rest.substr(0, end), &g.id)) continue;
      in_goroutines = true;
      if (selected) *selected_id = g.id;
      // "... (0x4585ee) [chan receive]" / "... (thread 6913)" / "[chan receive 5m]"
      size_t open = t.rfind(" [");
      size_t close = t.rfind(']');
      if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
        std::string_view reason = t.substr(open + 2, close - open - 2);
        // delve appends how long the goroutine has waited ("5m0s"); keep the reason only.
        size_t last = reason.rfind(' ');
        if (last != std::string_view::npos && last + 1 < reason.size() && reason[last + 1] >= '0' &&
            reason[last + 1] <= '9' && reason.back() == 's') {
          reason = reason.substr(0, last);
        }
        g.state.assign(reason);
      } else {
        g.state = t.find("(thread ") != std::string_view::npos ? "running" : "runnable";
      }
      out.push_back(std::move(g));
      continue;
    }
    if (!in_goroutines || out.empty()) continue;
    if (t == "(truncated)") {
      out.back().frames_elided = true;
    } else if (ParseDelveFrame(line, &fn)) {
      out.back().frames.push_back({fn, "", 0});
    } else if (StartsWith(t, "at ") && !out.back().frames.empty()) {
      SplitLocation(t.substr(3), &out.back().frames.back());
    }
  }
  return out;
}

std::string PanicValueFromDelve(const std::string& printed) {
  // Skip delve's banner lines; the value starts at "interface {}(" (or "any(").
  size_t at = printed.find("interface {}(");
  size_t skip = 13;
  if (at == std::string::npos) {
    at = printed.find("any(");
    skip = 4;
  }
  if (at == std::string::npos) return "";
  std::string_view v = Trim(std::string_view(printed).substr(at + skip));
  size_t type_end = v.find(')');
  if (type_end == std::string_view::npos) return "";
  std::string_view type = v.substr(0, type_end);
  std::string_view value = Trim(v.substr(type_end + 1));
  auto first_quoted = [](std::string_view s) -> std::string {
    size_t q = s.find('"');
    if (q == std::string_view::npos) return "";
    std::string out;
    for (size_t i = q + 1; i < s.size() && s[i] != '"'; ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
        out += s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i];
      } else {
        out += s[i];
      }
    }
    return out;
  };
  if (type == "runtime.plainError" || type == "string") return first_quoted(value);
  if (type == "runtime.errorString") return "runtime error: " + first_quoted(value);
  if (type == "runtime.boundsError") {
    bool index = value.find("code: boundsIndex") != std::string_view::npos;
    auto field = [&](std::string_view name) -> std::string {
      size_t p = value.find(name);
      if (p == std::string_view::npos) return "?";
      std::string_view rest = value.substr(p + name.size());
      size_t e = rest.find_first_of(",}");
      return std::string(Trim(rest.substr(0, e)));
    };
    if (index) {
      return "runtime error: index out of range [" + field("x: ") + "] with length " + field("y: ");
    }
    return "runtime error: slice bounds out of range [" + field("x: ") + ":" + field("y: ") + "]";
  }
  if (type == "*runtime.TypeAssertionError") return "interface conversion: (type assertion)";
  if (type == "runtime.Error" || type.find("runtime.") == 0) {
    std::string q = first_quoted(value);
    return q.empty() ? "runtime error: " + std::string(type) : "runtime error: " + q;
  }
  // An error value of the program (e.g. *errors.errorString {s: "..."}): its text is the
  // first string field; otherwise delve's rendering of the value.
  std::string q = first_quoted(value);
  if (!q.empty()) return q;
  return "(" + std::string(type) + ") " + std::string(value.substr(0, 200));
}

std::string FindGoGdbScript(const std::string& binary) {
  std::vector<std::string> candidates;
  // The GOROOT the binary was built with ("/usr/lib/go-1.19/src/runtime/..." in its paths).
  std::ifstream in(binary, std::ios::binary);
  std::string chunk(1 << 20, '\0');
  while (in && candidates.empty()) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    std::string_view got(chunk.data(), static_cast<size_t>(in.gcount()));
    size_t p = got.find("/src/runtime/");
    if (p != std::string_view::npos) {
      size_t start = p;
      while (start > 0 && got[start - 1] > ' ' && got[start - 1] < 127 && got[start - 1] != '\0') {
        --start;
      }
      std::string root(got.substr(start, p - start));
      if (!root.empty() && root[0] == '/') candidates.push_back(root + "/src/runtime");
    }
  }
  for (const char* dir : {"/usr/lib/go/src/runtime", "/usr/share/go/src/runtime",
                          "/usr/lib/go-1.19/src/runtime", "/usr/share/go-1.19/src/runtime"}) {
    candidates.push_back(dir);
  }
  for (const std::string& dir : candidates) {
    if (FileExists(dir + "/runtime-gdb.py")) return dir;
  }
  return "";
}

Result<CoreDump> ReadCore(const std::string& core, const std::string& binary,
                          const CoreReaderOptions& opts) {
  if (!FileExists(core)) return Status::NotFound("core file '" + core + "' does not exist");
  if (!FileExists(binary)) {
    return Status::NotFound("binary '" + binary +
                            "' does not exist (pass the executable that "
                            "produced the core)");
  }
  if (Result<std::string> dlv = FindExecutable(opts.dlv); dlv.ok()) {
    return ReadWithDelve(core, binary, opts, *dlv);
  }
  if (Result<std::string> gdb = FindExecutable(opts.gdb); gdb.ok()) {
    return ReadWithGdb(core, binary, opts, *gdb);
  }
  return Status::NotFound("neither '" + opts.dlv + "' nor '" + opts.gdb +
                          "' was found on PATH: " + kInstallHint);
}

}  // namespace medic::golang
