// Fuzz target: the discovery datagram ("beacon") decoder of plugins/discovery-multicast
// (beacon.*). Invariants: an accepted beacon fits the datagram limit and has a 64-hex-digit node
// id; re-encoding it and decoding again gives the same beacon (the flags byte's unused bits are
// not kept, so the bytes themselves may differ).
#include "beacon.hpp"
#include "fuzz_support.hpp"

using namespace butter::discovery;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string why;
  auto b = decode_beacon(data, size, why);
  if (!b) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  FUZZ_CHECK(size <= kMaxBeaconBytes && b->node_id.size() == 64);
  const auto again = encode_beacon(*b);
  auto c = decode_beacon(again.data(), again.size(), why);
  FUZZ_CHECK(c.has_value());
  FUZZ_CHECK(c->kind == b->kind && c->cold == b->cold && c->node_id == b->node_id && c->hosts_known == b->hosts_known &&
             c->endpoints == b->endpoints);
  return 0;
}
