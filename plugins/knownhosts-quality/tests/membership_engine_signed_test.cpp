// The MembershipEngine with real Ed25519 signatures (libsodium, the bytes the host signs): what a
// hostile peer's exchange can and cannot make a node hold. The fake environment of
// membership_engine_test.cpp accepts every signature; this one checks them.
#include "membership_engine.hpp"

#include <catch2/catch.hpp>
#include <sodium.h>

#include <string>

using namespace butter::knownhosts;

namespace {

constexpr std::uint64_t kSignedNow = 1'800'000'000'000;

std::vector<std::uint8_t> framed(const std::vector<std::uint8_t>& m) {
  std::string prefix = std::string("butter/sign/1") + '\0' + kRecordContext + '\0';
  std::vector<std::uint8_t> out(prefix.begin(), prefix.end());
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

// Node i's key pair, from a seed made of i: the same keys every run.
struct SignerKey {
  std::array<std::uint8_t, 32> pk{};
  std::array<std::uint8_t, 64> sk{};
  explicit SignerKey(unsigned i) {
    REQUIRE(sodium_init() >= 0);
    std::array<std::uint8_t, crypto_sign_SEEDBYTES> seed{};
    seed[0] = static_cast<std::uint8_t>(i);
    seed[1] = static_cast<std::uint8_t>(i >> 8);
    crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  }
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>& m) const {
    std::array<std::uint8_t, 64> sig{};
    const auto f = framed(m);
    crypto_sign_detached(sig.data(), nullptr, f.data(), f.size(), sk.data());
    return sig;
  }
  std::string id() const {
    PeerRecord r;
    r.id = pk;
    return r.id_hex();
  }
};

std::string signed_endpoint_of(unsigned i) { return "tcp://127.0.1." + std::to_string(i % 250 + 1) + ":7000"; }

// Node `i`'s record at `seq`, signed by `signer` (node i itself unless forged).
PeerRecord record(unsigned i, std::uint64_t seq, unsigned signer, std::uint64_t issued = kSignedNow) {
  const SignerKey k(i), s(signer);
  return make_record(k.pk, seq, issued, {signed_endpoint_of(i)},
                     [&s](const std::vector<std::uint8_t>& m) { return s.sign(m); });
}

class SignedEnv final : public MembershipEnv {
 public:
  std::uint64_t now = 1000;
  std::uint64_t now_ms() override { return now; }
  std::uint64_t unix_ms() override { return kSignedNow + now; }
  std::vector<PeerLink> peers() override { return {}; }
  ConnLimits conn_limits() override { return {8, 32, 0}; }
  std::vector<std::string> own_endpoints() override { return {signed_endpoint_of(0)}; }
  Quality own_quality() override { return {}; }
  bool can_sign() override { return true; }
  std::array<std::uint8_t, 32> public_key() override { return key_.pk; }
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>& m) override { return key_.sign(m); }
  bool verify(const PeerRecord& rec) override {
    return verify_record(rec, [](const std::array<std::uint8_t, 32>& key, const std::vector<std::uint8_t>& m,
                                 const std::array<std::uint8_t, 64>& sig) {
      const auto f = framed(m);
      return crypto_sign_verify_detached(sig.data(), f.data(), f.size(), key.data()) == 0;
    });
  }
  bool send_probe(const std::string&, const std::vector<std::uint8_t>&, std::string&) override { return true; }
  bool send_exchange(const std::string&, const std::vector<std::uint8_t>&, bool, std::string&) override { return true; }
  void protect(const std::string&) override {}
  void unprotect(const std::string&) override {}
  void schedule_exchange(std::uint64_t) override {}
  void count(Metric m, std::uint64_t n) override { counted[static_cast<std::size_t>(m)] += n; }
  std::array<std::uint64_t, static_cast<std::size_t>(Metric::Count_)> counted{};
  std::uint64_t counted_of(Metric m) const { return counted[static_cast<std::size_t>(m)]; }

 private:
  SignerKey key_{0};
};

EngineReply send(MembershipEngine& node, unsigned from, const std::vector<PeerRecord>& recs) {
  Exchange e;
  for (const auto& r : recs) e.records.push_back(r.encode());
  const auto b = encode_exchange(e);
  return node.handle_exchange(SignerKey(from).id(), b.data(), b.size());
}

}  // namespace

TEST_CASE("MembershipEngine signed: forged records, a replayed older seq and a future timestamp are not held") {
  SignedEnv env;
  MembershipEngine node(env, SignerKey(0).id(), MembershipConfig{}, 1);
  node.start();

  SECTION("a third party's record signed by the peer that relays it") {
    REQUIRE(send(node, 1, {record(1, kSignedNow, 1), record(2, kSignedNow, 1)}).status == BUTTER_OK);
    CHECK(node.records().find(SignerKey(1).id()) != nullptr);  // the sender's own record is genuine
    CHECK(node.records().find(SignerKey(2).id()) == nullptr);
    CHECK(node.cache().find(SignerKey(2).id()) == nullptr);
    CHECK(env.counted_of(Metric::RecordsRefused) == 1);
  }
  SECTION("the sender's own record signed by another key") {
    REQUIRE(send(node, 1, {record(1, kSignedNow, 3)}).status == BUTTER_OK);
    CHECK(node.records().find(SignerKey(1).id()) == nullptr);
    CHECK(env.counted_of(Metric::RecordsRefused) == 1);
  }
  SECTION("a replayed older seq does not replace the newer record") {
    const PeerRecord newer = make_record(SignerKey(1).pk, kSignedNow + 10, kSignedNow + 10, {"tcp://127.0.1.99:7000"},
                                         [](const std::vector<std::uint8_t>& m) { return SignerKey(1).sign(m); });
    REQUIRE(send(node, 1, {newer}).status == BUTTER_OK);
    env.now += 1000;
    REQUIRE(send(node, 1, {record(1, kSignedNow, 1)}).status == BUTTER_OK);
    const PeerRecord* held = node.records().find(SignerKey(1).id());
    REQUIRE(held != nullptr);
    CHECK(held->seq == kSignedNow + 10);
    CHECK(env.counted_of(Metric::RecordsRefused) == 0);  // stale: dropped quietly
  }
  SECTION("a record issued far in the future") {
    const std::uint64_t future = kSignedNow + 24 * 3600 * 1000ULL;
    REQUIRE(send(node, 1, {record(1, future, 1, future)}).status == BUTTER_OK);
    CHECK(node.records().find(SignerKey(1).id()) == nullptr);
    CHECK(env.counted_of(Metric::RecordsRefused) == 1);
  }
}

TEST_CASE("MembershipEngine signed: an exchange of more than kMaxExchangeRecords records is refused whole") {
  SignedEnv env;
  MembershipEngine node(env, SignerKey(0).id(), MembershipConfig{}, 1);
  node.start();
  // encode_exchange never writes more than kMaxExchangeRecords: a hostile peer's bytes are made
  // by hand — sixteen records, the count raised to seventeen and the first record's bytes again.
  Exchange e;
  for (unsigned i = 1; i <= kMaxExchangeRecords; ++i) e.records.push_back(record(i, kSignedNow, i).encode());
  auto bytes = encode_exchange(e);
  REQUIRE(bytes.size() > 3);
  REQUIRE(bytes[2] == kMaxExchangeRecords);  // version, flags, count, then each record
  bytes[2] = static_cast<std::uint8_t>(kMaxExchangeRecords + 1);
  const std::size_t first_len = 2 + e.records[0].size();  // its 16-bit length, then the record
  std::vector<std::uint8_t> again(bytes.begin() + 3, bytes.begin() + 3 + static_cast<std::ptrdiff_t>(first_len));
  bytes.insert(bytes.end(), again.begin(), again.end());
  const EngineReply r = node.handle_exchange(SignerKey(1).id(), bytes.data(), bytes.size());
  CHECK(r.status == BUTTER_E_INVALID);
  CHECK_FALSE(r.error.empty());
  CHECK(node.records().size() == 0);
  CHECK(env.counted_of(Metric::Malformed) == 1);
}
