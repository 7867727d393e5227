/* SPDX-License-Identifier: MIT */
/*
 * io.h - EINTR-safe, CLOEXEC-from-birth, SIGPIPE-safe system-call wrappers.
 * Transports call these instead of the raw calls.  Each returns the call's
 * result or -errno, with EINTR retried inside (interruptible waits are done
 * with ipcx__wait_fd, never here).
 */
#ifndef IPCX_OS_IO_H
#define IPCX_OS_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Move a descriptor numbered 0-2 to 3 or above (closing the low one), so an
 * internal object never lands on standard input/output/error of a process
 * that closed them.  Returns the descriptor to use or -errno (fd closed). */
int ipcx__fd_above_stdio(int fd);

int ipcx__open(const char *path, int flags, mode_t mode); /* adds O_CLOEXEC */
int ipcx__openat(int dirfd, const char *path, int flags, mode_t mode);

/* close(2) that is never retried: after EINTR the descriptor is gone
 * (Linux), and a retry could close a descriptor another thread just got. */
void ipcx__close(int fd);

ssize_t ipcx__read(int fd, void *buf, size_t n);
ssize_t ipcx__readv(int fd, const struct iovec *iov, int iovcnt);

/* writev on a pipe or FIFO, which takes no MSG_NOSIGNAL: blocks SIGPIPE in
 * the calling thread first (once per thread) and consumes the SIGPIPE an
 * EPIPE raised, so the process never dies of it. */
ssize_t ipcx__writev_pipe(int fd, const struct iovec *iov, int iovcnt);
/* One try that never blocks, even on a descriptor in blocking mode that
 * others share (RWF_NOWAIT: no file status flag is changed).  -EAGAIN, or
 * -EOPNOTSUPP where the descriptor cannot promise that (a terminal). */
ssize_t ipcx__writev_nowait(int fd, const struct iovec *iov, int iovcnt);
ssize_t ipcx__readv_nowait(int fd, const struct iovec *iov, int iovcnt);

/* iovec arithmetic, once: drop k bytes from the front; copy at most limit
 * bytes' worth into out (iovcnt entries at most; returns the count); total. */
void ipcx__iov_advance(struct iovec *iov, int *iovcnt, size_t k);
int ipcx__iov_clip(const struct iovec *iov, int iovcnt, size_t limit, struct iovec *out);
size_t ipcx__iov_total(const struct iovec *iov, int iovcnt);

/* sendmsg of an iovec with MSG_NOSIGNAL | MSG_DONTWAIT | extra_flags. */
ssize_t ipcx__send_iov(int fd, const struct iovec *iov, int iovcnt, int extra_flags);
ssize_t ipcx__sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t ipcx__recvmsg(int fd, struct msghdr *msg, int flags);

/* accept4 with SOCK_CLOEXEC | SOCK_NONBLOCK. */
int ipcx__accept(int fd, struct sockaddr *addr, socklen_t *len);

/* A new socket, CLOEXEC and non-blocking, above stdio. */
int ipcx__socket(int domain, int type, int protocol);

/* Let go of what fd refers to (the peer sees the pipe end) while keeping
 * the number allocated: /dev/null is duplicated over it, so the owner still
 * closes it exactly once.  No-op for fd < 0. */
void ipcx__fd_detach(int fd);

/*
 * Regular files (the file: log).  ipcx__pread_full reads until n bytes or
 * the end of the file and returns the count, which is short only at the
 * end of the file: the caller reports a short read, never pads it.
 * ipcx__pwritev_full writes the whole iovec (at most 16 entries) at off,
 * looping over partial writes, and returns the total or -errno; what a
 * failed call had already written stays in the file, for the caller to
 * truncate.  The others return 0 or -errno.
 */
ssize_t ipcx__pread_full(int fd, void *buf, size_t n, off_t off);
ssize_t ipcx__pwritev_full(int fd, const struct iovec *iov, int iovcnt, off_t off);
int ipcx__ftruncate(int fd, off_t len);
int ipcx__fdatasync(int fd);

/* Bytes waiting to be read (FIONREAD), or -errno. */
int ipcx__fionread(int fd);

/*
 * The locks held (not waited for) on the file dev:ino, as /proc/locks shows
 * them: the number of them, with the byte ranges of the first max in out
 * (end -1: to the end of the file).  Reads only; opens nothing of the
 * file, so a FIFO gains no reader.  -errno when /proc/locks is not there.
 */
struct ipcx_lock_seen {
	int64_t start, end;
	bool write;
};
int ipcx__locks_held(dev_t dev, ino_t ino, struct ipcx_lock_seen *out, int max);

/* Block SIGPIPE in this thread, once; consume a pending thread SIGPIPE. */
/*
 * The SIGPIPE guard (sigpipe.c).  Around a write to a pipe:
 * was = ipcx__sigpipe_before_write(); write; on EPIPE
 * ipcx__sigpipe_after_epipe(was).  A channel that writes to pipes holds a
 * reference from its first such write to its close (ref/unref); settle is
 * called at ipcx entry points to drop a block nothing needs any more.
 */
bool ipcx__sigpipe_before_write(void);
void ipcx__sigpipe_after_epipe(bool was_pending);
void ipcx__sigpipe_ref(void);
void ipcx__sigpipe_unref(void);
void ipcx__sigpipe_settle(void);

#endif
