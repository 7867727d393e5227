/* SPDX-License-Identifier: MIT */
/*
 * bare.c - the bare mechanisms: what each ipcx row is compared with.
 *
 * A bare row is the mechanism driven by the plain system calls a program
 * would write without ipcx: blocking write(2)/read(2) on a pipe or a FIFO,
 * send(2)/recv(2) on a socketpair or a loopback TCP connection with
 * TCP_NODELAY.  It carries the same payload with nothing added: on a byte
 * stream no header (the receiver reads exactly the length it was told), on
 * a datagram or seqpacket socket one send and one recv per message.  So
 * the ratio ipcx/bare is everything ipcx costs: its framing, its waits,
 * its checks.
 *
 * This is the one file of the benchmark that knows mechanisms, so it is
 * keyed by scheme and variant.  A scheme without a driver here still gets
 * its ipcx row, with "-" for the ratio.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_int.h"

/* ---- opening ------------------------------------------------------------ */

/*
 * The pipes and sockets open in this process just after a bare mechanism
 * was made: the bare ones, and whatever the process held before (standard
 * output to a pager, a make jobserver).  One that appears later is ipcx's.
 */
#define KNOWN_MAX 64
static ino_t known[KNOWN_MAX];
static int nknown;

static bool
is_known(ino_t ino)
{
	int i;

	for (i = 0; i < nknown; i++)
		if (known[i] == ino)
			return true;
	return false;
}

/* Call fn for every descriptor of this process above 2 that is a pipe
 * (want S_IFIFO) or a socket (S_IFSOCK) and not in the snapshot. */
static void
each_new(mode_t want, void (*fn)(int fd, void *arg), void *arg)
{
	struct dirent *e;
	struct stat st;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd <= 2 || fd == dirfd(d))
			continue;
		if (fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == want && !is_known(st.st_ino))
			fn(fd, arg);
	}
	closedir(d);
}

static void
remember(int fd, void *arg)
{
	struct stat st;

	(void)arg;
	if (nknown < KNOWN_MAX && fstat(fd, &st) == 0)
		known[nknown++] = st.st_ino;
}

static void
snapshot(void)
{
	nknown = 0;
	each_new(S_IFIFO, remember, NULL);
	each_new(S_IFSOCK, remember, NULL);
}

static int
pipe_open(const char *dir, int fds[4])
{
	int p2c[2], c2p[2];

	(void)dir;
	if (pipe2(p2c, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(c2p, O_CLOEXEC) < 0) {
		int err = -errno;
		close(p2c[0]);
		close(p2c[1]);
		return err;
	}
	fds[0] = c2p[0];
	fds[1] = p2c[1];
	fds[2] = p2c[0];
	fds[3] = c2p[1];
	snapshot();
	return 0;
}

/*
 * Both ends of a FIFO, opened by path as separate processes would open
 * them: the reader first (non-blocking, so the open does not wait for a
 * writer), then the writer, then the reader made blocking again.  The node
 * is removed at once; the pipe lives on in the descriptors.
 */
static int
fifo_open_one(const char *path, int *rfd, int *wfd)
{
	int err;

	if (mkfifo(path, 0600) < 0)
		return -errno;
	*rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (*rfd < 0) {
		err = -errno;
		unlink(path);
		return err;
	}
	*wfd = open(path, O_WRONLY | O_CLOEXEC);
	err = *wfd < 0 ? -errno : 0;
	if (err == 0 && fcntl(*rfd, F_SETFL, O_RDONLY) < 0)
		err = -errno;
	unlink(path);
	if (err < 0) {
		close(*rfd);
		if (*wfd >= 0)
			close(*wfd);
	}
	return err;
}

static int
fifo_open(const char *dir, int fds[4])
{
	char a[512], b[512];
	int rc;

	snprintf(a, sizeof(a), "%s/bare-p2c.fifo", dir);
	snprintf(b, sizeof(b), "%s/bare-c2p.fifo", dir);
	rc = fifo_open_one(a, &fds[2], &fds[1]);
	if (rc < 0)
		return rc;
	rc = fifo_open_one(b, &fds[0], &fds[3]);
	if (rc < 0) {
		close(fds[1]);
		close(fds[2]);
		return rc;
	}
	snapshot();
	return 0;
}

static int
socketpair_open(int type, int fds[4])
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fds[0] = fds[1] = sv[0];
	fds[2] = fds[3] = sv[1];
	snapshot();
	return 0;
}

static int
unix_stream_open(const char *dir, int fds[4])
{
	(void)dir;
	return socketpair_open(SOCK_STREAM, fds);
}

static int
unix_seqpacket_open(const char *dir, int fds[4])
{
	(void)dir;
	return socketpair_open(SOCK_SEQPACKET, fds);
}

static int
unix_dgram_open(const char *dir, int fds[4])
{
	(void)dir;
	return socketpair_open(SOCK_DGRAM, fds);
}

/* A loopback connection: listen on port 0, connect, accept, all here. */
static int
tcp_open(const char *dir, int fds[4])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l, c = -1, a = -1, one = 1, err;

	(void)dir;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0)
		goto fail;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0 || setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		goto fail;
	close(l);
	fds[0] = fds[1] = a;
	fds[2] = fds[3] = c;
	return 0;
fail:
	err = -errno;
	close(l);
	if (c >= 0)
		close(c);
	if (a >= 0)
		close(a);
	return err;
}

/*
 * Size the bare pipes as ipcx sized its own: the largest buffer among the
 * pipes that appeared in this process since the bare ones were made (the
 * ipcx channel's), so that neither side gains from a larger buffer.
 */
static void
pipe_size_of(int fd, void *arg)
{
	long *want = arg, sz = fcntl(fd, F_GETPIPE_SZ);

	if (sz > *want)
		*want = sz;
}

static long
pipe_match(const int fds[4])
{
	long want = 0, have;

	each_new(S_IFIFO, pipe_size_of, &want);
	have = fcntl(fds[1], F_GETPIPE_SZ);
	if (want > 0 && want != have) {
		(void)fcntl(fds[0], F_SETPIPE_SZ, (int)want);
		(void)fcntl(fds[1], F_SETPIPE_SZ, (int)want);
		have = fcntl(fds[1], F_GETPIPE_SZ);
	}
	return have > 0 ? have : 0;
}

/*
 * The same for UNIX-domain sockets: ipcx may enlarge SO_SNDBUF and
 * SO_RCVBUF (a datagram must fit the sender's buffer); give the bare pair
 * the largest buffers among the new sockets of its type.  Only while both
 * bare ends are still in this process, before the peer starts.
 */
struct sockbufs {
	int type;
	int snd, rcv;
};

static void
sock_bufs_of(int fd, void *arg)
{
	struct sockbufs *b = arg;
	int dom = 0, type = 0, snd = 0, rcv = 0;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0 || dom != AF_UNIX)
		return;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != b->type)
		return;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &len) == 0 && snd > b->snd)
		b->snd = snd;
	len = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len) == 0 && rcv > b->rcv)
		b->rcv = rcv;
}

static long
sock_match(const int fds[4])
{
	struct sockbufs want = { 0, 0, 0 }, have = { 0, 0, 0 };
	socklen_t len = sizeof(int);
	int i;

	if (fds[2] < 0 || getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &want.type, &len) < 0)
		return 0;
	have.type = want.type;
	each_new(S_IFSOCK, sock_bufs_of, &want);
	sock_bufs_of(fds[0], &have);
	for (i = 0; i < 4; i += 2) {
		/* The kernel doubles what it is given, as it did for ipcx. */
		int snd = want.snd / 2, rcv = want.rcv / 2;
		if (want.snd > have.snd)
			(void)setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
		if (want.rcv > have.rcv)
			(void)setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

static const struct bare_driver drivers[] = {
	{ "pipe", NULL, "write/read", "pipe(2)", true, false, pipe_open, pipe_match },
	{ "fifo", NULL, "write/read", "mkfifo(3), open(2)", true, false, fifo_open,
	  pipe_match },
	{ "unix", "type=stream", "send/recv", "socketpair(AF_UNIX, SOCK_STREAM)", true, true,
	  unix_stream_open, sock_match },
	{ "unix", "type=seqpacket", "send/recv", "socketpair(AF_UNIX, SOCK_SEQPACKET)",
	  false, true, unix_seqpacket_open, sock_match },
	{ "unix", "type=dgram", "send/recv", "socketpair(AF_UNIX, SOCK_DGRAM)", false, true,
	  unix_dgram_open, sock_match },
	{ "tcp", NULL, "send/recv", "TCP over 127.0.0.1, TCP_NODELAY", true, true, tcp_open,
	  NULL },
};

#define NDRIVERS ((int)(sizeof(drivers) / sizeof(drivers[0])))

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

const struct bare_driver *
bare_find(const char *scheme, const char *variant)
{
	int i;

	for (i = 0; i < NDRIVERS; i++)
		if (strcmp(drivers[i].scheme, scheme) == 0 && same(drivers[i].variant, variant))
			return &drivers[i];
	return NULL;
}

int
bare_index(const struct bare_driver *d)
{
	return d == NULL ? -1 : (int)(d - drivers);
}

const struct bare_driver *
bare_at(int i)
{
	return i >= 0 && i < NDRIVERS ? &drivers[i] : NULL;
}

/* ---- transfer ------------------------------------------------------------- */

int
bare_send(const struct bare_driver *d, int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;

	do {
		ssize_t w = d->sock ? send(fd, p + done, len - done, MSG_NOSIGNAL)
		                    : write(fd, p + done, len - done);
		if (w < 0) {
			if (errno == EINTR && !bench_stop)
				continue;
			return -errno;
		}
		done += (size_t)w;
	} while (done < len && d->stream);
	return 0;
}

ssize_t
bare_recv(const struct bare_driver *d, int fd, void *buf, size_t cap, size_t expect)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (d->stream && expect > cap)
		return -EMSGSIZE;
	for (;;) {
		size_t want = d->stream ? expect - done : cap;
		ssize_t r = d->sock ? recv(fd, p + done, want, d->stream ? 0 : MSG_TRUNC)
		                    : read(fd, p + done, want);
		if (r < 0) {
			if (errno == EINTR && !bench_stop)
				continue;
			return -errno;
		}
		if (!d->stream)
			return (size_t)r > cap ? -EMSGSIZE : r;
		if (r == 0)
			return done == 0 ? 0 : -EPROTO; /* the stream ended inside a message */
		done += (size_t)r;
		if (done == expect)
			return (ssize_t)done;
	}
}

void
bare_close(int fds[4])
{
	int i, j;

	for (i = 0; i < 4; i++) {
		if (fds[i] < 0)
			continue;
		close(fds[i]);
		for (j = i + 1; j < 4; j++)
			if (fds[j] == fds[i])
				fds[j] = -1;
		fds[i] = -1;
	}
}
