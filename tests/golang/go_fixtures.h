// Real Go crash output for the analyzer tests. The programs under tests/fixtures/go/ are
// built once per test-binary run with Debian's `go` (GOCACHE/GOPATH under the build tree, no
// network, standard library only) and run to capture what the runtime really printed.
// Start at CrashOutput().
#pragma once

#include <string>

namespace medic::testing {

/// The directory holding the built fixture programs ("" when Go is missing).
std::string GoFixtureBinDir();

/// The path of the built fixture program `name` (e.g. "leak").
std::string GoFixtureBinary(const std::string& name);

/// True when `go` is installed and the fixtures built; tests GTEST_SKIP otherwise.
bool GoFixturesAvailable();

/// True when the cgo fixture built (gcc and cgo work here).
bool CgoFixtureAvailable();

/// What case `name` printed on stderr. Cases: every program directory name, plus
/// "closedchan_nil", "closedchan_send", "concurrentmap_readwrite", "concurrentmap_iterate",
/// "unlock_rw", "badalloc_chan", "explicit_repanic", "nilmap_crash" (GOTRACEBACK=crash),
/// "leak_sigquit" (5,000 goroutines in chan receive, dumped with SIGQUIT), "idle_sigquit" (the
/// same program with 8: a small live process, below the leak thresholds), "oom" (run under
/// prlimit --as), "explicit_long" (a 40 KB panic value), "klog_structured" / "klog_classic" /
/// "klog_callers" (a klog-style crash handler's record, then the runtime's re-panic),
/// "jsonlog_hclog" / "_logrus" / "_zap" / "_logfmt" / "_noise" (a plugin's crash as its
/// host logged it), "gotest" / "gotest_suite" (a test binary), "legacy" (GOPATH with
/// vendor/), "outside" (GOPATH mode outside GOPATH: "_/abs/path"). Empty when the case
/// could not be produced.
const std::string& CrashOutput(const std::string& name);

}  // namespace medic::testing
