// The host conformance cases: what the SDK headers (ext/*.h) promise a plugin about refusals and
// limits, run through the C ABI alone against whatever host a plugin instance was given. The same
// cases run against the SDK's fake host (tests/unit/sdk/host_conformance_test.cpp) and against a
// real node through the tp-conformance plugin (tests/integration/node/host_conformance_test.cpp),
// so that a plugin author's tests on butter/testing.hpp cannot pass where a node would refuse.
//
// Call on the node's thread (a plugin's start()); it may spawn and join one thread of its own for
// the thread rule. Leaves nothing behind (routes and timers it makes are removed).
#pragma once

#include <butter/butter.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace butter::test {

struct ConformanceCase {
  std::string name;     // [a-z_]+: also a metric name part
  bool held = false;    // the host did what the header says
  butter_status got{};  // what it answered
};

inline std::vector<ConformanceCase> run_host_conformance(const butter_host* h) {
  std::vector<ConformanceCase> out;
  auto expect = [&out](const char* name, butter_status got, butter_status want) {
    out.push_back({name, got == want, got});
  };
  auto s = [](const char* p) { return butter_str{p, std::strlen(p)}; };
  auto b = [](const std::string& v) { return butter_bytes{reinterpret_cast<const std::uint8_t*>(v.data()), v.size()}; };
  const auto* net = static_cast<const butter_net_v1*>(h->get_extension(h, BUTTER_EXT_NET));
  const auto* events = static_cast<const butter_events_v1*>(h->get_extension(h, BUTTER_EXT_EVENTS));
  const auto* http = static_cast<const butter_http_v1*>(h->get_extension(h, BUTTER_EXT_HTTP));
  const auto* timer = static_cast<const butter_timer_v1*>(h->get_extension(h, BUTTER_EXT_TIMER));
  const auto* config = static_cast<const butter_config_v1*>(h->get_extension(h, BUTTER_EXT_CONFIG));
  const auto* services = static_cast<const butter_services_v1*>(h->get_extension(h, BUTTER_EXT_SERVICES));
  if (!net || !events || !http || !timer || !config || !services) {
    out.push_back({"extensions_present", false, BUTTER_E_NOT_FOUND});
    return out;
  }
  const char* nobody = "00000000000000000000000000000000000000000000000000000000000000aa";
  const std::string one = "x";

  // net (ext/net.h, send): the protocol id and the frame size are checked before anything is sent.
  expect("net_send_empty_protocol", net->send(h, s(nobody), s(""), b(one), nullptr), BUTTER_E_INVALID);
  const std::string long_protocol(BUTTER_NET_MAX_PROTOCOL + 1, 'p');
  expect("net_send_protocol_too_long", net->send(h, s(nobody), s(long_protocol.c_str()), b(one), nullptr),
         BUTTER_E_INVALID);
  expect("net_send_protocol_not_utf8", net->send(h, s(nobody), s("/tp/\xff"), b(one), nullptr), BUTTER_E_INVALID);
  expect("net_send_protocol_control_char", net->send(h, s(nobody), s("/tp/\x01"), b(one), nullptr), BUTTER_E_INVALID);
  const std::string too_big(BUTTER_NET_DEFAULT_MAX_FRAME, 'z');  // with its overhead, over the frame limit
  expect("net_send_frame_too_big", net->send(h, s(nobody), s("/tp/big"), b(too_big), nullptr), BUTTER_E_INVALID);
  expect("net_request_frame_too_big",
         net->request(
             h, s(nobody), s("/tp/big"), b(too_big), 1000, [](void*, butter_status, const butter_net_message*) {},
             nullptr, nullptr, nullptr),
         BUTTER_E_INVALID);
  expect("net_reply_unknown_token", net->reply(h, 987654321u, BUTTER_OK, b(one)), BUTTER_E_NOT_FOUND);

  // net.peer_lookup (ext/net.h, butter.net.peer_lookup/1): an id the node is not connected to, one
  // that is not an id, and no struct to fill.
  if (const auto* lookup =
          static_cast<const butter_net_peer_lookup_v1*>(h->get_extension(h, BUTTER_EXT_NET_PEER_LOOKUP))) {
    butter_net_peer_info info{};
    info.struct_size = sizeof info;
    expect("net_peer_lookup_not_connected", lookup->peer_by_id(h, s(nobody), &info), BUTTER_E_NOT_FOUND);
    expect("net_peer_lookup_not_an_id", lookup->peer_by_id(h, s("peer"), &info), BUTTER_E_INVALID);
    expect("net_peer_lookup_no_struct", lookup->peer_by_id(h, s(nobody), nullptr), BUTTER_E_INVALID);
  } else {
    out.push_back({"net_peer_lookup_present", false, BUTTER_E_NOT_FOUND});
  }

  // events (ext/events.h): topic 1..BUTTER_EVENTS_MAX_TOPIC bytes, payload <= BUTTER_EVENTS_MAX_PAYLOAD.
  const std::string max_payload(BUTTER_EVENTS_MAX_PAYLOAD, 'e'), over_payload(BUTTER_EVENTS_MAX_PAYLOAD + 1, 'e');
  const std::string long_topic(BUTTER_EVENTS_MAX_TOPIC + 1, 't');
  expect("events_publish_max_payload", events->publish(h, s("tp.conformance"), b(max_payload)), BUTTER_OK);
  expect("events_publish_payload_too_big", events->publish(h, s("tp.conformance"), b(over_payload)), BUTTER_E_INVALID);
  expect("events_publish_empty_topic", events->publish(h, s(""), b(one)), BUTTER_E_INVALID);
  expect("events_publish_topic_too_long", events->publish(h, s(long_topic.c_str()), b(one)), BUTTER_E_INVALID);

  // http (ext/http.h): one route per method and path.
  std::uint64_t route = 0;
  const auto handler = [](void*, const butter_http_request*) {};
  expect("http_route_first", http->route(h, s("GET"), s("/tp/conformance"), 0, handler, nullptr, &route, nullptr),
         BUTTER_OK);
  expect("http_route_taken", http->route(h, s("GET"), s("/tp/conformance"), 0, handler, nullptr, nullptr, nullptr),
         BUTTER_E_INVALID);
  if (route) http->unroute(h, route);

  // services (ext/services.h): no provider of an unknown interface.
  butter_service svc{};
  expect("services_acquire_without_struct_size", services->acquire(h, "tp.no-such-interface/1", &svc),
         BUTTER_E_INVALID);
  svc.struct_size = sizeof svc;
  expect("services_acquire_unknown", services->acquire(h, "tp.no-such-interface/1", &svc), BUTTER_E_NOT_FOUND);

  // The thread rule (host.h): [node] calls from a thread of the plugin's own are refused.
  butter_status off_timer = BUTTER_OK, off_config = BUTTER_OK, off_publish = BUTTER_OK;
  std::thread t([&] {
    std::uint64_t id = 0;
    off_timer = timer->set(
        h, 60000, 0, [](void*, std::uint64_t) {}, nullptr, &id);
    if (off_timer == BUTTER_OK) timer->cancel(h, id);
    std::int64_t v = 0;  // a key nobody set: NOT_FOUND on the node's thread, refused off it
    off_config = config->get_int(h, "tp_missing_key", &v);
    off_publish = events->publish(h, s("tp.conformance"), b(one));
  });
  t.join();
  expect("thread_rule_timer_set", off_timer, BUTTER_E_INVALID);
  expect("thread_rule_config_get", off_config, BUTTER_E_INVALID);
  expect("thread_rule_events_publish", off_publish, BUTTER_E_INVALID);
  return out;
}

}  // namespace butter::test
