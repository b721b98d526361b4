// pcg-storage against a hostile peer that speaks the real protocol (issue 16): real nodes in this
// process (encrypted transport, as nodes run by default), and an attacker that runs the secure
// handshake itself (RawSecureClient), says HELLO with its own key and sends /butter/pcg/1 frames
// encoded with the plugin's own codec (messages.cpp), exactly as a node would send them.
//   - the deletion attack: LOCATE (names the members), RECRUIT for the held group with the
//     attacker's own view, VIEW and heartbeat leaving the node out; against every member;
//   - the reservation attack: RECRUITs claiming the free budget, then silence.
#include "support/http_client.hpp"
#include "support/raw_peer.hpp"
#include "support/test_node.hpp"

#include "blocks.hpp"
#include "messages.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <random>

#include <unistd.h>

using namespace butter;
using namespace butter::test;
namespace fs = std::filesystem;

namespace {

std::string storage_plugins(std::uint16_t disc_port, const std::string& storage_extra) {
  return plugin_table("peers", "butter.knownhosts.quality", "refresh_ms = 200\ntimeout_ms = 500\nmax_failures = 2") +
         plugin_table(
             "discovery", "butter.discovery.multicast",
             "interface = \"127.0.0.1\"\nport = " + std::to_string(disc_port) + "\nfast_ms = 50\nslow_ms = 2000") +
         plugin_table("storage", "butter.storage.pcg",
                      "heartbeat_ms = 100\nrequest_timeout_ms = 500\nblock_size = 16384\n" + storage_extra);
}

pcg::Hash hash_of(const std::string& hex) {
  pcg::Hash h{};
  REQUIRE(pcg::from_hex(hex, h));
  return h;
}

// An attacker connected to one node: its own key, HELLO with its own id, then pcg messages.
struct PcgAttacker {
  RawSecureClient c;
  explicit PcgAttacker(const std::string& uri) : c(uri) {
    REQUIRE(c.ch.established());
    c.hello();
  }
  pcg::Hash id() { return hash_of(c.identity->id().hex()); }
  void send(const pcg::Message& m) {
    host::Frame f;
    f.type = host::FrameType::kOneway;
    f.protocol = pcg::kProtocol;
    f.payload = pcg::encode(m);
    c.write(c.sealed(f));
  }
  // Reads what the node sends on this connection (its one-way pcg messages) until `want` accepts
  // one, or the deadline.
  std::optional<pcg::Message> read_until(const std::function<bool(const pcg::Message&)>& want,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<std::uint8_t, 65536> buf;
    while (std::chrono::steady_clock::now() < deadline) {
      host::FrameView v;
      for (auto st = c.decoder.next(v); st != host::FrameDecoder::Status::kNeedMore; st = c.decoder.next(v)) {
        if (st == host::FrameDecoder::Status::kError) return std::nullopt;
        if (v.type != host::FrameType::kOneway || v.protocol != pcg::kProtocol) continue;
        std::string why;
        auto m = pcg::decode(v.payload, why);
        if (m && want(*m)) return m;
      }
      boost::system::error_code ec;
      auto n = c.s.read_some(boost::asio::buffer(buf), ec);
      if (ec) return std::nullopt;
      std::vector<std::uint8_t> wire, plain;
      if (!c.ch.feed({buf.data(), n}, wire, plain)) return std::nullopt;
      if (!plain.empty()) c.decoder.feed(plain);
    }
    return std::nullopt;
  }
};

// Three nodes on their own data dirs (persistence on), restartable on the same dirs and keys.
struct PersistentTrio {
  host::Runtime rt{2};
  host::PluginRegistry registry;
  fs::path dir;
  std::vector<std::string> manifests;
  std::vector<std::unique_ptr<TestNode>> nodes;

  explicit PersistentTrio(const std::string& name, const std::string& storage_extra = "") {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("butter-pcg-hostile-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    const auto disc_port = static_cast<std::uint16_t>(20000 + rd() % 20000);
    for (int i = 0; i < 3; ++i)
      manifests.push_back(loopback_manifest("n" + std::to_string(i), storage_plugins(disc_port, storage_extra),
                                            "data_dir = \"" + (dir / ("n" + std::to_string(i))).string() + "\"\n"));
    start();
  }
  ~PersistentTrio() {
    nodes.clear();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void start() {
    for (const auto& m : manifests) nodes.push_back(std::make_unique<TestNode>(rt, registry, m));
    // 90 s, not 20: after a restart (new ports, persisted caches) a node whose beacons came before
    // the others' first failed probe is found again at a later ping, and once it knows peers its
    // pings back off towards slow_ms (60 s). Seen under ASan and TSan with -j2 at stop 38 (the test
    // timed out at 20 s in about 1 run of 3), not diagnosed further: this test is about replicas.
    REQUIRE(wait_until(
        [&] {
          for (auto& n : nodes)
            if (n->counter("peers", "knownhosts_hosts") < 2) return false;
          return true;
        },
        std::chrono::seconds(90)));
  }
  void restart() {
    nodes.clear();
    start();
  }
  nlohmann::json list(std::size_t i) {
    return nlohmann::json::parse(http_get((*nodes[i])->http_url() + "/storage").body);
  }
  // Nodes listing `id` as a member of a group of `size`.
  std::size_t members_holding(const std::string& id, int size = 3) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const nlohmann::json l = list(i);  // kept: the loop below iterates inside it
      for (const auto& o : l["objects"])
        if (o["id"] == id && o["group_size"] == size && o["member"] == true) ++n;
    }
    return n;
  }
};

}  // namespace

TEST_CASE("a stranger's locate, recruit and view frames delete no replica, before or after a restart") {
  PersistentTrio trio("delete");
  const std::string body = random_body(60000, 21);
  auto put = http_request_url("POST", (*trio.nodes[0])->http_url() + "/storage", body, std::chrono::seconds(10));
  INFO(put.body);
  REQUIRE(put.status == 201);
  const std::string id_hex = nlohmann::json::parse(put.body)["id"];
  const pcg::Hash id = hash_of(id_hex);
  REQUIRE(wait_until([&] { return trio.members_holding(id_hex) == 3; }, std::chrono::seconds(10)));

  for (std::size_t i = 0; i < 3; ++i) {
    INFO("victim n" << i);
    TestNode& victim = *trio.nodes[i];
    const pcg::Hash victim_id = hash_of(victim->id_hex());
    PcgAttacker atk(victim.endpoint());
    // LOCATE: open to anyone, it names the members and gives the manifest.
    pcg::Message loc;
    loc.type = pcg::MsgType::Locate;
    loc.object = id;
    loc.number = 4242;
    atk.send(loc);
    auto located =
        atk.read_until([](const pcg::Message& m) { return m.type == pcg::MsgType::Located && m.number == 4242; });
    REQUIRE(located);
    REQUIRE(located->status == BUTTER_OK);
    REQUIRE(located->view.size() == 3);
    const auto refused_before = victim.counter("storage", "pcg_non_member_messages_total");
    // RECRUIT for the held group, with a view of the attacker and the victim only.
    pcg::Message rec;
    rec.type = pcg::MsgType::Recruit;
    rec.object = id;
    rec.view.version = located->view.version + 10;
    rec.view.add(pcg::Member{atk.id(), {}});
    rec.view.add(pcg::Member{victim_id, {}});
    rec.manifest = located->manifest;
    atk.send(rec);
    // VIEW, then a heartbeat entry, leaving the victim out (the attacker "leads" now).
    pcg::Message out_view;
    out_view.type = pcg::MsgType::ViewUpdate;
    out_view.object = id;
    out_view.view = located->view;
    out_view.view.version += 20;
    out_view.view.remove(victim_id);
    out_view.view.add(pcg::Member{atk.id(), {}});
    atk.send(out_view);
    pcg::Message hb;
    hb.type = pcg::MsgType::Heartbeat;
    hb.entries.push_back(pcg::HeartbeatEntry{id, true, out_view.view});
    atk.send(hb);
    // All three arrived and were refused (each one counted).
    REQUIRE(wait_until([&] {
      return victim.counter("storage", "pcg_non_member_recruits_total") >= 1 &&
             victim.counter("storage", "pcg_non_member_messages_total") >= refused_before + 3;
    }));
    auto status = trio.list(i);
    CHECK(status["refused"]["non_member_recruits"] == 1);
  }
  // Give the attack every chance to spread (views travel with heartbeats every 100 ms): ten
  // more rounds of node 0's heartbeats to its 2 co-members. Then: still 3 members of a group of
  // 3 everywhere, readable from every node.
  const auto sent = trio.nodes[0]->counter("storage", "pcg_messages_sent_total");
  REQUIRE(wait_until([&] { return trio.nodes[0]->counter("storage", "pcg_messages_sent_total") >= sent + 20; },
                     std::chrono::seconds(10)));
  CHECK(trio.members_holding(id_hex) == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    auto got = http_get((*trio.nodes[i])->http_url() + "/storage/" + id_hex, std::chrono::seconds(10));
    CHECK(got.status == 200);
    CHECK(got.body == body);
  }
  // After a restart on the same data dirs: every copy came back, still a group of 3.
  trio.restart();
  CHECK(wait_until([&] { return trio.members_holding(id_hex) == 3; }, std::chrono::seconds(10)));
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(trio.list(i)["persistence"]["restored"] == 1);
    auto got = http_get((*trio.nodes[i])->http_url() + "/storage/" + id_hex, std::chrono::seconds(10));
    CHECK(got.status == 200);
    CHECK(got.body == body);
  }
}

TEST_CASE(
    "a stranger's recruits claiming the budget get at most its quota, expire, and honest puts succeed meanwhile") {
  // 400 kB per node: the attacker's quota is 50 kB (capacity / 8). Its reservations lapse after
  // 6 s without a block (room for the honest put below to finish first, even on a slow build).
  PersistentTrio trio("reserve", "capacity_bytes = 400000\nreservation_idle_ms = 6000\n");
  std::vector<std::unique_ptr<PcgAttacker>> attackers;
  std::size_t accepted = 0, declined_for_quota = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    TestNode& victim = *trio.nodes[i];
    attackers.push_back(std::make_unique<PcgAttacker>(victim.endpoint()));
    PcgAttacker& atk = *attackers.back();
    // Ten objects of 40 kB: together the whole budget.
    for (unsigned k = 0; k < 10; ++k) {
      std::string why;
      const std::string junk = random_body(40000, 100 * static_cast<unsigned>(i) + k);
      auto obj = pcg::split({reinterpret_cast<const std::uint8_t*>(junk.data()), junk.size()}, 16384, {}, why);
      REQUIRE(obj);
      pcg::Message rec;
      rec.type = pcg::MsgType::Recruit;
      rec.object = obj->id;
      rec.view.version = 1;
      rec.view.add(pcg::Member{atk.id(), {}});
      rec.view.add(pcg::Member{hash_of(victim->id_hex()), {}});
      rec.manifest = obj->manifest_bytes;
      atk.send(rec);
      auto ack = atk.read_until(
          [&](const pcg::Message& m) { return m.type == pcg::MsgType::RecruitAck && m.object == obj->id; });
      REQUIRE(ack);
      if (ack->status == BUTTER_OK) {
        ++accepted;
      } else {
        CHECK(ack->status == BUTTER_E_NOMEM);
        CHECK(ack->reason.find("peer quota exceeded") != std::string::npos);
        ++declined_for_quota;
      }
    }
    CHECK(wait_until([&] { return victim.counter("storage", "pcg_recruits_over_quota_total") == 9; }));
    CHECK(trio.list(i)["used_bytes"].get<std::uint64_t>() >= 40000);  // the one accepted is reserved
  }
  CHECK(accepted == 3);
  CHECK(declined_for_quota == 27);
  // While the attacker holds its reservations (and stays silent): an honest put reaches r (30 kB:
  // within node 0's own quota on the two others).
  const std::string body = random_body(30000, 22);
  auto put = http_request_url("POST", (*trio.nodes[0])->http_url() + "/storage", body, std::chrono::seconds(10));
  INFO(put.body);
  CHECK(put.status == 201);
  CHECK(nlohmann::json::parse(put.body)["replicas"] == 3);
  for (auto& n : trio.nodes) CHECK(n->counter("storage", "pcg_reservations_expired_total") == 0);
  // Then each reservation lapses by its deadline (6 s without a block, plus a tick): only the
  // honest object is left on every node.
  CHECK(wait_until(
      [&] {
        for (std::size_t i = 0; i < 3; ++i) {
          auto l = trio.list(i);
          if (l["objects"].size() != 1 || l["used_bytes"].get<std::uint64_t>() > 31000) return false;
        }
        return true;
      },
      std::chrono::seconds(10)));
  for (std::size_t i = 0; i < 3; ++i) {
    INFO(trio.list(i).dump());
    CHECK(trio.nodes[i]->counter("storage", "pcg_reservations_expired_total") == 1);
  }
}
