/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the object registry and liveness locks (see registry.h).
 *
 * Entries are named by a 128-bit hash of the canonical URI, so any path of
 * any length maps to a short file name; the URI itself is the first line of
 * the entry, and a reader that finds a different URI under the name treats
 * the entry as not its own.  OFD locks (F_OFD_SETLK) are used, never classic
 * POSIX locks: those belong to the process and vanish when any descriptor on
 * the file is closed, which would silently drop a liveness lock.  No lock is
 * ever waited for with F_OFD_SETLKW: a creator that finds the entry locked
 * fails at once, a joiner retries for a few milliseconds.
 *
 * Entries are opened relative to a descriptor of the checked directory, and
 * never through a symbolic link, so nothing can be swapped in between the
 * check and the use.  An entry is removed only while it is still the file
 * its holder locked: a lock on a file that was unlinked protects nothing,
 * so whoever locks an entry then checks that the name still leads to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/liveness.h"
#include "os/io.h"
#include "registry/registry.h"
#include "shared/ipcx_shared.h"

#define ENTRY_TEXT_MAX 8192
#define OPEN_TRIES 8      /* an entry replaced under us this often: give up */
#define HOLD_WAIT_TRIES 20 /* 1 ms each: a creator still making the object */

static void
say(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* ---- the directory ---------------------------------------------------- */

/* The directory's name, before anything is checked. */
static int
dir_name(char *out, size_t outlen, char *why, size_t whylen)
{
	const char *env = getenv("IPCX_REGISTRY_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env != NULL && env[0] != '\0') {
		if (env[0] != '/') {
			/* A relative name would follow the working directory: every
			 * process would keep its own registry, and none would see
			 * the others' locks. */
			say(why, whylen, "IPCX_REGISTRY_DIR=%s is not an absolute path", env);
			return -ENOTDIR;
		}
		n = snprintf(out, outlen, "%s", env);
	} else if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(out, outlen, "%s/ipcx", xdg);
	} else if (geteuid() == 0) {
		n = snprintf(out, outlen, "/run/ipcx");
	} else {
		n = snprintf(out, outlen, "/tmp/ipcx-%u", (unsigned)geteuid());
	}
	if (n < 0 || (size_t)n >= outlen) {
		say(why, whylen, "the registry directory's name is too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

static int
dir_check(int dfd, const char *dir, char *why, size_t whylen)
{
	struct stat st;

	if (fstat(dfd, &st) < 0) {
		int err = -errno;
		say(why, whylen, "cannot inspect the registry directory %s: %s", dir,
		    strerror(-err));
		return err;
	}
	if (st.st_uid != geteuid()) {
		say(why, whylen, "the registry directory %s belongs to uid %u, not to this user "
		                 "(uid %u)", dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if ((st.st_mode & 077) != 0) {
		say(why, whylen, "the registry directory %s has mode %04o: only its owner may "
		                 "have access (0700)", dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Open and check the directory; returns its descriptor. */
static int
dir_open(bool create, char *dir, size_t dirlen, char *why, size_t whylen)
{
	bool made = false;
	int dfd, rc;

	rc = dir_name(dir, dirlen, why, whylen);
	if (rc < 0)
		return rc;
	dfd = ipcx__open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	if (dfd == -ENOENT && create) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			rc = -errno;
			say(why, whylen, "cannot make the registry directory %s: %s", dir,
			    strerror(-rc));
			return rc;
		}
		made = true;
		dfd = ipcx__open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
	}
	if (dfd == -ELOOP || dfd == -ENOTDIR) {
		say(why, whylen, "the registry directory %s is a symbolic link or not a directory",
		    dir);
		return -ENOTDIR;
	}
	if (dfd < 0) {
		say(why, whylen, "cannot open the registry directory %s: %s", dir, strerror(-dfd));
		return dfd;
	}
	/* The umask may have taken the owner's own access. */
	if (made)
		(void)fchmod(dfd, 0700);
	rc = dir_check(dfd, dir, why, whylen);
	if (rc < 0) {
		ipcx__close(dfd);
		return rc;
	}
	return dfd;
}

int
ipcx__registry_dir(char *out, size_t outlen, bool create, char *why, size_t whylen)
{
	int dfd = dir_open(create, out, outlen, why, whylen);

	if (dfd < 0)
		return dfd;
	ipcx__close(dfd);
	return 0;
}

/* ---- entry names and text --------------------------------------------- */

static uint64_t
fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static int
entry_name(const char *canonical, char *out, size_t outlen)
{
	const char *colon = strchr(canonical, ':');
	int n, slen = colon ? (int)(colon - canonical) : 0;

	n = snprintf(out, outlen, "%.*s.%016" PRIx64 "%016" PRIx64, slen, canonical,
	             fnv1a(canonical, 0xcbf29ce484222325ull),
	             fnv1a(canonical, 0x84222325cbf29ce4ull));
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

int
ipcx__registry_path(const char *canonical, char *out, size_t outlen)
{
	char dir[4096], name[128];
	int rc, n;

	rc = dir_name(dir, sizeof(dir), NULL, 0);
	if (rc < 0)
		return rc;
	rc = entry_name(canonical, name, sizeof(name));
	if (rc < 0)
		return rc;
	n = snprintf(out, outlen, "%s/%s", dir, name);
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

/* The URI goes on one line: control bytes and '%' are %XX-escaped (a path
 * may hold a newline). */
static size_t
escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s && o + 4 < outlen; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == 0x7f || ch == '%') {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
	return o;
}

static void
unescape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *s && o + 1 < outlen; s++) {
		if (s[0] == '%' && ipcx_shared_hexval(s[1]) >= 0 && ipcx_shared_hexval(s[2]) >= 0) {
			out[o++] = (char)(ipcx_shared_hexval(s[1]) * 16 + ipcx_shared_hexval(s[2]));
			s += 2;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

int
ipcx__registry_read(int fd, struct ipcx_registry_entry *e)
{
	char buf[ENTRY_TEXT_MAX], *line, *save = NULL;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	memset(e, 0, sizeof(*e));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "uri=", 4) == 0)
			unescape(line + 4, e->uri, sizeof(e->uri));
		else if (strncmp(line, "pid=", 4) == 0)
			e->creator.pid = (int32_t)strtol(line + 4, NULL, 10);
		else if (strncmp(line, "start=", 6) == 0)
			e->creator.start_time = strtoull(line + 6, NULL, 10);
		else if (strncmp(line, "uid=", 4) == 0)
			e->uid = (uid_t)strtoul(line + 4, NULL, 10);
		else if (strncmp(line, "kept=", 5) == 0)
			e->kept = line[5] == '1';
		else if (strncmp(line, "created=", 8) == 0)
			e->created = strtoll(line + 8, NULL, 10);
	}
	return e->uri[0] ? 0 : -EPROTO;
}

int
ipcx__registry_creator_alive(const struct ipcx_registry_entry *e)
{
	return ipcx__proc_alive(&e->creator);
}

/* ---- locks ------------------------------------------------------------ */

static int
lock_entry(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return errno == EACCES ? -EAGAIN : -errno;
	return 0;
}

int
ipcx__registry_in_use(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type != F_UNLCK;
}

/* A regular file of ours (the directory is private, but a file planted
 * before it was made private, or by root, is not trusted). */
static int
entry_check(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return -EPERM;
	return 0;
}

/* The name still leads to the file fd has open. */
static bool
still_linked(int dfd, const char *name, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && a.st_nlink > 0 &&
	       fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static bool
path_is(const char *path, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* The sentence for an entry some live process holds. */
static void
describe_busy(int fd, const char *canonical, char *why, size_t whylen)
{
	struct ipcx_registry_entry e;
	int alive;

	if (ipcx__registry_read(fd, &e) < 0 || e.creator.pid <= 0) {
		say(why, whylen, "%s is in use by a live process", canonical);
		return;
	}
	alive = ipcx__registry_creator_alive(&e);
	if (alive == 0)
		say(why, whylen, "%s is in use by a live process (its creator, pid %d, has "
		                 "exited; another process has it open)", canonical,
		    (int)e.creator.pid);
	else
		say(why, whylen, "%s is in use by a live process (its creator, pid %d, is "
		                 "running)", canonical, (int)e.creator.pid);
}

/* ---- creators --------------------------------------------------------- */

static int
entry_write(int fd, const char *canonical, bool kept)
{
	char uri[ENTRY_TEXT_MAX / 2], text[ENTRY_TEXT_MAX];
	struct ipcx_proc_id self = { 0, 0, 0 };
	ssize_t w;
	int n;

	escape(canonical, uri, sizeof(uri));
	(void)ipcx__proc_self(&self); /* start=0 (unknown) without /proc */
	n = snprintf(text, sizeof(text),
	             "uri=%s\npid=%d\nstart=%" PRIu64 "\nuid=%u\nkept=%d\ncreated=%lld\n", uri,
	             (int)getpid(), self.start_time, (unsigned)geteuid(), kept ? 1 : 0,
	             (long long)time(NULL));
	if (n < 0 || (size_t)n >= sizeof(text))
		return -ENAMETOOLONG;
	/* Write over the old text, then cut what is left of it, so a reader
	 * never finds the file empty. */
	w = pwrite(fd, text, (size_t)n, 0);
	if (w != n)
		return w < 0 ? -errno : -ENOSPC;
	if (ftruncate(fd, n) < 0)
		return -errno;
	return 0;
}

static void
entry_restore(int fd, const char *old, size_t len)
{
	if (pwrite(fd, old, len, 0) == (ssize_t)len)
		(void)!ftruncate(fd, (off_t)len);
}

int
ipcx__registry_claim(const char *canonical, bool kept, struct ipcx_registry_claim *c,
                     char *why, size_t whylen)
{
	char dir[4096], name[128], path[4096 + 130];
	bool made = false, locked = false, written = false;
	int dfd, fd = -1, rc, tries;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	rc = entry_name(canonical, name, sizeof(name));
	if (rc < 0)
		return rc;
	dfd = dir_open(true, dir, sizeof(dir), why, whylen);
	if (dfd < 0)
		return dfd;
	rc = -EBUSY;
	for (tries = 0; tries < OPEN_TRIES; tries++) {
		made = true;
		fd = ipcx__openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK,
		                  0600);
		if (fd == -EEXIST) {
			made = false;
			fd = ipcx__openat(dfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK, 0);
			if (fd == -ENOENT)
				continue; /* removed in between: make it */
		}
		if (fd < 0) {
			rc = fd == -ELOOP || fd == -EISDIR ? -EPERM : fd;
			if (fd == -ELOOP)
				say(why, whylen, "the registry entry %s/%s is a symbolic link", dir,
				    name);
			else if (fd == -EISDIR)
				say(why, whylen, "the registry entry %s/%s is not a regular file of "
				                 "this user", dir, name);
			else
				say(why, whylen, "cannot open a registry entry in %s: %s", dir,
				    strerror(-fd));
			goto out;
		}
		if (made)
			(void)fchmod(fd, 0600); /* the umask may have taken our own access */
		rc = entry_check(fd);
		if (rc < 0) {
			say(why, whylen, "the registry entry %s/%s is not a regular file of this "
			                 "user", dir, name);
			goto fail;
		}
		rc = lock_entry(fd, F_WRLCK);
		if (rc == -EAGAIN) {
			describe_busy(fd, canonical, why, whylen);
			rc = -EBUSY;
			goto fail;
		}
		if (rc < 0) {
			say(why, whylen, "cannot lock a registry entry in %s: %s", dir,
			    strerror(-rc));
			goto fail;
		}
		locked = true;
		if (still_linked(dfd, name, fd))
			break;
		locked = false;
		/* Its holder removed it after we opened it: the lock is on a
		 * file nobody will look at.  Start again. */
		ipcx__close(fd);
		fd = -1;
		rc = -EBUSY;
	}
	if (fd < 0) {
		say(why, whylen, "the registry entry for %s in %s keeps changing", canonical, dir);
		goto out;
	}
	if (!made) {
		c->old = malloc(ENTRY_TEXT_MAX);
		if (c->old == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		n = pread(fd, c->old, ENTRY_TEXT_MAX, 0);
		c->old_len = n > 0 ? (size_t)n : 0;
		/* An empty entry is one a creator made and never wrote (it
		 * lost the lock to us): nothing to put back, ours to remove. */
		if (c->old_len == 0) {
			free(c->old);
			c->old = NULL;
			made = true;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	c->path = strdup(path);
	if (c->path == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	written = true;
	rc = entry_write(fd, canonical, kept);
	if (rc < 0) {
		say(why, whylen, "cannot write the registry entry in %s: %s", dir, strerror(-rc));
		goto fail;
	}
	c->fd = fd;
	c->made = made;
	ipcx__close(dfd);
	return 0;
fail:
	/* Only the holder of the exclusive lock may touch the entry. */
	if (locked && made && still_linked(dfd, name, fd))
		(void)unlinkat(dfd, name, 0);
	else if (locked && written && c->old != NULL)
		entry_restore(fd, c->old, c->old_len);
	ipcx__close(fd);
	free(c->old);
	free(c->path);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
out:
	ipcx__close(dfd);
	return rc;
}

int
ipcx__registry_commit(struct ipcx_registry_claim *c, char **ret_path)
{
	int fd = c->fd;

	/* Exclusive to shared in one call: no other creator can slip in
	 * between (F_OFD_SETLK converts the lock in place). */
	(void)lock_entry(fd, F_RDLCK);
	*ret_path = c->path;
	free(c->old);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	return fd;
}

void
ipcx__registry_abandon(struct ipcx_registry_claim *c)
{
	if (c->fd >= 0) {
		if (c->made) {
			if (path_is(c->path, c->fd))
				(void)unlink(c->path);
		} else if (c->old != NULL) {
			entry_restore(c->fd, c->old, c->old_len);
		}
		ipcx__close(c->fd);
	}
	free(c->old);
	free(c->path);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void
ipcx__registry_remove(int fd, const char *path)
{
	if (fd >= 0 && path != NULL && path_is(path, fd))
		(void)unlink(path);
}

/* ---- joiners ---------------------------------------------------------- */

int
ipcx__registry_hold(const char *canonical)
{
	struct ipcx_registry_entry e;
	struct timespec ms = { 0, 1000000 };
	char dir[4096], name[128];
	int dfd, fd = -ENOENT, rc, tries;

	if (entry_name(canonical, name, sizeof(name)) < 0)
		return -ENOENT;
	dfd = dir_open(false, dir, sizeof(dir), NULL, 0);
	if (dfd < 0)
		return -ENOENT;
	for (tries = 0; tries < HOLD_WAIT_TRIES; tries++) {
		fd = ipcx__openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
		if (fd < 0 || entry_check(fd) < 0)
			break;
		rc = lock_entry(fd, F_RDLCK);
		if (rc == 0 && still_linked(dfd, name, fd))
			break;
		ipcx__close(fd);
		fd = -ENOENT;
		if (rc < 0 && rc != -EAGAIN)
			break;
		/* A creator is still making the object (or its entry was
		 * replaced): it is a matter of moments. */
		(void)nanosleep(&ms, NULL);
	}
	if (fd >= 0 && (ipcx__registry_read(fd, &e) < 0 || strcmp(e.uri, canonical) != 0)) {
		ipcx__close(fd);
		fd = -ENOENT;
	}
	ipcx__close(dfd);
	return fd < 0 ? -ENOENT : fd;
}
