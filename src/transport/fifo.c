/* SPDX-License-Identifier: MIT */
/*
 * fifo.c - named pipes: "fifo:PATH".
 *
 * One receiver, any number of senders (ipcx or not) coming and going.
 *  - The receiver opens the FIFO for reading and also holds a write end of
 *    its own, so it never sees a spurious end of file when the last sender
 *    leaves, and its poll never spins on POLLHUP.
 *  - A sender opens the write end lazily; while no receiver exists open(2)
 *    fails with ENXIO, and the sender retries with bounded back-off (1 ms
 *    doubling to 50 ms) until its deadline: the kernel offers nothing to
 *    poll for "a reader arrived".
 *  - A frame of at most PIPE_BUF bytes (the default max, PIPE_BUF - 4, keeps
 *    every len frame there) goes out in one writev, which the kernel makes
 *    atomic: senders never interleave and a sender killed mid-call cannot
 *    tear the stream.
 *  - With a larger "max=", ipcx senders take an OFD write lock on the FIFO
 *    for the whole frame, so they serialise among themselves.  A sender
 *    killed (or stopped by its deadline) in the middle of such a frame
 *    corrupts the stream: the receiver may deliver a message spliced from
 *    the torn frame and the next sender's bytes before the framing shows
 *    the damage (-EPROTO, then a flush).  Non-ipcx writers do not take the
 *    lock.  ipcx-fifo(7) says so.
 *  - The receiver reads exactly one frame at a time (header, then payload),
 *    never ahead: the FIFO outlives any one receiver, and messages read
 *    ahead by a receiver that then closes would be lost to the next.
 * Both ends open the node they find at PATH; the creator makes it with
 * mkfifo(3), which never follows a symbolic link, then checks by fstat that
 * what it opened is that FIFO before setting its mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"

#define FIFO_DEFAULT_MAX (PIPE_BUF - 4)

struct fifo_chan {
	struct ipcx_chan base;
	char path[PATH_MAX];
	dev_t dev;           /* the node we made or joined, to remove only it */
	ino_t ino;
	int keep_wfd;        /* the receiver's own write end (see above) */
	bool locked;         /* holding the frame lock across c_send calls */
};

static struct fifo_chan *
fifo_of(struct ipcx_chan *ch)
{
	return (struct fifo_chan *)ch;
}

/* c_check: the path must fit PATH_MAX (f->path); touches nothing.  The
 * core refused an empty one already (no t_address_optional). */
static int
fifo_chan_check(const struct ipcx_uri *uri)
{
	if (uri->address_len == 0)
		return ipcx__uri_invalid(-EINVAL, "fifo: needs a PATH");
	if (uri->address_len >= PATH_MAX)
		return ipcx__uri_invalid(-ENAMETOOLONG, "fifo path longer than %d bytes",
		                         PATH_MAX - 1);
	return 0;
}

static const struct ipcx_stream_ops fifo_stream_ops;

static int
fifo_setup(struct ipcx_chan *ch)
{
	struct fifo_chan *f = fifo_of(ch);

	f->keep_wfd = -1;
	snprintf(f->path, sizeof(f->path), "%s", ch->uri.address);
	if (ch->max == 0)
		ch->max = FIFO_DEFAULT_MAX;
	/* Many writers share the stream, and a receiver that stops must leave
	 * the rest queued for the next one. */
	return ipcx__stream_open(ch, &fifo_stream_ops, IPCX_STREAM_SHARED | IPCX_STREAM_EXACT);
}

static int
fifo_chan_create(struct ipcx_chan *ch)
{
	struct fifo_chan *f = fifo_of(ch);
	struct stat st;
	bool made = true;
	int rc, fd;

	rc = fifo_chan_check(&ch->uri);
	if (rc < 0)
		return rc;
	fifo_setup(ch);
	if (mkfifo(f->path, 0600) < 0) {
		if (errno != EEXIST)
			return -errno;
		/* Adopt our own leftover FIFO, never anything else. */
		if ((ch->flags & IPCX_EXCL) || lstat(f->path, &st) < 0 ||
		    !S_ISFIFO(st.st_mode) || st.st_uid != geteuid())
			return -EEXIST;
		made = false;
	}
	/* O_RDWR opens a FIFO without waiting for a peer (Linux); the
	 * descriptor only sets the mode and is closed again. */
	fd = ipcx__open(f->path, O_RDWR | O_NONBLOCK | O_NOFOLLOW, 0);
	if (fd == -EACCES &&
	    fchmodat(AT_FDCWD, f->path, 0600, AT_SYMLINK_NOFOLLOW) == 0) {
		/* The umask took the owner's own access (umask 0277 and
		 * up): give it back, never through a link, and retry. */
		fd = ipcx__open(f->path, O_RDWR | O_NONBLOCK | O_NOFOLLOW, 0);
	}
	if (fd < 0) {
		rc = fd == -ELOOP ? -EEXIST : fd;
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		ipcx__close(fd);
		rc = -EEXIST;
		goto fail;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	rc = fchmod(fd, ch->mode) < 0 ? -errno : 0;
	ipcx__close(fd);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	/* A failed create leaves nothing behind that it made. */
	if (made)
		(void)unlink(f->path);
	return rc;
}

static int
fifo_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	struct fifo_chan *f = fifo_of(ch);
	struct stat st;
	int rc;

	(void)deadline;
	rc = fifo_chan_check(&ch->uri);
	if (rc < 0)
		return rc;
	fifo_setup(ch);
	if (stat(f->path, &st) < 0)
		return -errno;
	if (!S_ISFIFO(st.st_mode)) {
		ipcx__set_errmsg(ch, "%s exists and is not a FIFO", f->path);
		return -EINVAL;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

static int
fifo_open_reader(struct ipcx_chan *ch)
{
	struct fifo_chan *f = fifo_of(ch);
	int rfd, wfd;

	if (ch->rfd >= 0)
		return 0;
	rfd = ipcx__open(f->path, O_RDONLY | O_NONBLOCK, 0);
	if (rfd < 0)
		return rfd;
	wfd = ipcx__open(f->path, O_WRONLY | O_NONBLOCK, 0);
	if (wfd < 0) {
		ipcx__close(rfd);
		return wfd;
	}
	ch->rfd = rfd;
	f->keep_wfd = wfd;
	return 0;
}

static int
fifo_open_writer(struct ipcx_chan *ch, int64_t deadline)
{
	struct fifo_chan *f = fifo_of(ch);
	int step = 1, fd, rc;

	while (ch->wfd < 0) {
		fd = ipcx__open(f->path, O_WRONLY | O_NONBLOCK, 0);
		if (fd >= 0) {
			ch->wfd = fd;
			break;
		}
		if (fd != -ENXIO)
			return fd;
		rc = ipcx__backoff(ch, deadline, &step);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
fifo_lock(struct ipcx_chan *ch, int64_t deadline)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int step = 1, rc;

	/* F_OFD_SETLKW cannot take a deadline: poll the lock with back-off. */
	while (fcntl(ch->wfd, F_OFD_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -errno;
		rc = ipcx__backoff(ch, deadline, &step);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void
fifo_unlock(struct ipcx_chan *ch)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (ch->wfd >= 0)
		(void)fcntl(ch->wfd, F_OFD_SETLK, &fl);
	fifo_of(ch)->locked = false;
}

static ssize_t
fifo_stream_write(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct fifo_chan *f = fifo_of(ch);
	size_t total = 0;
	ssize_t r;
	int i, rc;
	/* Holding the lock on entry means an earlier call wrote part of this
	 * frame: its rest must never go to another receiver. */
	bool mid_frame = f->locked;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	for (;;) {
		rc = fifo_open_writer(ch, deadline);
		if (rc < 0)
			return rc;
		if (!f->locked && ch->max > FIFO_DEFAULT_MAX && total > PIPE_BUF) {
			rc = fifo_lock(ch, deadline);
			if (rc < 0)
				return rc;
			f->locked = true;
		}
		r = ipcx__fd_stream_write(ch, iov, iovcnt, deadline);
		/* The lock is held until the frame's last byte: a wait that
		 * ended (deadline, ipcx_wake, a signal) leaves the frame to be
		 * finished or broken by the core, never opened to others. */
		if (f->locked && (r < 0 || (size_t)r == total) && r != -EAGAIN &&
		    r != -ETIMEDOUT && r != -ECANCELED && r != -EINTR)
			fifo_unlock(ch);
		if (r != -EPIPE || f->locked)
			return r;
		/* The receiver left, and nothing of this write went out.  Close;
		 * unless a frame was cut, wait for a new receiver: DESIGN.md, "a
		 * sender with no receiver waits until its deadline". */
		ipcx__close(ch->wfd);
		ch->wfd = -1;
		if (mid_frame)
			return r;
	}
}

static ssize_t
fifo_stream_read(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	int rc = fifo_open_reader(ch);

	if (rc < 0)
		return rc;
	return ipcx__fd_stream_read(ch, iov, iovcnt, deadline);
}

/* After garbage there is no telling where the next frame starts: drop what
 * the pipe holds now. */
static void
fifo_stream_shutdown(struct ipcx_chan *ch, int how)
{
	uint8_t sink[4096];

	if (how == SHUT_WR) {
		ipcx__fd_stream_shutdown(ch, how);
		return;
	}
	if (ch->rfd >= 0)
		while (ipcx__read(ch->rfd, sink, sizeof(sink)) > 0)
			;
}

static const struct ipcx_stream_ops fifo_stream_ops = {
	.s_write = fifo_stream_write,
	.s_read = fifo_stream_read,
	.s_shutdown = fifo_stream_shutdown,
};

static int
fifo_chan_pollfd(struct ipcx_chan *ch)
{
	int rc = fifo_open_reader(ch);

	return rc < 0 ? rc : ch->rfd;
}

static bool
fifo_is_ours(const struct fifo_chan *f)
{
	struct stat st;

	return lstat(f->path, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_dev == f->dev &&
	       st.st_ino == f->ino;
}

static void
fifo_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct fifo_chan *f = fifo_of(ch);

	ipcx__close(ch->rfd);
	ipcx__close(ch->wfd);
	ipcx__close(f->keep_wfd);
	ch->rfd = ch->wfd = f->keep_wfd = -1;
	/* Remove the node only if it is still the one we made: a successor may
	 * have replaced it. */
	if (remove && f->path[0] && fifo_is_ours(f))
		(void)unlink(f->path);
}

static int
fifo_chan_unlink(const struct ipcx_uri *uri)
{
	struct stat st;
	int rc = fifo_chan_check(uri);

	if (rc < 0)
		return rc;
	if (lstat(uri->address, &st) < 0)
		return -errno;
	if (!S_ISFIFO(st.st_mode)) {
		ipcx__set_errmsg(NULL, "%s exists and is not a FIFO", uri->address);
		return -EINVAL;
	}
	return unlink(uri->address) < 0 ? -errno : 0;
}

static int
fifo_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out,
                    size_t outlen)
{
	char abs[PATH_MAX];
	int rc, n;

	(void)ch;
	rc = ipcx__abs_path(uri->address, abs, sizeof(abs));
	if (rc < 0)
		return rc;
	n = snprintf(out, outlen, "fifo:%s", abs);
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
fifo_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct fifo_chan *f = fifo_of(ch);
	struct stat sb;
	int n;

	if (stat(f->path, &sb) == 0) {
		st->mode = sb.st_mode & 07777;
		st->owner_uid = sb.st_uid;
		st->has_owner = 1;
	}
	n = ch->rfd >= 0 ? ipcx__fionread(ch->rfd) : -1;
	if (n >= 0) {
		st->queued = n;
		st->queued_unit = 1;
	}
	return 0;
}

static const struct ipcx_chan_ops fifo_ops = {
	.c_create = fifo_chan_create,
	.c_join = fifo_chan_join,
	.c_pollfd = fifo_chan_pollfd,
	.c_close = fifo_chan_close,
	.c_unlink = fifo_chan_unlink,
	.c_stat = fifo_chan_stat,
	.c_canonical = fifo_chan_canonical,
	.c_check = fifo_chan_check,
};

static const char *const fifo_keys[] = { "mode", "max", "framing", NULL };

const struct ipcx_transport ipcx__fifo_transport = {
	.t_scheme = "fifo",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct fifo_chan),
	.t_caps = IPCX_CAP_STREAM | IPCX_CAP_MULTI_WRITER | IPCX_CAP_POLLABLE | IPCX_CAP_NAMED,
	.t_keys = fifo_keys,
	.t_ops = &fifo_ops,
	.t_default_max = FIFO_DEFAULT_MAX,
	.t_summary = "named pipe",
	.t_address = "PATH",
	.t_sample = "fifo:{dir}/chan",
};
