/* SPDX-License-Identifier: MIT */
/*
 * list.c - reading the registry for operators: ipcx_objects (ipcx ls),
 * ipcx_object (ipcx stat, ipcx rm), and the one writer here,
 * ipcx_unlink_stale (ipcx rm --stale).
 *
 * Only the registry's read side is used (ipcx__registry_dir, _path, _read,
 * _in_use) plus liveness; the entry format and the create path stay in
 * registry.c.  Holders are counted from /proc/locks: every handle on a
 * registered object holds a shared OFD lock on the entry, one line per
 * open file description, so the count is "handles", which is "processes"
 * unless a process opened the object twice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipcx.h"
#include "core/liveness.h"
#include "core/transport.h"
#include "core/uri.h"
#include "os/io.h"
#include "registry/registry.h"

/* Fill obj from the entry open as fd. */
static int
object_fill(int fd, struct ipcx_object *obj)
{
	struct ipcx_registry_entry e;
	struct stat st;
	const char *colon;
	int rc;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EPROTO;
	rc = ipcx__registry_read(fd, &e);
	if (rc < 0)
		return rc;
	memset(obj, 0, sizeof(*obj));
	snprintf(obj->uri, sizeof(obj->uri), "%s", e.uri);
	colon = strchr(e.uri, ':');
	snprintf(obj->scheme, sizeof(obj->scheme), "%.*s",
	         colon != NULL ? (int)(colon - e.uri) : 0, e.uri);
	obj->creator_pid = e.creator.pid;
	obj->creator_start = e.creator.start_time;
	obj->uid = e.uid;
	obj->kept = e.kept;
	obj->created = e.created;
	rc = ipcx__proc_alive(&e.creator);
	obj->creator_alive = rc < 0 ? -1 : rc;
	rc = ipcx__registry_in_use(fd);
	obj->in_use = rc != 0; /* an error counts as in use: stale needs proof */
	obj->holders = ipcx__locks_held(st.st_dev, st.st_ino, NULL, 0);
	if (obj->holders < 0 || (obj->holders == 0 && obj->in_use))
		obj->holders = -1; /* a lock /proc/locks did not show */
	obj->stale = !obj->kept && !obj->in_use && obj->creator_alive == 0;
	return 0;
}

int
ipcx_objects(ipcx_object_fn fn, void *arg)
{
	char dir[4096], path[4096 + 256], why[512];
	struct dirent *d;
	DIR *dp;
	int rc;

	ipcx__set_errmsg(NULL, "%s", "");
	if (fn == NULL)
		return -EINVAL;
	rc = ipcx__registry_dir(dir, sizeof(dir), false, why, sizeof(why));
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		ipcx__set_errmsg(NULL, "%s", why);
		return rc;
	}
	dp = opendir(dir);
	if (dp == NULL)
		return errno == ENOENT ? 0 : -errno;
	rc = 0;
	while (rc == 0 && (d = readdir(dp)) != NULL) {
		struct ipcx_object obj;
		int fd;

		if (d->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			continue;
		fd = ipcx__open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
		if (fd < 0)
			continue; /* removed meanwhile, or not ours to read */
		if (object_fill(fd, &obj) == 0)
			rc = fn(&obj, arg);
		ipcx__close(fd);
	}
	closedir(dp);
	return rc;
}

/*
 * The parsed URI, its transport and canonical form, for a URI as the user
 * wrote it.  The full check is the library's own (ipcx_uri_check), so what
 * create would refuse is refused here with the same reason.
 */
static int
object_resolve(const char *text, struct ipcx_uri *uri, const struct ipcx_transport **ret_tp,
               char *canon, size_t canonlen)
{
	const struct ipcx_transport *tp;
	const char *why = NULL;
	int rc;

	rc = ipcx_uri_check(text);
	if (rc < 0)
		return rc;
	rc = ipcx__uri_parse(text, uri, &why);
	if (rc < 0)
		return rc;
	tp = ipcx__transport_find(uri->scheme, strlen(uri->scheme));
	rc = tp != NULL && tp->t_ops->c_canonical != NULL
	             ? tp->t_ops->c_canonical(uri, NULL, canon, canonlen)
	             : -ENOENT;
	/* 1: the name is known only once an object is made (tcp: port 0 is
	 * bound, a host name resolved), so what the registry holds is already
	 * canonical, as `ipcx ls` prints it; the entry must name it exactly. */
	if (rc == 1 && strlen(text) < canonlen) {
		snprintf(canon, canonlen, "%s", text);
		rc = 0;
	}
	if (rc != 0) {
		ipcx__uri_fini(uri);
		return -ENOENT; /* nothing of this kind is ever registered */
	}
	*ret_tp = tp;
	return 0;
}

static int
object_open(const char *canon, int flags, char *path, size_t pathlen)
{
	int rc = ipcx__registry_path(canon, path, pathlen);

	if (rc < 0)
		return rc;
	return ipcx__open(path, flags | O_NOFOLLOW | O_NONBLOCK, 0);
}

int
ipcx_object(const char *text, struct ipcx_object *obj)
{
	const struct ipcx_transport *tp;
	char canon[IPCX_URI_MAX], path[4200];
	struct ipcx_uri uri;
	int fd, rc;

	ipcx__set_errmsg(NULL, "%s", "");
	if (text == NULL || obj == NULL)
		return -EINVAL;
	rc = object_resolve(text, &uri, &tp, canon, sizeof(canon));
	if (rc < 0)
		return rc;
	ipcx__uri_fini(&uri);
	fd = object_open(canon, O_RDONLY, path, sizeof(path));
	if (fd < 0)
		return fd == -ENOENT || fd == -ELOOP ? -ENOENT : fd;
	rc = object_fill(fd, obj);
	ipcx__close(fd);
	/* The file name is a hash: the entry is ours only if it names us. */
	if (rc == 0 && strcmp(obj->uri, canon) != 0)
		rc = -ENOENT;
	return rc == -EPROTO ? -ENOENT : rc;
}

int
ipcx_unlink_stale(const char *text)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	const struct ipcx_transport *tp;
	char canon[IPCX_URI_MAX], path[4200];
	struct ipcx_registry_entry e;
	struct ipcx_uri uri;
	int fd, rc;

	ipcx__set_errmsg(NULL, "%s", "");
	if (text == NULL)
		return -EINVAL;
	rc = object_resolve(text, &uri, &tp, canon, sizeof(canon));
	if (rc < 0)
		return rc;
	fd = object_open(canon, O_RDWR, path, sizeof(path));
	if (fd < 0) {
		rc = fd == -ELOOP ? -ENOENT : fd;
		goto out;
	}
	/* Nobody may start using it while we decide and remove: a joiner's
	 * shared lock, or a creator's, now fails until we are done. */
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		rc = errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
		if (rc == -EBUSY)
			ipcx__set_errmsg(NULL, "in use: a process has it open");
		goto out;
	}
	rc = ipcx__registry_read(fd, &e);
	if (rc < 0 || strcmp(e.uri, canon) != 0) {
		rc = -ENOENT;
		goto out;
	}
	if (e.kept) {
		ipcx__set_errmsg(NULL, "kept: it stays until removed by name");
		rc = -EBUSY;
		goto out;
	}
	if (ipcx__proc_alive(&e.creator) != 0) {
		ipcx__set_errmsg(NULL, "its creator, pid %d, may still be running", (int)e.creator.pid);
		rc = -EBUSY;
		goto out;
	}
	/* An object already gone, or one that ends with its process (an
	 * abstract socket), leaves only the entry to remove. */
	rc = tp->t_ops->c_unlink != NULL ? tp->t_ops->c_unlink(&uri) : 0;
	if (rc == -ENOENT || rc == -ENOTSUP)
		rc = 0;
	if (rc == 0)
		(void)unlink(path);
out:
	if (fd >= 0)
		ipcx__close(fd);
	ipcx__uri_fini(&uri);
	return rc;
}
