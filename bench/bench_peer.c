/* SPDX-License-Identifier: MIT */
/*
 * bench_peer.c - the second process of every row.
 *
 * The benchmark starts it with exec (posix_spawn, or ipcx_spawn where the
 * library makes the channel with the process), so it is a program of its
 * own that joins the channel by its URI - or by IPCX_CHANNEL, as any child
 * of ipcx_spawn does - and holds nothing its parent opened but the
 * descriptors passed on purpose: the control socket and the bare ends.
 *
 *   --peer PPID,CTL,CPU,BARE,BRX,BTX,CAP,TIMEOUT [URI_RX [URI_TX]]
 *
 * CPU: the CPU to pin to (-1: none).  BARE: the bare driver's index (-1:
 * none) and its two descriptors.  CAP: the receive buffer.  TIMEOUT: of
 * every ipcx call, in milliseconds (-1: none).  No URI: join
 * $IPCX_CHANNEL; one: a two-way channel; two: one object per direction.
 * The peer then obeys the control socket until QUIT, checks every message
 * it receives and reports what it saw.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench_int.h"

#define PEER_FAIL 3

struct peer {
	int ctl;
	struct bench_link link[NLINKS];
	bool have[NLINKS];
	struct bench_pattern pat;
	uint8_t *buf;
	size_t cap;
	ipcx_chan *rx, *tx;
};

#define SPEC_FIELDS 8

static int
parse_spec(const char *s, long v[SPEC_FIELDS])
{
	char *end;
	int i;

	for (i = 0; i < SPEC_FIELDS; i++) {
		errno = 0;
		v[i] = strtol(s, &end, 10);
		if (errno != 0 || end == s ||
		    (i < SPEC_FIELDS - 1 ? *end != ',' : *end != '\0'))
			return -1;
		s = end + 1;
	}
	return 0;
}

static void
fail_report(struct peer *p, const char *what)
{
	struct ctl_msg m = { .op = CTL_FAILED };

	bench_text(m.text, sizeof(m.text), "%s", what);
	(void)ctl_send(p->ctl, &m);
}

/*
 * Receive (and for ECHO send back) messages 0, 1, ... of cmd->size until
 * cmd->count, or until one flagged last.  Integrity errors are counted and
 * the first is described; a failed transfer ends the peer.
 */
static int
peer_phase(struct peer *p, const struct ctl_msg *cmd)
{
	struct bench_link *l = &p->link[cmd->link];
	struct ctl_msg done = { .op = CTL_DONE }, go = { .op = CTL_GO };
	uint64_t i, errors = 0;
	bool last = false;

	if (ctl_send(p->ctl, &go) < 0)
		return -1;
	for (i = 0; i < cmd->count && !last; i++) {
		ssize_t n = bench_link_recv(l, p->buf, p->cap, cmd->size);
		if (n < 0) {
			fail_report(p, l->what);
			return -1;
		}
		if (bench_msg_check(&p->pat, p->buf, (size_t)n, (uint32_t)i, cmd->size, &last) < 0) {
			if (errors++ == 0)
				snprintf(done.text, sizeof(done.text),
				         "message %llu of %llu bytes arrived as %zd bytes that differ "
				         "from what was sent",
				         (unsigned long long)i, (unsigned long long)cmd->size, n);
			/* A damaged stamp must not end the phase early or late. */
			last = i + 1 == cmd->count;
		}
		if (cmd->op == CTL_ECHO && bench_link_send(l, p->buf, (size_t)n) < 0) {
			fail_report(p, l->what);
			return -1;
		}
	}
	done.a = i;
	done.b = errors;
	return ctl_send(p->ctl, &done);
}

static int
peer_handshake(struct peer *p, size_t size)
{
	uint8_t save[8];
	uint8_t *m = bench_msg_make(&p->pat, 0, size, true, save);
	int rc = bench_link_send(&p->link[LINK_IPCX], m, size);

	bench_msg_done(&p->pat, 0, save);
	if (rc < 0)
		fail_report(p, p->link[LINK_IPCX].what);
	return rc;
}

static int
peer_pin(long cpu, int *err)
{
	cpu_set_t set;

	*err = 0;
	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		*err = errno;
		return 0;
	}
	return 1;
}

int
bench_peer_main(int argc, char **argv)
{
	struct peer p;
	struct ctl_msg m = { .op = CTL_READY };
	const char *rx_uri = NULL, *tx_uri = NULL;
	long v[SPEC_FIELDS];
	sigset_t rt;
	int err = 0, rc = 0, status = PEER_FAIL, sig;

	memset(&p, 0, sizeof(p));
	if (argc < 1 || argc > 3 || parse_spec(argv[0], v) < 0 || v[6] < (long)BENCH_MIN_SIZE ||
	    v[6] > (long)BENCH_MAX_SIZE + 64 || v[7] < -1 || v[7] > 3600000) {
		fprintf(stderr, "ipcx bench --peer: started by hand? it is the benchmark's own "
		                "second process\n");
		return 2;
	}
	p.ctl = (int)v[1];
	/* As in the parent (bench.c): a real-time signal that comes after its
	 * channel closed waits in the queue instead of ending this process. */
	sigemptyset(&rt);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(&rt, sig);
	(void)sigprocmask(SIG_BLOCK, &rt, NULL);
	/* Die with the parent; if it is already gone, do not start. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != (pid_t)v[0])
		return PEER_FAIL;
	m.a = (uint64_t)peer_pin(v[2], &err);
	m.b = (uint64_t)err;
	p.cap = (size_t)v[6];
	p.buf = malloc(p.cap);
	if (p.buf == NULL || bench_pattern_init(&p.pat, p.cap) < 0) {
		fail_report(&p, "out of memory");
		goto out;
	}
	if (v[3] >= 0) {
		p.have[LINK_BARE] = true;
		p.link[LINK_BARE] = (struct bench_link){ .kind = LINK_BARE,
			                                 .bare = bare_at((int)v[3]),
			                                 .rfd = (int)v[4],
			                                 .wfd = (int)v[5] };
		if (p.link[LINK_BARE].bare == NULL) {
			fail_report(&p, "bad bare driver index");
			goto out;
		}
		if (p.link[LINK_BARE].bare->attach != NULL) {
			char why[160] = "";
			const char *addr = getenv("IPCX_BENCH_ADDR");
			err = p.link[LINK_BARE].bare->attach((int)v[4], (int)v[5],
			                                     addr != NULL ? addr : "", p.cap,
			                                     &p.link[LINK_BARE].bst, why, sizeof(why));
			if (err < 0) {
				bench_text(m.text, sizeof(m.text), "%s: %s%s%s",
				           p.link[LINK_BARE].bare->calls, strerror(-err),
				           why[0] ? ": " : "", why);
				m.op = CTL_FAILED;
				(void)ctl_send(p.ctl, &m);
				goto out;
			}
			err = 0;
		}
	}
	if (argc >= 2) {
		rx_uri = argv[1];
		tx_uri = argc == 3 ? argv[2] : NULL;
	} else if ((rx_uri = getenv("IPCX_CHANNEL")) == NULL) {
		rx_uri = NULL;
	}
	if (rx_uri != NULL) {
		rc = ipcx_join(&p.rx, rx_uri, 0);
		if (rc == 0 && tx_uri != NULL)
			rc = ipcx_join(&p.tx, tx_uri, 0);
		else if (rc == 0)
			p.tx = p.rx;
		if (rc < 0) {
			snprintf(m.text, sizeof(m.text), "join: %s: %s", ipcx_errname(rc),
			         ipcx_errmsg(NULL));
			m.op = CTL_FAILED;
			(void)ctl_send(p.ctl, &m);
			goto out;
		}
		p.have[LINK_IPCX] = true;
		p.link[LINK_IPCX] = (struct bench_link){ .kind = LINK_IPCX, .tx = p.tx, .rx = p.rx,
			                                 .timeout_ms = (int)v[7], .rfd = -1,
			                                 .wfd = -1 };
	}
	if (ctl_send(p.ctl, &m) < 0)
		goto out;
	for (;;) {
		if (ctl_recv(p.ctl, &m, -1) < 0)
			break;
		if (m.op == CTL_QUIT) {
			status = 0;
			break;
		}
		if (m.link >= NLINKS || !p.have[m.link] || m.size > p.cap ||
		    m.size < BENCH_SMALL_MIN)
			break;
		if (m.op == CTL_HANDSHAKE)
			rc = peer_handshake(&p, (size_t)m.size);
		else if (m.op == CTL_ECHO || m.op == CTL_SINK)
			rc = peer_phase(&p, &m);
		else
			break;
		if (rc < 0)
			break;
	}
out:
	if (p.have[LINK_BARE]) {
		int fds[4] = { p.link[LINK_BARE].rfd, p.link[LINK_BARE].wfd, -1, -1 };
		if (fds[1] == fds[0])
			fds[1] = -1;
		bare_close(p.link[LINK_BARE].bare, fds, p.link[LINK_BARE].bst, false);
	}
	ipcx_close(p.rx);
	if (p.tx != p.rx)
		ipcx_close(p.tx);
	bench_pattern_fini(&p.pat);
	free(p.buf);
	return status;
}
