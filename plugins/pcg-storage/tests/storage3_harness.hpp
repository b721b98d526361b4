// The fixture of the butter.storage/3 tests (interface3_test.cpp, storage_wrapper_test.cpp): one
// pcg-storage node (r = 1) on the SDK's fake host, a consumer recording what its handlers got, and
// a streamed put helper.
#pragma once
#include <butter/testing.hpp>
#include "descriptor.hpp"
#include "pcg_plugin.hpp"

#include <butter/cpp/storage.hpp>

#include <catch2/catch.hpp>

#include <random>

namespace fake = butter::testing;

using namespace butter::pcg;

namespace {

struct Node {
  fake::Host fh;
  butter::detail::DescriptorStorage desc{pcg_descriptor()};  // the plugin's own schema and defaults
  const butter_plugin* p = nullptr;
  PcgStorage* obj = nullptr;

  explicit Node(std::map<std::string, fake::Host::Value> config) {
    fh.config = std::move(config);
    obj = new PcgStorage(butter::Context{fh.host(), desc.c(), false});
    p = obj->c_plugin();
    butter_error err;
    butter_error_init(&err);
    REQUIRE(p->init(p, &err) == BUTTER_OK);
    REQUIRE(p->start(p, &err) == BUTTER_OK);
  }
  bool stopped = false;
  void stop() {
    if (!stopped) p->stop(p);
    stopped = true;
  }
  ~Node() {
    stop();
    p->destroy(p);
  }
  const butter_storage_v3* v3() const {
    return static_cast<const butter_storage_v3*>(p->get_extension(p, BUTTER_IFACE_STORAGE_V3));
  }
  // Runs due timers (the zero-delay flush and the engine's tick) until `cond` or `steps` run out.
  template <class F>
  bool run_until(F cond, int steps = 2000) {
    for (int i = 0; i < steps && !cond(); ++i) fh.advance(1);
    return cond();
  }
};

inline std::string random_string(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

struct PutResult {
  int calls = 0;
  butter_status status = BUTTER_E_INTERNAL;
  std::string id;
  std::uint32_t replicas = 0;
  static void done(void* user, uint64_t, butter_status st, butter_str id, uint32_t replicas, butter_str) {
    auto* r = static_cast<PutResult*>(user);
    ++r->calls;
    r->status = st;
    r->id = std::string(id.data, id.len);
    r->replicas = replicas;
  }
};

// A consumer that asks for one more chunk from inside each chunk callback (pull).
struct Consumer {
  const Node* node = nullptr;
  std::uint64_t read_id = 0;
  std::string got;
  std::uint64_t next = 0;
  bool in_order = true;
  int done_calls = 0;
  butter_status status = BUTTER_E_INTERNAL;
  std::uint64_t next_offset = 0;
  std::string reason;
  bool credit_from_callback = true;
  static void chunk(void* user, uint64_t id, uint64_t offset, butter_bytes data) {
    auto* c = static_cast<Consumer*>(user);
    c->in_order = c->in_order && id == c->read_id && offset == c->next;
    c->got.append(reinterpret_cast<const char*>(data.data), data.len);
    c->next = offset + data.len;
    if (c->credit_from_callback) CHECK(c->node->v3()->read_credit(c->node->p, id, 1) == BUTTER_OK);
  }
  static void done(void* user, uint64_t, butter_status st, uint64_t next_offset, butter_str reason) {
    auto* c = static_cast<Consumer*>(user);
    ++c->done_calls;
    c->status = st;
    c->next_offset = next_offset;
    c->reason = std::string(reason.data, reason.len);
  }
  butter_storage_read_handlers handlers() {
    return butter_storage_read_handlers{sizeof(butter_storage_read_handlers), this, &chunk, &done};
  }
};

inline std::string streamed_put(Node& n, const std::string& data, std::size_t piece) {
  butter_error err;
  butter_error_init(&err);
  butter_str kw[] = {fake::str("big")};
  std::uint64_t put = 0;
  REQUIRE(n.v3()->put_begin(n.p, kw, 1, data.size(), &put, &err) == BUTTER_OK);
  for (std::size_t off = 0; off < data.size(); off += piece) {
    const std::size_t len = std::min(piece, data.size() - off);
    REQUIRE(n.v3()->put_write(n.p, put, butter_bytes{reinterpret_cast<const std::uint8_t*>(data.data()) + off, len},
                              &err) == BUTTER_OK);
  }
  PutResult res;
  butter_storage_put_handlers ph{sizeof ph, &res, &PutResult::done};
  char id[65] = {};
  REQUIRE(n.v3()->put_commit(n.p, put, &ph, id, &err) == BUTTER_OK);
  CHECK(res.calls == 0);  // never inside put_commit
  REQUIRE(n.run_until([&] { return res.calls > 0; }));
  CHECK(res.calls == 1);
  CHECK(res.status == BUTTER_OK);
  CHECK(res.id == id);
  CHECK(res.replicas == 1);
  return id;
}

// A plugin that only consumes interfaces (butter.storage/3 through the SDK's wrapper).
class ConsumerPlugin : public butter::Plugin {
 public:
  using Plugin::Plugin;
};

// A consumer instance on the node's fake host, started; stopped and destroyed with the object.
struct ConsumerNode {
  butter::detail::DescriptorStorage desc{butter::Descriptor{.id = "test.consumer", .name = "Consumer"}};
  ConsumerPlugin* obj;
  const butter_plugin* cp;
  explicit ConsumerNode(Node& n)
      : obj(new ConsumerPlugin(butter::Context{n.fh.host(), desc.c(), false})), cp(obj->c_plugin()) {
    n.fh.services[BUTTER_IFACE_STORAGE_V3] = butter_service{sizeof(butter_service), n.v3(), n.p};
    butter_error err;
    butter_error_init(&err);
    REQUIRE(cp->init(cp, &err) == BUTTER_OK);
    REQUIRE(cp->start(cp, &err) == BUTTER_OK);
  }
  ~ConsumerNode() {
    cp->stop(cp);
    cp->destroy(cp);
  }
};

inline std::string store_streamed(Node& n, butter::Storage st, const std::string& data) {
  butter::StoragePut w = st.put_begin({"w"}, data.size());
  REQUIRE(w.write(butter::Bytes(reinterpret_cast<const std::uint8_t*>(data.data()), data.size())).ok());
  int calls = 0;
  const std::string id = w.commit([&](const butter::PutResult& r) { calls += r.ok() ? 1 : 100; });
  REQUIRE(n.run_until([&] { return calls > 0; }));
  REQUIRE(calls == 1);
  return id;
}

}  // namespace
