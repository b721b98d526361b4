#include "transport/secure_pipe.hpp"

#include "transport/read_buffer.hpp"

#include <butter/wire.hpp>
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
                 },
                 nullptr});  // clear segments are this pipe's to interpret, never the inner pipe's
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
  bool clear_refused = false;
  const bool ok = channel_.feed_in_place(
      bytes, wire, [this, &wire, &clear_refused](std::span<std::uint8_t> plain, bool clear, std::size_t headroom) {
        if (!wire.empty()) enqueue(std::exchange(wire, {}), nullptr);
        if (!held_.empty() && channel_.established()) seal_held();
        if (closed_) return false;
        if (clear && !handlers_.on_clear_data) {
          clear_refused = true;
          return false;
        }
        if (plain.empty()) return !closed_;
        if (clear)
          handlers_.on_clear_data(plain, headroom);
        else if (handlers_.on_data)
          handlers_.on_data(plain);
        return !closed_;
      });
  if (clear_refused) return fail("peer sent a clear segment, which this connection does not take");
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
  handed_ = 0;
  held_.clear();
  if (handlers_.on_closed) handlers_.on_closed("secure channel: " + reason);
}

namespace {

// Splits a write's pieces into groups sealed separately. Connection writes whole frames, each as
// its head (starting with the u32 frame length) and then its payload; frames are packed into one
// group while they fit in a record, and a frame that would straddle a record boundary but fits in a
// record of its own starts a new group. Only where records are cut changes, never the bytes: any
// piece that does not look like a frame start ends the grouping (the rest is one group).
void record_groups(std::span<const std::span<const std::uint8_t>> pieces, std::vector<std::size_t>& ends) {
  constexpr std::size_t kRecord = SecureChannel::kMaxRecordPlaintext;
  ends.clear();
  std::size_t i = 0, group = 0;  // group: plaintext bytes in the open group
  while (i < pieces.size()) {
    if (pieces[i].size() < 4) break;
    const auto* h = pieces[i].data();
    const std::size_t frame = 4 + std::size_t{wire::get_u32(h)};
    std::size_t j = i, n = 0;
    while (j < pieces.size() && n < frame) n += pieces[j++].size();
    if (n != frame) break;  // not whole frames: stop grouping
    if (group > 0 && group + frame > kRecord && frame <= kRecord) {
      ends.push_back(i);
      group = 0;
    }
    group = (group + frame) % kRecord;  // a frame larger than a record leaves its tail open
    i = j;
  }
  ends.push_back(pieces.size());
}

}  // namespace

void SecurePipe::write(std::vector<boost::asio::const_buffer> buffers, WriteDone done) {
  write_frames(std::move(buffers), {}, std::move(done));
}

void SecurePipe::write_frames(std::vector<boost::asio::const_buffer> buffers, std::vector<bool> clear, WriteDone done) {
  if (closed_) return;
  if (!channel_.established()) {
    held_.push_back(Held{std::move(buffers), std::move(clear), std::move(done)});
    return;
  }
  Item item;
  item.done = std::move(done);
  if (channel_.plaintext()) {
    std::size_t total = 0;
    for (const auto& b : buffers) total += b.size();
    // Nothing to seal, so no copy either; except for many small frames, where one joined buffer
    // is cheaper for the kernel than an iovec entry per head and payload of a few bytes.
    if (buffers.size() > 2 && total / buffers.size() < 1024) {
      item.bytes.reserve(total);
      for (const auto& b : buffers) {
        auto* p = static_cast<const std::uint8_t*>(b.data());
        item.bytes.insert(item.bytes.end(), p, p + b.size());
      }
    } else {
      item.borrowed = std::move(buffers);
    }
    return enqueue_item(std::move(item));
  }
  thread_local std::vector<std::span<const std::uint8_t>> pieces;  // the thread's: no allocation per write
  pieces.clear();
  for (const auto& b : buffers) pieces.emplace_back(static_cast<const std::uint8_t*>(b.data()), b.size());
  const auto is_clear = [&clear](std::size_t i) { return i < clear.size() && clear[i]; };
  // Runs of sealed pieces, each sealed as below, with the clear tails between them written as they
  // are. Records are cut so that a frame that fits in one record is not split across two (the
  // receiver then parses it where it was decrypted instead of assembling it): one seal per group.
  thread_local std::vector<std::size_t> ends;  // piece index one past each group of the run
  const auto for_each_unit = [&](auto&& sealed_group, auto&& clear_piece) {
    std::size_t i = 0;
    while (i < pieces.size()) {
      if (is_clear(i)) {
        if (!clear_piece(pieces[i])) return false;
        ++i;
        continue;
      }
      std::size_t run_end = i;
      while (run_end < pieces.size() && !is_clear(run_end)) ++run_end;
      const auto run = std::span<const std::span<const std::uint8_t>>(pieces).subspan(i, run_end - i);
      record_groups(run, ends);
      std::size_t begin = 0;
      for (std::size_t end : ends) {
        if (!sealed_group(run.subspan(begin, end - begin))) return false;
        begin = end;
      }
      i = run_end;
    }
    return true;
  };
  const auto group_bytes = [](std::span<const std::span<const std::uint8_t>> group) {
    std::size_t n = 0;
    for (const auto& p : group) n += p.size();
    return n;
  };
  // One buffer holds the records and the clear segments' length fields; the tails themselves are
  // not copied: the write gathers them from the caller's buffers (valid until `done`, as
  // BytePipe::write promises the caller's), between the pieces of that buffer.
  std::size_t total = 0;
  bool any_clear = false;
  for_each_unit(
      [&](std::span<const std::span<const std::uint8_t>> group) {
        total += channel_.sealed_size(group_bytes(group));
        return true;
      },
      [&](std::span<const std::uint8_t> tail) {
        any_clear = true;
        total += SecureChannel::clear_size(tail.size()) - tail.size();
        return true;
      });
  item.sealed_size = total;
  item.sealed.reset(new std::uint8_t[item.sealed_size]);  // default-initialised: every byte is written below
  std::uint8_t* out = item.sealed.get();
  const std::uint8_t* run_start = out;  // of sealed bytes not yet listed in item.gather
  const bool sealed = for_each_unit(
      [&](std::span<const std::span<const std::uint8_t>> group) {
        if (!channel_.seal_into(group, out)) return false;
        out += channel_.sealed_size(group_bytes(group));
        return true;
      },
      [&](std::span<const std::uint8_t> tail) {
        while (!tail.empty()) {
          const std::size_t n = std::min(tail.size(), SecureChannel::kMaxRecordPlaintext);
          SecureChannel::write_clear_header(n, out);
          out += SecureChannel::kClearHeaderBytes;
          item.gather.emplace_back(run_start, static_cast<std::size_t>(out - run_start));
          item.gather.emplace_back(tail.data(), n);
          run_start = out;
          tail = tail.subspan(n);
        }
        return true;
      });
  if (!sealed) return fail(channel_.failed() ? channel_.error() : "cannot seal");
  if (any_clear && out > run_start) item.gather.emplace_back(run_start, static_cast<std::size_t>(out - run_start));
  enqueue_item(std::move(item));
}

void SecurePipe::seal_held() {
  while (!held_.empty() && !closed_) {
    Held h = std::move(held_.front());
    held_.pop_front();
    write_frames(std::move(h.buffers), std::move(h.clear), std::move(h.done));
  }
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

// Hands the queued items to the inner pipe in order: all of them when it takes writes in flight
// (TcpPipe), else one at a time. The front `handed_` items are the inner pipe's; each completion
// is the oldest one's.
void SecurePipe::pump() {
  const bool many = inner_->pipelined();
  while (!closed_ && handed_ < queue_.size() && (many || handed_ == 0)) {
    const auto& item = queue_[handed_++];
    std::vector<boost::asio::const_buffer> bufs;
    if (!item.gather.empty())
      bufs = item.gather;
    else if (item.sealed)
      bufs.emplace_back(item.sealed.get(), item.sealed_size);
    else if (!item.borrowed.empty())
      bufs = item.borrowed;
    else
      bufs.emplace_back(item.bytes.data(), item.bytes.size());
    inner_->write(std::move(bufs), [w = weak_from_this()](const std::string& error) {
      if (auto self = w.lock()) self->on_inner_written(error);
    });
  }
}

void SecurePipe::on_inner_written(const std::string& error) {
  if (closed_ || queue_.empty() || handed_ == 0) return;
  --handed_;
  auto done = std::move(queue_.front().done);
  queue_.pop_front();
  if (!error.empty()) {
    if (done) return done(error);
    return fail("write failed: " + error);
  }
  if (done) done(error);
  pump();
}

void SecurePipe::close() {
  if (closed_) return;
  closed_ = true;
  inner_->close();
  queue_.clear();
  handed_ = 0;
  held_.clear();
}

}  // namespace butter::host
