/* SPDX-License-Identifier: MIT */
/*
 * sysvshm.c - System V shared-memory rings: "sysvshm:KEY", KEY being 0x1234,
 * decimal, or ftok:PATH:ID (exactly the key ftok(PATH, ID) gives a C
 * program).  The ring is src/shm/ring.c, the same as shm:'s; only the
 * mapping differs (shmget/shmat).
 *
 * A System V segment appears the moment shmget creates it, zero-filled,
 * before anyone has formatted it, and it has no name to give it later.  So
 * the creator claims the header's creator word, formats, and stores the
 * magic last; a joiner that maps a segment with no magic yet waits for it
 * (a bounded time: the creator needs microseconds), and a create that
 * finds a segment left unformatted by a creator that is provably dead
 * formats it itself.  A segment cannot be resized, so unlike shm: no
 * writer can make the others die of SIGBUS.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "core/liveness.h"
#include "core/transport.h"
#include "shm/ring.h"

#define MAP_KIND_SYSV 2
#define FORMAT_WAIT_MS 2000 /* how long a joiner waits for a creator to format */

/*
 * Parse KEY.  With resolve, an ftok: key is computed (the file must exist);
 * without, only its form is checked (c_check touches nothing).
 */
static int
sysv_key(const struct ipcx_uri *uri, bool resolve, key_t *ret)
{
	const char *a = uri->address, *colon;
	unsigned long v;
	char path[PATH_MAX];
	size_t plen;
	key_t k;

	if (a[0] == '\0')
		return ipcx__uri_invalid(-EINVAL, "sysvshm: needs a KEY (0x1234, 4660 or "
		                                  "ftok:PATH:ID)");
	if (strncmp(a, "ftok:", 5) == 0) {
		a += 5;
		colon = strrchr(a, ':');
		if (colon == NULL || colon == a ||
		    ipcx__parse_ulong(colon + 1, 10, 255, &v) < 0 || v == 0)
			return ipcx__uri_invalid(-EINVAL, "an ftok key is ftok:PATH:ID, ID from 1 "
			                                  "to 255");
		plen = (size_t)(colon - a);
		if (plen >= sizeof(path))
			return ipcx__uri_invalid(-ENAMETOOLONG, "ftok path longer than %d bytes",
			                         PATH_MAX - 1);
		if (!resolve)
			return 0;
		memcpy(path, a, plen);
		path[plen] = '\0';
		k = ftok(path, (int)v);
		if (k == (key_t)-1) {
			int err = -errno;
			ipcx__set_errmsg(NULL, "ftok(%s, %lu): %s", path, v, strerror(-err));
			return err;
		}
		*ret = k;
		return 0;
	}
	if (ipcx__parse_ulong(a, strncmp(a, "0x", 2) == 0 || strncmp(a, "0X", 2) == 0 ? 16 : 10,
	                      UINT32_MAX, &v) < 0)
		return ipcx__uri_invalid(-EINVAL, "a sysvshm: KEY is 0x1234, decimal, or "
		                                  "ftok:PATH:ID");
	if (v == 0)
		return ipcx__uri_invalid(-EINVAL, "KEY 0 is IPC_PRIVATE, which names no shared "
		                                  "segment");
	if (ret != NULL)
		*ret = (key_t)(uint32_t)v;
	return 0;
}

static int
sysv_chan_check(const struct ipcx_uri *uri)
{
	int rc = sysv_key(uri, false, NULL);

	return rc < 0 ? rc : ipcx__shm_query_check(uri, NULL, NULL, NULL);
}

static void
sysv_unmap(void *base, size_t len)
{
	(void)len;
	(void)shmdt(base);
}

static int
sysv_setup(struct ipcx_chan *ch)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	int rc;

	sc->shmid = -1;
	rc = ipcx__shm_query_check(&ch->uri, &sc->geom, &sc->geom_given, &sc->spin_us);
	if (rc < 0)
		return rc;
	rc = sysv_key(&ch->uri, true, &sc->key);
	if (rc < 0 && ch->errmsg[0] == '\0')
		ipcx__set_errmsg(ch, "%s", ipcx_errmsg(NULL));
	return rc;
}

/* Attach shmid (size bytes), sharing a mapping this process already has. */
static int
sysv_map(struct ipcx_shm_chan *sc, int shmid, size_t size, struct ipcx_shm_map **ret)
{
	struct ipcx_shm_map *m = ipcx__shm_map_find(MAP_KIND_SYSV, (uint64_t)shmid, 0);
	void *base;

	if (m == NULL) {
		base = shmat(shmid, NULL, 0);
		if (base == (void *)-1)
			return -errno;
		m = ipcx__shm_map_add(MAP_KIND_SYSV, (uint64_t)shmid, 0, base, size, sysv_unmap);
		if (m == NULL)
			return -ENOMEM;
	}
	(void)sc;
	*ret = m;
	return 0;
}

/* The creator of a segment with no ring in it yet: alive (so still making
 * it) or provably gone. */
static bool
sysv_creator_alive(const struct shmid_ds *ds)
{
	struct ipcx_proc_id id;

	return ipcx__proc_identify(ds->shm_cpid, &id) != -ESRCH && ipcx__proc_alive(&id) != 0;
}

/*
 * Open the existing segment: for join, or to adopt it on create.  A
 * segment whose ring is not formatted yet is waited for; on create, one
 * whose creator is provably dead is formatted here.
 */
static int
sysv_open_existing(struct ipcx_shm_chan *sc, bool adopt, int64_t deadline)
{
	struct ipcx_chan *ch = &sc->base;
	struct ipcx_shm_map *m = NULL;
	struct ipcx_ring_geom g;
	struct shmid_ds ds;
	const char *why;
	int64_t until = ipcx__now_ns() + (int64_t)FORMAT_WAIT_MS * 1000000;
	int shmid, rc, step = 1;

	shmid = shmget(sc->key, 0, 0);
	if (shmid < 0)
		return -errno;
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return -errno;
	if (adopt && ds.shm_perm.uid != geteuid()) {
		ipcx__set_errmsg(ch, "segment 0x%08x exists and belongs to uid %u",
		                 (unsigned)sc->key, (unsigned)ds.shm_perm.uid);
		return -EEXIST;
	}
	rc = sysv_map(sc, shmid, ds.shm_segsz, &m);
	if (rc < 0)
		return rc;
	if (deadline < until)
		until = deadline;
	for (;;) {
		void *base = ipcx__shm_map_base(m);
		size_t len = ipcx__shm_map_len(m);

		rc = ipcx__ring_check(base, len, &g, &why);
		if (rc != -ENOENT)
			break;
		if (adopt && len >= ipcx__ring_bytes(&sc->geom, NULL) && !sysv_creator_alive(&ds) &&
		    ipcx__ring_claim_format(base, len) == 0) {
			/* Left unformatted by a creator that died: ours now. */
			ipcx__ring_format(base, &sc->geom, ipcx__shm_random());
			continue;
		}
		rc = ipcx__backoff(ch, until, &step);
		if (rc == -ETIMEDOUT || rc == -EAGAIN)
			break; /* the check in attach says what is wrong */
		if (rc < 0) {
			ipcx__shm_map_put(m);
			return rc;
		}
	}
	sc->shmid = shmid;
	rc = ipcx__shm_chan_attach(sc, m, adopt);
	/* An adopted leftover keeps its mode unless mode= says otherwise. */
	if (rc == 0 && adopt && ipcx__uri_get(&ch->uri, "mode") != NULL) {
		ds.shm_perm.mode = (ds.shm_perm.mode & ~0777u) | (ch->mode & 0777u);
		if (shmctl(shmid, IPC_SET, &ds) < 0)
			rc = -errno;
	}
	if (rc == 0 && adopt)
		sc->made = true;
	return rc;
}

static int
sysv_chan_create(struct ipcx_chan *ch)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	struct ipcx_shm_map *m;
	uint64_t bytes;
	int shmid, rc;

	rc = sysv_setup(ch);
	if (rc < 0)
		return rc;
	bytes = ipcx__ring_bytes(&sc->geom, NULL);
	/* shmget's permissions are exact: no umask applies to System V IPC. */
	shmid = shmget(sc->key, (size_t)bytes, IPC_CREAT | IPC_EXCL | (int)(ch->mode & 0777));
	if (shmid < 0) {
		rc = -errno;
		if (rc != -EEXIST) {
			if (rc == -EINVAL)
				ipcx__set_errmsg(ch, "shmget refused %llu bytes (kernel.shmmax)",
				                 (unsigned long long)bytes);
			return rc;
		}
		if (!ch->may_adopt) {
			ipcx__set_errmsg(ch, "segment 0x%08x exists", (unsigned)sc->key);
			return -EEXIST;
		}
		return sysv_open_existing(sc, true, IPCX_DEADLINE_NEVER);
	}
	sc->shmid = shmid;
	sc->made = true;
	rc = sysv_map(sc, shmid, (size_t)bytes, &m);
	if (rc == 0) {
		rc = ipcx__ring_claim_format(ipcx__shm_map_base(m), ipcx__shm_map_len(m));
		if (rc == 0) {
			ipcx__ring_format(ipcx__shm_map_base(m), &sc->geom, ipcx__shm_random());
			rc = ipcx__shm_chan_attach(sc, m, true);
		} else {
			ipcx__shm_map_put(m);
		}
	}
	if (rc < 0) {
		/* A failed create leaves nothing behind that it made. */
		(void)shmctl(shmid, IPC_RMID, NULL);
		sc->made = false;
	}
	return rc;
}

static int
sysv_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	int rc = sysv_setup(ch);

	if (rc < 0)
		return rc;
	rc = sysv_open_existing((struct ipcx_shm_chan *)ch, false, deadline);
	if (rc == -ENOENT && ch->errmsg[0] == '\0')
		ipcx__set_errmsg(ch, "no ipcx ring under key 0x%08x",
		                 (unsigned)((struct ipcx_shm_chan *)ch)->key);
	return rc;
}

static void
sysv_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;

	ipcx__shm_chan_release(sc);
	/* Remove it only if the key still names the segment we made. */
	if (remove && sc->made && sc->shmid >= 0 && shmget(sc->key, 0, 0) == sc->shmid)
		(void)shmctl(sc->shmid, IPC_RMID, NULL);
	sc->made = false;
}

static int
sysv_chan_unlink(const struct ipcx_uri *uri)
{
	key_t key;
	int shmid, rc = sysv_key(uri, true, &key);

	if (rc < 0)
		return rc;
	shmid = shmget(key, 0, 0);
	if (shmid < 0)
		return -errno;
	return shmctl(shmid, IPC_RMID, NULL) < 0 ? -errno : 0;
}

static int
sysv_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out,
                    size_t outlen)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	key_t key;
	int n;

	if (sc != NULL && sc->map != NULL)
		key = sc->key;
	else if (sysv_key(uri, true, &key) < 0)
		return 1; /* an ftok path that is gone names nothing to register */
	n = snprintf(out, outlen, "sysvshm:0x%08x", (unsigned)(uint32_t)key);
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
sysv_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	struct shmid_ds ds;

	if (sc->shmid >= 0 && shmctl(sc->shmid, IPC_STAT, &ds) == 0) {
		st->mode = ds.shm_perm.mode & 0777;
		st->owner_uid = ds.shm_perm.uid;
		st->has_owner = 1;
	}
	ipcx__shm_chan_stat(ch, st);
	return 0;
}

static int
sysv_chan_peek(const struct ipcx_uri *uri, void **ret_base, size_t *ret_len,
               void (**ret_unmap)(void *base, size_t len))
{
	struct shmid_ds ds;
	void *base;
	key_t key;
	int shmid, rc = sysv_key(uri, true, &key);

	if (rc < 0)
		return rc;
	shmid = shmget(key, 0, 0);
	if (shmid < 0 || shmctl(shmid, IPC_STAT, &ds) < 0)
		return -errno;
	base = shmat(shmid, NULL, SHM_RDONLY);
	if (base == (void *)-1)
		return -errno;
	*ret_base = base;
	*ret_len = ds.shm_segsz;
	*ret_unmap = sysv_unmap;
	return 0;
}

static const struct ipcx_chan_ops sysv_ops = {
	.c_create = sysv_chan_create,
	.c_join = sysv_chan_join,
	.c_send = ipcx__shm_chan_send,
	.c_recv = ipcx__shm_chan_recv,
	.c_pollfd = ipcx__shm_chan_pollfd,
	.c_close = sysv_chan_close,
	.c_unlink = sysv_chan_unlink,
	.c_stat = sysv_chan_stat,
	.c_canonical = sysv_chan_canonical,
	.c_loan = ipcx__shm_chan_loan,
	.c_commit = ipcx__shm_chan_commit,
	.c_borrow = ipcx__shm_chan_borrow,
	.c_release = ipcx__shm_chan_release_msg,
	.c_check = sysv_chan_check,
	.c_peek = sysv_chan_peek,
};

const struct ipcx_transport ipcx__sysvshm_transport = {
	.t_scheme = "sysvshm",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct ipcx_shm_chan),
	.t_caps = IPCX_CAP_MESSAGE | IPCX_CAP_POLLABLE | IPCX_CAP_LOAN | IPCX_CAP_NAMED |
	          IPCX_CAP_MANY_RECV,
	.t_keys = ipcx__shm_keys,
	.t_ops = &sysv_ops,
	.t_default_max = IPCX_RING_DEFAULT_SLOT_SIZE,
	.t_summary = "System V shared-memory ring",
	.t_address = "KEY",
	.t_sample = "sysvshm:ftok:{dir}:1",
};
