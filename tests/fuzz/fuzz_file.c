/* SPDX-License-Identifier: MIT */
/*
 * fuzz_file.c - libFuzzer target for the file: log reader (DESIGN.md: a
 * corrupted file gives -EPROTO or is skipped cleanly, never a crash or a
 * read out of bounds).  Raw bytes would seldom pass the header's checksum,
 * so the input is the record region of a log whose header the target
 * writes around it:
 *
 *   byte 0   flags: 1 recompute each record's CRC (reach deeper: lying
 *            lengths, sequences and marks with good checksums), 2 the slot
 *            names another boot (recovery after a power cut), 4 borrow and
 *            release instead of receive, 8 nothing committed (every record
 *            is a dead sender's tail); bits 4-5 pick max: 64, 512, 4K, 64K
 *   byte 1   write_seq - 1: how many records the slot claims
 *   byte 2   synced_seq
 *   byte 3   claims (low 2 bits), done_ahead (the rest)
 *   then     the records, from offset 4096 of the file
 *
 * The log is opened and drained: every answer must be a message no longer
 * than max, -EPROTO (a corrupt record, skipped) or -EAGAIN; opening may
 * refuse with -EPROTO only.  Then a send must succeed: whatever the damage,
 * the log goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "fuzz_file: invariant broken: %s\n", #c); \
			abort();                                                  \
		}                                                                 \
	} while (0)

#define LOG_DATA 4096u
#define REGION_MAX 65536u

static uint32_t
crc_update(uint32_t c, const uint8_t *p, size_t n)
{
	while (n-- > 0) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return c;
}

static uint32_t
crc(const uint8_t *p, size_t n)
{
	return crc_update(0xffffffffu, p, n) ^ 0xffffffffu;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static char path[128], uri[160], leftover[160];
static uint8_t boot[16];
static uint8_t *file;

/* One log path per process, removed after each input (the replay harness
 * ends its processes with _exit, so nothing may wait for atexit). */
static void
paths_make(void)
{
	snprintf(path, sizeof(path), "/tmp/ipcx-fuzz-file-%d.log", (int)getpid());
	snprintf(leftover, sizeof(leftover), "%s.ipcx-compact", path);
	snprintf(uri, sizeof(uri), "file:%s?sync=none", path);
	/* Nothing is registered: a join finds no registry and holds nothing. */
	setenv("IPCX_REGISTRY_DIR", "/nonexistent/ipcx-fuzz-file", 1);
}

static void
setup(void)
{
	char buf[64];
	int fd, i = 0, hi = -1;
	ssize_t n;

	file = malloc(LOG_DATA + REGION_MAX);
	CHECK(file != NULL);
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	for (ssize_t k = 0; k < n && i < 16; k++) {
		int c = buf[k], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			boot[i++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
}

static size_t
rec_size(uint64_t len)
{
	return (size_t)((32 + len + 7) & ~(uint64_t)7);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t maxes[4] = { 64, 512, 4096, 65536 };
	static uint8_t buf[65536 + 1];
	uint8_t flags, *slot, *region;
	size_t rlen, p;
	uint32_t max;
	ipcx_chan *ch;
	int rc, i, fd;

	if (file == NULL)
		setup();
	if (size < 4)
		return 0;
	paths_make();
	flags = data[0];
	max = maxes[(flags >> 4) & 3];
	rlen = size - 4 < REGION_MAX ? size - 4 : REGION_MAX;
	memset(file, 0, LOG_DATA);
	region = file + LOG_DATA;
	memcpy(region, data + 4, rlen);

	memcpy(file, "IPCXFLOG", 8);
	put32(file + 8, 1);
	put32(file + 12, LOG_DATA);
	put64(file + 16, 1 << 20);
	put32(file + 24, max);
	put32(file + 60, crc(file, 60));
	slot = file + 64 + 96; /* generation 1 lives in slot 1 */
	put64(slot, 1);
	put64(slot + 8, LOG_DATA);
	put64(slot + 16, 1);
	put64(slot + 24, (flags & 8) ? LOG_DATA : LOG_DATA + (rlen & ~(size_t)7));
	put64(slot + 32, 1 + (uint64_t)data[1]);
	put64(slot + 40, data[2]);
	put32(slot + 48, data[3] & 3);
	put32(slot + 52, data[3] >> 2);
	if (!(flags & 2))
		memcpy(slot + 56, boot, 16);
	put32(slot + 92, crc(slot, 92));

	/* Give the records good checksums, so the damage lies elsewhere. */
	for (p = 0; (flags & 1) && p + 32 <= rlen; p += rec_size(get32(region + p + 4))) {
		uint32_t len = get32(region + p + 4), c;
		if (get32(region + p) != 0x52435849u || p + rec_size(len) > rlen)
			break;
		c = crc_update(0xffffffffu, region + p + 32, len);
		put32(region + p + 24, crc_update(c, region + p, 24) ^ 0xffffffffu);
	}

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, file, LOG_DATA + rlen) == (ssize_t)(LOG_DATA + rlen));
	close(fd);

	rc = ipcx_join(&ch, uri, 0);
	CHECK(rc == 0 || rc == -EPROTO);
	if (rc == 0) {
		for (i = 0; i < 300; i++) {
			ssize_t r;
			if (flags & 4) {
				const void *ptr;
				size_t len;
				r = ipcx_recv_borrow(ch, &ptr, &len, 0);
				if (r >= 0) {
					CHECK((size_t)r == len && len <= max);
					CHECK(ipcx_release(ch, ptr) == 0);
				}
			} else {
				r = ipcx_recv(ch, buf, sizeof(buf), 0);
				CHECK(r < 0 || (size_t)r <= max);
			}
			if (r == -EAGAIN)
				break;
			CHECK(r >= 0 || r == -EPROTO);
		}
		rc = ipcx_send(ch, "after", 5, 0);
		if (rc != 0)
			fprintf(stderr, "fuzz_file: send after: %s (%s)\n", ipcx_errname(rc),
			        ipcx_errmsg(ch));
		CHECK(rc == 0);
		ipcx_close(ch);
	}
	unlink(path);
	unlink(leftover);
	return 0;
}
