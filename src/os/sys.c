/* SPDX-License-Identifier: MIT */
/*
 * sys.c - the swappable system-call table (see sys.h).  The entries are
 * plain function pointers: one indirect call costs nothing next to the
 * system call behind it, and keeping the table in every build means the
 * tests exercise the very code that ships.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "os/sys.h"

static int
sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return openat(dirfd, path, flags, mode);
}

#define REAL_SYSCALLS                  \
	{                              \
		.read = read,          \
		.readv = readv,        \
		.writev = writev,      \
		.pwritev2 = pwritev2,  \
		.preadv2 = preadv2,    \
		.recvmsg = recvmsg,    \
		.sendmsg = sendmsg,    \
		.ppoll = ppoll,        \
		.openat = sys_openat,  \
		.accept4 = accept4,    \
		.connect = connect,    \
		.pread = pread,        \
		.pwritev = pwritev,    \
		.ftruncate = ftruncate, \
		.fdatasync = fdatasync, \
		.renameat = renameat,  \
	}

static const struct ipcx__syscalls real_syscalls = REAL_SYSCALLS;

struct ipcx__syscalls ipcx__sys = REAL_SYSCALLS;

void
ipcx__sys_reset(void)
{
	ipcx__sys = real_syscalls;
}
