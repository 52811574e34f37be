// ReadCore: gets every goroutine's stack out of a Go core file. Delve (`dlv core BIN CORE`
// with an --init script of `goroutines -t`) walks each goroutine, through the signal frame
// of a GOTRACEBACK=crash abort; a second run prints the panic value or throw text from the
// crashing frame. Without delve, gdb -batch with the Go runtime's gdb script lists the
// goroutines (one frame each: gdb cannot unwind goroutines of a core) and the threads'
// C backtraces. All tools run through argv, never a shell.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "env/process_runner.h"
#include "integrations/golang/trace.h"

namespace medic::golang {

/// What a debugger found in a core: a synthetic crash header and all goroutines.
struct CoreDump {
  CrashHeader header;                 ///< kPanic/kFatal with the message, or kCoreSnapshot
  std::vector<Goroutine> goroutines;  ///< crashing goroutine first when there is one
  bool has_crasher = false;           ///< goroutines[0] is the crashing goroutine
  std::string tool;                   ///< "dlv" or "gdb"
  std::vector<std::string> warnings;
};

/// Settings for ReadCore.
struct CoreReaderOptions {
  std::string dlv = "dlv";
  std::string gdb = "gdb";
  int64_t timeout_ms = 300'000;  ///< per debugger run; its process group is killed after
  int max_depth = 100;           ///< frames per goroutine
  /// How a debugger runs (with the caller's cancel token and record); required.
  RunProcessFn run;
};

/// Reads the goroutines of `core` produced by `binary`. kNotFound when a file or both
/// debuggers are missing (naming the Debian packages "delve" and "gdb"),
/// kFailedPrecondition when the debugger cannot open the core, kTimeout, kCancelled when
/// opts.run's cancel token fired.
Result<CoreDump> ReadCore(const std::string& core, const std::string& binary,
                          const CoreReaderOptions& opts);

/// Parses the output of delve's `goroutines -t` into goroutines. Exposed for tests.
std::vector<Goroutine> ParseDelveGoroutines(const std::string& text, int64_t* selected_id);

/// Turns delve's rendering of a panic value ("interface {}(runtime.plainError) \"...\"",
/// a runtime.boundsError, an *errors.errorString, ...) into the text Go would have printed
/// after "panic: ". Exposed for tests.
std::string PanicValueFromDelve(const std::string& printed);

/// The directory holding the Go runtime's runtime-gdb.py for `binary` (its GOROOT, else
/// the Debian golang-go location); "" when none exists.
std::string FindGoGdbScript(const std::string& binary);

}  // namespace medic::golang
