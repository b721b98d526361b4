// DialerPipe: a BytePipe over a stream opened by a plugin's Dialer (relay://...). The dialer hands
// bytes to a StreamSink; they are buffered and handed on from a fresh strand turn, so that a
// dialer delivering from inside one of our calls never re-enters the frame decoder.
#pragma once
#include "core/executor.hpp"
#include "transport/byte_pipe.hpp"

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

  const std::shared_ptr<Dialer>& dialer() const { return dialer_; }

 private:
  class Sink;
  void on_deliver(std::span<const std::uint8_t> bytes);
  void on_remote_closed(const std::string& reason);
  void schedule_flush();
  void flush();

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
};

}  // namespace butter::host
