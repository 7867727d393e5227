/* SPDX-License-Identifier: MIT */
/*
 * shm_crash_test.c - participants of a shared-memory ring die (SIGKILL) at
 * named points of the protocol and at random moments, or stop (SIGSTOP),
 * and the survivors carry on (DESIGN.md, delivery guarantees):
 *  - what a dead sender committed is delivered, what it half wrote never is;
 *  - a message a dead receiver had taken and not released is delivered
 *    again, once; nothing else is delivered twice;
 *  - nobody hangs: every call has a deadline, every helper a guard;
 *  - a stopped participant keeps what it holds: it is never robbed, and
 *    when it resumes its message goes through.
 * The named points are the ring's crash points (ring.h), set in the victim
 * process through the static library's ipcx__ring_crash.  Rings are small
 * (16 slots) so the ring wraps, and recovery is needed, within a test.
 * IPCX_CRASH_ROUNDS sets the random rounds (default 500; make stress more).
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"
#include "shm_msg.h"

#include <sched.h>

#include "shm/ring.h"

#define QUERY "slots=16&slot_size=512"
#define SLOTS 16
#define MAXMSG 512
#define LONG_MS 30000
#define GUARD_MS 90000
#define MAXS 1024 /* sender identities (a respawned sender gets a new one) */
#define MAXQ 2048 /* messages per sender identity */
#define MAXR 1024 /* receiver identities */
#define MAXV 256  /* order exceptions recorded */

enum { HOLD_NONE = 0, HOLD_IN_RECV = 1, HOLD_IN_BORROW = 2, HOLD_MSG = 3 };

struct shared {
	char uri[512];
	_Atomic uint32_t committed[MAXS]; /* sends that returned 0 */
	_Atomic int32_t send_rc[MAXS];    /* a send's failure, if any */
	_Atomic uint32_t stop;            /* 1: senders stop; 2: receivers stop */
	_Atomic uint32_t torn;
	_Atomic uint32_t failed;
	char why[256];
	_Atomic uint32_t received;        /* messages recorded, all receivers */
	/* What each receiver is doing, so the test knows what its death may
	 * explain: in a receive call, or holding (sender, seq) borrowed. */
	_Atomic uint32_t hold_kind[MAXR];
	_Atomic uint32_t hold_msg[MAXR];
	/* Messages seen out of their sender's order, by receiver. */
	_Atomic uint32_t nviol;
	uint32_t viol[MAXV];
	_Atomic uint8_t count[MAXS * MAXQ];
};

static struct shared *S;

static void
shared_new(const char *scheme)
{
	S = shm_test_shared(sizeof(*S));
	snprintf(S->uri, sizeof(S->uri), "%s", ipcx_test_uri(scheme, QUERY));
}

static void
fail_once(const char *what, long v)
{
	uint32_t zero = 0;

	if (atomic_compare_exchange_strong(&S->failed, &zero, 1))
		snprintf(S->why, sizeof(S->why), "%s (%ld)", what, v);
}

static void
check_failed(void)
{
	if (atomic_load(&S->failed))
		IPCX_TEST_FAILF("%s", S->why);
	ASSERT_EQ(atomic_load(&S->torn), 0);
}

static void
crash_at(int point, int countdown, int signo)
{
	atomic_store(&ipcx__ring_crash.countdown, countdown);
	ipcx__ring_crash.signo = signo;
	atomic_store(&ipcx__ring_crash.point, point);
}

static ipcx_chan *
join_or_die(const char *extra)
{
	char uri[600];
	ipcx_chan *ch;
	int rc;

	snprintf(uri, sizeof(uri), "%s%s", S->uri, extra != NULL ? extra : "");
	rc = ipcx_join(&ch, uri, 0);
	if (rc < 0) {
		fail_once("join", rc);
		_exit(3);
	}
	return ch;
}

/* ---- senders and receivers -------------------------------------------- */

struct role {
	uint32_t id;        /* sender or receiver identity */
	uint32_t count;     /* messages to send (senders) or receive (receivers, 0: until stop) */
	int point;          /* crash point, or 0 */
	int countdown;
	int signo;
	int mode;           /* receivers: 0 copy, 1 borrow, 2 alternate */
	bool borrow_stop;   /* receivers: stop (SIGSTOP) while holding the countdown-th borrow */
	bool borrow_kill;   /* receivers: die while holding the countdown-th borrow */
	const char *extra;  /* appended to the URI ("&spin=0") */
};

static int
sender_main(void *arg)
{
	const struct role *ro = arg;
	uint8_t buf[MAXMSG];
	ipcx_chan *ch = join_or_die(ro->extra);
	uint32_t k;

	if (ro->point)
		crash_at(ro->point, ro->countdown, ro->signo);
	for (k = 0; k < ro->count && k < MAXQ && atomic_load(&S->stop) == 0; k++) {
		size_t n = shm_msg_make(buf, ro->id, k, shm_msg_size(ro->id, k, MAXMSG));
		int rc = ipcx_send(ch, buf, n, LONG_MS);
		if (rc < 0) {
			atomic_store(&S->send_rc[ro->id], rc);
			fail_once(ipcx_errmsg(ch)[0] ? ipcx_errmsg(ch) : "send", rc);
			break;
		}
		atomic_store(&S->committed[ro->id], k + 1);
	}
	ipcx_close(ch);
	return 0;
}

/* Record one delivered message: whole, counted, its sender's order noted. */
static void
record(const void *p, size_t n, int64_t *last)
{
	uint32_t sender, seq, v;

	if (!shm_msg_ok(p, n, &sender, &seq) || sender >= MAXS || seq >= MAXQ) {
		atomic_fetch_add(&S->torn, 1);
		return;
	}
	if ((int64_t)seq <= last[sender]) {
		v = atomic_fetch_add(&S->nviol, 1);
		if (v < MAXV)
			S->viol[v] = sender * MAXQ + seq;
	} else {
		last[sender] = seq;
	}
	atomic_fetch_add(&S->count[sender * MAXQ + seq], 1);
	atomic_fetch_add(&S->received, 1);
}

static int
receiver_main(void *arg)
{
	const struct role *ro = arg;
	static int64_t last[MAXS];
	uint8_t buf[MAXMSG];
	ipcx_chan *ch = join_or_die(ro->extra);
	uint32_t got = 0, borrows = 0, k;

	for (k = 0; k < MAXS; k++)
		last[k] = -1;
	if (ro->point)
		crash_at(ro->point, ro->countdown, ro->signo);
	for (k = 0; atomic_load(&S->stop) < 2 && (ro->count == 0 || got < ro->count); k++) {
		bool borrow = ro->mode == 1 || (ro->mode == 2 && k % 2 == 1);
		const void *p;
		size_t n;
		ssize_t r;

		if (!borrow) {
			atomic_store(&S->hold_kind[ro->id], HOLD_IN_RECV);
			r = ipcx_recv(ch, buf, sizeof(buf), 100);
			if (r >= 0)
				record(buf, (size_t)r, last);
			atomic_store(&S->hold_kind[ro->id], HOLD_NONE);
		} else {
			atomic_store(&S->hold_kind[ro->id], HOLD_IN_BORROW);
			r = ipcx_recv_borrow(ch, &p, &n, 100);
			if (r >= 0) {
				struct shm_msg m = { 0, 0, 0, 0 };
				memcpy(&m, p, sizeof(m) <= n ? sizeof(m) : 0);
				atomic_store(&S->hold_msg[ro->id], m.sender * MAXQ + m.seq);
				atomic_store(&S->hold_kind[ro->id], HOLD_MSG);
				record(p, n, last);
				borrows++;
				if (ro->borrow_stop && borrows == (uint32_t)ro->countdown)
					raise(SIGSTOP);
				if (ro->borrow_kill && borrows == (uint32_t)ro->countdown)
					raise(SIGKILL);
				if (ipcx_release(ch, p) < 0)
					fail_once("release", -1);
			}
			atomic_store(&S->hold_kind[ro->id], HOLD_NONE);
		}
		if (r >= 0)
			got++;
		else if (r != -ETIMEDOUT)
			fail_once(ipcx_errmsg(ch)[0] ? ipcx_errmsg(ch) : "receive", (long)r);
	}
	ipcx_close(ch);
	return 0;
}

static pid_t
spawn(int (*fn)(void *), const struct role *ro)
{
	static struct role copies[4096];
	static int n;
	struct role *c = &copies[n++ % 4096];

	*c = *ro;
	return ipcx_test_peer(fn, c);
}

static void
reap_killed(pid_t pid, int signo)
{
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != signo)
		IPCX_TEST_FAILF("process %d: status 0x%x, expected death by signal %d", (int)pid,
		                status, signo);
}

/* Wait until cond() holds, or fail after the guard. */
static void
wait_for(bool (*cond)(void), const char *what)
{
	int64_t end = ipcx_test_now_ms() + GUARD_MS;

	while (!cond()) {
		if (atomic_load(&S->failed))
			check_failed();
		if (ipcx_test_now_ms() > end)
			IPCX_TEST_FAILF("timed out waiting for %s", what);
		usleep(1000);
	}
}

static uint32_t want_received;

static bool
received_enough(void)
{
	return atomic_load(&S->received) >= want_received;
}

static uint8_t
count_of(uint32_t sender, uint32_t seq)
{
	return atomic_load(&S->count[sender * MAXQ + seq]);
}

/* ---- a sender dies at a crash point ----------------------------------- */

/*
 * The victim (sender 1) dies on its 20th message, at the point; sender 2
 * then sends four laps of the ring, which only go through if the dead
 * sender's slot is recovered.  Sender 1's first 19 messages arrive, its
 * 20th never does, everything of sender 2 arrives once and in order.
 */
static void
sender_dies(const char *scheme, int point)
{
	struct role victim = { .id = 1, .count = 1000, .point = point, .countdown = 20,
		               .signo = SIGKILL };
	struct role healthy = { .id = 2, .count = 4 * SLOTS };
	struct role rx = { .id = 0, .mode = 2 };
	ipcx_chan *owner;
	pid_t v, h, r;
	uint32_t k;

	shared_new(scheme);
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	r = spawn(receiver_main, &rx);
	v = spawn(sender_main, &victim);
	reap_killed(v, SIGKILL);
	ASSERT_EQ(atomic_load(&S->committed[1]), 19);
	h = spawn(sender_main, &healthy);
	ipcx_test_wait(h, GUARD_MS);
	want_received = 19 + 4 * SLOTS;
	wait_for(received_enough, "every committed message");
	atomic_store(&S->stop, 2);
	ipcx_test_wait(r, GUARD_MS);
	check_failed();
	for (k = 0; k < 19; k++)
		ASSERT_EQ(count_of(1, k), 1);
	ASSERT_EQ(count_of(1, 19), 0); /* half written: never delivered */
	for (k = 0; k < 4 * SLOTS; k++)
		ASSERT_EQ(count_of(2, k), 1);
	ASSERT_EQ(atomic_load(&S->nviol), 0);
	IPCX_FAIL(ipcx_recv(owner, &k, sizeof(k), 0), -EAGAIN);
	ipcx_close(owner);
}

static void
sender_after_claim(void)
{
	sender_dies("shm", IPCX_RP_CLAIMED);
}

static void
sender_mid_copy(void)
{
	sender_dies("shm", IPCX_RP_COPY);
}

static void
sender_before_publish(void)
{
	sender_dies("shm", IPCX_RP_PUBLISH);
}

static void
sysv_sender_before_publish(void)
{
	sender_dies("sysvshm", IPCX_RP_PUBLISH);
}

/* ---- a receiver dies at a crash point --------------------------------- */

/*
 * Two receivers; the victim dies on its 10th message at the point (or, for
 * a borrow, holding its 10th borrowed message).  The message it had taken
 * is delivered again to the other; nothing is lost; only the message the
 * victim recorded before dying may be seen twice.
 */
static void
receiver_dies(const char *scheme, int point, bool in_borrow)
{
	struct role victim = { .id = 1, .mode = in_borrow ? 1 : 2, .point = point,
		               .countdown = 10, .signo = SIGKILL, .borrow_kill = in_borrow };
	struct role other = { .id = 2, .mode = 2 };
	struct role tx = { .id = 3, .count = 6 * SLOTS };
	ipcx_chan *owner;
	pid_t v, o, t;
	uint32_t k, dup = UINT32_MAX;

	if (in_borrow)
		victim.point = 0;
	shared_new(scheme);
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	v = spawn(receiver_main, &victim);
	t = spawn(sender_main, &tx);
	reap_killed(v, SIGKILL);
	if (atomic_load(&S->hold_kind[1]) == HOLD_MSG)
		dup = atomic_load(&S->hold_msg[1]);
	o = spawn(receiver_main, &other);
	ipcx_test_wait(t, GUARD_MS);
	want_received = 6 * SLOTS + (dup != UINT32_MAX ? 1 : 0);
	wait_for(received_enough, "every message, the dead receiver's again");
	atomic_store(&S->stop, 2);
	ipcx_test_wait(o, GUARD_MS);
	check_failed();
	if (in_borrow)
		ASSERT_NE(dup, UINT32_MAX);
	for (k = 0; k < 6 * SLOTS; k++)
		ASSERT_EQ(count_of(3, k), 3 * MAXQ + k == dup ? 2 : 1);
	ipcx_close(owner);
}

static void
receiver_after_take(void)
{
	receiver_dies("shm", IPCX_RP_TAKEN, false);
}

static void
receiver_mid_copy(void)
{
	receiver_dies("shm", IPCX_RP_READ, false);
}

static void
receiver_before_release(void)
{
	receiver_dies("shm", IPCX_RP_RELEASE, false);
}

static void
receiver_inside_borrow(void)
{
	receiver_dies("shm", 0, true);
}

static void
sysv_receiver_inside_borrow(void)
{
	receiver_dies("sysvshm", 0, true);
}

/*
 * The same, with the other receiver already waiting (asleep on an empty
 * ring) when the holder dies: it must find the dead one's message by
 * itself, with no newcomer's look at the table to help.  The victim stops
 * holding its borrow first, so the other joins while it is alive.
 */
static void
receiver_dies_while_other_waits(void)
{
	struct role victim = { .id = 1, .mode = 1, .countdown = 5, .borrow_stop = true };
	struct role other = { .id = 2, .mode = 2 };
	struct role tx = { .id = 3, .count = 5 };
	ipcx_chan *owner;
	pid_t v, o, t;
	uint32_t k;
	int status;

	shared_new("shm");
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	v = spawn(receiver_main, &victim);
	t = spawn(sender_main, &tx);
	ipcx_test_wait(t, GUARD_MS);
	ASSERT_EQ(waitpid(v, &status, WUNTRACED), v);
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(atomic_load(&S->hold_kind[1]), HOLD_MSG);
	ASSERT_EQ(atomic_load(&S->hold_msg[1]), 3 * MAXQ + 4);
	o = spawn(receiver_main, &other);
	/* Let it settle into its wait (not needed for the outcome, only for
	 * the test to mean what it says). */
	usleep(300000);
	ASSERT_EQ(atomic_load(&S->received), 5);
	kill(v, SIGKILL);
	reap_killed(v, SIGKILL);
	want_received = 6;
	wait_for(received_enough, "the dead receiver's message");
	atomic_store(&S->stop, 2);
	ipcx_test_wait(o, GUARD_MS);
	check_failed();
	for (k = 0; k < 4; k++)
		ASSERT_EQ(count_of(3, k), 1);
	ASSERT_EQ(count_of(3, 4), 2);
	ipcx_close(owner);
}

/* ---- asleep, the sleep bit, the doorbell, recovery itself -------------- */

/* A receiver dies after saying it sleeps (the bit set, nobody to clear it),
 * or while asleep: the next message still reaches the other receiver. */
static void
receiver_dies_asleep(void)
{
	struct role victim = { .id = 1, .mode = 0, .point = IPCX_RP_SLEEP, .countdown = 1,
		               .signo = SIGKILL, .extra = "&spin=0" };
	struct role sleeper = { .id = 2, .mode = 0, .extra = "&spin=0" };
	struct role other = { .id = 4, .mode = 2 };
	struct role tx = { .id = 3, .count = 3 * SLOTS };
	ipcx_chan *owner;
	pid_t v, s, o, t;
	uint32_t k;

	shared_new("shm");
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	v = spawn(receiver_main, &victim);
	reap_killed(v, SIGKILL);
	s = spawn(receiver_main, &sleeper);
	/* Killed in its sleep: whatever it is blocked in, it holds nothing. */
	usleep(50000);
	kill(s, SIGKILL);
	reap_killed(s, SIGKILL);
	o = spawn(receiver_main, &other);
	t = spawn(sender_main, &tx);
	ipcx_test_wait(t, GUARD_MS);
	want_received = 3 * SLOTS;
	wait_for(received_enough, "every message");
	atomic_store(&S->stop, 2);
	ipcx_test_wait(o, GUARD_MS);
	check_failed();
	for (k = 0; k < 3 * SLOTS; k++)
		ASSERT_EQ(count_of(3, k), 1);
	ipcx_close(owner);
}

static int
poll_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	ASSERT_GE(r, 0);
	return r;
}

/*
 * A sender dies about to ring a poller's doorbell.  The poller is not
 * wedged: the flag stays armed, and the next sender's message rings it;
 * both messages are there.
 */
static void
sender_dies_ringing(void)
{
	struct role victim = { .id = 1, .count = 1, .point = IPCX_RP_BELL, .countdown = 1,
		               .signo = SIGKILL };
	struct role next = { .id = 2, .count = 1 };
	uint8_t buf[MAXMSG];
	ipcx_chan *rx;
	int64_t last[MAXS];
	pid_t v, n;
	int fd, k;

	for (k = 0; k < MAXS; k++)
		last[k] = -1;
	shared_new("shm");
	IPCX_PASS(ipcx_create(&rx, S->uri, IPCX_EXCL));
	fd = ipcx_pollfd(rx);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(poll_in(fd, 0), 0);
	v = spawn(sender_main, &victim);
	reap_killed(v, SIGKILL);
	ASSERT_EQ(atomic_load(&S->committed[1]), 0); /* died inside its send */
	n = spawn(sender_main, &next);
	ipcx_test_wait(n, GUARD_MS);
	ASSERT_EQ(poll_in(fd, LONG_MS), 1);
	for (k = 0; k < 2; k++) {
		ssize_t r = ipcx_recv(rx, buf, sizeof(buf), 0);
		IPCX_PASS(r);
		record(buf, (size_t)r, last);
	}
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ASSERT_EQ(count_of(1, 0), 1); /* it was published before the bell */
	ASSERT_EQ(count_of(2, 0), 1);
	ipcx_close(rx);
}

/*
 * A survivor dies in the middle of recovering a dead borrower (the
 * participant left half-recovered); the next survivor finishes it, and the
 * message is delivered again.
 */
static void
recoverer_dies(void)
{
	struct role victim = { .id = 1, .mode = 1, .countdown = 1, .borrow_kill = true };
	struct role reaper = { .id = 2, .mode = 0, .count = 1, .point = IPCX_RP_REAP,
		               .countdown = 1, .signo = SIGKILL };
	struct role other = { .id = 3, .mode = 2 };
	struct role tx = { .id = 5, .count = 1 };
	ipcx_chan *owner;
	pid_t v, r, o, t;

	shared_new("shm");
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	v = spawn(receiver_main, &victim);
	t = spawn(sender_main, &tx);
	ipcx_test_wait(t, GUARD_MS);
	reap_killed(v, SIGKILL);
	ASSERT_EQ(count_of(5, 0), 1);
	r = spawn(receiver_main, &reaper); /* its first look at the table reaps */
	reap_killed(r, SIGKILL);
	o = spawn(receiver_main, &other);
	want_received = 2;
	wait_for(received_enough, "the message recovered twice over");
	atomic_store(&S->stop, 2);
	ipcx_test_wait(o, GUARD_MS);
	check_failed();
	ASSERT_EQ(count_of(5, 0), 2);
	ipcx_close(owner);
}

/* ---- stopped holders are never robbed ---------------------------------- */

static uint32_t watch_sender;
static uint32_t watch_value;

static bool
committed_reached(void)
{
	return atomic_load(&S->committed[watch_sender]) >= watch_value;
}

/*
 * A sender stops (SIGSTOP) before publishing.  The others carry on around
 * its slot for as long as the ring allows, then wait: a stopped process is
 * alive, and its slot is never taken.  Resumed, its send succeeds and the
 * message arrives once.
 */
static void
stopped_sender(void)
{
	struct role victim = { .id = 1, .count = 3, .point = IPCX_RP_PUBLISH, .countdown = 2,
		               .signo = SIGSTOP };
	struct role other = { .id = 2, .count = 4 * SLOTS };
	struct role rx = { .id = 0, .mode = 2 };
	ipcx_chan *owner;
	pid_t v, o, r;
	int status;
	uint32_t k;

	shared_new("shm");
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	r = spawn(receiver_main, &rx);
	v = spawn(sender_main, &victim);
	ASSERT_EQ(waitpid(v, &status, WUNTRACED), v);
	ASSERT_TRUE(WIFSTOPPED(status));
	o = spawn(sender_main, &other);
	/* Around it: a lap's worth goes through while it is stopped. */
	watch_sender = 2;
	watch_value = SLOTS - 2;
	wait_for(committed_reached, "the others to carry on around a stopped sender");
	/* ... and are received: the receiver steps around the stopped slot. */
	want_received = 1 + SLOTS - 2;
	wait_for(received_enough, "the receiver to carry on around a stopped sender");
	/* Then the ring is full at its slot; give the survivors time to try
	 * to take it (they look at its holder every few milliseconds). */
	usleep(500000);
	ASSERT_LT(atomic_load(&S->committed[2]), 4 * SLOTS);
	ASSERT_EQ(atomic_load(&S->send_rc[1]), 0);
	kill(v, SIGCONT);
	ipcx_test_wait(v, GUARD_MS);
	ipcx_test_wait(o, GUARD_MS);
	want_received = 3 + 4 * SLOTS;
	wait_for(received_enough, "every message");
	atomic_store(&S->stop, 2);
	ipcx_test_wait(r, GUARD_MS);
	check_failed();
	for (k = 0; k < 3; k++)
		ASSERT_EQ(count_of(1, k), 1);
	for (k = 0; k < 4 * SLOTS; k++)
		ASSERT_EQ(count_of(2, k), 1);
	ASSERT_EQ(atomic_load(&S->nviol), 0);
	ipcx_close(owner);
}

/*
 * A receiver stops while holding a borrowed message.  The other receiver
 * gets everything else, never that one, while it is stopped; resumed, it
 * releases, and every message was delivered exactly once.
 */
static void
stopped_borrower(void)
{
	struct role victim = { .id = 1, .mode = 1, .countdown = 3, .borrow_stop = true };
	struct role other = { .id = 2, .mode = 2 };
	struct role tx = { .id = 3, .count = 4 * SLOTS };
	ipcx_chan *owner;
	pid_t v, o, t;
	uint32_t k, held;
	int status;

	shared_new("shm");
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	v = spawn(receiver_main, &victim);
	t = spawn(sender_main, &tx);
	ASSERT_EQ(waitpid(v, &status, WUNTRACED), v);
	ASSERT_TRUE(WIFSTOPPED(status));
	held = atomic_load(&S->hold_msg[1]);
	o = spawn(receiver_main, &other);
	want_received = SLOTS;
	wait_for(received_enough, "the other receiver to carry on");
	usleep(500000);
	ASSERT_EQ(atomic_load(&S->count[held]), 1); /* only the stopped one has it */
	kill(v, SIGCONT);
	ipcx_test_wait(t, GUARD_MS);
	want_received = 4 * SLOTS;
	wait_for(received_enough, "every message");
	atomic_store(&S->stop, 2);
	ipcx_test_wait(v, GUARD_MS);
	ipcx_test_wait(o, GUARD_MS);
	check_failed();
	for (k = 0; k < 4 * SLOTS; k++)
		ASSERT_EQ(count_of(3, k), 1);
	ipcx_close(owner);
}

/* ---- random kills ------------------------------------------------------ */

static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static bool
in_list(const uint32_t *list, uint32_t n, uint32_t v)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

/*
 * Two senders and two receivers (alternating copies and borrows) run while
 * the test kills one of them at a random moment, round after round, and
 * starts a fresh one in its place (a sender under a new identity).  At the
 * end, what each dead process may explain is allowed and nothing else:
 *  - every committed message delivered, except at most one per receiver
 *    killed inside a receive call (it had it, and died before saying so);
 *  - nothing delivered twice but a message a killed receiver held;
 *  - a sender's order broken only by a message delivered again;
 *  - nothing torn, no call failing, nobody hanging.
 */
static void
random_kills(void)
{
	const char *e = getenv("IPCX_CRASH_ROUNDS");
	int rounds = e != NULL ? atoi(e) : 500, round;
	uint32_t seed = 0x2545f491u ^ (uint32_t)getpid(), next_sender = 1, next_recv = 0;
	static uint32_t dups[4096];
	uint32_t ndups = 0, incall_deaths = 0, s, k, missing = 0, unexplained = 0;
	struct role role;
	pid_t tx[2], rx[2];
	uint32_t rx_id[2];
	ipcx_chan *owner;
	int i;

	if (rounds < 1)
		rounds = 1;
	shared_new("shm");
	IPCX_PASS(ipcx_create(&owner, S->uri, IPCX_EXCL));
	for (i = 0; i < 2; i++) {
		role = (struct role){ .id = next_recv++, .mode = 2 };
		rx_id[i] = role.id;
		rx[i] = spawn(receiver_main, &role);
		role = (struct role){ .id = next_sender++, .count = MAXQ };
		tx[i] = spawn(sender_main, &role);
	}
	for (round = 0; round < rounds; round++) {
		uint32_t victim = rnd(&seed) % 4;
		if (next_sender >= MAXS || next_recv >= MAXR)
			break; /* out of identities */
		usleep(rnd(&seed) % 3000);
		check_failed();
		if (victim < 2) {
			kill(tx[victim], SIGKILL);
			if (waitpid(tx[victim], NULL, 0) != tx[victim])
				IPCX_TEST_FAILF("waitpid sender");
			role = (struct role){ .id = next_sender++, .count = MAXQ };
			tx[victim] = spawn(sender_main, &role);
		} else {
			uint32_t j = victim - 2, kind;
			kill(rx[j], SIGKILL);
			if (waitpid(rx[j], NULL, 0) != rx[j])
				IPCX_TEST_FAILF("waitpid receiver");
			kind = atomic_load(&S->hold_kind[rx_id[j]]);
			if (kind == HOLD_MSG && ndups < 4096)
				dups[ndups++] = atomic_load(&S->hold_msg[rx_id[j]]);
			else if (kind == HOLD_IN_RECV || kind == HOLD_IN_BORROW)
				incall_deaths++;
			role = (struct role){ .id = next_recv++, .mode = 2 };
			rx_id[j] = role.id;
			rx[j] = spawn(receiver_main, &role);
		}
	}
	/* The senders stop; the receivers drain what was committed. */
	atomic_store(&S->stop, 1);
	for (i = 0; i < 2; i++)
		ipcx_test_wait(tx[i], GUARD_MS);
	check_failed();
	/* Until every committed message is in, but for what receivers killed
	 * inside a call may have taken along; then a moment for a recovered
	 * message still on its way. */
	{
		int64_t end = ipcx_test_now_ms() + GUARD_MS, settle = 0;
		for (;;) {
			missing = 0;
			for (s = 1; s < next_sender; s++) {
				uint32_t c = atomic_load(&S->committed[s]);
				for (k = 0; k < c; k++)
					if (count_of(s, k) == 0)
						missing++;
			}
			if (missing == 0)
				break;
			if (missing <= incall_deaths && settle == 0)
				settle = ipcx_test_now_ms() + 2000;
			if (settle != 0 && ipcx_test_now_ms() > settle)
				break;
			if (ipcx_test_now_ms() > end)
				IPCX_TEST_FAILF("%u committed messages never arrived", missing);
			check_failed();
			usleep(2000);
		}
	}
	missing = 0;
	atomic_store(&S->stop, 2);
	for (i = 0; i < 2; i++)
		ipcx_test_wait(rx[i], GUARD_MS);
	check_failed();
	for (s = 1; s < next_sender; s++) {
		uint32_t c = atomic_load(&S->committed[s]);
		for (k = 0; k < MAXQ; k++) {
			uint32_t n = count_of(s, k), id = s * MAXQ + k;
			if (k < c && n == 0)
				missing++;
			if (k > c && n != 0)
				IPCX_TEST_FAILF("message %u/%u delivered but never sent", s, k);
			if (n > 1 && !in_list(dups, ndups, id))
				IPCX_TEST_FAILF("message %u/%u delivered %u times", s, k, n);
			if (n > 2)
				IPCX_TEST_FAILF("message %u/%u delivered %u times", s, k, n);
		}
	}
	if (missing > incall_deaths)
		IPCX_TEST_FAILF("%u committed messages lost (%u receivers died in a call)", missing,
		                incall_deaths);
	for (k = 0; k < atomic_load(&S->nviol) && k < MAXV; k++)
		if (!in_list(dups, ndups, S->viol[k]))
			unexplained++;
	if (unexplained > incall_deaths)
		IPCX_TEST_FAILF("%u messages out of their sender's order", unexplained);
	fprintf(stderr, "  [%d rounds, %u senders, %u receivers, %u messages, %u redelivered] ", round,
	       next_sender - 1, next_recv, atomic_load(&S->received), ndups);
	ipcx_close(owner);
}

TEST_LIST = {
	{ "sender dies after a claim", sender_after_claim },
	{ "sender dies mid-copy", sender_mid_copy },
	{ "sender dies before a publish", sender_before_publish },
	{ "sysvshm sender dies before a publish", sysv_sender_before_publish },
	{ "receiver dies after a take", receiver_after_take },
	{ "receiver dies mid-copy", receiver_mid_copy },
	{ "receiver dies before a release", receiver_before_release },
	{ "receiver dies inside a borrow", receiver_inside_borrow },
	{ "sysvshm receiver dies inside a borrow", sysv_receiver_inside_borrow },
	{ "receiver dies while the other waits", receiver_dies_while_other_waits },
	{ "receiver dies asleep", receiver_dies_asleep },
	{ "sender dies ringing the doorbell", sender_dies_ringing },
	{ "recoverer dies recovering", recoverer_dies },
	{ "stopped sender is never robbed", stopped_sender },
	{ "stopped borrower is never robbed", stopped_borrower },
	{ "random kills", random_kills },
	{ NULL, NULL },
};
