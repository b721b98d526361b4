/* butter/ext/log.h — "butter.log/1": write to the node's log.
 * Lines are tagged with the node and the plugin instance. */
#ifndef BUTTER_EXT_LOG_H
#define BUTTER_EXT_LOG_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_LOG "butter.log/1"

enum { BUTTER_LOG_TRACE = 0, BUTTER_LOG_DEBUG = 1, BUTTER_LOG_INFO = 2, BUTTER_LOG_WARN = 3, BUTTER_LOG_ERROR = 4 };

typedef struct butter_log_v1 {
  /* [any-thread] Logs `msg` (borrowed UTF-8, need not be NUL-terminated). Unknown levels log as
   * INFO. Never fails. */
  void (*log)(const butter_host* host, int32_t level, butter_str msg);
  /* [any-thread] Non-zero when `level` would be written, to skip formatting otherwise. */
  int32_t (*enabled)(const butter_host* host, int32_t level);
} butter_log_v1;

#ifdef __cplusplus
}
#endif
#endif
