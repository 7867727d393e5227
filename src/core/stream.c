/* SPDX-License-Identifier: MIT */
/*
 * stream.c - the stream object, and the byte I/O of streams on
 * descriptors, which every stream transport (pipe, fifo, unix type=stream,
 * tcp) uses as it is or wraps.  A transport whose channel is a pair of descriptors
 * (pipe, fifo, unix stream, tcp) points c_send/c_recv here and only opens
 * and closes its descriptors itself.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/frame.h"
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
	struct ipcx_stream *st = ch->stream;
	struct iovec piece[64];
	ssize_t r;
	int w, n;

	for (;;) {
		switch (blocking_kind(ch->wfd, &st->wfd_kind)) {
		case BLOCKING_PLAIN:
			return ipcx__writev_pipe(ch->wfd, iov, iovcnt);
		case BLOCKING_NOWAIT:
			r = ipcx__writev_nowait(ch->wfd, iov, iovcnt);
			if (r == -EOPNOTSUPP) {
				st->wfd_kind = BLOCKING_POLL;
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
		if (st->wfd_kind == BLOCKING_POLL) {
			n = ipcx__iov_clip(iov, iovcnt < 64 ? iovcnt : 64, BLOCKING_PIECE, piece);
			return n == 0 ? 0 : ipcx__writev_pipe(ch->wfd, piece, n);
		}
	}
}

static ssize_t
blocking_fd_readv(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct ipcx_stream *st = ch->stream;
	ssize_t r;
	int w;

	for (;;) {
		switch (blocking_kind(ch->rfd, &st->rfd_kind)) {
		case BLOCKING_PLAIN:
			return ipcx__readv(ch->rfd, iov, iovcnt);
		case BLOCKING_NOWAIT:
			r = ipcx__readv_nowait(ch->rfd, iov, iovcnt);
			if (r == -EOPNOTSUPP) {
				st->rfd_kind = BLOCKING_POLL;
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
ipcx__fd_stream_write(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
                      int64_t deadline)
{
	struct ipcx_stream *st = ch->stream;

	for (;;) {
		ssize_t r;
		int w;

		if (ch->wfd < 0)
			return -EPIPE;
		if (iovcnt > IOV_MAX)
			iovcnt = IOV_MAX;
		if (!(st->flags & IPCX_STREAM_SOCKET) && !st->sigpipe_ref) {
			st->sigpipe_ref = true;
			ipcx__sigpipe_ref();
		}
		if ((st->flags & IPCX_STREAM_SOCKET))
			r = ipcx__send_iov(ch->wfd, iov, iovcnt, 0);
		else if ((st->flags & IPCX_STREAM_BLOCKING))
			r = blocking_fd_send(ch, iov, iovcnt, deadline);
		else
			r = ipcx__writev_pipe(ch->wfd, iov, iovcnt);
		if (r >= 0)
			return r;
		if (r == -ECONNRESET || r == -ENOTCONN)
			return -EPIPE;
		if (r != -EAGAIN || (st->flags & IPCX_STREAM_BLOCKING)) {
			if (r != -EAGAIN && r != -ETIMEDOUT && r != -ECANCELED && r != -EINTR)
				ch->last_errno = (int)-r;
			return r;
		}
		w = ipcx__wait_fd(ch, ch->wfd, POLLOUT, deadline);
		if (w < 0)
			return w;
		if ((w & POLLERR) && !(st->flags & IPCX_STREAM_SOCKET))
			return -EPIPE; /* a pipe with no reader */
	}
}

ssize_t
ipcx__fd_stream_read(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
                     int64_t deadline)
{
	struct ipcx_stream *st = ch->stream;

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
		if (st->rx_wait_first && deadline != IPCX_DEADLINE_NOW) {
			w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
			if (w < 0)
				return w;
		}
		if ((st->flags & IPCX_STREAM_SOCKET)) {
			struct msghdr msg = { .msg_iov = (struct iovec *)iov,
				              .msg_iovlen = (size_t)iovcnt };
			r = ipcx__recvmsg(ch->rfd, &msg, MSG_DONTWAIT);
		} else if ((st->flags & IPCX_STREAM_BLOCKING)) {
			r = blocking_fd_readv(ch, iov, iovcnt, deadline);
		} else {
			r = ipcx__readv(ch->rfd, iov, iovcnt);
		}
		if (r > 0) {
			if ((size_t)r == ipcx__iov_total(iov, iovcnt))
				st->rx_wait_first = false;
			return r;
		}
		if (r == 0 || r == -ECONNRESET)
			return IPCX_EOF;
		if (r != -EAGAIN) {
			ch->last_errno = (int)-r;
			return r;
		}
		st->rx_wait_first = true;
		w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
		if (w < 0)
			return w;
	}
}

void
ipcx__fd_stream_shutdown(struct ipcx_chan *ch, int how)
{
	bool sock = ch->stream->flags & IPCX_STREAM_SOCKET;

	if (how != SHUT_RD && ch->wfd >= 0) {
		if (sock)
			(void)shutdown(ch->wfd, SHUT_WR);
		else if (ch->wfd != ch->rfd)
			/* Letting go of our write end is how a pipe reader learns
			 * the stream ended mid-frame. */
			ipcx__fd_detach(ch->wfd);
	}
	if (how != SHUT_WR && ch->rfd >= 0) {
		if (sock)
			(void)shutdown(ch->rfd, SHUT_RD);
		else if (ch->rfd != ch->wfd)
			ipcx__fd_detach(ch->rfd);
	}
}

const struct ipcx_stream_ops ipcx__fd_stream_ops = {
	.s_write = ipcx__fd_stream_write,
	.s_read = ipcx__fd_stream_read,
	.s_shutdown = ipcx__fd_stream_shutdown,
};

int
ipcx__stream_open(struct ipcx_chan *ch, const struct ipcx_stream_ops *ops, unsigned flags)
{
	struct ipcx_stream *st = ch->stream;

	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return -ENOMEM;
		st->poll_fd = st->ready_fd = -1;
		ch->stream = st;
	}
	st->ops = ops;
	st->flags = flags;
	return 0;
}

void
ipcx__stream_free(struct ipcx_chan *ch)
{
	struct ipcx_stream *st = ch->stream;

	if (st == NULL)
		return;
	if (st->sigpipe_ref)
		ipcx__sigpipe_unref();
	ipcx__close(st->poll_fd);
	ipcx__close(st->ready_fd);
	free(st->rx.data);
	free(st->tx_tail);
	free(st);
	ch->stream = NULL;
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
