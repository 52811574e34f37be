// libFuzzer target for what medic reads from a debugger about a Go core file: the input is
// the output of `dlv core` (goroutine listing, stacks, printed panic value) or of gdb's
// `bt`/`info goroutines`, fed to AnalyzeCore through its process seam. The first byte
// picks the debugger (even: delve, odd: gdb, as when delve is not installed).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "integrations/golang/analyzer.h"
#include "integrations/golang/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool gdb = data[0] & 1;
  std::string out(reinterpret_cast<const char*>(data) + 1, size - 1);
  medic::golang::AnalyzeOptions opts;
  opts.dlv = gdb ? "/nonexistent/dlv" : "/bin/true";
  opts.gdb = "/bin/true";
  opts.run_debugger = [&out](const medic::ProcessSpec&) -> medic::Result<medic::ProcessResult> {
    medic::ProcessResult r;
    r.exit_code = 0;
    r.out = out;
    return r;
  };
  // Any small existing file does for the core and the binary: the debugger is the fake above.
  static const std::string file = [] {
    char tmpl[] = "/tmp/medic-core-fuzz-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) std::abort();
    (void)!write(fd, "core", 4);
    close(fd);
    return std::string(tmpl);
  }();
  auto a = medic::golang::AnalyzeCore(file, file, opts);
  if (a.ok()) {
    (void)medic::golang::AnalysisToJson(*a).dump();
    (void)medic::golang::AnalysisToText(*a, true);
  }
  return 0;
}
