/* SPDX-License-Identifier: MIT */
/*
 * err.c - names and sentences for result codes.  One X-macro lists the
 * codes ipcx documents, so the name table and the message table can never
 * drift apart (libuv's UV_ERRNO_MAP).  Codes outside the list still get a
 * name and a sentence, formatted into a thread-local buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>


#include "core/transport.h"

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

/* ---- the detail of the last failure ----------------------------------- */

/*
 * What the last failed call of this thread that had no channel to hold it
 * (ipcx_create/ipcx_join, whose channel is gone; ipcx_pair, ipcx_unlink,
 * ipcx_uri_check) could say beyond its code: ipcx_errmsg(NULL).
 */
static __thread char open_errmsg[sizeof(((struct ipcx_chan *)0)->errmsg)];

void
ipcx__set_errmsg(struct ipcx_chan *ch, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ch != NULL)
		vsnprintf(ch->errmsg, sizeof(ch->errmsg), fmt, ap);
	else
		vsnprintf(open_errmsg, sizeof(open_errmsg), fmt, ap);
	va_end(ap);
}

int
ipcx__uri_invalid(int err, const char *fmt, ...)
{
	static const char prefix[] = "invalid URI: ";
	va_list ap;

	memcpy(open_errmsg, prefix, sizeof(prefix));
	va_start(ap, fmt);
	vsnprintf(open_errmsg + sizeof(prefix) - 1, sizeof(open_errmsg) - sizeof(prefix) + 1,
	          fmt, ap);
	va_end(ap);
	return err;
}

void
ipcx__errmsg_reset(void)
{
	open_errmsg[0] = '\0';
}

bool
ipcx__errmsg_unset(void)
{
	return open_errmsg[0] == '\0';
}

void
ipcx__errmsg_keep(const struct ipcx_chan *ch)
{
	if (ch->errmsg[0] != '\0')
		snprintf(open_errmsg, sizeof(open_errmsg), "%s", ch->errmsg);
}

const char *
ipcx_errmsg(ipcx_chan *ch)
{
	return ch != NULL ? ch->errmsg : open_errmsg;
}
