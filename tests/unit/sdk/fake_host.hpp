// A small fake host for the SDK's unit tests: implements butter_host and the extensions the
// wrapper uses most (log, node, config, timer, net, http, metrics, services, events) with recording
// tables, and lets a test deliver messages, fire timers, complete requests and call routes by
// hand. Everything runs on the test's thread, as on a node's executor.
#pragma once

#include <butter/butter.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace fake {

inline butter_str str(std::string_view s) { return {s.data(), s.size()}; }
inline std::string to_string(butter_str s) { return s.data ? std::string(s.data, s.len) : std::string(); }
inline std::string to_string(butter_bytes b) {
  return b.data ? std::string(reinterpret_cast<const char*>(b.data), b.len) : std::string();
}
inline butter_bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

class Host {
 public:
  using Value = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

  Host() {
    c.struct_size = sizeof c;
    c.abi = BUTTER_ABI_VERSION_INIT;
    c.name = "fake";
    c.version = "0.0.0";
    c.host_data = this;
    c.get_extension = &Host::get_extension;
    c.post = &Host::post;
  }
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const butter_host* host() const { return &c; }

  // --- what the test sets and inspects -------------------------------------------------------
  std::set<std::string> disabled;  // extension ids to answer NULL for
  std::map<std::string, Value> config;
  // The defaults the instance's schema declares (butter_config_key_ext), served for keys `config`
  // lacks, as the real host does; filled by Instance from the plugin's descriptor.
  mutable std::map<std::string, Value> schema_defaults;
  void learn_schema_defaults(const butter_plugin_descriptor* d) const {
    schema_defaults.clear();
    if (!d || d->struct_size < sizeof(butter_plugin_descriptor) || !d->config_key_ext) return;
    const auto* base = reinterpret_cast<const unsigned char*>(d->config_key_ext);
    for (std::uint32_t i = 0; i < d->config_key_ext_len; ++i) {
      const auto& e = *reinterpret_cast<const butter_config_key_ext*>(base + std::size_t{i} * d->config_key_ext_size);
      if (!(e.has & BUTTER_CONFIG_HAS_DEFAULT)) continue;
      for (std::uint32_t k = 0; k < d->config_schema_len; ++k) {
        if (std::strcmp(d->config_schema[k].key, e.key) != 0) continue;
        switch (d->config_schema[k].type) {
          case BUTTER_CONFIG_INT: schema_defaults[e.key] = std::int64_t{e.int_default}; break;
          case BUTTER_CONFIG_FLOAT: schema_defaults[e.key] = e.float_default; break;
          case BUTTER_CONFIG_BOOL: schema_defaults[e.key] = e.bool_default != 0; break;
          case BUTTER_CONFIG_STRING: schema_defaults[e.key] = std::string(e.string_default ? e.string_default : ""); break;
          default: {
            std::vector<std::string> items;
            for (std::size_t j = 0; e.strings_default && e.strings_default[j]; ++j) items.emplace_back(e.strings_default[j]);
            schema_defaults[e.key] = std::move(items);
          }
        }
      }
    }
  }
  std::string node_id = std::string(64, 'a');
  std::uint64_t now = 0;

  std::vector<std::pair<std::int32_t, std::string>> logs;
  bool logged(std::string_view needle) const {
    for (const auto& [level, line] : logs)
      if (line.find(needle) != std::string::npos) return true;
    return false;
  }

  struct TimerRec {
    std::uint64_t delay, period;
    butter_timer_fn fn;
    void* user;
    std::uint64_t due = 0;  // now + delay when set
  };
  std::map<std::uint64_t, TimerRec> timers;
  // Fires timer `id` as the node would (a one-shot is forgotten first).
  bool fire(std::uint64_t id) {
    auto it = timers.find(id);
    if (it == timers.end()) return false;
    const TimerRec rec = it->second;
    if (rec.period == 0) timers.erase(it);
    rec.fn(rec.user, id);
    return true;
  }
  std::uint64_t only_timer() const { return timers.size() == 1 ? timers.begin()->first : 0; }
  // Moves the clock on by `ms` and fires, in due order, every timer due by then (periodic ones
  // once per call). Returns how many fired.
  int advance(std::uint64_t ms) {
    now += ms;
    int n = 0;
    for (int guard = 0; guard < 10000; ++guard) {
      std::uint64_t best = 0, best_due = 0;
      for (const auto& [id, t] : timers)
        if (t.due <= now && (best == 0 || t.due < best_due)) best = id, best_due = t.due;
      if (best == 0) break;
      if (timers[best].period) timers[best].due = now + timers[best].period;
      fire(best);
      ++n;
    }
    return n;
  }

  // butter.events/1: publish queues, deliver_events() delivers in order (as the node's loop would).
  struct SubscriptionRec {
    std::string topic;
    butter_event_fn fn;
    void* user;
  };
  std::map<std::uint64_t, SubscriptionRec> subscriptions;
  std::vector<std::pair<std::string, std::string>> event_queue;  // (topic, payload) not yet delivered
  int events_refused = 0;  // publishes refused for the bus limits
  // Delivers queued events (and those their handlers publish) until none is left; returns how many.
  int deliver_events() {
    int n = 0;
    while (!event_queue.empty() && n < 100000) {
      auto [topic, payload] = event_queue.front();
      event_queue.erase(event_queue.begin());
      std::vector<std::uint64_t> ids;
      for (const auto& [id, sub] : subscriptions)
        if (sub.topic == topic) ids.push_back(id);
      for (std::uint64_t id : ids) {
        auto it = subscriptions.find(id);
        if (it == subscriptions.end()) continue;
        const SubscriptionRec rec = it->second;
        rec.fn(rec.user, str(topic), bytes(payload));
        ++n;
      }
    }
    return n;
  }

  struct HandlerRec {
    butter_net_handler_fn fn;
    void* user;
  };
  std::map<std::string, HandlerRec, std::less<>> handlers;
  struct ReplyRec {
    std::uint64_t token;
    butter_status status;
    std::string payload;
  };
  std::vector<ReplyRec> replies;
  int replies_again = 0;  // the next this many replies (either form) answer BUTTER_E_AGAIN, token kept
  int reply_parts_calls = 0;  // butter.net.reply/1 reply_parts calls that reached the host
  // Delivers a request (or a one-way message) to the handler of `protocol`; returns its token.
  std::uint64_t deliver(std::string_view protocol, std::string_view payload, bool request = true,
                        std::string_view from = std::string(64, 'b')) {
    auto it = handlers.find(protocol);
    if (it == handlers.end()) return 0;
    butter_net_message m{};
    m.struct_size = sizeof m;
    m.from = str(from);
    m.protocol = str(protocol);
    m.payload = bytes(payload);
    m.reply_token = request ? next_token_++ : 0;
    live_tokens_.insert(m.reply_token);
    it->second.fn(it->second.user, &m);
    return m.reply_token;
  }
  const ReplyRec* reply_for(std::uint64_t token) const {
    const ReplyRec* found = nullptr;
    for (const auto& r : replies)
      if (r.token == token) {
        if (found) return nullptr;  // answered twice: a bug
        found = &r;
      }
    return found;
  }

  struct SentRec {
    std::string peer, protocol, payload;
  };
  std::vector<SentRec> sent;
  struct RequestRec {
    std::uint64_t id;
    std::string peer, protocol, payload;
    std::uint32_t timeout_ms;
    butter_net_response_fn fn;
    void* user;
  };
  std::vector<RequestRec> requests;  // pending
  butter_status request_result = BUTTER_OK;  // what request() returns
  // Completes the oldest pending request.
  bool complete(butter_status status, std::string_view payload) {
    if (requests.empty()) return false;
    RequestRec r = requests.front();
    requests.erase(requests.begin());
    butter_net_message m{};
    m.struct_size = sizeof m;
    m.from = str(node_id);
    m.protocol = str(r.protocol);
    m.payload = bytes(payload);
    r.fn(r.user, status, &m);
    return true;
  }

  struct RouteRec {
    std::string method, path;
    std::int32_t prefix;
    butter_http_handler_fn fn;
    void* user;
  };
  std::map<std::uint64_t, RouteRec> routes;
  struct HttpResp {
    std::uint64_t token;
    std::int32_t status;
    std::string content_type, body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<HttpResp> http_responses;
  // Calls the route matching method and path exactly; returns the token (0: no route).
  std::uint64_t call(std::string_view method, std::string_view path, std::string_view query = {},
                     std::string_view body = {}, std::vector<std::pair<std::string, std::string>> headers = {}) {
    for (auto& [id, r] : routes) {
      if ((r.method != method && r.method != "*") || r.path != path) continue;
      std::vector<butter_http_header> hs;
      for (auto& [n, v] : headers) hs.push_back({str(n), str(v)});
      butter_http_request q{};
      q.struct_size = sizeof q;
      q.method = str(method);
      q.path = str(path);
      q.query = str(query);
      q.body = bytes(body);
      q.header_count = static_cast<std::uint32_t>(hs.size());
      q.headers = hs.empty() ? nullptr : hs.data();
      q.reply_token = next_token_++;
      live_tokens_.insert(q.reply_token);
      r.fn(r.user, &q);
      return q.reply_token;
    }
    return 0;
  }
  const HttpResp* response_for(std::uint64_t token) const {
    for (const auto& r : http_responses)
      if (r.token == token) return &r;
    return nullptr;
  }

  std::map<std::string, std::uint64_t> counters;
  std::map<std::string, double> gauges;
  std::map<std::string, std::string> help;

  std::map<std::string, butter_service> services;

  butter_host c{};

 private:
  static Host& of(const butter_host* h) { return *static_cast<Host*>(h->host_data); }
  std::uint64_t next_id_ = 1;
  std::uint64_t next_token_ = 1000;
  std::set<std::uint64_t> live_tokens_;

  static const void* get_extension(const butter_host* h, const char* id) {
    if (of(h).disabled.count(id)) return nullptr;
    static const butter_log_v1 log = {&Host::log, &Host::log_enabled};
    static const butter_node_v1 node = {&Host::node_id_fn, &Host::node_name, &Host::uptime, &Host::budget,
                                        &Host::data_dir, &Host::endpoint_count, &Host::endpoint,
                                        &Host::instance_name};
    static const butter_config_v1 config = {&Host::get_string, &Host::get_int, &Host::get_float,
                                            &Host::get_bool, &Host::get_array_len, &Host::get_array_item};
    static const butter_timer_v1 timer = {&Host::timer_set, &Host::timer_cancel, &Host::now_ms};
    static const butter_net_v1 net = {&Host::handle, &Host::unhandle, &Host::send, &Host::request,
                                      &Host::cancel, &Host::reply, nullptr, nullptr, nullptr, nullptr,
                                      nullptr, nullptr, nullptr, nullptr};
    static const butter_net_reply_v1 net_reply = {&Host::reply_parts};
    static const butter_http_v1 http = {&Host::route, &Host::unroute, &Host::respond, &Host::base_url};
    static const butter_metrics_v1 metrics = {&Host::counter_add, &Host::gauge_set, &Host::describe};
    static const butter_services_v1 services = {&Host::acquire};
    static const butter_events_v1 events = {&Host::ev_publish, &Host::ev_subscribe, &Host::ev_unsubscribe};
    const std::string_view s = id;
    if (s == BUTTER_EXT_LOG) return &log;
    if (s == BUTTER_EXT_NODE) return &node;
    if (s == BUTTER_EXT_CONFIG) return &config;
    if (s == BUTTER_EXT_TIMER) return &timer;
    if (s == BUTTER_EXT_NET) return &net;
    if (s == BUTTER_EXT_NET_REPLY) return &net_reply;
    if (s == BUTTER_EXT_HTTP) return &http;
    if (s == BUTTER_EXT_METRICS) return &metrics;
    if (s == BUTTER_EXT_SERVICES) return &services;
    if (s == BUTTER_EXT_EVENTS) return &events;
    return nullptr;
  }
  static butter_status post(const butter_host*, void (*fn)(void*), void* user) {
    fn(user);  // good enough for a single-threaded test
    return BUTTER_OK;
  }

  static void log(const butter_host* h, std::int32_t level, butter_str msg) {
    of(h).logs.emplace_back(level, to_string(msg));
  }
  static std::int32_t log_enabled(const butter_host*, std::int32_t) { return 1; }

  static butter_str node_id_fn(const butter_host* h) { return str(of(h).node_id); }
  static butter_str node_name(const butter_host*) { return str("fake-node"); }
  static std::uint64_t uptime(const butter_host* h) { return of(h).now; }
  static std::uint64_t budget(const butter_host*) { return 64u << 20; }
  static butter_str data_dir(const butter_host*) { return str(""); }
  static std::uint32_t endpoint_count(const butter_host*) { return 1; }
  static butter_str endpoint(const butter_host*, std::uint32_t) { return str("tcp://127.0.0.1:7000"); }
  static butter_str instance_name(const butter_host*) { return str("probe"); }

  template <class T>
  static butter_status lookup(const butter_host* h, const char* key, const T*& out) {
    const auto& table = of(h).config.count(key) ? of(h).config : of(h).schema_defaults;  // as the real host (1.3)
    auto it = table.find(key);
    if (it == table.end()) return BUTTER_E_NOT_FOUND;
    out = std::get_if<T>(&it->second);
    return out ? BUTTER_OK : BUTTER_E_INVALID;
  }
  static butter_status get_string(const butter_host* h, const char* key, butter_str* out) {
    const std::string* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = str(*v);
    return s;
  }
  static butter_status get_int(const butter_host* h, const char* key, std::int64_t* out) {
    const std::int64_t* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = *v;
    return s;
  }
  static butter_status get_float(const butter_host* h, const char* key, double* out) {
    const double* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = *v;
    return s;
  }
  static butter_status get_bool(const butter_host* h, const char* key, std::int32_t* out) {
    const bool* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = *v ? 1 : 0;
    return s;
  }
  static butter_status get_array_len(const butter_host* h, const char* key, std::uint32_t* out) {
    const std::vector<std::string>* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s == BUTTER_OK) *out = static_cast<std::uint32_t>(v->size());
    return s;
  }
  static butter_status get_array_item(const butter_host* h, const char* key, std::uint32_t i, butter_str* out) {
    const std::vector<std::string>* v = nullptr;
    const butter_status s = lookup(h, key, v);
    if (s != BUTTER_OK) return s;
    if (i >= v->size()) return BUTTER_E_NOT_FOUND;
    *out = str((*v)[i]);
    return BUTTER_OK;
  }

  static butter_status timer_set(const butter_host* h, std::uint64_t delay, std::uint64_t period, butter_timer_fn fn,
                                 void* user, std::uint64_t* out) {
    const std::uint64_t id = of(h).next_id_++;
    of(h).timers[id] = {delay, period, fn, user, of(h).now + delay};
    if (out) *out = id;
    return BUTTER_OK;
  }
  static void timer_cancel(const butter_host* h, std::uint64_t id) { of(h).timers.erase(id); }
  static std::uint64_t now_ms(const butter_host* h) { return of(h).now; }

  static butter_status handle(const butter_host* h, butter_str protocol, butter_net_handler_fn fn, void* user,
                              butter_error* err) {
    auto& hs = of(h).handlers;
    const std::string p = to_string(protocol);
    if (hs.count(p)) return butter_error_set(err, BUTTER_E_INVALID, "protocol already handled");
    hs[p] = {fn, user};
    return BUTTER_OK;
  }
  static void unhandle(const butter_host* h, butter_str protocol) {
    auto& hs = of(h).handlers;
    auto it = hs.find(to_string(protocol));
    if (it != hs.end()) hs.erase(it);
  }
  static butter_status send(const butter_host* h, butter_str peer, butter_str protocol, butter_bytes payload,
                            butter_error*) {
    of(h).sent.push_back({to_string(peer), to_string(protocol), to_string(payload)});
    return BUTTER_OK;
  }
  static butter_status request(const butter_host* h, butter_str peer, butter_str protocol, butter_bytes payload,
                               std::uint32_t timeout_ms, butter_net_response_fn fn, void* user, std::uint64_t* out_id,
                               butter_error* err) {
    Host& self = of(h);
    if (self.request_result != BUTTER_OK)
      return butter_error_set(err, self.request_result, "fake: request refused");
    const std::uint64_t id = self.next_id_++;
    self.requests.push_back({id, to_string(peer), to_string(protocol), to_string(payload), timeout_ms, fn, user});
    if (out_id) *out_id = id;
    return BUTTER_OK;
  }
  static void cancel(const butter_host* h, std::uint64_t id) {
    auto& rs = of(h).requests;
    for (auto it = rs.begin(); it != rs.end(); ++it)
      if (it->id == id) {
        rs.erase(it);
        return;
      }
  }
  static butter_status reply(const butter_host* h, std::uint64_t token, butter_status status, butter_bytes payload) {
    Host& self = of(h);
    if (!self.live_tokens_.count(token)) return BUTTER_E_NOT_FOUND;
    if (self.replies_again > 0) {  // a full queue: the token stays valid (transport.hpp)
      --self.replies_again;
      return BUTTER_E_AGAIN;
    }
    self.live_tokens_.erase(token);
    self.replies.push_back({token, status, to_string(payload)});
    return BUTTER_OK;
  }
  // As the host's (net_reply_service): refusals first, the token surviving them.
  static butter_status reply_parts(const butter_host* h, std::uint64_t token, butter_status status,
                                   const butter_bytes* parts, std::uint32_t count) {
    Host& self = of(h);
    ++self.reply_parts_calls;
    if (count > BUTTER_NET_REPLY_MAX_PARTS || (count > 0 && parts == nullptr)) return BUTTER_E_INVALID;
    std::string joined;
    for (std::uint32_t k = 0; k < count; ++k) joined.append(to_string(parts[k]));
    return reply(h, token, status, bytes(joined));
  }

  static butter_status route(const butter_host* h, butter_str method, butter_str path, std::int32_t prefix,
                             butter_http_handler_fn fn, void* user, std::uint64_t* out_id, butter_error* err) {
    Host& self = of(h);
    for (auto& [id, r] : self.routes)
      if (r.method == to_string(method) && r.path == to_string(path))
        return butter_error_set(err, BUTTER_E_INVALID, "route taken");
    const std::uint64_t id = self.next_id_++;
    self.routes[id] = {to_string(method), to_string(path), prefix, fn, user};
    if (out_id) *out_id = id;
    return BUTTER_OK;
  }
  static void unroute(const butter_host* h, std::uint64_t id) { of(h).routes.erase(id); }
  static butter_status respond(const butter_host* h, std::uint64_t token, std::int32_t status, butter_str content_type,
                               butter_bytes body, const butter_http_header* headers, std::uint32_t n) {
    Host& self = of(h);
    if (!self.live_tokens_.erase(token)) return BUTTER_E_NOT_FOUND;
    HttpResp r{token, status, to_string(content_type), to_string(body), {}};
    for (std::uint32_t i = 0; i < n; ++i) r.headers.emplace_back(to_string(headers[i].name), to_string(headers[i].value));
    self.http_responses.push_back(std::move(r));
    return BUTTER_OK;
  }
  static butter_str base_url(const butter_host*) { return str("http://127.0.0.1:8700"); }

  static butter_status counter_add(const butter_host* h, butter_str name, std::uint64_t delta) {
    of(h).counters[to_string(name)] += delta;
    return BUTTER_OK;
  }
  static butter_status gauge_set(const butter_host* h, butter_str name, double v) {
    of(h).gauges[to_string(name)] = v;
    return BUTTER_OK;
  }
  static butter_status describe(const butter_host* h, butter_str name, butter_str text) {
    of(h).help[to_string(name)] = to_string(text);
    return BUTTER_OK;
  }

  // The same limits as the node's bus (ext/events.h): a test cannot pass here and fail on a node.
  static butter_status ev_publish(const butter_host* h, butter_str topic, butter_bytes payload) {
    if (topic.len == 0 || topic.len > BUTTER_EVENTS_MAX_TOPIC || payload.len > BUTTER_EVENTS_MAX_PAYLOAD) {
      ++of(h).events_refused;
      return BUTTER_E_INVALID;
    }
    of(h).event_queue.emplace_back(to_string(topic), to_string(payload));
    return BUTTER_OK;
  }
  static butter_status ev_subscribe(const butter_host* h, butter_str topic, butter_event_fn fn, void* user,
                                    std::uint64_t* out) {
    const std::uint64_t id = of(h).next_id_++;
    of(h).subscriptions[id] = {to_string(topic), fn, user};
    if (out) *out = id;
    return BUTTER_OK;
  }
  static void ev_unsubscribe(const butter_host* h, std::uint64_t id) { of(h).subscriptions.erase(id); }

  static butter_status acquire(const butter_host* h, const char* id, butter_service* out) {
    auto& s = of(h).services;
    auto it = s.find(id);
    if (it == s.end()) return BUTTER_E_NOT_FOUND;
    if (!it->second.vtable) return BUTTER_E_UNAVAILABLE;  // a provider that is stopped or swapping
    out->vtable = it->second.vtable;
    out->provider = it->second.provider;
    return BUTTER_OK;
  }
};

// A string-backed butter_ostream / butter_istream for butter.state/1.
struct OutStream {
  std::string data;
  butter_ostream c{this, &OutStream::write};
  static butter_status write(const butter_ostream* s, butter_bytes b) {
    static_cast<OutStream*>(s->ctx)->data += to_string(b);
    return BUTTER_OK;
  }
};
struct InStream {
  explicit InStream(std::string d) : data(std::move(d)) {}
  std::string data;
  std::size_t pos = 0;
  butter_istream c{this, &InStream::read};
  static butter_status read(const butter_istream* s, std::uint8_t* buf, std::size_t cap, std::size_t* n) {
    auto* self = static_cast<InStream*>(s->ctx);
    const std::size_t k = std::min(cap, self->data.size() - self->pos);
    std::memcpy(buf, self->data.data() + self->pos, k);
    self->pos += k;
    *n = k;
    return BUTTER_OK;
  }
};

// Creates an instance of `id` through `factory`; destroys it (stopping it first if started)
// when it goes out of scope.
class Instance {
 public:
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

}  // namespace fake
