// What the entry points that report through butter_error (datagram.open, fd.watch, http.route,
// http2.route), the http/2 exchange calls, host.post and the net calls answer before their body
// runs: each keeps its own statuses and messages on top of services/entry_point.hpp.
#include "inactive_instance.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace butter::host;

using butter::host::test::InactiveInstance;
using butter::host::test::kNoInstance;

namespace {

butter_error fresh_refusal() {
  butter_error err;
  butter_error_init(&err);
  return err;
}

butter_str text(const char* s) { return butter_str{s, std::char_traits<char>::length(s)}; }

void on_datagram(void*, uint64_t, butter_str, uint16_t, butter_bytes) {}
void on_fd(void*, int, int32_t) {}
void on_http(void*, const butter_http_request*) {}
void on_posted(void*) {}

butter_datagram_options datagram_options() {
  butter_datagram_options opts{};
  opts.struct_size = sizeof opts;
  opts.bind_address = text("127.0.0.1");
  return opts;
}

butter_http2_route http2_route() {
  butter_http2_route route{};
  route.struct_size = sizeof route;
  route.request = on_http;
  return route;
}

}  // namespace

TEST_CASE("service refusals: datagram.open and fd.watch say their own message for a bad caller or bad arguments") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const butter_datagram_v1& dg = *datagram_extension();
  const butter_fd_v1& fd = *fd_extension();
  const butter_datagram_options opts = datagram_options();
  butter_error err = fresh_refusal();
  uint64_t id = 0;

  // An unknown handle and a call off the node's thread are refused like bad arguments.
  for (const butter_host* caller : {static_cast<const butter_host*>(&kNoInstance), host}) {
    CHECK(dg.open(caller, &opts, on_datagram, nullptr, &id, &err) == BUTTER_E_INVALID);
    CHECK(std::string(err.message) == "missing callback or options");
    CHECK(fd.watch(caller, 0, BUTTER_FD_READ, on_fd, nullptr, &id, &err) == BUTTER_E_INVALID);
    CHECK(std::string(err.message) == "bad descriptor, events or callback");
  }
  // On the node's thread: bad arguments first, then the inactive instance.
  CHECK(node.on_strand([&] { return dg.open(host, &opts, nullptr, nullptr, &id, &err); }) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "missing callback or options");
  butter_datagram_options short_opts = opts;
  short_opts.struct_size = sizeof short_opts - 1;
  CHECK(node.on_strand([&] { return dg.open(host, &short_opts, on_datagram, nullptr, &id, &err); }) ==
        BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return dg.open(host, &opts, on_datagram, nullptr, &id, &err); }) == BUTTER_E_UNAVAILABLE);
  CHECK(std::string(err.message) == "the instance is not active");
  CHECK(node.on_strand([&] { return fd.watch(host, -1, BUTTER_FD_READ, on_fd, nullptr, &id, &err); }) ==
        BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "bad descriptor, events or callback");
  CHECK(node.on_strand([&] { return fd.watch(host, 0, 0, on_fd, nullptr, &id, &err); }) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return fd.watch(host, 0, BUTTER_FD_READ, on_fd, nullptr, &id, &err); }) ==
        BUTTER_E_UNAVAILABLE);
  CHECK(std::string(err.message) == "the instance is not active");
  CHECK(id == 0);
  CHECK(node.core->datagram_sockets.empty());
  CHECK(node.core->fd_watches.empty());
}

TEST_CASE("service refusals: http.route and http2.route say which check refused the call") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const butter_http_v1& http = *http_extension();
  const butter_http_v2& http2 = *http2_extension();
  const butter_http2_route route = http2_route();
  butter_error err = fresh_refusal();
  uint64_t id = 0;

  // The callback is checked before the caller.
  CHECK(http.route(&kNoInstance, text("GET"), text("/x"), 0, nullptr, nullptr, &id, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "missing callback");
  CHECK(http2.route(&kNoInstance, text("GET"), text("/x"), 0, nullptr, &id, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "missing route, or its struct_size is below BUTTER_HTTP2_ROUTE_MIN_SIZE");
  butter_http2_route no_request = route;
  no_request.request = nullptr;
  CHECK(http2.route(&kNoInstance, text("GET"), text("/x"), 0, &no_request, &id, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "missing request callback");

  CHECK(http.route(&kNoInstance, text("GET"), text("/x"), 0, on_http, nullptr, &id, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "unknown host handle");
  CHECK(http2.route(&kNoInstance, text("GET"), text("/x"), 0, &route, &id, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "unknown host handle");
  const auto before = node.inst->off_thread_calls();
  CHECK(http.route(host, text("GET"), text("/x"), 0, on_http, nullptr, &id, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "called from a thread that is not the node's");
  CHECK(http2.route(host, text("GET"), text("/x"), 0, &route, &id, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "called from a thread that is not the node's");
  CHECK(node.inst->off_thread_calls() == before + 2);

  CHECK(node.on_strand([&] { return http.route(host, text("GET"), text("/x"), 0, on_http, nullptr, &id, &err); }) ==
        BUTTER_E_UNAVAILABLE);
  CHECK(std::string(err.message) == "the instance is not active");
  CHECK(node.on_strand([&] { return http2.route(host, text("GET"), text("/x"), 0, &route, &id, &err); }) ==
        BUTTER_E_UNAVAILABLE);
  CHECK(std::string(err.message) == "the instance is not active");
  CHECK(id == 0);
}

TEST_CASE("service refusals: an http/2 exchange call without the caller's exchange answers BUTTER_E_NOT_FOUND") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const butter_http_v2& http2 = *http2_extension();
  const uint64_t token = 12345;  // no exchange has it
  const uint8_t byte = 1;
  for (const butter_host* caller : {static_cast<const butter_host*>(&kNoInstance), host}) {
    // Off the node's thread (or with no instance at all), as on it.
    CHECK(http2.read_body(caller, token, 100) == BUTTER_E_NOT_FOUND);
    CHECK(http2.begin(caller, token, 200, text(""), nullptr, 0, 0) == BUTTER_E_NOT_FOUND);
    CHECK(http2.write(caller, token, butter_bytes{&byte, 1}) == BUTTER_E_NOT_FOUND);
    CHECK(http2.end(caller, token) == BUTTER_E_NOT_FOUND);
    http2.abort(caller, token);
  }
  CHECK(node.on_strand([&] { return http2.read_body(host, token, 100); }) == BUTTER_E_NOT_FOUND);
  // The token is looked for before the arguments.
  CHECK(node.on_strand([&] { return http2.begin(host, token, 99, text(""), nullptr, 0, 0); }) == BUTTER_E_NOT_FOUND);
  CHECK(node.on_strand([&] { return http2.write(host, token, butter_bytes{nullptr, 1}); }) == BUTTER_E_NOT_FOUND);
  CHECK(node.on_strand([&] { return http2.end(host, token); }) == BUTTER_E_NOT_FOUND);
  // respond hands a token it does not know to v1's respond, which refuses a foreign thread.
  CHECK(node.on_strand([&] { return http2.respond(host, token, 200, text(""), butter_bytes{}, nullptr, 0); }) ==
        BUTTER_E_NOT_FOUND);
  CHECK(http2.respond(host, token, 200, text(""), butter_bytes{}, nullptr, 0) == BUTTER_E_INVALID);
}

TEST_CASE("service refusals: host.post refuses a bad handle or function, and an inactive instance, from any thread") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const ServiceTable& table = host_service_table();
  CHECK(table.post(nullptr, on_posted, nullptr) == BUTTER_E_INVALID);
  CHECK(table.post(&kNoInstance, on_posted, nullptr) == BUTTER_E_INVALID);
  CHECK(table.post(host, nullptr, nullptr) == BUTTER_E_INVALID);
  CHECK(table.post(host, on_posted, nullptr) == BUTTER_E_UNAVAILABLE);
  CHECK(node.on_strand([&] { return table.post(host, on_posted, nullptr); }) == BUTTER_E_UNAVAILABLE);
  CHECK(node.inst->off_thread_calls() == 0);
}

namespace {
void on_response(void*, butter_status, const butter_net_message*) {}
void on_message(void*, const butter_net_message*) {}
}  // namespace

TEST_CASE("service refusals: net.handle, send, send_sealed and request say why a caller is refused") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const butter_net_v1& net = *net_extension();
  const butter_net_sealed_v1& sealed = *net_sealed_extension();
  const butter_str peer = text("peer"), proto = text("/t/1");
  const butter_bytes none{nullptr, 0};
  butter_error err = fresh_refusal();
  uint64_t id = 0;

  CHECK(net.send(&kNoInstance, peer, proto, none, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "unknown host handle");
  CHECK(sealed.send_sealed(host, peer, proto, none, none, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "called from a thread that is not the node's");
  // On the node's thread, an instance that is not active (and a node with no transport).
  CHECK(node.on_strand([&] { return net.handle(host, proto, on_message, nullptr, &err); }) == BUTTER_E_UNAVAILABLE);
  CHECK(std::string(err.message) == "the instance is not active");
  CHECK(node.on_strand([&] { return net.send(host, peer, proto, none, &err); }) == BUTTER_E_UNAVAILABLE);
  CHECK(node.on_strand([&] { return sealed.send_sealed(host, peer, proto, none, none, &err); }) ==
        BUTTER_E_UNAVAILABLE);
  CHECK(node.on_strand([&] { return net.request(host, peer, proto, none, 100, on_response, nullptr, &id, &err); }) ==
        BUTTER_E_UNAVAILABLE);
  CHECK(std::string(err.message) == "the instance is not active");
  // Without a butter_error the status alone.
  CHECK(net.send(&kNoInstance, peer, proto, none, nullptr) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return net.send(host, peer, proto, none, nullptr); }) == BUTTER_E_UNAVAILABLE);
  CHECK(id == 0);
  CHECK(node.core->requests.empty());
}

namespace {
void on_peer(void*, int32_t, butter_str) {}
butter_status dial_nothing(void*, butter_str, uint64_t) { return BUTTER_OK; }
butter_status write_nothing(void*, uint64_t, butter_bytes) { return BUTTER_OK; }
void close_nothing(void*, uint64_t) {}

butter_net_dialer complete_dialer() {
  butter_net_dialer d{};
  d.struct_size = sizeof d;
  d.dial = dial_nothing;
  d.write = write_nothing;
  d.close = close_nothing;
  return d;
}
}  // namespace

// These three published BUTTER_E_INVALID for every refusal, an inactive caller's too, before they
// came onto services/entry_point.hpp: the answers a plugin sees are pinned here.
TEST_CASE("service refusals: net.peer, watch_peers and register_dialer answer BUTTER_E_INVALID for any refusal") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const butter_net_v1& net = *net_extension();
  butter_net_peer_info info{};
  info.struct_size = sizeof info;
  const butter_net_dialer dialer = complete_dialer();
  butter_net_dialer no_close = dialer;
  no_close.close = nullptr;

  // An unknown handle.
  CHECK(net.peer(&kNoInstance, 0, &info) == BUTTER_E_INVALID);
  CHECK(net.watch_peers(&kNoInstance, on_peer, nullptr) == BUTTER_E_INVALID);
  CHECK(net.register_dialer(&kNoInstance, text("relay"), &dialer) == BUTTER_E_INVALID);
  // Off the node's thread: refused and counted, bad arguments or not.
  const auto before = node.inst->off_thread_calls();
  CHECK(net.peer(host, 0, &info) == BUTTER_E_INVALID);
  CHECK(net.peer(host, 0, nullptr) == BUTTER_E_INVALID);
  CHECK(net.watch_peers(host, on_peer, nullptr) == BUTTER_E_INVALID);
  CHECK(net.register_dialer(host, text("relay"), &dialer) == BUTTER_E_INVALID);
  CHECK(node.inst->off_thread_calls() == before + 4);
  // On the node's thread, an inactive instance (on a node without transport): BUTTER_E_INVALID,
  // not the BUTTER_E_UNAVAILABLE of net.send.
  CHECK(node.on_strand([&] { return net.peer(host, 0, &info); }) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return net.watch_peers(host, on_peer, nullptr); }) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return net.register_dialer(host, text("relay"), &dialer); }) == BUTTER_E_INVALID);
  // Bad arguments, likewise.
  CHECK(node.on_strand([&] { return net.peer(host, 0, nullptr); }) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return net.watch_peers(host, nullptr, nullptr); }) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return net.register_dialer(host, text("relay"), nullptr); }) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return net.register_dialer(host, text("relay"), &no_close); }) == BUTTER_E_INVALID);
  CHECK(node.on_strand([&] { return net.register_dialer(host, text("tcp"), &dialer); }) == BUTTER_E_INVALID);
  CHECK(node.inst->off_thread_calls() == before + 4);
  // Nothing was registered.
  CHECK(node.core->peer_watchers.empty());
  CHECK(node.inst->registrations().peer_watchers.empty());
  CHECK(node.inst->registrations().dialer_schemes.empty());
}

TEST_CASE("service refusals: connections.release is offered by name and refuses what it cannot act for") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const auto* release =
      static_cast<const butter_connections_release_v1*>(host_get_extension(host, BUTTER_EXT_CONNECTIONS_RELEASE));
  REQUIRE(release == connections_release_extension());
  const std::string hex(64, 'a');
  const butter_str id{hex.data(), hex.size()};
  CHECK(release->release(&kNoInstance, id) == BUTTER_E_INVALID);  // a handle the node never made
  CHECK(release->release(host, id) == BUTTER_E_INVALID);          // off the node's thread
  // On the node's thread: an instance that is not active, on a node with no transport.
  CHECK(node.on_strand([&] { return release->release(host, id); }) == BUTTER_E_UNAVAILABLE);
}

// butter.net.peer_lookup/1 came after the adapter: its refusals are the adapter's defaults for a
// transport caller (ext/net.h), and *out is never written when refused.
TEST_CASE("service refusals: net.peer_by_id refuses a bad handle a foreign thread and an inactive caller") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const auto* lookup =
      static_cast<const butter_net_peer_lookup_v1*>(host_get_extension(host, BUTTER_EXT_NET_PEER_LOOKUP));
  REQUIRE(lookup == net_peer_lookup_extension());
  const std::string hex(64, 'a');
  const butter_str id{hex.data(), hex.size()};
  butter_net_peer_info info{};
  info.struct_size = sizeof info;

  CHECK(lookup->peer_by_id(&kNoInstance, id, &info) == BUTTER_E_INVALID);
  const auto before = node.inst->off_thread_calls();
  CHECK(lookup->peer_by_id(host, id, &info) == BUTTER_E_INVALID);
  CHECK(node.inst->off_thread_calls() == before + 1);
  // On the node's thread, an inactive instance on a node without transport, whatever the arguments.
  CHECK(node.on_strand([&] { return lookup->peer_by_id(host, id, &info); }) == BUTTER_E_UNAVAILABLE);
  CHECK(node.on_strand([&] { return lookup->peer_by_id(host, id, nullptr); }) == BUTTER_E_UNAVAILABLE);
  CHECK(info.node_id.data == nullptr);
  CHECK(info.remote_address.data == nullptr);
}
