/* SPDX-License-Identifier: MIT */
/*
 * two_process_test.c - two processes, one channel, every byte checked.
 *
 * For every working transport a sender process and a receiver process
 * exchange many messages (sizes cycling through 0..8192 or the transport's
 * max, with a few of exactly max), each filled with ipcx_test_fill() seeded
 * by its sequence number and checked on arrival.  Where the channel goes
 * both ways, request/reply round trips follow in both directions; on the
 * framed stream transports 1 MiB and max-size (16 MiB) messages follow too.
 * At the end the receiver sees IPCX_EOF where the transport can know that
 * the peer has gone, and otherwise that nothing more (nothing invented) is
 * waiting.  A last test has eight FIFO senders at once, one of them a plain
 * write(2) of hand-made frames, and checks that no message interleaves with
 * another and that each sender's order is kept.
 *
 * The spawn test re-executes this binary: a constructor notices the
 * TWO_PROCESS_CHILD variable, joins IPCX_CHANNEL and plays the sender.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <limits.h>
#include <poll.h>

#define TMO 30000 /* hang guard for every blocking call (ms), never a bound */
#define NMSG 20000
#define NRR 200
#define MIB ((size_t)1 << 20)
#define DEFAULT_MAX ((size_t)16 << 20)

/* What one exchange does. */
struct xcfg {
	int n;        /* messages from sender to receiver in the bulk phase */
	size_t max;   /* the channel's max (stat must agree) */
	size_t cycle; /* bulk sizes cycle through 0..cycle */
	int bidir;    /* request/reply both ways */
	int large;    /* 1 MiB and max-size messages (framed streams) */
	int eof;      /* the receiver sees IPCX_EOF when the sender has gone */
};

#define SEED_RR_REQ 0x01000000u
#define SEED_RR_REP 0x02000000u
#define SEED_RR_REQ2 0x03000000u
#define SEED_LARGE 0x04000000u

static size_t
msg_size(const struct xcfg *c, int i)
{
	if (i % 5000 == 4999)
		return c->max;
	return ((size_t)i * 131u) % (c->cycle + 1);
}

static size_t
rr_size(const struct xcfg *c, int k)
{
	return ((size_t)k * 97u + 1) % (c->cycle + 1);
}

static size_t
buf_size(const struct xcfg *c)
{
	return (c->max > MIB ? c->max : MIB) + 1;
}

/* Receive one message and check its length and pattern. */
static void
recv_check(ipcx_chan *ch, uint8_t *buf, size_t cap, size_t want, uint32_t seed,
           const char *what, int i)
{
	ssize_t r = ipcx_recv(ch, buf, cap, TMO);

	if (r < 0)
		IPCX_TEST_FAILF("%s %d: recv -> %zd %s (%s)", what, i, r, ipcx_errname((int)r),
		                ipcx_errmsg(ch));
	if ((size_t)r != want)
		IPCX_TEST_FAILF("%s %d: length %zd, expected %zu", what, i, r, want);
	if (!ipcx_test_check(buf, want, seed))
		IPCX_TEST_FAILF("%s %d: %zu bytes differ from the pattern", what, i, want);
}

static void
send_fill(ipcx_chan *ch, uint8_t *buf, size_t len, uint32_t seed, const char *what, int i)
{
	int rc;

	ipcx_test_fill(buf, len, seed);
	rc = ipcx_send(ch, buf, len, TMO);
	if (rc < 0)
		IPCX_TEST_FAILF("%s %d: send of %zu -> %d %s (%s)", what, i, len, rc,
		                ipcx_errname(rc), ipcx_errmsg(ch));
}

static void
check_max(ipcx_chan *ch, const struct xcfg *c)
{
	struct ipcx_stat st;

	IPCX_PASS(ipcx_stat(ch, &st));
	ASSERT_EQ(st.max_msg, c->max);
}

/* The sender's side of an exchange (runs in the child). */
static int
role_sender(ipcx_chan *ch, const struct xcfg *c)
{
	size_t cap = buf_size(c);
	uint8_t *buf = ipcx_test_malloc(cap);
	int i;

	check_max(ch, c);
	/* Over max: refused locally, nothing sent. */
	IPCX_FAIL(ipcx_send(ch, buf, c->max + 1, TMO), -EMSGSIZE);
	for (i = 0; i < c->n; i++)
		send_fill(ch, buf, msg_size(c, i), (uint32_t)i, "bulk", i);
	if (c->large) {
		send_fill(ch, buf, MIB, SEED_LARGE, "1 MiB", 0);
		send_fill(ch, buf, c->max, SEED_LARGE + 1, "max", 0);
	}
	if (c->bidir) {
		/* We ask, the receiver answers. */
		for (i = 0; i < NRR; i++) {
			send_fill(ch, buf, rr_size(c, i), SEED_RR_REQ + (uint32_t)i, "request", i);
			recv_check(ch, buf, cap, rr_size(c, NRR - 1 - i), SEED_RR_REP + (uint32_t)i,
			           "reply", i);
		}
		/* The receiver asks, we echo. */
		for (i = 0; i < NRR; i++) {
			recv_check(ch, buf, cap, rr_size(c, i), SEED_RR_REQ2 + (uint32_t)i,
			           "request2", i);
			IPCX_PASS(ipcx_send(ch, buf, rr_size(c, i), TMO));
		}
		if (c->large)
			recv_check(ch, buf, cap, c->max, SEED_LARGE + 2, "max back", 0);
	}
	free(buf);
	return 0;
}

/* The receiver's side (runs in the test process). */
static void
role_receiver(ipcx_chan *ch, const struct xcfg *c)
{
	size_t cap = buf_size(c);
	uint8_t *buf = ipcx_test_malloc(cap);
	ssize_t r;
	int i;

	check_max(ch, c);
	for (i = 0; i < c->n; i++)
		recv_check(ch, buf, cap, msg_size(c, i), (uint32_t)i, "bulk", i);
	if (c->large) {
		/* A buffer one byte short is -EMSGSIZE and the message stays. */
		IPCX_FAIL(ipcx_recv(ch, buf, MIB - 1, TMO), -EMSGSIZE);
		recv_check(ch, buf, cap, MIB, SEED_LARGE, "1 MiB", 0);
		recv_check(ch, buf, cap, c->max, SEED_LARGE + 1, "max", 0);
	}
	if (c->bidir) {
		for (i = 0; i < NRR; i++) {
			recv_check(ch, buf, cap, rr_size(c, i), SEED_RR_REQ + (uint32_t)i, "request",
			           i);
			send_fill(ch, buf, rr_size(c, NRR - 1 - i), SEED_RR_REP + (uint32_t)i, "reply",
			          i);
		}
		for (i = 0; i < NRR; i++) {
			send_fill(ch, buf, rr_size(c, i), SEED_RR_REQ2 + (uint32_t)i, "request2", i);
			recv_check(ch, buf, cap, rr_size(c, i), SEED_RR_REQ2 + (uint32_t)i, "echo", i);
		}
		if (c->large)
			send_fill(ch, buf, c->max, SEED_LARGE + 2, "max back", 0);
	}
	if (c->eof) {
		r = ipcx_recv(ch, buf, cap, TMO);
		if (r != IPCX_EOF)
			IPCX_TEST_FAILF("after the sender left: recv -> %zd %s, expected IPCX_EOF", r,
			                ipcx_errname((int)r));
		/* And it stays at end of file. */
		IPCX_FAIL(ipcx_recv(ch, buf, cap, 0), IPCX_EOF);
	}
	free(buf);
}

/* Nothing beyond what was sent may be waiting (call after the sender exited). */
static void
assert_nothing_more(ipcx_chan *ch)
{
	uint8_t b[16];

	IPCX_FAIL(ipcx_recv(ch, b, sizeof(b), 0), -EAGAIN);
}

/* ---- the sender as a forked peer -------------------------------------- */

struct peer_arg {
	const char *uri;   /* join this, or ... */
	ipcx_chan *ch;     /* ... use this (pair end) */
	ipcx_chan *other;  /* the parent's end, closed in the child */
	struct xcfg cfg;
};

static int
peer_sender(void *argp)
{
	struct peer_arg *a = argp;
	ipcx_chan *ch = a->ch;
	int rc;

	if (a->other != NULL)
		ipcx_close(a->other);
	if (ch == NULL)
		IPCX_PASS(ipcx_join(&ch, a->uri, 0));
	rc = role_sender(ch, &a->cfg);
	ipcx_close(ch);
	return rc;
}

static struct xcfg
cfg_stream(void)
{
	struct xcfg c = { NMSG, DEFAULT_MAX, 8192, 1, 1, 1 };
	return c;
}

static struct xcfg
cfg_msg(int eof)
{
	struct xcfg c = { NMSG, 64 * 1024, 8192, 1, 0, eof };
	return c;
}

/*
 * A listening or receiving creator in this process, a joining sender in a
 * forked child.
 */
static void
run_server(const char *create_uri, const struct xcfg *cfg, int listening)
{
	struct peer_arg a = { 0 };
	ipcx_chan *srv, *conn = NULL;
	struct ipcx_stat st;
	char join_uri[IPCX_URI_MAX + 256];
	pid_t pid;
	int rc;

	rc = ipcx_create(&srv, create_uri, 0);
	if (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL || rc == -EHOSTUNREACH)
		TEST_SKIP("%s: %s", create_uri, ipcx_errname(rc));
	IPCX_PASS(rc);
	IPCX_PASS(ipcx_stat(srv, &st));
	ASSERT_EQ(st.listening, listening);
	if (strncmp(create_uri, "tcp:", 4) == 0) {
		/* Port 0 picked one: join what ipcx_stat() says was bound. */
		size_t n = strlen(st.uri);
		ASSERT_TRUE(n > 2 && strcmp(st.uri + n - 2, ":0") != 0);
		snprintf(join_uri, sizeof(join_uri), "%s%s",
		         strncmp(create_uri, "tcp://", 6) == 0 ? "tcp://" : "tcp:", st.uri + 4);
		a.uri = join_uri;
	} else {
		a.uri = create_uri;
	}
	a.cfg = *cfg;
	pid = ipcx_test_peer(peer_sender, &a);
	if (listening) {
		IPCX_PASS(ipcx_accept(srv, &conn, TMO));
		IPCX_PASS(ipcx_stat(conn, &st));
		ASSERT_EQ(st.role, IPCX_ROLE_ACCEPTED);
		role_receiver(conn, cfg);
		ipcx_close(conn);
	} else {
		role_receiver(srv, cfg);
	}
	ipcx_test_wait(pid, -1);
	if (!listening && !cfg->eof)
		assert_nothing_more(srv);
	ipcx_close(srv);
}

/* ---- pipes ------------------------------------------------------------ */

static void
test_pipe_pair_fork(void)
{
	struct peer_arg a = { 0 };
	ipcx_chan *mine, *theirs;
	pid_t pid;

	IPCX_PASS(ipcx_pair("pipe:", &mine, &theirs));
	a.ch = theirs;
	a.other = mine;
	a.cfg = cfg_stream();
	pid = ipcx_test_peer(peer_sender, &a);
	ipcx_close(theirs);
	role_receiver(mine, &a.cfg);
	ipcx_test_wait(pid, -1);
	/* The peer has gone: nobody can ever read what we send. */
	IPCX_FAIL(ipcx_send(mine, "x", 1, TMO), -EPIPE);
	ipcx_close(mine);
}

static void
test_pipe_spawn_reexec(void)
{
	struct xcfg c = cfg_stream();
	char self[PATH_MAX], spec[128];
	char *argv[] = { self, (char *)"--two-process-child", NULL };
	ipcx_chan *ch;
	ssize_t n;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_TRUE(n > 0);
	self[n] = '\0';
	snprintf(spec, sizeof(spec), "%d,%zu,%zu,%d,%d,%d", c.n, c.max, c.cycle, c.bidir, c.large,
	         c.eof);
	ASSERT_EQ(setenv("TWO_PROCESS_CHILD", spec, 1), 0);
	IPCX_PASS(ipcx_spawn(argv, "pipe:", &ch, &pid));
	role_receiver(ch, &c);
	ipcx_test_wait(pid, -1);
	ipcx_close(ch);
}

/* The spawned child: join IPCX_CHANNEL and be the sender. */
__attribute__((constructor)) static void
two_process_child(void)
{
	const char *spec = getenv("TWO_PROCESS_CHILD");
	const char *uri = getenv("IPCX_CHANNEL");
	struct xcfg c;
	ipcx_chan *ch;
	sigset_t set;
	int rc;

	if (spec == NULL)
		return;
	if (uri == NULL || sscanf(spec, "%d,%zu,%zu,%d,%d,%d", &c.n, &c.max, &c.cycle, &c.bidir,
	                          &c.large, &c.eof) != 6) {
		fprintf(stderr, "two_process child: bad environment\n");
		_exit(2);
	}
	/* ipcx_spawn promises an empty signal mask. */
	ASSERT_EQ(sigprocmask(SIG_SETMASK, NULL, &set), 0);
	ASSERT_TRUE(sigisemptyset(&set));
	ASSERT_TRUE(strncmp(uri, "pipe:", 5) == 0);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	rc = role_sender(ch, &c);
	ipcx_close(ch);
	_exit(rc);
}

/* ---- unix socketpairs across fork ------------------------------------- */

static void
run_unix_pair(const char *uri, struct xcfg c)
{
	struct peer_arg a = { 0 };
	ipcx_chan *mine, *theirs;
	pid_t pid;

	IPCX_PASS(ipcx_pair(uri, &mine, &theirs));
	a.ch = theirs;
	a.other = mine;
	a.cfg = c;
	pid = ipcx_test_peer(peer_sender, &a);
	ipcx_close(theirs);
	role_receiver(mine, &c);
	ipcx_test_wait(pid, -1);
	if (!c.eof)
		assert_nothing_more(mine);
	ipcx_close(mine);
}

static void
test_unix_pair_stream(void)
{
	run_unix_pair("unix:", cfg_stream());
}

static void
test_unix_pair_seqpacket(void)
{
	run_unix_pair("unix:?type=seqpacket", cfg_msg(1));
}

static void
test_unix_pair_dgram(void)
{
	run_unix_pair("unix:?type=dgram", cfg_msg(0));
}

/* ---- fifo ------------------------------------------------------------- */

static void
test_fifo(void)
{
	struct xcfg c = { NMSG, PIPE_BUF - 4, PIPE_BUF - 4, 0, 0, 0 };

	run_server(ipcx_test_uri("fifo", NULL), &c, 0);
}

static void
test_fifo_large_max(void)
{
	/* max above PIPE_BUF: ipcx senders serialise with a lock. */
	struct xcfg c = { 2000, DEFAULT_MAX, 8192, 0, 1, 0 };

	run_server(ipcx_test_uri("fifo", "max=16M"), &c, 0);
}

/* ---- unix sockets ----------------------------------------------------- */

static void
test_unix_stream_path(void)
{
	struct xcfg c = cfg_stream();

	run_server(ipcx_test_uri("unix", NULL), &c, 1);
}

static void
test_unix_stream_abstract(void)
{
	struct xcfg c = cfg_stream();

	run_server(ipcx_test_uri("unix@", NULL), &c, 1);
}

static void
test_unix_seqpacket_path(void)
{
	struct xcfg c = cfg_msg(1);

	run_server(ipcx_test_uri("unix", "type=seqpacket"), &c, 1);
}

static void
test_unix_seqpacket_abstract(void)
{
	struct xcfg c = cfg_msg(1);

	run_server(ipcx_test_uri("unix@", "type=seqpacket"), &c, 1);
}

static void
test_unix_dgram_path(void)
{
	struct xcfg c = cfg_msg(0);

	run_server(ipcx_test_uri("unix", "type=dgram"), &c, 0);
}

static void
test_unix_dgram_abstract(void)
{
	struct xcfg c = cfg_msg(0);

	run_server(ipcx_test_uri("unix@", "type=dgram"), &c, 0);
}

/* ---- tcp -------------------------------------------------------------- */

static void
test_tcp_v4(void)
{
	struct xcfg c = cfg_stream();

	run_server("tcp:127.0.0.1:0", &c, 1);
}

static void
test_tcp_v6(void)
{
	struct xcfg c = cfg_stream();

	run_server("tcp:[::1]:0", &c, 1);
}

static void
test_tcp_double_slash(void)
{
	struct xcfg c = { 2000, DEFAULT_MAX, 8192, 1, 0, 1 };

	run_server("tcp://127.0.0.1:0", &c, 1);
}

/* ---- many FIFO senders at once ---------------------------------------- */

#define FIFO_SENDERS 8  /* the last one is a plain write(2) writer */
#define FIFO_PER_SENDER 1500
#define FIFO_MAX (PIPE_BUF - 4)
#define FIFO_HDR 5      /* sender id, then a big-endian sequence number */

struct fifo_sender {
	const char *uri;
	const char *path;
	int id;
	int start_fd;       /* read end of the start line: EOF means go */
	int start_wfd;      /* its write end, which the senders close */
};

static size_t
fifo_msg_size(int id, int seq)
{
	return FIFO_HDR + ((size_t)seq * 53u + (size_t)id * 389u) % (FIFO_MAX - FIFO_HDR + 1);
}

static uint32_t
fifo_seed(int id, int seq)
{
	return (uint32_t)id << 20 | (uint32_t)seq;
}

static void
fifo_build(uint8_t *p, int id, int seq)
{
	size_t n = fifo_msg_size(id, seq);

	p[0] = (uint8_t)id;
	p[1] = (uint8_t)(seq >> 24);
	p[2] = (uint8_t)(seq >> 16);
	p[3] = (uint8_t)(seq >> 8);
	p[4] = (uint8_t)seq;
	ipcx_test_fill(p + FIFO_HDR, n - FIFO_HDR, fifo_seed(id, seq));
}

static void
wait_start(const struct fifo_sender *s)
{
	char c;

	close(s->start_wfd);
	while (read(s->start_fd, &c, 1) != 0)
		;
	close(s->start_fd);
}

static int
fifo_ipcx_sender(void *argp)
{
	struct fifo_sender *s = argp;
	uint8_t buf[FIFO_MAX];
	ipcx_chan *ch;
	int seq;

	IPCX_PASS(ipcx_join(&ch, s->uri, 0));
	wait_start(s);
	for (seq = 0; seq < FIFO_PER_SENDER; seq++) {
		fifo_build(buf, s->id, seq);
		IPCX_PASS(ipcx_send(ch, buf, fifo_msg_size(s->id, seq), TMO));
	}
	ipcx_close(ch);
	return 0;
}

/* Knows nothing of ipcx: one write(2) per correctly framed message. */
static int
fifo_raw_sender(void *argp)
{
	struct fifo_sender *s = argp;
	uint8_t frame[4 + FIFO_MAX];
	int fd, seq;

	fd = open(s->path, O_WRONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	wait_start(s);
	for (seq = 0; seq < FIFO_PER_SENDER; seq++) {
		size_t n = fifo_msg_size(s->id, seq);
		ssize_t w;

		frame[0] = (uint8_t)(n >> 24);
		frame[1] = (uint8_t)(n >> 16);
		frame[2] = (uint8_t)(n >> 8);
		frame[3] = (uint8_t)n;
		fifo_build(frame + 4, s->id, seq);
		do
			w = write(fd, frame, 4 + n);
		while (w < 0 && errno == EINTR);
		ASSERT_EQ(w, (ssize_t)(4 + n)); /* <= PIPE_BUF: all or nothing */
	}
	close(fd);
	return 0;
}

static void
test_fifo_many_senders(void)
{
	struct fifo_sender s[FIFO_SENDERS];
	pid_t pids[FIFO_SENDERS];
	int next[FIFO_SENDERS] = { 0 };
	const char *uri = ipcx_test_uri("fifo", NULL);
	const char *path = strchr(uri, ':') + 1;
	uint8_t buf[FIFO_MAX + 16];
	ipcx_chan *rx;
	int start[2], i, total;

	IPCX_PASS(ipcx_create(&rx, uri, 0));
	IPCX_PASS(ipcx_pollfd(rx)); /* open the receiving end now */
	ASSERT_EQ(pipe2(start, O_CLOEXEC), 0);
	for (i = 0; i < FIFO_SENDERS; i++) {
		s[i].uri = uri;
		s[i].path = path;
		s[i].id = i;
		s[i].start_fd = start[0];
		s[i].start_wfd = start[1];
		pids[i] = ipcx_test_peer(i == FIFO_SENDERS - 1 ? fifo_raw_sender : fifo_ipcx_sender,
		                         &s[i]);
	}
	close(start[0]);
	close(start[1]); /* everyone starts at once */
	for (total = 0; total < FIFO_SENDERS * FIFO_PER_SENDER; total++) {
		ssize_t r = ipcx_recv(rx, buf, sizeof(buf), TMO);
		int id, seq;

		if (r < 0)
			IPCX_TEST_FAILF("message %d: recv -> %zd %s (%s)", total, r,
			                ipcx_errname((int)r), ipcx_errmsg(rx));
		ASSERT_GE(r, FIFO_HDR);
		id = buf[0];
		ASSERT_LT(id, FIFO_SENDERS);
		seq = (int)((uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 8 |
		            buf[4]);
		if (seq != next[id])
			IPCX_TEST_FAILF("sender %d: message %d arrived when %d was due", id, seq,
			                next[id]);
		ASSERT_EQ(r, (ssize_t)fifo_msg_size(id, seq));
		if (!ipcx_test_check(buf + FIFO_HDR, (size_t)r - FIFO_HDR, fifo_seed(id, seq)))
			IPCX_TEST_FAILF("sender %d message %d: torn or interleaved", id, seq);
		next[id]++;
	}
	for (i = 0; i < FIFO_SENDERS; i++) {
		ipcx_test_wait(pids[i], -1);
		ASSERT_EQ(next[i], FIFO_PER_SENDER);
	}
	assert_nothing_more(rx);
	ipcx_close(rx);
	/* The creator removed its node. */
	ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
}

TEST_LIST = {
	{ "pipe pair across fork", test_pipe_pair_fork },
	{ "pipe spawn of a re-executed child", test_pipe_spawn_reexec },
	{ "unix socketpair stream across fork", test_unix_pair_stream },
	{ "unix socketpair seqpacket across fork", test_unix_pair_seqpacket },
	{ "unix socketpair dgram across fork", test_unix_pair_dgram },
	{ "fifo one sender", test_fifo },
	{ "fifo max=16M large messages", test_fifo_large_max },
	{ "fifo eight senders one raw", test_fifo_many_senders },
	{ "unix stream path", test_unix_stream_path },
	{ "unix stream abstract", test_unix_stream_abstract },
	{ "unix seqpacket path", test_unix_seqpacket_path },
	{ "unix seqpacket abstract", test_unix_seqpacket_abstract },
	{ "unix dgram path", test_unix_dgram_path },
	{ "unix dgram abstract", test_unix_dgram_abstract },
	{ "tcp ipv4 loopback", test_tcp_v4 },
	{ "tcp ipv6 loopback", test_tcp_v6 },
	{ "tcp double slash", test_tcp_double_slash },
	{ NULL, NULL },
};
