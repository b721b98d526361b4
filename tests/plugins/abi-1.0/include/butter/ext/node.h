/* butter/ext/node.h — "butter.node/1": facts about the node an instance runs in. */
#ifndef BUTTER_EXT_NODE_H
#define BUTTER_EXT_NODE_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_NODE "butter.node/1"

typedef struct butter_node_v1 {
  /* [any-thread] The node id: 64 lowercase hex digits. The string is owned by the host and valid
   * until the instance is destroyed. */
  butter_str (*id)(const butter_host* host);
  /* [any-thread] The node's name from the manifest (owned by the host, valid until destroy). */
  butter_str (*name)(const butter_host* host);
  /* [any-thread] Milliseconds since the node started. */
  uint64_t (*uptime_ms)(const butter_host* host);
  /* [any-thread] The node's memory budget in bytes (from the manifest). Memory greedy: plugins
   * size their caches from it. */
  uint64_t (*memory_budget)(const butter_host* host);
  /* [any-thread] This instance's own data directory (created on demand, unique per instance),
   * or an empty string when the node has no data dir (no persistence). Owned by the host. */
  butter_str (*data_dir)(const butter_host* host);
  /* [node] Number of endpoints the node listens on (URIs such as "tcp://127.0.0.1:7000", with
   * real ports once started), and endpoint `index`. The string is valid for the current callback
   * only: copy it. */
  uint32_t (*endpoint_count)(const butter_host* host);
  butter_str (*endpoint)(const butter_host* host, uint32_t index);
  /* [node] The instance name from the manifest ("echo" for [plugins.echo]). Owned by the host. */
  butter_str (*instance_name)(const butter_host* host);
} butter_node_v1;

#ifdef __cplusplus
}
#endif
#endif
