// butter/testing/fake_net.hpp — the fake host's butter.net/1, butter.net.reply/1, .sealed/1 and
// .peer_lookup/1: handlers the test delivers messages to, sends and requests recorded for the test
// to inspect and complete, replies recorded by token, and the connected peers the test lists
// (peer_count/peer and peer_by_id read them). It refuses what the node refuses (ext/net.h): a
// protocol id that is empty, too long or not UTF-8, a frame over max_frame_bytes, a token answered
// twice, a malformed node id, a call off the node's thread. Part of fake_host.hpp.
#pragma once

#include <butter/testing/fake_core.hpp>
#include <butter/wire.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace butter::testing {

template <class Host>
class FakeNet {
 public:
  struct HandlerRec {
    butter_net_handler_fn fn;
    void* user;
  };
  std::map<std::string, HandlerRec, std::less<>> handlers;  // by protocol id
  struct ReplyRec {
    std::uint64_t token;
    butter_status status;
    std::string payload;
  };
  std::vector<ReplyRec> replies;  // every accepted reply, in order
  int replies_again = 0;          // the next this many replies (either form) answer BUTTER_E_AGAIN, token kept
  int reply_parts_calls = 0;      // butter.net.reply/1 reply_parts calls that reached the host
  int send_sealed_calls = 0;      // butter.net.sealed/1 send_sealed calls that reached the host
  std::size_t max_frame_bytes = BUTTER_NET_DEFAULT_MAX_FRAME;  // the manifest's [node] max_frame_bytes

  // A connected peer, as butter_net_peer_info reports it.
  struct ConnectedPeer {
    std::string node_id;  // 64 hex digits
    std::vector<std::string> endpoints;
    std::string remote_address;  // "tcp://ip:port" as seen from here
    bool outbound = false;
    std::string local_address;
  };
  std::vector<ConnectedPeer> connected_peers;  // what peer_count/peer list, in order, and peer_by_id finds
  int peer_reads = 0;                          // butter.net/1 peer(index) calls that reached the host
  int peer_lookups = 0;                        // butter.net.peer_lookup/1 peer_by_id calls that reached the host

  // Delivers a request (or a one-way message) to the handler of `protocol`; returns its reply
  // token (0: no handler, or a one-way message).
  std::uint64_t deliver(std::string_view protocol, std::string_view payload, bool request = true,
                        std::string_view from = std::string(64, 'b')) {
    auto it = handlers.find(protocol);
    if (it == handlers.end()) return 0;
    butter_net_message m{};
    m.struct_size = sizeof m;
    m.from = str(from);
    m.protocol = str(protocol);
    m.payload = bytes(payload);
    m.reply_token = request ? host().issue_token() : 0;
    it->second.fn(it->second.user, &m);
    return m.reply_token;
  }
  // The one reply to `token`; nullptr when there is none or more than one (a bug).
  const ReplyRec* reply_for(std::uint64_t token) const {
    const ReplyRec* found = nullptr;
    for (const auto& r : replies)
      if (r.token == token) {
        if (found) return nullptr;
        found = &r;
      }
    return found;
  }

  struct SentRec {
    std::string peer, protocol, payload;
  };
  std::vector<SentRec> sent;  // one-way messages, in order
  struct RequestRec {
    std::uint64_t id;
    std::string peer, protocol, payload;
    std::uint32_t timeout_ms;
    butter_net_response_fn fn;
    void* user;
  };
  std::vector<RequestRec> requests;          // pending, oldest first
  butter_status request_result = BUTTER_OK;  // what request() returns (as if the node refused)
  // Completes the oldest pending request with `status` and `payload`; false when none is pending.
  bool complete(butter_status status, std::string_view payload) {
    if (requests.empty()) return false;
    RequestRec r = requests.front();
    requests.erase(requests.begin());
    butter_net_message m{};
    m.struct_size = sizeof m;
    m.from = str(host().node_id);
    m.protocol = str(r.protocol);
    m.payload = bytes(payload);
    r.fn(r.user, status, &m);
    return true;
  }

 protected:
  static const void* extension(std::string_view id) {
    static const butter_net_v1 net = {&handle, &unhandle,   &send,    &request, &cancel, &reply,  nullptr,
                                      nullptr, &peer_count, &peer_at, nullptr,  nullptr, nullptr, nullptr};
    static const butter_net_reply_v1 net_reply = {&reply_parts};
    static const butter_net_sealed_v1 net_sealed = {&send_sealed};
    static const butter_net_peer_lookup_v1 net_peer_lookup = {&peer_by_id};
    if (id == BUTTER_EXT_NET) return &net;
    if (id == BUTTER_EXT_NET_REPLY) return &net_reply;
    if (id == BUTTER_EXT_NET_SEALED) return &net_sealed;
    if (id == BUTTER_EXT_NET_PEER_LOOKUP) return &net_peer_lookup;
    return nullptr;
  }

 private:
  Host& host() { return static_cast<Host&>(*this); }
  const Host& host() const { return static_cast<const Host&>(*this); }

  // The node's refusal of an outgoing message, as ext/net.h states it; "" when it may go.
  static const char* refusal(const FakeNet& self, butter_str protocol, butter_bytes payload) {
    const std::string_view p(protocol.data ? protocol.data : "", protocol.len);
    if (p.empty()) return "a message without a protocol id";
    if (p.size() > BUTTER_NET_MAX_PROTOCOL) return "protocol id exceeds BUTTER_NET_MAX_PROTOCOL bytes";
    if (!butter::wire::valid_utf8_text(p)) return "protocol id is not valid UTF-8 text";
    if (payload.len > self.max_frame_bytes || BUTTER_NET_FRAME_OVERHEAD + p.size() + payload.len > self.max_frame_bytes)
      return "frame exceeds max_frame_bytes";
    return "";
  }

  static butter_status handle(const butter_host* h, butter_str protocol, butter_net_handler_fn fn, void* user,
                              butter_error* err) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return butter_error_set(err, BUTTER_E_INVALID, "called off the node's thread");
    const std::string p = to_string(protocol);
    if (self.handlers.count(p)) return butter_error_set(err, BUTTER_E_INVALID, "protocol already handled");
    self.handlers[p] = {fn, user};
    return BUTTER_OK;
  }
  static void unhandle(const butter_host* h, butter_str protocol) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return;
    auto it = self.handlers.find(to_string(protocol));
    if (it != self.handlers.end()) self.handlers.erase(it);
  }
  static butter_status send(const butter_host* h, butter_str peer, butter_str protocol, butter_bytes payload,
                            butter_error* err) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return butter_error_set(err, BUTTER_E_INVALID, "called off the node's thread");
    if (const char* why = refusal(self, protocol, payload); *why) return butter_error_set(err, BUTTER_E_INVALID, why);
    self.sent.push_back({to_string(peer), to_string(protocol), to_string(payload)});
    return BUTTER_OK;
  }
  // As the host's: the message recorded as send records it (head || sealed); the frame counts the
  // 4 bytes of the tail's length.
  static butter_status send_sealed(const butter_host* h, butter_str peer, butter_str protocol, butter_bytes head,
                                   butter_bytes sealed, butter_error* err) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return butter_error_set(err, BUTTER_E_INVALID, "called off the node's thread");
    std::string joined = to_string(head) + to_string(sealed);
    const butter_bytes whole = bytes(joined);
    if (const char* why = refusal(self, protocol, butter_bytes{whole.data, whole.len + (sealed.len ? 4 : 0)}); *why)
      return butter_error_set(err, BUTTER_E_INVALID, why);
    ++self.send_sealed_calls;
    self.sent.push_back({to_string(peer), to_string(protocol), std::move(joined)});
    return BUTTER_OK;
  }
  static butter_status request(const butter_host* h, butter_str peer, butter_str protocol, butter_bytes payload,
                               std::uint32_t timeout_ms, butter_net_response_fn fn, void* user, std::uint64_t* out_id,
                               butter_error* err) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return butter_error_set(err, BUTTER_E_INVALID, "called off the node's thread");
    if (!fn) return butter_error_set(err, BUTTER_E_INVALID, "request without a response callback");
    if (const char* why = refusal(self, protocol, payload); *why) return butter_error_set(err, BUTTER_E_INVALID, why);
    if (self.request_result != BUTTER_OK) return butter_error_set(err, self.request_result, "fake: request refused");
    const std::uint64_t id = self.next_id();
    self.requests.push_back({id, to_string(peer), to_string(protocol), to_string(payload), timeout_ms, fn, user});
    if (out_id) *out_id = id;
    return BUTTER_OK;
  }
  static void cancel(const butter_host* h, std::uint64_t id) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return;
    auto& rs = self.requests;
    for (auto it = rs.begin(); it != rs.end(); ++it)
      if (it->id == id) {
        rs.erase(it);
        return;
      }
  }
  static butter_status reply(const butter_host* h, std::uint64_t token, butter_status status, butter_bytes payload) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return BUTTER_E_INVALID;
    if (!self.token_live(token)) return BUTTER_E_NOT_FOUND;
    if (self.replies_again > 0) {  // a full queue: the token stays valid (transport.hpp)
      --self.replies_again;
      return BUTTER_E_AGAIN;
    }
    self.retire_token(token);
    self.replies.push_back({token, status, to_string(payload)});
    return BUTTER_OK;
  }
  static std::uint32_t peer_count(const butter_host* h) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return 0;
    return static_cast<std::uint32_t>(self.connected_peers.size());
  }
  static butter_status peer_at(const butter_host* h, std::uint32_t index, butter_net_peer_info* out) {
    Host& self = Host::of(h);
    if (!self.on_node_thread() || !out) return BUTTER_E_INVALID;
    ++self.peer_reads;
    if (index >= self.connected_peers.size()) return BUTTER_E_NOT_FOUND;
    fill(self, self.connected_peers[index], out);
    return BUTTER_OK;
  }
  // As the host's (net_peer_lookup_service.cpp): the refusals of ext/net.h, then the one peer, its
  // id compared as bytes (hex of either case).
  static butter_status peer_by_id(const butter_host* h, butter_str node_id, butter_net_peer_info* out) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return BUTTER_E_INVALID;
    ++self.peer_lookups;
    if (!out || out->struct_size < offsetof(butter_net_peer_info, outbound) + sizeof out->outbound)
      return BUTTER_E_INVALID;
    std::uint8_t wanted[32], listed[32];
    if (!butter::wire::hex_to_id(std::string_view(node_id.data ? node_id.data : "", node_id.len), wanted))
      return BUTTER_E_INVALID;
    for (const auto& p : self.connected_peers)
      if (butter::wire::hex_to_id(p.node_id, listed) && std::memcmp(wanted, listed, sizeof wanted) == 0) {
        fill(self, p, out);
        return BUTTER_OK;
      }
    return BUTTER_E_NOT_FOUND;
  }
  // Borrowed views of `p` (and of the fake's endpoint array, valid until the next fill).
  static void fill(FakeNet& self, const ConnectedPeer& p, butter_net_peer_info* out) {
    self.peer_endpoints_.clear();
    for (const auto& e : p.endpoints) self.peer_endpoints_.push_back(str(e));
    out->node_id = str(p.node_id);
    out->endpoint_count = static_cast<std::uint32_t>(self.peer_endpoints_.size());
    out->endpoints = self.peer_endpoints_.data();
    out->remote_address = str(p.remote_address);
    out->outbound = p.outbound ? 1 : 0;
    if (out->struct_size >= offsetof(butter_net_peer_info, local_address) + sizeof out->local_address)
      out->local_address = str(p.local_address);
  }
  std::vector<butter_str> peer_endpoints_;

  // As the host's (net_reply_service): refusals first, the token surviving them.
  static butter_status reply_parts(const butter_host* h, std::uint64_t token, butter_status status,
                                   const butter_bytes* parts, std::uint32_t count) {
    Host& self = Host::of(h);
    ++self.reply_parts_calls;
    if (count > BUTTER_NET_REPLY_MAX_PARTS || (count > 0 && parts == nullptr)) return BUTTER_E_INVALID;
    std::string joined;
    for (std::uint32_t k = 0; k < count; ++k) joined.append(to_string(parts[k]));
    return reply(h, token, status, bytes(joined));
  }
};

}  // namespace butter::testing
