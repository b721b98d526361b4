/* butter/ext/identity.h — "butter.identity/1": sign with the node's long-term key, verify others.
 *
 * A node's id is its Ed25519 public key (32 bytes; butter.node/1 gives its 64 hex digits). The
 * secret key never leaves the host: a plugin asks the host to sign. Dapps use it for records that
 * change (a wiki page's latest version): the author signs, every reader verifies, a forged or
 * tampered record is refused. Immutable data needs no signature: its hash is its id.
 *
 * Domain separation: the host never signs `message` alone. It signs
 *   "butter/sign/1" 0x00 context 0x00 message
 * so that a signature made for one purpose ("org.example.wiki/head") can never be replayed as
 * another, nor as a transport handshake signature. verify() rebuilds the same bytes. `context` is
 * 1..255 bytes of UTF-8 without NUL; pick it like a plugin id. */
#ifndef BUTTER_EXT_IDENTITY_H
#define BUTTER_EXT_IDENTITY_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_IDENTITY "butter.identity/1"
#define BUTTER_IDENTITY_PUBLIC_KEY_BYTES 32
#define BUTTER_IDENTITY_SIGNATURE_BYTES 64

typedef struct butter_identity_v1 {
  /* [any-thread] Writes the node's Ed25519 public key (its node id) to `out`. */
  butter_status (*public_key)(const butter_host* host, uint8_t out[32]);
  /* [any-thread] Signs `message` (borrowed) under `context` with the node's key; writes 64 bytes to
   * `signature_out`. BUTTER_E_INVALID for a bad context. */
  butter_status (*sign)(const butter_host* host, butter_str context, butter_bytes message, uint8_t signature_out[64]);
  /* [any-thread] BUTTER_OK when `signature` is `public_key`'s signature of `message` under
   * `context`; BUTTER_E_INVALID otherwise (forged, tampered, wrong key or context, bad key). */
  butter_status (*verify)(const butter_host* host, const uint8_t public_key[32], butter_str context,
                          butter_bytes message, const uint8_t signature[64]);
} butter_identity_v1;

#ifdef __cplusplus
}
#endif
#endif
