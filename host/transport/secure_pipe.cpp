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
  inner_->start({[w](std::span<std::uint8_t> bytes) {
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

void SecurePipe::on_inner_data(std::span<std::uint8_t> bytes) {
  if (closed_) return;
  auto self = shared_from_this();
  std::vector<std::uint8_t> wire;
  const bool was_established = channel_.established();
  // Each record is decrypted where it lies and handed on at once (no buffer of plaintext). What
  // the handshake produced goes out first, and frames held for the handshake before anything a
  // handler writes in answer.
  const bool ok = channel_.feed_in_place(bytes, wire, [this, &wire](std::span<std::uint8_t> plain) {
    if (!wire.empty()) enqueue(std::exchange(wire, {}), nullptr);
    if (held_ && channel_.established()) seal_held();
    if (closed_) return false;
    if (!plain.empty() && handlers_.on_data) handlers_.on_data(plain);
    return !closed_;
  });
  if (!ok) return fail(channel_.error());
  if (!wire.empty()) enqueue(std::move(wire), nullptr);
  if (!was_established && channel_.established()) seal_held();
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
  Item item;
  item.done = std::move(done);
  if (channel_.plaintext()) {
    item.borrowed = std::move(buffers);  // nothing to seal: no copy either
    return enqueue_item(std::move(item));
  }
  std::vector<std::span<const std::uint8_t>> pieces;
  pieces.reserve(buffers.size());
  std::size_t total = 0;
  for (const auto& b : buffers) {
    pieces.emplace_back(static_cast<const std::uint8_t*>(b.data()), b.size());
    total += b.size();
  }
  item.sealed_size = channel_.sealed_size(total);
  item.sealed.reset(new std::uint8_t[item.sealed_size]);  // default-initialised: the seal writes every byte
  if (!channel_.seal_into(pieces, item.sealed.get())) return fail(channel_.failed() ? channel_.error() : "cannot seal");
  enqueue_item(std::move(item));
}

void SecurePipe::seal_held() {
  if (!held_) return;
  auto [buffers, done] = std::move(*held_);
  held_.reset();
  write(std::move(buffers), std::move(done));
}

void SecurePipe::enqueue(std::vector<std::uint8_t> bytes, WriteDone done) {
  if (bytes.empty() && !done) return;
  Item item;
  item.bytes = std::move(bytes);
  item.done = std::move(done);
  enqueue_item(std::move(item));
}

void SecurePipe::enqueue_item(Item item) {
  if (closed_) return;
  queue_.push_back(std::move(item));
  pump();
}

void SecurePipe::pump() {
  if (closed_ || inner_writing_ || queue_.empty()) return;
  inner_writing_ = true;
  const auto& front = queue_.front();
  std::vector<boost::asio::const_buffer> bufs;
  if (front.sealed) bufs.emplace_back(front.sealed.get(), front.sealed_size);
  else if (!front.borrowed.empty()) bufs = front.borrowed;
  else bufs.emplace_back(front.bytes.data(), front.bytes.size());
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
