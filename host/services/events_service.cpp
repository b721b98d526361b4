// butter.events/1: topic pub/sub inside one node. The host owns subscriptions, so a provider
// never holds a pointer into a subscriber's code; delivery is posted, never inside publish.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/extensions.hpp"

#include <butter/ext/events.h>

#include <boost/asio/post.hpp>

namespace butter::host {
namespace {

// The limits are part of the contract (ext/events.h), so plugins and the SDK's fake host see the same.
constexpr std::size_t kMaxTopic = BUTTER_EVENTS_MAX_TOPIC;
constexpr std::size_t kMaxPayload = BUTTER_EVENTS_MAX_PAYLOAD;

butter_status ev_publish(const butter_host* host, butter_str topic, butter_bytes payload) {
  auto* inst = node_instance_of(host, "events.publish");
  if (!inst) return BUTTER_E_INVALID;
  if (!inst->active()) return BUTTER_E_UNAVAILABLE;
  if (topic.len == 0 || topic.len > kMaxTopic || payload.len > kMaxPayload) return BUTTER_E_INVALID;
  try {
    NodeCore& core = inst->core();
    auto t = std::make_shared<const std::string>(copy_str(topic));
    auto data = std::make_shared<const std::vector<std::uint8_t>>(payload.data, payload.data + payload.len);
    for (const auto& [id, sub] : core.event_subscriptions) {
      if (sub.topic != *t) continue;
      boost::asio::post(core.strand, [weak = core.weak_from_this(), id = id, t, data] {
        auto core = weak.lock();
        if (!core) return;
        auto it = core->event_subscriptions.find(id);
        if (it == core->event_subscriptions.end()) return;
        EventSubscription sub = it->second;
        auto owner = sub.owner.lock();
        if (!owner || !owner->active()) return;
        owner->invoke("event handler", [&] {
          sub.fn(sub.user, butter_str{t->data(), t->size()}, butter_bytes{data->data(), data->size()});
        });
      });
    }
    return BUTTER_OK;
  } catch (...) {
    return BUTTER_E_NOMEM;
  }
}

butter_status ev_subscribe(const butter_host* host, butter_str topic, butter_event_fn fn, void* user,
                           uint64_t* out_id) {
  auto* inst = node_instance_of(host, "events.subscribe");
  if (!inst || !fn || topic.len == 0 || topic.len > kMaxTopic) return BUTTER_E_INVALID;
  if (!inst->active()) return BUTTER_E_UNAVAILABLE;
  try {
    std::uint64_t id = inst->core().fresh_id();
    inst->core().event_subscriptions[id] = EventSubscription{inst->weak_from_this(), copy_str(topic), fn, user};
    inst->registrations().event_subscriptions.insert(id);
    if (out_id) *out_id = id;
    return BUTTER_OK;
  } catch (...) {
    return BUTTER_E_NOMEM;
  }
}

void ev_unsubscribe(const butter_host* host, uint64_t id) {
  auto* inst = node_instance_of(host, "events.unsubscribe");
  if (!inst) return;
  auto& subs = inst->core().event_subscriptions;
  auto it = subs.find(id);
  if (it == subs.end() || it->second.owner.lock().get() != inst) return;
  subs.erase(it);
  inst->registrations().event_subscriptions.erase(id);
}

const butter_events_v1 kEvents = {ev_publish, ev_subscribe, ev_unsubscribe};

}  // namespace

const butter_events_v1* events_extension() { return &kEvents; }

void release_events(PluginInstance& instance) {
  for (auto id : instance.registrations().event_subscriptions) instance.core().event_subscriptions.erase(id);
}

}  // namespace butter::host
