/* butter/ext/timer.h — "butter.timer/1": one-shot and periodic timers on the node's executor. */
#ifndef BUTTER_EXT_TIMER_H
#define BUTTER_EXT_TIMER_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_TIMER "butter.timer/1"

/* [node] Called when the timer fires. `user` is what was passed to set. */
typedef void (*butter_timer_fn)(void* user, uint64_t timer_id);

typedef struct butter_timer_v1 {
  /* [node] Fires `fn` after `delay_ms`, then every `period_ms` if period_ms > 0 (until cancelled).
   * A one-shot timer is forgotten after it fired. *out_id receives an id > 0. */
  butter_status (*set)(const butter_host* host, uint64_t delay_ms, uint64_t period_ms, butter_timer_fn fn, void* user,
                       uint64_t* out_id);
  /* [node] Cancels a timer; fn will not be called again. Unknown ids are ignored. */
  void (*cancel)(const butter_host* host, uint64_t timer_id);
  /* [any-thread] Monotonic milliseconds (the node's clock; virtual in simulations). */
  uint64_t (*now_ms)(const butter_host* host);
} butter_timer_v1;

#ifdef __cplusplus
}
#endif
#endif
