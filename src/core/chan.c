/* SPDX-License-Identifier: MIT */
/*
 * chan.c - the public API: argument checks, URI and key validation, the
 * open/closed life of a channel, dispatch to the transport's ops, and the
 * registry bookkeeping every named object gets.
 *
 * Map:
 *   channel allocation and teardown
 *   create / join / accept / pair
 *   send / recv
 *   wake, pollfd, stat, errmsg
 *   unlink, zero-copy, signals
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/frame.h"
#include "core/transport.h"
#include "os/io.h"
#include "registry/registry.h"

#define IPCX_DEFAULT_MAX ((size_t)16 << 20)
#define IPCX_DEFAULT_LINGER_MS 2000
#define IPCX_MAX_LIMIT ((size_t)1 << 30)
#define IPCX_TIMEOUT_LIMIT 86400000ul /* timeout=: a day, in milliseconds */
#define OPEN_FLAGS (IPCX_EXCL | IPCX_KEEP | IPCX_INTERRUPTIBLE)

/* ---- channel allocation and teardown ---------------------------------- */

static int
chan_new(const struct ipcx_transport *tp, struct ipcx_chan **ret)
{
	struct ipcx_chan *ch;
	int fd;

	ch = calloc(1, tp->t_chan_size);
	if (ch == NULL)
		return -ENOMEM;
	ch->tp = tp;
	ch->rfd = ch->wfd = -1;
	ch->registry_fd = -1;
	ch->mode = 0600;
	ch->opener_pid = getpid();
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		int err = -errno;
		free(ch);
		return err;
	}
	fd = ipcx__fd_above_stdio(fd);
	if (fd < 0) {
		free(ch);
		return fd;
	}
	ch->wake_fd = fd;
	*ret = ch;
	return 0;
}

static void
chan_free(struct ipcx_chan *ch, bool remove)
{
	ch->tp->t_ops->c_close(ch, remove);
	/* Only our own entry: after an `ipcx rm` and a new create, the path
	 * may name a successor's. */
	if (remove && ch->registry_path != NULL)
		ipcx__registry_remove(ch->registry_fd, ch->registry_path);
	ipcx__close(ch->registry_fd);
	ipcx__close(ch->wake_fd);
	ipcx__stream_free(ch);
	free(ch->registry_path);
	free(ch->uri_text);
	ipcx__uri_fini(&ch->uri);
	free(ch);
}

static int
check_timeout(int timeout_ms)
{
	return timeout_ms < -1 ? -EINVAL : 0;
}

int
ipcx_close(ipcx_chan *ch)
{
	bool forked, remove;
	int rc = 0;

	if (ch == NULL)
		return 0;
	forked = getpid() != ch->opener_pid;
	/* A forked child closing its copy must not remove what its parent
	 * made and still uses. */
	remove = !forked && ch->role == IPCX_ROLE_CREATOR && !(ch->flags & IPCX_KEEP) &&
	         !(ch->tp->t_caps & IPCX_CAP_KEPT);
	if (!forked && ch->stream != NULL && ch->stream->tx_tail != NULL) {
		/* A message a timeout-0 send accepted is finished within linger=,
		 * or close says it was not: the peer then sees the stream end in
		 * the middle of it, never a shorter message. */
		rc = ipcx__frame_flush(ch, ipcx__deadline_from_ms(ch->linger_ms), IPCX_FLUSH_CLOSING);
	}
	chan_free(ch, remove);
	ipcx__sigpipe_settle();
	return rc;
}

int
ipcx_flush(ipcx_chan *ch, int timeout_ms)
{
	if (ch == NULL || check_timeout(timeout_ms) < 0)
		return -EINVAL;
	if (ch->stream == NULL)
		return 0;
	if (ch->stream->tx_tail == NULL)
		return ch->stream->broken ? -EPIPE : 0;
	return ipcx__frame_flush(ch, ipcx__deadline_from_ms(timeout_ms), IPCX_FLUSH_KEEP);
}

/* ---- create / join / accept / pair ------------------------------------ */

static bool
key_allowed(const struct ipcx_transport *tp, const char *key)
{
	const char *const *k;

	for (k = tp->t_keys; k != NULL && *k != NULL; k++)
		if (strcmp(*k, key) == 0)
			return true;
	/* Keys the core itself implements for every stream transport. */
	return (tp->t_caps & IPCX_CAP_STREAM) && strcmp(key, "linger") == 0;
}

/* "pipe:, fifo:, ..." - every scheme, or those that accept "//" (want_slash). */
static void
scheme_list(char *out, size_t outlen, bool want_slash)
{
	const struct ipcx_transport *const *t;
	size_t o = 0;
	int n;

	out[0] = '\0';
	for (t = ipcx__transports; *t != NULL && o < outlen; t++) {
		if (want_slash && !(*t)->t_double_slash)
			continue;
		n = snprintf(out + o, outlen - o, "%s%s:", o ? ", " : "", (*t)->t_scheme);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/*
 * The one check of a URI: parse text and check everything that can be
 * checked before any object is touched - the syntax, a known scheme, "//",
 * an address where one is needed, that every key is one the transport
 * takes, the values of the common keys - then the transport's c_check for
 * its own keys and its address form.  Every refusal leaves its reason for
 * ipcx_errmsg(NULL).  On success *uri is the caller's to finish.
 */
static int
uri_resolve(const char *text, struct ipcx_uri *uri, const struct ipcx_transport **ret_tp)
{
	const struct ipcx_transport *tp;
	const char *why = NULL;
	char list[120];
	int rc, i;

	rc = ipcx__uri_parse(text, uri, &why);
	if (rc == -EINVAL)
		return ipcx__uri_invalid(rc, "%s", why != NULL ? why : "malformed");
	if (rc < 0)
		return rc;
	tp = ipcx__transport_find(uri->scheme, strlen(uri->scheme));
	if (tp == NULL) {
		scheme_list(list, sizeof(list), false);
		rc = ipcx__uri_invalid(-EINVAL, "unknown scheme '%s' (known: %s)", uri->scheme,
		                       list);
		goto fail;
	}
	if (uri->double_slash && !tp->t_double_slash) {
		scheme_list(list, sizeof(list), true);
		rc = ipcx__uri_invalid(-EINVAL, "'//' is accepted for %s only", list);
		goto fail;
	}
	if (uri->address_len == 0 && !tp->t_address_optional) {
		rc = ipcx__uri_invalid(-EINVAL, "the address after '%s:' is empty", tp->t_scheme);
		goto fail;
	}
	for (i = 0; i < uri->nparams; i++) {
		const char *k = uri->params[i].key, *v = uri->params[i].value;
		unsigned long ul;
		size_t sz;

		rc = -EINVAL;
		if (!key_allowed(tp, k)) {
			ipcx__uri_invalid(rc, "unknown key '%.40s' for %s:", k, tp->t_scheme);
			goto fail;
		}
		if (strcmp(k, "mode") == 0 && ipcx__parse_ulong(v, 8, 0777, &ul) < 0) {
			ipcx__uri_invalid(rc, "mode must be octal, at most 0777");
			goto fail;
		}
		if (strcmp(k, "max") == 0 &&
		    (ipcx__parse_size(v, IPCX_MAX_LIMIT, &sz) < 0 || sz == 0)) {
			ipcx__uri_invalid(rc, "max must be a size from 1 to 1G (K, M, G: powers "
			                      "of two)");
			goto fail;
		}
		if (strcmp(k, "framing") == 0 && strcmp(v, "len") != 0 &&
		    strcmp(v, "line") != 0 && strcmp(v, "raw") != 0) {
			ipcx__uri_invalid(rc, "framing must be len, line or raw");
			goto fail;
		}
		if (strcmp(k, "linger") == 0 &&
		    ipcx__parse_ulong(v, 10, IPCX_TIMEOUT_LIMIT, &ul) < 0) {
			ipcx__uri_invalid(rc, "linger must be milliseconds, at most %lu",
			                  IPCX_TIMEOUT_LIMIT);
			goto fail;
		}
		if (strcmp(k, "timeout") == 0 &&
		    ipcx__parse_ulong(v, 10, IPCX_TIMEOUT_LIMIT, &ul) < 0) {
			ipcx__uri_invalid(rc, "timeout must be milliseconds, at most %lu",
			                  IPCX_TIMEOUT_LIMIT);
			goto fail;
		}
	}
	if (tp->t_ops->c_check != NULL) {
		ipcx__errmsg_reset();
		rc = tp->t_ops->c_check(uri);
		if (rc < 0) {
			/* A check that forgot its reason still gets one. */
			if (ipcx__errmsg_unset())
				ipcx__uri_invalid(rc, "the %s: address or a value is malformed",
				                  tp->t_scheme);
			goto fail;
		}
	}
	*ret_tp = tp;
	return 0;
fail:
	ipcx__uri_fini(uri);
	return rc;
}

int
ipcx_uri_check(const char *text)
{
	const struct ipcx_transport *tp;
	struct ipcx_uri uri;
	int rc;

	ipcx__errmsg_reset();
	rc = uri_resolve(text, &uri, &tp);
	if (rc < 0)
		return rc;
	ipcx__uri_fini(&uri);
	return 0;
}

/* Fill a fresh channel's core fields from its URI. */
static void
chan_apply_uri(struct ipcx_chan *ch)
{
	const char *v;
	unsigned long ul;
	size_t sz;

	if ((v = ipcx__uri_get(&ch->uri, "mode")) != NULL &&
	    ipcx__parse_ulong(v, 8, 0777, &ul) == 0)
		ch->mode = (unsigned)ul;
	if ((v = ipcx__uri_get(&ch->uri, "max")) != NULL &&
	    ipcx__parse_size(v, IPCX_MAX_LIMIT, &sz) == 0)
		ch->max = sz;
	ch->linger_ms = IPCX_DEFAULT_LINGER_MS;
	if ((v = ipcx__uri_get(&ch->uri, "linger")) != NULL &&
	    ipcx__parse_ulong(v, 10, IPCX_TIMEOUT_LIMIT, &ul) == 0)
		ch->linger_ms = (int)ul;
	if ((v = ipcx__uri_get(&ch->uri, "framing")) != NULL)
		ch->framing = strcmp(v, "line") == 0  ? IPCX_FRAMING_LINE
		              : strcmp(v, "raw") == 0 ? IPCX_FRAMING_RAW
		                                      : IPCX_FRAMING_LEN;
}

static void
chan_finish_open(struct ipcx_chan *ch)
{
	if (ch->max == 0)
		ch->max = ch->tp->t_default_max != 0 ? ch->tp->t_default_max : IPCX_DEFAULT_MAX;
}

/*
 * The registry bookkeeping of an open (DESIGN.md, "The registry").
 *
 * A creator calls it twice.  First (ch NULL), before its channel or its
 * object exists, it claims the entry of the name the URI gives the object
 * (c_canonical without a channel): written, and locked exclusively, so no
 * ipcx object ever exists without one and two creators of one name are
 * serialised.  The claim also decides ch->may_adopt: a leftover may be
 * adopted or replaced only when the exclusive lock proved that no live
 * process holds it.  An entry a live process holds fails the create at
 * once, before anything is touched: -EEXIST under IPCX_EXCL, else
 * -EADDRINUSE for a listening transport (a live server has the address)
 * and -EBUSY for the others.  A registry that cannot be written fails the
 * create too, with a sentence naming the directory.  Then (ch made) the
 * claim becomes a shared lock; a name that exists only once the object
 * does (a port the kernel picked: c_canonical answered 1 without a
 * channel) is claimed then.
 *
 * A joiner holds the shared lock, when the object is registered here.  A
 * connection to a listening transport does not: once connected it no
 * longer uses the name, and a server killed while clients are still
 * connected must leave a leftover its successor can replace.
 */
static int
chan_register(const struct ipcx_transport *tp, const struct ipcx_uri *uri, unsigned flags,
              struct ipcx_chan *ch, struct ipcx_registry_claim *claim)
{
	char canon[IPCX_URI_MAX], why[sizeof(ch->errmsg)];
	const struct ipcx_chan_ops *ops = tp->t_ops;
	bool kept = (flags & IPCX_KEEP) || (tp->t_caps & IPCX_CAP_KEPT);
	bool creator = ch == NULL || ch->role == IPCX_ROLE_CREATOR;
	int rc;

	if (ch != NULL && claim->fd >= 0) {
		ch->registry_fd = ipcx__registry_commit(claim, &ch->registry_path);
		return 0;
	}
	if (ops->c_canonical == NULL)
		return 0; /* anonymous: nothing to register */
	rc = ops->c_canonical(uri, ch, canon, sizeof(canon));
	if (rc == 1)
		return 0; /* no name (a socket pair), or not one known yet */
	if (rc < 0) {
		ipcx__set_errmsg(ch, "the name is too long for a registry entry");
		return rc;
	}
	if (!creator) {
		if (!(tp->t_caps & IPCX_CAP_LISTEN)) {
			rc = ipcx__registry_hold(canon);
			ch->registry_fd = rc < 0 ? -1 : rc;
		}
		return 0;
	}
	why[0] = '\0';
	rc = ipcx__registry_claim(canon, kept, claim, why, sizeof(why));
	if (rc == -EBUSY)
		rc = (flags & IPCX_EXCL)                 ? -EEXIST
		     : (tp->t_caps & IPCX_CAP_LISTEN) ? -EADDRINUSE
		                                       : -EBUSY;
	if (rc < 0) {
		ipcx__set_errmsg(ch, "%s", why[0] ? why : "the registry entry cannot be written");
		return rc;
	}
	if (ch != NULL)
		ch->registry_fd = ipcx__registry_commit(claim, &ch->registry_path);
	return 0;
}

static int
chan_open(ipcx_chan **ret_ch, const char *text, unsigned flags, bool create)
{
	struct ipcx_registry_claim claim = { .fd = -1 };
	const struct ipcx_transport *tp;
	struct ipcx_chan *ch;
	struct ipcx_uri uri;
	const char *v;
	int64_t deadline = IPCX_DEADLINE_NEVER;
	int rc;

	ipcx__errmsg_reset();
	if (ret_ch == NULL || text == NULL) {
		ipcx__set_errmsg(NULL, "%s is NULL", ret_ch == NULL ? "ret_ch" : "the URI");
		return -EINVAL;
	}
	if ((flags & ~OPEN_FLAGS) != 0) {
		ipcx__set_errmsg(NULL, "unknown flags 0x%x", flags & ~OPEN_FLAGS);
		return -EINVAL;
	}
	if (!create && (flags & (IPCX_EXCL | IPCX_KEEP))) {
		ipcx__set_errmsg(NULL, "IPCX_EXCL and IPCX_KEEP are for ipcx_create only");
		return -EINVAL;
	}
	rc = uri_resolve(text, &uri, &tp);
	if (rc < 0)
		return rc;
	/* uri_resolve checked the value. */
	if ((v = ipcx__uri_get(&uri, "timeout")) != NULL) {
		unsigned long ms = 0;
		(void)ipcx__parse_ulong(v, 10, IPCX_TIMEOUT_LIMIT, &ms);
		deadline = ipcx__deadline_from_ms(ms == 0 ? 0 : (int)ms);
	}
	/* Before the channel exists: a refusal then touches nothing at all. */
	if (create) {
		rc = chan_register(tp, &uri, flags, NULL, &claim);
		if (rc < 0) {
			ipcx__uri_fini(&uri);
			return rc;
		}
	}
	rc = chan_new(tp, &ch);
	if (rc < 0) {
		ipcx__registry_abandon(&claim);
		ipcx__uri_fini(&uri);
		return rc;
	}
	ch->uri = uri;
	ch->flags = flags;
	ch->role = create ? IPCX_ROLE_CREATOR : IPCX_ROLE_JOINER;
	ch->uri_text = strdup(text);
	if (ch->uri_text == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	chan_apply_uri(ch);
	ch->may_adopt = claim.fd >= 0 && !(flags & IPCX_EXCL);
	rc = create ? tp->t_ops->c_create(ch) : tp->t_ops->c_join(ch, deadline);
	if (rc < 0)
		goto fail;
	chan_finish_open(ch);
	rc = chan_register(tp, &ch->uri, flags, ch, &claim);
	if (rc < 0) {
		/* A name known only now could not be registered: the object
		 * goes again, before its failure is reported. */
		tp->t_ops->c_close(ch, true);
		goto fail;
	}
	*ret_ch = ch;
	return 0;
fail:
	/* Nothing this call made may outlive it; nothing it did not make may
	 * be removed: c_close(remove=false) releases descriptors only, so the
	 * transport must undo a half-made object itself.  The claimed entry
	 * is put back after it (c_close ran in chan_free). */
	if (ch->errmsg[0] != '\0')
		ipcx__errmsg_keep(ch);
	ch->role = 0;
	chan_free(ch, false);
	ipcx__registry_abandon(&claim);
	return rc;
}

int
ipcx_create(ipcx_chan **ret_ch, const char *uri, unsigned flags)
{
	return chan_open(ret_ch, uri, flags, true);
}

int
ipcx_join(ipcx_chan **ret_ch, const char *uri, unsigned flags)
{
	return chan_open(ret_ch, uri, flags, false);
}

/* A second channel on the same transport and URI (accept, pair). */
static int
chan_sibling(const struct ipcx_chan *proto, int role, struct ipcx_chan **ret)
{
	struct ipcx_chan *ch;
	int rc;

	rc = chan_new(proto->tp, &ch);
	if (rc < 0)
		return rc;
	ch->uri_text = strdup(proto->uri_text);
	/* proto's URI passed uri_resolve: only memory can fail here. */
	if (ch->uri_text == NULL || ipcx__uri_parse(proto->uri_text, &ch->uri, NULL) < 0) {
		chan_free(ch, false);
		return -ENOMEM;
	}
	ch->flags = proto->flags & IPCX_INTERRUPTIBLE;
	ch->role = role;
	chan_apply_uri(ch);
	*ret = ch;
	return 0;
}

int
ipcx_accept(ipcx_chan *listener, ipcx_chan **ret_ch, int timeout_ms)
{
	struct ipcx_chan *conn;
	int64_t deadline;
	int rc;

	if (listener == NULL || ret_ch == NULL || check_timeout(timeout_ms) < 0)
		return -EINVAL;
	if (listener->tp->t_ops->c_accept == NULL || !listener->listening)
		return -ENOTSUP;
	deadline = ipcx__deadline_from_ms(timeout_ms);
	rc = chan_sibling(listener, IPCX_ROLE_ACCEPTED, &conn);
	if (rc < 0)
		return rc;
	conn->max = listener->max;
	rc = listener->tp->t_ops->c_accept(listener, conn, deadline);
	if (rc < 0) {
		chan_free(conn, false);
		return rc;
	}
	chan_finish_open(conn);
	*ret_ch = conn;
	return 0;
}

int
ipcx_pair(const char *text, ipcx_chan **ret_a, ipcx_chan **ret_b)
{
	const struct ipcx_transport *tp;
	struct ipcx_chan *a = NULL, *b = NULL;
	struct ipcx_uri uri;
	int rc;

	ipcx__errmsg_reset();
	if (text == NULL || ret_a == NULL || ret_b == NULL)
		return -EINVAL;
	rc = uri_resolve(text, &uri, &tp);
	if (rc < 0)
		return rc;
	if (tp->t_ops->c_pair == NULL) {
		ipcx__set_errmsg(NULL, "ipcx_pair makes pipe: and unix: channels, not %s:",
		                 tp->t_scheme);
		ipcx__uri_fini(&uri);
		return -ENOTSUP;
	}
	rc = chan_new(tp, &a);
	if (rc < 0) {
		ipcx__uri_fini(&uri);
		return rc;
	}
	a->uri = uri;
	a->role = IPCX_ROLE_PAIR;
	a->uri_text = strdup(text);
	if (a->uri_text == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	chan_apply_uri(a);
	rc = chan_sibling(a, IPCX_ROLE_PAIR, &b);
	if (rc < 0)
		goto fail;
	rc = tp->t_ops->c_pair(a, b);
	if (rc < 0)
		goto fail;
	chan_finish_open(a);
	chan_finish_open(b);
	*ret_a = a;
	*ret_b = b;
	return 0;
fail:
	if (a->errmsg[0] != '\0')
		ipcx__errmsg_keep(a);
	if (b != NULL)
		chan_free(b, false);
	chan_free(a, false);
	return rc;
}

/* ---- send / recv ------------------------------------------------------ */

int
ipcx_send(ipcx_chan *ch, const void *buf, size_t len, int timeout_ms)
{
	struct iovec iov;
	int64_t deadline;
	ssize_t r;

	if (ch == NULL || (buf == NULL && len > 0) || check_timeout(timeout_ms) < 0)
		return -EINVAL;
	if (ch->listening)
		return -ENOTCONN;
	if (len > ch->max) {
		ipcx__set_errmsg(ch, "message of %zu bytes exceeds max=%zu", len, ch->max);
		return -EMSGSIZE;
	}
	ipcx__sigpipe_settle();
	deadline = ipcx__deadline_from_ms(timeout_ms);
	if (ch->stream)
		return ipcx__frame_send(ch, buf, len, deadline);
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	r = ch->tp->t_ops->c_send(ch, &iov, 1, deadline);
	return r < 0 ? (int)r : 0;
}

ssize_t
ipcx_recv_info(ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
               int timeout_ms)
{
	int64_t deadline;

	if (ch == NULL || (buf == NULL && cap > 0) || check_timeout(timeout_ms) < 0)
		return -EINVAL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (ch->listening)
		return -ENOTCONN;
	ipcx__sigpipe_settle();
	deadline = ipcx__deadline_from_ms(timeout_ms);
	if (ch->stream)
		return ipcx__frame_recv(ch, buf, cap, info, deadline);
	return ch->tp->t_ops->c_recv(ch, buf, cap, info, deadline);
}

ssize_t
ipcx_recv(ipcx_chan *ch, void *buf, size_t cap, int timeout_ms)
{
	return ipcx_recv_info(ch, buf, cap, NULL, timeout_ms);
}

/* ---- wake, pollfd, stat, errmsg --------------------------------------- */

int
ipcx_wake(ipcx_chan *ch)
{
	uint64_t one = 1;

	if (ch == NULL)
		return -EINVAL;
	/* write(2) on an eventfd is async-signal-safe; so must c_wake be. */
	/* wake_pending first: whichever wait consumes the eventfd clears it. */
	atomic_store(&ch->wake_pending, 1);
	(void)!write(ch->wake_fd, &one, sizeof(one));
	ipcx__wake_futex_waiter(ch);
	if (ch->tp->t_ops->c_wake != NULL)
		ch->tp->t_ops->c_wake(ch);
	return 0;
}

int
ipcx_pollfd(ipcx_chan *ch)
{
	int fd;

	if (ch == NULL)
		return -EINVAL;
	if (ch->tp->t_ops->c_pollfd != NULL)
		fd = ch->tp->t_ops->c_pollfd(ch);
	else
		fd = ch->rfd >= 0 ? ch->rfd : -ENOTSUP;
	/* A framed stream may hold whole messages in its rx buffer that its
	 * descriptor no longer announces (raw framing never buffers). */
	if (fd < 0 || !ch->stream || ch->listening || ch->framing == IPCX_FRAMING_RAW)
		return fd;
	return ipcx__frame_pollfd(ch, fd);
}

int
ipcx_stat(ipcx_chan *ch, struct ipcx_stat *st)
{
	const struct ipcx_chan_ops *ops;

	if (ch == NULL || st == NULL)
		return -EINVAL;
	ops = ch->tp->t_ops;
	memset(st, 0, sizeof(*st));
	snprintf(st->scheme, sizeof(st->scheme), "%s", ch->tp->t_scheme);
	if (ops->c_canonical == NULL ||
	    ops->c_canonical(&ch->uri, ch, st->uri, sizeof(st->uri)) != 0)
		snprintf(st->uri, sizeof(st->uri), "%s", ch->uri_text);
	st->role = ch->role;
	st->flags = ch->flags;
	st->mode = ch->mode;
	st->listening = ch->listening;
	st->max_msg = ch->max;
	st->queued = -1;
	st->capacity = -1;
	st->receiver = -1;
	if (ch->has_peer) {
		st->has_peer = 1;
		st->peer_pid = ch->peer_pid;
		st->peer_uid = ch->peer_uid;
		st->peer_gid = ch->peer_gid;
	}
	return ops->c_stat != NULL ? ops->c_stat(ch, st) : 0;
}


/* ---- unlink, zero-copy, signals --------------------------------------- */

int
ipcx_unlink(const char *text)
{
	const struct ipcx_transport *tp;
	struct ipcx_uri uri;
	char canon[IPCX_URI_MAX], path[4200];
	int rc;

	ipcx__errmsg_reset();
	if (text == NULL)
		return -EINVAL;
	rc = uri_resolve(text, &uri, &tp);
	if (rc < 0)
		return rc;
	if (tp->t_ops->c_unlink == NULL) {
		ipcx__uri_fini(&uri);
		return -ENOTSUP;
	}
	rc = tp->t_ops->c_unlink(&uri);
	if ((rc == 0 || rc == -ENOENT) && tp->t_ops->c_canonical != NULL &&
	    tp->t_ops->c_canonical(&uri, NULL, canon, sizeof(canon)) == 0 &&
	    ipcx__registry_path(canon, path, sizeof(path)) == 0)
		(void)unlink(path);
	ipcx__uri_fini(&uri);
	return rc;
}

int
ipcx_records(const char *text, ipcx_record_fn fn, void *arg)
{
	const struct ipcx_transport *tp;
	struct ipcx_uri uri;
	int rc;

	ipcx__errmsg_reset();
	if (text == NULL || fn == NULL)
		return -EINVAL;
	rc = uri_resolve(text, &uri, &tp);
	if (rc < 0)
		return rc;
	rc = tp->t_ops->c_records != NULL ? tp->t_ops->c_records(&uri, fn, arg) : -ENOTSUP;
	ipcx__uri_fini(&uri);
	return rc;
}

int
ipcx_loan(ipcx_chan *ch, size_t len, void **ret_ptr)
{
	if (ch == NULL || ret_ptr == NULL)
		return -EINVAL;
	if (ch->tp->t_ops->c_loan == NULL)
		return -ENOTSUP;
	if (len > ch->max)
		return -EMSGSIZE;
	return ch->tp->t_ops->c_loan(ch, len, ret_ptr);
}

int
ipcx_commit(ipcx_chan *ch, void *ptr, size_t len)
{
	if (ch == NULL || ptr == NULL)
		return -EINVAL;
	if (ch->tp->t_ops->c_commit == NULL)
		return -ENOTSUP;
	return ch->tp->t_ops->c_commit(ch, ptr, len);
}

ssize_t
ipcx_recv_borrow(ipcx_chan *ch, const void **ret_ptr, size_t *ret_len, int timeout_ms)
{
	if (ch == NULL || ret_ptr == NULL || ret_len == NULL || check_timeout(timeout_ms) < 0)
		return -EINVAL;
	if (ch->tp->t_ops->c_borrow == NULL)
		return -ENOTSUP;
	return ch->tp->t_ops->c_borrow(ch, ret_ptr, ret_len,
	                               ipcx__deadline_from_ms(timeout_ms));
}

int
ipcx_release(ipcx_chan *ch, const void *ptr)
{
	if (ch == NULL || ptr == NULL)
		return -EINVAL;
	if (ch->tp->t_ops->c_release == NULL)
		return -ENOTSUP;
	return ch->tp->t_ops->c_release(ch, ptr);
}

int
ipcx_signal_block(const sigset_t *set)
{
	int rc;

	if (set == NULL)
		return -EINVAL;
	rc = pthread_sigmask(SIG_BLOCK, set, NULL);
	return rc == 0 ? 0 : -rc;
}
