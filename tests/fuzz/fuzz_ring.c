/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ring.c - libFuzzer target for the shared-memory ring against a
 * process that writes anything anywhere in the mapping (DESIGN.md, hostile
 * peers: "-EPROTO, never ... read or write outside the mapping, crash or
 * spin forever").  The ring lives in a heap allocation of exactly its size,
 * so AddressSanitizer sees any access outside it.  The input is a program:
 * operations of two handles on the ring (send, receive, borrow, release,
 * loan, commit) interleaved with writes of arbitrary bytes at arbitrary
 * offsets - header, participant table, slot words, lengths, payloads.
 * Every answer is checked: a code the API documents, a length within the
 * buffer, a borrowed or loaned pointer inside a slot of the mapping.
 * Calls never block (deadline NOW, spin=0), so a hang is a loop the ring
 * failed to bound, which libFuzzer's -timeout reports.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/deadline.h"
#include "shm/ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "fuzz_ring: invariant broken: %s\n", #c); \
			abort();                                                  \
		}                                                                 \
	} while (0)

#define SLOTS 8
#define SLOT_SIZE 64

struct handle {
	struct ipcx_chan ch;
	struct ipcx_ring r;
	const void *borrowed[IPCX_RING_MAX_BORROWS];
	unsigned nborrowed;
	void *loan;
	size_t loan_len;
};

static uint8_t *mem;
static size_t mem_len;

static bool
ok_code(long rc)
{
	return rc >= 0 || rc == -EAGAIN || rc == -EPROTO || rc == -EMSGSIZE || rc == -EUSERS ||
	       rc == -EBUSY || rc == -EINVAL;
}

/* A pointer the ring handed out lies in the payload area of one slot. */
static void
check_payload(const void *p, size_t len)
{
	const uint8_t *q = p;

	CHECK(q >= mem && q + len <= mem + mem_len);
	CHECK(len <= SLOT_SIZE);
}

static void
handle_open(struct handle *h)
{
	memset(h, 0, sizeof(*h));
	h->ch.wake_fd = -1;
	h->ch.rfd = h->ch.wfd = -1;
	ipcx__ring_attach(&h->r, &h->ch, mem, mem_len, 0);
}

static void
op(struct handle *h, uint8_t code, uint8_t arg)
{
	uint8_t buf[SLOT_SIZE + 8] = { 0 };
	const void *p;
	size_t len;
	long rc;

	switch (code % 6) {
	case 0: {
		struct iovec iov = { buf, (size_t)arg % (SLOT_SIZE + 1) };
		memset(buf, arg, sizeof(buf));
		rc = ipcx__ring_send(&h->r, &iov, 1, IPCX_DEADLINE_NOW);
		CHECK(ok_code(rc));
		CHECK(rc < 0 || (size_t)rc == iov.iov_len);
		break;
	}
	case 1:
		len = (size_t)arg % (SLOT_SIZE + 1);
		rc = ipcx__ring_recv(&h->r, buf, len, IPCX_DEADLINE_NOW);
		CHECK(ok_code(rc));
		CHECK(rc < 0 || (size_t)rc <= len);
		break;
	case 2:
		rc = ipcx__ring_borrow(&h->r, &p, &len, IPCX_DEADLINE_NOW);
		CHECK(ok_code(rc));
		if (rc >= 0) {
			check_payload(p, len);
			CHECK((size_t)rc == len);
			memcpy(buf, p, len); /* the borrower reads it all */
			CHECK(h->nborrowed < IPCX_RING_MAX_BORROWS);
			h->borrowed[h->nborrowed++] = p;
		}
		break;
	case 3:
		if (h->nborrowed == 0) {
			CHECK(ipcx__ring_release(&h->r, buf) == -EINVAL);
			break;
		}
		{
			unsigned k = arg % h->nborrowed;
			p = h->borrowed[k];
			h->nborrowed--;
			h->borrowed[k] = h->borrowed[h->nborrowed];
		}
		rc = ipcx__ring_release(&h->r, p);
		CHECK(rc == 0 || rc == -EPROTO);
		break;
	case 4:
		len = (size_t)arg % (SLOT_SIZE + 1);
		rc = ipcx__ring_loan(&h->r, len, &h->loan);
		CHECK(ok_code(rc));
		if (rc == 0) {
			check_payload(h->loan, len);
			memset(h->loan, arg, len); /* the lender writes it all */
			h->loan_len = len;
		}
		break;
	case 5:
		if (h->loan == NULL)
			break;
		rc = ipcx__ring_commit(&h->r, h->loan, (size_t)arg % (h->loan_len + 1));
		CHECK(rc == 0 || rc == -EPROTO);
		h->loan = NULL;
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipcx_ring_geom g = { SLOTS, SLOT_SIZE };
	static struct handle h[2];
	size_t i = 0;
	int n = 0;

	if (mem == NULL) {
		mem_len = (size_t)ipcx__ring_bytes(&g, NULL);
		mem = malloc(mem_len);
		CHECK(mem != NULL);
	}
	memset(mem, 0, mem_len);
	ipcx__ring_format(mem, &g, 0x1234);
	handle_open(&h[0]);
	handle_open(&h[1]);
	/* Each step: one byte says what, then its arguments. */
	while (i < size && n++ < 256) {
		uint8_t c = data[i++];

		if (c < 0xc0) {
			uint8_t arg = i < size ? data[i++] : 0;
			op(&h[c & 1], (uint8_t)(c >> 1), arg);
			continue;
		}
		/* A write over the mapping: where (aimed at a part of it by the
		 * low bits), how many bytes, what. */
		if (i + 3 > size)
			break;
		{
			size_t where = (size_t)data[i] | (size_t)data[i + 1] << 8, len = data[i + 2] % 9;
			i += 3;
			switch (c & 3) {
			case 0: where %= 1024; break;                  /* the header */
			case 1: where = 1024 + where % 8192; break;    /* participants */
			case 2: /* a slot's word or length */
				where = 12288 + (where % SLOTS) * 128 + (where >> 8) % 16;
				break;
			default: where %= mem_len; break;
			}
			if (len > size - i)
				len = size - i;
			if (where + len > mem_len)
				len = mem_len - where;
			memcpy(mem + where, data + i, len);
			i += len;
		}
	}
	ipcx__ring_detach(&h[0].r);
	ipcx__ring_detach(&h[1].r);
	return 0;
}
