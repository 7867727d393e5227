/* SPDX-License-Identifier: MIT */
/*
 * handoff_test.c - a stream that outlives its receiver keeps what the
 * receiver did not take.  A FIFO receiver that stops after two messages,
 * or a program that takes two messages from its inherited standard input
 * and exits, must leave the third for whoever reads next: ipcx reads
 * exactly one frame at a time there, never ahead.  Both framings that need
 * it (len and line) are covered, with messages written all at once so that
 * a read-ahead would have swallowed them.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#define TMO 10000

static void
recv_expect(ipcx_chan *ch, const char *want)
{
	char buf[64];
	ssize_t n = ipcx_recv(ch, buf, sizeof(buf), TMO);

	ASSERT_EQ(n, (ssize_t)strlen(want));
	ASSERT_MEMEQ(buf, want, (size_t)n);
}

static void
fifo_handoff(const char *query)
{
	const char *uri = ipcx_test_uri("fifo", query);
	ipcx_chan *owner, *first, *second, *tx;

	IPCX_PASS(ipcx_create(&owner, uri, 0));
	IPCX_PASS(ipcx_join(&first, uri, 0));
	IPCX_PASS(ipcx_pollfd(first)); /* opens the receiving side */
	IPCX_PASS(ipcx_join(&tx, uri, 0));
	IPCX_PASS(ipcx_send(tx, "one", 3, TMO));
	IPCX_PASS(ipcx_send(tx, "two", 3, TMO));
	IPCX_PASS(ipcx_send(tx, "three", 5, TMO));
	/* One receiver at a time: the next is refused while the first holds
	 * the FIFO and takes over once it has gone.  The sender's open write
	 * end keeps the FIFO's contents across the handoff. */
	IPCX_PASS(ipcx_join(&second, uri, 0));
	IPCX_FAIL(ipcx_pollfd(second), -EBUSY);
	recv_expect(first, "one");
	recv_expect(first, "two");
	ipcx_close(first);
	IPCX_PASS(ipcx_pollfd(second));
	recv_expect(second, "three");
	ipcx_close(second);
	ipcx_close(tx);
	ipcx_close(owner);
}

static void
test_fifo_len(void)
{
	fifo_handoff(NULL);
}

static void
test_fifo_line(void)
{
	fifo_handoff("framing=line");
}

/* Like `{ prog; prog; } <pipe`: two successive adopters of one inherited
 * read end, each taking one message. */
static void
stdin_handoff(const char *query, const void *bytes, size_t n)
{
	int p[2];
	ipcx_chan *a, *b;
	char name[32];
	int keep;

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(write(p[1], bytes, n), (ssize_t)n);
	close(p[1]);
	/* Each adopter takes the descriptor over and closes it; give each its
	 * own duplicate of the same open pipe. */
	keep = dup(p[0]);
	snprintf(name, sizeof(name), "pipe:%d%s", p[0], query);
	IPCX_PASS(ipcx_join(&a, name, 0));
	recv_expect(a, "first");
	ipcx_close(a);
	snprintf(name, sizeof(name), "pipe:%d%s", keep, query);
	IPCX_PASS(ipcx_join(&b, name, 0));
	recv_expect(b, "second");
	IPCX_FAIL(ipcx_recv(b, name, sizeof(name), TMO), IPCX_EOF);
	ipcx_close(b);
}

static void
test_inherited_len(void)
{
	static const char bytes[] = "\0\0\0\5first\0\0\0\6second";

	stdin_handoff("", bytes, sizeof(bytes) - 1);
}

static void
test_inherited_line(void)
{
	stdin_handoff("?framing=line", "first\nsecond\n", 13);
}

TEST_LIST = {
	{ "handoff/fifo len keeps unread messages", test_fifo_len },
	{ "handoff/fifo line keeps unread lines", test_fifo_line },
	{ "handoff/inherited pipe len", test_inherited_len },
	{ "handoff/inherited pipe line", test_inherited_line },
	{ NULL, NULL },
};
