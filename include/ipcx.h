/* SPDX-License-Identifier: MIT */
/*
 * ipcx.h - every Linux IPC mechanism behind one small API.
 *
 * A channel is named by a URI ("fifo:/run/app/in", "unix:@svc",
 * "tcp:127.0.0.1:9000", "pipe:0", ...).  The same calls create it, join it,
 * send and receive whole messages on it, whatever the mechanism.
 *
 * Conventions for every call below:
 *  - Success is 0 or a non-negative count; failure is a negative errno value
 *    (-EAGAIN, -ETIMEDOUT, -EMSGSIZE, -EPIPE, -ENOENT, -EEXIST, -EINVAL,
 *    -EPROTO, -EACCES, -ECANCELED, -ENOTSUP, ...), or IPCX_EOF.  There is no
 *    global error state; errno is not meaningful after a call.
 *  - timeout_ms: -1 waits forever, 0 never blocks (-EAGAIN instead), > 0 is a
 *    deadline on CLOCK_MONOTONIC that is never cut short (-ETIMEDOUT).
 *  - EINTR never escapes and never shortens a deadline, unless the channel was
 *    made with IPCX_INTERRUPTIBLE (then -EINTR is returned).
 *  - No call installs a signal handler or lets SIGPIPE kill the process.
 *    On pipes and FIFOs, where write(2) takes no MSG_NOSIGNAL, a thread's
 *    first pipe write blocks SIGPIPE in that thread (unless the program had
 *    blocked it already), so the guard costs no system call per message.
 *    The block stands while any channel that wrote to a pipe is open: in
 *    that time the thread's own writes to a dead pipe fail with EPIPE, and
 *    a child it starts with fork/exec inherits SIGPIPE blocked (ipcx_spawn
 *    children start with an empty mask).  When the last such channel
 *    closes, the closing thread's mask is restored at once, and every other
 *    thread's at its next ipcx call.  A SIGPIPE an ipcx write provoked is
 *    consumed before the call returns; one the program caused is left
 *    pending.  The disposition is never changed.
 *  - Every descriptor ipcx opens is O_CLOEXEC.  Everything ipcx creates is
 *    mode 0600 unless "mode=" says otherwise, and is created exclusively.
 *  - A channel handle belongs to one thread at a time; only ipcx_wake() may be
 *    called on it from another thread (or from a signal handler).
 *  - Channels do not survive fork(): a child must not use a handle its parent
 *    opened, except to ipcx_close() it (which then releases only the child's
 *    descriptors and never removes the named object).
 *
 * See ipcx(3) and ipcx-<scheme>(7) for the details of each mechanism.
 */
#ifndef IPCX_H
#define IPCX_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h> /* sigset_t: <signal.h> hides it under strict -std=c11 */
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(IPCX_BUILDING) && defined(__GNUC__)
#define IPCX_API __attribute__((visibility("default")))
#else
#define IPCX_API
#endif

#define IPCX_VERSION_MAJOR 0
#define IPCX_VERSION_MINOR 1
#define IPCX_VERSION_PATCH 0
#define IPCX_VERSION_STRING "0.1.0"

/* The channel: opaque, made by ipcx_create/join/accept/pair/spawn. */
typedef struct ipcx_chan ipcx_chan;

/*
 * ipcx's own result codes live far below every errno value, as libuv's do,
 * so they can never be mistaken for one.  IPCX_EOF: every peer has gone and
 * nothing is left to receive.  It is distinct from an empty message (0).
 */
#define IPCX_EOF (-4095)

/* Flags for ipcx_create() and ipcx_join(). */
#define IPCX_EXCL          (1u << 0) /* create: fail with -EEXIST if the object exists */
#define IPCX_KEEP          (1u << 1) /* create: ipcx_close() leaves the object in place */
#define IPCX_INTERRUPTIBLE (1u << 2) /* a signal ends a blocked call with -EINTR */

/* What the mechanism knows about one received message (ipcx_recv_info). */
#define IPCX_INFO_PID   (1u << 0) /* pid is the sender's process id */
#define IPCX_INFO_UID   (1u << 1) /* uid and gid are the sender's */
#define IPCX_INFO_PRIO  (1u << 2) /* prio is valid (mq:) */
#define IPCX_INFO_MTYPE (1u << 3) /* mtype is valid (sysvmq:) */
#define IPCX_INFO_SIGNO (1u << 4) /* signo and code are valid (signal:) */

struct ipcx_msg_info {
	unsigned fields; /* IPCX_INFO_* bits saying which members are valid */
	pid_t pid;       /* sending process */
	uid_t uid;       /* sending user */
	gid_t gid;       /* sending group */
	unsigned prio;   /* POSIX mq priority */
	long mtype;      /* System V message type */
	int signo;       /* signal number */
	int code;        /* si_code: how the signal was sent (SI_QUEUE, ...) */
	uint32_t reserved[8];
};

/* Roles a channel can have (ipcx_stat().role). */
#define IPCX_ROLE_CREATOR  1 /* made by ipcx_create(): owns the named object */
#define IPCX_ROLE_JOINER   2 /* made by ipcx_join() */
#define IPCX_ROLE_ACCEPTED 3 /* made by ipcx_accept() */
#define IPCX_ROLE_PAIR     4 /* one end of ipcx_pair() or ipcx_spawn() */

#define IPCX_URI_MAX 4200 /* a path of PATH_MAX bytes plus scheme and query */

struct ipcx_stat {
	char scheme[16];       /* "fifo", "unix", ... */
	char uri[IPCX_URI_MAX]; /* canonical address; a tcp port 0 shows the bound port */
	int role;              /* IPCX_ROLE_* */
	unsigned flags;        /* the IPCX_* flags the channel was opened with */
	unsigned mode;         /* permission bits of the named object, or 0 */
	int listening;         /* 1 for a socket channel that only accepts */
	size_t max_msg;        /* largest message this channel sends or receives */
	long queued;           /* messages or bytes waiting (queued_unit), -1 if unknown */
	int queued_unit;       /* 0 = messages, 1 = bytes */
	uid_t owner_uid;       /* owner of the named object (when has_owner) */
	int has_owner;
	pid_t peer_pid;        /* the connected peer (when has_peer) */
	uid_t peer_uid;
	gid_t peer_gid;
	int has_peer;
	int receiver;          /* 1: a receiver holds the channel now (fifo:), 0: none,
	                        * -1: not known to the mechanism */
	pid_t receiver_pid;    /* that receiver, when receiver is 1 and known; else 0 */
	/* A log (file:), when has_log is 1: */
	int has_log;
	uint64_t queued_bytes; /* bytes from the read position to the last record */
	uint64_t read_pos;     /* offset of the first record not yet consumed */
	uint64_t log_bytes;    /* the file's size now */
	int64_t oldest_ns;     /* when the oldest queued message was sent (CLOCK_REALTIME
	                        * ns since the epoch); 0: none queued */
	char sync[8];          /* this handle's durability: "none", "batch", "always" */
	uint64_t log_limit;    /* the largest the file may grow (size=) */
	/* A queue (mq:, sysvmq:): */
	int capacity_unit;     /* of capacity: 0 = messages, 1 = bytes */
	long capacity;         /* the most the object holds (mq: maxmsg, sysvmq:
	                        * msg_qbytes), -1 if unknown */
	pid_t last_sender_pid; /* the last process that sent / received, where the */
	pid_t last_receiver_pid; /* kernel keeps them (sysvmq:); else 0 */
	uint32_t reserved[2];
};

/*
 * ipcx_create - make the named object URI names, and open it as its owner.
 * Returns 0 and sets *ret_ch, or: -EINVAL (bad URI or flags), -EEXIST (it
 * exists and IPCX_EXCL was given, or it exists but is not an ipcx object of
 * the same kind), -EADDRINUSE (a live server holds the socket),
 * -EACCES/-EPERM, -ENAMETOOLONG, -ENOTSUP (scheme not built or create makes
 * no sense for it, e.g. "pipe:").  Without IPCX_EXCL a leftover of the same
 * kind is adopted and a stale socket file of a dead server replaced.
 */
IPCX_API int ipcx_create(ipcx_chan **ret_ch, const char *uri, unsigned flags);

/*
 * ipcx_uri_check - is uri one that ipcx_create/ipcx_join could accept as
 * written?  Checks everything those calls check before they touch anything:
 * the syntax, a known scheme, "//" (tcp: only), that every key is one the
 * scheme takes, every value in range, and the scheme's own address form
 * (a unix: path that fits sun_path, tcp:HOST:PORT, pipe:FD or pipe:RFD,WFD).
 * Creates, opens and looks up nothing, so it says nothing of whether the
 * object exists.  An empty address passes where ipcx_pair takes one
 * ("pipe:", "unix:?type=dgram"); a valid URI of a scheme not built yet
 * passes too (opening it is then -ENOTSUP).  Returns 0, or -EINVAL, or
 * -ENAMETOOLONG (an address the mechanism cannot hold, as ipcx_create would
 * say), or -ENOMEM; on failure ipcx_errmsg(NULL) says why ("invalid URI:
 * unknown key 'foo' for fifo:").
 */
IPCX_API int ipcx_uri_check(const char *uri);

/*
 * ipcx_join - open an existing channel.  For sockets this connects.
 * Returns 0 and sets *ret_ch, or -EINVAL, -ENOENT (no such object),
 * -ECONNREFUSED (nobody listens), -ETIMEDOUT (tcp connect), -EACCES, -ENOTSUP.
 */
IPCX_API int ipcx_join(ipcx_chan **ret_ch, const char *uri, unsigned flags);

/*
 * ipcx_accept - take the next connection on a listening socket channel
 * (unix: stream/seqpacket, tcp:).  Connections from users refused by
 * "allow_uid=" are closed and skipped.  Returns 0 and sets *ret_ch, or
 * -EAGAIN, -ETIMEDOUT, -ECANCELED, -EINTR, -ENOTSUP (not a listener).
 */
IPCX_API int ipcx_accept(ipcx_chan *listener, ipcx_chan **ret_ch, int timeout_ms);

/*
 * ipcx_send - send one whole message of len bytes (0 is allowed).  Once a
 * frame's first byte is out, only the deadline can end it: an ipcx_wake()
 * or a signal that comes later is kept, the frame finished, and the next
 * call that would block answers -ECANCELED (or -EINTR).  With timeout 0 a
 * frame that could only be started is accepted (0): the channel sends its
 * rest before any later message, on ipcx_flush(), or in ipcx_close().
 * Returns 0, or -EMSGSIZE (len above the channel's max; nothing sent),
 * -EINVAL (framing=line and buf holds '\n'), -EAGAIN, -ETIMEDOUT (nothing
 * was sent), -EPIPE (no receiver can ever read it, or a started frame could
 * not be finished before the deadline: the channel is then broken and every
 * later send also fails), -ECANCELED, -EINTR, -ENOTCONN (a listener).
 */
IPCX_API int ipcx_send(ipcx_chan *ch, const void *buf, size_t len, int timeout_ms);

/*
 * ipcx_recv - receive one whole message into buf (cap bytes).
 * Returns its length (0 for an empty message), or IPCX_EOF (every peer has
 * gone; only where the mechanism can know), -EMSGSIZE (the message is larger
 * than cap; it stays queued where the mechanism can keep it), -EPROTO (the
 * peer broke the framing; a connection is dropped, a FIFO flushed), -EAGAIN,
 * -ETIMEDOUT, -ECANCELED, -EINTR, -ENOTCONN (a listener).  On failure the
 * contents of buf are undefined: a stream receive reads straight into it
 * and keeps what it read, for the next call, inside the channel.
 */
IPCX_API ssize_t ipcx_recv(ipcx_chan *ch, void *buf, size_t cap, int timeout_ms);

/* ipcx_recv_info - ipcx_recv(), and fill *info with what is known of it. */
IPCX_API ssize_t ipcx_recv_info(ipcx_chan *ch, void *buf, size_t cap,
                                struct ipcx_msg_info *info, int timeout_ms);

/*
 * ipcx_pollfd - a descriptor that poll/epoll reports readable when a message
 * may be waiting (a hint: a receive with timeout 0 may still say -EAGAIN).
 * On a listener it is readable when a connection waits.  Owned by the
 * channel: do not close it.  Returns the descriptor or -ENOTSUP.
 */
IPCX_API int ipcx_pollfd(ipcx_chan *ch);

/*
 * ipcx_wake - make the call blocked on ch return -ECANCELED; if none is
 * blocked, the next call that would block on ch does.  Safe from any thread
 * and from a signal handler.  Returns 0 or -EINVAL.
 */
IPCX_API int ipcx_wake(ipcx_chan *ch);

/* ipcx_stat - describe the channel.  Returns 0 or -EINVAL. */
IPCX_API int ipcx_stat(ipcx_chan *ch, struct ipcx_stat *st);

/*
 * ipcx_close - release the channel and every descriptor it holds.  A creating
 * handle also removes the named object unless it was made with IPCX_KEEP (or
 * the scheme keeps its objects: file:).  The rest of a frame a timeout-0
 * send left pending is finished first, for up to "linger=" milliseconds
 * (default 2000); if it cannot be, close returns -ETIMEDOUT (linger ran
 * out) or -EPIPE (the peer went away first), and the peer sees the stream
 * end inside that message.  ch may be NULL.  Returns 0, -ETIMEDOUT or
 * -EPIPE; the handle is always freed.
 */
IPCX_API int ipcx_close(ipcx_chan *ch);

/*
 * ipcx_unlink - remove the named object URI names, and its registry entry.
 * Returns 0, or -ENOENT, -EINVAL, -EACCES, -ENOTSOCK (a unix: path that is
 * not a socket), -ENOTSUP (nothing to remove for this scheme).
 */
IPCX_API int ipcx_unlink(const char *uri);

/*
 * ipcx_pair - two connected ends: "pipe:" (two pipes, one per direction) or
 * "unix:?type=stream|seqpacket|dgram" (a socketpair).  Returns 0, -EINVAL,
 * -EMFILE, -ENOTSUP.
 */
IPCX_API int ipcx_pair(const char *uri, ipcx_chan **ret_a, ipcx_chan **ret_b);

/*
 * ipcx_spawn - run argv[0] (searched in PATH) with a channel to it: uri is
 * "pipe:" (two pipes) or "unix:" (a stream socketpair).
 * The child finds its end as IPCX_CHANNEL=pipe:R,W in its environment and
 * starts with an empty signal mask.  Returns 0 and sets *ret_ch and
 * *ret_pid (the caller reaps it), or -EINVAL, -ENOENT, -ENOTSUP.
 */
IPCX_API int ipcx_spawn(char *const argv[], const char *uri, ipcx_chan **ret_ch,
                        pid_t *ret_pid);

/*
 * ipcx_signal_block - block the signals in set in the calling thread, so that
 * threads started afterwards inherit the mask ("signal:self").  Returns 0 or
 * -EINVAL.
 */
IPCX_API int ipcx_signal_block(const sigset_t *set);

/*
 * ipcx_loan / ipcx_commit - zero-copy send: borrow room for a message of up
 * to len bytes inside the channel, fill it, then commit.  The shared-memory
 * rings lend their slots; every other transport answers -ENOTSUP.
 */
IPCX_API int ipcx_loan(ipcx_chan *ch, size_t len, void **ret_ptr);
IPCX_API int ipcx_commit(ipcx_chan *ch, void *ptr, size_t len);

/*
 * ipcx_recv_borrow / ipcx_release - zero-copy receive: look at the next
 * message in place, then give it back.  Returns the length, or the errors of
 * ipcx_recv(); -ENOTSUP on transports other than the shared-memory rings and
 * file:, which borrows with one copy: the message is claimed, not consumed,
 * until ipcx_release (a borrower that dies gives it back), and a second
 * borrow before the release is -EBUSY.
 */
IPCX_API ssize_t ipcx_recv_borrow(ipcx_chan *ch, const void **ret_ptr, size_t *ret_len,
                                  int timeout_ms);
IPCX_API int ipcx_release(ipcx_chan *ch, const void *ptr);

/*
 * ipcx_strerror / ipcx_errname - a sentence and a symbolic name ("EPIPE",
 * "IPCX_EOF") for any result code.  Never NULL; thread-safe.
 */
IPCX_API const char *ipcx_strerror(int err);
IPCX_API const char *ipcx_errname(int err);

/*
 * ipcx_errmsg - a sentence about the last failure on ch that the result code
 * alone cannot say ("frame length 4294967295 exceeds max=16777216; is the
 * peer using framing=line or raw?"), or "".  Valid until the next call on ch.
 * ipcx_errmsg(NULL) says the same of the calling thread's last call of
 * ipcx_create(), ipcx_join(), ipcx_pair(), ipcx_unlink() or ipcx_uri_check()
 * ("a live server holds /run/app.sock"); each of them clears it first.  A
 * refused URI reads "invalid URI: " and the reason ("invalid URI: a '%' must
 * be followed by two hex digits").
 */
IPCX_API const char *ipcx_errmsg(ipcx_chan *ch);

/*
 * What a built transport is and can do (ipcx_scheme_info().caps).  These are
 * properties of the mechanism, the same for every URI of the scheme, except
 * where a key selects a variant (unix: type=dgram keeps boundaries and has
 * no EOF; the variants list names such keys).
 */
#define IPCX_SCHEME_STREAM     (1u << 0)  /* a byte stream ipcx frames: framing= applies */
#define IPCX_SCHEME_MESSAGE    (1u << 1)  /* the mechanism keeps message boundaries itself */
#define IPCX_SCHEME_BIDIR      (1u << 2)  /* both ends of one channel send and receive */
#define IPCX_SCHEME_EOF        (1u << 3)  /* a receiver learns that every peer has gone */
#define IPCX_SCHEME_LISTEN     (1u << 4)  /* create listens, join connects, ipcx_accept */
#define IPCX_SCHEME_POLLFD     (1u << 5)  /* ipcx_pollfd gives a descriptor */
#define IPCX_SCHEME_LOAN       (1u << 6)  /* zero-copy loan/borrow in place */
#define IPCX_SCHEME_PEER_CRED  (1u << 7)  /* knows the sending peer's pid/uid */
#define IPCX_SCHEME_KEPT       (1u << 8)  /* objects outlive ipcx_close by default */
#define IPCX_SCHEME_NAMED      (1u << 9)  /* a named object that exists without any process:
                                           * `ipcx create` and `ipcx rm` apply to it */
#define IPCX_SCHEME_PAIR       (1u << 10) /* ipcx_pair makes two connected ends */
#define IPCX_SCHEME_MANY_RECV  (1u << 11) /* several receivers may share one object, each
                                           * message going to one of them */
#define IPCX_SCHEME_ADDRESS_OPTIONAL (1u << 12) /* an empty address is valid (ipcx_pair) */
#define IPCX_SCHEME_SEGMENT    (1u << 13) /* its objects are shared-memory segments
                                           * ipcx_segment_open can show */
#define IPCX_SCHEME_RECORDS    (1u << 14) /* its queued messages can be listed without
                                           * taking them: ipcx_records */
#define IPCX_SCHEME_SELF       (1u << 15) /* a receiver is the process itself, which
                                           * senders reach as SCHEME:PID (signal:self) */

struct ipcx_scheme_info {
	char scheme[16];            /* "fifo" */
	const char *summary;        /* "named pipe" */
	const char *address;        /* the address form, for help texts: "PATH" */
	/*
	 * A URI template that opens a private instance of this scheme, for
	 * tools and test suites that exercise every transport: "{dir}" stands
	 * for a fresh directory the caller owns, "{id}" for a token unique to
	 * the caller (letters, digits, '-').  NULL: no private instance can be
	 * made by URI alone (pipe: is made by ipcx_pair).
	 */
	const char *sample;
	/* Queries that select distinct behaviours worth trying each
	 * ("type=seqpacket"), NULL-terminated; never NULL itself. */
	const char *const *variants;
	unsigned caps;              /* IPCX_SCHEME_* */
	size_t default_max;         /* the largest message when max= is not given */
	uint32_t reserved[8];
};

/*
 * ipcx_schemes - the schemes of every transport built into this library,
 * NULL-terminated, in a fixed order.  Never NULL; the strings are static.
 */
IPCX_API const char *const *ipcx_schemes(void);

/*
 * ipcx_scheme_info - describe the transport for scheme ("fifo", no colon).
 * Returns 0, -ENOTSUP (a scheme DESIGN names that is not built yet), or
 * -EINVAL (not a scheme, or info NULL).
 */
IPCX_API int ipcx_scheme_info(const char *scheme, struct ipcx_scheme_info *info);

/*
 * ipcx_flush - finish sending the rest of a frame that a timeout-0 send
 * started and could not complete.  Returns 0 once nothing is pending, or
 * -EAGAIN/-ETIMEDOUT (some is still pending), -EPIPE (the channel broke),
 * -ECANCELED, -EINTR.
 */
IPCX_API int ipcx_flush(ipcx_chan *ch, int timeout_ms);

/*
 * The registry: one entry per named object ipcx created for this user
 * (DESIGN.md), and who still uses it - what `ipcx ls`, `ipcx rm --stale` and
 * `ipcx stat` show.  Read-only except ipcx_unlink_stale.
 */
struct ipcx_object {
	char uri[IPCX_URI_MAX];  /* canonical URI */
	char scheme[16];
	pid_t creator_pid;
	uint64_t creator_start;  /* the creator's start time: clock ticks after boot
	                          * (field 22 of /proc/PID/stat) */
	int creator_alive;       /* 1 running; 0 provably gone (a reused pid is gone);
	                          * -1 cannot be told (no /proc) */
	uid_t uid;               /* the creator's user */
	int kept;                /* stays until removed (ipcx create, file:, IPCX_KEEP) */
	int64_t created;         /* seconds since the epoch */
	int holders;             /* handles that have it open now, each holding a lock
	                          * on the entry (the creator's included); -1 unknown */
	int in_use;              /* 1: some handle holds it; 0: none */
	int stale;               /* not kept, creator gone, no handle: ipcx_unlink_stale
	                          * would remove it */
	uint32_t reserved[16];
};

typedef int (*ipcx_object_fn)(const struct ipcx_object *obj, void *arg);

/*
 * ipcx_objects - call fn for each object in the registry, in no fixed order.
 * An entry being written while the walk reads it may be skipped.  fn
 * returning non-zero ends the walk with that value.  Returns 0, fn's value,
 * or -errno when the registry is unusable (-ENOTDIR, -EPERM: not a private
 * directory; ipcx_errmsg(NULL) names it).  No registry yet: no objects, 0.
 */
IPCX_API int ipcx_objects(ipcx_object_fn fn, void *arg);

/*
 * ipcx_object - the registry's entry for uri, written as for ipcx_create
 * (it is canonicalised: a relative path is resolved).  Opens nothing of the
 * object, and takes no lock.  Returns 0, -ENOENT (no entry: not made by
 * ipcx, by another user, or already removed), -EINVAL (bad URI).
 */
IPCX_API int ipcx_object(const char *uri, struct ipcx_object *obj);

/*
 * ipcx_unlink_stale - remove uri's object and its entry, only while holding
 * the entry's exclusive lock and only if it is stale then: not kept, its
 * creator provably gone, no handle holding it.  Returns 0 (removed; an
 * object already gone counts), -EBUSY (not stale: ipcx_errmsg(NULL) says
 * why), -ENOENT (no entry), -EINVAL, or what removing the object said.
 */
IPCX_API int ipcx_unlink_stale(const char *uri);

/*
 * Shared-memory segments, read-only (what `ipcx dump` shows).
 * ipcx_segment_open maps the object a shm: or sysvshm: URI names - an ipcx
 * ring or any program's segment - for reading only: it joins nothing,
 * registers nothing and writes nothing.  Returns 0, -ENOENT, -EACCES,
 * -EINVAL (bad URI, or not a segment: ipcx_errmsg(NULL) says what is
 * there), -ENOTSUP (the scheme has no segment to show).
 */
typedef struct ipcx_segment ipcx_segment;
IPCX_API int ipcx_segment_open(ipcx_segment **ret_seg, const char *uri);
/* The mapped bytes (NULL for an empty object) and their number. */
IPCX_API const void *ipcx_segment_data(const ipcx_segment *seg, size_t *ret_len);
IPCX_API void ipcx_segment_close(ipcx_segment *seg);

/* One participant of a ring: a handle that sent, received or polled. */
struct ipcx_ring_part_view {
	unsigned index;          /* 1..127, what a slot's owner names */
	pid_t pid;
	uint64_t start_time;     /* clock ticks after boot */
	int status;              /* 1 active, 2 being recovered */
	int alive;               /* 1 alive, 0 provably dead, -1 cannot be told */
	unsigned held;           /* slots it holds while reading */
	int polls;               /* it waits through a poll descriptor */
};
/* A ring's header and participants, as one snapshot read without locks. */
struct ipcx_ring_view {
	uint32_t slots;
	uint64_t slot_size;
	uint64_t head, tail;     /* positions: tail - head messages are in flight */
	unsigned by_state[8];    /* slots in each IPCX_SLOT_* state */
	unsigned nparts;
	struct ipcx_ring_part_view parts[127];
	uint32_t reserved[16];
};
#define IPCX_SLOT_FREE     0 /* empty, for the sender of its position */
#define IPCX_SLOT_WRITING  1 /* claimed by a sender (owner), being filled */
#define IPCX_SLOT_SKIPPED  2 /* still being filled; receivers went past it */
#define IPCX_SLOT_READY    3 /* published, at or ahead of the head */
#define IPCX_SLOT_READING  4 /* taken by a receiver (owner) */
#define IPCX_SLOT_REQUEUED 5 /* published, behind the head: any receiver may take it */
struct ipcx_ring_slot_view {
	uint64_t position;
	unsigned state;          /* IPCX_SLOT_* */
	unsigned owner;          /* participant index holding it, 0: none */
	uint32_t len;            /* message length, from READY on */
	uint64_t data_off;       /* where its payload starts in the segment */
};
/*
 * ipcx_segment_ring - decode the segment as an ipcx ring.  Returns 0, or
 * -EPROTO when it is not one (ipcx_errmsg(NULL) says why).
 * ipcx_segment_slot - slot index (0..slots-1) of that ring.
 */
IPCX_API int ipcx_segment_ring(const ipcx_segment *seg, struct ipcx_ring_view *out);
IPCX_API int ipcx_segment_slot(const ipcx_segment *seg, uint32_t index,
                               struct ipcx_ring_slot_view *out);

/*
 * Queued messages, read-only (what `ipcx dump file:PATH` lists).
 * ipcx_records calls fn for each message the object URI names holds that a
 * receive could still take, oldest first, and for each corrupt stretch a
 * receive would report: it joins nothing, registers nothing, takes no lock
 * and writes nothing (a log is read as a snapshot, as any reader of
 * docs/wire-format.md may).  data is valid only during the call.  fn
 * returning non-zero ends the walk with that value.  Returns 0, fn's value,
 * or -ENOENT, -EACCES, -ELOOP (a symbolic link), -EPROTO (not a log, or a
 * corrupt header: ipcx_errmsg(NULL) says why), -EINVAL, -ENOTSUP (the
 * scheme keeps no records to list).
 */
struct ipcx_record_view {
	uint64_t seq;            /* the record's sequence number */
	uint64_t offset;         /* where it starts in the file */
	int64_t sent_ns;         /* when it was sent, CLOCK_REALTIME ns since the epoch */
	size_t len;              /* payload bytes; for a corrupt stretch, its length */
	const void *data;        /* the payload; NULL for a corrupt stretch */
	int state;               /* IPCX_RECORD_* */
	uint32_t reserved[8];
};
#define IPCX_RECORD_QUEUED   0 /* waiting for a receiver */
#define IPCX_RECORD_BORROWED 1 /* claimed by a live borrower, not yet released */
#define IPCX_RECORD_CORRUPT  2 /* bytes a receive reports as -EPROTO and skips */
typedef int (*ipcx_record_fn)(const struct ipcx_record_view *rec, void *arg);
IPCX_API int ipcx_records(const char *uri, ipcx_record_fn fn, void *arg);

/* ipcx_version - the library's version string, e.g. "0.1.0". */
IPCX_API const char *ipcx_version(void);

#ifdef __cplusplus
}
#endif
#endif /* IPCX_H */
