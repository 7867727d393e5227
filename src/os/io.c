/* SPDX-License-Identifier: MIT */
/*
 * io.c - the only place raw I/O system calls are made with EINTR and
 * CLOEXEC care (libuv's uv__ helpers and SQLite's robust_* functions are
 * the models).  Calls that fail with EINTR are simply repeated: the
 * descriptors ipcx owns are non-blocking, so a repeat never waits, and
 * deadlines are kept by ipcx__wait_fd, not here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "os/io.h"
#include "shared/ipcx_shared.h"
#include "os/sys.h"

int
ipcx__fd_above_stdio(int fd)
{
	int nfd;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0) {
		int err = -errno;
		ipcx__close(fd);
		return err;
	}
	ipcx__close(fd);
	return nfd;
}

int
ipcx__openat(int dirfd, const char *path, int flags, mode_t mode)
{
	int fd;

	do
		fd = ipcx__sys.openat(dirfd, path, flags | O_CLOEXEC, mode);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	return ipcx__fd_above_stdio(fd);
}

int
ipcx__open(const char *path, int flags, mode_t mode)
{
	return ipcx__openat(AT_FDCWD, path, flags, mode);
}

void
ipcx__close(int fd)
{
	int saved = errno;

	if (fd >= 0)
		(void)close(fd);
	errno = saved;
}

ssize_t
ipcx__read(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = ipcx__sys.read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

ssize_t
ipcx__readv(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t r;

	do
		r = ipcx__sys.readv(fd, iov, iovcnt);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static ssize_t
pipe_write(int fd, const struct iovec *iov, int iovcnt, int rwf)
{
	bool was_pending = ipcx__sigpipe_before_write();
	ssize_t r;

	do
		r = rwf != 0 ? ipcx__sys.pwritev2(fd, iov, iovcnt, -1, rwf)
		             : ipcx__sys.writev(fd, iov, iovcnt);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int err = errno;
		if (err == EPIPE)
			ipcx__sigpipe_after_epipe(was_pending);
		return -err;
	}
	return r;
}

ssize_t
ipcx__writev_pipe(int fd, const struct iovec *iov, int iovcnt)
{
	return pipe_write(fd, iov, iovcnt, 0);
}

ssize_t
ipcx__writev_nowait(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t r = pipe_write(fd, iov, iovcnt, RWF_NOWAIT);

	/* EOPNOTSUPP: the descriptor cannot promise not to block (a terminal);
	 * EINVAL: a kernel without RWF_NOWAIT. */
	return r == -EINVAL ? -EOPNOTSUPP : r;
}

ssize_t
ipcx__readv_nowait(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t r;

	do
		r = ipcx__sys.preadv2(fd, iov, iovcnt, -1, RWF_NOWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EINVAL ? -EOPNOTSUPP : -errno;
	return r;
}

void
ipcx__iov_advance(struct iovec *iov, int *iovcnt, size_t k)
{
	ipcx_shared_iov_advance(iov, iovcnt, k);
}

int
ipcx__iov_clip(const struct iovec *iov, int iovcnt, size_t limit, struct iovec *out)
{
	int i, n = 0;

	for (i = 0; i < iovcnt && limit > 0; i++) {
		if (iov[i].iov_len == 0)
			continue;
		out[n] = iov[i];
		if (out[n].iov_len > limit)
			out[n].iov_len = limit;
		limit -= out[n].iov_len;
		n++;
	}
	return n;
}

size_t
ipcx__iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

ssize_t
ipcx__sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t r;

	do
		r = ipcx__sys.sendmsg(fd, msg, flags | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

ssize_t
ipcx__send_iov(int fd, const struct iovec *iov, int iovcnt, int extra_flags)
{
	struct msghdr msg = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = (size_t)iovcnt,
	};

	return ipcx__sendmsg(fd, &msg, MSG_DONTWAIT | extra_flags);
}

ssize_t
ipcx__recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r;

	do
		r = ipcx__sys.recvmsg(fd, msg, flags | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int
ipcx__accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int c;

	do
		c = ipcx__sys.accept4(fd, addr, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		return -errno;
	return ipcx__fd_above_stdio(c);
}

int
ipcx__socket(int domain, int type, int protocol)
{
	int fd = socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);

	if (fd < 0)
		return -errno;
	return ipcx__fd_above_stdio(fd);
}

ssize_t
ipcx__pread_full(int fd, void *buf, size_t n, off_t off)
{
	uint8_t *p = buf;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = ipcx__sys.pread(fd, p + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t
ipcx__pwritev_full(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	struct iovec v[16];
	size_t total, done = 0;
	int n = iovcnt;
	ssize_t r;

	if (iovcnt < 0 || iovcnt > 16)
		return -EINVAL;
	memcpy(v, iov, sizeof(v[0]) * (size_t)iovcnt);
	total = ipcx__iov_total(v, n);
	while (done < total) {
		r = ipcx__sys.pwritev(fd, v, n, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* a regular file that takes nothing: never loop on it */
		done += (size_t)r;
		ipcx__iov_advance(v, &n, (size_t)r);
	}
	return (ssize_t)total;
}

int
ipcx__ftruncate(int fd, off_t len)
{
	int r;

	do
		r = ipcx__sys.ftruncate(fd, len);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int
ipcx__fdatasync(int fd)
{
	int r;

	do
		r = ipcx__sys.fdatasync(fd);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int
ipcx__fionread(int fd)
{
	int n;

	if (ioctl(fd, FIONREAD, &n) < 0)
		return -errno;
	return n;
}

int
ipcx__locks_held(dev_t dev, ino_t ino, struct ipcx_lock_seen *out, int max)
{
	char line[256];
	FILE *f = fopen("/proc/locks", "re");
	int n = 0;

	if (f == NULL)
		return -errno;
	/* "N: CLASS MODE TYPE PID MAJ:MIN:INODE START END"; a waiter's line
	 * has "->" after the index, and is not a holder. */
	while (fgets(line, sizeof(line), f) != NULL) {
		char type[16], end[24];
		unsigned maj, min;
		unsigned long long i, start;

		if (strstr(line, "->") != NULL ||
		    sscanf(line, "%*d: %*s %*s %15s %*s %x:%x:%llu %llu %23s", type, &maj, &min, &i,
		           &start, end) != 6)
			continue;
		if (maj != major(dev) || min != minor(dev) || i != (unsigned long long)ino)
			continue;
		if (n < max) {
			out[n].start = (int64_t)start;
			out[n].end = strcmp(end, "EOF") == 0 ? -1 : (int64_t)strtoll(end, NULL, 10);
			out[n].write = strcmp(type, "WRITE") == 0;
		}
		n++;
	}
	fclose(f);
	return n;
}

void
ipcx__fd_detach(int fd)
{
	int null;

	if (fd < 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return;
	(void)dup3(null, fd, O_CLOEXEC);
	ipcx__close(null);
}
