// butter/testing/fake_instance.hpp — a plugin instance under test: created from the plugin's
// factory on a fake host, driven through init/start/stop, destroyed at scope end; and string-backed
// butter_ostream / butter_istream for its butter.state/1 (hot-swap state). Part of testing.hpp.
#pragma once

#include <butter/butter.h>
#include <butter/testing/fake_core.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace butter::testing {

// A string-backed butter_ostream: what an instance's save_state wrote.
struct OutStream {
  std::string data;
  butter_ostream c{this, &OutStream::write};
  static butter_status write(const butter_ostream* s, butter_bytes b) {
    static_cast<OutStream*>(s->ctx)->data += to_string(b);
    return BUTTER_OK;
  }
};

// A string-backed butter_istream: what an instance's load_state reads.
struct InStream {
  explicit InStream(std::string d) : data(std::move(d)) {}
  std::string data;
  std::size_t pos = 0;
  butter_istream c{this, &InStream::read};
  static butter_status read(const butter_istream* s, std::uint8_t* buf, std::size_t cap, std::size_t* n) {
    auto* self = static_cast<InStream*>(s->ctx);
    const std::size_t k = std::min(cap, self->data.size() - self->pos);
    std::memcpy(buf, self->data.data() + self->pos, k);  // NOLINT(bugprone-not-null-terminated-result): bytes
    self->pos += k;
    *n = k;
    return BUTTER_OK;
  }
};

// Creates an instance of `id` through `factory` on `host` (any fake host: it needs host() and
// learn_schema_defaults()); destroys it (stopping it first if started) when it goes out of scope.
class Instance {
 public:
  template <class Host>
  Instance(const butter_plugin_factory* f, const Host& host, const char* id) : p(f->create(f, host.host(), id)) {
    host.learn_schema_defaults(p ? p->desc : nullptr);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance() { destroy(); }

  butter_status init() { return p->init(p, &err); }
  butter_status start() {
    const butter_status s = p->start(p, &err);
    started_ = s == BUTTER_OK;
    return s;
  }
  void stop() {
    if (started_) p->stop(p);
    started_ = false;
  }
  void destroy() {
    if (!p) return;
    stop();
    p->destroy(p);
    p = nullptr;
  }
  const void* extension(const char* id) const { return p->get_extension(p, id); }

  const butter_plugin* p;
  butter_error err = [] {
    butter_error e;
    butter_error_init(&e);
    return e;
  }();

 private:
  bool started_ = false;
};

}  // namespace butter::testing
