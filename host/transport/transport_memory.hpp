// TransportMemory: the bytes the transport holds for all connections together, against one bound
// (TransportOptions::memory_limit): half for outgoing queues, half for partly received frames.
// Each Connection adds and removes its own share; TransportImpl owns the counter and reads it for
// /status. Lives on the node's strand with the transport, like Stats.
#pragma once
#include <cstddef>

namespace butter::host {

struct TransportMemory {
  std::size_t limit = 0;  // 0: no bound
  std::size_t out = 0;    // frames queued to send (HELLO excluded)
  std::size_t in = 0;     // capacity of the frame decoders' buffers (partial frames)

  std::size_t out_limit() const { return limit / 2; }
  std::size_t in_limit() const { return limit - limit / 2; }
  bool out_has_room(std::size_t bytes) const { return limit == 0 || out + bytes <= out_limit(); }
  bool in_over() const { return limit != 0 && in > in_limit(); }
};

}  // namespace butter::host
