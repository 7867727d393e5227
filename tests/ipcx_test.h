/* SPDX-License-Identifier: MIT */
/*
 * ipcx_test.h - the test harness every test program includes.
 *
 * A test program defines TEST_LIST { {"name", fn}, ..., {NULL, NULL} } and
 * includes this header once with IPCX_TEST_MAIN defined.  Each test runs in
 * its own forked process (so leaked descriptors, signal masks and kernel
 * objects cannot poison the next one), under a watchdog, with its own
 * scratch directory and its own registry directory (IPCX_REGISTRY_DIR),
 * both removed by the parent afterwards whatever the test did.
 *
 *   prog            run every test
 *   prog NAME...    run the named tests (substring match)
 *   prog --list     list them
 *
 * Exit status: 0 all passed, 1 a failure, 7 every selected test skipped
 * (CTest's SKIP_RETURN_CODE).  IPCX_TEST_TIMEOUT (seconds, default 60)
 * bounds each test; sanitizer builds double it through the environment.
 */
#ifndef IPCX_TEST_H
#define IPCX_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcx.h"

#define TEST_SKIP_CODE 7

struct ipcx_test {
	const char *name;
	void (*fn)(void);
};

#define TEST_LIST const struct ipcx_test ipcx_test_list[]
extern const struct ipcx_test ipcx_test_list[];

/* The scratch directory of the running test (mode 0755, removed after). */
extern char ipcx_test_dir[];

#define IPCX_TEST_FAILF(...)                                                     \
	do {                                                                     \
		fprintf(stderr, "  FAIL %s:%d: ", __FILE__, __LINE__);            \
		fprintf(stderr, __VA_ARGS__);                                    \
		fprintf(stderr, "\n");                                           \
		_exit(1);                                                        \
	} while (0)

/* expr must return 0 (or, for counts, >= 0). */
#define IPCX_PASS(expr)                                                          \
	do {                                                                     \
		long long ipcx_r_ = (long long)(expr);                           \
		if (ipcx_r_ < 0)                                                 \
			IPCX_TEST_FAILF("%s -> %lld %s (%s)", #expr, ipcx_r_,    \
			                ipcx_errname((int)ipcx_r_),              \
			                ipcx_strerror((int)ipcx_r_));            \
	} while (0)

/* expr must return exactly code. */
#define IPCX_FAIL(expr, code)                                                    \
	do {                                                                     \
		long long ipcx_r_ = (long long)(expr), ipcx_c_ = (long long)(code); \
		if (ipcx_r_ != ipcx_c_)                                          \
			IPCX_TEST_FAILF("%s -> %lld %s, expected %lld %s", #expr,  \
			                ipcx_r_, ipcx_errname((int)ipcx_r_),     \
			                ipcx_c_, ipcx_errname((int)ipcx_c_));    \
	} while (0)

#define ASSERT_TRUE(c)                                                           \
	do {                                                                     \
		if (!(c))                                                        \
			IPCX_TEST_FAILF("expected %s", #c);                      \
	} while (0)

#define ASSERT_CMP(a, op, b)                                                     \
	do {                                                                     \
		long long ipcx_a_ = (long long)(a), ipcx_b_ = (long long)(b);    \
		if (!(ipcx_a_ op ipcx_b_))                                       \
			IPCX_TEST_FAILF("%s %s %s: %lld vs %lld", #a, #op, #b,   \
			                ipcx_a_, ipcx_b_);                       \
	} while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP(a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP(a, <=, b)
#define ASSERT_GE(a, b) ASSERT_CMP(a, >=, b)

#define ASSERT_STREQ(a, b)                                                       \
	do {                                                                     \
		const char *ipcx_a_ = (a), *ipcx_b_ = (b);                       \
		if (strcmp(ipcx_a_, ipcx_b_) != 0)                               \
			IPCX_TEST_FAILF("%s == %s: \"%s\" vs \"%s\"", #a, #b,     \
			                ipcx_a_, ipcx_b_);                       \
	} while (0)

#define ASSERT_MEMEQ(a, b, n)                                                    \
	do {                                                                     \
		if (memcmp((a), (b), (n)) != 0)                                  \
			IPCX_TEST_FAILF("%s and %s differ in %zu bytes", #a, #b,  \
			                (size_t)(n));                            \
	} while (0)

#define TEST_SKIP(...)                                                           \
	do {                                                                     \
		fprintf(stderr, "  SKIP: ");                                     \
		fprintf(stderr, __VA_ARGS__);                                    \
		fprintf(stderr, "\n");                                           \
		_exit(TEST_SKIP_CODE);                                           \
	} while (0)

/* Milliseconds on CLOCK_MONOTONIC. */
static inline int64_t
ipcx_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A unique scratch address for scheme: a path in the test's directory for
 * fifo/unix, an abstract name for "unix@", port 0 on loopback for tcp, a
 * queue name or key made of the pid for mq/sysvmq, "signal:self",
 * and a name or key made of the test's pid for shm/sysvshm (removed after the
 * test through its registry entry, if the test did not).
 * Returns a static buffer (one per call slot; up to 8 live at once).
 */
const char *ipcx_test_uri(const char *scheme, const char *query);

/* Fork a helper process running fn(arg), which must return 0 for success.
 * The helper is killed if the test's watchdog fires.  Returns its pid. */
pid_t ipcx_test_peer(int (*fn)(void *arg), void *arg);

/* Wait for a helper and assert it exited 0 (within timeout_ms; -1 = no
 * limit beyond the watchdog). */
void ipcx_test_wait(pid_t pid, int timeout_ms);

/* Fill buf with a pattern that depends on seed and position. */
void ipcx_test_fill(void *buf, size_t n, uint32_t seed);
/* Check such a pattern; returns true if it matches. */
bool ipcx_test_check(const void *buf, size_t n, uint32_t seed);

/* Number of entries in the test's registry directory. */
int ipcx_test_registry_count(void);

/* Descriptors this process has open, to see that something leaves none. */
int ipcx_test_fd_count(void);

/* Hang guard for the helpers below (ms): never a bound on speed. */
#define IPCX_TEST_TMO 30000

/* malloc that fails the test instead of returning NULL (n may be 0). */
void *ipcx_test_malloc(size_t n);

/* write(2) all n bytes to fd, or fail the test. */
void ipcx_test_write_full(int fd, const void *buf, size_t n);

/* Receive one message and assert it is exactly the string want. */
void ipcx_test_recv_str(ipcx_chan *ch, const char *want);
/* Send the string s as one message, or fail the test. */
void ipcx_test_send_str(ipcx_chan *ch, const char *s);

/* A one-byte signal line between a test and a helper process. */
struct ipcx_test_line {
	int fd[2];
};

void ipcx_test_line_open(struct ipcx_test_line *l);
void ipcx_test_line_put(struct ipcx_test_line *l, char c);
/* The next byte, waiting up to IPCX_TEST_TMO, or fail the test. */
char ipcx_test_line_get(struct ipcx_test_line *l);

#ifdef IPCX_TEST_MAIN

char ipcx_test_dir[256];
static pid_t ipcx_test_peers[64];
static int ipcx_test_npeers;

const char *
ipcx_test_uri(const char *scheme, const char *query)
{
	static char bufs[8][512];
	static int slot, seq;
	char *b = bufs[slot++ % 8];
	const char *q = query ? query : "";
	const char *sep = query ? "?" : "";

	seq++;
	if (strcmp(scheme, "tcp") == 0)
		snprintf(b, 512, "tcp:127.0.0.1:0%s%s", sep, q);
	else if (strcmp(scheme, "unix@") == 0)
		snprintf(b, 512, "unix:@ipcx-test-%d-%d%s%s", (int)getpid(), seq, sep, q);
	else if (strcmp(scheme, "pipe") == 0)
		snprintf(b, 512, "pipe:%s%s", sep, q);
	else if (strcmp(scheme, "mq") == 0)
		snprintf(b, 512, "mq:ipcx-test-%d-%d%s%s", (int)getpid(), seq, sep, q);
	else if (strcmp(scheme, "sysvmq") == 0) /* the pid makes it this test's own */
		snprintf(b, 512, "sysvmq:0x%08x%s%s",
		         0x40000000u | ((unsigned)getpid() & 0x3fffffu) << 8 | ((unsigned)seq & 0xffu),
		         sep, q);
	else if (strcmp(scheme, "signal") == 0)
		snprintf(b, 512, "signal:self%s%s", sep, q);
	else if (strcmp(scheme, "shm") == 0)
		snprintf(b, 512, "shm:ipcx-test-%d-%d%s%s", (int)getpid(), seq, sep, q);
	else if (strcmp(scheme, "sysvshm") == 0) /* pids fit 22 bits: unique among live tests */
		snprintf(b, 512, "sysvshm:0x%08x%s%s",
		         0x40000000u | (((unsigned)getpid() << 8) & 0x3fffff00u) | (seq & 0xffu),
		         sep, q);
	else
		snprintf(b, 512, "%s:%s/%s%d%s%s", scheme, ipcx_test_dir, scheme, seq, sep, q);
	return b;
}

pid_t
ipcx_test_peer(int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		IPCX_TEST_FAILF("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Die with the test rather than outlive it. */
		alarm(0);
		_exit(fn(arg) == 0 ? 0 : 1);
	}
	if (ipcx_test_npeers < 64)
		ipcx_test_peers[ipcx_test_npeers++] = pid;
	return pid;
}

void
ipcx_test_wait(pid_t pid, int timeout_ms)
{
	int64_t end = timeout_ms < 0 ? INT64_MAX : ipcx_test_now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0)
			IPCX_TEST_FAILF("waitpid(%d): %s", (int)pid, strerror(errno));
		if (ipcx_test_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			IPCX_TEST_FAILF("helper %d did not finish in %d ms", (int)pid,
			                timeout_ms);
		}
		usleep(1000);
	}
	if (WIFSIGNALED(status))
		IPCX_TEST_FAILF("helper %d killed by signal %d", (int)pid, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		IPCX_TEST_FAILF("helper %d exited %d", (int)pid, WEXITSTATUS(status));
}

void
ipcx_test_fill(void *buf, size_t n, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x ^ (uint32_t)i);
	}
}

bool
ipcx_test_check(const void *buf, size_t n, uint32_t seed)
{
	const uint8_t *p = buf;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (p[i] != (uint8_t)(x ^ (uint32_t)i))
			return false;
	}
	return true;
}

int
ipcx_test_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		IPCX_TEST_FAILF("opendir /proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

int
ipcx_test_registry_count(void)
{
	char path[512], cmd[600];
	FILE *f;
	int n = 0, c;

	snprintf(path, sizeof(path), "%s/.registry", ipcx_test_dir);
	snprintf(cmd, sizeof(cmd), "ls -A '%s' 2>/dev/null", path);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	pclose(f);
	return n;
}

void *
ipcx_test_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		IPCX_TEST_FAILF("out of memory (%zu bytes)", n);
	return p;
}

void
ipcx_test_write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			IPCX_TEST_FAILF("write: %s", w < 0 ? strerror(errno) : "wrote nothing");
		p += w;
		n -= (size_t)w;
	}
}

void
ipcx_test_recv_str(ipcx_chan *ch, const char *want)
{
	static char buf[65536];
	ssize_t r = ipcx_recv(ch, buf, sizeof(buf), IPCX_TEST_TMO);

	if (r < 0)
		IPCX_TEST_FAILF("recv (want \"%s\") -> %zd %s (%s)", want, r,
		                ipcx_errname((int)r), ipcx_errmsg(ch));
	if ((size_t)r != strlen(want) || memcmp(buf, want, (size_t)r) != 0)
		IPCX_TEST_FAILF("received \"%.*s\", want \"%s\"", (int)r, buf, want);
}

void
ipcx_test_send_str(ipcx_chan *ch, const char *s)
{
	IPCX_PASS(ipcx_send(ch, s, strlen(s), IPCX_TEST_TMO));
}

void
ipcx_test_line_open(struct ipcx_test_line *l)
{
	ASSERT_EQ(pipe2(l->fd, O_CLOEXEC), 0);
}

void
ipcx_test_line_put(struct ipcx_test_line *l, char c)
{
	ipcx_test_write_full(l->fd[1], &c, 1);
}

char
ipcx_test_line_get(struct ipcx_test_line *l)
{
	struct pollfd p = { l->fd[0], POLLIN, 0 };
	char c;

	if (poll(&p, 1, IPCX_TEST_TMO) <= 0 || read(l->fd[0], &c, 1) != 1)
		IPCX_TEST_FAILF("no word from the other process");
	return c;
}

static int
ipcx_test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void
ipcx_test_rmtree(const char *dir)
{
	(void)nftw(dir, ipcx_test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Remove the message queues a test named with ipcx_test_uri() and left
 * behind by failing: the System V key and the POSIX name both carry the
 * pid of the test process (never another's: a key of someone else's that
 * merely looks like one is left alone), the name a sequence number too.
 * /dev/mqueue may not be mounted, so names are tried, not listed.  Returns
 * how many there were.
 */
static int
ipcx_test_sweep_queues(pid_t test_pid, bool report)
{
	struct msqid_ds ds;
	int i, n, seq, left = 0;
	char name[64];

	n = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&(struct msginfo){ 0 });
	for (i = 0; i <= n; i++) {
		int id = msgctl(i, MSG_STAT_ANY, &ds);
		unsigned key = (unsigned)ds.msg_perm.__key;
		pid_t owner = (pid_t)((key >> 8) & 0x3fffffu);

		if (id < 0 || (key & 0xc0000000u) != 0x40000000u)
			continue;
		if (owner == test_pid && msgctl(id, IPC_RMID, NULL) == 0) {
			if (report)
				fprintf(stderr, "  left behind: System V queue 0x%08x\n", key);
			left++;
		}
	}
	for (seq = 1; seq <= 1024; seq++) {
		snprintf(name, sizeof(name), "/ipcx-test-%d-%d", (int)test_pid, seq);
		if (mq_unlink(name) == 0) {
			if (report)
				fprintf(stderr, "  left behind: POSIX queue %s\n", name);
			left++;
		}
	}
	return left;
}

/* Objects outside the scratch directory (/dev/shm, System V) that a failed
 * test left: each has its registry entry, which names it.  Returns how
 * many of them were message queues. */
static int
ipcx_test_unlink_registered(const char *reg)
{
	char path[600], line[4400];
	struct dirent *e;
	DIR *d = opendir(reg);
	int queues = 0;
	FILE *f;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", reg, e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(line, sizeof(line), f) != NULL && strncmp(line, "uri=", 4) == 0) {
			line[strcspn(line, "\n")] = '\0';
			if (ipcx_unlink(line + 4) == 0 && (strncmp(line + 4, "mq:", 3) == 0 ||
			                                   strncmp(line + 4, "sysvmq:", 7) == 0)) {
				fprintf(stderr, "  left behind: %s\n", line + 4);
				queues++;
			}
		}
		fclose(f);
	}
	closedir(d);
	return queues;
}

static int
ipcx_test_run_one(const struct ipcx_test *t, int timeout_s)
{
	char reg[300];
	pid_t pid;
	int status, left, go[2];

	snprintf(ipcx_test_dir, sizeof(ipcx_test_dir), "/tmp/ipcx-test-XXXXXX");
	if (mkdtemp(ipcx_test_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	/* Tests that drop privileges need to reach their sockets and FIFOs. */
	chmod(ipcx_test_dir, 0755);
	snprintf(reg, sizeof(reg), "%s/.registry", ipcx_test_dir);
	setenv("IPCX_REGISTRY_DIR", reg, 1);
	fflush(NULL);
	if (pipe2(go, O_CLOEXEC) < 0) {
		perror("pipe2");
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		char c;

		/* The test's own process group, so the watchdog can kill the
		 * test and every helper it forked. */
		setpgid(0, 0);
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		close(go[0]);
		alarm((unsigned)timeout_s);
		t->fn();
		_exit(0);
	}
	setpgid(pid, pid);
	/* Queues named after this pid before the test starts are a dead
	 * process's (another run's, whose pid this one reuses): not this
	 * test's leftovers. */
	(void)ipcx_test_sweep_queues(pid, false);
	close(go[0]);
	(void)!write(go[1], "g", 1);
	close(go[1]);
	waitpid(pid, &status, 0);
	kill(-pid, SIGKILL); /* helpers left behind by a failed test */
	while (waitpid(-pid, NULL, WNOHANG) > 0)
		;
	left = ipcx_test_unlink_registered(reg);
	ipcx_test_rmtree(ipcx_test_dir);
	left += ipcx_test_sweep_queues(pid, true);
	/* A test that passed must have removed every queue it made: the
	 * suite leaves nothing in ipcs -q or /dev/mqueue. */
	if (left > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		fprintf(stderr, "  FAIL: the test passed but left message queues behind\n");
		return 1;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "  FAIL: killed by signal %d%s\n", WTERMSIG(status),
		        WTERMSIG(status) == SIGALRM ? " (watchdog: test took too long)" : "");
		return 1;
	}
	return WEXITSTATUS(status);
}

int
main(int argc, char **argv)
{
	const struct ipcx_test *t;
	const char *env = getenv("IPCX_TEST_TIMEOUT");
	int timeout_s = env ? atoi(env) : 60, failed = 0, passed = 0, skipped = 0, i;

	if (timeout_s <= 0)
		timeout_s = 60;
	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (t = ipcx_test_list; t->name; t++)
			printf("%s\n", t->name);
		return 0;
	}
	for (t = ipcx_test_list; t->name; t++) {
		bool selected = argc < 2;
		int rc;
		for (i = 1; i < argc; i++)
			if (strstr(t->name, argv[i]) != NULL)
				selected = true;
		if (!selected)
			continue;
		printf("%-60s ", t->name);
		fflush(stdout);
		rc = ipcx_test_run_one(t, timeout_s);
		if (rc == 0) {
			printf("ok\n");
			passed++;
		} else if (rc == TEST_SKIP_CODE) {
			printf("skipped\n");
			skipped++;
		} else {
			printf("FAILED\n");
			failed++;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	if (failed)
		return 1;
	return (passed == 0 && skipped > 0) ? TEST_SKIP_CODE : 0;
}
#endif /* IPCX_TEST_MAIN */
#endif /* IPCX_TEST_H */
