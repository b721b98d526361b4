#include "transport/hello.hpp"

#include "transport/utf8.hpp"

#include <butter/wire.hpp>
#include <fmt/format.h>

namespace butter::host {

static bool advertisable(const std::string& uri) {
  return !uri.empty() && uri.size() <= kMaxEndpointBytes && valid_utf8_text(uri);
}

std::vector<std::uint8_t> encode_hello(const Hello& h) {
  std::vector<std::uint8_t> out(2 + 32 + 1);
  wire::put_u16(out.data(), h.version);
  std::copy(h.id.bytes.begin(), h.id.bytes.end(), out.begin() + 2);
  std::uint8_t count = 0;
  for (const auto& e : h.endpoints) {
    if (count == kMaxHelloEndpoints) break;
    if (!advertisable(e)) continue;
    std::uint8_t len[2];
    wire::put_u16(len, static_cast<std::uint16_t>(e.size()));
    out.insert(out.end(), len, len + 2);
    out.insert(out.end(), e.begin(), e.end());
    ++count;
  }
  out[34] = count;
  return out;
}

HelloDecode decode_hello(std::span<const std::uint8_t> p) {
  HelloDecode r;
  if (p.size() < 2) {
    r.error = "HELLO too short for a version";
    return r;
  }
  std::uint16_t version = wire::get_u16(p.data());
  if (version != kTransportProtocolVersion) {
    r.version_mismatch = true;
    r.error = fmt::format("peer speaks transport version {}, we speak {}", version, kTransportProtocolVersion);
    return r;
  }
  if (p.size() < 35) {
    r.error = fmt::format("HELLO of {} bytes is too short for a node id and endpoint count", p.size());
    return r;
  }
  Hello h;
  h.version = version;
  std::copy(p.begin() + 2, p.begin() + 34, h.id.bytes.begin());
  std::size_t count = p[34];
  if (count > kMaxHelloEndpoints) {
    r.error = fmt::format("HELLO lists {} endpoints (at most {})", count, kMaxHelloEndpoints);
    return r;
  }
  std::size_t off = 35;
  for (std::size_t i = 0; i < count; ++i) {
    if (off + 2 > p.size()) {
      r.error = fmt::format("HELLO truncated in endpoint {}", i);
      return r;
    }
    std::size_t len = wire::get_u16(p.data() + off);
    off += 2;
    if (len == 0 || len > kMaxEndpointBytes) {
      r.error = fmt::format("HELLO endpoint {} has length {} (1..{})", i, len, kMaxEndpointBytes);
      return r;
    }
    if (off + len > p.size()) {
      r.error = fmt::format("HELLO truncated in endpoint {}", i);
      return r;
    }
    std::string uri(reinterpret_cast<const char*>(p.data() + off), len);
    if (!valid_utf8_text(uri)) {
      r.error = fmt::format("HELLO endpoint {} is not valid UTF-8 text", i);
      return r;
    }
    h.endpoints.push_back(std::move(uri));
    off += len;
  }
  if (off != p.size()) {
    r.error = fmt::format("{} trailing bytes after the HELLO", p.size() - off);
    return r;
  }
  r.hello = std::move(h);
  return r;
}

}  // namespace butter::host
