// butter.events/1: topic pub/sub inside one node. The host owns subscriptions, so a provider
// never holds a pointer into a subscriber's code; delivery is posted, never inside publish.
#include "instance/node_core.hpp"
#include "instance/plugin_instance.hpp"
#include "services/entry_point.hpp"
#include "services/extensions.hpp"
#include "services/service_module.hpp"

#include <butter/ext/events.h>

#include <boost/asio/post.hpp>

namespace butter::host {
namespace {

// The limits are part of the contract (ext/events.h), so plugins and the SDK's fake host see the same.
constexpr std::size_t kMaxTopic = BUTTER_EVENTS_MAX_TOPIC;
constexpr std::size_t kMaxPayload = BUTTER_EVENTS_MAX_PAYLOAD;

butter_status ev_publish(const butter_host* host, butter_str topic, butter_bytes payload) {
  return guarded<Caller::Active>(host, "events.publish", BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    if (topic.len == 0 || topic.len > kMaxTopic || payload.len > kMaxPayload) return BUTTER_E_INVALID;
    NodeCore& core = inst.core();
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
  });
}

butter_status ev_subscribe(const butter_host* host, butter_str topic, butter_event_fn fn, void* user,
                           uint64_t* out_id) {
  const bool args_valid = fn && topic.len > 0 && topic.len <= kMaxTopic;
  return guarded<Caller::Active>(host, "events.subscribe", args_valid, BUTTER_E_NOMEM, [&](PluginInstance& inst) {
    std::uint64_t id = inst.core().fresh_id();
    inst.core().event_subscriptions[id] = EventSubscription{inst.weak_from_this(), copy_str(topic), fn, user};
    inst.registrations().event_subscriptions.insert(id);
    if (out_id) *out_id = id;
    return BUTTER_OK;
  });
}

void ev_unsubscribe(const butter_host* host, uint64_t id) {
  guarded_void<Caller::NodeThread>(host, "events.unsubscribe", [&](PluginInstance& inst) {
    auto& subs = inst.core().event_subscriptions;
    auto it = subs.find(id);
    if (it == subs.end() || it->second.owner.lock().get() != &inst) return;
    subs.erase(it);
    inst.registrations().event_subscriptions.erase(id);
  });
}

const butter_events_v1 kEvents = {ev_publish, ev_subscribe, ev_unsubscribe};

}  // namespace

const butter_events_v1* events_extension() { return &kEvents; }

void release_events(PluginInstance& instance) {
  for (auto id : instance.registrations().event_subscriptions) instance.core().event_subscriptions.erase(id);
}

const ServiceModule& events_service_module() {
  static constexpr ExtensionEntry kExtensions[] = {{BUTTER_EXT_EVENTS, &kEvents}};
  static constexpr ServiceModule kModule{kExtensions, &release_events};
  return kModule;
}

}  // namespace butter::host
