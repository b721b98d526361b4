// LyingRecruit: a hostile peer on a real encrypted connection (RawSecureClient) that plays a
// sybil recruit of pcg-storage: it acknowledges every RECRUIT and says HAVE at once without
// fetching a block, claims to hold every block in its heartbeats, and answers possession
// challenges with bytes it made up. It speaks the plugin's own codec (messages.cpp, linked into
// the test). It runs on its own thread until destroyed; its counters say what it was asked.
#pragma once
#include "messages.hpp"
#include "support/raw_peer.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace butter::test {

class LyingRecruit {
 public:
  explicit LyingRecruit(const std::string& uri) : c_(uri) {
    if (!c_.ch.established()) throw std::runtime_error("secure handshake with " + uri + " failed");
    c_.hello();
    self_ = c_.identity->id().bytes;
    timeval tv{0, 50 * 1000};  // short reads: the loop also sends heartbeats and checks for stop
    ::setsockopt(c_.s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    thread_ = std::thread([this] { run(); });
  }
  ~LyingRecruit() {
    stop_ = true;
    thread_.join();
  }
  LyingRecruit(const LyingRecruit&) = delete;
  LyingRecruit& operator=(const LyingRecruit&) = delete;

  std::string id_hex() const { return c_.identity->id().hex(); }
  int recruits() const { return recruits_; }
  int challenges() const { return challenges_; }

 private:
  void send(const pcg::Message& m) {
    host::Frame f;
    f.type = host::FrameType::kOneway;
    f.protocol = pcg::kProtocol;
    f.payload = pcg::encode(m);
    c_.write(c_.sealed(f));
  }

  void handle(const pcg::Message& m) {
    using pcg::MsgType;
    switch (m.type) {
      case MsgType::Recruit: {
        ++recruits_;
        groups_[m.object] = m.view;
        pcg::Message ack;
        ack.type = MsgType::RecruitAck;
        ack.object = m.object;
        ack.number = m.view.version;
        ack.status = 0;
        send(ack);
        pcg::Message have;  // "I hold every block" — no block was ever fetched
        have.type = MsgType::Have;
        have.object = m.object;
        have.number = m.view.version;
        send(have);
        break;
      }
      case MsgType::ViewUpdate:
        if (m.view.contains(self_))
          groups_[m.object] = m.view;
        else
          groups_.erase(m.object);
        break;
      case MsgType::Challenge: {
        ++challenges_;
        pcg::Message p;
        p.type = MsgType::Proof;
        p.object = m.object;
        p.number = m.number;
        p.status = 0;
        p.data.resize(m.mode == 0 ? 32 : 16384);
        for (auto& b : p.data) b = static_cast<std::uint8_t>(rng_());
        send(p);
        break;
      }
      default:
        break;
    }
  }

  void heartbeat() {
    if (groups_.empty()) return;
    pcg::Message hb;
    hb.type = pcg::MsgType::Heartbeat;
    for (const auto& [object, view] : groups_) hb.entries.push_back(pcg::HeartbeatEntry{object, true, view});
    send(hb);
  }

  void run() {
    std::array<std::uint8_t, 16384> buf;
    auto next_hb = std::chrono::steady_clock::now();
    // Bounded: the test's own deadlines are far shorter.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    try {
      while (!stop_ && std::chrono::steady_clock::now() < give_up) {
        boost::system::error_code ec;
        const std::size_t n = c_.s.read_some(boost::asio::buffer(buf), ec);
        if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) return;
        if (!ec && n > 0) {
          std::vector<std::uint8_t> wire, plain;
          if (!c_.ch.feed({buf.data(), n}, wire, plain)) return;
          if (!wire.empty()) c_.write(wire);
          if (!plain.empty()) c_.decoder.feed(plain);
          host::FrameView v;
          for (auto st = c_.decoder.next(v); st != host::FrameDecoder::Status::kNeedMore; st = c_.decoder.next(v)) {
            if (st == host::FrameDecoder::Status::kError) return;
            if ((v.type != host::FrameType::kOneway && v.type != host::FrameType::kRequest) ||
                v.protocol != pcg::kProtocol)
              continue;
            std::string why;
            if (auto m = pcg::decode(v.payload, why)) handle(*m);
          }
        }
        if (std::chrono::steady_clock::now() >= next_hb) {
          heartbeat();
          next_hb += std::chrono::milliseconds(100);
        }
      }
    } catch (const std::exception&) {
      // The node closed the connection: the liar is done.
    }
  }

  RawSecureClient c_;
  pcg::Hash self_{};
  std::map<pcg::Hash, pcg::View> groups_;
  std::mt19937_64 rng_{7};
  std::atomic<bool> stop_{false};
  std::atomic<int> recruits_{0}, challenges_{0};
  std::thread thread_;
};

}  // namespace butter::test
