/* SPDX-License-Identifier: MIT */
/*
 * ring.c - the shared-memory ring (ring.h).  docs/shm-ring.md states the
 * protocol and the argument for it; this file follows it step by step.
 *
 * In one paragraph: a slot is claimed by a compare-and-swap on its own
 * 64-bit word, which names the position, the state and the owner at once,
 * so there is never an instant where a slot is taken and nobody is named
 * as its holder.  The head and the tail are hints every party helps along.
 * A receiver that finds a sender stalled in the middle of a slot steps
 * around it (the slot is marked skipped, its message delivered later from
 * where it lies).  A holder is recovered only when the liveness service
 * proves it dead; slots carry the owner's generation, so a participant
 * that comes back late (it never does, unless a scribbler lied) finds its
 * slot gone and fails instead of corrupting the next lap.
 *
 * Map:
 *   layout: header, participants, slots, and the words in them
 *   crash points
 *   format, check, attach
 *   participants: register, liveness, recovery
 *   waiting: spin, then sleep on a futex word
 *   the doorbell (ipcx_pollfd)
 *   send side: claim, publish
 *   receive side: take, requeued messages, release
 *   the operations
 *   describe (tools)
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/liveness.h"
#include "core/spin.h"
#include "os/io.h"
#include "shm/ring.h"

/* ---- layout: header, participants, slots ------------------------------- */

#define LINE 64

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "the ring needs lock-free (so address-free) 32- and 64-bit atomics");

struct ring_hdr {
	/* Line 0: the geometry, written once, before the magic. */
	_Atomic uint64_t magic;
	uint32_t version;
	uint32_t nparts;
	uint32_t nslots;
	uint32_t hdr_bytes;
	uint64_t slot_size;
	uint64_t stride;
	uint64_t parts_off;
	uint64_t slots_off;
	uint64_t total;
	/* Line 1: identity. */
	uint64_t ring_id;          /* names the doorbells */
	_Atomic uint64_t creator;  /* participant word of the process that formatted it */
	int64_t created;           /* seconds since the epoch */
	uint8_t pad1[40];
	/* Line 2: moved by senders. */
	_Alignas(LINE) _Atomic uint64_t tail;
	/* Line 3: moved by receivers. */
	_Alignas(LINE) _Atomic uint64_t head;
	/* Line 4: what a sender reads after every publish. */
	_Alignas(LINE) _Atomic uint32_t data_word;  /* receivers sleep here */
	_Atomic uint32_t bell_word;                 /* bit 0: a poller may wait for its doorbell */
	/* Line 5: what a receiver reads after every release. */
	_Alignas(LINE) _Atomic uint32_t space_word; /* senders sleep here */
	/* Line 6: read by every receive, written rarely. */
	_Alignas(LINE) _Atomic uint32_t requeue_seq; /* advanced after a slot is requeued */
	_Atomic uint32_t part_hw;                   /* highest participant index used */
	uint8_t reserved[1024 - 6 * LINE - 8];
};
_Static_assert(sizeof(struct ring_hdr) == 1024, "header layout");

/* One participant: a handle that sends, receives or polls.  Index 0 is
 * never used (owner 0 means none). */
struct ring_part {
	_Atomic uint64_t id;         /* status, generation, pid, start time (below) */
	_Atomic uint32_t held;       /* slots it holds in READING: written by it alone */
	_Atomic uint32_t bell;       /* odd: armed, wants its doorbell rung; every arm
	                              * changes it, so a late disarm never undoes one */
	_Atomic uint32_t polls;      /* 1: it has a doorbell socket */
	uint32_t pad0;
	_Atomic uint64_t start_time; /* the whole start time, for tools */
	uint8_t pad[32];
};
_Static_assert(sizeof(struct ring_part) == LINE, "participant layout");

struct ring_slot {
	_Atomic uint64_t word; /* position, state, owner (below) */
	_Atomic uint32_t len;  /* the message length, valid from READY on */
	uint32_t pad;
	/* the payload follows */
};
#define SLOT_HDR 16u
_Static_assert(sizeof(struct ring_slot) == SLOT_HDR, "slot layout");

#define PARTS_OFF ((uint64_t)sizeof(struct ring_hdr))
#define PARTS_BYTES ((uint64_t)(IPCX_RING_PARTS + 1) * LINE)
#define SLOTS_OFF (((PARTS_OFF + PARTS_BYTES) + 4095) & ~(uint64_t)4095)

/*
 * The slot word: position (48 bits) | owner (13: index 7, generation 6) |
 * state (3).  One compare-and-swap moves all three, so who holds a slot is
 * part of holding it.  Positions are compared modulo 2^48: a stalled
 * process would have to sleep through 2^48 messages to be fooled.
 */
enum {
	ST_FREE = 0,     /* empty, waiting for the sender of its position */
	ST_WRITING = 1,  /* claimed by a sender (owner), being filled */
	ST_SKIPPED = 2,  /* still being filled, and the receivers went past it */
	ST_READY = 3,    /* published, waiting at the head */
	ST_READING = 4,  /* taken by a receiver (owner): being copied or borrowed */
	ST_REQUEUED = 5, /* published behind the head: any receiver may take it */
};
#define ST_LAST ST_REQUEUED

#define POS_MASK ((UINT64_C(1) << 48) - 1)
#define W_STATE(w) ((unsigned)((w) & 7))
#define W_TAG(w) ((unsigned)(((w) >> 3) & 0x1fff))
#define W_POS(w) ((w) >> 16)
#define MKW(pos, st, tag) \
	((((uint64_t)(pos) & POS_MASK) << 16) | ((uint64_t)(tag) << 3) | (uint64_t)(st))
#define P48(p) ((uint64_t)(p) & POS_MASK)

/* The owner field: participant index | generation << 7. */
#define TAG(idx, gen) ((unsigned)(idx) | (((unsigned)(gen) & 63) << 7))
#define TAG_IDX(t) ((unsigned)(t) & 127)
#define TAG_GEN(t) (((unsigned)(t) >> 7) & 63)

/*
 * The participant word: status (2) | generation (6) | pid (22) | the low 34
 * bits of the start time.  One compare-and-swap both takes an entry and
 * says whose it is, so a process that dies while registering leaves either
 * a free entry or one that names it.  Linux pids fit 22 bits
 * (PID_MAX_LIMIT); 34 bits of clock ticks are 5 years at 100 Hz, so a pid
 * reused by a process started exactly a multiple of that later is the one
 * mistake this identity can make.
 */
enum { P_FREE = 0, P_ACTIVE = 1, P_REAPING = 2 };
#define START_MASK ((UINT64_C(1) << 34) - 1)
#define P_STATUS(w) ((unsigned)((w) & 3))
#define P_GEN(w) ((unsigned)(((w) >> 2) & 63))
#define P_PID(w) ((pid_t)(((w) >> 8) & 0x3fffff))
#define P_START(w) ((w) >> 30)
#define MKP(st, gen, pid, start)                                           \
	((uint64_t)(st) | ((uint64_t)((gen) & 63) << 2) | ((uint64_t)(pid) << 8) | \
	 (((uint64_t)(start) & START_MASK) << 30))

/* A compare-and-swap loop that keeps failing means a scribbler, not
 * contention: every failure is someone else's success. */
#define RETRY_MAX 100000
/* How long a receiver lets a sender stall in the middle of the head slot
 * before stepping around it, when a later message is ready. */
#define SKIP_NS 20000
/* A sleeping call looks again at least this often: a holder that died in
 * its sleep, or a waker that died between publishing and waking, never
 * strand it for longer. */
#define RECHECK_NS INT64_C(1000000000)
#define HOLDER_FIRST_NS INT64_C(2000000)
#define SWEEP_NS INT64_C(100000000)

#define CAS(obj, exp, des) atomic_compare_exchange_strong((obj), (exp), (des))
#define LOAD(obj) atomic_load(obj)
#define LOAD_RELAXED(obj) atomic_load_explicit((obj), memory_order_relaxed)

/* Help a position word from p to p + 1 (a failed try means someone else
 * did; p itself is left as it was, for the caller to use). */
static inline void
advance(_Atomic uint64_t *word, uint64_t p)
{
	(void)atomic_compare_exchange_strong(word, &p, p + 1);
}

static inline struct ring_slot *
slot_at(const struct ipcx_ring *r, uint64_t pos)
{
	return (struct ring_slot *)(r->slots + (pos & r->mask) * r->stride);
}

static inline uint8_t *
slot_data(struct ring_slot *s)
{
	return (uint8_t *)s + SLOT_HDR;
}

/* ---- crash points ------------------------------------------------------ */

struct ipcx_ring_crash ipcx__ring_crash;

static void
crash_fire(int point)
{
	if (atomic_load(&ipcx__ring_crash.point) != point)
		return;
	if (atomic_fetch_sub(&ipcx__ring_crash.countdown, 1) > 1)
		return;
	atomic_store(&ipcx__ring_crash.point, IPCX_RP_NONE);
	raise(ipcx__ring_crash.signo != 0 ? ipcx__ring_crash.signo : SIGKILL);
}

#define CRASH_POINT(p)                                                              \
	do {                                                                        \
		if (__builtin_expect(LOAD_RELAXED(&ipcx__ring_crash.point) != 0, 0)) \
			crash_fire(p);                                              \
	} while (0)

/* ---- format, check, attach --------------------------------------------- */

static uint64_t
stride_of(uint64_t slot_size)
{
	return (SLOT_HDR + slot_size + LINE - 1) & ~(uint64_t)(LINE - 1);
}

uint64_t
ipcx__ring_bytes(const struct ipcx_ring_geom *g, const char **why)
{
	const char *w = NULL;
	uint64_t total = 0;

	if (g->slots < IPCX_RING_MIN_SLOTS || g->slots > IPCX_RING_MAX_SLOTS ||
	    (g->slots & (g->slots - 1)) != 0)
		w = "slots must be a power of two from 2 to 1M";
	else if (g->slot_size < 1 || g->slot_size > IPCX_RING_MAX_SLOT_SIZE)
		w = "slot_size must be from 1 byte to 1G";
	else if ((total = SLOTS_OFF + (uint64_t)g->slots * stride_of(g->slot_size)) >
	         IPCX_RING_MAX_BYTES)
		w = "slots x slot_size above 64G";
	if (why != NULL)
		*why = w;
	return w != NULL ? 0 : total;
}

void
ipcx__ring_format(void *base, const struct ipcx_ring_geom *g, uint64_t ring_id)
{
	struct ring_hdr *h = base;
	struct ring_part *parts = (struct ring_part *)((uint8_t *)base + PARTS_OFF);
	uint8_t *slots = (uint8_t *)base + SLOTS_OFF;
	uint64_t stride = stride_of(g->slot_size), i;

	h->version = IPCX_RING_VERSION;
	h->nparts = IPCX_RING_PARTS;
	h->nslots = g->slots;
	h->hdr_bytes = (uint32_t)sizeof(*h);
	h->slot_size = g->slot_size;
	h->stride = stride;
	h->parts_off = PARTS_OFF;
	h->slots_off = SLOTS_OFF;
	h->total = SLOTS_OFF + (uint64_t)g->slots * stride;
	h->ring_id = ring_id;
	h->created = (int64_t)time(NULL);
	atomic_store(&h->tail, 0);
	atomic_store(&h->head, 0);
	atomic_store(&h->data_word, 0);
	atomic_store(&h->bell_word, 0);
	atomic_store(&h->space_word, 0);
	atomic_store(&h->requeue_seq, 0);
	atomic_store(&h->part_hw, 0);
	for (i = 0; i <= IPCX_RING_PARTS; i++) {
		atomic_store(&parts[i].id, 0);
		atomic_store(&parts[i].held, 0);
		atomic_store(&parts[i].bell, 0);
		atomic_store(&parts[i].polls, 0);
		atomic_store(&parts[i].start_time, 0);
	}
	for (i = 0; i < g->slots; i++) {
		struct ring_slot *s = (struct ring_slot *)(slots + i * stride);
		atomic_store(&s->word, MKW(i, ST_FREE, 0));
		atomic_store(&s->len, 0);
	}
	atomic_store_explicit(&h->magic, IPCX_RING_MAGIC, memory_order_release);
}

int
ipcx__ring_check(const void *base, size_t len, struct ipcx_ring_geom *ret_geom,
                 const char **why)
{
	const struct ring_hdr *h = base;
	struct ipcx_ring_geom g;
	uint64_t total;
	const char *w = NULL;

	if (len < SLOTS_OFF) {
		*why = "too small to be an ipcx ring";
		return -ENOENT;
	}
	if (atomic_load_explicit(&((struct ring_hdr *)h)->magic, memory_order_acquire) !=
	    IPCX_RING_MAGIC) {
		*why = "no ipcx ring magic";
		return -ENOENT;
	}
	g.slots = h->nslots;
	g.slot_size = h->slot_size;
	if (h->version != IPCX_RING_VERSION)
		w = "a ring of another layout version";
	else if ((total = ipcx__ring_bytes(&g, NULL)) == 0)
		w = "the header's geometry is out of range";
	else if (h->nparts != IPCX_RING_PARTS || h->hdr_bytes != sizeof(*h) ||
	         h->stride != stride_of(g.slot_size) || h->parts_off != PARTS_OFF ||
	         h->slots_off != SLOTS_OFF || h->total != total)
		w = "the header's layout does not follow from its geometry";
	else if (total > len)
		w = "the mapping is smaller than the header says";
	if (w != NULL) {
		*why = w;
		return -EPROTO;
	}
	*ret_geom = g;
	return 0;
}

void
ipcx__ring_attach(struct ipcx_ring *r, struct ipcx_chan *ch, void *base, size_t len,
                  int spin_us)
{
	const struct ring_hdr *h = base;

	memset(r, 0, sizeof(*r));
	r->ch = ch;
	r->base = base;
	r->len = len;
	r->hdr = base;
	r->parts = (struct ring_part *)((uint8_t *)base + PARTS_OFF);
	r->slots = (uint8_t *)base + SLOTS_OFF;
	/* Copied once from a header ipcx__ring_check() accepted: whatever is
	 * written there later, every index below stays inside the mapping. */
	r->nslots = h->nslots;
	r->mask = r->nslots - 1;
	r->stride = stride_of(h->slot_size);
	r->cap = h->slot_size;
	r->ring_id = h->ring_id;
	r->spin_us = spin_us;
	r->bell_fd = r->ring_fd = -1;
}

/* ---- participants: register, liveness, recovery ------------------------ */

/* 1 alive (or cannot tell), 0 provably dead. */
static int
part_alive(uint64_t w)
{
	struct ipcx_proc_id cur;
	int rc = ipcx__proc_identify(P_PID(w), &cur);

	if (rc == -ESRCH)
		return 0;
	if (rc < 0)
		return 1; /* no /proc: recovery acts only on proof */
	if ((cur.start_time & START_MASK) != P_START(w))
		return 0; /* the pid now names a process started at another time */
	return ipcx__proc_alive(&cur) == 0 ? 0 : 1;
}

static bool
due(struct ipcx_ring *r, unsigned idx, int64_t now, int64_t interval)
{
	if (now - r->checked[idx] < interval)
		return false;
	r->checked[idx] = now;
	return true;
}

static void
wake_force(_Atomic uint32_t *word)
{
	atomic_fetch_add(word, 2);
	ipcx__futex_wake_all(word);
}

/* Wake the sleepers of word, if it says there may be some (bit 0).  Adding
 * one to an odd word clears the bit and changes the value, so a sleeper
 * between setting the bit and sleeping does not sleep. */
static inline void
wake_if(_Atomic uint32_t *word)
{
	if (LOAD(word) & 1) {
		atomic_fetch_add(word, 1);
		ipcx__futex_wake_all(word);
	}
}

/*
 * Recover participant idx, whose word w is proven dead (or already marked
 * REAPING by whoever proved it).  Every step is a compare-and-swap on the
 * exact word seen, so any number of survivors may run this at once, and a
 * survivor killed in the middle leaves work the next one finishes:
 *   WRITING or SKIPPED (a half-written message) -> FREE for the next lap:
 *     never delivered;
 *   READING (a taken message, copied or borrowed, never released) ->
 *     REQUEUED: delivered again.
 */
static void
ring_reap(struct ipcx_ring *r, unsigned idx, uint64_t w)
{
	struct ring_part *p = &r->parts[idx];
	uint64_t reaping = (w & ~(uint64_t)3) | P_REAPING, cur = w, i;
	unsigned tag = TAG(idx, P_GEN(w)), requeued = 0;

	if (P_STATUS(w) == P_ACTIVE) {
		if (!CAS(&p->id, &cur, reaping) && cur != reaping)
			return; /* recovered already, or gone */
	} else if (P_STATUS(w) != P_REAPING || LOAD(&p->id) != reaping) {
		return;
	}
	CRASH_POINT(IPCX_RP_REAP);
	for (i = 0; i < r->nslots; i++) {
		struct ring_slot *s = slot_at(r, i);
		uint64_t sw = LOAD(&s->word), nw;
		int tries;

		for (tries = 0; tries < 16 && W_TAG(sw) == tag; tries++) {
			switch (W_STATE(sw)) {
			case ST_WRITING:
			case ST_SKIPPED:
				nw = MKW(W_POS(sw) + r->nslots, ST_FREE, 0);
				break;
			case ST_READING:
				nw = MKW(W_POS(sw), ST_REQUEUED, 0);
				break;
			default:
				nw = sw; /* an owner on a state that has none: leave it */
				break;
			}
			if (nw == sw)
				break;
			if (CAS(&s->word, &sw, nw)) {
				if (W_STATE(nw) == ST_REQUEUED)
					requeued++;
				break;
			}
		}
	}
	atomic_store(&p->held, 0);
	atomic_store(&p->bell, 0);
	atomic_store(&p->polls, 0);
	cur = reaping;
	(void)CAS(&p->id, &cur, MKP(P_FREE, P_GEN(w) + 1, 0, 0));
	if (requeued)
		atomic_fetch_add(&r->hdr->requeue_seq, 1);
	wake_force(&r->hdr->data_word);
	wake_force(&r->hdr->space_word);
}

/*
 * Look at the participants: recover every one that is provably dead (or
 * left half-recovered).  all: look at each active one; else only at those
 * that hold a taken message (held > 0), whose death would leave a message
 * undelivered until a lap of the ring comes round.  At most one look at a
 * participant per interval.
 */
static bool
ring_sweep(struct ipcx_ring *r, bool all, int64_t interval)
{
	uint32_t hw = LOAD(&r->hdr->part_hw), i;
	int64_t now = ipcx__now_ns();
	bool holders = false;

	if (hw > IPCX_RING_PARTS)
		hw = IPCX_RING_PARTS;
	for (i = 1; i <= hw; i++) {
		uint64_t w;

		if (i == r->me)
			continue;
		w = LOAD(&r->parts[i].id);
		if (P_STATUS(w) == P_REAPING) {
			if (due(r, i, now, interval))
				ring_reap(r, i, w);
			continue;
		}
		if (P_STATUS(w) != P_ACTIVE)
			continue;
		if (LOAD_RELAXED(&r->parts[i].held) != 0)
			holders = true;
		else if (!all)
			continue;
		if (due(r, i, now, interval) && part_alive(w) == 0)
			ring_reap(r, i, w);
	}
	return holders;
}

/*
 * A slot whose word names an owner that no participant is any more: an
 * owner leaves only after giving its slots back, and recovery gives back a
 * dead one's, so only a scribbler makes this.  Undo it as recovery would.
 */
static bool
slot_orphan_fix(struct ipcx_ring *r, struct ring_slot *s, uint64_t w)
{
	uint64_t nw;

	switch (W_STATE(w)) {
	case ST_WRITING:
	case ST_SKIPPED:
		nw = MKW(W_POS(w) + r->nslots, ST_FREE, 0);
		break;
	case ST_READING:
		nw = MKW(W_POS(w), ST_REQUEUED, 0);
		break;
	default:
		return false;
	}
	if (!CAS(&s->word, &w, nw))
		return true; /* it moved: look again */
	if (W_STATE(nw) == ST_REQUEUED)
		atomic_fetch_add(&r->hdr->requeue_seq, 1);
	wake_force(&r->hdr->data_word);
	wake_force(&r->hdr->space_word);
	return true;
}

/*
 * The call is blocked on slot s, whose word w has an owner.  If that owner
 * is provably gone, recover it.  True when something changed (look again).
 */
static bool
holder_recover(struct ipcx_ring *r, struct ring_slot *s, uint64_t w, int64_t interval)
{
	unsigned tag = W_TAG(w), idx = TAG_IDX(tag);
	uint64_t pw;

	if (idx == 0 || idx == r->me || !due(r, idx, ipcx__now_ns(), interval))
		return false;
	pw = LOAD(&r->parts[idx].id);
	if (P_GEN(pw) != TAG_GEN(tag) || P_STATUS(pw) == P_FREE)
		return slot_orphan_fix(r, s, w);
	if (P_STATUS(pw) == P_REAPING || part_alive(pw) == 0) {
		ring_reap(r, idx, pw);
		return true;
	}
	return false;
}

static int
ring_register(struct ipcx_ring *r)
{
	struct ipcx_proc_id self;
	unsigned pass, i;
	int rc;

	if (r->me != 0)
		return 0;
	rc = ipcx__proc_self(&self);
	if (rc < 0)
		return rc;
	if (self.pid <= 0 || self.pid > 0x3fffff)
		return -EOVERFLOW;
	/* A ring adopted after a crash may hold a dead participant's messages:
	 * give them back before taking a place. */
	(void)ring_sweep(r, true, 0);
	for (pass = 0; pass < 2; pass++) {
		for (i = 1; i <= IPCX_RING_PARTS; i++) {
			struct ring_part *p = &r->parts[i];
			uint64_t w = LOAD(&p->id), nw;
			uint32_t hw;

			if (P_STATUS(w) != P_FREE)
				continue;
			nw = MKP(P_ACTIVE, P_GEN(w), self.pid, self.start_time);
			if (!CAS(&p->id, &w, nw))
				continue;
			atomic_store(&p->held, 0);
			atomic_store(&p->bell, 0);
			atomic_store(&p->polls, 0);
			atomic_store(&p->start_time, self.start_time);
			r->me = i;
			r->tag = TAG(i, P_GEN(nw));
			r->my_id = nw;
			r->pid = self.pid;
			r->held = 0;
			r->requeue_seen = LOAD(&r->hdr->requeue_seq) - 1; /* scan once */
			hw = LOAD(&r->hdr->part_hw);
			for (pass = 0; pass < 64 && hw < i && !CAS(&r->hdr->part_hw, &hw, i); pass++)
				;
			return 0;
		}
		if (pass == 0)
			(void)ring_sweep(r, true, 0);
	}
	ipcx__set_errmsg(r->ch, "the ring has %u participants, the most it can hold",
	                 IPCX_RING_PARTS);
	return -EUSERS;
}

static inline void
held_set(struct ipcx_ring *r, uint32_t n)
{
	r->held = n;
	/* Only this participant writes its count (and recovery, once it is
	 * dead): a plain store, no read-modify-write. */
	atomic_store_explicit(&r->parts[r->me].held, n, memory_order_relaxed);
}

/* ---- waiting: spin, then sleep on a futex word ------------------------- */

struct waiter {
	struct ipcx_ring *r;
	int64_t deadline;
	int64_t spin_until;  /* end of the spin phase, 0 before it started */
	unsigned spins;
	bool armed;          /* the sleep bit is set; v is the word to sleep on */
	uint32_t v;
	int64_t holder_ns;   /* between looks at a holder that blocks us */
	int64_t recheck_ns;  /* the longest sleep before looking again */
};

static void
waiter_init(struct waiter *wt, struct ipcx_ring *r, int64_t deadline)
{
	memset(wt, 0, sizeof(*wt));
	wt->r = r;
	wt->deadline = deadline;
	wt->holder_ns = HOLDER_FIRST_NS;
}

/* What a blocked try says it waits for. */
struct block {
	_Atomic uint32_t *word; /* &data_word or &space_word */
	struct ring_slot *slot; /* the slot in the way, or NULL */
	uint64_t w;             /* its word as seen */
};

static void housekeep(struct ipcx_ring *r, struct waiter *wt, const struct block *b);

/*
 * One round of waiting after a try found it must wait.  Returns 0 to try
 * again, or the error that ends the call: -EAGAIN (deadline NOW),
 * -ETIMEDOUT, -ECANCELED (ipcx_wake), -EINTR (IPCX_INTERRUPTIBLE).
 * Phases: spin (spin= microseconds, forever for -1), then set the word's
 * sleep bit and try once more (so a waker either sees the bit or the try
 * sees its work), then sleep until the word moves.
 */
static int
waiter_block(struct waiter *wt, const struct block *b)
{
	struct ipcx_ring *r = wt->r;
	int64_t now, until;
	int rc;

	if (wt->deadline == IPCX_DEADLINE_NOW)
		return -EAGAIN;
	if (wt->armed) {
		wt->armed = false;
		now = ipcx__now_ns();
		until = now + wt->recheck_ns;
		if (wt->deadline != IPCX_DEADLINE_NEVER && until > wt->deadline)
			until = wt->deadline;
		CRASH_POINT(IPCX_RP_SLEEP);
		rc = ipcx__wait_futex(r->ch, b->word, wt->v, until);
		if (rc == -ETIMEDOUT && until != wt->deadline)
			rc = 0; /* our own look-again, not the caller's deadline */
		return rc;
	}
	if (r->spin_us != 0) {
		if ((wt->spins++ & 63) == 0) {
			rc = ipcx__wake_take(r->ch);
			if (rc < 0)
				return rc;
			now = ipcx__now_ns();
			if (wt->spin_until == 0)
				wt->spin_until = now + (int64_t)r->spin_us * 1000;
			if (now >= wt->deadline)
				return ipcx__deadline_error(wt->deadline);
			if (r->spin_us < 0 || now < wt->spin_until)
				return 0;
		} else {
			ipcx__cpu_relax();
			return 0;
		}
	}
	housekeep(r, wt, b);
	wt->v = atomic_fetch_or(b->word, 1) | 1;
	wt->armed = true;
	return 0;
}

/* ---- the doorbell (ipcx_pollfd) ---------------------------------------- */

/*
 * A poller's doorbell is an abstract-namespace datagram socket named after
 * the ring and the poller's place in it: no file to clean up, gone with its
 * process.  A poller arms itself when it found nothing (its flag, then a
 * change of bell_word); a sender that published rings every armed poller,
 * then disarms it - in that order, so a sender killed between the two
 * leaves the flag for the next one.  Senders look at bell_word only, one
 * load of a line they read anyway, so nobody pays for doorbells unless a
 * poller waits.
 */
static socklen_t
bell_addr(const struct ipcx_ring *r, unsigned idx, unsigned gen, struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "ipcx-bell-%016llx-%u-%u",
	             (unsigned long long)r->ring_id, idx, gen & 63);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void
bell_send(struct ipcx_ring *r, int fd, unsigned idx, unsigned gen)
{
	struct sockaddr_un sa;
	socklen_t len = bell_addr(r, idx, gen, &sa);
	char one = 1;

	/* Full (already readable) or gone (no such socket): nothing to do. */
	(void)sendto(fd, &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
}

static void
bell_ring(struct ipcx_ring *r)
{
	uint32_t v = LOAD(&r->hdr->bell_word), hw, i;
	int tries;

	for (tries = 0; (v & 1) && tries < 8; tries++) {
		if (r->ring_fd < 0) {
			int fd = ipcx__socket(AF_UNIX, SOCK_DGRAM, 0);
			if (fd < 0)
				return;
			r->ring_fd = fd;
		}
		hw = LOAD(&r->hdr->part_hw);
		if (hw > IPCX_RING_PARTS)
			hw = IPCX_RING_PARTS;
		for (i = 1; i <= hw; i++) {
			struct ring_part *p = &r->parts[i];
			uint32_t b = LOAD(&p->bell);
			uint64_t pw;

			if (!(b & 1))
				continue;
			pw = LOAD(&p->id);
			if (P_STATUS(pw) != P_ACTIVE)
				continue;
			CRASH_POINT(IPCX_RP_BELL);
			bell_send(r, r->ring_fd, i, P_GEN(pw));
			/* Fails if the poller armed again meanwhile: it stays armed. */
			(void)CAS(&p->bell, &b, b + 1);
		}
		/* Any poller that armed since v changed the word: look again. */
		if (CAS(&r->hdr->bell_word, &v, v & ~1u))
			break;
	}
}

static bool ring_ready(struct ipcx_ring *r);

/* Empty the doorbell, arm it, and ring it ourselves if a message may
 * already be waiting (so the descriptor is never quiet while one is). */
static void
bell_rearm(struct ipcx_ring *r)
{
	struct sockaddr_un sa;
	socklen_t len;
	char buf[16];
	uint32_t v;
	int n, tries;

	for (n = 0; n < 64; n++)
		if (recv(r->bell_fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			break;
	/* Only this poller arms its flag (senders only disarm it): a plain
	 * store of a new odd value. */
	v = LOAD(&r->parts[r->me].bell);
	atomic_store(&r->parts[r->me].bell, (v + 2) | 1);
	v = LOAD(&r->hdr->bell_word);
	for (tries = 0; tries < 64 && !CAS(&r->hdr->bell_word, &v, (v + 2) | 1); tries++)
		;
	if (ring_ready(r)) {
		len = bell_addr(r, r->me, TAG_GEN(r->tag), &sa);
		(void)sendto(r->bell_fd, buf, 1, MSG_DONTWAIT | MSG_NOSIGNAL,
		             (struct sockaddr *)&sa, len);
	}
}

static int
bell_open(struct ipcx_ring *r)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	if (r->bell_fd >= 0)
		return 0;
	fd = ipcx__socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	len = bell_addr(r, r->me, TAG_GEN(r->tag), &sa);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0) {
		int err = -errno;
		ipcx__close(fd);
		ipcx__set_errmsg(r->ch, "cannot bind the ring's doorbell: %s", strerror(-err));
		return err;
	}
	r->bell_fd = fd;
	atomic_store(&r->parts[r->me].polls, 1);
	return 0;
}

/* ---- send side: claim, publish ----------------------------------------- */

#define BLOCKED 1 /* a try that must wait; struct block says on what */

static int
corrupt(struct ipcx_ring *r, struct ring_slot *s, uint64_t w, const char *what)
{
	ipcx__set_errmsg(r->ch, "ring slot %llu holds %s (word 0x%016llx): a process wrote "
	                        "over the mapping",
	                 (unsigned long long)(((uint8_t *)s - r->slots) / r->stride), what,
	                 (unsigned long long)w);
	return -EPROTO;
}

/*
 * Claim the slot at the tail for this sender: FREE(T) -> WRITING(T, me),
 * then help the tail on.  Returns 0 and the position, BLOCKED (the slot at
 * the tail still holds the previous lap: full), or -EPROTO.
 */
static int
try_claim(struct ipcx_ring *r, uint64_t *ret_pos, struct block *b)
{
	struct ring_hdr *h = r->hdr;
	int n;

	for (n = 0; n < RETRY_MAX; n++) {
		uint64_t t = LOAD(&h->tail);
		struct ring_slot *s = slot_at(r, t);
		uint64_t w = LOAD(&s->word), pos = W_POS(w);
		unsigned st = W_STATE(w);

		if ((pos & r->mask) != (t & r->mask) || st > ST_LAST) {
			if (LOAD(&h->tail) != t)
				continue;
			/* Treat the scribbled slot as free for this lap. */
			uint64_t seen = w;
			(void)CAS(&s->word, &w, MKW(t, ST_FREE, 0));
			return corrupt(r, s, seen, "an impossible word");
		}
		if (pos == P48(t)) {
			if (st == ST_FREE) {
				if (!CAS(&s->word, &w, MKW(t, ST_WRITING, r->tag)))
					continue;
				/* The tail moves on when this slot is published (or by
				 * the next sender, who finds it claimed): a receiver
				 * spinning on the tail then never reads a slot that is
				 * still being written. */
				CRASH_POINT(IPCX_RP_CLAIMED);
				*ret_pos = t;
				return 0;
			}
			advance(&h->tail, t); /* claimed by another: help */
			continue;
		}
		if (pos == P48(t - r->nslots)) {
			b->word = &h->space_word;
			b->slot = s;
			b->w = w;
			return BLOCKED;
		}
		if (pos == P48(t + r->nslots)) {
			advance(&h->tail, t); /* a position given up: step on */
			continue;
		}
		if (LOAD(&h->tail) != t)
			continue; /* we read a stale tail */
		(void)CAS(&s->word, &(uint64_t){ w }, MKW(t, ST_FREE, 0));
		return corrupt(r, s, w, "a position that is not the tail's");
	}
	ipcx__set_errmsg(r->ch, "the ring changed %d times under one call", RETRY_MAX);
	return -EPROTO;
}

/* The sender's half of the wake-up protocol, after every publish: the
 * publish is a sequentially consistent read-modify-write, so either a
 * sleeper's bit is seen here or its retry sees the message. */
static inline void
after_publish(struct ipcx_ring *r)
{
	wake_if(&r->hdr->data_word);
	if (__builtin_expect(LOAD(&r->hdr->bell_word) & 1, 0))
		bell_ring(r);
}

/* WRITING(pos, me) -> READY(pos), or SKIPPED(pos, me) -> REQUEUED(pos) when
 * the receivers went past it. */
static int
publish(struct ipcx_ring *r, uint64_t pos, size_t len)
{
	struct ring_slot *s = slot_at(r, pos);
	uint64_t exp = MKW(pos, ST_WRITING, r->tag);

	atomic_store_explicit(&s->len, (uint32_t)len, memory_order_relaxed);
	CRASH_POINT(IPCX_RP_PUBLISH);
	if (!CAS(&s->word, &exp, MKW(pos, ST_READY, 0))) {
		if (exp != MKW(pos, ST_SKIPPED, r->tag) ||
		    !CAS(&s->word, &exp, MKW(pos, ST_REQUEUED, 0))) {
			/* Recovery took a slot from a living holder: only a
			 * scribbler (lying about us in the table) makes it. */
			ipcx__set_errmsg(r->ch, "the ring took back this sender's slot (it holds "
			                        "0x%016llx): a process wrote over the mapping",
			                 (unsigned long long)exp);
			return -EPROTO;
		}
		atomic_fetch_add(&r->hdr->requeue_seq, 1);
		wake_force(&r->hdr->data_word);
	}
	advance(&r->hdr->tail, pos);
	after_publish(r);
	return 0;
}

/* Give a claimed slot up unsent: the position is skipped for good. */
static void
unclaim(struct ipcx_ring *r, uint64_t pos)
{
	struct ring_slot *s = slot_at(r, pos);
	uint64_t exp = MKW(pos, ST_WRITING, r->tag);

	if (!CAS(&s->word, &exp, MKW(pos + r->nslots, ST_FREE, 0)) &&
	    exp == MKW(pos, ST_SKIPPED, r->tag))
		(void)CAS(&s->word, &exp, MKW(pos + r->nslots, ST_FREE, 0));
	advance(&r->hdr->tail, pos);
	wake_if(&r->hdr->space_word);
}

static void
copy_in(uint8_t *dst, const struct iovec *iov, int iovcnt, size_t total)
{
	size_t off = 0, half = total / 2;
	int i;

	for (i = 0; i < iovcnt; i++) {
		const uint8_t *src = iov[i].iov_base;
		size_t n = iov[i].iov_len;

		if (off < half && off + n >= half &&
		    __builtin_expect(LOAD_RELAXED(&ipcx__ring_crash.point) != 0, 0)) {
			size_t k = half - off;
			memcpy(dst + off, src, k);
			CRASH_POINT(IPCX_RP_COPY);
			memcpy(dst + off + k, src + k, n - k);
		} else if (n > 0) {
			memcpy(dst + off, src, n);
		}
		off += n;
	}
}

/* ---- receive side: take, requeued messages, release -------------------- */

enum { TAKE_STALLED = 2 }; /* the head's sender stalls, and a later message exists */

/* Position a is older than b (modulo 2^48). */
static inline bool
pos_before(uint64_t a, uint64_t b)
{
	return (int64_t)((a - b) << 16) < 0;
}

/* The length of the message whose word is w, or -EAGAIN when the slot moved
 * on meanwhile (the length read may then be another lap's). */
static int64_t
peek_len(struct ring_slot *s, uint64_t w)
{
	uint32_t len = atomic_load_explicit(&s->len, memory_order_acquire);

	return LOAD(&s->word) == w ? (int64_t)len : -EAGAIN;
}

/* Take the oldest requeued message that fits cap: REQUEUED(p) -> READING. */
static int
take_requeued(struct ipcx_ring *r, size_t cap, uint64_t *ret_pos, size_t *ret_len,
              uint32_t seq)
{
	int round;

	for (round = 0; round < 64; round++) {
		struct ring_slot *best = NULL;
		uint64_t bw = 0, i;
		int64_t len;

		for (i = 0; i < r->nslots; i++) {
			struct ring_slot *s = slot_at(r, i);
			uint64_t w = LOAD(&s->word);

			if (W_STATE(w) != ST_REQUEUED || (W_POS(w) & r->mask) != i)
				continue;
			if (best == NULL || pos_before(W_POS(w), W_POS(bw))) {
				best = s;
				bw = w;
			}
		}
		if (best == NULL) {
			r->requeue_seen = seq;
			return -ENOENT;
		}
		len = peek_len(best, bw);
		if (len < 0)
			continue;
		if ((uint64_t)len > r->cap) {
			uint64_t seen = bw;
			(void)CAS(&best->word, &bw, MKW(W_POS(seen) + r->nslots, ST_FREE, 0));
			return corrupt(r, best, seen, "a message longer than a slot");
		}
		if ((uint64_t)len > cap)
			return -EMSGSIZE;
		held_set(r, r->held + 1);
		if (CAS(&best->word, &bw, MKW(W_POS(bw), ST_READING, r->tag))) {
			*ret_pos = W_POS(bw);
			*ret_len = LOAD_RELAXED(&best->len);
			return 0;
		}
		held_set(r, r->held - 1);
	}
	return -ENOENT;
}

/* Claim READY(pos) for this receiver. */
static int
take_slot(struct ipcx_ring *r, struct ring_slot *s, uint64_t w, size_t cap)
{
	int64_t len = peek_len(s, w);

	if (len < 0)
		return (int)len;
	if ((uint64_t)len > r->cap) {
		uint64_t seen = w;
		(void)CAS(&s->word, &w, MKW(W_POS(seen) + r->nslots, ST_FREE, 0));
		return corrupt(r, s, seen, "a message longer than a slot");
	}
	if ((uint64_t)len > cap)
		return -EMSGSIZE; /* it stays queued for a bigger buffer */
	held_set(r, r->held + 1);
	if (CAS(&s->word, &w, MKW(W_POS(w), ST_READING, r->tag)))
		return 0;
	held_set(r, r->held - 1);
	return -EAGAIN; /* another receiver took it: look again */
}

/*
 * Take the message at the head: READY(H) -> READING(H, me), then help the
 * head on.  A requeued message (an older one, from behind the head) is
 * taken first whenever one may exist, which keeps each sender's order.
 * may_skip: step around a sender stalled in the head slot.
 * Returns 0 (pos, len), BLOCKED, TAKE_STALLED, -EMSGSIZE, -EPROTO.
 */
static int
try_take(struct ipcx_ring *r, size_t cap, bool may_skip, bool quick, uint64_t *ret_pos,
         size_t *ret_len, struct block *b)
{
	struct ring_hdr *h = r->hdr;
	uint32_t seq;
	int n, rc;

	/* quick (a spin's looks between full ones): the tail has not moved
	 * past the head, so nothing was published since - unless a sender
	 * died between publishing and moving the tail, which the full looks
	 * (every 64th, and always the one before sleeping) still see. */
	if (quick && (int64_t)(LOAD(&h->tail) - LOAD(&h->head)) <= 0 &&
	    LOAD_RELAXED(&h->requeue_seq) == r->requeue_seen) {
		b->word = &h->data_word;
		b->slot = NULL;
		b->w = 0;
		return BLOCKED;
	}
	for (n = 0; n < RETRY_MAX; n++) {
		uint64_t hd = LOAD(&h->head);
		struct ring_slot *s = slot_at(r, hd);
		uint64_t w = LOAD(&s->word), pos = W_POS(w);
		unsigned st = W_STATE(w);

		if ((pos & r->mask) != (hd & r->mask) || st > ST_LAST) {
			if (LOAD(&h->head) != hd)
				continue;
			(void)CAS(&s->word, &(uint64_t){ w }, MKW(hd + r->nslots, ST_FREE, 0));
			advance(&h->head, hd);
			return corrupt(r, s, w, "an impossible word");
		}
		if (pos == P48(hd)) {
			switch (st) {
			case ST_READY:
				/* Seen after the READY, so a requeue the sender made
				 * before publishing this is seen too. */
				seq = LOAD(&h->requeue_seq);
				if (seq != r->requeue_seen) {
					rc = take_requeued(r, cap, ret_pos, ret_len, seq);
					if (rc != -ENOENT)
						return rc;
				}
				rc = take_slot(r, s, w, cap);
				if (rc == -EAGAIN)
					continue;
				if (rc < 0)
					return rc;
				CRASH_POINT(IPCX_RP_TAKEN);
				advance(&h->head, hd);
				*ret_pos = hd;
				*ret_len = LOAD_RELAXED(&s->len);
				return 0;
			case ST_WRITING:
				if (LOAD(&h->tail) <= hd + 1)
					break; /* the newest message, still being written */
				if (!may_skip && W_TAG(w) != r->tag)
					return TAKE_STALLED;
				if (!CAS(&s->word, &w, MKW(hd, ST_SKIPPED, W_TAG(w))))
					continue;
				CRASH_POINT(IPCX_RP_SKIP);
				advance(&h->head, hd);
				continue;
			case ST_FREE:
				break; /* empty */
			default:
				/* SKIPPED, READING, REQUEUED: handled, the head lags. */
				advance(&h->head, hd);
				continue;
			}
		} else if (pos == P48(hd + r->nslots)) {
			advance(&h->head, hd); /* done already: the head lags */
			continue;
		} else if (pos == P48(hd - r->nslots)) {
			/* Nothing written at the head yet: the slot still holds the
			 * last lap.  A requeued message there is taken as it is. */
			if (st == ST_REQUEUED) {
				rc = take_slot(r, s, w, cap);
				if (rc == -EAGAIN)
					continue;
				if (rc < 0)
					return rc;
				*ret_pos = pos;
				*ret_len = LOAD_RELAXED(&s->len);
				return 0;
			}
		} else {
			if (LOAD(&h->head) != hd)
				continue;
			(void)CAS(&s->word, &(uint64_t){ w }, MKW(hd + r->nslots, ST_FREE, 0));
			advance(&h->head, hd);
			return corrupt(r, s, w, "a position that is not the head's");
		}
		/* Empty at the head: a requeued message may still wait. */
		seq = LOAD(&h->requeue_seq);
		if (seq != r->requeue_seen) {
			rc = take_requeued(r, cap, ret_pos, ret_len, seq);
			if (rc != -ENOENT)
				return rc;
		}
		b->word = &h->data_word;
		b->slot = NULL;
		b->w = 0;
		return BLOCKED;
	}
	ipcx__set_errmsg(r->ch, "the ring changed %d times under one call", RETRY_MAX);
	return -EPROTO;
}

/* Could a receive find a message now?  Read-only; errs towards yes. */
static bool
ring_ready(struct ipcx_ring *r)
{
	struct ring_hdr *h = r->hdr;
	uint64_t hd = LOAD(&h->head);
	uint64_t w = LOAD(&slot_at(r, hd)->word), pos = W_POS(w);
	unsigned st = W_STATE(w);

	uint32_t seq = LOAD(&h->requeue_seq);

	if (seq != r->requeue_seen) {
		uint64_t i;
		for (i = 0; i < r->nslots; i++)
			if (W_STATE(LOAD(&slot_at(r, i)->word)) == ST_REQUEUED)
				return true;
		r->requeue_seen = seq;
	}
	if (pos == P48(hd))
		return !(st == ST_FREE || (st == ST_WRITING && LOAD(&h->tail) <= hd + 1));
	if (pos == P48(hd - r->nslots))
		return st == ST_REQUEUED;
	return true;
}

/* READING(pos, me) -> FREE for the next lap. */
static int
release_pos(struct ipcx_ring *r, uint64_t pos)
{
	struct ring_slot *s = slot_at(r, pos);
	uint64_t exp = MKW(pos, ST_READING, r->tag);
	bool ok;

	CRASH_POINT(IPCX_RP_RELEASE);
	ok = CAS(&s->word, &exp, MKW(pos + r->nslots, ST_FREE, 0));
	held_set(r, r->held - 1);
	wake_if(&r->hdr->space_word);
	if (!ok) {
		ipcx__set_errmsg(r->ch, "the ring took back a message this receiver held (the "
		                        "slot holds 0x%016llx): a process wrote over the mapping",
		                 (unsigned long long)exp);
		return -EPROTO;
	}
	return 0;
}

/* READING(pos, me) -> REQUEUED: delivered again to someone. */
static void
requeue_pos(struct ipcx_ring *r, uint64_t pos)
{
	struct ring_slot *s = slot_at(r, pos);
	uint64_t exp = MKW(pos, ST_READING, r->tag);

	if (CAS(&s->word, &exp, MKW(pos, ST_REQUEUED, 0))) {
		atomic_fetch_add(&r->hdr->requeue_seq, 1);
		wake_force(&r->hdr->data_word);
		if (LOAD(&r->hdr->bell_word) & 1)
			bell_ring(r);
	}
	held_set(r, r->held - 1);
}

/*
 * Before a blocked call sleeps: whatever it waits on may be held by a
 * process that died.  A sender blocked on a full ring looks at the slot in
 * its way; a receiver looks at the participants that hold taken messages
 * (a dead one's are delivered again).  Each look at a given process is
 * rate-limited, so a stopped holder costs a /proc read now and then.
 */
static void
housekeep(struct ipcx_ring *r, struct waiter *wt, const struct block *b)
{
	struct ring_hdr *h = r->hdr;

	wt->recheck_ns = RECHECK_NS;
	if (b->slot == NULL) {
		if (ring_sweep(r, false, SWEEP_NS))
			wt->recheck_ns = SWEEP_NS;
		return;
	}
	switch (W_STATE(b->w)) {
	case ST_WRITING:
	case ST_SKIPPED:
	case ST_READING:
		if (holder_recover(r, b->slot, b->w, wt->holder_ns))
			wt->holder_ns = HOLDER_FIRST_NS;
		else if (wt->holder_ns < RECHECK_NS)
			wt->holder_ns *= 2;
		wt->recheck_ns = wt->holder_ns;
		break;
	case ST_REQUEUED:
		/* Its marker may have died before saying so: say it again. */
		atomic_fetch_add(&h->requeue_seq, 1);
		wake_force(&h->data_word);
		break;
	case ST_READY:
		/* A published message behind the head is never taken from there:
		 * only a scribbler puts one; requeue it. */
		if (pos_before(W_POS(b->w), P48(LOAD(&h->head)))) {
			uint64_t w = b->w;
			if (CAS(&b->slot->word, &w, MKW(W_POS(w), ST_REQUEUED, 0))) {
				atomic_fetch_add(&h->requeue_seq, 1);
				wake_force(&h->data_word);
			}
		}
		break;
	default:
		break;
	}
}

/* ---- the operations ---------------------------------------------------- */

static int
acquire_slot(struct ipcx_ring *r, uint64_t *ret_pos, int64_t deadline)
{
	struct waiter wt;
	struct block b;
	int rc;

	waiter_init(&wt, r, deadline);
	for (;;) {
		rc = try_claim(r, ret_pos, &b);
		if (rc != BLOCKED)
			return rc;
		rc = waiter_block(&wt, &b);
		if (rc < 0)
			return rc;
	}
}

/* Wait for a message and take it.  The doorbell is re-armed when a poller
 * comes away empty. */
static int
take_wait(struct ipcx_ring *r, size_t cap, uint64_t *ret_pos, size_t *ret_len,
          int64_t deadline)
{
	struct waiter wt;
	struct block b;
	int64_t stall_until = 0;
	bool may_skip = false;
	int rc;

	waiter_init(&wt, r, deadline);
	for (;;) {
		/* Full looks first, every 64th spin, and armed (before sleeping). */
		bool quick = wt.spins != 0 && (wt.spins & 63) != 0 && !wt.armed;

		rc = try_take(r, cap, may_skip, quick, ret_pos, ret_len, &b);
		if (rc == TAKE_STALLED) {
			/* Give the sender a moment to finish before stepping round
			 * it: a skipped message costs a requeue scan later. */
			int64_t now = ipcx__now_ns();
			if (stall_until == 0)
				stall_until = now + SKIP_NS;
			if (now >= stall_until)
				may_skip = true;
			else
				ipcx__cpu_relax();
			continue;
		}
		stall_until = 0;
		may_skip = false;
		if (rc != BLOCKED)
			break;
		rc = waiter_block(&wt, &b);
		if (rc < 0)
			break;
	}
	if ((rc == -EAGAIN || rc == -ETIMEDOUT) && r->bell_fd >= 0)
		bell_rearm(r);
	return rc;
}

ssize_t
ipcx__ring_send(struct ipcx_ring *r, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	uint64_t pos;
	size_t total = 0;
	int i, rc;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > r->cap)
		return -EMSGSIZE;
	if (r->loaned)
		return -EBUSY; /* it would overtake the loaned message */
	rc = ring_register(r);
	if (rc < 0)
		return rc;
	rc = acquire_slot(r, &pos, deadline);
	if (rc < 0)
		return rc;
	copy_in(slot_data(slot_at(r, pos)), iov, iovcnt, total);
	rc = publish(r, pos, total);
	return rc < 0 ? rc : (ssize_t)total;
}

ssize_t
ipcx__ring_recv(struct ipcx_ring *r, void *buf, size_t cap, int64_t deadline)
{
	uint64_t pos;
	size_t len, half;
	const uint8_t *src;
	int rc;

	rc = ring_register(r);
	if (rc < 0)
		return rc;
	rc = take_wait(r, cap, &pos, &len, deadline);
	if (rc < 0)
		return rc;
	if (len > cap || len > r->cap) {
		/* Changed after it was checked: only a scribbler does that. */
		(void)release_pos(r, pos);
		return corrupt(r, slot_at(r, pos), LOAD(&slot_at(r, pos)->word),
		               "a length that changed while it was taken");
	}
	src = slot_data(slot_at(r, pos));
	half = len / 2;
	/* An empty message may come with a NULL buffer: memcpy must not see it. */
	if (half > 0)
		memcpy(buf, src, half);
	CRASH_POINT(IPCX_RP_READ);
	if (len > half)
		memcpy((uint8_t *)buf + half, src + half, len - half);
	rc = release_pos(r, pos);
	return rc < 0 ? rc : (ssize_t)len;
}

int
ipcx__ring_loan(struct ipcx_ring *r, size_t len, void **ret_ptr)
{
	struct waiter wt;
	struct block b;
	uint64_t pos;
	int rc;

	if (len > r->cap)
		return -EMSGSIZE;
	if (r->loaned)
		return -EBUSY;
	rc = ring_register(r);
	if (rc < 0)
		return rc;
	/* ipcx_loan has no timeout: it spins for the spin budget at most, then
	 * answers -EAGAIN, and never sleeps. */
	waiter_init(&wt, r, IPCX_DEADLINE_NEVER);
	for (;;) {
		rc = try_claim(r, &pos, &b);
		if (rc != BLOCKED)
			break;
		if (r->spin_us == 0)
			return -EAGAIN;
		if ((wt.spins++ & 63) == 0) {
			int64_t now = ipcx__now_ns();
			if (wt.spin_until == 0)
				wt.spin_until = now + (int64_t)(r->spin_us < 0 ? IPCX_RING_DEFAULT_SPIN
				                                               : r->spin_us) * 1000;
			else if (now >= wt.spin_until)
				return -EAGAIN;
		}
		ipcx__cpu_relax();
	}
	if (rc < 0)
		return rc;
	r->loaned = true;
	r->loan_pos = pos;
	r->loan_len = len;
	*ret_ptr = slot_data(slot_at(r, pos));
	return 0;
}

int
ipcx__ring_commit(struct ipcx_ring *r, void *ptr, size_t len)
{
	if (!r->loaned || ptr != slot_data(slot_at(r, r->loan_pos)))
		return -EINVAL;
	if (len > r->loan_len)
		return -EMSGSIZE;
	r->loaned = false;
	return publish(r, r->loan_pos, len);
}

ssize_t
ipcx__ring_borrow(struct ipcx_ring *r, const void **ret_ptr, size_t *ret_len,
                  int64_t deadline)
{
	uint64_t pos;
	size_t len;
	int rc;

	if (r->nborrow >= IPCX_RING_MAX_BORROWS) {
		ipcx__set_errmsg(r->ch, "%u messages borrowed and not released", r->nborrow);
		return -EBUSY;
	}
	rc = ring_register(r);
	if (rc < 0)
		return rc;
	rc = take_wait(r, r->cap, &pos, &len, deadline);
	if (rc < 0)
		return rc;
	if (len > r->cap) {
		(void)release_pos(r, pos);
		return corrupt(r, slot_at(r, pos), LOAD(&slot_at(r, pos)->word),
		               "a length that changed while it was taken");
	}
	r->borrow[r->nborrow++] = pos;
	*ret_ptr = slot_data(slot_at(r, pos));
	*ret_len = len;
	return (ssize_t)len;
}

int
ipcx__ring_release(struct ipcx_ring *r, const void *ptr)
{
	unsigned i;

	for (i = 0; i < r->nborrow; i++) {
		uint64_t pos = r->borrow[i];
		if (slot_data(slot_at(r, pos)) != ptr)
			continue;
		r->borrow[i] = r->borrow[--r->nborrow];
		return release_pos(r, pos);
	}
	return -EINVAL;
}

int
ipcx__ring_pollfd(struct ipcx_ring *r)
{
	int rc = ring_register(r);

	if (rc < 0)
		return rc;
	rc = bell_open(r);
	if (rc < 0)
		return rc;
	bell_rearm(r);
	return r->bell_fd;
}

long
ipcx__ring_queued(const struct ipcx_ring *r)
{
	uint64_t hd = LOAD(&r->hdr->head), t = LOAD(&r->hdr->tail);

	if (t < hd)
		return 0;
	return t - hd > r->nslots ? (long)r->nslots : (long)(t - hd);
}

static void
ring_close_fds(struct ipcx_ring *r)
{
	ipcx__close(r->bell_fd);
	ipcx__close(r->ring_fd);
	r->bell_fd = r->ring_fd = -1;
}

void
ipcx__ring_detach(struct ipcx_ring *r)
{
	struct ring_part *p;
	uint64_t cur;
	unsigned i;

	if (r->base == NULL)
		return;
	if (r->me == 0 || getpid() != r->pid) {
		/* Never registered, or a forked copy: the place is its parent's. */
		r->me = 0;
		ring_close_fds(r);
		return;
	}
	p = &r->parts[r->me];
	if (r->loaned) {
		unclaim(r, r->loan_pos);
		r->loaned = false;
	}
	/* Borrowed, never released: not delivered (DESIGN.md), so delivered
	 * again. */
	for (i = 0; i < r->nborrow; i++)
		requeue_pos(r, r->borrow[i]);
	r->nborrow = 0;
	atomic_store(&p->bell, 0);
	atomic_store(&p->polls, 0);
	held_set(r, 0);
	cur = r->my_id;
	(void)CAS(&p->id, &cur, MKP(P_FREE, P_GEN(r->my_id) + 1, 0, 0));
	r->me = 0;
	/* Last: giving back a loan or a borrow rings the pollers' doorbells,
	 * which opens ring_fd if this handle never rang before. */
	ring_close_fds(r);
}

int
ipcx__ring_claim_format(void *base, size_t len)
{
	struct ring_hdr *h = base;
	struct ipcx_proc_id self;
	uint64_t w, me;
	int tries, rc;

	if (len < sizeof(*h))
		return -EINVAL;
	rc = ipcx__proc_self(&self);
	if (rc < 0)
		return rc;
	me = MKP(P_ACTIVE, 0, self.pid, self.start_time);
	w = LOAD(&h->creator);
	for (tries = 0; tries < 8; tries++) {
		if (w == me)
			return 0;
		if (w != 0 && part_alive(w) != 0)
			return -EBUSY;
		if (CAS(&h->creator, &w, me))
			return 0;
	}
	return -EBUSY;
}

/* ---- describe (tools) -------------------------------------------------- */

int
ipcx__ring_describe(const void *base, size_t len, struct ipcx_ring_info *out)
{
	struct ipcx_ring r;
	const char *why;
	uint64_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ipcx__ring_check(base, len, &out->geom, &why);
	if (rc < 0)
		return rc;
	ipcx__ring_attach(&r, NULL, (void *)base, len, 0);
	out->head = LOAD(&r.hdr->head);
	out->tail = LOAD(&r.hdr->tail);
	for (i = 0; i < r.nslots; i++)
		out->slots_by_state[W_STATE(LOAD(&slot_at(&r, i)->word))]++;
	for (i = 1; i <= IPCX_RING_PARTS; i++) {
		uint64_t w = LOAD(&r.parts[i].id);
		struct ipcx_ring_part_info *pi;

		if (P_STATUS(w) == P_FREE)
			continue;
		pi = &out->parts[out->nparts++];
		pi->index = (unsigned)i;
		pi->pid = P_PID(w);
		pi->start_time = LOAD(&r.parts[i].start_time);
		pi->status = (int)P_STATUS(w);
		pi->alive = part_alive(w);
		pi->held = LOAD(&r.parts[i].held);
		pi->polls = LOAD(&r.parts[i].polls) != 0;
	}
	return (int)out->nparts;
}
