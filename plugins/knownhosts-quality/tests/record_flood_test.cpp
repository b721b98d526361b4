// Records made up in bulk (fresh keys cost nothing): dated in the future within the allowed clock
// skew, sent by one peer, they must not push the records of hosts that talked to this node out of
// the record store (whose records a newcomer's sample is drawn from: an eclipse), nor live longer
// than honest ones.
#include "membership_engine.hpp"
#include "quality_message.hpp"
#include "record_fixtures.hpp"
#include "record_store.hpp"
#include "scripted_env.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace butter::knownhosts;
using namespace butter::knownhosts::test_fixtures;

namespace {

constexpr std::uint64_t kNineMinutes = 9 * 60 * 1000;

MembershipConfig flood_config() {
  MembershipConfig cfg;
  cfg.capacity = 16;
  cfg.probation_max = 0;           // the record store holds 16 records
  cfg.record_checks_per_s = 1000;  // the signature check budget is not what these tests are about
  return cfg;
}

// Node i asks for our quality now (it answered us, in the cache's terms: observed from now on).
void asks_quality(MembershipEngine& node, unsigned i) {
  QualityRequest q;
  q.endpoints = {endpoint_of(i)};
  const auto b = encode_request(q);
  REQUIRE(node.handle_quality_request(id_of(i), b.data(), b.size(), endpoint_of(i)).status == BUTTER_OK);
}

}  // namespace

TEST_CASE("Record flood: future-dated records from one peer do not push out the records of hosts that talked to us") {
  ScriptedEnv env(0);
  MembershipEngine node(env, id_of(0), flood_config(), 1);
  node.start();
  // Twelve hosts this node has watched answer for over a minute (the cache keeps them whatever
  // fresh ids claim) exchange with us, each sending its own record, signed a second ago.
  for (unsigned i = 1; i <= 12; ++i) asks_quality(node, i);
  env.now += 61 * 1000;
  for (unsigned i = 1; i <= 12; ++i) asks_quality(node, i);
  for (unsigned i = 1; i <= 12; ++i)
    REQUIRE(exchange_from(node, i, {record_of(i, env.unix_ms() - 1000)}).status == BUTTER_OK);
  // Peer 900 sends sixteen records of fresh keys every 600 ms, each dated nine minutes ahead.
  unsigned next = 1000;
  for (int round = 0; round < 10; ++round) {
    env.now += 600;
    std::vector<PeerRecord> flood;
    for (int k = 0; k < 16; ++k) flood.push_back(record_of(next++, env.unix_ms() + kNineMinutes));
    REQUIRE(exchange_from(node, 900, flood).status == BUTTER_OK);
  }
  for (unsigned i = 1; i <= 12; ++i) CHECK(node.records().find(id_of(i)) != nullptr);
  std::size_t made_up = 0;
  for (unsigned j = 1000; j < next; ++j) made_up += node.records().find(id_of(j)) != nullptr;
  CHECK(made_up <= 16 / 4);  // one source holds at most a quarter of the store

  // A newcomer (connected) still gets a sample naming hosts that talked to us.
  env.now += 600;
  env.connect(500);
  Exchange ask;
  ask.want_sample = true;
  ask.records.push_back(record_of(500, env.unix_ms()).encode());
  const auto b = encode_exchange(ask);
  const EngineReply r = node.handle_exchange(id_of(500), b.data(), b.size());
  REQUIRE(r.status == BUTTER_OK);
  std::string why;
  auto answer = decode_exchange(r.bytes.data(), r.bytes.size(), why);
  REQUIRE(answer);
  std::size_t honest = 0;
  for (const auto& bytes : answer->records)
    if (auto rec = parse_record(bytes.data(), bytes.size(), why); rec && rec->id_hex() < id_of(1000))
      honest += rec->id_hex() != id_of(0);
  CHECK(honest > 0);
}

TEST_CASE("Record flood: a record dated in the future expires max_age after it arrived and not after its date") {
  ScriptedEnv env(0);
  const MembershipConfig cfg = flood_config();
  MembershipEngine node(env, id_of(0), cfg, 1);
  node.start();
  REQUIRE(exchange_from(node, 7, {record_of(7, env.unix_ms() + kNineMinutes)}).status == BUTTER_OK);
  REQUIRE(node.records().find(id_of(7)) != nullptr);
  env.now += cfg.record_max_age_ms + 60 * 1000;  // two hours and a minute later
  node.refresh();
  CHECK(node.records().find(id_of(7)) == nullptr);
}

TEST_CASE("Record store bounds: vouched records stay and one source holds a quarter and the future buys no rank") {
  RecordStore::Limits lim;
  lim.capacity = 8;  // a source holds at most 2
  RecordStore store(lim);
  const std::uint64_t now = kUnix;
  auto heard = [](const std::string& source) { return RecordOrigin{"relay", source, false}; };
  // Four hosts that answered us (two sent their own record, two the caller saw answer), four heard of.
  for (unsigned i = 1; i <= 2; ++i)
    REQUIRE(store.offer(record_of(i, now - 5000), now, RecordOrigin{id_of(i), "net:" + std::to_string(i), false}) ==
            RecordOffer::Accepted);
  for (unsigned i = 3; i <= 4; ++i)
    REQUIRE(store.offer(record_of(i, now - 5000), now, RecordOrigin{"relay", "net:a", true}) == RecordOffer::Accepted);
  for (unsigned i = 5; i <= 8; ++i)
    REQUIRE(store.offer(record_of(i, now - 1000 * i), now, heard("net:" + std::to_string(i))) == RecordOffer::Accepted);
  for (unsigned i = 1; i <= 4; ++i) CHECK(store.vouched(id_of(i)));
  CHECK_FALSE(store.vouched(id_of(5)));
  REQUIRE(store.size() == 8);

  // A record heard of and dated nine minutes ahead ranks as received now: it replaces the lowest
  // ranked record heard of (node 8's, issued 8 s ago), never a vouched one; so does the next.
  CHECK(store.offer(record_of(100, now + kNineMinutes), now, heard("net:evil")) == RecordOffer::Accepted);
  CHECK_FALSE(store.find(id_of(8)));
  CHECK(store.offer(record_of(101, now + kNineMinutes), now + 1, heard("net:evil")) == RecordOffer::Accepted);
  CHECK_FALSE(store.find(id_of(7)));
  // Its source holds at most two: the third replaces the source's own lowest ranked record.
  CHECK(store.offer(record_of(102, now + kNineMinutes), now + 2, heard("net:evil")) == RecordOffer::Accepted);
  CHECK_FALSE(store.find(id_of(100)));
  CHECK(store.find(id_of(101)));
  CHECK(store.find(id_of(102)));
  // Once every record heard of ranks as high as a newcomer heard of, it is refused, whatever its date.
  store.vouch(id_of(5));
  store.vouch(id_of(6));
  CHECK(store.check(record_of(103, now + kNineMinutes), now + 1, heard("net:other")) == RecordOffer::Stale);
  CHECK(store.offer(record_of(103, now + kNineMinutes), now + 1, heard("net:other")) == RecordOffer::Stale);
  // A vouched newcomer (its owner sent it) takes the lowest ranked record only heard of.
  CHECK(store.offer(record_of(200, now), now + 3, RecordOrigin{id_of(200), "net:200", false}) == RecordOffer::Accepted);
  CHECK_FALSE(store.find(id_of(101)));
  for (unsigned i = 1; i <= 6; ++i) CHECK(store.find(id_of(i)));
  // Expiry counts from the rank: the future-dated record goes max_age after it arrived.
  const auto gone = store.expire(now + 2 + lim.max_age_ms + 1);
  CHECK(std::set<std::string>(gone.begin(), gone.end()).count(id_of(102)) == 1);
}
