// The holder's side of search integrity: a PROVE for an object this node's storage holds is
// answered with the object's manifest and the block the challenge's nonce picks (proof.hpp).
//
// With butter.storage/2 (iface/storage2.h) both come from storage synchronously: the manifest as
// stored, and one range read of the challenged block. No whole-object read, no derivation, no size
// cap beyond the proof message's own bounds (a block over kMaxProofBlock is unprovable).
//
// A provider that serves only butter.storage/1 is still answered, the old way: a local get (its
// GET_DONE travels over the events bus, so only objects that fit in one bus payload can come back)
// and a manifest derived from the bytes by trying block sizes (cached, bounded). Kept because the
// cost is small and a third-party provider may not have /2 yet; it can go once /1 is retired.
#include "dbfs_plugin.hpp"
#include "proof.hpp"

#include <butter/ext/events.h>

namespace butter::dbfs {

namespace {
constexpr std::size_t kMaxCachedManifests = 256;
// v1 fallback only: a GET_DONE bigger than one bus payload never arrives (the provider fails it).
constexpr std::uint64_t kMaxV1ProvableBytes = BUTTER_EVENTS_MAX_PAYLOAD;
constexpr std::chrono::milliseconds kReadDeadline{5000};

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

void DbfsPlugin::prepare_proof(const ProveWanted& w) {
  auto refuse = [this, w](ProofStatus status) {
    Actions out;
    Proof p;
    p.status = status;
    engine_->send_proof(w, std::move(p), out);
    execute(out);
  };
  if (storage().local_reads()) {
    // Only what storage holds here, whole: manifest and read never fetch from the network.
    auto m = storage().manifest(w.object_id);
    if (!m.ok()) return refuse(m.status.code() == BUTTER_E_NOT_FOUND ? ProofStatus::NotHeld : ProofStatus::Unprovable);
    if (m.bytes.size() > kMaxProofManifest) return refuse(ProofStatus::Unprovable);
    std::string why;
    auto info = decode_manifest(as_bytes(m.bytes), why);
    if (!info) {
      log().debug("no proof for {}: its manifest does not decode ({})", w.object_id.substr(0, 8), why);
      return refuse(ProofStatus::Unprovable);
    }
    Proof p;
    p.status = ProofStatus::Ok;
    p.manifest.assign(m.bytes.begin(), m.bytes.end());
    if (!info->blocks.empty()) {
      const std::size_t i = challenged_block(w.nonce, info->blocks.size());
      const std::size_t len = info->block_len(i);
      if (len > kMaxProofBlock) return refuse(ProofStatus::Unprovable);
      auto r = storage().read(w.object_id, static_cast<std::uint64_t>(i) * info->block_size, len);
      if (!r.ok())
        return refuse(r.status.code() == BUTTER_E_NOT_FOUND ? ProofStatus::NotHeld : ProofStatus::Unprovable);
      if (r.data.size() != len) return refuse(ProofStatus::Unprovable);
      p.block.assign(r.data.begin(), r.data.end());
    }
    Actions out;
    engine_->send_proof(w, std::move(p), out);
    execute(out);
    return;
  }

  // butter.storage/1 only.
  auto held = storage().lookup(w.object_id);
  if (!held) return refuse(ProofStatus::NotHeld);
  if (held->size_bytes > kMaxV1ProvableBytes) return refuse(ProofStatus::Unprovable);
  std::vector<std::string> keywords = held->keywords;
  storage().get(
      w.object_id,
      [this, w, keywords = std::move(keywords), refuse](const butter::GetResult& r) {
        if (!r.ok()) return refuse(ProofStatus::NotHeld);
        auto data = as_bytes(r.data);
        auto it = manifests_.find(w.object_id);
        if (it == manifests_.end()) {
          auto derived = derive_manifest(w.object_id, data, keywords, last_block_size_);
          if (!derived || derived->bytes.size() > kMaxProofManifest) {
            log().debug("no proof for {}: its manifest cannot be derived", w.object_id.substr(0, 8));
            return refuse(ProofStatus::Unprovable);
          }
          if (manifests_.size() >= kMaxCachedManifests) manifests_.erase(manifests_.begin());
          last_block_size_ = derived->block_size;
          it = manifests_.emplace(w.object_id, CachedManifest{std::move(derived->bytes), derived->block_size}).first;
        }
        Proof p;
        p.status = ProofStatus::Ok;
        p.manifest = it->second.bytes;
        p.block = challenged_bytes(data, it->second.block_size, w.nonce);
        if (p.block.size() > kMaxProofBlock) return refuse(ProofStatus::Unprovable);
        Actions out;
        engine_->send_proof(w, std::move(p), out);
        execute(out);
      },
      kReadDeadline);
}

}  // namespace butter::dbfs
