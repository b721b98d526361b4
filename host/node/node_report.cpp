// What a node says about itself: the JSON of GET /status and the Prometheus text of GET /metrics.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "transport/aead.hpp"

#include <cstdio>

namespace butter::host {

nlohmann::json NodeCore::status_json() const {
  using nlohmann::json;
  auto uptime = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_at);
  json j;
  j["node"] = {{"id", id_hex},
               {"name", manifest.node.name},
               {"uptime_ms", uptime.count()},
               {"memory_budget", manifest.node.memory_budget},
               {"listen", transport ? transport->listen_endpoints() : std::vector<std::string>{}},
               {"http", http ? http->url() : std::string()}};
  json plugins = json::array();
  for (const auto& inst : instances) {
    json p = {{"instance", inst->name()},
              {"id", inst->info().id},
              {"version", inst->info().version},
              {"state", instance_state_name(inst->state())},
              {"provides", inst->info().provides}};
    if (!inst->failure().empty()) p["failure"] = inst->failure();
    // [node] host functions it called from a thread of its own (each refused): a plugin bug.
    if (auto n = inst->off_thread_calls(); n > 0) p["off_thread_calls"] = n;
    plugins.push_back(std::move(p));
  }
  j["plugins"] = std::move(plugins);
  json peers = json::array();
  if (transport) {
    for (const auto& peer : transport->peers()) {
      peers.push_back({{"id", peer.id.hex()},
                       {"endpoints", peer.endpoints},
                       {"remote", peer.remote_address},
                       {"outbound", peer.outbound},
                       {"path", peer.relayed ? "relayed" : "direct"},
                       {"how", peer.how}});
    }
    auto st = transport->stats();
    j["transport"] = {{"frames_in", st.frames_in},
                      {"frames_out", st.frames_out},
                      {"writes", st.writes},
                      {"bytes_in", st.bytes_in},
                      {"bytes_out", st.bytes_out},
                      {"clear_tail_bytes_in", st.clear_tail_bytes_in},
                      {"clear_tail_bytes_out", st.clear_tail_bytes_out},
                      {"payload_bytes_sealed_from_caller", st.payload_bytes_sealed_from_caller},
                      {"malformed_frames", st.malformed_frames},
                      {"auth_failures", st.auth_failures},
                      {"requests_shed", st.requests_shed},
                      {"connections_refused", st.connections_refused},
                      {"connections_refused_by",
                       {{"max_connections", st.refused_max_connections},
                        {"per_peer", st.refused_per_peer},
                        {"per_address", st.refused_per_address},
                        {"handshake_rate", st.refused_handshake_rate}}},
                      {"accepts_deferred", st.accepts_deferred},
                      {"punch",
                       {{"attempts", st.punch_attempts},
                        {"successes", st.punch_successes},
                        {"failures", st.punch_failures},
                        {"syns_refused_budget", st.punch_syns_refused}}},
                      {"connections_opened", st.connections_opened},
                      {"connections_closed", st.connections_closed},
                      {"requests_timed_out", st.requests_timed_out},
                      {"backpressure_rejections", st.backpressure_rejections},
                      {"frame_timeouts", st.frame_timeouts},
                      {"memory_refusals", st.memory_refusals},
                      {"memory_closes", st.memory_closes},
                      {"stalled_closes", st.stalled_closes}};
    auto use = transport->usage();
    j["transport"]["memory"] = {{"limit_bytes", use.memory_limit},
                                {"queued_out_bytes", use.queued_out_bytes},
                                {"partial_in_bytes", use.partial_in_bytes}};
    j["transport"]["address_book"] = {{"nodes", use.address_book_nodes}, {"uris", use.address_book_uris}};
    j["transport"]["aead"] = manifest.node.insecure_plaintext ? "none (insecure_plaintext)" : noise::aead_choice().why;
    auto ci = transport->conn_info();
    j["connections"] = {{"low_water", ci.low_water},
                        {"high_water", ci.high_water},
                        {"peers", ci.peers},
                        {"open", ci.connections},
                        {"protected_peers", ci.protected_peers},
                        {"trimmed", st.trimmed},
                        {"idle_closed", st.idle_closed},
                        {"duplicates_closed", st.duplicates_closed},
                        {"released", st.released},
                        {"evicted_for_newcomer", st.evicted_for_newcomer}};
  }
  j["peers"] = std::move(peers);
  if (http) {
    auto hs = http->stats();
    j["http"] = {{"requests_refused_by",
                  {{"host", hs.refused_host}, {"origin", hs.refused_origin}, {"fetch_site", hs.refused_fetch_site}}},
                 {"connections_evicted", hs.connections_evicted},
                 {"connections_refused", hs.connections_refused},
                 {"header_timeouts", hs.header_timeouts},
                 {"idle_timeouts", hs.idle_timeouts},
                 {"streams_refused", hs.streams_refused},
                 {"stream_timeouts", hs.stream_timeouts},
                 {"streams_closed_early", hs.streams_closed_early},
                 {"streams_refused_per_address", hs.streams_refused_per_address},
                 {"streams_too_slow", hs.streams_too_slow},
                 {"stream_body_reads", hs.stream_body_reads},
                 {"stream_body_bytes", hs.stream_body_bytes}};
  }
  return j;
}

std::string NodeCore::metrics_text() const {
  std::string node = prometheus_escape(manifest.node.name);
  std::string out;
  char line[512];
  auto series = [&](const char* name, const char* type, double value) {
    std::snprintf(line, sizeof line, "# TYPE butter_%s %s\nbutter_%s{node=\"%s\"} %.17g\n", name, type, name,
                  node.c_str(), value);
    out += line;
  };
  // A counter with one series per reason (sum them for the total): butter_<name>{reason=...}.
  auto by_reason = [&](const char* name, std::initializer_list<std::pair<const char*, std::uint64_t>> counts) {
    std::snprintf(line, sizeof line, "# TYPE butter_%s counter\n", name);
    out += line;
    for (const auto& [reason, count] : counts) {
      std::snprintf(line, sizeof line, "butter_%s{node=\"%s\",reason=\"%s\"} %llu\n", name, node.c_str(), reason,
                    static_cast<unsigned long long>(count));
      out += line;
    }
  };
  auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
  series("uptime_seconds", "gauge", uptime);
  if (transport) {
    series("peers_connected", "gauge", static_cast<double>(transport->peers().size()));
    auto st = transport->stats();
    series("transport_frames_in_total", "counter", static_cast<double>(st.frames_in));
    series("transport_frames_out_total", "counter", static_cast<double>(st.frames_out));
    series("transport_writes_total", "counter", static_cast<double>(st.writes));
    series("transport_bytes_in_total", "counter", static_cast<double>(st.bytes_in));
    series("transport_bytes_out_total", "counter", static_cast<double>(st.bytes_out));
    series("transport_clear_tail_bytes_in_total", "counter", static_cast<double>(st.clear_tail_bytes_in));
    series("transport_clear_tail_bytes_out_total", "counter", static_cast<double>(st.clear_tail_bytes_out));
    series("transport_payload_bytes_sealed_from_caller_total", "counter",
           static_cast<double>(st.payload_bytes_sealed_from_caller));
    series("transport_malformed_frames_total", "counter", static_cast<double>(st.malformed_frames));
    series("transport_auth_failures_total", "counter", static_cast<double>(st.auth_failures));
    series("transport_requests_shed_total", "counter", static_cast<double>(st.requests_shed));
    // One series per limit (sum them for the total), as butter_transport_connections_refused_total{reason=...}.
    by_reason("transport_connections_refused_total", {{"max_connections", st.refused_max_connections},
                                                      {"per_peer", st.refused_per_peer},
                                                      {"per_address", st.refused_per_address},
                                                      {"handshake_rate", st.refused_handshake_rate}});
    series("transport_accepts_deferred_total", "counter", static_cast<double>(st.accepts_deferred));
    series("transport_requests_timed_out_total", "counter", static_cast<double>(st.requests_timed_out));
    series("transport_backpressure_rejections_total", "counter", static_cast<double>(st.backpressure_rejections));
    series("connections_trimmed_total", "counter", static_cast<double>(st.trimmed));
    series("connections_idle_closed_total", "counter", static_cast<double>(st.idle_closed));
    series("connections_duplicates_closed_total", "counter", static_cast<double>(st.duplicates_closed));
    series("connections_released_total", "counter", static_cast<double>(st.released));
    series("transport_punch_attempts_total", "counter", static_cast<double>(st.punch_attempts));
    series("transport_punch_successes_total", "counter", static_cast<double>(st.punch_successes));
    series("transport_punch_failures_total", "counter", static_cast<double>(st.punch_failures));
    series("transport_punch_syns_refused_total", "counter", static_cast<double>(st.punch_syns_refused));
    series("connections_protected_peers", "gauge", static_cast<double>(transport->conn_info().protected_peers));
    series("connections_evicted_for_newcomer_total", "counter", static_cast<double>(st.evicted_for_newcomer));
    series("transport_frame_timeouts_total", "counter", static_cast<double>(st.frame_timeouts));
    series("transport_memory_refusals_total", "counter", static_cast<double>(st.memory_refusals));
    series("transport_memory_closes_total", "counter", static_cast<double>(st.memory_closes));
    series("transport_stalled_closes_total", "counter", static_cast<double>(st.stalled_closes));
    auto use = transport->usage();
    series("transport_memory_limit_bytes", "gauge", static_cast<double>(use.memory_limit));
    series("transport_queued_out_bytes", "gauge", static_cast<double>(use.queued_out_bytes));
    series("transport_partial_in_bytes", "gauge", static_cast<double>(use.partial_in_bytes));
    series("transport_address_book_nodes", "gauge", static_cast<double>(use.address_book_nodes));
  }
  if (http) {
    auto hs = http->stats();
    // One series per reason, as butter_http_requests_refused_total{reason=...}: what web pages (or
    // anyone) tried and the request guard refused.
    by_reason("http_requests_refused_total",
              {{"host", hs.refused_host}, {"origin", hs.refused_origin}, {"fetch_site", hs.refused_fetch_site}});
    series("http_connections_evicted_total", "counter", static_cast<double>(hs.connections_evicted));
    series("http_connections_refused_total", "counter", static_cast<double>(hs.connections_refused));
    series("http_header_timeouts_total", "counter", static_cast<double>(hs.header_timeouts));
    series("http_idle_timeouts_total", "counter", static_cast<double>(hs.idle_timeouts));
    series("http_streams_refused_total", "counter", static_cast<double>(hs.streams_refused));
    series("http_stream_timeouts_total", "counter", static_cast<double>(hs.stream_timeouts));
    series("http_streams_closed_early_total", "counter", static_cast<double>(hs.streams_closed_early));
    series("http_streams_refused_per_address_total", "counter", static_cast<double>(hs.streams_refused_per_address));
    series("http_streams_too_slow_total", "counter", static_cast<double>(hs.streams_too_slow));
    series("http_stream_body_reads_total", "counter", static_cast<double>(hs.stream_body_reads));
    series("http_stream_body_bytes_total", "counter", static_cast<double>(hs.stream_body_bytes));
  }
  out += "# TYPE butter_plugin_up gauge\n";
  for (const auto& inst : instances) {
    std::snprintf(line, sizeof line, "butter_plugin_up{node=\"%s\",plugin=\"%s\"} %d\n", node.c_str(),
                  prometheus_escape(inst->name()).c_str(), inst->state() == InstanceState::Started ? 1 : 0);
    out += line;
  }
  out += metrics.render(manifest.node.name);
  return out;
}

}  // namespace butter::host
