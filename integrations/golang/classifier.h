// Classify: turns one crash (its header and the crashing goroutine's stack) into a
// category the on-call engineer can act on, whether recover() could have caught it, and
// whether it is resource exhaustion (restart) rather than a bug. The message tables follow
// the Go runtime's texts from Go 1.17 to 1.23 (runtime/panic.go, map*.go, chan.go, sync).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "integrations/golang/trace.h"

namespace medic::golang {

/// The outcome of classifying one crash.
struct Classification {
  std::string category;              ///< one of Categories()
  bool recoverable = false;          ///< could recover() have caught it
  bool resource_exhaustion = false;  ///< OOM, thread or address-space exhaustion
  std::string explanation;           ///< one sentence for a person
};

/// Every category Classify can return, in documentation order.
const std::vector<std::string>& Categories();

/// Classifies a crash. `message` is the original panic value / fatal text (the first entry
/// of the chain); `crasher` the crashing goroutine or nullptr; `runtime_stack` the
/// "runtime stack:" section or nullptr.
Classification Classify(const CrashHeader& header, std::string_view message,
                        const Goroutine* crasher, const Goroutine* runtime_stack);

/// True when the stack shows a call into C (runtime.cgocall, _Cfunc_ wrappers).
bool HasCgoFrames(const Goroutine& g);

}  // namespace medic::golang
