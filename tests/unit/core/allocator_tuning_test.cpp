// The allocator keeps freed frame buffers for reuse instead of handing them back to the kernel
// and faulting them in again at the next frame (host/core/allocator_tuning.hpp).
#include "core/allocator_tuning.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BUTTER_OWN_ALLOCATOR 1  // sanitizers bring their own allocator: nothing to tune
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BUTTER_OWN_ALLOCATOR 1
#endif
#endif

using namespace butter::host;

TEST_CASE("allocator tuning: freed frame-sized buffers stay in the heap for the next frames") {
#if !defined(__GLIBC__) || defined(BUTTER_OWN_ALLOCATOR)
  SUCCEED("not glibc's allocator: nothing to check");
#else
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && *tunables) {
    CHECK_FALSE(tune_allocator_for_frames());  // the user's settings win
    return;
  }
  REQUIRE(tune_allocator_for_frames());
  CHECK(tune_allocator_for_frames());  // once per process; the answer stays
  // 32 buffers of 64 KiB, as eight connections' frames in flight, then all freed.
  std::vector<void*> blocks;
  for (int i = 0; i < 32; ++i) blocks.push_back(std::malloc(64 * 1024));
  for (void* b : blocks) std::free(b);
  // With glibc's default (trim above 128 KiB of free top) most of these 2 MiB would be back with
  // the kernel; tuned, they stay free in the heap, ready for the next frames.
  CHECK(mallinfo2().fordblks >= 2u * 1024 * 1024);
#endif
}
