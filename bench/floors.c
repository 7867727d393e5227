/* SPDX-License-Identifier: MIT */
/*
 * floors.c - this machine's physical floors, measured in the same run and
 * with the same placement as the rows: what no transport between two
 * processes can beat.
 *
 *   cache line   one 64-byte line bounced between the two CPUs (two
 *                processes, each spinning on a word the other writes): the
 *                round trip a busy-waiting shared-memory ring can at best
 *                reach;
 *   futex        a futex wake + wait round trip between the two processes:
 *                the round trip of anything that sleeps in the kernel;
 *   syscall      one trivial system call (getppid), in this process;
 *   memcpy       single-thread memcpy bandwidth at 64 KiB and 1 MiB: what
 *                a transport that copies the payload once can at best move.
 *
 * Each figure is the best of several batches (a floor is what the machine
 * can do; interference only makes a batch slower); the batches' spread is
 * kept so the table can mark a noisy floor as it marks a noisy row.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_int.h"

#define BATCHES 7

struct shared_words {
	_Alignas(64) _Atomic uint32_t ping;
	_Alignas(64) _Atomic uint32_t pong;
	_Alignas(64) _Atomic uint32_t stop;
};

static int
cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* A floor is the best the machine did: the fastest batch (high: the
 * largest figure is the best); the spread says how much the others lost. */
static void
batch_figure(double *v, int n, struct bench_floor *f, bool high)
{
	double med;

	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	f->value = high ? v[n - 1] : v[0];
	f->spread = med > 0 ? (v[n - 1] - v[0]) / med : 0;
	f->ok = f->value > 0;
}

static void
pin_to(int cpu)
{
	cpu_set_t s;

	if (cpu < 0)
		return;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	(void)sched_setaffinity(0, sizeof(s), &s);
}

static long
futex(_Atomic uint32_t *w, int op, uint32_t v)
{
	return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

/* The child's half of a round trip: answer every ping with a pong. */
static void
echo_child(struct shared_words *w, bool sleep, int cpu)
{
	uint32_t seen = 0;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	pin_to(cpu);
	for (;;) {
		uint32_t p;
		while ((p = atomic_load_explicit(&w->ping, memory_order_acquire)) == seen) {
			if (atomic_load_explicit(&w->stop, memory_order_relaxed))
				_exit(0);
			if (sleep)
				(void)futex(&w->ping, FUTEX_WAIT, seen);
		}
		seen = p;
		atomic_store_explicit(&w->pong, p, memory_order_release);
		if (sleep)
			(void)futex(&w->pong, FUTEX_WAKE, 1);
	}
}

/*
 * Round trips of one word between the two CPUs, ns each.  Like the rows'
 * p50, a batch's figure is the median of its samples, so a preemption
 * weighs no more here than there; a sample times `group` round trips (a
 * cache-line round trip is too short to time alone).
 */
static int
round_trips(bool sleep, int cpu_rx, long per_batch, long group, struct bench_floor *f)
{
	struct shared_words *w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
	                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long nsamples = per_batch / group;
	double v[BATCHES], *smp = malloc(sizeof(double) * (size_t)nsamples);
	uint32_t seq = 0;
	pid_t pid;
	int b, st;

	if (w == MAP_FAILED || smp == NULL) {
		if (w != MAP_FAILED)
			munmap(w, sizeof(*w));
		free(smp);
		return -ENOMEM;
	}
	memset(w, 0, sizeof(*w));
	pid = fork();
	if (pid < 0) {
		int err = -errno;
		munmap(w, sizeof(*w));
		free(smp);
		return err;
	}
	if (pid == 0)
		echo_child(w, sleep, cpu_rx);
	for (b = -1; b < BATCHES; b++) {
		long k, i;
		for (k = 0; k < nsamples; k++) {
			int64_t t0 = bench_now_ns();
			for (i = 0; i < group; i++) {
				seq++;
				atomic_store_explicit(&w->ping, seq, memory_order_release);
				if (sleep)
					(void)futex(&w->ping, FUTEX_WAKE, 1);
				while (atomic_load_explicit(&w->pong, memory_order_acquire) != seq)
					if (sleep)
						(void)futex(&w->pong, FUTEX_WAIT, seq - 1);
			}
			smp[k] = (double)(bench_now_ns() - t0) / (double)group;
		}
		if (b >= 0) { /* batch -1 warms up */
			qsort(smp, (size_t)nsamples, sizeof(*smp), cmp_d);
			v[b] = smp[nsamples / 2];
		}
	}
	atomic_store(&w->stop, 1);
	atomic_fetch_add(&w->ping, 1);
	(void)futex(&w->ping, FUTEX_WAKE, 1);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	munmap(w, sizeof(*w));
	free(smp);
	batch_figure(v, BATCHES, f, false);
	return 0;
}

static void
syscall_floor(long per_batch, struct bench_floor *f)
{
	double v[BATCHES];
	int b;

	for (b = 0; b < BATCHES; b++) {
		int64_t t0 = bench_now_ns();
		long i;
		for (i = 0; i < per_batch; i++)
			(void)syscall(SYS_getppid);
		v[b] = (double)(bench_now_ns() - t0) / (double)per_batch;
	}
	batch_figure(v, BATCHES, f, false);
}

/* MB/s of memcpy at size: the two buffers stay in whatever cache fits them. */
static int
memcpy_floor(size_t size, int64_t batch_ns, struct bench_floor *f)
{
	/* Page-aligned: two malloc blocks a few bytes off a page apart can
	 * make the CPU's string copy many times slower (seen on AMD Zen),
	 * which would be a floor of the allocator, not of the machine. */
	uint8_t *a = aligned_alloc(4096, size), *c = aligned_alloc(4096, size);
	volatile uint8_t sink = 0;
	double v[BATCHES];
	int b;

	if (a == NULL || c == NULL) {
		free(a);
		free(c);
		return -ENOMEM;
	}
	memset(a, 0x5a, size);
	memset(c, 0xa5, size);
	for (b = -1; b < BATCHES; b++) {
		int64_t t0 = bench_now_ns(), t;
		long n = 0;
		do {
			memcpy(n & 1 ? a : c, n & 1 ? c : a, size);
			n++;
			t = bench_now_ns();
		} while (t - t0 < batch_ns);
		sink ^= a[n % size];
		if (b >= 0)
			v[b] = (double)n * (double)size / ((double)(t - t0) / 1e9) / 1e6;
	}
	(void)sink;
	free(a);
	free(c);
	batch_figure(v, BATCHES, f, true);
	return 0;
}

void
bench_floors_measure(struct bench_floors *fl, const struct bench_opts *o,
                     const struct bench_env *env)
{
	long rt = o->quick ? 2000 : 20000;

	memset(fl, 0, sizeof(*fl));
	fl->measured = true;
	if (env->cpu_rx >= 0 && env->cpu_rx != env->cpu_tx) {
		(void)round_trips(false, env->cpu_rx, rt * 5, 50, &fl->cacheline_ns);
		(void)round_trips(true, env->cpu_rx, rt, 1, &fl->futex_ns);
	} else if (o->pin == PIN_SAME && env->pinned) {
		/* Both on one CPU: spinning would only wait for the scheduler. */
		(void)round_trips(true, env->cpu_rx, rt, 1, &fl->futex_ns);
	} else {
		(void)round_trips(false, -1, rt * 5, 50, &fl->cacheline_ns);
		(void)round_trips(true, -1, rt, 1, &fl->futex_ns);
	}
	syscall_floor(rt * 20, &fl->syscall_ns);
	(void)memcpy_floor(64 << 10, o->quick ? 3000000 : 20000000, &fl->memcpy64k_mbs);
	(void)memcpy_floor(1 << 20, o->quick ? 3000000 : 20000000, &fl->memcpy1m_mbs);
}
