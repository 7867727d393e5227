/* SPDX-License-Identifier: MIT */
/*
 * bench_link.c - the checked messages, one send/receive interface over an
 * ipcx channel or a bare descriptor, and the control channel.
 *
 * Both links of a pair run the very same loop (bench_row.c, bench_peer.c):
 * the same buffers, the same checks, the same clock reads; only the call
 * that moves the bytes differs.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench_int.h"

/* Offsets into the pattern: a prime, so neighbouring sequence numbers
 * start at unrelated places and a duplicated, swapped or shifted message
 * shows in its body as well as in its stamp. */
#define PATTERN_SPREAD 251u
#define STAMP_LAST ((uint64_t)1 << 63)

volatile sig_atomic_t bench_stop;
ipcx_chan *volatile bench_live[BENCH_LIVE_MAX];

int64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
bench_text(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* ---- messages ------------------------------------------------------------ */

int
bench_pattern_init(struct bench_pattern *p, size_t max_size)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t i;

	p->len = max_size + PATTERN_SPREAD;
	p->bytes = malloc(p->len);
	if (p->bytes == NULL)
		return -ENOMEM;
	for (i = 0; i < p->len; i++) {
		/* xorshift64: cheap, the same in both processes, and no byte
		 * value or run is favoured. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p->bytes[i] = (uint8_t)(x >> 24);
	}
	return 0;
}

void
bench_pattern_fini(struct bench_pattern *p)
{
	free(p->bytes);
	p->bytes = NULL;
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
stamp(uint32_t seq, size_t len, bool last)
{
	return (uint64_t)seq | ((uint64_t)len & 0x7fffffff) << 32 | (last ? STAMP_LAST : 0);
}

/* The stamp of a message shorter than 8 bytes: seq and the flag. */
#define SMALL_STAMP 4u
#define SMALL_LAST ((uint32_t)1 << 31)

uint8_t *
bench_msg_make(struct bench_pattern *p, uint32_t seq, size_t len, bool last, uint8_t save[8])
{
	uint8_t *m = p->bytes + seq % PATTERN_SPREAD;
	uint32_t s = (seq & ~SMALL_LAST) | (last ? SMALL_LAST : 0);
	int i;

	memcpy(save, m, 8);
	if (len >= 8) {
		put64(m, stamp(seq, len, last));
		return m;
	}
	for (i = 0; i < (int)SMALL_STAMP; i++)
		m[i] = (uint8_t)(s >> (8 * i));
	return m;
}

void
bench_msg_done(struct bench_pattern *p, uint32_t seq, const uint8_t save[8])
{
	memcpy(p->bytes + seq % PATTERN_SPREAD, save, 8);
}

int
bench_msg_check(const struct bench_pattern *p, const uint8_t *buf, size_t n, uint32_t seq,
                size_t len, bool *last)
{
	uint64_t s;

	*last = false;
	if (n != len || n < BENCH_SMALL_MIN)
		return -1;
	if (n < 8) {
		uint32_t w = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
		             (uint32_t)buf[3] << 24;
		if ((w & ~SMALL_LAST) != (seq & ~SMALL_LAST))
			return -1;
		*last = (w & SMALL_LAST) != 0;
		return memcmp(buf + SMALL_STAMP, p->bytes + seq % PATTERN_SPREAD + SMALL_STAMP,
		              len - SMALL_STAMP) == 0
		               ? 0
		               : -1;
	}
	s = get64(buf);
	if ((s & ~STAMP_LAST) != stamp(seq, len, false))
		return -1;
	*last = (s & STAMP_LAST) != 0;
	return memcmp(buf + 8, p->bytes + seq % PATTERN_SPREAD + 8, len - 8) == 0 ? 0 : -1;
}

/* ---- links ------------------------------------------------------------------ */

static const char *
err_word(int err)
{
	return bench_stop ? "stopped" : ipcx_errname(err);
}

int
bench_link_send(struct bench_link *l, const void *buf, size_t len)
{
	int rc;

	if (l->kind == LINK_IPCX) {
		rc = ipcx_send(l->tx, buf, len, l->timeout_ms);
		if (rc < 0)
			snprintf(l->what, sizeof(l->what), "ipcx_send: %s%s%s", err_word(rc),
			         *ipcx_errmsg(l->tx) ? ": " : "", ipcx_errmsg(l->tx));
	} else {
		rc = bare_send(l->bare, l->bst, l->wfd, buf, len);
		if (rc < 0)
			snprintf(l->what, sizeof(l->what), "%s: %s", l->bare->calls, err_word(rc));
	}
	return rc;
}

ssize_t
bench_link_recv(struct bench_link *l, void *buf, size_t cap, size_t expect)
{
	ssize_t r;

	if (l->kind == LINK_IPCX) {
		r = ipcx_recv(l->rx, buf, cap, l->timeout_ms);
		if (r < 0)
			snprintf(l->what, sizeof(l->what), "ipcx_recv: %s%s%s", err_word((int)r),
			         *ipcx_errmsg(l->rx) ? ": " : "", ipcx_errmsg(l->rx));
	} else {
		r = bare_recv(l->bare, l->bst, l->rfd, buf, cap, expect);
		if (r == 0 && expect > 0)
			r = IPCX_EOF;
		if (r < 0)
			snprintf(l->what, sizeof(l->what), "%s: %s", l->bare->calls,
			         r == IPCX_EOF ? "end of stream" : err_word((int)r));
	}
	return r;
}

/* ---- the control channel -------------------------------------------------------- */

int
ctl_send(int fd, const struct ctl_msg *m)
{
	for (;;) {
		if (send(fd, m, sizeof(*m), MSG_NOSIGNAL) == (ssize_t)sizeof(*m))
			return 0;
		if (errno != EINTR)
			return -EPIPE;
	}
}

int
ctl_recv(int fd, struct ctl_msg *m, int timeout_ms)
{
	int64_t until = bench_now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (until - bench_now_ns()) / 1000000;
		ssize_t r;
		int n;

		if (bench_stop)
			return -EINTR;
		n = poll(&p, 1, timeout_ms < 0 ? -1 : (int)(left > 0 ? left : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return -ETIMEDOUT;
		r = recv(fd, m, sizeof(*m), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(*m))
			return -EPIPE;
		m->text[sizeof(m->text) - 1] = '\0';
		return 0;
	}
}
