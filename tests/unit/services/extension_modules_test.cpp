// butter_host.get_extension answers from the service modules (services/service_module.hpp): each
// id gives its service's vtable, each id is served once, and anything else gives null.
#include "inactive_instance.hpp"
#include "services/service_module.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace butter::host;

using butter::host::test::InactiveInstance;

TEST_CASE("get_extension: every extension id gives its service's vtable and others give null") {
  InactiveInstance node;
  const butter_host* host = node.host();
  const std::vector<std::pair<const char*, const void*>> expected = {
      {BUTTER_EXT_LOG, log_extension()},
      {BUTTER_EXT_NODE, node_extension()},
      {BUTTER_EXT_CONFIG, config_extension()},
      {BUTTER_EXT_TIMER, timer_extension()},
      {BUTTER_EXT_NET, net_extension()},
      {BUTTER_EXT_NET_REPLY, net_reply_extension()},
      {BUTTER_EXT_NET_SEALED, net_sealed_extension()},
      {BUTTER_EXT_NET_PEER_LOOKUP, net_peer_lookup_extension()},
      {BUTTER_EXT_DATAGRAM, datagram_extension()},
      {BUTTER_EXT_FD, fd_extension()},
      {BUTTER_EXT_HTTP, http_extension()},
      {BUTTER_EXT_HTTP_V2, http2_extension()},
      {BUTTER_EXT_METRICS, metrics_extension()},
      {BUTTER_EXT_SERVICES, services_extension()},
      {BUTTER_EXT_EVENTS, events_extension()},
      {BUTTER_EXT_IDENTITY, identity_extension()},
      {BUTTER_EXT_STREAMS, streams_extension()},
      {BUTTER_EXT_STREAMS_FLOW, streams_flow_extension()},
      {BUTTER_EXT_CONNECTIONS, connections_extension()},
      {BUTTER_EXT_CONNECTIONS_RELEASE, connections_release_extension()},
      {BUTTER_EXT_PUNCH, punch_extension()},
      {BUTTER_EXT_PUNCH2, punch2_extension()},
  };
  for (const auto& [id, vtable] : expected) {
    INFO(id);
    CHECK(vtable != nullptr);
    CHECK(host_get_extension(host, id) == vtable);
  }
  // The modules serve exactly these, each once.
  std::set<std::string> served;
  std::size_t entries = 0;
#define BUTTER_TEST_COUNT_MODULE(file)                         \
  for (const ExtensionEntry& e : file##_module().extensions) { \
    served.insert(std::string(e.id));                          \
    ++entries;                                                 \
  }
  BUTTER_HOST_SERVICE_MODULES(BUTTER_TEST_COUNT_MODULE)
#undef BUTTER_TEST_COUNT_MODULE
  CHECK(entries == expected.size());
  CHECK(served.size() == expected.size());

  CHECK(host_get_extension(host, "butter.nothing/1") == nullptr);
  CHECK(host_get_extension(host, "") == nullptr);
  CHECK(host_get_extension(host, nullptr) == nullptr);
  CHECK(host_get_extension(nullptr, BUTTER_EXT_LOG) == nullptr);
}
