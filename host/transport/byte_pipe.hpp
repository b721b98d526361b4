// BytePipe: the ordered byte stream under a Connection. TCP sockets and plugin-dialled streams
// (relay://) both implement it, so HELLO and framing are written once, above it.
// Everything here runs on the node's strand.
#pragma once
#include <boost/asio/buffer.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace butter::host {

class BytePipe {
 public:
  struct Handlers {
    // Received bytes; the span is valid for the call only (it usually points into a buffer of
    // the running thread, read_buffer.hpp). Copy only what must outlive the call, and give that
    // copy's capacity back once it is consumed: an idle connection should hold no read buffer.
    // The bytes are the receiver's to overwrite (the secure layer decrypts records in place).
    std::function<void(std::span<std::uint8_t>)> on_data;
    // The stream ended (peer closed, error). Called at most once, never after close().
    std::function<void(const std::string& reason)> on_closed;
    // Bytes that crossed the hop unsealed: a frame's clear tail (frame.hpp), from a SecurePipe
    // only. Null: the pipe closes the connection when a peer sends some. The `headroom` bytes
    // right before them are the receiver's to overwrite too (bytes of the same read already handed
    // on), where it may join the frame's head to its tail instead of copying the tail.
    std::function<void(std::span<std::uint8_t>, std::size_t headroom)> on_clear_data;
  };
  // Completion of one write: empty string on success, else the reason.
  using WriteDone = std::function<void(const std::string& error)>;

  virtual ~BytePipe() = default;
  // Begins delivering bytes. Called once.
  virtual void start(Handlers handlers) = 0;
  // Writes all of `buffers` in order (one gathered write where the pipe can). REQUIRES: no other
  // write in flight unless pipelined(); the buffers stay valid until `done` runs (a pipe may send
  // them from where they are, without a copy). `done` is always called asynchronously (never from
  // inside write()), unless the pipe was closed, in which case it may not be called at all.
  virtual void write(std::vector<boost::asio::const_buffer> buffers, WriteDone done) = 0;
  // Whether write() may be called again before the earlier writes' `done` ran: the writes then go
  // out in call order and their `done`s run in call order. Then a writer need not wait for one
  // write's completion, which runs only once the strand is free, to hand on the next: replies
  // made while a read loop is still parsing leave at once instead of after the whole batch.
  virtual bool pipelined() const { return false; }
  // Closes the stream. Idempotent; after it no handler is called.
  virtual void close() = 0;
  // "tcp://ip:port" of the remote side, or the URI that was dialled.
  virtual std::string remote_address() const = 0;
  // "tcp://ip:port" of this side of the socket; empty for a stream that is not a socket of ours.
  virtual std::string local_address() const { return {}; }
  // Bytes of capacity this pipe holds for a unit it has not handed on yet (a secure pipe's partial
  // record): counted with the connection's own buffers against its memory budget.
  virtual std::size_t buffered_capacity() const { return 0; }
};

}  // namespace butter::host
