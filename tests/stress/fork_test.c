/* SPDX-License-Identifier: MIT */
/*
 * fork_test.c - the claim ipcx.h makes about fork(): a channel does not
 * survive it, except that a child may ipcx_close() its copy, which releases
 * only the child's descriptors and never removes the named object or its
 * registry entry.  Each test has the parent create a named object, fork, let
 * the child close its copy and exit, and then shows the object, its entry
 * and the parent's channel all still work, with real bytes across.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#define TMO 10000

static void
child_closes(ipcx_chan *ch)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0)
		_exit(ipcx_close(ch) == 0 ? 0 : 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int
send_one(void *arg)
{
	ipcx_chan *ch;
	int rc = ipcx_join(&ch, arg, 0);

	if (rc < 0)
		return 1;
	rc = ipcx_send(ch, "after-fork", 10, TMO);
	ipcx_close(ch);
	return rc < 0;
}

static void
test_fifo_child_close_keeps_object(void)
{
	const char *uri = ipcx_test_uri("fifo", NULL);
	ipcx_chan *ch;
	char buf[64];
	pid_t peer;

	IPCX_PASS(ipcx_create(&ch, uri, 0));
	ASSERT_EQ(ipcx_test_registry_count(), 1);
	child_closes(ch);
	ASSERT_EQ(access(uri + 5, F_OK), 0);
	ASSERT_EQ(ipcx_test_registry_count(), 1);
	peer = ipcx_test_peer(send_one, (void *)uri);
	ASSERT_EQ(ipcx_recv(ch, buf, sizeof(buf), TMO), 10);
	ASSERT_MEMEQ(buf, "after-fork", 10);
	ipcx_test_wait(peer, TMO);
	IPCX_PASS(ipcx_close(ch));
	ASSERT_TRUE(access(uri + 5, F_OK) < 0);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

static void
test_unix_child_close_keeps_listener(void)
{
	const char *uri = ipcx_test_uri("unix", NULL);
	ipcx_chan *l, *c;
	char buf[64];
	pid_t peer;

	IPCX_PASS(ipcx_create(&l, uri, 0));
	child_closes(l);
	ASSERT_EQ(access(uri + 5, F_OK), 0);
	ASSERT_EQ(ipcx_test_registry_count(), 1);
	peer = ipcx_test_peer(send_one, (void *)uri);
	IPCX_PASS(ipcx_accept(l, &c, TMO));
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 10);
	ASSERT_MEMEQ(buf, "after-fork", 10);
	ipcx_test_wait(peer, TMO);
	ipcx_close(c);
	IPCX_PASS(ipcx_close(l));
	ASSERT_TRUE(access(uri + 5, F_OK) < 0);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

/* A forked child's close of a connected end must not end the parent's
 * stream: the parent still holds its descriptor, so the peer sees no EOF. */
static void
test_pipe_child_close_keeps_stream(void)
{
	ipcx_chan *a, *b;
	char buf[16];

	IPCX_PASS(ipcx_pair("pipe:", &a, &b));
	child_closes(a);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 50), -ETIMEDOUT);
	IPCX_PASS(ipcx_send(a, "still", 5, TMO));
	ASSERT_EQ(ipcx_recv(b, buf, sizeof(buf), TMO), 5);
	ASSERT_MEMEQ(buf, "still", 5);
	ipcx_close(a);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_close(b);
}

TEST_LIST = {
	{ "fork/fifo child close keeps object", test_fifo_child_close_keeps_object },
	{ "fork/unix child close keeps listener", test_unix_child_close_keeps_listener },
	{ "fork/pipe child close keeps stream", test_pipe_child_close_keeps_stream },
	{ NULL, NULL },
};
