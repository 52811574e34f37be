#include "report/export_heap.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

namespace medic {

// An export of a large incident fills tens of MB of fresh heap. With 4 KiB pages every first
// touch is a page fault, and on virtual machines the faults cost more than the export's own
// work.
void PrepareHeapForExport(size_t bytes) {
  // glibc caps the mmap threshold at 32 MiB on 64-bit: the heap is grown in blocks below it.
  constexpr size_t kBlock = size_t{16} << 20;
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(2 * kBlock));
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(bytes + kBlock));
  std::vector<void*> blocks;
  for (size_t grown = 0; grown < bytes; grown += kBlock) {
    void* block = std::malloc(kBlock);
    if (!block) break;
    blocks.push_back(block);
    uintptr_t begin = (reinterpret_cast<uintptr_t>(block) + kHuge - 1) & ~(kHuge - 1);
    uintptr_t end = (reinterpret_cast<uintptr_t>(block) + kBlock) & ~(kHuge - 1);
    if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  }
  for (void* block : blocks) std::free(block);
}

}  // namespace medic
