// RequestLoad: a node that keeps `window` requests in flight to one peer and protocol without
// pause (a new one leaves as soon as an answer comes back), recording every outcome in the order
// the answers arrived. Runs on the sending node's strand; read the results from any thread.
#pragma once
#include "node/node.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace butter::test {

class RequestLoad {
 public:
  using Clock = std::chrono::steady_clock;
  struct Outcome {
    std::int32_t status = 0;
    std::string body;
    Clock::time_point sent, answered;
  };

  RequestLoad(host::Node& from, std::string peer, std::string protocol, int window = 1)
      : s_(std::make_shared<Shared>()) {
    s_->core = from.core();
    s_->peer = std::move(peer);
    s_->protocol = std::move(protocol);
    s_->window = window;
  }
  ~RequestLoad() { s_->running = false; }

  void start() {
    s_->running = true;
    auto s = s_;
    boost::asio::post(s_->core->strand, [s] {
      for (int i = 0; i < s->window; ++i) issue(s);
    });
  }
  // Stops issuing; answers still in flight are recorded as they come.
  void stop() { s_->running = false; }
  int in_flight() const { return s_->in_flight.load(); }

  std::vector<Outcome> outcomes() const {
    std::lock_guard<std::mutex> lock(s_->mutex);
    return s_->outcomes;
  }
  std::size_t count() const {
    std::lock_guard<std::mutex> lock(s_->mutex);
    return s_->outcomes.size();
  }
  // Answers whose body starts with `prefix`.
  std::size_t count_prefix(const std::string& prefix) const {
    std::lock_guard<std::mutex> lock(s_->mutex);
    std::size_t n = 0;
    for (const auto& o : s_->outcomes) n += o.status == 0 && o.body.rfind(prefix, 0) == 0;
    return n;
  }

 private:
  struct Shared {
    std::shared_ptr<host::NodeCore> core;
    std::string peer, protocol;
    int window = 1;
    std::atomic<bool> running{false};
    std::atomic<int> in_flight{0};
    mutable std::mutex mutex;
    std::vector<Outcome> outcomes;
  };

  static void record(const std::shared_ptr<Shared>& s, Outcome o) {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->outcomes.push_back(std::move(o));
  }

  // On the strand.
  static void issue(const std::shared_ptr<Shared>& s) {
    if (!s->running || !s->core->transport) return;
    static const std::string payload = "ping";
    auto sent = Clock::now();
    ++s->in_flight;
    auto e = s->core->transport->request(
        s->peer, s->protocol,
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
        std::chrono::seconds(5),
        [s, sent](std::int32_t status, const host::NodeId&, std::span<const std::uint8_t> body) {
          record(s, Outcome{status, std::string(body.begin(), body.end()), sent, Clock::now()});
          --s->in_flight;
          issue(s);
        });
    if (e) {
      --s->in_flight;
      record(s, Outcome{e.code, e.message, sent, Clock::now()});
    }
  }

  std::shared_ptr<Shared> s_;
};

}  // namespace butter::test
