// Fuzz target: /butter/pex/1 exchanges (versions 1 and 2) and the signed peer records inside them
// (plugins/knownhosts-quality exchange_message.*, peer_record.*). The input is an exchange payload.
// Signatures are checked by a verifier that accepts everything, so the fuzzer reaches the record
// parser's depths (the real check is Ed25519, tested in the unit tests).
// Invariants: an accepted exchange re-encodes to exactly its bytes; an accepted record re-encodes
// (redacted endpoints staying redacted) to exactly its bytes, hashes every visible endpoint it
// carries, and has at most 8 endpoints.
#include "exchange_message.hpp"
#include "fuzz_support.hpp"
#include "peer_record.hpp"

using namespace butter::knownhosts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string why;
  auto e = decode_exchange(data, size, why);
  if (!e) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  FUZZ_CHECK(e->records.size() <= kMaxExchangeRecords);
  FUZZ_CHECK(encode_exchange(*e) == std::vector<std::uint8_t>(data, data + size));
  auto accept_all = [](const std::array<std::uint8_t, 32>&, const std::vector<std::uint8_t>&,
                       const std::array<std::uint8_t, 64>&) { return true; };
  for (const auto& bytes : e->records) {
    std::string rwhy;
    auto rec = decode_record(bytes.data(), bytes.size(), accept_all, rwhy);
    if (!rec) {
      FUZZ_CHECK(!rwhy.empty());
      continue;
    }
    FUZZ_CHECK(rec->endpoints.size() <= kMaxRecordEndpoints);
    for (const auto& ep : rec->endpoints)
      if (ep.uri) FUZZ_CHECK(ep.hash == endpoint_hash(*ep.uri));
    FUZZ_CHECK(rec->encode({}, bytes.front()) == bytes);  // in its own version (1 or 2)
  }
  return 0;
}
