// DialerPipe: a BytePipe over a stream opened by a plugin's Dialer (relay://...). The dialer hands
// bytes to a StreamSink; they are buffered and handed on from a fresh strand turn, so that a
// dialer delivering from inside one of our calls never re-enters the frame decoder.
//
// Writes go to the dialer in pieces of at most kMaxWritePiece bytes. A piece the dialer answers
// BUTTER_E_AGAIN (its window or queue is full) is kept and written again once the dialer says
// writable() (butter.streams.flow/1), or after a backoff of 1 ms doubling to 50 ms for a dialer
// that cannot tell; the write completes only when every piece was taken. So a relay slower than
// its sender holds the connection's queue, whose bound then refuses the sender (BUTTER_E_AGAIN),
// instead of closing the connection.
#pragma once
#include "core/executor.hpp"
#include "transport/byte_pipe.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

namespace butter::host {

class Dialer;
class StreamSink;

class DialerPipe : public BytePipe, public std::enable_shared_from_this<DialerPipe> {
 public:
  DialerPipe(const Strand& strand, std::shared_ptr<Dialer> dialer, std::string uri);
  ~DialerPipe() override;

  // Calls dialer->dial(uri, sink). On failure returns the reason and the pipe is unusable.
  std::string open();
  // Instead of open(), for an inbound stream the dialer's plugin already has: takes `stream_id`
  // as the stream and returns the sink its bytes go to.
  std::shared_ptr<StreamSink> adopt(std::uint64_t stream_id);

  void start(Handlers handlers) override;
  void write(std::vector<boost::asio::const_buffer> buffers, WriteDone done) override;
  void close() override;
  std::string remote_address() const override { return uri_; }
  // Writes queue in order behind the one in flight: the secure layer above hands each sealed
  // write on at once instead of waiting for the previous one's completion turn.
  bool pipelined() const override { return true; }

  const std::shared_ptr<Dialer>& dialer() const { return dialer_; }

  // The most bytes one dialer write() is given: what a dialer with a window may overshoot it by.
  static constexpr std::size_t kMaxWritePiece = 64 * 1024;
  static constexpr std::chrono::milliseconds kFirstRetry{1}, kLastRetry{50};

 private:
  class Sink;
  void on_deliver(std::span<const std::uint8_t> bytes);
  void on_remote_closed(const std::string& reason);
  void on_writable();
  void schedule_flush();
  void flush();
  // Hands the dialer what is left of the write in flight, piece by piece, and then the queued
  // writes in order, until all is taken (each completes), the dialer answers AGAIN (waits) or
  // fails (that write completes with the reason).
  void pump();
  bool pump_current();  // false: waiting, failed or closed
  void complete_write(std::string error);

  Strand strand_;
  std::shared_ptr<Dialer> dialer_;
  std::string uri_;
  std::uint64_t stream_id_ = 0;
  bool opened_ = false, started_ = false, closed_ = false, flush_posted_ = false;
  std::vector<std::uint8_t> inbox_;
  // The inbox's first reservation in a turn, from the sizes of recent flushes (a size, not a
  // buffer), at most kMaxInboxReserve.
  static constexpr std::size_t kMaxInboxReserve = 1u << 20;
  std::size_t reserve_hint_ = 0;
  std::optional<std::string> remote_closed_;  // set once the dialer says the stream ended
  Handlers handlers_;

  // The write in flight: its buffers (valid until `done`), the next byte to hand over.
  std::vector<boost::asio::const_buffer> out_;
  std::size_t out_index_ = 0, out_offset_ = 0;
  WriteDone out_done_;
  // Writes made while one is in flight (pipelined()), handed over in order after it.
  struct PendingWrite {
    std::vector<boost::asio::const_buffer> buffers;
    WriteDone done;
  };
  std::deque<PendingWrite> pending_;
  bool waiting_ = false;  // the dialer answered AGAIN; retry_ is armed
  boost::asio::steady_timer retry_;
  std::chrono::milliseconds retry_delay_ = kFirstRetry;
};

}  // namespace butter::host
