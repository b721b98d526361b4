/* butter/version.h — the ABI version, and the rule that gates loading.
 *
 * A plugin records the ABI version it was built against in its `butter_entry`. The host reads it
 * before calling anything and refuses a plugin whose MAJOR differs from its own. A plugin built
 * against an older MINOR loads in a newer host: minors only add (new extension ids, new fields at
 * the end of structs that carry their `struct_size`). REVISION is for fixes that change nothing.
 *
 * 1.0  the first ABI (tests/plugins/abi-1.0 keeps a frozen copy of its headers).
 * 1.1  adds butter.identity/1, and the interfaces iface/reply.h, iface/storage.h, iface/search.h.
 * 1.2  adds butter.net.reply/1 (ext/net.h: reply_parts, BUTTER_NET_REPLY_MAX_PARTS).
 * 1.3  grows butter_plugin_descriptor at its end (config_key_ext, config_key_ext_len,
 *      config_key_ext_size): defaults, ranges and units of config keys (plugin.h); butter.config/1
 *      getters return a key's schema default when the manifest leaves the key out; adds
 *      butter.punch/2 (ext/punch.h: punch_spread, the many-sockets attempt for random mappings).
 * 1.4  adds butter.net.sealed/1 (ext/net.h: send_sealed, a message whose end-to-end sealed tail
 *      crosses an encrypted hop without being encrypted again).
 * 1.5  adds butter.streams.flow/1 (ext/streams.h: writable; a dialer's BUTTER_E_AGAIN makes the
 *      host wait and write again instead of closing the connection).
 * 1.6  adds butter.connections.release/1 (ext/connections.h: release, for a connection opened for
 *      a one-off use).
 * 1.7  grows butter_net_peer_info at its end (local_address: this side's socket address, for
 *      telling whether a NAT keeps the port).
 * 1.8  adds butter.net.peer_lookup/1 (ext/net.h: peer_by_id, one connected peer's info by node id
 *      without walking peer_count + peer). */
#ifndef BUTTER_VERSION_H
#define BUTTER_VERSION_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_ABI_MAJOR 1
#define BUTTER_ABI_MINOR 8
#define BUTTER_ABI_REVISION 0

typedef struct butter_version {
  uint32_t major;
  uint32_t minor;
  uint32_t revision;
} butter_version;

#define BUTTER_ABI_VERSION_INIT \
  { BUTTER_ABI_MAJOR, BUTTER_ABI_MINOR, BUTTER_ABI_REVISION }

/* Non-zero when a plugin built against `plugin` may be loaded by a host built with `host`. */
static inline int butter_version_is_compatible(butter_version host, butter_version plugin) {
  return host.major == plugin.major;
}

#ifdef __cplusplus
}
#endif
#endif
