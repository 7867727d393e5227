/* SPDX-License-Identifier: MIT */
/*
 * mq_test.c - POSIX message queues ("mq:") between real processes: the
 * priorities, the geometry and the system's limits, names and keys, modes
 * and a second uid, a message too large for the buffer, a full queue, a
 * stopped receiver, signals during waits, and a million messages from
 * four senders to three receivers, every byte checked.
 *
 * The limit tests run in a private IPC namespace (unshare(CLONE_NEWIPC)),
 * whose mqueue limits they set without touching the machine's, as nobody
 * (root's CAP_SYS_RESOURCE would lift msg_max and msgsize_max).  Every
 * queue is named by ipcx_test_uri(), so the harness removes what a failed
 * test leaves behind.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <mqueue.h>
#include <pthread.h>
#include <sys/resource.h>

#include "queue_helpers.h"

#define MQ_SYS "/proc/sys/fs/mqueue/"

/* "/NAME" of an mq: URI. */
static const char *
mq_path(const char *uri)
{
	static char buf[4][300];
	static int slot;
	char *b = buf[slot++ % 4];
	const char *n = strchr(uri, ':') + 1;
	size_t len = strcspn(n, "?");

	if (*n == '/') {
		n++;
		len--;
	}
	snprintf(b, 300, "/%.*s", (int)len, n);
	return b;
}

/* The queue as the kernel sees it, through a plain mq_open. */
static void
raw_attr(const char *uri, struct mq_attr *attr, struct stat *st)
{
	mqd_t d = mq_open(mq_path(uri), O_RDONLY | O_NONBLOCK);

	if (d == (mqd_t)-1)
		IPCX_TEST_FAILF("mq_open %s: %s", mq_path(uri), strerror(errno));
	ASSERT_EQ(mq_getattr(d, attr), 0);
	if (st != NULL)
		ASSERT_EQ(fstat(d, st), 0);
	mq_close(d);
}

static bool
raw_exists(const char *uri)
{
	mqd_t d = mq_open(mq_path(uri), O_RDONLY | O_NONBLOCK);

	if (d == (mqd_t)-1) {
		ASSERT_EQ(errno, ENOENT);
		return false;
	}
	mq_close(d);
	return true;
}

static unsigned
raw_mode(const char *uri)
{
	struct mq_attr a;
	struct stat st;

	raw_attr(uri, &a, &st);
	return st.st_mode & 0777;
}

static int
chmod_raw(const char *uri, mode_t mode)
{
	mqd_t d = mq_open(mq_path(uri), O_RDONLY | O_NONBLOCK);
	int rc;

	if (d == (mqd_t)-1)
		return -1;
	rc = fchmod((int)d, mode);
	mq_close(d);
	return rc;
}

/* The URI with a query added. */
static const char *
with(const char *uri, const char *query)
{
	static char buf[4][600];
	static int slot;
	char *b = buf[slot++ % 4];

	snprintf(b, 600, "%s%c%s", uri, strchr(uri, '?') ? '&' : '?', query);
	return b;
}

/* ---- priorities ------------------------------------------------------- */

static const unsigned prio_order[] = { 0, 3, 1, 3, 2, 0, 1, 3, 2, 0 };
#define NPRIO (sizeof(prio_order) / sizeof(prio_order[0]))

static const char *shared_uri;

static int
prio_sender(void *arg)
{
	ipcx_chan *ch[4] = { 0 };
	char q[16];
	size_t k;

	(void)arg;
	for (k = 0; k < 4; k++) {
		snprintf(q, sizeof(q), "prio=%zu", k);
		IPCX_PASS(ipcx_join(&ch[k], with(shared_uri, q), 0));
	}
	for (k = 0; k < NPRIO; k++) {
		uint8_t buf[32];
		ipcx_test_fill(buf, 10 + k, (uint32_t)k);
		IPCX_PASS(ipcx_send(ch[prio_order[k]], buf, 10 + k, TMO));
	}
	for (k = 0; k < 4; k++)
		ipcx_close(ch[k]);
	return 0;
}

/* Highest priority first, FIFO within a priority, each one reported. */
static void
test_priorities(void)
{
	struct ipcx_msg_info info;
	uint8_t buf[8192];
	ipcx_chan *rx;
	unsigned p;
	size_t k;
	int n = 0;

	shared_uri = ipcx_test_uri("mq", NULL);
	IPCX_PASS(ipcx_create(&rx, shared_uri, 0));
	ipcx_test_wait(ipcx_test_peer(prio_sender, NULL), -1);
	for (p = 4; p-- > 0;)
		for (k = 0; k < NPRIO; k++) {
			if (prio_order[k] != p)
				continue;
			ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 10 + k);
			ASSERT_TRUE(ipcx_test_check(buf, 10 + k, (uint32_t)k));
			ASSERT_TRUE(info.fields & IPCX_INFO_PRIO);
			ASSERT_EQ(info.prio, p);
			n++;
		}
	ASSERT_EQ(n, (int)NPRIO);
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(rx);
	ASSERT_TRUE(!raw_exists(shared_uri));
}

/* ---- geometry ----------------------------------------------------------- */

static void
test_geometry(void)
{
	const char *uri = ipcx_test_uri("mq", NULL), *uri2 = ipcx_test_uri("mq", NULL);
	struct ipcx_stat st;
	struct mq_attr a;
	ipcx_chan *c, *j;
	char big[200] = { 0 };

	IPCX_PASS(ipcx_create(&c, with(uri, "maxmsg=5&msgsize=100"), IPCX_EXCL));
	raw_attr(uri, &a, NULL);
	ASSERT_EQ(a.mq_maxmsg, 5);
	ASSERT_EQ(a.mq_msgsize, 100);
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.max_msg, 100);
	IPCX_FAIL(ipcx_send(c, big, 101, 0), -EMSGSIZE);
	IPCX_PASS(ipcx_send(c, big, 100, 0));
	/* A joiner takes the queue's msgsize, or a smaller max=... */
	IPCX_PASS(ipcx_join(&j, uri, 0));
	IPCX_PASS(ipcx_stat(j, &st));
	ASSERT_EQ(st.max_msg, 100);
	ASSERT_EQ(st.queued, 1);
	ASSERT_EQ(st.queued_unit, 0);
	ASSERT_EQ(st.capacity, 5);
	ASSERT_EQ(st.capacity_unit, 0);
	/* The kernel keeps no last sender or receiver of a POSIX queue. */
	ASSERT_EQ(st.last_sender_pid, 0);
	ASSERT_EQ(st.last_receiver_pid, 0);
	ipcx_close(j);
	IPCX_PASS(ipcx_join(&j, with(uri, "max=40"), 0));
	IPCX_PASS(ipcx_stat(j, &st));
	ASSERT_EQ(st.max_msg, 40);
	IPCX_FAIL(ipcx_send(j, big, 41, 0), -EMSGSIZE);
	ipcx_close(j);
	/* ...never a larger one. */
	IPCX_FAIL(ipcx_join(&j, with(uri, "max=200"), 0), -EINVAL);
	ASSERT_SAYS(NULL, "max=200", "msgsize=100");
	ipcx_close(c);

	/* max= alone sizes a new queue. */
	IPCX_PASS(ipcx_create(&c, with(uri2, "max=64&maxmsg=3"), 0));
	raw_attr(uri2, &a, NULL);
	ASSERT_EQ(a.mq_msgsize, 64);
	ASSERT_EQ(a.mq_maxmsg, 3);
	ipcx_close(c);
}

/* Without keys the queue has the system's defaults. */
static void
test_defaults(void)
{
	const char *uri = ipcx_test_uri("mq", NULL);
	struct ipcx_stat st;
	struct mq_attr a;
	ipcx_chan *c;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	raw_attr(uri, &a, NULL);
	ASSERT_EQ(a.mq_maxmsg, read_sysctl(MQ_SYS "msg_default"));
	ASSERT_EQ(a.mq_msgsize, read_sysctl(MQ_SYS "msgsize_default"));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.max_msg, (size_t)a.mq_msgsize);
	ASSERT_STREQ(st.scheme, "mq");
	ipcx_close(c);
}

/* ---- names and keys ------------------------------------------------------ */

static void
test_names(void)
{
	const char *uri = ipcx_test_uri("mq", NULL);
	char slash[300], longname[400];
	ipcx_chan *c, *j;
	static const char *const bad[] = {
		"mq:a/b", "mq:/a/b", "mq:/", "mq:.", "mq:/..", "mq:x?maxmsg=0",
		"mq:x?maxmsg=65537", "mq:x?maxmsg=ten", "mq:x?msgsize=0", "mq:x?msgsize=17M",
		"mq:x?prio=32768", "mq:x?prio=-1", "mq:x?max=100&msgsize=50", "mq:x?max=17M",
		"mq:x?framing=len", "mq:x?type=1", "mq://x", NULL,
	};
	const char *const *b;
	struct ipcx_stat st;

	/* mq:NAME and mq:/NAME are one queue. */
	snprintf(slash, sizeof(slash), "mq:%s", mq_path(uri));
	IPCX_PASS(ipcx_create(&c, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&j, slash, 0));
	IPCX_PASS(ipcx_stat(j, &st));
	ASSERT_STREQ(st.uri, slash);
	ipcx_test_send_str(j, "same queue");
	ipcx_test_recv_str(c, "same queue");
	ipcx_close(j);
	ipcx_close(c);

	for (b = bad; *b; b++) {
		int rc = ipcx_create(&c, *b, 0);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_create(\"%s\") -> %s, expected EINVAL", *b,
			                ipcx_errname(rc));
		ASSERT_TRUE(strncmp(ipcx_errmsg(NULL), "invalid URI: ", 13) == 0);
		IPCX_FAIL(ipcx_uri_check(*b), -EINVAL);
	}
	IPCX_FAIL(ipcx_uri_check("mq:a/b"), -EINVAL);
	ASSERT_SAYS(NULL, "'/'");
	/* NAME_MAX (255) bytes fit, one more does not. */
	memset(longname, 'n', sizeof(longname));
	snprintf(longname, sizeof(longname), "mq:ipcx-test-%d-", (int)getpid());
	memset(longname + strlen(longname), 'n', 255 - (strlen(longname) - 3));
	longname[3 + 255] = '\0';
	IPCX_PASS(ipcx_create(&c, longname, IPCX_EXCL));
	ipcx_close(c);
	longname[3 + 255] = 'n';
	longname[3 + 256] = '\0';
	IPCX_FAIL(ipcx_create(&c, longname, 0), -ENAMETOOLONG);
	IPCX_FAIL(ipcx_uri_check(longname), -ENAMETOOLONG);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

/* Join, exclusive create, adopting a leftover, keep and unlink. */
static void
test_lifecycle(void)
{
	const char *uri = ipcx_test_uri("mq", NULL);
	ipcx_chan *c, *c2, *j;

	IPCX_FAIL(ipcx_join(&j, uri, 0), -ENOENT);
	ASSERT_SAYS(NULL, "no queue", mq_path(uri));
	IPCX_FAIL(ipcx_unlink(uri), -ENOENT);
	IPCX_PASS(ipcx_create(&c, with(uri, "maxmsg=4&msgsize=64"), IPCX_EXCL | IPCX_KEEP));
	ipcx_test_send_str(c, "left over");
	ipcx_close(c);
	ASSERT_TRUE(raw_exists(uri));
	IPCX_FAIL(ipcx_create(&c, with(uri, "maxmsg=4&msgsize=64"), IPCX_EXCL), -EEXIST);
	/* Another geometry is not the same object. */
	IPCX_FAIL(ipcx_create(&c, with(uri, "maxmsg=3&msgsize=64"), 0), -EEXIST);
	ASSERT_SAYS(NULL, "maxmsg=4", "maxmsg=3");
	/* The same is adopted, messages and all, and removed by its closing;
	 * its mode stays unless mode= says otherwise. */
	ASSERT_EQ(chmod_raw(uri, 0640), 0);
	IPCX_PASS(ipcx_create(&c, with(uri, "maxmsg=4&msgsize=64"), IPCX_KEEP));
	ASSERT_EQ(raw_mode(uri), 0640);
	ipcx_close(c);
	IPCX_PASS(ipcx_create(&c, with(uri, "maxmsg=4&msgsize=64&mode=0604"), 0));
	ASSERT_EQ(raw_mode(uri), 0604);
	ipcx_test_recv_str(c, "left over");
	ipcx_close(c);
	ASSERT_TRUE(!raw_exists(uri));

	/* Removing the name leaves open channels working; a successor under
	 * the name is never removed by its predecessor's close. */
	IPCX_PASS(ipcx_create(&c, uri, 0));
	IPCX_PASS(ipcx_join(&j, uri, 0));
	IPCX_PASS(ipcx_unlink(uri));
	IPCX_FAIL(ipcx_join(&c2, uri, 0), -ENOENT);
	ipcx_test_send_str(j, "still here");
	ipcx_test_recv_str(c, "still here");
	IPCX_PASS(ipcx_create(&c2, uri, IPCX_EXCL));
	ipcx_close(c);
	ASSERT_TRUE(raw_exists(uri));
	ipcx_close(c2);
	ASSERT_TRUE(!raw_exists(uri));
	ipcx_close(j);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

/* ---- modes and a second uid --------------------------------------------- */

static void
test_mode_beats_umask(void)
{
	const char *uri = ipcx_test_uri("mq", NULL), *uri2 = ipcx_test_uri("mq", NULL);
	struct ipcx_stat st;
	struct mq_attr a;
	struct stat sb;
	ipcx_chan *c, *c2;

	umask(0077);
	IPCX_PASS(ipcx_create(&c, with(uri, "mode=0646"), 0));
	raw_attr(uri, &a, &sb);
	ASSERT_EQ(sb.st_mode & 0777, 0646);
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.mode, 0646);
	ASSERT_TRUE(st.has_owner);
	ASSERT_EQ(st.owner_uid, geteuid());
	umask(0277);
	IPCX_PASS(ipcx_create(&c2, uri2, 0));
	raw_attr(uri2, &a, &sb);
	ASSERT_EQ(sb.st_mode & 0777, 0600);
	ipcx_close(c2);
	ipcx_close(c);
}

struct perm_case {
	const char *uri;
	int join, send, recv; /* what nobody gets */
};

static int
perm_peer(void *arg)
{
	const struct perm_case *p = arg;
	ipcx_chan *ch;
	char buf[64];

	become_nobody();
	IPCX_FAIL(ipcx_unlink(p->uri), -EACCES);
	ASSERT_SAYS(NULL, "no permission to remove");
	IPCX_FAIL(ipcx_join(&ch, p->uri, 0), p->join);
	if (p->join < 0) {
		ASSERT_SAYS(NULL, "permission");
		return 0;
	}
	IPCX_FAIL(ipcx_send(ch, "from nobody", 11, 0), p->send);
	if (p->send < 0)
		ASSERT_SAYS(ch, "permission");
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), 0), p->recv);
	if (p->recv < 0)
		ASSERT_SAYS(ch, "permission");
	ipcx_close(ch);
	return 0;
}

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
test_nobody(void)
{
	const char *u1 = ipcx_test_uri("mq", NULL), *u2 = ipcx_test_uri("mq", "mode=0622");
	const char *u3 = ipcx_test_uri("mq", "mode=0644");
	struct perm_case deny = { u1, -EACCES, 0, 0 };
	struct perm_case wonly = { u2, 0, 0, -EACCES };
	struct perm_case ronly = { u3, 0, -EACCES, 10 };
	ipcx_chan *c1, *c2, *c3;
	char buf[64];

	need_root();
	IPCX_PASS(ipcx_create(&c1, u1, 0));
	IPCX_PASS(ipcx_create(&c2, u2, 0));
	IPCX_PASS(ipcx_create(&c3, u3, 0));
	ipcx_test_send_str(c3, "for nobody");
	ipcx_test_wait(ipcx_test_peer(perm_peer, &deny), -1);
	ipcx_test_wait(ipcx_test_peer(perm_peer, &wonly), -1);
	ipcx_test_wait(ipcx_test_peer(perm_peer, &ronly), -1);
	ipcx_test_recv_str(c2, "from nobody");
	IPCX_FAIL(ipcx_recv(c1, buf, sizeof(buf), 0), -EAGAIN);
	IPCX_FAIL(ipcx_recv(c3, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(c1);
	ipcx_close(c2);
	ipcx_close(c3);
	/* Another user's queue of the same geometry is never adopted. */
	ipcx_test_wait(ipcx_test_peer(nobody_creates, (void *)u1), -1);
	IPCX_FAIL(ipcx_create(&c1, u1, 0), -EEXIST);
	IPCX_PASS(ipcx_unlink(u1));
}

/* ---- the system's limits ------------------------------------------------ */

static int
limits_peer(void *arg)
{
	struct rlimit rl = { 1200, 1200 };
	struct ipcx_stat st;
	ipcx_chan *c, *c2, *c3;
	char uri[64];

	(void)arg;
	private_ipc_namespace();
	write_sysctl(MQ_SYS "msg_max", 4);
	write_sysctl(MQ_SYS "msgsize_max", 256);
	write_sysctl(MQ_SYS "queues_max", 2);
	write_sysctl(MQ_SYS "msg_default", 2);
	write_sysctl(MQ_SYS "msgsize_default", 128);
	become_nobody();
	snprintf(uri, sizeof(uri), "mq:ipcx-limits-%d", (int)getpid());

	IPCX_FAIL(ipcx_create(&c, with(uri, "maxmsg=5"), 0), -EINVAL);
	ASSERT_SAYS(NULL, "maxmsg=5", "/proc/sys/fs/mqueue/msg_max", "= 4");
	IPCX_FAIL(ipcx_create(&c, with(uri, "msgsize=512"), 0), -EINVAL);
	ASSERT_SAYS(NULL, "msgsize=512", "/proc/sys/fs/mqueue/msgsize_max", "= 256");
	/* The defaults are this namespace's. */
	IPCX_PASS(ipcx_create(&c, uri, 0));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.max_msg, 128);
	snprintf(uri, sizeof(uri), "mq:ipcx-limits-%d-b", (int)getpid());
	IPCX_PASS(ipcx_create(&c2, uri, 0));
	snprintf(uri, sizeof(uri), "mq:ipcx-limits-%d-c", (int)getpid());
	IPCX_FAIL(ipcx_create(&c3, uri, 0), -ENOSPC);
	ASSERT_SAYS(NULL, "/proc/sys/fs/mqueue/queues_max", "= 2");
	ipcx_close(c2);
	ipcx_close(c);

	/* RLIMIT_MSGQUEUE: 4 x 256 bytes and the kernel's bookkeeping > 1200. */
	ASSERT_EQ(setrlimit(RLIMIT_MSGQUEUE, &rl), 0);
	IPCX_FAIL(ipcx_create(&c, with(uri, "maxmsg=4&msgsize=256"), 0), -EMFILE);
	ASSERT_SAYS(NULL, "RLIMIT_MSGQUEUE", "1200 bytes", "maxmsg=4", "msgsize=256");
	/* What fits still goes... */
	IPCX_PASS(ipcx_create(&c, with(uri, "maxmsg=1&msgsize=128"), 0));
	ipcx_close(c);
	/* ...until the user's other queues have taken the room. */
	IPCX_PASS(ipcx_create(&c, with(uri, "maxmsg=3&msgsize=256"), 0));
	snprintf(uri, sizeof(uri), "mq:ipcx-limits-%d-d", (int)getpid());
	IPCX_FAIL(ipcx_create(&c2, with(uri, "maxmsg=3&msgsize=256"), 0), -EMFILE);
	ASSERT_SAYS(NULL, "RLIMIT_MSGQUEUE", "1200 bytes", "all its queues", "maxmsg=3");
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "descriptor") == NULL);
	ipcx_close(c);
	return 0;
}

/* The other EMFILE: no descriptor left, named as such.  The registry
 * takes descriptors before the queue does, so the spare ones are counted
 * down until the queue is the one that finds none. */
static int
nofile_peer(void *arg)
{
	int fds[1100], n, spare, rc;
	bool named = false;
	const char *uri;
	ipcx_chan *c;

	(void)arg;
	for (spare = 6; spare >= 0 && !named; spare--) {
		for (n = 0; n < 1100 && (fds[n] = dup(2)) >= 0; n++)
			;
		ASSERT_EQ(errno, EMFILE);
		for (rc = 0; rc < spare && n > 0; rc++)
			close(fds[--n]);
		uri = ipcx_test_uri("mq", NULL);
		rc = ipcx_create(&c, uri, 0);
		if (rc == 0) {
			/* Closing needs no spare descriptor to remove it. */
			ipcx_close(c);
			ASSERT_TRUE(!raw_exists(uri));
		}
		else if (rc == -EMFILE && strstr(ipcx_errmsg(NULL), "RLIMIT_NOFILE") != NULL)
			named = true;
		while (n > 0)
			close(fds[--n]);
	}
	ASSERT_TRUE(named);
	ASSERT_SAYS(NULL, "no descriptor left", "/ipcx-test-");
	return 0;
}

static void
test_nofile(void)
{
	struct rlimit rl = { 64, 64 };

	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ipcx_test_wait(ipcx_test_peer(nofile_peer, NULL), -1);
}

static void
test_limits(void)
{
	/* The namespace is made in a child, whose end removes it. */
	pid_t pid = ipcx_test_peer(limits_peer, NULL);
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == TEST_SKIP_CODE)
		TEST_SKIP("no private IPC namespace");
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

/* ---- a buffer too small ------------------------------------------------- */

/* mq_receive takes the message whole: the channel keeps it (-EMSGSIZE)
 * until a buffer with room comes, and gives it back to the queue when it
 * closes first. */
static void
test_short_buffer(void)
{
	const char *uri = ipcx_test_uri("mq", "msgsize=100&maxmsg=4");
	struct ipcx_msg_info info;
	struct ipcx_stat st;
	ipcx_chan *c, *tx, *rx2;
	uint8_t buf[100];

	IPCX_PASS(ipcx_create(&c, uri, 0));
	IPCX_PASS(ipcx_join(&tx, with(uri, "prio=5"), 0));
	ipcx_test_fill(buf, 50, 1);
	IPCX_PASS(ipcx_send(tx, buf, 50, 0));
	IPCX_FAIL(ipcx_recv(c, buf, 49, 0), -EMSGSIZE);
	ASSERT_SAYS(c, "50 bytes", "49-byte");
	IPCX_FAIL(ipcx_recv(c, buf, 0, 0), -EMSGSIZE);
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.queued, 1);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(ipcx_recv_info(c, buf, 50, &info, 0), 50);
	ASSERT_TRUE(ipcx_test_check(buf, 50, 1));
	ASSERT_EQ(info.prio, 5);
	/* A small buffer for a small message is fine. */
	ipcx_test_fill(buf, 3, 2);
	IPCX_PASS(ipcx_send(tx, buf, 3, 0));
	ASSERT_EQ(ipcx_recv(c, buf, 3, 0), 3);
	ASSERT_TRUE(ipcx_test_check(buf, 3, 2));

	/* Closed while keeping one: it goes back for the next receiver. */
	IPCX_PASS(ipcx_join(&rx2, uri, 0));
	ipcx_test_fill(buf, 80, 3);
	IPCX_PASS(ipcx_send(tx, buf, 80, 0));
	IPCX_FAIL(ipcx_recv(rx2, buf, 10, 0), -EMSGSIZE);
	ipcx_close(rx2);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(ipcx_recv_info(c, buf, sizeof(buf), &info, 0), 80);
	ASSERT_TRUE(ipcx_test_check(buf, 80, 3));
	ASSERT_EQ(info.prio, 5);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 0), -EAGAIN);

	/* A plain mq_send of a program's own, larger than the buffer: the
	 * same, reported and kept. */
	{
		mqd_t d = mq_open(mq_path(uri), O_WRONLY | O_NONBLOCK);

		ASSERT_TRUE(d != (mqd_t)-1);
		memset(buf, 'f', 90);
		ASSERT_EQ(mq_send(d, (const char *)buf, 90, 2), 0);
		mq_close(d);
	}
	IPCX_FAIL(ipcx_recv(c, buf, 89, 0), -EMSGSIZE);
	ASSERT_SAYS(c, "90 bytes", "89-byte", "kept");
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(ipcx_recv_info(c, buf, 90, &info, 0), 90);
	ASSERT_EQ(buf[89], 'f');
	ASSERT_EQ(info.prio, 2);
	ipcx_close(tx);
	ipcx_close(c);
}

/* ---- a full queue ------------------------------------------------------- */

static int
blocked_sender(void *arg)
{
	ipcx_chan *ch;
	uint8_t buf[64];

	IPCX_PASS(ipcx_join(&ch, arg, 0));
	ipcx_test_fill(buf, 64, 99);
	/* Waits (forever) until the parent makes room. */
	IPCX_PASS(ipcx_send(ch, buf, 64, -1));
	ipcx_close(ch);
	return 0;
}

static void
test_full(void)
{
	const char *uri = ipcx_test_uri("mq", "maxmsg=2&msgsize=64");
	struct mq_attr a;
	uint8_t buf[64];
	ipcx_chan *c;
	int64_t t0;
	pid_t pid;
	int k;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	for (k = 0; k < 2; k++) {
		ipcx_test_fill(buf, 64, (uint32_t)k);
		IPCX_PASS(ipcx_send(c, buf, 64, 0));
	}
	IPCX_FAIL(ipcx_send(c, buf, 1, 0), -EAGAIN);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_send(c, buf, 1, 200), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 200);
	raw_attr(uri, &a, NULL);
	ASSERT_EQ(a.mq_curmsgs, 2); /* nothing of the refused ones went in */
	pid = ipcx_test_peer(blocked_sender, (void *)uri);
	/* Its send is blocked until there is room: make some. */
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
			ipcx_test_line_put(l, 'h'); /* halfway: stop me now */
	}
	ipcx_close(ch);
	return 0;
}

/* A receiver SIGSTOPped in the middle: the queue fills, the sender waits
 * (-EAGAIN at timeout 0), and after SIGCONT everything arrives. */
static void
test_stopped_receiver(void)
{
	struct ipcx_test_line l;
	uint8_t buf[2000];
	ipcx_chan *c;
	uint32_t k;
	pid_t pid;
	bool stopped = false;

	shared_uri = ipcx_test_uri("mq", "msgsize=2000");
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
			/* Full while the receiver sleeps: wake it, then wait. */
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

/* ---- signals during waits ----------------------------------------------- */

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

/* EINTR never escapes and never shortens a deadline; on an
 * IPCX_INTERRUPTIBLE channel a signal ends the wait with -EINTR. */
static void
test_signals_in_waits(void)
{
	const char *uri = ipcx_test_uri("mq", NULL);
	struct sigaction sa;
	pthread_t self = pthread_self(), t;
	ipcx_chan *c, *ic;
	char buf[8192];
	int64_t t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: the hard case */
	IPCX_PASS(ipcx_create(&c, uri, 0));
	IPCX_PASS(ipcx_join(&ic, uri, IPCX_INTERRUPTIBLE));
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

/* The queue descriptor: close-on-exec, never 0-2, pollable. */
static void
test_descriptor(void)
{
	const char *uri = ipcx_test_uri("mq", NULL);
	ipcx_chan *c, *j;
	int fd;

	close(0);
	IPCX_PASS(ipcx_create(&c, uri, 0));
	fd = ipcx_pollfd(c);
	ASSERT_GE(fd, 3);
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	IPCX_PASS(ipcx_join(&j, uri, 0));
	ASSERT_EQ(poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 0), 0);
	ipcx_test_send_str(j, "x");
	ASSERT_EQ(poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, TMO), 1);
	ipcx_test_recv_str(c, "x");
	ipcx_close(j);
	ipcx_close(c);
}

/* ---- many senders, many receivers --------------------------------------- */

static void
test_million(void)
{
	const char *uri = ipcx_test_uri("mq", NULL);
	ipcx_chan *c;

	IPCX_PASS(ipcx_create(&c, uri, 0));
	many_run(uri, 4, 3, 250000);
	ipcx_close(c);
}

TEST_LIST = {
	{ "mq priorities: highest first, FIFO within one", test_priorities },
	{ "mq geometry: maxmsg, msgsize, max", test_geometry },
	{ "mq defaults are the system's", test_defaults },
	{ "mq names and keys", test_names },
	{ "mq join, create, adopt, keep, unlink", test_lifecycle },
	{ "mq mode= beats the umask", test_mode_beats_umask },
	{ "mq permissions for another uid", test_nobody },
	{ "mq system limits are named", test_limits },
	{ "mq no descriptor left is named", test_nofile },
	{ "mq buffer too small: kept, never lost", test_short_buffer },
	{ "mq full queue", test_full },
	{ "mq receiver stopped and continued", test_stopped_receiver },
	{ "mq signals during waits", test_signals_in_waits },
	{ "mq descriptor", test_descriptor },
	{ "mq 4 senders 3 receivers 10^6 messages", test_million },
	{ NULL, NULL },
};
