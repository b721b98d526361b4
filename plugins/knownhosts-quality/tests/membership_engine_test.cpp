// The MembershipEngine on a fake environment: what a first contact is sent (commit 5c67a47: an
// inbound first contact gets the full sample, not only news), and rumour mongering (each news
// item to at most news_fanout peers, at most news_per_min news records a minute).
#include "membership_engine.hpp"
#include "record_fixtures.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

using namespace butter::knownhosts;
using namespace butter::knownhosts::test_fixtures;

namespace {

// A node's surroundings with nothing connected: it records what the engine sends.
class FakeEnv final : public MembershipEnv {
 public:
  explicit FakeEnv(unsigned self) : self_(self) {}
  std::uint64_t now = 1000;
  std::vector<PeerLink> links;
  std::map<std::string, std::vector<std::uint8_t>> exchanges_sent;  // the last one per peer
  std::vector<std::string> records_sent;                            // the ids of every record sent, in order
  std::map<std::string, std::vector<std::string>> records_to;       // and per receiver
  std::vector<std::string> own_eps;                                 // empty: endpoint_of(self)
  std::uint64_t now_ms() override { return now; }
  std::uint64_t unix_ms() override { return kUnix + now; }
  std::vector<PeerLink> peers() override { return links; }
  ConnLimits conn_limits() override { return {8, 32, links.size()}; }
  std::vector<std::string> own_endpoints() override {
    return own_eps.empty() ? std::vector<std::string>{endpoint_of(self_)} : own_eps;
  }
  Quality own_quality() override { return {}; }
  bool can_sign() override { return true; }
  std::array<std::uint8_t, 32> public_key() override { return key_of(self_); }
  std::array<std::uint8_t, 64> sign(const std::vector<std::uint8_t>&) override { return {}; }
  bool verify(const PeerRecord&) override { return true; }
  bool send_probe(const std::string&, const std::vector<std::uint8_t>&, std::string&) override { return true; }
  bool send_exchange(const std::string& id, const std::vector<std::uint8_t>& bytes, bool, std::string&) override {
    exchanges_sent[id] = bytes;
    std::string why;
    if (auto e = decode_exchange(bytes.data(), bytes.size(), why))
      for (const auto& r : e->records)
        if (auto rec = parse_record(r.data(), r.size(), why)) {
          records_sent.push_back(rec->id_hex());
          records_to[id].push_back(rec->id_hex());
        }
    return true;
  }
  void protect(const std::string&) override {}
  void unprotect(const std::string&) override {}
  void release(const std::string& id) override { released.push_back(id); }
  void schedule_exchange(std::uint64_t) override {}
  std::vector<std::string> released;  // hosts the engine said it is done with

 private:
  unsigned self_;
};

Exchange decoded(const std::vector<std::uint8_t>& bytes) {
  std::string why;
  auto e = decode_exchange(bytes.data(), bytes.size(), why);
  REQUIRE(e);
  return *e;
}

// A peer's exchange with its own record, asking for a sample as a node new to us does (version 2).
std::vector<std::uint8_t> request_from(unsigned i) {
  Exchange e;
  e.want_sample = true;
  e.records.push_back(record_of(i).encode());
  return encode_exchange(e);
}

PeerLink link_to(unsigned i) { return {id_of(i), endpoint_of(i), {endpoint_of(i)}}; }

std::size_t count_of(const std::vector<std::string>& ids, const std::string& id) {
  return static_cast<std::size_t>(std::count(ids.begin(), ids.end(), id));
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

TEST_CASE("MembershipEngine: a news item goes to at most news_fanout chosen peers, whoever polls us") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.rumour.fanout = 2;
  cfg.rumour.news_per_min = 600;  // not the limit here
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  // Five connected acquaintances known from before (their records are not news), each has had its
  // first exchange; then one piece of news from peer 50.
  for (unsigned p = 1; p <= 5; ++p) {
    node.restore(record_of(p));
    env.links.push_back(link_to(p));
  }
  for (unsigned p = 1; p <= 5; ++p) {
    const auto b = request_from(p);
    REQUIRE(node.handle_exchange(id_of(p), b.data(), b.size()).status == BUTTER_OK);
  }
  env.now += 1000;
  const auto news = request_from(50);
  REQUIRE(node.handle_exchange(id_of(50), news.data(), news.size()).status == BUTTER_OK);
  // Three sybils poll us as often as we answer: their answers carry no news, so they use up
  // neither the item's fan-out nor the budget.
  for (unsigned s = 60; s <= 62; ++s) {
    const auto b = request_from(s);
    REQUIRE(node.handle_exchange(id_of(s), b.data(), b.size()).status == BUTTER_OK);
  }
  for (int round = 0; round < 10; ++round) {
    env.now += 500;
    for (unsigned s = 60; s <= 62; ++s) {
      const auto b = encode_exchange(Exchange{});
      EngineReply r = node.handle_exchange(id_of(s), b.data(), b.size());
      REQUIRE(r.status == BUTTER_OK);
      CHECK(decoded(r.bytes).records.empty());
    }
  }
  // The node's own exchanges with its peers pass the news on: to two of them, not more.
  for (int tick = 0; tick < 20; ++tick) {
    env.now += 1000;
    node.exchange_timer();
  }
  CHECK(count_of(env.records_sent, id_of(50)) == 2);
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
    env.links.push_back(link_to(p));
    const auto b = request_from(p);
    REQUIRE(node.handle_exchange(id_of(p), b.data(), b.size()).status == BUTTER_OK);
  }
  // Two minutes of heavy news: 2 new hosts a second, while the node exchanges with one of its ten
  // peers every second.
  const std::size_t before = env.records_sent.size();
  std::size_t first_minute = 0;
  unsigned next = 1000;
  for (int s = 0; s < 120; ++s) {
    if (s == 60) first_minute = env.records_sent.size() - before;
    env.now += 1000;
    for (int k = 0; k < 2; ++k) {
      const auto b = request_from(next++);
      node.handle_exchange(id_of(next - 1), b.data(), b.size());
    }
    node.exchange_timer();
  }
  const std::size_t second_minute = env.records_sent.size() - before - first_minute;
  // The budget: a burst of one exchange's worth, then 6 a minute.
  CHECK(first_minute <= cfg.exchange_size + cfg.rumour.news_per_min + 1);
  CHECK(first_minute >= cfg.rumour.news_per_min);
  // Once the burst is spent, the rate itself.
  CHECK(second_minute <= cfg.rumour.news_per_min + 1);
  CHECK(second_minute + 1 >= cfg.rumour.news_per_min);
}

TEST_CASE(
    "MembershipEngine: relayed news cannot starve records sent by their owner, nor the node's own changed record") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.rumour.fanout = 64;
  cfg.rumour.news_per_min = 6;
  cfg.exchange_size = 8;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  for (unsigned p = 1; p <= 5; ++p) {
    env.links.push_back(link_to(p));
    const auto b = request_from(p);
    REQUIRE(node.handle_exchange(id_of(p), b.data(), b.size()).status == BUTTER_OK);
  }
  // Peer 1 relays twenty new hosts at once, then node 70 sends its own record.
  env.now += 1000;
  Exchange flood;
  for (unsigned i = 2000; i < 2020; ++i) flood.records.push_back(record_of(i).encode());
  const auto fb = encode_exchange(flood);
  REQUIRE(node.handle_exchange(id_of(1), fb.data(), fb.size()).status == BUTTER_OK);
  const auto own = request_from(70);
  REQUIRE(node.handle_exchange(id_of(70), own.data(), own.size()).status == BUTTER_OK);
  for (int tick = 0; tick < 5; ++tick) {
    env.now += 1000;
    node.exchange_timer();
  }
  CHECK(count_of(env.records_sent, id_of(70)) >= 1);
  std::size_t relayed = 0;
  for (unsigned i = 2000; i < 2020; ++i) relayed += count_of(env.records_sent, id_of(i));
  CHECK(relayed >= 1);
  CHECK(relayed <= cfg.exchange_size / 2 + 1);

  // The budget is spent now; the node's endpoints change: its new record still goes out.
  env.own_eps = {"tcp://127.9.9.9:7000"};
  const std::size_t mine = count_of(env.records_sent, id_of(0));
  env.now += 1000;
  node.exchange_timer();
  CHECK(count_of(env.records_sent, id_of(0)) == mine + 1);
}

TEST_CASE("MembershipEngine: a first contact's sample holds no record whose host the admission bounds refused") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.exchange_size = 8;
  MembershipEngine server(env, id_of(0), cfg, 1);
  server.start();
  // Peer 9 relays ten hosts that all sign one public address: per_address (2) admits two of them;
  // the other records stay held (they are valid) but must not be handed on.
  Exchange sybils;
  for (unsigned i = 3000; i < 3010; ++i)
    sybils.records.push_back(
        make_record(key_of(i), kUnix, kUnix, {"tcp://198.51.100.7:" + std::to_string(i)},
                    [](const std::vector<std::uint8_t>&) { return std::array<std::uint8_t, 64>{}; })
            .encode());
  const auto sb = encode_exchange(sybils);
  REQUIRE(server.handle_exchange(id_of(9), sb.data(), sb.size()).status == BUTTER_OK);
  REQUIRE(server.cache().size() <= 3);  // peer 9 itself and two of the ten

  // A newcomer from a public address: its sample may only hold the two admitted.
  env.links.push_back({id_of(100), "tcp://203.0.113.5:7000", {"tcp://203.0.113.5:7000"}});
  const auto nb = request_from(100);
  EngineReply r = server.handle_exchange(id_of(100), nb.data(), nb.size());
  REQUIRE(r.status == BUTTER_OK);
  std::size_t sybils_sent = 0;
  std::string why;
  for (const auto& bytes : decoded(r.bytes).records)
    if (auto rec = parse_record(bytes.data(), bytes.size(), why);
        rec && rec->endpoints.size() == 1 && rec->endpoints[0].uri &&
        rec->endpoints[0].uri->rfind("tcp://198.51.100.7:", 0) == 0)
      ++sybils_sent;
  CHECK(sybils_sent >= 1);
  CHECK(sybils_sent <= 2);
}

TEST_CASE("MembershipEngine: a news item pushed in an exchange that failed gets its fan-out back") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.rumour.fanout = 1;
  cfg.rumour.news_per_min = 600;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  for (unsigned p = 1; p <= 3; ++p) {
    node.restore(record_of(p));
    env.links.push_back(link_to(p));
    const auto b = request_from(p);
    REQUIRE(node.handle_exchange(id_of(p), b.data(), b.size()).status == BUTTER_OK);
  }
  env.now += 1000;
  const auto news = request_from(50);
  REQUIRE(node.handle_exchange(id_of(50), news.data(), news.size()).status == BUTTER_OK);
  // The first push: to one peer, whose exchange then fails (nothing arrived).
  std::string first_to;
  for (int tick = 0; tick < 10 && first_to.empty(); ++tick) {
    env.now += 1000;
    node.exchange_timer();
    for (const auto& [peer, bytes] : env.exchanges_sent)
      for (const auto& r : decoded(bytes).records) {
        std::string why;
        if (auto rec = parse_record(r.data(), r.size(), why); rec && rec->id_hex() == id_of(50)) first_to = peer;
      }
  }
  REQUIRE_FALSE(first_to.empty());
  REQUIRE(count_of(env.records_sent, id_of(50)) == 1);
  node.on_exchange_result(first_to, false, false, nullptr, 0, "connection reset");
  // With its fan-out back, a later exchange passes it on to another peer (the failed one is a
  // first contact again and gets it in its sample, which is not news).
  auto others_told = [&] {
    std::size_t n = 0;
    for (const auto& [peer, ids] : env.records_to)
      if (peer != first_to) n += count_of(ids, id_of(50));
    return n;
  };
  REQUIRE(others_told() == 0);
  for (int tick = 0; tick < 30 && others_told() == 0; ++tick) {
    env.now += 1000;
    node.exchange_timer();
  }
  CHECK(others_told() == 1);
}

TEST_CASE(
    "MembershipEngine: in version 2 a sample goes only to a peer that asks, one per sample interval, and version 1 as "
    "before") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.exchange_size = 8;
  MembershipEngine server(env, id_of(0), cfg, 1);
  server.start();
  for (unsigned i = 1; i <= 20; ++i) server.restore(record_of(i));
  auto ask = [&](unsigned from, bool want, std::uint8_t version = kExchangeV2) {
    Exchange e;
    e.version = version;
    e.want_sample = want;
    e.records.push_back(record_of(from).encode({}, version));
    const auto b = encode_exchange(e);
    EngineReply r = server.handle_exchange(id_of(from), b.data(), b.size());
    REQUIRE(r.status == BUTTER_OK);
    return decoded(r.bytes);
  };
  // A peer that does not ask gets our own record only (it is new to us), however new it is.
  const Exchange quiet = ask(100, false);
  CHECK(quiet.version == kExchangeV2);
  REQUIRE(quiet.records.size() == 1);
  std::string why;
  CHECK(parse_record(quiet.records[0].data(), quiet.records[0].size(), why)->id_hex() == id_of(0));
  // One that asks gets a full sample, in the compact record form...
  const Exchange asked = ask(101, true);
  CHECK(asked.records.size() == cfg.exchange_size);
  for (const auto& r : asked.records) CHECK(r.front() == kRecordV2);
  // ...and no other before the interval is over, however often it asks.
  env.now += 1000;
  CHECK(ask(101, true).records.empty());
  env.now += cfg.sample_interval_ms;
  CHECK(ask(101, true).records.size() == cfg.exchange_size);
  // A version-1 peer (a node from before): answered in version 1, a full sample at first contact.
  const Exchange old = ask(102, false, kExchangeV1);
  CHECK(old.version == kExchangeV1);
  CHECK(old.records.size() == cfg.exchange_size);
  for (const auto& r : old.records) CHECK(r.front() == kRecordV1);
}

TEST_CASE(
    "MembershipEngine: a node asks for samples at first contacts while its cache is small, then within its budget") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.sample_until = 32;
  cfg.samples_per_min = 1;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  auto exchange_with_only = [&](unsigned p) {
    env.links = {link_to(p)};
    env.now += 1000;
    node.exchange_timer();
    REQUIRE(env.exchanges_sent.count(id_of(p)));
    const Exchange e = decoded(env.exchanges_sent[id_of(p)]);
    CHECK(e.version == kExchangeV2);
    CHECK(e.records.size() <= 1);  // our own record; never a sample pushed unasked
    return e.want_sample;
  };
  CHECK(exchange_with_only(1));  // a newcomer: it asks its first contacts
  CHECK(exchange_with_only(2));
  for (unsigned i = 10; i < 50; ++i) node.restore(record_of(i));
  REQUIRE(node.cache().size() >= cfg.sample_until);
  // Fed: one ask a minute (samples_per_min), whoever it meets, over ten minutes of exchanges once
  // a second with a new peer each time (the budget starts part-filled at random).
  std::size_t asks = 0;
  for (unsigned p = 100; p < 700; ++p) asks += exchange_with_only(p) ? 1 : 0;
  CHECK(asks >= 9);
  CHECK(asks <= 11);
}

TEST_CASE(
    "MembershipEngine: a peer whose sample was short gets another once we hold more, not a sample interval later") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.exchange_size = 8;
  MembershipEngine server(env, id_of(0), cfg, 1);
  server.start();
  server.restore(record_of(1));  // a node that has just started: it knows one host
  auto ask = [&](unsigned from) {
    Exchange e;
    e.want_sample = true;
    e.records.push_back(record_of(from).encode({}, kExchangeV2));
    const auto b = encode_exchange(e);
    EngineReply r = server.handle_exchange(id_of(from), b.data(), b.size());
    REQUIRE(r.status == BUTTER_OK);
    return decoded(r.bytes).records.size();
  };
  const std::size_t first = ask(100);
  CHECK(first >= 1);
  CHECK(first < cfg.exchange_size);
  // Nothing new held: no second sample (the interval holds for a short sample too).
  env.now += 2000;
  CHECK(ask(100) == 0);
  // The server meets the network; the newcomer's next ask is answered with what it holds now.
  for (unsigned i = 2; i <= 20; ++i) server.restore(record_of(i));
  env.now += 2000;
  CHECK(ask(100) == cfg.exchange_size);
  // A full sample: the next waits for the sample interval again, however much the server learns.
  for (unsigned i = 21; i <= 40; ++i) server.restore(record_of(i));
  env.now += 2000;
  CHECK(ask(100) == 0);
  env.now += cfg.sample_interval_ms;
  CHECK(ask(100) == cfg.exchange_size);
}

TEST_CASE("MembershipEngine: a node short of neighbours exchanges with connected peers that are not neighbours too") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.neighbours.want_out = 3;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  // Peer 1 chose us as its neighbour (our only one); peer 2 is connected (our bootstrap node, say)
  // but refused to be a neighbour.
  Exchange ask;
  ask.neighbour = true;
  ask.records.push_back(record_of(1).encode({}, kExchangeV2));
  const auto b = encode_exchange(ask);
  REQUIRE(node.handle_exchange(id_of(1), b.data(), b.size()).status == BUTTER_OK);
  REQUIRE(node.neighbours().is_neighbour(id_of(1)));
  env.links = {link_to(1), link_to(2)};
  env.exchanges_sent.clear();
  for (int tick = 0; tick < 6 && !env.exchanges_sent.count(id_of(2)); ++tick) {
    env.now += 1000;
    node.exchange_timer();
  }
  CHECK(env.exchanges_sent.count(id_of(2)) == 1);
}

TEST_CASE("MembershipEngine: a neighbour ask answered busy is asked again after the serve interval, not a backoff") {
  FakeEnv env(0);
  MembershipConfig cfg;
  cfg.neighbours.want_out = 3;
  cfg.neighbours.failed_backoff_ms = 15000;
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  node.restore(record_of(5));
  env.links = {link_to(5)};
  env.now += 1000;
  node.neighbour_tick();
  REQUIRE(node.neighbours().is_dialing(id_of(5)));
  node.on_exchange_result(id_of(5), true, false, nullptr, 0, kExchangeBusy);
  CHECK_FALSE(node.neighbours().is_dialing(id_of(5)));
  env.now += 2 * kExchangeServeIntervalMs;
  node.neighbour_tick();
  CHECK(node.neighbours().is_dialing(id_of(5)));
  // A failure of another kind backs off for failed_backoff_ms.
  node.on_exchange_result(id_of(5), true, false, nullptr, 0, "no route");
  env.now += 2 * kExchangeServeIntervalMs;
  node.neighbour_tick();
  CHECK_FALSE(node.neighbours().is_dialing(id_of(5)));
}

TEST_CASE("MembershipEngine: a probed host is released once its answer is in, not while a retry uses it") {
  FakeEnv env(0);
  MembershipEngine node(env, id_of(0), MembershipConfig{}, 1);
  node.start();
  REQUIRE(node.add_candidate(id_of(5), {endpoint_of(5)}, "test") == BUTTER_OK);  // probed at once (cold start)
  // An old node refuses version 2: probed again in version 1 on the same connection, not released.
  node.on_probe_result(id_of(5), false, nullptr, 0, kQualityRefusesV2);
  CHECK(env.released.empty());
  const auto answer = encode_response(Quality{}, 1);
  node.on_probe_result(id_of(5), true, answer.data(), answer.size(), {});
  CHECK(node.cache().size() == 1);
  CHECK(env.released == std::vector<std::string>{id_of(5)});
}
