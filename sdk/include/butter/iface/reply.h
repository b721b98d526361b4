/* butter/iface/reply.h — how an interface answers an asynchronous call without holding the
 * caller's pointers.
 *
 * Plugins never keep each other's function pointers across a callback (a consumer may be hot
 * swapped or isolated while a storage get is still on the network). So an interface call that
 * completes later takes a `butter_reply_to`: the provider publishes each result on the node's
 * events bus (butter/ext/events.h) under `topic`, with `ticket` as the first field of the payload.
 * The host owns the subscription, so a result for a consumer that has gone is simply not delivered
 * (or reaches its replacement, which does not know the ticket and ignores it).
 *
 * No result is promised: a provider that is stopped, swapped or isolated mid-call, or a publish
 * the bus refuses (over BUTTER_EVENTS_MAX_PAYLOAD), may leave a ticket unanswered. A consumer
 * therefore keeps its OWN deadline for every ticket (a timer) and treats its expiry as a failure;
 * interfaces state the deadlines they apply themselves, which are not the consumer's.
 *
 * A consumer picks a topic unique to itself, e.g. "<plugin id>/<random 64-bit hex>:reply", and
 * subscribes to it once. Tickets are the consumer's own (any value; echoed unchanged).
 *
 * Every result payload is big-endian (butter/wire.hpp) and starts with:
 *   u64 ticket, u8 kind, i32 status
 * `kind` is defined by each interface; `status` is a butter_status. An interface documents what
 * follows for each kind. Readers ignore bytes they do not understand at the end (growth). */
#ifndef BUTTER_IFACE_REPLY_H
#define BUTTER_IFACE_REPLY_H

#include "butter/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct butter_reply_to {
  uint32_t struct_size; /* sizeof(butter_reply_to) */
  butter_str topic;     /* events topic the results are published on (copied by the provider) */
  uint64_t ticket;      /* echoed in every result of this call */
} butter_reply_to;

#ifdef __cplusplus
}
#endif
#endif
