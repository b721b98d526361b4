// How a process that runs nodes asks glibc's allocator to behave (issue 18's echo benchmark).
//
// Frames, records and their buffers are allocated when data arrives and freed when a frame is
// handed on (idle connections hold no buffers). With glibc's defaults, the freed top of the heap
// is given back to the kernel once more than 128 KiB of it is free, and the next frame's buffer
// faults its pages in again: with eight 64 KiB frames in flight on one connection that churn
// (sbrk, madvise, a page fault per 4 KiB) took most of a node's time, and concurrent echoes ran
// at a fifth of the rate of sequential ones. Keeping up to kTrimThreshold of free heap for reuse
// removes it; allocations of kMmapThreshold or more (frames of several MiB) still come from and
// go straight back to the kernel, so a large frame's memory does not linger.
#pragma once
#include <cstddef>

namespace butter::host {

inline constexpr std::size_t kTrimThreshold = 8u << 20;  // free heap kept before trimming
inline constexpr std::size_t kMmapThreshold = 4u << 20;  // and from this size, mmap per allocation

// Sets both once per process (glibc's mallopt; elsewhere, and under sanitizers, which bring
// their own allocator, it does nothing). GLIBC_TUNABLES set by the user win: then this leaves
// the allocator as it is. Returns whether it changed the settings.
bool tune_allocator_for_frames();

}  // namespace butter::host
