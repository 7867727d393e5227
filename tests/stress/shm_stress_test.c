/* SPDX-License-Identifier: MIT */
/*
 * shm_stress_test.c - many senders and many receivers on one shared-memory
 * ring, every byte checked: nothing lost, nothing delivered twice, nothing
 * torn, each sender's order kept in what each receiver sees.
 *
 * The processes variant is the real thing (4 sender and 4 receiver
 * processes, 10^6 messages of mixed sizes); the threads variant runs the
 * same in one process, where ThreadSanitizer can watch every access (the
 * threads share one mapping).  Receivers alternate copying receives and
 * borrow/release.  IPCX_STRESS_MSGS overrides the message count (make
 * stress runs more).
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"
#include "shm_msg.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#define NSEND 4
#define NRECV 4
#define GUARD_MS 120000

struct stress {
	char uri[512];
	uint32_t per;               /* messages per sender */
	size_t max;
	_Atomic uint32_t delivered; /* all receivers together */
	_Atomic uint32_t failed;    /* first failure's code, or 0 */
	uint32_t stop_after;        /* receiver 0 stops itself after this many */
	bool stop_holding;          /* ... while it holds a borrowed slot */
	_Atomic bool others_go;     /* and the others start once it has */
	char why[256];
	_Atomic uint8_t count[];    /* [sender * per + seq]: deliveries */
};

static uint32_t
stress_total(void)
{
	const char *e = getenv("IPCX_STRESS_MSGS");
	long n = e != NULL ? atol(e) : 0;

	if (n >= NSEND)
		return (uint32_t)n;
#if defined(__SANITIZE_THREAD__)
	return 400000;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
	return 400000;
#endif
#endif
	return 1000000;
}

static void stress_fail(struct stress *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
stress_fail(struct stress *s, const char *fmt, ...)
{
	uint32_t zero = 0;
	va_list ap;

	if (atomic_compare_exchange_strong(&s->failed, &zero, 1)) {
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
	}
}

static int
stress_sender(struct stress *s, uint32_t id)
{
	uint8_t *buf = ipcx_test_malloc(s->max);
	ipcx_chan *ch;
	uint32_t k;
	int rc;

	rc = ipcx_join(&ch, s->uri, 0);
	if (rc < 0) {
		stress_fail(s, "sender %u: join: %s", id, ipcx_errname(rc));
		return 1;
	}
	for (k = 0; k < s->per && atomic_load(&s->failed) == 0; k++) {
		size_t n = shm_msg_make(buf, id, k, shm_msg_size(id, k, s->max));
		rc = ipcx_send(ch, buf, n, GUARD_MS);
		if (rc < 0) {
			stress_fail(s, "sender %u: message %u: %s (%s)", id, k, ipcx_errname(rc),
			            ipcx_errmsg(ch));
			break;
		}
	}
	ipcx_close(ch);
	free(buf);
	return 0;
}

static void
stress_got(struct stress *s, uint32_t self, const uint8_t *p, size_t n, int64_t *last)
{
	uint32_t sender, seq;

	if (!shm_msg_ok(p, n, &sender, &seq) || sender >= NSEND || seq >= s->per) {
		stress_fail(s, "receiver %u: a torn message (%zu bytes)", self, n);
		return;
	}
	if ((int64_t)seq <= last[sender])
		stress_fail(s, "receiver %u: sender %u's order broken at %u (after %lld)", self,
		            sender, seq, (long long)last[sender]);
	last[sender] = seq;
	if (atomic_fetch_add(&s->count[sender * s->per + seq], 1) != 0)
		stress_fail(s, "message %u/%u delivered twice", sender, seq);
	atomic_fetch_add(&s->delivered, 1);
}

static int
stress_receiver(struct stress *s, uint32_t self)
{
	uint8_t *buf = ipcx_test_malloc(s->max);
	int64_t last[NSEND];
	uint32_t total = s->per * NSEND, k, mine = 0;
	ipcx_chan *ch;
	int rc;

	for (k = 0; k < NSEND; k++)
		last[k] = -1;
	rc = ipcx_join(&ch, s->uri, 0);
	if (rc < 0) {
		stress_fail(s, "receiver %u: join: %s", self, ipcx_errname(rc));
		return 1;
	}
	while (self != 0 && s->stop_after != 0 && !atomic_load(&s->others_go))
		usleep(1000);
	for (k = 0; atomic_load(&s->delivered) < total && atomic_load(&s->failed) == 0; k++) {
		const void *p;
		size_t n;
		ssize_t r;

		if (self == 0 && s->stop_after != 0 && !s->stop_holding && mine == s->stop_after) {
			mine++;
			raise(SIGSTOP); /* between calls: holding nothing */
		}
		if (k % 2 == 0) {
			r = ipcx_recv(ch, buf, s->max, 200);
			if (r >= 0) {
				stress_got(s, self, buf, (size_t)r, last);
				mine++;
			}
		} else {
			r = ipcx_recv_borrow(ch, &p, &n, 200);
			if (r >= 0) {
				stress_got(s, self, p, n, last);
				if (self == 0 && s->stop_holding && mine >= s->stop_after) {
					s->stop_holding = false; /* this process's copy */
					uint32_t again_sender, again_seq;
					raise(SIGSTOP);
					if (!shm_msg_ok(p, n, &again_sender, &again_seq))
						stress_fail(s, "the stopped borrower's slot was overwritten");
				}
				mine++;
				rc = ipcx_release(ch, p);
				if (rc < 0)
					stress_fail(s, "receiver %u: release: %s", self, ipcx_errname(rc));
			}
		}
		if (r < 0 && r != -ETIMEDOUT)
			stress_fail(s, "receiver %u: receive: %s (%s)", self, ipcx_errname((int)r),
			            ipcx_errmsg(ch));
	}
	ipcx_close(ch);
	free(buf);
	return 0;
}

static struct stress *
stress_new(const char *scheme, const char *query, bool shared)
{
	uint32_t total = stress_total(), per = total / NSEND;
	size_t n = sizeof(struct stress) + (size_t)per * NSEND;
	struct stress *s = shared ? shm_test_shared(n) : calloc(1, n);

	ASSERT_TRUE(s != NULL);
	s->per = per;
	s->max = 4096;
	snprintf(s->uri, sizeof(s->uri), "%s", ipcx_test_uri(scheme, query));
	return s;
}

static void
stress_verify(struct stress *s)
{
	uint32_t i, missing = 0;

	if (atomic_load(&s->failed))
		IPCX_TEST_FAILF("%s", s->why);
	for (i = 0; i < s->per * NSEND; i++)
		if (atomic_load(&s->count[i]) != 1)
			missing++;
	if (missing)
		IPCX_TEST_FAILF("%u of %u messages not delivered exactly once", missing,
		                s->per * NSEND);
	ASSERT_EQ(atomic_load(&s->delivered), s->per * NSEND);
}

struct peer_arg {
	struct stress *s;
	uint32_t id;
};

static int
proc_sender(void *arg)
{
	struct peer_arg *a = arg;
	return stress_sender(a->s, a->id);
}

static int
proc_receiver(void *arg)
{
	struct peer_arg *a = arg;
	return stress_receiver(a->s, a->id);
}

static void
stress_processes(const char *scheme, const char *query)
{
	struct stress *s = stress_new(scheme, query, true);
	struct peer_arg args[NSEND + NRECV];
	pid_t pids[NSEND + NRECV];
	ipcx_chan *owner;
	int i;

	IPCX_PASS(ipcx_create(&owner, s->uri, IPCX_EXCL));
	for (i = 0; i < NRECV; i++) {
		args[i] = (struct peer_arg){ s, (uint32_t)i };
		pids[i] = ipcx_test_peer(proc_receiver, &args[i]);
	}
	for (i = 0; i < NSEND; i++) {
		args[NRECV + i] = (struct peer_arg){ s, (uint32_t)i };
		pids[NRECV + i] = ipcx_test_peer(proc_sender, &args[NRECV + i]);
	}
	for (i = 0; i < NSEND + NRECV; i++)
		ipcx_test_wait(pids[i], GUARD_MS);
	stress_verify(s);
	IPCX_FAIL(ipcx_recv(owner, args, 1, 0), -EAGAIN);
	ipcx_close(owner);
}

static void *
thread_sender(void *arg)
{
	struct peer_arg *a = arg;
	(void)stress_sender(a->s, a->id);
	return NULL;
}

static void *
thread_receiver(void *arg)
{
	struct peer_arg *a = arg;
	(void)stress_receiver(a->s, a->id);
	return NULL;
}

static void
stress_threads(const char *scheme, const char *query)
{
	struct stress *s = stress_new(scheme, query, false);
	struct peer_arg args[NSEND + NRECV];
	pthread_t t[NSEND + NRECV];
	ipcx_chan *owner;
	int i;

	IPCX_PASS(ipcx_create(&owner, s->uri, IPCX_EXCL));
	for (i = 0; i < NRECV; i++) {
		args[i] = (struct peer_arg){ s, (uint32_t)i };
		ASSERT_EQ(pthread_create(&t[i], NULL, thread_receiver, &args[i]), 0);
	}
	for (i = 0; i < NSEND; i++) {
		args[NRECV + i] = (struct peer_arg){ s, (uint32_t)i };
		ASSERT_EQ(pthread_create(&t[NRECV + i], NULL, thread_sender, &args[NRECV + i]), 0);
	}
	for (i = 0; i < NSEND + NRECV; i++)
		pthread_join(t[i], NULL);
	stress_verify(s);
	ipcx_close(owner);
	free(s);
}

static void
processes_shm(void)
{
	stress_processes("shm", NULL);
}

/* Sleeping at once is the other half of the wake-up protocol. */
static void
processes_shm_nospin(void)
{
	stress_processes("shm", "spin=0&slots=16");
}

static void
processes_sysvshm(void)
{
	stress_processes("sysvshm", "slots=64");
}

static void
threads_shm(void)
{
	stress_threads("shm", NULL);
}

static void
threads_shm_nospin(void)
{
	stress_threads("shm", "spin=0&slots=8");
}

/* Busy-waiting threads outnumber the cores here: fewer messages. */
static void
threads_shm_busy(void)
{
	char v[32];

	snprintf(v, sizeof(v), "%u", stress_total() / 10);
	setenv("IPCX_STRESS_MSGS", v, 1);
	stress_threads("shm", "spin=-1&slots=32");
}

/*
 * Receivers stopped (SIGSTOP) while the others run, then resumed.  One
 * sender (as id 0); the other senders' shares count as delivered.
 */
struct stopped_run {
	struct stress *s;
	struct peer_arg args[3];
	pid_t rx0, rx1, tx;
	ipcx_chan *owner;
};

static void
stopped_start(struct stopped_run *t, uint32_t stop_after, bool holding)
{
	struct stress *s = t->s = stress_new("shm", "slots=32", true);

	s->per = 20000 < s->per ? 20000 : s->per;
	s->stop_after = stop_after;
	s->stop_holding = holding;
	IPCX_PASS(ipcx_create(&t->owner, s->uri, IPCX_EXCL));
	atomic_store(&s->delivered, s->per * (NSEND - 1));
	t->args[0] = (struct peer_arg){ s, 0 };
	t->args[1] = (struct peer_arg){ s, 1 };
	t->args[2] = (struct peer_arg){ s, 0 };
	t->rx0 = ipcx_test_peer(proc_receiver, &t->args[0]);
	t->rx1 = ipcx_test_peer(proc_receiver, &t->args[1]);
	t->tx = ipcx_test_peer(proc_sender, &t->args[2]);
}

/* Wait until receiver 0 has stopped itself. */
static void
stopped_wait_stop(struct stopped_run *t)
{
	int status;

	if (waitpid(t->rx0, &status, WUNTRACED) != t->rx0 || !WIFSTOPPED(status))
		IPCX_TEST_FAILF("receiver 0 ended (status %#x) instead of stopping", status);
	atomic_store(&t->s->others_go, true);
}

static void
stopped_finish(struct stopped_run *t)
{
	struct stress *s = t->s;
	uint32_t i;

	kill(t->rx0, SIGCONT);
	ipcx_test_wait(t->tx, GUARD_MS);
	ipcx_test_wait(t->rx0, GUARD_MS);
	ipcx_test_wait(t->rx1, GUARD_MS);
	if (atomic_load(&s->failed))
		IPCX_TEST_FAILF("%s", s->why);
	for (i = 0; i < s->per; i++)
		if (atomic_load(&s->count[i]) != 1)
			IPCX_TEST_FAILF("message %u delivered %u times", i,
			                (unsigned)atomic_load(&s->count[i]));
	IPCX_FAIL(ipcx_recv(t->owner, t->args, 1, 0), -EAGAIN);
	ipcx_close(t->owner);
}

/* Stopped between calls, it holds nothing: the other receiver takes every
 * remaining message while it stays stopped. */
static void
stopped_idle_receiver(void)
{
	struct stopped_run t;
	int64_t end;

	stopped_start(&t, 200, false);
	stopped_wait_stop(&t);
	end = ipcx_test_now_ms() + GUARD_MS;
	while (atomic_load(&t.s->delivered) < t.s->per * NSEND && atomic_load(&t.s->failed) == 0) {
		if (ipcx_test_now_ms() > end)
			IPCX_TEST_FAILF("the other receiver stopped at %u of %u",
			                atomic_load(&t.s->delivered) - t.s->per * (NSEND - 1),
			                t.s->per);
		usleep(1000);
	}
	stopped_finish(&t);
}

/* Stopped holding a borrowed slot: the slot is never taken from it (the
 * senders wait for it a lap later, so the run cannot finish while it is
 * stopped), and once resumed its message is intact and all arrive once. */
static void
stopped_borrower(void)
{
	struct stopped_run t;

	stopped_start(&t, 200, true);
	stopped_wait_stop(&t);
	usleep(300 * 1000); /* time for a wrongful recovery to happen */
	if (atomic_load(&t.s->delivered) >= t.s->per * NSEND)
		IPCX_TEST_FAILF("all delivered while a borrowed slot was held: it was robbed");
	stopped_finish(&t);
}

/* Stopped from outside, at any moment (holding a slot or not). */
static void
stopped_anywhere(void)
{
	struct stopped_run t;

	stopped_start(&t, 0, false);
	while (atomic_load(&t.s->delivered) < t.s->per * (NSEND - 1) + 200)
		usleep(1000);
	kill(t.rx0, SIGSTOP);
	usleep(100 * 1000);
	stopped_finish(&t);
}

TEST_LIST = {
	{ "processes/shm 4x4", processes_shm },
	{ "processes/shm 4x4 spin=0", processes_shm_nospin },
	{ "processes/sysvshm 4x4", processes_sysvshm },
	{ "threads/shm 4x4", threads_shm },
	{ "threads/shm 4x4 spin=0", threads_shm_nospin },
	{ "threads/shm 4x4 spin=-1", threads_shm_busy },
	{ "stopped idle receiver", stopped_idle_receiver },
	{ "stopped borrower", stopped_borrower },
	{ "stopped receiver, any moment", stopped_anywhere },
	{ NULL, NULL },
};
