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

/* Limits of one event, enforced by publish (and subscribe, for topics). The bus is for
 * notifications and small results: bulk data (an object's bytes) goes through a call that hands
 * it over synchronously, such as butter.storage/2's read (iface/storage2.h). */
#define BUTTER_EVENTS_MAX_TOPIC 256u            /* bytes of a topic */
#define BUTTER_EVENTS_MAX_PAYLOAD (64u * 1024u) /* bytes of a payload (65 536) */

/* [node] An event on a subscribed topic. Everything is borrowed for the call. */
typedef void (*butter_event_fn)(void* user, butter_str topic, butter_bytes payload);

typedef struct butter_events_v1 {
  /* [node] Queues `payload` (copied) for every subscriber of `topic`, the publisher included if
   * subscribed. BUTTER_E_INVALID, and nothing is queued, when the topic is empty or longer than
   * BUTTER_EVENTS_MAX_TOPIC or the payload is longer than BUTTER_EVENTS_MAX_PAYLOAD: a publisher
   * must check the status, since nobody else learns that the event was refused. */
  butter_status (*publish)(const butter_host* host, butter_str topic, butter_bytes payload);
  /* [node] Calls fn for each event on `topic` until unsubscribed or the instance stops.
   * BUTTER_E_INVALID for an empty topic or one longer than BUTTER_EVENTS_MAX_TOPIC. */
  butter_status (*subscribe)(const butter_host* host, butter_str topic, butter_event_fn fn, void* user,
                             uint64_t* out_subscription_id);
  /* [node] Unknown ids are ignored. */
  void (*unsubscribe)(const butter_host* host, uint64_t subscription_id);
} butter_events_v1;

#ifdef __cplusplus
}
#endif
#endif
