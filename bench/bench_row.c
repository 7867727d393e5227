/* SPDX-License-Identifier: MIT */
/*
 * bench_row.c - one row of the table: a transport (a scheme, or one of its
 * variants) beside its bare mechanism, at every size.
 *
 * The ipcx channel is planned from what the library says of the scheme
 * (ipcx_scheme_info), never from its name:
 *  - a sample URI: its {dir} and {id} filled in; the parent creates, the
 *    peer joins.  If the created channel listens (ipcx_stat), the peer's
 *    join connects and the parent accepts.  A scheme that is not two-way
 *    (IPCX_SCHEME_BIDIR) gets two objects, one per direction;
 *  - no sample but ipcx_pair: the peer is started by ipcx_spawn and finds
 *    its end in IPCX_CHANNEL;
 *  - a sample with nothing to fill in and an address that is a process id
 *    ("signal:self", "PID or self"): nothing is made; each process joins
 *    the sample to receive and SCHEME:PID of the other to send;
 *  - none of these: the row says it cannot be measured.
 * A size above the channel's default max is measured on a channel made
 * with "max=SIZE", as a program that sends such messages would make it;
 * sizes within the default share one channel with the default max.  A
 * scheme whose messages are all smaller than the sizes measured (a
 * signal's 7 bytes) is measured at its own size, in the column of the
 * smallest size, its label saying so ("signal (7B)").
 *
 * For every group of sizes that share a channel the parent opens the bare
 * mechanism and the ipcx channel, starts the peer (bench_peer.c) with exec,
 * and drives both links in turn: per size a warm-up that also calibrates
 * the counts, then repetitions of bare and ipcx run back to back, in
 * alternating order (bare first, then ipcx first), each one a round-trip
 * measurement and a one-way stream.  A link that cannot carry a size (the
 * very first send answers EMSGSIZE) or fails is marked for that size, the
 * peer is ended, and the group starts again at that size without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_int.h"

extern char **environ;

#define SETUP_TIMEOUT_MS 10000
#define RECV_SLACK 64 /* the receive buffer is this much larger than the largest message */

enum plan_mode {
	MODE_NONE,
	MODE_SPAWN, /* ipcx_spawn makes the channel and the peer */
	MODE_ONE,   /* one two-way object (or a listener) */
	MODE_TWO,   /* one object per direction */
	MODE_PID,   /* joined, not made: receive on the sample, send to the other's pid */
};

enum group_result {
	GROUP_DONE,
	GROUP_RESTART, /* a link was marked at *at: start again there */
	GROUP_FATAL,   /* the row cannot go on */
};

struct group {
	struct bench_row *r;
	const struct bench_opts *o;
	struct bench_env *env;
	enum plan_mode mode;
	int first, end;               /* cells [first, end) */
	size_t need;                  /* max= of this group, 0: the default */
	bool use[NLINKS];             /* links this group drives */
	char dir[512];
	char uri[2][BENCH_URI_LEN];   /* what the parent creates: p2c (or the one), c2p */
	char join[2][BENCH_URI_LEN];  /* what the peer joins */
	ipcx_chan *made[2], *conn;
	int bfd[4];
	void *bst;                    /* the bare driver's state, this side */
	char baddr[256];              /* what the peer needs beyond bfd[2..3] */
	int ctl[2];
	pid_t pid;
	struct bench_link link[NLINKS];
	struct bench_pattern pat;
	uint8_t *rbuf;
	size_t cap;
	int64_t *ns;                  /* round-trip samples */
	long ns_cap;
};

static int group_seq;

/* The largest size this group carries. */
static size_t
group_max(const struct group *g)
{
	size_t m = 0;
	int i;

	for (i = g->first; i < g->end; i++)
		if (g->r->cells[i].size > m)
			m = g->r->cells[i].size;
	return m;
}
static bool corrupt_done;

static size_t
largest_size(const struct bench_opts *o)
{
	size_t m = 0;
	int i;

	for (i = 0; i < o->nsizes; i++)
		if (o->sizes[i] > m)
			m = o->sizes[i];
	return m;
}

/* ---- rows ------------------------------------------------------------------- */

bool
bench_disk_quick(const struct bench_row *r, const struct bench_opts *o)
{
	/* Not with --count, which fixes the counts of every row. */
	return o->quick && o->min_rtt < o->max_count && r->bare != NULL &&
	       (r->bare->flags & BARE_DISK) && BENCH_DISK_QUICK_MIN < o->min_rtt;
}

void
bench_row_init(struct bench_row *r, const char *scheme, const struct ipcx_scheme_info *info,
               const char *variant)
{
	const char *eq = variant != NULL ? strchr(variant, '=') : NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->scheme, sizeof(r->scheme), "%s", scheme);
	r->variant = variant;
	r->summary = info->summary;
	r->sample = info->sample;
	r->address = info->address;
	r->caps = info->caps;
	r->default_max = info->default_max;
	r->bare = bare_find(scheme, variant);
	/* "type=seqpacket" reads "unix seqpacket"; any other query is shown
	 * as it is ("shm spin=-1"). */
	if (variant == NULL)
		snprintf(r->label, sizeof(r->label), "%s", scheme);
	else if (eq != NULL && strchr(variant, '&') == NULL && strncmp(variant, "type=", 5) == 0)
		snprintf(r->label, sizeof(r->label), "%s %s", scheme, eq + 1);
	else
		snprintf(r->label, sizeof(r->label), "%s %s", scheme, variant);
	if (r->default_max > 0 && r->default_max < BENCH_MIN_SIZE) {
		size_t n = strlen(r->label);
		snprintf(r->label + n, sizeof(r->label) - n, " (%zuB)", r->default_max);
	}
}

void
bench_row_init_peer(struct bench_row *r, const struct bare_driver *d)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->scheme, sizeof(r->scheme), "%s", d->scheme);
	snprintf(r->label, sizeof(r->label), "%s", d->label != NULL ? d->label : d->scheme);
	r->summary = d->mechanism;
	r->peer = true;
	r->bare = d;
}

static enum plan_mode
plan_mode(const struct bench_row *r)
{
	if (r->sample != NULL && strchr(r->sample, '{') == NULL && r->address != NULL &&
	    strncmp(r->address, "PID", 3) == 0)
		return MODE_PID;
	if (r->sample != NULL)
		return (r->caps & IPCX_SCHEME_BIDIR) ? MODE_ONE : MODE_TWO;
	if (r->caps & IPCX_SCHEME_PAIR)
		return MODE_SPAWN;
	return MODE_NONE;
}

/* ---- URIs ------------------------------------------------------------------- */

/* %-escape what the URI grammar gives a meaning to, so any TMPDIR works. */
static void
uri_escape(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *s && o + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '%' || c == '?' || c == '&' || c <= ' ' || c >= 0x7f)
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static int
append(char *out, size_t outlen, size_t *n, const char *s, size_t len)
{
	if (*n + len >= outlen)
		return -ENAMETOOLONG;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = '\0';
	return 0;
}

/* The query of this group: the variant and "max=". */
static void
group_query(const struct group *g, char *q, size_t qlen)
{
	int n = snprintf(q, qlen, "%s", g->r->variant != NULL ? g->r->variant : "");

	if (g->need > 0)
		snprintf(q + n, qlen - (size_t)n, "%smax=%zu", n > 0 ? "&" : "", g->need);
}

/* uri + query, with '?' or '&' as uri needs. */
static int
add_query(char *uri, size_t len, const char *q)
{
	size_t n = strlen(uri);

	if (*q == '\0')
		return 0;
	if (append(uri, len, &n, strchr(uri, '?') ? "&" : "?", 1) < 0)
		return -ENAMETOOLONG;
	return append(uri, len, &n, q, strlen(q));
}

/* The sample template with {dir} and {id} filled in, and the query. */
static int
expand(const char *tmpl, const char *dir, const char *id, const char *q, char *out,
       size_t outlen)
{
	char edir[BENCH_URI_LEN];
	size_t n = 0;
	const char *p;

	uri_escape(dir, edir, sizeof(edir));
	out[0] = '\0';
	for (p = tmpl; *p;) {
		int rc;
		if (strncmp(p, "{dir}", 5) == 0) {
			rc = append(out, outlen, &n, edir, strlen(edir));
			p += 5;
		} else if (strncmp(p, "{id}", 4) == 0) {
			rc = append(out, outlen, &n, id, strlen(id));
			p += 4;
		} else {
			rc = append(out, outlen, &n, p, 1);
			p++;
		}
		if (rc < 0)
			return rc;
	}
	return add_query(out, outlen, q);
}

/* A fresh directory and id for object k of this group. */
static int
object_uri(struct group *g, int k, char *out, size_t outlen)
{
	char dir[600], id[64], q[128];

	snprintf(dir, sizeof(dir), "%s/o%d", g->dir, k);
	if (mkdir(dir, 0700) < 0)
		return -errno;
	snprintf(id, sizeof(id), "ipcxb-%ld-%d-%d", (long)getpid(), group_seq, k);
	group_query(g, q, sizeof(q));
	return expand(g->r->sample, dir, id, q, out, outlen);
}

/* ---- a line about a failure ---------------------------------------------------- */

static bool
environmental(int err)
{
	return err == -ENOTSUP || err == -EACCES || err == -EPERM || err == -ENOSYS ||
	       err == -EAFNOSUPPORT || err == -EPROTONOSUPPORT;
}

static void
say(char *out, size_t outlen, const char *what, int err, const char *detail)
{
	bench_text(out, outlen, "%s: %s%s%s", what, ipcx_errname(err),
	         detail != NULL && *detail ? ": " : "", detail != NULL ? detail : "");
}

/* ---- the default max ---------------------------------------------------------- */

/*
 * The largest message of the scheme's default channel, as this system
 * gives it (ipcx_stat of a channel made and closed at once): sizes above it
 * need "max=".  Returns 0, or the error that makes the row unmeasurable.
 */
static int
probe_max(struct bench_row *r, const struct bench_opts *o, size_t *ret)
{
	struct group g = { .r = r, .o = o };
	struct ipcx_stat st;
	ipcx_chan *a = NULL, *b = NULL;
	char uri[BENCH_URI_LEN], q[128];
	int rc;

	group_query(&g, q, sizeof(q));
	if (plan_mode(r) == MODE_PID) {
		/* Nothing to make and stat: the scheme's word stands. */
		*ret = r->default_max;
		return 0;
	}
	if (plan_mode(r) == MODE_SPAWN) {
		snprintf(uri, sizeof(uri), "%s:", r->scheme);
		rc = add_query(uri, sizeof(uri), q);
		if (rc == 0)
			rc = ipcx_pair(uri, &a, &b);
	} else {
		snprintf(g.dir, sizeof(g.dir), "%s/probe-%d", o->dir, group_seq++);
		rc = mkdir(g.dir, 0700) < 0 ? -errno : object_uri(&g, 0, uri, sizeof(uri));
		if (rc == 0)
			rc = ipcx_create(&a, uri, IPCX_EXCL);
	}
	if (rc < 0) {
		say(r->why, sizeof(r->why), uri, rc, ipcx_errmsg(NULL));
		return rc;
	}
	rc = ipcx_stat(a, &st);
	*ret = rc == 0 ? st.max_msg : 0;
	ipcx_close(a);
	ipcx_close(b);
	if (rc < 0)
		say(r->why, sizeof(r->why), "ipcx_stat", rc, NULL);
	return rc;
}

/* ---- the peer ------------------------------------------------------------------- */

static int
reap(pid_t pid, bool kill_now)
{
	int64_t until = bench_now_ns() + 2000000000;
	int st = 0;

	if (pid <= 0)
		return 0;
	if (kill_now)
		(void)kill(pid, SIGKILL);
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return st;
		if (w < 0 && errno != EINTR)
			return -1;
		if (bench_now_ns() > until) {
			(void)kill(pid, SIGKILL);
			until = INT64_MAX;
		}
		usleep(1000);
	}
}

/* Start the peer with exec: ipcx_spawn where the library makes the
 * channel with the process, posix_spawn otherwise. */
static int
peer_start(struct group *g, char *why, size_t whylen)
{
	const struct bench_opts *o = g->o;
	char spec[200];
	char *argv[8];
	int argc = 0, rc, i;
	posix_spawnattr_t attr;
	sigset_t none;

	snprintf(spec, sizeof(spec), "%ld,%d,%d,%d,%d,%d,%zu,%d", (long)getpid(), g->ctl[1],
	         g->env->cpu_rx, g->use[LINK_BARE] ? bare_index(g->r->bare) : -1,
	         g->use[LINK_BARE] ? g->bfd[2] : -1, g->use[LINK_BARE] ? g->bfd[3] : -1,
	         g->cap, o->timeout_ms);
	argv[argc++] = (char *)"/proc/self/exe";
	if (o->self[0])
		argv[argc++] = (char *)o->self;
	argv[argc++] = (char *)"--peer";
	argv[argc++] = spec;
	if (g->use[LINK_IPCX] && g->mode != MODE_SPAWN) {
		argv[argc++] = g->join[0];
		if (g->mode == MODE_TWO || g->mode == MODE_PID)
			argv[argc++] = g->join[1];
	}
	argv[argc] = NULL;
	/* Only what is passed on purpose crosses the exec: these lose
	 * FD_CLOEXEC, and the parent closes them once the peer runs. */
	(void)fcntl(g->ctl[1], F_SETFD, 0);
	for (i = 2; i < 4; i++)
		if (g->bfd[i] >= 0 && g->use[LINK_BARE] && !(g->r->bare->flags & BARE_IDS))
			(void)fcntl(g->bfd[i], F_SETFD, 0);
	if (g->baddr[0])
		setenv("IPCX_BENCH_ADDR", g->baddr, 1);
	else
		unsetenv("IPCX_BENCH_ADDR");
	fflush(NULL);
	if (g->use[LINK_IPCX] && g->mode == MODE_SPAWN) {
		rc = ipcx_spawn(argv, g->uri[0], &g->conn, &g->pid);
		if (rc < 0)
			say(why, whylen, "ipcx_spawn", rc, ipcx_errmsg(NULL));
		return rc;
	}
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&g->pid, argv[0], NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		say(why, whylen, "posix_spawn", -rc, NULL);
		return -rc;
	}
	return 0;
}

/* ---- measurements ------------------------------------------------------------ */

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

enum phase_result { PHASE_OK, PHASE_SKIP, PHASE_FAIL };

struct phase {
	long n;          /* messages moved */
	int64_t ns;      /* the span measured */
	double p50_us, p99_us, p999_us, max_us;
	uint64_t errors; /* integrity, both processes */
	char why[200];
};

/* The peer's DONE, or why it did not come. */
static int
await_done(struct group *g, struct bench_link *l, long sent, struct phase *ph)
{
	struct ctl_msg m;
	int rc = ctl_recv(g->ctl[0], &m, (int)g->o->watchdog_s * 1000);

	if (rc < 0 || m.op != CTL_DONE) {
		if (bench_stop == SIGALRM)
			snprintf(ph->why, sizeof(ph->why), "timed out after %u s", g->o->watchdog_s);
		else if (rc == 0 && m.op == CTL_FAILED)
			snprintf(ph->why, sizeof(ph->why), "peer: %s", m.text);
		else
			snprintf(ph->why, sizeof(ph->why), "peer: %s",
			         rc == -EPIPE ? "exited" : ipcx_errname(rc));
		(void)l;
		return -1;
	}
	ph->errors += m.b;
	if (m.b > 0 && ph->why[0] == '\0')
		snprintf(ph->why, sizeof(ph->why), "peer: %s", m.text);
	if ((long)m.a != sent) {
		ph->errors++;
		if (ph->why[0] == '\0')
			snprintf(ph->why, sizeof(ph->why), "%ld sent, %llu received", sent,
			         (unsigned long long)m.a);
	}
	return 0;
}

/* The phase failed on the parent's side: say why; EMSGSIZE on the very
 * first send means the link cannot carry the size at all. */
static enum phase_result
phase_error(struct group *g, struct bench_link *l, long i, int rc, struct phase *ph)
{
	struct ctl_msg m;

	/* The peer may have said more (it saw the link fail first). */
	if (ctl_recv(g->ctl[0], &m, 0) == 0 && m.op == CTL_FAILED)
		bench_text(ph->why, sizeof(ph->why), "%s (peer: %s)", l->what, m.text);
	else if (bench_stop == SIGALRM)
		snprintf(ph->why, sizeof(ph->why), "timed out after %u s", g->o->watchdog_s);
	else
		snprintf(ph->why, sizeof(ph->why), "%s", l->what);
	return i == 0 && rc == -EMSGSIZE ? PHASE_SKIP : PHASE_FAIL;
}

static int
await_go(struct group *g, struct phase *ph)
{
	struct ctl_msg m;
	int rc = ctl_recv(g->ctl[0], &m, SETUP_TIMEOUT_MS);

	if (rc == 0 && m.op == CTL_GO)
		return 0;
	snprintf(ph->why, sizeof(ph->why), "peer: %s",
	         rc == 0 && m.op == CTL_FAILED ? m.text : "did not answer");
	return -1;
}

/*
 * count round trips of size bytes (fewer if cap_ns passes first): the
 * parent sends, the peer checks and sends the message back, the parent
 * checks it.  p50/p99 of the samples.
 */
static enum phase_result
phase_echo(struct group *g, int which, size_t size, long count, int64_t cap_ns,
           struct phase *ph)
{
	struct bench_link *l = &g->link[which];
	struct ctl_msg cmd = { .op = CTL_ECHO, .link = (uint32_t)which, .size = size,
		               .count = (uint64_t)count };
	int64_t start, t0, t1;
	bool last = false, rlast;
	long i;

	memset(ph, 0, sizeof(*ph));
	if (count > g->ns_cap)
		count = g->ns_cap;
	alarm(g->o->watchdog_s);
	if (ctl_send(g->ctl[0], &cmd) < 0 || await_go(g, ph) < 0)
		return PHASE_FAIL;
	start = bench_now_ns();
	for (i = 0; !last; i++) {
		uint8_t save[8], *m;
		ssize_t n;
		int rc;

		last = i + 1 >= count || bench_now_ns() - start > cap_ns;
		m = bench_msg_make(&g->pat, (uint32_t)i, size, last, save);
		t0 = bench_now_ns();
		rc = bench_link_send(l, m, size);
		bench_msg_done(&g->pat, (uint32_t)i, save);
		if (rc < 0)
			return phase_error(g, l, i, rc, ph);
		n = bench_link_recv(l, g->rbuf, g->cap, size);
		t1 = bench_now_ns();
		if (n < 0)
			return phase_error(g, l, i, (int)n, ph);
		if (bench_msg_check(&g->pat, g->rbuf, (size_t)n, (uint32_t)i, size, &rlast) < 0 &&
		    ph->errors++ == 0)
			snprintf(ph->why, sizeof(ph->why),
			         "round trip %ld: the %zu bytes that came back differ", i, size);
		g->ns[i] = t1 - t0;
	}
	ph->n = i;
	ph->ns = bench_now_ns() - start;
	if (await_done(g, l, i, ph) < 0)
		return PHASE_FAIL;
	alarm(0);
	qsort(g->ns, (size_t)i, sizeof(*g->ns), cmp_i64);
	ph->p50_us = (double)g->ns[i / 2] / 1e3;
	ph->p99_us = (double)g->ns[(i * 99 + 99) / 100 - 1] / 1e3;
	ph->p999_us = (double)g->ns[(i * 999 + 999) / 1000 - 1] / 1e3;
	ph->max_us = (double)g->ns[i - 1] / 1e3;
	return PHASE_OK;
}

/*
 * count messages one way (fewer if cap_ns passes first, the last one
 * flagged): the clock runs from the first send to the peer's DONE, which
 * it sends once it has received and checked every message.
 */
static enum phase_result
phase_sink(struct group *g, int which, size_t size, long count, int64_t cap_ns, bool corrupt,
           struct phase *ph)
{
	struct bench_link *l = &g->link[which];
	struct ctl_msg cmd = { .op = CTL_SINK, .link = (uint32_t)which, .size = size,
		               .count = (uint64_t)count };
	int64_t start;
	bool last = false;
	long i;

	memset(ph, 0, sizeof(*ph));
	alarm(g->o->watchdog_s);
	if (ctl_send(g->ctl[0], &cmd) < 0 || await_go(g, ph) < 0)
		return PHASE_FAIL;
	start = bench_now_ns();
	for (i = 0; !last; i++) {
		uint8_t save[8], *m;
		int rc;

		/* The clock is read every 16 messages only: at 64 bytes a
		 * read per message would be a visible part of the cost. */
		last = i + 1 >= count || ((i & 15) == 15 && bench_now_ns() - start > cap_ns);
		m = bench_msg_make(&g->pat, (uint32_t)i, size, last, save);
		if (corrupt && i == 1)
			m[size / 2] ^= 0x20;
		rc = bench_link_send(l, m, size);
		if (corrupt && i == 1)
			m[size / 2] ^= 0x20;
		bench_msg_done(&g->pat, (uint32_t)i, save);
		if (rc < 0)
			return phase_error(g, l, i, rc, ph);
	}
	ph->n = i;
	if (await_done(g, l, i, ph) < 0)
		return PHASE_FAIL;
	ph->ns = bench_now_ns() - start;
	alarm(0);
	return PHASE_OK;
}

/* ---- one cell ---------------------------------------------------------------- */

static long
clamp_count(double v, long lo, long hi)
{
	if (v < (double)lo)
		return lo;
	if (v > (double)hi)
		return hi;
	return (long)v;
}

static void
mark(struct bench_cell *c, int which, enum cell_state st, const char *why)
{
	c->state[which] = st;
	bench_text(c->why[which], sizeof(c->why[which]), "%s", why);
}

/* A phase went wrong: mark the link for this cell and say why. */
static void
phase_mark(struct group *g, struct bench_cell *c, int which, enum phase_result pr,
           const struct phase *ph)
{
	char why[220];

	g->r->errors += (long)ph->errors;
	if (pr == PHASE_OK && ph->errors > 0)
		snprintf(why, sizeof(why), "integrity: %s", ph->why[0] ? ph->why : "errors");
	else
		snprintf(why, sizeof(why), "%s", ph->why[0] ? ph->why : "failed");
	mark(c, which, pr == PHASE_SKIP ? CELL_SKIP : CELL_FAIL, why);
}

/* One round-trip pass and one stream of link which; ph: the stream's. */
static enum phase_result
phase_both(struct group *g, int which, size_t size, long rtt_count, long stream_count,
           int64_t cap_ns, bool corrupt, struct bench_fig *f, struct phase *ph)
{
	enum phase_result pr = PHASE_OK;

	memset(ph, 0, sizeof(*ph));
	if (g->o->phase_rtt) {
		pr = phase_echo(g, which, size, rtt_count, cap_ns, ph);
		g->r->checked += ph->n * 2; /* the peer checks it, and so does the parent */
		if (pr != PHASE_OK || ph->errors > 0)
			return pr;
		f->p50_us = ph->p50_us;
		f->p99_us = ph->p99_us;
		f->p999_us = ph->p999_us;
		f->max_us = ph->max_us;
		f->rtt_n = ph->n;
	}
	if (g->o->phase_stream) {
		pr = phase_sink(g, which, size, stream_count, cap_ns, corrupt, ph);
		g->r->checked += ph->n;
		if (pr != PHASE_OK || ph->errors > 0)
			return pr;
		f->stream_n = ph->n;
		f->msgs_s = (double)ph->n * 1e9 / (double)(ph->ns > 0 ? ph->ns : 1);
		f->mb_s = f->msgs_s * (double)size / 1e6;
	}
	return PHASE_OK;
}

/*
 * Measure one size on every link the group drives.  Returns 0, or -1 once
 * a link was marked (skipped or failed) for this cell: the peer may then
 * be waiting for messages that never come, so the group must end.
 */
static int
cell_run(struct group *g, struct bench_cell *c)
{
	const struct bench_opts *o = g->o;
	int64_t warm_ns = o->target_ns / 4, cap_ns = o->target_ns * 4;
	long rtt_count = 0, stream_count = 0, min_rtt = o->min_rtt, min_stream = o->min_stream;
	struct phase ph;
	enum phase_result pr;
	int order[NLINKS], k, rep;

	if (bench_disk_quick(g->r, o)) {
		min_rtt = BENCH_DISK_QUICK_MIN;
		min_stream = BENCH_DISK_QUICK_MIN;
	}

	/* Warm-up, untimed: caches, page faults, CPU frequency, and the
	 * first send of a size some mechanisms refuse.  ipcx goes first, so
	 * the bare pipe can then be sized as ipcx sized its own.  The link
	 * warmed last (bare, where there is one) sets the counts, so both
	 * sides of every pair move the same number of messages. */
	for (k = NLINKS - 1; k >= 0; k--) {
		if (!g->use[k] || c->state[k] != CELL_NOT_RUN)
			continue;
		if (k == LINK_BARE && g->r->bare->match != NULL)
			c->pipe_buf = g->r->bare->match(g->bfd);
		/* A side not asked for is opened all the same, so the other
		 * has the geometry it would have beside it, but not driven. */
		if (!o->side[k])
			continue;
		rtt_count = min_rtt;
		stream_count = min_stream;
		memset(&ph, 0, sizeof(ph));
		pr = PHASE_OK;
		if (o->phase_rtt) {
			pr = phase_echo(g, k, c->size, o->max_count, warm_ns, &ph);
			g->r->checked += ph.n * 2;
			if (pr == PHASE_OK && ph.errors == 0)
				rtt_count = clamp_count((double)o->target_ns * (double)ph.n /
				                                (double)(ph.ns > 0 ? ph.ns : 1),
				                        min_rtt, o->max_count);
		}
		if (o->phase_stream && pr == PHASE_OK && ph.errors == 0) {
			pr = phase_sink(g, k, c->size, o->max_count, warm_ns, false, &ph);
			g->r->checked += ph.n;
			if (pr == PHASE_OK && ph.errors == 0)
				stream_count = clamp_count((double)o->target_ns * (double)ph.n /
				                                   (double)(ph.ns > 0 ? ph.ns : 1),
				                           min_stream, o->max_count);
		}
		if (pr != PHASE_OK || ph.errors > 0) {
			phase_mark(g, c, k, pr, &ph);
			return -1;
		}
	}
	for (rep = 0; rep < o->reps; rep++) {
		/* bare, ipcx; then ipcx, bare: a drift of the machine during
		 * the run weighs on both sides alike. */
		order[0] = rep % 2 == 0 ? LINK_BARE : LINK_IPCX;
		order[1] = rep % 2 == 0 ? LINK_IPCX : LINK_BARE;
		for (k = 0; k < NLINKS; k++) {
			int x = order[k];
			bool corrupt = x == LINK_IPCX && o->test_corrupt && !corrupt_done;
			if (!g->use[x] || !o->side[x] || c->state[x] != CELL_NOT_RUN)
				continue;
			if (corrupt)
				corrupt_done = true;
			pr = phase_both(g, x, c->size, rtt_count, stream_count, cap_ns, corrupt,
			                &c->rep[rep][x], &ph);
			if (pr != PHASE_OK || ph.errors > 0) {
				phase_mark(g, c, x, pr, &ph);
				return -1;
			}
		}
		c->nrep = rep + 1;
	}
	for (k = 0; k < NLINKS; k++)
		if (g->use[k] && c->state[k] == CELL_NOT_RUN) {
			if (o->side[k])
				c->state[k] = CELL_OK;
			else
				mark(c, k, CELL_SKIP, "not asked for (--side)");
		}
	return 0;
}

/* ---- one group ---------------------------------------------------------------- */

static void
group_close(struct group *g, bool kill_peer)
{
	int k, st;

	for (k = 0; k < BENCH_LIVE_MAX; k++)
		bench_live[k] = NULL;
	if (g->pid > 0) {
		if (!kill_peer) {
			struct ctl_msg q = { .op = CTL_QUIT };
			(void)ctl_send(g->ctl[0], &q);
		}
		st = reap(g->pid, kill_peer);
		(void)st;
		g->pid = 0;
	}
	ipcx_close(g->conn);
	ipcx_close(g->made[0]);
	ipcx_close(g->made[1]);
	g->conn = g->made[0] = g->made[1] = NULL;
	bare_close(g->r->bare, g->bfd, g->bst, true);
	g->bst = NULL;
	for (k = 0; k < 2; k++)
		if (g->ctl[k] >= 0)
			close(g->ctl[k]);
	g->ctl[0] = g->ctl[1] = -1;
	bench_pattern_fini(&g->pat);
	free(g->rbuf);
	free(g->ns);
	g->rbuf = NULL;
	g->ns = NULL;
}

/* Mark every cell of the group that this link has not done yet. */
static void
mark_rest(struct group *g, int which, enum cell_state st, const char *why)
{
	int i;

	for (i = g->first; i < g->end; i++)
		if (g->r->cells[i].state[which] == CELL_NOT_RUN)
			mark(&g->r->cells[i], which, st, why);
}

/* SCHEME:PID and the group's query: how one process sends to another. */
static int
pid_uri(const struct group *g, pid_t pid, char *out, size_t outlen)
{
	char q[128];

	group_query(g, q, sizeof(q));
	if (snprintf(out, outlen, "%s:%ld", g->r->scheme, (long)pid) >= (int)outlen)
		return -ENAMETOOLONG;
	return add_query(out, outlen, q);
}

/* The parent's side of the ipcx channel, before the peer starts. */
static int
ipcx_open(struct group *g, char *why, size_t whylen)
{
	struct ipcx_stat st;
	char q[128];
	int rc = 0, k;

	group_query(g, q, sizeof(q));
	switch (g->mode) {
	case MODE_SPAWN:
		snprintf(g->uri[0], sizeof(g->uri[0]), "%s:", g->r->scheme);
		return add_query(g->uri[0], sizeof(g->uri[0]), q);
	case MODE_ONE:
	case MODE_TWO:
		for (k = 0; k < (g->mode == MODE_TWO ? 2 : 1) && rc == 0; k++) {
			rc = object_uri(g, k, g->uri[k], sizeof(g->uri[k]));
			if (rc == 0)
				rc = ipcx_create(&g->made[k], g->uri[k], IPCX_EXCL);
			if (rc < 0) {
				say(why, whylen, g->uri[k], rc, ipcx_errmsg(NULL));
				return rc;
			}
			snprintf(g->join[k], sizeof(g->join[k]), "%s", g->uri[k]);
		}
		/* A listener: the peer connects to the address it is bound
		 * to (a tcp port 0 is a real port now). */
		if (ipcx_stat(g->made[0], &st) == 0 && st.listening) {
			bench_text(g->join[0], sizeof(g->join[0]), "%s", st.uri);
			if (strchr(st.uri, '?') == NULL)
				(void)add_query(g->join[0], sizeof(g->join[0]), q);
		}
		return 0;
	case MODE_PID:
		/* The parent receives from before the peer exists, so nothing
		 * the peer sends can find it unready; it joins the peer's pid
		 * once the peer runs (ipcx_connect). */
		rc = expand(g->r->sample, g->dir, "", q, g->uri[1], sizeof(g->uri[1]));
		if (rc == 0)
			rc = pid_uri(g, getpid(), g->join[1], sizeof(g->join[1]));
		if (rc == 0) {
			snprintf(g->join[0], sizeof(g->join[0]), "%s", g->uri[1]);
			rc = ipcx_join(&g->made[1], g->uri[1], 0);
		}
		if (rc < 0)
			say(why, whylen, g->uri[1], rc, ipcx_errmsg(NULL));
		return rc;
	case MODE_NONE:
		break;
	}
	return -ENOTSUP;
}

/* The parent's side once the peer runs: accept, the first message. */
static int
ipcx_connect(struct group *g, char *why, size_t whylen)
{
	struct ctl_msg hs = { .op = CTL_HANDSHAKE, .link = LINK_IPCX, .size = BENCH_MIN_SIZE };
	struct ipcx_stat st;
	ipcx_chan *tx, *rx;
	bool last;
	ssize_t n;
	int rc, i;

	/* The first message is of a size the channel carries. */
	for (i = g->first; i < g->end; i++)
		if (g->r->cells[i].size < hs.size)
			hs.size = g->r->cells[i].size;
	if (g->mode == MODE_SPAWN) {
		tx = rx = g->conn;
	} else if (g->mode == MODE_PID) {
		rc = pid_uri(g, g->pid, g->uri[0], sizeof(g->uri[0]));
		if (rc == 0)
			rc = ipcx_join(&g->made[0], g->uri[0], 0);
		if (rc < 0) {
			say(why, whylen, g->uri[0], rc, ipcx_errmsg(NULL));
			return rc;
		}
		bench_live[0] = g->made[0];
		tx = g->made[0];
		rx = g->made[1];
	} else if (ipcx_stat(g->made[0], &st) == 0 && st.listening) {
		rc = ipcx_accept(g->made[0], &g->conn, SETUP_TIMEOUT_MS);
		if (rc < 0) {
			say(why, whylen, "ipcx_accept", rc, ipcx_errmsg(g->made[0]));
			return rc;
		}
		tx = rx = g->conn;
	} else {
		tx = g->made[0];
		rx = g->mode == MODE_TWO ? g->made[1] : g->made[0];
	}
	bench_live[2] = g->conn;
	g->link[LINK_IPCX] = (struct bench_link){ .kind = LINK_IPCX, .tx = tx, .rx = rx,
		                                  .timeout_ms = g->o->timeout_ms, .rfd = -1,
		                                  .wfd = -1 };
	/* The peer speaks first: a datagram server can only answer, and a
	 * FIFO's first reader is the parent's receive. */
	if (ctl_send(g->ctl[0], &hs) < 0)
		return -EPIPE;
	n = ipcx_recv(rx, g->rbuf, g->cap, SETUP_TIMEOUT_MS);
	if (n < 0) {
		say(why, whylen, "first message: ipcx_recv", (int)n, ipcx_errmsg(rx));
		return (int)n;
	}
	if (bench_msg_check(&g->pat, g->rbuf, (size_t)n, 0, hs.size, &last) < 0) {
		snprintf(why, whylen, "integrity: the first message differs from what was sent");
		g->r->errors++;
		return -EPROTO;
	}
	return 0;
}

static enum group_result
group_run(struct bench_row *r, const struct bench_opts *o, struct bench_env *env, int first,
          int end, size_t need, int *at)
{
	struct group g = { .r = r, .o = o, .env = env, .mode = plan_mode(r), .first = first,
		           .end = end, .need = need, .bfd = { -1, -1, -1, -1 },
		           .ctl = { -1, -1 } };
	char why[300] = "";
	struct ctl_msg m;
	int rc, i;
	enum group_result res = GROUP_DONE;

	g.cap = largest_size(o) + RECV_SLACK;
	g.ns_cap = o->max_count;
	g.rbuf = malloc(g.cap);
	g.ns = malloc(sizeof(*g.ns) * (size_t)g.ns_cap);
	if (g.rbuf == NULL || g.ns == NULL || bench_pattern_init(&g.pat, g.cap) < 0) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		group_close(&g, true);
		return GROUP_FATAL;
	}
	/* Which links still have work in this group. */
	for (i = first; i < end; i++) {
		g.use[LINK_BARE] |= r->bare != NULL && r->cells[i].state[LINK_BARE] == CELL_NOT_RUN;
		g.use[LINK_IPCX] |= r->cells[i].state[LINK_IPCX] == CELL_NOT_RUN;
	}
	snprintf(g.dir, sizeof(g.dir), "%s/g%d", o->dir, ++group_seq);
	if (mkdir(g.dir, 0700) < 0) {
		say(r->why, sizeof(r->why), g.dir, -errno, NULL);
		group_close(&g, true);
		return GROUP_FATAL;
	}
	if (g.use[LINK_BARE]) {
		struct bare_open bo = { .dir = g.dir, .max = group_max(&g) };
		rc = r->bare->open(&bo, g.bfd, &g.bst);
		if (rc < 0) {
			/* A size this system's limits refuse is skipped, saying
			 * which limit; anything else is a failure. */
			if (rc == -EMSGSIZE)
				snprintf(why, sizeof(why), "%s", bo.why);
			else
				say(why, sizeof(why), r->bare->mechanism, rc, bo.why);
			mark_rest(&g, LINK_BARE, rc == -EMSGSIZE ? CELL_SKIP : CELL_FAIL, why);
			g.use[LINK_BARE] = false;
			g.bfd[0] = g.bfd[1] = g.bfd[2] = g.bfd[3] = -1;
			g.bst = NULL;
		} else {
			snprintf(g.baddr, sizeof(g.baddr), "%s", bo.addr);
			g.link[LINK_BARE] = (struct bench_link){ .kind = LINK_BARE, .bare = r->bare,
				                                 .bst = g.bst, .rfd = g.bfd[0],
				                                 .wfd = g.bfd[1] };
		}
	}
	if (g.use[LINK_IPCX] && ipcx_open(&g, why, sizeof(why)) < 0) {
		/* A "max=" the scheme refuses: those sizes are beyond it. */
		mark_rest(&g, LINK_IPCX, need > 0 ? CELL_SKIP : CELL_FAIL, why);
		g.use[LINK_IPCX] = false;
	}
	bench_live[0] = g.made[0];
	bench_live[1] = g.made[1];
	if (!g.use[LINK_BARE] && !g.use[LINK_IPCX])
		goto out;
	if (g.use[LINK_BARE] && g.use[LINK_IPCX] && r->bare->match != NULL)
		(void)r->bare->match(g.bfd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, g.ctl) < 0 ||
	    peer_start(&g, why, sizeof(why)) < 0) {
		if (why[0] == '\0')
			say(why, sizeof(why), "socketpair", -errno, NULL);
		if (g.use[LINK_IPCX] && g.mode == MODE_SPAWN) {
			mark_rest(&g, LINK_IPCX, CELL_FAIL, why);
			res = GROUP_RESTART;
			*at = first;
		} else {
			snprintf(r->why, sizeof(r->why), "%s", why);
			res = GROUP_FATAL;
		}
		goto out;
	}
	close(g.ctl[1]);
	g.ctl[1] = -1;
	if (g.use[LINK_BARE] && r->bare->started != NULL)
		r->bare->started(g.bst, g.pid);
	if (r->bare == NULL || !(r->bare->flags & BARE_IDS)) {
		if (g.bfd[2] != g.bfd[0] && g.bfd[2] != g.bfd[1] && g.bfd[2] >= 0)
			close(g.bfd[2]);
		if (g.bfd[3] != g.bfd[1] && g.bfd[3] != g.bfd[0] && g.bfd[3] >= 0 &&
		    g.bfd[3] != g.bfd[2])
			close(g.bfd[3]);
	}
	g.bfd[2] = g.bfd[3] = -1;

	rc = ctl_recv(g.ctl[0], &m, SETUP_TIMEOUT_MS);
	if (rc < 0 || m.op != CTL_READY) {
		if (rc == 0 && m.op == CTL_FAILED && g.use[LINK_IPCX]) {
			/* The peer could not join: an ipcx failure, the bare
			 * side can still run without it. */
			snprintf(why, sizeof(why), "peer: %s", m.text);
			mark_rest(&g, LINK_IPCX, CELL_FAIL, why);
			res = GROUP_RESTART;
			*at = first;
		} else {
			snprintf(r->why, sizeof(r->why), "the peer process did not start: %s",
			         rc < 0 ? ipcx_errname(rc) : m.text);
			res = GROUP_FATAL;
		}
		goto out;
	}
	if (env->cpu_rx >= 0 && m.a == 0 && env->pinned) {
		env->pinned = false;
		snprintf(env->pin_why, sizeof(env->pin_why),
		         "the receiver could not pin itself to CPU %d: %s", env->cpu_rx,
		         strerror((int)m.b));
	}
	if (g.use[LINK_IPCX] && ipcx_connect(&g, why, sizeof(why)) < 0) {
		mark_rest(&g, LINK_IPCX, CELL_FAIL, why);
		res = GROUP_RESTART;
		*at = first;
		goto out;
	}
	for (i = first; i < end; i++) {
		if (bench_stop == SIGINT || bench_stop == SIGTERM) {
			res = GROUP_FATAL;
			break;
		}
		if (cell_run(&g, &r->cells[i]) < 0) {
			res = GROUP_RESTART;
			*at = i;
			break;
		}
		snprintf(r->cells[i].uri, sizeof(r->cells[i].uri), "%s",
		         g.use[LINK_IPCX] ? g.uri[0] : "");
	}
out:
	alarm(0);
	group_close(&g, res != GROUP_DONE);
	if (bench_stop == SIGALRM)
		bench_stop = 0; /* the watchdog ended one phase, not the run */
	return res;
}

/* ---- the row ---------------------------------------------------------------- */

static void row_run(struct bench_row *r, const struct bench_opts *o, struct bench_env *env);
static int fork_seq;

/*
 * A row measured from a child of the run (BARE_FORK: a library whose
 * processes stay registered with a daemon until they exit): the child
 * measures the row as the run would and hands the row back whole; it is a
 * fork, so every pointer in it means the same in the parent.
 */
static void
row_run_forked(struct bench_row *r, const struct bench_opts *o, struct bench_env *env)
{
	struct {
		struct bench_row row;
		struct bench_env env;
	} *back = malloc(sizeof(*back));
	size_t got = 0;
	int p[2], st;
	pid_t pid;

	if (back == NULL || pipe2(p, O_CLOEXEC) < 0) {
		free(back);
		r->state = ROW_FAILED;
		snprintf(r->why, sizeof(r->why), "cannot start the measuring process");
		return;
	}
	fflush(NULL);
	fork_seq++;
	pid = fork();
	if (pid == 0) {
		/* Names the parent's later rows cannot take. */
		group_seq = fork_seq * 100000;
		close(p[0]);
		row_run(r, o, env);
		back->row = *r;
		back->env = *env;
		for (got = 0; got < sizeof(*back);) {
			ssize_t w = write(p[1], (char *)back + got, sizeof(*back) - got);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			got += (size_t)w;
		}
		/* exit, not _exit: the library's own exit handlers leave its
		 * daemon; stdio was flushed before the fork. */
		exit(0);
	}
	close(p[1]);
	while (pid > 0 && got < sizeof(*back)) {
		ssize_t n = read(p[0], (char *)back + got, sizeof(*back) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got == sizeof(*back)) {
		*r = back->row;
		if (!back->env.pinned && env->pinned) {
			env->pinned = false;
			snprintf(env->pin_why, sizeof(env->pin_why), "%s", back->env.pin_why);
		}
	} else {
		r->state = ROW_FAILED;
		snprintf(r->why, sizeof(r->why), "the process measuring this row %s",
		         pid < 0 ? "could not start" : "died before it reported");
	}
	free(back);
}

void
bench_row_run(struct bench_row *r, const struct bench_opts *o, struct bench_env *env)
{
	char why[300] = "";

	if (r->peer && bench_peer_prepare(r->bare, why, sizeof(why)) < 0) {
		r->ncells = 0;
		r->state = ROW_UNAVAILABLE;
		snprintf(r->why, sizeof(r->why), "%s", why);
		return;
	}
	if (r->bare != NULL && (r->bare->flags & BARE_FORK))
		row_run_forked(r, o, env);
	else
		row_run(r, o, env);
}

static void
row_run(struct bench_row *r, const struct bench_opts *o, struct bench_env *env)
{
	size_t defmax = 0;
	int i, k, rc, at;

	r->ncells = o->nsizes;
	for (i = 0; i < o->nsizes; i++) {
		r->cells[i].size = o->sizes[i];
		if (r->bare == NULL || r->bare->open == NULL)
			mark(&r->cells[i], LINK_BARE, CELL_SKIP,
			     r->bare != NULL && (r->bare->flags & BARE_NONE)
			             ? "no bare equivalent"
			             : "no bare driver for this scheme");
		if (r->peer)
			mark(&r->cells[i], LINK_IPCX, CELL_SKIP, "not asked for: a peer row");
	}
	if (r->peer) {
		/* Another library: one group over every size, no ipcx side. */
		if (group_run(r, o, env, 0, o->nsizes, 0, &at) == GROUP_FATAL)
			r->state = ROW_FAILED;
		goto states;
	}
	if (r->default_max > 0 && r->default_max < BENCH_MIN_SIZE) {
		/* Every size asked for is larger than the mechanism's messages:
		 * measure it at its own size, in the column of the smallest. */
		char why[200], col[24];
		bool own = r->default_max >= BENCH_SMALL_MIN && plan_mode(r) != MODE_NONE;
		int js = 0, tries;

		for (i = 1; i < o->nsizes; i++)
			if (o->sizes[i] < o->sizes[js])
				js = i;
		bench_size_label(o->sizes[js], col, sizeof(col));
		if (own)
			bench_text(why, sizeof(why), "%s: %zu-byte messages only (measured at %zu B, "
			           "in the %s column)", r->scheme, r->default_max, r->default_max, col);
		else
			bench_text(why, sizeof(why), "%s: %zu-byte messages only; every size measured "
			           "here is larger", r->scheme, r->default_max);
		for (i = 0; i < o->nsizes; i++)
			for (k = 0; k < NLINKS; k++)
				if (i != js || !own)
					mark(&r->cells[i], k, CELL_SKIP, why);
		if (!own)
			return;
		r->cells[js].size = r->default_max;
		/* A restart marks a link: at most one per link, then done. */
		for (tries = 0; tries <= NLINKS; tries++) {
			enum group_result gr = group_run(r, o, env, js, js + 1, 0, &at);
			if (gr == GROUP_FATAL)
				r->state = ROW_FAILED;
			if (gr != GROUP_RESTART)
				break;
		}
		goto states;
	}
	if (plan_mode(r) == MODE_NONE) {
		r->state = ROW_UNAVAILABLE;
		snprintf(r->why, sizeof(r->why),
		         "no sample URI, and ipcx_pair cannot make it: the benchmark cannot "
		         "open a private instance");
		return;
	}
	rc = probe_max(r, o, &defmax);
	if (rc < 0) {
		r->state = environmental(rc) ? ROW_UNAVAILABLE : ROW_FAILED;
		return;
	}
	for (i = 0; i < o->nsizes;) {
		/* Sizes within the default max share one channel; each larger
		 * size gets its own, made with max=SIZE. */
		size_t need = o->sizes[i] > defmax ? o->sizes[i] : 0;
		int end = i + 1;
		enum group_result gr;

		while (need == 0 && end < o->nsizes && o->sizes[end] <= defmax)
			end++;
		at = i;
		gr = group_run(r, o, env, i, end, need, &at);
		if (gr == GROUP_FATAL) {
			r->state = ROW_FAILED;
			break;
		}
		i = gr == GROUP_DONE ? end : at;
	}
states:
	for (i = 0; i < r->ncells; i++)
		for (k = 0; k < NLINKS; k++)
			if (r->cells[i].state[k] == CELL_FAIL)
				r->state = ROW_FAILED;
	if (r->errors > 0)
		r->state = ROW_FAILED;
}
