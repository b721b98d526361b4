#include "transport/read_buffer.hpp"

#include <array>

namespace butter::host {

namespace {

// The thread's read buffer while no lease holds it (null while leased, or before the first read).
thread_local std::unique_ptr<std::uint8_t[]> t_read_buffer;

}  // namespace

ReadBuffer::ReadBuffer() : buf_(std::move(t_read_buffer)) {
  // new T[n] without (): default-initialised, so no page is touched before a read writes it.
  if (!buf_) buf_.reset(new std::uint8_t[kSize]);
}

ReadBuffer::~ReadBuffer() {
  if (!t_read_buffer) t_read_buffer = std::move(buf_);
}

}  // namespace butter::host
