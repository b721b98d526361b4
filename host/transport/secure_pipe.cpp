#include "transport/secure_pipe.hpp"

#include "transport/read_buffer.hpp"

#include <spdlog/spdlog.h>

namespace butter::host {

SecurePipe::SecurePipe(std::shared_ptr<BytePipe> inner, std::shared_ptr<const Identity> identity, bool initiator,
                       bool plaintext)
    : inner_(std::move(inner)), channel_(std::move(identity), initiator, plaintext) {}

SecurePipe::~SecurePipe() { inner_->close(); }

void SecurePipe::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  std::weak_ptr<SecurePipe> w = weak_from_this();
  inner_->start({[w](std::span<const std::uint8_t> bytes) {
                   if (auto self = w.lock()) self->on_inner_data(bytes);
                 },
                 [w](const std::string& reason) {
                   auto self = w.lock();
                   if (!self || self->closed_) return;
                   self->closed_ = true;
                   if (self->handlers_.on_closed) self->handlers_.on_closed(reason);
                 }});
  if (channel_.failed()) return fail(channel_.error());  // no identity: cannot happen via Transport
  enqueue(channel_.start(), nullptr);
}

void SecurePipe::on_inner_data(std::span<const std::uint8_t> bytes) {
  if (closed_) return;
  auto self = shared_from_this();
  std::vector<std::uint8_t> wire;
  // Decrypted bytes live for this call only: they go into the thread's scratch, not a buffer of
  // this pipe's (a lease of its own, so a re-entrant on_data cannot clobber it).
  ScratchBytes scratch;
  auto& plain = scratch.bytes();
  const bool was_established = channel_.established();
  if (!channel_.feed(bytes, wire, plain)) return fail(channel_.error());
  if (!wire.empty()) enqueue(std::move(wire), nullptr);
  if (!was_established && channel_.established()) seal_held();
  if (closed_) return;
  if (!plain.empty() && handlers_.on_data) handlers_.on_data(plain);
}

void SecurePipe::fail(const std::string& reason) {
  if (closed_) return;
  spdlog::warn("secure channel with {} failed: {}; closing that connection", inner_->remote_address(), reason);
  closed_ = true;
  inner_->close();
  queue_.clear();
  held_.reset();
  if (handlers_.on_closed) handlers_.on_closed("secure channel: " + reason);
}

void SecurePipe::write(std::vector<boost::asio::const_buffer> buffers, WriteDone done) {
  if (closed_) return;
  if (!channel_.established()) {
    held_.emplace(std::move(buffers), std::move(done));
    return;
  }
  std::size_t total = 0;
  for (const auto& b : buffers) total += b.size();
  std::vector<std::uint8_t> plain;
  plain.reserve(total);
  for (const auto& b : buffers) {
    auto p = static_cast<const std::uint8_t*>(b.data());
    plain.insert(plain.end(), p, p + b.size());
  }
  std::vector<std::uint8_t> wire;
  wire.reserve(total + (total / SecureChannel::kMaxRecordPlaintext + 1) * (4 + SecureChannel::kTagBytes));
  if (!channel_.seal(plain, wire)) return fail(channel_.failed() ? channel_.error() : "cannot seal");
  enqueue(std::move(wire), std::move(done));
}

void SecurePipe::seal_held() {
  if (!held_) return;
  auto [buffers, done] = std::move(*held_);
  held_.reset();
  write(std::move(buffers), std::move(done));
}

void SecurePipe::enqueue(std::vector<std::uint8_t> bytes, WriteDone done) {
  if (closed_) return;
  if (bytes.empty() && !done) return;
  queue_.push_back({std::move(bytes), std::move(done)});
  pump();
}

void SecurePipe::pump() {
  if (closed_ || inner_writing_ || queue_.empty()) return;
  inner_writing_ = true;
  const auto& front = queue_.front();
  std::vector<boost::asio::const_buffer> bufs{boost::asio::buffer(front.bytes)};
  std::weak_ptr<SecurePipe> w = weak_from_this();
  inner_->write(std::move(bufs), [w](const std::string& error) {
    auto self = w.lock();
    if (!self) return;
    self->inner_writing_ = false;
    if (self->closed_ || self->queue_.empty()) return;
    auto done = std::move(self->queue_.front().done);
    self->queue_.pop_front();
    if (!error.empty()) {
      if (done) return done(error);
      return self->fail("write failed: " + error);
    }
    if (done) done(error);
    self->pump();
  });
}

void SecurePipe::close() {
  if (closed_) return;
  closed_ = true;
  inner_->close();
  queue_.clear();
  held_.reset();
}

}  // namespace butter::host
