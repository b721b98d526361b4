/* butter/ext/state.h — "butter.state/1" (provided by plugins, optional): save and restore an
 * instance's state, so that hot swap hands it from the old build to the new one.
 * The stream should start with the plugin's own schema version; load may refuse it. */
#ifndef BUTTER_EXT_STATE_H
#define BUTTER_EXT_STATE_H

#include "butter/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_STATE "butter.state/1"

/* Host-owned output stream. */
typedef struct butter_ostream {
  void* ctx;
  /* Appends bytes (copied). */
  butter_status (*write)(const struct butter_ostream* stream, butter_bytes bytes);
} butter_ostream;

/* Host-owned input stream. */
typedef struct butter_istream {
  void* ctx;
  /* Reads up to `capacity` bytes into `buffer`; *out_read = 0 at the end. */
  butter_status (*read)(const struct butter_istream* stream, uint8_t* buffer, size_t capacity, size_t* out_read);
} butter_istream;

typedef struct butter_state_v1 {
  /* [node] Writes the state. Called on the old instance, after stop. */
  butter_status (*save)(const butter_plugin* plugin, const butter_ostream* out);
  /* [node] Reads a state, on the new instance between init and start. May refuse it. */
  butter_status (*load)(const butter_plugin* plugin, const butter_istream* in, butter_error* err);
} butter_state_v1;

#ifdef __cplusplus
}
#endif
#endif
