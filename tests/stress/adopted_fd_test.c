/* SPDX-License-Identifier: MIT */
/*
 * adopted_fd_test.c - descriptors a process inherited in blocking mode
 * (pipe:FD on a terminal, a shared pipe whose reader has gone) honour
 * deadlines, ipcx_wake and, on IPCX_INTERRUPTIBLE channels, signals
 * (DESIGN.md, "Framing"), and their file status flags, which every process
 * sharing them sees, are never changed.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <pthread.h>
#include <pty.h>

#include "os/sys.h"

#define BIG ((size_t)1 << 20)

/* A pseudo-terminal nobody reads: its slave end, blocking, as fd. */
static int
unread_pty(int *master)
{
	int m, s;

	if (openpty(&m, &s, NULL, NULL, NULL) < 0)
		TEST_SKIP("openpty: %s", strerror(errno));
	*master = m;
	return s;
}

/* Adopt a duplicate of fd, as a program adopts what it inherited; the
 * test keeps fd to look at the shared open file description. */
static ipcx_chan *
adopt(int fd, unsigned flags)
{
	char uri[32];
	ipcx_chan *ch;

	fd = dup(fd);
	ASSERT_GE(fd, 0);
	snprintf(uri, sizeof(uri), "pipe:%d", fd);
	IPCX_PASS(ipcx_join(&ch, uri, flags));
	return ch;
}

/* `ipcx send -t 500 --whole pipe:1` onto a terminal nobody reads returns
 * at its deadline (it was still blocked after 5 s). */
static void
pty_deadline(void)
{
	int m, s = unread_pty(&m), fl = fcntl(s, F_GETFL);
	uint8_t *buf = ipcx_test_malloc(BIG);
	ipcx_chan *ch = adopt(s, 0);
	int64_t t0 = ipcx_test_now_ms();
	int rc;

	ipcx_test_fill(buf, BIG, 1);
	rc = ipcx_send(ch, buf, BIG, 500);
	/* Some of the frame fits in the terminal's buffer, so it started:
	 * the deadline breaks the channel. */
	if (rc != -EPIPE && rc != -ETIMEDOUT)
		IPCX_TEST_FAILF("send onto a full terminal: %s", ipcx_errname(rc));
	ASSERT_GE(ipcx_test_now_ms() - t0, 500);
	ASSERT_LT(ipcx_test_now_ms() - t0, 4000);
	ASSERT_EQ(fcntl(s, F_GETFL), fl);
	ipcx_close(ch);
	close(s);
	close(m);
	free(buf);
}

static void *
wake_soon(void *ch)
{
	usleep(100 * 1000);
	ipcx_wake(ch);
	return NULL;
}

/* Fill a terminal with raw writes until it is full, so ipcx's first byte
 * cannot go: then a wake-up or a signal ends a send that never started. */
static void
fill_raw(int fd)
{
	char junk[256];
	int fl = fcntl(fd, F_GETFL);

	bool wrote;

	memset(junk, 'j', sizeof(junk));
	ASSERT_EQ(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	/* A terminal moves queued bytes on to its other side after a write
	 * returns, so room comes back for a while: full means still full
	 * after a pause. */
	do {
		wrote = false;
		while (write(fd, junk, sizeof(junk)) > 0)
			wrote = true;
		ASSERT_EQ(errno, EAGAIN);
		usleep(100 * 1000);
	} while (wrote || write(fd, junk, 1) > 0);
	ASSERT_EQ(fcntl(fd, F_SETFL, fl), 0);
}

static void
pty_wake(void)
{
	int m, s = unread_pty(&m);
	ipcx_chan *ch = adopt(s, 0);
	pthread_t t;

	fill_raw(s);
	ASSERT_EQ(pthread_create(&t, NULL, wake_soon, ch), 0);
	IPCX_FAIL(ipcx_send(ch, "blocked", 7, -1), -ECANCELED);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	/* Nothing was written: the channel is whole, a timeout-0 send says
	 * the terminal is full. */
	IPCX_FAIL(ipcx_send(ch, "again", 5, 0), -EAGAIN);
	ipcx_close(ch);
	close(s);
	close(m);
}

static void
on_usr1(int sig)
{
	(void)sig;
}

static void *
signal_soon(void *arg)
{
	usleep(100 * 1000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/* On an IPCX_INTERRUPTIBLE channel a signal ends the blocked send with
 * -EINTR; on a plain one it changes nothing and the deadline rules. */
static void
pty_signal(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	int m, s = unread_pty(&m);
	ipcx_chan *ch;
	pthread_t self = pthread_self(), t;
	int64_t t0;

	/* SA_RESTART, as signal(3) sets: it must not make the call restart. */
	sa.sa_flags = SA_RESTART;
	ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	fill_raw(s);
	ch = adopt(s, IPCX_INTERRUPTIBLE);
	ASSERT_EQ(pthread_create(&t, NULL, signal_soon, &self), 0);
	IPCX_FAIL(ipcx_send(ch, "blocked", 7, -1), -EINTR);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ipcx_close(ch);

	ch = adopt(s, 0);
	t0 = ipcx_test_now_ms();
	ASSERT_EQ(pthread_create(&t, NULL, signal_soon, &self), 0);
	IPCX_FAIL(ipcx_send(ch, "blocked", 7, 400), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 400);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ipcx_close(ch);
	close(s);
	close(m);
}

/*
 * A terminal that is read slowly gets the whole message, in order, even
 * though ipcx writes it in pieces the terminal says it can take.
 */
struct reader {
	int fd;
	size_t want;
	uint8_t *got;
	size_t n;
};

static void *
slow_read(void *arg)
{
	struct reader *r = arg;

	while (r->n < r->want) {
		ssize_t k = read(r->fd, r->got + r->n, r->want - r->n);
		if (k <= 0)
			break;
		r->n += (size_t)k;
		usleep(200);
	}
	return NULL;
}

static void
pty_whole(void)
{
	struct termios tio;
	int m, s = unread_pty(&m);
	uint8_t *buf = ipcx_test_malloc(65536);
	struct reader r = { .fd = m, .want = 65536 + 4 };
	ipcx_chan *ch;
	pthread_t t;

	/* Raw mode: no echo, no newline translation, bytes as written. */
	ASSERT_EQ(tcgetattr(s, &tio), 0);
	cfmakeraw(&tio);
	ASSERT_EQ(tcsetattr(s, TCSANOW, &tio), 0);
	ch = adopt(s, 0);
	r.got = ipcx_test_malloc(r.want);
	ipcx_test_fill(buf, 65536, 9);
	ASSERT_EQ(pthread_create(&t, NULL, slow_read, &r), 0);
	IPCX_PASS(ipcx_send(ch, buf, 65536, 30000));
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(r.n, r.want);
	ASSERT_EQ(r.got[0], 0);
	ASSERT_EQ(r.got[1], 1);
	ASSERT_EQ(r.got[2], 0);
	ASSERT_EQ(r.got[3], 0);
	ASSERT_TRUE(ipcx_test_check(r.got + 4, 65536, 9));
	ipcx_close(ch);
	close(s);
	close(m);
	free(buf);
	free(r.got);
}

/*
 * Where /proc cannot give a non-blocking twin (it is hidden), a blocking
 * pipe is written with RWF_NOWAIT: the deadline and ipcx_wake still hold,
 * and the shared description's flags stay as they were.
 */
static int (*real_openat)(int, const char *, int, mode_t);

static int
no_proc_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	if (strncmp(path, "/proc/self/fd/", 14) == 0) {
		errno = EACCES;
		return -1;
	}
	return real_openat(dirfd, path, flags, mode);
}

static void
blocking_pipe_nowait(void)
{
	int p[2], fl;
	char junk[4096];
	ipcx_chan *ch;
	pthread_t t;
	int64_t t0;

	ASSERT_EQ(pipe(p), 0);
	fl = fcntl(p[1], F_GETFL);
	real_openat = ipcx__sys.openat;
	ipcx__sys.openat = no_proc_openat;
	ch = adopt(p[1], 0);
	ipcx__sys.openat = real_openat;
	/* Fill the pipe so not even a header fits. */
	memset(junk, 'j', sizeof(junk));
	ASSERT_EQ(fcntl(p[1], F_SETFL, fl | O_NONBLOCK), 0);
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	ASSERT_EQ(fcntl(p[1], F_SETFL, fl), 0);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_send(ch, "late", 4, 300), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 300);
	IPCX_FAIL(ipcx_send(ch, "late", 4, 0), -EAGAIN);
	ASSERT_EQ(pthread_create(&t, NULL, wake_soon, ch), 0);
	IPCX_FAIL(ipcx_send(ch, "late", 4, -1), -ECANCELED);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(fcntl(p[1], F_GETFL), fl);
	/* Drain a little: the message then goes, whole, after the junk. */
	ASSERT_EQ(read(p[0], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	IPCX_PASS(ipcx_send(ch, "late", 4, 1000));
	ipcx_close(ch);
	close(p[1]);
	close(p[0]);
}

/*
 * A character device that is not a terminal is used as it was handed over,
 * never opened a second time: opening some devices does something (a tape
 * rewinds when that description closes, a watchdog arms).  The adopted
 * descriptor stays the one the channel writes to, until the channel closes.
 */
static void
char_device_not_reopened(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct stat before, after;
	char uri[32];
	ipcx_chan *ch;

	ASSERT_TRUE(fd > 2);
	ASSERT_EQ(fstat(fd, &before), 0);
	snprintf(uri, sizeof(uri), "pipe:%d", fd);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	if (fstat(fd, &after) < 0)
		IPCX_TEST_FAILF("descriptor %d was given up: /dev/null was opened again", fd);
	ASSERT_EQ(after.st_rdev, before.st_rdev);
	IPCX_PASS(ipcx_send(ch, "gone", 4, IPCX_TEST_TMO));
	IPCX_PASS(ipcx_close(ch));
	ASSERT_TRUE(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
}

TEST_LIST = {
	{ "blocking_pipe_nowait", blocking_pipe_nowait },
	{ "pty_deadline", pty_deadline },
	{ "pty_wake", pty_wake },
	{ "pty_signal", pty_signal },
	{ "pty_whole", pty_whole },
	{ "char_device_not_reopened", char_device_not_reopened },
	{ NULL, NULL },
};
