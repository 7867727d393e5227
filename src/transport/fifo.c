/* SPDX-License-Identifier: MIT */
/*
 * fifo.c - named pipes: "fifo:PATH".
 *
 * One receiver, any number of senders (ipcx or not) coming and going.
 *  - The receiver opens the FIFO read-write (Linux allows it on a FIFO), so
 *    its own descriptor is also a writer: it never sees a spurious end of
 *    file when the last sender leaves, and its poll never spins on POLLHUP.
 *  - There is one receiver: it holds an OFD write lock on byte LOCK_RECV of
 *    the FIFO, and a second ipcx receiver is refused with -EBUSY.  The lock
 *    is the kernel's, so it dies with the descriptor (its holder's death
 *    included).  OFD locks carry no pid, so the holder also locks the one
 *    byte LOCK_PID_BASE + its pid, which one F_OFD_GETLK over the range
 *    finds: that is how the refused one names it.
 *  - A sender opens the write end lazily; while no receiver exists open(2)
 *    fails with ENXIO, and the sender retries with bounded back-off (1 ms
 *    doubling to 50 ms) until its deadline: the kernel offers nothing to
 *    poll for "a reader arrived".
 *  - max is a property of the FIFO, fixed when it is made.  With the
 *    default (at most PIPE_BUF - 4), a len frame fits in PIPE_BUF and goes
 *    out in one writev, which the kernel makes atomic: no lock, senders
 *    never interleave and a sender killed mid-call cannot tear the stream.
 *    A FIFO made with a larger max carries the sticky bit (FIFO_LARGE; a
 *    FIFO holds no extended attributes, and the bit means nothing else on
 *    one), which every sender reads with fstat when it opens the FIFO; there
 *    EVERY ipcx frame, small ones too, is written under an OFD write lock on
 *    byte LOCK_FRAME, because a small atomic write would otherwise land
 *    between the pieces of another sender's large frame.  The lock is held
 *    exactly while part of the sender's frame is out and part is not.  A
 *    sender killed (or stopped by its deadline) in the middle of such a
 *    frame corrupts the stream: ipcx-fifo(7) says so.
 *  - Every open by path is checked: O_NOFOLLOW, then fstat (statx) must
 *    show a FIFO with the device and inode recorded at create or join, and
 *    the same birth time where the filesystem keeps one (an inode number
 *    is reused once its FIFO is gone), so a path swapped for a file, a link
 *    or another FIFO is refused (-ESTALE) and never written.
 *  - The receiver reads exactly one frame at a time (header, then payload),
 *    never ahead: the FIFO outlives any one receiver, and messages read
 *    ahead by a receiver that then closes would be lost to the next.  The
 *    pipe is sized (F_SETPIPE_SZ) to hold a whole frame of max bytes where
 *    the system allows, so a large message is one write and one wake-up.
 * The creator makes the node with mkfifo(3), which never follows a symbolic
 * link, then checks by fstat that what it opened is that FIFO before
 * setting its mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/frame.h"
#include "core/transport.h"
#include "os/io.h"

#define FIFO_DEFAULT_MAX (PIPE_BUF - 4)
/* What a joiner of a large-max FIFO that did not write max= gets: the bit
 * records "large", not the number, and this is every framed transport's
 * default. */
#define FIFO_LARGE_MAX ((size_t)16 << 20)
#define FIFO_LARGE S_ISVTX

/* Byte ranges of the FIFO's lock space (a FIFO has no data there). */
#define LOCK_FRAME 0
#define LOCK_RECV 1
#define LOCK_PID_BASE ((off_t)1 << 40)
#define LOCK_PID_SPAN ((off_t)1 << 23) /* above PID_MAX_LIMIT (2^22) */

/* Which node: device, inode, and birth time where the filesystem keeps
 * one. */
struct fifo_id {
	dev_t dev;
	ino_t ino;
	struct statx_timestamp btime;
	bool has_btime;
	mode_t mode;
	uid_t uid;
};

struct fifo_chan {
	struct ipcx_chan base;
	bool ready;          /* fifo_setup ran: c_close may run on a channel
	                      * whose c_create never did (a core ENOMEM) */
	bool large;          /* the FIFO is FIFO_LARGE: every frame is locked */
	bool locked;         /* frame lock held: a frame is part written */
	struct fifo_id id;   /* the node we made or joined: every open must
	                      * find it again, and close removes only it */
	char path[PATH_MAX];
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
	int rc = fifo_chan_check(&ch->uri);

	if (rc < 0)
		return rc;
	snprintf(f->path, sizeof(f->path), "%s", ch->uri.address);
	f->ready = true;
	/* Many writers share the stream, and a receiver that stops must leave
	 * the rest queued for the next one. */
	return ipcx__stream_open(ch, &fifo_stream_ops, IPCX_STREAM_SHARED | IPCX_STREAM_EXACT);
}

/* /proc/sys/fs/pipe-max-size, read once per process (1 MiB, the kernel's
 * default, if it cannot be read). */
static size_t
fifo_pipe_max(void)
{
	static _Atomic size_t cached;
	size_t v = atomic_load_explicit(&cached, memory_order_relaxed);
	char buf[32];
	ssize_t n;
	int fd;

	if (v != 0)
		return v;
	v = (size_t)1 << 20;
	fd = ipcx__open("/proc/sys/fs/pipe-max-size", O_RDONLY, 0);
	if (fd >= 0) {
		n = ipcx__read(fd, buf, sizeof(buf) - 1);
		ipcx__close(fd);
		if (n > 0) {
			unsigned long x;
			buf[n] = '\0';
			x = strtoul(buf, NULL, 10);
			if (x >= 4096 && x <= INT_MAX)
				v = x;
		}
	}
	atomic_store_explicit(&cached, v, memory_order_relaxed);
	return v;
}

/*
 * Grow the pipe to hold one whole frame of max bytes (capped by the
 * system's limit), so a large message costs one write and one wake-up, not
 * one per 64 KiB.  Never shrinks (F_SETPIPE_SZ below what is queued fails)
 * and never fails the open: a refusal (EPERM past the user's pipe quota)
 * leaves the pipe as it was.
 */
static void
fifo_size_pipe(struct ipcx_chan *ch, int fd)
{
	size_t want = ch->max + IPCX_FRAME_HDR, cap;
	int cur = fcntl(fd, F_GETPIPE_SZ);

	if (cur < 0 || (size_t)cur >= want)
		return;
	cap = fifo_pipe_max();
	if (want > cap)
		want = cap;
	if ((size_t)cur < want)
		(void)fcntl(fd, F_SETPIPE_SZ, (int)want);
}

/* statx of fd (path NULL) or of path itself (a link is not followed). */
static int
fifo_identify(int fd, const char *path, struct fifo_id *id)
{
	struct statx sx;
	int rc = path == NULL ? statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx)
	                      : statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW,
	                              STATX_BASIC_STATS | STATX_BTIME, &sx);

	if (rc < 0)
		return -errno;
	id->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	id->ino = sx.stx_ino;
	id->has_btime = (sx.stx_mask & STATX_BTIME) != 0;
	id->btime = sx.stx_btime;
	id->mode = sx.stx_mode;
	id->uid = sx.stx_uid;
	return 0;
}

static bool
fifo_same(const struct fifo_id *a, const struct fifo_id *b)
{
	if (!S_ISFIFO(a->mode) || !S_ISFIFO(b->mode) || a->dev != b->dev || a->ino != b->ino)
		return false;
	return !a->has_btime || !b->has_btime ||
	       (a->btime.tv_sec == b->btime.tv_sec && a->btime.tv_nsec == b->btime.tv_nsec);
}

static const char *
fifo_kind(mode_t m)
{
	return S_ISREG(m)   ? "a regular file"
	       : S_ISDIR(m) ? "a directory"
	       : S_ISLNK(m) ? "a symbolic link"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISFIFO(m) ? "another FIFO"
	                     : "a device";
}

/* The path no longer names the FIFO this channel made or joined. */
static int
fifo_stale(struct ipcx_chan *ch, mode_t m)
{
	ipcx__set_errmsg(ch, "%s is no longer the FIFO this channel opened (it is now %s); "
	                     "refused",
	                 fifo_of(ch)->path, fifo_kind(m));
	return -ESTALE;
}

/*
 * Open the recorded FIFO by path: O_NOFOLLOW, then fstat must show the
 * same FIFO (device and inode).  A look first (lstat) spares opening
 * whatever else now sits there; the fstat after the open is what decides.
 * Returns the descriptor, -ESTALE, or the open's error (-ENXIO: a writer
 * with no reader).
 */
static int
fifo_open_checked(struct ipcx_chan *ch, int flags)
{
	struct fifo_chan *f = fifo_of(ch);
	struct fifo_id id;
	int fd, rc;

	if (fifo_identify(-1, f->path, &id) == 0 && !fifo_same(&id, &f->id))
		return fifo_stale(ch, id.mode);
	fd = ipcx__open(f->path, flags | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY, 0);
	if (fd == -ELOOP)
		return fifo_stale(ch, S_IFLNK);
	if (fd < 0)
		return fd;
	rc = fifo_identify(fd, NULL, &id);
	if (rc == 0 && !fifo_same(&id, &f->id))
		rc = fifo_stale(ch, id.mode);
	if (rc < 0) {
		ipcx__close(fd);
		return rc;
	}
	f->large = (id.mode & FIFO_LARGE) != 0;
	return fd;
}

/* Take the receiver lock on fd, or say who holds it (-EBUSY). */
static int
fifo_claim_receiver(struct ipcx_chan *ch, int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = LOCK_RECV,
		            .l_len = 1 };
	long pid = 0;
	int i;

	if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
		struct flock me = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			            .l_start = LOCK_PID_BASE + getpid(), .l_len = 1 };
		/* Best effort: it only names us to a receiver we refuse. */
		(void)fcntl(fd, F_OFD_SETLK, &me);
		return 0;
	}
	if (errno != EAGAIN && errno != EACCES)
		return -errno;
	/* The holder sets its pid byte just after the lock: give it that
	 * moment. */
	for (i = 0; i < 50 && pid == 0; i++) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			           .l_start = LOCK_PID_BASE, .l_len = LOCK_PID_SPAN };
		if (fcntl(fd, F_OFD_GETLK, &q) == 0 && q.l_type != F_UNLCK)
			pid = (long)(q.l_start - LOCK_PID_BASE);
		else
			sched_yield();
	}
	if (pid > 0)
		ipcx__set_errmsg(ch, "%s already has a receiver, pid %ld; a FIFO has one "
		                     "receiver",
		                 fifo_of(ch)->path, pid);
	else
		ipcx__set_errmsg(ch, "%s already has a receiver; a FIFO has one receiver",
		                 fifo_of(ch)->path);
	return -EBUSY;
}

static int
fifo_chan_create(struct ipcx_chan *ch)
{
	struct fifo_chan *f = fifo_of(ch);
	struct fifo_id seen = { 0 }, id;
	struct stat st;
	mode_t large;
	bool made = true;
	int rc, fd;

	rc = fifo_setup(ch);
	if (rc < 0)
		return rc;
	if (ch->max == 0)
		ch->max = FIFO_DEFAULT_MAX;
	large = ch->max > FIFO_DEFAULT_MAX ? FIFO_LARGE : 0;
	/* The bit is there from birth: no sender can open the FIFO before it
	 * says how to write to it. */
	if (mkfifo(f->path, 0600 | large) < 0) {
		if (errno != EEXIST)
			return -errno;
		/* Adopt a leftover only when the core says no live process
		 * holds it, and only our own FIFO made for the same max. */
		if (!ch->may_adopt || fifo_identify(-1, f->path, &seen) < 0 ||
		    !S_ISFIFO(seen.mode) || seen.uid != geteuid())
			return -EEXIST;
		if ((seen.mode & FIFO_LARGE) != large) {
			ipcx__set_errmsg(ch, "%s exists, made for %s; it is not adopted",
			                 f->path,
			                 large ? "the default max (lock-free)"
			                       : "a max above PIPE_BUF - 4 (locked frames)");
			return -EEXIST;
		}
		made = false;
	}
	/* O_RDWR opens a FIFO without waiting for a peer (Linux); the
	 * descriptor only sets the mode and is closed again. */
	fd = ipcx__open(f->path, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY, 0);
	if (fd == -EACCES &&
	    fchmodat(AT_FDCWD, f->path, 0600 | large, AT_SYMLINK_NOFOLLOW) == 0) {
		/* The umask took the owner's own access (umask 0277 and
		 * up): give it back, never through a link, and retry. */
		fd = ipcx__open(f->path, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY, 0);
	}
	if (fd < 0) {
		rc = fd == -ELOOP ? -EEXIST : fd;
		goto fail;
	}
	if (fifo_identify(fd, NULL, &id) < 0 || !S_ISFIFO(id.mode) ||
	    (!made && !fifo_same(&id, &seen))) {
		ipcx__close(fd);
		rc = -EEXIST;
		goto fail;
	}
	f->id = id;
	f->large = large != 0;
	/* A leftover adopted keeps its mode unless mode= says otherwise: a
	 * restart must not take away what others were allowed (as mq:). */
	if (made || ipcx__uri_get(&ch->uri, "mode") != NULL)
		rc = fchmod(fd, ch->mode | large) < 0 ? -errno : 0;
	else
		rc = 0;
	if (rc == 0 && large && (fstat(fd, &st) < 0 || !(st.st_mode & FIFO_LARGE))) {
		ipcx__set_errmsg(ch, "this filesystem does not keep the sticky bit that records "
		                     "max= on a FIFO");
		rc = -ENOTSUP;
	}
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
	int rc;

	(void)deadline;
	rc = fifo_setup(ch);
	if (rc < 0)
		return rc;
	rc = fifo_identify(-1, f->path, &f->id);
	if (rc < 0)
		return rc;
	if (S_ISLNK(f->id.mode)) {
		/* Follow a link once, here: from now on the channel opens the
		 * FIFO it found, under its own name, and only that FIFO. */
		char *real = realpath(f->path, NULL);
		if (real == NULL)
			return errno == ENOMEM ? -ENOMEM : -errno;
		rc = snprintf(f->path, sizeof(f->path), "%s", real) >= (int)sizeof(f->path)
		             ? -ENAMETOOLONG
		             : 0;
		free(real);
		if (rc < 0)
			return rc;
		rc = fifo_identify(-1, f->path, &f->id);
		if (rc < 0)
			return rc;
	}
	if (!S_ISFIFO(f->id.mode)) {
		ipcx__set_errmsg(ch, "%s exists and is not a FIFO", f->path);
		return -EINVAL;
	}
	f->large = (f->id.mode & FIFO_LARGE) != 0;
	if (ch->max == 0)
		ch->max = f->large ? FIFO_LARGE_MAX : FIFO_DEFAULT_MAX;
	return 0;
}

static int
fifo_open_reader(struct ipcx_chan *ch)
{
	int fd, rc;

	if (ch->rfd >= 0)
		return 0;
	fd = fifo_open_checked(ch, O_RDWR);
	if (fd < 0)
		return fd;
	rc = fifo_claim_receiver(ch, fd);
	if (rc < 0) {
		ipcx__close(fd);
		return rc;
	}
	fifo_size_pipe(ch, fd);
	ch->rfd = fd;
	return 0;
}

static int
fifo_open_writer(struct ipcx_chan *ch, int64_t deadline)
{
	int step = 1, fd, rc;

	while (ch->wfd < 0) {
		fd = fifo_open_checked(ch, O_WRONLY);
		if (fd >= 0) {
			fifo_size_pipe(ch, fd);
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
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = LOCK_FRAME,
		            .l_len = 1 };
	int step = 1, rc;

	/* F_OFD_SETLKW cannot take a deadline or a wake-up: poll the lock
	 * with back-off. */
	while (fcntl(ch->wfd, F_OFD_SETLK, &fl) < 0) {
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -errno;
		rc = ipcx__backoff(ch, deadline, &step);
		if (rc < 0)
			return rc;
	}
	fifo_of(ch)->locked = true;
	return 0;
}

static void
fifo_unlock(struct ipcx_chan *ch)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = LOCK_FRAME,
		            .l_len = 1 };

	if (ch->wfd >= 0)
		(void)fcntl(ch->wfd, F_OFD_SETLK, &fl);
	fifo_of(ch)->locked = false;
}

/* A frame above PIPE_BUF on a lock-free FIFO: the lock-free senders'
 * single writes would land in the middle of it. */
static int
fifo_too_big(struct ipcx_chan *ch)
{
	ipcx__set_errmsg(ch, "%s was made with the default max (%d bytes, lock-free); a "
	                     "larger message needs a FIFO made with a larger max=",
	                 fifo_of(ch)->path, FIFO_DEFAULT_MAX);
	return -EMSGSIZE;
}

static ssize_t
fifo_stream_write(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct fifo_chan *f = fifo_of(ch);
	size_t total = 0;
	ssize_t r;
	int i, rc;
	/* Holding the lock on entry means an earlier call wrote part of this
	 * frame: its rest must follow, and never go to another receiver. */
	bool mid_frame = f->locked;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	for (;;) {
		if (!f->large && total > PIPE_BUF)
			return fifo_too_big(ch);
		rc = fifo_open_writer(ch, deadline);
		if (rc < 0)
			return rc;
		if (!f->large && total > PIPE_BUF)
			return fifo_too_big(ch); /* what the open found decides */
		if (f->large && !f->locked) {
			rc = fifo_lock(ch, deadline);
			if (rc < 0)
				return rc;
		}
		r = ipcx__fd_stream_write(ch, iov, iovcnt, deadline);
		/* The lock covers exactly a frame that is part written: free it
		 * when the last byte is out, or when nothing went out (a
		 * deadline, wake-up or signal before the first byte).  A wait
		 * that ends in the middle keeps it for the core to finish or
		 * break the frame. */
		if (f->locked && (r == (ssize_t)total || (r <= 0 && !mid_frame)))
			fifo_unlock(ch);
		if (r != -EPIPE || mid_frame)
			return r;
		/* The receiver left, and nothing of this frame went out.  Wait
		 * for a new receiver: DESIGN.md, "a sender with no receiver
		 * waits until its deadline". */
		ipcx__close(ch->wfd);
		ch->wfd = -1;
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

/*
 * SHUT_RD, after garbage: there is no telling where the next frame starts,
 * so drop what the pipe holds - but only what it holds now, so that a
 * writer that keeps writing cannot hold the receiver here, and what is
 * written after this call is kept.
 */
static void
fifo_stream_shutdown(struct ipcx_chan *ch, int how)
{
	uint8_t sink[4096];
	int left;

	if (how != SHUT_RD)
		ipcx__fd_stream_shutdown(ch, SHUT_WR);
	if (how == SHUT_WR)
		return;
	left = ch->rfd >= 0 ? ipcx__fionread(ch->rfd) : 0;
	while (left > 0) {
		ssize_t r = ipcx__read(ch->rfd, sink,
		                       (size_t)left < sizeof(sink) ? (size_t)left : sizeof(sink));
		if (r <= 0)
			break;
		left -= (int)r;
	}
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
fifo_is_ours(const struct fifo_chan *f, struct fifo_id *id)
{
	return f->ready && fifo_identify(-1, f->path, id) == 0 && fifo_same(id, &f->id);
}

static void
fifo_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct fifo_chan *f = fifo_of(ch);
	struct fifo_id id;

	/* Closing the descriptors drops the frame and receiver locks. */
	ipcx__close(ch->rfd);
	ipcx__close(ch->wfd);
	ch->rfd = ch->wfd = -1;
	f->locked = false;
	/* Remove the node only if it is still the one we made: a successor may
	 * have replaced it. */
	if (remove && fifo_is_ours(f, &id))
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

/*
 * A handle that opened nothing (a joiner that has not sent, ipcx stat):
 * whether a receiver holds the FIFO, from the receiver's locks as
 * /proc/locks shows them (opening the FIFO to ask would make this
 * process a reader for a moment, and a sender whose open(2) then succeeds
 * could write a message that dies with the pipe when both ends close).
 * Only with a receiver there is the FIFO opened, read-only, for FIONREAD:
 * its bytes queued.  Returns them, or -1 when not known.
 */
static int
fifo_peek(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct fifo_chan *f = fifo_of(ch);
	struct ipcx_lock_seen locks[8];
	int i, k, fd, n;

	k = ipcx__locks_held(f->id.dev, f->id.ino, locks, 8);
	if (k < 0)
		return -1;
	st->receiver = 0;
	for (i = 0; i < k && i < 8; i++) {
		if (locks[i].start == LOCK_RECV)
			st->receiver = 1;
		else if (locks[i].start > LOCK_PID_BASE && locks[i].start < LOCK_PID_BASE + LOCK_PID_SPAN)
			st->receiver_pid = (pid_t)(locks[i].start - LOCK_PID_BASE);
	}
	if (st->receiver != 1) {
		st->receiver_pid = 0;
		return -1;
	}
	fd = fifo_open_checked(ch, O_RDONLY);
	if (fd < 0)
		return -1;
	n = ipcx__fionread(fd);
	ipcx__close(fd);
	return n;
}

static int
fifo_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct fifo_chan *f = fifo_of(ch);
	struct fifo_id id;
	int n;

	/* Only the FIFO this channel opened: the mode= bits (the sticky bit
	 * is ipcx's record of max, shown as max). */
	if (fifo_is_ours(f, &id)) {
		st->mode = id.mode & 0777;
		st->owner_uid = id.uid;
		st->has_owner = 1;
	}
	if (ch->rfd >= 0) {
		st->receiver = 1; /* this channel is it */
		st->receiver_pid = getpid();
		n = ipcx__fionread(ch->rfd);
	} else {
		n = fifo_peek(ch, st);
	}
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
