// Which connection makes room for a new one when the endpoint is at max_connections. Refusing the
// newcomer instead would let anyone lock local users out by opening idle connections; closing the
// connection that has waited longest without the server owing it anything costs the least: a
// keep-alive connection between requests (clients reopen such a connection as a matter of course),
// or one that has not yet sent a complete request (the header deadline would close it anyway).
// A connection whose request is being answered is never closed for another.
// Internal to the http area.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace butter::host::http_detail {

// Where a connection is in its life, as far as eviction cares.
enum class SessionPhase {
  kReceiving,  // accepted or after a keep-alive first byte: the request is not complete yet
  kBusy,       // a request is being answered (handler, 100-continue, writing)
  kIdle,       // keep-alive, between requests
  kClosing,    // answered and shut down for sending; draining what the client still sends
};

struct SessionView {
  std::uint64_t id = 0;
  SessionPhase phase = SessionPhase::kReceiving;
  std::chrono::steady_clock::time_point since;  // when it entered `phase`
};

// The one to close: a closing one first, then the idle one idle longest, then the one that has been
// receiving its request longest. nullopt when all are busy.
std::optional<std::uint64_t> pick_eviction(const std::vector<SessionView>& sessions);

}  // namespace butter::host::http_detail
