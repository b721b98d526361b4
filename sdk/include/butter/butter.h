/* butter/butter.h — the whole C ABI of Butter, version 1. Read top to bottom:
 *
 *   version.h   the ABI version and the loading rule
 *   status.h    status codes, the caller-owned error, borrowed strings and bytes
 *   entry.h     the single exported symbol, butter_entry
 *   host.h      what the host hands each instance; extensions by id
 *   plugin.h    descriptors, the factory, the instance lifecycle
 *   ext/        the host's services: log, node, config, timer, net, datagram, fd, http,
 *               metrics, services (broker), events (pub/sub within a node), streams (inbound
 *               plugin streams, beside net), and the
 *               plugin-side state extension
 *   iface/      interfaces that plugins provide to each other (peers, ...): include the ones you
 *               use, e.g. <butter/iface/peers.h>
 *
 * Rules that hold everywhere:
 *   - Thread tags: [node] = called on / only callable from the node's executor (calls are serial
 *     per node, so plugin code needs no locks); [any-thread]; [main] = the host's loading thread.
 *     The host checks [node]: such a call from another thread fails with BUTTER_E_INVALID (or
 *     does nothing when it returns void), is logged once per instance, and is counted in
 *     /status (plugins[].off_thread_calls). From a thread of your own, use butter_host::post.
 *   - Ownership: parameters are borrowed for the call; copy what you keep. Strings are UTF-8
 *     pointer + length. Nothing is freed by the side that did not allocate it.
 *   - Growth: structs that may grow start with struct_size; published vtables are frozen and
 *     growth is a new extension id served beside the old one.
 *   - Ids the host hands out (timers, requests, reply tokens, sockets, routes, watches,
 *     subscriptions) are never reused within a node's lifetime, so a stale cancel is harmless.
 *   - No C++ type and no exception crosses this boundary. */
#ifndef BUTTER_BUTTER_H
#define BUTTER_BUTTER_H

#include "butter/version.h"
#include "butter/status.h"
#include "butter/entry.h"
#include "butter/host.h"
#include "butter/plugin.h"
#include "butter/ext/log.h"
#include "butter/ext/node.h"
#include "butter/ext/config.h"
#include "butter/ext/timer.h"
#include "butter/ext/net.h"
#include "butter/ext/datagram.h"
#include "butter/ext/fd.h"
#include "butter/ext/http.h"
#include "butter/ext/http2.h"
#include "butter/ext/metrics.h"
#include "butter/ext/services.h"
#include "butter/ext/state.h"
#include "butter/ext/events.h"
#include "butter/ext/identity.h"
#include "butter/ext/streams.h"
#include "butter/ext/connections.h"
#include "butter/ext/punch.h"

#endif
