/* SPDX-License-Identifier: MIT */
/*
 * socket_test.c - what the socket transports promise beyond the contract
 * suite, with real sockets and real processes:
 *
 *  - SO_PASSCRED (which costs every message) is on only where a sender
 *    must be known: a creator filtering by uid, a dgram receiver that asked
 *    ipcx_recv_info for senders - and then never reports credentials a
 *    datagram did not carry;
 *  - without it, a seqpacket receiver still tells an empty message from
 *    the end of the connection, from ipcx peers and from plain sockets;
 *  - tcp: a resolver that cannot answer now is -EAGAIN and a name that
 *    does not exist -ENOENT ("unknown host"), never -EINVAL (which blames
 *    the URI).  These run in a mount and network namespace of their own,
 *    with a resolv.conf and nsswitch.conf the test writes (root only).
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>

#define TMO 30000 /* hang guard (ms), never a bound */

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
unix_uri(const char *name, const char *query)
{
	static char buf[8][600];
	static int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, 600, "unix:%s%s%s", scratch(name), query ? "?" : "", query ? query : "");
	return b;
}

/* SO_PASSCRED on the channel's socket: 1, 0. */
static int
passcred(ipcx_chan *ch)
{
	int fd = ipcx_pollfd(ch), on = -1;
	socklen_t len = sizeof(on);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, &len), 0);
	return on;
}

/* ---- SO_PASSCRED only where needed ------------------------------------ */

static void
check_connected(const char *uri, int want_listener, int want_accepted)
{
	ipcx_chan *srv, *cl, *c;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	IPCX_PASS(ipcx_join(&cl, uri, 0));
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	if (passcred(srv) != want_listener || passcred(c) != want_accepted)
		IPCX_TEST_FAILF("%s: SO_PASSCRED listener %d accepted %d, want %d %d", uri,
		                passcred(srv), passcred(c), want_listener, want_accepted);
	ASSERT_EQ(passcred(cl), 0); /* a joiner filters nothing */
	ipcx_test_send_str(cl, "x");
	ipcx_test_recv_str(c, "x");
	ipcx_close(c);
	ipcx_close(cl);
	ipcx_close(srv);
}

static void
test_passcred_only_where_needed(void)
{
	ipcx_chan *a, *b;

	/* A path socket without allow_uid trusts its file mode. */
	check_connected(unix_uri("s1", "type=seqpacket"), 0, 0);
	/* Filtering by uid needs every sender. */
	check_connected(unix_uri("s2", "type=seqpacket&allow_uid=1"), 1, 1);
	check_connected(ipcx_test_uri("unix@", "type=seqpacket"), 1, 1);
	/* A dgram receiver: off until it asks who sent (next test), on
	 * from the start when it filters. */
	IPCX_PASS(ipcx_create(&a, unix_uri("d1", "type=dgram"), 0));
	ASSERT_EQ(passcred(a), 0);
	ipcx_close(a);
	IPCX_PASS(ipcx_create(&a, unix_uri("d2", "type=dgram&allow_uid=1"), 0));
	ASSERT_EQ(passcred(a), 1);
	ipcx_close(a);
	IPCX_PASS(ipcx_pair("unix:?type=seqpacket", &a, &b));
	ASSERT_EQ(passcred(a), 0);
	ASSERT_EQ(passcred(b), 0);
	ipcx_close(a);
	ipcx_close(b);
}

struct sender {
	const char *uri;
	const char *msg;
	struct ipcx_test_line ln;
};

static int
dgram_sender(void *arg)
{
	struct sender *s = arg;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, s->uri, 0));
	ipcx_test_send_str(ch, s->msg);
	ipcx_close(ch);
	return 0;
}

/*
 * A dgram receiver learns senders from its first ipcx_recv_info on.  A
 * datagram queued before carries no credentials, and is reported with
 * none - never as pid 0 and the overflow uid the kernel fills in.
 */
static void
test_dgram_senders_from_first_ask(void)
{
	const char *uri = unix_uri("d", "type=dgram");
	struct sender s = { uri, "before", { { -1, -1 } } };
	struct ipcx_msg_info info;
	ipcx_chan *rx;
	char buf[64];
	pid_t pid;

	IPCX_PASS(ipcx_create(&rx, uri, 0));
	ipcx_test_wait(ipcx_test_peer(dgram_sender, &s), TMO);
	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 6);
	ASSERT_MEMEQ(buf, "before", 6);
	ASSERT_EQ(info.fields & (IPCX_INFO_PID | IPCX_INFO_UID), 0);
	ASSERT_EQ(passcred(rx), 1);
	s.msg = "after";
	pid = ipcx_test_peer(dgram_sender, &s);
	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 5);
	ASSERT_MEMEQ(buf, "after", 5);
	ASSERT_TRUE(info.fields & IPCX_INFO_PID);
	ASSERT_TRUE(info.fields & IPCX_INFO_UID);
	ASSERT_EQ(info.pid, pid);
	ASSERT_EQ(info.uid, geteuid());
	ipcx_test_wait(pid, TMO);
	ipcx_close(rx);
}

/* Seqpacket messages carry the connection's peer, as streams do. */
static void
test_seqpacket_sender_from_peercred(void)
{
	const char *uri = unix_uri("s", "type=seqpacket");
	struct sender s = { uri, "hello", { { -1, -1 } } };
	struct ipcx_msg_info info;
	ipcx_chan *srv, *c;
	char buf[64];
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	pid = ipcx_test_peer(dgram_sender, &s); /* connects, sends, closes */
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ASSERT_EQ(ipcx_recv_info(c, buf, sizeof(buf), &info, TMO), 5);
	ASSERT_TRUE(info.fields & IPCX_INFO_PID);
	ASSERT_EQ(info.pid, pid);
	ASSERT_EQ(info.uid, geteuid());
	ipcx_test_wait(pid, TMO);
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), IPCX_EOF);
	ipcx_close(c);
	ipcx_close(srv);
}

/* ---- seqpacket: empty message or end ---------------------------------- */

static void
expect_empty_then_eof(ipcx_chan *rx, int empties)
{
	char buf[16];
	int i;

	for (i = 0; i < empties; i++)
		ASSERT_EQ(ipcx_recv(rx, buf, sizeof(buf), TMO), 0);
	ASSERT_EQ(ipcx_recv(rx, buf, sizeof(buf), TMO), IPCX_EOF);
	ASSERT_EQ(ipcx_recv(rx, buf, sizeof(buf), 0), IPCX_EOF); /* and stays so */
}

struct empties {
	const char *uri;
	struct ipcx_test_line up, down;
};

/* An ipcx client: three empty messages around a non-empty one, then the
 * end; it takes the server's empty message first. */
static int
empty_client(void *arg)
{
	struct empties *e = arg;
	char buf[16];
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, e->uri, 0));
	ASSERT_EQ(ipcx_recv(ch, buf, sizeof(buf), TMO), 0);
	IPCX_PASS(ipcx_send(ch, "", 0, TMO));
	IPCX_PASS(ipcx_send(ch, "", 0, TMO));
	IPCX_PASS(ipcx_send(ch, "x", 1, TMO));
	IPCX_PASS(ipcx_send(ch, "", 0, TMO));
	ipcx_close(ch);
	return 0;
}

/* A plain socket, unbound (so its messages carry no name): an empty
 * message while connected, then a wait, then the end. */
static int
plain_client(void *arg)
{
	struct empties *e = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->uri + 5);
	*strchr(sa.sun_path, '?') = '\0';
	ASSERT_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ASSERT_EQ(send(fd, "", 0, MSG_NOSIGNAL), 0);
	ipcx_test_line_put(&e->up, 's');
	ASSERT_EQ(ipcx_test_line_get(&e->down), 'c');
	close(fd);
	return 0;
}

static void
test_seqpacket_empty_or_end(void)
{
	const char *uri = unix_uri("s", "type=seqpacket");
	struct empties e = { uri, { { -1, -1 } }, { { -1, -1 } } };
	ipcx_chan *srv, *c, *a, *b;
	char buf[16];
	pid_t pid;

	IPCX_PASS(ipcx_create(&srv, uri, 0));
	pid = ipcx_test_peer(empty_client, &e);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	IPCX_PASS(ipcx_send(c, "", 0, TMO));
	ipcx_test_wait(pid, TMO); /* everything is queued, and the peer gone */
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 0);
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 0);
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 1);
	expect_empty_then_eof(c, 1);
	ipcx_close(c);

	/* A nameless plain peer: its empty message is one while it is
	 * connected; its end is the end. */
	ipcx_test_line_open(&e.up);
	ipcx_test_line_open(&e.down);
	pid = ipcx_test_peer(plain_client, &e);
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ASSERT_EQ(ipcx_test_line_get(&e.up), 's');
	ASSERT_EQ(ipcx_recv(c, buf, sizeof(buf), TMO), 0);
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_test_line_put(&e.down, 'c');
	ipcx_test_wait(pid, TMO);
	expect_empty_then_eof(c, 0);
	ipcx_close(c);
	ipcx_close(srv);

	/* A socket pair, both ways. */
	IPCX_PASS(ipcx_pair("unix:?type=seqpacket", &a, &b));
	IPCX_PASS(ipcx_send(a, "", 0, TMO));
	IPCX_PASS(ipcx_send(b, "", 0, TMO));
	ASSERT_EQ(ipcx_recv(a, buf, sizeof(buf), TMO), 0);
	ipcx_close(a);
	expect_empty_then_eof(b, 1);
	ipcx_close(b);
}

/* ---- tcp: name resolution --------------------------------------------- */

/*
 * In a namespace of our own: no network but loopback (brought up, so the
 * resolver's query is refused at once instead of timing out), and the
 * given resolver files over the system's.
 */
static int
private_resolver(const char *nsswitch)
{
	char rc[600], ns[600];
	struct ifreq ifr;
	FILE *f;
	int fd;

	snprintf(rc, sizeof(rc), "%s/resolv.conf", ipcx_test_dir);
	snprintf(ns, sizeof(ns), "%s/nsswitch.conf", ipcx_test_dir);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	f = fopen(rc, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "nameserver 127.0.0.1\noptions attempts:1 timeout:1\n");
	fclose(f);
	f = fopen(ns, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "hosts: %s\n", nsswitch);
	fclose(f);
	if (mount(rc, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0 ||
	    mount(ns, "/etc/nsswitch.conf", NULL, MS_BIND, NULL) < 0)
		return -1;
	/* Loopback up, so the query is refused at once (down, it fails at
	 * once too: ENETUNREACH). */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		(void)ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

struct lookup {
	const char *nsswitch;
	int code;
	const char *says;
};

static int
lookup_fails(void *arg)
{
	const struct lookup *l = arg;
	ipcx_chan *ch;

	if (private_resolver(l->nsswitch) < 0)
		_exit(7); /* ipcx_test_peer would make a return of 7 a 1 */
	IPCX_FAIL(ipcx_join(&ch, "tcp:no-such-host.invalid:4000", 0), l->code);
	if (strstr(ipcx_errmsg(NULL), l->says) == NULL ||
	    strstr(ipcx_errmsg(NULL), "no-such-host.invalid") == NULL)
		IPCX_TEST_FAILF("errmsg \"%s\"", ipcx_errmsg(NULL));
	IPCX_FAIL(ipcx_create(&ch, "tcp://no-such-host.invalid:0", 0), l->code);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), l->says) != NULL);
	/* A numeric address needs no resolver. */
	IPCX_PASS(ipcx_create(&ch, "tcp:127.0.0.1:0", 0));
	ipcx_close(ch);
	return 0;
}

static void
run_lookup(const struct lookup *l)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		TEST_SKIP("a private resolver needs root (mount and network namespaces)");
	pid = ipcx_test_peer(lookup_fails, (void *)l);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 7)
		TEST_SKIP("no mount or network namespace here");
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

static void
test_tcp_resolver_down_is_eagain(void)
{
	static const struct lookup l = { "files dns", -EAGAIN, "failed temporarily" };

	run_lookup(&l);
}

static void
test_tcp_unknown_host_is_enoent(void)
{
	static const struct lookup l = { "files", -ENOENT, "unknown host" };

	run_lookup(&l);
}

TEST_LIST = {
	{ "SO_PASSCRED only where a sender must be known", test_passcred_only_where_needed },
	{ "dgram: senders from the first ipcx_recv_info on", test_dgram_senders_from_first_ask },
	{ "seqpacket: sender from the connection's peer", test_seqpacket_sender_from_peercred },
	{ "seqpacket: an empty message is not the end", test_seqpacket_empty_or_end },
	{ "tcp: a resolver down is -EAGAIN", test_tcp_resolver_down_is_eagain },
	{ "tcp: an unknown host is -ENOENT", test_tcp_unknown_host_is_enoent },
	{ NULL, NULL },
};
