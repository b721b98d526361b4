/* butter/ext/fd.h — "butter.fd/1": watch a file descriptor the plugin owns on the node's loop
 * (for libraries with their own sockets, inotify, pipes). The host never closes the descriptor;
 * unwatch before closing it. */
#ifndef BUTTER_EXT_FD_H
#define BUTTER_EXT_FD_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_FD "butter.fd/1"

enum { BUTTER_FD_READ = 1, BUTTER_FD_WRITE = 2 };

/* [node] `fd` is ready for `events` (a subset of what was asked). The watch stays armed. */
typedef void (*butter_fd_fn)(void* user, int fd, int32_t events);

typedef struct butter_fd_v1 {
  /* [node] Starts watching `fd` for `events` (BUTTER_FD_READ | BUTTER_FD_WRITE). */
  butter_status (*watch)(const butter_host* host, int fd, int32_t events, butter_fd_fn fn, void* user,
                         uint64_t* out_watch_id, butter_error* err);
  /* [node] Stops the watch; fn is not called again. Unknown ids are ignored. */
  void (*unwatch)(const butter_host* host, uint64_t watch_id);
} butter_fd_v1;

#ifdef __cplusplus
}
#endif
#endif
