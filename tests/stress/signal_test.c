/* SPDX-License-Identifier: MIT */
/*
 * signal_test.c - signals as messages ("signal:PID", "signal:self")
 * between real processes: every payload of 0 to 7 bytes, what a receiver
 * learns of each signal (number, how it was sent, pid, uid), plain kill(2)
 * and sigqueue(3) senders, signal names, bad addresses and refusals, the
 * threads rule and the signal mask, coalescing standard signals, a full
 * real-time queue, many senders, a stopped receiver, a receiver that
 * exits, allow_uid=, and a buffer too small.
 *
 * A receiver that fills its queue lowers its own RLIMIT_SIGPENDING first:
 * the count is kept per user, and a full queue of ours must not starve
 * other processes of the same user of their signals.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <mqueue.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "queue_helpers.h"

#define PENDING_LIMIT 64

static const char *
to_pid(pid_t pid, const char *query)
{
	static char buf[4][96];
	static int slot;
	char *b = buf[slot++ % 4];

	snprintf(b, 96, "signal:%d%s%s", (int)pid, query ? "?" : "", query ? query : "");
	return b;
}

static void
lower_pending_limit(rlim_t n)
{
	struct rlimit rl = { n, n };

	ASSERT_EQ(setrlimit(RLIMIT_SIGPENDING, &rl), 0);
}

static bool
blocked_here(int sig)
{
	sigset_t cur;

	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	return sigismember(&cur, sig) == 1;
}

/* ---- payloads ------------------------------------------------------------ */

/* Every length from 0 to 7, zero bytes included; "ab" and "ab\0" differ;
 * 8 bytes are refused and nothing is sent. */
static void
test_payloads(void)
{
	struct ipcx_msg_info info;
	ipcx_chan *rx, *tx;
	uint8_t out[8], in[8];
	size_t n;
	int v;

	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	IPCX_PASS(ipcx_join(&tx, to_pid(getpid(), NULL), 0));
	for (v = 0; v < 3; v++)
		for (n = 0; n <= 7; n++) {
			size_t k;
			for (k = 0; k < n; k++)
				out[k] = v == 0 ? 0 : v == 1 ? 0xff : (uint8_t)(k * 37 + n);
			IPCX_PASS(ipcx_send(tx, out, n, TMO));
			memset(in, 0x5a, sizeof(in));
			ASSERT_EQ(ipcx_recv_info(rx, in, sizeof(in), &info, TMO), n);
			ASSERT_MEMEQ(in, out, n);
			ASSERT_EQ(info.code, SI_QUEUE);
			ASSERT_EQ(info.signo, SIGRTMIN + 1);
		}
	ipcx_test_send_str(tx, "ab");
	IPCX_PASS(ipcx_send(tx, "ab", 3, TMO));
	ASSERT_EQ(ipcx_recv(rx, in, sizeof(in), TMO), 2);
	ASSERT_EQ(ipcx_recv(rx, in, sizeof(in), TMO), 3);
	ASSERT_MEMEQ(in, "ab", 3);
	IPCX_FAIL(ipcx_send(tx, "12345678", 8, TMO), -EMSGSIZE);
	IPCX_FAIL(ipcx_recv(rx, in, sizeof(in), 0), -EAGAIN);
	/* max= may lower the limit, never raise it. */
	ipcx_close(tx);
	IPCX_PASS(ipcx_join(&tx, to_pid(getpid(), "max=3"), 0));
	IPCX_FAIL(ipcx_send(tx, "1234", 4, TMO), -EMSGSIZE);
	IPCX_FAIL(ipcx_uri_check("signal:self?max=8"), -EINVAL);
	ASSERT_SAYS(NULL, "at most 7 bytes");
	ipcx_close(tx);
	ipcx_close(rx);
}

/* ---- what a receiver learns ----------------------------------------------- */

static int
exit_now_child(void *arg)
{
	(void)arg;
	return 0;
}

static int
varied_sender(void *arg)
{
	pid_t parent = *(pid_t *)arg;
	ipcx_chan *tx;

	IPCX_PASS(ipcx_join(&tx, to_pid(parent, NULL), 0));
	ipcx_test_send_str(tx, "hi");
	IPCX_PASS(ipcx_send(tx, "", 0, TMO));
	ipcx_close(tx);
	/* A plain kill(2), and sigqueue(3) with an int of a program's own. */
	ASSERT_EQ(kill(parent, SIGRTMIN + 1), 0);
	ASSERT_EQ(sigqueue(parent, SIGRTMIN + 1, (union sigval){ .sival_int = 0x01020304 }), 0);
	return 0;
}

static void
expect(ipcx_chan *rx, const void *want, ssize_t n, int code, pid_t pid)
{
	struct ipcx_msg_info info;
	uint8_t buf[8];

	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), n);
	ASSERT_MEMEQ(buf, want, (size_t)n);
	ASSERT_EQ(info.fields, IPCX_INFO_SIGNO | IPCX_INFO_PID | IPCX_INFO_UID);
	ASSERT_EQ(info.signo, SIGRTMIN + 1);
	ASSERT_EQ(info.code, code);
	ASSERT_EQ(info.pid, pid);
	ASSERT_EQ(info.uid, getuid());
}

/* The kernel's own: a POSIX timer and a queue notification carry an int
 * of the program's; SIGCHLD tells the child. */
static void
test_kernel_senders(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL };
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	struct ipcx_msg_info info;
	int32_t want;
	uint8_t buf[8];
	char name[64];
	ipcx_chan *rx, *crx;
	timer_t tm;
	mqd_t d;
	pid_t pid;
	int status;

	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	ev.sigev_signo = SIGRTMIN + 1;
	ev.sigev_value.sival_int = want = 0x0a0b0c0d;
	ASSERT_EQ(timer_create(CLOCK_MONOTONIC, &ev, &tm), 0);
	ASSERT_EQ(timer_settime(tm, 0, &its, NULL), 0);
	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 4);
	ASSERT_MEMEQ(buf, &want, 4);
	ASSERT_EQ(info.code, SI_TIMER);
	ASSERT_EQ(info.fields, IPCX_INFO_SIGNO);
	timer_delete(tm);

	snprintf(name, sizeof(name), "/ipcx-test-%d-1001", (int)getpid());
	d = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_TRUE(d != (mqd_t)-1);
	ev.sigev_value.sival_int = want = 0x01010202;
	ASSERT_EQ(mq_notify(d, &ev), 0);
	ASSERT_EQ(mq_send(d, "n", 1, 0), 0);
	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 4);
	ASSERT_MEMEQ(buf, &want, 4);
	ASSERT_EQ(info.code, SI_MESGQ);
	ASSERT_EQ(info.pid, getpid());
	mq_close(d);
	mq_unlink(name);
	ipcx_close(rx);

	IPCX_PASS(ipcx_join(&crx, "signal:self?sig=CHLD", 0));
	pid = ipcx_test_peer(exit_now_child, NULL);
	IPCX_FAIL(ipcx_recv_info(crx, buf, sizeof(buf), &info, TMO), 0);
	ASSERT_EQ(info.signo, SIGCHLD);
	ASSERT_EQ(info.code, CLD_EXITED);
	ASSERT_EQ(info.pid, pid);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ipcx_close(crx);
}

static void
test_info(void)
{
	pid_t self = getpid(), pid;
	int32_t value = 0x01020304;
	ipcx_chan *rx;

	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	pid = ipcx_test_peer(varied_sender, &self);
	expect(rx, "hi", 2, SI_QUEUE, pid);
	expect(rx, "", 0, SI_QUEUE, pid);
	/* An empty message and a kill are both 0 bytes; how says which. */
	expect(rx, "", 0, SI_USER, pid);
	expect(rx, &value, 4, SI_QUEUE, pid);
	ipcx_test_wait(pid, -1);
	ipcx_close(rx);
}

/* ---- names, addresses, refusals ----------------------------------------- */

static void
test_names(void)
{
	static const struct {
		const char *name;
		int sig;
	} good[] = {
		{ "USR1", SIGUSR1 },  { "SIGUSR2", SIGUSR2 }, { "usr1", SIGUSR1 },
		{ "12", SIGUSR2 },    { "HUP", SIGHUP },      { "TERM", SIGTERM },
		{ "CHLD", SIGCHLD },  { "WINCH", SIGWINCH },
	};
	static const char *const bad[] = {
		"signal:self?sig=KILL", "signal:self?sig=STOP", "signal:self?sig=SEGV",
		"signal:self?sig=BUS", "signal:self?sig=FPE", "signal:self?sig=ILL",
		"signal:self?sig=TRAP", "signal:self?sig=0", "signal:self?sig=65",
		"signal:self?sig=32", "signal:self?sig=33", "signal:self?sig=RTMIN+99",
		"signal:self?sig=RTMAX-99", "signal:self?sig=FOO", "signal:self?sig=",
		"signal:self?sig=USR1,", "signal:self?sig=RTMIN+", "signal:self?sig=RTMIN-1",
		"signal:self?sig=RTMAX+1", "signal:1?sig=USR1,USR2", "signal:0", "signal:-1",
		"signal:abc", "signal:99999999999", "signal:", "signal:self?max=0",
		"signal:self?allow_uid=x", "signal:self?allow_uid=1,", "signal:self?mode=0600",
		"signal:self?allow_uid=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
		"signal://self", "signal:Self", NULL,
	};
	const char *const *b;
	ipcx_chan *rx;
	char uri[64];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct ipcx_msg_info info;
		char buf[8];

		snprintf(uri, sizeof(uri), "signal:self?sig=%s", good[i].name);
		IPCX_PASS(ipcx_join(&rx, uri, 0));
		ASSERT_EQ(kill(getpid(), good[i].sig), 0);
		IPCX_FAIL(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 0);
		ASSERT_EQ(info.signo, good[i].sig);
		ipcx_close(rx);
	}
	/* The real-time range, from either end. */
	for (i = 0; i < 4; i++) {
		struct ipcx_msg_info info;
		char buf[8];
		int sig = i < 2 ? SIGRTMIN + 3 * (int)i : SIGRTMAX - 2 * (int)(i - 2);

		snprintf(uri, sizeof(uri), "signal:self?sig=%s%s%d", i < 2 ? "RTMIN" : "RTMAX",
		         i < 2 ? "+" : "-", i < 2 ? 3 * (int)i : 2 * (int)(i - 2));
		IPCX_PASS(ipcx_join(&rx, uri, 0));
		ASSERT_EQ(kill(getpid(), sig), 0);
		IPCX_FAIL(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 0);
		ASSERT_EQ(info.signo, sig);
		ipcx_close(rx);
	}
	for (b = bad; *b; b++) {
		int rc = ipcx_join(&rx, *b, 0);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_join(\"%s\") -> %s, expected EINVAL", *b,
			                ipcx_errname(rc));
		ASSERT_TRUE(strncmp(ipcx_errmsg(NULL), "invalid URI: ", 13) == 0);
	}
	IPCX_FAIL(ipcx_uri_check("signal:self?sig=KILL"), -EINVAL);
	ASSERT_SAYS(NULL, "SIGKILL", "cannot be caught");
	IPCX_FAIL(ipcx_uri_check("signal:7?sig=USR1,USR2"), -EINVAL);
	ASSERT_SAYS(NULL, "one signal");
}

static int
exit_now(void *arg)
{
	(void)arg;
	return 0;
}

static int
nobody_joins(void *arg)
{
	pid_t root_pid = *(pid_t *)arg;
	ipcx_chan *tx;

	become_nobody();
	IPCX_FAIL(ipcx_join(&tx, to_pid(root_pid, NULL), 0), -EPERM);
	ASSERT_SAYS(NULL, "another user");
	return 0;
}

static struct ipcx_test_line go, ready;

/* A process that nobody may signal, until it becomes uid 4242 for good. */
static int
changes_user(void *arg)
{
	(void)arg;
	ASSERT_EQ(setresgid(NOBODY, NOBODY, NOBODY), 0);
	ASSERT_EQ(setresuid(NOBODY, NOBODY, 0), 0);
	ipcx_test_line_put(&ready, 'r');
	ASSERT_EQ(ipcx_test_line_get(&go), 'g');
	ASSERT_EQ(setresuid((uid_t)-1, 0, (uid_t)-1), 0); /* the saved root */
	ASSERT_EQ(setresuid(4242, 4242, 4242), 0);
	ipcx_test_line_put(&ready, 'u');
	pause(); /* until the test ends it */
	return 0;
}

struct perm_target {
	pid_t pid;
};

static int
nobody_sends(void *arg)
{
	const struct perm_target *p = arg;
	ipcx_chan *tx;

	become_nobody();
	IPCX_PASS(ipcx_join(&tx, to_pid(p->pid, "sig=USR1"), 0));
	ipcx_test_line_put(&go, 'g');
	ASSERT_EQ(ipcx_test_line_get(&ready), 'u');
	IPCX_FAIL(ipcx_send(tx, "x", 1, 0), -EPERM);
	ASSERT_SAYS(tx, "another user");
	ipcx_close(tx);
	return 0;
}

static void
test_refusals(void)
{
	pid_t self = getpid(), gone;
	ipcx_chan *tx, *c;
	char buf[8];

	/* A pid that was just freed (a reaped child's). */
	gone = ipcx_test_peer(exit_now, NULL);
	ipcx_test_wait(gone, -1);
	IPCX_FAIL(ipcx_join(&tx, to_pid(gone, NULL), 0), -ESRCH);
	ASSERT_SAYS(NULL, "no process");
	if (geteuid() == 0) {
		struct perm_target t;

		ipcx_test_wait(ipcx_test_peer(nobody_joins, &self), -1);
		/* A receiver that changes user after the sender joined: the
		 * send says so, with the same sentence. */
		ipcx_test_line_open(&ready);
		ipcx_test_line_open(&go);
		t.pid = ipcx_test_peer(changes_user, NULL);
		ASSERT_EQ(ipcx_test_line_get(&ready), 'r');
		ipcx_test_wait(ipcx_test_peer(nobody_sends, &t), -1);
		kill(t.pid, SIGKILL);
		ASSERT_EQ(waitpid(t.pid, NULL, 0), t.pid);
	}
	IPCX_FAIL(ipcx_create(&c, "signal:self", 0), -ENOTSUP);
	ASSERT_SAYS(NULL, "joined, not created");
	IPCX_FAIL(ipcx_unlink("signal:self"), -ENOTSUP);
	IPCX_PASS(ipcx_join(&tx, to_pid(self, "sig=USR2"), 0));
	IPCX_FAIL(ipcx_recv(tx, buf, sizeof(buf), 0), -ENOTSUP);
	ASSERT_SAYS(tx, "only sends");
	IPCX_FAIL(ipcx_pollfd(tx), -ENOTSUP);
	ipcx_close(tx);
}

/* ---- threads and the mask ---------------------------------------------- */

static int thread_pipe[2];

static void *
idle_thread(void *arg)
{
	char c;

	(void)arg;
	(void)!read(thread_pipe[0], &c, 1);
	return NULL;
}

static void
test_threads(void)
{
	sigset_t set;
	pthread_t t;
	ipcx_chan *rx, *rx2;

	ASSERT_EQ(pipe2(thread_pipe, O_CLOEXEC), 0);
	/* Another thread leaves USR1 unblocked: the kernel may deliver it
	 * there, so the join refuses, and changes nothing. */
	ASSERT_TRUE(!blocked_here(SIGUSR1));
	ASSERT_EQ(pthread_create(&t, NULL, idle_thread, NULL), 0);
	IPCX_FAIL(ipcx_join(&rx, "signal:self?sig=USR1", 0), -EBUSY);
	ASSERT_SAYS(NULL, "thread", "SIGUSR1", "ipcx_signal_block");
	ASSERT_TRUE(!blocked_here(SIGUSR1));
	/* Another signal the thread left unblocked too. */
	IPCX_FAIL(ipcx_join(&rx, "signal:self", 0), -EBUSY);
	ipcx_test_write_full(thread_pipe[1], "x", 1);
	pthread_join(t, NULL);

	/* Blocked before the thread starts, it is inherited: the join goes. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	IPCX_PASS(ipcx_signal_block(&set));
	IPCX_FAIL(ipcx_signal_block(NULL), -EINVAL);
	ASSERT_EQ(pthread_create(&t, NULL, idle_thread, NULL), 0);
	IPCX_PASS(ipcx_join(&rx, "signal:self?sig=USR1", 0));
	kill(getpid(), SIGUSR1);
	ipcx_test_recv_str(rx, "");
	ipcx_close(rx);
	/* It was blocked before the join: it stays so. */
	ASSERT_TRUE(blocked_here(SIGUSR1));
	ipcx_test_write_full(thread_pipe[1], "x", 1);
	pthread_join(t, NULL);

	/* Alone again: a join blocks what it needs, the last close of this
	 * thread's channels on the signal unblocks it. */
	ASSERT_TRUE(!blocked_here(SIGUSR2));
	IPCX_PASS(ipcx_join(&rx, "signal:self?sig=USR2", 0));
	ASSERT_TRUE(blocked_here(SIGUSR2));
	IPCX_PASS(ipcx_join(&rx2, "signal:self?sig=USR2,RTMIN+4", 0));
	ipcx_close(rx);
	ASSERT_TRUE(blocked_here(SIGUSR2));
	ipcx_close(rx2);
	ASSERT_TRUE(!blocked_here(SIGUSR2));
	ASSERT_TRUE(!blocked_here(SIGRTMIN + 4));
}

/* ---- coalescing and queueing ---------------------------------------------- */

static void
test_coalescing(void)
{
	ipcx_chan *rx, *tx, *rrx, *rtx;
	char buf[8];
	int k;

	/* Two USR1 while one is pending are one: the second is lost. */
	IPCX_PASS(ipcx_join(&rx, "signal:self?sig=USR1", 0));
	IPCX_PASS(ipcx_join(&tx, to_pid(getpid(), "sig=USR1"), 0));
	ipcx_test_send_str(tx, "one");
	ipcx_test_send_str(tx, "two");
	ipcx_test_recv_str(rx, "one");
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	/* Real-time signals queue, in order. */
	IPCX_PASS(ipcx_join(&rrx, "signal:self?sig=RTMIN+2", 0));
	IPCX_PASS(ipcx_join(&rtx, to_pid(getpid(), "sig=RTMIN+2"), 0));
	for (k = 0; k < 5; k++) {
		snprintf(buf, sizeof(buf), "rt%d", k);
		ipcx_test_send_str(rtx, buf);
	}
	for (k = 0; k < 5; k++) {
		snprintf(buf, sizeof(buf), "rt%d", k);
		ipcx_test_recv_str(rrx, buf);
	}
	IPCX_FAIL(ipcx_recv(rrx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(rtx);
	ipcx_close(rrx);
	ipcx_close(tx);
	ipcx_close(rx);
}

/* ---- a full queue ------------------------------------------------------- */

static _Atomic long *accepted;

static int
full_receiver(void *arg)
{
	ipcx_chan *rx;
	uint8_t buf[8];
	long k;

	(void)arg;
	private_uid(); /* a queue full of ours alone */
	lower_pending_limit(PENDING_LIMIT);
	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	ipcx_test_line_put(&ready, 'r');
	ASSERT_EQ(ipcx_test_line_get(&go), 'g');
	for (k = 0; k < atomic_load(accepted); k++) {
		uint32_t seq;
		ssize_t r = ipcx_recv(rx, buf, sizeof(buf), TMO);
		tag_check(buf, r, 1, &seq);
		ASSERT_EQ(seq, (uint32_t)k);
	}
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(rx);
	return 0;
}

/* A full real-time queue is -EAGAIN, or -ETIMEDOUT at the deadline: what
 * was accepted all arrives, nothing else. */
static void
test_full(void)
{
	uint8_t buf[8];
	ipcx_chan *tx;
	int64_t t0;
	pid_t pid;
	uint32_t k;
	int rc;

	accepted = shared_alloc(sizeof(*accepted));
	ipcx_test_line_open(&go);
	ipcx_test_line_open(&ready);
	pid = ipcx_test_peer(full_receiver, NULL);
	ASSERT_EQ(ipcx_test_line_get(&ready), 'r');
	IPCX_PASS(ipcx_join(&tx, to_pid(pid, NULL), 0));
	for (k = 0;; k++) {
		tag_fill(buf, 7, 0, k);
		rc = ipcx_send(tx, buf, 7, 0);
		if (rc == -EAGAIN)
			break;
		IPCX_PASS(rc);
		ASSERT_LE(k, PENDING_LIMIT);
	}
	ASSERT_GE(k, 1);
	ASSERT_SAYS(tx, "RLIMIT_SIGPENDING");
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_send(tx, buf, 7, 200), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 200);
	atomic_store(accepted, (long)k);
	ipcx_test_line_put(&go, 'g');
	ipcx_test_wait(pid, -1);
	ipcx_close(tx);
}

/* ---- many senders --------------------------------------------------------- */

#define NSEND 4
#define PER 3000

static int
tag_sender(void *arg)
{
	uint8_t id = (uint8_t)(intptr_t)arg;
	uint8_t buf[8];
	ipcx_chan *tx;
	uint32_t k;

	IPCX_PASS(ipcx_join(&tx, to_pid(getppid(), NULL), 0));
	for (k = 0; k < PER; k++) {
		tag_fill(buf, 7, id, k);
		IPCX_PASS(ipcx_send(tx, buf, 7, TMO));
	}
	ipcx_close(tx);
	return 0;
}

static void
test_senders(void)
{
	struct ipcx_msg_info info;
	uint32_t next[NSEND] = { 0 };
	pid_t pids[NSEND];
	uint8_t buf[8];
	ipcx_chan *rx;
	int i, n;

	lower_pending_limit(PENDING_LIMIT);
	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	for (i = 0; i < NSEND; i++)
		pids[i] = ipcx_test_peer(tag_sender, (void *)(intptr_t)i);
	for (n = 0; n < NSEND * PER; n++) {
		ssize_t r = ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO);
		uint32_t seq;
		uint8_t id;

		IPCX_PASS(r);
		ASSERT_EQ(r, 7);
		id = tag_check(buf, r, NSEND, &seq);
		ASSERT_EQ(seq, next[id]);
		ASSERT_EQ(info.pid, pids[id]);
		next[id]++;
	}
	for (i = 0; i < NSEND; i++)
		ipcx_test_wait(pids[i], -1);
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(rx);
}

/* ---- a stopped receiver, a receiver that exits ------------------------- */

#define STOP_N 2000

static int
stop_receiver(void *arg)
{
	ipcx_chan *rx;
	uint8_t buf[8];
	uint32_t k;

	(void)arg;
	lower_pending_limit(PENDING_LIMIT);
	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	ipcx_test_line_put(&ready, 'r');
	for (k = 0; k < STOP_N; k++) {
		uint32_t seq;
		ssize_t r = ipcx_recv(rx, buf, sizeof(buf), TMO);
		tag_check(buf, r, 1, &seq);
		ASSERT_EQ(seq, k);
		if (k == 100)
			ipcx_test_line_put(&ready, 'h');
	}
	ipcx_close(rx);
	return 0;
}

static void
test_stopped_receiver(void)
{
	uint8_t buf[8];
	ipcx_chan *tx;
	bool stopped = false;
	uint32_t k;
	pid_t pid;

	ipcx_test_line_open(&ready);
	pid = ipcx_test_peer(stop_receiver, NULL);
	ASSERT_EQ(ipcx_test_line_get(&ready), 'r');
	IPCX_PASS(ipcx_join(&tx, to_pid(pid, NULL), 0));
	for (k = 0; k < STOP_N; k++) {
		int rc;

		if (k == 200) {
			ASSERT_EQ(ipcx_test_line_get(&ready), 'h');
			kill(pid, SIGSTOP);
			wait_stopped(pid);
			stopped = true;
		}
		tag_fill(buf, 7, 0, k);
		rc = ipcx_send(tx, buf, 7, stopped ? 0 : TMO);
		if (rc == -EAGAIN && stopped) {
			kill(pid, SIGCONT);
			stopped = false;
			rc = ipcx_send(tx, buf, 7, TMO);
		}
		IPCX_PASS(rc);
	}
	ASSERT_TRUE(!stopped);
	ipcx_test_wait(pid, -1);
	ipcx_close(tx);
}

static int
one_and_exit(void *arg)
{
	ipcx_chan *rx;

	(void)arg;
	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	ipcx_test_line_put(&ready, 'r');
	ipcx_test_recv_str(rx, "bye");
	return 0;
}

/* The process behind the pid is gone: -EPIPE, and it stays so - never a
 * signal to whoever gets the pid next. */
static void
test_receiver_exit(void)
{
	struct ipcx_stat st;
	ipcx_chan *tx;
	pid_t pid;

	ipcx_test_line_open(&ready);
	pid = ipcx_test_peer(one_and_exit, NULL);
	ASSERT_EQ(ipcx_test_line_get(&ready), 'r');
	IPCX_PASS(ipcx_join(&tx, to_pid(pid, NULL), 0));
	IPCX_PASS(ipcx_stat(tx, &st));
	ASSERT_TRUE(st.has_peer);
	ASSERT_EQ(st.peer_pid, pid);
	ipcx_test_send_str(tx, "bye");
	ipcx_test_wait(pid, -1);
	IPCX_FAIL(ipcx_send(tx, "late", 4, TMO), -EPIPE);
	ASSERT_SAYS(tx, "has exited");
	IPCX_FAIL(ipcx_send(tx, "late", 4, 0), -EPIPE);
	ipcx_close(tx);
}

/* ---- allow_uid ---------------------------------------------------------- */

static int
filtered_receiver(void *arg)
{
	struct ipcx_msg_info info;
	const char *query = arg;
	ipcx_chan *rx, *self_tx;
	char uri[96], buf[8];

	become_nobody();
	snprintf(uri, sizeof(uri), "signal:self?sig=RTMIN+2&%s", query);
	IPCX_PASS(ipcx_join(&rx, uri, 0));
	IPCX_PASS(ipcx_join(&self_tx, to_pid(getpid(), "sig=RTMIN+2"), 0));
	ipcx_test_line_put(&ready, 'r');
	ASSERT_EQ(ipcx_test_line_get(&go), 'g'); /* root has sent */
	ipcx_test_send_str(self_tx, "own");
	if (strcmp(query, "allow_uid=0") == 0) {
		ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 4);
		ASSERT_MEMEQ(buf, "root", 4);
		ASSERT_EQ(info.uid, 0);
		IPCX_FAIL(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 0); /* the kill */
		ASSERT_EQ(info.code, SI_USER);
	}
	/* Our own uid always passes. */
	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 3);
	ASSERT_MEMEQ(buf, "own", 3);
	ASSERT_EQ(info.uid, NOBODY);
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(self_tx);
	ipcx_close(rx);
	return 0;
}

static void
test_allow_uid(void)
{
	static const char *const queries[] = { "allow_uid=4242", "allow_uid=0" };
	ipcx_chan *tx;
	pid_t pid;
	int i;

	need_root();
	for (i = 0; i < 2; i++) {
		ipcx_test_line_open(&ready);
		ipcx_test_line_open(&go);
		pid = ipcx_test_peer(filtered_receiver, (void *)queries[i]);
		ASSERT_EQ(ipcx_test_line_get(&ready), 'r');
		IPCX_PASS(ipcx_join(&tx, to_pid(pid, "sig=RTMIN+2"), 0));
		ipcx_test_send_str(tx, "root");
		ASSERT_EQ(kill(pid, SIGRTMIN + 2), 0);
		ipcx_test_line_put(&go, 'g');
		ipcx_test_wait(pid, -1);
		ipcx_close(tx);
	}
}

/* ---- a buffer too small, wake-ups, signals --------------------------------- */

static void
test_short_buffer(void)
{
	struct ipcx_msg_info info;
	ipcx_chan *rx, *tx;
	char buf[8];

	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	IPCX_PASS(ipcx_join(&tx, to_pid(getpid(), NULL), 0));
	ipcx_test_send_str(tx, "12345");
	IPCX_FAIL(ipcx_recv(rx, buf, 2, TMO), -EMSGSIZE);
	ASSERT_SAYS(rx, "5 bytes", "2-byte", "kept");
	IPCX_FAIL(ipcx_recv(rx, NULL, 0, TMO), -EMSGSIZE);
	ASSERT_EQ(ipcx_recv_info(rx, buf, 5, &info, 0), 5);
	ASSERT_MEMEQ(buf, "12345", 5);
	ASSERT_EQ(info.pid, getpid());
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(tx);
	ipcx_close(rx);
}

static volatile sig_atomic_t got_alarm;

static void
on_alarm(int sig)
{
	(void)sig;
	got_alarm = 1;
}

static atomic_int alarm_stop;

/* SIGALRM every 100 ms until told to stop: a wait that starts late on a
 * loaded machine still gets one. */
static void *
alarm_later(void *arg)
{
	while (!atomic_load(&alarm_stop)) {
		usleep(100000);
		pthread_kill(*(pthread_t *)arg, SIGALRM);
	}
	return NULL;
}

/* On an IPCX_INTERRUPTIBLE receiver, a signal outside its set that has a
 * handler ends the wait with -EINTR; otherwise the deadline holds. */
static void
test_interruptible(void)
{
	struct sigaction sa;
	pthread_t self = pthread_self(), t;
	ipcx_chan *rx, *irx;
	char buf[8];
	int64_t t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	IPCX_PASS(ipcx_join(&rx, "signal:self", 0));
	IPCX_PASS(ipcx_join(&irx, "signal:self?sig=USR1", IPCX_INTERRUPTIBLE));
	ASSERT_EQ(pthread_create(&t, NULL, alarm_later, &self), 0);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 300), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 300);
	IPCX_FAIL(ipcx_recv(irx, buf, sizeof(buf), -1), -EINTR);
	atomic_store(&alarm_stop, 1);
	pthread_join(t, NULL);
	ASSERT_TRUE(got_alarm);
	ipcx_close(irx);
	ipcx_close(rx);
}

TEST_LIST = {
	{ "signal payloads of 0 to 7 bytes", test_payloads },
	{ "signal what a receiver learns", test_info },
	{ "signal timers, queue notifications, SIGCHLD", test_kernel_senders },
	{ "signal names", test_names },
	{ "signal refusals: no process, other user, create", test_refusals },
	{ "signal threads and the mask", test_threads },
	{ "signal standard ones coalesce, real-time ones queue", test_coalescing },
	{ "signal full real-time queue", test_full },
	{ "signal 4 senders, order per sender", test_senders },
	{ "signal receiver stopped and continued", test_stopped_receiver },
	{ "signal receiver exits: EPIPE", test_receiver_exit },
	{ "signal allow_uid", test_allow_uid },
	{ "signal buffer too small", test_short_buffer },
	{ "signal interruptible", test_interruptible },
	{ NULL, NULL },
};
