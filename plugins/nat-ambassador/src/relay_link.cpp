// RelayLink (relay_link.hpp): the relay messages as the hop's connection carries them.
#include "relay_link.hpp"

namespace butter::nat {

butter_status RelayLink::send(const std::string& peer, const RelayMessage& m) {
  auto st = port_.send(peer, kRelayProtocol, encode_relay(m));
  return st ? BUTTER_OK : st.code();
}

// The bytes are a relayed connection's secure-channel records, which its two ends authenticate:
// sent as the sealed part of send_sealed, so that no hop encrypts them a second time (the header,
// which says whose stream they belong to, stays under the hop's encryption).
butter_status RelayLink::send_data(const std::string& peer, Leg leg, std::uint64_t stream, const std::uint8_t* data,
                                   std::size_t len) {
  const auto header = relay_data_header(leg, stream);
  auto st =
      port_.send_sealed(peer, kRelayProtocol, butter::Bytes(header.data(), header.size()), butter::Bytes(data, len));
  return st ? BUTTER_OK : st.code();
}

butter_status RelayLink::send_flow(const std::string& peer, RelayType type, Leg leg, std::uint64_t stream,
                                   std::uint64_t value) {
  RelayMessage m;
  m.type = type;
  m.leg = leg;
  m.stream = stream;
  m.value = value;
  return send(peer, m);
}

void RelayLink::send_close(const std::string& peer, Leg leg, std::uint64_t stream, const std::string& reason) {
  RelayMessage c;
  c.type = RelayType::Close;
  c.leg = leg;
  c.stream = stream;
  c.body = reason;
  (void)send(peer, c);
}

}  // namespace butter::nat
