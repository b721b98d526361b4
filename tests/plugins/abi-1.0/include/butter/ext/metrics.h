/* butter/ext/metrics.h — "butter.metrics/1": counters and gauges served in Prometheus text
 * format on the node's GET /metrics, labelled with the node and the plugin instance.
 * Names match [a-zA-Z_][a-zA-Z0-9_]* and get the prefix "butter_"; others are BUTTER_E_INVALID. */
#ifndef BUTTER_EXT_METRICS_H
#define BUTTER_EXT_METRICS_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_METRICS "butter.metrics/1"

typedef struct butter_metrics_v1 {
  /* [node] Adds `delta` to counter `name` (created at 0). */
  butter_status (*counter_add)(const butter_host* host, butter_str name, uint64_t delta);
  /* [node] Sets gauge `name`. */
  butter_status (*gauge_set)(const butter_host* host, butter_str name, double value);
  /* [node] Optional HELP text for `name` (copied). */
  butter_status (*describe)(const butter_host* host, butter_str name, butter_str help);
} butter_metrics_v1;

#ifdef __cplusplus
}
#endif
#endif
