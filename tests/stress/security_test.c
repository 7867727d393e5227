/* SPDX-License-Identifier: MIT */
/*
 * security_test.c - permissions, links, leftovers, the registry directory
 * and descriptor leaks (DESIGN.md, "Creation", "Descriptors", "The
 * registry").
 *
 * Permissions are tested as an unprivileged user: as root, mode bits and
 * allow_uid could never fail a test.  The tests run as root in CI, so the
 * peer is a child that drops to nobody (65534) with setgroups, setgid and
 * setuid.  Run as any other user, the suite is already unprivileged: the
 * peer stays that user, what admits a peer is tested with it, and what
 * refuses a peer is tested against the user itself - mode=0 shuts its
 * owner out too, once the owner is not root.  Only what needs a second
 * uid (chown to another user, a refused uid's messages) is left out then,
 * and the test says so.
 *
 * Every path lives in the harness's scratch directory (mode 0755, so that
 * nobody can reach it); the harness removes it whatever happens.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "registry/registry.h"

#define TMO 30000 /* hang guard (ms), never a bound */
#define NOBODY 65534

/* ---- helpers ---------------------------------------------------------- */

/* Whether a peer can be another user (as root: nobody). */
static bool
second_uid(void)
{
	return geteuid() == 0;
}

/* The part of a test that needs a second uid, when there is none. */
static void
note_single_uid(const char *what)
{
	fprintf(stderr, "  (uid %u, not root: left out: %s)\n", (unsigned)geteuid(), what);
}

/* The uid the peer runs as (become_peer). */
static uid_t
peer_uid(void)
{
	return second_uid() ? NOBODY : geteuid();
}

static void become_nobody(void);

/* In a helper process: become the peer - nobody when run as root, else
 * stay the unprivileged user the suite runs as. */
static void
become_peer(void)
{
	if (second_uid())
		become_nobody();
	ASSERT_TRUE(geteuid() != 0);
}

/* In a helper process: become nobody for good. */
static void
become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		IPCX_TEST_FAILF("cannot drop to uid %d: %s", NOBODY, strerror(errno));
	ASSERT_EQ(geteuid(), NOBODY);
	ASSERT_EQ(getegid(), NOBODY);
	/* No way back. */
	ASSERT_TRUE(setuid(0) < 0);
}

/* A path in the scratch directory (static buffers, 8 live at once). */
static const char *
scratch(const char *name)
{
	static char buf[8][512];
	static int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, 512, "%s/%s", ipcx_test_dir, name);
	return b;
}

static const char *
uri_of(const char *scheme, const char *path, const char *query)
{
	static char buf[8][1200];
	static int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, 1200, "%s:%s%s%s", scheme, path, query ? "?" : "", query ? query : "");
	return b;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ASSERT_EQ(fchmod(fd, mode), 0);
	close(fd);
}

/* The file is still a regular file with exactly this content and mode. */
static void
assert_file_intact(const char *path, const char *text, mode_t mode)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd;

	ASSERT_EQ(lstat(path, &st), 0);
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, mode);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ASSERT_EQ(n, (ssize_t)strlen(text));
	ASSERT_MEMEQ(buf, text, (size_t)n);
}

static void
assert_symlink_to(const char *link, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
	ASSERT_STREQ(buf, target);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ---- FIFOs as nobody -------------------------------------------------- */

struct peer {
	const char *uri;
	struct ipcx_test_line ln;
	int expect;         /* expected result, where it varies */
};

/* The peer tries a FIFO its mode shuts it out of: refused either way. */
static int
nobody_fifo_refused(void *argp)
{
	struct peer *p = argp;
	char buf[16];
	ipcx_chan *ch;
	int rc;

	become_peer();
	rc = ipcx_join(&ch, p->uri, 0);
	if (rc == 0) {
		/* Joining a FIFO only finds it; opening it is what is refused. */
		IPCX_FAIL(ipcx_send(ch, "x", 1, TMO), -EACCES);
		IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), TMO), -EACCES);
		IPCX_FAIL(ipcx_pollfd(ch), -EACCES);
		ipcx_close(ch);
	} else {
		IPCX_FAIL(rc, -EACCES);
	}
	return 0;
}

static void
test_fifo_default_mode_refuses_nobody(void)
{
	const char *uri = uri_of("fifo", scratch("f"), NULL);
	struct peer p = { uri, { { -1, -1 } }, 0 };
	struct stat st;
	char buf[8];
	ipcx_chan *rx;

	if (!second_uid()) {
		/* mode=0 shuts out the owner itself, who is not root. */
		IPCX_PASS(ipcx_create(&rx, uri_of("fifo", scratch("z"), "mode=0"), 0));
		ASSERT_EQ(stat(scratch("z"), &st), 0);
		ASSERT_EQ(st.st_mode & 07777, 0);
		p.uri = uri_of("fifo", scratch("z"), NULL);
		ipcx_test_wait(ipcx_test_peer(nobody_fifo_refused, &p), -1);
		IPCX_FAIL(ipcx_pollfd(rx), -EACCES);
		ipcx_close(rx);
		ASSERT_TRUE(!exists(scratch("z")));
	}
	IPCX_PASS(ipcx_create(&rx, uri, 0));
	IPCX_PASS(ipcx_pollfd(rx)); /* a reader is there: only permissions stop a writer */
	ASSERT_EQ(stat(scratch("f"), &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0600);
	if (second_uid())
		ipcx_test_wait(ipcx_test_peer(nobody_fifo_refused, &p), -1);
	else
		note_single_uid("another user's refusal at mode 0600");
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(rx);
}

static int
nobody_fifo_send(void *argp)
{
	struct peer *p = argp;
	ipcx_chan *ch;

	become_peer();
	IPCX_PASS(ipcx_join(&ch, p->uri, 0));
	ipcx_test_send_str(ch, "from nobody");
	ipcx_close(ch);
	return 0;
}

static int
nobody_fifo_recv(void *argp)
{
	struct peer *p = argp;
	ipcx_chan *ch;

	become_peer();
	IPCX_PASS(ipcx_join(&ch, p->uri, 0));
	IPCX_PASS(ipcx_pollfd(ch)); /* the one receiver, now */
	ipcx_test_line_put(&p->ln, 'r');
	ipcx_test_recv_str(ch, "to nobody");
	ipcx_close(ch);
	return 0;
}

static void
test_fifo_mode_0666_admits_nobody(void)
{
	const char *uri = uri_of("fifo", scratch("f"), "mode=0666");
	const char *uri2 = uri_of("fifo", scratch("g"), "mode=0666");
	struct peer p = { uri, { { -1, -1 } }, 0 }, p2 = { uri2, { { -1, -1 } }, 0 };
	ipcx_chan *rx, *tx;
	pid_t pid;

	/* The peer sends, the creator receives. */
	IPCX_PASS(ipcx_create(&rx, uri, 0));
	IPCX_PASS(ipcx_pollfd(rx));
	pid = ipcx_test_peer(nobody_fifo_send, &p);
	ipcx_test_recv_str(rx, "from nobody");
	ipcx_test_wait(pid, -1);
	ipcx_close(rx);
	/* The creator sends, the peer receives. */
	IPCX_PASS(ipcx_create(&tx, uri2, 0));
	ipcx_test_line_open(&p2.ln);
	pid = ipcx_test_peer(nobody_fifo_recv, &p2);
	ASSERT_EQ(ipcx_test_line_get(&p2.ln), 'r');
	ipcx_test_send_str(tx, "to nobody");
	ipcx_test_wait(pid, -1);
	ipcx_close(tx);
}

/* ---- unix sockets as nobody ------------------------------------------- */

static int
nobody_join_fails(void *argp)
{
	struct peer *p = argp;
	ipcx_chan *ch;

	become_peer();
	IPCX_FAIL(ipcx_join(&ch, p->uri, 0), p->expect);
	return 0;
}

static void
test_unix_path_default_mode_refuses_nobody(void)
{
	static const char *types[] = { NULL, "type=seqpacket", "type=dgram" };
	static const char *mode0[] = { "mode=0", "type=seqpacket&mode=0", "type=dgram&mode=0" };
	size_t i;

	if (!second_uid())
		note_single_uid("another user's refusal at mode 0600 (mode=0 refusing the owner "
		                "stands in)");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* Without a second uid, mode=0 shuts out the owner itself. */
		const char *uri = uri_of("unix", scratch("s"), second_uid() ? types[i] : mode0[i]);
		struct peer p = { uri_of("unix", scratch("s"), types[i]), { { -1, -1 } }, -EACCES };
		struct stat st;
		ipcx_chan *srv, *c;

		IPCX_PASS(ipcx_create(&srv, uri, 0));
		ASSERT_EQ(lstat(scratch("s"), &st), 0);
		ASSERT_EQ(st.st_mode & 0777, second_uid() ? 0600 : 0);
		ipcx_test_wait(ipcx_test_peer(nobody_join_fails, &p), -1);
		if (types[i] == NULL || strcmp(types[i], "type=dgram") != 0)
			IPCX_FAIL(ipcx_accept(srv, &c, 0), -EAGAIN); /* nothing got through */
		ipcx_close(srv);
	}
}

static int
nobody_client(void *argp)
{
	struct peer *p = argp;
	ipcx_chan *ch;

	become_peer();
	IPCX_PASS(ipcx_join(&ch, p->uri, 0));
	ipcx_test_send_str(ch, "hello from nobody");
	ipcx_test_recv_str(ch, "hello nobody");
	ipcx_close(ch);
	return 0;
}

/* Serve one client (become_peer) on srv and check who it is. */
static void
serve_nobody(ipcx_chan *srv, struct peer *p)
{
	struct ipcx_msg_info info;
	struct ipcx_stat st;
	char buf[64];
	ipcx_chan *c;
	pid_t pid;
	ssize_t r;

	pid = ipcx_test_peer(nobody_client, p);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_TRUE(st.has_peer);
	ASSERT_EQ(st.peer_uid, peer_uid());
	ASSERT_EQ(st.peer_pid, pid);
	r = ipcx_recv_info(c, buf, sizeof(buf), &info, TMO);
	ASSERT_EQ(r, 17);
	ASSERT_MEMEQ(buf, "hello from nobody", 17);
	ASSERT_TRUE(info.fields & IPCX_INFO_UID);
	ASSERT_EQ(info.uid, peer_uid());
	ASSERT_EQ(info.pid, pid);
	ipcx_test_send_str(c, "hello nobody");
	ipcx_test_wait(pid, -1);
	ipcx_close(c);
}

static void
test_unix_path_mode_0666_admits_nobody(void)
{
	const char *uri = uri_of("unix", scratch("s"), "mode=0666");
	struct peer p = { uri, { { -1, -1 } }, 0 };
	ipcx_chan *srv;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	serve_nobody(srv, &p);
	ipcx_close(srv);
}

/*
 * Nobody connects to a root abstract socket that does not allow it: the
 * kernel completes the connection, the server's accept closes it and
 * carries on.  Nobody sees the end, never an answer.
 */
static int
nobody_refused_client(void *argp)
{
	struct peer *p = argp;
	char buf[64];
	ipcx_chan *ch;
	ssize_t r;
	int rc;

	become_peer();
	rc = ipcx_join(&ch, p->uri, 0);
	if (rc < 0) {
		/* Refusing at connect would be fine too. */
		IPCX_FAIL(rc, -ECONNREFUSED);
		ipcx_test_line_put(&p->ln, 'c');
		return 0;
	}
	ipcx_test_line_put(&p->ln, 'c');
	rc = ipcx_send(ch, "let me in", 9, TMO);
	if (rc != 0 && rc != -EPIPE)
		IPCX_TEST_FAILF("send -> %d %s", rc, ipcx_errname(rc));
	r = ipcx_recv(ch, buf, sizeof(buf), TMO);
	if (r != IPCX_EOF && r != -EPIPE)
		IPCX_TEST_FAILF("a refused client received %zd %s", r, ipcx_errname((int)r));
	ipcx_close(ch);
	return 0;
}

static void
run_abstract_refuses(const char *query)
{
	const char *uri = ipcx_test_uri("unix@", query);
	struct peer p = { uri, { { -1, -1 } }, 0 };
	struct ipcx_stat st;
	ipcx_chan *srv, *mine, *c;
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	if (second_uid()) {
		ipcx_test_line_open(&p.ln);
		pid = ipcx_test_peer(nobody_refused_client, &p);
		ASSERT_EQ(ipcx_test_line_get(&p.ln), 'c');
		/* The refused connection is never returned. */
		IPCX_FAIL(ipcx_accept(srv, &c, 1000), -ETIMEDOUT);
		ipcx_test_wait(pid, -1);
	} else {
		note_single_uid("another user's refusal");
	}
	/* The creator's own uid still gets in. */
	IPCX_PASS(ipcx_join(&mine, uri, 0));
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.peer_uid, geteuid());
	ipcx_test_send_str(mine, "root");
	ipcx_test_recv_str(c, "root");
	ipcx_close(c);
	ipcx_close(mine);
	ipcx_close(srv);
}

static void
test_abstract_stream_refuses_nobody(void)
{
	run_abstract_refuses(NULL);
}

static void
test_abstract_seqpacket_refuses_nobody(void)
{
	run_abstract_refuses("type=seqpacket");
}

static void
test_abstract_allow_uid_admits_nobody(void)
{
	const char *uri = ipcx_test_uri("unix@", "allow_uid=65534");
	const char *uri2 = ipcx_test_uri("unix@", "type=seqpacket&allow_uid=1,65534");
	struct peer p = { uri, { { -1, -1 } }, 0 }, p2 = { uri2, { { -1, -1 } }, 0 };
	ipcx_chan *srv;

	/* Without a second uid the peer is the creator's own, admitted
	 * whatever allow_uid says. */
	IPCX_PASS(ipcx_create(&srv, uri, 0));
	serve_nobody(srv, &p);
	ipcx_close(srv);
	IPCX_PASS(ipcx_create(&srv, uri2, 0));
	serve_nobody(srv, &p2);
	ipcx_close(srv);
}

/* A path socket with allow_uid set admits only those (and the creator). */
static void
test_path_allow_uid_restricts(void)
{
	const char *uri = uri_of("unix", scratch("s"), "mode=0666&allow_uid=1");
	struct peer p = { uri, { { -1, -1 } }, 0 };
	ipcx_chan *srv, *c, *mine;
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	if (second_uid()) {
		ipcx_test_line_open(&p.ln);
		pid = ipcx_test_peer(nobody_refused_client, &p);
		ASSERT_EQ(ipcx_test_line_get(&p.ln), 'c');
		IPCX_FAIL(ipcx_accept(srv, &c, 1000), -ETIMEDOUT);
		ipcx_test_wait(pid, -1);
	} else {
		note_single_uid("another user's refusal");
	}
	/* The creator's own uid is always admitted. */
	IPCX_PASS(ipcx_join(&mine, uri, 0));
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ipcx_test_send_str(mine, "mine");
	ipcx_test_recv_str(c, "mine");
	ipcx_close(c);
	ipcx_close(mine);
	ipcx_close(srv);
}

/* ---- unix dgram on an abstract name ----------------------------------- */

static int
nobody_dgram_sender(void *argp)
{
	struct peer *p = argp;
	ipcx_chan *ch;
	int i;

	become_peer();
	IPCX_PASS(ipcx_join(&ch, p->uri, 0));
	for (i = 0; i < 3; i++)
		ipcx_test_send_str(ch, "from nobody");
	if (p->expect) {
		/* Allowed: the server answers, and we hear it. */
		ipcx_test_recv_str(ch, "reply to nobody");
	}
	ipcx_close(ch);
	return 0;
}

static void
test_abstract_dgram_drops_nobody(void)
{
	const char *uri = ipcx_test_uri("unix@", "type=dgram");
	struct peer p = { uri, { { -1, -1 } }, 0 };
	struct ipcx_msg_info info;
	ipcx_chan *srv, *mine;
	char buf[64];
	ssize_t r;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	/* Nobody's datagrams are all in the queue before root's. */
	if (second_uid())
		ipcx_test_wait(ipcx_test_peer(nobody_dgram_sender, &p), -1);
	else
		note_single_uid("another user's datagrams");
	IPCX_PASS(ipcx_join(&mine, uri, 0));
	ipcx_test_send_str(mine, "from root");
	r = ipcx_recv_info(srv, buf, sizeof(buf), &info, TMO);
	ASSERT_EQ(r, 9);
	ASSERT_MEMEQ(buf, "from root", 9);
	ASSERT_TRUE(info.fields & IPCX_INFO_UID);
	ASSERT_EQ(info.uid, geteuid());
	IPCX_FAIL(ipcx_recv(srv, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(mine);
	ipcx_close(srv);
}

static void
test_abstract_dgram_allow_uid(void)
{
	const char *uri = ipcx_test_uri("unix@", "type=dgram&allow_uid=65534");
	struct peer p = { uri, { { -1, -1 } }, 1 };
	struct ipcx_msg_info info;
	ipcx_chan *srv;
	char buf[64];
	pid_t pid;
	int i;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	pid = ipcx_test_peer(nobody_dgram_sender, &p);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(ipcx_recv_info(srv, buf, sizeof(buf), &info, TMO), 11);
		ASSERT_MEMEQ(buf, "from nobody", 11);
		ASSERT_TRUE(info.fields & IPCX_INFO_UID);
		ASSERT_EQ(info.uid, peer_uid());
		ASSERT_EQ(info.pid, pid);
	}
	/* A reply goes to the last sender, which must be able to read it. */
	ipcx_test_send_str(srv, "reply to nobody");
	ipcx_test_wait(pid, -1);
	ipcx_close(srv);
}

/*
 * A refused user's datagram larger than the receiver's buffer is dropped,
 * never reported as -EMSGSIZE: it would stand in front of every later
 * message, the owner's included, for good.
 */
static int
nobody_big_datagram(void *argp)
{
	struct peer *p = argp;
	char big[1000];
	ipcx_chan *ch;

	become_peer();
	IPCX_PASS(ipcx_join(&ch, p->uri, 0));
	memset(big, 'n', sizeof(big));
	IPCX_PASS(ipcx_send(ch, big, sizeof(big), TMO));
	ipcx_close(ch);
	return 0;
}

static void
run_dgram_refused_oversize(const char *uri)
{
	struct peer p = { uri, { { -1, -1 } }, 0 };
	struct ipcx_msg_info info;
	ipcx_chan *srv, *mine;
	char buf[100], big[1000], got[1000];
	int i;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	IPCX_PASS(ipcx_join(&mine, uri, 0));
	if (second_uid()) {
		/* Nobody's datagram is queued, then the owner's. */
		ipcx_test_wait(ipcx_test_peer(nobody_big_datagram, &p), -1);
		ipcx_test_send_str(mine, "the owner's message");
		ASSERT_EQ(ipcx_recv_info(srv, buf, sizeof(buf), &info, TMO), 19);
		ASSERT_MEMEQ(buf, "the owner's message", 19);
		ASSERT_TRUE(info.fields & IPCX_INFO_UID);
		ASSERT_EQ(info.uid, geteuid());
		IPCX_FAIL(ipcx_recv(srv, buf, sizeof(buf), 0), -EAGAIN);
	} else {
		note_single_uid("another user's oversize datagram");
	}
	/* An allowed sender's oversize datagram is -EMSGSIZE and stays
	 * queued, for a larger buffer. */
	memset(big, 'o', sizeof(big));
	IPCX_PASS(ipcx_send(mine, big, sizeof(big), TMO));
	for (i = 0; i < 2; i++)
		IPCX_FAIL(ipcx_recv(srv, buf, sizeof(buf), TMO), -EMSGSIZE);
	ASSERT_EQ(ipcx_recv(srv, got, sizeof(got), TMO), (ssize_t)sizeof(big));
	ASSERT_MEMEQ(got, big, sizeof(big));
	ipcx_close(mine);
	ipcx_close(srv);
}

static void
test_abstract_dgram_refused_oversize(void)
{
	run_dgram_refused_oversize(ipcx_test_uri("unix@", "type=dgram"));
}

static void
test_path_dgram_refused_oversize(void)
{
	run_dgram_refused_oversize(uri_of("unix", scratch("d"), "type=dgram&mode=0666&allow_uid=1"));
}

/* ---- mode= against the umask ------------------------------------------ */

static void
check_mode(const char *dir, const char *scheme, const char *query, unsigned want)
{
	char path[600];
	const char *uri;
	struct ipcx_stat ist;
	struct stat st;
	ipcx_chan *ch;

	snprintf(path, sizeof(path), "%s/m", dir);
	uri = uri_of(scheme, path, query);
	IPCX_PASS(ipcx_create(&ch, uri, 0));
	ASSERT_EQ(lstat(path, &st), 0);
	if ((st.st_mode & 07777) != want)
		IPCX_TEST_FAILF("%s under umask %03o: mode %04o, want %04o", uri, umask(0),
		                (unsigned)(st.st_mode & 07777), want);
	IPCX_PASS(ipcx_stat(ch, &ist));
	ASSERT_EQ(ist.mode, want);
	ASSERT_EQ(ist.owner_uid, geteuid());
	ipcx_close(ch);
	ASSERT_TRUE(!exists(path));
}

/* Every mode on every kind of file under every umask, in dir. */
static void
mode_matrix(const char *dir)
{
	static const mode_t masks[] = { 077, 022, 0, 0777, 0277, 002 };
	static const struct {
		const char *q;
		unsigned mode;
	} modes[] = {
		{ NULL, 0600 }, { "mode=0640", 0640 }, { "mode=0666", 0666 },
		{ "mode=0604", 0604 }, { "mode=0777", 0777 }, { "mode=0", 0 },
		{ "mode=600", 0600 },
	};
	static const char *unix_types[] = { "", "type=seqpacket&", "type=dgram&" };
	char q[128];
	size_t i, j, k;

	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		umask(masks[i]);
		for (j = 0; j < sizeof(modes) / sizeof(modes[0]); j++) {
			check_mode(dir, "fifo", modes[j].q, modes[j].mode);
			for (k = 0; k < 3; k++) {
				snprintf(q, sizeof(q), "%s%s", unix_types[k],
				         modes[j].q ? modes[j].q : "");
				if (q[0] != '\0' && q[strlen(q) - 1] == '&')
					q[strlen(q) - 1] = '\0';
				check_mode(dir, "unix", q[0] ? q : NULL, modes[j].mode);
			}
		}
	}
}

static int
nobody_mode_matrix(void *argp)
{
	const char *dir = argp;
	char reg[600];

	become_nobody();
	snprintf(reg, sizeof(reg), "%s/.registry", dir);
	setenv("IPCX_REGISTRY_DIR", reg, 1);
	mode_matrix(dir);
	return 0;
}

static void
test_mode_ignores_umask(void)
{
	const char *dir = scratch("nobody");

	mode_matrix(ipcx_test_dir);
	if (geteuid() != 0)
		return; /* that was already an unprivileged run */
	/* As root, permission bits never stop the creator's own open: run
	 * the matrix again as a user they do stop. */
	ASSERT_EQ(mkdir(dir, 0700), 0);
	ASSERT_EQ(chown(dir, NOBODY, NOBODY), 0);
	ipcx_test_wait(ipcx_test_peer(nobody_mode_matrix, (void *)dir), -1);
}

static void
test_mode_out_of_range_creates_nothing(void)
{
	ipcx_chan *ch;

	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", scratch("m"), "mode=01777"), 0), -EINVAL);
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", scratch("m"), "mode=0800"), 0), -EINVAL);
	IPCX_FAIL(ipcx_create(&ch, uri_of("unix", scratch("m"), "mode=-1"), 0), -EINVAL);
	ASSERT_TRUE(!exists(scratch("m")));
}

/* ---- links, files and leftovers --------------------------------------- */

static void
test_symlink_never_followed_fifo(void)
{
	const char *target = scratch("precious"), *link = scratch("link");
	const char *dangling = scratch("dangling"), *nothing = scratch("nothing");
	const char *fifo = scratch("realfifo"), *flink = scratch("fifolink");
	ipcx_chan *ch;

	write_file(target, "precious data", 0644);
	ASSERT_EQ(symlink(target, link), 0);
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", link, NULL), 0), -EEXIST);
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", link, "mode=0666"), IPCX_EXCL), -EEXIST);
	assert_file_intact(target, "precious data", 0644);
	assert_symlink_to(link, target);

	ASSERT_EQ(symlink(nothing, dangling), 0);
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", dangling, NULL), 0), -EEXIST);
	ASSERT_TRUE(!exists(nothing));
	assert_symlink_to(dangling, nothing);

	/* Not even to a FIFO of our own: a link is never adopted. */
	ASSERT_EQ(mkfifo(fifo, 0600), 0);
	ASSERT_EQ(symlink(fifo, flink), 0);
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", flink, "mode=0666"), 0), -EEXIST);
	assert_symlink_to(flink, fifo);
	{
		struct stat st;
		ASSERT_EQ(stat(fifo, &st), 0);
		ASSERT_EQ(st.st_mode & 07777, 0600); /* mode= not applied through it */
	}
	/* ipcx_unlink of a link removes nothing. */
	ASSERT_TRUE(ipcx_unlink(uri_of("fifo", flink, NULL)) < 0);
	assert_symlink_to(flink, fifo);
	ASSERT_TRUE(exists(fifo));
}

static void
test_symlink_never_followed_unix(void)
{
	const char *target = scratch("precious"), *link = scratch("link");
	const char *dangling = scratch("dangling"), *nothing = scratch("nothing");
	const char *live = scratch("live"), *llink = scratch("livelink");
	static const char *types[] = { NULL, "type=seqpacket", "type=dgram" };
	ipcx_chan *ch, *srv, *c, *cl;
	size_t i;

	write_file(target, "precious data", 0644);
	ASSERT_EQ(symlink(target, link), 0);
	ASSERT_EQ(symlink(nothing, dangling), 0);
	for (i = 0; i < 3; i++) {
		IPCX_FAIL(ipcx_create(&ch, uri_of("unix", link, types[i]), 0), -EEXIST);
		IPCX_FAIL(ipcx_create(&ch, uri_of("unix", dangling, types[i]), 0), -EEXIST);
		IPCX_FAIL(ipcx_create(&ch, uri_of("unix", link, types[i]), IPCX_EXCL), -EEXIST);
	}
	assert_file_intact(target, "precious data", 0644);
	assert_symlink_to(link, target);
	assert_symlink_to(dangling, nothing);
	ASSERT_TRUE(!exists(nothing));

	/* A link to a live server's socket: refused, the server unharmed. */
	IPCX_PASS(ipcx_create(&srv, uri_of("unix", live, NULL), 0));
	ASSERT_EQ(symlink(live, llink), 0);
	IPCX_FAIL(ipcx_create(&ch, uri_of("unix", llink, NULL), 0), -EEXIST);
	IPCX_FAIL(ipcx_unlink(uri_of("unix", llink, NULL)), -ENOTSOCK);
	assert_symlink_to(llink, live);
	IPCX_PASS(ipcx_join(&cl, uri_of("unix", live, NULL), 0));
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ipcx_test_send_str(cl, "still here");
	ipcx_test_recv_str(c, "still here");
	ipcx_close(c);
	ipcx_close(cl);
	ipcx_close(srv);
}

static void
test_regular_file_never_removed(void)
{
	const char *file = scratch("file");
	static const char *types[] = { NULL, "type=seqpacket", "type=dgram" };
	ipcx_chan *ch;
	size_t i;

	write_file(file, "not a socket", 0600);
	for (i = 0; i < 3; i++) {
		IPCX_FAIL(ipcx_create(&ch, uri_of("unix", file, types[i]), 0), -EEXIST);
		IPCX_FAIL(ipcx_create(&ch, uri_of("unix", file, types[i]), IPCX_EXCL), -EEXIST);
	}
	IPCX_FAIL(ipcx_unlink(uri_of("unix", file, NULL)), -ENOTSOCK);
	/* Nor by the FIFO transport. */
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", file, NULL), 0), -EEXIST);
	ASSERT_TRUE(ipcx_unlink(uri_of("fifo", file, NULL)) < 0);
	assert_file_intact(file, "not a socket", 0600);
}

/* A server that dies without closing leaves its socket file behind. */
static int
dying_server(void *argp)
{
	struct peer *p = argp;
	ipcx_chan *srv;

	IPCX_PASS(ipcx_create(&srv, p->uri, 0));
	_exit(0); /* no ipcx_close: a crash */
}

static int
live_server(void *argp)
{
	struct peer *p = argp;
	ipcx_chan *srv, *c;
	char buf[64];

	IPCX_PASS(ipcx_create(&srv, p->uri, 0));
	ipcx_test_line_put(&p->ln, 'l');
	for (;;) {
		ssize_t r;

		IPCX_PASS(ipcx_accept(srv, &c, TMO));
		r = ipcx_recv(c, buf, sizeof(buf), TMO);
		if (r == IPCX_EOF) {
			/* Another would-be server probing whether we live. */
			ipcx_close(c);
			continue;
		}
		ASSERT_EQ(r, 14);
		ASSERT_MEMEQ(buf, "are you alive?", 14);
		break;
	}
	ipcx_test_send_str(c, "yes");
	ipcx_close(c);
	ipcx_close(srv);
	return 0;
}

static void
test_stale_socket_replaced_live_never(void)
{
	const char *path = scratch("srv");
	const char *uri = uri_of("unix", path, NULL);
	struct peer p = { uri, { { -1, -1 } }, 0 };
	struct stat st, st2;
	ipcx_chan *srv, *cl, *c;
	pid_t pid;

	/* A dead server's file: replaced (but not under IPCX_EXCL). */
	ipcx_test_wait(ipcx_test_peer(dying_server, &p), -1);
	ASSERT_EQ(lstat(path, &st), 0);
	ASSERT_TRUE(S_ISSOCK(st.st_mode));
	IPCX_FAIL(ipcx_create(&srv, uri, IPCX_EXCL), -EEXIST);
	ASSERT_EQ(lstat(path, &st2), 0);
	ASSERT_EQ(st2.st_ino, st.st_ino);
	IPCX_PASS(ipcx_create(&srv, uri, 0));
	IPCX_PASS(ipcx_join(&cl, uri, 0));
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ipcx_test_send_str(cl, "new server");
	ipcx_test_recv_str(c, "new server");
	ipcx_close(c);
	ipcx_close(cl);
	ipcx_close(srv);
	ASSERT_TRUE(!exists(path));

	/* A live server's file: never taken over. */
	ipcx_test_line_open(&p.ln);
	pid = ipcx_test_peer(live_server, &p);
	ASSERT_EQ(ipcx_test_line_get(&p.ln), 'l');
	ASSERT_EQ(lstat(path, &st), 0);
	IPCX_FAIL(ipcx_create(&srv, uri, 0), -EADDRINUSE);
	IPCX_FAIL(ipcx_create(&srv, uri, IPCX_EXCL), -EEXIST);
	ASSERT_EQ(lstat(path, &st2), 0);
	ASSERT_EQ(st2.st_ino, st.st_ino);
	IPCX_PASS(ipcx_join(&cl, uri, 0));
	ipcx_test_send_str(cl, "are you alive?");
	ipcx_test_recv_str(cl, "yes");
	ipcx_close(cl);
	ipcx_test_wait(pid, -1);
}

static void
test_fifo_excl_and_leftovers(void)
{
	const char *path = scratch("f");
	const char *uri = uri_of("fifo", path, NULL);
	ipcx_chan *a, *b;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_KEEP));
	IPCX_FAIL(ipcx_create(&b, uri, IPCX_EXCL), -EEXIST);
	ipcx_close(a);
	ASSERT_TRUE(exists(path)); /* kept */
	IPCX_FAIL(ipcx_create(&b, uri, IPCX_EXCL), -EEXIST);
	/* Our own leftover is adopted without IPCX_EXCL. */
	IPCX_PASS(ipcx_create(&b, uri, 0));
	ipcx_close(b);
	ASSERT_TRUE(!exists(path));
	/* A plain mkfifo of ours: EXCL refuses, plain create adopts. */
	ASSERT_EQ(mkfifo(path, 0600), 0);
	IPCX_FAIL(ipcx_create(&b, uri, IPCX_EXCL), -EEXIST);
	IPCX_PASS(ipcx_create(&b, uri, 0));
	ipcx_close(b);
	ASSERT_TRUE(!exists(path));
}

static void
test_fifo_of_other_user_not_adopted(void)
{
	const char *path = scratch("f");
	struct stat st;
	ipcx_chan *ch;

	if (!second_uid())
		TEST_SKIP("a FIFO of another user needs root to chown it");
	ASSERT_EQ(mkfifo(path, 0666), 0);
	ASSERT_EQ(chown(path, NOBODY, NOBODY), 0);
	ASSERT_EQ(chmod(path, 0666), 0);
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", path, "mode=0600"), 0), -EEXIST);
	ASSERT_EQ(lstat(path, &st), 0);
	ASSERT_EQ(st.st_uid, NOBODY);
	ASSERT_EQ(st.st_mode & 07777, 0666);
}

static void
test_unlink_refuses_non_sockets(void)
{
	const char *file = scratch("file"), *dir = scratch("dir");
	ipcx_chan *srv;

	write_file(file, "keep me", 0640);
	IPCX_FAIL(ipcx_unlink(uri_of("unix", file, NULL)), -ENOTSOCK);
	assert_file_intact(file, "keep me", 0640);
	ASSERT_EQ(mkdir(dir, 0700), 0);
	IPCX_FAIL(ipcx_unlink(uri_of("unix", dir, NULL)), -ENOTSOCK);
	ASSERT_TRUE(exists(dir));
	IPCX_FAIL(ipcx_unlink(uri_of("unix", scratch("none"), NULL)), -ENOENT);
	/* A real socket file is removed. */
	IPCX_PASS(ipcx_create(&srv, uri_of("unix", scratch("sock"), NULL), IPCX_KEEP));
	ipcx_close(srv);
	ASSERT_TRUE(exists(scratch("sock")));
	IPCX_PASS(ipcx_unlink(uri_of("unix", scratch("sock"), NULL)));
	ASSERT_TRUE(!exists(scratch("sock")));
}

/* ---- the registry directory ------------------------------------------- */

/*
 * A registry that cannot be used fails a create loudly: the code, a
 * sentence naming the directory (and why), and nothing made - while a join
 * of an object that exists is not stopped by it (joining writes nothing).
 */
static void
create_refused(const char *path, int code, const char *dir, const char *why)
{
	const char *uri = uri_of("fifo", path, NULL);
	ipcx_chan *ch, *tx;

	IPCX_FAIL(ipcx_create(&ch, uri, 0), code);
	if (strstr(ipcx_errmsg(NULL), dir) == NULL || strstr(ipcx_errmsg(NULL), why) == NULL)
		IPCX_TEST_FAILF("errmsg \"%s\" does not name %s (%s)", ipcx_errmsg(NULL), dir, why);
	ASSERT_TRUE(!exists(path));
	/* Nor a unix socket, by the same rule. */
	IPCX_FAIL(ipcx_create(&ch, uri_of("unix", path, NULL), 0), code);
	ASSERT_TRUE(!exists(path));
	ASSERT_EQ(mkfifo(path, 0600), 0);
	IPCX_PASS(ipcx_join(&tx, uri, 0));
	ipcx_close(tx);
	ASSERT_EQ(unlink(path), 0);
}

static void
test_registry_dir_is_private(void)
{
	char reg[600];
	struct stat st;
	ipcx_chan *ch;
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(reg, sizeof(reg), "%s/.registry", ipcx_test_dir);
	ASSERT_TRUE(!exists(reg));
	umask(0);
	IPCX_PASS(ipcx_create(&ch, uri_of("fifo", scratch("f"), "mode=0666"), 0));
	ASSERT_EQ(lstat(reg, &st), 0);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0700);
	ASSERT_EQ(st.st_uid, geteuid());
	ASSERT_EQ(ipcx_test_registry_count(), 1);
	d = opendir(reg);
	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)) != NULL) {
		char p[1200];
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", reg, e->d_name);
		ASSERT_EQ(lstat(p, &st), 0);
		ASSERT_TRUE(S_ISREG(st.st_mode));
		ASSERT_EQ(st.st_mode & 0777, 0600);
		n++;
	}
	closedir(d);
	ASSERT_EQ(n, 1);
	ipcx_close(ch);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

static void
test_registry_symlink_refused(void)
{
	const char *real = scratch("realreg"), *link = scratch("reglink");
	const char *nothing = scratch("notyet"), *dangling = scratch("dangreg");
	const char *loose = scratch("loosereg");

	/* A link to a private directory of ours. */
	ASSERT_EQ(mkdir(real, 0700), 0);
	ASSERT_EQ(symlink(real, link), 0);
	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", link, 1), 0);
	create_refused(scratch("f1"), -ENOTDIR, link, "symbolic link");
	ASSERT_EQ(count_entries(real), 0);
	assert_symlink_to(link, real);

	/* A dangling link: nothing is made at its target. */
	ASSERT_EQ(symlink(nothing, dangling), 0);
	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", dangling, 1), 0);
	create_refused(scratch("f2"), -ENOTDIR, dangling, "symbolic link");
	ASSERT_TRUE(!exists(nothing));

	/* A directory others can read (chmod 755) is not used either. */
	ASSERT_EQ(mkdir(loose, 0755), 0);
	ASSERT_EQ(chmod(loose, 0755), 0);
	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", loose, 1), 0);
	create_refused(scratch("f3"), -EPERM, loose, "mode 0755");
	ASSERT_EQ(count_entries(loose), 0);
}

static void
test_registry_dir_of_other_user_refused(void)
{
	const char *theirs = scratch("theirs");
	char why[64];

	if (second_uid()) {
		ASSERT_EQ(mkdir(theirs, 0700), 0);
		ASSERT_EQ(chown(theirs, NOBODY, NOBODY), 0);
		snprintf(why, sizeof(why), "belongs to uid %d", NOBODY);
	} else {
		/* Not root: "/" is another user's directory. */
		theirs = "/";
		snprintf(why, sizeof(why), "belongs to uid 0");
	}
	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", theirs, 1), 0);
	create_refused(scratch("f"), -EPERM, theirs, why);
	if (second_uid())
		ASSERT_EQ(count_entries(theirs), 0);
}

static void
test_registry_entry_symlink_refused(void)
{
	const char *path = scratch("f"), *victim = scratch("victim");
	char canon[IPCX_URI_MAX], entry[IPCX_URI_MAX + 64], reg[600];
	ipcx_chan *ch;

	/* Make the directory, then plant a link where the entry will go. */
	snprintf(reg, sizeof(reg), "%s/.registry", ipcx_test_dir);
	ASSERT_EQ(mkdir(reg, 0700), 0);
	write_file(victim, "victim", 0644);
	snprintf(canon, sizeof(canon), "fifo:%s", path);
	IPCX_PASS(ipcx__registry_path(canon, entry, sizeof(entry)));
	ASSERT_TRUE(strncmp(entry, reg, strlen(reg)) == 0);
	ASSERT_EQ(symlink(victim, entry), 0);
	IPCX_FAIL(ipcx_create(&ch, uri_of("fifo", path, NULL), 0), -EPERM);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), reg) != NULL);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "symbolic link") != NULL);
	assert_file_intact(victim, "victim", 0644);
	assert_symlink_to(entry, victim); /* not ours: left alone */
	ASSERT_TRUE(!exists(path));
}

/* ---- descriptor leaks across exec ------------------------------------- */

/*
 * The exec'd helper: list /proc/self/fd (less the directory's own
 * descriptor) on standard output, or, when run by ipcx_spawn, send the
 * list over IPCX_CHANNEL.
 */
static void
list_fds(char *out, size_t cap)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t o = 0;
	int nums[256], n = 0, i, j;

	out[0] = '\0';
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && n < 256) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		nums[n++] = atoi(e->d_name);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && nums[j - 1] > nums[j]; j--) {
			int t = nums[j];
			nums[j] = nums[j - 1];
			nums[j - 1] = t;
		}
	for (i = 0; i < n && o + 16 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%d", i ? " " : "", nums[i]);
}

__attribute__((constructor)) static void
fd_list_helper(void)
{
	const char *mode = getenv("SECURITY_FD_LIST");
	char list[2048];
	ipcx_chan *ch;

	if (mode == NULL)
		return;
	list_fds(list, sizeof(list));
	if (strcmp(mode, "channel") == 0) {
		if (ipcx_join(&ch, getenv("IPCX_CHANNEL"), 0) < 0 ||
		    ipcx_send(ch, list, strlen(list), TMO) < 0)
			_exit(3);
		ipcx_close(ch);
	} else {
		printf("%s\n", list);
		fflush(stdout);
	}
	_exit(0);
}

static void
close_from_3(void)
{
	char list[2048], *p, *end;

	/* Whatever the test runner handed down is not ours to judge. */
	list_fds(list, sizeof(list));
	for (p = list; *p; p = end) {
		long fd = strtol(p, &end, 10);
		if (fd > 2)
			close((int)fd);
		while (*end == ' ')
			end++;
	}
}

static void
self_exe(char *buf, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);

	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
}

/* fork + execve the helper; return what it listed. */
static void
exec_and_list(char *out, size_t cap)
{
	char self[PATH_MAX];
	int p[2];
	pid_t pid;
	ssize_t n;
	size_t got = 0;

	self_exe(self, sizeof(self));
	ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		char *argv[] = { self, NULL };
		if (dup2(p[1], 1) < 0)
			_exit(126);
		setenv("SECURITY_FD_LIST", "stdout", 1);
		execv(self, argv);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < cap && (n = read(p[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	if (got > 0 && out[got - 1] == '\n')
		out[got - 1] = '\0';
	close(p[0]);
	ipcx_test_wait(pid, TMO);
}

static void
test_no_descriptor_leaks_across_exec(void)
{
	ipcx_chan *pa, *pb, *frx, *ftx, *ul, *uc, *ua, *sl, *sc, *sa, *dg, *dj, *tl, *tc, *ta;
	ipcx_chan *up1, *up2, *ad, *spawned;
	char list[2048], adopt[32], self[PATH_MAX], want[64];
	char *argv[] = { self, NULL };
	const char *suri;
	struct ipcx_stat st;
	int plain[2], r, w;
	pid_t pid;
	ssize_t n;

	close_from_3();
	list_fds(list, sizeof(list));
	ASSERT_STREQ(list, "0 1 2");

	IPCX_PASS(ipcx_pair("pipe:", &pa, &pb));
	IPCX_PASS(ipcx_create(&frx, uri_of("fifo", scratch("fifo"), NULL), 0));
	IPCX_PASS(ipcx_pollfd(frx)); /* the reading end, and its own write end */
	IPCX_PASS(ipcx_join(&ftx, uri_of("fifo", scratch("fifo"), NULL), 0));
	ipcx_test_send_str(ftx, "open the writer");
	ipcx_test_recv_str(frx, "open the writer");
	IPCX_PASS(ipcx_create(&ul, uri_of("unix", scratch("sock"), NULL), 0));
	IPCX_PASS(ipcx_join(&uc, uri_of("unix", scratch("sock"), NULL), 0));
	IPCX_PASS(ipcx_accept(ul, &ua, TMO));
	suri = ipcx_test_uri("unix@", "type=seqpacket");
	IPCX_PASS(ipcx_create(&sl, suri, 0));
	IPCX_PASS(ipcx_join(&sc, suri, 0));
	IPCX_PASS(ipcx_accept(sl, &sa, TMO));
	IPCX_PASS(ipcx_create(&dg, uri_of("unix", scratch("dgram"), "type=dgram"), 0));
	IPCX_PASS(ipcx_join(&dj, uri_of("unix", scratch("dgram"), "type=dgram"), 0));
	ipcx_test_send_str(dj, "ping");
	ipcx_test_recv_str(dg, "ping");
	IPCX_PASS(ipcx_create(&tl, "tcp:127.0.0.1:0", 0));
	IPCX_PASS(ipcx_stat(tl, &st));
	IPCX_PASS(ipcx_join(&tc, st.uri, 0));
	IPCX_PASS(ipcx_accept(tl, &ta, TMO));
	ipcx_test_send_str(tc, "tcp");
	ipcx_test_recv_str(ta, "tcp");
	IPCX_PASS(ipcx_pair("unix:?type=seqpacket", &up1, &up2));
	/* An adopted plain pipe ("pipe:FD" reopens it). */
	ASSERT_EQ(pipe(plain), 0);
	snprintf(adopt, sizeof(adopt), "pipe:%d", plain[0]);
	IPCX_PASS(ipcx_join(&ad, adopt, 0));
	close(plain[1]);
	/* And the registry holds entries for the named ones. */
	ASSERT_GE(ipcx_test_registry_count(), 3);

	exec_and_list(list, sizeof(list));
	if (strcmp(list, "0 1 2") != 0)
		IPCX_TEST_FAILF("an exec'd program inherited descriptors: \"%s\" (want \"0 1 2\")",
		                list);

	/* A child of ipcx_spawn gets its two channel ends and nothing else. */
	self_exe(self, sizeof(self));
	ASSERT_EQ(setenv("SECURITY_FD_LIST", "channel", 1), 0);
	IPCX_PASS(ipcx_spawn(argv, "pipe:", &spawned, &pid));
	unsetenv("SECURITY_FD_LIST");
	n = ipcx_recv(spawned, list, sizeof(list) - 1, TMO);
	IPCX_PASS(n);
	list[n] = '\0';
	ipcx_test_wait(pid, TMO);
	ipcx_close(spawned);
	/* IPCX_CHANNEL=pipe:R,W named the two beyond 0-2. */
	ASSERT_EQ(sscanf(list, "0 1 2 %d %d", &r, &w), 2);
	snprintf(want, sizeof(want), "0 1 2 %d %d", r, w);
	ASSERT_STREQ(list, want);

	ipcx_close(ad);
	ipcx_close(up1);
	ipcx_close(up2);
	ipcx_close(ta);
	ipcx_close(tc);
	ipcx_close(tl);
	ipcx_close(dj);
	ipcx_close(dg);
	ipcx_close(sa);
	ipcx_close(sc);
	ipcx_close(sl);
	ipcx_close(ua);
	ipcx_close(uc);
	ipcx_close(ul);
	ipcx_close(ftx);
	ipcx_close(frx);
	ipcx_close(pb);
	ipcx_close(pa);
	/* And closing gives every descriptor back. */
	list_fds(list, sizeof(list));
	ASSERT_STREQ(list, "0 1 2");
}

TEST_LIST = {
	{ "fifo default 0600 refuses nobody", test_fifo_default_mode_refuses_nobody },
	{ "fifo mode=0666 admits nobody", test_fifo_mode_0666_admits_nobody },
	{ "unix path default 0600 refuses nobody", test_unix_path_default_mode_refuses_nobody },
	{ "unix path mode=0666 admits nobody", test_unix_path_mode_0666_admits_nobody },
	{ "abstract stream refuses nobody", test_abstract_stream_refuses_nobody },
	{ "abstract seqpacket refuses nobody", test_abstract_seqpacket_refuses_nobody },
	{ "abstract allow_uid admits nobody", test_abstract_allow_uid_admits_nobody },
	{ "path allow_uid restricts", test_path_allow_uid_restricts },
	{ "abstract dgram drops nobody", test_abstract_dgram_drops_nobody },
	{ "abstract dgram allow_uid admits nobody", test_abstract_dgram_allow_uid },
	{ "abstract dgram: a refused oversize datagram wedges nothing",
	  test_abstract_dgram_refused_oversize },
	{ "path dgram allow_uid: a refused oversize datagram wedges nothing",
	  test_path_dgram_refused_oversize },
	{ "mode= applied exactly whatever the umask", test_mode_ignores_umask },
	{ "mode= out of range creates nothing", test_mode_out_of_range_creates_nothing },
	{ "symlink never followed by fifo create", test_symlink_never_followed_fifo },
	{ "symlink never followed by unix create", test_symlink_never_followed_unix },
	{ "regular file never removed", test_regular_file_never_removed },
	{ "stale socket replaced, live never", test_stale_socket_replaced_live_never },
	{ "fifo IPCX_EXCL and leftovers", test_fifo_excl_and_leftovers },
	{ "fifo of another user not adopted", test_fifo_of_other_user_not_adopted },
	{ "unlink refuses non-sockets", test_unlink_refuses_non_sockets },
	{ "registry directory is private", test_registry_dir_is_private },
	{ "registry symlink refused", test_registry_symlink_refused },
	{ "registry directory of another user refused", test_registry_dir_of_other_user_refused },
	{ "registry entry symlink refused", test_registry_entry_symlink_refused },
	{ "no descriptor leaks across exec", test_no_descriptor_leaks_across_exec },
	{ NULL, NULL },
};
