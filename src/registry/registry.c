/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the object registry and liveness locks (see registry.h).
 *
 * Entries are named by a 128-bit hash of the canonical URI, so any path of
 * any length maps to a short file name; the URI itself is the first line of
 * the entry, and a reader that finds a different URI under the name treats
 * the entry as not its own.  OFD locks (F_OFD_SETLK) are used, never classic
 * POSIX locks: those belong to the process and vanish when any descriptor on
 * the file is closed, which would silently drop a liveness lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "os/io.h"
#include "registry/registry.h"

static int
dir_check(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR; /* a symbolic link planted in its place, or a file */
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return -EPERM;
	return 0;
}

int
ipcx__registry_dir(char *out, size_t outlen, bool create)
{
	const char *env = getenv("IPCX_REGISTRY_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n, rc;

	if (env != NULL && env[0] == '/')
		n = snprintf(out, outlen, "%s", env);
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, outlen, "%s/ipcx", xdg);
	else if (geteuid() == 0)
		n = snprintf(out, outlen, "/run/ipcx");
	else
		n = snprintf(out, outlen, "/tmp/ipcx-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	rc = dir_check(out);
	if (rc == -ENOENT && create) {
		if (mkdir(out, 0700) < 0 && errno != EEXIST)
			return -errno;
		rc = dir_check(out);
	}
	return rc;
}

static uint64_t
fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

int
ipcx__registry_path(const char *canonical, char *out, size_t outlen)
{
	char dir[4096];
	const char *colon = strchr(canonical, ':');
	int rc, n, slen = colon ? (int)(colon - canonical) : 0;

	rc = ipcx__registry_dir(dir, sizeof(dir), false);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	n = snprintf(out, outlen, "%s/%.*s.%016" PRIx64 "%016" PRIx64, dir, slen, canonical,
	             fnv1a(canonical, 0xcbf29ce484222325ull),
	             fnv1a(canonical, 0x84222325cbf29ce4ull));
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}

uint64_t
ipcx__proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	const char *p;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = ipcx__open(path, O_RDONLY, 0);
	if (fd < 0)
		return 0;
	n = ipcx__read(fd, buf, sizeof(buf) - 1);
	ipcx__close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and ')': fields start after the
	 * last ')'.  Field 3 follows it; start time is field 22. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	p++;
	for (i = 3; i < 22 && p; i++) {
		p = strchr(p + 1, ' ');
	}
	if (p == NULL || sscanf(p, " %llu", &start) != 1)
		return 0;
	return start;
}

static int
lock_shared(int fd)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return -errno;
	return 0;
}

int
ipcx__registry_add(const char *canonical, bool kept, char **ret_path)
{
	char dir[4096], path[4200], text[4600];
	int fd, rc, n;
	ssize_t w;

	rc = ipcx__registry_dir(dir, sizeof(dir), true);
	if (rc < 0)
		return rc;
	rc = ipcx__registry_path(canonical, path, sizeof(path));
	if (rc < 0)
		return rc;
	fd = ipcx__open(path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fd;
	rc = lock_shared(fd);
	if (rc < 0)
		goto fail;
	n = snprintf(text, sizeof(text),
	             "uri=%s\npid=%d\nstart=%" PRIu64 "\nuid=%u\nkept=%d\ncreated=%lld\n",
	             canonical, (int)getpid(), ipcx__proc_start_time(getpid()),
	             (unsigned)geteuid(), kept ? 1 : 0, (long long)time(NULL));
	if (n < 0 || (size_t)n >= sizeof(text)) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	if (ftruncate(fd, 0) < 0) {
		rc = -errno;
		goto fail;
	}
	w = pwrite(fd, text, (size_t)n, 0);
	if (w != n) {
		rc = w < 0 ? -errno : -ENOSPC;
		goto fail;
	}
	*ret_path = strdup(path);
	if (*ret_path == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	return fd;
fail:
	ipcx__close(fd);
	return rc;
}

int
ipcx__registry_read(int fd, struct ipcx_registry_entry *e)
{
	char buf[8192], *line, *save = NULL;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	memset(e, 0, sizeof(*e));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "uri=", 4) == 0)
			snprintf(e->uri, sizeof(e->uri), "%s", line + 4);
		else if (strncmp(line, "pid=", 4) == 0)
			e->pid = (pid_t)atoi(line + 4);
		else if (strncmp(line, "start=", 6) == 0)
			e->start_time = strtoull(line + 6, NULL, 10);
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
ipcx__registry_hold(const char *canonical)
{
	struct ipcx_registry_entry e;
	char path[4200];
	int fd, rc;

	rc = ipcx__registry_path(canonical, path, sizeof(path));
	if (rc < 0)
		return rc;
	fd = ipcx__open(path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	if (ipcx__registry_read(fd, &e) < 0 || strcmp(e.uri, canonical) != 0 ||
	    lock_shared(fd) < 0) {
		ipcx__close(fd);
		return -ENOENT;
	}
	return fd;
}

int
ipcx__registry_in_use(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type != F_UNLCK;
}
