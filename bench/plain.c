/* SPDX-License-Identifier: MIT */
/*
 * plain.c - a ping-pong and a stream in plain C, with no benchmark engine
 * and no ipcx: the check that the bare rows of `ipcx bench` measure the
 * mechanism and not the engine.
 *
 *   ipcx-bench-plain pipe|unix|tcp SIZE COUNT
 *
 * Two processes pinned to CPUs 0 and 1, blocking write/read (send/recv on
 * sockets), COUNT round trips of SIZE bytes (p50), then COUNT messages one
 * way (MB/s, from the first write to the receiver's one-byte answer).  No
 * message is checked here: this is the floor the bare rows should meet.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void
pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof(s), &s) < 0)
		perror("sched_setaffinity");
}

static void
get(int fd, char *b, size_t n)
{
	size_t d = 0;

	while (d < n) {
		ssize_t r = read(fd, b + d, n - d);
		if (r <= 0)
			exit(1);
		d += (size_t)r;
	}
}

static void
put(int fd, const char *b, size_t n)
{
	size_t d = 0;

	while (d < n) {
		ssize_t w = write(fd, b + d, n - d);
		if (w <= 0)
			exit(1);
		d += (size_t)w;
	}
}

static int
cmp(const void *x, const void *y)
{
	long long a = *(const long long *)x, b = *(const long long *)y;

	return (a > b) - (a < b);
}

/* fds: the parent's receive and send ends, then the child's. */
static int
open_mech(const char *m, int fds[4])
{
	int a[2], b[2], one = 1;

	if (strcmp(m, "pipe") == 0) {
		if (pipe(a) < 0 || pipe(b) < 0)
			return -1;
		fds[0] = b[0], fds[1] = a[1], fds[2] = a[0], fds[3] = b[1];
		return 0;
	}
	if (strcmp(m, "unix") == 0) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, a) < 0)
			return -1;
		fds[0] = fds[1] = a[0], fds[2] = fds[3] = a[1];
		return 0;
	}
	if (strcmp(m, "tcp") == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t len = sizeof(sa);
		int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
		    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (s = accept(l, NULL, NULL)) < 0)
			return -1;
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		close(l);
		fds[0] = fds[1] = s, fds[2] = fds[3] = c;
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	int fds[4];
	size_t n;
	long count, i;
	long long *ns, t0, t1;
	char *buf;

	if (argc != 4 || (n = strtoul(argv[2], NULL, 10)) == 0 ||
	    (count = strtol(argv[3], NULL, 10)) <= 0 || open_mech(argv[1], fds) < 0) {
		fprintf(stderr, "usage: %s pipe|unix|tcp SIZE COUNT\n", argv[0]);
		return 2;
	}
	buf = calloc(1, n);
	ns = malloc(sizeof(*ns) * (size_t)count);
	if (buf == NULL || ns == NULL)
		return 1;
	if (fork() == 0) {
		pin(1);
		for (i = 0; i < count; i++) {
			get(fds[2], buf, n);
			put(fds[3], buf, n);
		}
		for (i = 0; i < count; i++)
			get(fds[2], buf, n);
		put(fds[3], buf, 1);
		_exit(0);
	}
	pin(0);
	for (i = 0; i < count; i++) {
		t0 = now_ns();
		put(fds[1], buf, n);
		get(fds[0], buf, n);
		ns[i] = now_ns() - t0;
	}
	t0 = now_ns();
	for (i = 0; i < count; i++)
		put(fds[1], buf, n);
	get(fds[0], buf, 1);
	t1 = now_ns();
	qsort(ns, (size_t)count, sizeof(*ns), cmp);
	printf("%s %zu bytes: round trip p50 %.2f us, one way %.1f MB/s, %.0f msg/s\n", argv[1], n,
	       (double)ns[count / 2] / 1e3, (double)n * (double)count / ((double)(t1 - t0) / 1e3),
	       (double)count * 1e9 / (double)(t1 - t0));
	wait(NULL);
	return 0;
}
