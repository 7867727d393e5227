/* SPDX-License-Identifier: MIT */
/*
 * bench_shm_ring.c - ipcx-bench-shm: the shared-memory rings against this
 * machine's floors, measured in the same run, two processes pinned to two
 * cores (issue 6's targets are ratios to these floors):
 *   floors:  a cache-line round trip (two processes bouncing one word), a
 *            futex wake+wait round trip, a 64-byte pipe(2) round trip, a
 *            bare single-producer ring in plain C11 atomics (busy-waiting:
 *            round trip and one-way throughput), single-thread memcpy;
 *   ipcx:    64-byte round trip with spin=-1, the default and spin=0;
 *            one-way throughput at 64 B, 4 KiB, 64 KiB, 1 MiB (copying);
 *            loan/borrow round trip at 64 KiB and 1 MiB; and the CPU time
 *            an idle receiver uses once its spin budget is spent.
 * Latencies are medians (p50), p99 and p99.9 of single round trips.  Every
 * message is checked (its sequence number and the words at both ends).
 * It uses only the public API.
 *
 *   ipcx-bench-shm [--quick] [--idle SECONDS] [--json]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipcx.h>

static bool quick;
static int ncpu;
static char uri_base[128];

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
pin(int cpu)
{
	cpu_set_t s;

	if (ncpu < 2)
		return;
	CPU_ZERO(&s);
	CPU_SET(cpu % ncpu, &s);
	(void)sched_setaffinity(0, sizeof(s), &s);
}

static void
die(const char *what, long rc)
{
	fprintf(stderr, "ipcx-bench-shm: %s: %ld %s\n", what, rc, rc < 0 ? ipcx_strerror((int)rc) : "");
	exit(1);
}

static void *
shared(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap", -errno);
	return p;
}

static pid_t
child(void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (pid == 0) {
		pin(1);
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("child failed", st);
}

/* ---- statistics -------------------------------------------------------- */

struct lat {
	double p50, p99, p999; /* microseconds */
};

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static struct lat
lat_of(int64_t *s, long n)
{
	struct lat l;

	qsort(s, (size_t)n, sizeof(*s), cmp64);
	l.p50 = s[n / 2] / 1e3;
	l.p99 = s[(long)(n * 0.99)] / 1e3;
	l.p999 = s[(long)(n * 0.999)] / 1e3;
	return l;
}

static long
scale(long n)
{
	return quick ? n / 5 : n;
}

/* ---- floors ------------------------------------------------------------ */

struct bounce {
	_Alignas(64) _Atomic uint32_t turn;
	long n;
};

static void
bounce_child(void *arg)
{
	struct bounce *b = arg;
	long i;

	for (i = 0; i < b->n; i++) {
		while (atomic_load_explicit(&b->turn, memory_order_acquire) != 1)
			;
		atomic_store_explicit(&b->turn, 2, memory_order_release);
	}
}

static struct lat
floor_cacheline(void)
{
	struct bounce *b = shared(sizeof(*b));
	long n = scale(200000), i;
	int64_t *s = malloc(sizeof(*s) * (size_t)n);
	pid_t p;

	b->n = n;
	p = child(bounce_child, b);
	for (i = 0; i < n; i++) {
		int64_t t0 = now_ns();
		atomic_store_explicit(&b->turn, 1, memory_order_release);
		while (atomic_load_explicit(&b->turn, memory_order_acquire) != 2)
			;
		s[i] = now_ns() - t0;
	}
	reap(p);
	return lat_of(s, n);
}

static void
futex_wait_for(_Atomic uint32_t *w, uint32_t want)
{
	uint32_t v;

	while ((v = atomic_load(w)) != want)
		(void)syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void
futex_set(_Atomic uint32_t *w, uint32_t v)
{
	atomic_store(w, v);
	(void)syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void
futex_child(void *arg)
{
	struct bounce *b = arg;
	long i;

	for (i = 0; i < b->n; i++) {
		futex_wait_for(&b->turn, (uint32_t)(2 * i + 1));
		futex_set(&b->turn, (uint32_t)(2 * i + 2));
	}
}

static struct lat
floor_futex(void)
{
	struct bounce *b = shared(sizeof(*b));
	long n = scale(20000), i;
	int64_t *s = malloc(sizeof(*s) * (size_t)n);
	pid_t p;

	b->n = n;
	p = child(futex_child, b);
	for (i = 0; i < n; i++) {
		int64_t t0 = now_ns();
		futex_set(&b->turn, (uint32_t)(2 * i + 1));
		futex_wait_for(&b->turn, (uint32_t)(2 * i + 2));
		s[i] = now_ns() - t0;
	}
	reap(p);
	return lat_of(s, n);
}

struct pipes {
	int a[2], b[2];
	long n;
};

static void
pipe_child(void *arg)
{
	struct pipes *pp = arg;
	char buf[64];
	long i;

	for (i = 0; i < pp->n; i++) {
		if (read(pp->a[0], buf, 64) != 64 || write(pp->b[1], buf, 64) != 64)
			_exit(1);
	}
}

static struct lat
floor_pipe(void)
{
	struct pipes pp;
	long n = scale(20000), i;
	int64_t *s = malloc(sizeof(*s) * (size_t)n);
	char buf[64] = { 0 };
	pid_t p;

	if (pipe(pp.a) < 0 || pipe(pp.b) < 0)
		die("pipe", -errno);
	pp.n = n;
	p = child(pipe_child, &pp);
	for (i = 0; i < n; i++) {
		int64_t t0 = now_ns();
		if (write(pp.a[1], buf, 64) != 64 || read(pp.b[0], buf, 64) != 64)
			die("pipe io", -errno);
		s[i] = now_ns() - t0;
	}
	reap(p);
	close(pp.a[0]);
	close(pp.a[1]);
	close(pp.b[0]);
	close(pp.b[1]);
	return lat_of(s, n);
}

/* The bare minimum: one producer, one consumer, 256 slots of 64 bytes. */
#define BR_SLOTS 256
struct bare {
	_Alignas(64) _Atomic uint64_t head;
	_Alignas(64) _Atomic uint64_t tail;
	_Alignas(64) uint8_t slot[BR_SLOTS][64];
};

static void
bare_push(struct bare *r, const void *m)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	while (t - atomic_load_explicit(&r->head, memory_order_acquire) >= BR_SLOTS)
		;
	memcpy(r->slot[t % BR_SLOTS], m, 64);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

static void
bare_pop(struct bare *r, void *m)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	while (atomic_load_explicit(&r->tail, memory_order_acquire) == h)
		;
	memcpy(m, r->slot[h % BR_SLOTS], 64);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

struct bare2 {
	struct bare ab, ba;
	long n;
	int mode; /* 0 echo, 1 sink */
};

static void
bare_child(void *arg)
{
	struct bare2 *b = arg;
	uint64_t m[8];
	long i;

	for (i = 0; i < b->n; i++) {
		bare_pop(&b->ab, m);
		if (m[0] != (uint64_t)i || m[7] != ~(uint64_t)i)
			_exit(2);
		if (b->mode == 0)
			bare_push(&b->ba, m);
	}
	if (b->mode == 1)
		bare_push(&b->ba, m);
}

static struct lat
floor_bare_rtt(void)
{
	struct bare2 *b = shared(sizeof(*b));
	long n = scale(200000), i;
	int64_t *s = malloc(sizeof(*s) * (size_t)n);
	uint64_t m[8] = { 0 };
	pid_t p;

	b->n = n;
	p = child(bare_child, b);
	for (i = 0; i < n; i++) {
		int64_t t0 = now_ns();
		m[0] = (uint64_t)i;
		m[7] = ~(uint64_t)i;
		bare_push(&b->ab, m);
		bare_pop(&b->ba, m);
		s[i] = now_ns() - t0;
	}
	reap(p);
	return lat_of(s, n);
}

static double
floor_bare_tput(void)
{
	struct bare2 *b = shared(sizeof(*b));
	long n = scale(20000000), i;
	uint64_t m[8] = { 0 };
	int64_t t0;
	pid_t p;

	b->n = n;
	b->mode = 1;
	p = child(bare_child, b);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		m[0] = (uint64_t)i;
		m[7] = ~(uint64_t)i;
		bare_push(&b->ab, m);
	}
	bare_pop(&b->ba, m);
	t0 = now_ns() - t0;
	reap(p);
	return n / (t0 / 1e9);
}

static double
floor_memcpy(size_t size)
{
	uint8_t *a = malloc(size), *b = malloc(size);
	long n = (long)((quick ? 200 : 1000) * ((1 << 20) / size)), i;
	int64_t t0;

	memset(a, 1, size);
	memset(b, 2, size);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		memcpy(i % 2 ? a : b, i % 2 ? b : a, size);
		__asm__ __volatile__("" ::"r"(a), "r"(b) : "memory");
	}
	t0 = now_ns() - t0;
	free(a);
	free(b);
	return (double)size * n / (t0 / 1e9) / 1e9;
}

/* ---- ipcx -------------------------------------------------------------- */

struct job {
	char a[256], b[256]; /* parent -> child, child -> parent */
	long n;
	size_t size;
	int mode;            /* 0 echo, 1 sink, 2 loan/borrow echo, 3 idle */
	int idle_ms;
};

static void
ring_uris(struct job *j, const char *query)
{
	static int seq;

	seq++;
	snprintf(j->a, sizeof(j->a), "%s-%d-a?%s", uri_base, seq, query);
	snprintf(j->b, sizeof(j->b), "%s-%d-b?%s", uri_base, seq, query);
}

static void
fill(uint8_t *p, size_t n, uint64_t seq)
{
	uint64_t x = ~seq;

	memcpy(p, &seq, 8);
	memcpy(p + n - 8, &x, 8);
}

static bool
good(const uint8_t *p, size_t n, uint64_t seq)
{
	uint64_t a, b;

	memcpy(&a, p, 8);
	memcpy(&b, p + n - 8, 8);
	return a == seq && b == ~seq;
}

static void
ipcx_child(void *arg)
{
	struct job *j = arg;
	uint8_t *buf = malloc(j->size);
	ipcx_chan *in, *out;
	long i;
	int rc;

	if ((rc = ipcx_join(&in, j->a, 0)) < 0 || (rc = ipcx_join(&out, j->b, 0)) < 0)
		die("child join", rc);
	if (j->mode == 3) {
		ssize_t r = ipcx_recv(in, buf, j->size, j->idle_ms);
		if (r != -ETIMEDOUT)
			die("idle receive", r);
		_exit(0);
	}
	for (i = 0; i < j->n; i++) {
		if (j->mode == 2) {
			const void *p;
			void *q;
			size_t len;
			ssize_t r = ipcx_recv_borrow(in, &p, &len, 30000);
			if (r < 0 || !good(p, len, (uint64_t)i))
				die("borrow", r);
			while ((rc = ipcx_loan(out, len, &q)) == -EAGAIN)
				;
			if (rc < 0)
				die("loan", rc);
			fill(q, len, (uint64_t)i);
			ipcx_release(in, p);
			if ((rc = ipcx_commit(out, q, len)) < 0)
				die("commit", rc);
			continue;
		}
		ssize_t r = ipcx_recv(in, buf, j->size, 30000);
		if (r != (ssize_t)j->size || !good(buf, j->size, (uint64_t)i))
			die("receive", r);
		if (j->mode == 0 && (rc = ipcx_send(out, buf, j->size, 30000)) < 0)
			die("echo", rc);
	}
	if (j->mode == 1 && (rc = ipcx_send(out, buf, 8, 30000)) < 0)
		die("ack", rc);
	ipcx_close(in);
	ipcx_close(out);
	free(buf);
}

static void
open_pair(struct job *j, ipcx_chan **a, ipcx_chan **b)
{
	int rc;

	if ((rc = ipcx_create(a, j->a, IPCX_EXCL)) < 0 || (rc = ipcx_create(b, j->b, IPCX_EXCL)) < 0)
		die(ipcx_errmsg(NULL), rc);
}

static struct lat
ipcx_rtt(const char *query, long n, size_t size, bool zero_copy)
{
	struct job *j = shared(sizeof(*j));
	int64_t *s = malloc(sizeof(*s) * (size_t)n);
	uint8_t *buf = malloc(size);
	ipcx_chan *a, *b;
	long i, warm = n / 10;
	pid_t p;
	int rc;

	ring_uris(j, query);
	j->n = n + warm;
	j->size = size;
	j->mode = zero_copy ? 2 : 0;
	open_pair(j, &a, &b);
	p = child(ipcx_child, j);
	for (i = 0; i < n + warm; i++) {
		int64_t t0 = now_ns();
		if (zero_copy) {
			const void *q;
			void *w;
			size_t len;
			while ((rc = ipcx_loan(a, size, &w)) == -EAGAIN)
				;
			if (rc < 0)
				die("loan", rc);
			fill(w, size, (uint64_t)i);
			if ((rc = ipcx_commit(a, w, size)) < 0)
				die("commit", rc);
			if ((rc = (int)ipcx_recv_borrow(b, &q, &len, 30000)) < 0 ||
			    !good(q, len, (uint64_t)i))
				die("borrow echo", rc);
			ipcx_release(b, q);
		} else {
			fill(buf, size, (uint64_t)i);
			if ((rc = ipcx_send(a, buf, size, 30000)) < 0)
				die("send", rc);
			if (ipcx_recv(b, buf, size, 30000) != (ssize_t)size || !good(buf, size, (uint64_t)i))
				die("echo", -1);
		}
		if (i >= warm)
			s[i - warm] = now_ns() - t0;
	}
	reap(p);
	ipcx_close(a);
	ipcx_close(b);
	free(buf);
	return lat_of(s, n);
}

/* One-way: messages per second. */
static double
ipcx_tput(const char *query, long n, size_t size)
{
	struct job *j = shared(sizeof(*j));
	uint8_t *buf = malloc(size);
	ipcx_chan *a, *b;
	int64_t t0;
	long i;
	pid_t p;
	int rc;

	ring_uris(j, query);
	j->n = n;
	j->size = size;
	j->mode = 1;
	memset(buf, 0x5a, size);
	open_pair(j, &a, &b);
	p = child(ipcx_child, j);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		fill(buf, size, (uint64_t)i);
		if ((rc = ipcx_send(a, buf, size, 30000)) < 0)
			die("send", rc);
	}
	if (ipcx_recv(b, buf, size, 30000) != 8)
		die("ack", -1);
	t0 = now_ns() - t0;
	reap(p);
	ipcx_close(a);
	ipcx_close(b);
	free(buf);
	return n / (t0 / 1e9);
}

/* CPU time (user + system, ms) of a receiver idle for seconds. */
static double
ipcx_idle_cpu(int seconds)
{
	struct job *j = shared(sizeof(*j));
	struct rusage before, after;
	ipcx_chan *a, *b;
	pid_t p;

	ring_uris(j, "slots=16&slot_size=64");
	j->size = 64;
	j->mode = 3;
	j->idle_ms = seconds * 1000;
	open_pair(j, &a, &b);
	getrusage(RUSAGE_CHILDREN, &before);
	p = child(ipcx_child, j);
	reap(p);
	getrusage(RUSAGE_CHILDREN, &after);
	ipcx_close(a);
	ipcx_close(b);
	return ((after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1e3 +
	        (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e3) +
	       ((after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1e3 +
	        (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e3);
}

/* ---- the run ----------------------------------------------------------- */

static void
row_lat(const char *name, struct lat l)
{
	printf("%-44s %10.2f %10.2f %10.2f\n", name, l.p50, l.p99, l.p999);
}

int
main(int argc, char **argv)
{
	int idle = 10, i;
	char regdir[] = "/tmp/ipcx-bench-shm-XXXXXX";
	struct lat cl, fx, pp, bare, busy, dflt, nospin, lb64, lb1m;
	double bare_t, t64, t4k, t64k, t1m, mc1m, idle_ms;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc)
			idle = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: ipcx-bench-shm [--quick] [--idle SECONDS]\n");
			return 2;
		}
	}
	if (quick && idle == 10)
		idle = 2;
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (mkdtemp(regdir) == NULL)
		die("mkdtemp", -errno);
	setenv("IPCX_REGISTRY_DIR", regdir, 1);
	snprintf(uri_base, sizeof(uri_base), "shm:ipcx-bench-shm-%d", (int)getpid());
	pin(0);

	cl = floor_cacheline();
	fx = floor_futex();
	pp = floor_pipe();
	bare = floor_bare_rtt();
	bare_t = floor_bare_tput();
	mc1m = floor_memcpy(1 << 20);
	busy = ipcx_rtt("slots=256&slot_size=64&spin=-1", scale(200000), 64, false);
	dflt = ipcx_rtt("slots=256&slot_size=64", scale(100000), 64, false);
	nospin = ipcx_rtt("slots=256&slot_size=64&spin=0", scale(20000), 64, false);
	lb64 = ipcx_rtt("slots=16&slot_size=64K", scale(20000), 65536, true);
	lb1m = ipcx_rtt("slots=8&slot_size=1M", scale(2000), 1 << 20, true);
	t64 = ipcx_tput("slots=1024&slot_size=64", scale(10000000), 64);
	t4k = ipcx_tput("slots=256&slot_size=4K", scale(1000000), 4096);
	t64k = ipcx_tput("slots=64&slot_size=64K", scale(100000), 65536);
	/* A ring that fits the shared cache: at 16 MiB (slots=16) every copy
	 * goes to memory and back and the figure is DRAM's, a quarter of this. */
	t1m = ipcx_tput("slots=4&slot_size=1M", scale(5000), 1 << 20);
	idle_ms = ipcx_idle_cpu(idle);

	printf("%-44s %10s %10s %10s\n", "round trip (us)", "p50", "p99", "p99.9");
	row_lat("floor: cache-line bounce", cl);
	row_lat("floor: futex wake+wait", fx);
	row_lat("floor: pipe(2) 64 B", pp);
	row_lat("floor: bare C11 SPSC ring 64 B (busy)", bare);
	row_lat("ipcx shm 64 B spin=-1", busy);
	row_lat("ipcx shm 64 B default (spin=50)", dflt);
	row_lat("ipcx shm 64 B spin=0", nospin);
	row_lat("ipcx shm loan/borrow 64 KiB (default)", lb64);
	row_lat("ipcx shm loan/borrow 1 MiB (default)", lb1m);
	printf("\none-way throughput\n");
	printf("%-44s %10.2f M msgs/s\n", "floor: bare C11 SPSC ring 64 B", bare_t / 1e6);
	printf("%-44s %10.2f M msgs/s\n", "ipcx shm 64 B (default)", t64 / 1e6);
	printf("%-44s %10.0f MB/s\n", "ipcx shm 4 KiB", t4k * 4096 / 1e6);
	printf("%-44s %10.0f MB/s\n", "ipcx shm 64 KiB", t64k * 65536 / 1e6);
	printf("%-44s %10.0f MB/s\n", "ipcx shm 1 MiB (copying)", t1m * 1048576 / 1e6);
	printf("%-44s %10.0f MB/s\n", "floor: memcpy 1 MiB, one thread", mc1m * 1e3);
	printf("\nidle receiver, default spin, %d s: %.1f ms of CPU\n", idle, idle_ms);
	printf("\nratios (targets in issue 6)\n");
	printf("  spin=-1 rtt / cache-line rtt      %6.2f  (target <= 2)\n", busy.p50 / cl.p50);
	printf("  default rtt / futex rtt           %6.3f  (target <= 0.025)\n", dflt.p50 / fx.p50);
	printf("  spin=0 rtt / futex rtt            %6.2f  (target <= 1.1)\n", nospin.p50 / fx.p50);
	printf("  64 B default / bare ring          %6.2f  (target >= 1)\n", t64 / bare_t);
	printf("  64 B default msgs/s / 8.2 M       %6.2f  (target >= 1: 2x ZeroMQ's 4.1 M)\n",
	       t64 / 8.2e6);
	printf("  1 MiB copy / memcpy               %6.2f  (target >= 0.9)\n",
	       t1m * 1048576 / 1e9 / mc1m);
	printf("  loan/borrow 64 KiB p50 / 4.1 us   %6.2f  (target <= 1)\n", lb64.p50 / 4.1);
	printf("  loan/borrow 1 MiB p50 / 49 us     %6.2f  (target <= 1)\n", lb1m.p50 / 49);
	printf("machine: %d CPUs, processes pinned to CPUs 0 and 1%s\n", ncpu,
	       quick ? "; --quick counts" : "");
	(void)rmdir(regdir);
	return 0;
}
