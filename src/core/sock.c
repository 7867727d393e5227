/* SPDX-License-Identifier: MIT */
/*
 * sock.c - what the socket transports (unix, tcp) share: connecting and
 * accepting under a deadline, and reading a peer's credentials.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "core/sock.h"
#include "os/io.h"
#include "os/sys.h"

int
ipcx__sock_connect(struct ipcx_chan *ch, int fd, const struct sockaddr *addr,
                   socklen_t len, int64_t deadline)
{
	int step = 1, err, w;
	socklen_t elen = sizeof(err);

	for (;;) {
		if (ipcx__sys.connect(fd, addr, len) == 0)
			return 0;
		err = errno;
		if (err == EINTR)
			continue;
		if (err == EAGAIN) {
			/* AF_UNIX with a full backlog: nothing to poll on the
			 * unconnected socket, so retry with back-off. */
			w = ipcx__backoff(ch, deadline, &step);
			if (w < 0)
				return w;
			continue;
		}
		if (err != EINPROGRESS)
			return -err;
		break;
	}
	w = ipcx__wait_fd(ch, fd, POLLOUT, deadline);
	if (w < 0)
		return w;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		return -errno;
	return -err;
}

int
ipcx__sock_accept(struct ipcx_chan *listener, int64_t deadline, struct sockaddr *addr,
                  socklen_t *len)
{
	for (;;) {
		socklen_t l = len ? *len : 0;
		int fd = ipcx__accept(listener->rfd, addr, len ? &l : NULL);
		int w;

		if (fd >= 0) {
			if (len)
				*len = l;
			return fd;
		}
		/* A connection that died in the backlog is not our error. */
		if (fd != -EAGAIN && fd != -ECONNABORTED && fd != -EPROTO)
			return fd;
		w = ipcx__wait_fd(listener, listener->rfd, POLLIN, deadline);
		if (w < 0)
			return w;
	}
}

int
ipcx__sock_peercred(struct ipcx_chan *ch, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	ch->has_peer = true;
	ch->peer_pid = cred.pid;
	ch->peer_uid = cred.uid;
	ch->peer_gid = cred.gid;
	return 0;
}
