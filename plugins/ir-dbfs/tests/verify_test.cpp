// Search integrity: content proofs (proof.hpp), the PROVE/PROOF codec, PeerStanding (demotion and
// blocks), the per-address bound on inbound links, and the engine with a poisoner outside the
// simulation that links, answers every query with forged hits and every challenge with a false
// proof: nothing forged is delivered, only verified hits are credited, and the poisoner is blocked.
#include "neighbours.hpp"
#include "proof.hpp"
#include "sim_network.hpp"
#include "standing.hpp"

#include <butter/wire.hpp>
#include <catch2/catch.hpp>

using namespace butter::dbfs;
using namespace butter::dbfs::sim;

namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

const std::string kPoisoner = "poisoner";
const std::string kPoisonerAddress = "tcp://203.0.113.66:7000";

// A poisoner outside the simulation: links to `victim`, answers every QUERY with forged hits (in
// its own name, and in a made-up node's name one hop away) and every PROVE with a false proof.
struct Poisoner {
  SimNetwork& net;
  std::size_t victim;
  std::uint64_t queries = 0, proves = 0;

  void attach() {
    net.set_outside(
        [this](const std::string& to, const std::string& from, MsgType type, const std::vector<std::uint8_t>& b) {
          if (to != kPoisoner) return;
          const std::size_t at = SimNetwork::index_of(from);
          std::string why;
          if (type == MsgType::Query) {
            auto q = decode_query(b.data(), b.size(), why);
            if (!q) return;
            ++queries;
            Hits h;
            h.id = q->id;
            h.hops = q->hops;
            const std::string object = q->kind == QueryKind::Object ? q->terms.front() : std::string(64, 'e');
            h.hits.push_back(Hit{object, kPoisoner, {"tcp://203.0.113.66:7000"}, q->terms});
            h.hits.push_back(Hit{object, "made-up-node", {"tcp://203.0.113.66:7000"}, q->terms});
            net.inject_from(kPoisoner, kPoisonerAddress, at, encode(h), net.now() + 1);
          } else if (type == MsgType::Prove) {
            auto p = decode_prove(b.data(), b.size(), why);
            if (!p) return;
            ++proves;
            Proof f;
            f.nonce = p->nonce;
            f.status = ProofStatus::Ok;
            f.manifest = bytes_of("PCGM not really a manifest");
            f.block = bytes_of("nor a block");
            net.inject_from(kPoisoner, kPoisonerAddress, at, encode(f), net.now() + 1);
          }
        });
    net.inject_from(kPoisoner, kPoisonerAddress, victim, encode_link(), net.now());
    net.run(net.now() + 1);
  }
};

SearchSpec by_object(const std::string& id) {
  SearchSpec s;
  s.kind = QueryKind::Object;
  s.terms = {id};
  s.max_results = 1;
  s.ttl = 4;
  return s;
}

}  // namespace

TEST_CASE("a content proof is the manifest hashing to the id and the block the nonce picks") {
  std::string text(5000, 'x');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
  const auto data = bytes_of(text);
  const std::vector<std::string> kws{"Needle", "hay"};
  // A provider's block size other than the default is found by trying the sizes.
  const auto manifest = build_manifest(data, 2048, kws);
  const std::string id = butter::wire::to_hex(sha256(manifest));
  CHECK(is_content_id(id));
  CHECK_FALSE(is_content_id("wiki-page-7"));
  CHECK_FALSE(is_content_id(std::string(64, 'A')));
  auto derived = derive_manifest(id, data, kws);
  REQUIRE(derived);
  CHECK(derived->block_size == 2048);
  CHECK(derived->bytes == manifest);
  CHECK_FALSE(derive_manifest(id, data, {"other"}));  // the keywords are part of the hash

  for (std::uint64_t n = 0; n < 6; ++n) {
    const QueryId nonce{n * 7919, n};
    const auto block = challenged_bytes(data, derived->block_size, nonce);
    auto ok = check_proof(id, nonce, manifest, block);
    INFO(ok.why);
    CHECK(ok.ok);
    CHECK(ok.keywords == std::vector<std::string>{"needle", "hay"});  // proven, case-folded
    // Another nonce usually picks another block: the proof for one challenge does not fit it.
    const QueryId other{n * 7919 + 1, n};
    if (challenged_block(other, 3) != challenged_block(nonce, 3))
      CHECK_FALSE(check_proof(id, other, manifest, block).ok);
  }
  const QueryId nonce{1, 2};
  auto block = challenged_bytes(data, 2048, nonce);
  auto wrong_block = block;
  wrong_block[0] ^= 1;
  CHECK(check_proof(id, nonce, manifest, wrong_block).why == "challenged block does not match the manifest");
  block.pop_back();
  CHECK(check_proof(id, nonce, manifest, block).why == "challenged block has the wrong length");
  auto other_manifest = build_manifest(data, 1024, kws);
  CHECK(check_proof(id, nonce, other_manifest, challenged_bytes(data, 1024, nonce)).why ==
        "manifest does not hash to the object id");
  CHECK(check_proof("not-content", nonce, manifest, block).why == "not a content id");
  // A manifest that hashes to its id but lies about its shape is refused by the decoder.
  std::string why;
  CHECK_FALSE(decode_manifest(bytes_of("PCGM"), why));
  CHECK_FALSE(why.empty());
}

TEST_CASE("PROVE and PROOF round trip and refuse truncation, oversize and a refusal carrying a proof") {
  Prove p{QueryId{1, 2}, std::string(64, 'a')};
  auto b = encode(p);
  std::string why;
  auto t = peek_type(b.data(), b.size(), why);
  REQUIRE(t);
  CHECK(*t == MsgType::Prove);
  auto back = decode_prove(b.data(), b.size(), why);
  REQUIRE(back);
  CHECK(back->object_id == p.object_id);
  CHECK(back->nonce == p.nonce);
  for (std::size_t n = 0; n < b.size(); ++n) CHECK_FALSE(decode_prove(b.data(), n, why));

  Proof f{QueryId{3, 4}, ProofStatus::Ok, bytes_of("manifest"), bytes_of("block")};
  auto fb = encode(f);
  auto fback = decode_proof(fb.data(), fb.size(), why);
  REQUIRE(fback);
  CHECK(fback->manifest == f.manifest);
  CHECK(fback->block == f.block);
  CHECK(encode(*fback) == fb);
  for (std::size_t n = 0; n < fb.size(); ++n) CHECK_FALSE(decode_proof(fb.data(), n, why));
  fb.push_back(0);
  CHECK_FALSE(decode_proof(fb.data(), fb.size(), why));
  CHECK(why == "trailing bytes");

  Proof refusal{QueryId{5, 6}, ProofStatus::NotHeld, {}, {}};
  auto rb = encode(refusal);
  REQUIRE(decode_proof(rb.data(), rb.size(), why));
  Proof bad = refusal;
  bad.manifest = bytes_of("x");
  auto bb = encode(bad);
  CHECK_FALSE(decode_proof(bb.data(), bb.size(), why));
  CHECK(why == "a refusal with a proof attached");
  auto unknown = rb;
  unknown[18] = 9;  // status
  CHECK_FALSE(decode_proof(unknown.data(), unknown.size(), why));
  // A block over the bound: refused before anything is copied.
  Proof big{QueryId{7, 8}, ProofStatus::Ok, {}, std::vector<std::uint8_t>(kMaxProofBlock, 1)};
  auto big_bytes = encode(big);
  REQUIRE(decode_proof(big_bytes.data(), big_bytes.size(), why));
  big_bytes[19 + 4 + 0] = 0x7f;  // manifest length 0x7f000000
  CHECK_FALSE(decode_proof(big_bytes.data(), big_bytes.size(), why));
  // Other types keep the 64 KiB bound.
  std::vector<std::uint8_t> huge(kMaxMessageBytes + 1, 0);
  huge[0] = 1;
  huge[1] = static_cast<std::uint8_t>(MsgType::Hits);
  CHECK_FALSE(peek_type(huge.data(), huge.size(), why));
}

TEST_CASE("peer standing demotes on failures, blocks only for own lies, and earns back with verified hits") {
  StandingConfig c;
  c.demote_after = 2;
  c.block_after = 2;
  c.block_ms = 1000;
  PeerStanding st(c);
  // A relay whose hits failed: demoted, never blocked.
  for (int i = 0; i < 10; ++i) CHECK_FALSE(st.on_failed("relay", false, 0));
  CHECK(st.demoted("relay", 0));
  CHECK_FALSE(st.blocked("relay", 0));
  // Verified hits earn failures back.
  for (int i = 0; i < 9; ++i) st.on_verified("relay", 1);
  CHECK_FALSE(st.demoted("relay", 1));
  // A liar: blocked at the second lie, for block_ms; a lie while blocked does not re-block.
  CHECK_FALSE(st.on_failed("liar", true, 10));
  CHECK(st.demoted("liar", 10) == false);  // one failure: not yet
  CHECK(st.on_failed("liar", true, 20));
  CHECK(st.blocked("liar", 20));
  CHECK(st.demoted("liar", 20));
  CHECK_FALSE(st.on_failed("liar", true, 30));
  CHECK(st.blocked("liar", 1019));
  CHECK_FALSE(st.blocked("liar", 1020));
  // Coming back: the next lie blocks again at once, for twice as long.
  CHECK(st.on_failed("liar", true, 1100));
  CHECK(st.blocked("liar", 3099));
  CHECK_FALSE(st.blocked("liar", 3100));
  CHECK(st.blocked_ids(2000) == std::vector<std::string>{"liar"});
}

TEST_CASE("peer standing is bounded and a flood of fresh ids does not unblock a liar") {
  StandingConfig c;
  c.max_entries = 8;
  c.block_ms = 1000000;
  PeerStanding st(c);
  st.on_failed("liar", true, 0);
  REQUIRE(st.on_failed("liar", true, 1));
  for (int i = 0; i < 1000; ++i) st.on_failed("fresh" + std::to_string(i), false, 2 + static_cast<std::uint64_t>(i));
  CHECK(st.size() <= 8);
  CHECK(st.blocked("liar", 2000));
}

TEST_CASE("inbound links are bounded per address, loopback and unknown senders are not") {
  Neighbours n(8, 1000, 2);
  CHECK(n.note_inbound("a1", 0, "198.51.100.7"));
  CHECK(n.note_inbound("a2", 0, "198.51.100.7"));
  CHECK_FALSE(n.note_inbound("a3", 0, "198.51.100.7"));  // the address holds its share
  CHECK(n.note_inbound("a2", 5, "198.51.100.7"));        // a known one is refreshed
  CHECK(n.note_inbound("b1", 0, "198.51.100.8"));
  for (int i = 0; i < 4; ++i) CHECK(n.note_inbound("local" + std::to_string(i), 0, ""));
  CHECK(n.inbound_count(10) == 7);
  CHECK(n.note_inbound("a3", 2000, "198.51.100.7"));  // the others went idle
}

TEST_CASE("a verified hit is delivered with its proven keywords and credited to the neighbour that brought it") {
  EngineConfig c;
  c.hop_ms = 5;
  SimNetwork net(4, c);
  net.link_line();
  const std::string id = net.store(3, "page", {"Needle", "hay"});
  net.node(3).index().annotate(id, {"annotated-only"});
  auto r = net.search(0, by_object(id));
  net.run();
  const auto& rec = net.records()[static_cast<std::size_t>(r)];
  REQUIRE(rec.hits.size() == 1);
  CHECK(rec.hits[0].hit.node_id == "n3");
  CHECK(rec.hits[0].hit.keywords == std::vector<std::string>{"needle", "hay"});  // not the annotation
  CHECK(rec.result.reason == "enough results");
  CHECK(net.node(0).counters().hits_verified == 1);
  CHECK(net.node(3).counters().proofs_sent == 1);
  CHECK(net.sent(MsgType::Prove) == 1);
  CHECK(net.node(0).stats().find("n1")->results == Approx(1));
  // Relays pass hits on without proving them, so they learn nothing from them.
  const NeighbourRecord* relayed = net.node(1).stats().find("n2");
  CHECK((relayed == nullptr || relayed->results == 0));
  // A keyword search on the annotation only: the holder proves possession, not that keyword.
  SearchSpec kw;
  kw.kind = QueryKind::Keywords;
  kw.terms = {"annotated-only"};
  kw.ttl = 4;
  auto r2 = net.search(0, kw);
  net.run();
  CHECK(net.records()[static_cast<std::size_t>(r2)].hits.empty());
  CHECK(net.node(0).counters().hits_unproven_keywords == 1);
  CHECK_FALSE(net.node(0).standing().demoted("n1", net.now()));  // no one is blamed for it
  // A name (no content id) cannot be proven: dropped, not asked.
  net.node(3).index().annotate("wiki-page-7", {"named"});
  kw.terms = {"named"};
  auto r3 = net.search(0, kw);
  net.run();
  CHECK(net.records()[static_cast<std::size_t>(r3)].hits.empty());
  CHECK(net.node(0).counters().hits_unprovable == 1);
}

TEST_CASE("a holder that cannot prove an object it holds blames no one and its hits are not delivered") {
  // An object whose manifest is over a PROOF's bound: the holder answers Unprovable. Neither it
  // (which relays its own hit) nor the relay in front of it lied; demoting them for it would
  // rank honest holders of large objects last.
  EngineConfig c;
  c.hop_ms = 5;
  SimNetwork net(4, c);
  net.link_line();
  const std::string big(64, 'c');  // a content id the simulated storage has no content for
  net.node(3).index().add_stored(big, {"large"});
  net.node(1).index().add_stored(big, {"large"});
  for (int i = 0; i < 4; ++i) {  // twice demote_after
    auto r = net.search(0, by_object(big));
    net.run();
    CHECK(net.records()[static_cast<std::size_t>(r)].hits.empty());
  }
  CHECK(net.node(0).counters().hits_unprovable >= 4);
  CHECK(net.node(0).counters().proofs_failed == 0);
  for (const char* who : {"n1", "n2", "n3"}) {
    INFO(who);
    CHECK_FALSE(net.node(0).standing().demoted(who, net.now()));
  }
}

TEST_CASE("a poisoner's forged hits are never delivered nor credited and it is blocked and unlinked") {
  EngineConfig c;
  c.hop_ms = 5;
  c.source_fanout = 4;  // the poisoner is asked from the first search on
  SimNetwork net(4, c);
  net.link_line();
  Poisoner p{net, 0};
  p.attach();
  REQUIRE(net.node(0).neighbours().all(net.now()).size() == 2);
  const std::string id = net.store(3, "real");
  std::size_t found = 0, forged = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = net.search(0, by_object(id));
    net.run();
    for (const auto& h : net.records()[static_cast<std::size_t>(r)].hits) (h.hit.node_id == "n3" ? found : forged) += 1;
  }
  INFO("poisoner asked " << p.queries << " queries, " << p.proves << " proves");
  CHECK(found == 10);
  CHECK(forged == 0);
  CHECK(p.queries >= 1);
  const Engine& src = net.node(0);
  CHECK(src.blocked(kPoisoner, net.now()));
  CHECK(src.counters().peers_blocked >= 1);
  CHECK(src.counters().proofs_failed >= 2);
  // Unlinked, its LINKs refused, and it was never credited with a result.
  const auto ns = net.node(0).neighbours().all(net.now());
  CHECK(std::find(ns.begin(), ns.end(), kPoisoner) == ns.end());
  const NeighbourRecord* rec = src.stats().find(kPoisoner);
  CHECK((rec == nullptr || rec->results == 0));
  CHECK(src.stats().find("n1")->results > 0);
  const auto refused = src.counters().blocked_refused;
  net.inject_from(kPoisoner, kPoisonerAddress, 0, encode_link(), net.now());
  net.run();
  CHECK(src.counters().blocked_refused == refused + 1);
  // Once blocked it costs the source nothing: no more PROVEs to it.
  const auto proves = p.proves;
  for (int i = 0; i < 3; ++i) {
    net.search(0, by_object(id));
    net.run();
  }
  CHECK(p.proves == proves);
}

TEST_CASE("a hit one hop away in another node's name is the neighbour's own lie") {
  EngineConfig c;
  c.hop_ms = 5;
  SimNetwork net(2, c);
  net.link(0, 1);
  net.inject_from("liar", "tcp://203.0.113.9:1", 0, encode_link(), 0);
  net.run(1);
  SearchSpec s;
  s.kind = QueryKind::Keywords;
  s.terms = {"x"};
  s.ttl = 1;
  c.source_fanout = 2;
  net.set_outside(
      [&](const std::string& to, const std::string& from, MsgType type, const std::vector<std::uint8_t>& b) {
        if (to != "liar" || type != MsgType::Query) return;
        std::string why;
        auto q = decode_query(b.data(), b.size(), why);
        Hits h;
        h.id = q->id;
        h.hops = 1;
        h.hits.push_back(Hit{std::string(64, 'a'), "n1", {}, {"x"}});  // "n1 holds it, one hop away"
        net.inject_from("liar", "tcp://203.0.113.9:1", SimNetwork::index_of(from), encode(h), net.now() + 1);
      });
  for (int i = 0; i < 4; ++i) {
    net.search(0, s);
    net.run();
  }
  CHECK(net.node(0).blocked("liar", net.now()));
  CHECK(net.sent(MsgType::Prove) == 0);                          // refused without asking anyone
  CHECK_FALSE(net.node(0).standing().demoted("n1", net.now()));  // the named node is not blamed
}

TEST_CASE("proofs are bounded per search: a few in flight, a bounded queue, each with a deadline") {
  EngineConfig c;
  c.hop_ms = 5;
  c.verify_in_flight = 3;
  c.verify_queue = 10;  // one neighbour may fill half: 5
  c.verify_timeout_ms = 500;
  SimNetwork net(1, c);
  net.inject_from("flooder", "tcp://203.0.113.10:1", 0, encode_link(), 0);
  // "silent" is reachable (it has an address) and never answers a challenge.
  net.inject_from("silent", "tcp://203.0.113.11:1", 0, {0xff}, 0);
  net.run(1);
  net.set_outside([&](const std::string&, const std::string& from, MsgType type, const std::vector<std::uint8_t>& b) {
    std::string why;
    if (type != MsgType::Query) return;
    auto q = decode_query(b.data(), b.size(), why);
    Hits h;
    h.id = q->id;
    h.hops = 2;  // as if relayed: the flooder itself is only a relay here
    for (int i = 0; i < 64; ++i) {
      std::string id(64, '0');
      id[static_cast<std::size_t>(i % 64)] = 'f';
      h.hits.push_back(Hit{id, "silent", {}, {"x"}});
    }
    net.inject_from("flooder", "tcp://203.0.113.10:1", SimNetwork::index_of(from), encode(h), net.now() + 1);
  });
  SearchSpec s;
  s.kind = QueryKind::Keywords;
  s.terms = {"x"};
  s.ttl = 2;
  s.max_results = 64;
  s.timeout_ms = 10000;
  auto r = net.search(0, s);
  // Just after the answer: 5 admitted to the queue (the flooder's half; the rest dropped), 3
  // challenges out.
  net.run(net.now() + 50);
  CHECK(net.node(0).verifications() == 3);
  CHECK(net.node(0).counters().verify_overflow == 64 - 5);
  CHECK(net.sent(MsgType::Prove) == 3);
  net.run();
  // The deadlines passed: the first failure freed a slot (a 4th challenge went out), the second
  // blocked the silent holder, so the last hit waiting was dropped without asking. The flooder, a
  // relay, is only demoted.
  CHECK(net.node(0).verifications() == 0);
  CHECK(net.sent(MsgType::Prove) == 4);
  CHECK(net.node(0).counters().proofs_failed == 4);
  CHECK(net.node(0).counters().hits_from_blocked == 1);
  CHECK(net.node(0).blocked("silent", net.now()));
  CHECK(net.node(0).standing().demoted("flooder", net.now()));
  CHECK_FALSE(net.node(0).blocked("flooder", net.now()));
  const auto& rec = net.records()[static_cast<std::size_t>(r)];
  CHECK(rec.hits.empty());
  CHECK(rec.done);
  CHECK(rec.done_ms - rec.started_ms < 10000);  // not held to its timeout by the unanswered proofs
}

TEST_CASE("a flood of unprovable hits through one neighbour does not crowd out the real hit from another") {
  EngineConfig c;
  c.hop_ms = 5;
  c.source_fanout = 4;
  c.verify_timeout_ms = 1000;
  SimNetwork net(2, c);
  net.link(0, 1);
  net.inject_from("flooder", "tcp://203.0.113.10:1", 0, encode_link(), 0);
  net.inject_from("silent", "tcp://203.0.113.11:1", 0, {0xff}, 0);
  net.run(1);
  net.set_delay([](std::size_t, std::size_t) -> std::uint64_t { return 20; });  // the real hit comes later
  const std::string id = net.store(1, "real", {"x"});
  net.set_outside([&](const std::string&, const std::string& from, MsgType type, const std::vector<std::uint8_t>& b) {
    std::string why;
    if (type != MsgType::Query) return;
    auto q = decode_query(b.data(), b.size(), why);
    Hits h;
    h.id = q->id;
    h.hops = 2;
    for (char d : {'1', '2'}) {  // two HITS messages of 64 forged hits each
      h.hits.clear();
      for (int i = 0; i < 64; ++i) {
        std::string fake(64, d);
        fake[static_cast<std::size_t>(i)] = 'f';
        h.hits.push_back(Hit{fake, "silent", {}, {"x"}});
      }
      net.inject_from("flooder", "tcp://203.0.113.10:1", SimNetwork::index_of(from), encode(h), net.now() + 1);
    }
  });
  SearchSpec s;
  s.kind = QueryKind::Keywords;
  s.terms = {"x"};
  s.ttl = 2;
  s.max_results = 1;
  auto r = net.search(0, s);
  net.run();
  const auto& rec = net.records()[static_cast<std::size_t>(r)];
  REQUIRE(rec.hits.size() == 1);
  CHECK(rec.hits[0].hit.object_id == id);
  CHECK(rec.result.reason == "enough results");
  CHECK(net.node(0).counters().verify_overflow >= 128 - c.verify_queue / 2 - c.verify_in_flight);
}
