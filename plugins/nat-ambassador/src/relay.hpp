// The relays' state: as an ambassador (RelayServer), the clients it serves and the circuits it
// relays for them (with their limits); as an origin or a client (RelayEnds), the relayed streams
// the host knows; and (the plugin's, relay.cpp) the peers whose connections a relay needs kept.
// The methods of Clients, Circuits and RelayStreams are in relay_state.cpp.
#pragma once
#include "messages.hpp"
#include "relay_flow.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter::nat {

struct Limits {
  bool serve = true;  // act as an ambassador when public
  std::uint32_t max_clients = 16;
  std::uint64_t max_relay_bytes = 0;   // per relayed connection, both ways; 0 = no limit
  std::uint64_t max_relay_ms = 0;      // per relayed connection; 0 = no limit
  std::uint64_t window = 1024 * 1024;  // what this node grants a relayed stream's far end (relay_flow.hpp)
  // Circuits to one client at once. With the windows, this bounds what the ambassador's queue to
  // a client holds: at most this many windows each way.
  std::size_t max_circuits_per_client = 16;
  // Of those, at most this share may come from origins at one network address (node ids cost
  // nothing, addresses do): origins at one address that open circuits and never use them can
  // hold a quarter of a client's slots, not all of them. Loopback is not bounded (every node of
  // one machine shares it).
  static constexpr std::size_t kCircuitsPerAddressDivisor = 4;
  std::size_t max_circuits_per_address() const {
    return std::max<std::size_t>(1, max_circuits_per_client / kCircuitsPerAddressDivisor);
  }
};

// Ambassador side: the private nodes registered here, by node id.
class Clients {
 public:
  bool has(const std::string& id) const { return since_.count(id) != 0; }
  std::size_t size() const { return since_.size(); }
  // Registers `id`, or refreshes its registration; true when it is new.
  bool refresh(const std::string& id, std::uint64_t now_ms) {
    const bool added = !has(id);
    since_[id] = now_ms;
    return added;
  }
  bool remove(const std::string& id) { return since_.erase(id) != 0; }
  void clear() { since_.clear(); }
  // Removes the clients whose last registration is older than `expiry_ms`; their ids.
  std::vector<std::string> expire(std::uint64_t now_ms, std::uint64_t expiry_ms);
  std::vector<std::string> ids() const;

 private:
  std::map<std::string, std::uint64_t> since_;  // client id -> last registration, ms
};

// Ambassador side: the connections relayed through this node, by relay id, and by the origin's
// own stream id (the index is kept equal to the circuits).
class Circuits {
 public:
  struct Circuit {
    std::string origin, target;
    std::string origin_address;  // network_key address of the origin's connection; empty for loopback
    std::uint64_t origin_stream = 0;
    std::uint64_t bytes = 0;  // both ways
    std::uint64_t started_ms = 0;
    CircuitFlow flow;
  };

  std::size_t size() const { return by_id_.size(); }
  bool empty() const { return by_id_.empty(); }
  std::uint64_t first() const { return by_id_.begin()->first; }  // not empty()
  // A new circuit from `origin`'s stream to `target`; its relay id.
  std::uint64_t open(const std::string& origin, std::uint64_t origin_stream, const std::string& target,
                     std::uint64_t now_ms, std::string origin_address = {});
  Circuit* find(std::uint64_t relay_id);
  std::optional<std::uint64_t> by_origin(const std::string& origin, std::uint64_t origin_stream) const;
  // Removes a circuit; it, if there was one.
  std::optional<Circuit> take(std::uint64_t relay_id);
  // Whether a circuit joins `a` and `b` (either way).
  bool joins(const std::string& a, const std::string& b) const;
  std::vector<std::uint64_t> with_target(const std::string& target) const;
  std::size_t count_to(const std::string& target) const;
  // Circuits to `target` whose origin is at `address` (not empty).
  std::size_t count_to_from(const std::string& target, const std::string& address) const;
  // The circuits `peer` is an end of: relay id, and whether it is the origin.
  std::vector<std::pair<std::uint64_t, bool>> using_peer(const std::string& peer) const;
  std::vector<std::uint64_t> older_than(std::uint64_t now_ms, std::uint64_t max_ms) const;
  // Both ends of every circuit.
  void ends(std::set<std::string>& out) const;

 private:
  std::map<std::uint64_t, Circuit> by_id_;
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> by_origin_;  // (origin, stream) -> relay id
  std::uint64_t next_id_ = 1;
};

// Flow announcements that precede the message they belong to (relay_flow.hpp): at the
// ambassador, an origin's Flow before its Open, by (origin, stream); at a client, its
// ambassador's Flow before Incoming, by ("", relay id). Bounded: the oldest goes first when full;
// an entry is taken by its Open or Incoming, which follow at once on the same connection.
class FlowOffers {
 public:
  static constexpr std::size_t kMax = 256;
  void put(const std::string& from, std::uint64_t stream, std::uint64_t window);
  std::optional<std::uint64_t> take(const std::string& from, std::uint64_t stream);
  std::size_t size() const { return by_key_.size(); }

 private:
  std::map<std::pair<std::string, std::uint64_t>, std::pair<std::uint64_t, std::uint64_t>> by_key_;  // -> (seq, window)
  std::uint64_t seq_ = 0;
};

// DEBUG (debug_capture_bytes): the first relayed bytes, for GET /nat/capture.
struct Capture {
  std::size_t max = 0;
  std::string bytes;
  void add(std::string_view more) {
    if (bytes.size() >= max) return;
    bytes.append(more.substr(0, max - bytes.size()));
  }
};

// Origin and client side: the relayed streams the host knows, by host stream id.
class RelayStreams {
 public:
  struct Stream {
    bool inbound = false;       // accepted (we are the relay's target) or dialled (we are the origin)
    std::string ambassador;     // node id
    std::uint64_t wire_id = 0;  // inbound: the ambassador's relay id; outbound: = host stream id
    bool opened = false;        // outbound: Open sent
    std::string target;         // outbound: the client we dial
    std::string ambassador_tcp;
    std::string uri;                   // outbound: the relay:// endpoint dialled
    std::vector<std::string> pending;  // outbound: Data waiting for Open
    EndFlow flow = EndFlow::legacy();
    // What a write could not send after its first part went (the hop's queue filled between the
    // two): sent before anything else, and until it is, writes answer BUTTER_E_AGAIN.
    std::string unsent;
  };

  std::size_t size() const { return by_id_.size(); }
  void add(std::uint64_t stream_id, Stream s);
  Stream* find(std::uint64_t stream_id);
  // Removes a stream; it, if there was one.
  std::optional<Stream> take(std::uint64_t stream_id);
  // The host stream of the ambassador's relay id `wire_id` (inbound).
  std::optional<std::uint64_t> inbound(const std::string& ambassador, std::uint64_t wire_id) const;
  // The streams through `ambassador` (only the inbound ones with inbound_only).
  std::vector<std::uint64_t> through(const std::string& ambassador, bool inbound_only) const;
  // The ambassador of every stream.
  void ambassadors(std::set<std::string>& out) const;
  void clear() {
    by_id_.clear();
    inbound_.clear();
  }

 private:
  std::map<std::uint64_t, Stream> by_id_;
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> inbound_;  // (ambassador, relay id) -> host id
};

// The connections a relay needs (ambassador, clients, circuits' ends) are protected from the
// host's trimming and idle closing; NatAmbassador::sync_protection() keeps the tags equal to that
// set, and the relay endpoint advertised equal to this node's.
struct Protection {
  std::set<std::string> peers;
  std::string advertised;
};

}  // namespace butter::nat
