// butter.storage/1 and butter.storage-quota/1 as a consumer sees them: the plugin instance on a
// fake host (butter/testing.hpp), results read off the events bus (iface/reply.h).
#include <butter/testing.hpp>
#include "descriptor.hpp"
#include "pcg_plugin.hpp"

#include <butter/wire.hpp>

#include <catch2/catch.hpp>

namespace fake = butter::testing;

using namespace butter::pcg;

namespace {

struct Harness {
  fake::Host fh;
  butter::detail::DescriptorStorage desc{pcg_descriptor()};  // the plugin's own schema and defaults
  const butter_plugin* p = nullptr;
  std::vector<std::string> results;                         // payloads on the reply topic
  std::vector<std::pair<std::string, std::string>> topics;  // stored / dropped
  const butter_events_v1* ev = nullptr;

  explicit Harness(std::map<std::string, fake::Host::Value> config) {
    fh.config = std::move(config);
    auto* obj = new PcgStorage(butter::Context{fh.host(), desc.c(), false});
    p = obj->c_plugin();
    butter_error err;
    butter_error_init(&err);
    REQUIRE(p->init(p, &err) == BUTTER_OK);
    REQUIRE(p->start(p, &err) == BUTTER_OK);
    ev = static_cast<const butter_events_v1*>(fh.host()->get_extension(fh.host(), BUTTER_EXT_EVENTS));
    std::uint64_t id = 0;
    ev->subscribe(fh.host(), fake::str("test:reply"), &Harness::on_reply, this, &id);
    ev->subscribe(fh.host(), fake::str(BUTTER_STORAGE_TOPIC_STORED), &Harness::on_topic, this, &id);
  }
  ~Harness() {
    p->stop(p);
    p->destroy(p);
  }
  static void on_reply(void* user, butter_str, butter_bytes payload) {
    static_cast<Harness*>(user)->results.push_back(fake::to_string(payload));
  }
  static void on_topic(void* user, butter_str topic, butter_bytes payload) {
    static_cast<Harness*>(user)->topics.emplace_back(fake::to_string(topic), fake::to_string(payload));
  }
  const butter_storage_v1* storage() const {
    return static_cast<const butter_storage_v1*>(p->get_extension(p, BUTTER_IFACE_STORAGE));
  }
  const butter_storage_quota_v1* quota() const {
    return static_cast<const butter_storage_quota_v1*>(p->get_extension(p, BUTTER_IFACE_STORAGE_QUOTA));
  }
};

butter_reply_to reply_to(std::uint64_t ticket) {
  return butter_reply_to{sizeof(butter_reply_to), fake::str("test:reply"), ticket};
}

}  // namespace

TEST_CASE("put and get through butter.storage/1 publish PUT_DONE and GET_DONE") {
  Harness h({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{1024}}});
  const std::string data(5000, 'x');
  butter_str kw[] = {fake::str("alpha")};
  char id[65] = {};
  butter_error err;
  butter_error_init(&err);
  auto r = reply_to(41);
  REQUIRE(h.storage()->put(h.p, &r, fake::bytes(data), kw, 1, id, &err) == BUTTER_OK);
  CHECK(std::string(id).size() == 64);
  h.fh.deliver_events();
  REQUIRE(h.results.size() == 1);
  {
    butter::wire::Reader rd(h.results[0]);
    CHECK(rd.u64() == 41);
    CHECK(rd.u8() == BUTTER_STORAGE_RESULT_PUT);
    CHECK(static_cast<std::int32_t>(rd.u32()) == BUTTER_OK);
    CHECK(rd.str16() == id);
    CHECK(rd.u32() == 1);
    rd.str16();
    CHECK(rd.ok());
    CHECK(rd.at_end());
  }
  REQUIRE_FALSE(h.topics.empty());
  CHECK(h.topics[0] == std::make_pair(std::string(BUTTER_STORAGE_TOPIC_STORED), std::string(id)));
  auto g = reply_to(42);
  REQUIRE(h.storage()->get(h.p, &g, fake::str(id), &err) == BUTTER_OK);
  h.fh.deliver_events();
  REQUIRE(h.results.size() == 2);
  butter::wire::Reader rd(h.results[1]);
  CHECK(rd.u64() == 42);
  CHECK(rd.u8() == BUTTER_STORAGE_RESULT_GET);
  CHECK(static_cast<std::int32_t>(rd.u32()) == BUTTER_OK);
  CHECK(rd.str16() == id);
  const std::uint32_t n = rd.u32();
  CHECK(rd.bytes(n) == data);
  // list and lookup
  struct Seen {
    std::string id;
    std::uint64_t size = 0;
    std::vector<std::string> kws;
  } seen;
  auto fn = [](void* user, const butter_storage_object* o) {
    auto* s = static_cast<Seen*>(user);
    s->id = std::string(o->object_id.data, o->object_id.len);
    s->size = o->size_bytes;
    for (std::uint32_t i = 0; i < o->keyword_count; ++i) s->kws.emplace_back(o->keywords[i].data, o->keywords[i].len);
  };
  CHECK(h.storage()->list(h.p, fn, &seen) == BUTTER_OK);
  CHECK(seen.id == id);
  CHECK(seen.size == 5000);
  CHECK(seen.kws == std::vector<std::string>{"alpha"});
  CHECK(h.storage()->lookup(h.p, fake::str(std::string(64, '0')), fn, &seen) == BUTTER_E_NOT_FOUND);
  CHECK(h.quota()->used_bytes(h.p) > 5000);
  CHECK(h.quota()->free_bytes(h.p) + h.quota()->used_bytes(h.p) == (64u << 20) / 2);
}

TEST_CASE("a put beyond the budget fails at once with BUTTER_E_NOMEM and no result") {
  Harness h({{"capacity_bytes", std::int64_t{3000}}});
  char id[65] = {};
  butter_error err;
  butter_error_init(&err);
  auto r = reply_to(1);
  const std::string data(4000, 'y');
  CHECK(h.storage()->put(h.p, &r, fake::bytes(data), nullptr, 0, id, &err) == BUTTER_E_NOMEM);
  CHECK(std::string(err.message).find("storage budget exceeded") != std::string::npos);
  h.fh.deliver_events();
  CHECK(h.results.empty());
  CHECK(h.quota()->used_bytes(h.p) == 0);
}

TEST_CASE("bad arguments to butter.storage/1 are refused") {
  Harness h({});
  char id[65] = {};
  butter_error err;
  butter_error_init(&err);
  CHECK(h.storage()->put(h.p, nullptr, fake::bytes("x"), nullptr, 0, id, &err) == BUTTER_E_INVALID);
  auto r = reply_to(1);
  CHECK(h.storage()->put(h.p, &r, fake::bytes("x"), nullptr, 3, id, &err) == BUTTER_E_INVALID);
  CHECK(h.storage()->get(h.p, &r, fake::str("not-an-id"), &err) == BUTTER_E_INVALID);
  butter_reply_to empty{sizeof(butter_reply_to), fake::str(""), 1};
  CHECK(h.storage()->get(h.p, &empty, fake::str(std::string(64, 'a')), &err) == BUTTER_E_INVALID);
}

TEST_CASE("a get nobody can answer ends with GET_DONE NOT_FOUND") {
  Harness h({});
  butter_error err;
  butter_error_init(&err);
  auto r = reply_to(9);
  REQUIRE(h.storage()->get(h.p, &r, fake::str(std::string(64, 'b')), &err) == BUTTER_OK);
  h.fh.deliver_events();
  REQUIRE(h.results.size() == 1);
  butter::wire::Reader rd(h.results[0]);
  CHECK(rd.u64() == 9);
  CHECK(rd.u8() == BUTTER_STORAGE_RESULT_GET);
  CHECK(static_cast<std::int32_t>(rd.u32()) == BUTTER_E_NOT_FOUND);
}

namespace {
// Inits a pcg-storage instance on a fake host with integer config `keys`: the status and the
// error message (destroyed again at once).
std::pair<butter_status, std::string> init_with(const std::vector<std::pair<std::string, std::int64_t>>& keys) {
  fake::Host fh;
  for (const auto& [k, v] : keys) fh.config[k] = v;
  butter::detail::DescriptorStorage desc{pcg_descriptor()};
  auto* obj = new PcgStorage(butter::Context{fh.host(), desc.c(), false});
  const butter_plugin* p = obj->c_plugin();
  butter_error err;
  butter_error_init(&err);
  const butter_status st = p->init(p, &err);
  std::string message = err.message;
  p->destroy(p);
  return {st, message};
}
}  // namespace

TEST_CASE("config out of range fails init with the key's name") {
  const auto [st, message] = init_with({{"replicas", 0}});
  CHECK(st == BUTTER_E_INVALID);
  CHECK(message.find("replicas") != std::string::npos);
}

TEST_CASE("a peer quota above the capacity or negative fails init with a clear error") {
  // Negative: the schema's .min(0), checked by the getter on a host that enforces no ranges (this
  // fake). Above the capacity: the bound one key sets another, which the plugin states.
  const std::pair<std::int64_t, const char*> cases[] = {{-1, "peer_quota_bytes must be >= 0, got -1"},
                                                        {20001, "peer_quota_bytes must be in 0..20000"}};
  for (const auto& [bad, says] : cases) {
    const auto [st, message] = init_with({{"capacity_bytes", 20000}, {"peer_quota_bytes", bad}});
    CHECK(st == BUTTER_E_INVALID);
    INFO(message);
    CHECK(message.find(says) != std::string::npos);
  }
}

TEST_CASE("possession config keys out of range fail init with the key's name") {
  const std::string key = GENERATE(as<std::string>{}, "audit_ms", "audit_per_tick", "answer_bytes_per_s");
  const auto [st, message] = init_with({{key, 0}});
  CHECK(st == BUTTER_E_INVALID);
  CHECK(message.find(key) != std::string::npos);
}

// --- butter.storage/2 ----------------------------------------------------------------------------

namespace {

const butter_storage_v2* storage2(const Harness& h) {
  return static_cast<const butter_storage_v2*>(h.p->get_extension(h.p, BUTTER_IFACE_STORAGE_V2));
}

// Every byte differs from its neighbours, so a range read from the wrong offset cannot pass.
std::string patterned(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) % 256);
  return s;
}

std::string put_one(Harness& h, const std::string& data, std::uint64_t ticket) {
  char id[65] = {};
  butter_error err;
  butter_error_init(&err);
  butter_str kw[] = {fake::str("ranged")};
  auto r = reply_to(ticket);
  REQUIRE(h.storage()->put(h.p, &r, fake::bytes(data), kw, 1, id, &err) == BUTTER_OK);
  h.fh.deliver_events();
  return std::string(id);
}

struct Pieces {
  std::vector<std::pair<std::uint64_t, std::string>> got;
  std::string joined() const {
    std::string s;
    for (const auto& [off, p] : got) s += p;
    return s;
  }
  static void on(void* user, std::uint64_t offset, butter_bytes piece) {
    static_cast<Pieces*>(user)->got.emplace_back(offset,
                                                 std::string(reinterpret_cast<const char*>(piece.data), piece.len));
  }
};

butter_status read(const Harness& h, const std::string& id, std::uint64_t offset, std::uint64_t length, Pieces& out,
                   std::string* why = nullptr) {
  butter_error err;
  butter_error_init(&err);
  const butter_status st = storage2(h)->read(h.p, fake::str(id), offset, length, &Pieces::on, &out, &err);
  if (why) *why = err.message;
  return st;
}

}  // namespace

TEST_CASE("pcg-storage serves butter.storage/2 next to /1 with the same four calls") {
  Harness h({{"replicas", std::int64_t{1}}});
  REQUIRE(h.storage() != nullptr);
  REQUIRE(storage2(h) != nullptr);
  CHECK(storage2(h)->put == h.storage()->put);
  CHECK(storage2(h)->get == h.storage()->get);
  CHECK(storage2(h)->list == h.storage()->list);
  CHECK(storage2(h)->lookup == h.storage()->lookup);
}

TEST_CASE("butter.storage/2 manifest of a held object hashes to its id and decodes to its blocks") {
  Harness h({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{1024}}});
  const std::string data = patterned(5000);
  const std::string id = put_one(h, data, 1);
  std::string m;
  auto take = [](void* user, butter_bytes b) {
    static_cast<std::string*>(user)->assign(reinterpret_cast<const char*>(b.data), b.len);
  };
  REQUIRE(storage2(h)->manifest(h.p, fake::str(id), take, &m) == BUTTER_OK);
  CHECK(to_hex(sha256(std::string_view(m))) == id);
  CHECK(m.substr(0, 4) == BUTTER_STORAGE_MANIFEST_MAGIC);
  std::string why;
  auto decoded =
      decode_manifest(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(m.data()), m.size()), why);
  REQUIRE(decoded);
  CHECK(decoded->size == 5000);
  CHECK(decoded->block_size == 1024);
  CHECK(decoded->blocks.size() == 5);
  CHECK(decoded->keywords == std::vector<std::string>{"ranged"});
  // Not held here, and bad arguments.
  std::string none;
  CHECK(storage2(h)->manifest(h.p, fake::str(std::string(64, 'c')), take, &none) == BUTTER_E_NOT_FOUND);
  CHECK(none.empty());
  CHECK(storage2(h)->manifest(h.p, fake::str("short"), take, &none) == BUTTER_E_INVALID);
  CHECK(storage2(h)->manifest(h.p, fake::str(id), nullptr, &none) == BUTTER_E_INVALID);
}

TEST_CASE(
    "butter.storage/2 read returns ranges at the start, middle and end, clipped at the end, one piece per block") {
  Harness h({{"replicas", std::int64_t{1}}, {"block_size", std::int64_t{1024}}});
  const std::string data = patterned(5000);
  const std::string id = put_one(h, data, 1);
  SECTION("start") {
    Pieces p;
    REQUIRE(read(h, id, 0, 100, p) == BUTTER_OK);
    REQUIRE(p.got.size() == 1);
    CHECK(p.got[0].first == 0);
    CHECK(p.joined() == data.substr(0, 100));
  }
  SECTION("middle, across a block boundary: two consecutive pieces") {
    Pieces p;
    REQUIRE(read(h, id, 1000, 100, p) == BUTTER_OK);
    REQUIRE(p.got.size() == 2);
    CHECK(p.got[0].first == 1000);
    CHECK(p.got[0].second.size() == 24);
    CHECK(p.got[1].first == 1024);
    CHECK(p.joined() == data.substr(1000, 100));
  }
  SECTION("the whole object in one call") {
    Pieces p;
    REQUIRE(read(h, id, 0, BUTTER_STORAGE_MAX_READ, p) == BUTTER_OK);
    CHECK(p.got.size() == 5);
    CHECK(p.joined() == data);
  }
  SECTION("the end: clipped to what exists") {
    Pieces p;
    REQUIRE(read(h, id, 4900, 1000, p) == BUTTER_OK);
    CHECK(p.joined() == data.substr(4900));
  }
  SECTION("at the end exactly, or length 0: OK with no piece") {
    Pieces p;
    CHECK(read(h, id, 5000, 10, p) == BUTTER_OK);
    CHECK(read(h, id, 17, 0, p) == BUTTER_OK);
    CHECK(p.got.empty());
  }
  SECTION("past the end, over the bound, not held, bad id: refused with a reason, no piece") {
    Pieces p;
    std::string why;
    CHECK(read(h, id, 5001, 10, p, &why) == BUTTER_E_INVALID);
    CHECK(why.find("past the object's end") != std::string::npos);
    CHECK(read(h, id, 0, std::uint64_t{BUTTER_STORAGE_MAX_READ} + 1, p, &why) == BUTTER_E_INVALID);
    CHECK(why.find("per call") != std::string::npos);
    CHECK(read(h, std::string(64, 'd'), 0, 10, p, &why) == BUTTER_E_NOT_FOUND);
    CHECK(why.find("not held") != std::string::npos);
    CHECK(read(h, "xyz", 0, 10, p) == BUTTER_E_INVALID);
    CHECK(storage2(h)->read(h.p, fake::str(id), 0, 10, nullptr, nullptr, nullptr) == BUTTER_E_INVALID);
    CHECK(p.got.empty());
  }
}

TEST_CASE("a get through butter.storage/1 of an object over the events bus limit fails its ticket with the reason") {
  Harness h({{"replicas", std::int64_t{1}}});
  const std::string data = patterned(BUTTER_EVENTS_MAX_PAYLOAD + 1);
  const std::string id = put_one(h, data, 1);
  REQUIRE(h.results.size() == 1);  // PUT_DONE
  butter_error err;
  butter_error_init(&err);
  auto g = reply_to(77);
  REQUIRE(h.storage()->get(h.p, &g, fake::str(id), &err) == BUTTER_OK);
  h.fh.deliver_events();
  REQUIRE(h.results.size() == 2);  // a GET_DONE arrives: the caller is not left waiting for its deadline
  CHECK(h.fh.events_refused == 0);
  butter::wire::Reader rd(h.results[1]);
  CHECK(rd.u64() == 77);
  CHECK(rd.u8() == BUTTER_STORAGE_RESULT_GET);
  CHECK(static_cast<std::int32_t>(rd.u32()) == BUTTER_E_NOMEM);
  CHECK(rd.str16() == id);
  CHECK(rd.u32() == 0);
  const std::string message(rd.str16());
  CHECK(rd.ok());
  // Refused from the manifest, before the object is read whole: what the bus can carry (its
  // limit less the result's own fields) is named, and where to read the object instead.
  CHECK(message.find("object of 65537 bytes is larger than the 65451 bytes a whole-object get returns") !=
        std::string::npos);
  CHECK(message.find(BUTTER_IFACE_STORAGE_V3 " open_read") != std::string::npos);
  // The same object is whole through /2.
  Pieces p;
  REQUIRE(read(h, id, 0, BUTTER_STORAGE_MAX_READ, p) == BUTTER_OK);
  CHECK(p.joined() == data);
}

TEST_CASE("the fake host's events bus refuses what the node's refuses") {
  fake::Host fh;
  const auto* ev = static_cast<const butter_events_v1*>(fh.host()->get_extension(fh.host(), BUTTER_EXT_EVENTS));
  const std::string big(BUTTER_EVENTS_MAX_PAYLOAD + 1, 'x');
  const std::string fits(BUTTER_EVENTS_MAX_PAYLOAD, 'x');
  CHECK(ev->publish(fh.host(), fake::str("t"), fake::bytes(big)) == BUTTER_E_INVALID);
  CHECK(ev->publish(fh.host(), fake::str(std::string(BUTTER_EVENTS_MAX_TOPIC + 1, 't')), fake::bytes("x")) ==
        BUTTER_E_INVALID);
  CHECK(ev->publish(fh.host(), fake::str("t"), fake::bytes(fits)) == BUTTER_OK);
  CHECK(fh.events_refused == 2);
}

TEST_CASE("config defaults are written once, in the descriptor's schema") {
  // With the plugin's own descriptor an empty config table inits: every key reads the default
  // its schema declares.
  CHECK(init_with({}).first == BUTTER_OK);
  // With a descriptor that declares no schema nothing in the code stands in for it: no default
  // and no range (the getters check the schema's, written once). Every key reads 0, and init
  // refuses the first whose bound the code itself states: memory_share's open one, > 0.
  fake::Host fh;
  butter::detail::DescriptorStorage bare{butter::Descriptor{.id = "butter.storage.pcg"}};
  auto* obj = new PcgStorage(butter::Context{fh.host(), bare.c(), false});
  const butter_plugin* p = obj->c_plugin();
  butter_error err;
  butter_error_init(&err);
  CHECK(p->init(p, &err) == BUTTER_E_INVALID);
  CHECK(std::string(err.message) == "memory_share must be in (0, 1], got 0");
  p->destroy(p);
}
