/* SPDX-License-Identifier: MIT */
/*
 * bare_log.c - the bare file log the file: rows are compared with: what a
 * program writes to pass messages through a plain file under a record
 * lock, with none of ipcx's record CRCs, crash recovery, compaction or
 * borrowing.
 *
 * One file per direction in the group's directory: a 16-byte header (the
 * write position, then the read position) and records, each a 4-byte
 * length and the payload.  A sender takes an OFD write lock on byte 0
 * (F_OFD_SETLKW), reads the header, appends its record with pwritev(2) at
 * the write position, writes the new write position, and unlocks.  A
 * receiver, under the same lock, reads the header and, when a record is
 * there, reads its length and its payload and writes the new read
 * position: the read position lives in the file, as file:'s does, so any
 * number of receivers could share it.  A log drained once 256 KiB were
 * consumed is cut back to its header, as file: cuts a drained log.
 *
 * Waiting: a receiver that finds nothing sleeps in a blocking read(2) of
 * an inotify descriptor watching its file (IN_MODIFY), the wake-up file:
 * uses, so the ratio prices ipcx's log and not another way of waiting
 * (polling would spin a CPU, or add its period to every message).  The
 * watch is set before the first look, so no append is missed; an event
 * left by an earlier change only costs one more look.
 *
 * The durable variant (beside sync=always) adds fdatasync(2) after every
 * change to the log - the append and the consumption - once the lock is
 * released, as sync=always syncs both.  The plain one (beside sync=none,
 * and the default sync=batch) never syncs.
 *
 * The parent makes the two files; each process then opens them by path,
 * so each end has its own open file description and the OFD locks of the
 * two processes exclude each other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench_int.h"

#define LOG_HDR 16u                 /* write position, read position */
#define LOG_RESET ((uint64_t)256 << 10) /* file:'s RESET_MIN */
#define LOG_P2C "bare-p2c.log"
#define LOG_C2P "bare-c2p.log"

struct log_st {
	int rfd, wfd;  /* the log received from, the log sent to */
	int ifd;       /* inotify, watching the log received from */
	bool sync;
	char evbuf[4096];
};

static int
log_lock(int fd, short type)
{
	struct flock l = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };

	for (;;) {
		if (fcntl(fd, type == F_UNLCK ? F_OFD_SETLK : F_OFD_SETLKW, &l) == 0)
			return 0;
		if (errno != EINTR || bench_stop)
			return -errno;
	}
}

static int
pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR && !bench_stop)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPROTO; /* the log ends inside what its header promised */
		done += (size_t)r;
	}
	return 0;
}

static int
pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t w = pwrite(fd, buf, len, (off_t)off);

	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EIO;
}

static void
log_free(struct log_st *s)
{
	if (s == NULL)
		return;
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->wfd >= 0)
		close(s->wfd);
	if (s->ifd >= 0)
		close(s->ifd);
	free(s);
}

/* This process's end: rx and tx opened by path, rx watched. */
static int
log_state(const char *dir, const char *rx, const char *tx, bool sync, void **st)
{
	struct log_st *s = calloc(1, sizeof(*s));
	char path[600];
	int err;

	if (s == NULL)
		return -ENOMEM;
	s->rfd = s->wfd = s->ifd = -1;
	s->sync = sync;
	snprintf(path, sizeof(path), "%s/%s", dir, rx);
	s->ifd = inotify_init1(IN_CLOEXEC);
	if (s->ifd < 0 || inotify_add_watch(s->ifd, path, IN_MODIFY) < 0)
		goto fail;
	s->rfd = open(path, O_RDWR | O_CLOEXEC);
	if (s->rfd < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", dir, tx);
	s->wfd = open(path, O_RDWR | O_CLOEXEC);
	if (s->wfd < 0)
		goto fail;
	*st = s;
	return 0;
fail:
	err = -errno;
	log_free(s);
	return err;
}

static int
log_make(const char *dir, const char *name)
{
	uint64_t h[2] = { LOG_HDR, LOG_HDR };
	char path[600];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = pwrite_all(fd, h, sizeof(h), 0);
	close(fd);
	return rc;
}

static int
log_open_common(struct bare_open *o, int fds[4], void **st, bool sync)
{
	int rc;

	(void)fds; /* every descriptor is in *st: the peer opens its own */
	rc = log_make(o->dir, LOG_P2C);
	if (rc == 0)
		rc = log_make(o->dir, LOG_C2P);
	if (rc == 0)
		rc = log_state(o->dir, LOG_C2P, LOG_P2C, sync, st);
	if (rc < 0)
		bench_text(o->why, sizeof(o->why), "the log files in %s", o->dir);
	else
		snprintf(o->addr, sizeof(o->addr), "%s", o->dir);
	return rc;
}

static int
log_open(struct bare_open *o, int fds[4], void **st)
{
	return log_open_common(o, fds, st, false);
}

static int
log_open_sync(struct bare_open *o, int fds[4], void **st)
{
	return log_open_common(o, fds, st, true);
}

static int
log_attach_common(const char *addr, void **st, char *why, size_t whylen, bool sync)
{
	int rc = log_state(addr, LOG_P2C, LOG_C2P, sync, st);

	if (rc < 0)
		bench_text(why, whylen, "the log files in %s", addr);
	return rc;
}

static int
log_attach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why, size_t whylen)
{
	(void)rfd;
	(void)wfd;
	(void)max;
	return log_attach_common(addr, st, why, whylen, false);
}

static int
log_attach_sync(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
                size_t whylen)
{
	(void)rfd;
	(void)wfd;
	(void)max;
	return log_attach_common(addr, st, why, whylen, true);
}

static int
log_datasync(int fd)
{
	for (;;) {
		if (fdatasync(fd) == 0)
			return 0;
		if (errno != EINTR || bench_stop)
			return -errno;
	}
}

static int
log_send(void *stp, int fd, const void *buf, size_t len)
{
	struct log_st *s = stp;
	uint32_t n = (uint32_t)len;
	struct iovec v[2] = { { &n, sizeof(n) }, { (void *)buf, len } };
	uint64_t h[2];
	ssize_t w;
	int rc;

	(void)fd;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	rc = log_lock(s->wfd, F_WRLCK);
	if (rc < 0)
		return rc;
	rc = pread_all(s->wfd, h, sizeof(h), 0);
	if (rc == 0) {
		w = pwritev(s->wfd, v, 2, (off_t)h[0]);
		rc = w < 0 ? -errno : (size_t)w == sizeof(n) + len ? 0 : -EIO;
	}
	if (rc == 0) {
		h[0] += sizeof(n) + len;
		rc = pwrite_all(s->wfd, &h[0], sizeof(h[0]), 0);
	}
	(void)log_lock(s->wfd, F_UNLCK);
	if (rc == 0 && s->sync)
		rc = log_datasync(s->wfd);
	return rc;
}

static ssize_t
log_recv(void *stp, int fd, void *buf, size_t cap, size_t expect)
{
	struct log_st *s = stp;
	uint64_t h[2];
	uint32_t n;
	ssize_t r;
	int rc;

	(void)fd;
	(void)expect;
	for (;;) {
		rc = log_lock(s->rfd, F_WRLCK);
		if (rc < 0)
			return rc;
		rc = pread_all(s->rfd, h, sizeof(h), 0);
		if (rc == 0 && h[1] < h[0])
			break;
		(void)log_lock(s->rfd, F_UNLCK);
		if (rc < 0)
			return rc;
		/* Empty: sleep until the file changes. */
		r = read(s->ifd, s->evbuf, sizeof(s->evbuf));
		if (r < 0 && (errno != EINTR || bench_stop))
			return -errno;
	}
	rc = pread_all(s->rfd, &n, sizeof(n), h[1]);
	if (rc == 0 && n > cap)
		rc = -EMSGSIZE;
	if (rc == 0 && n > 0)
		rc = pread_all(s->rfd, buf, n, h[1] + sizeof(n));
	if (rc == 0) {
		h[1] += sizeof(n) + n;
		if (h[1] == h[0] && h[1] >= LOG_HDR + LOG_RESET) {
			/* Drained: back to an empty log. */
			h[0] = h[1] = LOG_HDR;
			rc = pwrite_all(s->rfd, h, sizeof(h), 0);
			if (rc == 0 && ftruncate(s->rfd, LOG_HDR) < 0)
				rc = -errno;
		} else {
			rc = pwrite_all(s->rfd, &h[1], sizeof(h[1]), sizeof(h[0]));
		}
	}
	(void)log_lock(s->rfd, F_UNLCK);
	if (rc == 0 && s->sync)
		rc = log_datasync(s->rfd);
	return rc < 0 ? rc : (ssize_t)n;
}

static void
log_close(int fds[4], void *st, bool owner)
{
	int i;

	(void)owner; /* the files go with the group's directory */
	for (i = 0; i < 4; i++)
		fds[i] = -1;
	log_free(st);
}

const struct bare_driver bare_log_plain = {
	"file", NULL, NULL, "pwrite+lock",
	"a log file per direction: pwritev/pread under an OFD lock (F_OFD_SETLKW), the read "
	"position in the file, inotify to wait, no fdatasync (beside ipcx's default, "
	"sync=batch)",
	0, log_open, log_attach, log_send, log_recv, log_close, NULL, NULL,
};
const struct bare_driver bare_log_none = {
	"file", "sync=none", NULL, "pwrite+lock",
	"a log file per direction: pwritev/pread under an OFD lock (F_OFD_SETLKW), the read "
	"position in the file, inotify to wait, no fdatasync",
	0, log_open, log_attach, log_send, log_recv, log_close, NULL, NULL,
};
const struct bare_driver bare_log_always = {
	"file", "sync=always", NULL, "pwrite+fdatasync",
	"the same log under the same OFD lock, and fdatasync after every append and every "
	"consumption, as sync=always",
	BARE_DISK, log_open_sync, log_attach_sync, log_send, log_recv, log_close, NULL, NULL,
};
