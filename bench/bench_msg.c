/* SPDX-License-Identifier: MIT */
/*
 * bench_msg.c - the self-checking messages and the two kinds of link.
 *
 * The raw link is the baseline row: plain pipe(2) descriptors in blocking
 * mode, write(2)/read(2) of the very bytes ipcx puts on a pipe (a 4-byte
 * big-endian length, then the payload), with a 64 KiB receive buffer as
 * ipcx has.  Whatever the ipcx rows cost beyond it is ipcx's overhead.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bench_int.h"

/* Offsets into the pattern: a prime, so neighbouring sequence numbers
 * start at unrelated places and a duplicated or swapped body shows. */
#define PATTERN_SPREAD 251u
#define RAW_CHUNK ((size_t)64 * 1024)

volatile sig_atomic_t bench_stop;
ipcx_chan *volatile bench_live[BENCH_LIVE_MAX];

int64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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
		/* xorshift64: cheap, and no byte value or run is favoured. */
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
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A mixing function (murmur3's finaliser), so that any single changed bit
 * in the three fields changes the check word. */
static uint32_t
check_word(uint32_t kind, uint32_t a, uint32_t b)
{
	uint32_t h = kind ^ (a * 0x9e3779b1u) ^ (b * 0x85ebca77u);

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

void
bench_msg_put(uint8_t *buf, uint32_t kind, uint32_t a, uint32_t b)
{
	put32(buf, kind);
	put32(buf + 4, a);
	put32(buf + 8, b);
	put32(buf + 12, check_word(kind, a, b));
}

int
bench_msg_get(const uint8_t *buf, size_t n, uint32_t *kind, uint32_t *a, uint32_t *b)
{
	if (n < BENCH_HDR)
		return -1;
	*kind = get32(buf);
	*a = get32(buf + 4);
	*b = get32(buf + 8);
	return get32(buf + 12) == check_word(*kind, *a, *b) ? 0 : -1;
}

void
bench_data_fill(const struct bench_pattern *p, uint8_t *buf, uint32_t seq, size_t len)
{
	bench_msg_put(buf, MSG_DATA, seq, (uint32_t)len);
	memcpy(buf + BENCH_HDR, p->bytes + seq % PATTERN_SPREAD, len - BENCH_HDR);
}

int
bench_data_check(const struct bench_pattern *p, const uint8_t *buf, size_t n, uint32_t seq,
                 size_t len)
{
	uint32_t kind, a, b;

	if (n != len || bench_msg_get(buf, n, &kind, &a, &b) < 0)
		return -1;
	if (kind != MSG_DATA || a != seq || b != len)
		return -1;
	return memcmp(buf + BENCH_HDR, p->bytes + seq % PATTERN_SPREAD, len - BENCH_HDR) == 0
	               ? 0
	               : -1;
}

/* ---- links ---------------------------------------------------------------- */

void
bench_link_init_ipcx(struct bench_link *l, ipcx_chan *tx, ipcx_chan *rx, int timeout_ms)
{
	memset(l, 0, sizeof(*l));
	l->tx = tx;
	l->rx = rx;
	l->rfd = l->wfd = -1;
	l->timeout_ms = timeout_ms;
}

int
bench_link_init_raw(struct bench_link *l, int rfd, int wfd, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->raw = true;
	l->rfd = rfd;
	l->wfd = wfd;
	l->cap = (max + 4 > RAW_CHUNK ? max + 4 : RAW_CHUNK) + RAW_CHUNK;
	l->buf = malloc(l->cap);
	return l->buf == NULL ? -ENOMEM : 0;
}

void
bench_link_fini(struct bench_link *l)
{
	free(l->buf);
	l->buf = NULL;
}

static void
consume_sigpipe(void)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set;

	/* The engine keeps SIGPIPE blocked; take the one a raw EPIPE left
	 * pending, so it cannot fire if the program unblocks it later. */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	(void)sigtimedwait(&set, NULL, &zero);
}

static int
raw_send(struct bench_link *l, const void *buf, size_t len)
{
	uint8_t hdr[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
		           (uint8_t)len };
	struct iovec iov[2] = { { hdr, 4 }, { (void *)buf, len } };
	struct iovec *v = iov;
	int n = len > 0 ? 2 : 1;

	while (n > 0) {
		ssize_t w = writev(l->wfd, v, n);
		if (w < 0) {
			if (errno == EINTR && !bench_stop)
				continue;
			if (errno == EPIPE)
				consume_sigpipe();
			return -errno;
		}
		/* A pipe may take part of a large message: go on from there. */
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (uint8_t *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static ssize_t
raw_recv(struct bench_link *l, void *buf, size_t cap)
{
	for (;;) {
		size_t have = l->end - l->start, len, need = RAW_CHUNK;
		ssize_t r;

		if (have >= 4) {
			const uint8_t *h = l->buf + l->start;
			len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
			if (len + 4 > l->cap)
				return -EPROTO;
			if (have >= len + 4) {
				if (len > cap)
					return -EMSGSIZE;
				memcpy(buf, h + 4, len);
				l->start += len + 4;
				if (l->start == l->end)
					l->start = l->end = 0;
				return (ssize_t)len;
			}
			need = len + 4;
		}
		/* Move the partial frame to the front when the rest of it, or
		 * a good-sized read, would not fit: reads stay large, as
		 * ipcx's own receive buffer keeps them. */
		if (l->start > 0 && l->cap - l->start < (need > RAW_CHUNK ? need : RAW_CHUNK)) {
			memmove(l->buf, l->buf + l->start, have);
			l->start = 0;
			l->end = have;
		}
		r = read(l->rfd, l->buf + l->end, l->cap - l->end);
		if (r == 0)
			return IPCX_EOF;
		if (r < 0) {
			if (errno == EINTR && !bench_stop)
				continue;
			return -errno;
		}
		l->end += (size_t)r;
	}
}

int
bench_link_send(struct bench_link *l, const void *buf, size_t len)
{
	int rc;

	rc = l->raw ? raw_send(l, buf, len) : ipcx_send(l->tx, buf, len, l->timeout_ms);
	if (rc < 0)
		snprintf(l->what, sizeof(l->what), "send: %s",
		         bench_stop ? "stopped" : ipcx_errname(rc));
	return rc;
}

ssize_t
bench_link_recv(struct bench_link *l, void *buf, size_t cap)
{
	ssize_t r;

	r = l->raw ? raw_recv(l, buf, cap) : ipcx_recv(l->rx, buf, cap, l->timeout_ms);
	if (r < 0)
		snprintf(l->what, sizeof(l->what), "receive: %s",
		         bench_stop ? "stopped" : ipcx_errname((int)r));
	return r;
}
