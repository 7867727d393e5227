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
 * This is the one file of the benchmark that knows mechanisms (with
 * bare_ring.c and bare_log.c), so it is keyed by scheme and variant.  A scheme without a driver here still gets
 * its ipcx row, with "-" for the ratio.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
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
pipe_open(struct bare_open *o, int fds[4], void **st)
{
	int p2c[2], c2p[2];

	(void)o;
	(void)st;
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
fifo_open(struct bare_open *o, int fds[4], void **st)
{
	char a[512], b[512];
	int rc;

	(void)st;
	snprintf(a, sizeof(a), "%s/bare-p2c.fifo", o->dir);
	snprintf(b, sizeof(b), "%s/bare-c2p.fifo", o->dir);
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
unix_stream_open(struct bare_open *o, int fds[4], void **st)
{
	(void)o;
	(void)st;
	return socketpair_open(SOCK_STREAM, fds);
}

static int
unix_seqpacket_open(struct bare_open *o, int fds[4], void **st)
{
	(void)o;
	(void)st;
	return socketpair_open(SOCK_SEQPACKET, fds);
}

static int
unix_dgram_open(struct bare_open *o, int fds[4], void **st)
{
	(void)o;
	(void)st;
	return socketpair_open(SOCK_DGRAM, fds);
}

/* A loopback connection: listen on port 0, connect, accept, all here. */
static int
tcp_open(struct bare_open *o, int fds[4], void **st)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int l, c = -1, a = -1, one = 1, err;

	(void)o;
	(void)st;
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

/* ---- message queues ---------------------------------------------------------- */

static long
proc_long(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

static int mq_seq;

/*
 * Two POSIX queues (one per direction) of msg_default messages of exactly
 * the group's largest size, as a program would make them, their names
 * removed at once: the queues live on in the descriptors (an mqd_t is a
 * descriptor on Linux).  A size above msgsize_max cannot be made by an
 * unprivileged process: those cells are skipped, saying how to raise it.
 */
static int
mq_open_one(struct bare_open *o, long maxmsg, mqd_t *ret)
{
	struct mq_attr a = { .mq_maxmsg = maxmsg, .mq_msgsize = (long)o->max };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/ipcx-bench-%ld-%d", (long)getpid(), mq_seq++);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (q == (mqd_t)-1) {
		int err = -errno;
		bench_text(o->why, sizeof(o->why), "mq_open(maxmsg=%ld, msgsize=%zu): %s", maxmsg,
		           o->max, strerror(-err));
		return err;
	}
	(void)mq_unlink(name);
	*ret = q;
	return 0;
}

static int
mq_bare_open(struct bare_open *o, int fds[4], void **st)
{
	long smax = proc_long("/proc/sys/fs/mqueue/msgsize_max");
	long maxmsg = proc_long("/proc/sys/fs/mqueue/msg_default");
	mqd_t a, b;
	int rc;

	(void)st;
	if (smax > 0 && (long)o->max > smax) {
		bench_text(o->why, sizeof(o->why),
		           "mq: msgsize_max is %ld here; raise it with sysctl fs.mqueue.msgsize_max=%zu",
		           smax, o->max);
		return -EMSGSIZE;
	}
	if (maxmsg <= 0)
		maxmsg = 10;
	rc = mq_open_one(o, maxmsg, &a);
	if (rc < 0)
		return rc;
	rc = mq_open_one(o, maxmsg, &b);
	if (rc < 0) {
		mq_close(a);
		return rc;
	}
	fds[0] = fds[3] = b; /* child to parent */
	fds[1] = fds[2] = a; /* parent to child */
	return 0;
}

static int
mq_bare_send(void *st, int fd, const void *buf, size_t len)
{
	(void)st;
	for (;;) {
		if (mq_send(fd, buf, len, 0) == 0)
			return 0;
		if (errno != EINTR || bench_stop)
			return -errno;
	}
}

static ssize_t
mq_bare_recv(void *st, int fd, void *buf, size_t cap, size_t expect)
{
	(void)st;
	(void)expect;
	for (;;) {
		ssize_t r = mq_receive(fd, buf, cap, NULL);
		if (r >= 0)
			return r;
		if (errno != EINTR || bench_stop)
			return -errno;
	}
}

/*
 * System V queues: two private queues (IPC_PRIVATE: no key to collide
 * with), their ids passed to the peer in place of descriptors, removed by
 * the parent at the end.  msgsnd/msgrcv need the type word before the
 * text, so each side has one buffer of its own: a program without ipcx
 * pays the same copy.
 */
struct sysvmq_st {
	size_t max;
	struct {
		long mtype;
		char mtext[];
	} *m;
};

static int
sysvmq_state(size_t max, void **st)
{
	struct sysvmq_st *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->m = malloc(sizeof(long) + max)) == NULL) {
		free(s);
		return -ENOMEM;
	}
	s->max = max;
	*st = s;
	return 0;
}

static int
sysvmq_bare_open(struct bare_open *o, int fds[4], void **st)
{
	long mmax = proc_long("/proc/sys/kernel/msgmax"), mnb = proc_long("/proc/sys/kernel/msgmnb");
	int a, b, rc;

	if (mmax > 0 && (long)o->max > mmax) {
		bench_text(o->why, sizeof(o->why),
		           "sysvmq: msgmax is %ld here; raise it with sysctl kernel.msgmax=%zu "
		           "kernel.msgmnb=%zu",
		           mmax, o->max, o->max > (size_t)mnb ? o->max : (size_t)mnb);
		return -EMSGSIZE;
	}
	if (mnb > 0 && (long)o->max > mnb) {
		bench_text(o->why, sizeof(o->why),
		           "sysvmq: msgmnb (a queue's bytes) is %ld here; raise it with sysctl "
		           "kernel.msgmnb=%zu",
		           mnb, o->max);
		return -EMSGSIZE;
	}
	a = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (a < 0)
		return -errno;
	b = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (b < 0) {
		rc = -errno;
		(void)msgctl(a, IPC_RMID, NULL);
		return rc;
	}
	rc = sysvmq_state(o->max, st);
	if (rc < 0) {
		(void)msgctl(a, IPC_RMID, NULL);
		(void)msgctl(b, IPC_RMID, NULL);
		return rc;
	}
	fds[0] = fds[3] = b;
	fds[1] = fds[2] = a;
	return 0;
}

static int
sysvmq_attach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
              size_t whylen)
{
	(void)rfd;
	(void)wfd;
	(void)addr;
	(void)why;
	(void)whylen;
	return sysvmq_state(max, st);
}

static int
sysvmq_bare_send(void *st, int id, const void *buf, size_t len)
{
	struct sysvmq_st *s = st;

	if (len > s->max)
		return -EMSGSIZE;
	s->m->mtype = 1;
	memcpy(s->m->mtext, buf, len);
	for (;;) {
		if (msgsnd(id, s->m, len, 0) == 0)
			return 0;
		if (errno != EINTR || bench_stop)
			return -errno;
	}
}

static ssize_t
sysvmq_bare_recv(void *st, int id, void *buf, size_t cap, size_t expect)
{
	struct sysvmq_st *s = st;

	(void)expect;
	for (;;) {
		ssize_t r = msgrcv(id, s->m, s->max, 0, 0);
		if (r >= 0) {
			if ((size_t)r > cap)
				return -EMSGSIZE;
			memcpy(buf, s->m->mtext, (size_t)r);
			return r;
		}
		if (errno != EINTR || bench_stop)
			return -errno;
	}
}

static void
sysvmq_bare_close(int fds[4], void *st, bool owner)
{
	struct sysvmq_st *s = st;
	int i;

	for (i = 0; i < 2 && owner; i++)
		if (fds[i] >= 0)
			(void)msgctl(fds[i], IPC_RMID, NULL);
	for (i = 0; i < 4; i++)
		fds[i] = -1;
	if (s != NULL)
		free(s->m);
	free(s);
}

/* ---- signals -------------------------------------------------------------- */

/*
 * What a program without ipcx writes to pass a few bytes with a signal:
 * sigqueue(3) with the bytes in the sigval, and sigwaitinfo(2) with the
 * signal blocked - the one synchronous receive, a single system call.
 * (ipcx receives through a signalfd, which it needs for ipcx_pollfd and
 * deadlines; that is part of what the ratio prices.)  The signal is not
 * ipcx's default (SIGRTMIN+1), so neither link can take the other's.
 * The run blocks the real-time signals (bench.c); each side blocks its
 * own again, as such a program would.  Each process learns the other's
 * pid: the peer from the address, the parent when the peer has started.
 */
#define BARE_SIGNO (SIGRTMIN + 2)

struct sig_st {
	pid_t to;
	sigset_t set;
};

static int
sig_state(pid_t to, void **st)
{
	struct sig_st *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	s->to = to;
	sigemptyset(&s->set);
	sigaddset(&s->set, BARE_SIGNO);
	if (sigprocmask(SIG_BLOCK, &s->set, NULL) < 0) {
		int err = -errno;
		free(s);
		return err;
	}
	*st = s;
	return 0;
}

static int
sig_bare_open(struct bare_open *o, int fds[4], void **st)
{
	(void)fds;
	if (o->max > sizeof(void *)) {
		bench_text(o->why, sizeof(o->why), "a sigval carries %zu bytes", sizeof(void *));
		return -EMSGSIZE;
	}
	snprintf(o->addr, sizeof(o->addr), "%ld", (long)getpid());
	return sig_state(0, st);
}

static int
sig_attach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
           size_t whylen)
{
	long pid = atol(addr);

	(void)rfd;
	(void)wfd;
	(void)max;
	if (pid <= 0) {
		bench_text(why, whylen, "no parent pid in the address");
		return -EINVAL;
	}
	return sig_state((pid_t)pid, st);
}

static void
sig_started(void *st, pid_t pid)
{
	((struct sig_st *)st)->to = pid;
}

static int
sig_bare_send(void *st, int fd, const void *buf, size_t len)
{
	struct sig_st *s = st;
	union sigval v;
	uintptr_t x = 0;
	int step = 1;

	(void)fd;
	if (len > sizeof(x))
		return -EMSGSIZE;
	memcpy(&x, buf, len);
	v.sival_ptr = (void *)x;
	for (;;) {
		struct timespec ts;
		if (sigqueue(s->to, BARE_SIGNO, v) == 0)
			return 0;
		if (errno != EAGAIN || bench_stop)
			return -errno;
		/* The receiver's queue is full and nothing can be polled for
		 * room: wait as ipcx_send does. */
		ts.tv_sec = step / 1000;
		ts.tv_nsec = (long)(step % 1000) * 1000000;
		(void)nanosleep(&ts, NULL);
		if (step < 50)
			step *= 2;
	}
}

static ssize_t
sig_bare_recv(void *st, int fd, void *buf, size_t cap, size_t expect)
{
	struct sig_st *s = st;
	siginfo_t si;

	(void)fd;
	if (expect > sizeof(void *) || expect > cap)
		return -EMSGSIZE;
	for (;;) {
		int sig = sigwaitinfo(&s->set, &si);
		if (sig == BARE_SIGNO) {
			uintptr_t x = (uintptr_t)si.si_value.sival_ptr;
			memcpy(buf, &x, expect);
			return (ssize_t)expect;
		}
		if (sig >= 0)
			return -EPROTO;
		if (errno != EINTR || bench_stop)
			return -errno;
	}
}

static void
sig_bare_close(int fds[4], void *st, bool owner)
{
	int i;

	(void)owner;
	for (i = 0; i < 4; i++)
		fds[i] = -1;
	free(st);
}

/* ---- the table ------------------------------------------------------------ */

static const struct bare_driver d_pipe = {
	"pipe", NULL, NULL, "write/read", "pipe(2)", BARE_STREAM, pipe_open, NULL, NULL, NULL,
	NULL, pipe_match, NULL,
};
static const struct bare_driver d_fifo = {
	"fifo", NULL, NULL, "write/read", "mkfifo(3), open(2)", BARE_STREAM, fifo_open, NULL,
	NULL, NULL, NULL, pipe_match, NULL,
};
static const struct bare_driver d_unix_stream = {
	"unix", "type=stream", NULL, "send/recv", "socketpair(AF_UNIX, SOCK_STREAM)",
	BARE_STREAM | BARE_SOCK, unix_stream_open, NULL, NULL, NULL, NULL, sock_match, NULL,
};
static const struct bare_driver d_unix_seqpacket = {
	"unix", "type=seqpacket", NULL, "send/recv", "socketpair(AF_UNIX, SOCK_SEQPACKET)",
	BARE_SOCK, unix_seqpacket_open, NULL, NULL, NULL, NULL, sock_match, NULL,
};
static const struct bare_driver d_unix_dgram = {
	"unix", "type=dgram", NULL, "send/recv", "socketpair(AF_UNIX, SOCK_DGRAM)", BARE_SOCK,
	unix_dgram_open, NULL, NULL, NULL, NULL, sock_match, NULL,
};
static const struct bare_driver d_tcp = {
	"tcp", NULL, NULL, "send/recv", "TCP over 127.0.0.1, TCP_NODELAY",
	BARE_STREAM | BARE_SOCK, tcp_open, NULL, NULL, NULL, NULL, NULL, NULL,
};
static const struct bare_driver d_mq = {
	"mq", NULL, NULL, "mq_send/mq_receive", "two POSIX queues (mq_open, msg_default deep)", 0,
	mq_bare_open, NULL, mq_bare_send, mq_bare_recv, NULL, NULL, NULL,
};
static const struct bare_driver d_sysvmq = {
	"sysvmq", NULL, NULL, "msgsnd/msgrcv", "two System V queues (msgget IPC_PRIVATE)",
	BARE_IDS, sysvmq_bare_open, sysvmq_attach, sysvmq_bare_send, sysvmq_bare_recv,
	sysvmq_bare_close, NULL, NULL,
};
static const struct bare_driver d_signal = {
	"signal", NULL, NULL, "sigqueue/sigwaitinfo",
	"one real-time signal (SIGRTMIN+2) per message, the payload in its sigval, no length "
	"(the receiver knows it); sigwaitinfo with the signal blocked; on EAGAIN (the queue "
	"at RLIMIT_SIGPENDING) a sleep of 1 ms doubling to 64 ms, as ipcx",
	0, sig_bare_open, sig_attach, sig_bare_send, sig_bare_recv, sig_bare_close, NULL,
	sig_started,
};

extern const struct bare_driver bare_ring_futex, bare_ring_futex_sysv, bare_ring_busy;
extern const struct bare_driver bare_log_plain, bare_log_none, bare_log_always;
#ifdef BENCH_HAVE_ZMQ
extern const struct bare_driver peer_zmq_ipc, peer_zmq_tcp;
#endif
#ifdef BENCH_HAVE_NNG
extern const struct bare_driver peer_nng_ipc, peer_nng_tcp;
#endif
#ifdef BENCH_HAVE_ICEORYX
extern const struct bare_driver peer_iox_block, peer_iox_busy;
#endif

static const struct bare_driver *const drivers[] = {
	&d_pipe, &d_fifo, &d_unix_stream, &d_unix_seqpacket, &d_unix_dgram, &d_tcp,
	&d_mq, &d_sysvmq, &d_signal, &bare_log_plain, &bare_log_none, &bare_log_always,
	&bare_ring_futex, &bare_ring_futex_sysv, &bare_ring_busy,
#ifdef BENCH_HAVE_ZMQ
	&peer_zmq_ipc, &peer_zmq_tcp,
#endif
#ifdef BENCH_HAVE_NNG
	&peer_nng_ipc, &peer_nng_tcp,
#endif
#ifdef BENCH_HAVE_ICEORYX
	&peer_iox_block, &peer_iox_busy,
#endif
};

const char *const bench_peers_absent[] = {
#ifndef BENCH_HAVE_ZMQ
	"ZeroMQ: not built (libzmq3-dev was absent at build time)",
#endif
#ifndef BENCH_HAVE_NNG
	"nng: not built (libnng-dev was absent at build time)",
#endif
#ifndef BENCH_HAVE_ICEORYX
	"iceoryx: not built (iceoryx and libiceoryx-binding-c-dev were absent at build time)",
#endif
	NULL,
};

#define NDRIVERS ((int)(sizeof(drivers) / sizeof(drivers[0])))

int
bench_peer_prepare(const struct bare_driver *d, char *why, size_t whylen)
{
#ifdef BENCH_HAVE_ICEORYX
	if (d == &peer_iox_block || d == &peer_iox_busy)
		return bench_iceoryx_prepare(why, whylen);
#endif
	(void)d;
	(void)why;
	(void)whylen;
	return 0;
}

void
bench_peers_fini(void)
{
#ifdef BENCH_HAVE_ICEORYX
	bench_iceoryx_fini();
#endif
}

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
		if (!(drivers[i]->flags & BARE_PEER) && strcmp(drivers[i]->scheme, scheme) == 0 &&
		    same(drivers[i]->variant, variant))
			return drivers[i];
	return NULL;
}

int
bare_index(const struct bare_driver *d)
{
	int i;

	for (i = 0; i < NDRIVERS; i++)
		if (drivers[i] == d)
			return i;
	return -1;
}

const struct bare_driver *
bare_at(int i)
{
	return i >= 0 && i < NDRIVERS ? drivers[i] : NULL;
}

/* ---- transfer ------------------------------------------------------------- */

int
bare_send(const struct bare_driver *d, void *st, int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;

	if (d->send != NULL)
		return d->send(st, fd, buf, len);
	do {
		ssize_t w = (d->flags & BARE_SOCK) ? send(fd, p + done, len - done, MSG_NOSIGNAL)
		                                   : write(fd, p + done, len - done);
		if (w < 0) {
			if (errno == EINTR && !bench_stop)
				continue;
			return -errno;
		}
		done += (size_t)w;
	} while (done < len && (d->flags & BARE_STREAM));
	return 0;
}

ssize_t
bare_recv(const struct bare_driver *d, void *st, int fd, void *buf, size_t cap, size_t expect)
{
	bool stream = (d->flags & BARE_STREAM) != 0, sock = (d->flags & BARE_SOCK) != 0;
	uint8_t *p = buf;
	size_t done = 0;

	if (d->recv != NULL)
		return d->recv(st, fd, buf, cap, expect);
	if (stream && expect > cap)
		return -EMSGSIZE;
	for (;;) {
		size_t want = stream ? expect - done : cap;
		ssize_t r = sock ? recv(fd, p + done, want, stream ? 0 : MSG_TRUNC)
		                 : read(fd, p + done, want);
		if (r < 0) {
			if (errno == EINTR && !bench_stop)
				continue;
			return -errno;
		}
		if (!stream)
			return (size_t)r > cap ? -EMSGSIZE : r;
		if (r == 0)
			return done == 0 ? 0 : -EPROTO; /* the stream ended inside a message */
		done += (size_t)r;
		if (done == expect)
			return (ssize_t)done;
	}
}

void
bare_close(const struct bare_driver *d, int fds[4], void *st, bool owner)
{
	int i, j;

	if (d != NULL && d->close != NULL) {
		d->close(fds, st, owner);
		return;
	}
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
