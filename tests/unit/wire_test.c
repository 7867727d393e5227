/* SPDX-License-Identifier: MIT */
/*
 * wire_test.c - hostile bytes on the wire (DESIGN.md, "Framing" and
 * "Hostile peers").  A helper process that knows nothing of ipcx writes raw
 * bytes with plain send(2)/write(2): a frame announcing 4 GiB, a peer that
 * closes in the middle of a frame, an over-long line, garbage in a FIFO.
 * The receiver gets -EPROTO with a clear message, then IPCX_EOF where the
 * connection is dropped; the process and its other connections live on.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#define LONG_MS 30000

/* Where a raw helper connects: a unix path or a loopback tcp port. */
struct target {
	bool tcp;
	char path[256];
	int port;
	const uint8_t *bytes; /* what it sends, then it waits or closes */
	size_t n;
	bool wait_drop;       /* after sending, wait to be disconnected */
};

static struct target T;

static int
raw_connect(void)
{
	int fd;

	if (T.tcp) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
			                  .sin_port = htons((uint16_t)T.port) };
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -1;
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(T.path) >= sizeof(sa.sun_path))
			return -1;
		memcpy(sa.sun_path, T.path, strlen(T.path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return -1;
	}
	return fd;
}

/* The helper: connect, send the bytes with plain send(2), then either close
 * at once or wait until the receiver drops the connection. */
static int
raw_peer(void *arg)
{
	int fd = raw_connect();
	char sink[256];
	struct pollfd p;

	(void)arg;
	if (fd < 0)
		return 1;
	if (send(fd, T.bytes, T.n, MSG_NOSIGNAL) != (ssize_t)T.n)
		return 2;
	if (!T.wait_drop) {
		close(fd);
		return 0;
	}
	p.fd = fd;
	p.events = POLLIN;
	for (;;) {
		ssize_t r;
		if (poll(&p, 1, LONG_MS) != 1)
			return 3; /* never dropped */
		r = recv(fd, sink, sizeof(sink), 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			break;
		if (r < 0)
			return 4;
	}
	close(fd);
	return 0;
}

/* A listener for the target, and T filled to reach it. */
static ipcx_chan *
listen_on(bool tcp, const char *query)
{
	struct ipcx_stat st;
	ipcx_chan *l = NULL;
	const char *colon;

	memset(&T, 0, sizeof(T));
	T.tcp = tcp;
	IPCX_PASS(ipcx_create(&l, ipcx_test_uri(tcp ? "tcp" : "unix", query), 0));
	IPCX_PASS(ipcx_stat(l, &st));
	if (tcp) {
		colon = strrchr(st.uri, ':');
		ASSERT_TRUE(colon != NULL);
		T.port = atoi(colon + 1);
		ASSERT_GE(T.port, 1);
	} else {
		ASSERT_TRUE(strncmp(st.uri, "unix:", 5) == 0);
		ASSERT_LT(strlen(st.uri + 5), sizeof(T.path));
		memcpy(T.path, st.uri + 5, strlen(st.uri + 5) + 1);
	}
	return l;
}

/*
 * A peer announcing a 4 GiB frame: the message before it is delivered, then
 * -EPROTO saying what length was seen, then the end; the helper sees its
 * connection dropped; another connection on the same listener, and the
 * listener itself, carry on.
 */
static void
lying_length(bool tcp)
{
	static const uint8_t bytes[] = { 0, 0, 0, 2, 'h', 'i', 0xff, 0xff, 0xff, 0xff,
		                         'g', 'a', 'r', 'b', 'a', 'g', 'e' };
	ipcx_chan *l, *good_c = NULL, *good_s = NULL, *bad = NULL, *c2 = NULL, *s2 = NULL;
	struct ipcx_stat st;
	char buf[64];
	pid_t pid;

	l = listen_on(tcp, NULL);
	IPCX_PASS(ipcx_stat(l, &st));
	/* A well-behaved client, connected first. */
	IPCX_PASS(ipcx_join(&good_c, st.uri, 0));
	IPCX_PASS(ipcx_accept(l, &good_s, LONG_MS));
	T.bytes = bytes;
	T.n = sizeof(bytes);
	T.wait_drop = true;
	pid = ipcx_test_peer(raw_peer, NULL);
	IPCX_PASS(ipcx_accept(l, &bad, LONG_MS));
	IPCX_FAIL(ipcx_recv(bad, buf, sizeof(buf), LONG_MS), 2);
	ASSERT_MEMEQ(buf, "hi", 2);
	IPCX_FAIL(ipcx_recv(bad, buf, sizeof(buf), LONG_MS), -EPROTO);
	if (strstr(ipcx_errmsg(bad), "4294967295") == NULL)
		IPCX_TEST_FAILF("errmsg does not tell the length: \"%s\"", ipcx_errmsg(bad));
	IPCX_FAIL(ipcx_recv(bad, buf, sizeof(buf), LONG_MS), IPCX_EOF);
	IPCX_FAIL(ipcx_recv(bad, buf, sizeof(buf), 0), IPCX_EOF);
	IPCX_FAIL(ipcx_send(bad, "x", 1, 1000), -EPIPE);
	ipcx_test_wait(pid, LONG_MS); /* the helper saw the drop */
	ipcx_close(bad);
	/* The other connection lives on, both ways. */
	IPCX_PASS(ipcx_send(good_c, "still", 5, LONG_MS));
	IPCX_FAIL(ipcx_recv(good_s, buf, sizeof(buf), LONG_MS), 5);
	IPCX_PASS(ipcx_send(good_s, "here", 4, LONG_MS));
	IPCX_FAIL(ipcx_recv(good_c, buf, sizeof(buf), LONG_MS), 4);
	/* And the listener takes new connections. */
	IPCX_PASS(ipcx_join(&c2, st.uri, 0));
	IPCX_PASS(ipcx_accept(l, &s2, LONG_MS));
	IPCX_PASS(ipcx_send(c2, "new", 3, LONG_MS));
	IPCX_FAIL(ipcx_recv(s2, buf, sizeof(buf), LONG_MS), 3);
	ipcx_close(c2);
	ipcx_close(s2);
	ipcx_close(good_c);
	ipcx_close(good_s);
	ipcx_close(l);
}

static void
test_4g_unix(void)
{
	lying_length(false);
}

static void
test_4g_tcp(void)
{
	lying_length(true);
}

/* A peer that closes in the middle of a frame (inside the payload, or
 * inside the header): -EPROTO, then IPCX_EOF; never a short message. */
static void
closed_mid_frame(bool tcp)
{
	static const uint8_t in_payload[] = { 0, 0, 0, 3, 'o', 'k', 'y', 0, 0, 0, 16,
		                              '1', '2', '3', '4', '5' };
	static const uint8_t in_header[] = { 0, 0, 0, 1, 'z', 0, 0 };
	const struct {
		const uint8_t *b;
		size_t n;
		const char *first;
	} cases[] = { { in_payload, sizeof(in_payload), "oky" },
		      { in_header, sizeof(in_header), "z" } };
	size_t i;

	for (i = 0; i < 2; i++) {
		ipcx_chan *l = listen_on(tcp, NULL), *s = NULL;
		char buf[64];
		pid_t pid;

		T.bytes = cases[i].b;
		T.n = cases[i].n;
		pid = ipcx_test_peer(raw_peer, NULL);
		IPCX_PASS(ipcx_accept(l, &s, LONG_MS));
		ipcx_test_wait(pid, LONG_MS); /* closed */
		IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), LONG_MS), (ssize_t)strlen(cases[i].first));
		ASSERT_MEMEQ(buf, cases[i].first, strlen(cases[i].first));
		IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), LONG_MS), -EPROTO);
		ASSERT_TRUE(strstr(ipcx_errmsg(s), "middle") != NULL);
		IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), LONG_MS), IPCX_EOF);
		IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), LONG_MS), IPCX_EOF);
		ipcx_close(s);
		ipcx_close(l);
	}
}

static void
test_mid_frame_unix(void)
{
	closed_mid_frame(false);
}

static void
test_mid_frame_tcp(void)
{
	closed_mid_frame(true);
}

/* A line longer than max under framing=line is -EPROTO, then the end. */
static void
test_long_line(void)
{
	static uint8_t bytes[200];
	ipcx_chan *l = listen_on(false, "framing=line&max=10"), *s = NULL;
	char buf[64];
	pid_t pid;

	memcpy(bytes, "short\n", 6);
	memset(bytes + 6, 'a', sizeof(bytes) - 6);
	T.bytes = bytes;
	T.n = sizeof(bytes);
	T.wait_drop = true;
	pid = ipcx_test_peer(raw_peer, NULL);
	IPCX_PASS(ipcx_accept(l, &s, LONG_MS));
	IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), LONG_MS), 5);
	ASSERT_MEMEQ(buf, "short", 5);
	IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), LONG_MS), -EPROTO);
	IPCX_FAIL(ipcx_recv(s, buf, sizeof(buf), LONG_MS), IPCX_EOF);
	ipcx_test_wait(pid, LONG_MS);
	ipcx_close(s);
	ipcx_close(l);
}

/* A foreign process writes garbage into a FIFO: the receiver says -EPROTO
 * and flushes (DESIGN.md: "a FIFO flushed"), and the next sender's messages
 * arrive whole. */
static char fifo_path[600];
static const uint8_t *fifo_bytes;
static size_t fifo_n;

static int
fifo_writer(void *arg)
{
	int fd = open(fifo_path, O_WRONLY | O_CLOEXEC);

	(void)arg;
	if (fd < 0)
		return 1;
	if (write(fd, fifo_bytes, fifo_n) != (ssize_t)fifo_n)
		return 2;
	close(fd);
	return 0;
}

static void
test_fifo_garbage(void)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8 };
	const char *uri = ipcx_test_uri("fifo", NULL);
	ipcx_chan *r = NULL, *s = NULL;
	char buf[64];
	pid_t pid;

	IPCX_PASS(ipcx_create(&r, uri, 0));
	IPCX_PASS(ipcx_pollfd(r)); /* the receiver is open */
	snprintf(fifo_path, sizeof(fifo_path), "%s", uri + 5);
	fifo_bytes = junk;
	fifo_n = sizeof(junk);
	pid = ipcx_test_peer(fifo_writer, NULL);
	ipcx_test_wait(pid, LONG_MS);
	IPCX_FAIL(ipcx_recv(r, buf, sizeof(buf), LONG_MS), -EPROTO);
	ASSERT_TRUE(strstr(ipcx_errmsg(r), "4294967295") != NULL);
	/* Flushed: nothing of the garbage is left to misread. */
	IPCX_FAIL(ipcx_recv(r, buf, sizeof(buf), 0), -EAGAIN);
	IPCX_PASS(ipcx_join(&s, uri, 0));
	IPCX_PASS(ipcx_send(s, "after", 5, LONG_MS));
	IPCX_FAIL(ipcx_recv(r, buf, sizeof(buf), LONG_MS), 5);
	ASSERT_MEMEQ(buf, "after", 5);
	ipcx_close(s);
	ipcx_close(r);
}

TEST_LIST = {
	{ "wire 4 GiB frame over unix stream", test_4g_unix },
	{ "wire 4 GiB frame over tcp", test_4g_tcp },
	{ "wire peer closes mid-frame, unix", test_mid_frame_unix },
	{ "wire peer closes mid-frame, tcp", test_mid_frame_tcp },
	{ "wire over-long line", test_long_line },
	{ "wire fifo garbage is flushed", test_fifo_garbage },
	{ NULL, NULL },
};
