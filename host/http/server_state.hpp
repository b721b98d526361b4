// State shared by the HTTP listener and its sessions. Lives as long as anything refers to it
// (HttpServer, a pending accept, a session), so that handlers still queued in the io_context after
// stop() or destruction find it intact and do nothing. Everything but `router`, `stopped`,
// `counters`, `identity` and the options is touched on the strand only.
// Internal to the http area.
#pragma once
#include "core/log_limiter.hpp"
#include "http/eviction.hpp"
#include "http/http_server.hpp"
#include "http/request_guard.hpp"
#include "http/router.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace butter::host::http_detail {

// One connection. Called on the strand; close() must be idempotent.
class Session {
 public:
  virtual ~Session() = default;
  virtual void close() = 0;
  virtual SessionView view() const = 0;
};

// HttpServerStats as counters that the strand writes and any thread reads.
struct ServerCounters {
  std::atomic<std::uint64_t> refused_host{0}, refused_origin{0}, refused_fetch_site{0}, connections_evicted{0},
      connections_refused{0}, header_timeouts{0}, idle_timeouts{0}, streams_refused{0}, stream_timeouts{0},
      streams_closed_early{0}, streams_refused_per_address{0}, streams_too_slow{0}, stream_body_reads{0},
      stream_body_bytes{0};
};

struct ServerState {
  ServerState(Strand s, HttpServerOptions o) : strand(std::move(s)), options(std::move(o)) {}

  Strand strand;
  const HttpServerOptions options;
  Router router;
  std::atomic<bool> stopped{false};
  ServerCounters counters;
  // Set once by start() before the first accept; read-only afterwards.
  EndpointIdentity identity;

  // Strand only.
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 1;
  std::size_t open_streams = 0;  // stream routes' exchanges not yet over (bounded by max_streams)
  // The same per client IP address (bounded by max_streams_per_address); no entry at zero.
  std::unordered_map<std::string, std::size_t> open_streams_by_address;
  LogLimiter refusal_log;  // requests refused by the guard
  LogLimiter slots_log;    // connections evicted or refused at max_connections
};

// Starts serving `socket` (whose executor is the strand), registers the session in
// `state->sessions` under `id`; it removes itself when it closes. Call on the strand.
void start_session(const std::shared_ptr<ServerState>& state, boost::asio::ip::tcp::socket socket, std::uint64_t id);

}  // namespace butter::host::http_detail
