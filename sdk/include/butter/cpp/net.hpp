// butter/cpp/net.hpp — "butter.net/1": messages between nodes, like routes in a web framework.
//
//   on("/butter/echo/1", [this](const butter::Request& req, butter::Reply& reply) {
//     reply.ok(greeting_ + std::string(req.text()));
//   });
//   on("/butter/echo-note/1", [this](const butter::Request& note) { ++notes_; });  // one-way
//   send(peer, "/butter/echo-note/1", "hi");
//   request(peer, "/butter/echo/1", "ping", std::chrono::seconds(2), [this](const butter::Response& r) {
//     if (r.ok()) log().info("got {}", r.text()); else log().warn("failed: {}", r.error());
//   });
//
// A Request is a view of the message, valid during the handler only: copy what you keep.
// A Reply answers a request exactly once. It is movable: move it into a member or a lambda to
// answer later. If a handler throws, the request is answered BUTTER_E_INTERNAL with the message;
// if a Reply is destroyed unanswered, it answers BUTTER_E_INTERNAL "handler did not reply", so the
// requester never waits for its deadline. (A butter::Error thrown by a handler answers its own
// code instead.) A one-way message has an inert Reply. [node]
#pragma once

#include <butter/cpp/core.hpp>
#include <butter/cpp/timer.hpp>

#include <chrono>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

namespace butter {

// An incoming message (request or one-way). Borrowed: valid during the handler only.
class Request {
 public:
  explicit Request(const butter_net_message* m) noexcept : m_(m) {}
  std::string_view from() const noexcept { return to_sv(m_->from); }  // sender node id
  std::string_view protocol() const noexcept { return to_sv(m_->protocol); }
  Bytes bytes() const noexcept { return Bytes(m_->payload); }
  std::string_view text() const noexcept { return bytes().text(); }
  // True for a request (answer it through the Reply), false for a one-way message.
  bool expects_reply() const noexcept { return m_->reply_token != 0; }
  const butter_net_message* c() const noexcept { return m_; }

 private:
  const butter_net_message* m_;
};

// The answer to one request; see the top of this file.
class Reply {
 public:
  Reply() = default;
  Reply(detail::Core* core, std::uint64_t token) noexcept : core_(core), token_(token) {}
  Reply(Reply&& o) noexcept : core_(o.core_), token_(std::exchange(o.token_, 0)) {}
  Reply& operator=(Reply&& o) noexcept {
    if (this != &o) {
      fail(BUTTER_E_INTERNAL, "handler did not reply");
      core_ = o.core_;
      token_ = std::exchange(o.token_, 0);
    }
    return *this;
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply() { fail(BUTTER_E_INTERNAL, "handler did not reply"); }

  // True until answered (false for a one-way message).
  bool pending() const noexcept { return token_ != 0; }

  // Answers with BUTTER_OK and `payload` (copied by the host).
  Status ok(Bytes payload = {}) { return answer(BUTTER_OK, payload); }
  // Answers with BUTTER_OK and the concatenation of `parts` (borrowed for the call), without
  // joining them first: `reply.ok_parts({prefix, req.bytes()})` costs the one copy the host makes
  // where the frame is queued. On a host without butter.net.reply/1 the parts are joined here.
  Status ok_parts(std::initializer_list<Bytes> parts) {
    if (!token_) return Status(BUTTER_E_INVALID, "nothing to answer: already answered or a one-way message");
    butter_bytes c[BUTTER_NET_REPLY_MAX_PARTS];
    if (!core_->ext.net_reply || parts.size() > std::size(c)) {
      std::string joined;
      std::size_t n = 0;
      for (const auto& p : parts) n += p.size();
      joined.reserve(n);
      for (const auto& p : parts) joined.append(p.text());
      return answer(BUTTER_OK, joined);
    }
    const std::uint64_t t = std::exchange(token_, 0);
    std::uint32_t count = 0;
    for (const auto& p : parts) c[count++] = p.c();
    const butter_status s = core_->ext.net_reply->reply_parts(core_->host, t, BUTTER_OK, c, count);
    if (s == BUTTER_E_AGAIN) token_ = t;  // still valid (queue full): retry later, or the destructor fails it
    return Status(s);
  }
  // Answers with an error `code` (BUTTER_OK is turned into BUTTER_E_INTERNAL) and a reason.
  Status error(butter_status code, std::string_view reason) {
    return answer(code == BUTTER_OK ? BUTTER_E_INTERNAL : code, Bytes(reason));
  }
  // As error(), but never throws; does nothing once answered.
  void fail(butter_status code, std::string_view reason) noexcept {
    if (!token_ || !core_ || !core_->ext.net) return;
    const std::uint64_t t = std::exchange(token_, 0);
    core_->ext.net->reply(core_->host, t, code == BUTTER_OK ? BUTTER_E_INTERNAL : code, Bytes(reason).c());
  }

 private:
  Status answer(butter_status code, Bytes payload) {
    if (!token_) return Status(BUTTER_E_INVALID, "nothing to answer: already answered or a one-way message");
    const auto& net = core_->need(core_->ext.net, BUTTER_EXT_NET);
    // Cleared before the call (a handler re-entered from the host sees it answered), restored
    // on BUTTER_E_AGAIN: the host keeps the token then, so the reply can be retried, and
    // otherwise the destructor still sends the failure.
    const std::uint64_t t = std::exchange(token_, 0);
    const butter_status s = net.reply(core_->host, t, code, payload.c());
    if (s == BUTTER_E_AGAIN) token_ = t;
    return Status(s);
  }
  detail::Core* core_ = nullptr;
  std::uint64_t token_ = 0;
};

// The outcome of request(): BUTTER_OK and the reply, or an error (BUTTER_E_TIMEOUT,
// BUTTER_E_UNAVAILABLE, BUTTER_E_NOT_FOUND, or the remote handler's status with its reason).
// Borrowed: valid during the callback only.
class Response {
 public:
  Response(butter_status status, const butter_net_message* m) noexcept : status_(status), m_(m) {}
  bool ok() const noexcept { return status_ == BUTTER_OK; }
  butter_status status() const noexcept { return status_; }
  std::string_view from() const noexcept { return m_ ? to_sv(m_->from) : std::string_view(); }
  Bytes bytes() const noexcept { return m_ ? Bytes(m_->payload) : Bytes(); }
  std::string_view text() const noexcept { return bytes().text(); }
  // For an error: the remote's reason, or the status name when there is none.
  std::string error() const {
    if (ok()) return {};
    if (!text().empty()) return std::string(text());
    return status_name(status_);
  }
  const butter_net_message* c() const noexcept { return m_; }

 private:
  butter_status status_;
  const butter_net_message* m_;
};

enum class PeerEvent : int32_t { Up = BUTTER_PEER_UP, Down = BUTTER_PEER_DOWN };

// A connected peer (copied).
struct PeerInfo {
  std::string node_id;
  std::vector<std::string> endpoints;
  std::string remote_address;
  bool outbound = false;
  std::string local_address;  // this side's socket ("tcp://ip:port"); empty over relay:// or before ABI 1.7
};

using RequestHandler = std::function<void(const Request&, Reply&)>;
using ResponseHandler = std::function<void(const Response&)>;
using PeerHandler = std::function<void(PeerEvent, std::string_view node_id)>;
using ConnectHandler = std::function<void(const Status&, std::string_view node_id)>;

namespace detail {

struct NetHandlerSlot : Slot {
  RequestHandler fn;
  std::string protocol;
  void release() noexcept override {
    if (core->ext.net) core->ext.net->unhandle(core->host, to_c(protocol));
  }
  static void message(void* user, const butter_net_message* msg) noexcept {
    auto* s = static_cast<NetHandlerSlot*>(user);
    Core& c = *s->core;
    Core::Scope scope(c);
    Reply reply(&c, msg->reply_token);
    const Request req(msg);
    try {
      s->fn(req, reply);
    } catch (const Error& e) {
      c.report("handler for", s->protocol, e.what());
      reply.fail(e.code(), e.what());
    } catch (const std::exception& e) {
      c.report("handler for", s->protocol, e.what());
      reply.fail(BUTTER_E_INTERNAL, e.what());
    } catch (...) {
      c.report("handler for", s->protocol, "unknown exception");
      reply.fail(BUTTER_E_INTERNAL, "unknown exception");
    }
  }
};

struct ResponseSlot : Slot {
  ResponseHandler fn;
  void release() noexcept override {
    if (core->ext.net && id) core->ext.net->cancel(core->host, id);
  }
  static void done(void* user, butter_status status, const butter_net_message* reply) noexcept {
    auto* s = static_cast<ResponseSlot*>(user);
    Core& c = *s->core;
    Core::Scope scope(c);
    c.guarded("response callback", [&] { s->fn(Response(status, reply)); });
    c.drop(s->key);
  }
};

struct ConnectSlot : Slot {
  ConnectHandler fn;
  static void done(void* user, butter_status status, butter_str node_id) noexcept {
    auto* s = static_cast<ConnectSlot*>(user);
    Core& c = *s->core;
    Core::Scope scope(c);
    c.guarded("connect callback", [&] { s->fn(Status(status), to_sv(node_id)); });
    c.drop(s->key);
  }
};

struct PeerSlot : Slot {
  PeerHandler fn;
  static void event(void* user, int32_t ev, butter_str node_id) noexcept {
    auto* s = static_cast<PeerSlot*>(user);
    if (ev != BUTTER_PEER_UP && ev != BUTTER_PEER_DOWN) return;  // unknown values are ignored
    s->core->guarded("peer watcher", [&] { s->fn(static_cast<PeerEvent>(ev), to_sv(node_id)); });
  }
};

template <class F>
RequestHandler to_request_handler(F&& fn) {
  if constexpr (std::is_invocable_v<F&, const Request&, Reply&>) {
    return RequestHandler(std::forward<F>(fn));
  } else {
    static_assert(std::is_invocable_v<F&, const Request&>,
                  "a handler takes (const butter::Request&, butter::Reply&) or (const butter::Request&)");
    return [f = std::forward<F>(fn)](const Request& r, Reply&) mutable { f(r); };
  }
}

// A copy of what the host filled in (its strings are valid for the current callback only).
inline PeerInfo copy_peer(const butter_net_peer_info& info) {
  PeerInfo p;
  p.node_id = std::string(to_sv(info.node_id));
  for (std::uint32_t e = 0; e < info.endpoint_count && info.endpoints; ++e)
    p.endpoints.emplace_back(to_sv(info.endpoints[e]));
  p.remote_address = std::string(to_sv(info.remote_address));
  p.outbound = info.outbound != 0;
  p.local_address = std::string(to_sv(info.local_address));
  return p;
}

// Node ids compared as the host reads them: hex digits in either case.
inline bool same_node_id(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'F') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = (b[i] >= 'A' && b[i] <= 'F') ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

inline std::uint32_t timeout_ms(std::chrono::nanoseconds d) {
  const std::uint64_t ms = to_ms(d);
  if (ms == 0) throw Error(BUTTER_E_INVALID, "request timeout must be > 0");
  return ms > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                        : static_cast<std::uint32_t>(ms);
}

}  // namespace detail

// The net extension; Plugin forwards on/unhandle/send/request/... to it.
class Net {
 public:
  explicit Net(detail::Core* core) noexcept : core_(core) {}

  // Routes `protocol` to `fn` until unhandle() or stop. Registering a protocol again replaces its
  // handler. Throws Error when the host refuses (another instance handles it).
  template <class F>
  void on(std::string_view protocol, F&& fn) {
    add_handler(protocol, detail::to_request_handler(std::forward<F>(fn)));
  }
  void unhandle(std::string_view protocol) {
    auto it = core_->net_handlers.find(protocol);
    if (it == core_->net_handlers.end()) return;
    const std::uint64_t key = it->second;
    core_->net_handlers.erase(it);
    core_->release(key);
  }

  // One-way message; the payload is copied before return.
  Status send(std::string_view peer, std::string_view protocol, Bytes payload) {
    const auto& net = vt();
    butter_error err;
    butter_error_init(&err);
    const butter_status s = net.send(core_->host, to_c(peer), to_c(protocol), payload.c(), &err);
    return Status::from(s, err);
  }

  // One-way message whose payload is `head` then `sealed`, where `sealed` is already protected end
  // to end (authenticated ciphertext its final receiver checks): on an encrypted hop to a peer
  // that takes it, `sealed` is not encrypted again (ext/net.h, butter.net.sealed/1). On a host
  // without that extension the two are joined and sent as send() does.
  Status send_sealed(std::string_view peer, std::string_view protocol, Bytes head, Bytes sealed) {
    butter_error err;
    butter_error_init(&err);
    if (!core_->ext.net_sealed) {
      std::string joined(head.text());
      joined.append(sealed.text());
      return send(peer, protocol, joined);
    }
    const butter_status s =
        core_->ext.net_sealed->send_sealed(core_->host, to_c(peer), to_c(protocol), head.c(), sealed.c(), &err);
    return Status::from(s, err);
  }

  // Request with a deadline. On OK, `fn` is called exactly once later (unless the instance
  // stops first); on an error status it is not called.
  template <class Rep, class Period>
  Status request(std::string_view peer, std::string_view protocol, Bytes payload,
                 std::chrono::duration<Rep, Period> timeout, ResponseHandler fn) {
    const auto& net = vt();
    const std::uint32_t ms = detail::timeout_ms(timeout);
    auto owned = std::make_unique<detail::ResponseSlot>();
    owned->fn = std::move(fn);
    auto& s = core_->add(std::move(owned));
    butter_error err;
    butter_error_init(&err);
    std::uint64_t id = 0;
    const butter_status st = net.request(core_->host, to_c(peer), to_c(protocol), payload.c(), ms,
                                         &detail::ResponseSlot::done, &s, &id, &err);
    if (st != BUTTER_OK) {
      core_->drop(s.key);
      return Status::from(st, err);
    }
    if (auto* live = core_->find<detail::ResponseSlot>(s.key)) live->id = id;
    return {};
  }

  // Dials `uri` if not connected; `fn` gets the peer's node id (or the error).
  Status connect(std::string_view uri, ConnectHandler fn) {
    const auto& net = vt();
    auto owned = std::make_unique<detail::ConnectSlot>();
    owned->fn = std::move(fn);
    auto& s = core_->add(std::move(owned));
    const butter_status st = net.connect(core_->host, to_c(uri), &detail::ConnectSlot::done, &s);
    if (st != BUTTER_OK) core_->drop(s.key);
    return Status(st);
  }
  // Remembers that `node_id` is reachable at `endpoint`.
  Status add_address(std::string_view node_id, std::string_view endpoint) {
    return Status(vt().add_address(core_->host, to_c(node_id), to_c(endpoint)));
  }
  // The connected peers, copied.
  std::vector<PeerInfo> peers() const {
    const auto& net = vt();
    std::vector<PeerInfo> out;
    const std::uint32_t n = net.peer_count(core_->host);
    out.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      butter_net_peer_info info{};
      info.struct_size = sizeof info;
      if (net.peer(core_->host, i, &info) == BUTTER_OK) out.push_back(detail::copy_peer(info));
    }
    return out;
  }
  // The connected peer `node_id` (64 hex digits), copied; nullopt when no connection to it is up
  // (or the id is not one). It describes the connection peers() lists for that id. Constant time
  // on a host with butter.net.peer_lookup/1 (ABI 1.8); on an older host, a walk of the peer list
  // that copies only the one it finds.
  std::optional<PeerInfo> peer(std::string_view node_id) const {
    const auto& net = vt();
    if (core_->ext.net_peer_lookup) {
      butter_net_peer_info info{};
      info.struct_size = sizeof info;
      if (core_->ext.net_peer_lookup->peer_by_id(core_->host, to_c(node_id), &info) != BUTTER_OK) return std::nullopt;
      return detail::copy_peer(info);
    }
    const std::uint32_t n = net.peer_count(core_->host);
    for (std::uint32_t i = 0; i < n; ++i) {
      butter_net_peer_info info{};
      info.struct_size = sizeof info;
      if (net.peer(core_->host, i, &info) != BUTTER_OK) continue;
      if (detail::same_node_id(to_sv(info.node_id), node_id)) return detail::copy_peer(info);
    }
    return std::nullopt;
  }
  // Calls `fn` on every peer up/down until the instance stops (the ABI has no unwatch).
  void on_peer(PeerHandler fn) {
    const auto& net = vt();
    auto owned = std::make_unique<detail::PeerSlot>();
    owned->fn = std::move(fn);
    auto& s = core_->add(std::move(owned));
    const butter_status st = net.watch_peers(core_->host, &detail::PeerSlot::event, &s);
    if (st != BUTTER_OK) {
      core_->drop(s.key);
      throw Error(st, std::string("watch_peers: ") + status_name(st));
    }
  }

 private:
  void add_handler(std::string_view protocol, RequestHandler fn) {
    const auto& net = vt();
    unhandle(protocol);  // re-registering replaces
    auto owned = std::make_unique<detail::NetHandlerSlot>();
    owned->fn = std::move(fn);
    owned->protocol = std::string(protocol);
    auto& s = core_->add(std::move(owned));
    butter_error err;
    butter_error_init(&err);
    const butter_status st = net.handle(core_->host, to_c(protocol), &detail::NetHandlerSlot::message, &s, &err);
    if (st != BUTTER_OK) {
      core_->drop(s.key);
      throw Error(st, "cannot handle " + std::string(protocol) + ": " + Status::from(st, err).message());
    }
    core_->net_handlers.emplace(std::string(protocol), s.key);
  }
  const butter_net_v1& vt() const { return core_->need(core_->ext.net, BUTTER_EXT_NET); }
  detail::Core* core_;
};

}  // namespace butter
