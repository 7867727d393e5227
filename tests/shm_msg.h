/* SPDX-License-Identifier: MIT */
/*
 * shm_msg.h - the messages the shared-memory stress and crash tests send:
 * each names its sender and sequence number, has a size that varies with
 * them, a checksum, and a payload every byte of which is checked.  Include
 * after ipcx_test.h.
 */
#ifndef IPCX_TEST_SHM_MSG_H
#define IPCX_TEST_SHM_MSG_H

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

struct shm_msg {
	uint32_t sender;
	uint32_t seq;
	uint32_t len;  /* of the whole message, header included */
	uint32_t sum;  /* over the three fields above and the payload */
};
#define SHM_MSG_HDR ((uint32_t)sizeof(struct shm_msg))

/* Mixed sizes: mostly small, some up to max. */
static inline size_t
shm_msg_size(uint32_t sender, uint32_t seq, size_t max)
{
	uint32_t x = (seq * 2654435761u) ^ (sender * 40503u);
	size_t n;

	x ^= x >> 15;
	if (x % 100 < 70)
		n = SHM_MSG_HDR + x % 48;
	else if (x % 100 < 95)
		n = 64 + x % 960;
	else
		n = 1024 + x % 3072;
	return n > max ? max : n;
}

static inline uint32_t
shm_msg_sum(const struct shm_msg *m, const uint8_t *payload, size_t n)
{
	uint32_t h = 2166136261u ^ m->sender ^ (m->seq << 7) ^ (m->len << 17);
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ payload[i]) * 16777619u;
	return h;
}

static inline uint32_t
shm_msg_seed(uint32_t sender, uint32_t seq)
{
	return sender * 0x9e3779b1u ^ seq;
}

/* Write message (sender, seq) of len bytes into buf. */
static inline size_t
shm_msg_make(uint8_t *buf, uint32_t sender, uint32_t seq, size_t len)
{
	struct shm_msg m = { sender, seq, (uint32_t)len, 0 };

	ipcx_test_fill(buf + SHM_MSG_HDR, len - SHM_MSG_HDR, shm_msg_seed(sender, seq));
	m.sum = shm_msg_sum(&m, buf + SHM_MSG_HDR, len - SHM_MSG_HDR);
	memcpy(buf, &m, sizeof(m));
	return len;
}

/* Check a received message: true if whole (then its sender and seq). */
static inline bool
shm_msg_ok(const void *buf, size_t n, uint32_t *ret_sender, uint32_t *ret_seq)
{
	struct shm_msg m;
	const uint8_t *p = buf;

	if (n < SHM_MSG_HDR)
		return false;
	memcpy(&m, p, sizeof(m));
	if (m.len != n || shm_msg_sum(&m, p + SHM_MSG_HDR, n - SHM_MSG_HDR) != m.sum ||
	    !ipcx_test_check(p + SHM_MSG_HDR, n - SHM_MSG_HDR, shm_msg_seed(m.sender, m.seq)))
		return false;
	*ret_sender = m.sender;
	*ret_seq = m.seq;
	return true;
}

/* Memory every process of a test shares (fork keeps it shared). */
static inline void *
shm_test_shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		IPCX_TEST_FAILF("mmap shared: %s", strerror(errno));
	return p;
}

#endif
