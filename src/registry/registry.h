/* SPDX-License-Identifier: MIT */
/*
 * registry.h - what ipcx created, and who still uses it (DESIGN.md).
 *
 * One small file per named object in the registry directory:
 * $XDG_RUNTIME_DIR/ipcx/, /run/ipcx/ for root, else /tmp/ipcx-UID/
 * (IPCX_REGISTRY_DIR overrides, for tests and containers).  The directory
 * is mode 0700, owned by the user, and never a symbolic link.  Every
 * process that has the object open holds a shared OFD lock on its entry;
 * the kernel drops it when the process dies, so "nobody uses it" is an
 * exclusive lock that succeeds.
 */
#ifndef IPCX_REGISTRY_H
#define IPCX_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ipcx_registry_entry {
	char uri[4200];
	pid_t pid;            /* creator */
	uint64_t start_time;  /* creator's start time, clock ticks after boot */
	uid_t uid;
	bool kept;
	int64_t created;      /* seconds since the epoch */
};

/* The registry directory, made if create is set.  Returns 0 or -errno
 * (-ENOTDIR/-EPERM when it exists but is unsafe: a link, another owner,
 * group or world access). */
int ipcx__registry_dir(char *out, size_t outlen, bool create);

/* Path of the entry for a canonical URI. */
int ipcx__registry_path(const char *canonical, char *out, size_t outlen);

/* Creator: write the entry and hold its shared lock.  Returns the locked
 * descriptor (>= 0) and the entry path in *ret_path (malloc'd). */
int ipcx__registry_add(const char *canonical, bool kept, char **ret_path);

/* Joiner: hold the shared lock on an existing entry.  Returns the locked
 * descriptor, or -ENOENT when the object is not registered (not made by
 * ipcx, or by another user). */
int ipcx__registry_hold(const char *canonical);

/* Read an entry file. */
int ipcx__registry_read(int fd, struct ipcx_registry_entry *e);

/* Whether some process holds the entry open: 1 in use, 0 unused, <0 error. */
int ipcx__registry_in_use(int fd);

/* This process's start time (field 22 of /proc/self/stat). */
uint64_t ipcx__proc_start_time(pid_t pid);

#endif
