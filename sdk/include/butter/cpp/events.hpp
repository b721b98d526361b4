// butter/cpp/events.hpp — "butter.events/1": publish/subscribe inside one node.
//
//   sub_ = events().subscribe(BUTTER_PEERS_TOPIC_ADDED, [this](std::string_view, butter::Bytes id) { ... });
//   events().publish("org.example.chat/1:message", text);
//
// The Subscription unsubscribes on destruction. Delivery is asynchronous, in publish order. [node]
#pragma once

#include <butter/cpp/core.hpp>

namespace butter {

using EventHandler = std::function<void(std::string_view topic, Bytes payload)>;

namespace detail {
struct EventSlot : Slot {
  EventHandler fn;
  void release() noexcept override {
    if (core->ext.events && id) core->ext.events->unsubscribe(core->host, id);
  }
  static void event(void* user, butter_str topic, butter_bytes payload) noexcept {
    auto* s = static_cast<EventSlot*>(user);
    s->core->guarded("event callback", [&] { s->fn(to_sv(topic), Bytes(payload)); });
  }
};
}  // namespace detail

class [[nodiscard]] Subscription : public detail::SlotHandle {
 public:
  Subscription() = default;
  Subscription(detail::Core* core, std::uint64_t key) noexcept : SlotHandle(core, key) {}
  void unsubscribe() noexcept { reset(); }
};

class Events {
 public:
  explicit Events(detail::Core* core) noexcept : core_(core) {}
  bool available() const noexcept { return core_->ext.events != nullptr; }

  // Queues `payload` (copied) for every subscriber of `topic`.
  Status publish(std::string_view topic, Bytes payload) {
    const auto& ev = core_->need(core_->ext.events, BUTTER_EXT_EVENTS);
    return Status(ev.publish(core_->host, to_c(topic), payload.c()));
  }
  Subscription subscribe(std::string_view topic, EventHandler fn) {
    const auto& ev = core_->need(core_->ext.events, BUTTER_EXT_EVENTS);
    auto owned = std::make_unique<detail::EventSlot>();
    owned->fn = std::move(fn);
    auto& s = core_->add(std::move(owned));
    std::uint64_t id = 0;
    const butter_status st = ev.subscribe(core_->host, to_c(topic), &detail::EventSlot::event, &s, &id);
    if (st != BUTTER_OK) {
      core_->drop(s.key);
      throw Error(st, "subscribe " + std::string(topic) + ": " + status_name(st));
    }
    s.id = id;
    return Subscription(core_, s.key);
  }

 private:
  detail::Core* core_;
};

}  // namespace butter
