// Seeds of the ir-dbfs fuzz target: QUERY (object and keywords, version 1 and 2 with a budget), HITS, EXTEND, LINK,
// PROVE and PROOF (a valid content proof, a refusal), a manifest, a hot-swap state, and near-valid variants. The input
// is the message itself. See fuzz/seed_writer.hpp.
#include "../seed_writer.hpp"
#include "messages.hpp"
#include "proof.hpp"

#include <butter/wire.hpp>

using namespace butter::dbfs;
using namespace butter::fuzz::seeds;

namespace {

void generate() {
  const std::string t = "ir-dbfs";
  Query q;
  q.id = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  q.kind = QueryKind::Keywords;
  q.ttl = 3;
  q.hops = 1;
  q.max_results = 20;
  q.terms = {"butter", "wiki"};
  write(t, "query-keywords", encode(q));
  q.kind = QueryKind::Object;
  q.terms = {std::string(64, 'a')};
  write(t, "query-object", encode(q));
  q.budget = 1024;  // version 2: the message budget
  write(t, "query-budget", encode(q));
  q.budget.reset();
  Hits h;
  h.id = q.id;
  h.hops = 2;
  h.hits = {Hit{std::string(64, 'b'), std::string(64, 'c'), {"tcp://127.0.0.1:7700"}, {"butter", "wiki"}},
            Hit{std::string(64, 'd'), std::string(64, 'e'), {}, {}}};
  write(t, "hits", encode(h));
  write(t, "extend", encode(Extend{q.id, 5}));
  write(t, "link", encode_link());
  write(t, "unlink", encode_unlink());
  SavedState st;
  st.annotations = {{std::string(64, 'a'), {"butter", "wiki"}}};
  st.outbound = {std::string(64, 'c')};
  write(t, "state", bytes(encode_state(st)));
  Bytes bad_version = encode(Extend{q.id, 5});
  bad_version[0] = 2;
  write(t, "extend-version-2", bad_version);
  // Search integrity: a challenge and a proof that verifies (manifest hashing to the id, block).
  const std::string text(3000, 'p');
  const std::vector<std::uint8_t> data(text.begin(), text.end());
  const auto manifest = build_manifest(data, 1024, {"needle", "hay"});
  const QueryId nonce{0x1111, 0x2222};
  write(t, "prove", encode(Prove{nonce, butter::wire::to_hex(sha256(manifest))}));
  write(t, "proof", encode(Proof{nonce, ProofStatus::Ok, manifest, challenged_bytes(data, 1024, nonce)}));
  write(t, "proof-not-held", encode(Proof{nonce, ProofStatus::NotHeld, {}, {}}));
  write(t, "manifest", manifest);
  Bytes refusal_with_proof = encode(Proof{nonce, ProofStatus::Busy, {}, {}});
  refusal_with_proof.back() = 1;  // block length 1, with no byte
  write(t, "proof-bad-length", refusal_with_proof);
  Bytes truncated = encode(h);
  truncated.resize(truncated.size() - 4);
  write(t, "hits-truncated", truncated);
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv, generate); }
