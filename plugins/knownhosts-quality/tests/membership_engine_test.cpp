// The MembershipEngine on a fake environment: what a first contact is sent (commit 5c67a47: an
// inbound first contact gets the full sample, not only news), and rumour mongering (each news
// item to at most news_fanout peers, at most news_per_min news records a minute).
#include "membership_engine.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <map>

using namespace butter::knownhosts;

namespace {

constexpr std::uint64_t kUnix = 1'800'000'000'000;

std::string id_of(unsigned i) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", i + 1);
  return hex;
}

std::array<std::uint8_t, 32> key_of(unsigned i) {
  std::array<std::uint8_t, 32> k{};
  const unsigned v = i + 1;
  k[28] = static_cast<std::uint8_t>(v >> 24);
  k[29] = static_cast<std::uint8_t>(v >> 16);
  k[30] = static_cast<std::uint8_t>(v >> 8);
  k[31] = static_cast<std::uint8_t>(v);
  return k;
}

std::string endpoint_of(unsigned i) { return "tcp://127.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + ":7000"; }

// A record of node i (signatures are not checked here: FakeEnv::verify says yes).
PeerRecord record_of(unsigned i, std::uint64_t issued = kUnix) {
  return make_record(key_of(i), issued, issued, {endpoint_of(i)}, [](const std::vector<std::uint8_t>&) {
    return std::array<std::uint8_t, 64>{};
  });
}

// A node's surroundings with nothing connected: it records what the engine sends.
class FakeEnv final : public MembershipEnv {
 public:
  explicit FakeEnv(unsigned self) : self_(self) {}
  std::uint64_t now = 1000;
  std::vector<PeerLink> links;
  std::map<std::string, std::vector<std::uint8_t>> exchanges_sent;
  std::uint64_t now_ms() override { return now; }
  std::uint64_t unix_ms() override { return kUnix + now; }
  std::vector<PeerLink> peers() override { return links; }
  ConnLimits conn_limits() override { return {8, 32, links.size()}; }
  std::vector<std::string> own_endpoints() override { return {endpoint_of(self_)}; }
  Quality own_quality() override { return {}; }
  bool can_sign() override { return true; }
  std::array<std::uint8_t, 32> public_key() override { return key_of(self_); }
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>&) override { return {}; }
  bool verify(const PeerRecord&) override { return true; }
  bool send_probe(const std::string&, const std::vector<std::uint8_t>&, std::string&) override { return true; }
  bool send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool, std::string&) override {
    exchanges_sent[id] = bytes;
    return true;
  }
  void protect(const std::string&) override {}
  void unprotect(const std::string&) override {}
  void schedule_exchange(std::uint64_t) override {}

 private:
  unsigned self_;
};

Exchange decoded(const std::vector<std::uint8_t>& bytes) {
  std::string why;
  auto e = decode_exchange(bytes.data(), bytes.size(), why);
  REQUIRE(e);
  return *e;
}

std::vector<std::uint8_t> request_from(unsigned i) {
  Exchange e;
  e.records.push_back(record_of(i).encode());
  return encode_exchange(e);
}

}  // namespace

TEST_CASE("MembershipEngine: a node that dials in learns the full sample on its first exchange, then only news") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.exchange_size = 8;
  MembershipEngine server(env, id_of(0), cfg, 1);
  server.start();
  // The server has known 20 hosts for a while: none of them is news any more.
  for (unsigned i = 1; i <= 20; ++i) server.restore(record_of(i));
  REQUIRE(server.cache().size() == 20);

  // Node 100 dials in: a first contact, so a full sample (the server's own record and 7 others).
  const auto bytes = request_from(100);
  EngineReply first = server.handle_exchange(id_of(100), bytes.data(), bytes.size());
  REQUIRE(first.status == BUTTER_OK);
  const Exchange a = decoded(first.bytes);
  CHECK(a.records.size() == cfg.exchange_size);

  // Its next exchange: an acquaintance, with no news since — nothing but the empty answer.
  env.now += 1000;
  EngineReply second = server.handle_exchange(id_of(100), bytes.data(), bytes.size());
  REQUIRE(second.status == BUTTER_OK);
  CHECK(decoded(second.bytes).records.empty());
}

TEST_CASE("MembershipEngine: a news item goes to at most news_fanout peers, within news_per_min") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.rumour.fanout = 2;
  cfg.rumour.news_per_min = 600;  // not the limit here
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  // Five acquaintances known from before (their records are not news), each has had its first
  // exchange; then one piece of news from peer 50.
  for (unsigned p = 1; p <= 5; ++p) node.restore(record_of(p));
  for (unsigned p = 1; p <= 5; ++p) {
    const auto b = request_from(p);
    REQUIRE(node.handle_exchange(id_of(p), b.data(), b.size()).status == BUTTER_OK);
  }
  env.now += 1000;
  const auto news = request_from(50);
  REQUIRE(node.handle_exchange(id_of(50), news.data(), news.size()).status == BUTTER_OK);
  env.now += 1000;
  std::size_t told = 0;
  for (unsigned p = 1; p <= 5; ++p) {
    const auto b = encode_exchange(Exchange{});
    EngineReply r = node.handle_exchange(id_of(p), b.data(), b.size());
    REQUIRE(r.status == BUTTER_OK);
    told += decoded(r.bytes).records.size();
  }
  CHECK(told == 2);
}

TEST_CASE("MembershipEngine: news records sent per minute stay within news_per_min however much news arrives") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.rumour.fanout = 64;
  cfg.rumour.news_per_min = 6;
  cfg.exchange_size = 8;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  for (unsigned p = 1; p <= 10; ++p) {
    const auto b = request_from(p);
    REQUIRE(node.handle_exchange(id_of(p), b.data(), b.size()).status == BUTTER_OK);
  }
  // A minute of heavy news: 100 new hosts, while the ten acquaintances exchange every second.
  std::size_t sent = 0;
  unsigned next = 1000;
  for (int s = 0; s < 60; ++s) {
    env.now += 1000;
    for (int k = 0; k < 2; ++k) {
      const auto b = request_from(next++);
      node.handle_exchange(id_of(next - 1), b.data(), b.size());
    }
    for (unsigned p = 1; p <= 10; ++p) {
      const auto b = encode_exchange(Exchange{});
      EngineReply r = node.handle_exchange(id_of(p), b.data(), b.size());
      if (r.status == BUTTER_OK) sent += decoded(r.bytes).records.size();
    }
  }
  // The budget: a burst of one exchange's worth, then 6 a minute.
  CHECK(sent <= cfg.exchange_size + cfg.rumour.news_per_min + 1);
  CHECK(sent >= cfg.rumour.news_per_min);
}
