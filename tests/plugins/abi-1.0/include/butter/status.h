/* butter/status.h — status codes, the caller-owned error, and strings.
 *
 * Every fallible function returns a `butter_status` (int32_t). BUTTER_OK is zero; every other
 * value, including values this header does not name (a newer peer's), is an error.
 * Where a function takes a `butter_error*`, the CALLER owns it (usually on its stack); the callee
 * may fill `message` with a NUL-terminated UTF-8 reason, truncated to fit. Passing NULL is allowed
 * and means "I do not want the reason". Nothing is allocated, nothing needs freeing. */
#ifndef BUTTER_STATUS_H
#define BUTTER_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t butter_status;

enum {
  BUTTER_OK = 0,
  BUTTER_E_INVALID = -1,     /* a bad argument, message, config value or state */
  BUTTER_E_UNSUPPORTED = -2, /* the callee does not do this (unknown id, scheme, version) */
  BUTTER_E_NOT_FOUND = -3,   /* no such peer, protocol, key, object or route */
  BUTTER_E_AGAIN = -4,       /* not now: a queue is full (backpressure); retry later */
  BUTTER_E_UNAVAILABLE = -5, /* the peer or provider is gone, isolated, or being replaced */
  BUTTER_E_NOMEM = -6,       /* over the memory budget or a size limit */
  BUTTER_E_INTERNAL = -7,    /* a bug or unexpected failure in the callee */
  BUTTER_E_TIMEOUT = -8,     /* a deadline passed before the answer came */
  BUTTER_E_CANCELLED = -9    /* the operation was cancelled (the node is stopping) */
};

#define BUTTER_ERROR_MESSAGE_SIZE 512

typedef struct butter_error {
  uint32_t struct_size;                    /* sizeof(butter_error), set by the caller */
  butter_status code;                      /* set by the callee */
  char message[BUTTER_ERROR_MESSAGE_SIZE]; /* NUL-terminated UTF-8, set by the callee */
} butter_error;

static inline void butter_error_init(butter_error* e) {
  if (!e) return;
  e->struct_size = (uint32_t)sizeof(butter_error);
  e->code = BUTTER_OK;
  e->message[0] = '\0';
}

/* Fills `e` (if not NULL) and returns `code`, so that a callee can `return butter_error_set(...)`. */
static inline butter_status butter_error_set(butter_error* e, butter_status code, const char* msg) {
  if (e && e->struct_size >= sizeof(butter_error)) {
    size_t n = msg ? strlen(msg) : 0;
    if (n >= BUTTER_ERROR_MESSAGE_SIZE) n = BUTTER_ERROR_MESSAGE_SIZE - 1;
    if (n) memcpy(e->message, msg, n);
    e->message[n] = '\0';
    e->code = code;
  }
  return code;
}

/* A borrowed UTF-8 string: pointer + length, not NUL-terminated. Valid for the call only. */
typedef struct butter_str {
  const char* data;
  size_t len;
} butter_str;

/* A borrowed byte span. Valid for the call only; copy what you keep. */
typedef struct butter_bytes {
  const uint8_t* data;
  size_t len;
} butter_bytes;

#ifdef __cplusplus
}
#endif
#endif
