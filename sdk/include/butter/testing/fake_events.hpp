// butter/testing/fake_events.hpp — the fake host's butter.events/1: publish() queues, and the test
// delivers the queue with deliver_events() (as the node's loop would, later, in order). It refuses
// what the node's bus refuses (ext/events.h): an empty or too long topic, a payload over
// BUTTER_EVENTS_MAX_PAYLOAD. Part of fake_host.hpp.
#pragma once

#include <butter/testing/fake_core.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace butter::testing {

template <class Host>
class FakeEvents {
 public:
  struct SubscriptionRec {
    std::string topic;
    butter_event_fn fn;
    void* user;
  };
  std::map<std::uint64_t, SubscriptionRec> subscriptions;
  std::vector<std::pair<std::string, std::string>> event_queue;  // (topic, payload) not yet delivered
  int events_refused = 0;                                        // publishes refused for the bus limits

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

 protected:
  static const void* extension(std::string_view id) {
    static const butter_events_v1 vt = {&publish, &subscribe, &unsubscribe};
    return id == BUTTER_EXT_EVENTS ? &vt : nullptr;
  }

 private:
  static butter_status publish(const butter_host* h, butter_str topic, butter_bytes payload) {
    Host& self = Host::of(h);
    if (!self.on_node_thread()) return BUTTER_E_INVALID;
    if (topic.len == 0 || topic.len > BUTTER_EVENTS_MAX_TOPIC || payload.len > BUTTER_EVENTS_MAX_PAYLOAD) {
      ++self.events_refused;
      return BUTTER_E_INVALID;
    }
    self.event_queue.emplace_back(to_string(topic), to_string(payload));
    return BUTTER_OK;
  }
  static butter_status subscribe(const butter_host* h, butter_str topic, butter_event_fn fn, void* user,
                                 std::uint64_t* out) {
    Host& self = Host::of(h);
    if (!self.on_node_thread() || !fn) return BUTTER_E_INVALID;
    const std::uint64_t id = self.next_id();
    self.subscriptions[id] = {to_string(topic), fn, user};
    if (out) *out = id;
    return BUTTER_OK;
  }
  static void unsubscribe(const butter_host* h, std::uint64_t id) {
    Host& self = Host::of(h);
    if (self.on_node_thread()) self.subscriptions.erase(id);
  }
};

}  // namespace butter::testing
