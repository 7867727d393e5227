/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frame.c - libFuzzer target for the pure frame decoder,
 * ipcx__frame_decode (DESIGN.md: "a lying length on the wire ... gets a
 * clear error, never a crash, a hang or an out-of-bounds access").  The
 * input is a byte stream; it is decoded with every framing, several max
 * values, with and without end of stream, message after message as a
 * receiver would, and every answer is checked: a message lies within the
 * bytes given (off + len <= n, consumed <= n), is no longer than max, and
 * moves the stream on by at least one byte.  The input is copied into an
 * allocation of its exact size, so AddressSanitizer sees any read past it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz_frame: invariant broken: %s\n", #c); \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* ipcx never runs with max 0 (the URI refuses "max=0"). */
static const size_t maxes[] = { 1, 2, 3, 4, 5, 16, 255, 4092, 65536, (size_t)16 << 20,
	                        (size_t)1 << 30 };

static void
decode_stream(enum ipcx_framing framing, size_t max, const uint8_t *buf, size_t n,
              bool eof)
{
	size_t off = 0, scanned = 0;

	for (;;) {
		struct ipcx_frame f;
		size_t left = n - off;
		int rc = ipcx__frame_decode(framing, max, buf + off, left, scanned, eof, &f);

		CHECK(rc == 1 || rc == 0 || rc == -EPROTO);
		if (rc <= 0) {
			if (rc == 0 && framing == IPCX_FRAMING_LEN && left >= IPCX_FRAME_HDR)
				CHECK(f.need > left);
			return;
		}
		CHECK(f.off + f.len <= left);
		CHECK(f.consumed <= left);
		CHECK(f.consumed >= f.off + f.len);
		CHECK(f.consumed >= 1);
		CHECK(f.len <= max);
		if (framing == IPCX_FRAMING_LEN) {
			CHECK(f.off == IPCX_FRAME_HDR);
			CHECK(f.announced == f.len);
		}
		if (framing == IPCX_FRAMING_LINE) {
			CHECK(f.off == 0);
			CHECK(memchr(buf + off, '\n', f.len) == NULL);
			CHECK(f.consumed == f.len + 1 || (eof && f.consumed == left));
		}
		off += f.consumed;
		scanned = 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	size_t i, cut;
	int fr;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	for (fr = IPCX_FRAMING_LEN; fr <= IPCX_FRAMING_RAW; fr++) {
		for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
			decode_stream((enum ipcx_framing)fr, maxes[i], buf, size, false);
			decode_stream((enum ipcx_framing)fr, maxes[i], buf, size, true);
		}
	}
	/* Line framing resumed from a scan position, as a receiver does after
	 * a partial read: any position up to n is safe. */
	for (cut = 0; cut <= size && cut < 64; cut++) {
		struct ipcx_frame f;
		int rc = ipcx__frame_decode(IPCX_FRAMING_LINE, 4092, buf, size, cut, false, &f);
		CHECK(rc == 1 || rc == 0 || rc == -EPROTO);
		if (rc == 1)
			CHECK(f.consumed <= size && f.len <= 4092);
	}
	free(buf);
	return 0;
}
