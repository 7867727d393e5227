/* SPDX-License-Identifier: MIT */
/*
 * sock.h - helpers the socket transports share.
 */
#ifndef IPCX_CORE_SOCK_H
#define IPCX_CORE_SOCK_H

#include <sys/socket.h>

#include "core/transport.h"

/* Connect the non-blocking socket fd, waiting until the deadline.
 * Returns 0 or -errno (-ECONNREFUSED, -ENOENT, -ETIMEDOUT, -ECANCELED). */
int ipcx__sock_connect(struct ipcx_chan *ch, int fd, const struct sockaddr *addr,
                       socklen_t len, int64_t deadline);

/* Accept on listener->rfd until the deadline.  Returns the new descriptor
 * (CLOEXEC, non-blocking) or a negative error. */
int ipcx__sock_accept(struct ipcx_chan *listener, int64_t deadline, struct sockaddr *addr,
                      socklen_t *len);

/* Fill ch's peer credentials from SO_PEERCRED. */
int ipcx__sock_peercred(struct ipcx_chan *ch, int fd);

#endif
