// The holder's side of search integrity: a PROVE for an object this node's storage holds is
// answered with the object's manifest and the block the challenge's nonce picks (proof.hpp). The
// bytes come from butter.storage/1 (a local get: storage verifies them against the id); the
// manifest is derived from them and cached (bounded), since deriving may try several block sizes.
#include "dbfs_plugin.hpp"
#include "proof.hpp"

namespace butter::dbfs {

namespace {
constexpr std::size_t kMaxCachedManifests = 256;
// Deriving hashes the object once per block size tried, on the node's executor: objects beyond
// this are not proven (HTTP puts are at most 1 MiB; the wiki's records are small).
constexpr std::uint64_t kMaxProvableBytes = 16ull * 1024 * 1024;
constexpr std::chrono::milliseconds kReadDeadline{5000};
}  // namespace

void DbfsPlugin::prepare_proof(const ProveWanted& w) {
  auto refuse = [this, w](ProofStatus status) {
    Actions out;
    Proof p;
    p.status = status;
    engine_->send_proof(w, std::move(p), out);
    execute(out);
  };
  // Only what storage holds here: a get of anything else would fetch it from the network.
  auto held = storage().lookup(w.object_id);
  if (!held) return refuse(ProofStatus::NotHeld);
  if (held->size_bytes > kMaxProvableBytes) return refuse(ProofStatus::Unprovable);  // bounded work per proof
  std::vector<std::string> keywords = held->keywords;
  storage().get(
      w.object_id,
      [this, w, keywords = std::move(keywords), refuse](const butter::GetResult& r) {
        if (!r.ok()) return refuse(ProofStatus::NotHeld);
        std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(r.data.data()), r.data.size());
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
