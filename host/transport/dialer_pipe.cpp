#include "transport/dialer_pipe.hpp"

#include "transport/transport.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace butter::host {

// The sink given to the plugin holds the pipe weakly: a plugin keeping the sink past the
// connection's life delivers into nothing instead of into freed memory.
class DialerPipe::Sink : public StreamSink {
 public:
  explicit Sink(std::weak_ptr<DialerPipe> pipe) : pipe_(std::move(pipe)) {}
  void deliver(std::span<const std::uint8_t> bytes) override {
    if (auto p = pipe_.lock()) p->on_deliver(bytes);
  }
  void closed(const std::string& reason) override {
    if (auto p = pipe_.lock()) p->on_remote_closed(reason);
  }
  void writable() override {
    if (auto p = pipe_.lock()) p->on_writable();
  }

 private:
  std::weak_ptr<DialerPipe> pipe_;
};

DialerPipe::DialerPipe(const Strand& strand, std::shared_ptr<Dialer> dialer, std::string uri)
    : strand_(strand), dialer_(std::move(dialer)), uri_(std::move(uri)), retry_(strand) {}

DialerPipe::~DialerPipe() {
  try {
    close();
  } catch (...) {
    // Only cancelling the retry timer can throw (Asio reports a failed cancel as an exception);
    // a destructor must not, and the pipe is gone either way.
  }
}

std::string DialerPipe::open() {
  Error e;
  try {
    e = dialer_->dial(uri_, std::make_shared<Sink>(weak_from_this()), stream_id_);
  } catch (const std::exception& ex) {
    e = Error::make(BUTTER_E_INTERNAL, std::string("dialer threw: ") + ex.what());
  } catch (...) {
    e = Error::make(BUTTER_E_INTERNAL, "dialer threw");
  }
  if (e) {
    closed_ = true;
    return e.message.empty() ? std::string(status_name(e.code)) : e.message;
  }
  opened_ = true;
  return {};
}

std::shared_ptr<StreamSink> DialerPipe::adopt(std::uint64_t stream_id) {
  stream_id_ = stream_id;
  opened_ = true;
  return std::make_shared<Sink>(weak_from_this());
}

void DialerPipe::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  started_ = true;
  schedule_flush();
}

void DialerPipe::on_deliver(std::span<const std::uint8_t> bytes) {
  if (closed_ || remote_closed_) return;
  // A busy stream gets several deliveries per turn (one per relayed message the node's read
  // held): size the inbox for what recent flushes carried, so that it is allocated once per turn
  // instead of growing (and copying what it holds) at deliveries. The inbox is handed on, and
  // freed, at each flush: an idle pipe holds no buffer.
  if (inbox_.empty()) inbox_.reserve(std::max(bytes.size(), reserve_hint_));
  inbox_.insert(inbox_.end(), bytes.begin(), bytes.end());
  schedule_flush();
}

void DialerPipe::on_remote_closed(const std::string& reason) {
  if (closed_ || remote_closed_) return;
  remote_closed_ = reason.empty() ? std::string("stream closed") : reason;
  schedule_flush();
}

void DialerPipe::schedule_flush() {
  if (flush_posted_ || !started_ || closed_) return;
  if (inbox_.empty() && !remote_closed_) return;
  flush_posted_ = true;
  boost::asio::post(strand_, [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void DialerPipe::flush() {
  if (closed_) return;
  if (!inbox_.empty()) {
    auto bytes = std::move(inbox_);
    inbox_.clear();
    // The largest recent flush, decaying by a quarter at each smaller one (a short tail between
    // two full turns must not shrink it), capped.
    reserve_hint_ = std::min(kMaxInboxReserve, std::max(bytes.size(), reserve_hint_ - reserve_hint_ / 4));
    if (handlers_.on_data) handlers_.on_data(bytes);
  }
  if (closed_ || !remote_closed_ || !inbox_.empty()) return schedule_flush();
  closed_ = true;
  if (handlers_.on_closed) handlers_.on_closed(*remote_closed_);
}

void DialerPipe::write(std::vector<boost::asio::const_buffer> buffers, WriteDone done) {
  if (closed_) return;
  pending_.push_back(PendingWrite{std::move(buffers), std::move(done)});
  if (!out_done_ && !waiting_) pump();  // else the write in flight's turn takes it up after itself
}

void DialerPipe::pump() {
  if (closed_) return;
  waiting_ = false;
  for (;;) {
    if (!out_done_) {
      if (pending_.empty()) return;
      out_ = std::move(pending_.front().buffers);
      out_done_ = std::move(pending_.front().done);
      pending_.pop_front();
      out_index_ = out_offset_ = 0;
      retry_delay_ = kFirstRetry;
    }
    if (!pump_current()) return;
  }
}

bool DialerPipe::pump_current() {
  while (out_index_ < out_.size()) {
    const auto& b = out_[out_index_];
    const std::size_t n = std::min(kMaxWritePiece, b.size() - out_offset_);
    if (n == 0) {
      ++out_index_;
      out_offset_ = 0;
      continue;
    }
    Error e;
    try {
      e = dialer_->write(stream_id_,
                         std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(b.data()) + out_offset_, n));
    } catch (const std::exception& ex) {
      e = Error::make(BUTTER_E_INTERNAL, std::string("dialer threw: ") + ex.what());
    } catch (...) {
      e = Error::make(BUTTER_E_INTERNAL, "dialer threw");
    }
    if (closed_) return false;  // the dialer closed the stream from inside write()
    if (e.code == BUTTER_E_AGAIN) {
      // Nothing of this piece was taken: keep it, and try again when the dialer says so or at
      // the backoff (a dialer that cannot tell is still drained).
      waiting_ = true;
      retry_.expires_after(retry_delay_);
      retry_delay_ = std::min(kLastRetry, retry_delay_ * 2);
      retry_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!ec && self && self->waiting_) self->pump();
      });
      return false;
    }
    if (e) {
      // The writer closes the connection on this error: the writes queued behind it never go.
      complete_write("dialer write failed: " + (e.message.empty() ? std::string(status_name(e.code)) : e.message));
      pending_.clear();
      return false;
    }
    retry_delay_ = kFirstRetry;
    out_offset_ += n;
    if (out_offset_ == b.size()) {
      ++out_index_;
      out_offset_ = 0;
    }
  }
  complete_write({});
  return true;
}

void DialerPipe::on_writable() {
  if (closed_ || !waiting_) return;
  // From inside the plugin's call: write to it again from a fresh turn, not re-entrantly.
  waiting_ = false;
  retry_.cancel();
  boost::asio::post(strand_, [self = shared_from_this()] { self->pump(); });
}

void DialerPipe::complete_write(std::string error) {
  out_.clear();
  auto done = std::move(out_done_);
  out_done_ = nullptr;
  // The dialer has taken (copied) the bytes; complete on a later turn, as a socket would.
  boost::asio::post(strand_, [self = shared_from_this(), done = std::move(done), error = std::move(error)] {
    if (!self->closed_) done(error);
  });
}

void DialerPipe::close() {
  if (closed_ && !opened_) return;
  closed_ = true;
  waiting_ = false;
  retry_.cancel();
  if (opened_) {
    opened_ = false;
    try {
      dialer_->close(stream_id_);
    } catch (...) {
      // A plugin's close failing must not take the host down; the stream is forgotten anyway.
    }
  }
}

}  // namespace butter::host
