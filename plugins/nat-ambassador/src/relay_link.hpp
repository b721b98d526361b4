// RelayLink: sends /butter/relay/1 messages to one hop (an ambassador, or an end of a circuit),
// for both sides of a relay (RelayServer and RelayEnds).
#pragma once
#include "messages.hpp"
#include "nat_port.hpp"

#include <butter/butter.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace butter::nat {

// Data payload per message: the most the host hands a dialer's write() at once (ext/streams.h),
// so that each write goes as one Data message. Its bytes cross each hop as a clear tail, outside
// the hop's records, so a record's size does not bound them. (It bounded them before clear tails:
// a chunk 45 bytes short of 64 KiB made the host's every 64 KiB piece two messages, one of them
// of 45 bytes. A hop that takes no clear tails seals the frame as two records, the second a small
// one the receiver joins in place.)
inline constexpr std::size_t kRelayChunk = 64 * 1024;

// Whether a relay message's leg travels to the ambassador (it relays it) rather than from it to
// an end.
inline bool toward_ambassador(Leg leg) { return leg == Leg::FromOrigin || leg == Leg::FromTarget; }

class RelayLink {
 public:
  explicit RelayLink(NatPort& port) : port_(port) {}

  butter_status send(const std::string& peer, const RelayMessage& m);
  // Data of `len` bytes on a leg's stream (the bytes are borrowed).
  butter_status send_data(const std::string& peer, Leg leg, std::uint64_t stream, const std::uint8_t* data,
                          std::size_t len);
  // Flow or Credit (`type`) with its value.
  butter_status send_flow(const std::string& peer, RelayType type, Leg leg, std::uint64_t stream, std::uint64_t value);
  // Best effort: the peer may be gone, and the leg is over on this side either way.
  void send_close(const std::string& peer, Leg leg, std::uint64_t stream, const std::string& reason);

 private:
  NatPort& port_;
};

}  // namespace butter::nat
