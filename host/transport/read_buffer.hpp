// Per-thread read buffers. Received bytes are parsed (decrypted in place, split into frames) where
// they were read, within one handler, so the buffer they were read into is needed only for that handler: it
// is borrowed from the running thread rather than owned by the connection, and an idle connection
// holds no read buffer at all. Whatever outlives the handler (a partial record or frame) is copied
// into the owner's own buffer, which gives its capacity back once it is empty (release_if_large).
//
// A lease is for one handler on one thread; it must not be kept across an asynchronous wait. A
// nested lease (a handler that reads from inside another one's on_data) gets a buffer of its own.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace butter::host {

// Capacity an empty per-connection buffer may keep: enough for small frames to pass without an
// allocation each, small enough that thousands of idle connections cost little.
inline constexpr std::size_t kIdleBufferKeep = 4 * 1024;

// Empties `v` and, if it held more than `keep` bytes of capacity, gives that capacity back.
inline void release_if_large(std::vector<std::uint8_t>& v, std::size_t keep = kIdleBufferKeep) {
  v.clear();
  if (v.capacity() > keep) std::vector<std::uint8_t>().swap(v);
}

// This thread's socket read buffer: kSize bytes, not zero-filled (only the bytes a read wrote are
// ever looked at). Larger than a whole record (64 KiB + length + tag), so that a record that is
// all in the socket arrives in one read and is decrypted where it was read, not first copied
// into the channel's buffer; one per thread, not per connection.
class ReadBuffer {
 public:
  static constexpr std::size_t kSize = 256 * 1024;
  ReadBuffer();
  ~ReadBuffer();
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;

  std::uint8_t* data() { return buf_.get(); }
  std::size_t size() const { return kSize; }

 private:
  std::unique_ptr<std::uint8_t[]> buf_;
};

}  // namespace butter::host
