// RecordingPort: a NatPort (nat_port.hpp) for unit tests. It records what a concept class sends
// (decoded when it is a relay message) and requests, holds posted functions until the test runs
// them, and refuses sends on request; its clock, peers and endpoints are the test's (peers()
// and peer(id) read `connected`, counting the calls), and its timers fire when the test calls
// them.
#pragma once
#include "messages.hpp"
#include "nat_port.hpp"

#include <butter/cpp/core.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace butter::nat::testing {

class RecordingPort final : public NatPort {
 public:
  struct Sent {
    std::string peer, protocol;
    std::vector<std::uint8_t> bytes;  // a sealed send's head and sealed part, joined
    // The relay message it carries (a Data message decoded into body), if any.
    std::optional<RelayMessage> relay() const {
      if (auto d = decode_relay_data(bytes.data(), bytes.size())) {
        RelayMessage m;
        m.type = RelayType::Data;
        m.leg = d->leg;
        m.stream = d->stream;
        m.body.assign(reinterpret_cast<const char*>(d->data), d->len);
        return m;
      }
      std::string why;
      return decode_relay(bytes.data(), bytes.size(), why);
    }
  };

  std::uint64_t now = 1000;
  std::vector<Sent> sent;
  struct Asked {
    std::string peer, protocol;
    std::vector<std::uint8_t> bytes;
    std::chrono::milliseconds timeout;
    butter::ResponseHandler answer;
  };
  std::vector<Asked> requests;
  std::vector<std::function<void()>> posted;
  std::vector<std::function<void()>> timers;  // every(): the functions, in order
  std::vector<butter::PeerInfo> connected;
  std::vector<std::string> listen;
  unsigned malformed_count = 0;
  unsigned peers_calls = 0, peer_calls = 0;  // whole-list copies, and single lookups by id
  butter_status refuse = BUTTER_OK;          // what sends answer; BUTTER_OK: they go

  std::uint64_t now_ms() const override { return now; }
  butter::Status send(std::string_view peer, std::string_view protocol, butter::Bytes payload) override {
    if (refuse != BUTTER_OK) return butter::Status(refuse);
    sent.push_back(Sent{std::string(peer), std::string(protocol), {payload.data(), payload.data() + payload.size()}});
    return {};
  }
  butter::Status send_sealed(std::string_view peer, std::string_view protocol, butter::Bytes head,
                             butter::Bytes sealed) override {
    if (refuse != BUTTER_OK) return butter::Status(refuse);
    Sent s{std::string(peer), std::string(protocol), {head.data(), head.data() + head.size()}};
    s.bytes.insert(s.bytes.end(), sealed.data(), sealed.data() + sealed.size());
    sent.push_back(std::move(s));
    return {};
  }
  butter::Status request(std::string_view peer, std::string_view protocol, butter::Bytes payload,
                         std::chrono::milliseconds timeout, butter::ResponseHandler fn) override {
    if (refuse != BUTTER_OK) return butter::Status(refuse);
    requests.push_back(Asked{std::string(peer),
                             std::string(protocol),
                             {payload.data(), payload.data() + payload.size()},
                             timeout,
                             std::move(fn)});
    return {};
  }
  butter::Status post(std::function<void()> fn) override {
    posted.push_back(std::move(fn));
    return {};
  }
  butter::Timer every(std::chrono::milliseconds, std::function<void()> fn) override {
    timers.push_back(std::move(fn));
    return {};
  }
  butter::Timer after(std::chrono::milliseconds, std::function<void()> fn) override {
    timers.push_back(std::move(fn));
    return {};
  }
  butter::Status add_address(std::string_view, std::string_view) override { return {}; }
  std::vector<butter::PeerInfo> peers() override {
    ++peers_calls;
    return connected;
  }
  std::optional<butter::PeerInfo> peer(std::string_view node_id) override {
    ++peer_calls;
    for (const auto& p : connected)
      if (p.node_id == node_id) return p;
    return std::nullopt;
  }
  std::vector<std::string> endpoints() const override { return listen; }
  butter::Log log() const override { return butter::Log(&core_); }
  void malformed() override { ++malformed_count; }

  // The relay messages sent to `peer`, in order.
  std::vector<RelayMessage> relayed_to(const std::string& peer) const {
    std::vector<RelayMessage> out;
    for (const auto& s : sent)
      if (s.peer == peer)
        if (auto m = s.relay()) out.push_back(*m);
    return out;
  }

 private:
  butter::detail::Core core_{nullptr};  // no host: the log goes to stderr, metrics nowhere
};

}  // namespace butter::nat::testing
