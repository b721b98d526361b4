// Fuzz target: the /butter/pcg/1 message codec and the object-manifest decoder of
// plugins/pcg-storage (messages.*, blocks.*). The last input byte picks message or manifest.
// Invariant: an accepted input re-encodes to bytes that decode again and re-encode identically.
// An accepted CHALLENGE names a range inside the largest block, and the prover's answer to it
// (possession.cpp, attacker-chosen block, offset and length) over a fixed object stays in bounds:
// a 32-byte proof or a whole block that verifies, or a refusal.
#include "blocks.hpp"
#include "fuzz_support.hpp"
#include "messages.hpp"
#include "possession.hpp"

namespace {
const butter::pcg::SplitObject& fixed_object() {
  static const butter::pcg::SplitObject obj = [] {
    std::vector<std::uint8_t> data(3000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 31);
    std::string why;
    return *butter::pcg::split(data, 1024, {}, why);
  }();
  return obj;
}
}  // namespace

using namespace butter::pcg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  butter::fuzz::Input in(data, size);
  const bool manifest = in.flag();
  const auto payload = in.rest();
  std::string why;
  if (manifest) {
    auto m = decode_manifest(payload, why);
    if (!m) {
      FUZZ_CHECK(!why.empty());
      return 0;
    }
    const auto once = encode_manifest(*m);
    auto again = decode_manifest(once, why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode_manifest(*again) == once);
  } else {
    auto m = decode(payload, why);
    if (!m) {
      FUZZ_CHECK(!why.empty());
      return 0;
    }
    (void)type_name(m->type);
    if (m->type == MsgType::Challenge) {
      FUZZ_CHECK(m->mode <= 1);
      if (m->mode == 0) FUZZ_CHECK(m->length > 0 && m->offset + std::uint64_t{m->length} <= kMaxBlockBytes);
      const auto& obj = fixed_object();
      const std::vector<bool> have = {true, false, true};
      ChallengeSpec c{m->index, m->offset, m->length, static_cast<ChallengeMode>(m->mode)};
      std::vector<std::uint8_t> proof;
      if (answer_challenge(obj.id, obj.manifest, obj.blocks, have, m->number, c, proof, why)) {
        FUZZ_CHECK(m->mode == 0 ? proof.size() == kProofBytes : verify_block(obj.manifest, m->index, proof));
      } else {
        FUZZ_CHECK(!why.empty());
      }
    }
    const auto once = encode(*m);
    auto again = decode(once, why);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(encode(*again) == once);
  }
  return 0;
}
