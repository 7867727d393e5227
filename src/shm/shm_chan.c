/* SPDX-License-Identifier: MIT */
/*
 * shm_chan.c - what the two shared-memory transports (shm:, sysvshm:) have
 * in common once a ring is mapped: the query keys and their check, one
 * mapping per object per process, the header check against what the URI
 * asked for, and the channel ops that drive the ring (ring.c).  The
 * transports differ only in how a mapping is made, found and removed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "shm/ring.h"

/* ---- the query --------------------------------------------------------- */

/* "max" is a message limit (the core checks its value); the geometry is
 * slots= and slot_size=; spin= tunes waiting. */
const char *const ipcx__shm_keys[] = { "mode", "max", "slots", "slot_size", "spin", NULL };

static int
parse_spin(const char *v, int *ret)
{
	unsigned long ul;

	if (strcmp(v, "-1") == 0) {
		*ret = -1;
		return 0;
	}
	if (ipcx__parse_ulong(v, 10, IPCX_RING_MAX_SPIN, &ul) < 0)
		return -EINVAL;
	*ret = (int)ul;
	return 0;
}

int
ipcx__shm_query_check(const struct ipcx_uri *uri, struct ipcx_ring_geom *ret_geom,
                      bool *ret_given, int *ret_spin)
{
	struct ipcx_ring_geom g = { IPCX_RING_DEFAULT_SLOTS, IPCX_RING_DEFAULT_SLOT_SIZE };
	const char *v, *why;
	size_t sz, max = 0;
	bool given = false, size_given = false;
	int spin = IPCX_RING_DEFAULT_SPIN;

	if ((v = ipcx__uri_get(uri, "slots")) != NULL) {
		if (ipcx__parse_size(v, IPCX_RING_MAX_SLOTS, &sz) < 0 || sz < IPCX_RING_MIN_SLOTS ||
		    (sz & (sz - 1)) != 0)
			return ipcx__uri_invalid(-EINVAL, "slots must be a power of two from 2 "
			                                  "to 1M");
		g.slots = (uint32_t)sz;
		given = true;
	}
	if ((v = ipcx__uri_get(uri, "slot_size")) != NULL) {
		if (ipcx__parse_size(v, IPCX_RING_MAX_SLOT_SIZE, &sz) < 0 || sz == 0)
			return ipcx__uri_invalid(-EINVAL, "slot_size must be a size from 1 to 1G "
			                                  "(K, M, G: powers of two)");
		g.slot_size = sz;
		given = size_given = true;
	}
	/* The core checked max='s value; here it meets the geometry. */
	if ((v = ipcx__uri_get(uri, "max")) != NULL && ipcx__parse_size(v, (size_t)1 << 30, &sz) == 0)
		max = sz;
	if (max != 0 && size_given && max > g.slot_size)
		return ipcx__uri_invalid(-EINVAL, "max=%zu is above slot_size=%llu: a message "
		                                  "lives in one slot",
		                         max, (unsigned long long)g.slot_size);
	if (max != 0 && !size_given)
		g.slot_size = max; /* on create, max= alone sizes the slots */
	if ((v = ipcx__uri_get(uri, "spin")) != NULL && parse_spin(v, &spin) < 0)
		return ipcx__uri_invalid(-EINVAL, "spin must be microseconds from 0 to %d, or -1 "
		                                  "(never sleep)",
		                         IPCX_RING_MAX_SPIN);
	if (ipcx__ring_bytes(&g, &why) == 0)
		return ipcx__uri_invalid(-EINVAL, "%s", why);
	if (ret_geom != NULL)
		*ret_geom = g;
	if (ret_given != NULL)
		*ret_given = given;
	if (ret_spin != NULL)
		*ret_spin = spin;
	return 0;
}

/* ---- one mapping per object per process -------------------------------- */

struct ipcx_shm_map {
	struct ipcx_shm_map *next;
	int kind;
	uint64_t id1, id2;
	void *base;
	size_t len;
	unsigned refs;
	void (*unmap)(void *base, size_t len);
};

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipcx_shm_map *maps;
static pthread_once_t map_once = PTHREAD_ONCE_INIT;

/* A fork while another thread holds the lock must not leave the child's
 * copy locked for ever. */
static void
map_prepare(void)
{
	pthread_mutex_lock(&map_lock);
}

static void
map_parent(void)
{
	pthread_mutex_unlock(&map_lock);
}

static void
map_child(void)
{
	pthread_mutex_unlock(&map_lock);
}

static void
map_init(void)
{
	(void)pthread_atfork(map_prepare, map_parent, map_child);
}

struct ipcx_shm_map *
ipcx__shm_map_find(int kind, uint64_t id1, uint64_t id2)
{
	struct ipcx_shm_map *m;

	(void)pthread_once(&map_once, map_init);
	pthread_mutex_lock(&map_lock);
	for (m = maps; m != NULL; m = m->next)
		if (m->kind == kind && m->id1 == id1 && m->id2 == id2) {
			m->refs++;
			break;
		}
	pthread_mutex_unlock(&map_lock);
	return m;
}

struct ipcx_shm_map *
ipcx__shm_map_add(int kind, uint64_t id1, uint64_t id2, void *base, size_t len,
                  void (*unmap)(void *base, size_t len))
{
	struct ipcx_shm_map *m, *old;

	(void)pthread_once(&map_once, map_init);
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		unmap(base, len);
		return NULL;
	}
	m->kind = kind;
	m->id1 = id1;
	m->id2 = id2;
	m->base = base;
	m->len = len;
	m->refs = 1;
	m->unmap = unmap;
	pthread_mutex_lock(&map_lock);
	/* Another thread may have mapped the same object meanwhile: use one. */
	for (old = maps; old != NULL; old = old->next)
		if (old->kind == kind && old->id1 == id1 && old->id2 == id2)
			break;
	if (old != NULL) {
		old->refs++;
		pthread_mutex_unlock(&map_lock);
		unmap(base, len);
		free(m);
		return old;
	}
	m->next = maps;
	maps = m;
	pthread_mutex_unlock(&map_lock);
	return m;
}

void
ipcx__shm_map_put(struct ipcx_shm_map *m)
{
	struct ipcx_shm_map **pp;
	bool last = false;

	if (m == NULL)
		return;
	pthread_mutex_lock(&map_lock);
	if (--m->refs == 0) {
		for (pp = &maps; *pp != NULL; pp = &(*pp)->next)
			if (*pp == m) {
				*pp = m->next;
				break;
			}
		last = true;
	}
	pthread_mutex_unlock(&map_lock);
	if (last) {
		m->unmap(m->base, m->len);
		free(m);
	}
}

void *
ipcx__shm_map_base(const struct ipcx_shm_map *m)
{
	return m->base;
}

size_t
ipcx__shm_map_len(const struct ipcx_shm_map *m)
{
	return m->len;
}

/* ---- open and close ---------------------------------------------------- */

static struct ipcx_shm_chan *
shm_of(struct ipcx_chan *ch)
{
	return (struct ipcx_shm_chan *)ch;
}

int
ipcx__shm_chan_attach(struct ipcx_shm_chan *sc, struct ipcx_shm_map *map, bool create)
{
	struct ipcx_chan *ch = &sc->base;
	struct ipcx_ring_geom g;
	const char *why;
	int rc;

	sc->map = map;
	rc = ipcx__ring_check(map->base, map->len, &g, &why);
	if (rc < 0) {
		ipcx__set_errmsg(ch, "%s: %s", ch->uri_text, why);
		/* Something else lives under this name: never adopted. */
		return create ? -EEXIST : -EPROTO;
	}
	if ((create || sc->geom_given) &&
	    (g.slots != sc->geom.slots || g.slot_size != sc->geom.slot_size)) {
		ipcx__set_errmsg(ch, "the ring exists with slots=%u slot_size=%llu; the URI asks "
		                     "for slots=%u slot_size=%llu",
		                 g.slots, (unsigned long long)g.slot_size, sc->geom.slots,
		                 (unsigned long long)sc->geom.slot_size);
		return create ? -EEXIST : -EINVAL;
	}
	if (ch->max > g.slot_size) {
		ipcx__set_errmsg(ch, "max=%zu is above the ring's slot_size=%llu", ch->max,
		                 (unsigned long long)g.slot_size);
		return -EINVAL;
	}
	if (ch->max == 0)
		ch->max = g.slot_size;
	ipcx__ring_attach(&sc->ring, ch, map->base, map->len, sc->spin_us);
	return 0;
}

void
ipcx__shm_chan_release(struct ipcx_shm_chan *sc)
{
	if (sc->map == NULL)
		return;
	ipcx__ring_detach(&sc->ring);
	ipcx__shm_map_put(sc->map);
	sc->map = NULL;
	sc->ring.base = NULL;
}

/* ---- the ops ----------------------------------------------------------- */

ssize_t
ipcx__shm_chan_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt,
                    int64_t deadline)
{
	return ipcx__ring_send(&shm_of(ch)->ring, iov, iovcnt, deadline);
}

ssize_t
ipcx__shm_chan_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
                    int64_t deadline)
{
	(void)info; /* a ring knows nothing of its senders it could vouch for */
	return ipcx__ring_recv(&shm_of(ch)->ring, buf, cap, deadline);
}

int
ipcx__shm_chan_pollfd(struct ipcx_chan *ch)
{
	return ipcx__ring_pollfd(&shm_of(ch)->ring);
}

int
ipcx__shm_chan_loan(struct ipcx_chan *ch, size_t len, void **ret_ptr)
{
	return ipcx__ring_loan(&shm_of(ch)->ring, len, ret_ptr);
}

int
ipcx__shm_chan_commit(struct ipcx_chan *ch, void *ptr, size_t len)
{
	if (len > ch->max)
		return -EMSGSIZE;
	return ipcx__ring_commit(&shm_of(ch)->ring, ptr, len);
}

ssize_t
ipcx__shm_chan_borrow(struct ipcx_chan *ch, const void **ret_ptr, size_t *ret_len,
                      int64_t deadline)
{
	return ipcx__ring_borrow(&shm_of(ch)->ring, ret_ptr, ret_len, deadline);
}

int
ipcx__shm_chan_release_msg(struct ipcx_chan *ch, const void *ptr)
{
	return ipcx__ring_release(&shm_of(ch)->ring, ptr);
}

void
ipcx__shm_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct ipcx_shm_chan *sc = shm_of(ch);

	if (sc->map != NULL) {
		st->queued = ipcx__ring_queued(&sc->ring);
		st->queued_unit = 0;
	}
}

uint64_t
ipcx__shm_random(void)
{
	uint64_t v = 0;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v) && v != 0)
		return v;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec << 20 ^
	    (uint64_t)getpid();
	return v != 0 ? v : 1;
}
