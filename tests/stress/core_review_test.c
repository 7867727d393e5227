/* SPDX-License-Identifier: MIT */
/*
 * core_review_test.c - regressions found reviewing the core's stream path:
 * adopted descriptors that cannot be opened again without changing what
 * they name, the SIGPIPE guard's view of a mask the program changed, and
 * the direct read path against a peer that writes frames in arbitrary
 * pieces.  Real kernel objects, two processes, every byte checked.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <pty.h>
#include <termios.h>

#include "core/deadline.h"
#include "core/transport.h"

/* Read exactly n bytes from fd within IPCX_TEST_TMO, or fail. */
static void
read_exact(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t k;

		if (poll(&pf, 1, IPCX_TEST_TMO) <= 0)
			IPCX_TEST_FAILF("nothing to read on %d (%zu bytes missing)", fd, n);
		k = read(fd, p, n);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			IPCX_TEST_FAILF("read: %s", k < 0 ? strerror(errno) : "end of file");
		p += k;
		n -= (size_t)k;
	}
}

/*
 * A pseudo-terminal master adopted with pipe:FD.  Opening a ptmx master
 * again (through /proc/self/fd) does not reach the same terminal: it makes
 * a new one.  What the channel sends must reach the slave, and what the
 * slave writes must reach the channel.
 */
static void
ptmx_master_adopted(void)
{
	struct termios tio;
	char uri[48], buf[64];
	ipcx_chan *ch;
	int m, s, dm;

	if (openpty(&m, &s, NULL, NULL, NULL) < 0)
		TEST_SKIP("openpty: %s", strerror(errno));
	ASSERT_EQ(tcgetattr(s, &tio), 0);
	cfmakeraw(&tio);
	ASSERT_EQ(tcsetattr(s, TCSANOW, &tio), 0);
	dm = dup(m);
	ASSERT_GE(dm, 0);
	snprintf(uri, sizeof(uri), "pipe:%d?framing=raw", dm);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	IPCX_PASS(ipcx_send(ch, "to-slave", 8, IPCX_TEST_TMO));
	read_exact(s, buf, 8);
	ASSERT_MEMEQ(buf, "to-slave", 8);
	ipcx_test_write_full(s, "to-master", 9);
	{
		size_t got = 0;
		while (got < 9) {
			ssize_t r = ipcx_recv(ch, buf + got, sizeof(buf) - got, IPCX_TEST_TMO);
			if (r < 0)
				IPCX_TEST_FAILF("recv on the adopted master: %s", ipcx_errname((int)r));
			got += (size_t)r;
		}
		ASSERT_EQ(got, 9);
		ASSERT_MEMEQ(buf, "to-master", 9);
	}
	/* The master stays as the program had it: blocking. */
	ASSERT_EQ(fcntl(m, F_GETFL) & O_NONBLOCK, 0);
	ipcx_close(ch);
	close(s);
	close(m);
}

static bool
sigpipe_blocked_here(void)
{
	sigset_t cur;

	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, SIGPIPE) == 1;
}

/*
 * The program had SIGPIPE blocked at ipcx's first pipe write (a critical
 * section, a library that blocks it around its own work), then unblocked
 * it.  A later ipcx write to a pipe whose reader has gone must still be
 * -EPIPE, not the death of the process.
 */
static int
unblocked_later_child(void *arg)
{
	sigset_t set;
	ipcx_chan *a, *b;
	char buf[8];

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return 1;
	if (ipcx_pair("pipe:", &a, &b) != 0 || ipcx_send(a, "hi", 2, 1000) != 0 ||
	    ipcx_recv(b, buf, sizeof(buf), 1000) != 2)
		return 2;
	if (pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0)
		return 3;
	ipcx_close(b);
	if (ipcx_send(a, "lost", 4, 1000) != -EPIPE)
		return 4;
	ipcx_close(a);
	/* The mask is the program's again: unblocked, nothing pending. */
	return sigpipe_blocked_here() ? 5 : 0;
}

static void
program_unblocked_later(void)
{
	ipcx_test_wait(ipcx_test_peer(unblocked_later_child, NULL), IPCX_TEST_TMO);
}


/* ---- the direct read path against a peer that writes in pieces -------- */

#define NMSG 3000

static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Message i's length: mostly small, some around the read-ahead chunk and
 * the pipe's size, a few large. */
static size_t
msg_len(uint32_t i, bool line)
{
	uint32_t x = i * 7919u + 13, k = rnd(&x) % 100;

	if (k < 60)
		return rnd(&x) % 64;
	if (k < 85)
		return rnd(&x) % 5000;
	/* Exact streams read a line a byte at a time: keep lines short. */
	if (line)
		return rnd(&x) % 300;
	if (k < 97)
		return 60000 + rnd(&x) % 10000;
	return 200000 + rnd(&x) % 100000;
}

struct piece_writer {
	int fd;
	bool line;
};

/* Write every message framed (len: header; line: '\n' after) straight to
 * the descriptor, in pieces of random size from 1 byte up, with pauses. */
static int
piece_writer(void *arg)
{
	struct piece_writer *w = arg;
	size_t cap = 400000, n = 0, off = 0;
	uint8_t *out = malloc(cap);
	uint32_t x = 12345, i;

	if (out == NULL)
		return 1;
	for (i = 0; i < NMSG; i++) {
		size_t len = msg_len(i, w->line);
		if (n + len + 5 > cap) {
			/* flush what is built so far */
			while (off < n) {
				size_t k = 1 + rnd(&x) % (rnd(&x) % 4 == 0 ? 7 : 70000);
				if (k > n - off)
					k = n - off;
				ipcx_test_write_full(w->fd, out + off, k);
				off += k;
				if (rnd(&x) % 16 == 0)
					usleep(rnd(&x) % 2000);
			}
			n = off = 0;
		}
		if (!w->line) {
			out[n++] = (uint8_t)(len >> 24);
			out[n++] = (uint8_t)(len >> 16);
			out[n++] = (uint8_t)(len >> 8);
			out[n++] = (uint8_t)len;
			ipcx_test_fill(out + n, len, i);
		} else {
			size_t j;
			for (j = 0; j < len; j++)
				out[n + j] = (uint8_t)('a' + (i + j) % 26);
		}
		n += len;
		if (w->line)
			out[n++] = '\n';
	}
	while (off < n) {
		size_t k = 1 + rnd(&x) % 3000;
		if (k > n - off)
			k = n - off;
		ipcx_test_write_full(w->fd, out + off, k);
		off += k;
	}
	free(out);
	return 0;
}

struct waker {
	ipcx_chan *ch;
	atomic_bool stop;
};

static void *
waker_thread(void *arg)
{
	struct waker *w = arg;

	while (!atomic_load(&w->stop)) {
		usleep(700);
		ipcx_wake(w->ch);
	}
	return NULL;
}

/*
 * Receive NMSG messages with buffers that are too small, exact, or far
 * larger, timeouts of 0, 1 ms and longer, and wakes from another thread,
 * and check every byte of every message, in order; then end of stream.
 */
static void
pieces_recv_all(ipcx_chan *ch, bool line)
{
	size_t bufcap = 400000;
	uint8_t *buf = ipcx_test_malloc(bufcap);
	struct waker wk = { .ch = ch };
	uint32_t x = 777, i;
	pthread_t t;
	ssize_t r;

	ASSERT_EQ(pthread_create(&t, NULL, waker_thread, &wk), 0);
	for (i = 0; i < NMSG; i++) {
		size_t len = msg_len(i, line), cap;
		int tmo;

		for (;;) {
			uint32_t k = rnd(&x) % 10;
			cap = k < 2 && len > 0 ? rnd(&x) % len
			      : k < 5      ? len
			      : k < 8      ? len + rnd(&x) % 100
			                   : bufcap;
			k = rnd(&x) % 4;
			tmo = k == 0 ? 0 : k == 1 ? 1 : k == 2 ? 50 : IPCX_TEST_TMO;
			memset(buf, 0xEE, cap < bufcap ? cap + 1 : bufcap);
			r = ipcx_recv(ch, buf, cap, tmo);
			if (r == -EAGAIN || r == -ETIMEDOUT || r == -ECANCELED)
				continue;
			if (r == -EMSGSIZE && cap < len)
				continue;
			break;
		}
		if (r < 0)
			IPCX_TEST_FAILF("message %u (%zu bytes, cap %zu): %s (%s)", i, len, cap,
			                ipcx_errname((int)r), ipcx_errmsg(ch));
		if ((size_t)r != len)
			IPCX_TEST_FAILF("message %u: %zd bytes, want %zu", i, r, len);
		if (!line && !ipcx_test_check(buf, len, i))
			IPCX_TEST_FAILF("message %u (%zu bytes): wrong bytes", i, len);
		if (line) {
			size_t j;
			for (j = 0; j < len; j++)
				if (buf[j] != (uint8_t)('a' + (i + j) % 26))
					IPCX_TEST_FAILF("line %u: wrong byte at %zu", i, j);
		}
	}
	atomic_store(&wk.stop, true);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	do
		r = ipcx_recv(ch, buf, bufcap, IPCX_TEST_TMO);
	while (r == -ECANCELED);
	IPCX_FAIL(r, IPCX_EOF);
	free(buf);
}

static void
pieces_run(int rfd, int wfd, const char *query, bool line)
{
	struct piece_writer w = { .fd = wfd, .line = line };
	char uri[64];
	ipcx_chan *ch;
	pid_t pid;

	pid = ipcx_test_peer(piece_writer, &w);
	close(wfd);
	snprintf(uri, sizeof(uri), "pipe:%d%s%s", rfd, query ? "?" : "", query ? query : "");
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	pieces_recv_all(ch, line);
	ipcx_close(ch);
	ipcx_test_wait(pid, -1);
}

/* An inherited pipe: exact reads, the payload straight into the buffer. */
static void
pieces_pipe_exact(void)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	pieces_run(p[0], p[1], "max=1M", false);
}

/* An inherited socket: one readv of header, buffer and read-ahead. */
static void
pieces_socket_direct(void)
{
	int sv[2];

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pieces_run(sv[0], sv[1], "max=1M", false);
}

static void
pieces_socket_line(void)
{
	int sv[2];

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pieces_run(sv[0], sv[1], "max=1M&framing=line", true);
}

static void
pieces_pipe_line(void)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	pieces_run(p[0], p[1], "max=1M&framing=line", true);
}

/*
 * An ipcx sender whose sends are woken from another thread and often have
 * timeout 0: a send that answers -ECANCELED or -EAGAIN wrote nothing and
 * is repeated; one that answers 0 was accepted whole (the rest, if any,
 * owned by the channel).  The receiver sees every message exactly once.
 */
static int
wakeful_sender(void *arg)
{
	ipcx_chan *ch = arg;
	size_t cap = 400000;
	uint8_t *buf = malloc(cap);
	struct waker wk = { .ch = ch };
	uint32_t x = 4242, i;
	pthread_t t;
	int rc;

	if (buf == NULL || pthread_create(&t, NULL, waker_thread, &wk) != 0)
		return 1;
	for (i = 0; i < NMSG; i++) {
		size_t len = msg_len(i, false);
		ipcx_test_fill(buf, len, i);
		do {
			uint32_t k = rnd(&x) % 3;
			rc = ipcx_send(ch, buf, len, k == 0 ? 0 : IPCX_TEST_TMO);
			if (rc == -ETIMEDOUT || rc == -EAGAIN)
				usleep(100);
		} while (rc == -ECANCELED || rc == -EAGAIN || rc == -ETIMEDOUT);
		if (rc != 0) {
			fprintf(stderr, "send %u: %s (%s)\n", i, ipcx_errname(rc), ipcx_errmsg(ch));
			return 2;
		}
		/* Sometimes push out what a timeout-0 send left. */
		if (rnd(&x) % 8 == 0) {
			do
				rc = ipcx_flush(ch, IPCX_TEST_TMO);
			while (rc == -ECANCELED);
			if (rc != 0)
				return 3;
		}
	}
	atomic_store(&wk.stop, true);
	pthread_join(t, NULL);
	free(buf);
	return ipcx_close(ch) == 0 ? 0 : 4;
}

static void
wakeful_run(const char *uri)
{
	ipcx_chan *a, *b;
	pid_t pid;

	IPCX_PASS(ipcx_pair(uri, &a, &b));
	pid = ipcx_test_peer(wakeful_sender, a);
	ipcx_close(a);
	pieces_recv_all(b, false);
	ipcx_close(b);
	ipcx_test_wait(pid, -1);
}

static void
wakeful_pipe_pair(void)
{
	wakeful_run("pipe:?max=1M");
}

static void
wakeful_unix_pair(void)
{
	wakeful_run("unix:?max=1M");
}

/* ---- ipcx__wait_futex ------------------------------------------------ */

static void
on_signal(int sig)
{
	(void)sig;
}

struct futex_race {
	ipcx_chan *ch;
	_Atomic uint32_t word;
	atomic_uint waiting; /* rounds the waiter has begun */
	atomic_uint woken;   /* rounds the waker has woken */
	int rounds;
	int bad;
};

static void *
futex_waker(void *arg)
{
	struct futex_race *f = arg;
	uint32_t x = 99;
	int i;

	for (i = 1; i <= f->rounds; i++) {
		while (atomic_load(&f->waiting) < (unsigned)i)
			;
		/* Land anywhere in the waiter's way into the futex. */
		for (unsigned k = rnd(&x) % 2000; k > 0; k--)
			atomic_signal_fence(memory_order_seq_cst);
		ipcx_wake(f->ch);
		atomic_store(&f->woken, (unsigned)i);
	}
	return NULL;
}

/*
 * Every ipcx_wake ends the futex wait it races with, wherever it lands:
 * just before the waiter publishes its word, between that and the
 * FUTEX_WAIT, or inside it.  A lost wake-up leaves the waiter asleep
 * until its (long) deadline.
 */
static void
futex_wake_never_lost(void)
{
	struct futex_race f = { .rounds = 5000 };
	ipcx_chan *b;
	pthread_t t;
	int i;

	IPCX_PASS(ipcx_pair("unix:", &f.ch, &b));
	ASSERT_EQ(pthread_create(&t, NULL, futex_waker, &f), 0);
	for (i = 1; i <= f.rounds; i++) {
		int64_t deadline = ipcx__deadline_from_ms(IPCX_TEST_TMO);
		int rc;

		atomic_store(&f.waiting, (unsigned)i);
		do
			rc = ipcx__wait_futex(f.ch, &f.word, atomic_load(&f.word), deadline);
		while (rc == 0 && atomic_load(&f.woken) < (unsigned)i);
		if (rc != 0 && rc != -ECANCELED)
			IPCX_TEST_FAILF("round %d: %s", i, ipcx_errname(rc));
		/* The wake of this round must be consumed before the next
		 * begins, whether it bumped the word (0) or was seen (-ECANCELED). */
		while (atomic_load(&f.woken) < (unsigned)i)
			;
		if (rc == 0) {
			rc = ipcx__wait_futex(f.ch, &f.word, atomic_load(&f.word),
			                      ipcx__deadline_from_ms(IPCX_TEST_TMO));
			if (rc != -ECANCELED)
				IPCX_TEST_FAILF("round %d: %s after a bump", i, ipcx_errname(rc));
		}
		/* Nothing is left over for the next round. */
		ASSERT_EQ(atomic_load(&f.ch->wake_pending), 0);
	}
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ipcx_close(f.ch);
	ipcx_close(b);
}

struct storm {
	pthread_t target;
	atomic_bool stop;
};

static void *
storm_thread(void *arg)
{
	struct storm *s = arg;

	while (!atomic_load(&s->stop)) {
		pthread_kill(s->target, SIGUSR1);
		usleep(500);
	}
	return NULL;
}

/*
 * A storm of signals with an SA_RESTART handler neither shortens a futex
 * deadline nor escapes as EINTR on a plain channel; on an
 * IPCX_INTERRUPTIBLE one the first signal ends the wait, with or without a
 * deadline.
 */
static void
futex_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct storm st = { .target = pthread_self() };
	_Atomic uint32_t word = 5;
	ipcx_chan *a, *b, *ia, *ib;
	pthread_t t;
	int64_t t0;

	ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	IPCX_PASS(ipcx_pair("unix:", &a, &b));
	IPCX_PASS(ipcx_pair("unix:", &ia, &ib));
	ia->flags |= IPCX_INTERRUPTIBLE;
	ASSERT_EQ(pthread_create(&t, NULL, storm_thread, &st), 0);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx__wait_futex(a, &word, 5, ipcx__deadline_from_ms(300)), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 300);
	IPCX_FAIL(ipcx__wait_futex(ia, &word, 5, IPCX_DEADLINE_NEVER), -EINTR);
	IPCX_FAIL(ipcx__wait_futex(ia, &word, 5, ipcx__deadline_from_ms(IPCX_TEST_TMO)), -EINTR);
	atomic_store(&st.stop, true);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	/* The word moving ends the wait with 0; a word already moved never waits. */
	IPCX_PASS(ipcx__wait_futex(a, &word, 4, IPCX_DEADLINE_NEVER));
	IPCX_FAIL(ipcx__wait_futex(a, &word, 5, IPCX_DEADLINE_NOW), -EAGAIN);
	ipcx_close(a);
	ipcx_close(b);
	ipcx_close(ia);
	ipcx_close(ib);
}

/* ---- ipcx_spawn over a socket pair ------------------------------------ */

#define SPAWN_ENV "IPCX_CORE_REVIEW_SPAWN"

/* The spawned child: this binary again, before the harness's main().  It
 * joins IPCX_CHANNEL and echoes one message back. */
__attribute__((constructor)) static void
spawn_child(void)
{
	const char *uri = getenv("IPCX_CHANNEL");
	char buf[64];
	ipcx_chan *ch;
	ssize_t r;
	int rc;

	if (getenv(SPAWN_ENV) == NULL || uri == NULL)
		return;
	rc = ipcx_join(&ch, uri, 0);
	if (rc < 0) {
		fprintf(stderr, "child: join %s: %s (%s)\n", uri, ipcx_errname(rc),
		        ipcx_errmsg(NULL));
		_exit(3);
	}
	r = ipcx_recv(ch, buf, sizeof(buf), IPCX_TEST_TMO);
	if (r < 0 || ipcx_send(ch, buf, (size_t)r, IPCX_TEST_TMO) != 0)
		_exit(4);
	ipcx_close(ch);
	_exit(0);
}

/*
 * ipcx_spawn takes any pairing stream transport: over "unix:" the child's
 * two directions are one socket, and the child must be able to join what
 * IPCX_CHANNEL names.
 */
static void
spawn_unix_pair(void)
{
	char exe[4096], buf[64];
	char *argv[] = { exe, NULL };
	ipcx_chan *ch;
	ssize_t n;
	pid_t pid;
	int status;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_TRUE(n > 0);
	exe[n] = '\0';
	ASSERT_EQ(setenv(SPAWN_ENV, "1", 1), 0);
	IPCX_PASS(ipcx_spawn(argv, "unix:", &ch, &pid));
	ASSERT_EQ(unsetenv(SPAWN_ENV), 0);
	ipcx_test_send_str(ch, "echo me");
	n = ipcx_recv(ch, buf, sizeof(buf), IPCX_TEST_TMO);
	ipcx_close(ch);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		IPCX_TEST_FAILF("the spawned child ended with status 0x%x", status);
	ASSERT_EQ(n, 7);
	ASSERT_MEMEQ(buf, "echo me", 7);
}

TEST_LIST = {
	{ "ptmx_master_adopted", ptmx_master_adopted },
	{ "program_unblocked_later", program_unblocked_later },
	{ "pieces_pipe_exact", pieces_pipe_exact },
	{ "pieces_socket_direct", pieces_socket_direct },
	{ "pieces_socket_line", pieces_socket_line },
	{ "pieces_pipe_line", pieces_pipe_line },
	{ "wakeful_pipe_pair", wakeful_pipe_pair },
	{ "wakeful_unix_pair", wakeful_unix_pair },
	{ "futex_wake_never_lost", futex_wake_never_lost },
	{ "futex_signals", futex_signals },
	{ "spawn_unix_pair", spawn_unix_pair },
	{ NULL, NULL },
};
