/* SPDX-License-Identifier: MIT */
/*
 * sysvmq_wait_cost.c - what the back-off of a sysvmq: wait costs, beside a
 * plain blocking msgrcv(2): the wake-ups per second of a receiver that
 * waits on an empty queue, and the latency a message sees when it arrives
 * after the receiver has waited for a while (the figures of
 * ipcx-sysvmq(7)).  A measurement, not a test: it prints, asserts nothing,
 * and is not run by the suite.
 *
 *   sysvmq_wait_cost [ROUNDS]      (default 20 per idle spell)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcx.h"
#include "ipcx_shared.h"

struct shared {
	volatile int64_t sent_ns, got_ns;
	volatile int ready;
};

static void
sleep_ns(int64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000), (long)(ns % 1000000000) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Context switches of pid so far: each one is a wake-up of a sleeper. */
static long
switches(pid_t pid)
{
	char path[64], line[128];
	long v = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
			v += n;
	fclose(f);
	return v;
}

/* The receiver: one message at a time, its arrival time noted. */
static void
receiver(bool bare, const char *uri, int qid, struct shared *sh, int count)
{
	struct {
		long mtype;
		char text[64];
	} m;
	ipcx_chan *ch = NULL;
	char buf[64];
	int k;

	if (!bare && ipcx_join(&ch, uri, 0) < 0)
		_exit(1);
	sh->ready = 1;
	for (k = 0; k < count; k++) {
		if (bare) {
			while (msgrcv(qid, &m, sizeof(m.text), 0, 0) < 0 && errno == EINTR)
				;
		} else if (ipcx_recv(ch, buf, sizeof(buf), -1) < 0) {
			_exit(1);
		}
		sh->got_ns = ipcx_shared_now_ns();
	}
	ipcx_close(ch);
	_exit(0);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
measure(bool bare, const char *uri, int qid, int rounds)
{
	static const int64_t spells_ns[] = { 0, 100000, 1000000, 10000000, 100000000,
		                             1000000000 };
	const int nspell = (int)(sizeof(spells_ns) / sizeof(spells_ns[0]));
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct {
		long mtype;
		char text[8];
	} m = { 1, "x" };
	int64_t *lat = calloc((size_t)rounds, sizeof(*lat));
	long s0, s1;
	pid_t pid;
	int i, k;

	pid = fork();
	if (pid == 0)
		receiver(bare, uri, qid, sh, 1 + nspell * rounds);
	while (!sh->ready)
		sleep_ns(1000000);
	/* Idle: the receiver waits on an empty queue for 2 s, after 1 s. */
	sleep_ns(1000000000);
	s0 = switches(pid);
	sleep_ns(2000000000);
	s1 = switches(pid);
	printf("%-10s idle receiver: %.0f wake-ups per second\n", bare ? "msgrcv" : "sysvmq:",
	       (double)(s1 - s0) / 2.0);
	/* Wake the receiver from its long wait, then the spells. */
	sh->got_ns = 0;
	msgsnd(qid, &m, 1, 0);
	while (sh->got_ns == 0)
		sleep_ns(100000);
	for (i = 0; i < nspell; i++) {
		int n = spells_ns[i] >= 100000000 ? (rounds < 5 ? rounds : 5) : rounds;

		for (k = 0; k < n; k++) {
			int64_t sent;

			sh->got_ns = 0;
			sleep_ns(spells_ns[i]);
			sent = ipcx_shared_now_ns();
			msgsnd(qid, &m, 1, 0);
			while (sh->got_ns == 0)
				;
			lat[k] = sh->got_ns - sent;
		}
		qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
		printf("%-10s after %7.1f ms idle: latency median %7.1f us, max %7.1f us (%d)\n",
		       bare ? "msgrcv" : "sysvmq:", (double)spells_ns[i] / 1e6,
		       (double)lat[n / 2] / 1e3, (double)lat[n - 1] / 1e3, n);
		/* The rest of this spell's messages, so the counts line up. */
		for (; k < rounds; k++) {
			sh->got_ns = 0;
			msgsnd(qid, &m, 1, 0);
			while (sh->got_ns == 0)
				;
		}
	}
	waitpid(pid, NULL, 0);
	free(lat);
	munmap(sh, sizeof(*sh));
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	char uri[64];
	ipcx_chan *c;
	int qid;

	if (rounds < 1)
		rounds = 1;
	snprintf(uri, sizeof(uri), "sysvmq:0x%08x", 0x3a000000u | ((unsigned)getpid() & 0xffffff));
	if (ipcx_create(&c, uri, IPCX_EXCL) < 0) {
		fprintf(stderr, "cannot create %s: %s\n", uri, ipcx_errmsg(NULL));
		return 1;
	}
	qid = msgget(0x3a000000 | (getpid() & 0xffffff), 0);
	measure(true, uri, qid, rounds);
	measure(false, uri, qid, rounds);
	ipcx_close(c);
	return 0;
}
