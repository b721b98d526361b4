// Fuzz target: the /butter/dbfs/1 codec of plugins/ir-dbfs (messages.*): QUERY (v1, and v2 with its
// budget), HITS, EXTEND, LINK, PROVE and PROOF (search integrity), dispatched on the header as the
// plugin does (peek_type); the same bytes also go to the hot-swap state decoder (decode_state) and
// to the manifest decoder of the proofs (proof.hpp). Invariants: an accepted message or state
// re-encodes to bytes that decode again and re-encode identically; a PROOF's content is checked
// (check_proof) without crashing, and only a manifest that hashes to the object id is accepted.
#include "fuzz_support.hpp"
#include "messages.hpp"
#include "proof.hpp"

#include <butter/wire.hpp>

using namespace butter::dbfs;

namespace {

template <class T, class Decode>
void stable(const T& first, Decode decode) {
  const auto once = encode(first);
  std::string why;
  auto again = decode(once.data(), once.size(), why);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(encode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string why;
  // The same bytes as the plugin's hot-swap state (decode_state).
  if (auto st = decode_state(std::string_view(reinterpret_cast<const char*>(data), size), why)) {
    const std::string once = encode_state(*st);
    auto again = decode_state(once, why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode_state(*again) == once);
  }
  why.clear();
  // The same bytes as a manifest (what a PROOF carries).
  if (auto m = decode_manifest(std::span<const std::uint8_t>(data, size), why)) {
    FUZZ_CHECK(m->blocks.size() == (m->size + m->block_size - 1) / m->block_size);
  }
  why.clear();
  auto type = peek_type(data, size, why);
  if (!type) {
    FUZZ_CHECK(!why.empty());
    return 0;
  }
  switch (*type) {
    case MsgType::Query:
      if (auto q = decode_query(data, size, why)) {
        for (const auto& t : q->terms) (void)fold_case(t);
        stable(*q, decode_query);
        return 0;
      }
      break;
    case MsgType::Hits:
      if (auto h = decode_hits(data, size, why)) {
        stable(*h, decode_hits);
        return 0;
      }
      break;
    case MsgType::Extend:
      if (auto e = decode_extend(data, size, why)) {
        stable(*e, decode_extend);
        return 0;
      }
      break;
    case MsgType::Link:
      if (decode_link(data, size, why)) {
        const auto once = encode_link();
        FUZZ_CHECK(decode_link(once.data(), once.size(), why));
        return 0;
      }
      break;
    case MsgType::Unlink:
      if (const auto kind = decode_unlink(data, size, why)) {
        const auto once = encode_unlink(*kind);
        FUZZ_CHECK(decode_unlink(once.data(), once.size(), why) == kind);
        return 0;
      }
      break;
    case MsgType::Prove:
      if (auto p = decode_prove(data, size, why)) {
        stable(*p, decode_prove);
        return 0;
      }
      break;
    case MsgType::Proof:
      if (auto p = decode_proof(data, size, why)) {
        stable(*p, decode_proof);
        // The searcher's check of it: never crashes; accepts only a manifest hashing to the id.
        const std::string id = butter::wire::to_hex(sha256(p->manifest));
        auto c = check_proof(id, p->nonce, p->manifest, p->block);
        if (!c.ok) FUZZ_CHECK(!c.why.empty());
        FUZZ_CHECK(!check_proof(std::string(64, '0'), p->nonce, p->manifest, p->block).ok ||
                   id == std::string(64, '0'));
        return 0;
      }
      break;
    default:
      return 0;  // a type added to the plugin that this target does not decode yet
  }
  FUZZ_CHECK(!why.empty());
  return 0;
}
