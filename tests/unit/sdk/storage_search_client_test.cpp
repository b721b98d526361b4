// The storage() and search() wrappers (butter/cpp/storage.hpp, search.hpp) against a fake host and
// fake providers of butter.storage/1 and butter.search/1 that publish their results on the events
// bus as butter/iface/reply.h says: results reach the right callback once, a missing or refusing
// provider calls back with its status (never inside the call), a provider that vanishes with a
// call ends in BUTTER_E_TIMEOUT at the deadline, late and malformed results are ignored or
// reported.
#include <butter/plugin.hpp>

#include <catch2/catch.hpp>

#include <butter/testing.hpp>

#include <optional>

namespace fake = butter::testing;

namespace {

// --- fake providers ------------------------------------------------------------------------------
struct FakeProvider {
  fake::Host* host = nullptr;
  struct Call {
    std::string what;
    std::string topic;
    std::uint64_t ticket;
    std::string arg;                    // data of a put, id of a get, first term of a find
    std::vector<std::string> keywords;  // of a put or an annotate; terms of a find
    butter_search_query query{};
  };
  std::vector<Call> calls;
  butter_status refuse = BUTTER_OK;  // what put/get/find return
  std::vector<std::pair<std::string, std::vector<std::string>>> held;

  void publish(const Call& c, std::vector<std::uint8_t> payload) {
    host->event_queue.emplace_back(c.topic, std::string(payload.begin(), payload.end()));
  }
  static butter::wire::Writer head(const Call& c, std::uint8_t kind, butter_status st) {
    butter::wire::Writer w;
    w.u64(c.ticket);
    w.u8(kind);
    w.u32(static_cast<std::uint32_t>(st));
    return w;
  }
  void put_done(const Call& c, butter_status st, std::string_view id, std::uint32_t replicas,
                std::string_view msg = "") {
    auto w = head(c, BUTTER_STORAGE_RESULT_PUT, st);
    w.str16(id);
    w.u32(replicas);
    w.str16(msg);
    publish(c, w.take());
  }
  void get_done(const Call& c, butter_status st, std::string_view id, std::string_view data,
                std::string_view msg = "") {
    auto w = head(c, BUTTER_STORAGE_RESULT_GET, st);
    w.str16(id);
    w.u32(static_cast<std::uint32_t>(data.size()));
    w.bytes(data.data(), data.size());
    w.str16(msg);
    publish(c, w.take());
  }
  void hit(const Call& c, std::string_view id, std::string_view node, std::vector<std::string> kws = {}) {
    auto w = head(c, BUTTER_SEARCH_RESULT_HIT, BUTTER_OK);
    w.str16(id);
    w.str16(node);
    w.u16(1);
    w.str16("tcp://127.0.0.1:7000");
    w.u16(static_cast<std::uint16_t>(kws.size()));
    for (const auto& k : kws) w.str16(k);
    w.u8(2);
    publish(c, w.take());
  }
  void done(const Call& c, butter_status st, std::uint32_t hits, std::uint32_t messages) {
    auto w = head(c, BUTTER_SEARCH_RESULT_DONE, st);
    w.u32(hits);
    w.u32(messages);
    w.str16("");
    publish(c, w.take());
  }
};
FakeProvider* g_provider = nullptr;

std::string fake_id(std::string_view data) {
  // Not SHA-256: any 64 hex digits will do for the wrapper.
  std::string id(64, '0');
  for (std::size_t i = 0; i < data.size(); ++i)
    id[i % 64] = "0123456789abcdef"[(static_cast<unsigned char>(id[i % 64]) + data[i]) % 16];
  return id;
}

butter_status st_put(const butter_plugin*, const butter_reply_to* reply, butter_bytes data, const butter_str* kws,
                     std::uint32_t n, char id_out[65], butter_error* err) {
  if (g_provider->refuse != BUTTER_OK) return butter_error_set(err, g_provider->refuse, "fake storage refuses");
  FakeProvider::Call c{"put", fake::to_string(reply->topic), reply->ticket, fake::to_string(data), {}, {}};
  for (std::uint32_t i = 0; i < n; ++i) c.keywords.push_back(fake::to_string(kws[i]));
  const std::string id = fake_id(c.arg);
  std::memcpy(id_out, id.c_str(), 65);
  g_provider->calls.push_back(std::move(c));
  return BUTTER_OK;
}
butter_status st_get(const butter_plugin*, const butter_reply_to* reply, butter_str id, butter_error* err) {
  if (g_provider->refuse != BUTTER_OK) return butter_error_set(err, g_provider->refuse, "fake storage refuses");
  g_provider->calls.push_back({"get", fake::to_string(reply->topic), reply->ticket, fake::to_string(id), {}, {}});
  return BUTTER_OK;
}
butter_status st_list(const butter_plugin*, butter_storage_object_fn fn, void* user) {
  for (const auto& [id, kws] : g_provider->held) {
    std::vector<butter_str> k;
    for (const auto& s : kws) k.push_back(fake::str(s));
    butter_storage_object o{sizeof(butter_storage_object),        fake::str(id), 42,
                            static_cast<std::uint32_t>(k.size()), k.data(),      3};
    fn(user, &o);
  }
  return BUTTER_OK;
}
butter_status st_lookup(const butter_plugin*, butter_str id, butter_storage_object_fn fn, void* user) {
  for (const auto& [held, kws] : g_provider->held)
    if (held == fake::to_string(id)) {
      butter_storage_object o{sizeof(butter_storage_object), fake::str(held), 42, 0, nullptr, 1};
      fn(user, &o);
      return BUTTER_OK;
    }
  return BUTTER_E_NOT_FOUND;
}
const butter_storage_v1 kStorage = {&st_put, &st_get, &st_list, &st_lookup};

// butter.storage/2's local reads: the object "held" is g_provider->held_data under id "h1"; read
// hands it out in pieces of 3 bytes (as a provider may, one per block), or out of order.
std::string g_held_data = "0123456789abcdefghij";
bool g_pieces_out_of_order = false;
butter_status st_manifest(const butter_plugin*, butter_str id, butter_storage_manifest_fn fn, void* user) {
  if (fake::to_string(id) != "h1") return BUTTER_E_NOT_FOUND;
  const std::string m = "PCGM-of-h1";
  fn(user, fake::bytes(m));
  return BUTTER_OK;
}
butter_status st_read(const butter_plugin*, butter_str id, std::uint64_t offset, std::uint64_t length,
                      butter_storage_read_fn fn, void* user, butter_error* err) {
  if (fake::to_string(id) != "h1") return butter_error_set(err, BUTTER_E_NOT_FOUND, "not held here");
  if (length > BUTTER_STORAGE_MAX_READ || offset > g_held_data.size())
    return butter_error_set(err, BUTTER_E_INVALID, "bad range");
  const std::uint64_t end = offset + std::min<std::uint64_t>(length, g_held_data.size() - offset);
  for (std::uint64_t at = offset; at < end; at += 3) {
    const std::uint64_t n = std::min<std::uint64_t>(3, end - at);
    fn(user, g_pieces_out_of_order ? at + 1 : at, fake::bytes(std::string_view(g_held_data).substr(at, n)));
  }
  return BUTTER_OK;
}
const butter_storage_v2 kStorage2 = {&st_put, &st_get, &st_list, &st_lookup, &st_manifest, &st_read};

butter_status se_find(const butter_plugin*, const butter_reply_to* reply, const butter_search_query* q,
                      butter_error* err) {
  if (g_provider->refuse != BUTTER_OK) return butter_error_set(err, g_provider->refuse, "fake search refuses");
  FakeProvider::Call c{"find", fake::to_string(reply->topic), reply->ticket, {}, {}, *q};
  for (std::uint32_t i = 0; i < q->term_count; ++i) c.keywords.push_back(fake::to_string(q->terms[i]));
  c.query.terms = nullptr;  // borrowed for the call only
  g_provider->calls.push_back(std::move(c));
  return BUTTER_OK;
}
butter_status se_annotate(const butter_plugin*, butter_str id, const butter_str* kws, std::uint32_t n, butter_error*) {
  FakeProvider::Call c{"annotate", {}, 0, fake::to_string(id), {}, {}};
  for (std::uint32_t i = 0; i < n; ++i) c.keywords.push_back(fake::to_string(kws[i]));
  g_provider->calls.push_back(std::move(c));
  return BUTTER_OK;
}
const butter_search_v1 kSearch = {&se_find, &se_annotate};

// --- the consumer plugin ---------------------------------------------------------------------------
class Consumer : public butter::Plugin {
 public:
  using Plugin::Plugin;
};

butter::Registry& registry() {
  static butter::Registry r(butter::Entry<Consumer>(butter::Descriptor{
      .id = "test.consumer", .name = "Consumer", .vendor = "test", .version = "1.0.0", .description = "uses storage"}));
  return r;
}

struct Fixture {
  fake::Host host;
  FakeProvider provider;
  butter_plugin provider_plugin{};
  fake::Instance inst{registry().factory(), host, "test.consumer"};
  Fixture() {
    provider.host = &host;
    g_provider = &provider;
    host.services[BUTTER_IFACE_STORAGE] = butter_service{sizeof(butter_service), &kStorage, &provider_plugin};
    host.services[BUTTER_IFACE_SEARCH] = butter_service{sizeof(butter_service), &kSearch, &provider_plugin};
    REQUIRE(inst.init() == BUTTER_OK);
    REQUIRE(inst.start() == BUTTER_OK);
  }
  ~Fixture() { g_provider = nullptr; }
  Consumer& c() { return *butter::Plugin::from<Consumer>(inst.p); }
};

}  // namespace

TEST_CASE("storage put returns the id at once and calls back once with the provider's result", "[sdk][storage]") {
  Fixture f;
  std::vector<butter::PutResult> got;
  const std::string id =
      f.c().storage().put("page v1", {"wiki", "home"}, [&](const butter::PutResult& r) { got.push_back(r); });
  CHECK(id == fake_id("page v1"));
  CHECK(got.empty());
  REQUIRE(f.provider.calls.size() == 1);
  const auto call = f.provider.calls[0];
  CHECK(call.arg == "page v1");
  CHECK(call.keywords == std::vector<std::string>{"wiki", "home"});
  CHECK(f.host.subscriptions.size() == 1);
  CHECK(f.host.subscriptions.begin()->second.topic == call.topic);

  f.provider.put_done(call, BUTTER_OK, id, 3);
  f.provider.put_done(call, BUTTER_OK, id, 4);  // a second result for the same ticket is ignored
  f.host.deliver_events();
  REQUIRE(got.size() == 1);
  CHECK(got[0].ok());
  CHECK(got[0].object_id == id);
  CHECK(got[0].replicas == 3);
  CHECK(f.host.timers.empty());  // no deadline left armed
}

TEST_CASE("storage get delivers the data and reports the provider's error with its message", "[sdk][storage]") {
  Fixture f;
  std::vector<butter::GetResult> got;
  f.c().storage().get("aa", [&](const butter::GetResult& r) { got.push_back(r); });
  f.c().storage().get("bb", [&](const butter::GetResult& r) { got.push_back(r); });
  REQUIRE(f.provider.calls.size() == 2);
  CHECK(f.provider.calls[0].ticket != f.provider.calls[1].ticket);
  f.provider.get_done(f.provider.calls[1], BUTTER_E_NOT_FOUND, "bb", "", "no reachable node has it");
  f.provider.get_done(f.provider.calls[0], BUTTER_OK, "aa", std::string("bin\0ary", 7));
  f.host.deliver_events();
  REQUIRE(got.size() == 2);
  CHECK(got[0].object_id == "bb");
  CHECK(got[0].status.code() == BUTTER_E_NOT_FOUND);
  CHECK(got[0].status.message() == "no reachable node has it");
  CHECK(got[1].ok());
  CHECK(got[1].data == std::string("bin\0ary", 7));
}

TEST_CASE("a malformed storage result fails the call and a result for an unknown ticket is ignored", "[sdk][storage]") {
  Fixture f;
  std::vector<butter::GetResult> got;
  f.c().storage().get("aa", [&](const butter::GetResult& r) { got.push_back(r); });
  const auto call = f.provider.calls.at(0);
  auto w = FakeProvider::head(call, BUTTER_STORAGE_RESULT_GET, BUTTER_OK);
  w.str16("aa");
  w.u32(1000);  // claims 1000 bytes, carries 3
  w.bytes("abc", 3);
  f.provider.publish(call, w.take());
  FakeProvider::Call stranger = call;
  stranger.ticket = 999;
  f.provider.get_done(stranger, BUTTER_OK, "zz", "nope");
  f.host.event_queue.emplace_back(call.topic, "short");  // not even a head
  f.host.deliver_events();
  REQUIRE(got.size() == 1);
  CHECK(got[0].status.code() == BUTTER_E_INTERNAL);
  CHECK(got[0].data.empty());
}

TEST_CASE("without a storage provider the callback gets NOT_FOUND or UNAVAILABLE later, never inside the call",
          "[sdk][storage]") {
  Fixture f;
  f.host.services.erase(BUTTER_IFACE_STORAGE);
  std::vector<butter::PutResult> puts;
  std::vector<butter::GetResult> gets;
  CHECK_FALSE(f.c().storage().available());
  CHECK(f.c().storage().put("x", {}, [&](const butter::PutResult& r) { puts.push_back(r); }).empty());
  CHECK(puts.empty());
  f.host.advance(0);
  REQUIRE(puts.size() == 1);
  CHECK(puts[0].status.code() == BUTTER_E_NOT_FOUND);

  f.host.services[BUTTER_IFACE_STORAGE] = butter_service{sizeof(butter_service), nullptr, nullptr};  // swapping
  f.c().storage().get("aa", [&](const butter::GetResult& r) { gets.push_back(r); });
  CHECK(gets.empty());
  f.host.advance(0);
  REQUIRE(gets.size() == 1);
  CHECK(gets[0].status.code() == BUTTER_E_UNAVAILABLE);
  CHECK(gets[0].object_id == "aa");
  CHECK(f.c().storage().list().status.code() == BUTTER_E_UNAVAILABLE);
}

TEST_CASE("a provider's refusal reaches the callback with its code and message", "[sdk][storage]") {
  Fixture f;
  f.provider.refuse = BUTTER_E_NOMEM;
  std::vector<butter::PutResult> got;
  CHECK(f.c().storage().put("big", {}, [&](const butter::PutResult& r) { got.push_back(r); }).empty());
  CHECK(got.empty());
  f.host.advance(0);
  REQUIRE(got.size() == 1);
  CHECK(got[0].status.code() == BUTTER_E_NOMEM);
  CHECK(got[0].status.message() == "fake storage refuses");
}

TEST_CASE("a provider that vanishes with a call leaves no callback pending: TIMEOUT at the deadline",
          "[sdk][storage]") {
  Fixture f;
  std::vector<butter::GetResult> got;
  f.c().storage().get(
      "aa", [&](const butter::GetResult& r) { got.push_back(r); }, std::chrono::milliseconds(2000));
  f.c().storage().get(
      "bb", [&](const butter::GetResult& r) { got.push_back(r); }, std::chrono::milliseconds(500));
  f.host.advance(499);
  CHECK(got.empty());
  f.host.advance(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].object_id == "bb");
  CHECK(got[0].status.code() == BUTTER_E_TIMEOUT);
  f.host.advance(1499);
  CHECK(got.size() == 1);
  f.host.advance(1);
  REQUIRE(got.size() == 2);
  CHECK(got[1].status.code() == BUTTER_E_TIMEOUT);
  // The result arriving after the deadline is ignored.
  f.provider.get_done(f.provider.calls.at(0), BUTTER_OK, "aa", "late");
  f.host.deliver_events();
  CHECK(got.size() == 2);
  CHECK(f.host.timers.empty());
}

TEST_CASE("a callback may start the next call and two instances use different topics", "[sdk][storage]") {
  Fixture f;
  std::vector<std::string> order;
  f.c().storage().put("one", {}, [&](const butter::PutResult& r) {
    order.push_back("put " + std::string(r.ok() ? "ok" : "failed"));
    f.c().storage().get(r.object_id, [&](const butter::GetResult& g) { order.push_back("get " + g.data); });
  });
  f.provider.put_done(f.provider.calls.at(0), BUTTER_OK, fake_id("one"), 1);
  f.host.deliver_events();
  REQUIRE(f.provider.calls.size() == 2);
  CHECK(f.provider.calls[1].arg == fake_id("one"));
  f.provider.get_done(f.provider.calls[1], BUTTER_OK, fake_id("one"), "one");
  f.host.deliver_events();
  CHECK(order == std::vector<std::string>{"put ok", "get one"});
  CHECK(f.host.subscriptions.size() == 1);  // one subscription per instance, whatever the calls

  fake::Instance other(registry().factory(), f.host, "test.consumer");
  REQUIRE(other.init() == BUTTER_OK);
  butter::Plugin::from<Consumer>(other.p)->storage().get("cc", [](const butter::GetResult&) {});
  REQUIRE(f.host.subscriptions.size() == 2);
  CHECK(f.host.subscriptions.begin()->second.topic != std::next(f.host.subscriptions.begin())->second.topic);
}

TEST_CASE("an instance destroyed with calls pending is never called back and unsubscribes", "[sdk][storage]") {
  fake::Host host;
  FakeProvider provider;
  provider.host = &host;
  g_provider = &provider;
  butter_plugin pp{};
  host.services[BUTTER_IFACE_STORAGE] = butter_service{sizeof(butter_service), &kStorage, &pp};
  int called = 0;
  {
    fake::Instance inst(registry().factory(), host, "test.consumer");
    REQUIRE(inst.init() == BUTTER_OK);
    butter::Plugin::from<Consumer>(inst.p)->storage().get("aa", [&](const butter::GetResult&) { ++called; });
    CHECK(host.subscriptions.size() == 1);
  }
  // The real host drops an instance's subscriptions and timers when the instance stops; the fake
  // leaves that to the test. What is left of the call must not call back.
  host.subscriptions.clear();
  host.timers.clear();
  provider.get_done(provider.calls.at(0), BUTTER_OK, "aa", "x");
  host.deliver_events();
  host.advance(60000);
  CHECK(called == 0);
  g_provider = nullptr;
}

TEST_CASE("storage list and lookup map the provider's objects", "[sdk][storage]") {
  Fixture f;
  f.provider.held = {{"a1", {"x", "y"}}, {"b2", {}}};
  const auto l = f.c().storage().list();
  REQUIRE(l.ok());
  REQUIRE(l.objects.size() == 2);
  CHECK(l.objects[0].object_id == "a1");
  CHECK(l.objects[0].keywords == std::vector<std::string>{"x", "y"});
  CHECK(l.objects[0].size_bytes == 42);
  CHECK(l.objects[0].group_size == 3);
  butter::Status st;
  CHECK(f.c().storage().lookup("b2", &st).has_value());
  CHECK(st.ok());
  CHECK_FALSE(f.c().storage().lookup("zz", &st).has_value());
  CHECK(st.code() == BUTTER_E_NOT_FOUND);
}

TEST_CASE("storage manifest and read go to butter.storage/2 and join the provider's pieces", "[sdk][storage]") {
  Fixture f;
  f.host.services[BUTTER_IFACE_STORAGE_V2] = butter_service{sizeof(butter_service), &kStorage2, &f.provider_plugin};
  g_pieces_out_of_order = false;
  CHECK(f.c().storage().local_reads());
  const auto m = f.c().storage().manifest("h1");
  REQUIRE(m.ok());
  CHECK(m.bytes == "PCGM-of-h1");
  const auto whole = f.c().storage().read("h1", 0, 100);
  REQUIRE(whole.ok());
  CHECK(whole.data == g_held_data);
  const auto mid = f.c().storage().read("h1", 5, 7);
  REQUIRE(mid.ok());
  CHECK(mid.offset == 5);
  CHECK(mid.data == "56789ab");
  const auto end = f.c().storage().read("h1", 20, 7);
  CHECK(end.ok());
  CHECK(end.data.empty());
  const auto past = f.c().storage().read("h1", 21, 7);
  CHECK(past.status.code() == BUTTER_E_INVALID);
  CHECK(past.status.message() == "bad range");
  CHECK(f.c().storage().manifest("zz").status.code() == BUTTER_E_NOT_FOUND);
  CHECK(f.c().storage().read("zz", 0, 1).status.code() == BUTTER_E_NOT_FOUND);
}

TEST_CASE("a read whose pieces are not consecutive is an error, never wrong bytes", "[sdk][storage]") {
  Fixture f;
  f.host.services[BUTTER_IFACE_STORAGE_V2] = butter_service{sizeof(butter_service), &kStorage2, &f.provider_plugin};
  g_pieces_out_of_order = true;
  const auto r = f.c().storage().read("h1", 0, 10);
  g_pieces_out_of_order = false;
  CHECK(r.status.code() == BUTTER_E_INTERNAL);
  CHECK(r.data.empty());
}

TEST_CASE("without a butter.storage/2 provider manifest and read say UNSUPPORTED, not NOT_FOUND", "[sdk][storage]") {
  Fixture f;  // serves butter.storage/1 only
  CHECK_FALSE(f.c().storage().local_reads());
  CHECK(f.c().storage().manifest("h1").status.code() == BUTTER_E_UNSUPPORTED);
  CHECK(f.c().storage().read("h1", 0, 1).status.code() == BUTTER_E_UNSUPPORTED);
}

TEST_CASE("search streams hits then one done and passes the query through", "[sdk][search]") {
  Fixture f;
  std::vector<butter::Hit> hits;
  std::vector<butter::SearchDone> dones;
  butter::Query q = butter::Query::keywords({"wiki", "home"});
  q.max_results = 5;
  q.ttl = 3;
  q.timeout_ms = 800;
  f.c().search().find(
      q, [&](const butter::Hit& h) { hits.push_back(h); }, [&](const butter::SearchDone& d) { dones.push_back(d); });
  REQUIRE(f.provider.calls.size() == 1);
  const auto call = f.provider.calls[0];
  CHECK(call.query.kind == BUTTER_SEARCH_BY_KEYWORDS);
  CHECK(call.keywords == std::vector<std::string>{"wiki", "home"});
  CHECK(call.query.max_results == 5);
  CHECK(call.query.ttl == 3);
  CHECK(call.query.timeout_ms == 800);
  f.provider.hit(call, "o1", "n1", {"wiki", "home"});
  f.provider.hit(call, "o2", "n2");
  f.provider.done(call, BUTTER_OK, 2, 17);
  f.provider.hit(call, "o3", "n3");  // after DONE: ignored
  f.host.deliver_events();
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].object_id == "o1");
  CHECK(hits[0].node_id == "n1");
  CHECK(hits[0].endpoints == std::vector<std::string>{"tcp://127.0.0.1:7000"});
  CHECK(hits[0].keywords == std::vector<std::string>{"wiki", "home"});
  CHECK(hits[0].hops == 2);
  REQUIRE(dones.size() == 1);
  CHECK(dones[0].ok());
  CHECK(dones[0].hits == 2);
  CHECK(dones[0].messages == 17);
}

TEST_CASE("a search without DONE ends at timeout_ms plus the grace with the hits counted", "[sdk][search]") {
  Fixture f;
  int hits = 0;
  std::optional<butter::SearchDone> done;
  butter::Query q = butter::Query::object("o1");
  q.timeout_ms = 1000;
  f.c().search().find(
      q, [&](const butter::Hit&) { ++hits; }, [&](const butter::SearchDone& d) { done = d; });
  CHECK(f.provider.calls.at(0).query.kind == BUTTER_SEARCH_BY_OBJECT);
  f.provider.hit(f.provider.calls[0], "o1", "n1");
  f.host.deliver_events();
  f.host.advance(1000 + static_cast<std::uint64_t>(butter::Search::grace.count()) - 1);
  CHECK_FALSE(done);
  f.host.advance(1);
  REQUIRE(done);
  CHECK(done->status.code() == BUTTER_E_TIMEOUT);
  CHECK(done->hits == 1);
  CHECK(hits == 1);
}

TEST_CASE("search without a provider or refused calls on_done later with the status", "[sdk][search]") {
  Fixture f;
  std::vector<butter::SearchDone> dones;
  f.provider.refuse = BUTTER_E_INVALID;
  f.c().search().find(butter::Query::keywords({}), nullptr, [&](const butter::SearchDone& d) { dones.push_back(d); });
  f.host.services.erase(BUTTER_IFACE_SEARCH);
  f.c().search().find(butter::Query::keywords({"x"}), nullptr,
                      [&](const butter::SearchDone& d) { dones.push_back(d); });
  CHECK(dones.empty());
  CHECK(f.c().search().annotate("o1", {"k"}).code() == BUTTER_E_NOT_FOUND);
  f.host.advance(0);
  REQUIRE(dones.size() == 2);
  CHECK(dones[0].status.code() == BUTTER_E_INVALID);
  CHECK(dones[1].status.code() == BUTTER_E_NOT_FOUND);
}

TEST_CASE("search annotate passes the keywords through", "[sdk][search]") {
  Fixture f;
  CHECK(f.c().search().annotate("o1", {"a", "b"}).ok());
  REQUIRE(f.provider.calls.size() == 1);
  CHECK(f.provider.calls[0].what == "annotate");
  CHECK(f.provider.calls[0].keywords == std::vector<std::string>{"a", "b"});
}
