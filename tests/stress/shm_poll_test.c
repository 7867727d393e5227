/* SPDX-License-Identifier: MIT */
/*
 * shm_poll_test.c - ipcx_pollfd on the shared-memory rings: a descriptor
 * epoll reports readable while a message may be waiting, rung by senders
 * only while a poller waits.  Receivers here never block inside ipcx: they
 * wait in epoll_wait and then receive with timeout 0, so a doorbell that
 * was not rung leaves messages undelivered and fails the test.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"
#include "shm_msg.h"

#include <stdatomic.h>
#include <sys/epoll.h>

#include "shm/ring.h"

#define LONG_MS 30000
#define GUARD_MS 120000
#define NMSG 20000

struct board {
	char uri[512];
	uint32_t per;
	_Atomic uint32_t delivered;
	_Atomic uint32_t bad;
	_Atomic uint32_t wakeups;  /* epoll returns that found a message */
	_Atomic uint32_t empties;  /* epoll returns that found none (allowed: a hint) */
	_Atomic uint8_t count[4 * NMSG];
};

static struct board *B;

static int
sender(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg, k;
	uint8_t buf[600];
	ipcx_chan *ch;

	if (ipcx_join(&ch, B->uri, 0) < 0)
		return 1;
	for (k = 0; k < B->per; k++) {
		size_t n = shm_msg_make(buf, id, k, shm_msg_size(id, k, sizeof(buf)));
		if (ipcx_send(ch, buf, n, LONG_MS) < 0)
			return 2;
		if (k % 64 == 0)
			usleep(200); /* let the receivers run dry now and then */
	}
	ipcx_close(ch);
	return 0;
}

static void
take(const uint8_t *p, size_t n, int64_t *last)
{
	uint32_t s, q;

	if (!shm_msg_ok(p, n, &s, &q) || s >= 4 || q >= B->per || (int64_t)q <= last[s]) {
		atomic_fetch_add(&B->bad, 1);
		return;
	}
	last[s] = q;
	atomic_fetch_add(&B->count[s * NMSG + q], 1);
	atomic_fetch_add(&B->delivered, 1);
}

/* Drain with timeout-0 receives until -EAGAIN; returns how many. */
static int
drain(ipcx_chan *ch, int64_t *last)
{
	uint8_t buf[600];
	int got = 0;

	for (;;) {
		ssize_t r = ipcx_recv(ch, buf, sizeof(buf), 0);
		/* The socket's sender may finish first: its end is not an error. */
		if (r == -EAGAIN || r == IPCX_EOF)
			return got;
		if (r < 0) {
			atomic_fetch_add(&B->bad, 1);
			return got;
		}
		take(buf, (size_t)r, last);
		got++;
	}
}

/* A receiver that only ever waits in epoll_wait. */
static int
epoll_receiver(void *arg)
{
	uint32_t total = B->per * (uint32_t)(uintptr_t)arg;
	int64_t last[4] = { -1, -1, -1, -1 };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	ipcx_chan *ch;
	int ep, fd;

	if (ipcx_join(&ch, B->uri, 0) < 0)
		return 1;
	fd = ipcx_pollfd(ch);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return 2;
	while (atomic_load(&B->delivered) < total) {
		/* The timeout only lets this process see that the others took
		 * the last messages; it never receives on a timeout. */
		int n = epoll_wait(ep, &out, 1, 100);
		if (n < 0 && errno != EINTR)
			return 3;
		if (n <= 0)
			continue;
		if (drain(ch, last) > 0)
			atomic_fetch_add(&B->wakeups, 1);
		else
			atomic_fetch_add(&B->empties, 1);
		/* ipcx_pollfd again after draining: it re-arms the doorbell. */
		if (ipcx_pollfd(ch) != fd)
			return 4;
	}
	close(ep);
	ipcx_close(ch);
	return 0;
}

static void
board_new(const char *scheme, uint32_t per)
{
	B = shm_test_shared(sizeof(*B));
	B->per = per;
	snprintf(B->uri, sizeof(B->uri), "%s", ipcx_test_uri(scheme, "slots=32&slot_size=1K"));
}

static void
check_all(uint32_t nsenders)
{
	uint32_t i;

	ASSERT_EQ(atomic_load(&B->bad), 0);
	ASSERT_EQ(atomic_load(&B->delivered), B->per * nsenders);
	for (i = 0; i < B->per * nsenders; i++)
		ASSERT_EQ(atomic_load(&B->count[(i / B->per) * NMSG + i % B->per]), 1);
}

/* Two epoll-only receivers, each with its own doorbell, two senders. */
static void
epoll_only(const char *scheme)
{
	ipcx_chan *owner;
	pid_t r0, r1, s0, s1;

	board_new(scheme, NMSG / 2);
	IPCX_PASS(ipcx_create(&owner, B->uri, IPCX_EXCL));
	r0 = ipcx_test_peer(epoll_receiver, (void *)2);
	r1 = ipcx_test_peer(epoll_receiver, (void *)2);
	s0 = ipcx_test_peer(sender, (void *)0);
	s1 = ipcx_test_peer(sender, (void *)1);
	ipcx_test_wait(s0, GUARD_MS);
	ipcx_test_wait(s1, GUARD_MS);
	ipcx_test_wait(r0, GUARD_MS);
	ipcx_test_wait(r1, GUARD_MS);
	check_all(2);
	fprintf(stderr, "  [%u wake-ups with messages, %u without] ", atomic_load(&B->wakeups),
	        atomic_load(&B->empties));
	ipcx_close(owner);
}

static void
epoll_only_shm(void)
{
	epoll_only("shm");
}

static void
epoll_only_sysvshm(void)
{
	epoll_only("sysvshm");
}

/* One epoll set watching a shm ring and a socket channel side by side. */
static int
socket_sender(void *arg)
{
	ipcx_chan *ch = arg;
	uint8_t buf[600];
	uint32_t k;

	for (k = 0; k < B->per; k++) {
		size_t n = shm_msg_make(buf, 3, k, shm_msg_size(3, k, sizeof(buf)));
		if (ipcx_send(ch, buf, n, LONG_MS) < 0)
			return 2;
	}
	ipcx_close(ch);
	return 0;
}

static void
beside_a_socket(void)
{
	struct epoll_event ev[2], out[2];
	int64_t last[4] = { -1, -1, -1, -1 };
	ipcx_chan *ring, *a, *b;
	pid_t s0, s1;
	int ep, fds[2], i;

	board_new("shm", NMSG / 4);
	IPCX_PASS(ipcx_create(&ring, B->uri, IPCX_EXCL));
	IPCX_PASS(ipcx_pair("unix:?type=seqpacket", &a, &b));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(ep, 0);
	fds[0] = ipcx_pollfd(ring);
	fds[1] = ipcx_pollfd(a);
	for (i = 0; i < 2; i++) {
		ASSERT_GE(fds[i], 0);
		ev[i].events = EPOLLIN;
		ev[i].data.u32 = (uint32_t)i;
		ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev[i]), 0);
	}
	s0 = ipcx_test_peer(sender, (void *)0);
	s1 = ipcx_test_peer(socket_sender, b);
	ipcx_close(b);
	while (atomic_load(&B->delivered) < 2 * B->per) {
		int n = epoll_wait(ep, out, 2, GUARD_MS);
		ASSERT_GE(n, 1);
		for (i = 0; i < n; i++) {
			if (out[i].data.u32 == 0) {
				drain(ring, last);
				ASSERT_EQ(ipcx_pollfd(ring), fds[0]);
			} else {
				drain(a, last);
			}
		}
	}
	ipcx_test_wait(s0, GUARD_MS);
	ipcx_test_wait(s1, GUARD_MS);
	ASSERT_EQ(atomic_load(&B->bad), 0);
	for (i = 0; i < (int)B->per; i++) {
		ASSERT_EQ(atomic_load(&B->count[0 * NMSG + i]), 1);
		ASSERT_EQ(atomic_load(&B->count[3 * NMSG + i]), 1);
	}
	close(ep);
	ipcx_close(a);
	ipcx_close(ring);
}

/*
 * A sender stopped in the middle of the head slot, a message behind it: the
 * descriptor says a message may be waiting, and a timeout-0 receive steps
 * around the stalled one to get it (and never spins on the stopped one).
 */
static int
stalled_sender(void *arg)
{
	ipcx_chan *ch;

	(void)arg;
	if (ipcx_join(&ch, B->uri, 0) < 0)
		return 1;
	atomic_store(&ipcx__ring_crash.countdown, 1);
	ipcx__ring_crash.signo = SIGSTOP;
	atomic_store(&ipcx__ring_crash.point, IPCX_RP_PUBLISH);
	ipcx_test_send_str(ch, "stalled");
	ipcx_close(ch);
	return 0;
}

static void
stalled_head(void)
{
	struct pollfd p;
	ipcx_chan *rx, *tx;
	char buf[64];
	pid_t s;
	int status;

	board_new("shm", 1);
	IPCX_PASS(ipcx_create(&rx, B->uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&tx, B->uri, 0));
	p.fd = ipcx_pollfd(rx);
	p.events = POLLIN;
	ASSERT_GE(p.fd, 0);
	s = ipcx_test_peer(stalled_sender, NULL);
	ASSERT_EQ(waitpid(s, &status, WUNTRACED), s);
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(poll(&p, 1, 0), 0);
	ipcx_test_send_str(tx, "behind");
	ASSERT_EQ(poll(&p, 1, LONG_MS), 1);
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), 6);
	ASSERT_MEMEQ(buf, "behind", 6);
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	p.fd = ipcx_pollfd(rx);
	ASSERT_EQ(poll(&p, 1, 0), 0); /* only the stalled one is left */
	kill(s, SIGCONT);
	ipcx_test_wait(s, GUARD_MS);
	ASSERT_EQ(poll(&p, 1, LONG_MS), 1);
	ipcx_test_recv_str(rx, "stalled");
	ipcx_close(tx);
	ipcx_close(rx);
}

/*
 * A handle closed while it holds a borrowed message gives the message back
 * and rings the doorbell of the poller waiting for it - and keeps no
 * descriptor of its own afterwards (it used to open the socket it rings
 * with after it had closed its descriptors, once per such close).
 */
static void
close_while_borrowing(void)
{
	const char *uri = ipcx_test_uri("shm", "slots=8");
	ipcx_chan *owner, *poller, *lender;
	uint8_t buf[64];
	const void *p;
	size_t n;
	int before, round, ep;
	struct epoll_event ev = { .events = EPOLLIN };

	IPCX_PASS(ipcx_create(&owner, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&poller, uri, 0));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_GE(ep, 0);
	ev.data.fd = ipcx_pollfd(poller);
	ASSERT_GE(ev.data.fd, 0);
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev), 0);
	before = -1;
	for (round = 0; round < 21; round++) {
		/* After the first round: the owner has rung once, and keeps the
		 * socket it rings with for as long as it is open. */
		if (round == 1)
			before = ipcx_test_fd_count();
		IPCX_PASS(ipcx_join(&lender, uri, 0));
		IPCX_PASS(ipcx_send(owner, "back", 4, LONG_MS));
		IPCX_FAIL(ipcx_recv_borrow(lender, &p, &n, LONG_MS), 4);
		/* The poller finds nothing and arms its doorbell. */
		IPCX_FAIL(ipcx_recv(poller, buf, sizeof(buf), 0), -EAGAIN);
		IPCX_PASS(ipcx_close(lender));
		/* The message given back rang it. */
		ASSERT_EQ(epoll_wait(ep, &ev, 1, LONG_MS), 1);
		IPCX_FAIL(ipcx_recv(poller, buf, sizeof(buf), 0), 4);
		ASSERT_MEMEQ(buf, "back", 4);
	}
	ASSERT_EQ(ipcx_test_fd_count(), before);
	close(ep);
	ipcx_close(poller);
	ipcx_close(owner);
}

TEST_LIST = {
	{ "epoll only/shm", epoll_only_shm },
	{ "epoll only/sysvshm", epoll_only_sysvshm },
	{ "beside a socket", beside_a_socket },
	{ "stalled head", stalled_head },
	{ "close while borrowing", close_while_borrowing },
	{ NULL, NULL },
};
