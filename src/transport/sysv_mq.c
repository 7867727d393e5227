/* SPDX-License-Identifier: MIT */
/*
 * sysv_mq.c - System V message queues: "sysvmq:KEY" (sysvipc(7)).
 *
 *  - KEY is 0x1234, decimal, or ftok:PATH:ID, which is exactly the key
 *    ftok(3) gives a C program for that path and project id.
 *  - An ipcx message is the plain bytes after the mtype: a C program with
 *    its own `struct { long mtype; char text[N]; }` and msgsnd/msgrcv talks
 *    to ipcx directly, both ways, with no header of ipcx's in between.
 *    "type=" is the mtype sent (>= 1, default 1) and the one received (0 =
 *    any, the default; negative: the lowest type up to |type|, as msgrcv(2)
 *    defines); ipcx_recv_info() reports each message's mtype.
 *  - A receive never uses MSG_NOERROR: a message larger than the buffer is
 *    -EMSGSIZE and stays queued.
 *  - Waiting.  msgsnd/msgrcv have neither a deadline nor a descriptor, and
 *    a blocked one ends only for a message, a removed queue or a signal
 *    handler, which a library must not install.  So every wait, forever
 *    included, retries IPC_NOWAIT with bounded back-off, sleeping in
 *    ipcx__wait_fd on the channel's wake-up descriptor: ipcx_wake and (on
 *    IPCX_INTERRUPTIBLE channels) signals end it at once, and the deadline
 *    is on CLOCK_MONOTONIC.  A wait first retries for 50 us, yielding in
 *    between (a prompt reply is seen at once), then sleeps 20 us doubling
 *    to 5 ms: a receiver idle for long polls 200 times a second and sees a
 *    message 2.5 ms late on average, 5 ms at most.  That is the price;
 *    ipcx-sysvmq(7) gives the figures tests/stress/sysvmq_wait_cost
 *    measured, and ipcx_pollfd is -ENOTSUP.
 *  - A removed queue (IPC_RMID) is the end: receives answer IPCX_EOF,
 *    sends -EPIPE, since nothing can arrive on it or read from it again.
 *  - The system limits (/proc/sys/kernel/msgmax, msgmnb, msgmni) and the
 *    queue's msg_qbytes are named in errors, with what was asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"

/* The kernel's default msgmax (the descriptor's default max); the live
 * value is read at open. */
#define SYSVMQ_DEFAULT_MSGMAX 8192
#define SYSVMQ_SPIN_NS 50000
#define SYSVMQ_STEP_MIN_NS 20000
#define SYSVMQ_STEP_MAX_NS 5000000

/* Where a wait is in its back-off. */
struct sysvmq_wait {
	int64_t spin_until; /* 0 until the first retry */
	int64_t step_ns;
};

struct sysvmq_chan {
	struct ipcx_chan base;
	key_t key;
	int qid;             /* -1 until open */
	long type;           /* "type=": sent (>= 1) and received (any long) */
	bool has_type;       /* type= was given */
	uint8_t *buf;        /* a long mtype, then room for bufcap bytes */
	size_t bufcap;
};

static struct sysvmq_chan *
sysvmq_of(struct ipcx_chan *ch)
{
	return (struct sysvmq_chan *)ch;
}

/* ---- the URI ------------------------------------------------------------ */

/* An ftok project id: 1 to 255 (decimal or 0x..), or one character, as a
 * C program writes ftok(path, 'a'). */
static int
sysvmq_parse_id(const char *s, int *ret)
{
	unsigned long v;

	if (s[0] != '\0' && s[1] == '\0' && (s[0] < '0' || s[0] > '9')) {
		*ret = (unsigned char)s[0];
		return 0;
	}
	if (ipcx__parse_ulong(s, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10, 255,
	                      &v) < 0 ||
	    v == 0)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/*
 * The address: a key number, or ftok:PATH:ID (PATH may hold ':', the id
 * is after the last one).  Touches nothing: for ftok, *ret_path and
 * *ret_id say what to give ftok(3), and *ret_key is left alone.
 */
static int
sysvmq_parse_key(const char *a, key_t *ret_key, char *ret_path, size_t pathlen, int *ret_id)
{
	unsigned long v;
	const char *colon;
	size_t plen;

	if (strncmp(a, "ftok:", 5) == 0) {
		a += 5;
		colon = strrchr(a, ':');
		if (colon == NULL || colon == a)
			return ipcx__uri_invalid(-EINVAL, "sysvmq:ftok: is ftok:PATH:ID");
		plen = (size_t)(colon - a);
		if (plen >= PATH_MAX)
			return ipcx__uri_invalid(-ENAMETOOLONG, "ftok path longer than %d bytes",
			                         PATH_MAX - 1);
		if (sysvmq_parse_id(colon + 1, ret_id) < 0)
			return ipcx__uri_invalid(-EINVAL, "the ftok id is 1 to 255, or one "
			                                  "character (ftok:PATH:65, ftok:PATH:A)");
		if (ret_path != NULL)
			snprintf(ret_path, pathlen, "%.*s", (int)plen, a);
		return 0;
	}
	if (ipcx__parse_ulong(a, (a[0] == '0' && (a[1] == 'x' || a[1] == 'X')) ? 16 : 10,
	                      0xfffffffful, &v) < 0)
		return ipcx__uri_invalid(-EINVAL, "a sysvmq: KEY is 0x1234, decimal, or "
		                                  "ftok:PATH:ID");
	if (v == 0)
		return ipcx__uri_invalid(-EINVAL, "key 0 is IPC_PRIVATE, which no other "
		                                  "process can find");
	*ret_id = 0;
	*ret_key = (key_t)(int32_t)(uint32_t)v;
	return 0;
}

/* "type=": a long, possibly negative. */
static int
sysvmq_parse_type(const struct ipcx_uri *uri, long *ret, bool *ret_has)
{
	const char *v = ipcx__uri_get(uri, "type");
	unsigned long ul;
	bool neg;

	*ret = 1;
	*ret_has = v != NULL;
	if (v == NULL)
		return 0;
	neg = v[0] == '-';
	if (ipcx__parse_ulong(v + (neg ? 1 : 0), 10, LONG_MAX, &ul) < 0)
		return ipcx__uri_invalid(-EINVAL, "type must be a whole number (an mtype)");
	*ret = neg ? -(long)ul : (long)ul;
	return 0;
}

static int
sysvmq_chan_check(const struct ipcx_uri *uri)
{
	key_t key;
	long type;
	bool has;
	int id, rc;

	rc = sysvmq_parse_key(uri->address, &key, NULL, 0, &id);
	if (rc < 0)
		return rc;
	return sysvmq_parse_type(uri, &type, &has);
}

/* The key the URI names; ftok is called here, at open. */
static int
sysvmq_resolve(const struct ipcx_uri *uri, struct ipcx_chan *ch, key_t *ret)
{
	char path[PATH_MAX];
	key_t key = 0;
	int id = 0, rc;

	rc = sysvmq_parse_key(uri->address, &key, path, sizeof(path), &id);
	if (rc < 0)
		return rc;
	if (id != 0) {
		key = ftok(path, id);
		if (key == (key_t)-1) {
			rc = -errno;
			ipcx__set_errmsg(ch, "ftok(\"%s\", %d): %s", path, id, ipcx_strerror(rc));
			return rc;
		}
	}
	*ret = key;
	return 0;
}

/* ---- the system's limits ------------------------------------------------ */

static long
sysvmq_sysctl(const char *name, long fallback)
{
	char path[64], buf[32];
	ssize_t n;
	long v;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
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

/* ---- opening ------------------------------------------------------------ */

static int
sysvmq_setup(struct ipcx_chan *ch)
{
	struct sysvmq_chan *s = sysvmq_of(ch);
	long msgmax;
	int rc;

	s->qid = -1;
	rc = sysvmq_parse_type(&ch->uri, &s->type, &s->has_type);
	if (rc < 0)
		return rc;
	rc = sysvmq_resolve(&ch->uri, ch, &s->key);
	if (rc < 0)
		return rc;
	msgmax = sysvmq_sysctl("msgmax", SYSVMQ_DEFAULT_MSGMAX);
	if (ch->max > (size_t)msgmax) {
		ipcx__set_errmsg(ch, "max=%zu exceeds the system limit /proc/sys/kernel/msgmax "
		                     "= %ld",
		                 ch->max, msgmax);
		return -EINVAL;
	}
	if (ch->max == 0)
		ch->max = (size_t)msgmax;
	/* Receives take up to msgmax, whatever this channel sends. */
	s->bufcap = (size_t)msgmax > ch->max ? (size_t)msgmax : ch->max;
	s->buf = malloc(sizeof(long) + s->bufcap);
	return s->buf == NULL ? -ENOMEM : 0;
}

static int
sysvmq_chan_create(struct ipcx_chan *ch)
{
	struct sysvmq_chan *s = sysvmq_of(ch);
	struct msqid_ds ds;
	bool made = true;
	int rc;

	rc = sysvmq_setup(ch);
	if (rc < 0)
		return rc;
	/* 0600 now, mode= by IPC_SET (System V ignores the umask anyway). */
	s->qid = msgget(s->key, IPC_CREAT | IPC_EXCL | 0600);
	if (s->qid < 0 && errno == EEXIST && ch->may_adopt) {
		/* Adopt our own leftover, never another user's queue. */
		made = false;
		s->qid = msgget(s->key, 0);
		if (s->qid >= 0 && (msgctl(s->qid, IPC_STAT, &ds) < 0 ||
		                    ds.msg_perm.uid != geteuid())) {
			s->qid = -1;
			errno = EEXIST;
		}
	}
	if (s->qid < 0) {
		rc = -errno;
		if (rc == -ENOSPC)
			ipcx__set_errmsg(ch, "the system limit /proc/sys/kernel/msgmni = %ld queues "
			                     "is reached; key 0x%08x needs one more",
			                 sysvmq_sysctl("msgmni", -1), (unsigned)s->key);
		else if (rc == -EEXIST)
			ipcx__set_errmsg(ch, "a System V queue with key 0x%08x exists%s",
			                 (unsigned)s->key, made ? "" : " and belongs to another user");
		return rc;
	}
	/* A leftover adopted keeps its mode unless mode= says otherwise: a
	 * restart must not take away what others were allowed. */
	if (!made && ipcx__uri_get(&ch->uri, "mode") == NULL) {
		rc = 0;
	} else if (msgctl(s->qid, IPC_STAT, &ds) < 0) {
		rc = -errno;
	} else {
		ds.msg_perm.mode = (ds.msg_perm.mode & ~0777u) | (ch->mode & 0777u);
		rc = msgctl(s->qid, IPC_SET, &ds) < 0 ? -errno : 0;
	}
	if (rc < 0) {
		/* A failed create leaves nothing behind that it made. */
		if (made)
			(void)msgctl(s->qid, IPC_RMID, NULL);
		s->qid = -1;
	}
	return rc;
}

static int
sysvmq_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	struct sysvmq_chan *s = sysvmq_of(ch);
	int rc;

	(void)deadline;
	rc = sysvmq_setup(ch);
	if (rc < 0)
		return rc;
	/* No permission is asked here: a joiner that may only send, or only
	 * receive, is refused at the call it may not make. */
	s->qid = msgget(s->key, 0);
	if (s->qid >= 0)
		return 0;
	rc = -errno;
	if (rc == -ENOENT)
		ipcx__set_errmsg(ch, "no System V queue with key 0x%08x; create it with "
		                     "ipcx_create or `ipcx create`",
		                 (unsigned)s->key);
	return rc;
}

/* ---- send / recv -------------------------------------------------------- */

/*
 * One step of the back-off before the next retry.  For its first 50 us a
 * wait only yields the processor between retries: a peer that answers at
 * once (a request and its reply) is seen at once, as a blocking call
 * would see it.  Then it sleeps in ipcx__wait_fd, 20 us doubling to 5 ms,
 * until the deadline at most.  Returns 0 to retry (the last retry comes at
 * the deadline itself), or -ETIMEDOUT, -EAGAIN (timeout 0), -ECANCELED,
 * -EINTR.
 */
static int
sysvmq_backoff(struct ipcx_chan *ch, int64_t deadline, struct sysvmq_wait *w)
{
	int64_t now = ipcx__now_ns(), until;
	int rc;

	if (deadline != IPCX_DEADLINE_NEVER && deadline <= now)
		return ipcx__deadline_error(deadline);
	if (w->spin_until == 0) {
		w->spin_until = now + SYSVMQ_SPIN_NS;
		w->step_ns = SYSVMQ_STEP_MIN_NS;
	}
	/* A pending ipcx_wake ends the spinning too: the wait below sees it. */
	if (now < w->spin_until && atomic_load(&ch->wake_pending) == 0) {
		sched_yield();
		return 0;
	}
	until = now + w->step_ns;
	if (deadline != IPCX_DEADLINE_NEVER && until > deadline)
		until = deadline;
	if (w->step_ns < SYSVMQ_STEP_MAX_NS)
		w->step_ns = w->step_ns * 2 > SYSVMQ_STEP_MAX_NS ? SYSVMQ_STEP_MAX_NS
		                                                 : w->step_ns * 2;
	rc = ipcx__wait_fd(ch, -1, 0, until);
	return rc == -ETIMEDOUT ? 0 : rc;
}

/* Is the queue the channel opened gone (IPC_RMID)?  Its id answers EIDRM
 * to a waiter and EINVAL afterwards - but EINVAL is also a size above a
 * msgmax lowered since, so ask the id itself. */
static bool
sysvmq_gone(struct ipcx_chan *ch, int err)
{
	struct msqid_ds ds;

	if (err == -EIDRM)
		return true;
	return err == -EINVAL && msgctl(sysvmq_of(ch)->qid, IPC_STAT, &ds) < 0 &&
	       (errno == EINVAL || errno == EIDRM);
}

/* Why a send cannot go on: the message can never fit the queue. */
static int
sysvmq_never_fits(struct ipcx_chan *ch, size_t len)
{
	struct sysvmq_chan *s = sysvmq_of(ch);
	struct msqid_ds ds;

	if (msgctl(s->qid, IPC_STAT, &ds) < 0 || len <= ds.msg_qbytes)
		return 0;
	ipcx__set_errmsg(ch, "a message of %zu bytes can never fit the queue 0x%08x, which "
	                     "holds msg_qbytes = %lu bytes (the system default is "
	                     "/proc/sys/kernel/msgmnb = %ld)",
	                 len, (unsigned)s->key, (unsigned long)ds.msg_qbytes,
	                 sysvmq_sysctl("msgmnb", -1));
	return -EMSGSIZE;
}

static ssize_t
sysvmq_chan_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct sysvmq_chan *s = sysvmq_of(ch);
	struct sysvmq_wait w = { 0, 0 };
	size_t len = 0;
	bool checked = false;
	int i, rc;

	if (s->type < 1) {
		ipcx__set_errmsg(ch, "type=%ld selects what a receiver takes; a message sent "
		                     "needs an mtype of 1 or more",
		                 s->type);
		return -EINVAL;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > s->bufcap - len)
			return -EMSGSIZE;
		memcpy(s->buf + sizeof(long) + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	memcpy(s->buf, &s->type, sizeof(long));
	for (;;) {
		if (msgsnd(s->qid, s->buf, len, IPC_NOWAIT) == 0)
			return (ssize_t)len;
		rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -EAGAIN) {
			/* Full - or the message is larger than the queue's whole
			 * capacity, and would wait forever: say so once. */
			if (!checked) {
				checked = true;
				rc = sysvmq_never_fits(ch, len);
				if (rc < 0)
					return rc;
			}
			rc = sysvmq_backoff(ch, deadline, &w);
			if (rc < 0)
				return rc;
			continue;
		}
		if (sysvmq_gone(ch, rc)) {
			ipcx__set_errmsg(ch, "the queue 0x%08x was removed", (unsigned)s->key);
			return -EPIPE;
		}
		if (rc == -EINVAL) {
			ipcx__set_errmsg(ch, "a message of %zu bytes exceeds the system limit "
			                     "/proc/sys/kernel/msgmax = %ld",
			                 len, sysvmq_sysctl("msgmax", -1));
			return -EMSGSIZE;
		}
		if (rc == -EACCES)
			ipcx__set_errmsg(ch, "no write permission on the queue 0x%08x",
			                 (unsigned)s->key);
		return rc;
	}
}

static ssize_t
sysvmq_chan_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
                 int64_t deadline)
{
	struct sysvmq_chan *s = sysvmq_of(ch);
	struct sysvmq_wait w = { 0, 0 };
	long type = s->has_type ? s->type : 0;
	ssize_t r;
	int rc;

	for (;;) {
		size_t want = cap < s->bufcap ? cap : s->bufcap;

		r = msgrcv(s->qid, s->buf, want, type, IPC_NOWAIT);
		if (r >= 0)
			break;
		rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc == -ENOMSG) {
			rc = sysvmq_backoff(ch, deadline, &w);
			if (rc < 0)
				return rc;
			continue;
		}
		if (rc == -E2BIG) {
			long msgmax = sysvmq_sysctl("msgmax", SYSVMQ_DEFAULT_MSGMAX);
			uint8_t *nb;

			/* msgmax was raised after this channel opened, and the caller
			 * has room: grow and try again. */
			if (cap > s->bufcap && (size_t)msgmax > s->bufcap) {
				nb = realloc(s->buf, sizeof(long) + (size_t)msgmax);
				if (nb == NULL)
					return -ENOMEM;
				s->buf = nb;
				s->bufcap = (size_t)msgmax;
				continue;
			}
			ipcx__set_errmsg(ch, "the next message is larger than the %zu-byte buffer; "
			                     "it stays queued",
			                 cap);
			return -EMSGSIZE;
		}
		if (sysvmq_gone(ch, rc)) {
			ipcx__set_errmsg(ch, "the queue 0x%08x was removed", (unsigned)s->key);
			return IPCX_EOF;
		}
		if (rc == -EACCES)
			ipcx__set_errmsg(ch, "no read permission on the queue 0x%08x",
			                 (unsigned)s->key);
		return rc;
	}
	if (r > 0)
		memcpy(buf, s->buf + sizeof(long), (size_t)r);
	if (info != NULL) {
		info->fields |= IPCX_INFO_MTYPE;
		memcpy(&info->mtype, s->buf, sizeof(long));
	}
	return r;
}

/* ---- the rest ------------------------------------------------------------ */

static int
sysvmq_chan_pollfd(struct ipcx_chan *ch)
{
	/* DESIGN.md: no honest descriptor exists for a System V queue. */
	ipcx__set_errmsg(ch, "a System V queue has no descriptor to poll");
	return -ENOTSUP;
}

static void
sysvmq_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct sysvmq_chan *s = sysvmq_of(ch);

	/* The id names the queue we made: a successor under the same key has
	 * another id, and removing by id never touches it. */
	if (remove && s->qid >= 0)
		(void)msgctl(s->qid, IPC_RMID, NULL);
	s->qid = -1;
	free(s->buf);
	s->buf = NULL;
}

static int
sysvmq_chan_unlink(const struct ipcx_uri *uri)
{
	key_t key;
	int qid, rc;

	rc = sysvmq_resolve(uri, NULL, &key);
	if (rc < 0)
		return rc;
	qid = msgget(key, 0);
	if (qid < 0 || msgctl(qid, IPC_RMID, NULL) < 0) {
		rc = -errno;
		if (rc == -EPERM || rc == -EACCES)
			ipcx__set_errmsg(NULL, "the queue 0x%08x belongs to another user",
			                 (unsigned)key);
		return rc;
	}
	return 0;
}

static int
sysvmq_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out,
                      size_t outlen)
{
	key_t key;
	int n;

	if (ch != NULL && sysvmq_of(ch)->qid >= 0)
		key = sysvmq_of(ch)->key;
	else if (sysvmq_resolve(uri, NULL, &key) < 0)
		return 1; /* no such ftok path: nothing is registered under it */
	n = snprintf(out, outlen, "sysvmq:0x%08x", (unsigned)key);
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
sysvmq_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct sysvmq_chan *s = sysvmq_of(ch);
	struct msqid_ds ds;

	if (s->qid >= 0 && msgctl(s->qid, IPC_STAT, &ds) == 0) {
		st->queued = (long)ds.msg_qnum;
		st->queued_unit = 0;
		/* The queue holds msg_qbytes bytes (and as many messages). */
		st->capacity = (long)ds.msg_qbytes;
		st->capacity_unit = 1;
		st->last_sender_pid = ds.msg_lspid;
		st->last_receiver_pid = ds.msg_lrpid;
		st->mode = ds.msg_perm.mode & 0777;
		st->owner_uid = ds.msg_perm.uid;
		st->has_owner = 1;
	}
	return 0;
}

static const struct ipcx_chan_ops sysvmq_ops = {
	.c_create = sysvmq_chan_create,
	.c_join = sysvmq_chan_join,
	.c_send = sysvmq_chan_send,
	.c_recv = sysvmq_chan_recv,
	.c_pollfd = sysvmq_chan_pollfd,
	.c_close = sysvmq_chan_close,
	.c_unlink = sysvmq_chan_unlink,
	.c_stat = sysvmq_chan_stat,
	.c_canonical = sysvmq_chan_canonical,
	.c_check = sysvmq_chan_check,
};

static const char *const sysvmq_keys[] = { "mode", "max", "type", NULL };

const struct ipcx_transport ipcx__sysvmq_transport = {
	.t_scheme = "sysvmq",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct sysvmq_chan),
	.t_caps = IPCX_CAP_MESSAGE | IPCX_CAP_NAMED | IPCX_CAP_MANY_RECV,
	.t_keys = sysvmq_keys,
	.t_ops = &sysvmq_ops,
	.t_default_max = SYSVMQ_DEFAULT_MSGMAX,
	.t_summary = "System V message queue",
	.t_address = "KEY (0x1234, decimal, ftok:PATH:ID)",
	.t_sample = "sysvmq:ftok:{dir}:1",
	.t_variants = NULL,
};
