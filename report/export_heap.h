// Heap tuning for a process that writes one large export and exits (`medic timeline` of a
// big incident): fewer page faults for the tens of MB of fresh heap the export fills.
#pragma once

#include <cstddef>

namespace medic {

/// Keeps large blocks on the heap rather than in mmaps of their own, keeps freed memory
/// instead of handing it back, and asks for transparent huge pages on the first `bytes` of
/// the heap (THP "madvise" mode; a no-op where THP is off). Untouched pages are never
/// committed. Process-wide (mallopt): call once, early, from the command that exports.
void PrepareHeapForExport(size_t bytes);

}  // namespace medic
