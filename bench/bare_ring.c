/* SPDX-License-Identifier: MIT */
/*
 * bare_ring.c - the bare shared-memory rings the shm: and sysvshm: rows are
 * compared with: what a programmer writes in an afternoon with plain C11
 * atomics, one single-producer single-consumer ring per direction, each in
 * a file of its own in /dev/shm.
 *
 *  - the futex ring: a receiver with nothing to read (a sender with no free
 *    slot) spins for the same 50 us ipcx spins by default, then sleeps on a
 *    futex word the other side bumps and wakes only when someone sleeps;
 *  - the busy ring: both sides spin forever, never entering the kernel
 *    (beside ipcx's spin=-1).
 *
 * Slots are as ipcx makes them by default: 256 of the group's largest
 * size (4 KiB at least), each led by its length.  The sender copies the
 * message into a slot, the receiver copies it out: one copy each way, as
 * ipcx_send/ipcx_recv make.  No crash recovery, no many senders, no
 * checks of a hostile peer: that is the difference ipcx's ratio prices.
 * The files are unlinked as soon as they are open: they live in the
 * descriptors the peer inherits, and vanish with the two processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_int.h"

#define RING_SLOTS 256u
#define RING_MIN_SLOT 4096u
#define RING_SPIN_NS 50000 /* ipcx's default spin= */
#define LINE 64

struct ring_hdr {
	_Alignas(LINE) _Atomic uint64_t head; /* next slot to read: the receiver's */
	_Atomic uint32_t hseq;                /* bumped with head: the futex a full sender waits on */
	_Alignas(LINE) _Atomic uint64_t tail; /* next slot to write: the sender's */
	_Atomic uint32_t tseq;                /* bumped with tail: the futex an idle receiver waits on */
	_Alignas(LINE) _Atomic uint32_t rx_sleeps, tx_sleeps;
	uint64_t nslots, stride;
};

struct ring_map {
	struct ring_hdr *h;
	uint8_t *slots;
	size_t len;
};

struct ring_st {
	struct ring_map rx, tx;
	bool busy;
};

static int ring_seq;

static size_t
ring_len(size_t max, uint64_t *stride)
{
	size_t slot = max < RING_MIN_SLOT ? RING_MIN_SLOT : max;

	*stride = (sizeof(uint64_t) + slot + LINE - 1) / LINE * LINE;
	return sizeof(struct ring_hdr) + RING_SLOTS * *stride;
}

static int
ring_map(int fd, struct ring_map *m)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size < sizeof(struct ring_hdr))
		return -EPROTO;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->h = p;
	m->slots = (uint8_t *)p + sizeof(struct ring_hdr);
	m->len = (size_t)st.st_size;
	if (sizeof(struct ring_hdr) + m->h->nslots * m->h->stride > m->len) {
		munmap(p, m->len);
		m->h = NULL;
		return -EPROTO;
	}
	return 0;
}

static int
ring_make(struct bare_open *o, int *fd)
{
	struct ring_hdr *h;
	uint64_t stride;
	size_t len = ring_len(o->max, &stride);
	char name[64];
	int err;

	snprintf(name, sizeof(name), "/ipcx-bench-ring-%ld-%d", (long)getpid(), ring_seq++);
	*fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0) {
		err = -errno;
		bench_text(o->why, sizeof(o->why), "shm_open %s: %s", name, strerror(-err));
		return err;
	}
	(void)shm_unlink(name);
	if (ftruncate(*fd, (off_t)len) < 0) {
		err = -errno;
		bench_text(o->why, sizeof(o->why), "ftruncate /dev/shm%s to %zu bytes: %s", name,
		           len, strerror(-err));
		close(*fd);
		return err;
	}
	h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (h == MAP_FAILED) {
		err = -errno;
		close(*fd);
		return err;
	}
	h->nslots = RING_SLOTS;
	h->stride = stride;
	munmap(h, sizeof(*h));
	return 0;
}

static int
ring_state(int rfd, int wfd, bool busy, void **st)
{
	struct ring_st *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return -ENOMEM;
	s->busy = busy;
	rc = ring_map(rfd, &s->rx);
	if (rc == 0)
		rc = ring_map(wfd, &s->tx);
	if (rc < 0) {
		if (s->rx.h != NULL)
			munmap(s->rx.h, s->rx.len);
		free(s);
		return rc;
	}
	*st = s;
	return 0;
}

static int
ring_open(struct bare_open *o, int fds[4], void **st, bool busy)
{
	int a, b, rc;

	rc = ring_make(o, &a);
	if (rc < 0)
		return rc;
	rc = ring_make(o, &b);
	if (rc < 0) {
		close(a);
		return rc;
	}
	fds[0] = fds[3] = b; /* child to parent */
	fds[1] = fds[2] = a; /* parent to child */
	rc = ring_state(fds[0], fds[1], busy, st);
	if (rc < 0) {
		close(a);
		close(b);
	}
	return rc;
}

static int
futex_open(struct bare_open *o, int fds[4], void **st)
{
	return ring_open(o, fds, st, false);
}

static int
busy_open(struct bare_open *o, int fds[4], void **st)
{
	return ring_open(o, fds, st, true);
}

static int
futex_attach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
             size_t whylen)
{
	(void)addr;
	(void)max;
	(void)why;
	(void)whylen;
	return ring_state(rfd, wfd, false, st);
}

static int
busy_attach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
            size_t whylen)
{
	(void)addr;
	(void)max;
	(void)why;
	(void)whylen;
	return ring_state(rfd, wfd, true, st);
}

static void
fwait(_Atomic uint32_t *word, uint32_t expected)
{
	/* A second at most, so that a stop request is seen. */
	struct timespec ts = { 1, 0 };

	(void)syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
}

static void
fwake(_Atomic uint32_t *word)
{
	(void)syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * Wait until ready(h) holds: spin (forever when busy, else 50 us), then
 * sleep on seq, announcing it in sleeps.  The announcement and the other
 * side's publish are both sequentially consistent, so either the sleeper
 * sees the new value or the publisher sees the sleeper and wakes it.
 */
static int
ring_wait(struct ring_hdr *h, bool busy, bool (*ready)(struct ring_hdr *),
          _Atomic uint32_t *seq, _Atomic uint32_t *sleeps)
{
	int64_t until = 0;
	unsigned n = 0;

	while (!ready(h)) {
		if ((++n & 1023) == 0) {
			if (bench_stop)
				return -EINTR;
			if (!busy) {
				if (until == 0)
					until = bench_now_ns() + RING_SPIN_NS;
				else if (bench_now_ns() > until) {
					uint32_t s = atomic_load(seq);
					atomic_fetch_add(sleeps, 1);
					atomic_thread_fence(memory_order_seq_cst);
					if (!ready(h))
						fwait(seq, s);
					atomic_fetch_sub(sleeps, 1);
				}
			}
		}
	}
	return 0;
}

static bool
has_space(struct ring_hdr *h)
{
	return atomic_load_explicit(&h->tail, memory_order_relaxed) -
	               atomic_load_explicit(&h->head, memory_order_acquire) <
	       h->nslots;
}

static bool
has_data(struct ring_hdr *h)
{
	return atomic_load_explicit(&h->tail, memory_order_acquire) !=
	       atomic_load_explicit(&h->head, memory_order_relaxed);
}

static int
ring_send(void *st, int fd, const void *buf, size_t len)
{
	struct ring_st *s = st;
	struct ring_hdr *h = s->tx.h;
	uint64_t t;
	uint8_t *slot;

	(void)fd;
	if (len + sizeof(uint64_t) > h->stride)
		return -EMSGSIZE;
	if (ring_wait(h, s->busy, has_space, &h->hseq, &h->tx_sleeps) < 0)
		return -EINTR;
	t = atomic_load_explicit(&h->tail, memory_order_relaxed);
	slot = s->tx.slots + (t % h->nslots) * h->stride;
	memcpy(slot, &(uint64_t){ len }, sizeof(uint64_t));
	memcpy(slot + sizeof(uint64_t), buf, len);
	atomic_store(&h->tail, t + 1);
	if (!s->busy) {
		atomic_fetch_add(&h->tseq, 1);
		if (atomic_load(&h->rx_sleeps) != 0)
			fwake(&h->tseq);
	}
	return 0;
}

static ssize_t
ring_recv(void *st, int fd, void *buf, size_t cap, size_t expect)
{
	struct ring_st *s = st;
	struct ring_hdr *h = s->rx.h;
	uint64_t hd, len;
	uint8_t *slot;

	(void)fd;
	(void)expect;
	if (ring_wait(h, s->busy, has_data, &h->tseq, &h->rx_sleeps) < 0)
		return -EINTR;
	hd = atomic_load_explicit(&h->head, memory_order_relaxed);
	slot = s->rx.slots + (hd % h->nslots) * h->stride;
	memcpy(&len, slot, sizeof(len));
	if (len > cap || len + sizeof(uint64_t) > h->stride)
		return -EMSGSIZE;
	memcpy(buf, slot + sizeof(uint64_t), len);
	atomic_store(&h->head, hd + 1);
	if (!s->busy) {
		atomic_fetch_add(&h->hseq, 1);
		if (atomic_load(&h->tx_sleeps) != 0)
			fwake(&h->hseq);
	}
	return (ssize_t)len;
}

static void
ring_close(int fds[4], void *st, bool owner)
{
	struct ring_st *s = st;
	int i;

	(void)owner;
	if (s != NULL) {
		if (s->rx.h != NULL)
			munmap(s->rx.h, s->rx.len);
		if (s->tx.h != NULL)
			munmap(s->tx.h, s->tx.len);
		free(s);
	}
	for (i = 0; i < 4; i++) {
		int j;
		if (fds[i] < 0)
			continue;
		close(fds[i]);
		for (j = i + 1; j < 4; j++)
			if (fds[j] == fds[i])
				fds[j] = -1;
		fds[i] = -1;
	}
}

const struct bare_driver bare_ring_futex = {
	"shm", NULL, NULL, "ring+futex", "an SPSC ring per direction in /dev/shm: C11 atomics, "
	"spins 50 us then sleeps on a futex",
	BARE_SPINS, futex_open, futex_attach, ring_send, ring_recv, ring_close, NULL, NULL,
};
const struct bare_driver bare_ring_futex_sysv = {
	"sysvshm", NULL, NULL, "ring+futex", "the same futex ring, in /dev/shm (a System V "
	"segment maps the same memory)",
	BARE_SPINS, futex_open, futex_attach, ring_send, ring_recv, ring_close, NULL, NULL,
};
const struct bare_driver bare_ring_busy = {
	"shm", "spin=-1", NULL, "busy ring", "an SPSC ring per direction in /dev/shm: C11 "
	"atomics, both sides spin, no system call",
	BARE_BUSY | BARE_SPINS, busy_open, busy_attach, ring_send, ring_recv, ring_close, NULL,
	NULL,
};
