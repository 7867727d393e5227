/* SPDX-License-Identifier: MIT */
/*
 * ipcx_shared.h - the few helpers the library, the ipcx command and the
 * benchmark all need, written once.  Header-only and static inline: the
 * command and the benchmark link the shared library, which exports only
 * the public API, so they cannot call its internals.
 */
#ifndef IPCX_SHARED_H
#define IPCX_SHARED_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "ipcx.h"

/* Nanoseconds on CLOCK_MONOTONIC: every deadline and every measurement. */
static inline int64_t
ipcx_shared_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The value of one hexadecimal digit, or -1 (URIs' %XX, --format hex). */
static inline int
ipcx_shared_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Drop the first k bytes of an iovec array, after a partial transfer. */
static inline void
ipcx_shared_iov_advance(struct iovec *iov, int *iovcnt, size_t k)
{
	int i = 0, j;

	while (i < *iovcnt && k >= iov[i].iov_len) {
		k -= iov[i].iov_len;
		i++;
	}
	if (i < *iovcnt) {
		iov[i].iov_base = (uint8_t *)iov[i].iov_base + k;
		iov[i].iov_len -= k;
	}
	for (j = 0; i + j < *iovcnt; j++)
		iov[j] = iov[i + j];
	*iovcnt = j;
}

/*
 * What a receive's result means to a loop that receives until it is told
 * to stop: go on (a message, or nothing yet), the end (every peer gone),
 * the deadline, an interruption, or a failure.
 */
enum ipcx_shared_recv_outcome {
	IPCX_RECV_MESSAGE,   /* r >= 0: a message of r bytes */
	IPCX_RECV_NOTHING,   /* -EAGAIN: nothing now (timeout 0) */
	IPCX_RECV_END,       /* IPCX_EOF */
	IPCX_RECV_DEADLINE,  /* -ETIMEDOUT */
	IPCX_RECV_STOPPED,   /* -ECANCELED, -EINTR: woken or interrupted */
	IPCX_RECV_TOO_BIG,   /* -EMSGSIZE: a larger buffer would take it */
	IPCX_RECV_FAILED,    /* anything else */
};

static inline enum ipcx_shared_recv_outcome
ipcx_shared_recv_outcome(ssize_t r)
{
	if (r >= 0)
		return IPCX_RECV_MESSAGE;
	switch (r) {
	case IPCX_EOF: return IPCX_RECV_END;
	case -EAGAIN: return IPCX_RECV_NOTHING;
	case -ETIMEDOUT: return IPCX_RECV_DEADLINE;
	case -ECANCELED:
	case -EINTR: return IPCX_RECV_STOPPED;
	case -EMSGSIZE: return IPCX_RECV_TOO_BIG;
	default: return IPCX_RECV_FAILED;
	}
}

#endif
