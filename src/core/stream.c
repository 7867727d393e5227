/* SPDX-License-Identifier: MIT */
/*
 * stream.c - the byte I/O every stream transport shares.  A transport whose channel is a pair of descriptors
 * (pipe, fifo, unix stream, tcp) points c_send/c_recv here and only opens
 * and closes its descriptors itself.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"
#include "os/sys.h"

ssize_t
ipcx__fd_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	for (;;) {
		ssize_t r;
		int w;

		if (ch->wfd < 0)
			return -EPIPE;
		if (ch->fd_blocking) {
			/* An adopted blocking descriptor: wait first, then write. */
			w = ipcx__wait_fd(ch, ch->wfd, POLLOUT, deadline);
			if (w < 0)
				return w;
		}
		if (iovcnt > IOV_MAX)
			iovcnt = IOV_MAX;
		if (ch->fd_is_socket)
			r = ipcx__send_iov(ch->wfd, iov, iovcnt, 0);
		else
			r = ipcx__writev_pipe(ch->wfd, iov, iovcnt);
		if (r >= 0)
			return r;
		if (r == -ECONNRESET || r == -ENOTCONN)
			return -EPIPE;
		if (r != -EAGAIN) {
			ch->last_errno = (int)-r;
			return r;
		}
		if (ch->fd_blocking && deadline == IPCX_DEADLINE_NOW)
			return -EAGAIN;
		w = ipcx__wait_fd(ch, ch->wfd, POLLOUT, deadline);
		if (w < 0)
			return w;
		if ((w & POLLERR) && !ch->fd_is_socket)
			return -EPIPE; /* a pipe with no reader */
	}
}

ssize_t
ipcx__fd_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
              int64_t deadline)
{
	(void)info;
	for (;;) {
		ssize_t r;
		int w;

		if (ch->rfd < 0)
			return IPCX_EOF;
		if (ch->fd_blocking) {
			w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
			if (w < 0)
				return w;
		}
		if (ch->fd_is_socket) {
			struct iovec iov = { buf, cap };
			struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
			r = ipcx__recvmsg(ch->rfd, &msg, MSG_DONTWAIT);
		} else {
			r = ipcx__read(ch->rfd, buf, cap);
		}
		if (r > 0)
			return r;
		if (r == 0 || r == -ECONNRESET)
			return IPCX_EOF;
		if (r != -EAGAIN) {
			ch->last_errno = (int)-r;
			return r;
		}
		w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
		if (w < 0)
			return w;
	}
}

int
ipcx__abs_path(const char *path, char *out, size_t outlen)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(out, outlen, "%s", path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return -errno;
		n = snprintf(out, outlen, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
	}
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}
