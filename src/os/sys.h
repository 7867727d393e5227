/* SPDX-License-Identifier: MIT */
/*
 * sys.h - the system-call table.
 *
 * Every system call whose failures matter to a message's integrity goes
 * through this table, as SQLite's aSyscall[] does, so tests can swap an
 * entry to inject EINTR, EAGAIN, short transfers or any errno on the Nth
 * call.  The table is hidden from the shared library's exports; the test
 * programs link the static testing library and may assign its members.
 */
#ifndef IPCX_OS_SYS_H
#define IPCX_OS_SYS_H

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

struct ipcx__syscalls {
	ssize_t (*read)(int fd, void *buf, size_t n);
	ssize_t (*readv)(int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*writev)(int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*pwritev2)(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags);
	ssize_t (*preadv2)(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags);
	ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
	ssize_t (*sendmsg)(int fd, const struct msghdr *msg, int flags);
	int (*ppoll)(struct pollfd *fds, nfds_t n, const struct timespec *ts,
	             const sigset_t *mask);
	int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
	int (*accept4)(int fd, struct sockaddr *addr, socklen_t *len, int flags);
	int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
	/* Regular-file I/O (the file: log). */
	ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwritev)(int fd, const struct iovec *iov, int iovcnt, off_t off);
	int (*ftruncate)(int fd, off_t len);
	int (*fdatasync)(int fd);
	int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
};

extern struct ipcx__syscalls ipcx__sys;

/* Put every entry back to the real system call. */
void ipcx__sys_reset(void);

#endif
