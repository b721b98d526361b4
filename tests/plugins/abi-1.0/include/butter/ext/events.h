/* butter/ext/events.h — "butter.events/1": a publish/subscribe bus inside one node.
 *
 * How a provider tells other plugins that something changed ("butter.peers/1 changed") without
 * holding their function pointers: the host owns every subscription and drops it when the
 * subscriber stops, is isolated or is swapped, so no plugin ever calls into code that was
 * unloaded. Delivery is asynchronous (never inside publish), in publish order, on the node's
 * executor. Topics are UTF-8 strings; by convention the interface id and an event name:
 * "butter.peers/1:added". */
#ifndef BUTTER_EXT_EVENTS_H
#define BUTTER_EXT_EVENTS_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_EVENTS "butter.events/1"

/* [node] An event on a subscribed topic. Everything is borrowed for the call. */
typedef void (*butter_event_fn)(void* user, butter_str topic, butter_bytes payload);

typedef struct butter_events_v1 {
  /* [node] Queues `payload` (copied) for every subscriber of `topic`, the publisher included if
   * subscribed. */
  butter_status (*publish)(const butter_host* host, butter_str topic, butter_bytes payload);
  /* [node] Calls fn for each event on `topic` until unsubscribed or the instance stops. */
  butter_status (*subscribe)(const butter_host* host, butter_str topic, butter_event_fn fn, void* user,
                             uint64_t* out_subscription_id);
  /* [node] Unknown ids are ignored. */
  void (*unsubscribe)(const butter_host* host, uint64_t subscription_id);
} butter_events_v1;

#ifdef __cplusplus
}
#endif
#endif
