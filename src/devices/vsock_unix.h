/* vsock_unix: the host side of the userspace vsock backend, Firecracker's
 * "hybrid vsock" protocol over Unix sockets.
 *
 *  - PATH (SOCK_STREAM) and PATH.seqpacket (SOCK_SEQPACKET) are listening
 *    sockets skiff owns. A host client connects to one and sends the line
 *    "CONNECT <port>\n" (on PATH.seqpacket: one message with that text);
 *    skiff asks the guest for a connection to <port> and, once the guest
 *    accepted, answers "OK <hostport>\n" (one message on seqpacket); from
 *    then on the socket carries the connection's data. A refused
 *    connection (guest RST) closes the socket without the OK.
 *  - A guest connect to CID 2 port P opens "PATH_P" (SOCK_STREAM for
 *    stream sockets, SOCK_SEQPACKET for seqpacket ones).
 *
 * vsock_unix_listen() treats a socket file with a live listener as a
 * collision (-EADDRINUSE) and replaces a stale one. */
#ifndef SKIFF_DEVICES_VSOCK_UNIX_H
#define SKIFF_DEVICES_VSOCK_UNIX_H

#include "devices/virtio_vsock.h"

/* Suffix of the seqpacket listener. */
#define VSOCK_UNIX_SEQ_SUFFIX ".seqpacket"
/* Longest PATH: room for "_4294967295" or the suffix, and the NUL. */
#define VSOCK_VSOCK_SUN_PATH (VSOCK_SUN_PATH - 12)

/* Listen on PATH and PATH.seqpacket (v->path) on v->dev.loop. 0 or -errno
 * (-ENAMETOOLONG, -EADDRINUSE, ...); nothing is left behind on error. */
int vsock_unix_listen(struct virtio_vsock *v);
/* Close the listeners and remove their socket files. */
void vsock_unix_close(struct virtio_vsock *v);

#endif
