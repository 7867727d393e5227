/* SPDX-License-Identifier: MIT */
/*
 * err.c - names and sentences for result codes.  One X-macro lists the
 * codes ipcx documents, so the name table and the message table can never
 * drift apart (libuv's UV_ERRNO_MAP).  Codes outside the list still get a
 * name and a sentence, formatted into a thread-local buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipcx.h"

#define IPCX_ERRNO_MAP(XX)                                                          \
	XX(EAGAIN, "resource temporarily unavailable (would block)")                 \
	XX(ETIMEDOUT, "timed out")                                                    \
	XX(EMSGSIZE, "message too large")                                             \
	XX(EPIPE, "no receiver can read (broken pipe)")                               \
	XX(ENOENT, "no such channel")                                                 \
	XX(EEXIST, "channel already exists")                                          \
	XX(EINVAL, "invalid argument")                                                \
	XX(EPROTO, "protocol error: the peer broke the framing")                      \
	XX(EACCES, "permission denied")                                               \
	XX(EPERM, "operation not permitted")                                          \
	XX(ECANCELED, "woken by ipcx_wake")                                           \
	XX(ENOTSUP, "not supported by this transport")                                \
	XX(EINTR, "interrupted by a signal")                                          \
	XX(EADDRINUSE, "address in use by a live server")                             \
	XX(ECONNREFUSED, "connection refused: nobody is listening")                   \
	XX(ECONNRESET, "connection reset by peer")                                    \
	XX(ENOTCONN, "not connected (a listening channel only accepts)")              \
	XX(ENOTSOCK, "not a socket")                                                  \
	XX(ENAMETOOLONG, "name too long for this transport")                          \
	XX(ENOMEM, "out of memory")                                                   \
	XX(EMFILE, "too many open files")                                             \
	XX(EBUSY, "resource busy")                                                    \
	XX(ENOSPC, "no space left")                                                   \
	XX(EHOSTUNREACH, "host unreachable")                                          \
	XX(ENETUNREACH, "network unreachable")                                        \
	XX(EBADF, "bad descriptor")

/*
 * Unknown codes are formatted into a small ring of thread-local buffers, so
 * that a name and a sentence, or two names, asked for in one printf are all
 * still valid when it runs.
 */
#define UNKNOWN_SLOTS 4
static __thread char unknown_buf[UNKNOWN_SLOTS][64];
static __thread unsigned unknown_next;

static char *
unknown_slot(void)
{
	return unknown_buf[unknown_next++ % UNKNOWN_SLOTS];
}

const char *
ipcx_errname(int err)
{
	char *buf;

	if (err == IPCX_EOF)
		return "IPCX_EOF";
	if (err >= 0)
		return "OK";
	/* -INT_MIN would overflow: negate only what can be an errno. */
	switch (err < 0 && err > IPCX_EOF ? -err : 0) {
#define XX(code, msg) \
	case code:    \
		return #code;
		IPCX_ERRNO_MAP(XX)
#undef XX
	default:
		break;
	}
	if (err < 0 && err > -4095) {
		const char *n = strerrorname_np(-err);
		if (n != NULL)
			return n;
	}
	buf = unknown_slot();
	snprintf(buf, sizeof(unknown_buf[0]), "E%d", err);
	return buf;
}

const char *
ipcx_strerror(int err)
{
	char *buf;

	if (err == IPCX_EOF)
		return "end of channel: every peer has gone";
	if (err >= 0)
		return "success";
	switch (err > IPCX_EOF ? -err : 0) {
#define XX(code, msg) \
	case code:    \
		return msg;
		IPCX_ERRNO_MAP(XX)
#undef XX
	default:
		break;
	}
	if (err > -4095) {
		const char *d = strerrordesc_np(-err);
		if (d != NULL)
			return d;
	}
	buf = unknown_slot();
	snprintf(buf, sizeof(unknown_buf[0]), "unknown error %d", err);
	return buf;
}

const char *
ipcx_version(void)
{
	return IPCX_VERSION_STRING;
}
