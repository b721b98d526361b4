#include "transport/read_buffer.hpp"

#include <array>

namespace butter::host {

namespace {

// The thread's read buffer while no lease holds it (null while leased, or before the first read).
thread_local std::unique_ptr<std::uint8_t[]> t_read_buffer;

// Scratch vectors not leased right now. A handler needs at most a few at once (one per layer).
constexpr std::size_t kMaxPooledScratch = 4;
// A scratch vector that grew beyond this (a burst) is dropped rather than kept for the thread.
constexpr std::size_t kMaxScratchKeep = 256 * 1024;
thread_local std::array<std::vector<std::uint8_t>, kMaxPooledScratch> t_scratch;
thread_local std::size_t t_scratch_count = 0;

}  // namespace

ReadBuffer::ReadBuffer() : buf_(std::move(t_read_buffer)) {
  // new T[n] without (): default-initialised, so no page is touched before a read writes it.
  if (!buf_) buf_.reset(new std::uint8_t[kSize]);
}

ReadBuffer::~ReadBuffer() {
  if (!t_read_buffer) t_read_buffer = std::move(buf_);
}

ScratchBytes::ScratchBytes() {
  if (t_scratch_count > 0) v_ = std::move(t_scratch[--t_scratch_count]);
  v_.clear();
}

ScratchBytes::~ScratchBytes() {
  if (t_scratch_count == kMaxPooledScratch || v_.capacity() > kMaxScratchKeep) return;
  v_.clear();
  t_scratch[t_scratch_count++] = std::move(v_);
}

}  // namespace butter::host
