/* SPDX-License-Identifier: MIT */
/*
 * shm_hostile_test.c - a process with write access scribbles over a ring
 * (DESIGN.md, hostile peers): the others' calls may fail with -EPROTO (or
 * time out: a scribbler can always withhold messages), but never crash,
 * hang, or hand out a length or pointer outside the mapping.  First named
 * corruptions with the answer each must get, then a scribbler writing at
 * random while two senders and two receivers run on both backings.  Run
 * it under AddressSanitizer to see that no access left the mapping.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"
#include "shm_msg.h"

#include <stdatomic.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "shm/ring.h"

#define LONG_MS 30000
#define GUARD_MS 120000

/* Header offsets (docs/shm-ring.md, "Layout"). */
#define OFF_MAGIC 0
#define OFF_VERSION 8
#define OFF_NSLOTS 16
#define OFF_TAIL 128
#define OFF_HEAD 192
#define OFF_DATA_WORD 256
#define OFF_PARTS 1024
#define OFF_SLOTS 12288

/* A writable view of a ring's mapping from outside ipcx. */
struct view {
	uint8_t *p;
	size_t len;
	uint64_t stride;
};

static void
view_open(struct view *v, const char *uri)
{
	const char *a = strchr(uri, ':') + 1;

	if (strncmp(uri, "shm:", 4) == 0) {
		char name[300];
		struct stat st;
		int fd;

		snprintf(name, sizeof(name), "/%.*s", (int)strcspn(a, "?"), a);
		fd = shm_open(name, O_RDWR, 0);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(fstat(fd, &st), 0);
		v->len = (size_t)st.st_size;
		v->p = mmap(NULL, v->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_TRUE(v->p != MAP_FAILED);
		close(fd);
	} else {
		struct shmid_ds ds;
		int id = shmget((key_t)strtoul(a, NULL, 16), 0, 0);

		ASSERT_GE(id, 0);
		ASSERT_EQ(shmctl(id, IPC_STAT, &ds), 0);
		v->len = ds.shm_segsz;
		v->p = shmat(id, NULL, 0);
		ASSERT_TRUE(v->p != (void *)-1);
	}
	v->stride = *(uint64_t *)(v->p + 32);
}

static uint64_t *
slot_word(struct view *v, uint64_t i)
{
	return (uint64_t *)(v->p + OFF_SLOTS + i * v->stride);
}

static uint32_t *
slot_len(struct view *v, uint64_t i)
{
	return (uint32_t *)(v->p + OFF_SLOTS + i * v->stride + 8);
}

static void
put64(struct view *v, size_t off, uint64_t x)
{
	__atomic_store_n((uint64_t *)(v->p + off), x, __ATOMIC_SEQ_CST);
}

/* ---- named corruptions ------------------------------------------------- */

/* A header that lies is refused at join, whatever it says. */
static void
bad_header(void)
{
	static const struct {
		size_t off;
		uint64_t value;
		int want;
	} cases[] = {
		{ OFF_MAGIC, 0, -EPROTO },
		{ OFF_VERSION, 2, -EPROTO },
		{ OFF_NSLOTS, 1u << 30, -EPROTO },
		{ OFF_NSLOTS, 3, -EPROTO },
		{ OFF_NSLOTS, 16, -EPROTO }, /* a geometry bigger than the mapping */
		{ 24, (uint64_t)1 << 40, -EPROTO }, /* slot_size */
		{ 32, 7, -EPROTO },                 /* stride */
		{ 48, 0, -EPROTO },                 /* slots offset */
		{ 56, 1, -EPROTO },                 /* total */
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *uri = ipcx_test_uri(i % 2 ? "sysvshm" : "shm", "slots=8&slot_size=64");
		ipcx_chan *a, *b;
		int rc;
		struct view v;
		uint64_t saved;
		char buf[64];

		IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
		ipcx_test_send_str(a, "before");
		view_open(&v, uri);
		memcpy(&saved, v.p + cases[i].off, 8);
		if (cases[i].off == OFF_VERSION || cases[i].off == OFF_NSLOTS)
			__atomic_store_n((uint32_t *)(v.p + cases[i].off), (uint32_t)cases[i].value,
			                 __ATOMIC_SEQ_CST);
		else
			put64(&v, cases[i].off, cases[i].value);
		IPCX_FAIL(ipcx_join(&b, uri, 0), cases[i].want);
		/* A create that finds it adopts nothing. */
		/* -EBUSY: its creator lives and the registry says so first. */
		rc = ipcx_create(&b, uri, 0);
		ASSERT_TRUE(rc == -EEXIST || rc == -EBUSY);
		/* A handle already attached keeps its own checked geometry. */
		ipcx_test_recv_str(a, "before");
		ipcx_test_send_str(a, "after");
		ipcx_test_recv_str(a, "after");
		IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EAGAIN);
		memcpy(v.p + cases[i].off, &saved, 8);
		ipcx_close(a);
	}
}

/* Scribbled slot words and lengths: -EPROTO for that call, and the ring
 * moves on - the next message is delivered. */
static void
bad_slots(void)
{
	const char *uri = ipcx_test_uri("shm", "slots=8&slot_size=64");
	ipcx_chan *a;
	struct view v;
	char buf[64];
	const void *p;
	size_t len;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	view_open(&v, uri);
	/* An impossible state at the head. */
	ipcx_test_send_str(a, "m0");
	ipcx_test_send_str(a, "m1");
	*slot_word(&v, 0) |= 7;
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EPROTO);
	ASSERT_TRUE(strstr(ipcx_errmsg(a), "wrote over the mapping") != NULL);
	ipcx_test_recv_str(a, "m1");
	/* A length above the slot, for a copy and for a borrow. */
	ipcx_test_send_str(a, "m2");
	ipcx_test_send_str(a, "m3");
	ipcx_test_send_str(a, "m4");
	*slot_len(&v, 2) = 1u << 30;
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EPROTO);
	*slot_len(&v, 3) = 65;
	IPCX_FAIL(ipcx_recv_borrow(a, &p, &len, 0), -EPROTO);
	ipcx_test_recv_str(a, "m4");
	/* A position that is not the head's. */
	ipcx_test_send_str(a, "m5");
	ipcx_test_send_str(a, "m6");
	*slot_word(&v, 5) += (uint64_t)3 << 16;
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EPROTO);
	ipcx_test_recv_str(a, "m6");
	/* The slot at the tail scribbled: the send says so, the next works. */
	*slot_word(&v, 7) = 0x5a5a5a5a5a5a5a5aull;
	IPCX_FAIL(ipcx_send(a, "x", 1, 0), -EPROTO);
	ipcx_test_send_str(a, "m7");
	ipcx_test_recv_str(a, "m7");
	/* A message taken, then its slot scribbled: the release says so. */
	ipcx_test_send_str(a, "m8");
	IPCX_FAIL(ipcx_recv_borrow(a, &p, &len, 0), 2);
	*slot_word(&v, 0) = 0; /* m8 is position 8: slot 0 */
	IPCX_FAIL(ipcx_release(a, p), -EPROTO);
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(a);
}

/* Head and tail far apart, or the head ahead of the tail: calls end (with
 * -EPROTO or nothing to do), none hangs, none reads outside the ring. */
static void
bad_positions(void)
{
	static const uint64_t heads[] = { 1000000, 5, (uint64_t)1 << 50, UINT64_MAX };
	unsigned i;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		const char *uri = ipcx_test_uri("shm", "slots=8&slot_size=64");
		ipcx_chan *a;
		struct view v;
		char buf[64];
		int k;

		IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
		view_open(&v, uri);
		ipcx_test_send_str(a, "x");
		put64(&v, OFF_HEAD, heads[i]);
		put64(&v, OFF_TAIL, heads[i] / 2);
		for (k = 0; k < 40; k++) {
			int s = ipcx_send(a, "y", 1, 10);
			ssize_t r = ipcx_recv(a, buf, sizeof(buf), 10);
			ASSERT_TRUE(s == 0 || s == -EPROTO || s == -ETIMEDOUT);
			ASSERT_TRUE((r >= 0 && r <= 1) || r == -EPROTO || r == -ETIMEDOUT);
		}
		ipcx_close(a);
	}
}

/* The participant table filled with live-looking entries, or its entries
 * pointed at other processes. */
static void
bad_participants(void)
{
	const char *uri = ipcx_test_uri("shm", "slots=8&slot_size=64");
	ipcx_chan *a, *b;
	struct view v;
	const void *p;
	size_t len;
	char buf[64];
	uint64_t mine, i;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	ipcx_test_send_str(a, "held");
	IPCX_FAIL(ipcx_recv_borrow(b, &p, &len, 0), 4);
	view_open(&v, uri);
	/* b's entry now names a process that does not exist: b "died", its
	 * message is recovered; b's release then fails, it does not corrupt. */
	mine = *(uint64_t *)(v.p + OFF_PARTS + 2 * 64);
	put64(&v, OFF_PARTS + 2 * 64, (mine & ~((uint64_t)0x3fffff << 8)) | ((uint64_t)0x3ffffe << 8));
	ipcx_test_recv_str(a, "held");
	IPCX_FAIL(ipcx_release(b, p), -EPROTO);
	ipcx_close(b);
	/* Every free entry taken by a "live" process (this one): a newcomer
	 * is refused, the participants already in carry on. */
	mine = *(uint64_t *)(v.p + OFF_PARTS + 64);
	for (i = 2; i <= IPCX_RING_PARTS; i++)
		put64(&v, OFF_PARTS + i * 64, mine);
	IPCX_PASS(ipcx_join(&b, uri, 0));
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), -EUSERS);
	ipcx_close(b);
	ipcx_test_send_str(a, "on");
	ipcx_test_recv_str(a, "on");
	ipcx_close(a);
}

/* The sleep bit of a sleeping receiver cleared behind its back: the wake-up
 * is lost, but the sleeper looks again by itself and the message arrives
 * well before its deadline. */
static int
recv_one(void *arg)
{
	ipcx_chan *ch;
	char buf[16];

	if (ipcx_join(&ch, arg, 0) < 0)
		return 1;
	if (ipcx_recv(ch, buf, sizeof(buf), LONG_MS) != 4)
		return 2;
	ipcx_close(ch);
	return 0;
}

static void
lost_wakeup(void)
{
	const char *uri = ipcx_test_uri("shm", "spin=0");
	struct view v;
	ipcx_chan *a;
	pid_t pid;
	int i;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	view_open(&v, uri);
	pid = ipcx_test_peer(recv_one, (void *)uri);
	/* Wait until it sleeps (its bit is set), then clear the bit. */
	for (i = 0; i < 30000 && !(__atomic_load_n((uint32_t *)(v.p + OFF_DATA_WORD),
	                                           __ATOMIC_SEQ_CST) & 1); i++)
		usleep(1000);
	__atomic_store_n((uint32_t *)(v.p + OFF_DATA_WORD), 0, __ATOMIC_SEQ_CST);
	ipcx_test_send_str(a, "late");
	ipcx_test_wait(pid, LONG_MS);
	ipcx_close(a);
}

/* ---- a scribbler at random while peers run ----------------------------- */

struct board {
	char uri[512];
	_Atomic int stop;
	_Atomic int bad;          /* a peer saw an undocumented answer */
	char why[200];
	_Atomic uint64_t calls, eproto;
	_Atomic int joined;
};

static struct board *B;

static void
bad_answer(const char *what, long rc)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&B->bad, &zero, 1))
		snprintf(B->why, sizeof(B->why), "%s -> %ld (%s)", what, rc,
		         ipcx_errname((int)rc));
}

static int
peer(void *arg)
{
	int self = (int)(intptr_t)arg, k, fd;
	uint8_t buf[256];
	ipcx_chan *ch;
	const void *p;
	void *q;
	size_t len;
	long rc;

	if (ipcx_join(&ch, B->uri, 0) < 0)
		return 1;
	fd = self == 3 ? ipcx_pollfd(ch) : -1;
	atomic_fetch_add(&B->joined, 1);
	for (k = 0; atomic_load(&B->stop) == 0; k++) {
		switch ((self + k) % 5) {
		case 0:
		case 1:
			rc = ipcx_send(ch, buf, (size_t)(k % 257), 5);
			if (rc != 0 && rc != -ETIMEDOUT && rc != -EPROTO && rc != -EUSERS &&
			    rc != -EMSGSIZE)
				bad_answer("send", rc);
			break;
		case 2:
			rc = ipcx_recv(ch, buf, sizeof(buf), 5);
			if (rc > 256 || (rc < 0 && rc != -ETIMEDOUT && rc != -EPROTO && rc != -EUSERS))
				bad_answer("recv", rc);
			break;
		case 3:
			rc = ipcx_recv_borrow(ch, &p, &len, 5);
			if (rc >= 0) {
				if (len > 256 || (size_t)rc != len)
					bad_answer("borrow length", rc);
				memcpy(buf, p, len);
				rc = ipcx_release(ch, p);
				if (rc != 0 && rc != -EPROTO)
					bad_answer("release", rc);
			} else if (rc != -ETIMEDOUT && rc != -EPROTO && rc != -EUSERS) {
				bad_answer("borrow", rc);
			}
			break;
		default:
			rc = ipcx_loan(ch, (size_t)(k % 200), &q);
			if (rc == 0) {
				memset(q, k, (size_t)(k % 200));
				rc = ipcx_commit(ch, q, (size_t)(k % 200));
				if (rc != 0 && rc != -EPROTO)
					bad_answer("commit", rc);
			} else if (rc != -EAGAIN && rc != -EPROTO && rc != -EUSERS) {
				bad_answer("loan", rc);
			}
			break;
		}
		if (rc == -EPROTO)
			atomic_fetch_add(&B->eproto, 1);
		atomic_fetch_add(&B->calls, 1);
		if (fd >= 0 && k % 16 == 0) {
			struct pollfd pf = { fd, POLLIN, 0 };
			(void)poll(&pf, 1, 0);
			fd = ipcx_pollfd(ch);
			if (fd < 0 && fd != -EUSERS)
				bad_answer("pollfd", fd);
		}
	}
	ipcx_close(ch);
	return 0;
}

static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static int
scribbler(void *arg)
{
	uint32_t seed = (uint32_t)(uintptr_t)arg | 1;
	struct view v;
	long n;

	view_open(&v, B->uri);
	for (n = 0; atomic_load(&B->stop) == 0; n++) {
		uint32_t x = rnd(&seed), where;
		uint64_t val = (uint64_t)rnd(&seed) << 32 | rnd(&seed);

		switch (x % 8) {
		case 0: /* the header's moving parts */
			where = 128 + (rnd(&seed) % 6) * 64;
			break;
		case 1: /* anywhere in the header */
			where = rnd(&seed) % 1024;
			break;
		case 2: /* a participant */
			where = OFF_PARTS + rnd(&seed) % 8192;
			break;
		case 3: /* a slot word: a plausible one, nearly right */
		case 4:
			where = (uint32_t)(OFF_SLOTS + (rnd(&seed) % 16) * v.stride);
			val = (*(uint64_t *)(v.p + where) & ~(uint64_t)0xffff0007) |
			      (rnd(&seed) % 8) | (uint64_t)(rnd(&seed) % 4) << 16;
			break;
		case 5: /* a length */
			where = (uint32_t)(OFF_SLOTS + (rnd(&seed) % 16) * v.stride + 8);
			val = rnd(&seed) % 3 ? rnd(&seed) % 300 : val;
			break;
		default: /* anywhere */
			where = rnd(&seed) % (uint32_t)v.len;
			break;
		}
		if (where + 8 > v.len)
			where = (uint32_t)v.len - 8;
		memcpy(v.p + (where & ~7u), &val, (x >> 8) % 2 ? 8 : 1 + (x >> 9) % 7);
		if (n % 64 == 0)
			usleep(100);
	}
	return 0;
}

static void
scribbled(const char *scheme)
{
	pid_t peers[4], s;
	ipcx_chan *owner;
	int i;

	B = shm_test_shared(sizeof(*B));
	snprintf(B->uri, sizeof(B->uri), "%s", ipcx_test_uri(scheme, "slots=16&slot_size=256"));
	IPCX_PASS(ipcx_create(&owner, B->uri, IPCX_EXCL));
	for (i = 0; i < 4; i++)
		peers[i] = ipcx_test_peer(peer, (void *)(intptr_t)i);
	/* A scribbled header refuses newcomers: let them in first. */
	for (i = 0; i < 30000 && atomic_load(&B->joined) < 4; i++)
		usleep(1000);
	ASSERT_EQ(atomic_load(&B->joined), 4);
	s = ipcx_test_peer(scribbler, (void *)(uintptr_t)getpid());
	usleep(3000000);
	atomic_store(&B->stop, 1);
	ipcx_test_wait(s, GUARD_MS);
	for (i = 0; i < 4; i++)
		ipcx_test_wait(peers[i], GUARD_MS); /* a crash or a hang fails here */
	if (atomic_load(&B->bad))
		IPCX_TEST_FAILF("%s", B->why);
	fprintf(stderr, "  [%llu calls, %llu -EPROTO] ", (unsigned long long)atomic_load(&B->calls),
	        (unsigned long long)atomic_load(&B->eproto));
	ASSERT_GE(atomic_load(&B->calls), 100);
	ipcx_close(owner);
}

static void
scribbled_shm(void)
{
	scribbled("shm");
}

static void
scribbled_sysvshm(void)
{
	scribbled("sysvshm");
}

TEST_LIST = {
	{ "bad header", bad_header },
	{ "bad slots", bad_slots },
	{ "bad positions", bad_positions },
	{ "bad participants", bad_participants },
	{ "lost wake-up", lost_wakeup },
	{ "scribbled/shm", scribbled_shm },
	{ "scribbled/sysvshm", scribbled_sysvshm },
	{ NULL, NULL },
};
