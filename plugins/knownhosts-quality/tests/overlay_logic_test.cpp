// The overlay's pure logic: signed peer records (forged, tampered, redacted, oversized), the
// record store (stale, replayed, expired, future, bounded), the /butter/pex/1 codec, address
// scopes, and the neighbour set (bounds, backoff, network diversity).
#include "address_scope.hpp"
#include "exchange_ledger.hpp"
#include "exchange_message.hpp"
#include "neighbours.hpp"
#include "peer_record.hpp"
#include "record_store.hpp"

#include <butter/cpp/token_bucket.hpp>
#include <catch2/catch.hpp>
#include <sodium.h>

#include <cstring>

using namespace butter::knownhosts;

namespace {

// An Ed25519 key pair and sign/verify over the same bytes the host signs ("butter/sign/1" 0
// context 0 message), so records made here are records a node would accept.
struct Key {
  std::array<std::uint8_t, 32> pk{};
  std::array<std::uint8_t, 64> sk{};
  Key() {
    REQUIRE(sodium_init() >= 0);
    crypto_sign_keypair(pk.data(), sk.data());
  }
  static std::vector<std::uint8_t> framed(const std::vector<std::uint8_t>& m) {
    std::string prefix = std::string("butter/sign/1") + '\0' + kRecordContext + '\0';
    std::vector<std::uint8_t> out(prefix.begin(), prefix.end());
    out.insert(out.end(), m.begin(), m.end());
    return out;
  }
  SignFn signer() const {
    return [this](const std::vector<std::uint8_t>& m) {
      std::array<std::uint8_t, 64> sig{};
      auto f = framed(m);
      crypto_sign_detached(sig.data(), nullptr, f.data(), f.size(), sk.data());
      return sig;
    };
  }
};

VerifyFn verifier() {
  return [](const std::array<std::uint8_t, 32>& key, const std::vector<std::uint8_t>& m,
            const std::array<std::uint8_t, 64>& sig) {
    auto f = Key::framed(m);
    return crypto_sign_verify_detached(sig.data(), f.data(), f.size(), key.data()) == 0;
  };
}

std::optional<PeerRecord> decode(const std::vector<std::uint8_t>& b, std::string& why) {
  return decode_record(b.data(), b.size(), verifier(), why);
}

constexpr std::uint64_t kNow = 1'800'000'000'000;  // some unix ms

}  // namespace

TEST_CASE("peer record signed by its node round trips with every endpoint") {
  Key k;
  auto rec = make_record(k.pk, 7, kNow, {"relay://aa@198.18.0.10:7000/bb", "tcp://198.19.0.11:7000"}, k.signer());
  auto bytes = rec.encode();
  std::string why;
  auto back = decode(bytes, why);
  REQUIRE(back);
  CHECK(back->seq == 7);
  CHECK(back->issued_ms == kNow);
  CHECK(back->id == k.pk);
  CHECK(back->visible_endpoints() ==
        std::vector<std::string>{"relay://aa@198.18.0.10:7000/bb", "tcp://198.19.0.11:7000"});
}

TEST_CASE("peer record with a redacted endpoint still verifies and hides the address") {
  Key k;
  auto rec = make_record(k.pk, 1, kNow, {"tcp://127.0.0.1:7700", "tcp://198.18.0.12:7700"}, k.signer());
  auto bytes = rec.encode([](std::string_view uri) { return uri.find("127.0.0.1") == std::string_view::npos; });
  std::string why;
  auto back = decode(bytes, why);
  REQUIRE(back);
  CHECK(back->visible_endpoints() == std::vector<std::string>{"tcp://198.18.0.12:7700"});
  REQUIRE(back->endpoints.size() == 2);
  CHECK_FALSE(back->endpoints[0].uri);
  // Forwarding the redacted record keeps it valid, and the loopback address never reappears.
  auto again = back->encode();
  auto twice = decode(again, why);
  REQUIRE(twice);
  CHECK(std::string(again.begin(), again.end()).find("127.0.0.1") == std::string::npos);
}

TEST_CASE("peer record forged by another key, tampered or with a swapped endpoint is refused") {
  Key k, mallory;
  auto rec = make_record(k.pk, 3, kNow, {"tcp://198.18.0.12:7700"}, k.signer());
  std::string why;
  SECTION("signed by another key under the victim's id") {
    auto forged = make_record(k.pk, 4, kNow, {"tcp://198.18.0.66:7700"}, mallory.signer());
    CHECK_FALSE(decode(forged.encode(), why));
    CHECK(why == "bad signature");
  }
  SECTION("an endpoint replaced by the forwarder") {
    auto tampered = rec;
    tampered.endpoints[0].uri = "tcp://198.18.0.66:7700";
    CHECK_FALSE(decode(tampered.encode(), why));
  }
  SECTION("an endpoint added by the forwarder") {
    auto tampered = rec;
    tampered.endpoints.push_back({std::string("tcp://198.18.0.66:7700"), endpoint_hash("tcp://198.18.0.66:7700")});
    CHECK_FALSE(decode(tampered.encode(), why));
  }
  SECTION("a higher seq written over a genuine signature") {
    auto tampered = rec;
    tampered.seq = 99;
    CHECK_FALSE(decode(tampered.encode(), why));
  }
  SECTION("any single flipped byte") {
    auto bytes = rec.encode();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      auto b = bytes;
      b[i] ^= 0x01;
      INFO("byte " << i);
      CHECK_FALSE(decode(b, why));
    }
  }
}

TEST_CASE("peer record that is truncated, oversized or malformed is refused with a reason") {
  Key k;
  auto bytes = make_record(k.pk, 1, kNow, {"tcp://198.18.0.12:7700"}, k.signer()).encode();
  std::string why;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(decode(cut, why));
  }
  auto trailing = bytes;
  trailing.push_back(0);
  CHECK_FALSE(decode(trailing, why));
  CHECK(why == "trailing bytes after the record");
  std::vector<std::uint8_t> huge(kMaxRecordBytes + 1, 0);
  CHECK_FALSE(decode(huge, why));
  CHECK(why.find("bytes (max") != std::string::npos);
  // More than 8 endpoints cannot be made, and a count above 8 is refused.
  std::vector<std::string> many;
  for (int i = 0; i < 12; ++i) many.push_back("tcp://198.18.0." + std::to_string(i) + ":7000");
  auto capped = make_record(k.pk, 1, kNow, many, k.signer());
  CHECK(capped.endpoints.size() == kMaxRecordEndpoints);
  auto b = capped.encode();
  b[1 + 32 + 8 + 8] = 9;
  CHECK_FALSE(decode(b, why));
  // Not-URIs are left out when signing.
  CHECK(make_record(k.pk, 1, kNow, {"no scheme", std::string(300, 'a') + "://x"}, k.signer()).endpoints.empty());
}

TEST_CASE("record store keeps the newest record and refuses stale, replayed, expired and future ones") {
  Key k;
  RecordStore store({4, 3600000, 600000});
  auto r5 = make_record(k.pk, 5, kNow, {"tcp://198.18.0.12:7700"}, k.signer());
  auto r6 = make_record(k.pk, 6, kNow + 1, {"tcp://198.18.0.13:7700"}, k.signer());
  CHECK(store.offer(r5, kNow) == RecordOffer::Accepted);
  CHECK(store.offer(r5, kNow) == RecordOffer::Stale);  // replayed
  CHECK(store.offer(r6, kNow) == RecordOffer::Accepted);
  CHECK(store.offer(r5, kNow) == RecordOffer::Stale);  // older than what is held
  REQUIRE(store.find(r5.id_hex()));
  CHECK(store.find(r5.id_hex())->seq == 6);
  // The same record with fewer endpoints visible changes nothing; with more, it replaces the copy.
  auto r7 = make_record(k.pk, 7, kNow + 2, {"tcp://127.0.0.1:1", "tcp://198.18.0.13:7700"}, k.signer());
  std::string why;
  auto hidden = decode(r7.encode([](std::string_view u) { return u.find("127.") == std::string_view::npos; }), why);
  CHECK(store.offer(*decode(r7.encode([](std::string_view) { return false; }), why), kNow) == RecordOffer::Accepted);
  CHECK(store.offer(*decode(r7.encode([](std::string_view) { return false; }), why), kNow) == RecordOffer::Stale);
  CHECK(store.offer(*hidden, kNow) == RecordOffer::Accepted);
  CHECK(store.find(r5.id_hex())->visible_endpoints().size() == 1);
  CHECK(store.offer(r7, kNow) == RecordOffer::Accepted);
  CHECK(store.offer(*hidden, kNow) == RecordOffer::Stale);
  CHECK(store.find(r5.id_hex())->visible_endpoints().size() == 2);
  Key k2;
  CHECK(store.offer(make_record(k2.pk, 1, kNow - 3600001, {"tcp://198.18.0.1:1"}, k2.signer()), kNow) ==
        RecordOffer::Expired);
  CHECK(store.offer(make_record(k2.pk, 1, kNow + 600001, {"tcp://198.18.0.1:1"}, k2.signer()), kNow) ==
        RecordOffer::Future);
  CHECK(store.size() == 1);
  // Bounded: the record issued longest ago makes room; an older newcomer does not get in. (Received
  // after they were issued: a record dated later than its arrival ranks as arrived.)
  std::vector<Key> keys(5);
  for (int i = 0; i < 4; ++i)
    CHECK(store.offer(make_record(keys[i].pk, 1, kNow + 10 + i, {"tcp://198.18.0.1:1"}, keys[i].signer()), kNow + 20) ==
          RecordOffer::Accepted);
  CHECK(store.size() == 4);
  CHECK_FALSE(store.find(r5.id_hex()));  // issued first
  CHECK(store.offer(make_record(keys[4].pk, 1, kNow, {"tcp://198.18.0.1:1"}, keys[4].signer()), kNow + 20) ==
        RecordOffer::Stale);
  CHECK(store.size() == 4);
  CHECK(store.expire(kNow + 3600000 + 12).size() == 2);
  CHECK(store.size() == 2);
}

TEST_CASE("pex exchange messages round trip and bound the number and size of records") {
  Exchange e;
  e.neighbour = true;
  e.records = {{1, 2, 3}, {4}};
  auto b = encode_exchange(e);
  std::string why;
  auto back = decode_exchange(b.data(), b.size(), why);
  REQUIRE(back);
  CHECK(back->neighbour);
  CHECK(back->records == e.records);
  // The encoder sends at most 16 records and leaves oversized ones out.
  Exchange big;
  big.records.assign(20, std::vector<std::uint8_t>(10, 7));
  big.records.insert(big.records.begin(), std::vector<std::uint8_t>(kMaxRecordBytes + 1, 1));
  auto bb = encode_exchange(big);
  auto bback = decode_exchange(bb.data(), bb.size(), why);
  REQUIRE(bback);
  CHECK(bback->records.size() == kMaxExchangeRecords);
  CHECK(bback->records.front().size() == 10);
  // Refused: another version, unknown flags, more than 16, truncation, trailing bytes.
  std::vector<std::uint8_t> v3 = {3, 0, 0}, flags = {1, 2, 0}, many = {1, 0, 17}, cut = {1, 0, 1, 0, 5, 1};
  CHECK_FALSE(decode_exchange(v3.data(), v3.size(), why));
  CHECK_FALSE(decode_exchange(flags.data(), flags.size(), why));
  CHECK_FALSE(decode_exchange(many.data(), many.size(), why));
  CHECK_FALSE(decode_exchange(cut.data(), cut.size(), why));
  auto trailing = b;
  trailing.push_back(0);
  CHECK_FALSE(decode_exchange(trailing.data(), trailing.size(), why));
}

TEST_CASE("pex exchange of version 2: varint lengths, the want-a-sample flag, and the old version still read") {
  Exchange e;
  e.want_sample = true;
  e.records = {std::vector<std::uint8_t>(200, 7), {4}};
  auto b = encode_exchange(e);
  CHECK(b.size() == 3 + (2 + 200) + (1 + 1));
  CHECK(b[1] == 2);  // want a sample
  std::string why;
  auto back = decode_exchange(b.data(), b.size(), why);
  REQUIRE(back);
  CHECK(back->version == kExchangeV2);
  CHECK(back->want_sample);
  CHECK_FALSE(back->neighbour);
  CHECK(back->records == e.records);
  for (std::size_t n = 0; n < b.size(); ++n) CHECK_FALSE(decode_exchange(b.data(), n, why));
  // Version 1 has no such flag: the encoder leaves it out, and a decoder of version 1 refuses it.
  e.version = kExchangeV1;
  auto old = encode_exchange(e);
  CHECK(old[1] == 0);
  REQUIRE(decode_exchange(old.data(), old.size(), why));
  CHECK(decode_exchange(old.data(), old.size(), why)->version == kExchangeV1);
  // Refused: an unknown flag, a record length over the bound, a varint length cut short, 17 records.
  std::vector<std::uint8_t> flag4 = {2, 4, 0}, huge = {2, 0, 1, 0x80, 0x80, 0x01}, cut = {2, 0, 1, 0x80},
                            many = {2, 0, 17};
  for (const auto* m : {&flag4, &huge, &cut, &many}) CHECK_FALSE(decode_exchange(m->data(), m->size(), why));
}

TEST_CASE("peer record of version 2 is the same signed statement in fewer bytes") {
  Key k;
  const std::string relay = "relay://" + std::string(64, 'a') + "@198.18.0.10:7000/" + std::string(64, 'b');
  auto rec = make_record(k.pk, kNow + 3, kNow, {relay, "tcp://198.19.0.11:7000"}, k.signer());
  auto v1 = rec.encode();
  auto v2 = rec.encode({}, kRecordV2);
  CHECK(v2.front() == kRecordV2);
  // id 32 and signature 64 stay; the times 16 -> 6 + 1, the endpoints 2 x (3 + text) -> packed.
  CHECK(v1.size() == 1 + 32 + 16 + 1 + (3 + relay.size()) + (3 + 22) + 64);
  CHECK(v2.size() == 1 + 32 + 7 + 1 + (1 + 64 + 1 + 6) + (1 + 6) + 64);
  std::string why;
  auto back = decode(v2, why);
  REQUIRE(back);
  CHECK(back->seq == kNow + 3);
  CHECK(back->issued_ms == kNow);
  CHECK(back->visible_endpoints() == rec.visible_endpoints());
  // Either form re-encodes into the other and still verifies.
  auto again = decode(back->encode(), why);
  REQUIRE(again);
  CHECK(again->encode({}, kRecordV2) == v2);
  // Redacted in version 2: the hash travels, the address does not, the signature holds.
  auto hidden = rec.encode([](std::string_view uri) { return uri.rfind("tcp://", 0) != 0; }, kRecordV2);
  auto h = decode(hidden, why);
  REQUIRE(h);
  CHECK(h->visible_endpoints() == std::vector<std::string>{relay});
  CHECK_FALSE(h->endpoints[1].uri);
  // A seq below its issue time (not what a signer makes, but representable) round trips too.
  auto odd = make_record(k.pk, 5, kNow, {"tcp://198.18.0.1:1"}, k.signer());
  auto ob = decode(odd.encode({}, kRecordV2), why);
  REQUIRE(ob);
  CHECK(ob->seq == 5);
}

TEST_CASE("peer record of version 2 that is forged, tampered, truncated or malformed is refused") {
  Key k, mallory;
  auto rec = make_record(k.pk, kNow, kNow, {"tcp://198.18.0.12:7700"}, k.signer());
  auto bytes = rec.encode({}, kRecordV2);
  std::string why;
  REQUIRE(decode(bytes, why));
  auto forged = make_record(k.pk, kNow + 1, kNow, {"tcp://198.18.0.66:7700"}, mallory.signer());
  CHECK_FALSE(decode(forged.encode({}, kRecordV2), why));
  CHECK(why == "bad signature");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = bytes;
    b[i] ^= 0x01;
    INFO("byte " << i);
    CHECK_FALSE(decode(b, why));
  }
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(decode(cut, why));
  }
  auto trailing = bytes;
  trailing.push_back(0);
  CHECK_FALSE(decode(trailing, why));
  // More than 8 endpoints; an unknown endpoint kind.
  const std::size_t count_at = 1 + 32 + 6 + 1;  // after the id and the two varints
  REQUIRE(bytes[count_at] == 1);
  auto nine = bytes;
  nine[count_at] = 9;
  CHECK_FALSE(decode(nine, why));
  CHECK(why == "9 endpoints (max 8)");
  auto kind = bytes;
  kind[count_at + 1] = 9;
  CHECK_FALSE(decode(kind, why));
  CHECK(why == "endpoint kind 9");
  std::vector<std::uint8_t> v3 = bytes;
  v3[0] = 3;
  CHECK_FALSE(decode(v3, why));
  CHECK(why == "record version 3");
}

TEST_CASE("addresses are offered only to peers that can route to them") {
  CHECK(scope_of("tcp://127.0.0.1:7700") == Scope::Loopback);
  CHECK(scope_of("tcp://[::1]:7700") == Scope::Loopback);
  CHECK(scope_of("tcp://192.168.1.4:7700") == Scope::Private);
  CHECK(scope_of("tcp://198.19.0.11:7700") == Scope::Private);
  CHECK(scope_of("tcp://[fd00::1]:7700") == Scope::Private);
  CHECK(scope_of("tcp://8.8.8.8:7700") == Scope::Global);
  CHECK(scope_of("relay://a@b/c") == Scope::Unknown);
  // Loopback only to a peer on this host.
  CHECK(routable_for("tcp://127.0.0.1:7700", "tcp://127.0.0.1:40000"));
  CHECK_FALSE(routable_for("tcp://127.0.0.1:7700", "tcp://198.18.0.11:40000"));
  CHECK_FALSE(routable_for("tcp://127.0.0.1:7700", "relay://a@198.18.0.10:7000/b"));
  // A private address only within its /24, never across a NAT or through a relay.
  CHECK(routable_for("tcp://198.19.0.11:7700", "tcp://198.19.0.12:40000"));
  CHECK_FALSE(routable_for("tcp://198.19.0.11:7700", "tcp://198.18.0.1:40000"));
  CHECK_FALSE(routable_for("tcp://198.19.1.11:7700", "tcp://198.19.2.1:40000"));
  CHECK_FALSE(routable_for("tcp://198.19.0.11:7700", "relay://a@198.18.0.10:7000/b"));
  // Global addresses and relay endpoints to everyone.
  CHECK(routable_for("tcp://8.8.8.8:7700", "tcp://127.0.0.1:1"));
  CHECK(routable_for("relay://a@198.18.0.10:7000/b", "tcp://198.19.0.12:40000"));
}

TEST_CASE("neighbours: bounded dials, inbound bound, backoff after refusal and network diversity") {
  Neighbours::Options o;
  o.want_out = 3;
  o.max_in = 2;
  o.max_dialing = 2;
  o.refused_backoff_ms = 1000;
  o.failed_backoff_ms = 500;
  Neighbours n(o);
  std::vector<Neighbours::Candidate> c = {{"a", "198.18.0"}, {"b", "198.18.0"}, {"c", "198.19.0"}, {"d", "198.20.0"}};
  auto first = n.to_dial(c, 0);
  CHECK(first.size() == 2);  // max_dialing
  CHECK(n.to_dial(c, 0).empty());
  CHECK(n.accepted(first[0], "198.18.0"));
  n.refused(first[1], 0);
  // Next: the refused one is backed off; one from a network without a neighbour goes first.
  auto second = n.to_dial(c, 10);
  CHECK(first == std::vector<std::string>{"a", "b"});
  CHECK(second == std::vector<std::string>{"c", "d"});
  // With a neighbour on 198.18.0, a candidate of another network goes before a second one there.
  Neighbours m(o);
  REQUIRE(m.to_dial({{"a", "198.18.0"}}, 0).size() == 1);
  CHECK(m.accepted("a", "198.18.0"));
  CHECK(m.to_dial({{"b", "198.18.0"}, {"c", "198.19.0"}}, 0) == std::vector<std::string>{"c", "b"});
  CHECK(n.accepted(second[0], "x"));
  CHECK(n.accepted(second[1], "y"));
  CHECK(n.out_count() == 3);
  CHECK_FALSE(n.accepted("e", "z"));  // no slot left
  CHECK(n.to_dial(c, 2000).empty());  // full
  // Inbound: bounded by max_in; one already an outbound neighbour counts once.
  CHECK(n.accept_inbound(second[0], "x"));
  CHECK(n.accept_inbound("p", "n1"));
  CHECK(n.accept_inbound("q", "n2"));
  CHECK_FALSE(n.accept_inbound("r", "n3"));
  CHECK(n.in_count() == 2);
  CHECK(n.lost("p"));
  CHECK_FALSE(n.lost("p"));
  CHECK(n.accept_inbound("r", "n3"));
  // Losing an outbound neighbour frees its slot; the refused one is eligible after its backoff.
  CHECK(n.lost(first[0]));
  auto third = n.to_dial(c, 2000);
  CHECK(third.size() == 1);
  CHECK(Neighbours::network_key("relay://abc@198.18.0.10:7000/def") == "relay:abc");
  CHECK(Neighbours::network_key("tcp://[fd00:1:2:3:4::1]:7") == "fd00:1:2:3");
}

TEST_CASE("exchange ledger: entries per peer, bounded, expiring, and the check budget") {
  ExchangeLedger::Limits l;
  l.max_peers = 2;
  l.expiry_ms = 1000;
  ExchangeLedger led(l);
  bool first = false;
  led.touch("a", 0, first).news_cursor = 7;
  CHECK(first);
  CHECK(led.touch("a", 10, first).news_cursor == 7);
  CHECK_FALSE(first);
  led.touch("b", 20, first);
  led.touch("c", 30, first);  // full: "a" (touched longest ago) goes
  CHECK(led.size() == 2);
  CHECK(led.find("a") == nullptr);
  led.touch("c", 1500, first);  // "b" untouched for over 1 s expired
  CHECK(led.find("b") == nullptr);
  led.forget("c");
  CHECK(led.size() == 0);
  butter::TokenBucket budget(2, 3, 0);  // the record check budget
  int taken = 0;
  for (int i = 0; i < 10; ++i) taken += budget.take(0);
  CHECK(taken == 3);        // the burst
  CHECK(budget.take(500));  // 1 more after 0.5 s at 2/s
  CHECK_FALSE(budget.take(500));
}

TEST_CASE("record store news: new and moved records are news once, re-signed copies are not, only young news travels") {
  RecordStore::Limits lim;
  lim.capacity = 8;
  lim.news_ttl_ms = 1000;
  lim.min_move_interval_ms = 200;
  RecordStore store(lim);
  auto rec = [](std::uint8_t who, std::uint64_t seq, const std::string& ep) {
    PeerRecord r;
    r.id.fill(who);
    r.seq = seq;
    r.issued_ms = seq;
    r.endpoints.push_back({ep, endpoint_hash(ep)});
    return r;
  };
  bool news = false;
  CHECK(store.offer(rec(1, 100, "tcp://198.51.100.1:1"), 100, "peerA", &news) == RecordOffer::Accepted);
  CHECK(news);
  CHECK(store.offer(rec(1, 100, "tcp://198.51.100.1:1"), 100, "peerB", &news) == RecordOffer::Stale);
  CHECK(store.check(rec(1, 100, "tcp://198.51.100.1:1"), 100) == RecordOffer::Stale);
  CHECK(store.offer(rec(1, 200, "tcp://198.51.100.1:1"), 200, "peerB", &news) == RecordOffer::Accepted);
  CHECK_FALSE(news);  // re-signed, same endpoints
  CHECK(store.offer(rec(2, 300, "tcp://198.51.100.2:1"), 300, "peerB", &news) == RecordOffer::Accepted);
  CHECK(news);
  CHECK(store.offer(rec(1, 400, "tcp://198.51.100.9:1"), 400, "peerB", &news) == RecordOffer::Accepted);
  CHECK(news);  // moved
  // A peer with cursor 0 gets the news in order, not what it sent us itself.
  std::uint64_t cursor = 0;
  auto to_c = store.news_since(cursor, 8, "peerC", 500);
  CHECK(to_c.size() == 2);
  CHECK(store.news_since(cursor, 8, "peerC", 500).empty());
  CHECK_FALSE(store.news_after(cursor, 500));
  std::uint64_t cursor_b = 0;
  CHECK(store.news_since(cursor_b, 8, "peerB", 500).empty());  // all of it came from peerB
  // Old news is not passed on.
  std::uint64_t late = 0;
  CHECK(store.news_since(late, 8, "peerD", 5000).empty());
  CHECK_FALSE(store.news_after(0, 5000));
}

TEST_CASE("record store news: a node that moves again within min_move_interval is kept quietly, not news") {
  RecordStore::Limits lim;
  lim.news_ttl_ms = 1000;
  lim.min_move_interval_ms = 60 * 1000;
  RecordStore store(lim);
  auto rec = [](std::uint64_t seq, const std::string& ep) {
    PeerRecord r;
    r.id.fill(7);
    r.seq = seq;
    r.issued_ms = seq;
    r.endpoints.push_back({ep, endpoint_hash(ep)});
    return r;
  };
  bool news = false;
  REQUIRE(store.offer(rec(1000, "tcp://198.51.100.1:1"), 1000, "peerA", &news) == RecordOffer::Accepted);
  CHECK(news);
  // Re-signed with new endpoints a few seconds later, again and again: held (the newest wins), not news.
  for (std::uint64_t t = 2000; t < 60000; t += 5000) {
    REQUIRE(store.offer(rec(t, "tcp://198.51.100.1:" + std::to_string(t)), t, "peerA", &news) == RecordOffer::Accepted);
    CHECK_FALSE(news);
    CHECK(store.find(rec(t, "").id_hex())->seq == t);
  }
  // A move a minute after it last was news is news again.
  REQUIRE(store.offer(rec(62000, "tcp://198.51.100.2:1"), 62000, "peerA", &news) == RecordOffer::Accepted);
  CHECK(news);
}
