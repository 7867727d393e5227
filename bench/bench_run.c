/* SPDX-License-Identifier: MIT */
/*
 * bench_run.c - one row of the table: two processes, one channel, three
 * measurements.
 *
 * The parent makes the channel (creates the named objects, or the listening
 * socket), forks, and the child joins it the way any other program would:
 * it closes the handles it inherited (a channel does not survive fork) and
 * calls ipcx_join, or adopts its pipe ends with "pipe:R,W".  The child then
 * says HELLO and obeys commands sent on the channel itself:
 *   ECHO  - verify each DATA message and send it back, until END;
 *   SINK  - verify each DATA message, until END;
 *   after END it answers ACK (messages received, errors seen).
 * The parent times the round trips of ECHO (latency) and, for SINK, the
 * span from the first send to the ACK (throughput: the receiver has checked
 * every byte when the clock stops).  Each measurement ends at its message
 * count or its time cap, whichever comes first; a watchdog alarm bounds the
 * whole row.  One-way schemes (fifo, and the planned file, shm, mq ...) get
 * two objects, one per direction.
 *
 * Map: the rows; URIs; the child; the parent's measurements; bench_row_run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_int.h"

/* ---- the rows -------------------------------------------------------- */

enum row_kind {
	KIND_RAW,    /* plain pipe(2), no ipcx: the baseline */
	KIND_PIPE,   /* pipe(2) ends adopted with "pipe:R,W" on each side */
	KIND_ONEWAY, /* two named objects, one per direction (fifo, file, shm, mq ...) */
	KIND_LISTEN, /* create = listen, join = connect, then accept */
	KIND_DGRAM,  /* create = bind; the creator answers the last sender */
	KIND_PROBE,  /* only asked whether it is built */
};

struct row_def {
	const char *name;   /* in the table */
	const char *scheme; /* for --only */
	enum row_kind kind;
	const char *query;  /* fixed URI keys, or NULL */
};

/* Every scheme of DESIGN.md has a row; whether it is built is asked of the
 * library at run time (ipcx_create answers -ENOTSUP), never assumed here. */
static const struct row_def rows[] = {
	{ "raw pipe(2)", "raw", KIND_RAW, NULL },
	{ "pipe", "pipe", KIND_PIPE, NULL },
	{ "fifo", "fifo", KIND_ONEWAY, NULL },
	{ "unix stream", "unix", KIND_LISTEN, "type=stream" },
	{ "unix seqpacket", "unix", KIND_LISTEN, "type=seqpacket" },
	{ "unix dgram", "unix", KIND_DGRAM, "type=dgram" },
	{ "tcp loopback", "tcp", KIND_LISTEN, NULL },
	{ "file", "file", KIND_ONEWAY, NULL },
	{ "shm", "shm", KIND_ONEWAY, NULL },
	{ "sysvshm", "sysvshm", KIND_ONEWAY, NULL },
	{ "mq", "mq", KIND_ONEWAY, NULL },
	{ "sysvmq", "sysvmq", KIND_ONEWAY, NULL },
	{ "signal", "signal", KIND_PROBE, NULL },
};

#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))
#define URI_LEN 512
#define CHILD_EXIT_OK 0
#define CHILD_EXIT_FAIL 3

int
bench_row_count(void)
{
	return NROWS;
}

const char *
bench_row_name(int i)
{
	return rows[i].name;
}

const char *
bench_row_scheme(int i)
{
	return rows[i].scheme;
}

/* ---- URIs ------------------------------------------------------------ */

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

/* A System V key no other program is likely to use, per run and direction. */
static unsigned
sysv_key(const char *tag)
{
	unsigned h = 2166136261u ^ (unsigned)getpid();

	for (; *tag; tag++)
		h = (h ^ (unsigned char)*tag) * 16777619u;
	return (h & 0x7fffffffu) | 0x1000u;
}

/* The URI of a row's object; tag tells the directions apart.  max > 0
 * appends "max=". */
static void
row_uri(const struct row_def *d, const struct bench_opts *o, const char *tag, size_t max,
        char *out, size_t outlen)
{
	char dir[URI_LEN];
	const char *s = d->scheme;
	size_t n;

	uri_escape(o->dir, dir, sizeof(dir));
	if (strcmp(s, "fifo") == 0)
		n = (size_t)snprintf(out, outlen, "fifo:%s/%s.fifo", dir, tag);
	else if (strcmp(s, "unix") == 0)
		n = (size_t)snprintf(out, outlen, "unix:%s/%s.sock", dir, tag);
	else if (strcmp(s, "tcp") == 0)
		n = (size_t)snprintf(out, outlen, "tcp:127.0.0.1:0");
	else if (strcmp(s, "file") == 0)
		n = (size_t)snprintf(out, outlen, "file:%s/%s.log", dir, tag);
	else if (strcmp(s, "shm") == 0 || strcmp(s, "mq") == 0)
		n = (size_t)snprintf(out, outlen, "%s:/ipcx-bench-%ld-%s", s, (long)getpid(), tag);
	else if (strcmp(s, "sysvshm") == 0 || strcmp(s, "sysvmq") == 0)
		n = (size_t)snprintf(out, outlen, "%s:0x%08x", s, sysv_key(tag));
	else
		n = (size_t)snprintf(out, outlen, "%s:self", s);
	if (d->query != NULL && n < outlen)
		n += (size_t)snprintf(out + n, outlen - n, "?%s", d->query);
	if (max > 0 && n < outlen)
		snprintf(out + n, outlen - n, "%smax=%zu", d->query != NULL ? "&" : "?", max);
}

/*
 * Create one object for row d.  When its largest message (ipcx_stat) is
 * below what the run sends - a FIFO's default is PIPE_BUF - 4 - make it
 * again with "max=", and say so in the row's note.
 */
static int
row_create(const struct row_def *d, const struct bench_opts *o, const char *tag,
           size_t need, ipcx_chan **ret, char *uri, struct bench_result *r)
{
	struct ipcx_stat st;
	int rc;

	row_uri(d, o, tag, 0, uri, URI_LEN);
	rc = ipcx_create(ret, uri, IPCX_EXCL);
	if (rc < 0 || ipcx_stat(*ret, &st) < 0 || st.max_msg >= need)
		return rc;
	ipcx_close(*ret);
	*ret = NULL;
	row_uri(d, o, tag, need, uri, URI_LEN);
	rc = ipcx_create(ret, uri, IPCX_EXCL);
	if (rc == 0 && r->note[0] == '\0')
		snprintf(r->note, sizeof(r->note), "ran with max=%zu (default max is %zu)", need,
		         st.max_msg);
	return rc;
}

/* ---- the child --------------------------------------------------------- */

struct plan {
	const struct row_def *d;
	char uri_p2c[URI_LEN];  /* parent -> child (or the only object) */
	char uri_c2p[URI_LEN];  /* child -> parent (one-way schemes) */
	int p2c[2], c2p[2];     /* raw and pipe rows */
	ipcx_chan *mine[2];     /* the parent's handles, as the child inherits them */
};

static int
child_open(struct plan *pl, const struct bench_opts *o, struct bench_link *l,
           ipcx_chan **ch)
{
	char uri[URI_LEN];
	int rc = 0;

	switch (pl->d->kind) {
	case KIND_RAW:
		close(pl->p2c[1]);
		close(pl->c2p[0]);
		return bench_link_init_raw(l, pl->p2c[0], pl->c2p[1],
		                           o->bulk_size > o->small_size ? o->bulk_size
		                                                        : o->small_size);
	case KIND_PIPE:
		close(pl->p2c[1]);
		close(pl->c2p[0]);
		snprintf(uri, sizeof(uri), "pipe:%d,%d", pl->p2c[0], pl->c2p[1]);
		rc = ipcx_join(&ch[0], uri, 0);
		ch[1] = ch[0];
		break;
	case KIND_ONEWAY:
		rc = ipcx_join(&ch[0], pl->uri_p2c, 0);
		if (rc == 0)
			rc = ipcx_join(&ch[1], pl->uri_c2p, 0);
		/* Open our receiving end now, so the parent's first send
		 * finds a reader (a FIFO's); where there is nothing to poll
		 * the answer is -ENOTSUP, and that is fine too. */
		if (rc == 0)
			(void)ipcx_pollfd(ch[0]);
		break;
	case KIND_LISTEN:
	case KIND_DGRAM:
		rc = ipcx_join(&ch[0], pl->uri_p2c, 0);
		ch[1] = ch[0];
		break;
	case KIND_PROBE:
		return -ENOTSUP;
	}
	if (rc < 0)
		return rc;
	bench_link_init_ipcx(l, ch[1], ch[0], o->io_timeout_ms);
	return 0;
}

/* Verify DATA messages until END; echo each one if asked.  Returns 0, or
 * -1 when the link failed (the parent will see it too). */
static int
child_phase(struct bench_link *l, const struct bench_pattern *p, uint8_t *buf, size_t cap,
            enum bench_op op, size_t size)
{
	uint32_t seq = 0, kind, a, b, errors = 0;
	uint8_t ack[BENCH_HDR];

	for (;;) {
		ssize_t n = bench_link_recv(l, buf, cap);
		if (n < 0)
			return -1;
		if ((size_t)n == BENCH_HDR && bench_msg_get(buf, BENCH_HDR, &kind, &a, &b) == 0 &&
		    kind == MSG_END) {
			if (a != seq)
				errors += 1; /* lost or invented messages */
			bench_msg_put(ack, MSG_ACK, seq, errors);
			return bench_link_send(l, ack, sizeof(ack)) < 0 ? -1 : 0;
		}
		if (bench_data_check(p, buf, (size_t)n, seq, size) < 0) {
			errors++;
			/* Resynchronise on what arrived, so one fault counts once. */
			if (bench_msg_get(buf, (size_t)n, &kind, &a, &b) == 0 && kind == MSG_DATA)
				seq = a;
		}
		seq++;
		if (op == OP_ECHO && bench_link_send(l, buf, (size_t)n) < 0)
			return -1;
	}
}

static int
child_main(struct plan *pl, const struct bench_opts *o, const struct bench_pattern *p)
{
	struct bench_link l;
	ipcx_chan *ch[2] = { NULL, NULL };
	size_t cap = (o->bulk_size > o->small_size ? o->bulk_size : o->small_size) + 64;
	uint8_t *buf = malloc(cap);
	uint32_t kind, a, b;
	int status = CHILD_EXIT_FAIL;

	/* Die with the parent; ^C is for the parent to handle. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	alarm(0);
	/* The parent's handles are copies here: release our descriptors
	 * only (ipcx_close in a forked child never removes the object). */
	ipcx_close(pl->mine[0]);
	if (pl->mine[1] != pl->mine[0])
		ipcx_close(pl->mine[1]);
	if (buf == NULL || child_open(pl, o, &l, ch) < 0)
		goto out;
	bench_msg_put(buf, MSG_HELLO, (uint32_t)getpid(), 0);
	if (bench_link_send(&l, buf, BENCH_HDR) < 0)
		goto done;
	for (;;) {
		ssize_t n = bench_link_recv(&l, buf, cap);
		if (n < 0 || bench_msg_get(buf, (size_t)n, &kind, &a, &b) < 0 || kind != MSG_CMD)
			break;
		if (a == OP_QUIT) {
			status = CHILD_EXIT_OK;
			break;
		}
		if ((a != OP_ECHO && a != OP_SINK) || b > cap ||
		    child_phase(&l, p, buf, cap, (enum bench_op)a, b) < 0)
			break;
	}
done:
	bench_link_fini(&l);
out:
	ipcx_close(ch[0]);
	if (ch[1] != ch[0])
		ipcx_close(ch[1]);
	free(buf);
	return status;
}

/* ---- the parent's measurements ---------------------------------------- */

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* Send END, take the ACK; add the receiver's errors.  0 or -1. */
static int
finish_phase(struct bench_link *l, uint8_t *buf, size_t cap, uint32_t sent,
             struct bench_result *r)
{
	uint32_t kind, a, b;
	ssize_t n;

	bench_msg_put(buf, MSG_END, sent, 0);
	if (bench_link_send(l, buf, BENCH_HDR) < 0)
		return -1;
	n = bench_link_recv(l, buf, cap);
	if (n < 0)
		return -1;
	if (bench_msg_get(buf, (size_t)n, &kind, &a, &b) < 0 || kind != MSG_ACK) {
		snprintf(l->what, sizeof(l->what), "the receiver's ACK did not verify");
		r->errors++;
		return -1;
	}
	r->errors += b;
	r->checked += a;
	if (a != sent) {
		snprintf(l->what, sizeof(l->what), "%u sent, %u received", sent, a);
		r->errors++;
	}
	return 0;
}

static int
send_cmd(struct bench_link *l, uint8_t *buf, enum bench_op op, size_t size)
{
	bench_msg_put(buf, MSG_CMD, op, (uint32_t)size);
	return bench_link_send(l, buf, BENCH_HDR);
}

/* Round trips of small messages: p50 and p99. */
static int
measure_rtt(struct bench_link *l, const struct bench_opts *o, const struct bench_pattern *p,
            uint8_t *buf, uint8_t *rbuf, size_t cap, struct bench_result *r)
{
	long warm = o->rtt_count / 10 < 500 ? o->rtt_count / 10 : 500, k = 0, i;
	int64_t *ns = malloc(sizeof(*ns) * (size_t)(o->rtt_count > 0 ? o->rtt_count : 1));
	int64_t start, t0, t1;
	size_t size = o->small_size;

	if (ns == NULL || send_cmd(l, buf, OP_ECHO, size) < 0) {
		free(ns);
		return -1;
	}
	start = bench_now_ns();
	for (i = 0; k < o->rtt_count && !bench_stop; i++) {
		ssize_t n;
		if (i >= warm && k >= 10 && bench_now_ns() - start > o->rtt_cap_ns)
			break;
		bench_data_fill(p, buf, (uint32_t)i, size);
		t0 = bench_now_ns();
		if (bench_link_send(l, buf, size) < 0 || (n = bench_link_recv(l, rbuf, cap)) < 0) {
			free(ns);
			return -1;
		}
		t1 = bench_now_ns();
		r->checked++;
		if (bench_data_check(p, rbuf, (size_t)n, (uint32_t)i, size) < 0)
			r->errors++;
		if (i >= warm)
			ns[k++] = t1 - t0;
	}
	if (finish_phase(l, buf, cap, (uint32_t)i, r) < 0 || k == 0) {
		free(ns);
		return -1;
	}
	qsort(ns, (size_t)k, sizeof(*ns), cmp_i64);
	r->rtt_samples = k;
	r->rtt_p50_us = (double)ns[k / 2] / 1e3;
	r->rtt_p99_us = (double)ns[(k * 99 + 99) / 100 - 1] / 1e3;
	free(ns);
	return 0;
}

/* Stream messages of one size to the child; messages/s from first send to
 * the ACK that says every one was received and verified. */
static int
measure_stream(struct bench_link *l, const struct bench_opts *o,
               const struct bench_pattern *p, uint8_t *buf, size_t cap, size_t size,
               long count, long *ret_n, double *ret_msgs_s, struct bench_result *r)
{
	long warm = count / 10 < 1000 ? count / 10 : 1000, i;
	int64_t start, end;

	/* An untimed stream first: the first row must not pay for cold
	 * caches, page faults and CPU frequency ramps that later rows skip. */
	if (warm > 0) {
		if (send_cmd(l, buf, OP_SINK, size) < 0)
			return -1;
		for (i = 0; i < warm && !bench_stop; i++) {
			bench_data_fill(p, buf, (uint32_t)i, size);
			if (bench_link_send(l, buf, size) < 0)
				return -1;
		}
		if (finish_phase(l, buf, cap, (uint32_t)i, r) < 0)
			return -1;
	}
	if (send_cmd(l, buf, OP_SINK, size) < 0)
		return -1;
	start = bench_now_ns();
	for (i = 0; i < count && !bench_stop; i++) {
		/* Reading the clock every 64 messages keeps its cost out of
		 * the result on machines where it is a real system call. */
		if ((i & 63) == 63 && bench_now_ns() - start > o->stream_cap_ns)
			break;
		bench_data_fill(p, buf, (uint32_t)i, size);
		if (bench_link_send(l, buf, size) < 0)
			return -1;
	}
	if (finish_phase(l, buf, cap, (uint32_t)i, r) < 0)
		return -1;
	end = bench_now_ns();
	*ret_n = i;
	*ret_msgs_s = (double)i * 1e9 / (double)(end - start > 0 ? end - start : 1);
	return 0;
}

static int
parent_measure(struct bench_link *l, const struct bench_opts *o,
               const struct bench_pattern *p, struct bench_result *r)
{
	size_t cap = (o->bulk_size > o->small_size ? o->bulk_size : o->small_size) + 64;
	uint8_t *buf = malloc(cap), *rbuf = malloc(cap);
	uint32_t kind, a, b;
	ssize_t n;
	int rc = -1;

	if (buf == NULL || rbuf == NULL)
		goto out;
	n = bench_link_recv(l, rbuf, cap);
	if (n < 0)
		goto out;
	if (bench_msg_get(rbuf, (size_t)n, &kind, &a, &b) < 0 || kind != MSG_HELLO) {
		snprintf(l->what, sizeof(l->what), "no HELLO from the child");
		goto out;
	}
	if (measure_rtt(l, o, p, buf, rbuf, cap, r) < 0 ||
	    measure_stream(l, o, p, buf, cap, o->small_size, o->small_count, &r->small_n,
	                   &r->small_msgs_s, r) < 0 ||
	    measure_stream(l, o, p, buf, cap, o->bulk_size, o->bulk_count, &r->bulk_n,
	                   &r->bulk_msgs_s, r) < 0)
		goto out;
	r->small_mb_s = r->small_msgs_s * (double)o->small_size / 1e6;
	r->bulk_mb_s = r->bulk_msgs_s * (double)o->bulk_size / 1e6;
	rc = send_cmd(l, buf, OP_QUIT, 0) < 0 ? -1 : 0;
out:
	free(buf);
	free(rbuf);
	return rc;
}

/* ---- bench_row_run ------------------------------------------------------ */

static void
fail(struct bench_result *r, const char *what, int err)
{
	r->status = ROW_FAILED;
	if (err != 0)
		snprintf(r->note, sizeof(r->note), "%s: %s", what, ipcx_errname(err));
	else
		snprintf(r->note, sizeof(r->note), "%s", what);
}

/* Make what the parent holds before the fork.  Returns 0, or sets r. */
static int
parent_prepare(struct plan *pl, const struct bench_opts *o, struct bench_result *r)
{
	const struct row_def *d = pl->d;
	size_t need = (o->bulk_size > o->small_size ? o->bulk_size : o->small_size);
	struct ipcx_stat st;
	int rc = 0;

	switch (d->kind) {
	case KIND_RAW:
	case KIND_PIPE:
		/* O_CLOEXEC: the child keeps them across fork, no exec'd
		 * program ever should. */
		if (pipe2(pl->p2c, O_CLOEXEC) < 0 || pipe2(pl->c2p, O_CLOEXEC) < 0) {
			fail(r, "pipe2", -errno);
			return -1;
		}
		return 0;
	case KIND_ONEWAY:
		rc = row_create(d, o, "p2c", need, &pl->mine[0], pl->uri_p2c, r);
		if (rc == 0)
			rc = row_create(d, o, "c2p", need, &pl->mine[1], pl->uri_c2p, r);
		/* Open our receiving end now (a FIFO reader), so the child's
		 * HELLO finds it. */
		if (rc == 0)
			(void)ipcx_pollfd(pl->mine[1]);
		break;
	case KIND_LISTEN:
	case KIND_DGRAM:
		rc = row_create(d, o, "s", need, &pl->mine[0], pl->uri_p2c, r);
		pl->mine[1] = pl->mine[0];
		/* tcp port 0: the child must connect to the port bound. */
		if (rc == 0 && strcmp(d->scheme, "tcp") == 0) {
			rc = ipcx_stat(pl->mine[0], &st);
			if (rc == 0) {
				char q[URI_LEN];
				const char *qm = strchr(pl->uri_p2c, '?');
				snprintf(q, sizeof(q), "%s", qm != NULL ? qm : "");
				if (snprintf(pl->uri_p2c, sizeof(pl->uri_p2c), "%s%s", st.uri, q) >=
				    (int)sizeof(pl->uri_p2c))
					rc = -ENAMETOOLONG;
			}
		}
		break;
	case KIND_PROBE:
		row_uri(d, o, "probe", 0, pl->uri_p2c, sizeof(pl->uri_p2c));
		rc = ipcx_create(&pl->mine[0], pl->uri_p2c, 0);
		pl->mine[1] = pl->mine[0];
		if (rc == 0) {
			r->status = ROW_NO_DRIVER;
			snprintf(r->note, sizeof(r->note),
			         "built; this engine has no driver for it yet");
			return -1;
		}
		break;
	}
	if (rc == -ENOTSUP) {
		r->status = ROW_NOT_BUILT;
		snprintf(r->note, sizeof(r->note), "not built yet");
		return -1;
	}
	if (rc < 0) {
		fail(r, "create", rc);
		return -1;
	}
	return 0;
}

/* The parent's link, after the fork. */
static int
parent_open(struct plan *pl, const struct bench_opts *o, struct bench_link *l,
            ipcx_chan **conn, struct bench_result *r)
{
	char uri[URI_LEN];
	int rc;

	switch (pl->d->kind) {
	case KIND_RAW:
		close(pl->p2c[0]);
		close(pl->c2p[1]);
		pl->p2c[0] = pl->c2p[1] = -1;
		rc = bench_link_init_raw(l, pl->c2p[0], pl->p2c[1],
		                         o->bulk_size > o->small_size ? o->bulk_size
		                                                      : o->small_size);
		break;
	case KIND_PIPE:
		close(pl->p2c[0]);
		close(pl->c2p[1]);
		pl->p2c[0] = pl->c2p[1] = -1;
		snprintf(uri, sizeof(uri), "pipe:%d,%d", pl->c2p[0], pl->p2c[1]);
		rc = ipcx_join(conn, uri, 0);
		/* The channel owns them now: ipcx_close closes them. */
		pl->c2p[0] = pl->p2c[1] = -1;
		if (rc == 0) {
			bench_live[2] = *conn;
			bench_link_init_ipcx(l, *conn, *conn, o->io_timeout_ms);
		}
		break;
	case KIND_LISTEN:
		rc = ipcx_accept(pl->mine[0], conn, o->io_timeout_ms);
		if (rc == 0) {
			bench_live[2] = *conn;
			bench_link_init_ipcx(l, *conn, *conn, o->io_timeout_ms);
		}
		break;
	default:
		rc = 0;
		bench_link_init_ipcx(l, pl->mine[0], pl->mine[1], o->io_timeout_ms);
		break;
	}
	if (rc < 0)
		fail(r, pl->d->kind == KIND_LISTEN ? "accept" : "open", bench_stop ? 0 : rc);
	return rc;
}

static void
plan_close_fds(struct plan *pl)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (pl->p2c[i] >= 0)
			close(pl->p2c[i]);
		if (pl->c2p[i] >= 0)
			close(pl->c2p[i]);
		pl->p2c[i] = pl->c2p[i] = -1;
	}
}

/* Reap the child: give it a moment to exit by itself, then kill it. */
static int
reap(pid_t pid, bool kill_now)
{
	int64_t until = bench_now_ns() + 2000000000;
	int st = 0;

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

void
bench_row_run(int i, const struct bench_opts *o, struct bench_result *r)
{
	struct plan pl = { .d = &rows[i], .p2c = { -1, -1 }, .c2p = { -1, -1 } };
	struct bench_pattern p = { NULL, 0 };
	struct bench_link l = { .rfd = -1, .wfd = -1 };
	ipcx_chan *conn = NULL;
	bool link_ok = false;
	pid_t pid;
	int st, j;

	memset(r, 0, sizeof(*r));
	r->name = rows[i].name;
	r->scheme = rows[i].scheme;
	r->status = ROW_OK;
	if (parent_prepare(&pl, o, r) < 0)
		goto out;
	bench_live[0] = pl.mine[0];
	bench_live[1] = pl.mine[1];
	if (bench_pattern_init(&p, o->bulk_size > o->small_size ? o->bulk_size
	                                                        : o->small_size) < 0) {
		fail(r, "out of memory", 0);
		goto out;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid = fork();
	if (pid < 0) {
		fail(r, "fork", -errno);
		goto out;
	}
	if (pid == 0)
		_exit(child_main(&pl, o, &p));
	alarm(o->row_alarm_s);
	if (parent_open(&pl, o, &l, &conn, r) == 0) {
		link_ok = true;
		if (parent_measure(&l, o, &p, r) < 0)
			fail(r, bench_stop == SIGALRM ? "timed out" : l.what, 0);
	}
	alarm(0);
	st = reap(pid, r->status != ROW_OK);
	if (r->status == ROW_OK && (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		fail(r, "the child process failed", 0);
	if (r->status == ROW_OK && r->errors > 0)
		fail(r, "integrity errors", 0);
out:
	for (j = 0; j < BENCH_LIVE_MAX; j++)
		bench_live[j] = NULL;
	if (link_ok)
		bench_link_fini(&l);
	ipcx_close(conn);
	ipcx_close(pl.mine[0]);
	if (pl.mine[1] != pl.mine[0])
		ipcx_close(pl.mine[1]);
	plan_close_fds(&pl);
	bench_pattern_fini(&p);
}
