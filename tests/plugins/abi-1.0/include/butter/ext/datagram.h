/* butter/ext/datagram.h — "butter.datagram/1": UDP sockets, unicast and multicast, owned by the
 * host (so that stopping the instance closes them). */
#ifndef BUTTER_EXT_DATAGRAM_H
#define BUTTER_EXT_DATAGRAM_H

#include "butter/host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BUTTER_EXT_DATAGRAM "butter.datagram/1"

typedef struct butter_datagram_options {
  uint32_t struct_size;           /* sizeof(butter_datagram_options) */
  butter_str bind_address;        /* "0.0.0.0", "127.0.0.1", "::"; empty = "0.0.0.0" */
  uint16_t port;                  /* 0 = any free port */
  int32_t reuse_address;          /* non-zero: SO_REUSEADDR (several processes share a multicast port) */
  butter_str multicast_group;     /* empty = none; else joined at open ("239.192.0.1") */
  butter_str multicast_interface; /* IPv4 address of the interface to join and send on; empty = default */
  int32_t multicast_ttl;          /* 0 = default (1) */
  int32_t multicast_loop;         /* non-zero: receive our own multicast (needed on one host) */
  uint32_t max_datagram;          /* receive buffer; larger datagrams are dropped; 0 = 65507 */
} butter_datagram_options;

/* [node] A datagram arrived. Everything is borrowed for the call. */
typedef void (*butter_datagram_fn)(void* user, uint64_t socket_id, butter_str from_address, uint16_t from_port,
                                   butter_bytes data);

typedef struct butter_datagram_v1 {
  /* [node] Opens a UDP socket with `opts` (borrowed) and delivers what it receives to fn. */
  butter_status (*open)(const butter_host* host, const butter_datagram_options* opts, butter_datagram_fn fn, void* user,
                        uint64_t* out_socket_id, butter_error* err);
  /* [node] Sends one datagram (copied). A multicast group address sends to the group. */
  butter_status (*send_to)(const butter_host* host, uint64_t socket_id, butter_str address, uint16_t port,
                           butter_bytes data, butter_error* err);
  /* [node] The bound local port. */
  uint16_t (*local_port)(const butter_host* host, uint64_t socket_id);
  /* [node] Closes the socket. Unknown ids are ignored. */
  void (*close)(const butter_host* host, uint64_t socket_id);
} butter_datagram_v1;

#ifdef __cplusplus
}
#endif
#endif
