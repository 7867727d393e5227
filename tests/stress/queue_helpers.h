/* SPDX-License-Identifier: MIT */
/*
 * queue_helpers.h - what the message-queue and signal tests (mq_test.c,
 * sysvmq_test.c, signal_test.c) share: a second uid, a private IPC
 * namespace for the system-limit tests, memory shared with forked
 * processes, tagged messages for many senders, and sentence checks.
 * Include after ipcx_test.h.
 */
#ifndef IPCX_QUEUE_HELPERS_H
#define IPCX_QUEUE_HELPERS_H

#include <grp.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define TMO 30000 /* hang guard for blocking calls (ms), never a bound */
#define NOBODY 65534

static inline void
need_root(void)
{
	if (geteuid() != 0)
		TEST_SKIP("needs root to run a peer as another uid");
}

/* In a helper process: become nobody for good, with a registry directory
 * of nobody's own (a create fails where it cannot write its entry). */
static inline void
become_nobody(void)
{
	char reg[400];

	snprintf(reg, sizeof(reg), "%s/.registry-nobody", ipcx_test_dir);
	if (mkdir(reg, 0700) < 0 && errno != EEXIST)
		IPCX_TEST_FAILF("mkdir %s: %s", reg, strerror(errno));
	ASSERT_EQ(chown(reg, NOBODY, NOBODY), 0);
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		IPCX_TEST_FAILF("cannot drop to uid %d: %s", NOBODY, strerror(errno));
	ASSERT_EQ(geteuid(), NOBODY);
	ASSERT_TRUE(setuid(0) < 0);
	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", reg, 1), 0);
}

/*
 * Become a uid of this process's own (as root; otherwise stay).  The
 * kernel counts pending signals per user against RLIMIT_SIGPENDING, and
 * every process of that user adds to the count (a SIGCHLD to a shell
 * included): a receiver whose queue must stay full needs a user nobody
 * else is.
 */
static inline void
private_uid(void)
{
	uid_t uid = (uid_t)(2000000000u + (unsigned)getpid());

	if (geteuid() != 0)
		return;
	if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 || setuid(uid) < 0)
		IPCX_TEST_FAILF("cannot become uid %u: %s", (unsigned)uid, strerror(errno));
}

/*
 * Give the calling process an IPC namespace of its own, whose limits
 * (/proc/sys/fs/mqueue/..., /proc/sys/kernel/msg...) it may set without
 * touching anyone else's, and whose queues vanish with it.  Skips where
 * that is not allowed (an unprivileged user, a locked-down container).
 */
static inline void
private_ipc_namespace(void)
{
	need_root();
	if (unshare(CLONE_NEWIPC) < 0)
		TEST_SKIP("cannot make a private IPC namespace: %s", strerror(errno));
}

static inline void
write_sysctl(const char *path, long value)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int n = snprintf(buf, sizeof(buf), "%ld\n", value);

	if (fd < 0)
		IPCX_TEST_FAILF("open %s: %s", path, strerror(errno));
	ipcx_test_write_full(fd, buf, (size_t)n);
	close(fd);
}

static inline long
read_sysctl(const char *path)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		IPCX_TEST_FAILF("open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_GE(n, 1);
	return atol(buf);
}

/* Zeroed memory that forked children share with the test. */
static inline void *
shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		IPCX_TEST_FAILF("mmap %zu: %s", n, strerror(errno));
	return p;
}

/* The sentence of the last failure holds every one of the words. */
#define ASSERT_SAYS(ch, ...)                                                     \
	do {                                                                     \
		const char *says_words_[] = { __VA_ARGS__, NULL };               \
		const char *says_msg_ = ipcx_errmsg(ch);                         \
		for (int says_i_ = 0; says_words_[says_i_]; says_i_++)          \
			if (strstr(says_msg_, says_words_[says_i_]) == NULL)     \
				IPCX_TEST_FAILF("\"%s\" does not say \"%s\"",      \
				                says_msg_, says_words_[says_i_]);  \
	} while (0)

/*
 * A tagged message of many senders: [id][seq, 4 bytes][pattern], of size
 * len (5 at least).  The pattern depends on both, so a message from one
 * sender can never pass for another's.
 */
#define TAG_HDR 5
static inline void
tag_fill(uint8_t *buf, size_t len, uint8_t id, uint32_t seq)
{
	buf[0] = id;
	memcpy(buf + 1, &seq, 4);
	ipcx_test_fill(buf + TAG_HDR, len - TAG_HDR, (uint32_t)id << 24 ^ seq);
}

/* Check one; returns the sender id or fails the test. */
static inline uint8_t
tag_check(const uint8_t *buf, ssize_t len, int nsenders, uint32_t *ret_seq)
{
	if (len < TAG_HDR)
		IPCX_TEST_FAILF("a %zd-byte message has no tag", len);
	if (buf[0] >= nsenders)
		IPCX_TEST_FAILF("sender id %u out of range", buf[0]);
	memcpy(ret_seq, buf + 1, 4);
	if (!ipcx_test_check(buf + TAG_HDR, (size_t)len - TAG_HDR,
	                     (uint32_t)buf[0] << 24 ^ *ret_seq))
		IPCX_TEST_FAILF("message %u of sender %u (%zd bytes) has wrong bytes", *ret_seq,
		                buf[0], len);
	return buf[0];
}

/* Wait until pid is stopped (after SIGSTOP). */
static inline void
wait_stopped(pid_t pid)
{
	int status;

	ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	ASSERT_TRUE(WIFSTOPPED(status));
}

/* ---- many senders, many receivers ------------------------------------- */

#define STOP_BYTE 0xff

struct many_cfg {
	const char *uri;    /* the channel every process joins (it exists) */
	int nsend, nrecv;
	uint32_t per;       /* messages per sender */
	uint8_t *seen;      /* shared: one byte per (sender, seq) */
	_Atomic uint32_t *got;
};

static struct many_cfg many;

static inline int
many_sender(void *arg)
{
	uint8_t buf[128];
	ipcx_chan *ch;
	uint32_t k;
	uint8_t id = (uint8_t)(intptr_t)arg;

	IPCX_PASS(ipcx_join(&ch, many.uri, 0));
	for (k = 0; k < many.per; k++) {
		size_t len = TAG_HDR + (k * 7u + id) % 60u;
		tag_fill(buf, len, id, k);
		IPCX_PASS(ipcx_send(ch, buf, len, TMO));
	}
	ipcx_close(ch);
	return 0;
}

static inline int
many_receiver(void *arg)
{
	int64_t last[256];
	uint8_t buf[8192];
	ipcx_chan *ch;
	int i;

	(void)arg;
	for (i = 0; i < 256; i++)
		last[i] = -1;
	IPCX_PASS(ipcx_join(&ch, many.uri, 0));
	for (;;) {
		ssize_t r = ipcx_recv(ch, buf, sizeof(buf), TMO);
		uint32_t seq;
		uint8_t id;

		IPCX_PASS(r);
		if (r == 1 && buf[0] == STOP_BYTE)
			break;
		id = tag_check(buf, r, many.nsend, &seq);
		ASSERT_LT(seq, many.per);
		/* What one receiver takes of a sender comes in that sender's order. */
		if ((int64_t)seq <= last[id])
			IPCX_TEST_FAILF("sender %u: message %u after %lld", id, seq,
			                (long long)last[id]);
		last[id] = seq;
		if (atomic_fetch_add((_Atomic uint8_t *)&many.seen[(size_t)id * many.per + seq],
		                     1) != 0)
			IPCX_TEST_FAILF("sender %u message %u delivered twice", id, seq);
		atomic_fetch_add(many.got, 1);
	}
	ipcx_close(ch);
	return 0;
}

/* nsend senders of per messages each, nrecv receivers, one channel: every
 * message delivered exactly once, whole, in each sender's order. */
static inline void
many_run(const char *uri, int nsend, int nrecv, uint32_t per)
{
	uint8_t stop = STOP_BYTE;
	pid_t pids[64];
	ipcx_chan *ch;
	size_t n = (size_t)nsend * per, i;
	int k;

	ASSERT_LE(nsend + nrecv, 64);
	many.uri = uri;
	many.nsend = nsend;
	many.nrecv = nrecv;
	many.per = per;
	many.seen = shared_alloc(n);
	many.got = shared_alloc(sizeof(*many.got));
	for (k = 0; k < nrecv; k++)
		pids[k] = ipcx_test_peer(many_receiver, NULL);
	for (k = 0; k < nsend; k++)
		pids[nrecv + k] = ipcx_test_peer(many_sender, (void *)(intptr_t)k);
	for (k = 0; k < nsend; k++)
		ipcx_test_wait(pids[nrecv + k], -1);
	/* Every sender is done: the stops line up behind all their messages. */
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	for (k = 0; k < nrecv; k++)
		IPCX_PASS(ipcx_send(ch, &stop, 1, TMO));
	ipcx_close(ch);
	for (k = 0; k < nrecv; k++)
		ipcx_test_wait(pids[k], -1);
	ASSERT_EQ(atomic_load(many.got), n);
	for (i = 0; i < n; i++)
		if (many.seen[i] != 1)
			IPCX_TEST_FAILF("sender %zu message %zu delivered %u times", i / per,
			                i % per, many.seen[i]);
}

#endif
