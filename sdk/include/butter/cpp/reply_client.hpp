// butter/cpp/reply_client.hpp — the consumer side of the reply convention of butter/iface/reply.h,
// shared by the storage() and search() wrappers (not API: names in butter::detail may change).
//
// One ReplyClient per plugin instance, created at the first asynchronous interface call:
//   - it subscribes once to a topic unique to the instance ("<instance>/<random hex>:reply") and
//     maps each ticket it hands out to the handler of that call;
//   - every call has a deadline: when no final result came by then (the provider vanished, was
//     swapped or isolated, or lost the call), the handler gets BUTTER_E_TIMEOUT, so no callback is
//     left pending forever;
//   - a call that fails before reaching a provider (no provider, provider swapping, refused
//     arguments) is completed on a zero-delay timer, never inside the call that made it: a
//     handler is called exactly once, never re-entrantly.
// It is a Slot of the instance's Core, so it lives exactly as long as the instance. [node]
#pragma once

#include <butter/cpp/core.hpp>
#include <butter/iface/reply.h>
#include <butter/wire.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>

namespace butter::detail {

// The fixed head of every result payload: u64 ticket, u8 kind, i32 status.
struct ReplyHead {
  std::uint64_t ticket = 0;
  std::uint8_t kind = 0;
  butter_status status = BUTTER_OK;
};

struct ReplyClient : Slot {
  // Called with each result of the call (the reader is positioned after the head). Returns true
  // when the call is complete (its final result came), false to wait for more (search hits).
  using ResultFn = std::function<bool(const ReplyHead&, wire::Reader&)>;
  // Called once when the call ends without a final result (deadline, or refused before sending).
  using FailFn = std::function<void(Status)>;

  struct Pending {
    std::uint64_t deadline_ms = 0;
    ResultFn on_result;
    FailFn on_fail;
    Status fail_with;  // what on_fail gets at the deadline
  };

  std::string topic;
  std::uint64_t timer_id = 0;  // the host timer armed for `armed_at`, 0 when none
  std::uint64_t armed_at = 0;
  std::uint64_t next_ticket = 1;
  std::uint64_t malformed = 0;  // results that could not be decoded
  std::map<std::uint64_t, Pending> pending;
  std::set<std::pair<std::uint64_t, std::uint64_t>> deadlines;  // (deadline_ms, ticket)

  void release() noexcept override {
    if (core->ext.events && id) core->ext.events->unsubscribe(core->host, id);
    if (core->ext.timer && timer_id) core->ext.timer->cancel(core->host, timer_id);
    timer_id = 0;
  }

  std::uint64_t now_ms() const { return core->need(core->ext.timer, BUTTER_EXT_TIMER).now_ms(core->host); }

  // Registers a call; returns its ticket. The call fails with `timeout` after `deadline`.
  std::uint64_t add(std::chrono::milliseconds deadline, ResultFn on_result, FailFn on_fail, const std::string& what) {
    const std::uint64_t ticket = next_ticket++;
    const std::uint64_t at = now_ms() + static_cast<std::uint64_t>(deadline.count() > 0 ? deadline.count() : 0);
    Pending p;
    p.deadline_ms = at;
    p.on_result = std::move(on_result);
    p.on_fail = std::move(on_fail);
    p.fail_with =
        Status(BUTTER_E_TIMEOUT, "no answer from " + what + " within " + std::to_string(deadline.count()) + " ms");
    pending.emplace(ticket, std::move(p));
    deadlines.emplace(at, ticket);
    arm();
    return ticket;
  }

  // Ends a registered call with `why` on the next turn of the loop (not inside the caller).
  void fail_soon(std::uint64_t ticket, Status why) {
    auto it = pending.find(ticket);
    if (it == pending.end()) return;
    deadlines.erase({it->second.deadline_ms, ticket});
    it->second.deadline_ms = now_ms();
    it->second.fail_with = std::move(why);
    deadlines.emplace(it->second.deadline_ms, ticket);
    arm();
  }

  // Forgets a call without calling it back.
  void forget(std::uint64_t ticket) {
    auto it = pending.find(ticket);
    if (it == pending.end()) return;
    deadlines.erase({it->second.deadline_ms, ticket});
    pending.erase(it);
  }

  // Keeps one one-shot host timer armed for the earliest deadline.
  void arm() {
    const auto& tv = core->need(core->ext.timer, BUTTER_EXT_TIMER);
    if (deadlines.empty()) {
      if (timer_id) tv.cancel(core->host, timer_id);
      timer_id = 0;
      return;
    }
    const std::uint64_t first = deadlines.begin()->first;
    if (timer_id && armed_at == first) return;
    if (timer_id) tv.cancel(core->host, timer_id);
    timer_id = 0;
    const std::uint64_t now = now_ms();
    std::uint64_t new_id = 0;
    const butter_status st = tv.set(core->host, first > now ? first - now : 0, 0, &ReplyClient::fired, this, &new_id);
    if (st != BUTTER_OK) throw Error(st, std::string("reply deadline timer: ") + status_name(st));
    timer_id = new_id;
    armed_at = first;
  }

  static void fired(void* user, std::uint64_t fired_id) noexcept {
    auto* self = static_cast<ReplyClient*>(user);
    Core& c = *self->core;
    Core::Scope scope(c);
    if (fired_id == self->timer_id) self->timer_id = 0;  // a one-shot timer is gone once fired
    c.guarded("reply deadline", [&] { self->expire(); });
  }

  void expire() {
    const std::uint64_t now = now_ms();
    std::vector<std::pair<FailFn, Status>> due;
    while (!deadlines.empty() && deadlines.begin()->first <= now) {
      const std::uint64_t ticket = deadlines.begin()->second;
      deadlines.erase(deadlines.begin());
      auto it = pending.find(ticket);
      if (it == pending.end()) continue;
      due.emplace_back(std::move(it->second.on_fail), std::move(it->second.fail_with));
      pending.erase(it);
    }
    // Handlers may start new calls: the tables are consistent before any runs.
    arm();
    // Not a structured binding: clang 14 refuses to capture one in a lambda.
    for (auto& item : due)
      core->guarded("interface callback", [&] {
        if (item.first) item.first(item.second);
      });
  }

  static void event(void* user, butter_str, butter_bytes payload) noexcept {
    auto* self = static_cast<ReplyClient*>(user);
    self->core->guarded("interface result", [&] { self->deliver(payload); });
  }

  void deliver(butter_bytes payload) {
    wire::Reader r(payload.data, payload.len);
    ReplyHead head;
    head.ticket = r.u64();
    head.kind = r.u8();
    head.status = static_cast<butter_status>(static_cast<std::int32_t>(r.u32()));
    if (!r.ok()) {
      ++malformed;
      return;
    }
    auto it = pending.find(head.ticket);
    if (it == pending.end()) return;  // late (after its deadline) or not ours: ignored
    // Run the handler on a copy: it may start new calls (rehashing nothing, but inserting).
    ResultFn fn = it->second.on_result;
    bool done = true;
    try {
      done = fn ? fn(head, r) : true;
    } catch (...) {
      forget(head.ticket);
      arm();
      throw;
    }
    if (done) {
      forget(head.ticket);
      arm();
    }
  }

  // The instance's client, created (and subscribed) at first use.
  static ReplyClient& of(Core& c) {
    if (auto* existing = c.find<ReplyClient>(c.reply_client)) return *existing;
    const auto& ev = c.need(c.ext.events, BUTTER_EXT_EVENTS);
    (void)c.need(c.ext.timer, BUTTER_EXT_TIMER);
    auto owned = std::make_unique<ReplyClient>();
    owned->topic = make_topic(c);
    auto& s = c.add(std::move(owned));
    std::uint64_t sub = 0;
    const butter_status st = ev.subscribe(c.host, to_c(s.topic), &ReplyClient::event, &s, &sub);
    if (st != BUTTER_OK) {
      c.drop(s.key);
      throw Error(st, "subscribe " + s.topic + ": " + status_name(st));
    }
    s.id = sub;
    c.reply_client = s.key;
    return s;
  }

  static std::string make_topic(const Core& c) {
    std::string who = "plugin";
    if (c.ext.node) {
      const std::string_view n = to_sv(c.ext.node->instance_name(c.host));
      if (!n.empty()) who = std::string(n);
    }
    std::uint64_t r = reinterpret_cast<std::uintptr_t>(&c) ^
                      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    try {
      std::random_device rd;
      r ^= (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    } catch (...) {
      // No entropy source: the address and the clock still make the topic unique in the node.
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(r));
    return who + "/" + hex + ":reply";
  }
};

// The reply_to for a ticket of the instance's client. Valid while `client` lives.
inline butter_reply_to reply_to(const ReplyClient& client, std::uint64_t ticket) noexcept {
  butter_reply_to r{};
  r.struct_size = sizeof r;
  r.topic = to_c(client.topic);
  r.ticket = ticket;
  return r;
}

// A string of the result: str16.
inline std::string read_str(wire::Reader& r) { return std::string(r.str16()); }

}  // namespace butter::detail
