/* SPDX-License-Identifier: MIT */
/*
 * hostile_test.c - peers that break the rules (DESIGN.md, "Framing" and
 * "Hostile peers").
 *
 *  - A peer announcing a 4 GiB frame (ff ff ff ff) on a unix stream, TCP or
 *    pipe: the receiver gets -EPROTO, that connection is dropped (the peer
 *    sees it end, later receives say IPCX_EOF), the process lives on and the
 *    listener's other connections, old and new, keep working.
 *  - A peer closing in the middle of a frame or of a header: -EPROTO, never
 *    a partial message, then IPCX_EOF.
 *  - A foreign process writing garbage into a FIFO: -EPROTO, the FIFO is
 *    flushed, and well-formed messages written afterwards arrive.
 *  - framing=line with a line longer than max: -EPROTO.
 *  - A receiver that never reads: a sender with a deadline gets -ETIMEDOUT
 *    before its first byte, or -EPIPE when a started frame cannot be
 *    finished (and then for every later send); the receiver sees whole
 *    messages, in order, then the end - never a message spliced from two.
 *
 * The misbehaving peers use plain sockets, pipes and write(2), as a program
 * that knows nothing of ipcx would.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <netinet/in.h>
#include <arpa/inet.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define TMO 30000 /* hang guard (ms), never a bound */

/* ---- helpers ---------------------------------------------------------- */

/*
 * Wait until fd reports end of stream (read 0, or ECONNRESET).  Returns 0
 * then, or fails the (helper) process after TMO.
 */
static int
wait_for_end(int fd)
{
	char buf[4096];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, TMO) <= 0)
			IPCX_TEST_FAILF("the connection was not dropped within %d ms", TMO);
		r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return 0;
		if (r < 0 && errno != EINTR && errno != EAGAIN)
			IPCX_TEST_FAILF("read: %s", strerror(errno));
	}
}

/* A plain connected socket to "unix:PATH", "unix:@NAME" or "tcp:A.B.C.D:P". */
static int
raw_connect(const char *uri)
{
	int fd;

	if (strncmp(uri, "unix:", 5) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *p = uri + 5;
		size_t n = strcspn(p, "?");
		socklen_t len;

		ASSERT_LT(n, sizeof(sa.sun_path));
		memcpy(sa.sun_path, p, n);
		if (p[0] == '@') {
			sa.sun_path[0] = '\0';
			len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		} else {
			len = (socklen_t)sizeof(sa);
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_TRUE(fd >= 0);
		if (connect(fd, (struct sockaddr *)&sa, len) < 0)
			IPCX_TEST_FAILF("connect %s: %s", uri, strerror(errno));
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		char host[64];
		int port;

		ASSERT_EQ(sscanf(uri, "tcp:%63[0-9.]:%d", host, &port), 2);
		ASSERT_EQ(inet_pton(AF_INET, host, &sa.sin_addr), 1);
		sa.sin_port = htons((uint16_t)port);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_TRUE(fd >= 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			IPCX_TEST_FAILF("connect %s: %s", uri, strerror(errno));
	}
	return fd;
}

/* The address to join for a listener ("tcp:...:0" becomes the bound port). */
static void
join_uri(ipcx_chan *srv, const char *create_uri, char *out, size_t outlen)
{
	struct ipcx_stat st;

	IPCX_PASS(ipcx_stat(srv, &st));
	if (strncmp(create_uri, "tcp:", 4) == 0) {
		const char *q = strchr(create_uri, '?');
		snprintf(out, outlen, "%s%s", st.uri, q != NULL ? q : "");
	} else
		snprintf(out, outlen, "%s", create_uri);
}

/* ---- a 4 GiB frame ---------------------------------------------------- */

struct raw_peer {
	const char *uri;
	const uint8_t *bytes;
	size_t len;
	int then_wait_end; /* 1: wait until the receiver drops us; 0: close */
};

static int
raw_peer_main(void *argp)
{
	struct raw_peer *p = argp;
	int fd = raw_connect(p->uri);

	ipcx_test_write_full(fd, p->bytes, p->len);
	if (p->then_wait_end)
		wait_for_end(fd);
	close(fd);
	return 0;
}

/* A well-behaved client: one exchange, wait for a word, another, close. */
static int
good_client(void *argp)
{
	const char *uri = argp;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	ipcx_test_send_str(ch, "g1");
	ipcx_test_recv_str(ch, "r1");
	ipcx_test_send_str(ch, "g2");
	ipcx_test_recv_str(ch, "r2");
	ipcx_close(ch);
	return 0;
}

static void
run_huge_frame(const char *create_uri)
{
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'j', 'u', 'n', 'k' };
	struct raw_peer rp = { 0 };
	char uri[IPCX_URI_MAX + 256], buf[64];
	ipcx_chan *srv, *good, *bad, *late;
	pid_t gpid, hpid, lpid;

	IPCX_PASS(ipcx_create(&srv, create_uri, 0));
	join_uri(srv, create_uri, uri, sizeof(uri));
	/* A good connection first ... */
	gpid = ipcx_test_peer(good_client, uri);
	IPCX_PASS(ipcx_accept(srv, &good, TMO));
	ipcx_test_recv_str(good, "g1");
	/* ... then the liar. */
	rp.uri = uri;
	rp.bytes = huge;
	rp.len = sizeof(huge);
	rp.then_wait_end = 1;
	hpid = ipcx_test_peer(raw_peer_main, &rp);
	IPCX_PASS(ipcx_accept(srv, &bad, TMO));
	IPCX_FAIL(ipcx_recv(bad, buf, sizeof(buf), TMO), -EPROTO);
	if (strstr(ipcx_errmsg(bad), "4294967295") == NULL)
		IPCX_TEST_FAILF("errmsg does not say the length: \"%s\"", ipcx_errmsg(bad));
	/* That connection is dropped: the peer sees the end ... */
	ipcx_test_wait(hpid, -1);
	/* ... and it stays dropped here. */
	IPCX_FAIL(ipcx_recv(bad, buf, sizeof(buf), TMO), IPCX_EOF);
	IPCX_FAIL(ipcx_recv(bad, buf, sizeof(buf), 0), IPCX_EOF);
	IPCX_FAIL(ipcx_send(bad, "x", 1, TMO), -EPIPE);
	ipcx_close(bad);
	/* The old connection and the listener live on. */
	ipcx_test_send_str(good, "r1");
	ipcx_test_recv_str(good, "g2");
	ipcx_test_send_str(good, "r2");
	IPCX_FAIL(ipcx_recv(good, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_test_wait(gpid, -1);
	ipcx_close(good);
	lpid = ipcx_test_peer(good_client, uri);
	IPCX_PASS(ipcx_accept(srv, &late, TMO));
	ipcx_test_recv_str(late, "g1");
	ipcx_test_send_str(late, "r1");
	ipcx_test_recv_str(late, "g2");
	ipcx_test_send_str(late, "r2");
	ipcx_test_wait(lpid, -1);
	ipcx_close(late);
	ipcx_close(srv);
}

static void
test_huge_frame_unix(void)
{
	run_huge_frame(ipcx_test_uri("unix", NULL));
}

static void
test_huge_frame_unix_abstract(void)
{
	run_huge_frame(ipcx_test_uri("unix@", NULL));
}

static void
test_huge_frame_tcp(void)
{
	run_huge_frame("tcp:127.0.0.1:0");
}

/* One byte above a small max is refused just the same; max itself is not. */
static void
test_frame_above_small_max(void)
{
	const char *uri = ipcx_test_uri("unix", "max=100");
	uint8_t bytes[4 + 100 + 4];
	struct raw_peer rp = { uri, bytes, sizeof(bytes), 1 };
	uint8_t buf[200];
	ipcx_chan *srv, *c;
	pid_t pid;

	memset(bytes, 0, sizeof(bytes));
	bytes[3] = 100;              /* exactly max: fine */
	ipcx_test_fill(bytes + 4, 100, 7);
	bytes[4 + 100 + 3] = 101;    /* max + 1: a protocol error */
	IPCX_PASS(ipcx_create(&srv, uri, 0));
	pid = ipcx_test_peer(raw_peer_main, &rp);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), 100);
	ASSERT_TRUE(ipcx_test_check(buf, 100, 7));
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), -EPROTO);
	ipcx_test_wait(pid, -1);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_close(c);
	ipcx_close(srv);
}

/* A plain pipe writer lies; ipcx adopted the read end with "pipe:FD". */
struct pipe_liar {
	int fds[2];
	const uint8_t *bytes;
	size_t len;
	int wait_drop;
};

static int
pipe_liar_main(void *argp)
{
	struct pipe_liar *p = argp;
	int64_t end = ipcx_test_now_ms() + TMO;

	signal(SIGPIPE, SIG_IGN);
	close(p->fds[0]);
	ipcx_test_write_full(p->fds[1], p->bytes, p->len);
	if (!p->wait_drop)
		return 0;
	/* The reader let go of the pipe: writes fail with EPIPE. */
	while (ipcx_test_now_ms() < end) {
		if (write(p->fds[1], "z", 1) < 0 && errno == EPIPE)
			return 0;
		usleep(10000);
	}
	IPCX_TEST_FAILF("the reader never dropped the pipe");
}

static void
test_huge_frame_pipe(void)
{
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };
	struct pipe_liar pl = { { -1, -1 }, huge, sizeof(huge), 1 };
	char uri[32], buf[16];
	ipcx_chan *ch;
	pid_t pid;

	ASSERT_EQ(pipe2(pl.fds, O_CLOEXEC), 0);
	/* The writer first, so that it holds no copy of the reading end. */
	pid = ipcx_test_peer(pipe_liar_main, &pl);
	close(pl.fds[1]);
	snprintf(uri, sizeof(uri), "pipe:%d", pl.fds[0]);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), TMO), -EPROTO);
	ipcx_test_wait(pid, -1);
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_close(ch);
}

/* ---- a peer closing mid-frame ----------------------------------------- */

/* "abc", then a header announcing 100 bytes, 10 of them, and close. */
static const uint8_t mid_frame[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 100,
	                             '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' };
/* An empty message, then half a header. */
static const uint8_t mid_header[] = { 0, 0, 0, 0, 0, 0 };

static void
expect_torn_end(ipcx_chan *ch, const uint8_t *bytes)
{
	char buf[256];

	if (bytes == mid_frame)
		ipcx_test_recv_str(ch, "abc");
	else
		IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), TMO), 0);
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), TMO), -EPROTO);
	if (bytes == mid_frame && strstr(ipcx_errmsg(ch), "middle") == NULL)
		IPCX_TEST_FAILF("errmsg: \"%s\"", ipcx_errmsg(ch));
	/* Nothing of the torn frame was handed out as a message (the buffer of
	 * a failed receive holds nothing defined: ipcx.h). */
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), TMO), IPCX_EOF);
	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), 0), IPCX_EOF);
}

static void
run_mid_frame_socket(const char *create_uri, const uint8_t *bytes, size_t len)
{
	char uri[IPCX_URI_MAX + 256];
	struct raw_peer rp = { uri, bytes, len, 0 };
	ipcx_chan *srv, *c;
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, create_uri, 0));
	join_uri(srv, create_uri, uri, sizeof(uri));
	pid = ipcx_test_peer(raw_peer_main, &rp);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ipcx_test_wait(pid, -1); /* everything written and closed */
	expect_torn_end(c, bytes);
	ipcx_close(c);
	ipcx_close(srv);
}

static void
test_mid_frame_unix(void)
{
	run_mid_frame_socket(ipcx_test_uri("unix", NULL), mid_frame, sizeof(mid_frame));
	run_mid_frame_socket(ipcx_test_uri("unix", NULL), mid_header, sizeof(mid_header));
}

static void
test_mid_frame_tcp(void)
{
	run_mid_frame_socket("tcp:127.0.0.1:0", mid_frame, sizeof(mid_frame));
	run_mid_frame_socket("tcp:127.0.0.1:0", mid_header, sizeof(mid_header));
}

static void
run_mid_frame_pipe(const uint8_t *bytes, size_t len)
{
	struct pipe_liar pl = { { -1, -1 }, bytes, len, 0 };
	char uri[32];
	ipcx_chan *ch;
	pid_t pid;

	ASSERT_EQ(pipe2(pl.fds, O_CLOEXEC), 0);
	snprintf(uri, sizeof(uri), "pipe:%d", pl.fds[0]);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	pid = ipcx_test_peer(pipe_liar_main, &pl);
	close(pl.fds[1]);
	ipcx_test_wait(pid, -1);
	expect_torn_end(ch, bytes);
	ipcx_close(ch);
}

static void
test_mid_frame_pipe(void)
{
	run_mid_frame_pipe(mid_frame, sizeof(mid_frame));
	run_mid_frame_pipe(mid_header, sizeof(mid_header));
}

/* A frame split across many writes with pauses is not a torn frame. */
static int
slow_writer(void *argp)
{
	const char *uri = argp;
	static const uint8_t frame[] = { 0, 0, 0, 5, 's', 'l', 'o', 'w', '!' };
	int fd = raw_connect(uri);
	size_t i;

	for (i = 0; i < sizeof(frame); i++) {
		ipcx_test_write_full(fd, frame + i, 1);
		usleep(20000);
	}
	close(fd);
	return 0;
}

static void
test_slow_frame_is_whole(void)
{
	const char *uri = ipcx_test_uri("unix", NULL);
	ipcx_chan *srv, *c;
	char buf[16];
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	pid = ipcx_test_peer(slow_writer, (void *)uri);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	/* Short deadlines in the middle of the frame lose nothing. */
	for (;;) {
		ssize_t r = ipcx_recv(c, buf, sizeof(buf), 5);
		if (r == -ETIMEDOUT)
			continue;
		ASSERT_EQ(r, 5);
		ASSERT_MEMEQ(buf, "slow!", 5);
		break;
	}
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_test_wait(pid, -1);
	ipcx_close(c);
	ipcx_close(srv);
}

/* ---- garbage in a FIFO ------------------------------------------------ */

struct fifo_vandal {
	const char *path;
	const char *uri;
	const uint8_t *garbage;
	size_t glen;
	struct ipcx_test_line go;
};

static void
raw_frame(int fd, const char *s)
{
	uint8_t f[256];
	size_t n = strlen(s);

	f[0] = f[1] = f[2] = 0;
	f[3] = (uint8_t)n;
	memcpy(f + 4, s, n);
	ipcx_test_write_full(fd, f, 4 + n); /* one write(2): atomic in a FIFO */
}

static int
fifo_vandal_main(void *argp)
{
	struct fifo_vandal *v = argp;
	ipcx_chan *ch;
	int fd = open(v->path, O_WRONLY | O_CLOEXEC);

	ASSERT_TRUE(fd >= 0);
	raw_frame(fd, "before");
	/* One write, so the garbage is all in the FIFO at once (< PIPE_BUF). */
	ipcx_test_write_full(fd, v->garbage, v->glen);
	/* Wait until the receiver has seen -EPROTO (and flushed) ... */
	ASSERT_EQ(ipcx_test_line_get(&v->go), 'g');
	/* ... then well-formed messages, by hand and by ipcx. */
	raw_frame(fd, "after one");
	raw_frame(fd, "after two");
	IPCX_PASS(ipcx_join(&ch, v->uri, 0));
	ipcx_test_send_str(ch, "after three");
	ipcx_close(ch);
	close(fd);
	return 0;
}

static void
run_fifo_garbage(const uint8_t *garbage, size_t glen, const char *errmsg_word)
{
	const char *uri = ipcx_test_uri("fifo", NULL);
	struct fifo_vandal v = { strchr(uri, ':') + 1, uri, garbage, glen, { { -1, -1 } } };
	char buf[8192];
	ipcx_chan *rx;
	pid_t pid;

	IPCX_PASS(ipcx_create(&rx, uri, 0));
	IPCX_PASS(ipcx_pollfd(rx));
	ipcx_test_line_open(&v.go);
	pid = ipcx_test_peer(fifo_vandal_main, &v);
	ipcx_test_recv_str(rx, "before");
	/* The garbage may come in the same read as "before", or later. */
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), TMO), -EPROTO);
	if (errmsg_word != NULL && strstr(ipcx_errmsg(rx), errmsg_word) == NULL)
		IPCX_TEST_FAILF("errmsg \"%s\" does not mention %s", ipcx_errmsg(rx), errmsg_word);
	/* Flushed: nothing of the garbage is left to misread. */
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_test_line_put(&v.go, 'g');
	ipcx_test_recv_str(rx, "after one");
	ipcx_test_recv_str(rx, "after two");
	ipcx_test_recv_str(rx, "after three");
	ipcx_test_wait(pid, -1);
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(rx);
}

static void
test_fifo_random_garbage(void)
{
	uint8_t g[1000];

	ipcx_test_fill(g, sizeof(g), 1234);
	g[0] = 0xa5; /* a length far above max, whatever the rest */
	run_fifo_garbage(g, sizeof(g), "exceeds max");
}

static void
test_fifo_text_garbage(void)
{
	/* A peer speaking framing=line to a framing=len receiver. */
	static const char text[] = "hello world, I am a line\nand another\n";

	run_fifo_garbage((const uint8_t *)text, sizeof(text) - 1, "line");
}

/* ---- lines longer than max -------------------------------------------- */

static void
test_line_too_long_unix(void)
{
	const char *uri = ipcx_test_uri("unix", "framing=line&max=100");
	uint8_t bytes[3 + 101 + 1 + 200];
	struct raw_peer rp = { uri, bytes, sizeof(bytes), 1 };
	char buf[512];
	ipcx_chan *srv, *c;
	pid_t pid;

	memcpy(bytes, "ok\n", 3);
	memset(bytes + 3, 'x', 101); /* max + 1 before the newline */
	bytes[3 + 101] = '\n';
	memset(bytes + 3 + 101 + 1, 'y', 200); /* and a line with no end at all */
	IPCX_PASS(ipcx_create(&srv, uri, 0));
	pid = ipcx_test_peer(raw_peer_main, &rp);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ipcx_test_recv_str(c, "ok");
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), -EPROTO);
	ipcx_test_wait(pid, -1); /* it saw the connection dropped */
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_close(c);
	ipcx_close(srv);
}

static void
test_line_unterminated_too_long(void)
{
	const char *uri = ipcx_test_uri("unix", "framing=line&max=100");
	uint8_t bytes[100 + 1 + 300];
	struct raw_peer rp = { uri, bytes, sizeof(bytes), 1 };
	char buf[512];
	ipcx_chan *srv, *c;
	pid_t pid;

	memset(bytes, 'm', 100); /* exactly max: a message */
	bytes[100] = '\n';
	memset(bytes + 101, 'z', 300); /* no newline, and already over max */
	IPCX_PASS(ipcx_create(&srv, uri, 0));
	pid = ipcx_test_peer(raw_peer_main, &rp);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 100);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), -EPROTO);
	ipcx_test_wait(pid, -1);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_close(c);
	ipcx_close(srv);
}

static int
fifo_line_vandal(void *argp)
{
	struct fifo_vandal *v = argp;
	char big[300];
	int fd = open(v->path, O_WRONLY | O_CLOEXEC);

	ASSERT_TRUE(fd >= 0);
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	ipcx_test_write_full(fd, "fine\n", 5);
	ipcx_test_write_full(fd, big, sizeof(big));
	ASSERT_EQ(ipcx_test_line_get(&v->go), 'g');
	ipcx_test_write_full(fd, "later\n", 6);
	close(fd);
	return 0;
}

static void
test_line_too_long_fifo(void)
{
	const char *uri = ipcx_test_uri("fifo", "framing=line&max=100");
	struct fifo_vandal v = { NULL, uri, NULL, 0, { { -1, -1 } } };
	char path[512], buf[512];
	ipcx_chan *rx;
	pid_t pid;

	snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri + 5, "?"), uri + 5);
	v.path = path;
	IPCX_PASS(ipcx_create(&rx, uri, 0));
	IPCX_PASS(ipcx_pollfd(rx));
	ipcx_test_line_open(&v.go);
	pid = ipcx_test_peer(fifo_line_vandal, &v);
	ipcx_test_recv_str(rx, "fine");
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), TMO), -EPROTO);
	ipcx_test_line_put(&v.go, 'g');
	/* A FIFO is flushed, not closed: the next line arrives. */
	ipcx_test_recv_str(rx, "later");
	ipcx_test_wait(pid, -1);
	ipcx_close(rx);
}

/* ---- a receiver that never reads -------------------------------------- */

#define STALL_MSG 100

enum stall_end { END_CLEAN = 'c', END_TORN = 't' };

struct stall {
	const char *uri;     /* join this (sockets), or ... */
	ipcx_chan *ch;       /* ... use this pair end */
	ipcx_chan *other;    /* the test's end, closed in the helper */
	struct ipcx_test_line go;      /* the test says when to read, and how it ended */
	size_t big;          /* a big message may come first (seed 0xb16) */
};

/*
 * The receiver: joins, then reads nothing until told.  Then every message
 * must be whole and in order; the stream ends either with an empty message
 * and IPCX_EOF (the sender's sends that failed sent nothing) or with -EPROTO
 * and IPCX_EOF (a started frame was cut off) - as the test says.
 */
static int
stall_receiver(void *argp)
{
	struct stall *s = argp;
	size_t cap = s->big > 4096 ? s->big : 4096;
	uint8_t *buf = ipcx_test_malloc(cap);
	ipcx_chan *ch = s->ch;
	uint32_t seq = 0;
	char how;

	if (s->other != NULL)
		ipcx_close(s->other);
	if (ch == NULL)
		IPCX_PASS(ipcx_join(&ch, s->uri, 0));
	how = ipcx_test_line_get(&s->go);
	for (;;) {
		ssize_t r = ipcx_recv(ch, buf, cap, TMO);

		if (r == -EPROTO) {
			if (how != END_TORN)
				IPCX_TEST_FAILF("-EPROTO after %u messages on a clean stream", seq);
			break;
		}
		if (r == 0) {
			if (how != END_CLEAN)
				IPCX_TEST_FAILF("an empty message on a stream that was cut");
			break;
		}
		if (r < 0)
			IPCX_TEST_FAILF("message %u: %zd %s (%s)", seq, r, ipcx_errname((int)r),
			                ipcx_errmsg(ch));
		if (seq == 0 && s->big > 0 && (size_t)r == s->big) {
			if (!ipcx_test_check(buf, s->big, 0xb16))
				IPCX_TEST_FAILF("the big message is spliced");
			continue;
		}
		if (r != STALL_MSG || !ipcx_test_check(buf, STALL_MSG, seq))
			IPCX_TEST_FAILF("message %u: %zd bytes, torn or spliced", seq, r);
		seq++;
	}
	IPCX_FAIL(ipcx_recv(ch, buf, cap, TMO), IPCX_EOF);
	ipcx_close(ch);
	free(buf);
	return 0;
}

/*
 * Fill the stalled peer with small messages under a short deadline until a
 * send fails: -ETIMEDOUT (nothing of it sent; the channel still works) or
 * -EPIPE (a frame was started; the channel is broken for good).
 */
static void
stall_small(ipcx_chan *tx, struct stall *s, pid_t pid)
{
	uint8_t msg[STALL_MSG];
	uint32_t seq;
	int rc = 0;

	for (seq = 0; seq < 1000000; seq++) {
		int64_t t0 = ipcx_test_now_ms();

		ipcx_test_fill(msg, sizeof(msg), seq);
		rc = ipcx_send(tx, msg, sizeof(msg), 200);
		if (rc == 0)
			continue;
		/* A deadline is never cut short. */
		ASSERT_GE(ipcx_test_now_ms() - t0, 199);
		break;
	}
	if (rc == -ETIMEDOUT) {
		/* Nothing was sent: the stream is intact and goes on. */
		ipcx_test_line_put(&s->go, END_CLEAN);
		ipcx_test_fill(msg, sizeof(msg), seq);
		IPCX_PASS(ipcx_send(tx, msg, sizeof(msg), TMO));
		IPCX_PASS(ipcx_send(tx, "", 0, TMO));
	} else {
		if (rc != -EPIPE)
			IPCX_TEST_FAILF("send to a stalled peer -> %d %s", rc, ipcx_errname(rc));
		ipcx_test_line_put(&s->go, END_TORN);
		IPCX_FAIL(ipcx_send(tx, msg, sizeof(msg), TMO), -EPIPE);
	}
	ipcx_close(tx);
	ipcx_test_wait(pid, -1);
}

/* A message far larger than any buffer: its frame starts and cannot end. */
static void
stall_big(ipcx_chan *tx, struct stall *s, pid_t pid)
{
	uint8_t *big = ipcx_test_malloc(s->big);
	int64_t t0;
	int rc;

	ipcx_test_fill(big, s->big, 0xb16);
	t0 = ipcx_test_now_ms();
	rc = ipcx_send(tx, big, s->big, 300);
	IPCX_FAIL(rc, -EPIPE);
	ASSERT_GE(ipcx_test_now_ms() - t0, 299);
	/* Broken for good, whatever the deadline. */
	IPCX_FAIL(ipcx_send(tx, "x", 1, TMO), -EPIPE);
	IPCX_FAIL(ipcx_send(tx, "x", 1, 0), -EPIPE);
	ipcx_test_line_put(&s->go, END_TORN);
	ipcx_test_wait(pid, -1);
	ipcx_close(tx);
	free(big);
}

static void
run_stall_socket(const char *create_uri, size_t big)
{
	char uri[IPCX_URI_MAX + 256];
	struct stall s = { uri, NULL, NULL, { { -1, -1 } }, big };
	ipcx_chan *srv, *tx;
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, create_uri, 0));
	join_uri(srv, create_uri, uri, sizeof(uri));
	ipcx_test_line_open(&s.go);
	pid = ipcx_test_peer(stall_receiver, &s);
	IPCX_PASS(ipcx_accept(srv, &tx, TMO));
	if (big)
		stall_big(tx, &s, pid);
	else
		stall_small(tx, &s, pid);
	ipcx_close(srv);
}

static void
run_stall_pipe(size_t big)
{
	struct stall s = { NULL, NULL, NULL, { { -1, -1 } }, big };
	ipcx_chan *tx, *rx;
	pid_t pid;

	IPCX_PASS(ipcx_pair("pipe:", &tx, &rx));
	s.ch = rx;
	s.other = tx;
	ipcx_test_line_open(&s.go);
	pid = ipcx_test_peer(stall_receiver, &s);
	ipcx_close(rx);
	if (big)
		stall_big(tx, &s, pid);
	else
		stall_small(tx, &s, pid);
}

static void
test_stall_small_unix(void)
{
	run_stall_socket(ipcx_test_uri("unix", NULL), 0);
}

static void
test_stall_small_tcp(void)
{
	run_stall_socket("tcp:127.0.0.1:0", 0);
}

static void
test_stall_small_pipe(void)
{
	run_stall_pipe(0);
}

static void
test_stall_big_unix(void)
{
	run_stall_socket(ipcx_test_uri("unix", NULL), (size_t)8 << 20);
}

static void
test_stall_big_tcp(void)
{
	/* Larger than loopback TCP's buffers can absorb, with max to match. */
	run_stall_socket("tcp:127.0.0.1:0?max=64M", (size_t)64 << 20);
}

static void
test_stall_big_pipe(void)
{
	run_stall_pipe((size_t)1 << 20);
}

/*
 * A timeout-0 send that cannot finish its frame keeps the rest and
 * finishes it before anything else is sent: the peer never sees a splice.
 */
static int
late_reader(void *argp)
{
	struct stall *s = argp;
	uint8_t *buf = ipcx_test_malloc(s->big);
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, s->uri, 0));
	ASSERT_EQ(ipcx_test_line_get(&s->go), 'g');
	IPCX_FAIL(ipcx_recv(ch, buf, s->big, TMO), (ssize_t)s->big);
	ASSERT_TRUE(ipcx_test_check(buf, s->big, 0xb16));
	ipcx_test_recv_str(ch, "next");
	IPCX_FAIL(ipcx_recv(ch, buf, s->big, TMO), IPCX_EOF);
	ipcx_close(ch);
	free(buf);
	return 0;
}

static void
test_nonblocking_send_never_splices(void)
{
	const char *uri = ipcx_test_uri("unix", NULL);
	struct stall s = { uri, NULL, NULL, { { -1, -1 } }, (size_t)4 << 20 };
	uint8_t *big = ipcx_test_malloc(s.big);
	ipcx_chan *srv, *tx;
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	ipcx_test_line_open(&s.go);
	pid = ipcx_test_peer(late_reader, &s);
	IPCX_PASS(ipcx_accept(srv, &tx, TMO));
	ipcx_test_fill(big, s.big, 0xb16);
	/* Started, not finished, not blocking: success, the rest is kept. */
	IPCX_PASS(ipcx_send(tx, big, s.big, 0));
	memset(big, 0, s.big); /* the caller's buffer is its own again */
	/* The next message must wait behind it. */
	IPCX_FAIL(ipcx_send(tx, "next", 4, 0), -EAGAIN);
	ipcx_test_line_put(&s.go, 'g');
	ipcx_test_send_str(tx, "next");
	ipcx_close(tx);
	ipcx_test_wait(pid, -1);
	ipcx_close(srv);
	free(big);
}

TEST_LIST = {
	{ "4 GiB frame on unix stream", test_huge_frame_unix },
	{ "4 GiB frame on unix abstract stream", test_huge_frame_unix_abstract },
	{ "4 GiB frame on tcp", test_huge_frame_tcp },
	{ "4 GiB frame on an adopted pipe", test_huge_frame_pipe },
	{ "frame of max+1 after one of max", test_frame_above_small_max },
	{ "peer closes mid-frame on unix", test_mid_frame_unix },
	{ "peer closes mid-frame on tcp", test_mid_frame_tcp },
	{ "peer closes mid-frame on a pipe", test_mid_frame_pipe },
	{ "slow frame byte by byte is whole", test_slow_frame_is_whole },
	{ "fifo random garbage then good messages", test_fifo_random_garbage },
	{ "fifo line text into len framing", test_fifo_text_garbage },
	{ "line longer than max on unix", test_line_too_long_unix },
	{ "unterminated line over max on unix", test_line_unterminated_too_long },
	{ "line longer than max on a fifo", test_line_too_long_fifo },
	{ "stalled receiver small messages unix", test_stall_small_unix },
	{ "stalled receiver small messages tcp", test_stall_small_tcp },
	{ "stalled receiver small messages pipe", test_stall_small_pipe },
	{ "stalled receiver big message unix", test_stall_big_unix },
	{ "stalled receiver big message tcp", test_stall_big_tcp },
	{ "stalled receiver big message pipe", test_stall_big_pipe },
	{ "timeout-0 send never splices", test_nonblocking_send_never_splices },
	{ NULL, NULL },
};
