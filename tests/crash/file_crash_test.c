/* SPDX-License-Identifier: MIT */
/*
 * file_crash_test.c - SIGKILL at every point where a file: operation
 * changes the log, and at random moments (DESIGN.md, "Delivery
 * guarantees": what a dead sender committed is delivered, what it half
 * wrote never is; compaction never loses an unconsumed record).
 *
 * Named points.  A child process runs one operation (send, receive,
 * receive past a borrowed record, borrow and release, the reset of a
 * drained log, a compaction, a create) with the system-call table
 * (os/sys.h) swapped so that the K-th call that changes the file -
 * pwritev, ftruncate, fdatasync, renameat - kills the process: before the
 * call, after writing its first half (a torn record, a torn slot), its
 * second half only (a record's payload without its header, as a power cut
 * may keep it), all of it but its checksum (a record whose CRC was not yet
 * written), or after it.  K runs from 1 until the operation completes untouched, so every
 * point is hit: before and in the middle of the record, after the record
 * but before the slot that names it, after the slot, the slot of a reset
 * before its truncation, each step of a compaction before and after the
 * rename.  The parent then reopens the log and checks that exactly the
 * messages that must be there are there, whole and in order, that the log
 * takes new messages, and that no error (-EPROTO) ever shows.
 *
 * Random moments.  Writers and borrowing readers in separate processes
 * are SIGKILLed at a random moment of each round - first one of them,
 * chosen at random, while the others go on (and must get past what it
 * left: a lock, a torn tail, a claim), then the rest - hundreds of rounds
 * over one small log that compacts all the time.  Shared memory records
 * what each writer had sent (ipcx_send returned), what readers took, and
 * what each reader had borrowed when it died; at the end every sent
 * message was taken, none was torn or invented, and each was taken once,
 * but for one more time for each borrower killed with it in hand (DESIGN:
 * such a message is delivered again).  200 rounds in the suite;
 * IPCX_STRESS=1 (make stress) runs 1000.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <limits.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "os/sys.h"

#define LONG_MS 30000

/* ---- the injector ----------------------------------------------------- */

/*
 * How the K-th changing call dies: before it; having written its first
 * half (a kill in the middle of a write); its second half only (a power
 * cut that kept later pages of a write and lost earlier ones: a record's
 * payload without its header); all of it but its checksum (a record
 * written but its CRC not yet, a slot or header without its CRC); or
 * after it.
 */
enum when { BEFORE, HALF, TAIL, NOCRC, AFTER, NWHEN };
static const char *const when_names[NWHEN] = { "before", "half", "tail", "no crc", "after" };

static int crash_at;     /* the K-th changing call kills; 0: never */
static enum when crash_when;
static int calls;

static void
die(void)
{
	raise(SIGKILL);
	_exit(99);
}

static bool
hit(void)
{
	return crash_at > 0 && ++calls == crash_at;
}

/* The bytes a pwritev would write, in one buffer (or the process dies). */
static uint8_t *
flatten(const struct iovec *iov, int cnt, size_t total)
{
	uint8_t *flat = malloc(total);
	size_t at = 0;
	int i;

	if (flat == NULL)
		die();
	for (i = 0; i < cnt; i++) {
		memcpy(flat + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	return flat;
}

static ssize_t
crash_pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	size_t total = 0, half, left;
	struct iovec cut[16];
	int i, n = 0;
	ssize_t r;

	if (!hit())
		return pwritev(fd, iov, cnt, off);
	if (crash_when == BEFORE)
		die();
	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	/* A write of a few bytes inside one sector is atomic on a power cut
	 * and cannot be cut by a kill: tear only real ones. */
	if (crash_when == HALF && total >= 16) {
		half = left = total / 2;
		for (i = 0; i < cnt && left > 0 && n < 16; i++) {
			cut[n] = iov[i];
			if (cut[n].iov_len > left)
				cut[n].iov_len = left;
			left -= cut[n].iov_len;
			n++;
		}
		(void)!pwritev(fd, cut, n, off);
		(void)half;
		die();
	}
	if (crash_when == TAIL && total >= 16) {
		uint8_t *flat = flatten(iov, cnt, total);

		(void)!pwrite(fd, flat + total / 2, total - total / 2, off + (off_t)(total / 2));
		die();
	}
	if (crash_when == NOCRC && total >= 16) {
		uint8_t *flat = flatten(iov, cnt, total);

		/* Where the checksum of what is written lies (wire-format.md):
		 * a record's at 24, a state slot's at 92, the header's at 60. */
		if (total >= 32 && flat[0] == 'I' && flat[1] == 'X' && flat[2] == 'C' && flat[3] == 'R')
			memset(flat + 24, 0, 4);
		else if (total == 96)
			memset(flat + 92, 0, 4);
		else if (off == 0 && total >= 64)
			memset(flat + 60, 0, 4);
		else
			die(); /* nothing of the kind: as before */
		(void)!pwrite(fd, flat, total, off);
		die();
	}
	if (crash_when != AFTER)
		die();
	r = pwritev(fd, iov, cnt, off);
	(void)r;
	die();
	return -1;
}

static int
crash_ftruncate(int fd, off_t len)
{
	if (hit()) {
		if (crash_when == AFTER)
			(void)!ftruncate(fd, len);
		die();
	}
	return ftruncate(fd, len);
}

static int
crash_fdatasync(int fd)
{
	if (hit()) {
		if (crash_when == AFTER)
			(void)fdatasync(fd);
		die();
	}
	return fdatasync(fd);
}

static int
crash_renameat(int od, const char *op, int nd, const char *np)
{
	if (hit()) {
		if (crash_when == AFTER)
			(void)renameat(od, op, nd, np);
		die();
	}
	return renameat(od, op, nd, np);
}

static void
arm(int k, enum when w)
{
	crash_at = k;
	crash_when = w;
	calls = 0;
	ipcx__sys.pwritev = crash_pwritev;
	ipcx__sys.ftruncate = crash_ftruncate;
	ipcx__sys.fdatasync = crash_fdatasync;
	ipcx__sys.renameat = crash_renameat;
}

/* ---- messages --------------------------------------------------------- */

static size_t (*size_of)(uint32_t seed);

static size_t
mixed_size(uint32_t seed)
{
	return (size_t)(seed * 7919u) % 3000 + (seed % 5 == 0 ? 0 : 1);
}

static size_t
kilo_size(uint32_t seed)
{
	(void)seed;
	return 1000;
}

static void
send_seed(ipcx_chan *ch, uint32_t seed)
{
	size_t n = size_of(seed);
	uint8_t *buf = ipcx_test_malloc(n);

	ipcx_test_fill(buf, n, seed);
	IPCX_PASS(ipcx_send(ch, buf, n, LONG_MS));
	free(buf);
}

/* Receive one message, which must be a whole message seed; returns it. */
static uint32_t
recv_any(ipcx_chan *ch, int timeout_ms, bool *got)
{
	static uint8_t buf[8192];
	ssize_t r = ipcx_recv(ch, buf, sizeof(buf), timeout_ms);
	uint32_t seed;

	*got = false;
	if (r == -EAGAIN)
		return 0;
	if (r < 0)
		IPCX_TEST_FAILF("recv -> %s (%s)", ipcx_errname((int)r), ipcx_errmsg(ch));
	/* Which message is it?  Its size and pattern tell, among 1..1000. */
	for (seed = 1; seed <= 1000; seed++)
		if (size_of(seed) == (size_t)r && ipcx_test_check(buf, (size_t)r, seed)) {
			*got = true;
			return seed;
		}
	IPCX_TEST_FAILF("a message of %zd bytes that nobody sent (torn or invented)", r);
	return 0;
}

/* Everything left in the log, in order. */
static int
drain(const char *uri, uint32_t *out, int max)
{
	ipcx_chan *ch;
	bool got;
	int n = 0;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	for (;;) {
		uint32_t s = recv_any(ch, 0, &got);
		if (!got)
			break;
		ASSERT_LT(n, max);
		out[n++] = s;
	}
	/* And the log still works. */
	send_seed(ch, 999);
	ASSERT_EQ(recv_any(ch, LONG_MS, &got), 999);
	ipcx_close(ch);
	return n;
}

/* out[0..n) is exactly first..last. */
static void
expect_range(const uint32_t *out, int n, uint32_t first, uint32_t last, const char *what)
{
	int want = last >= first ? (int)(last - first + 1) : 0;

	if (n != want)
		IPCX_TEST_FAILF("%s: %d messages left, want %d (%u..%u)", what, n, want, first,
		                last);
	for (int i = 0; i < n; i++)
		if (out[i] != first + (uint32_t)i)
			IPCX_TEST_FAILF("%s: message %d is %u, want %u", what, i, out[i],
			                first + (uint32_t)i);
}

/* ---- running one operation to a crash ---------------------------------- */

struct op {
	const char *uri;
	int k;
	enum when w;
	void (*body)(const char *uri);
};

static int
op_main(void *p)
{
	struct op *o = p;

	arm(o->k, o->w);
	o->body(o->uri);
	return 0;
}

/* Run body in a child, to be killed at call k.  Returns true when it was
 * (false: it completed, k is past its last call). */
static bool
run_to_crash(const char *uri, int k, enum when w, void (*body)(const char *))
{
	struct op o = { uri, k, w, body };
	pid_t pid = ipcx_test_peer(op_main, &o);
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return true;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		IPCX_TEST_FAILF("the operation failed (status %d) at k=%d %s", status, k,
		                when_names[w]);
	return false;
}

static char the_uri[IPCX_URI_MAX];

static void
fresh_log(const char *query, uint32_t nmsg)
{
	ipcx_chan *ch;

	snprintf(the_uri, sizeof(the_uri), "%s", ipcx_test_uri("file", query));
	IPCX_PASS(ipcx_create(&ch, the_uri, 0));
	for (uint32_t s = 1; s <= nmsg; s++)
		send_seed(ch, s);
	ipcx_close(ch);
}

static void
consume(uint32_t n)
{
	ipcx_chan *ch;
	bool got;

	IPCX_PASS(ipcx_join(&ch, the_uri, 0));
	for (uint32_t i = 0; i < n; i++) {
		recv_any(ch, LONG_MS, &got);
		ASSERT_TRUE(got);
	}
	ipcx_close(ch);
}

/* Every point of an operation: for k = 1.. and each way of dying, a fresh
 * log, the operation killed there, and check(k, w, killed). */
static void
every_point(void (*setup)(void), void (*body)(const char *),
            void (*check)(int k, enum when w, bool killed))
{
	int k;

	for (k = 1;; k++) {
		bool any = false;
		for (int w = 0; w < NWHEN; w++) {
			bool killed;
			setup();
			killed = run_to_crash(the_uri, k, (enum when)w, body);
			check(k, (enum when)w, killed);
			IPCX_PASS(ipcx_unlink(the_uri));
			any |= killed;
		}
		if (!any)
			break;
		ASSERT_LT(k, 50);
	}
}

/* ---- send ------------------------------------------------------------- */

static const char *send_query;

static void
send_setup(void)
{
	size_of = mixed_size;
	fresh_log(send_query, 3);
}

static void
send_body(const char *uri)
{
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	send_seed(ch, 4);
	ipcx_close(ch);
}

/*
 * The calls of a send: 1 the record, 2 the slot, then fdatasync (always:
 * at once; batch: when the channel closes).  The record is committed once
 * it is whole in the file: killed after writing it, even with no slot
 * naming it, the sender still delivers it; killed before or in the middle
 * of it, never.
 */
static void
send_check(int k, enum when w, bool killed)
{
	uint32_t out[16];
	int n = drain(the_uri, out, 16);
	bool committed = !killed || k > 1 || w == AFTER;
	char what[64];

	snprintf(what, sizeof(what), "send killed at %d %s", k, when_names[w]);
	expect_range(out, n, 1, committed ? 4 : 3, what);
}

static void
test_kill_send(void)
{
	static const char *const queries[] = { "sync=none", "sync=always", "sync=batch" };

	for (int q = 0; q < 3; q++) {
		send_query = queries[q];
		every_point(send_setup, send_body, send_check);
	}
}

/* ---- receive ---------------------------------------------------------- */

static void
recv_setup(void)
{
	size_of = mixed_size;
	fresh_log("sync=none", 3);
}

static void
recv_body(const char *uri)
{
	ipcx_chan *ch;
	bool got;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	ASSERT_EQ(recv_any(ch, LONG_MS, &got), 1);
	ipcx_close(ch);
}

/* The receive is recorded by its slot write (call 1): before it, or with
 * it torn, the message is still there for the next receiver. */
static void
recv_check(int k, enum when w, bool killed)
{
	uint32_t out[16];
	int n = drain(the_uri, out, 16);
	bool consumed = !killed || k > 1 || w == AFTER;
	char what[64];

	snprintf(what, sizeof(what), "recv killed at %d %s", k, when_names[w]);
	expect_range(out, n, consumed ? 2 : 1, 3, what);
}

static void
test_kill_recv(void)
{
	every_point(recv_setup, recv_body, recv_check);
}

/* ---- receive past a borrowed record (the consumed mark) ---------------- */

static ipcx_chan *holder;
static const void *held;

static void
ahead_setup(void)
{
	size_t len;

	size_of = mixed_size;
	fresh_log("sync=none", 3);
	IPCX_PASS(ipcx_join(&holder, the_uri, 0));
	ASSERT_EQ(ipcx_recv_borrow(holder, &held, &len, LONG_MS), (ssize_t)size_of(1));
}

static void
ahead_body(const char *uri)
{
	ipcx_chan *ch;
	bool got;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	ASSERT_EQ(recv_any(ch, LONG_MS, &got), 2); /* 1 is borrowed */
	ipcx_close(ch);
}

/* Calls: 1 the consumed mark on record 2, 2 the slot.  The mark alone is
 * enough: record 2 is skipped once the read position reaches it. */
static void
ahead_check(int k, enum when w, bool killed)
{
	uint32_t out[16];
	bool consumed = !killed || k > 1 || w == AFTER;
	char what[64];
	int n;

	IPCX_PASS(ipcx_release(holder, held));
	ipcx_close(holder);
	holder = NULL;
	n = drain(the_uri, out, 16);
	snprintf(what, sizeof(what), "recv past a borrow killed at %d %s", k, when_names[w]);
	if (consumed)
		expect_range(out, n, 3, 3, what);
	else
		expect_range(out, n, 2, 3, what);
}

static void
test_kill_recv_ahead(void)
{
	every_point(ahead_setup, ahead_body, ahead_check);
}

/* ---- borrow and release ------------------------------------------------ */

static void
borrow_body(const char *uri)
{
	const void *p;
	size_t len;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	ASSERT_EQ(ipcx_recv_borrow(ch, &p, &len, LONG_MS), (ssize_t)size_of(1));
	ASSERT_TRUE(ipcx_test_check(p, len, 1));
	IPCX_PASS(ipcx_release(ch, p));
	ipcx_close(ch);
}

/* Calls: 1 the slot of the borrow, 2 the slot of the release.  Killed
 * anywhere before the release is on record, the message is delivered
 * again: a borrow is consumed only at its release. */
static void
borrow_check(int k, enum when w, bool killed)
{
	uint32_t out[16];
	int n = drain(the_uri, out, 16);
	bool consumed = !killed || k > 2 || (k == 2 && w == AFTER);
	char what[64];

	snprintf(what, sizeof(what), "borrow killed at %d %s", k, when_names[w]);
	expect_range(out, n, consumed ? 2 : 1, 3, what);
}

static void
test_kill_borrow_release(void)
{
	every_point(recv_setup, borrow_body, borrow_check);
}

/* A borrower killed between borrow and release, with no injection: the
 * message goes to the next receiver. */
static int
borrow_and_die(void *p)
{
	const void *m;
	size_t len;
	ipcx_chan *ch;

	(void)p;
	IPCX_PASS(ipcx_join(&ch, the_uri, 0));
	ASSERT_EQ(ipcx_recv_borrow(ch, &m, &len, LONG_MS), (ssize_t)size_of(1));
	die();
	return 1;
}

static void
test_kill_between_borrow_and_release(void)
{
	uint32_t out[16];
	pid_t pid;
	int status, n;

	recv_setup();
	pid = ipcx_test_peer(borrow_and_die, NULL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFSIGNALED(status));
	n = drain(the_uri, out, 16);
	expect_range(out, n, 1, 3, "borrower killed before release");
}

/* ---- the reset of a drained log --------------------------------------- */

static const char *reset_query;

static void
reset_setup(void)
{
	size_of = kilo_size;
	/* 300 KiB consumed (over RESET_MIN) once the last one goes. */
	fresh_log(reset_query, 300);
	consume(299);
}

static void
reset_body(const char *uri)
{
	ipcx_chan *ch;
	bool got;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	recv_any(ch, LONG_MS, &got);
	ASSERT_TRUE(got);
	ipcx_close(ch);
}

/* Calls: 1 the slot (consumed, and cut back to the header), then the
 * fdatasync that orders it before 2 the truncation.  After the slot, the
 * longer file's stale records have old sequence numbers: cut as a tail. */
static void
reset_check(int k, enum when w, bool killed)
{
	uint32_t out[8];
	int n = drain(the_uri, out, 8);
	bool consumed = !killed || k > 1 || w == AFTER;
	char what[64];

	snprintf(what, sizeof(what), "reset killed at %d %s", k, when_names[w]);
	if (consumed)
		expect_range(out, n, 1, 0, what);
	else
		expect_range(out, n, 300, 300, what);
}

static void
test_kill_reset(void)
{
	reset_query = "sync=none&size=1M&max=4K";
	every_point(reset_setup, reset_body, reset_check);
	reset_query = "sync=batch&size=1M&max=4K";
	every_point(reset_setup, reset_body, reset_check);
}

/* ---- compaction ------------------------------------------------------- */

static const char *compact_query;

static void
compact_setup(void)
{
	size_of = kilo_size;
	/* 55 records; 27 consumed: one more and the consumed part outweighs
	 * the rest (and is over an eighth of 64 KiB): the receiver compacts. */
	fresh_log(compact_query, 55);
	consume(27);
}

static int
entries(void)
{
	char cmd[600];
	FILE *f;
	int n = 0, c;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -v '^\\.registry$'", ipcx_test_dir);
	f = popen(cmd, "r");
	ASSERT_TRUE(f != NULL);
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	pclose(f);
	return n;
}

/*
 * Calls: 1 the old file's slot (the receive recorded), 2 the new file's
 * header, [fdatasync of the new file], then the rename; the copy between
 * them is one copy_file_range.  Killed before the rename, the old file is
 * whole at the path (a leftover PATH.ipcx-compact, removed by the next
 * compaction); after it, the new one is.  Either way nothing unconsumed is
 * lost and nothing consumed comes back.
 */
static void
compact_check(int k, enum when w, bool killed)
{
	uint32_t out[64];
	bool consumed = !killed || k > 1 || w == AFTER;
	char what[64];
	ipcx_chan *ch;
	int n;

	snprintf(what, sizeof(what), "compaction killed at %d %s", k, when_names[w]);
	n = drain(the_uri, out, 64);
	expect_range(out, n, consumed ? 29 : 28, 55, what);
	/* The next compaction sweeps any leftover away: a backlog of 20, then
	 * one in, one out, until the consumed part outweighs it. */
	IPCX_PASS(ipcx_join(&ch, the_uri, 0));
	for (uint32_t s = 100; s < 120; s++)
		send_seed(ch, s);
	for (uint32_t s = 120; s < 150; s++) {
		bool got;
		send_seed(ch, s);
		ASSERT_EQ(recv_any(ch, LONG_MS, &got), s - 20);
	}
	for (uint32_t s = 130; s < 150; s++) {
		bool got;
		ASSERT_EQ(recv_any(ch, LONG_MS, &got), s);
	}
	ipcx_close(ch);
	ASSERT_EQ(entries(), 1);
}

static void
test_kill_compaction(void)
{
	compact_query = "sync=none&size=64K&max=1K";
	every_point(compact_setup, reset_body, compact_check);
	compact_query = "sync=always&size=64K&max=1K";
	every_point(compact_setup, reset_body, compact_check);
}

/* ---- create ----------------------------------------------------------- */

static void
create_setup(void)
{
	size_of = mixed_size;
	snprintf(the_uri, sizeof(the_uri), "%s", ipcx_test_uri("file", NULL));
}

static void
create_body(const char *uri)
{
	ipcx_chan *ch;

	IPCX_PASS(ipcx_create(&ch, uri, 0));
	ipcx_close(ch);
}

/* A log appears at its path whole or not at all. */
static void
test_kill_create(void)
{
	ipcx_chan *ch;
	int k;

	for (k = 1;; k++) {
		bool any = false;
		for (int w = 0; w < NWHEN; w++) {
			bool killed;
			create_setup();
			killed = run_to_crash(the_uri, k, (enum when)w, create_body);
			if (ipcx_join(&ch, the_uri, 0) == 0) {
				uint32_t out[4];
				ipcx_close(ch);
				expect_range(out, drain(the_uri, out, 4), 1, 0, "create");
				IPCX_PASS(ipcx_unlink(the_uri));
			} else {
				ASSERT_TRUE(killed);
				ASSERT_EQ(entries(), 0);
			}
			any |= killed;
		}
		if (!any)
			break;
		ASSERT_LT(k, 20);
	}
}

/* ---- random moments --------------------------------------------------- */

#define W 2
#define RD 2
#define PER_ROUND 4096

#define HOLDING_NONE SIZE_MAX

struct shared {
	atomic_int stop;
	atomic_uint reader_bad;
	_Atomic size_t holding[RD]; /* the message each reader has borrowed, or NONE */
	uint8_t sent[1];  /* [round][writer][seq], set once ipcx_send returned */
};

static struct shared *sh;
static uint8_t *sent_flags;
static _Atomic uint8_t *taken;
static uint8_t *may_repeat; /* times a killed reader held it: redeliveries allowed */
static int rounds;

static size_t
rnd_size(uint32_t round, uint32_t w, uint32_t seq)
{
	uint32_t x = (round * 31 + w) * 2654435761u ^ seq * 40503u;

	return 8 + (x % 9 == 0 ? x % 8000 : x % 300);
}

static size_t
slot_of(uint32_t round, uint32_t w, uint32_t seq)
{
	return ((size_t)round * W + w) * PER_ROUND + seq;
}

static int
rnd_writer(void *p)
{
	uint32_t round = (uint32_t)(uintptr_t)p >> 8, w = (uint32_t)(uintptr_t)p & 0xff;
	uint8_t buf[8400];
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, the_uri, 0));
	for (uint32_t seq = 0; seq < PER_ROUND; seq++) {
		size_t n = rnd_size(round, w, seq);
		uint32_t hdr[2] = { round << 8 | w, seq };
		memcpy(buf, hdr, 8);
		ipcx_test_fill(buf + 8, n - 8, (uint32_t)slot_of(round, w, seq));
		IPCX_PASS(ipcx_send(ch, buf, n, LONG_MS));
		sent_flags[slot_of(round, w, seq)] = 1;
	}
	ipcx_close(ch);
	return 0;
}

/* Check one taken message and count it; false if it is not one sent.
 * reader >= 0: that reader holds it (borrowed) from now until release. */
static bool
rnd_take(const uint8_t *m, size_t len, int reader)
{
	uint32_t hdr[2], round, w;

	if (len < 8)
		return false;
	memcpy(hdr, m, 8);
	round = hdr[0] >> 8;
	w = hdr[0] & 0xff;
	if ((int)round >= rounds || w >= W || hdr[1] >= PER_ROUND ||
	    len != rnd_size(round, w, hdr[1]) ||
	    !ipcx_test_check(m + 8, len - 8, (uint32_t)slot_of(round, w, hdr[1])))
		return false;
	if (reader >= 0)
		atomic_store(&sh->holding[reader], slot_of(round, w, hdr[1]));
	atomic_fetch_add(&taken[slot_of(round, w, hdr[1])], 1);
	return true;
}

static int
rnd_reader(void *p)
{
	int me = (int)(uintptr_t)p;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, the_uri, 0));
	while (!atomic_load(&sh->stop)) {
		const void *m;
		size_t len;
		ssize_t r = ipcx_recv_borrow(ch, &m, &len, 50);
		if (r == -ETIMEDOUT)
			continue;
		if (r < 0 || !rnd_take(m, len, me)) {
			fprintf(stderr, "  reader: %s (%s)\n", ipcx_errname((int)r), ipcx_errmsg(ch));
			atomic_fetch_add(&sh->reader_bad, 1);
			return 1;
		}
		IPCX_PASS(ipcx_release(ch, m));
		atomic_store(&sh->holding[me], HOLDING_NONE);
	}
	ipcx_close(ch);
	return 0;
}

static void
test_kill_random(void)
{
	const char *env = getenv("IPCX_STRESS");
	size_t nslots;
	uint32_t rng = 12345, dups = 0, reader_kills = 0, lost = 0;
	ipcx_chan *ch;

	rounds = env != NULL && atoi(env) > 0 ? 1000 : 200;
	nslots = (size_t)rounds * W * PER_ROUND;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	sent_flags = mmap(NULL, nslots, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	taken = mmap(NULL, nslots, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	may_repeat = calloc(nslots, 1);
	ASSERT_TRUE(may_repeat != NULL);
	ASSERT_TRUE(sh != MAP_FAILED && sent_flags != MAP_FAILED && (void *)taken != MAP_FAILED);
	size_of = mixed_size;
	snprintf(the_uri, sizeof(the_uri), "%s", ipcx_test_uri("file", "size=256K&max=8K&sync=none"));
	IPCX_PASS(ipcx_create(&ch, the_uri, 0));
	ipcx_close(ch);
	for (int round = 0; round < rounds; round++) {
		pid_t pids[W + RD];
		int i, status, victim;

		atomic_store(&sh->stop, 0);
		for (i = 0; i < W; i++)
			pids[i] = ipcx_test_peer(rnd_writer, (void *)(uintptr_t)((uint32_t)round << 8 | (uint32_t)i));
		for (i = 0; i < RD; i++) {
			atomic_store(&sh->holding[i], HOLDING_NONE);
			pids[W + i] = ipcx_test_peer(rnd_reader, (void *)(uintptr_t)i);
		}
		rng = rng * 1103515245u + 12345u;
		usleep(2000 + (rng >> 8) % 30000);
		/* One of them dies first; the others carry on past what it left,
		 * then they all die, wherever they are. */
		victim = (int)((rng >> 4) % (W + RD));
		kill(pids[victim], SIGKILL);
		ASSERT_EQ(waitpid(pids[victim], &status, 0), pids[victim]);
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			IPCX_TEST_FAILF("round %d: process %d failed", round, victim);
		if (victim >= W)
			reader_kills++;
		rng = rng * 1103515245u + 12345u;
		usleep(1000 + (rng >> 8) % 20000);
		for (i = 0; i < W + RD; i++)
			if (i != victim)
				kill(pids[i], SIGKILL);
		for (i = 0; i < W + RD; i++) {
			if (i == victim)
				continue;
			ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
			if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
				IPCX_TEST_FAILF("round %d: process %d failed", round, i);
			if (i >= W && WIFSIGNALED(status))
				reader_kills++;
		}
		/* What a dead borrower held goes to the next receiver: once more. */
		for (i = 0; i < RD; i++) {
			size_t h = atomic_load(&sh->holding[i]);
			if (h != HOLDING_NONE)
				may_repeat[h]++;
		}
		ASSERT_EQ(atomic_load(&sh->reader_bad), 0);
	}
	/* What is left goes to a last, undisturbed reader. */
	IPCX_PASS(ipcx_join(&ch, the_uri, 0));
	for (;;) {
		static uint8_t buf[8400];
		ssize_t r = ipcx_recv(ch, buf, sizeof(buf), 0);
		if (r == -EAGAIN)
			break;
		if (r < 0)
			IPCX_TEST_FAILF("final drain: %s (%s)", ipcx_errname((int)r), ipcx_errmsg(ch));
		if (!rnd_take(buf, (size_t)r, -1))
			IPCX_TEST_FAILF("final drain: a message of %zd bytes nobody sent", r);
	}
	ipcx_close(ch);
	for (size_t s = 0; s < nslots; s++) {
		if (sent_flags[s] && taken[s] == 0)
			lost++;
		if (taken[s] > 1)
			dups += taken[s] - 1u;
		/* Exactly once, but for what a killed borrower had in hand. */
		if (taken[s] > 1u + may_repeat[s])
			IPCX_TEST_FAILF("message %zu delivered %u times; a killed borrower held it %u "
			                "times",
			                s, (unsigned)taken[s], (unsigned)may_repeat[s]);
	}
	fprintf(stderr, "  %d rounds, %u readers killed, %u delivered twice\n", rounds,
	        reader_kills, dups);
	free(may_repeat);
	ASSERT_EQ(lost, 0);
	ASSERT_LE(dups, reader_kills);
}

TEST_LIST = {
	{ "file crash: send at every point", test_kill_send },
	{ "file crash: receive at every point", test_kill_recv },
	{ "file crash: receive past a borrow at every point", test_kill_recv_ahead },
	{ "file crash: borrow and release at every point", test_kill_borrow_release },
	{ "file crash: between borrow and release", test_kill_between_borrow_and_release },
	{ "file crash: reset at every point", test_kill_reset },
	{ "file crash: compaction at every point", test_kill_compaction },
	{ "file crash: create at every point", test_kill_create },
	{ "file crash: random moments", test_kill_random },
	{ NULL, NULL },
};
