/* SPDX-License-Identifier: MIT */
/*
 * sysvmq_test.c - System V message queues ("sysvmq:") between real
 * processes: the three forms of KEY (ftok's included, checked against
 * ftok(3) itself), mtypes sent and selected, plain msgsnd/msgrcv peers,
 * a foreign message too large for the buffer, the system's limits and the
 * queue's msg_qbytes, a removed queue, a full queue, a stopped receiver,
 * waits that are back-off loops (wake-ups, signals, deadlines), a second
 * uid, and a million messages from four senders to three receivers.
 *
 * The msgmni and msgmax tests run in a private IPC namespace, whose limits
 * they may set.  Keys come from ipcx_test_uri() (they carry the test's
 * pid), so the harness removes what a failed test leaves behind.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <pthread.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "queue_helpers.h"

struct raw_msg {
	long mtype;
	char text[8192];
};

/* The key of a "sysvmq:0x..." URI. */
static key_t
key_of(const char *uri)
{
	return (key_t)strtoul(strchr(uri, ':') + 1, NULL, 16);
}

static int
raw_qid(const char *uri)
{
	int q = msgget(key_of(uri), 0);

	if (q < 0)
		IPCX_TEST_FAILF("msgget 0x%08x: %s", (unsigned)key_of(uri), strerror(errno));
	return q;
}

static const char *
with(const char *uri, const char *query)
{
	static char buf[4][600];
	static int slot;
	char *b = buf[slot++ % 4];

	snprintf(b, 600, "%s%c%s", uri, strchr(uri, '?') ? '&' : '?', query);
	return b;
}

/* ---- keys --------------------------------------------------------------- */

static void
test_keys(void)
{
	const char *uri = ipcx_test_uri("sysvmq", NULL);
	char dec[64], path[600], ftok_uri[700], ftok_chr[700];
	struct ipcx_stat st;
	ipcx_chan *c, *j;
	key_t k;
	int fd;
	static const char *const bad[] = {
		"sysvmq:abc", "sysvmq:0", "sysvmq:0x", "sysvmq:0x100000000", "sysvmq:-5",
		"sysvmq:12ab", "sysvmq:ftok:/tmp", "sysvmq:ftok::5", "sysvmq:ftok:/tmp:0",
		"sysvmq:ftok:/tmp:256", "sysvmq:ftok:/tmp:ab", "sysvmq:ftok:/tmp:", "sysvmq:5?type=x",
		"sysvmq:5?type=", "sysvmq:5?type=--1", "sysvmq:5?prio=1", "sysvmq:5?max=0",
		NULL,
	};
	const char *const *b;

	/* Hexadecimal and decimal name one queue. */
	snprintf(dec, sizeof(dec), "sysvmq:%u", (unsigned)key_of(uri));
	IPCX_PASS(ipcx_create(&c, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&j, dec, 0));
	IPCX_PASS(ipcx_stat(j, &st));
	ASSERT_STREQ(st.uri, uri);
	ipcx_test_send_str(j, "one queue");
	ipcx_test_recv_str(c, "one queue");
	ipcx_close(j);
	ipcx_close(c);

	/* ftok:PATH:ID is exactly ftok(3)'s key, a character id included. */
	snprintf(path, sizeof(path), "%s/key:file", ipcx_test_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	close(fd);
	snprintf(ftok_uri, sizeof(ftok_uri), "sysvmq:ftok:%s:65", path);
	snprintf(ftok_chr, sizeof(ftok_chr), "sysvmq:ftok:%s:A", path);
	k = ftok(path, 65);
	ASSERT_TRUE(k != (key_t)-1);
	IPCX_PASS(ipcx_create(&c, ftok_uri, IPCX_EXCL));
	ASSERT_GE(msgget(k, 0), 0);
	IPCX_PASS(ipcx_stat(c, &st));
	snprintf(dec, sizeof(dec), "sysvmq:0x%08x", (unsigned)k);
	ASSERT_STREQ(st.uri, dec);
	IPCX_PASS(ipcx_join(&j, ftok_chr, 0));
	ipcx_test_send_str(j, "ftok");
	ipcx_test_recv_str(c, "ftok");
	ipcx_close(j);
	ipcx_close(c);
	ASSERT_TRUE(msgget(k, 0) < 0 && errno == ENOENT);

	/* A path ftok cannot see is named in the refusal. */
	snprintf(ftok_uri, sizeof(ftok_uri), "sysvmq:ftok:%s/missing:1", ipcx_test_dir);
	IPCX_FAIL(ipcx_create(&c, ftok_uri, 0), -ENOENT);
	ASSERT_SAYS(NULL, "ftok(", "missing");
	IPCX_FAIL(ipcx_join(&c, ftok_uri, 0), -ENOENT);
	IPCX_PASS(ipcx_uri_check(ftok_uri)); /* the check touches nothing */

	for (b = bad; *b; b++) {
		int rc = ipcx_create(&c, *b, 0);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_create(\"%s\") -> %s, expected EINVAL", *b,
			                ipcx_errname(rc));
		ASSERT_TRUE(strncmp(ipcx_errmsg(NULL), "invalid URI: ", 13) == 0);
	}
	IPCX_FAIL(ipcx_uri_check("sysvmq:0"), -EINVAL);
	ASSERT_SAYS(NULL, "IPC_PRIVATE");
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

/* ---- mtypes ------------------------------------------------------------- */

static const char *shared_uri;

static int
typed_sender(void *arg)
{
	static const long types[] = { 2, 3, 1, 3, 2, 1 };
	ipcx_chan *ch[4] = { 0 };
	char q[16];
	size_t k;

	(void)arg;
	for (k = 1; k <= 3; k++) {
		snprintf(q, sizeof(q), "type=%zu", k);
		IPCX_PASS(ipcx_join(&ch[k], with(shared_uri, q), 0));
	}
	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		char msg[16];
		snprintf(msg, sizeof(msg), "m%zu-t%ld", k, types[k]);
		ipcx_test_send_str(ch[types[k]], msg);
	}
	for (k = 1; k <= 3; k++)
		ipcx_close(ch[k]);
	return 0;
}

static void
recv_typed(ipcx_chan *ch, const char *want, long mtype)
{
	struct ipcx_msg_info info;
	char buf[64];
	ssize_t r = ipcx_recv_info(ch, buf, sizeof(buf), &info, TMO);

	IPCX_PASS(r);
	if ((size_t)r != strlen(want) || memcmp(buf, want, (size_t)r) != 0)
		IPCX_TEST_FAILF("received \"%.*s\", want \"%s\"", (int)r, buf, want);
	ASSERT_TRUE(info.fields & IPCX_INFO_MTYPE);
	ASSERT_EQ(info.mtype, mtype);
}

/* type= selects as msgrcv(2) does: exactly, any (0), lowest up to |type|. */
static void
test_types(void)
{
	ipcx_chan *c, *t3, *lo2, *bad;
	char buf[64];

	shared_uri = ipcx_test_uri("sysvmq", NULL);
	IPCX_PASS(ipcx_create(&c, shared_uri, 0));
	IPCX_PASS(ipcx_join(&t3, with(shared_uri, "type=3"), 0));
	IPCX_PASS(ipcx_join(&lo2, with(shared_uri, "type=-2"), 0));
	ipcx_test_wait(ipcx_test_peer(typed_sender, NULL), -1);
	recv_typed(t3, "m1-t3", 3);
	recv_typed(t3, "m3-t3", 3);
	IPCX_FAIL(ipcx_recv(t3, buf, sizeof(buf), 0), -EAGAIN);
	/* The lowest type at most 2 first: the 1s, then the 2s. */
	recv_typed(lo2, "m2-t1", 1);
	recv_typed(lo2, "m5-t1", 1);
	recv_typed(lo2, "m0-t2", 2);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 0), 5); /* any: what is left */
	ASSERT_MEMEQ(buf, "m4-t2", 5);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 0), -EAGAIN);

	/* A receive-only selector cannot send. */
	IPCX_FAIL(ipcx_send(lo2, "x", 1, 0), -EINVAL);
	ASSERT_SAYS(lo2, "type=-2", "mtype");
	IPCX_PASS(ipcx_join(&bad, with(shared_uri, "type=0"), 0));
	IPCX_FAIL(ipcx_send(bad, "x", 1, 0), -EINVAL);
	ASSERT_SAYS(bad, "type=0");
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 0), -EAGAIN); /* nothing went out */
	ipcx_close(bad);
	ipcx_close(lo2);
	ipcx_close(t3);
	ipcx_close(c);
}

/* ---- plain msgsnd/msgrcv peers ------------------------------------------ */

static int
raw_sender(void *arg)
{
	struct raw_msg m;
	int q = raw_qid(arg);

	m.mtype = 7;
	memcpy(m.text, "hello\0world", 11);
	ASSERT_EQ(msgsnd(q, &m, 11, 0), 0);
	m.mtype = 1;
	memset(m.text, 'z', 3000);
	ASSERT_EQ(msgsnd(q, &m, 3000, 0), 0);
	return 0;
}

/* A program with its own struct { long mtype; char text[]; } and ipcx see
 * the same bytes, with no header in between; a message larger than the
 * buffer is -EMSGSIZE and stays (no MSG_NOERROR). */
static void
test_raw_peers(void)
{
	const char *uri = ipcx_test_uri("sysvmq", NULL);
	struct ipcx_msg_info info;
	struct raw_msg m;
	ipcx_chan *c, *t9;
	char buf[4000];
	int q;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	ipcx_test_wait(ipcx_test_peer(raw_sender, (void *)uri), -1);
	ASSERT_EQ(ipcx_recv_info(c, buf, sizeof(buf), &info, TMO), 11);
	ASSERT_MEMEQ(buf, "hello\0world", 11);
	ASSERT_EQ(info.mtype, 7);
	IPCX_FAIL(ipcx_recv(c, buf, 2999, TMO), -EMSGSIZE);
	ASSERT_SAYS(c, "2999-byte", "stays queued");
	IPCX_FAIL(ipcx_recv(c, buf, 0, TMO), -EMSGSIZE);
	ASSERT_EQ(ipcx_recv_info(c, buf, 3000, &info, TMO), 3000);
	ASSERT_EQ(buf[0], 'z');
	ASSERT_EQ(buf[2999], 'z');
	ASSERT_EQ(info.mtype, 1);

	/* And back: msgrcv sees ipcx's mtype and bytes. */
	IPCX_PASS(ipcx_join(&t9, with(uri, "type=9"), 0));
	IPCX_PASS(ipcx_send(t9, "to C\0!", 6, 0));
	IPCX_PASS(ipcx_send(t9, "", 0, 0));
	q = raw_qid(uri);
	ASSERT_EQ(msgrcv(q, &m, sizeof(m.text), 9, IPC_NOWAIT), 6);
	ASSERT_EQ(m.mtype, 9);
	ASSERT_MEMEQ(m.text, "to C\0!", 6);
	ASSERT_EQ(msgrcv(q, &m, sizeof(m.text), 0, IPC_NOWAIT), 0);
	ASSERT_EQ(m.mtype, 9);
	ipcx_close(t9);
	ipcx_close(c);
}

/* ---- limits ------------------------------------------------------------- */

static void
test_qbytes(void)
{
	const char *uri = ipcx_test_uri("sysvmq", NULL);
	struct msqid_ds ds;
	uint8_t buf[300] = { 0 };
	ipcx_chan *c;
	int q;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	/* The owner may lower the queue's capacity; what can never fit is
	 * refused at once, naming msg_qbytes, instead of waiting forever. */
	q = raw_qid(uri);
	ASSERT_EQ(msgctl(q, IPC_STAT, &ds), 0);
	ds.msg_qbytes = 100;
	ASSERT_EQ(msgctl(q, IPC_SET, &ds), 0);
	IPCX_FAIL(ipcx_send(c, buf, 200, -1), -EMSGSIZE);
	ASSERT_SAYS(c, "200 bytes", "msg_qbytes = 100", "msgmnb");
	IPCX_PASS(ipcx_send(c, buf, 100, 0));
	ipcx_close(c);

	IPCX_FAIL(ipcx_create(&c, with(ipcx_test_uri("sysvmq", NULL), "max=1G"), 0), -EINVAL);
	ASSERT_SAYS(NULL, "max=1073741824", "/proc/sys/kernel/msgmax");
}

static int
limits_peer(void *arg)
{
	struct ipcx_stat st;
	ipcx_chan *c, *c2;
	char u1[64], u2[64];
	uint8_t buf[200] = { 0 };

	(void)arg;
	private_ipc_namespace();
	write_sysctl("/proc/sys/kernel/msgmni", 1);
	write_sysctl("/proc/sys/kernel/msgmax", 100);
	snprintf(u1, sizeof(u1), "sysvmq:0x%08x", 0x5a000000u | ((unsigned)getpid() & 0xffffff));
	snprintf(u2, sizeof(u2), "sysvmq:0x%08x", 0x5b000000u | ((unsigned)getpid() & 0xffffff));
	/* msgmax is the default max... */
	IPCX_PASS(ipcx_create(&c, u1, 0));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.max_msg, 100);
	IPCX_FAIL(ipcx_send(c, buf, 101, 0), -EMSGSIZE);
	IPCX_PASS(ipcx_send(c, buf, 100, 0));
	/* ...and the ceiling of max=. */
	IPCX_FAIL(ipcx_join(&c2, with(u1, "max=101"), 0), -EINVAL);
	ASSERT_SAYS(NULL, "max=101", "/proc/sys/kernel/msgmax", "= 100");
	/* msgmni: one queue in this namespace. */
	IPCX_FAIL(ipcx_create(&c2, u2, 0), -ENOSPC);
	ASSERT_SAYS(NULL, "/proc/sys/kernel/msgmni", "= 1");
	/* msgmax lowered under an open channel: the kernel's EINVAL is named. */
	write_sysctl("/proc/sys/kernel/msgmax", 50);
	IPCX_FAIL(ipcx_send(c, buf, 60, 0), -EMSGSIZE);
	ASSERT_SAYS(c, "60 bytes", "msgmax = 50");
	/* Raised: a receiver with room takes what is larger than it knew. */
	write_sysctl("/proc/sys/kernel/msgmax", 300);
	{
		struct raw_msg m = { .mtype = 4 };
		uint8_t big[1000];

		memset(m.text, 'q', 250);
		ASSERT_EQ(msgsnd(raw_qid(u1), &m, 250, 0), 0);
		IPCX_FAIL(ipcx_recv(c, big, sizeof(big), 0), 100); /* the first, 100 zeros */
		IPCX_FAIL(ipcx_recv(c, big, 200, 0), -EMSGSIZE);
		IPCX_FAIL(ipcx_recv(c, big, sizeof(big), 0), 250);
		ASSERT_EQ(big[249], 'q');
	}
	ipcx_close(c);
	return 0;
}

static void
test_limits(void)
{
	pid_t pid = ipcx_test_peer(limits_peer, NULL);
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == TEST_SKIP_CODE)
		TEST_SKIP("no private IPC namespace");
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

/* ---- lifecycle ------------------------------------------------------------ */

static int
nobody_creates(void *arg)
{
	ipcx_chan *c;

	become_nobody();
	IPCX_PASS(ipcx_create(&c, arg, IPCX_KEEP));
	ipcx_close(c);
	return 0;
}

static void
test_lifecycle(void)
{
	const char *uri = ipcx_test_uri("sysvmq", NULL), *uri2 = ipcx_test_uri("sysvmq", NULL);
	struct msqid_ds ds;
	ipcx_chan *c, *j;

	IPCX_FAIL(ipcx_join(&j, uri, 0), -ENOENT);
	ASSERT_SAYS(NULL, "no System V queue", "ipcx create");
	IPCX_FAIL(ipcx_unlink(uri), -ENOENT);
	IPCX_PASS(ipcx_create(&c, with(uri, "mode=0640"), IPCX_KEEP | IPCX_EXCL));
	ASSERT_EQ(msgctl(raw_qid(uri), IPC_STAT, &ds), 0);
	ASSERT_EQ(ds.msg_perm.mode & 0777, 0640);
	ipcx_test_send_str(c, "kept");
	ipcx_close(c);
	IPCX_FAIL(ipcx_create(&c, uri, IPCX_EXCL), -EEXIST);
	/* Our own leftover is adopted, its mode kept unless mode= says
	 * otherwise, and goes with its closing. */
	IPCX_PASS(ipcx_create(&c, uri, IPCX_KEEP));
	ASSERT_EQ(msgctl(raw_qid(uri), IPC_STAT, &ds), 0);
	ASSERT_EQ(ds.msg_perm.mode & 0777, 0640);
	ipcx_close(c);
	IPCX_PASS(ipcx_create(&c, with(uri, "mode=0604"), 0));
	ASSERT_EQ(msgctl(raw_qid(uri), IPC_STAT, &ds), 0);
	ASSERT_EQ(ds.msg_perm.mode & 0777, 0604);
	ipcx_test_recv_str(c, "kept");
	ipcx_close(c);
	IPCX_FAIL(ipcx_join(&j, uri, 0), -ENOENT);

	/* Another user's queue under the key is never adopted. */
	if (geteuid() == 0) {
		ipcx_test_wait(ipcx_test_peer(nobody_creates, (void *)uri2), -1);
		IPCX_FAIL(ipcx_create(&c, uri2, 0), -EEXIST);
		ASSERT_SAYS(NULL, "another user");
		IPCX_PASS(ipcx_unlink(uri2));
	}
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

struct perm_case {
	const char *uri;
	int send, recv;
};

static int
perm_peer(void *arg)
{
	const struct perm_case *p = arg;
	ipcx_chan *ch;
	char buf[64];

	become_nobody();
	IPCX_FAIL(ipcx_unlink(p->uri), -EPERM);
	ASSERT_SAYS(NULL, "belongs to another user");
	/* A key can always be looked up; the mode decides each call. */
	IPCX_PASS(ipcx_join(&ch, p->uri, 0));
	IPCX_FAIL(ipcx_send(ch, "from nobody", 11, 0), p->send);
	if (p->send < 0)
		ASSERT_SAYS(ch, "no write permission");
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), 0), p->recv);
	if (p->recv < 0)
		ASSERT_SAYS(ch, "no read permission");
	ipcx_close(ch);
	return 0;
}

static void
test_nobody(void)
{
	const char *u1 = ipcx_test_uri("sysvmq", NULL);
	const char *u2 = ipcx_test_uri("sysvmq", "mode=0622");
	struct perm_case deny = { u1, -EACCES, -EACCES };
	struct perm_case wonly = { u2, 0, -EACCES };
	ipcx_chan *c1, *c2;

	need_root();
	IPCX_PASS(ipcx_create(&c1, u1, 0));
	IPCX_PASS(ipcx_create(&c2, u2, 0));
	ipcx_test_send_str(c1, "not for nobody");
	ipcx_test_wait(ipcx_test_peer(perm_peer, &deny), -1);
	ipcx_test_wait(ipcx_test_peer(perm_peer, &wonly), -1);
	ipcx_test_recv_str(c2, "from nobody");
	ipcx_test_recv_str(c1, "not for nobody");
	ipcx_close(c1);
	ipcx_close(c2);
}

/* ---- a removed queue ---------------------------------------------------- */

static int
waiting_receiver(void *arg)
{
	struct ipcx_test_line *l = arg;
	ipcx_chan *ch, *tx;
	char buf[64];

	IPCX_PASS(ipcx_join(&ch, shared_uri, 0));
	IPCX_PASS(ipcx_join(&tx, shared_uri, 0));
	ipcx_test_line_put(l, 'r');
	/* Waits forever - until the queue is removed: the end. */
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), -1), IPCX_EOF);
	ASSERT_SAYS(ch, "removed");
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), 0), IPCX_EOF);
	IPCX_FAIL(ipcx_send(tx, "late", 4, 0), -EPIPE);
	ASSERT_SAYS(tx, "removed");
	ipcx_close(tx);
	ipcx_close(ch);
	return 0;
}

static void
test_removed(void)
{
	struct ipcx_test_line l;
	ipcx_chan *c;
	pid_t pid;

	shared_uri = ipcx_test_uri("sysvmq", NULL);
	IPCX_PASS(ipcx_create(&c, shared_uri, 0));
	ipcx_test_line_open(&l);
	pid = ipcx_test_peer(waiting_receiver, &l);
	ASSERT_EQ(ipcx_test_line_get(&l), 'r');
	IPCX_PASS(ipcx_unlink(shared_uri));
	ipcx_test_wait(pid, -1);
	ipcx_close(c); /* its queue is gone already: nothing to do, no harm */
}

/* ---- a full queue ------------------------------------------------------- */

static int
blocked_sender(void *arg)
{
	uint8_t buf[64];
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, arg, 0));
	ipcx_test_fill(buf, 64, 99);
	IPCX_PASS(ipcx_send(ch, buf, 64, -1));
	ipcx_close(ch);
	return 0;
}

static void
test_full(void)
{
	const char *uri = ipcx_test_uri("sysvmq", NULL);
	struct msqid_ds ds;
	uint8_t buf[64];
	ipcx_chan *c;
	int64_t t0;
	pid_t pid;
	int q, k;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	q = raw_qid(uri);
	ASSERT_EQ(msgctl(q, IPC_STAT, &ds), 0);
	ds.msg_qbytes = 128;
	ASSERT_EQ(msgctl(q, IPC_SET, &ds), 0);
	for (k = 0; k < 2; k++) {
		ipcx_test_fill(buf, 64, (uint32_t)k);
		IPCX_PASS(ipcx_send(c, buf, 64, 0));
	}
	IPCX_FAIL(ipcx_send(c, buf, 1, 0), -EAGAIN);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_send(c, buf, 1, 200), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 200);
	ASSERT_EQ(msgctl(q, IPC_STAT, &ds), 0);
	ASSERT_EQ(ds.msg_qnum, 2);
	pid = ipcx_test_peer(blocked_sender, (void *)uri);
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 64);
	ASSERT_TRUE(ipcx_test_check(buf, 64, 0));
	ipcx_test_wait(pid, -1);
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 64);
	ASSERT_TRUE(ipcx_test_check(buf, 64, 1));
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 64);
	ASSERT_TRUE(ipcx_test_check(buf, 64, 99));
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(c);
}

/* ---- a stopped receiver ----------------------------------------------- */

#define STOP_N 3000

static int
stop_receiver(void *arg)
{
	struct ipcx_test_line *l = arg;
	uint8_t buf[8192];
	ipcx_chan *ch;
	uint32_t k;

	IPCX_PASS(ipcx_join(&ch, shared_uri, 0));
	for (k = 0; k < STOP_N; k++) {
		ssize_t r = ipcx_recv(ch, buf, sizeof(buf), TMO);
		size_t n = (k * 131u) % 2000;
		IPCX_PASS(r);
		ASSERT_EQ(r, (ssize_t)n);
		if (!ipcx_test_check(buf, n, k))
			IPCX_TEST_FAILF("message %u has wrong bytes", k);
		if (k == 100)
			ipcx_test_line_put(l, 'h');
	}
	ipcx_close(ch);
	return 0;
}

static void
test_stopped_receiver(void)
{
	struct ipcx_test_line l;
	uint8_t buf[2000];
	ipcx_chan *c;
	uint32_t k;
	pid_t pid;
	bool stopped = false;

	shared_uri = ipcx_test_uri("sysvmq", NULL);
	IPCX_PASS(ipcx_create(&c, shared_uri, 0));
	ipcx_test_line_open(&l);
	pid = ipcx_test_peer(stop_receiver, &l);
	for (k = 0; k < STOP_N; k++) {
		size_t n = (k * 131u) % 2000;
		int rc;

		if (k == 200) {
			ASSERT_EQ(ipcx_test_line_get(&l), 'h');
			kill(pid, SIGSTOP);
			wait_stopped(pid);
			stopped = true;
		}
		ipcx_test_fill(buf, n, k);
		rc = ipcx_send(c, buf, n, stopped ? 0 : TMO);
		if (rc == -EAGAIN && stopped) {
			kill(pid, SIGCONT);
			stopped = false;
			rc = ipcx_send(c, buf, n, TMO);
		}
		IPCX_PASS(rc);
	}
	ASSERT_TRUE(!stopped);
	ipcx_test_wait(pid, -1);
	ipcx_close(c);
}

/* ---- waits are back-off loops ------------------------------------------- */

static volatile sig_atomic_t ticks;

static void
on_tick(int sig)
{
	(void)sig;
	ticks++;
}

static atomic_int ticker_stop;

/* A signal every 20 ms until told to stop: a wait that starts late on a
 * loaded machine still gets one. */
static void *
ticker(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;

	while (!atomic_load(&ticker_stop)) {
		usleep(20000);
		pthread_kill(main_thread, SIGUSR1);
	}
	return NULL;
}

static void *
wake_later(void *arg)
{
	usleep(100000);
	ipcx_wake(arg);
	return NULL;
}

static int
late_sender(void *arg)
{
	struct ipcx_test_line *l = arg;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, shared_uri, 0));
	(void)ipcx_test_line_get(l);
	usleep(50000); /* let the receiver's back-off grow */
	ipcx_test_send_str(ch, "late");
	ipcx_close(ch);
	return 0;
}

/* The handler of every signal, to tell that a wait installed none. */
static void
handlers(void (*out[])(int))
{
	struct sigaction sa;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		out[sig] = sigaction(sig, NULL, &sa) == 0 ? sa.sa_handler : NULL;
}

static void
no_handler_installed(void (*before[])(int))
{
	void (*now[NSIG])(int);
	int sig;

	handlers(now);
	for (sig = 1; sig < NSIG; sig++)
		if (now[sig] != before[sig])
			IPCX_TEST_FAILF("a wait installed a handler for signal %d", sig);
}

/* There is no descriptor: a wait forever still ends for a message, for
 * ipcx_wake, for a signal on an IPCX_INTERRUPTIBLE channel; a deadline is
 * kept through signals; and no signal handler is ever installed. */
static void
test_waits(void)
{
	struct ipcx_test_line l;
	struct sigaction sa;
	pthread_t self = pthread_self(), t;
	ipcx_chan *c, *ic;
	char buf[64];
	void (*before[NSIG])(int);
	int64_t t0;
	pid_t pid;

	handlers(before);
	shared_uri = ipcx_test_uri("sysvmq", NULL);
	IPCX_PASS(ipcx_create(&c, shared_uri, 0));
	IPCX_PASS(ipcx_join(&ic, shared_uri, IPCX_INTERRUPTIBLE));
	IPCX_FAIL(ipcx_pollfd(c), -ENOTSUP);

	ipcx_test_line_open(&l);
	pid = ipcx_test_peer(late_sender, &l);
	ipcx_test_line_put(&l, 'g');
	ipcx_test_recv_str(c, "late");
	ipcx_test_wait(pid, -1);

	ASSERT_EQ(pthread_create(&t, NULL, wake_later, c), 0);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), -1), -ECANCELED);
	ASSERT_GE(ipcx_test_now_ms() - t0, 90);
	pthread_join(t, NULL);
	/* Two wakes before a wait: it ends at once, the next one waits. */
	ipcx_wake(c);
	ipcx_wake(c);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), -1), -ECANCELED);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 30), -ETIMEDOUT);
	no_handler_installed(before);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(pthread_create(&t, NULL, ticker, &self), 0);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 250), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 250);
	ASSERT_GE(ticks, 1);
	IPCX_FAIL(ipcx_recv(ic, buf, sizeof(buf), -1), -EINTR);
	atomic_store(&ticker_stop, 1);
	pthread_join(t, NULL);
	ipcx_close(ic);
	ipcx_close(c);
}

static int
stat_sender(void *arg)
{
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, arg, 0));
	ipcx_test_send_str(ch, "from a child");
	ipcx_close(ch);
	return 0;
}

static int
stat_receiver(void *arg)
{
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, arg, 0));
	ipcx_test_recv_str(ch, "a");
	ipcx_close(ch);
	return 0;
}

/* Queued messages, capacity (msg_qbytes, bytes), mode, owner, and the pids
 * of the last sender and receiver, which the kernel keeps. */
static void
test_stat(void)
{
	const char *uri = ipcx_test_uri("sysvmq", "mode=0604");
	struct msqid_ds ds;
	struct ipcx_stat st;
	ipcx_chan *c;
	pid_t tx, rx;
	int q;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.last_sender_pid, 0);
	ASSERT_EQ(st.last_receiver_pid, 0);
	ipcx_test_send_str(c, "a");
	ipcx_test_send_str(c, "b");
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_STREQ(st.scheme, "sysvmq");
	ASSERT_EQ(st.queued, 2);
	ASSERT_EQ(st.queued_unit, 0);
	ASSERT_EQ(st.mode, 0604);
	ASSERT_TRUE(st.has_owner);
	ASSERT_EQ(st.owner_uid, geteuid());
	ASSERT_EQ(st.max_msg, (size_t)read_sysctl("/proc/sys/kernel/msgmax"));
	ASSERT_EQ(st.capacity, read_sysctl("/proc/sys/kernel/msgmnb"));
	ASSERT_EQ(st.capacity_unit, 1);
	ASSERT_EQ(st.last_sender_pid, getpid());
	/* The owner lowers the capacity: stat follows the queue. */
	q = raw_qid(uri);
	ASSERT_EQ(msgctl(q, IPC_STAT, &ds), 0);
	ds.msg_qbytes = 1000;
	ASSERT_EQ(msgctl(q, IPC_SET, &ds), 0);
	tx = ipcx_test_peer(stat_sender, (void *)uri);
	ipcx_test_wait(tx, -1);
	rx = ipcx_test_peer(stat_receiver, (void *)uri);
	ipcx_test_wait(rx, -1);
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.capacity, 1000);
	ASSERT_EQ(st.queued, 2);
	ASSERT_EQ(st.last_sender_pid, tx);
	ASSERT_EQ(st.last_receiver_pid, rx);
	ipcx_close(c);
}

static void
test_million(void)
{
	const char *uri = ipcx_test_uri("sysvmq", NULL);
	ipcx_chan *c;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	many_run(uri, 4, 3, 250000);
	ipcx_close(c);
}

TEST_LIST = {
	{ "sysvmq keys: hex, decimal, ftok", test_keys },
	{ "sysvmq types sent and selected", test_types },
	{ "sysvmq plain msgsnd/msgrcv peers", test_raw_peers },
	{ "sysvmq msg_qbytes and msgmax are named", test_qbytes },
	{ "sysvmq system limits in a private namespace", test_limits },
	{ "sysvmq create, adopt, keep, unlink", test_lifecycle },
	{ "sysvmq permissions for another uid", test_nobody },
	{ "sysvmq removed queue is the end", test_removed },
	{ "sysvmq full queue", test_full },
	{ "sysvmq receiver stopped and continued", test_stopped_receiver },
	{ "sysvmq waits: message, wake, signals, deadline", test_waits },
	{ "sysvmq stat", test_stat },
	{ "sysvmq 4 senders 3 receivers 10^6 messages", test_million },
	{ NULL, NULL },
};
