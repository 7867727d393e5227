/* SPDX-License-Identifier: MIT */
/*
 * signal.c - signals as messages: "signal:PID" sends, "signal:self"
 * receives (signal(7)).
 *
 *  - Sending is sigqueue(3) to PID: a message of at most 7 bytes rides in
 *    the signal's value (sival_ptr), its top byte a tag with the length
 *    (0xa8 | len), the payload in the bytes below it, in order from the
 *    lowest.  So "ab" and "ab\0" differ, and an empty message (value
 *    0xa8000000...) differs from a plain kill(2), whose value is 0.  The
 *    signal goes through a pidfd (pidfd_send_signal(2)) opened at join, so
 *    it can only ever reach that process, never one that got its pid
 *    after it died; the exit then answers -EPIPE.
 *  - "sig=" picks the signal: RTMIN+1 by default, USR1, USR2, HUP, TERM...,
 *    RTMIN+N, RTMAX-N or a number.  KILL and STOP cannot be caught, and
 *    blocking SEGV, BUS, FPE, ILL or TRAP would let a fault kill the
 *    process, so those are refused.
 *  - Receiving, on "signal:self?sig=LIST": the signals are blocked in the
 *    joining thread and read through a signalfd(2), which is also what
 *    ipcx_pollfd gives.  A process-directed signal goes to any thread that
 *    leaves it unblocked, so the join refuses (-EBUSY) while another
 *    thread of the process does: ipcx_signal_block() before starting
 *    threads makes them inherit the mask.  Closing the channel unblocks
 *    in that thread what its join blocked (and only that: a signal blocked
 *    before, by ipcx_signal_block or the program, stays blocked).
 *  - A received signal tells its number, how it was sent (si_code) and,
 *    where the kernel knows, the sender's pid and uid.  What the message
 *    holds: an ipcx payload; the 4 bytes of sival_int for a value that is
 *    not one of ipcx's (sigqueue(3) from another program, a timer, a
 *    message queue notification); nothing for kill(2) and the kernel's.
 *  - Standard signals coalesce while pending (a second one merged into the
 *    first is lost without an error); real-time signals queue, up to the
 *    receiver's RLIMIT_SIGPENDING, and a full queue is -EAGAIN (or a wait
 *    with back-off until the deadline), never a silent loss.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"

/* The payload: every byte of the value but the tag's. */
#define SIG_PAYLOAD ((size_t)sizeof(void *) - 1)
#define SIG_TAG 0xa8u
#define SIG_TAG_MASK 0xf8u
#define SIG_TAG_SHIFT (8 * SIG_PAYLOAD)
#define SIG_MAX_ALLOW 16

struct signal_chan {
	struct ipcx_chan base;
	bool self;            /* signal:self: receives (and may send to itself) */
	struct ipcx_rx_adapt rx; /* wait before receiving, or try first */
	pid_t pid;            /* whom we send to */
	int pidfd;            /* -1 where the kernel has no pidfd: plain sigqueue */
	int send_sig;         /* the signal sent: the first of sig= */
	sigset_t set;         /* the signals received */
	int sfd;              /* the signalfd (also base.rfd), or -1 */
	bool joined;          /* the mask of thread `tid` counts this channel */
	pid_t tid;
	pid_t owner;          /* the process that joined */
	uid_t allow[SIG_MAX_ALLOW];
	int nallow;           /* 0: every sender the kernel lets through */
	bool kept;            /* a received message waits for a buffer with room */
	size_t kept_len;
	uint8_t kept_data[8];
	struct ipcx_msg_info kept_info;
};

/*
 * The joining thread's own bookkeeping, because a signal mask is per
 * thread: how many open channels of this thread receive each signal, and
 * which of them ipcx blocked (and so unblocks when the last one closes).
 */
static __thread unsigned sig_refs[_NSIG];
static __thread sigset_t sig_ours;

static struct signal_chan *
signal_of(struct ipcx_chan *ch)
{
	return (struct signal_chan *)ch;
}

/* ---- names --------------------------------------------------------------- */

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },     { "INT", SIGINT },       { "QUIT", SIGQUIT },
	{ "ABRT", SIGABRT },   { "USR1", SIGUSR1 },     { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE },   { "ALRM", SIGALRM },     { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CONT", SIGCONT },
	{ "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },
	{ "URG", SIGURG },     { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },   { "WINCH", SIGWINCH },
	{ "IO", SIGIO },       { "POLL", SIGPOLL },     { "PWR", SIGPWR },
	{ "SYS", SIGSYS },     { "KILL", SIGKILL },     { "STOP", SIGSTOP },
	{ "SEGV", SIGSEGV },   { "BUS", SIGBUS },       { "FPE", SIGFPE },
	{ "ILL", SIGILL },     { "TRAP", SIGTRAP },
};

/* "USR1", "RTMIN+3": for sentences. */
static const char *
signal_name(int sig, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].sig == sig) {
			snprintf(buf, len, "SIG%s", signal_names[i].name);
			return buf;
		}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* A decimal number 0..limit of the whole string s[0..n). */
static int
signal_number(const char *s, size_t n, unsigned long limit, unsigned long *ret)
{
	char buf[16];

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return ipcx__parse_ulong(buf, 10, limit, ret);
}

/* One signal, as written in sig=, without the NUL (s[0..n)). */
static int
signal_parse_one(const char *s, size_t n, int *ret)
{
	unsigned long v;
	size_t i;
	int sig = 0;
	char sbuf[24];

	if (n >= 3 && strncasecmp(s, "SIG", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n > 0 && s[0] >= '0' && s[0] <= '9') {
		if (signal_number(s, n, (unsigned long)SIGRTMAX, &v) < 0 || v == 0)
			return ipcx__uri_invalid(-EINVAL, "sig=%.*s: a signal number is 1 to %d",
			                         (int)n, s, SIGRTMAX);
		sig = (int)v;
	} else if (n >= 5 && strncasecmp(s, "RTMIN", 5) == 0) {
		v = 0;
		if (n > 5 && (s[5] != '+' || signal_number(s + 6, n - 6, 64, &v) < 0))
			return ipcx__uri_invalid(-EINVAL, "sig=: RTMIN+N, with N a number");
		sig = SIGRTMIN + (int)v;
	} else if (n >= 5 && strncasecmp(s, "RTMAX", 5) == 0) {
		v = 0;
		if (n > 5 && (s[5] != '-' || signal_number(s + 6, n - 6, 64, &v) < 0))
			return ipcx__uri_invalid(-EINVAL, "sig=: RTMAX-N, with N a number");
		sig = SIGRTMAX - (int)v;
		if (sig < SIGRTMIN)
			return ipcx__uri_invalid(-EINVAL, "sig=: RTMAX-%lu is below RTMIN (RTMAX-%d)",
			                         v, SIGRTMAX - SIGRTMIN);
	} else {
		for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
			if (strlen(signal_names[i].name) == n &&
			    strncasecmp(signal_names[i].name, s, n) == 0)
				sig = signal_names[i].sig;
		if (sig == 0)
			return ipcx__uri_invalid(-EINVAL, "sig=: unknown signal '%.*s' (USR1, "
			                                  "TERM, RTMIN+1, 12, ...)",
			                         (int)(n > 20 ? 20 : n), s);
	}
	if (sig < SIGRTMIN && sig > SIGSYS)
		return ipcx__uri_invalid(-EINVAL, "signal %d is reserved by the C library", sig);
	if (sig < 1 || sig > SIGRTMAX)
		return ipcx__uri_invalid(-EINVAL, "sig=: RTMIN+%d is beyond RTMAX (RTMIN+%d)",
		                         sig - SIGRTMIN, SIGRTMAX - SIGRTMIN);
	if (sig == SIGKILL || sig == SIGSTOP)
		return ipcx__uri_invalid(-EINVAL, "%s cannot carry a message: it cannot be "
		                                  "caught or blocked",
		                         signal_name(sig, sbuf, sizeof(sbuf)));
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP)
		return ipcx__uri_invalid(-EINVAL, "%s reports a fault; blocking it would let "
		                                  "the fault kill the process",
		                         signal_name(sig, sbuf, sizeof(sbuf)));
	*ret = sig;
	return 0;
}

/* sig=LIST into *set, the first into *ret_first; *ret_n how many. */
static int
signal_parse_list(const char *v, sigset_t *set, int *ret_first, int *ret_n)
{
	int n = 0, sig = 0, rc;

	sigemptyset(set);
	*ret_first = SIGRTMIN + 1;
	if (v == NULL) {
		sigaddset(set, SIGRTMIN + 1);
		*ret_n = 1;
		return 0;
	}
	for (;;) {
		size_t len = strcspn(v, ",");

		rc = signal_parse_one(v, len, &sig);
		if (rc < 0)
			return rc;
		if (n++ == 0)
			*ret_first = sig;
		sigaddset(set, sig);
		if (v[len] == '\0')
			break;
		v += len + 1;
	}
	*ret_n = n;
	return 0;
}

/* "allow_uid=UID[,UID...]". */
static int
signal_parse_allow(const char *v, uid_t *uids, int *ret_n)
{
	int n = 0;

	while (v != NULL) {
		size_t len = strcspn(v, ",");
		unsigned long uid;

		if (n == SIG_MAX_ALLOW)
			return ipcx__uri_invalid(-EINVAL, "allow_uid takes at most %d uids",
			                         SIG_MAX_ALLOW);
		if (signal_number(v, len, 0xfffffffeul, &uid) < 0)
			return ipcx__uri_invalid(-EINVAL, "allow_uid must be decimal uids "
			                                  "separated by ','");
		uids[n++] = (uid_t)uid;
		v = v[len] == ',' ? v + len + 1 : NULL;
	}
	*ret_n = n;
	return 0;
}

/* The address: "self", or a pid (never 0 or -1, which kill(2) reads as a
 * process group and every process). */
static int
signal_parse_address(const struct ipcx_uri *uri, bool *ret_self, pid_t *ret_pid)
{
	unsigned long v;

	if (strcmp(uri->address, "self") == 0) {
		*ret_self = true;
		*ret_pid = 0;
		return 0;
	}
	if (ipcx__parse_ulong(uri->address, 10, INT_MAX, &v) < 0 || v == 0)
		return ipcx__uri_invalid(-EINVAL, "signal: is signal:PID (a process id, 1 or "
		                                  "more) or signal:self");
	*ret_self = false;
	*ret_pid = (pid_t)v;
	return 0;
}

static int
signal_chan_check(const struct ipcx_uri *uri)
{
	uid_t uids[SIG_MAX_ALLOW];
	const char *v;
	sigset_t set;
	bool self;
	pid_t pid;
	size_t max;
	int first, n, rc;

	rc = signal_parse_address(uri, &self, &pid);
	if (rc < 0)
		return rc;
	rc = signal_parse_list(ipcx__uri_get(uri, "sig"), &set, &first, &n);
	if (rc < 0)
		return rc;
	if (!self && n > 1)
		return ipcx__uri_invalid(-EINVAL, "a sender sends one signal: sig= lists "
		                                  "several only on signal:self");
	rc = signal_parse_allow(ipcx__uri_get(uri, "allow_uid"), uids, &n);
	if (rc < 0)
		return rc;
	if ((v = ipcx__uri_get(uri, "max")) != NULL &&
	    (ipcx__parse_size(v, (size_t)1 << 30, &max) < 0 || max > SIG_PAYLOAD))
		return ipcx__uri_invalid(-EINVAL, "a signal carries at most %zu bytes: max= is "
		                                  "1 to %zu",
		                         SIG_PAYLOAD, SIG_PAYLOAD);
	return 0;
}

/* ---- joining ------------------------------------------------------------- */

/* The SigBlk mask of thread tid (bit N-1 for signal N); false if the
 * thread has gone. */
static bool
signal_thread_mask(pid_t tid, unsigned long long *ret)
{
	char path[64], line[128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = sscanf(line, "SigBlk: %llx", ret) == 1;
	fclose(f);
	return found;
}

/*
 * Does every other thread of this process block every signal of set?  A
 * process-directed signal goes to any thread that leaves it unblocked, and
 * would never reach the signalfd.  /proc/self/task/TID/status has each
 * thread's mask.  A thread that glibc is starting or ending has every
 * signal blocked for a moment, the two it keeps for itself (32 and 33,
 * which no program can block) included; its real mask is not known yet,
 * so it is read again, for a second at most.  Without /proc nothing can
 * be told, and the join goes ahead.
 */
static int
signal_threads_block(struct ipcx_chan *ch, const sigset_t *set)
{
	const unsigned long long transient = 3ull << 31; /* signals 32 and 33 */
	pid_t me = (pid_t)syscall(SYS_gettid);
	struct dirent *e;
	char sbuf[24];
	DIR *d;
	int rc = 0, sig, tries;

	d = opendir("/proc/self/task");
	if (d == NULL)
		return 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		unsigned long long blk = 0;
		pid_t tid = (pid_t)atoi(e->d_name);
		bool alive = false;

		if (tid <= 0 || tid == me)
			continue;
		for (tries = 0; tries < 1000; tries++) {
			alive = signal_thread_mask(tid, &blk);
			if (!alive || (blk & transient) != transient)
				break;
			(void)nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		}
		if (!alive)
			continue; /* the thread has ended */
		if ((blk & transient) == transient) {
			ipcx__set_errmsg(ch, "thread %d of this process has been starting or "
			                     "ending for a second: its signal mask cannot be "
			                     "told",
			                 (int)tid);
			rc = -EBUSY;
			break;
		}
		for (sig = 1; sig < _NSIG && sig <= 64; sig++)
			if (sigismember(set, sig) == 1 && !(blk & (1ull << (sig - 1)))) {
				ipcx__set_errmsg(ch, "thread %d of this process leaves %s unblocked, "
				                     "so the kernel may deliver it there; block it "
				                     "in every thread (ipcx_signal_block() before "
				                     "starting threads)",
				                 (int)tid, signal_name(sig, sbuf, sizeof(sbuf)));
				rc = -EBUSY;
				break;
			}
	}
	closedir(d);
	return rc;
}

/* Count this channel in the thread's mask, blocking what is not yet. */
static int
signal_mask_take(struct signal_chan *s)
{
	sigset_t old, add;
	int sig, rc;

	sigemptyset(&add);
	rc = pthread_sigmask(SIG_BLOCK, NULL, &old);
	if (rc != 0)
		return -rc;
	for (sig = 1; sig < _NSIG; sig++) {
		if (sigismember(&s->set, sig) != 1)
			continue;
		if (sig_refs[sig]++ == 0 && sigismember(&old, sig) != 1) {
			sigaddset(&sig_ours, sig);
			sigaddset(&add, sig);
		}
	}
	rc = pthread_sigmask(SIG_BLOCK, &add, NULL);
	s->joined = true;
	s->tid = (pid_t)syscall(SYS_gettid);
	s->owner = getpid();
	return -rc;
}

/* Undo signal_mask_take, in the thread that joined; elsewhere (another
 * thread, a forked child) the mask is not ours to change. */
static void
signal_mask_give(struct signal_chan *s)
{
	sigset_t del;
	int sig;

	if (!s->joined || s->owner != getpid() || s->tid != (pid_t)syscall(SYS_gettid))
		return;
	s->joined = false;
	sigemptyset(&del);
	for (sig = 1; sig < _NSIG; sig++) {
		if (sigismember(&s->set, sig) != 1 || sig_refs[sig] == 0)
			continue;
		if (--sig_refs[sig] == 0 && sigismember(&sig_ours, sig) == 1) {
			sigdelset(&sig_ours, sig);
			sigaddset(&del, sig);
		}
	}
	(void)pthread_sigmask(SIG_UNBLOCK, &del, NULL);
}

static int
signal_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return -errno;
	return ipcx__fd_above_stdio((int)fd);
#else
	(void)pid;
	return -ENOSYS;
#endif
}

/* Send sig with a siginfo of ours (NULL: a permission probe, sig 0). */
static int
signal_deliver(struct signal_chan *s, int sig, const siginfo_t *si)
{
	long r;

#ifdef SYS_pidfd_send_signal
	if (s->pidfd >= 0) {
		r = syscall(SYS_pidfd_send_signal, s->pidfd, sig, si, 0);
		return r < 0 ? -errno : 0;
	}
#endif
	if (si == NULL)
		r = kill(s->pid, sig);
	else
		r = sigqueue(s->pid, sig, si->si_value);
	return r < 0 ? -errno : 0;
}

static int
signal_setup(struct ipcx_chan *ch)
{
	struct signal_chan *s = signal_of(ch);
	int n, rc;

	s->sfd = s->pidfd = -1;
	rc = signal_parse_address(&ch->uri, &s->self, &s->pid);
	if (rc < 0)
		return rc;
	rc = signal_parse_list(ipcx__uri_get(&ch->uri, "sig"), &s->set, &s->send_sig, &n);
	if (rc < 0)
		return rc;
	if (!s->self && n > 1)
		return -EINVAL;
	rc = signal_parse_allow(ipcx__uri_get(&ch->uri, "allow_uid"), s->allow, &s->nallow);
	if (rc < 0)
		return rc;
	if (ch->max == 0)
		ch->max = SIG_PAYLOAD;
	return 0;
}

static int
signal_chan_create(struct ipcx_chan *ch)
{
	ipcx__set_errmsg(ch, "a signal channel is joined, not created: signal:self to "
	                     "receive, signal:PID to send");
	return -ENOTSUP;
}

static int
signal_join_self(struct ipcx_chan *ch)
{
	struct signal_chan *s = signal_of(ch);
	int fd, rc;

	rc = signal_threads_block(ch, &s->set);
	if (rc < 0)
		return rc;
	rc = signal_mask_take(s);
	if (rc < 0)
		return rc;
	fd = signalfd(-1, &s->set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	fd = ipcx__fd_above_stdio(fd);
	if (fd < 0)
		return fd;
	s->sfd = ch->rfd = fd;
	/* A channel on self may send to itself too. */
	s->pid = getpid();
	s->pidfd = signal_pidfd_open(s->pid);
	return 0;
}

static int
signal_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	struct signal_chan *s = signal_of(ch);
	int rc;

	(void)deadline;
	rc = signal_setup(ch);
	if (rc < 0)
		return rc;
	if (s->self)
		return signal_join_self(ch);
	s->pidfd = signal_pidfd_open(s->pid);
	rc = s->pidfd == -ESRCH ? -ESRCH : signal_deliver(s, 0, NULL);
	if (rc == -ESRCH)
		ipcx__set_errmsg(ch, "no process %d", (int)s->pid);
	else if (rc == -EPERM)
		ipcx__set_errmsg(ch, "process %d belongs to another user: only its user (or a "
		                     "privileged process) may signal it",
		                 (int)s->pid);
	if (rc == 0) {
		ch->has_peer = true;
		ch->peer_pid = s->pid;
	}
	return rc;
}

/* ---- send / recv ---------------------------------------------------------- */

static ssize_t
signal_chan_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct signal_chan *s = signal_of(ch);
	uintptr_t value;
	size_t len = 0, k;
	siginfo_t si;
	int i, step = 1, rc;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > SIG_PAYLOAD)
		return -EMSGSIZE;
	value = (uintptr_t)(SIG_TAG | len) << SIG_TAG_SHIFT;
	for (len = 0, i = 0; i < iovcnt; i++)
		for (k = 0; k < iov[i].iov_len; k++, len++)
			value |= (uintptr_t)((const uint8_t *)iov[i].iov_base)[k] << (8 * len);
	/* What sigqueue(3) sends, so a receiver cannot tell the difference. */
	memset(&si, 0, sizeof(si));
	si.si_signo = s->send_sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_ptr = (void *)value;
	for (;;) {
		rc = signal_deliver(s, s->send_sig, &si);
		if (rc == 0)
			return (ssize_t)len;
		if (rc == -EAGAIN) {
			/* The receiver's queue of real-time signals is full, and
			 * nothing can be polled for room: retry with back-off. */
			rc = ipcx__backoff(ch, deadline, &step);
			if (rc < 0) {
				if (rc == -EAGAIN || rc == -ETIMEDOUT)
					ipcx__set_errmsg(ch, "the signal queue of process %d is full "
					                     "(RLIMIT_SIGPENDING)",
					                 (int)s->pid);
				return rc;
			}
			continue;
		}
		if (rc == -ESRCH) {
			ipcx__set_errmsg(ch, "process %d has exited", (int)s->pid);
			return -EPIPE;
		}
		if (rc == -EPERM)
			ipcx__set_errmsg(ch, "process %d now belongs to another user: only its "
			                     "user (or a privileged process) may signal it",
			                 (int)s->pid);
		return rc;
	}
}

static bool
signal_allowed(const struct signal_chan *s, const struct signalfd_siginfo *si)
{
	int i;

	/* The kernel's own signals (si_code > 0) come from no user. */
	if (s->nallow == 0 || si->ssi_code > 0)
		return true;
	if (si->ssi_uid == geteuid() || si->ssi_uid == getuid())
		return true;
	for (i = 0; i < s->nallow; i++)
		if (si->ssi_uid == s->allow[i])
			return true;
	return false;
}

/* What one signal says: its payload into out (8 bytes), its length. */
static size_t
signal_decode(const struct signalfd_siginfo *si, uint8_t *out, struct ipcx_msg_info *info)
{
	uintptr_t v = (uintptr_t)si->ssi_ptr;
	unsigned tag = (unsigned)(v >> SIG_TAG_SHIFT) & 0xffu;
	int32_t ival = si->ssi_int;
	size_t len = 0, k;

	memset(info, 0, sizeof(*info));
	info->fields = IPCX_INFO_SIGNO;
	info->signo = (int)si->ssi_signo;
	info->code = si->ssi_code;
	/* Who sent it, where the kernel records a sender: kill, sigqueue,
	 * tkill, a message queue notification (its sender), a child. */
	if (si->ssi_code == SI_USER || si->ssi_code == SI_QUEUE || si->ssi_code == SI_TKILL ||
	    si->ssi_code == SI_MESGQ || si->ssi_signo == SIGCHLD) {
		info->fields |= IPCX_INFO_PID | IPCX_INFO_UID;
		info->pid = (pid_t)si->ssi_pid;
		info->uid = (uid_t)si->ssi_uid;
		info->gid = (gid_t)-1; /* a signal does not say */
	}
	if (si->ssi_code == SI_QUEUE && (tag & SIG_TAG_MASK) == SIG_TAG &&
	    (tag & ~SIG_TAG_MASK) <= SIG_PAYLOAD) {
		uintptr_t body = v & (((uintptr_t)1 << SIG_TAG_SHIFT) - 1);

		len = tag & ~SIG_TAG_MASK;
		/* Bytes beyond the length are zero in what ipcx sends. */
		if (len == SIG_PAYLOAD || (body >> (8 * len)) == 0) {
			for (k = 0; k < len; k++)
				out[k] = (uint8_t)(body >> (8 * k));
			return len;
		}
	}
	if (si->ssi_code == SI_QUEUE || si->ssi_code == SI_TIMER || si->ssi_code == SI_MESGQ) {
		memcpy(out, &ival, sizeof(ival));
		return sizeof(ival);
	}
	return 0;
}

static ssize_t
signal_give_kept(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info)
{
	struct signal_chan *s = signal_of(ch);

	if (s->kept_len > cap) {
		ipcx__set_errmsg(ch, "the next message has %zu bytes, more than the %zu-byte "
		                     "buffer; it is kept for a receive with room",
		                 s->kept_len, cap);
		return -EMSGSIZE;
	}
	s->kept = false;
	if (s->kept_len > 0)
		memcpy(buf, s->kept_data, s->kept_len);
	if (info != NULL)
		*info = s->kept_info;
	return (ssize_t)s->kept_len;
}

static ssize_t
signal_chan_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
                 int64_t deadline)
{
	struct signal_chan *s = signal_of(ch);
	struct signalfd_siginfo si;
	ssize_t r;
	int rc;

	if (!s->self) {
		ipcx__set_errmsg(ch, "signal:%d only sends; receive on signal:self", (int)s->pid);
		return -ENOTSUP;
	}
	if (s->kept)
		return signal_give_kept(ch, buf, cap, info);
	for (;;) {
		bool waited = false;

		if (ipcx__rx_wait_first(&s->rx, deadline)) {
			rc = ipcx__wait_fd(ch, s->sfd, POLLIN, deadline);
			if (rc < 0)
				return rc;
			waited = true;
		}
		r = ipcx__read(s->sfd, &si, sizeof(si));
		if (r == (ssize_t)sizeof(si)) {
			if (!signal_allowed(s, &si))
				continue;
			ipcx__rx_found(&s->rx, waited);
			break;
		}
		if (r >= 0)
			return -EIO; /* the kernel reads whole records */
		if (r != -EAGAIN)
			return r;
		ipcx__rx_empty(&s->rx);
		rc = ipcx__wait_fd(ch, s->sfd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
	s->kept_len = signal_decode(&si, s->kept_data, &s->kept_info);
	s->kept = true;
	return signal_give_kept(ch, buf, cap, info);
}

/* ---- the rest -------------------------------------------------------------- */

static int
signal_chan_pollfd(struct ipcx_chan *ch)
{
	struct signal_chan *s = signal_of(ch);

	if (s->sfd < 0) {
		ipcx__set_errmsg(ch, "signal:%d only sends; receive on signal:self", (int)s->pid);
		return -ENOTSUP;
	}
	return s->sfd;
}

static void
signal_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct signal_chan *s = signal_of(ch);

	(void)remove;
	ipcx__close(s->sfd);
	ipcx__close(s->pidfd);
	s->sfd = s->pidfd = ch->rfd = -1;
	signal_mask_give(s);
}

static const struct ipcx_chan_ops signal_ops = {
	.c_create = signal_chan_create,
	.c_join = signal_chan_join,
	.c_send = signal_chan_send,
	.c_recv = signal_chan_recv,
	.c_pollfd = signal_chan_pollfd,
	.c_close = signal_chan_close,
	.c_check = signal_chan_check,
};

static const char *const signal_keys[] = { "sig", "allow_uid", "max", NULL };

const struct ipcx_transport ipcx__signal_transport = {
	.t_scheme = "signal",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct signal_chan),
	.t_caps = IPCX_CAP_MESSAGE | IPCX_CAP_POLLABLE | IPCX_CAP_PEER_CRED | IPCX_CAP_SELF,
	.t_keys = signal_keys,
	.t_ops = &signal_ops,
	.t_default_max = SIG_PAYLOAD,
	.t_summary = "signals (sigqueue, signalfd)",
	.t_address = "PID or self",
	.t_sample = "signal:self",
};
