/* SPDX-License-Identifier: MIT */
/*
 * pipe.c - anonymous pipes: ipcx_pair("pipe:") makes two (one per
 * direction), ipcx_spawn hands one end to a child, and "pipe:FD" or
 * "pipe:RFD,WFD" adopts descriptors a process inherited ("pipe:0" is
 * standard input, "pipe:1" standard output).
 *
 * An adopted descriptor becomes the channel's: ipcx_close() closes it, so
 * the peer sees end of file.  One numbered 0-2 is pointed at /dev/null
 * instead, so that stray output cannot land in whatever is opened next.
 * An inherited pipe shares its open file description with other processes;
 * setting O_NONBLOCK on it would change their view too, so ipcx reopens the
 * pipe through /proc/self/fd, which yields a description of its own.  A
 * descriptor that cannot be reopened (a terminal, a file) is used in
 * blocking mode, polled before each transfer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/frame.h"
#include "core/transport.h"
#include "os/io.h"

static void
pipe_fd_release(int fd)
{
	if (fd < 0)
		return;
	if (fd <= 2) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			(void)dup2(null, fd);
			ipcx__close(null);
			return;
		}
	}
	ipcx__close(fd);
}

static int
pipe_parse_fd(const char *s, size_t n, int *ret)
{
	char buf[16];
	unsigned long v;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (ipcx__parse_ulong(buf, 10, INT_MAX, &v) < 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/*
 * "FD" (*wfd = -1) or "RFD,WFD": the one check of a pipe: address, run by
 * pipe_chan_check before anything is opened and by join, which keeps the
 * numbers.  Says nothing of whether the descriptors are open.
 */
static int
pipe_parse_addr(const char *addr, int *rfd, int *wfd)
{
	const char *comma = strchr(addr, ',');

	*wfd = -1;
	if (comma == NULL) {
		if (pipe_parse_fd(addr, strlen(addr), rfd) == 0)
			return 0;
	} else if (pipe_parse_fd(addr, (size_t)(comma - addr), rfd) == 0 &&
	           pipe_parse_fd(comma + 1, strlen(comma + 1), wfd) == 0) {
		if (*rfd != *wfd)
			return 0;
		return ipcx__uri_invalid(-EINVAL, "pipe:RFD,WFD names two different "
		                                  "descriptors");
	}
	return ipcx__uri_invalid(-EINVAL, "pipe: takes a descriptor number (pipe:0) or "
	                                  "two (pipe:RFD,WFD)");
}

/* c_check: the address form; no address is ipcx_pair's. */
static int
pipe_chan_check(const struct ipcx_uri *uri)
{
	int rfd, wfd;

	if (uri->address_len == 0)
		return 0;
	return pipe_parse_addr(uri->address, &rfd, &wfd);
}

/* A Unix98 pseudo-terminal master (what posix_openpt returns) is the
 * clone device /dev/ptmx, major 5 minor 2, whatever the file was named. */
static bool
pty_master(const struct stat *st)
{
	return major(st->st_rdev) == 5 && minor(st->st_rdev) == 2;
}

/*
 * Take fd over for the given direction (O_RDONLY or O_WRONLY; O_RDWR for
 * one descriptor used both ways).  Returns the descriptor the channel uses;
 * *ret_release is set to fd when the channel uses a new one instead, which
 * the join releases only once it cannot fail any more (a failed join leaves
 * the caller's descriptors as they were).
 */
static int
pipe_adopt(unsigned *sflags, int fd, int accmode, int *ret_release)
{
	char path[64];
	struct stat st;
	int nfd;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		*sflags |= IPCX_STREAM_SOCKET;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
	/* A pipe or a terminal is opened again through /proc, non-blocking: a
	 * new open file description of the same object, so the descriptor
	 * others share keeps its flags and ipcx never blocks past a deadline.
	 * A regular file is not (a new description would lose its offset and
	 * O_APPEND), and never waits on a peer anyway.  Nor is a pseudo-terminal
	 * master: opening /dev/ptmx again, by any name, makes a new terminal;
	 * nor a character device that is not a terminal, whose open may do
	 * something of its own (a tape rewinds at close, a watchdog arms). */
	if (S_ISFIFO(st.st_mode) ||
	    (S_ISCHR(st.st_mode) && !pty_master(&st) && isatty(fd))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = ipcx__open(path, accmode | O_NONBLOCK | O_NOCTTY, 0);
		if (nfd >= 0) {
			*ret_release = fd;
			return nfd;
		}
		/* ENXIO: a write end whose reader has gone; EACCES: /proc
		 * hidden.  The descriptor still works, blocking, and is
		 * written with RWF_NOWAIT or in pieces poll vouches for. */
	}
	*sflags |= IPCX_STREAM_BLOCKING;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

static int
pipe_check_mode(struct ipcx_chan *ch, int fd, bool want_read, bool want_write)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno; /* EBADF: nothing open at that number */
	fl &= O_ACCMODE;
	if (want_read && fl == O_WRONLY) {
		ipcx__set_errmsg(ch, "descriptor %d is not open for reading", fd);
		return -EINVAL;
	}
	if (want_write && fl == O_RDONLY) {
		ipcx__set_errmsg(ch, "descriptor %d is not open for writing", fd);
		return -EINVAL;
	}
	return fl;
}

static int
pipe_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	unsigned sflags = 0;
	int rfd, wfd, acc, rc, nr = -1, nw = -1, release_r = -1, release_w = -1;

	(void)deadline;
	if (ch->uri.address_len == 0) {
		ipcx__set_errmsg(ch, "invalid URI: pipe: needs a descriptor to join (pipe:0, "
		                     "pipe:RFD,WFD); no address is for ipcx_pair");
		return -EINVAL;
	}
	rc = pipe_parse_addr(ch->uri.address, &rfd, &wfd);
	if (rc < 0)
		return rc;
	/* The core opened this channel's wake-up eventfd just before the
	 * join: a number the process was never given may now name it. */
	if (rfd == ch->wake_fd || wfd == ch->wake_fd)
		return -EBADF;
	if (wfd < 0) {
		acc = pipe_check_mode(ch, rfd, false, false);
		if (acc < 0)
			return acc;
		nr = pipe_adopt(&sflags, rfd, acc, &release_r);
		if (nr < 0)
			return nr;
		if (acc == O_WRONLY) {
			nw = nr;
			nr = -1;
		} else if (acc == O_RDWR) {
			nw = nr;
		}
	} else {
		if ((rc = pipe_check_mode(ch, rfd, true, false)) < 0 ||
		    (rc = pipe_check_mode(ch, wfd, false, true)) < 0)
			return rc;
		nr = pipe_adopt(&sflags, rfd, O_RDONLY, &release_r);
		if (nr < 0)
			return nr;
		nw = pipe_adopt(&sflags, wfd, O_WRONLY, &release_w);
		if (nw < 0) {
			if (release_r >= 0)
				ipcx__close(nr);
			return nw;
		}
	}
	/* An inherited descriptor is shared: whoever reads it after us (the
	 * next command in a shell script) must find the messages we did not
	 * take.  A socket may be read ahead: its peer is this channel's. */
	if (!(sflags & IPCX_STREAM_SOCKET))
		sflags |= IPCX_STREAM_EXACT;
	ch->rfd = nr;
	ch->wfd = nw;
	rc = ipcx__stream_open(ch, &ipcx__fd_stream_ops, sflags);
	if (rc < 0) {
		/* The caller keeps its descriptors; only those opened anew go. */
		if (release_r >= 0)
			ipcx__close(nr);
		if (release_w >= 0)
			ipcx__close(nw);
		ch->rfd = ch->wfd = -1;
		return rc;
	}
	pipe_fd_release(release_r);
	pipe_fd_release(release_w);
	return 0;
}

static int
pipe_chan_create(struct ipcx_chan *ch)
{
	(void)ch;
	return -ENOTSUP; /* anonymous: made by ipcx_pair or ipcx_spawn */
}

extern const struct ipcx_transport ipcx__pipe_transport;

static int
pipe_new(int fds[2])
{
	int rc;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	fds[0] = ipcx__fd_above_stdio(fds[0]);
	fds[1] = ipcx__fd_above_stdio(fds[1]);
	if (fds[0] < 0 || fds[1] < 0) {
		rc = fds[0] < 0 ? fds[0] : fds[1];
		ipcx__close(fds[0]);
		ipcx__close(fds[1]);
		return rc;
	}
	return 0;
}

/*
 * Room for the largest frame in the pipe itself: a 64 KiB message is 64 KiB
 * and 4 bytes framed, and in a default 64 KiB pipe each such message costs
 * the reader three sleeps instead of one.  The kernel charges the room to
 * the user's pipe-user-pages limits whether or not it is used, so it is
 * capped at 1 MiB (and at /proc/sys/fs/pipe-max-size); a refusal leaves
 * the default, which only costs speed.
 */
#define PIPE_ROOM_CAP ((size_t)1 << 20)

static void
pipe_size_for(int fd, size_t max)
{
	static _Atomic long sys_max; /* pipe-max-size, read once */
	size_t want = 65536, need = max + IPCX_FRAME_HDR;
	long cap = atomic_load(&sys_max);

	if (cap == 0) {
		char b[32];
		int f = ipcx__open("/proc/sys/fs/pipe-max-size", O_RDONLY, 0);
		ssize_t n = f >= 0 ? ipcx__read(f, b, sizeof(b) - 1) : -1;
		ipcx__close(f);
		cap = 65536;
		if (n > 0) {
			b[n] = '\0';
			cap = strtol(b, NULL, 10);
		}
		if (cap < 65536)
			cap = 65536;
		atomic_store(&sys_max, cap);
	}
	while (want < need && want < PIPE_ROOM_CAP && want < (size_t)cap)
		want *= 2;
	if (want > 65536)
		(void)fcntl(fd, F_SETPIPE_SZ, (int)want);
}

static int
pipe_chan_pair(struct ipcx_chan *a, struct ipcx_chan *b)
{
	size_t max = a->max != 0 ? a->max : ipcx__pipe_transport.t_default_max;
	int ab[2], ba[2], rc;

	if (a->uri.address_len != 0) {
		ipcx__set_errmsg(a, "invalid URI: ipcx_pair and ipcx_spawn take pipe: with "
		                    "no address");
		return -EINVAL;
	}
	rc = pipe_new(ab);
	if (rc < 0)
		return rc;
	rc = pipe_new(ba);
	if (rc < 0) {
		ipcx__close(ab[0]);
		ipcx__close(ab[1]);
		return rc;
	}
	pipe_size_for(ab[1], max);
	pipe_size_for(ba[1], max);
	a->wfd = ab[1];
	b->rfd = ab[0];
	b->wfd = ba[1];
	a->rfd = ba[0];
	if ((rc = ipcx__stream_open(a, &ipcx__fd_stream_ops, 0)) < 0 ||
	    (rc = ipcx__stream_open(b, &ipcx__fd_stream_ops, 0)) < 0)
		return rc; /* the descriptors are the channels': c_close frees them */
	return 0;
}

static void
pipe_chan_close(struct ipcx_chan *ch, bool remove)
{
	(void)remove;
	if (ch->wfd != ch->rfd)
		pipe_fd_release(ch->wfd);
	pipe_fd_release(ch->rfd);
	ch->rfd = ch->wfd = -1;
}

static int
pipe_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	int n = ch->rfd >= 0 ? ipcx__fionread(ch->rfd) : -1;

	if (n >= 0) {
		st->queued = n;
		st->queued_unit = 1;
	}
	return 0;
}

static const struct ipcx_chan_ops pipe_ops = {
	.c_create = pipe_chan_create,
	.c_join = pipe_chan_join,
	.c_close = pipe_chan_close,
	.c_stat = pipe_chan_stat,
	.c_pair = pipe_chan_pair,
	.c_check = pipe_chan_check,
};

static const char *const pipe_keys[] = { "max", "framing", NULL };

const struct ipcx_transport ipcx__pipe_transport = {
	.t_scheme = "pipe",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct ipcx_chan),
	.t_caps = IPCX_CAP_STREAM | IPCX_CAP_BIDIR | IPCX_CAP_EOF | IPCX_CAP_POLLABLE |
	          IPCX_CAP_PAIR | IPCX_CAP_ADOPT_FDS,
	.t_keys = pipe_keys,
	.t_ops = &pipe_ops,
	.t_address_optional = true,
	.t_default_max = (size_t)16 << 20,
	.t_summary = "anonymous pipe (parent and child)",
	.t_address = "[FD | RFD,WFD]",
};
