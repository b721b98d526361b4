// butter.streams/1: inbound plugin streams (a relayed connection handed to the host, which runs
// the responder side of the handshake over it) and address preference. Beside butter.net/1,
// whose published vtable is frozen; the streams share net's dial_streams table, so stream_deliver,
// stream_closed and the cleanup on stop (release_net) serve them unchanged.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <spdlog/spdlog.h>

namespace butter::host {
namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

butter_status streams_accept(const butter_host* host, butter_str scheme, butter_str remote, uint64_t* out_stream_id) {
  if (!out_stream_id) return BUTTER_E_INVALID;
  return guarded<Caller::Transport>(host, "streams.accept", BUTTER_E_INTERNAL,
                                    [&](PluginInstance& inst) -> butter_status {
                                      const std::string s = lower(copy_str(scheme));
                                      bool mine = false;
                                      for (const auto& reg : inst.registrations().dialer_schemes)
                                        mine = mine || lower(reg) == s;
                                      if (!mine) return BUTTER_E_INVALID;
                                      NodeCore& core = inst.core();
                                      const std::uint64_t id = core.fresh_id();
                                      std::shared_ptr<StreamSink> sink;
                                      Error e = core.transport->accept_stream(s, copy_str(remote), id, sink);
                                      if (e) return e.code;
                                      core.dial_streams[id] = DialStream{inst.weak_from_this(), sink};
                                      inst.registrations().dial_streams.insert(id);
                                      *out_stream_id = id;
                                      return BUTTER_OK;
                                    });
}

butter_status streams_prefer_address(const butter_host* host, butter_str node_id, butter_str endpoint) {
  return guarded<Caller::Transport>(host, "streams.prefer_address", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto id = node_id_of(node_id);
    std::string ep = copy_str(endpoint);
    if (!id || ep.find("://") == std::string::npos) return BUTTER_E_INVALID;
    inst.core().transport->add_address(*id, {ep}, true);
    return BUTTER_OK;
  });
}

// butter.streams.flow/1: the plugin's side of a stream can take bytes again, so the host's write
// that the dialer answered BUTTER_E_AGAIN is retried now instead of at its backoff timer.
butter_status streams_writable(const butter_host* host, uint64_t stream_id) {
  return guarded<Caller::NodeThread>(host, "streams.writable", BUTTER_E_INTERNAL, [&](PluginInstance& inst) {
    auto& streams = inst.core().dial_streams;
    auto it = streams.find(stream_id);
    if (it == streams.end() || it->second.owner.lock().get() != &inst) return BUTTER_E_NOT_FOUND;
    auto sink = it->second.sink;
    sink->writable();
    return BUTTER_OK;
  });
}

const butter_streams_v1 kStreams = {streams_accept, streams_prefer_address};
const butter_streams_flow_v1 kStreamsFlow = {streams_writable};

}  // namespace

const butter_streams_v1* streams_extension() { return &kStreams; }
const butter_streams_flow_v1* streams_flow_extension() { return &kStreamsFlow; }

const ServiceModule& streams_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_STREAMS, &kStreams},
                                                   {BUTTER_EXT_STREAMS_FLOW, &kStreamsFlow}};
  static constexpr ServiceModule kModule{kExtensions, nullptr};
  return kModule;
}

}  // namespace butter::host
