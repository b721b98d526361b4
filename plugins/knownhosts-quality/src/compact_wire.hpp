// The compact forms shared by the version-2 messages of /butter/knownhosts/1 and /butter/pex/1:
// unsigned varints (LEB128) and packed endpoint URIs. Membership traffic is mostly node ids and
// signatures, which do not shrink; what does is everything around them: 8-byte integers that hold
// small values, 2-byte lengths of strings under 256 bytes, and endpoints spelled out as text.
//
// Endpoint (a kind byte, then):
//   0  u8 len (1..255), len bytes        any URI, literally
//   2  4 bytes, u16 port                 tcp://a.b.c.d:port
//   3  16 bytes, u16 port                tcp://[v6]:port (the text form inet_ntop gives)
//   4  32 ambassador, 32 client, host    relay://<ambassador hex>@<host>/<client hex>, with
//                                        host u8 0 (none) | u8 2 + IPv4 + port | u8 3 + IPv6 + port
// (kind 1 is a peer record's redacted endpoint, a hash: peer_record.cpp reads it.)
// A URI is packed only when the decoder rebuilds exactly the same text (a peer record's signature
// covers the hash of the text): "tcp://010.0.0.1:7" or an upper-case id travels literally. And a
// URI that packs is never accepted literally, so each endpoint has one encoding.
#pragma once
#include <butter/wire.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace butter::knownhosts {

void put_varint(wire::Writer& w, std::uint64_t v);
// False (and the reader's value unusable) on truncation or a varint longer than 10 bytes or
// over 64 bits; a non-minimal form (a trailing 0x80 0x00) is refused too.
bool get_varint(wire::Reader& r, std::uint64_t& v);
// How many bytes put_varint writes for `v`.
std::size_t varint_size(std::uint64_t v);

constexpr std::uint8_t kEndpointLiteral = 0;
constexpr std::uint8_t kEndpointTcp4 = 2, kEndpointTcp6 = 3, kEndpointRelay = 4;

// Writes the kind byte and the endpoint. `uri`: at most 255 bytes (callers drop longer ones).
void put_endpoint(wire::Writer& w, std::string_view uri);
// Reads the endpoint after its kind byte (`kind` is one of the kinds above), nullopt with `why`.
// The text is not checked for being a URI here: the caller applies its own rule.
std::optional<std::string> get_endpoint(wire::Reader& r, std::uint8_t kind, std::string& why);

}  // namespace butter::knownhosts
