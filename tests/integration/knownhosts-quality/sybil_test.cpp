// Sybils against the known-host cache on real nodes: 200 node ids from 4 loopback addresses in one
// /24 (127.0.1.2-5) each run the encrypted handshake, say HELLO, ask a quality exchange claiming the
// top of every metric (what a probing node sends) and offer their own signed peer record by peer
// exchange. The victim runs with the loopback exemption off, so loopback addresses are bounded as
// public ones would be. The sybils use 127.0.1.2-5, not the victim's own /24 (127.0.0.0/24, where
// it listens: a node's own /24 is its LAN, bounded per address only). Honest nodes listen on other
// /24s (127.0.1x.1): the victim
// dials them (bootstrap), so it observes their addresses, and probes them until established.
// The victim does not evict hosts for failed probes here (max_failures is high): a sybil gone
// silent (the raw clients leave after their messages) would free its place for the next one,
// which would hide whether the bounds themselves hold.
#include "peer_record.hpp"
#include "support/http_client.hpp"
#include "support/raw_peer.hpp"
#include "support/test_node.hpp"

#include <butter/network_key.hpp>
#include <butter/wire.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace butter;
using namespace butter::test;

namespace {

constexpr int kHonest = 4;
constexpr int kSybils = 200;
constexpr const char* kSybilPrefix = "127.0.1.0/24";

std::string honest_manifest(int i) {
  return "[node]\nname = \"honest" + std::to_string(i) + "\"\nlisten = [\"tcp://127.0." + std::to_string(10 + i) +
         ".1:0\"]\nhttp = \"127.0.0.1:0\"\n\n" +
         plugin_table("peers", "butter.knownhosts.quality", "refresh_ms = 500\n");
}

std::string victim_manifest(const std::vector<std::string>& bootstrap, int capacity) {
  std::string boot;
  for (const auto& b : bootstrap) boot += (boot.empty() ? "\"" : ", \"") + b + "\"";
  return loopback_manifest("victim",
                           plugin_table("peers", "butter.knownhosts.quality",
                                        "capacity = " + std::to_string(capacity) +
                                            "\nloopback_exempt = false\nestablished_ms = 1000\nrefresh_ms = 200\n"
                                            "probes_per_refresh = 8\ntimeout_ms = 5000\nmax_failures = 1000\n"),
                           "bootstrap = [" + boot + "]\nconnections_high_water = 64\n");
}

nlohmann::json cache_report(TestNode& n) {
  auto r = http_get(n->http_url() + "/knownhosts");
  REQUIRE(r.status == 200);
  return nlohmann::json::parse(r.body);
}

// Members by the prefix of the address the victim bounds them by.
std::map<std::string, int> per_prefix(const nlohmann::json& report) {
  std::map<std::string, int> out;
  for (const auto& h : report["hosts"]) ++out[network_key(h["address"].get<std::string>()).prefix];
  return out;
}

// What a node asks a host it probes: version 1, its quality, its endpoints (quality_message.hpp).
std::string quality_claim(const std::string& endpoint) {
  wire::Writer w;
  w.u8(1);
  w.u64(1'000'000'000);  // uptime: decades
  w.u64(1ULL << 50);     // free storage: a petabyte
  w.u32(1'000'000);      // hosts known
  w.u8(1);
  w.str16(endpoint);
  auto b = w.take();
  return std::string(b.begin(), b.end());
}

// A peer exchange offering the sybil's own record, signed as the host signs for a plugin
// ("butter/sign/1" 0 context 0 message, host/services/identity_service.cpp).
std::string exchange_with_record(const host::Identity& id, const std::string& endpoint) {
  const auto node_id = id.id();  // by value: one object for begin() and end()
  std::array<std::uint8_t, 32> key;
  std::copy(node_id.bytes.begin(), node_id.bytes.end(), key.begin());
  const auto now = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  auto rec = knownhosts::make_record(key, now, now, {endpoint}, [&](const std::vector<std::uint8_t>& m) {
    std::string framed = std::string("butter/sign/1") + '\0' + knownhosts::kRecordContext + '\0';
    std::vector<std::uint8_t> bytes(framed.begin(), framed.end());
    bytes.insert(bytes.end(), m.begin(), m.end());
    auto sig = id.sign(bytes);
    std::array<std::uint8_t, 64> out;
    std::copy(sig.begin(), sig.end(), out.begin());
    return out;
  });
  wire::Writer w;
  w.u8(1);
  w.u8(0);  // not asking to be a neighbour
  w.u8(1);
  auto r = rec.encode();
  w.str16(std::string_view(reinterpret_cast<const char*>(r.data()), r.size()));
  auto b = w.take();
  return std::string(b.begin(), b.end());
}

struct Flood {
  int answered = 0;       // quality exchanges answered OK
  int max_in_prefix = 0;  // the most members of the sybils' /24 seen during the flood
};

Flood flood(TestNode& victim) {
  Flood f;
  for (int i = 0; i < kSybils; ++i) {
    const std::string source = "127.0.1." + std::to_string(2 + i % 4);
    const std::string endpoint = "tcp://" + source + ":" + std::to_string(20000 + i);
    RawSecureClient c(victim.endpoint(), nullptr, source);
    REQUIRE(c.ch.established());
    c.hello();
    auto q = c.request(1, "/butter/knownhosts/1", quality_claim(endpoint));
    if (q && q->status == BUTTER_OK) ++f.answered;
    c.request(2, "/butter/pex/1", exchange_with_record(*c.identity, endpoint));
    if (i % 25 == 24) f.max_in_prefix = std::max(f.max_in_prefix, per_prefix(cache_report(victim))[kSybilPrefix]);
  }
  return f;
}

struct Bed {
  host::Runtime rt{2};
  host::PluginRegistry registry;
  std::vector<std::unique_ptr<TestNode>> honest;
  std::unique_ptr<TestNode> victim;

  explicit Bed(int capacity) {
    std::vector<std::string> boot;
    for (int i = 1; i <= kHonest; ++i) {
      honest.push_back(std::make_unique<TestNode>(rt, registry, honest_manifest(i)));
      boot.push_back(honest.back()->endpoint());
      REQUIRE(boot.back().find("127.0." + std::to_string(10 + i) + ".1") != std::string::npos);
    }
    victim = std::make_unique<TestNode>(rt, registry, victim_manifest(boot, capacity));
  }

  // Every honest node a member, observed from its own address for at least established_ms.
  bool honest_established() {
    auto report = cache_report(*victim);
    int ok = 0;
    for (const auto& h : report["hosts"])
      for (auto& n : honest)
        if (h["id"] == n->node().id_hex() && h["observed_ms"].get<std::uint64_t>() >= 1000 &&
            network_key(h["address"].get<std::string>()).address ==
                "127.0." + std::to_string(10 + (&n - &honest[0]) + 1) + ".1")
          ++ok;
    return ok == kHonest;
  }
  int honest_members() {
    auto report = cache_report(*victim);
    int ok = 0;
    for (const auto& h : report["hosts"])
      for (auto& n : honest) ok += h["id"] == n->node().id_hex();
    return ok;
  }
};

}  // namespace

TEST_CASE("200 sybil ids from 4 addresses of one /24 get at most 8 places in the cache, 2 per address") {
  Bed bed(64);
  REQUIRE(wait_until([&] { return bed.honest_established(); }, std::chrono::seconds(30)));
  Flood f = flood(*bed.victim);
  CHECK(f.answered == kSybils);  // every sybil was heard (and answered): the bound is the cache's
  auto report = cache_report(*bed.victim);
  INFO(report.dump());
  auto prefixes = per_prefix(report);
  CHECK(prefixes[kSybilPrefix] <= 8);
  CHECK(f.max_in_prefix <= 8);
  std::map<std::string, int> per_address;
  for (const auto& h : report["hosts"]) ++per_address[network_key(h["address"].get<std::string>()).address];
  for (int a = 2; a <= 5; ++a) CHECK(per_address["127.0.1." + std::to_string(a)] <= 2);
  // Every sybil beyond the first 8 was refused by a bound (counted) or took the place of a sybil
  // of its own address that had gone silent (a failed probe): the cache had room for all of them.
  const auto bounded = bed.victim->counter("peers", "knownhosts_refused_address_total") +
                       bed.victim->counter("peers", "knownhosts_refused_prefix_total");
  const auto swapped = bed.victim->counter("peers", "knownhosts_replaced_total");
  INFO("refused by a bound " << bounded << ", replaced a silent sybil " << swapped);
  CHECK(bounded + swapped >= static_cast<std::uint64_t>(kSybils - 8));
  CHECK(report["hosts"].size() <= static_cast<std::size_t>(kHonest + 8));
  CHECK(bed.honest_members() == kHonest);
}

TEST_CASE("with a small cache, sybils claiming top quality do not evict long-observed honest hosts") {
  Bed bed(kHonest + 2);  // room for two more
  REQUIRE(wait_until([&] { return bed.honest_established(); }, std::chrono::seconds(30)));
  Flood f = flood(*bed.victim);
  CHECK(f.answered == kSybils);
  auto report = cache_report(*bed.victim);
  INFO(report.dump());
  CHECK(bed.honest_members() == kHonest);
  CHECK(per_prefix(report)[kSybilPrefix] <= 2);
  // The honest hosts, observed longest, rank at least as high as any sybil however much it claims.
  int honest_min_bits = 3, sybil_max_bits = 0;
  for (const auto& h : report["hosts"]) {
    const int bits = __builtin_popcount(h["class"].get<unsigned>());
    if (network_key(h["address"].get<std::string>()).prefix == kSybilPrefix)
      sybil_max_bits = std::max(sybil_max_bits, bits);
    else
      honest_min_bits = std::min(honest_min_bits, bits);
  }
  CHECK(sybil_max_bits == 0);
  CHECK(honest_min_bits >= sybil_max_bits);
}
