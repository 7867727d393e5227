/* SPDX-License-Identifier: MIT */
/*
 * interop_test.c - ipcx against programs that know nothing of ipcx.
 *
 *  - FIFOs with framing=raw and framing=len, written by printf/echo and
 *    read by cat through /bin/sh;
 *  - the len framing spoken by Python (peer.py, struct.pack('>I')) over TCP
 *    and UNIX stream sockets, Python as client and as server;
 *  - framing=line against a Python line server, a shell `while read` loop
 *    on a spawned pipe, and FIFO line writers and readers;
 *  - "pipe:0", "pipe:1", "pipe:0,1" and "pipe:2" adopted by a child whose
 *    standard descriptors are pipes from a parent that writes and reads
 *    the frames by hand, and which afterwards point at /dev/null.
 *
 * INTEROP_DIR (the source directory, for peer.py) and IPCX_PYTHON3 come
 * from CMake; the Python tests skip when no python3 was found.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <poll.h>

#ifndef INTEROP_DIR
#define INTEROP_DIR "."
#endif
#ifndef IPCX_PYTHON3
#define IPCX_PYTHON3 ""
#endif

#define TMO 30000 /* hang guard (ms), never a bound */

/* ---- helpers ---------------------------------------------------------- */

/* The bytes peer.py's pattern() computes. */
static void
interop_pattern(uint8_t *p, size_t n, int i)
{
	size_t j;

	for (j = 0; j < n; j++)
		p[j] = (uint8_t)((unsigned)i * 31u + (unsigned)(j & 255) * 7u + (unsigned)(j >> 8));
}

/* Path part of a "scheme:path?query" test URI, in a static buffer. */
static const char *
uri_path(const char *uri)
{
	static char buf[8][512];
	static int slot;
	char *b = buf[slot++ % 8];
	const char *p = strchr(uri, ':') + 1;
	size_t n = strcspn(p, "?");

	snprintf(b, 512, "%.*s", (int)n, p);
	return b;
}

/*
 * Run argv (execvp) with its standard output on a pipe whose read end is
 * returned in *out_fd (when out_fd is not NULL).  The child's other
 * descriptors are the test's (ipcx's are all close-on-exec).
 */
static pid_t
run_cmd(char *const argv[], int *out_fd)
{
	int p[2] = { -1, -1 };
	pid_t pid;

	if (out_fd != NULL)
		ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		if (out_fd != NULL && dup2(p[1], 1) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out_fd != NULL) {
		close(p[1]);
		*out_fd = p[0];
	}
	return pid;
}

static pid_t
run_sh(const char *script, const char *arg1, const char *arg2)
{
	char *argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)script, (char *)"sh",
		         (char *)arg1, (char *)arg2, NULL };

	if (arg1 == NULL)
		argv[4] = NULL;
	return run_cmd(argv, NULL);
}

/* Read one '\n'-terminated line from fd (without the '\n'). */
static void
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		char c;
		ssize_t r;

		if (poll(&p, 1, TMO) <= 0)
			IPCX_TEST_FAILF("no line from the peer within %d ms", TMO);
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			IPCX_TEST_FAILF("peer output ended (after \"%.*s\")", (int)n, buf);
		if (c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
	}
	buf[n] = '\0';
}

/* Exactly n bytes from a plain descriptor (0 at EOF before any byte). */
static size_t
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, TMO) <= 0)
			IPCX_TEST_FAILF("nothing to read within %d ms", TMO);
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		ASSERT_TRUE(r >= 0);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Read a whole file into a malloc'd buffer. */
static uint8_t *
slurp(const char *path, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	buf = ipcx_test_malloc((size_t)st.st_size);
	ASSERT_EQ(read_full(fd, buf, (size_t)st.st_size), (size_t)st.st_size);
	close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

/* Receive on a raw channel until exactly `want` bytes have come. */
static void
recv_raw_exact(ipcx_chan *ch, uint8_t *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t r = ipcx_recv(ch, buf + got, want - got, TMO);
		if (r < 0)
			IPCX_TEST_FAILF("raw recv after %zu of %zu bytes -> %zd %s", got, want, r,
			                ipcx_errname((int)r));
		ASSERT_TRUE(r > 0);
		got += (size_t)r;
	}
}

static const char *
python3(void)
{
	if (IPCX_PYTHON3[0] == '\0' || access(IPCX_PYTHON3, X_OK) < 0)
		TEST_SKIP("no python3");
	return IPCX_PYTHON3;
}

static pid_t
run_peer(const char *mode, const char *family, const char *addr, int *out_fd)
{
	char *argv[] = { (char *)python3(), (char *)INTEROP_DIR "/peer.py", (char *)mode,
		         (char *)family, (char *)addr, NULL };

	return run_cmd(argv, out_fd);
}

static bool
is_devnull(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) &&
	       a.st_rdev == b.st_rdev;
}

/* ---- (a) FIFOs and the shell ------------------------------------------ */

static void
test_fifo_raw_printf_echo(void)
{
	const char *uri = ipcx_test_uri("fifo", "framing=raw");
	static const uint8_t want[] = "a\001\377bx" "hello from echo\n";
	uint8_t buf[64];
	ipcx_chan *rx;

	IPCX_PASS(ipcx_create(&rx, uri, 0));
	IPCX_PASS(ipcx_pollfd(rx)); /* the reader is open: the writers never block */
	ipcx_test_wait(run_sh("printf 'a\\001\\377b%s' x > \"$1\"; echo hello from echo > \"$1\"",
	                      uri_path(uri), NULL),
	               TMO);
	recv_raw_exact(rx, buf, sizeof(want) - 1);
	ASSERT_MEMEQ(buf, want, sizeof(want) - 1);
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(rx);
}

static void
test_fifo_raw_cat_reader(void)
{
	const char *uri = ipcx_test_uri("fifo", "framing=raw&max=1M");
	char out[600];
	size_t big = 300000, len, i, o = 0;
	uint8_t *expect = ipcx_test_malloc(256 + big + 3), *got, all[256];
	ipcx_chan *tx;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/cat.out", ipcx_test_dir);
	IPCX_PASS(ipcx_create(&tx, uri, 0));
	pid = run_sh("exec cat \"$1\" > \"$2\"", uri_path(uri), out);
	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	/* The sender waits for cat to open the FIFO. */
	IPCX_PASS(ipcx_send(tx, all, sizeof(all), TMO));
	memcpy(expect + o, all, 256);
	o += 256;
	IPCX_PASS(ipcx_send(tx, "", 0, TMO)); /* raw: nothing on the wire */
	ipcx_test_fill(expect + o, big, 42);
	IPCX_PASS(ipcx_send(tx, expect + o, big, TMO));
	o += big;
	IPCX_PASS(ipcx_send(tx, "end", 3, TMO));
	memcpy(expect + o, "end", 3);
	o += 3;
	ipcx_close(tx); /* cat sees end of file */
	ipcx_test_wait(pid, TMO);
	got = slurp(out, &len);
	ASSERT_EQ(len, o);
	ASSERT_MEMEQ(got, expect, o);
	free(got);
	free(expect);
}

static void
test_fifo_len_from_printf(void)
{
	const char *uri = ipcx_test_uri("fifo", NULL);
	ipcx_chan *rx;

	IPCX_PASS(ipcx_create(&rx, uri, 0));
	IPCX_PASS(ipcx_pollfd(rx));
	/* Three frames by hand: "hello", an empty one, "abc". */
	ipcx_test_wait(run_sh("printf '\\000\\000\\000\\005hello\\000\\000\\000\\000' > \"$1\"; "
	                      "printf '\\000\\000\\000\\003abc' > \"$1\"",
	                      uri_path(uri), NULL),
	               TMO);
	ipcx_test_recv_str(rx, "hello");
	ipcx_test_recv_str(rx, "");
	ipcx_test_recv_str(rx, "abc");
	IPCX_FAIL(ipcx_recv(rx, NULL, 0, 0), -EAGAIN);
	ipcx_close(rx);
}

static void
test_fifo_len_to_cat(void)
{
	const char *uri = ipcx_test_uri("fifo", NULL);
	static const uint8_t want[] = { 0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0, 0, 0, 1, 0, 0xff };
	char out[600];
	uint8_t big[256], *got;
	size_t len;
	ipcx_chan *tx;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/cat.out", ipcx_test_dir);
	IPCX_PASS(ipcx_create(&tx, uri, 0));
	pid = run_sh("exec cat \"$1\" > \"$2\"", uri_path(uri), out);
	IPCX_PASS(ipcx_send(tx, "hi", 2, TMO));
	IPCX_PASS(ipcx_send(tx, "", 0, TMO));
	memset(big, 0xff, sizeof(big));
	IPCX_PASS(ipcx_send(tx, big, 256, TMO));
	ipcx_close(tx);
	ipcx_test_wait(pid, TMO);
	got = slurp(out, &len);
	ASSERT_EQ(len, 4 + 2 + 4 + 4 + 256);
	ASSERT_MEMEQ(got, want, sizeof(want));
	ASSERT_MEMEQ(got + 14, big, 256);
	free(got);
}

/* ---- (b) Python speaking framing=len ---------------------------------- */

static const size_t client_sizes[] = { 0, 1, 3, 4, 5, 255, 256, 4093, 4096, 65536, 1 << 20, 7, 0 };
#define NCLIENT (sizeof(client_sizes) / sizeof(client_sizes[0]))

/* ipcx listens, Python connects, sends, and checks our answers. */
static void
run_python_client(const char *create_uri, const char *family)
{
	uint8_t *buf = ipcx_test_malloc(1 << 20), *want = ipcx_test_malloc(1 << 20);
	char addr[IPCX_URI_MAX + 256];
	struct ipcx_stat st;
	ipcx_chan *srv, *conn;
	size_t i;
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, create_uri, 0));
	IPCX_PASS(ipcx_stat(srv, &st));
	if (strcmp(family, "tcp") == 0)
		snprintf(addr, sizeof(addr), "%s", st.uri + 4);
	else
		snprintf(addr, sizeof(addr), "%s", uri_path(create_uri));
	pid = run_peer("len-client", family, addr, NULL);
	IPCX_PASS(ipcx_accept(srv, &conn, TMO));
	for (i = 0; i < NCLIENT; i++) {
		ssize_t r = ipcx_recv(conn, buf, 1 << 20, TMO);
		if (r < 0)
			IPCX_TEST_FAILF("message %zu: recv -> %zd %s (%s)", i, r, ipcx_errname((int)r),
			                ipcx_errmsg(conn));
		ASSERT_EQ(r, client_sizes[i]);
		interop_pattern(want, client_sizes[i], (int)i);
		ASSERT_MEMEQ(buf, want, client_sizes[i]);
		interop_pattern(want, client_sizes[i], (int)i + 1000);
		IPCX_PASS(ipcx_send(conn, want, client_sizes[i], TMO));
	}
	/* Python half-closes after the last reply. */
	IPCX_FAIL(ipcx_recv(conn, buf, 1 << 20, TMO), IPCX_EOF);
	ipcx_close(conn);
	ipcx_test_wait(pid, TMO);
	ipcx_close(srv);
	free(buf);
	free(want);
}

static void
test_python_client_tcp(void)
{
	run_python_client("tcp:127.0.0.1:0", "tcp");
}

static void
test_python_client_unix(void)
{
	run_python_client(ipcx_test_uri("unix", NULL), "unix");
}

/* Python listens and answers every message reversed; ipcx connects. */
static void
run_python_server(const char *family, const char *addr, const char *uri_prefix)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 100, 4096, 65537, 1 << 20, 16 << 20, 0 };
	size_t n = sizeof(sizes) / sizeof(sizes[0]), i, j, total = 0;
	uint8_t *buf = ipcx_test_malloc(16 << 20), *sent = ipcx_test_malloc(16 << 20);
	char line[128], uri[IPCX_URI_MAX];
	unsigned long count, bytes;
	ipcx_chan *ch;
	int out;
	pid_t pid;

	pid = run_peer("len-server", family, addr, &out);
	read_line(out, line, sizeof(line));
	if (strncmp(line, "PORT ", 5) == 0)
		snprintf(uri, sizeof(uri), "%s%s", uri_prefix, line + 5);
	else if (strcmp(line, "READY") == 0)
		snprintf(uri, sizeof(uri), "%s", uri_prefix);
	else
		IPCX_TEST_FAILF("peer said \"%s\"", line);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	for (i = 0; i < n; i++) {
		ssize_t r;

		ipcx_test_fill(sent, sizes[i], (uint32_t)i);
		IPCX_PASS(ipcx_send(ch, sent, sizes[i], TMO));
		r = ipcx_recv(ch, buf, 16 << 20, TMO);
		if (r < 0)
			IPCX_TEST_FAILF("reply %zu: %zd %s (%s)", i, r, ipcx_errname((int)r),
			                ipcx_errmsg(ch));
		ASSERT_EQ(r, sizes[i]);
		for (j = 0; j < sizes[i]; j++)
			if (buf[j] != sent[sizes[i] - 1 - j])
				IPCX_TEST_FAILF("reply %zu differs at byte %zu", i, j);
		total += sizes[i];
	}
	ipcx_close(ch); /* Python sees the end between two frames */
	read_line(out, line, sizeof(line));
	ASSERT_EQ(sscanf(line, "COUNT %lu BYTES %lu", &count, &bytes), 2);
	ASSERT_EQ(count, n);
	ASSERT_EQ(bytes, total);
	close(out);
	ipcx_test_wait(pid, TMO);
	free(buf);
	free(sent);
}

static void
test_python_server_tcp(void)
{
	run_python_server("tcp", "127.0.0.1:0", "tcp:127.0.0.1:");
}

static void
test_python_server_tcp6(void)
{
	ipcx_chan *probe;
	int rc = ipcx_create(&probe, "tcp:[::1]:0", 0);

	if (rc < 0)
		TEST_SKIP("no IPv6 loopback: %s", ipcx_errname(rc));
	ipcx_close(probe);
	run_python_server("tcp", "[::1]:0", "tcp://[::1]:");
}

static void
test_python_server_unix(void)
{
	char uri[600];
	const char *path = uri_path(ipcx_test_uri("unix", NULL));

	snprintf(uri, sizeof(uri), "unix:%s", path);
	run_python_server("unix", path, uri);
}

/* ---- (c) framing=line ------------------------------------------------- */

static void
test_line_python_unix(void)
{
	const char *path = uri_path(ipcx_test_uri("unix", NULL));
	static const char *lines[] = { "hello", "", "with spaces\tand a tab", "\001\377 bytes",
		                       "last" };
	char uri[600], line[128], want[20000], *longline = ipcx_test_malloc(10001);
	ipcx_chan *ch;
	size_t i;
	int out;
	pid_t pid;

	pid = run_peer("line-server", "unix", path, &out);
	read_line(out, line, sizeof(line));
	ASSERT_STREQ(line, "READY");
	snprintf(uri, sizeof(uri), "unix:%s?framing=line", path);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		IPCX_PASS(ipcx_send(ch, lines[i], strlen(lines[i]), TMO));
		snprintf(want, sizeof(want), "echo:%s", lines[i]);
		ipcx_test_recv_str(ch, want);
		/* A message holding '\n' cannot be a line: refused, nothing sent. */
		IPCX_FAIL(ipcx_send(ch, "a\nb", 3, TMO), -EINVAL);
		IPCX_FAIL(ipcx_send(ch, "trailing\n", 9, TMO), -EINVAL);
	}
	memset(longline, 'x', 10000);
	longline[10000] = '\0';
	IPCX_PASS(ipcx_send(ch, longline, 10000, TMO));
	snprintf(want, sizeof(want), "echo:%s", longline);
	ipcx_test_recv_str(ch, want);
	ipcx_close(ch);
	read_line(out, line, sizeof(line));
	ASSERT_STREQ(line, "COUNT 6");
	close(out);
	ipcx_test_wait(pid, TMO);
	free(longline);
}

static void
test_line_shell_spawn(void)
{
	/* The child knows only IPCX_CHANNEL=pipe:R,W and reads lines. */
	char *argv[] = { (char *)"/bin/sh", (char *)"-c",
		         (char *)"fds=${IPCX_CHANNEL#pipe:}; r=${fds%,*}; w=${fds#*,}; "
		                 "exec <&\"$r\" >&\"$w\"; "
		                 "while IFS= read -r l; do printf '%s!\\n' \"$l\"; done",
		         NULL };
	char msg[64], want[80];
	ipcx_chan *ch;
	pid_t pid;
	int i;

	IPCX_PASS(ipcx_spawn(argv, "pipe:?framing=line", &ch, &pid));
	for (i = 0; i < 100; i++) {
		snprintf(msg, sizeof(msg), "line %d of 100", i);
		IPCX_PASS(ipcx_send(ch, msg, strlen(msg), TMO));
		snprintf(want, sizeof(want), "%s!", msg);
		ipcx_test_recv_str(ch, want);
	}
	IPCX_FAIL(ipcx_send(ch, "two\nlines", 9, TMO), -EINVAL);
	IPCX_PASS(ipcx_send(ch, "", 0, TMO));
	ipcx_test_recv_str(ch, "!");
	ipcx_close(ch); /* the shell reads end of file and exits */
	ipcx_test_wait(pid, TMO);
}

static void
test_line_fifo_shell(void)
{
	const char *in = ipcx_test_uri("fifo", "framing=line");
	const char *outuri = ipcx_test_uri("fifo", "framing=line");
	static const char want[] = "[alpha]\n[]\n[gamma delta]\n";
	char out[600];
	uint8_t *got;
	size_t len;
	ipcx_chan *rx, *tx;
	pid_t pid;

	/* A shell writes lines; ipcx receives one message per line. */
	IPCX_PASS(ipcx_create(&rx, in, 0));
	IPCX_PASS(ipcx_pollfd(rx));
	ipcx_test_wait(run_sh("printf 'one\\ntwo\\n\\nthree\\n' > \"$1\"; echo four > \"$1\"",
	                      uri_path(in), NULL),
	               TMO);
	ipcx_test_recv_str(rx, "one");
	ipcx_test_recv_str(rx, "two");
	ipcx_test_recv_str(rx, "");
	ipcx_test_recv_str(rx, "three");
	ipcx_test_recv_str(rx, "four");
	IPCX_FAIL(ipcx_recv(rx, NULL, 0, 0), -EAGAIN);
	ipcx_close(rx);

	/* ipcx sends lines; a shell loop reads them. */
	snprintf(out, sizeof(out), "%s/lines.out", ipcx_test_dir);
	IPCX_PASS(ipcx_create(&tx, outuri, 0));
	pid = run_sh("while IFS= read -r l; do echo \"[$l]\"; done < \"$1\" > \"$2\"",
	             uri_path(outuri), out);
	IPCX_PASS(ipcx_send(tx, "alpha", 5, TMO));
	IPCX_FAIL(ipcx_send(tx, "be\nta", 5, TMO), -EINVAL);
	IPCX_PASS(ipcx_send(tx, "", 0, TMO));
	IPCX_PASS(ipcx_send(tx, "gamma delta", 11, TMO));
	ipcx_close(tx);
	ipcx_test_wait(pid, TMO);
	got = slurp(out, &len);
	ASSERT_EQ(len, sizeof(want) - 1);
	ASSERT_MEMEQ(got, want, len);
	free(got);
}

/* ---- (d) pipe:0 / pipe:1 / pipe:2 adoption ---------------------------- */

enum adopt_kind { ADOPT_0_AND_1, ADOPT_01 };

/* The child: standard input and output are the parent's pipes. */
static int
adopt_child(void *argp)
{
	enum adopt_kind kind = *(enum adopt_kind *)argp;
	uint8_t buf[70000];
	ipcx_chan *r, *w;
	struct ipcx_stat st;

	if (kind == ADOPT_0_AND_1) {
		IPCX_PASS(ipcx_join(&r, "pipe:0", 0));
		IPCX_PASS(ipcx_join(&w, "pipe:1", 0));
		/* Each end goes one way only. */
		IPCX_FAIL(ipcx_send(r, "x", 1, 0), -EPIPE);
	} else {
		IPCX_PASS(ipcx_join(&r, "pipe:0,1", 0));
		w = r;
	}
	IPCX_PASS(ipcx_stat(r, &st));
	ASSERT_STREQ(st.scheme, "pipe");
	for (;;) {
		ssize_t n = ipcx_recv(r, buf, sizeof(buf), TMO);
		size_t i;

		if (n == IPCX_EOF)
			break;
		IPCX_PASS(n);
		for (i = 0; i < (size_t)n / 2; i++) {
			uint8_t t = buf[i];
			buf[i] = buf[(size_t)n - 1 - i];
			buf[(size_t)n - 1 - i] = t;
		}
		IPCX_PASS(ipcx_send(w, buf, (size_t)n, TMO));
	}
	if (w != r)
		ipcx_close(w);
	ipcx_close(r);
	/* The pipes are released, and 0 and 1 point at /dev/null. */
	ASSERT_TRUE(is_devnull(0));
	ASSERT_TRUE(is_devnull(1));
	return 0;
}

struct adopt_arg {
	enum adopt_kind kind;
	int in[2], out[2];
};

static int
adopt_child_setup(void *argp)
{
	struct adopt_arg *a = argp;

	if (dup2(a->in[0], 0) < 0 || dup2(a->out[1], 1) < 0)
		return 1;
	close(a->in[0]);
	close(a->in[1]);
	close(a->out[0]);
	close(a->out[1]);
	return adopt_child(&a->kind);
}

static void
run_adopt(enum adopt_kind kind)
{
	static const size_t sizes[] = { 0, 1, 5, 4096, 65536, 3 };
	struct adopt_arg a = { .kind = kind };
	uint8_t buf[70000], sent[70000], hdr[4];
	size_t i, j;
	pid_t pid;

	ASSERT_EQ(pipe2(a.in, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(a.out, O_CLOEXEC), 0);
	pid = ipcx_test_peer(adopt_child_setup, &a);
	close(a.in[0]);
	close(a.out[1]);
	/* This side is plain write(2)/read(2) of len frames. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint32_t got;

		hdr[0] = (uint8_t)(n >> 24);
		hdr[1] = (uint8_t)(n >> 16);
		hdr[2] = (uint8_t)(n >> 8);
		hdr[3] = (uint8_t)n;
		ipcx_test_fill(sent, n, (uint32_t)i);
		ipcx_test_write_full(a.in[1], hdr, 4);
		ipcx_test_write_full(a.in[1], sent, n);
		ASSERT_EQ(read_full(a.out[0], hdr, 4), 4);
		got = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		ASSERT_EQ(got, n);
		ASSERT_EQ(read_full(a.out[0], buf, n), n);
		for (j = 0; j < n; j++)
			ASSERT_EQ(buf[j], sent[n - 1 - j]);
	}
	close(a.in[1]); /* the child sees IPCX_EOF ... */
	/* ... and its ipcx_close ends our stream, though its fd 1 stays open. */
	ASSERT_EQ(read_full(a.out[0], buf, 1), 0);
	close(a.out[0]);
	ipcx_test_wait(pid, TMO);
}

static void
test_adopt_pipe0_pipe1(void)
{
	run_adopt(ADOPT_0_AND_1);
}

static void
test_adopt_pipe01(void)
{
	run_adopt(ADOPT_01);
}

static int
adopt_stderr_child(void *argp)
{
	int *p = argp;
	ipcx_chan *ch;
	int err;

	/* Keep a way to report failures before stderr becomes the pipe. */
	err = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (err < 0 || dup2(p[1], 2) < 0)
		return 1;
	close(p[0]);
	close(p[1]);
	if (ipcx_join(&ch, "pipe:2", 0) < 0 || ipcx_send(ch, "via stderr", 10, TMO) < 0) {
		dprintf(err, "pipe:2 adoption failed\n");
		return 1;
	}
	ipcx_close(ch);
	if (!is_devnull(2)) {
		dprintf(err, "fd 2 is not /dev/null after ipcx_close\n");
		return 1;
	}
	return 0;
}

static void
test_adopt_pipe2(void)
{
	uint8_t buf[32];
	int p[2];
	pid_t pid;

	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	pid = ipcx_test_peer(adopt_stderr_child, p);
	close(p[1]);
	ASSERT_EQ(read_full(p[0], buf, 14), 14);
	ASSERT_MEMEQ(buf, "\0\0\0\012via stderr", 14);
	ASSERT_EQ(read_full(p[0], buf, 1), 0); /* released on ipcx_close */
	close(p[0]);
	ipcx_test_wait(pid, TMO);
}

TEST_LIST = {
	{ "fifo raw written by printf and echo", test_fifo_raw_printf_echo },
	{ "fifo raw read by cat", test_fifo_raw_cat_reader },
	{ "fifo len frames written by printf", test_fifo_len_from_printf },
	{ "fifo len frames read by cat", test_fifo_len_to_cat },
	{ "python len client to ipcx tcp listener", test_python_client_tcp },
	{ "python len client to ipcx unix listener", test_python_client_unix },
	{ "ipcx tcp client to python len server", test_python_server_tcp },
	{ "ipcx tcp v6 client to python len server", test_python_server_tcp6 },
	{ "ipcx unix client to python len server", test_python_server_unix },
	{ "line framing with a python line server", test_line_python_unix },
	{ "line framing with a spawned shell loop", test_line_shell_spawn },
	{ "line framing on fifos with shell peers", test_line_fifo_shell },
	{ "adopt pipe:0 and pipe:1", test_adopt_pipe0_pipe1 },
	{ "adopt pipe:0,1", test_adopt_pipe01 },
	{ "adopt pipe:2", test_adopt_pipe2 },
	{ NULL, NULL },
};
