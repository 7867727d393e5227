/* SPDX-License-Identifier: MIT */
/*
 * registry.h - what ipcx created, and who still uses it (DESIGN.md).
 *
 * One small file per named object in the registry directory:
 * $IPCX_REGISTRY_DIR (an absolute path: tests, containers), else
 * $XDG_RUNTIME_DIR/ipcx/, else /run/ipcx/ for root, /tmp/ipcx-UID/ for
 * others.  The directory is mode 0700, owned by the user, and never a
 * symbolic link.
 *
 * Locks (OFD, whole file):
 *  - every process that has the object open holds a shared lock on its
 *    entry; the kernel drops it when the process dies, so "nobody uses it"
 *    is an exclusive lock that succeeds;
 *  - a creator holds the exclusive lock from before the object is made
 *    until it is made (ipcx__registry_claim .. _commit), so two creators
 *    of one name are serialised, and a leftover is adopted or replaced only
 *    while no live process holds it.
 *
 * Lifetime: the entry is written before the object is made and removed
 * after it is gone, so no ipcx object exists without one.
 */
#ifndef IPCX_REGISTRY_H
#define IPCX_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/liveness.h"

struct ipcx_registry_entry {
	char uri[4200];
	struct ipcx_proc_id creator; /* pid + start time (core/liveness.h) */
	uid_t uid;
	bool kept;
	int64_t created;             /* seconds since the epoch */
};

/* An entry a creator holds exclusively while it makes the object. */
struct ipcx_registry_claim {
	int fd;          /* the entry, exclusively locked; -1 when none */
	char *path;      /* malloc'd */
	bool made;       /* the entry did not exist before: abandon removes it */
	char *old;       /* its previous content, which abandon puts back */
	size_t old_len;
};

/*
 * The registry directory, made (mode 0700) if create is set.  Returns 0 or
 * -errno, with a sentence naming the directory in why (may be NULL):
 * -ENOTDIR when IPCX_REGISTRY_DIR is not an absolute path or the directory
 * is a symbolic link or not a directory, -EPERM when it belongs to another
 * user or is open to group or others, -ENOENT when it does not exist and
 * create is false, or what mkdir(2) said.
 */
int ipcx__registry_dir(char *out, size_t outlen, bool create, char *why, size_t whylen);

/* Path of the entry for a canonical URI (whether or not the directory is
 * usable; -ENAMETOOLONG or the IPCX_REGISTRY_DIR error). */
int ipcx__registry_path(const char *canonical, char *out, size_t outlen);

/*
 * Creator, before the object is made: open (or make) the entry, take its
 * exclusive lock and write this process into it.  Returns 0 with *c filled
 * when no live process holds the entry - whatever leftover of the object
 * exists is then provably unused by ipcx and may be adopted or replaced.
 * -EBUSY: a live process holds it (why says who).  Other errors: the
 * registry cannot be written (why names the directory and the reason);
 * nothing is left behind.  Never blocks.
 */
int ipcx__registry_claim(const char *canonical, bool kept, struct ipcx_registry_claim *c,
                         char *why, size_t whylen);

/* The object is made: keep the entry with a shared lock.  Returns the
 * locked descriptor and hands c->path to the caller (*ret_path). */
int ipcx__registry_commit(struct ipcx_registry_claim *c, char **ret_path);

/* The object was not made: put the entry back as it was (remove it if the
 * claim made it) and release it.  Accepts an unclaimed (zeroed, fd -1) c. */
void ipcx__registry_abandon(struct ipcx_registry_claim *c);

/*
 * Joiner: hold the shared lock on an existing entry.  Returns the locked
 * descriptor, or -ENOENT when the object is not registered here (not made
 * by ipcx, or by another user, or the registry is unusable).  Waits a few
 * milliseconds at most for a creator that is still making the object.
 */
int ipcx__registry_hold(const char *canonical);

/* Remove the entry the creator holds as fd, if path still names it (an
 * `ipcx rm` and a new creator may have replaced it meanwhile). */
void ipcx__registry_remove(int fd, const char *path);

/* Read an entry file (-EPROTO: not an entry). */
int ipcx__registry_read(int fd, struct ipcx_registry_entry *e);

/* Whether some other open file description holds a lock on the entry:
 * 1 in use, 0 unused, <0 error. */
int ipcx__registry_in_use(int fd);

/* Whether the entry's creator is still running (ipcx__proc_alive: a
 * reused pid is not it): 1, 0, or <0 when it cannot be told. */
int ipcx__registry_creator_alive(const struct ipcx_registry_entry *e);

#endif
