// SecurePipe: a BytePipe that runs a SecureChannel over another BytePipe (TCP socket or dialer
// stream). Connection writes frames to it as to any pipe; they are held until the handshake is
// done, then sealed into records: straight from the frames' buffers into one outgoing buffer
// (length, ciphertext and tag written once), or, in plaintext mode, passed to the inner pipe as
// they are. Received records are decrypted in place and handed on one record at a time. A handshake or record that
// fails closes the pipe with the reason (on_closed), and auth_failed() tells a tampering failure apart. Everything runs
// on the node's strand.
#pragma once
#include "transport/byte_pipe.hpp"
#include "transport/secure_channel.hpp"

#include <deque>
#include <memory>
#include <optional>

namespace butter::host {

class SecurePipe : public BytePipe, public std::enable_shared_from_this<SecurePipe> {
 public:
  SecurePipe(std::shared_ptr<BytePipe> inner, std::shared_ptr<const Identity> identity, bool initiator, bool plaintext);
  ~SecurePipe() override;

  void start(Handlers handlers) override;
  void write(std::vector<boost::asio::const_buffer> buffers, WriteDone done) override;
  // As write(), where `clear[i]` marks buffers[i] as a frame's clear tail (frame.hpp; `clear` may
  // be shorter than `buffers`: the rest are sealed): written as clear segments, in place in the
  // stream, after the records that seal what comes before. In plaintext mode every byte passes
  // as it is (Connection sends no flagged frames there).
  void write_frames(std::vector<boost::asio::const_buffer> buffers, std::vector<bool> clear, WriteDone done);
  void close() override;
  std::string remote_address() const override { return inner_->remote_address(); }
  std::string local_address() const override { return inner_->local_address(); }
  // Writes are sealed and queued as they come, whatever the inner pipe takes.
  bool pipelined() const override { return true; }

  // The peer's proven node id once the handshake is done (nullopt in plaintext mode).
  const std::optional<NodeId>& peer_id() const { return channel_.peer_id(); }
  bool established() const { return channel_.established(); }
  // Whether write() is done with the caller's bytes when it returns: they are sealed into records
  // of the pipe's own (except clear tails, which are sent from where they are). Not before the
  // handshake ends (writes are held as given) nor in plaintext mode (bytes are sent in place).
  bool seals_on_write() const { return !closed_ && channel_.established() && !channel_.plaintext(); }
  bool plaintext() const { return channel_.plaintext(); }
  bool auth_failed() const { return channel_.auth_failure(); }
  // Capacity held for a partial record (small once idle; counted by Connection::account_in).
  std::size_t buffered_capacity() const override { return channel_.buffered_capacity(); }

 private:
  // One inner write: handshake bytes, sealed records, or (plaintext mode) the caller's buffers.
  struct Item {
    std::vector<std::uint8_t> bytes;
    std::unique_ptr<std::uint8_t[]> sealed;  // not zero-filled: every byte is written by the seal
    std::size_t sealed_size = 0;
    std::vector<boost::asio::const_buffer> borrowed;  // valid until `done` (BytePipe::write)
    // With clear tails: `sealed`'s pieces and the borrowed tails between them, in wire order.
    std::vector<boost::asio::const_buffer> gather;
    WriteDone done;  // null for handshake bytes
  };
  void on_inner_data(std::span<std::uint8_t> bytes);
  void fail(const std::string& reason);
  void seal_held();
  void enqueue(std::vector<std::uint8_t> bytes, WriteDone done);
  void enqueue_item(Item item);
  void pump();
  void on_inner_written(const std::string& error);

  std::shared_ptr<BytePipe> inner_;
  SecureChannel channel_;
  Handlers handlers_;
  bool closed_ = false;
  std::deque<Item> queue_;
  std::size_t handed_ = 0;  // the front items of queue_ given to the inner pipe, not yet completed
  // Writes made before the handshake completed, sealed in order once it has.
  struct Held {
    std::vector<boost::asio::const_buffer> buffers;
    std::vector<bool> clear;
    WriteDone done;
  };
  std::deque<Held> held_;
};

}  // namespace butter::host
