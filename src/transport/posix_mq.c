/* SPDX-License-Identifier: MIT */
/*
 * posix_mq.c - POSIX message queues: "mq:NAME" (mq_overview(7)).
 *
 *  - The kernel keeps the boundaries and the priorities: a message is the
 *    bytes given to mq_send(3), nothing of ipcx's around them, so a program
 *    using mq_send/mq_receive talks to ipcx directly.  "prio=" is the
 *    priority sent; a receive takes the highest priority first, FIFO within
 *    a priority, and ipcx_recv_info() reports it.
 *  - "mq:NAME" and "mq:/NAME" are the same queue, "/NAME" to mq_open(3).
 *    /dev/mqueue need not be mounted: mq_open works without it (the mount
 *    only shows the queues as files).
 *  - Every descriptor is opened O_NONBLOCK, and waits are poll(2) on the
 *    queue descriptor through ipcx__wait_fd (Linux makes it pollable:
 *    POLLIN while a message waits, POLLOUT while there is room), never
 *    mq_timedsend/mq_timedreceive, whose deadline is on the wall clock.
 *  - mq_receive needs a buffer of the queue's whole msgsize, whatever the
 *    size of the message, and takes the message: there is no peek.  A
 *    receive into a smaller buffer goes through a buffer of the channel's
 *    own, and a message that does not fit the caller's buffer is kept by
 *    the channel (-EMSGSIZE) for the next receive with room; a channel
 *    closed while keeping one puts it back on the queue.
 *  - When the system refuses the geometry the error names the limit
 *    (/proc/sys/fs/mqueue/msg_max, msgsize_max, queues_max, or
 *    RLIMIT_MSGQUEUE), its value, and what the request needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"

/* The kernel's defaults for msg_default and msgsize_default (and the
 * descriptor's default max); the live values are read at create. */
#define MQ_DEFAULT_MAXMSG 10
#define MQ_DEFAULT_MSGSIZE 8192
/* The kernel's hard ceilings (HARD_MSGMAX, HARD_MSGSIZEMAX, Linux 3.5+),
 * which not even CAP_SYS_RESOURCE lifts: anything above is a bad URI. */
#define MQ_HARD_MAXMSG 65536
#define MQ_HARD_MSGSIZE ((size_t)16 << 20)
/* POSIX allows 32 priorities; Linux has 32768 (MQ_PRIO_MAX). */
#define MQ_PRIO_LIMIT 32767
#define MQ_SYSCTL "/proc/sys/fs/mqueue/"

struct mq_chan {
	struct ipcx_chan base;
	char name[NAME_MAX + 2]; /* "/NAME", as mq_open wants it */
	int mqd;                 /* the queue descriptor (also base.rfd/wfd), or -1 */
	struct ipcx_rx_adapt rx; /* wait before receiving, or try first */
	bool can_read, can_write;/* what the descriptor was opened for */
	unsigned prio;           /* "prio=": the priority sent */
	long maxmsg, msgsize;    /* the queue's geometry (mq_getattr) */
	dev_t dev;               /* the queue we made or joined */
	ino_t ino;
	uint8_t *rxbuf;          /* msgsize bytes, for receives into smaller buffers */
	bool kept;               /* a received message waits in rxbuf for room */
	size_t kept_len;
	unsigned kept_prio;
};

static struct mq_chan *
mq_of(struct ipcx_chan *ch)
{
	return (struct mq_chan *)ch;
}

/* ---- the URI ------------------------------------------------------------ */

/* "NAME" or "/NAME" into "/NAME".  Touches nothing. */
static int
mq_name(const struct ipcx_uri *uri, char *out, size_t outlen)
{
	const char *n = uri->address;

	if (n[0] == '/')
		n++;
	if (n[0] == '\0')
		return ipcx__uri_invalid(-EINVAL, "mq: needs a NAME after the '/'");
	if (strchr(n, '/') != NULL)
		return ipcx__uri_invalid(-EINVAL, "an mq: NAME has no '/' but the first "
		                                  "(mq:NAME or mq:/NAME)");
	if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
		return ipcx__uri_invalid(-EINVAL, "'%s' is not a queue name", n);
	if (strlen(n) > NAME_MAX)
		return ipcx__uri_invalid(-ENAMETOOLONG, "an mq: NAME is at most %d bytes",
		                         NAME_MAX);
	if (out != NULL)
		snprintf(out, outlen, "/%s", n);
	return 0;
}

/* The query: maxmsg=, msgsize=, prio= and how max= agrees with msgsize=.
 * Any of the ret_ pointers may be NULL. */
static int
mq_parse_query(const struct ipcx_uri *uri, long *ret_maxmsg, long *ret_msgsize,
               unsigned *ret_prio)
{
	const char *v;
	unsigned long ul;
	size_t sz, max = 0;

	if (ret_maxmsg != NULL)
		*ret_maxmsg = 0;
	if (ret_msgsize != NULL)
		*ret_msgsize = 0;
	if (ret_prio != NULL)
		*ret_prio = 0;
	if ((v = ipcx__uri_get(uri, "maxmsg")) != NULL) {
		if (ipcx__parse_ulong(v, 10, MQ_HARD_MAXMSG, &ul) < 0 || ul == 0)
			return ipcx__uri_invalid(-EINVAL, "maxmsg must be a count from 1 to %d",
			                         MQ_HARD_MAXMSG);
		if (ret_maxmsg != NULL)
			*ret_maxmsg = (long)ul;
	}
	if ((v = ipcx__uri_get(uri, "max")) != NULL)
		(void)ipcx__parse_size(v, (size_t)1 << 30, &max); /* the core checked it */
	if ((v = ipcx__uri_get(uri, "msgsize")) != NULL) {
		if (ipcx__parse_size(v, MQ_HARD_MSGSIZE, &sz) < 0 || sz == 0)
			return ipcx__uri_invalid(-EINVAL, "msgsize must be a size from 1 to 16M "
			                                  "(the kernel's HARD_MSGSIZEMAX)");
		if (max > sz)
			return ipcx__uri_invalid(-EINVAL, "max=%zu exceeds msgsize=%zu: no "
			                                  "message larger than msgsize fits the "
			                                  "queue",
			                         max, sz);
		if (ret_msgsize != NULL)
			*ret_msgsize = (long)sz;
	} else if (max > MQ_HARD_MSGSIZE) {
		/* Without msgsize= a creator sizes the queue by max=. */
		return ipcx__uri_invalid(-EINVAL, "max= on mq: is at most 16M (the kernel's "
		                                  "HARD_MSGSIZEMAX)");
	}
	if ((v = ipcx__uri_get(uri, "prio")) != NULL) {
		if (ipcx__parse_ulong(v, 10, MQ_PRIO_LIMIT, &ul) < 0)
			return ipcx__uri_invalid(-EINVAL, "prio must be a priority from 0 to %d",
			                         MQ_PRIO_LIMIT);
		if (ret_prio != NULL)
			*ret_prio = (unsigned)ul;
	}
	return 0;
}

/* c_check: the name and the query, touching nothing. */
static int
mq_chan_check(const struct ipcx_uri *uri)
{
	int rc = mq_name(uri, NULL, 0);

	return rc < 0 ? rc : mq_parse_query(uri, NULL, NULL, NULL);
}

/* ---- the system's limits ------------------------------------------------ */

/* A number from /proc/sys, or fallback when it cannot be read. */
static long
mq_sysctl(const char *name, long fallback)
{
	char path[64], buf[32];
	ssize_t n;
	long v;
	int fd;

	snprintf(path, sizeof(path), MQ_SYSCTL "%s", name);
	fd = ipcx__open(path, O_RDONLY, 0);
	if (fd < 0)
		return fallback;
	n = ipcx__read(fd, buf, sizeof(buf) - 1);
	ipcx__close(fd);
	if (n <= 0)
		return fallback;
	buf[n] = '\0';
	if (sscanf(buf, "%ld", &v) != 1 || v <= 0)
		return fallback;
	return v;
}

/* What the kernel charges a queue against RLIMIT_MSGQUEUE (mqueue.c,
 * mqueue_get_inode, Linux 3.5+): the messages, a struct msg_msg of
 * bookkeeping each, and a priority-tree node per message. */
static unsigned long long
mq_bytes_needed(long maxmsg, long msgsize)
{
	const unsigned long long per_msg_overhead = 48 + 48;

	return (unsigned long long)maxmsg * ((unsigned long long)msgsize + per_msg_overhead);
}

/* Turn mq_open's refusal of a new queue into a sentence that names the
 * limit, its value and what the request needed. */
static int
mq_explain_create(struct ipcx_chan *ch, int err, long maxmsg, long msgsize)
{
	struct mq_chan *q = mq_of(ch);
	long msg_max, msgsize_max, queues_max;
	struct rlimit rl;
	int probe;

	switch (err) {
	case -EINVAL:
		msg_max = mq_sysctl("msg_max", -1);
		msgsize_max = mq_sysctl("msgsize_max", -1);
		if (msg_max > 0 && maxmsg > msg_max) {
			ipcx__set_errmsg(ch, "maxmsg=%ld exceeds the system limit "
			                     "/proc/sys/fs/mqueue/msg_max = %ld",
			                 maxmsg, msg_max);
			return -EINVAL;
		}
		if (msgsize_max > 0 && msgsize > msgsize_max) {
			ipcx__set_errmsg(ch, "msgsize=%ld exceeds the system limit "
			                     "/proc/sys/fs/mqueue/msgsize_max = %ld",
			                 msgsize, msgsize_max);
			return -EINVAL;
		}
		ipcx__set_errmsg(ch, "the kernel refused maxmsg=%ld msgsize=%ld for %s", maxmsg,
		                 msgsize, q->name);
		return -EINVAL;
	case -EMFILE:
		/* EMFILE is either the descriptor limit or the per-user bytes
		 * of RLIMIT_MSGQUEUE; the kernel says which by neither, so a
		 * descriptor is asked for to tell. */
		probe = ipcx__open("/dev/null", O_RDONLY, 0);
		if (probe == -EMFILE || probe == -ENFILE) {
			ipcx__set_errmsg(ch, "the process has no descriptor left for %s "
			                     "(RLIMIT_NOFILE = %llu)",
			                 q->name,
			                 getrlimit(RLIMIT_NOFILE, &rl) == 0
			                         ? (unsigned long long)rl.rlim_cur
			                         : 0ull);
			return -EMFILE;
		}
		if (probe >= 0)
			ipcx__close(probe);
		if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
			unsigned long long need = mq_bytes_needed(maxmsg, msgsize);
			if (need > rl.rlim_cur)
				ipcx__set_errmsg(ch, "maxmsg=%ld x msgsize=%ld needs about %llu bytes "
				                     "of RLIMIT_MSGQUEUE, which is %llu bytes for this "
				                     "user",
				                 maxmsg, msgsize, need,
				                 (unsigned long long)rl.rlim_cur);
			else
				ipcx__set_errmsg(ch, "RLIMIT_MSGQUEUE (%llu bytes for this user, "
				                     "all its queues together) has no room for the "
				                     "about %llu bytes maxmsg=%ld x msgsize=%ld "
				                     "needs",
				                 (unsigned long long)rl.rlim_cur, need, maxmsg,
				                 msgsize);
		} else {
			ipcx__set_errmsg(ch, "the kernel refused %s with EMFILE, though "
			                     "RLIMIT_MSGQUEUE is unlimited and descriptors are "
			                     "left",
			                 q->name);
		}
		return -EMFILE;
	case -ENOSPC:
		queues_max = mq_sysctl("queues_max", -1);
		ipcx__set_errmsg(ch, "the system limit /proc/sys/fs/mqueue/queues_max = %ld "
		                     "queues is reached; %s needs one more",
		                 queues_max, q->name);
		return -ENOSPC;
	case -EACCES:
		ipcx__set_errmsg(ch, "no permission to create %s", q->name);
		return -EACCES;
	default:
		return err;
	}
}

/* ---- opening ------------------------------------------------------------ */

static int
mq_open_fd(const char *name, int oflag, mode_t mode, struct mq_attr *attr)
{
	mqd_t d;

	/* Linux makes every queue descriptor close-on-exec (do_mq_open). */
	do
		d = mq_open(name, oflag | O_NONBLOCK, mode, attr);
	while (d == (mqd_t)-1 && errno == EINTR);
	if (d == (mqd_t)-1)
		return -errno;
	return ipcx__fd_above_stdio((int)d);
}

/* The descriptor is open: record what the queue is, and size the channel. */
static int
mq_attach(struct ipcx_chan *ch, int fd, int access)
{
	struct mq_chan *q = mq_of(ch);
	struct mq_attr attr;
	struct stat st;

	q->mqd = ch->rfd = ch->wfd = fd;
	q->can_read = access != O_WRONLY;
	q->can_write = access != O_RDONLY;
	if (mq_getattr((mqd_t)fd, &attr) < 0 || fstat(fd, &st) < 0)
		return -errno;
	q->maxmsg = attr.mq_maxmsg;
	q->msgsize = attr.mq_msgsize;
	q->dev = st.st_dev;
	q->ino = st.st_ino;
	if (ch->max > (size_t)q->msgsize) {
		ipcx__set_errmsg(ch, "max=%zu exceeds the msgsize=%ld of %s", ch->max,
		                 q->msgsize, q->name);
		return -EINVAL;
	}
	if (ch->max == 0)
		ch->max = (size_t)q->msgsize;
	return 0;
}

static int
mq_setup(struct ipcx_chan *ch, long *ret_maxmsg, long *ret_msgsize)
{
	struct mq_chan *q = mq_of(ch);
	int rc;

	q->mqd = -1;
	rc = mq_name(&ch->uri, q->name, sizeof(q->name));
	if (rc < 0)
		return rc;
	return mq_parse_query(&ch->uri, ret_maxmsg, ret_msgsize, &q->prio);
}

/* Adopt a leftover queue: ours, and of the geometry asked for. */
static int
mq_adopt(struct ipcx_chan *ch, long maxmsg, long msgsize)
{
	struct mq_chan *q = mq_of(ch);
	struct stat st;
	int fd, rc;

	fd = mq_open_fd(q->name, O_RDWR, 0, NULL);
	if (fd < 0)
		return fd == -ENOENT ? -EAGAIN : -EEXIST; /* gone meanwhile: try again */
	rc = mq_attach(ch, fd, O_RDWR);
	if (rc == 0 && (fstat(fd, &st) < 0 || st.st_uid != geteuid()))
		rc = -EEXIST;
	if (rc == 0 && (q->maxmsg != maxmsg || q->msgsize != msgsize)) {
		ipcx__set_errmsg(ch, "%s exists with maxmsg=%ld msgsize=%ld, not maxmsg=%ld "
		                     "msgsize=%ld",
		                 q->name, q->maxmsg, q->msgsize, maxmsg, msgsize);
		rc = -EEXIST;
	}
	if (rc < 0) {
		ipcx__close(fd);
		q->mqd = ch->rfd = ch->wfd = -1;
	}
	return rc;
}

static int
mq_chan_create(struct ipcx_chan *ch)
{
	struct mq_chan *q = mq_of(ch);
	struct mq_attr attr;
	long maxmsg, msgsize;
	bool made = false;
	int fd, rc, tries;

	rc = mq_setup(ch, &maxmsg, &msgsize);
	if (rc < 0)
		return rc;
	if (maxmsg == 0)
		maxmsg = mq_sysctl("msg_default", MQ_DEFAULT_MAXMSG);
	if (msgsize == 0)
		msgsize = ch->max != 0 ? (long)ch->max : mq_sysctl("msgsize_default",
		                                                    MQ_DEFAULT_MSGSIZE);
	memset(&attr, 0, sizeof(attr));
	attr.mq_maxmsg = maxmsg;
	attr.mq_msgsize = msgsize;
	for (tries = 0;; tries++) {
		/* 0600 now, mode= by fchmod below: the umask cannot trim it. */
		fd = mq_open_fd(q->name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
		if (fd >= 0) {
			made = true;
			rc = mq_attach(ch, fd, O_RDWR);
			break;
		}
		if (fd != -EEXIST)
			return mq_explain_create(ch, fd, maxmsg, msgsize);
		if (!ch->may_adopt) {
			ipcx__set_errmsg(ch, "%s exists", q->name);
			return -EEXIST;
		}
		rc = mq_adopt(ch, maxmsg, msgsize);
		/* -EAGAIN: it vanished between the two opens; make it again,
		 * unless someone keeps making and removing it. */
		if (rc != -EAGAIN)
			break;
		if (tries == 3)
			return -EEXIST;
	}
	/* A leftover adopted keeps its mode unless mode= says otherwise: a
	 * restart must not take away what others were allowed. */
	if (rc == 0 && (made || ipcx__uri_get(&ch->uri, "mode") != NULL) &&
	    fchmod(q->mqd, ch->mode) < 0)
		rc = -errno;
	if (rc < 0 && q->mqd >= 0) {
		/* A failed create leaves nothing behind that it made; an adopted
		 * queue is not ours to remove. */
		if (made)
			(void)mq_unlink(q->name);
		ipcx__close(q->mqd);
		q->mqd = ch->rfd = ch->wfd = -1;
	}
	return rc;
}

static int
mq_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	struct mq_chan *q = mq_of(ch);
	int access = O_RDWR, fd, rc;

	(void)deadline;
	rc = mq_setup(ch, NULL, NULL);
	if (rc < 0)
		return rc;
	/* A joiner may be allowed only to send, or only to receive. */
	fd = mq_open_fd(q->name, O_RDWR, 0, NULL);
	if (fd == -EACCES) {
		access = O_WRONLY;
		fd = mq_open_fd(q->name, O_WRONLY, 0, NULL);
	}
	if (fd == -EACCES) {
		access = O_RDONLY;
		fd = mq_open_fd(q->name, O_RDONLY, 0, NULL);
	}
	if (fd == -ENOENT)
		ipcx__set_errmsg(ch, "no queue %s; create it with ipcx_create or `ipcx create`",
		                 q->name);
	else if (fd == -EACCES)
		ipcx__set_errmsg(ch, "no permission to open %s", q->name);
	if (fd < 0)
		return fd;
	rc = mq_attach(ch, fd, access);
	if (rc < 0) {
		ipcx__close(fd);
		q->mqd = ch->rfd = ch->wfd = -1;
	}
	return rc;
}

/* ---- send / recv -------------------------------------------------------- */

static ssize_t
mq_chan_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct mq_chan *q = mq_of(ch);
	const char *msg = iov[0].iov_base;
	size_t len = iov[0].iov_len;
	char *joined = NULL;
	ssize_t result;
	int i, rc;

	if (!q->can_write) {
		ipcx__set_errmsg(ch, "%s was opened for receiving only: no write permission",
		                 q->name);
		return -EACCES;
	}
	if (iovcnt > 1) {
		/* One message is one mq_send: gather the pieces. */
		for (len = 0, i = 0; i < iovcnt; i++)
			len += iov[i].iov_len;
		joined = malloc(len ? len : 1);
		if (joined == NULL)
			return -ENOMEM;
		for (len = 0, i = 0; i < iovcnt; i++) {
			memcpy(joined + len, iov[i].iov_base, iov[i].iov_len);
			len += iov[i].iov_len;
		}
		msg = joined;
	}
	for (;;) {
		if (mq_send((mqd_t)q->mqd, msg, len, q->prio) == 0) {
			result = (ssize_t)len;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			result = -errno;
			if (result == -EMSGSIZE)
				ipcx__set_errmsg(ch, "message of %zu bytes exceeds the msgsize=%ld of "
				                     "%s",
				                 len, q->msgsize, q->name);
			break;
		}
		/* Full: POLLOUT says there is room, for some sender. */
		rc = ipcx__wait_fd(ch, q->mqd, POLLOUT, deadline);
		if (rc < 0) {
			result = rc;
			break;
		}
	}
	free(joined);
	return result;
}

static void
mq_fill_info(struct ipcx_msg_info *info, unsigned prio)
{
	if (info != NULL) {
		info->fields |= IPCX_INFO_PRIO;
		info->prio = prio;
	}
}

/* Hand the kept message over if it fits now. */
static ssize_t
mq_give_kept(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info)
{
	struct mq_chan *q = mq_of(ch);

	if (q->kept_len > cap) {
		ipcx__set_errmsg(ch, "the next message has %zu bytes, more than the %zu-byte "
		                     "buffer; it is kept for a receive with room",
		                 q->kept_len, cap);
		return -EMSGSIZE;
	}
	if (q->kept_len > 0)
		memcpy(buf, q->rxbuf, q->kept_len);
	q->kept = false;
	mq_fill_info(info, q->kept_prio);
	return (ssize_t)q->kept_len;
}

static ssize_t
mq_chan_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
             int64_t deadline)
{
	struct mq_chan *q = mq_of(ch);
	bool direct = cap >= (size_t)q->msgsize;
	unsigned prio;
	ssize_t r;
	int rc;

	if (!q->can_read) {
		ipcx__set_errmsg(ch, "%s was opened for sending only: no read permission",
		                 q->name);
		return -EACCES;
	}
	if (q->kept)
		return mq_give_kept(ch, buf, cap, info);
	if (!direct && q->rxbuf == NULL) {
		q->rxbuf = malloc((size_t)q->msgsize);
		if (q->rxbuf == NULL)
			return -ENOMEM;
	}
	for (;;) {
		bool waited = false;

		if (ipcx__rx_wait_first(&q->rx, deadline)) {
			rc = ipcx__wait_fd(ch, q->mqd, POLLIN, deadline);
			if (rc < 0)
				return rc;
			waited = true;
		}
		r = mq_receive((mqd_t)q->mqd, direct ? buf : (char *)q->rxbuf,
		               direct ? cap : (size_t)q->msgsize, &prio);
		if (r >= 0) {
			ipcx__rx_found(&q->rx, waited);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		/* Empty.  POLLIN is a hint where several receivers share the
		 * queue: another may take the message first, and we wait again. */
		ipcx__rx_empty(&q->rx);
		rc = ipcx__wait_fd(ch, q->mqd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
	if (direct) {
		mq_fill_info(info, prio);
		return r;
	}
	q->kept = true;
	q->kept_len = (size_t)r;
	q->kept_prio = prio;
	return mq_give_kept(ch, buf, cap, info);
}

/* ---- the rest ------------------------------------------------------------ */

/* Is the queue the name leads to now still the one this channel opened?
 * 1: yes, 0: a successor's, or -errno. */
static int
mq_is_ours(const struct mq_chan *q)
{
	struct stat st;
	bool ours;
	int fd;

	fd = mq_open_fd(q->name, O_RDONLY, 0, NULL);
	if (fd == -EACCES)
		fd = mq_open_fd(q->name, O_WRONLY, 0, NULL);
	if (fd < 0)
		return fd;
	ours = fstat(fd, &st) == 0 && st.st_dev == q->dev && st.st_ino == q->ino;
	ipcx__close(fd);
	return ours;
}

static void
mq_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct mq_chan *q = mq_of(ch);
	int ours;

	if (q->mqd >= 0) {
		/* A message this channel took but never delivered goes back,
		 * unless the queue goes too.  It lines up behind those of its
		 * priority that came after it (there is no way to the front). */
		if (q->kept && !remove && q->can_write)
			(void)mq_send((mqd_t)q->mqd, (const char *)q->rxbuf, q->kept_len,
			              q->kept_prio);
		/* Remove the name only if a successor has not replaced it. */
		ours = remove ? mq_is_ours(q) : 0;
		if (ours == -EMFILE || ours == -ENFILE) {
			/* No descriptor to look with: give up ours first.  The
			 * comparison stays sound: the mqueue filesystem numbers
			 * its queues in sequence, so a successor's differs. */
			ipcx__close(q->mqd);
			q->mqd = -1;
			ours = mq_is_ours(q);
		}
		if (ours == 1)
			(void)mq_unlink(q->name);
		ipcx__close(q->mqd);
	}
	q->mqd = ch->rfd = ch->wfd = -1;
	q->kept = false;
	free(q->rxbuf);
	q->rxbuf = NULL;
}

static int
mq_chan_unlink(const struct ipcx_uri *uri)
{
	char name[NAME_MAX + 2];
	int rc = mq_name(uri, name, sizeof(name));

	if (rc < 0)
		return rc;
	if (mq_unlink(name) == 0)
		return 0;
	rc = -errno;
	if (rc == -EACCES)
		ipcx__set_errmsg(NULL, "no permission to remove %s", name);
	return rc;
}

static int
mq_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out,
                  size_t outlen)
{
	char name[NAME_MAX + 2];
	int n;

	(void)ch;
	if (mq_name(uri, name, sizeof(name)) < 0)
		return 1;
	n = snprintf(out, outlen, "mq:%s", name);
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
mq_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct mq_chan *q = mq_of(ch);
	struct mq_attr attr;
	struct stat sb;

	if (q->mqd < 0)
		return 0;
	if (mq_getattr((mqd_t)q->mqd, &attr) == 0) {
		st->queued = attr.mq_curmsgs + (q->kept ? 1 : 0);
		st->queued_unit = 0;
		st->capacity = attr.mq_maxmsg;
		st->capacity_unit = 0;
	}
	/* The kernel keeps no last sender or receiver of a POSIX queue. */
	if (fstat(q->mqd, &sb) == 0) {
		st->mode = sb.st_mode & 07777;
		st->owner_uid = sb.st_uid;
		st->has_owner = 1;
	}
	return 0;
}

static const struct ipcx_chan_ops mq_ops = {
	.c_create = mq_chan_create,
	.c_join = mq_chan_join,
	.c_send = mq_chan_send,
	.c_recv = mq_chan_recv,
	.c_close = mq_chan_close,
	.c_unlink = mq_chan_unlink,
	.c_stat = mq_chan_stat,
	.c_canonical = mq_chan_canonical,
	.c_check = mq_chan_check,
};

static const char *const mq_keys[] = { "mode", "max", "maxmsg", "msgsize", "prio", NULL };

const struct ipcx_transport ipcx__mq_transport = {
	.t_scheme = "mq",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct mq_chan),
	.t_caps = IPCX_CAP_MESSAGE | IPCX_CAP_POLLABLE | IPCX_CAP_NAMED | IPCX_CAP_MANY_RECV,
	.t_keys = mq_keys,
	.t_ops = &mq_ops,
	.t_default_max = MQ_DEFAULT_MSGSIZE,
	.t_summary = "POSIX message queue",
	.t_address = "NAME",
	.t_sample = "mq:ipcx-{id}",
};
