// /butter/pex/1 codec.
#include "exchange_message.hpp"

#include "compact_wire.hpp"
#include "peer_record.hpp"

#include <butter/wire.hpp>

namespace butter::knownhosts {

std::vector<std::uint8_t> encode_exchange(const Exchange& e) {
  wire::Writer w;
  const bool v2 = e.version == kExchangeV2;
  w.u8(v2 ? kExchangeV2 : kExchangeV1);
  w.u8(static_cast<std::uint8_t>((e.neighbour ? 1 : 0) | (v2 && e.want_sample ? 2 : 0)));
  // Oversized records are left out; at most kMaxExchangeRecords go.
  std::vector<const std::vector<std::uint8_t>*> fit;
  for (const auto& r : e.records)
    if (r.size() <= kMaxRecordBytes && fit.size() < kMaxExchangeRecords) fit.push_back(&r);
  w.u8(static_cast<std::uint8_t>(fit.size()));
  for (const auto* r : fit) {
    if (v2) {
      put_varint(w, r->size());
    } else {
      w.u16(static_cast<std::uint16_t>(r->size()));
    }
    w.bytes(r->data(), r->size());
  }
  return w.take();
}

std::optional<Exchange> decode_exchange(const std::uint8_t* data, std::size_t len, std::string& why) {
  wire::Reader r(data, len);
  Exchange e;
  const auto version = r.u8();
  const auto flags = r.u8();
  const std::size_t n = r.u8();
  if (!r.ok()) {
    why = "truncated exchange";
    return std::nullopt;
  }
  if (version != kExchangeV1 && version != kExchangeV2) {
    why = "exchange version " + std::to_string(version);
    return std::nullopt;
  }
  if (flags & ~(version == kExchangeV2 ? 3u : 1u)) {
    why = "unknown exchange flags";
    return std::nullopt;
  }
  if (n > kMaxExchangeRecords) {
    why = std::to_string(n) + " records (max " + std::to_string(kMaxExchangeRecords) + ")";
    return std::nullopt;
  }
  e.version = version;
  e.neighbour = flags & 1;
  e.want_sample = flags & 2;
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view rec;
    if (version == kExchangeV2) {
      std::uint64_t size = 0;
      if (get_varint(r, size) && size <= kMaxRecordBytes) {
        rec = r.bytes(size);
      } else {
        why = "truncated or oversized record";
        return std::nullopt;
      }
    } else {
      rec = r.str16(kMaxRecordBytes);
    }
    if (!r.ok()) {
      why = "truncated or oversized record";
      return std::nullopt;
    }
    e.records.emplace_back(rec.begin(), rec.end());
  }
  if (!r.at_end()) {
    why = "trailing bytes after the exchange";
    return std::nullopt;
  }
  return e;
}

}  // namespace butter::knownhosts
