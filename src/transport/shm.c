/* SPDX-License-Identifier: MIT */
/*
 * shm.c - POSIX shared-memory rings: "shm:NAME" (the same object as
 * "shm:/NAME", /dev/shm/NAME, what shm_open("/NAME") opens).
 *
 * The ring itself is src/shm/ring.c; this file only makes, finds and
 * removes the mapping:
 *  - create builds the whole ring in an unnamed file (O_TMPFILE in
 *    /dev/shm), sizes it, formats it, sets its mode with fchmod, and only
 *    then gives it its name with linkat(2), which fails if the name exists.
 *    So nobody ever sees a half-made ring, and a creator killed on the way
 *    leaves nothing behind.
 *  - an existing object of that name is adopted only when the core allows
 *    it (no IPCX_EXCL, no live user), it belongs to this user, and it is an
 *    ipcx ring of the same geometry: anything else is -EEXIST.
 *  - join maps whatever ring has the name and checks its header.
 * shm_open(3) adds O_NOFOLLOW, so a link planted under the name is never
 * followed.  A process that may write /dev/shm/NAME can also shrink it,
 * and the others then die of SIGBUS: shm: trusts its writers that far
 * (DESIGN.md; ipcx-shm(7)).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"
#include "shm/ring.h"

#define SHM_DIR "/dev/shm"
#define MAP_KIND_POSIX 1

/* The NAME of "shm:NAME" or "shm:/NAME": one path component. */
static int
shm_name(const struct ipcx_uri *uri, const char **ret)
{
	const char *a = uri->address;

	if (a[0] == '/')
		a++;
	if (a[0] == '\0')
		return ipcx__uri_invalid(-EINVAL, "shm: needs a NAME");
	if (strchr(a, '/') != NULL)
		return ipcx__uri_invalid(-EINVAL, "a shm: NAME is one name, with no '/' inside "
		                                  "(it lives in " SHM_DIR ")");
	if (strcmp(a, ".") == 0 || strcmp(a, "..") == 0)
		return ipcx__uri_invalid(-EINVAL, "'%s' is not a shm: NAME", a);
	if (strlen(a) > NAME_MAX)
		return ipcx__uri_invalid(-ENAMETOOLONG, "a shm: NAME has at most %d bytes",
		                         NAME_MAX);
	*ret = a;
	return 0;
}

static int
shm_chan_check(const struct ipcx_uri *uri)
{
	const char *name;
	int rc = shm_name(uri, &name);

	return rc < 0 ? rc : ipcx__shm_query_check(uri, NULL, NULL, NULL);
}

static void
shm_unmap(void *base, size_t len)
{
	(void)munmap(base, len);
}

static int
shm_setup(struct ipcx_chan *ch)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	const char *name;
	int rc;

	sc->shmid = -1;
	rc = shm_name(&ch->uri, &name);
	if (rc < 0)
		return rc;
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	return ipcx__shm_query_check(&ch->uri, &sc->geom, &sc->geom_given, &sc->spin_us);
}

/* Map the object open on fd (its size from fstat), sharing a mapping this
 * process already has of the same file. */
static int
shm_map_fd(struct ipcx_shm_chan *sc, int fd, const struct stat *st, struct ipcx_shm_map **ret)
{
	struct ipcx_shm_map *m;
	void *base;

	m = ipcx__shm_map_find(MAP_KIND_POSIX, st->st_dev, st->st_ino);
	if (m == NULL) {
		if (st->st_size <= 0 || (uint64_t)st->st_size > IPCX_RING_MAX_BYTES + 65536) {
			ipcx__set_errmsg(&sc->base, "%s/%s has %lld bytes: not an ipcx ring",
			                 SHM_DIR, sc->name, (long long)st->st_size);
			return -EPROTO;
		}
		base = mmap(NULL, (size_t)st->st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (base == MAP_FAILED)
			return -errno;
		m = ipcx__shm_map_add(MAP_KIND_POSIX, st->st_dev, st->st_ino, base,
		                      (size_t)st->st_size, shm_unmap);
		if (m == NULL)
			return -ENOMEM;
	}
	*ret = m;
	return 0;
}

/* Open the existing object: for join, or to adopt it on create. */
static int
shm_open_existing(struct ipcx_shm_chan *sc, bool adopt)
{
	struct ipcx_chan *ch = &sc->base;
	struct ipcx_shm_map *m = NULL;
	char path[sizeof(SHM_DIR) + 1 + sizeof(sc->name)];
	struct stat st;
	int fd, rc;

	snprintf(path, sizeof(path), "/%s", sc->name);
	fd = shm_open(path, O_RDWR, 0);
	if (fd < 0)
		return errno == ELOOP ? -EEXIST : -errno;
	fd = ipcx__fd_above_stdio(fd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ipcx__set_errmsg(ch, "%s/%s is not a shared-memory object", SHM_DIR, sc->name);
		rc = adopt ? -EEXIST : -EINVAL;
		goto out;
	}
	if (adopt && st.st_uid != geteuid()) {
		ipcx__set_errmsg(ch, "%s/%s exists and belongs to uid %u", SHM_DIR, sc->name,
		                 (unsigned)st.st_uid);
		rc = -EEXIST;
		goto out;
	}
	rc = shm_map_fd(sc, fd, &st, &m);
	if (rc < 0) {
		if (adopt && rc == -EPROTO)
			rc = -EEXIST;
		goto out;
	}
	sc->dev = st.st_dev;
	sc->ino = st.st_ino;
	rc = ipcx__shm_chan_attach(sc, m, adopt);
	/* An adopted leftover keeps its mode unless mode= says otherwise. */
	if (rc == 0 && adopt && ipcx__uri_get(&ch->uri, "mode") != NULL &&
	    fchmod(fd, ch->mode) < 0)
		rc = -errno;
	if (rc == 0 && adopt)
		sc->made = true;
out:
	ipcx__close(fd);
	return rc;
}

static int
shm_chan_create(struct ipcx_chan *ch)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	char proc[64], path[sizeof(SHM_DIR) + 1 + sizeof(sc->name)];
	struct ipcx_shm_map *m;
	struct stat st;
	uint64_t bytes;
	void *base;
	int fd, rc;

	rc = shm_setup(ch);
	if (rc < 0)
		return rc;
	bytes = ipcx__ring_bytes(&sc->geom, NULL);
	fd = ipcx__open(SHM_DIR, O_TMPFILE | O_RDWR, 0600);
	if (fd < 0) {
		ipcx__set_errmsg(ch, "cannot make an unnamed file in %s: %s", SHM_DIR,
		                 strerror(-fd));
		return fd;
	}
	if (ftruncate(fd, (off_t)bytes) < 0 || fchmod(fd, ch->mode) < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		ipcx__close(fd);
		return rc;
	}
	base = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		ipcx__close(fd);
		return rc;
	}
	ipcx__ring_format(base, &sc->geom, ipcx__shm_random());
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	snprintf(path, sizeof(path), "%s/%s", SHM_DIR, sc->name);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		rc = -errno;
		(void)munmap(base, (size_t)bytes);
		ipcx__close(fd);
		if (rc != -EEXIST)
			return rc;
		if (!ch->may_adopt) {
			ipcx__set_errmsg(ch, "%s exists", path);
			return -EEXIST;
		}
		return shm_open_existing(sc, true);
	}
	ipcx__close(fd);
	sc->dev = st.st_dev;
	sc->ino = st.st_ino;
	sc->made = true;
	m = ipcx__shm_map_add(MAP_KIND_POSIX, st.st_dev, st.st_ino, base, (size_t)bytes,
	                      shm_unmap);
	rc = m == NULL ? -ENOMEM : ipcx__shm_chan_attach(sc, m, true);
	if (rc < 0) {
		/* A failed create leaves nothing behind that it made. */
		(void)unlink(path);
		sc->made = false;
	}
	return rc;
}

static int
shm_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	int rc;

	(void)deadline;
	rc = shm_setup(ch);
	if (rc < 0)
		return rc;
	return shm_open_existing((struct ipcx_shm_chan *)ch, false);
}

/* Still the object this channel made? (A successor may have replaced it.) */
static bool
shm_is_ours(const struct ipcx_shm_chan *sc)
{
	char path[sizeof(SHM_DIR) + 1 + sizeof(sc->name)];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", SHM_DIR, sc->name);
	return lstat(path, &st) == 0 && st.st_dev == sc->dev && st.st_ino == sc->ino;
}

static void
shm_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	char path[sizeof(sc->name) + 1];

	ipcx__shm_chan_release(sc);
	if (remove && sc->made && sc->name[0] != '\0' && shm_is_ours(sc)) {
		snprintf(path, sizeof(path), "/%s", sc->name);
		(void)shm_unlink(path);
	}
	sc->made = false;
}

static int
shm_chan_unlink(const struct ipcx_uri *uri)
{
	char path[NAME_MAX + 2];
	const char *name;
	int rc = shm_name(uri, &name);

	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/%s", name);
	return shm_unlink(path) < 0 ? -errno : 0;
}

static int
shm_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out, size_t outlen)
{
	const char *name;
	int rc = shm_name(uri, &name), n;

	(void)ch;
	if (rc < 0)
		return rc;
	n = snprintf(out, outlen, "shm:/%s", name);
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
shm_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct ipcx_shm_chan *sc = (struct ipcx_shm_chan *)ch;
	char path[sizeof(SHM_DIR) + 1 + sizeof(sc->name)];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", SHM_DIR, sc->name);
	if (stat(path, &sb) == 0) {
		st->mode = sb.st_mode & 07777;
		st->owner_uid = sb.st_uid;
		st->has_owner = 1;
	}
	ipcx__shm_chan_stat(ch, st);
	return 0;
}

static int
shm_chan_peek(const struct ipcx_uri *uri, void **ret_base, size_t *ret_len,
              void (**ret_unmap)(void *base, size_t len))
{
	char path[NAME_MAX + 2];
	const char *name;
	struct stat st;
	void *base = NULL;
	int fd, rc = shm_name(uri, &name);

	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "/%s", name);
	fd = shm_open(path, O_RDONLY, 0);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		ipcx__set_errmsg(NULL, "%s/%s is not a shared-memory object", SHM_DIR, name);
		rc = -EINVAL;
	} else if (st.st_size > 0) {
		base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		rc = base == MAP_FAILED ? -errno : 0;
	}
	ipcx__close(fd);
	if (rc < 0)
		return rc;
	*ret_base = st.st_size > 0 ? base : NULL;
	*ret_len = (size_t)st.st_size;
	*ret_unmap = shm_unmap;
	return 0;
}

static const struct ipcx_chan_ops shm_ops = {
	.c_create = shm_chan_create,
	.c_join = shm_chan_join,
	.c_send = ipcx__shm_chan_send,
	.c_recv = ipcx__shm_chan_recv,
	.c_pollfd = ipcx__shm_chan_pollfd,
	.c_close = shm_chan_close,
	.c_unlink = shm_chan_unlink,
	.c_stat = shm_chan_stat,
	.c_canonical = shm_chan_canonical,
	.c_loan = ipcx__shm_chan_loan,
	.c_commit = ipcx__shm_chan_commit,
	.c_borrow = ipcx__shm_chan_borrow,
	.c_release = ipcx__shm_chan_release_msg,
	.c_check = shm_chan_check,
	.c_peek = shm_chan_peek,
};

const struct ipcx_transport ipcx__shm_transport = {
	.t_scheme = "shm",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct ipcx_shm_chan),
	.t_caps = IPCX_CAP_MESSAGE | IPCX_CAP_POLLABLE | IPCX_CAP_LOAN | IPCX_CAP_NAMED |
	          IPCX_CAP_MANY_RECV,
	.t_keys = ipcx__shm_keys,
	.t_ops = &shm_ops,
	.t_default_max = IPCX_RING_DEFAULT_SLOT_SIZE,
	.t_summary = "POSIX shared-memory ring",
	.t_address = "NAME",
	.t_sample = "shm:ipcx-{id}",
};
