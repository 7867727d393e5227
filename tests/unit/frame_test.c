/* SPDX-License-Identifier: MIT */
/*
 * frame_test.c - the pure frame decoder, ipcx__frame_decode, on every
 * framing (DESIGN.md, "Framing on byte-stream transports"): headers split
 * anywhere, exact boundaries, a 4 GiB length, the max boundary, lines with
 * and without their newline and at end of stream, raw.  Then the same
 * framings end to end over a pipe pair.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include "core/frame.h"

/* Decode and check the invariants every answer keeps. */
static int
decode(enum ipcx_framing fr, size_t max, const void *data, size_t n, size_t scan_from,
       bool eof, struct ipcx_frame *f)
{
	int rc = ipcx__frame_decode(fr, max, data, n, scan_from, eof, f);

	ASSERT_TRUE(rc == 1 || rc == 0 || rc == -EPROTO);
	if (rc == 1) {
		ASSERT_LE(f->off + f->len, n);
		ASSERT_LE(f->consumed, n);
		ASSERT_GE(f->consumed, f->off + f->len);
		ASSERT_GE(f->consumed, 1);
		ASSERT_LE(f->len, max);
	}
	return rc;
}

static void
put_len(uint8_t *p, uint32_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

static void
test_len_basic(void)
{
	uint8_t buf[64];
	struct ipcx_frame f;

	put_len(buf, 5);
	memcpy(buf + 4, "hello", 5);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 100, buf, 9, 0, false, &f), 1);
	ASSERT_EQ(f.off, 4);
	ASSERT_EQ(f.len, 5);
	ASSERT_EQ(f.consumed, 9);
	ASSERT_EQ(f.announced, 5);
	ASSERT_MEMEQ(buf + f.off, "hello", 5);
	/* Only the first frame is taken from a longer buffer. */
	put_len(buf + 9, 2);
	memcpy(buf + 13, "ok", 2);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 100, buf, 15, 0, false, &f), 1);
	ASSERT_EQ(f.consumed, 9);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 100, buf + 9, 6, 0, false, &f), 1);
	ASSERT_EQ(f.len, 2);
	ASSERT_EQ(f.consumed, 6);
	/* An empty message: a header of zero. */
	put_len(buf, 0);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 100, buf, 4, 0, false, &f), 1);
	ASSERT_EQ(f.len, 0);
	ASSERT_EQ(f.consumed, 4);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 100, buf, 4, 0, true, &f), 1);
	/* Nothing at all: need a header; at end of stream a clean end. */
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 100, buf, 0, 0, false, &f), 0);
	ASSERT_EQ(f.need, 4);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 100, buf, 0, 0, true, &f), 0);
}

/* A header or payload split at every byte: "need more" until complete. */
static void
test_len_split(void)
{
	uint8_t buf[4 + 300];
	struct ipcx_frame f;
	size_t n;

	put_len(buf, 300);
	ipcx_test_fill(buf + 4, 300, 9);
	for (n = 0; n < sizeof(buf); n++) {
		ASSERT_EQ(decode(IPCX_FRAMING_LEN, 1000, buf, n, 0, false, &f), 0);
		if (n >= 4)
			ASSERT_EQ(f.need, sizeof(buf));
		else
			ASSERT_EQ(f.need, 4);
		/* The stream ending inside a frame is a protocol error, except
		 * before its first byte. */
		ASSERT_EQ(decode(IPCX_FRAMING_LEN, 1000, buf, n, 0, true, &f), n ? -EPROTO : 0);
	}
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 1000, buf, n, 0, false, &f), 1);
	ASSERT_EQ(f.len, 300);
	ASSERT_TRUE(ipcx_test_check(buf + f.off, f.len, 9));
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 1000, buf, n, 0, true, &f), 1);
}

/* The max boundary: max is allowed, max + 1 is refused from the header
 * alone, before any payload arrives. */
static void
test_len_max(void)
{
	static uint8_t buf[4 + 4097];
	struct ipcx_frame f;

	put_len(buf, 4096);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 4096, buf, 4, 0, false, &f), 0);
	ASSERT_EQ(f.need, 4 + 4096);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 4096, buf, 4 + 4096, 0, false, &f), 1);
	ASSERT_EQ(f.len, 4096);
	put_len(buf, 4097);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 4096, buf, 4, 0, false, &f), -EPROTO);
	ASSERT_EQ(f.announced, 4097);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 4096, buf, sizeof(buf), 0, false, &f), -EPROTO);
	/* max 0: only empty messages. */
	put_len(buf, 0);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 0, buf, 4, 0, false, &f), 1);
	put_len(buf, 1);
	ASSERT_EQ(decode(IPCX_FRAMING_LEN, 0, buf, 5, 0, false, &f), -EPROTO);
}

/* A 4 GiB length (ff ff ff ff) is a protocol error under any sane max, and
 * the length seen is reported for the error message. */
static void
test_len_4g(void)
{
	static const uint8_t hdr[] = { 0xff, 0xff, 0xff, 0xff, 'x' };
	static const uint8_t hdr2[] = { 0x80, 0x00, 0x00, 0x00 };
	static const size_t maxes[] = { 0, 1, 4092, 65536, (size_t)16 << 20, (size_t)1 << 30,
		                        0xfffffffeu };
	struct ipcx_frame f;
	size_t i;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		ASSERT_EQ(decode(IPCX_FRAMING_LEN, maxes[i], hdr, 4, 0, false, &f), -EPROTO);
		ASSERT_EQ(f.announced, 0xffffffffu);
		ASSERT_EQ(decode(IPCX_FRAMING_LEN, maxes[i], hdr, 5, 0, true, &f), -EPROTO);
		if (maxes[i] < 0x80000000u) {
			ASSERT_EQ(decode(IPCX_FRAMING_LEN, maxes[i], hdr2, 4, 0, false, &f),
			          -EPROTO);
			ASSERT_EQ(f.announced, 0x80000000u);
		}
	}
	/* With a max that allows it (64-bit only: ipcx's own max stops at
	 * 1 GiB), it is only a frame that needs more. */
	if (SIZE_MAX > 0xffffffffu) {
		ASSERT_EQ(decode(IPCX_FRAMING_LEN, 0xffffffffu, hdr, 5, 0, false, &f), 0);
		ASSERT_EQ(f.need, (uint64_t)4 + 0xffffffffu);
		ASSERT_EQ(decode(IPCX_FRAMING_LEN, SIZE_MAX, hdr, 5, 0, false, &f), 0);
	}
}

static void
test_line(void)
{
	struct ipcx_frame f;

	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "abc\n", 4, 0, false, &f), 1);
	ASSERT_EQ(f.off, 0);
	ASSERT_EQ(f.len, 3);
	ASSERT_EQ(f.consumed, 4);
	/* Only the first line. */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "abc\ndef\n", 8, 0, false, &f), 1);
	ASSERT_EQ(f.len, 3);
	ASSERT_EQ(f.consumed, 4);
	/* An empty line is an empty message. */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "\n", 1, 0, false, &f), 1);
	ASSERT_EQ(f.len, 0);
	ASSERT_EQ(f.consumed, 1);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "\n\n", 2, 0, true, &f), 1);
	ASSERT_EQ(f.consumed, 1);
	/* No newline yet: need more. */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "abc", 3, 0, false, &f), 0);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "", 0, 0, false, &f), 0);
	/* At end of stream an unterminated last line is still a message;
	 * nothing at all is the clean end. */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "abc", 3, 0, true, &f), 1);
	ASSERT_EQ(f.len, 3);
	ASSERT_EQ(f.consumed, 3);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "", 0, 0, true, &f), 0);
	/* scan_from skips what is known to hold no newline. */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "abcdef\n", 7, 6, false, &f), 1);
	ASSERT_EQ(f.len, 6);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "abcdef", 6, 6, false, &f), 0);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "ab", 2, 50, false, &f), 0);
	/* A NUL is an ordinary byte. */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 100, "a\0b\n", 4, 0, false, &f), 1);
	ASSERT_EQ(f.len, 3);
}

static void
test_line_max(void)
{
	struct ipcx_frame f;

	/* A line of exactly max, then max + 1 (with and without its newline). */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 3, "abc\n", 4, 0, false, &f), 1);
	ASSERT_EQ(f.len, 3);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 3, "abcd\n", 5, 0, false, &f), -EPROTO);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 3, "abcd", 4, 0, false, &f), -EPROTO);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 3, "abc", 3, 0, false, &f), 0);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 3, "abc", 3, 0, true, &f), 1);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 3, "abcd", 4, 0, true, &f), -EPROTO);
	/* A good line before an over-long one is still taken. */
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 3, "ab\nxxxxxxx", 10, 0, false, &f), 1);
	ASSERT_EQ(f.len, 2);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 0, "\n", 1, 0, false, &f), 1);
	ASSERT_EQ(decode(IPCX_FRAMING_LINE, 0, "a\n", 2, 0, false, &f), -EPROTO);
}

static void
test_raw(void)
{
	struct ipcx_frame f;

	ASSERT_EQ(decode(IPCX_FRAMING_RAW, 100, "", 0, 0, false, &f), 0);
	ASSERT_EQ(decode(IPCX_FRAMING_RAW, 100, "", 0, 0, true, &f), 0);
	ASSERT_EQ(decode(IPCX_FRAMING_RAW, 100, "abc\n", 4, 0, false, &f), 1);
	ASSERT_EQ(f.off, 0);
	ASSERT_EQ(f.len, 4);
	ASSERT_EQ(f.consumed, 4);
	/* Never more than max at once; the rest is the next message. */
	ASSERT_EQ(decode(IPCX_FRAMING_RAW, 3, "abcdefg", 7, 0, false, &f), 1);
	ASSERT_EQ(f.len, 3);
	ASSERT_EQ(f.consumed, 3);
	ASSERT_EQ(decode(IPCX_FRAMING_RAW, 3, "abcdefg", 7, 0, true, &f), 1);
	ASSERT_EQ(f.len, 3);
}

/* Every prefix of a stream of many frames, on every framing, decodes to
 * the frames it wholly holds, in order, and never reads past its end
 * (each prefix is a separate allocation, so ASan would see it). */
static void
test_stream_prefixes(void)
{
	static const enum ipcx_framing framings[] = { IPCX_FRAMING_LEN, IPCX_FRAMING_LINE };
	size_t fi;

	for (fi = 0; fi < 2; fi++) {
		uint8_t stream[4000];
		size_t n = 0, msgs = 0, cut;
		uint32_t k;

		for (k = 0; n + 70 < sizeof(stream); k++) {
			size_t len = (k * 13u) % 60, i;
			if (framings[fi] == IPCX_FRAMING_LEN) {
				put_len(stream + n, (uint32_t)len);
				n += 4;
			}
			for (i = 0; i < len; i++)
				stream[n + i] = (uint8_t)('a' + (k + i) % 26);
			n += len;
			if (framings[fi] == IPCX_FRAMING_LINE)
				stream[n++] = '\n';
			msgs++;
		}
		for (cut = 0; cut <= n; cut += 7) {
			uint8_t *copy = malloc(cut ? cut : 1);
			size_t off = 0, got = 0;
			struct ipcx_frame f;
			int rc;

			memcpy(copy, stream, cut);
			while ((rc = decode(framings[fi], 100, copy + off, cut - off, 0, false,
			                    &f)) == 1) {
				size_t want = (got * 13u) % 60, i;
				ASSERT_EQ(f.len, want);
				for (i = 0; i < want; i++)
					ASSERT_EQ(copy[off + f.off + i], 'a' + (got + i) % 26);
				off += f.consumed;
				got++;
			}
			ASSERT_EQ(rc, 0);
			ASSERT_LE(got, msgs);
			free(copy);
		}
	}
}

/*
 * The framings end to end over a pipe pair: len carries any bytes, empty
 * messages included; line strips and adds the newline, refuses one inside a
 * message, and hands back an unterminated last line at the end; raw keeps
 * no boundaries.
 */
static void
test_end_to_end(void)
{
	ipcx_chan *a = NULL, *b = NULL;
	char buf[64];

	IPCX_PASS(ipcx_pair("pipe:?framing=line", &a, &b));
	IPCX_PASS(ipcx_send(a, "one", 3, 1000));
	IPCX_PASS(ipcx_send(a, "", 0, 1000));
	IPCX_FAIL(ipcx_send(a, "a\nb", 3, 1000), -EINVAL);
	IPCX_PASS(ipcx_send(a, "two", 3, 1000));
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), 3);
	ASSERT_MEMEQ(buf, "one", 3);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), 0);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), 3);
	ASSERT_MEMEQ(buf, "two", 3);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(a);
	ipcx_close(b);

	IPCX_PASS(ipcx_pair("pipe:?framing=raw", &a, &b));
	IPCX_PASS(ipcx_send(a, "abc", 3, 1000));
	IPCX_PASS(ipcx_send(a, "", 0, 1000)); /* nothing on the wire */
	IPCX_PASS(ipcx_send(a, "def", 3, 1000));
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), 6);
	ASSERT_MEMEQ(buf, "abcdef", 6);
	IPCX_PASS(ipcx_send(a, "ghijk", 5, 1000));
	IPCX_FAIL(ipcx_recv(b, buf, 2, 1000), 2);
	ASSERT_MEMEQ(buf, "gh", 2);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), 3);
	ASSERT_MEMEQ(buf, "ijk", 3);
	ipcx_close(a);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), IPCX_EOF);
	ipcx_close(b);
}

TEST_LIST = {
	{ "frame len basic", test_len_basic },
	{ "frame len split at every byte", test_len_split },
	{ "frame len max boundary", test_len_max },
	{ "frame len 4 GiB is EPROTO", test_len_4g },
	{ "frame line", test_line },
	{ "frame line max", test_line_max },
	{ "frame raw", test_raw },
	{ "frame stream prefixes", test_stream_prefixes },
	{ "frame framings end to end", test_end_to_end },
	{ NULL, NULL },
};
