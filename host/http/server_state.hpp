// State shared by the HTTP listener and its sessions. Lives as long as anything refers to it
// (HttpServer, a pending accept, a session), so that handlers still queued in the io_context after
// stop() or destruction find it intact and do nothing. Everything but `router`, `stopped` and the
// options is touched on the strand only.
// Internal to the http area.
#pragma once
#include "http/http_server.hpp"
#include "http/router.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace butter::host::http_detail {

// One connection. close() is called on the strand and must be idempotent.
class Session {
 public:
  virtual ~Session() = default;
  virtual void close() = 0;
};

struct ServerState {
  ServerState(Strand s, HttpServerOptions o) : strand(std::move(s)), options(std::move(o)) {}

  Strand strand;
  const HttpServerOptions options;
  Router router;
  std::atomic<bool> stopped{false};

  // Strand only.
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 1;
};

// Starts serving `socket` (whose executor is the strand), registers the session in
// `state->sessions` under `id`; it removes itself when it closes. Call on the strand.
void start_session(const std::shared_ptr<ServerState>& state, boost::asio::ip::tcp::socket socket, std::uint64_t id);

}  // namespace butter::host::http_detail
