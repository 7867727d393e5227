/* SPDX-License-Identifier: MIT */
/*
 * sigpipe_test.c - the SIGPIPE guard leaves nothing behind (DESIGN.md,
 * "Signals"): while a channel that writes to a pipe is open, an ipcx write
 * to a dead pipe is -EPIPE and never kills the process; once the last such
 * channel is closed every thread's mask is what it was, so a child the
 * program then starts (`yes | head -1`) ends as it would without ipcx; a
 * SIGPIPE ipcx did not cause is never taken.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <pthread.h>

static bool
sigpipe_blocked_here(void)
{
	sigset_t cur;

	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, SIGPIPE) == 1;
}

static bool
sigpipe_pending(void)
{
	sigset_t p;

	ASSERT_EQ(sigpending(&p), 0);
	return sigismember(&p, SIGPIPE) == 1;
}

/* `yes | head -1` from a shell: yes must die of SIGPIPE (status 141), not
 * complain "Broken pipe" and exit 1 as it does with SIGPIPE blocked. */
static int
yes_head_status(void)
{
	int rc = system("bash -c 'yes 2>/dev/null | head -1 >/dev/null; exit ${PIPESTATUS[0]}'");

	ASSERT_TRUE(WIFEXITED(rc));
	return WEXITSTATUS(rc);
}

/* Send on a pipe pair and close both ends: the mask is back, and a child
 * started afterwards sees the default behaviour. */
static void
restored_after_close(void)
{
	ipcx_chan *a, *b;
	char buf[8];

	ASSERT_TRUE(!sigpipe_blocked_here());
	ASSERT_EQ(yes_head_status(), 141);
	IPCX_PASS(ipcx_pair("pipe:", &a, &b));
	IPCX_PASS(ipcx_send(a, "hi", 2, 1000));
	/* While a pipe writer is open the guard stands (ipcx(3) says so). */
	ASSERT_TRUE(sigpipe_blocked_here());
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), 2);
	IPCX_PASS(ipcx_close(a));
	/* b never wrote: a's close was the last writer's. */
	ASSERT_TRUE(!sigpipe_blocked_here());
	IPCX_PASS(ipcx_close(b));
	ASSERT_TRUE(!sigpipe_blocked_here());
	ASSERT_EQ(yes_head_status(), 141);
}

/* With two channels open, closing one keeps the guard; the last restores. */
static void
last_close_restores(void)
{
	ipcx_chan *a, *b, *c, *d;

	IPCX_PASS(ipcx_pair("pipe:", &a, &b));
	IPCX_PASS(ipcx_pair("pipe:", &c, &d));
	IPCX_PASS(ipcx_send(a, "1", 1, 1000));
	IPCX_PASS(ipcx_send(c, "2", 1, 1000));
	IPCX_PASS(ipcx_close(a));
	ASSERT_TRUE(sigpipe_blocked_here());
	IPCX_PASS(ipcx_close(c));
	ASSERT_TRUE(!sigpipe_blocked_here());
	ipcx_close(b);
	ipcx_close(d);
}

struct other {
	ipcx_chan *pipe_end;
	ipcx_chan *sock_end;
	struct ipcx_test_line go, done;
	bool blocked_during, blocked_after;
};

static void *
other_thread(void *arg)
{
	struct other *o = arg;

	if (ipcx_send(o->pipe_end, "x", 1, 1000) != 0)
		return NULL;
	o->blocked_during = sigpipe_blocked_here();
	ipcx_test_line_put(&o->done, '1');
	(void)ipcx_test_line_get(&o->go);
	/* Any ipcx call lets this thread drop the block nobody needs now. */
	(void)ipcx_send(o->sock_end, "y", 1, 1000);
	o->blocked_after = sigpipe_blocked_here();
	ipcx_test_line_put(&o->done, '2');
	return NULL;
}

/* Another thread that ipcx blocked gives the block back at its next call. */
static void
other_thread_restored(void)
{
	struct other o = { 0 };
	ipcx_chan *pb, *sb;
	pthread_t t;

	IPCX_PASS(ipcx_pair("pipe:", &o.pipe_end, &pb));
	IPCX_PASS(ipcx_pair("unix:", &o.sock_end, &sb));
	ipcx_test_line_open(&o.go);
	ipcx_test_line_open(&o.done);
	ASSERT_EQ(pthread_create(&t, NULL, other_thread, &o), 0);
	ASSERT_EQ(ipcx_test_line_get(&o.done), '1');
	IPCX_PASS(ipcx_close(o.pipe_end));
	ipcx_test_line_put(&o.go, 'g');
	ASSERT_EQ(ipcx_test_line_get(&o.done), '2');
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_TRUE(o.blocked_during);
	ASSERT_TRUE(!o.blocked_after);
	ipcx_close(pb);
	ipcx_close(o.sock_end);
	ipcx_close(sb);
}

/* A program that blocks SIGPIPE itself keeps its block. */
static void
program_block_kept(void)
{
	sigset_t set;
	ipcx_chan *a, *b;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
	IPCX_PASS(ipcx_pair("pipe:", &a, &b));
	IPCX_PASS(ipcx_send(a, "hi", 2, 1000));
	ipcx_close(a);
	ipcx_close(b);
	ASSERT_TRUE(sigpipe_blocked_here());
}

/* A dead pipe: -EPIPE, the process lives, and nothing is left pending that
 * would kill it when the mask is restored. */
static void
epipe_consumed(void)
{
	ipcx_chan *a, *b;

	IPCX_PASS(ipcx_pair("pipe:", &a, &b));
	ipcx_close(b);
	IPCX_FAIL(ipcx_send(a, "lost", 4, 1000), -EPIPE);
	ASSERT_TRUE(!sigpipe_pending());
	ipcx_close(a);
	ASSERT_TRUE(!sigpipe_blocked_here());
	ASSERT_TRUE(!sigpipe_pending());
}

/* A SIGPIPE that was pending before ipcx's write is the program's: it is
 * still pending after ipcx's own EPIPE. */
static void
foreign_sigpipe_kept(void)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set;
	ipcx_chan *a, *b;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
	ASSERT_EQ(pthread_kill(pthread_self(), SIGPIPE), 0);
	ASSERT_TRUE(sigpipe_pending());
	IPCX_PASS(ipcx_pair("pipe:", &a, &b));
	ipcx_close(b);
	IPCX_FAIL(ipcx_send(a, "lost", 4, 1000), -EPIPE);
	ASSERT_TRUE(sigpipe_pending());
	ASSERT_EQ(sigtimedwait(&set, NULL, &zero), SIGPIPE);
	ASSERT_TRUE(!sigpipe_pending());
	ipcx_close(a);
}

TEST_LIST = {
	{ "restored_after_close", restored_after_close },
	{ "last_close_restores", last_close_restores },
	{ "other_thread_restored", other_thread_restored },
	{ "program_block_kept", program_block_kept },
	{ "epipe_consumed", epipe_consumed },
	{ "foreign_sigpipe_kept", foreign_sigpipe_kept },
	{ NULL, NULL },
};
