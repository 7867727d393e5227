/* SPDX-License-Identifier: MIT */
/*
 * fault_test.c - fault injection through the system-call table (os/sys.h),
 * as SQLite's aSyscall[] tests do.  Both ends of a channel live in this one
 * process (ipcx_pair over "pipe:" and "unix:"), so a swapped entry hits the
 * sender and the receiver alike.  Faults: EINTR, spurious EAGAIN, short
 * transfers, hard errors in the middle of a frame, and ppoll interrupted
 * while a deadline runs.  What must hold (DESIGN.md, "Delivery guarantees",
 * "Time", "Signals"): no message torn, duplicated, lost or invented; no
 * deadline cut short; EINTR never escapes unless IPCX_INTERRUPTIBLE.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "os/sys.h"

/* ---- the injector ----------------------------------------------------- */

enum fault {
	F_NONE,
	F_EINTR,  /* fail with EINTR, doing nothing */
	F_EAGAIN, /* fail with EAGAIN, doing nothing (a spurious wake-up);
	           * for ppoll: report that nothing is ready */
	F_SHORT,  /* transfer fewer bytes than asked (at least one) */
	F_EIO,    /* fail for good */
};

#define SEQ_MAX 8

/*
 * One injection plan per system call: the first calls follow seq[] (one
 * fault each, F_NONE for a real call), then every `every`-th call gets
 * `mode`.
 */
struct plan {
	enum fault seq[SEQ_MAX];
	int nseq;
	enum fault mode;
	int every;
	atomic_int calls;
	atomic_int faults;
};

static struct plan P_read, P_writev, P_recvmsg, P_sendmsg, P_ppoll;

static void
plan(struct plan *p, enum fault mode, int every)
{
	p->nseq = 0;
	p->mode = mode;
	p->every = every;
	atomic_store(&p->calls, 0);
	atomic_store(&p->faults, 0);
}

/* A fixed sequence for the next calls, then nothing. */
static void
plan_seq(struct plan *p, int n, const enum fault *seq)
{
	plan(p, F_NONE, 1);
	memcpy(p->seq, seq, sizeof(seq[0]) * (size_t)n);
	p->nseq = n;
}

static enum fault
tick(struct plan *p)
{
	int n = atomic_fetch_add(&p->calls, 1) + 1;
	enum fault f;

	if (n <= p->nseq)
		f = p->seq[n - 1];
	else if (p->mode != F_NONE && n % p->every == 0)
		f = p->mode;
	else
		f = F_NONE;
	if (f != F_NONE)
		atomic_fetch_add(&p->faults, 1);
	return f;
}

/* How many bytes a short transfer moves: 1 to 7, varying. */
static size_t
short_len(const struct plan *p, size_t want)
{
	size_t n = 1 + (size_t)atomic_load(&p->calls) % 7;

	return n < want ? n : want;
}

static ssize_t
fail(int err)
{
	errno = err;
	return -1;
}

static ssize_t
fault_read(int fd, void *buf, size_t n)
{
	switch (tick(&P_read)) {
	case F_EINTR: return fail(EINTR);
	case F_EAGAIN: return fail(EAGAIN);
	case F_EIO: return fail(EIO);
	case F_SHORT: return read(fd, buf, short_len(&P_read, n));
	default: return read(fd, buf, n);
	}
}

/* The first non-empty iovec, cut to a short length. */
static struct iovec
first_short(const struct plan *p, const struct iovec *iov, int iovcnt)
{
	struct iovec one = { NULL, 0 };
	int i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0) {
			one.iov_base = iov[i].iov_base;
			one.iov_len = short_len(p, iov[i].iov_len);
			break;
		}
	}
	return one;
}

/* The stream receive path reads with readv (header, the caller's buffer,
 * what follows): the same plan as read(2) covers it. */
static ssize_t
fault_readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec one;

	switch (tick(&P_read)) {
	case F_EINTR: return fail(EINTR);
	case F_EAGAIN: return fail(EAGAIN);
	case F_EIO: return fail(EIO);
	case F_SHORT:
		one = first_short(&P_read, iov, iovcnt);
		return readv(fd, &one, 1);
	default: return readv(fd, iov, iovcnt);
	}
}

static ssize_t
fault_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec one;

	switch (tick(&P_writev)) {
	case F_EINTR: return fail(EINTR);
	case F_EAGAIN: return fail(EAGAIN);
	case F_EIO: return fail(EIO);
	case F_SHORT:
		one = first_short(&P_writev, iov, iovcnt);
		return writev(fd, &one, 1);
	default: return writev(fd, iov, iovcnt);
	}
}

static ssize_t
fault_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct msghdr m;
	struct iovec one;
	ssize_t r;

	switch (tick(&P_recvmsg)) {
	case F_EINTR: return fail(EINTR);
	case F_EAGAIN: return fail(EAGAIN);
	case F_EIO: return fail(EIO);
	case F_SHORT: /* byte streams only */
		m = *msg;
		one = first_short(&P_recvmsg, msg->msg_iov, (int)msg->msg_iovlen);
		m.msg_iov = &one;
		m.msg_iovlen = 1;
		r = recvmsg(fd, &m, flags);
		msg->msg_flags = m.msg_flags;
		msg->msg_controllen = m.msg_controllen;
		msg->msg_namelen = m.msg_namelen;
		return r;
	default: return recvmsg(fd, msg, flags);
	}
}

static ssize_t
fault_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct msghdr m;
	struct iovec one;

	switch (tick(&P_sendmsg)) {
	case F_EINTR: return fail(EINTR);
	case F_EAGAIN: return fail(EAGAIN);
	case F_EIO: return fail(EIO);
	case F_SHORT: /* byte streams only */
		m = *msg;
		one = first_short(&P_sendmsg, msg->msg_iov, (int)msg->msg_iovlen);
		m.msg_iov = &one;
		m.msg_iovlen = 1;
		return sendmsg(fd, &m, flags);
	default: return sendmsg(fd, msg, flags);
	}
}

/* What a ppoll that found nothing ready leaves: every revents cleared. */
static int
nothing_ready(struct pollfd *fds, nfds_t n)
{
	nfds_t i;

	for (i = 0; i < n; i++)
		fds[i].revents = 0;
	return 0;
}

/*
 * ppoll as if a signal arrived during the wait: sleep a little of it
 * (at most 20 ms), then fail with EINTR unless something became ready.  A
 * wait with no time left is not interrupted (a real zero-timeout ppoll
 * returns at once).  F_EAGAIN: find nothing ready, at once.
 */
static int
fault_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	struct timespec bit = { 0, 20 * 1000000 };
	enum fault f;
	int r;

	if (ts != NULL && ts->tv_sec == 0 && ts->tv_nsec == 0) {
		if (P_ppoll.nseq > 0 && tick(&P_ppoll) == F_EAGAIN)
			return nothing_ready(fds, n);
		return ppoll(fds, n, ts, mask);
	}
	f = tick(&P_ppoll);
	if (f == F_EAGAIN)
		return nothing_ready(fds, n);
	if (f != F_EINTR)
		return ppoll(fds, n, ts, mask);
	if (ts != NULL && ts->tv_sec == 0 && ts->tv_nsec < bit.tv_nsec)
		bit = *ts;
	r = ppoll(fds, n, &bit, mask);
	if (r != 0)
		return r;
	nothing_ready(fds, n);
	return (int)fail(EINTR);
}

static void
faults_install(void)
{
	ipcx__sys.read = fault_read;
	ipcx__sys.readv = fault_readv;
	ipcx__sys.writev = fault_writev;
	ipcx__sys.recvmsg = fault_recvmsg;
	ipcx__sys.sendmsg = fault_sendmsg;
	ipcx__sys.ppoll = fault_ppoll;
}

static void
faults_clear(void)
{
	plan(&P_read, F_NONE, 1);
	plan(&P_writev, F_NONE, 1);
	plan(&P_recvmsg, F_NONE, 1);
	plan(&P_sendmsg, F_NONE, 1);
	plan(&P_ppoll, F_NONE, 1);
	ipcx__sys_reset();
}

/* ---- the traffic ------------------------------------------------------ */

#define BIG_CAP 70000

static size_t
traffic_size(uint32_t k, size_t max)
{
	size_t n;

	if (k % 50 == 17)
		n = 60000; /* a frame bigger than a pipe's buffer */
	else if (k % 11 == 3)
		n = 0;
	else
		n = (k * 7919u) % 3000;
	return n < max ? n : max;
}

struct receiver {
	ipcx_chan *ch;
	uint32_t total;
	size_t max;
	char failure[200]; /* empty when every message came out right */
};

/* The receiving thread: every message whole, once, in order. */
static void *
receive_all(void *arg)
{
	struct receiver *rv = arg;
	uint8_t *buf = malloc(BIG_CAP);
	uint32_t k;

	if (buf == NULL) {
		snprintf(rv->failure, sizeof(rv->failure), "out of memory");
		return NULL;
	}
	for (k = 0; k < rv->total; k++) {
		size_t n = traffic_size(k, rv->max);
		ssize_t r;

		memset(buf, 0xee, n + 1);
		r = ipcx_recv(rv->ch, buf, BIG_CAP, 10000);
		if (r < 0) {
			snprintf(rv->failure, sizeof(rv->failure), "message %u: %s (%s)", k,
			         ipcx_errname((int)r), ipcx_errmsg(rv->ch));
			break;
		}
		if ((size_t)r != n || !ipcx_test_check(buf, n, k)) {
			snprintf(rv->failure, sizeof(rv->failure),
			         "message %u: %zd bytes, want %zu, or torn", k, r, n);
			break;
		}
	}
	free(buf);
	return NULL;
}

/*
 * Send `total` messages from a to b, with a thread receiving them as they
 * come (each handle is used by one thread); every message must come out
 * whole, once, in order, and nothing more.
 */
static void
traffic(ipcx_chan *a, ipcx_chan *b, uint32_t total, size_t max)
{
	struct receiver rv = { .ch = b, .total = total, .max = max };
	uint8_t *buf = malloc(BIG_CAP);
	pthread_t t;
	uint32_t k;

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ(pthread_create(&t, NULL, receive_all, &rv), 0);
	for (k = 0; k < total; k++) {
		size_t n = traffic_size(k, max);
		int rc;
		ipcx_test_fill(buf, n, k);
		rc = ipcx_send(a, buf, n, 10000);
		if (rc < 0) {
			pthread_join(t, NULL);
			IPCX_TEST_FAILF("send %u: %s (%s); receiver: %s", k, ipcx_errname(rc),
			                ipcx_errmsg(a), rv.failure);
		}
	}
	pthread_join(t, NULL);
	if (rv.failure[0])
		IPCX_TEST_FAILF("%s", rv.failure);
	/* Nothing duplicated or invented. */
	IPCX_FAIL(ipcx_recv(b, buf, BIG_CAP, 0), -EAGAIN);
	free(buf);
}

static void
pair_traffic(const char *uri, uint32_t total)
{
	ipcx_chan *a = NULL, *b = NULL;
	struct ipcx_stat st;
	char buf[8];

	IPCX_PASS(ipcx_pair(uri, &a, &b));
	IPCX_PASS(ipcx_stat(a, &st));
	traffic(a, b, total, st.max_msg);
	traffic(b, a, total / 2, st.max_msg);
	/* The end is still the end (datagrams have none: DESIGN.md's table). */
	ipcx_close(a);
	if (strstr(uri, "dgram") == NULL)
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 5000), IPCX_EOF);
	else
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 100), -ETIMEDOUT);
	ipcx_close(b);
}

/* Each fault, on its own, on pipes and unix streams, for both ends. */
struct fault_case {
	const char *uri;
	struct plan *p;
	enum fault mode;
	int every;
};

static void
run_case(const struct fault_case *c)
{
	faults_clear();
	faults_install();
	plan(c->p, c->mode, c->every);
	/* A receiver that reads many messages at a time makes few reads: go
	 * on until enough faults did happen. */
	for (int round = 0; round < 50 && atomic_load(&c->p->faults) < 10; round++)
		pair_traffic(c->uri, 400);
	ASSERT_GE(atomic_load(&c->p->faults), 10); /* the faults did happen */
	faults_clear();
}

static void
test_pipe_writev(void)
{
	const struct fault_case cases[] = {
		{ "pipe:", &P_writev, F_EINTR, 2 },
		{ "pipe:", &P_writev, F_EINTR, 3 },
		{ "pipe:", &P_writev, F_EAGAIN, 2 },
		{ "pipe:", &P_writev, F_SHORT, 1 },
		{ "pipe:", &P_writev, F_SHORT, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void
test_pipe_read(void)
{
	const struct fault_case cases[] = {
		{ "pipe:", &P_read, F_EINTR, 2 },
		{ "pipe:", &P_read, F_EAGAIN, 2 },
		{ "pipe:", &P_read, F_SHORT, 1 },
		{ "pipe:", &P_read, F_SHORT, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void
test_unix_stream(void)
{
	const struct fault_case cases[] = {
		{ "unix:", &P_sendmsg, F_EINTR, 2 },
		{ "unix:", &P_sendmsg, F_EAGAIN, 2 },
		{ "unix:", &P_sendmsg, F_SHORT, 1 },
		{ "unix:", &P_sendmsg, F_SHORT, 3 },
		{ "unix:", &P_recvmsg, F_EINTR, 2 },
		{ "unix:", &P_recvmsg, F_EAGAIN, 2 },
		{ "unix:", &P_recvmsg, F_SHORT, 1 },
		{ "unix:", &P_recvmsg, F_SHORT, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/*
 * Message sockets cannot be cut short, but EINTR and EAGAIN still come.
 * (A receive into a small buffer peeks first, then reads: a spurious EAGAIN
 * on every second call would hit the read every time, forever, so the
 * period here is odd.)
 */
static void
test_unix_seqpacket(void)
{
	const struct fault_case cases[] = {
		{ "unix:?type=seqpacket", &P_sendmsg, F_EINTR, 2 },
		{ "unix:?type=seqpacket", &P_sendmsg, F_EAGAIN, 2 },
		{ "unix:?type=seqpacket", &P_recvmsg, F_EINTR, 2 },
		{ "unix:?type=seqpacket", &P_recvmsg, F_EAGAIN, 3 },
		{ "unix:?type=dgram", &P_sendmsg, F_EINTR, 2 },
		{ "unix:?type=dgram", &P_recvmsg, F_EAGAIN, 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Everything at once, on both ends, with ppoll interrupted too. */
static void
test_storm(void)
{
	static const char *const uris[] = { "pipe:", "unix:", "pipe:?framing=len" };
	size_t i;

	for (i = 0; i < 3; i++) {
		faults_clear();
		faults_install();
		plan(&P_writev, F_SHORT, 2);
		plan(&P_read, F_SHORT, 3);
		plan(&P_sendmsg, F_SHORT, 2);
		plan(&P_recvmsg, F_SHORT, 3);
		pair_traffic(uris[i], 300);
		plan(&P_writev, F_EINTR, 3);
		plan(&P_read, F_EAGAIN, 4);
		plan(&P_sendmsg, F_EAGAIN, 3);
		plan(&P_recvmsg, F_EINTR, 2);
		plan(&P_ppoll, F_EINTR, 2);
		pair_traffic(uris[i], 300);
	}
	faults_clear();
}

/*
 * A timeout-0 send cut short keeps the rest of its frame pending and
 * reports success; the next send finishes it first.  The receiver never
 * sees half a message.
 */
static void
test_nonblocking_short(void)
{
	/* Send 0: a few bytes go, then the pipe is "full" (writev EAGAIN and a
	 * ppoll that finds nothing ready).  Later sends first finish the
	 * pending rest with a real write. */
	static const enum fault first[] = { F_SHORT, F_EAGAIN };
	static const enum fault later[] = { F_NONE, F_SHORT, F_EAGAIN };
	static const enum fault not_ready[] = { F_EAGAIN };
	ipcx_chan *a = NULL, *b = NULL;
	uint8_t buf[3000];
	uint32_t k;

	faults_clear();
	IPCX_PASS(ipcx_pair("pipe:", &a, &b));
	faults_install();
	for (k = 0; k < 50; k++) {
		if (k == 0)
			plan_seq(&P_writev, 2, first);
		else
			plan_seq(&P_writev, 3, later);
		plan_seq(&P_ppoll, 1, not_ready);
		ipcx_test_fill(buf, 100 + k, k);
		IPCX_PASS(ipcx_send(a, buf, 100 + k, 0));
		ASSERT_EQ(atomic_load(&P_ppoll.faults), 1); /* the rest was kept */
		/* What is on the wire so far is never a message. */
		if (k == 0)
			IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), -EAGAIN);
	}
	faults_clear();
	/* Finishes the last frame, then sends its own. */
	IPCX_PASS(ipcx_send(a, "end", 3, 5000));
	for (k = 0; k < 50; k++) {
		ssize_t r = ipcx_recv(b, buf, sizeof(buf), 5000);
		ASSERT_EQ(r, 100 + k);
		ASSERT_TRUE(ipcx_test_check(buf, 100 + k, k));
	}
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 5000), 3);
	ASSERT_MEMEQ(buf, "end", 3);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(a);
	ipcx_close(b);
}

/*
 * A hard error in the middle of a frame: the frame cannot be finished, so
 * the channel is broken (-EPIPE, then and later), and the receiver gets
 * what came before, then -EPROTO for the torn frame, then the end; never
 * half a message.  A hard error before a frame's first byte breaks nothing.
 */
static void
test_error_mid_frame(void)
{
	static const enum fault eio[] = { F_EIO };
	static const enum fault short_eio[] = { F_SHORT, F_EIO };
	static const char *const uris[] = { "pipe:", "unix:" };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct plan *p = i == 0 ? &P_writev : &P_sendmsg;
		ipcx_chan *a = NULL, *b = NULL;
		uint8_t buf[2000];

		faults_clear();
		IPCX_PASS(ipcx_pair(uris[i], &a, &b));
		faults_install();
		/* Before the first byte: that send fails, the channel is whole. */
		plan_seq(p, 1, eio);
		IPCX_FAIL(ipcx_send(a, "lost", 4, 1000), -EIO);
		IPCX_PASS(ipcx_send(a, "kept", 4, 1000));
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), 4);
		ASSERT_MEMEQ(buf, "kept", 4);
		/* In the middle: a short write, then the error. */
		ipcx_test_fill(buf, 1000, 1);
		IPCX_PASS(ipcx_send(a, buf, 1000, 1000));
		plan_seq(p, 2, short_eio);
		IPCX_FAIL(ipcx_send(a, buf, 1000, 1000), -EPIPE);
		IPCX_FAIL(ipcx_send(a, "more", 4, 1000), -EPIPE);
		faults_clear();
		IPCX_FAIL(ipcx_send(a, "more", 4, 1000), -EPIPE);
		ASSERT_EQ(ipcx_recv(b, buf, sizeof(buf), 1000), 1000);
		ASSERT_TRUE(ipcx_test_check(buf, 1000, 1));
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), -EPROTO);
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 1000), IPCX_EOF);
		ipcx_close(a);
		ipcx_close(b);
	}
}

/* ---- deadlines and EINTR ---------------------------------------------- */

static int64_t
since(int64_t t0)
{
	return ipcx_test_now_ms() - t0;
}

/* ppoll interrupted again and again during a 200 ms wait: the wait still
 * lasts its 200 ms, and EINTR never escapes. */
static void
test_ppoll_eintr_deadline(void)
{
	static const char *const uris[] = { "pipe:", "unix:", "unix:?type=seqpacket" };
	size_t i;

	for (i = 0; i < 3; i++) {
		ipcx_chan *a = NULL, *b = NULL;
		char buf[8];
		int64_t t0;

		faults_clear();
		IPCX_PASS(ipcx_pair(uris[i], &a, &b));
		faults_install();
		plan(&P_ppoll, F_EINTR, 1);
		t0 = ipcx_test_now_ms();
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 200), -ETIMEDOUT);
		ASSERT_GE(since(t0), 200);
		ASSERT_GE(atomic_load(&P_ppoll.faults), 3);
		/* Timeout 0 is still -EAGAIN. */
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), -EAGAIN);
		/* And a message that comes during the storm is received. */
		IPCX_PASS(ipcx_send(a, "x", 1, 200));
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 200), 1);
		faults_clear();
		ipcx_close(a);
		ipcx_close(b);
	}
}

/* With IPCX_INTERRUPTIBLE the same EINTR ends the call with -EINTR. */
static void
test_ppoll_eintr_interruptible(void)
{
	const char *fifo = ipcx_test_uri("fifo", NULL);
	ipcx_chan *r = NULL, *l = NULL, *c = NULL, *s = NULL;
	struct ipcx_stat st;
	char buf[8];

	IPCX_PASS(ipcx_create(&r, fifo, IPCX_INTERRUPTIBLE));
	IPCX_PASS(ipcx_pollfd(r));
	IPCX_PASS(ipcx_create(&l, ipcx_test_uri("unix", NULL), IPCX_INTERRUPTIBLE));
	IPCX_PASS(ipcx_stat(l, &st));
	IPCX_PASS(ipcx_join(&c, st.uri, 0));
	IPCX_PASS(ipcx_accept(l, &s, 1000)); /* inherits IPCX_INTERRUPTIBLE */
	faults_install();
	plan(&P_ppoll, F_EINTR, 1);
	IPCX_FAIL(ipcx_recv(r, buf, sizeof(buf), 10000), -EINTR);
	IPCX_FAIL(ipcx_recv(r, buf, sizeof(buf), -1), -EINTR);
	IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), 10000), -EINTR);
	IPCX_FAIL(ipcx_accept(l, &c, 10000), -EINTR);
	/* The channel without the flag still waits out its deadline. */
	{
		int64_t t0 = ipcx_test_now_ms();
		IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 100), -ETIMEDOUT);
		ASSERT_GE(since(t0), 100);
	}
	faults_clear();
	/* Without faults the interruptible channel works as any other. */
	IPCX_PASS(ipcx_send(c, "ok", 2, 1000));
	IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), 1000), 2);
	ipcx_close(s);
	ipcx_close(c);
	ipcx_close(l);
	ipcx_close(r);
}

/* Real signals, from a thread, with a handler installed without SA_RESTART
 * (the test installs it; the library never does). */
static atomic_int signals_seen;
static atomic_bool stop_signals;

static void
on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals_seen, 1);
}

static void *
signal_storm(void *arg)
{
	pthread_t target = *(pthread_t *)arg;

	while (!atomic_load(&stop_signals)) {
		pthread_kill(target, SIGUSR1);
		usleep(5000);
	}
	return NULL;
}

static void
test_real_signals(void)
{
	struct sigaction sa;
	ipcx_chan *a = NULL, *b = NULL, *r = NULL;
	pthread_t t, self = pthread_self();
	char buf[8];
	int64_t t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: every wait sees EINTR */
	ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	IPCX_PASS(ipcx_pair("unix:", &a, &b));
	IPCX_PASS(ipcx_create(&r, ipcx_test_uri("fifo", NULL), IPCX_INTERRUPTIBLE));
	IPCX_PASS(ipcx_pollfd(r));
	ASSERT_EQ(pthread_create(&t, NULL, signal_storm, &self), 0);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 300), -ETIMEDOUT);
	ASSERT_GE(since(t0), 300);
	ASSERT_GE(atomic_load(&signals_seen), 5);
	IPCX_PASS(ipcx_send(a, "z", 1, 300));
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 300), 1);
	IPCX_FAIL(ipcx_recv(r, buf, sizeof(buf), 10000), -EINTR);
	atomic_store(&stop_signals, true);
	pthread_join(t, NULL);
	ipcx_close(a);
	ipcx_close(b);
	ipcx_close(r);
}

TEST_LIST = {
	{ "fault pipe writev: EINTR, EAGAIN, short", test_pipe_writev },
	{ "fault pipe read: EINTR, EAGAIN, short", test_pipe_read },
	{ "fault unix stream sendmsg/recvmsg", test_unix_stream },
	{ "fault unix seqpacket and dgram", test_unix_seqpacket },
	{ "fault storm on both ends", test_storm },
	{ "fault timeout-0 send cut short", test_nonblocking_short },
	{ "fault hard error mid-frame breaks, never tears", test_error_mid_frame },
	{ "fault ppoll EINTR keeps the deadline", test_ppoll_eintr_deadline },
	{ "fault ppoll EINTR with IPCX_INTERRUPTIBLE", test_ppoll_eintr_interruptible },
	{ "fault real signals", test_real_signals },
	{ NULL, NULL },
};
