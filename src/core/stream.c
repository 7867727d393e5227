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
#include <sys/stat.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"
#include "os/sys.h"

/*
 * How an adopted descriptor in blocking mode, which other processes may
 * share, is used without blocking past a deadline, a wake or a signal: its
 * file status flags are never touched (O_NONBLOCK would change them for
 * every sharer).  Pipes take RWF_NOWAIT; a descriptor that refuses it is
 * written, once poll says it has room, in pieces small enough that the
 * room it reported holds them, and read once poll says it has data; a
 * regular file or a block device never waits on a peer and is used plainly
 * (RWF_NOWAIT there would fail for data not yet in the page cache).
 */
enum {
	BLOCKING_UNKNOWN = 0,
	BLOCKING_NOWAIT,  /* RWF_NOWAIT */
	BLOCKING_POLL,    /* poll, then one transfer poll vouches for */
	BLOCKING_PLAIN,   /* a file: plain I/O */
};
#define BLOCKING_PIECE 256

static int
blocking_kind(int fd, signed char *kind)
{
	struct stat st;

	if (*kind == BLOCKING_UNKNOWN)
		*kind = fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		                ? BLOCKING_PLAIN
		                : BLOCKING_NOWAIT;
	return *kind;
}

static ssize_t
blocking_fd_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct iovec piece[64];
	ssize_t r;
	int w, n;

	for (;;) {
		switch (blocking_kind(ch->wfd, &ch->wfd_kind)) {
		case BLOCKING_PLAIN:
			return ipcx__writev_pipe(ch->wfd, iov, iovcnt);
		case BLOCKING_NOWAIT:
			r = ipcx__writev_nowait(ch->wfd, iov, iovcnt);
			if (r == -EOPNOTSUPP) {
				ch->wfd_kind = BLOCKING_POLL;
				continue;
			}
			if (r != -EAGAIN || deadline == IPCX_DEADLINE_NOW)
				return r;
			break;
		default:
			break;
		}
		w = ipcx__wait_fd(ch, ch->wfd, POLLOUT, deadline);
		if (w < 0)
			return w;
		if (w & POLLERR)
			return -EPIPE;
		if (ch->wfd_kind == BLOCKING_POLL) {
			n = ipcx__iov_clip(iov, iovcnt < 64 ? iovcnt : 64, BLOCKING_PIECE, piece);
			return n == 0 ? 0 : ipcx__writev_pipe(ch->wfd, piece, n);
		}
	}
}

static ssize_t
blocking_fd_readv(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	ssize_t r;
	int w;

	for (;;) {
		switch (blocking_kind(ch->rfd, &ch->rfd_kind)) {
		case BLOCKING_PLAIN:
			return ipcx__readv(ch->rfd, iov, iovcnt);
		case BLOCKING_NOWAIT:
			r = ipcx__readv_nowait(ch->rfd, iov, iovcnt);
			if (r == -EOPNOTSUPP) {
				ch->rfd_kind = BLOCKING_POLL;
				continue;
			}
			return r;
		default:
			w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
			if (w < 0)
				return w;
			return ipcx__readv(ch->rfd, iov, iovcnt);
		}
	}
}

ssize_t
ipcx__fd_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	for (;;) {
		ssize_t r;
		int w;

		if (ch->wfd < 0)
			return -EPIPE;
		if (iovcnt > IOV_MAX)
			iovcnt = IOV_MAX;
		if (!ch->fd_is_socket && !ch->sigpipe_ref) {
			ch->sigpipe_ref = true;
			ipcx__sigpipe_ref();
		}
		if (ch->fd_is_socket)
			r = ipcx__send_iov(ch->wfd, iov, iovcnt, 0);
		else if (ch->fd_blocking)
			r = blocking_fd_send(ch, iov, iovcnt, deadline);
		else
			r = ipcx__writev_pipe(ch->wfd, iov, iovcnt);
		if (r >= 0)
			return r;
		if (r == -ECONNRESET || r == -ENOTCONN)
			return -EPIPE;
		if (r != -EAGAIN || ch->fd_blocking) {
			if (r != -EAGAIN && r != -ETIMEDOUT && r != -ECANCELED && r != -EINTR)
				ch->last_errno = (int)-r;
			return r;
		}
		w = ipcx__wait_fd(ch, ch->wfd, POLLOUT, deadline);
		if (w < 0)
			return w;
		if ((w & POLLERR) && !ch->fd_is_socket)
			return -EPIPE; /* a pipe with no reader */
	}
}

ssize_t
ipcx__fd_readv(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	for (;;) {
		ssize_t r;
		int w;

		if (ch->rfd < 0)
			return IPCX_EOF;
		/* A read that found nothing last time is likely to find nothing
		 * now (a reply not back yet, a reader faster than its writer):
		 * wait first, and save the doomed read - three system calls a
		 * message become two.  A read that filled the buffer says data
		 * is queued, and reading first is cheaper again. */
		if (ch->rx_wait_first && deadline != IPCX_DEADLINE_NOW) {
			w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
			if (w < 0)
				return w;
		}
		if (ch->fd_is_socket) {
			struct msghdr msg = { .msg_iov = (struct iovec *)iov,
				              .msg_iovlen = (size_t)iovcnt };
			r = ipcx__recvmsg(ch->rfd, &msg, MSG_DONTWAIT);
		} else if (ch->fd_blocking) {
			r = blocking_fd_readv(ch, iov, iovcnt, deadline);
		} else {
			r = ipcx__readv(ch->rfd, iov, iovcnt);
		}
		if (r > 0) {
			if ((size_t)r == ipcx__iov_total(iov, iovcnt))
				ch->rx_wait_first = false;
			return r;
		}
		if (r == 0 || r == -ECONNRESET)
			return IPCX_EOF;
		if (r != -EAGAIN) {
			ch->last_errno = (int)-r;
			return r;
		}
		ch->rx_wait_first = true;
		w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
		if (w < 0)
			return w;
	}
}

ssize_t
ipcx__fd_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
              int64_t deadline)
{
	struct iovec iov = { buf, cap };

	(void)info;
	return ipcx__fd_readv(ch, &iov, 1, deadline);
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
