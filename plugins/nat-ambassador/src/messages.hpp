// Wire formats of nat-ambassador: /butter/relay/1 (relayed streams through an ambassador) and
// /butter/nat/1 (dial-back checks, status announcements, ping), plus relay:// endpoint URIs.
// Pure functions over bytes, bounds-checked with butter::wire; unit-tested.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace butter::nat {

inline constexpr const char* kRelayProtocol = "/butter/relay/1";
inline constexpr const char* kNatProtocol = "/butter/nat/1";

// --- /butter/relay/1 ---------------------------------------------------------------------------
enum class RelayType : std::uint8_t {
  Open = 1,        // sender -> ambassador: stream (sender's id), target node id
  Incoming = 2,    // ambassador -> client: stream (ambassador's relay id), origin node id
  Data = 3,        // either way: leg, stream, bytes
  Close = 4,       // either way: leg, stream, reason
  Register = 5,    // client -> ambassador (request): serve me; the reply is empty on success
  Unregister = 6,  // client -> ambassador (one-way)
  // Flow control (relay_flow.hpp), added after the first release: nodes without it count these
  // as malformed and drop them, and their circuits run without windows as before.
  Flow = 7,    // leg, stream, window: the sender takes part in flow control, with this window
  Credit = 8,  // leg, stream, limit: the far end may send up to `limit` bytes in all (absolute)
};

// Where a Data/Close travels, which says whose stream id it carries: the origin's own stream id
// (FromOrigin, ToOrigin) or the ambassador's relay id (FromTarget, ToTarget).
enum class Leg : std::uint8_t { FromOrigin = 0, FromTarget = 1, ToOrigin = 2, ToTarget = 3 };

struct RelayMessage {
  RelayType type = RelayType::Data;
  Leg leg = Leg::FromOrigin;
  std::uint64_t stream = 0;
  std::string node;         // Open: target id; Incoming: origin id (64 hex)
  std::string body;         // Data: bytes; Close: reason
  std::uint64_t value = 0;  // Flow: window; Credit: limit
};

std::vector<std::uint8_t> encode_relay(const RelayMessage& m);
// nullopt with `why` set for anything malformed (unknown type, truncated, trailing bytes...).
std::optional<RelayMessage> decode_relay(const std::uint8_t* data, std::size_t len, std::string& why);

// Data is the bulk of relayed traffic, so it has a path of its own that copies the bytes once per
// hop: encode_relay_data writes the header and the bytes into one buffer (no RelayMessage, no
// body string), and decode_relay_data reads a Data message as a view of the received payload.
inline constexpr std::size_t kRelayDataHeader = 1 + 1 + 8;  // type, leg, stream
std::vector<std::uint8_t> encode_relay_data(Leg leg, std::uint64_t stream, const std::uint8_t* data, std::size_t len);
// The header alone: what the relay sends as the head of butter.net.sealed/1's send_sealed, the
// bytes (a relayed secure channel's records) being its sealed part.
std::array<std::uint8_t, kRelayDataHeader> relay_data_header(Leg leg, std::uint64_t stream);
struct RelayDataView {
  Leg leg = Leg::FromOrigin;
  std::uint64_t stream = 0;
  const std::uint8_t* data = nullptr;  // borrowed from the message's payload
  std::size_t len = 0;
};
// nullopt when the message is not a well-formed Data (then decode_relay says why).
std::optional<RelayDataView> decode_relay_data(const std::uint8_t* data, std::size_t len);

// --- /butter/nat/1 -----------------------------------------------------------------------------
enum class NatType : std::uint8_t {
  DialBack = 1,  // request: ports to dial back at the address the request came from
  Status = 2,    // one-way: verdict, ambassador service, relay endpoint
  Ping = 3,      // request: echoed back (for operators and tests)
  Connect = 4,   // request over a relayed connection: the sender's punchable addresses; reply: ours
  Sync = 5,      // one-way: "punch now" (the sender punches after half the measured round trip)
  Observe = 6,   // request to the ambassador of a relayed circuit: the IP it sees the circuit's
                 // other end connect from (reply: that IP); vouches for where punch spread may go
  Mapping = 7,   // request over a tcp connection: the IP and port the sender's socket is seen at
                 // (reply: both); compared with its own port, whether its NAT keeps ports. Nodes
                 // before it answer "unknown message type"
};

enum class Reach : std::uint8_t { Unknown = 0, Public = 1, Private = 2 };
const char* reach_name(Reach r);

struct DialBackRequest {
  std::vector<std::uint16_t> ports;  // at most kMaxDialBackPorts
};
inline constexpr std::size_t kMaxDialBackPorts = 4;

struct DialBackResult {
  std::string observed;               // "ip" the request came from, as the responder saw it
  std::vector<std::uint8_t> reached;  // per port: 1 reached, 0 not
};

struct StatusMessage {
  Reach verdict = Reach::Unknown;
  bool serving = false;  // accepts relay clients now
  std::uint32_t clients = 0, max_clients = 0;
  std::string relay_endpoint;  // set by a private node with an ambassador
};

std::vector<std::uint8_t> encode_dialback(const DialBackRequest& r);
std::vector<std::uint8_t> encode_dialback_result(const DialBackResult& r);
std::vector<std::uint8_t> encode_status(const StatusMessage& s);
std::vector<std::uint8_t> encode_ping(std::string_view body);

// The first byte of a /butter/nat/1 payload, or nullopt for an empty or unknown one.
std::optional<NatType> nat_type(const std::uint8_t* data, std::size_t len);
std::optional<DialBackRequest> decode_dialback(const std::uint8_t* data, std::size_t len, std::string& why);
std::optional<DialBackResult> decode_dialback_result(const std::uint8_t* data, std::size_t len, std::string& why);
std::optional<StatusMessage> decode_status(const std::uint8_t* data, std::size_t len, std::string& why);

// Connect (request and reply): the addresses the sender can be punched at, tcp:// URIs, and a
// flags byte after them, present only when not 0 (so that what nodes before it send and expect is
// unchanged for every node whose NAT keeps ports): bit 0, the sender's NAT does not keep ports
// (port_mapping.hpp), so its peer should spread guesses over its IP's ports.
inline constexpr std::size_t kMaxPunchAddresses = 4;
inline constexpr std::size_t kMaxPunchAddressBytes = 64;
struct ConnectMessage {
  std::vector<std::string> addresses;
  bool mapping_varies = false;
};
std::vector<std::uint8_t> encode_connect(const ConnectMessage& m);
std::vector<std::uint8_t> encode_sync();
// Refuses more than kMaxPunchAddresses, longer than kMaxPunchAddressBytes, anything but
// tcp://<numeric ip>:<port != 0>, a flags byte of 0 (not canonical) or with unknown bits.
std::optional<ConnectMessage> decode_connect(const std::uint8_t* data, std::size_t len, std::string& why);

// Mapping (request): the type byte alone. Its answer: the IP (numeric text) and port the
// responder sees the request's connection come from.
struct MappingAnswer {
  std::string ip;
  std::uint16_t port = 0;
};
std::vector<std::uint8_t> encode_mapping_request();
std::vector<std::uint8_t> encode_mapping_answer(const MappingAnswer& a);
// Refuses a non-numeric IP, port 0, truncation and trailing bytes.
std::optional<MappingAnswer> decode_mapping_answer(const std::uint8_t* data, std::size_t len, std::string& why);

// Observe (request): the node id (64 hex) of the other end of a circuit the sender is part of.
// Reply: the IP the ambassador sees that node's direct connection come from (text, numeric).
std::vector<std::uint8_t> encode_observe(const std::string& node);
std::optional<std::string> decode_observe(const std::uint8_t* data, std::size_t len, std::string& why);
std::vector<std::uint8_t> encode_observed_ip(std::string_view ip);
// Refuses anything but a numeric IP.
std::optional<std::string> decode_observed_ip(const std::uint8_t* data, std::size_t len, std::string& why);

// --- relay:// endpoints ------------------------------------------------------------------------
// relay://<ambassador id>@<ambassador tcp host:port>/<client id>, ids in 64 lower-case hex; the
// host:port part may be empty ("relay://<amb>@/<client>") when the sender is expected to know
// the ambassador already.
struct RelayEndpoint {
  std::string ambassador;      // 64 hex
  std::string ambassador_tcp;  // "tcp://host:port" or empty
  std::string client;          // 64 hex
};
std::string format_relay_endpoint(const RelayEndpoint& e);
std::optional<RelayEndpoint> parse_relay_endpoint(std::string_view uri, std::string& why);

// "tcp://1.2.3.4:7000" -> host "1.2.3.4", port 7000 (IPv6 in brackets: host without them).
bool split_tcp_endpoint(std::string_view uri, std::string& host, std::uint16_t& port);
// True for a numeric IPv4 or IPv6 address (no brackets), false for names and anything else.
bool numeric_ip(std::string_view host);
// True for 0.0.0.0 / :: (a listen address that names no host).
bool unspecified_host(std::string_view host);
// True for a numeric IP a punch may be sent to: not loopback, unspecified (0.0.0.0/8, ::),
// multicast, the IPv4 broadcast address or the same in IPv4-mapped IPv6.
bool punchable_ip(std::string_view host);

}  // namespace butter::nat
