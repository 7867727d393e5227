/* SPDX-License-Identifier: MIT */
/*
 * relay_msgs.c - checked messages for ipcx_relay_test.sh.
 *
 * Message SEQ (1, 2, ...) is 8 bytes of SEQ (little-endian), 4 bytes of the
 * CRC-32 of the payload, then a payload whose length and bytes are a
 * function of SEQ alone: mostly short, some hundreds of bytes, a few up to
 * 2000 (within every transport's default max, sysvmq's 8 KiB included), and
 * every byte value, '\n' and NUL included.  So the checker knows, from the
 * sequence number alone, what each message must be, to the byte.
 *
 *   relay_msgs gen FIRST LAST     hex lines (`ipcx send --format hex`) for
 *                                 messages FIRST..LAST
 *   relay_msgs check LAST [--max-gaps G] [--max-dups D] [--max-late L]
 *                    [--max-lost-bytes B]
 *                                 read hex lines (`ipcx recv --format hex`);
 *                                 every message must be whole and correct;
 *                                 by default each of 1..LAST once, in
 *                                 order.  The limits allow G runs of
 *                                 missing messages of B bytes in all
 *                                 (frames counted), D messages seen again
 *                                 and L arriving after a later one (a
 *                                 borrowed message given back by a relay
 *                                 that died).  Prints "at K" as each
 *                                 multiple K of 10000 is passed, "all"
 *                                 once every message has come, and at the
 *                                 end "received R dups D late L gaps G
 *                                 lost N lost_bytes B".
 *   relay_msgs echo URI FIRST LAST
 *                                 join URI and send messages FIRST..LAST
 *                                 without waiting for replies, while reading
 *                                 each reply and checking it is the message
 *                                 sent, in order: a two-way relay that
 *                                 blocked one way while the other was full
 *                                 would never finish.
 * Exit status: 0 correct; 1 a wrong, torn or misordered message, or a
 * limit passed; 2 usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcx.h"

#define HDR 12
#define MSG_MAX (HDR + 2000)

static uint32_t crc_table[256];

static void
crc_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static size_t
payload_len(uint64_t seq)
{
	uint64_t r = mix(seq * 2 + 1);
	unsigned k = (unsigned)(r % 100);

	r >>= 8;
	if (k < 70)
		return (size_t)(r % 32);
	if (k < 95)
		return 32 + (size_t)(r % 224);
	return 256 + (size_t)(r % 1745);
}

/* Message seq into out; returns its length. */
static size_t
make_msg(uint64_t seq, uint8_t *out)
{
	size_t n = payload_len(seq), i;
	uint64_t s = mix(seq);
	uint32_t crc;

	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			s = mix(s + i);
		out[HDR + i] = (uint8_t)(s >> (8 * (i % 8)));
	}
	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(seq >> (8 * i));
	crc = crc32(out + HDR, n);
	for (i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(crc >> (8 * i));
	return HDR + n;
}

static int
gen(uint64_t first, uint64_t last)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t m[MSG_MAX];
	char line[2 * MSG_MAX + 2];
	uint64_t seq;

	for (seq = first; seq <= last; seq++) {
		size_t n = make_msg(seq, m), i;
		for (i = 0; i < n; i++) {
			line[2 * i] = hex[m[i] >> 4];
			line[2 * i + 1] = hex[m[i] & 15];
		}
		line[2 * n] = '\n';
		if (fwrite(line, 1, 2 * n + 1, stdout) != 2 * n + 1)
			return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct check {
	uint64_t last, prev;    /* prev: the highest number seen */
	uint64_t received, distinct, dups, late;
	uint8_t *seen;          /* a bit for each of 1..last */
};

static int
check_init(struct check *c, uint64_t first, uint64_t last)
{
	memset(c, 0, sizeof(*c));
	c->last = last;
	c->prev = first - 1;
	c->seen = calloc(last / 8 + 1, 1);
	return c->seen != NULL ? 0 : -1;
}

/* One received message: is it whole, correct, and where it may be? */
static int
check_one(struct check *c, const uint8_t *m, size_t n)
{
	uint8_t want[MSG_MAX];
	uint64_t seq = 0, s;
	size_t i, wn;

	if (n < HDR) {
		fprintf(stderr, "relay_msgs: after %llu: a message of %zu bytes (torn?)\n",
		        (unsigned long long)c->prev, n);
		return 1;
	}
	for (i = 0; i < 8; i++)
		seq |= (uint64_t)m[i] << (8 * i);
	wn = seq > 0 && seq <= c->last ? make_msg(seq, want) : 0;
	if (wn != n || memcmp(want, m, n) != 0) {
		fprintf(stderr, "relay_msgs: after %llu: message %llu of %zu bytes is wrong "
		                "(want %zu bytes)\n",
		        (unsigned long long)c->prev, (unsigned long long)seq, n, wn);
		return 1;
	}
	c->received++;
	if (c->seen[seq / 8] & (1u << (seq % 8))) {
		c->dups++;
		return 0;
	}
	c->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	c->distinct++;
	if (seq < c->prev) {
		c->late++;
	} else {
		/* Progress for the test to wait on: each multiple of 10000
		 * passed, missing ones included. */
		for (s = (c->prev / 10000 + 1) * 10000; s <= seq; s += 10000)
			printf("at %llu\n", (unsigned long long)s);
		c->prev = seq;
	}
	if (c->distinct == c->last)
		printf("all\n");
	fflush(stdout);
	return 0;
}

static int
check(uint64_t last, const uint64_t lim[4])
{
	static char line[2 * MSG_MAX + 64];
	uint8_t m[MSG_MAX];
	struct check c;
	uint64_t s, gaps = 0, lost = 0, lost_bytes = 0;
	int bad = 0;

	if (check_init(&c, 1, last) < 0)
		return 1;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		size_t len = strlen(line), i;

		if (len == 0 || line[len - 1] != '\n' || len % 2 == 0) {
			fprintf(stderr, "relay_msgs: after %llu: a line of %zu characters\n",
			        (unsigned long long)c.prev, len);
			return 1;
		}
		len = (len - 1) / 2;
		for (i = 0; i < len; i++) {
			int hi = unhex(line[2 * i]), lo = unhex(line[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				fprintf(stderr, "relay_msgs: not hex after %llu\n",
				        (unsigned long long)c.prev);
				return 1;
			}
			m[i] = (uint8_t)(hi << 4 | lo);
		}
		if (check_one(&c, m, len) != 0)
			return 1;
	}
	for (s = 1; s <= last; s++) {
		if (c.seen[s / 8] & (1u << (s % 8)))
			continue;
		if (s == 1 || (c.seen[(s - 1) / 8] & (1u << ((s - 1) % 8))))
			gaps++;
		lost++;
		lost_bytes += 4 + HDR + payload_len(s);
	}
	printf("received %llu dups %llu late %llu gaps %llu lost %llu lost_bytes %llu\n",
	       (unsigned long long)c.received, (unsigned long long)c.dups,
	       (unsigned long long)c.late, (unsigned long long)gaps, (unsigned long long)lost,
	       (unsigned long long)lost_bytes);
	if (gaps > lim[0] || c.dups > lim[1] || c.late > lim[2] || lost_bytes > lim[3]) {
		fprintf(stderr, "relay_msgs: %llu gaps (at most %llu), %llu repeated (at most %llu), "
		                "%llu late (at most %llu), %llu bytes lost (at most %llu)\n",
		        (unsigned long long)gaps, (unsigned long long)lim[0],
		        (unsigned long long)c.dups, (unsigned long long)lim[1],
		        (unsigned long long)c.late, (unsigned long long)lim[2],
		        (unsigned long long)lost_bytes, (unsigned long long)lim[3]);
		bad = 1;
	}
	free(c.seen);
	return bad;
}

static int
echo(const char *uri, uint64_t first, uint64_t last)
{
	static uint8_t out[MSG_MAX], in[MSG_MAX + 16];
	struct check c;
	uint64_t next = first;
	size_t outlen = 0;
	ipcx_chan *ch;
	int rc;

	if (first == 0 || first > last || check_init(&c, first, last) < 0)
		return 2;
	rc = ipcx_join(&ch, uri, 0);
	if (rc < 0) {
		fprintf(stderr, "relay_msgs: %s: %s\n", uri, ipcx_strerror(rc));
		return 1;
	}
	while (c.prev < last) {
		bool moved = false;
		ssize_t n;

		if (next <= last) {
			if (outlen == 0)
				outlen = make_msg(next, out);
			rc = ipcx_send(ch, out, outlen, 0);
			if (rc == 0) {
				next++;
				outlen = 0;
				moved = true;
			} else if (rc != -EAGAIN) {
				fprintf(stderr, "relay_msgs: send %llu: %s\n",
				        (unsigned long long)next, ipcx_strerror(rc));
				return 1;
			}
		}
		n = ipcx_recv(ch, in, sizeof(in), 0);
		if (n >= 0) {
			uint64_t want = c.prev + 1;
			if (check_one(&c, in, (size_t)n) != 0 || c.prev != want || c.dups != 0) {
				fprintf(stderr, "relay_msgs: reply after %llu wrong\n",
				        (unsigned long long)c.prev);
				return 1;
			}
			moved = true;
		} else if (n != -EAGAIN) {
			fprintf(stderr, "relay_msgs: recv after %llu: %s\n",
			        (unsigned long long)c.prev, ipcx_strerror((int)n));
			return 1;
		}
		if (!moved) {
			struct pollfd p = { .fd = ipcx_pollfd(ch), .events = POLLIN };
			/* Room to send is not announced: look again within 1 ms. */
			(void)poll(&p, 1, 1);
		}
	}
	ipcx_close(ch);
	free(c.seen);
	printf("echoed %llu\n", (unsigned long long)(last - first + 1));
	return 0;
}

static uint64_t
num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s) {
		fprintf(stderr, "relay_msgs: not a number: '%s'\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const char *const limits[] = { "--max-gaps", "--max-dups", "--max-late",
		                              "--max-lost-bytes" };
	uint64_t lim[4] = { 0, 0, 0, 0 };
	int i, k;

	crc_init();
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return gen(num(argv[2]), num(argv[3]));
	if (argc == 5 && strcmp(argv[1], "echo") == 0)
		return echo(argv[2], num(argv[3]), num(argv[4]));
	if (argc >= 3 && strcmp(argv[1], "check") == 0) {
		for (i = 3; i + 1 < argc; i += 2) {
			for (k = 0; k < 4 && strcmp(argv[i], limits[k]) != 0; k++)
				;
			if (k == 4)
				break;
			lim[k] = num(argv[i + 1]);
		}
		if (i == argc)
			return check(num(argv[2]), lim);
	}
	fprintf(stderr, "usage: relay_msgs gen FIRST LAST | check LAST [--max-gaps G] "
	                "[--max-dups D] [--max-late L] [--max-lost-bytes B] | echo URI FIRST LAST\n");
	return 2;
}
