#include "core/allocator_tuning.hpp"

#include <cstdlib>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace butter::host {

bool tune_allocator_for_frames() {
  static bool changed = false;
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (tunables && *tunables) return;  // the user tuned the allocator: theirs wins
    changed = mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThreshold)) == 1 &&
              mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold)) == 1;
#endif
  });
  return changed;
}

}  // namespace butter::host
