/* SPDX-License-Identifier: MIT */
/*
 * transport.h - the contract between the core and a transport.
 *
 * A transport is one file in src/transport/ exporting one
 * `const struct ipcx_transport ipcx__<scheme>_transport`, listed in
 * src/core/transports.c.  The core owns everything that is the same for all
 * mechanisms: URI parsing and key checks (the transport's c_check adds its
 * own keys' values and its address form), deadlines, the open/closed state,
 * the framing of byte streams, wake-ups, the object registry.  A transport
 * owns only what is true of its mechanism.
 *
 * Read docs/writing-a-transport.md for a walk through the FIFO transport.
 */
#ifndef IPCX_CORE_TRANSPORT_H
#define IPCX_CORE_TRANSPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "ipcx.h"
#include "core/deadline.h"
#include "core/uri.h"

struct ipcx_transport;

/* The three framings of a byte stream (DESIGN.md, "Framing"). */
enum ipcx_framing {
	IPCX_FRAMING_LEN = 0, /* 4-byte big-endian length, then the payload */
	IPCX_FRAMING_LINE,    /* payload then '\n' */
	IPCX_FRAMING_RAW,     /* no framing: what one read returns */
};

/* Receive-side buffer of a framed byte stream. */
struct ipcx_rxbuf {
	uint8_t *data;
	size_t cap;   /* allocated */
	size_t start; /* first unconsumed byte */
	size_t end;   /* one past the last received byte */
	bool eof;     /* the stream reported end of file */
};

/*
 * A byte stream the core frames (DESIGN.md, "Framing").  Made only for
 * stream channels, by ipcx__stream_open() from the transport's c_create,
 * c_join, c_accept or c_pair; message channels have none.  The transport
 * gives the stream its own small I/O table; the core keeps the framing
 * state here, so struct ipcx_chan holds only what every channel has.
 */
#define IPCX_STREAM_SOCKET   (1u << 0) /* rfd/wfd are sockets: MSG_NOSIGNAL, MSG_DONTWAIT */
#define IPCX_STREAM_BLOCKING (1u << 1) /* in blocking mode, shared with others (adopted) */
#define IPCX_STREAM_EXACT    (1u << 2) /* read no byte beyond the message being received:
                                        * the stream outlives this receiver (a FIFO, an
                                        * inherited descriptor), and bytes read ahead
                                        * would be lost to whoever reads next */
#define IPCX_STREAM_SHARED   (1u << 3) /* unrelated writers share the stream (FIFO): a
                                        * framing error drops what is buffered and
                                        * asks the transport to resynchronise, instead
                                        * of breaking the channel */

struct ipcx_stream_ops {
	/* Write some of iov (at least one byte) and return how many, waiting
	 * until the deadline for room.  Errors: -EAGAIN/-ETIMEDOUT (nothing
	 * written), -EPIPE, -ECANCELED, -EINTR. */
	ssize_t (*s_write)(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
	                   int64_t deadline);
	/* Read what is available (at least one byte) into iov, or IPCX_EOF.
	 * Errors: -EAGAIN, -ETIMEDOUT, -ECANCELED, -EINTR. */
	ssize_t (*s_read)(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
	                  int64_t deadline);
	/*
	 * SHUT_WR: a started frame cannot be finished: make the peer see the
	 * stream end, so it never takes a shorter message.  SHUT_RD: the peer
	 * broke the framing: stop reading it (a shared stream instead drops
	 * what it can of the garbage, within bounds).  Never fails.
	 */
	void (*s_shutdown)(struct ipcx_chan *ch, int how);
};

/* The I/O table of a stream on ch->rfd/ch->wfd (pipes, sockets, FIFOs). */
extern const struct ipcx_stream_ops ipcx__fd_stream_ops;
ssize_t ipcx__fd_stream_write(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
                              int64_t deadline);
ssize_t ipcx__fd_stream_read(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
                             int64_t deadline);
void ipcx__fd_stream_shutdown(struct ipcx_chan *ch, int how);

struct ipcx_stream {
	const struct ipcx_stream_ops *ops;
	unsigned flags;          /* IPCX_STREAM_* */

	/* The descriptor I/O of ipcx__fd_stream_ops. */
	bool rx_wait_first;      /* the last read found nothing: poll before reading */
	signed char rfd_kind;    /* IPCX_STREAM_BLOCKING: how rfd/wfd are used without */
	signed char wfd_kind;    /* blocking (stream.c); 0 until first use */
	bool sigpipe_ref;        /* holds a reference on the SIGPIPE guard (os/io.h) */

	/* Framing (frame.c). */
	bool broken;             /* a started frame could not be finished: -EPIPE */
	struct ipcx_rxbuf rx;    /* framed receive buffer */
	int poll_fd;             /* what ipcx_pollfd gives out (an epoll set of the
	                          * stream and ready_fd), made on first use; -1 */
	int ready_fd;            /* eventfd readable while rx holds a whole message; -1 */
	bool rx_ready;           /* ready_fd is signalled */
	uint8_t *tx_tail;        /* unsent rest of a frame started by a timeout-0 send */
	size_t tx_tail_len;
	size_t tx_tail_off;
};

/*
 * Make ch a stream channel with the given I/O table and IPCX_STREAM_*
 * flags.  Returns 0 or -ENOMEM.  Calling it again only updates the flags.
 */
int ipcx__stream_open(struct ipcx_chan *ch, const struct ipcx_stream_ops *ops, unsigned flags);

/*
 * The part of every channel the core reads and writes.  A transport's own
 * channel struct embeds it as its first member, and the core allocates
 * t_chan_size bytes for the whole.
 */
struct ipcx_chan {
	const struct ipcx_transport *tp;
	struct ipcx_uri uri;     /* parsed; owned by the channel */
	unsigned flags;          /* IPCX_* flags given by the user */
	int role;                /* IPCX_ROLE_* */
	pid_t opener_pid;        /* detects use in a forked child */

	/* Filled by the transport in c_create/c_join/c_accept/c_pair. */
	int rfd;                 /* descriptor the core polls to receive, or -1 */
	int wfd;                 /* descriptor the core polls to send, or -1 */
	struct ipcx_stream *stream; /* a byte stream the core frames, or NULL */
	bool listening;          /* a socket that only accepts */
	bool may_adopt;          /* set by the core before c_create: no live process
	                          * holds a leftover of this object (its registry
	                          * entry's exclusive lock was taken, or it has none),
	                          * so c_create may adopt one of the same kind.  False:
	                          * an existing object is -EEXIST, never adopted. */
	size_t max;              /* largest message; the core sets it from "max=" before
	                          * c_create/c_join, 0 means "transport's default" */

	/* Owned by the core. */
	enum ipcx_framing framing; /* "framing=", for stream channels */
	unsigned mode;           /* "mode=", default 0600 */
	int wake_fd;             /* eventfd written by ipcx_wake */
	bool pending_intr;       /* a signal came mid-frame: the next wait says -EINTR */
	int linger_ms;           /* "linger=": how long close may finish a frame */
	atomic_uint wake_pending;          /* an ipcx_wake not yet consumed */
	_Atomic uint32_t *_Atomic futex_waiting; /* the word a futex wait sleeps on */
	bool has_peer;           /* peer credentials below are known (SO_PEERCRED) */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
	int registry_fd;         /* registry entry, shared-locked while open; -1 if none */
	char *registry_path;     /* entry to remove when the creator closes */
	char *uri_text;          /* the URI as the user wrote it */
	int last_errno;          /* last raw errno, for diagnostics */
	char errmsg[200];        /* detail of the last failure, for ipcx_errmsg() */
};

/*
 * Record a sentence about the last failure (what the code alone cannot say).
 * ch NULL: the calling thread's sentence for a call that has no channel to
 * hold it (c_check, c_unlink), which ipcx_errmsg(NULL) returns.
 */
void ipcx__set_errmsg(struct ipcx_chan *ch, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Refuse a URI: record "invalid URI: " and the reason for ipcx_errmsg(NULL),
 * and return err (-EINVAL, or -ENAMETOOLONG for a name the mechanism cannot
 * hold), so a check reads `return ipcx__uri_invalid(-EINVAL, "...");`.
 */
int ipcx__uri_invalid(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The thread's sentence for calls with no channel to hold it (err.c):
 * cleared at the start of such a call, tested, or taken from a channel
 * about to be freed. */
void ipcx__errmsg_reset(void);
bool ipcx__errmsg_unset(void);
void ipcx__errmsg_keep(const struct ipcx_chan *ch);

/*
 * The ops table.  `deadline` is an absolute CLOCK_MONOTONIC time from
 * core/deadline.h: IPCX_DEADLINE_NOW never blocks, IPCX_DEADLINE_NEVER waits
 * forever.  Blocking ops wait through ipcx__wait_fd(), which also returns
 * early for ipcx_wake() (-ECANCELED) and, on IPCX_INTERRUPTIBLE channels,
 * signals (-EINTR).  Every op may return -ENOMEM.  Before any op that takes
 * a URI runs, the core has parsed it, checked the scheme, the keys and the
 * common values, and called c_check (last in the table) for the rest, so
 * ipcx_uri_check() and the opening calls refuse the same URIs.
 */
struct ipcx_chan_ops {
	/*
	 * c_create: make the named object and open it as its owner.  The URI is
	 * parsed, its keys checked against t_keys and the whole of it passed
	 * c_check, so what is left to refuse with -EINVAL before creating
	 * anything is what this call alone needs (an address where a pair
	 * needs none).  Sets ch->rfd/wfd/stream/... as they apply.  On failure the
	 * channel must still be releasable by c_close.  Required.
	 * Errors: -EINVAL, -EEXIST, -EADDRINUSE, -EACCES, -ENAMETOOLONG.
	 */
	int (*c_create)(struct ipcx_chan *ch);

	/* c_join: open an existing object.  Same rules as c_create.  Required.
	 * Errors: -EINVAL, -ENOENT, -ECONNREFUSED, -ETIMEDOUT, -EACCES. */
	int (*c_join)(struct ipcx_chan *ch, int64_t deadline);

	/*
	 * c_accept: take a connection from a listening channel into `conn`
	 * (allocated by the core, zeroed but for its base).  Honours the
	 * deadline.  NULL when the transport has no listeners (-ENOTSUP).
	 * Errors: -EAGAIN, -ETIMEDOUT, -ECANCELED, -EINTR.
	 */
	int (*c_accept)(struct ipcx_chan *listener, struct ipcx_chan *conn, int64_t deadline);

	/*
	 * c_send: on a message channel, send the whole message atomically and
	 * return its length.  The core has already checked len against
	 * ch->max.  Stream channels never reach it: the core frames them and
	 * writes through their stream's s_write.  Errors: -EAGAIN/-ETIMEDOUT
	 * (nothing sent), -EPIPE, -EMSGSIZE, -ECANCELED, -EINTR.  Required
	 * unless every channel of the transport is a stream.
	 */
	ssize_t (*c_send)(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
	                  int64_t deadline);

	/*
	 * c_recv: on a message channel, receive one message; a message larger
	 * than cap is -EMSGSIZE and stays queued where the mechanism allows.
	 * info may be NULL.  Stream channels read through s_read.  Required
	 * unless every channel of the transport is a stream.
	 * Errors: IPCX_EOF, -EAGAIN, -ETIMEDOUT, -EMSGSIZE, -ECANCELED, -EINTR.
	 */
	ssize_t (*c_recv)(struct ipcx_chan *ch, void *buf, size_t cap,
	                  struct ipcx_msg_info *info, int64_t deadline);

	/* c_pollfd: readiness descriptor.  NULL means ch->rfd (or -ENOTSUP). */
	int (*c_pollfd)(struct ipcx_chan *ch);

	/* c_wake: extra work for ipcx_wake beyond the core's eventfd (futex
	 * waiters).  May be NULL.  Must be async-signal-safe. */
	void (*c_wake)(struct ipcx_chan *ch);

	/*
	 * c_close: release everything the transport holds; for a creator that
	 * is not kept (`remove` true) also remove the named object, but only if
	 * it is still the one this channel made.  Idempotent; accepts a
	 * half-made channel.  Never fails.  Required.
	 */
	void (*c_close)(struct ipcx_chan *ch, bool remove);

	/* c_unlink: remove the object the parsed URI names.  NULL: -ENOTSUP.
	 * Errors: -ENOENT, -EACCES, -ENOTSOCK, -EINVAL. */
	int (*c_unlink)(const struct ipcx_uri *uri);

	/* c_stat: fill what the transport knows (the core has filled scheme,
	 * role, flags, max, mode).  May be NULL. */
	int (*c_stat)(struct ipcx_chan *ch, struct ipcx_stat *st);

	/* c_pair: make two connected ends.  NULL: -ENOTSUP. */
	int (*c_pair)(struct ipcx_chan *a, struct ipcx_chan *b);

	/*
	 * c_canonical: write the registry identity of the object the URI names
	 * ("fifo:/abs/path"; with an open channel ch, "tcp:127.0.0.1:4000" shows
	 * the bound port) into out.  ch may be NULL: ipcx_unlink, and
	 * ipcx_create before c_create, which registers the name first.  NULL:
	 * the object is not registered (anonymous pipes).  Returns 0, 1 when
	 * this particular URI names nothing to register (a socketpair) or -
	 * without ch - names it only once the object exists (a port the kernel
	 * picks: the core then registers it right after c_create), or
	 * -ENAMETOOLONG.
	 */
	int (*c_canonical)(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out,
	                   size_t outlen);

	/* Zero-copy (the shared-memory rings).  NULL: -ENOTSUP. */
	int (*c_loan)(struct ipcx_chan *ch, size_t len, void **ret_ptr);
	int (*c_commit)(struct ipcx_chan *ch, void *ptr, size_t len);
	ssize_t (*c_borrow)(struct ipcx_chan *ch, const void **ret_ptr, size_t *ret_len,
	                    int64_t deadline);
	int (*c_release)(struct ipcx_chan *ch, const void *ptr);

	/*
	 * c_check: validate the transport's own keys and the address form;
	 * touch nothing (no file, socket, descriptor or registry: it is what
	 * ipcx_uri_check() runs); -EINVAL with a reason.  The core has already
	 * parsed the URI and checked the scheme, "//", that every key is in
	 * t_keys and the values of mode=, max=, framing= and timeout=.  An
	 * empty address reaches c_check only where t_address_optional allows
	 * it (ipcx_pair), and must then be accepted; c_create/c_join refuse it
	 * themselves where they need one.  Give the reason with
	 * ipcx__uri_invalid().  The checks c_create/c_join need call the same
	 * functions, so each rule has one implementation.  NULL: nothing beyond
	 * the core's checks (the planned schemes).
	 * Errors: -EINVAL, -ENAMETOOLONG (an address the mechanism cannot hold).
	 */
	int (*c_check)(const struct ipcx_uri *uri);

	/*
	 * c_peek: map the object the URI names for reading only, whatever
	 * made it, without joining it or touching its registry entry
	 * (ipcx_segment_open: `ipcx dump`).  *ret_unmap(base, len) undoes it.
	 * An empty object is base NULL, len 0.  NULL: -ENOTSUP (nothing to
	 * map).  Errors: -ENOENT, -EACCES, -EINVAL (not a segment).
	 */
	int (*c_peek)(const struct ipcx_uri *uri, void **ret_base, size_t *ret_len,
	              void (**ret_unmap)(void *base, size_t len));

	/*
	 * c_records: call fn for each message still queued in the object the
	 * URI names, read-only, as ipcx_records (ipcx.h) says.  NULL: -ENOTSUP.
	 */
	int (*c_records)(const struct ipcx_uri *uri, ipcx_record_fn fn, void *arg);
};

/*
 * Capability bits (t_caps): the public IPCX_SCHEME_* bits of ipcx.h, which
 * ipcx_scheme_info() reports, plus these the core alone reads.
 */
#define IPCX_CAP_STREAM       IPCX_SCHEME_STREAM
#define IPCX_CAP_MESSAGE      IPCX_SCHEME_MESSAGE
#define IPCX_CAP_BIDIR        IPCX_SCHEME_BIDIR
#define IPCX_CAP_EOF          IPCX_SCHEME_EOF
#define IPCX_CAP_LISTEN       IPCX_SCHEME_LISTEN
#define IPCX_CAP_POLLABLE     IPCX_SCHEME_POLLFD
#define IPCX_CAP_LOAN         IPCX_SCHEME_LOAN
#define IPCX_CAP_PEER_CRED    IPCX_SCHEME_PEER_CRED
#define IPCX_CAP_KEPT         IPCX_SCHEME_KEPT
#define IPCX_CAP_NAMED        IPCX_SCHEME_NAMED
#define IPCX_CAP_PAIR         IPCX_SCHEME_PAIR
#define IPCX_CAP_MANY_RECV    IPCX_SCHEME_MANY_RECV
#define IPCX_CAP_SELF         IPCX_SCHEME_SELF
#define IPCX_CAP_PUBLIC       0x0000ffffu
#define IPCX_CAP_MULTI_WRITER (1u << 24) /* many senders, one stream */
#define IPCX_CAP_FD_PASS      (1u << 25)
#define IPCX_CAP_ADOPT_FDS    (1u << 26) /* joins inherited descriptors: the URI a
                                          * spawned child gets is SCHEME:RFD,WFD */

#define IPCX_TRANSPORT_VERSION 1

struct ipcx_transport {
	const char *t_scheme;         /* "fifo" */
	int t_version;                /* IPCX_TRANSPORT_VERSION; ops are only appended */
	size_t t_chan_size;           /* sizeof the transport's channel struct */
	unsigned t_caps;              /* IPCX_CAP_* */
	const char *const *t_keys;    /* query keys accepted, NULL-terminated;
	                               * "mode", "max", "framing" are checked by the core */
	const struct ipcx_chan_ops *t_ops;
	bool t_address_optional;      /* "pipe:" may have no address */
	bool t_double_slash;          /* "scheme://" is accepted (tcp) */
	bool t_planned;               /* named by DESIGN.md, not built: every op is -ENOTSUP */
	size_t t_default_max;         /* max= when the URI does not say */
	const char *t_summary;        /* "named pipe" (ipcx_scheme_info) */
	const char *t_address;        /* "PATH" */
	const char *t_sample;         /* a private instance: "fifo:{dir}/chan" */
	const char *const *t_variants; /* NULL-terminated queries, or NULL */
};

/* Lookup by scheme (exact match).  NULL if unknown. */
const struct ipcx_transport *ipcx__transport_find(const char *scheme, size_t len);
/* Every transport built in, NULL-terminated. */
extern const struct ipcx_transport *const ipcx__transports[];

/* Core services transports may use (they never call the public API). */

/*
 * Wait until fd is ready for `events` (POLLIN/POLLOUT), the deadline passes
 * (-ETIMEDOUT, or -EAGAIN for IPCX_DEADLINE_NOW), ipcx_wake() is called
 * (-ECANCELED), or - on IPCX_INTERRUPTIBLE channels - a signal arrives
 * (-EINTR).  Returns the revents (> 0) on readiness; POLLHUP/POLLERR count
 * as ready so the next I/O call reports them.
 */
int ipcx__wait_fd(struct ipcx_chan *ch, int fd, short events, int64_t deadline);

/*
 * Whether a message receiver should wait before it tries.  A receive that
 * found nothing last time (a reply not back yet, a receiver faster than its
 * sender) is likely to find nothing now: waiting first saves the doomed
 * try, so a message costs a wait and a receive instead of a try, a wait and
 * a receive.  A message carries no hint that more are queued, so every
 * 16th receive tries first anyway, and one that finds a message goes back
 * to trying first.  Use: if ipcx__rx_wait_first(&a, deadline), wait (and
 * remember it); ipcx__rx_found(&a, waited) on a message, ipcx__rx_empty(&a)
 * before the wait that follows a try that found nothing.
 */
struct ipcx_rx_adapt {
	bool wait_first;
	uint8_t probes;
};

static inline bool
ipcx__rx_wait_first(struct ipcx_rx_adapt *a, int64_t deadline)
{
	return a->wait_first && deadline != IPCX_DEADLINE_NOW && ++a->probes % 16 != 0;
}

static inline void
ipcx__rx_found(struct ipcx_rx_adapt *a, bool waited)
{
	if (!waited)
		a->wait_first = false;
}

static inline void
ipcx__rx_empty(struct ipcx_rx_adapt *a)
{
	a->wait_first = true;
}

/*
 * Sleep while the shared word *word still holds expected, until the
 * deadline.  Returns 0 when the word changed or a wake-up came (the caller
 * rechecks its condition: spurious returns are allowed), -EAGAIN
 * (IPCX_DEADLINE_NOW), -ETIMEDOUT, -ECANCELED (ipcx_wake), -EINTR
 * (IPCX_INTERRUPTIBLE).  The word must be an event counter that anyone may
 * advance: ipcx_wake bumps it to end the wait, so other sleepers on it see
 * a spurious wake-up.  A waker advances it and calls ipcx__futex_wake_all().
 */
int ipcx__wait_futex(struct ipcx_chan *ch, _Atomic uint32_t *word, uint32_t expected,
                     int64_t deadline);
void ipcx__futex_wake_all(_Atomic uint32_t *word);
/* ipcx_wake's half for futex sleepers, after it set wake_pending
 * (async-signal-safe). */
void ipcx__wake_futex_waiter(struct ipcx_chan *ch);

/* Sleep with back-off until the deadline, for mechanisms with nothing to
 * poll (a FIFO with no reader yet).  *step_ms grows to a cap.  Returns 0 to
 * retry, or -ETIMEDOUT/-EAGAIN/-ECANCELED/-EINTR. */
int ipcx__backoff(struct ipcx_chan *ch, int64_t deadline, int *step_ms);

/* Canonical absolute form of a path address: prefix cwd when relative. */
int ipcx__abs_path(const char *path, char *out, size_t outlen);

#endif
