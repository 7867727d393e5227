/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the shared-memory ring both shm backings share (shm:, sysvshm:).
 *
 * A ring is one mapping: a header (magic, layout version, geometry, the
 * head and tail positions, the futex words), a table of participants (the
 * processes' handles, each named by pid and start time) and `slots` slots
 * of `slot_size` payload bytes.  Many senders and many receivers share it;
 * every message goes to one receiver; per-sender order is kept.  The
 * protocol - the states of a slot, who may move it, what recovery proves -
 * is written down in docs/shm-ring.md; the comments here say where each
 * step of it lives.
 *
 * Nothing read from the mapping is trusted: the geometry is copied out and
 * checked once at attach, and every index, position, length and owner read
 * later is validated before use, so a process scribbling over the mapping
 * can make calls fail with -EPROTO but never make this one read or write
 * outside it, crash or spin forever.
 *
 * The transports (src/transport/shm.c, sysvshm.c) make the mapping; the
 * channel layer at the end of this header (shm_chan.c) is what both put in
 * their ops tables.
 */
#ifndef IPCX_SHM_RING_H
#define IPCX_SHM_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/transport.h"

#define IPCX_RING_MAGIC 0x31474e5258435049ull /* "IPCXRNG1" little-endian */
#define IPCX_RING_VERSION 1u

#define IPCX_RING_DEFAULT_SLOTS 256u
#define IPCX_RING_DEFAULT_SLOT_SIZE ((uint64_t)4096)
#define IPCX_RING_MIN_SLOTS 2u
#define IPCX_RING_MAX_SLOTS (1u << 20)
#define IPCX_RING_MAX_SLOT_SIZE ((uint64_t)1 << 30)
#define IPCX_RING_MAX_BYTES ((uint64_t)1 << 36) /* 64 GiB of mapping at most */
#define IPCX_RING_PARTS 127u   /* participants: the owner field of a slot has 7 bits */
#define IPCX_RING_MAX_BORROWS 16u /* messages one handle may hold borrowed at once */
#define IPCX_RING_DEFAULT_SPIN 50 /* microseconds a blocked call spins before sleeping */
#define IPCX_RING_MAX_SPIN 10000000 /* spin=: ten seconds */

struct ipcx_ring_geom {
	uint32_t slots;     /* a power of two */
	uint64_t slot_size; /* payload bytes per slot: the largest message */
};

/* Bytes of mapping a ring of this geometry needs, 0 if the geometry is out
 * of range (then *why, if why is not NULL, says how). */
uint64_t ipcx__ring_bytes(const struct ipcx_ring_geom *g, const char **why);

/*
 * Write a fresh ring into base (len bytes, zero-filled, at least
 * ipcx__ring_bytes()): every slot free, no participant.  The magic is
 * stored last, with release order, so a process that sees it sees the
 * rest.  ring_id names the ring's doorbells; any random value.
 */
void ipcx__ring_format(void *base, const struct ipcx_ring_geom *g, uint64_t ring_id);

/*
 * Read and check the header of a mapping of len bytes: the magic, the
 * layout version, that every offset and size follows from the geometry and
 * fits in len.  Returns 0 and the geometry, -ENOENT when the magic is not
 * (yet) there - not a ring, or one still being made - or -EPROTO when the
 * header is a ring's but inconsistent; *why says what.
 */
int ipcx__ring_check(const void *base, size_t len, struct ipcx_ring_geom *ret_geom,
                     const char **why);

/*
 * The header's creator word: a formatter first claims it (0 -> its
 * identity) so two processes never format one segment together.  Used by
 * sysvshm:, whose segments appear before they are formatted.
 */
int ipcx__ring_claim_format(void *base, size_t len);

/*
 * Crash points: places in the protocol where a test can make this process
 * die (SIGKILL) or stop (SIGSTOP), to prove the others carry on.  A test
 * sets ipcx__ring_crash (the static library exposes it) in the process it
 * will kill; the point fires on its `countdown`-th pass (1 = the first).
 * Production code never sets it: the check is one relaxed load.
 */
enum ipcx_ring_point {
	IPCX_RP_NONE = 0,
	IPCX_RP_CLAIMED,  /* a sender claimed a slot, the tail not yet moved */
	IPCX_RP_COPY,     /* a sender wrote half of its message into the slot */
	IPCX_RP_PUBLISH,  /* a sender wrote all of it, not yet published */
	IPCX_RP_TAKEN,    /* a receiver claimed a message, the head not yet moved */
	IPCX_RP_READ,     /* a receiver copied half of the message out */
	IPCX_RP_RELEASE,  /* a receiver has the whole message, the slot not yet freed */
	IPCX_RP_SLEEP,    /* a blocked call said it sleeps, not yet asleep */
	IPCX_RP_BELL,     /* a sender is about to ring a poller's doorbell */
	IPCX_RP_REAP,     /* a survivor started recovering a dead participant */
	IPCX_RP_SKIP,     /* a receiver marked a stalled sender's slot skipped */
	IPCX_RP_COUNT
};

struct ipcx_ring_crash {
	_Atomic int point;     /* enum ipcx_ring_point */
	_Atomic int countdown; /* passes left before it fires */
	int signo;             /* SIGKILL or SIGSTOP */
};
extern struct ipcx_ring_crash ipcx__ring_crash;

struct ring_hdr;
struct ring_part;

/* One handle's view of a ring.  Owned by one thread at a time (the
 * channel's), like the channel. */
struct ipcx_ring {
	struct ipcx_chan *ch;     /* for waits, wake-ups and errmsg */
	uint8_t *base;
	size_t len;
	struct ring_hdr *hdr;
	struct ring_part *parts;
	uint8_t *slots;
	/* The geometry, copied and checked at attach: never re-read. */
	uint64_t nslots, mask, stride, cap;
	uint64_t ring_id;
	int spin_us;              /* -1 never sleeps, 0 sleeps at once */
	/* This handle as a participant (registered on first use). */
	unsigned me;              /* index in the table, 0 = not registered */
	unsigned tag;             /* index | generation << 7: the owner field */
	uint64_t my_id;           /* the participant word it owns */
	pid_t pid;                /* the process that registered (fork check) */
	uint32_t held;            /* slots held in READING (mirrors parts[me].held) */
	/* Zero-copy. */
	bool loaned;
	uint64_t loan_pos;
	size_t loan_len;
	uint64_t borrow[IPCX_RING_MAX_BORROWS];
	unsigned nborrow;
	uint32_t requeue_seen;    /* requeue_seq when a scan last found nothing */
	/* Doorbell (ipcx_pollfd). */
	int bell_fd;              /* this handle's doorbell socket, -1 */
	int ring_fd;              /* unbound socket that rings the others', -1 */
	/* When each participant's liveness was last looked at (ns), so a
	 * blocked call reads /proc at a bounded rate. */
	int64_t checked[IPCX_RING_PARTS + 1];
};

/*
 * Attach to a mapping that ipcx__ring_check() accepted: copy its geometry.
 * Registers nothing yet: a handle becomes a participant on its first send,
 * receive, loan, borrow or pollfd, so ipcx_stat can join a ring without
 * taking a place in it.
 */
void ipcx__ring_attach(struct ipcx_ring *r, struct ipcx_chan *ch, void *base, size_t len,
                       int spin_us);

/* Give back what this handle holds (a loan unsent, borrows unreleased: they
 * are delivered again) and its place in the table.  A process that forked
 * its parent's handle releases nothing: the place is the parent's. */
void ipcx__ring_detach(struct ipcx_ring *r);

ssize_t ipcx__ring_send(struct ipcx_ring *r, const struct iovec *iov, int iovcnt,
                        int64_t deadline);
ssize_t ipcx__ring_recv(struct ipcx_ring *r, void *buf, size_t cap, int64_t deadline);
int ipcx__ring_loan(struct ipcx_ring *r, size_t len, void **ret_ptr);
int ipcx__ring_commit(struct ipcx_ring *r, void *ptr, size_t len);
ssize_t ipcx__ring_borrow(struct ipcx_ring *r, const void **ret_ptr, size_t *ret_len,
                          int64_t deadline);
int ipcx__ring_release(struct ipcx_ring *r, const void *ptr);
int ipcx__ring_pollfd(struct ipcx_ring *r);

/* Messages waiting (tail - head, within 0..slots), a snapshot. */
long ipcx__ring_queued(const struct ipcx_ring *r);

/*
 * A read-only decoding of a ring for tools (ipcx stat, ipcx dump): never
 * registers, never writes.  Returns the number of participants filled.
 */
struct ipcx_ring_part_info {
	unsigned index;
	pid_t pid;
	uint64_t start_time;
	int status;   /* 1 active, 2 being recovered */
	int alive;    /* 1 alive, 0 provably dead, -1 unknown */
	unsigned held;
	bool polls;
};
struct ipcx_ring_info {
	struct ipcx_ring_geom geom;
	uint64_t head, tail;
	unsigned slots_by_state[8];
	unsigned nparts;
	struct ipcx_ring_part_info parts[IPCX_RING_PARTS];
};
int ipcx__ring_describe(const void *base, size_t len, struct ipcx_ring_info *out);

/* Slot i (0 .. slots-1) of a ring ipcx__ring_check() accepted, read-only:
 * its position, state (0 FREE .. 5 REQUEUED, docs/shm-ring.md), the
 * participant index that holds it (0: none), the length of the message it
 * holds (from READY on; capped at slot_size) and where the payload starts
 * in the mapping.  Returns 0, or -EINVAL for an index outside the ring. */
struct ipcx_ring_slot_info {
	uint64_t position;
	unsigned state, owner;
	uint32_t len;
	uint64_t data_off;
};
int ipcx__ring_slot(const void *base, size_t len, uint64_t i, struct ipcx_ring_slot_info *out);

/* ---- the channel layer both backings share (shm_chan.c) ---------------- */

/* Where a ring's mapping came from: one mapping per object per process,
 * shared by every handle on it (so threads on one ring share one mapping,
 * which is also how ThreadSanitizer sees them). */
struct ipcx_shm_map;

struct ipcx_shm_chan {
	struct ipcx_chan base;
	struct ipcx_ring ring;
	struct ipcx_shm_map *map;
	struct ipcx_ring_geom geom; /* what the URI asks for (defaults filled) */
	bool geom_given;            /* slots= or slot_size= (or max=) was written */
	int spin_us;
	bool made;                  /* this handle made (or adopted) the object */
	/* shm: */
	char name[256];             /* without the leading '/' */
	dev_t dev;
	ino_t ino;
	/* sysvshm: */
	key_t key;
	int shmid;
};

/* The keys both backings take, and their check (c_check calls it). */
extern const char *const ipcx__shm_keys[];
int ipcx__shm_query_check(const struct ipcx_uri *uri, struct ipcx_ring_geom *ret_geom,
                          bool *ret_given, int *ret_spin);

/* The process-wide mapping table.  map_find takes a reference to an
 * existing mapping of (kind, id1, id2); map_add records a new one (taking
 * ownership of base: unmapped with unmap() when the last reference goes). */
struct ipcx_shm_map *ipcx__shm_map_find(int kind, uint64_t id1, uint64_t id2);
struct ipcx_shm_map *ipcx__shm_map_add(int kind, uint64_t id1, uint64_t id2, void *base,
                                       size_t len, void (*unmap)(void *base, size_t len));
void ipcx__shm_map_put(struct ipcx_shm_map *m);
void *ipcx__shm_map_base(const struct ipcx_shm_map *m);
size_t ipcx__shm_map_len(const struct ipcx_shm_map *m);

/*
 * Finish an open on a mapping: check the header against what the URI
 * asked for (a create with another geometry is -EEXIST, a join -EINVAL),
 * then attach.  Sets ch->max.  Takes the map reference.
 */
int ipcx__shm_chan_attach(struct ipcx_shm_chan *sc, struct ipcx_shm_map *map, bool create);
void ipcx__shm_chan_release(struct ipcx_shm_chan *sc);

ssize_t ipcx__shm_chan_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
                            int64_t deadline);
ssize_t ipcx__shm_chan_recv(struct ipcx_chan *ch, void *buf, size_t cap,
                            struct ipcx_msg_info *info, int64_t deadline);
int ipcx__shm_chan_pollfd(struct ipcx_chan *ch);
int ipcx__shm_chan_loan(struct ipcx_chan *ch, size_t len, void **ret_ptr);
int ipcx__shm_chan_commit(struct ipcx_chan *ch, void *ptr, size_t len);
ssize_t ipcx__shm_chan_borrow(struct ipcx_chan *ch, const void **ret_ptr, size_t *ret_len,
                              int64_t deadline);
int ipcx__shm_chan_release_msg(struct ipcx_chan *ch, const void *ptr);
/* Fill queued (ipcx_stat). */
void ipcx__shm_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st);

/* A random 64-bit value (getrandom, else clock and pid mixed). */
uint64_t ipcx__shm_random(void);

#endif
