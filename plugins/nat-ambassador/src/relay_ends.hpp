// RelayEnds: this node's own ends of relayed streams. As the host's relay:// dialer it opens
// streams through an ambassador to its clients (origin side); as a private node it hands the host
// the streams its ambassador relays to it (target side). Both ends keep their flow control (Flow
// and Credit, relay_flow.hpp): a writer out of credit waits, delivered bytes grant more. The
// ambassador's side is RelayServer's; the protocol is drawn at the top of relay_server.cpp.
#pragma once
#include "messages.hpp"
#include "nat_port.hpp"
#include "relay.hpp"
#include "relay_link.hpp"

#include <butter/cpp/metrics.hpp>
#include <butter/cpp/streams.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

namespace butter::nat {

struct RelayEndMetrics {
  explicit RelayEndMetrics(const butter::Metrics& m)
      : inbound_streams(m.counter("nat_inbound_streams_total")),
        window_waits(m.counter("nat_relay_window_waits_total")),
        hop_waits(m.counter("nat_relay_hop_waits_total")),
        credits_sent(m.counter("nat_relay_credits_sent_total")) {}
  butter::Counter inbound_streams;  // as a client
  butter::Counter window_waits;     // writes refused: the far end's window was used up
  butter::Counter hop_waits;        // writes refused: the hop to the ambassador was full
  butter::Counter credits_sent;     // Credits this end sent
};

class RelayEnds final : public butter::StreamDialer {
 public:
  // What the ends need to know of the rest of the plugin.
  struct Links {
    std::function<std::string()> ambassador;  // this node's own ambassador; empty: none
    // A circuit between this node and `peer` opened through `ambassador` (Open sent, or Incoming
    // accepted).
    std::function<void(const std::string& ambassador, const std::string& peer)> circuit_opened;
    std::function<void()> protection_changed;  // a stream was added (sync the protected peers)
  };

  // `host_streams` is the plugin's butter.streams handle and `limits` its settings (the window
  // this end grants), both set at init; `self` is this node's id.
  RelayEnds(NatPort& port, RelayLink& link, butter::Streams& host_streams, const Limits& limits,
            const std::string& self, const butter::Metrics& metrics, Links links);

  // Registers this as the host's relay:// dialer, unless it is already. relay:// may still be
  // served by the instance this one replaces (hot swap): call it again until it is free.
  void register_dialer();

  // butter::StreamDialer: the host's side of relay:// streams.
  butter_status dial(std::string_view uri, std::uint64_t stream_id) override;
  butter_status write(std::uint64_t stream_id, butter::Bytes bytes) override;
  void close(std::uint64_t stream_id) override;

  // The ambassador's messages to an end (!toward_ambassador(leg)), and its Incoming.
  void on_incoming(const std::string& from, const RelayMessage& m);
  void on_data(const std::string& from, const RelayDataView& m);
  void on_close(const std::string& from, const RelayMessage& m);
  void on_credit(const std::string& from, const RelayMessage& m);
  // This node's ambassador's Flow before its Incoming; false when it is not taken.
  bool on_flow(const std::string& from, const RelayMessage& m);

  // `peer` went down: the streams through it end.
  void peer_down(const std::string& peer);
  // This node left `ambassador`: the streams it relayed to this node end.
  void left(const std::string& ambassador);
  // Every 500 ms: Credits that could not be sent go again.
  void sweep();
  // The instance stops (the host closes every connection over these streams).
  void stop() { streams_.clear(); }

  // The ambassadors the streams go through (their connections are needed).
  void needed_peers(std::set<std::string>& out) const { streams_.ambassadors(out); }
  std::size_t size() const { return streams_.size(); }

 private:
  void open_now(std::uint64_t stream_id);
  // Ends a stream here and tells the host.
  void end(std::uint64_t stream_id, const std::string& reason);
  butter_status send_bytes(RelayStreams::Stream& s, std::string_view bytes, std::size_t& taken);
  void after_delivery(std::uint64_t id, RelayStreams::Stream& s, std::size_t len);
  void send_credit(std::uint64_t id, const RelayStreams::Stream& s);
  void credit_arrived(std::uint64_t id, RelayStreams::Stream& s, std::uint64_t limit);

  NatPort& port_;
  RelayLink& link_;
  butter::Streams& host_streams_;
  const Limits& limits_;
  const std::string& self_;
  Links links_;
  RelayStreams streams_;
  FlowOffers flow_offers_;               // the ambassador's Flow waiting for its Incoming
  std::set<std::uint64_t> credit_owed_;  // host streams whose last Credit could not be sent
  bool dialer_registered_ = false;
  RelayEndMetrics metrics_;
};

}  // namespace butter::nat
