/* SPDX-License-Identifier: MIT */
/*
 * bench_out.c - what a person reads first: the floors, the tables at a
 * glance (a row per transport, a column per size), a verdict per size and
 * the "which one should I use" paragraph, all derived from the figures of
 * this run; and the CSV and SVG renderings of the same figures.
 *
 * The verdicts and the summary name rows by their labels and choose among
 * them by their figures and by what ipcx_scheme_info says of them (loans,
 * EOF, kept objects): no transport is named here.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_int.h"

#define NOISY 0.30

void
bench_size_label(size_t n, char *out, size_t outlen)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(out, outlen, "%zuM", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(out, outlen, "%zuK", n >> 10);
	else
		snprintf(out, outlen, "%zuB", n);
}

/* ---- series ----------------------------------------------------------------- */

static bool
any_ok(const struct bench_row *r, int k)
{
	int j;

	for (j = 0; j < r->ncells; j++)
		if (r->cells[j].state[k] == CELL_OK)
			return true;
	return false;
}

static bool
shown_row(const struct bench_row *r)
{
	return r->ncells > 0 && r->state != ROW_UNAVAILABLE;
}

int
bench_series(const struct bench_result *res, struct bench_series *out, bool with_bare)
{
	int i, n = 0;

	for (i = 0; i < res->nrows && n + 2 <= BENCH_MAX_SERIES; i++) {
		const struct bench_row *r = &res->rows[i];
		bool busy = r->bare != NULL && (r->bare->flags & BARE_BUSY);
		bool spins = (r->bare != NULL && (r->bare->flags & BARE_SPINS)) ||
		             (!r->peer && (r->caps & IPCX_SCHEME_LOAN));
		if (!shown_row(r))
			continue;
		if (r->peer) {
			out[n] = (struct bench_series){ r, LINK_BARE, SERIES_PEER, busy, spins, "" };
			snprintf(out[n].name, sizeof(out[n].name), "%s", r->label);
			n++;
			continue;
		}
		out[n] = (struct bench_series){ r, LINK_IPCX, SERIES_IPCX, busy, spins, "" };
		snprintf(out[n].name, sizeof(out[n].name), "%s", r->label);
		n++;
		if (with_bare && r->bare != NULL && any_ok(r, LINK_BARE)) {
			out[n] = (struct bench_series){ r, LINK_BARE, SERIES_BARE, busy, spins, "" };
			snprintf(out[n].name, sizeof(out[n].name), "  bare %s", r->bare->calls);
			n++;
		}
	}
	return n;
}

static const struct bench_fig *
sfig(const struct bench_series *s, int j)
{
	const struct bench_cell *c = &s->r->cells[j];

	return c->state[s->k] == CELL_OK ? &c->med[s->k] : NULL;
}

/*
 * A figure that is not ranked with the others of its column: one measured
 * at a smaller size than the column's (a mechanism with smaller messages,
 * measured at its own), or of a row whose every message waits for the
 * disk (what it measures is the disk).  *why says which.
 */
static bool
apart(const struct bench_result *res, const struct bench_series *s, int j, const char **why)
{
	if (s->r->cells[j].size < res->o->sizes[j]) {
		*why = "messages";
		return true;
	}
	if (s->r->bare != NULL && (s->r->bare->flags & BARE_DISK)) {
		*why = "disk";
		return true;
	}
	return false;
}

/* ---- floors ------------------------------------------------------------------- */

/*
 * The round trip a series can at best reach at size: the cache line
 * where it waits in user space, the futex round trip where it sleeps in
 * the kernel, plus the payload copied once each way at memcpy speed.
 */
double
bench_floor_lat_ns(const struct bench_result *res, const struct bench_series *s, size_t size)
{
	const struct bench_floor *f = s->spins ? &res->fl->cacheline_ns : &res->fl->futex_ns;
	double bw = bench_floor_thr_mbs(res, size);

	if (!f->ok)
		return 0;
	return f->value + (bw > 0 ? 2.0 * (double)size / bw * 1e3 : 0);
}

double
bench_floor_thr_mbs(const struct bench_result *res, size_t size)
{
	const struct bench_floor *f =
		size <= (64 << 10) ? &res->fl->memcpy64k_mbs : &res->fl->memcpy1m_mbs;

	return f->ok ? f->value : 0;
}

double
bench_mult_lat(const struct bench_result *res, const struct bench_series *s, int j)
{
	const struct bench_fig *f = sfig(s, j);
	double fl = bench_floor_lat_ns(res, s, s->r->cells[j].size);

	return f != NULL && fl > 0 && f->p50_us > 0 ? f->p50_us * 1e3 / fl : 0;
}

double
bench_mult_thr(const struct bench_result *res, const struct bench_series *s, int j)
{
	const struct bench_fig *f = sfig(s, j);
	double fl = bench_floor_thr_mbs(res, s->r->cells[j].size);

	return f != NULL && fl > 0 && f->mb_s > 0 ? fl / f->mb_s : 0;
}

static const char *
noisy_floor(const struct bench_floor *f)
{
	return f->spread > NOISY ? "*" : "";
}

void
bench_print_floors(const struct bench_result *res)
{
	const struct bench_floors *fl = res->fl;
	const char *lead = res->o->markdown ? "- " : "";
	int i;

	if (fl->measured)
		printf("%sfloors: cache line round trip %.3f us%s, futex round trip %.2f us%s, "
		       "system call %.3f us%s, memcpy 64K %.0f MB/s%s, 1M %.0f MB/s%s\n",
		       lead, fl->cacheline_ns.value / 1e3, noisy_floor(&fl->cacheline_ns),
		       fl->futex_ns.value / 1e3, noisy_floor(&fl->futex_ns),
		       fl->syscall_ns.value / 1e3, noisy_floor(&fl->syscall_ns),
		       fl->memcpy64k_mbs.value, noisy_floor(&fl->memcpy64k_mbs),
		       fl->memcpy1m_mbs.value, noisy_floor(&fl->memcpy1m_mbs));
	for (i = 0; bench_peers_absent[i] != NULL; i++)
		printf("%speers: %s\n", lead, bench_peers_absent[i]);
}

/* ---- the glance tables -------------------------------------------------------- */

static const char *
short_num(double v, char *buf, size_t len)
{
	if (v <= 0)
		snprintf(buf, len, "-");
	else if (v < 1)
		snprintf(buf, len, "%.3f", v);
	else if (v < 10)
		snprintf(buf, len, "%.2f", v);
	else if (v < 100)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *
cell_text(const struct bench_result *res, const struct bench_series *s, int j, int which,
          char *buf, size_t len)
{
	const struct bench_cell *c = &s->r->cells[j];
	const char *mark = res->o->markdown ? "\\*" : "*";
	char a[24], b[24];
	double v, m;

	switch (c->state[s->k]) {
	case CELL_OK:
		break;
	case CELL_SKIP:
		return "skip";
	case CELL_FAIL:
		return "FAIL";
	default:
		return "-";
	}
	v = which == 0 ? c->med[s->k].p50_us : c->med[s->k].mb_s;
	m = which == 0 ? bench_mult_lat(res, s, j) : bench_mult_thr(res, s, j);
	short_num(v, a, sizeof(a));
	/* Thousands as "k", so that a file row's 6-digit multiple of the
	 * memcpy floor still fits its column. */
	if (m >= 10000)
		snprintf(b, sizeof(b), " x%.0fk", m / 1000);
	else if (m > 0)
		snprintf(b, sizeof(b), " x%.*f", m < 10 ? 1 : 0, m);
	else
		b[0] = '\0';
	snprintf(buf, len, "%s%s%s", a, c->noisy[s->k][which] ? mark : "", b);
	return buf;
}

static void
glance(const struct bench_result *res, int which)
{
	const struct bench_opts *o = res->o;
	struct bench_series ss[BENCH_MAX_SERIES];
	int n = bench_series(res, ss, true), i, j;
	char s[24], buf[64];

	if (o->markdown) {
		printf("\n| %s |", which == 0 ? "round trip p50, us (x floor)"
		                              : "one way, MB/s (x below memcpy)");
		for (j = 0; j < o->nsizes; j++) {
			bench_size_label(o->sizes[j], s, sizeof(s));
			printf(" %s |", s);
		}
		printf("\n|---|");
		for (j = 0; j < o->nsizes; j++)
			printf("---:|");
		printf("\n");
	} else {
		printf("\n%s\n%-27s",
		       which == 0 ? "round trip p50, us   (xN: N times the floor it can at best "
		                    "reach: the futex round trip, or the cache line if it spins)"
		                  : "one way, MB/s        (xN: memcpy at that size moves N times "
		                    "as much)",
		       "");
		for (j = 0; j < o->nsizes; j++) {
			bench_size_label(o->sizes[j], s, sizeof(s));
			printf(" %13s", s);
		}
		printf("\n");
	}
	for (i = 0; i < n; i++) {
		char name[80];
		snprintf(name, sizeof(name), "%s%s", ss[i].name,
		         ss[i].kind == SERIES_PEER ? " (peer)" : "");
		if (o->markdown)
			printf("| %s |", ss[i].kind == SERIES_BARE ? name + 2 : name);
		else
			printf("%-27.27s", name);
		for (j = 0; j < ss[i].r->ncells; j++) {
			cell_text(res, &ss[i], j, which, buf, sizeof(buf));
			if (o->markdown)
				printf(" %s |", cell_text(res, &ss[i], j, which, buf, sizeof(buf)));
			else
				printf(" %13s", cell_text(res, &ss[i], j, which, buf, sizeof(buf)));
		}
		printf("\n");
	}
}

void
bench_print_glance(const struct bench_result *res)
{
	glance(res, 0);
	glance(res, 1);
}

/* ---- verdicts and the summary -------------------------------------------------- */

/* A figure as the tables print it: three significant digits, no exponent. */
static const char *
fig3(double v, char *buf, size_t len)
{
	if (v >= 1000)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

#define NICE(v) fig3((v), (char[32]){ 0 }, 32)

static double
x_times(double slow, double fast)
{
	return fast > 0 ? slow / fast : 0;
}

/* The figures of column j not ranked (apart()), each with its reason. */
static void
verdict_apart(const struct bench_result *res, const struct bench_series *ss, int n, int j,
              char *out, size_t len, size_t o)
{
	int i, m = 0;

	for (i = 0; i < n && o < len; i++) {
		const struct bench_fig *f = sfig(&ss[i], j);
		const char *why;
		if (f == NULL || f->p50_us <= 0 || !apart(res, &ss[i], j, &why))
			continue;
		if (strcmp(why, "messages") == 0)
			o += (size_t)snprintf(out + o, len - o,
			                      "%s%s %s us (%zu-byte messages, its largest)",
			                      m++ ? ", " : "; not ranked: ", ss[i].name,
			                      NICE(f->p50_us), ss[i].r->cells[j].size);
		else
			o += (size_t)snprintf(out + o, len - o, "%s%s %s us (waits for the disk)",
			                      m++ ? ", " : "; not ranked: ", ss[i].name,
			                      NICE(f->p50_us));
	}
}

void
bench_verdict(const struct bench_result *res, int j, char *out, size_t len)
{
	struct bench_series ss[BENCH_MAX_SERIES];
	int n = bench_series(res, ss, false), i, fast = -1, slow = -1, thr = -1;
	size_t o = 0;
	char s[24];

	bench_size_label(res->o->sizes[j], s, sizeof(s));
	for (i = 0; i < n; i++) {
		const struct bench_fig *f = sfig(&ss[i], j);
		const char *why;
		if (f == NULL || f->p50_us <= 0 || apart(res, &ss[i], j, &why))
			continue;
		if (fast < 0 || f->p50_us < sfig(&ss[fast], j)->p50_us)
			fast = i;
		if (slow < 0 || f->p50_us > sfig(&ss[slow], j)->p50_us)
			slow = i;
		if (f->mb_s > 0 && (thr < 0 || f->mb_s > sfig(&ss[thr], j)->mb_s))
			thr = i;
	}
	if (fast < 0)
		o += (size_t)snprintf(out, len, "%s: nothing ranked", s);
	else
		o += (size_t)snprintf(out, len, "%s: fastest round trip %s (%s us p50)", s,
		                      ss[fast].name, NICE(sfig(&ss[fast], j)->p50_us));
	if (fast < 0) {
		verdict_apart(res, ss, n, j, out, len, o);
		return;
	}
	if (slow != fast && o < len)
		o += (size_t)snprintf(out + o, len - o, ", %sx faster than the slowest (%s, %s us)",
		                      NICE(x_times(sfig(&ss[slow], j)->p50_us,
		                                   sfig(&ss[fast], j)->p50_us)),
		                      ss[slow].name, NICE(sfig(&ss[slow], j)->p50_us));
	for (i = 0; i < n && o < len; i++) {
		const struct bench_fig *f = sfig(&ss[i], j);
		if (ss[i].kind != SERIES_PEER || i == fast || f == NULL)
			continue;
		o += (size_t)snprintf(out + o, len - o, ", %sx than %s",
		                      NICE(x_times(f->p50_us, sfig(&ss[fast], j)->p50_us)),
		                      ss[i].name);
	}
	if (thr >= 0 && o < len)
		o += (size_t)snprintf(out + o, len - o, "; most throughput %s (%s MB/s)",
		                      ss[thr].name, NICE(sfig(&ss[thr], j)->mb_s));
	verdict_apart(res, ss, n, j, out, len, o);
}

void
bench_print_verdicts(const struct bench_result *res)
{
	const char *lead = res->o->markdown ? "- " : "";
	char line[1024];
	int j;

	printf("\nverdict (ipcx rows and peers; bare rows are the reference, not candidates)\n");
	for (j = 0; j < res->o->nsizes; j++) {
		bench_verdict(res, j, line, sizeof(line));
		printf("%s%s\n", lead, line);
	}
}

static bool w_disk(const struct bench_series *s);

/* The series fastest (which 0: lowest p50, 1: most MB/s) at cell j among
 * those want() accepts; -1: none. */
static int
best(const struct bench_result *res, const struct bench_series *ss, int n, int j, int which,
     bool (*want)(const struct bench_series *))
{
	int i, b = -1;

	for (i = 0; i < n; i++) {
		const struct bench_fig *f = sfig(&ss[i], j), *g;
		const char *why;
		if (f == NULL || !want(&ss[i]) || (which == 0 ? f->p50_us : f->mb_s) <= 0)
			continue;
		/* Rows apart are ranked only among rows apart (w_disk). */
		if (apart(res, &ss[i], j, &why) != (want == w_disk))
			continue;
		g = b >= 0 ? sfig(&ss[b], j) : NULL;
		if (g == NULL || (which == 0 ? f->p50_us < g->p50_us : f->mb_s > g->mb_s))
			b = i;
	}
	return b;
}

static bool
w_any(const struct bench_series *s)
{
	(void)s;
	return true;
}

static bool
w_ipcx(const struct bench_series *s)
{
	return s->kind == SERIES_IPCX;
}

static bool
w_ipcx_sleeps(const struct bench_series *s)
{
	return s->kind == SERIES_IPCX && !s->busy;
}

static bool
w_ipcx_kernel(const struct bench_series *s)
{
	return s->kind == SERIES_IPCX && !(s->r->caps & IPCX_SCHEME_LOAN);
}

static bool
w_ipcx_eof(const struct bench_series *s)
{
	return s->kind == SERIES_IPCX && !(s->r->caps & IPCX_SCHEME_LOAN) &&
	       (s->r->caps & IPCX_SCHEME_EOF);
}

static bool
w_ipcx_kept(const struct bench_series *s)
{
	return s->kind == SERIES_IPCX && (s->r->caps & IPCX_SCHEME_KEPT);
}

static bool
w_peer(const struct bench_series *s)
{
	return s->kind == SERIES_PEER;
}

static bool
w_disk(const struct bench_series *s)
{
	return s->kind == SERIES_IPCX && s->r->bare != NULL && (s->r->bare->flags & BARE_DISK);
}

#define ADD(...)                                                                   \
	do {                                                                       \
		if (o < len)                                                       \
			o += (size_t)snprintf(out + o, len - o, __VA_ARGS__);      \
	} while (0)

void
bench_summary(const struct bench_result *res, char *out, size_t len)
{
	struct bench_series ss[BENCH_MAX_SERIES];
	int n = bench_series(res, ss, false), small = 0, large = res->o->nsizes - 1, j;
	int a, b, c, d, e, p, q;
	size_t o = 0;
	char s1[24], s2[24];

	out[0] = '\0';
	for (j = 0; j < res->o->nsizes; j++) {
		if (res->o->sizes[j] < res->o->sizes[small])
			small = j;
		if (res->o->sizes[j] > res->o->sizes[large])
			large = j;
	}
	bench_size_label(res->o->sizes[small], s1, sizeof(s1));
	bench_size_label(res->o->sizes[large], s2, sizeof(s2));
	a = best(res, ss, n, small, 0, w_ipcx);
	if (a < 0) {
		snprintf(out, len, "No ipcx transport was measured in this run, so none is recommended.");
		return;
	}
	ADD("On this machine, for small messages (%s) %s has the lowest latency (%s us "
	    "round trip)",
	    s1, ss[a].name, NICE(sfig(&ss[a], small)->p50_us));
	if (ss[a].busy) {
		b = best(res, ss, n, small, 0, w_ipcx_sleeps);
		ADD(", but it spins a CPU while it waits; among channels that sleep, %s (%s us) "
		    "is the fastest",
		    b >= 0 ? ss[b].name : "none", NICE(b >= 0 ? sfig(&ss[b], small)->p50_us : 0));
	}
	c = best(res, ss, n, large, 1, w_ipcx);
	if (c >= 0)
		ADD(". For bulk data (%s) %s moves the most (%s MB/s)", s2, ss[c].name,
		    NICE(sfig(&ss[c], large)->mb_s));
	d = best(res, ss, n, small, 0, w_ipcx_kernel);
	e = best(res, ss, n, small, 0, w_ipcx_eof);
	if (d >= 0)
		ADD(". Without shared memory the fastest at %s is %s (%s us)", s1, ss[d].name,
		    NICE(sfig(&ss[d], small)->p50_us));
	if (e >= 0 && e != d)
		ADD(", and %s (%s us) if the receiver must learn that its peer has gone", ss[e].name,
		    NICE(sfig(&ss[e], small)->p50_us));
	p = best(res, ss, n, small, 0, w_ipcx_kept);
	if (p >= 0)
		ADD(". If messages must outlive every process, %s costs %sx the fastest round trip",
		    ss[p].name, NICE(x_times(sfig(&ss[p], small)->p50_us, sfig(&ss[a], small)->p50_us)));
	b = best(res, ss, n, small, 0, w_disk);
	if (b >= 0)
		ADD("%s%s, whose every message is on disk before the call returns, %sx",
		    p >= 0 ? "; to survive a power cut too, " : ". If messages must survive a power cut, ",
		    ss[b].name, NICE(x_times(sfig(&ss[b], small)->p50_us, sfig(&ss[a], small)->p50_us)));
	for (j = 0; j < n; j++) {
		/* A mechanism of smaller messages, measured at its own size. */
		const struct bench_cell *cs = &ss[j].r->cells[small];
		if (ss[j].kind != SERIES_IPCX || cs->size >= res->o->sizes[small] ||
		    sfig(&ss[j], small) == NULL)
			continue;
		ADD(". For a notification of at most %zu bytes, %s takes %s us round trip", cs->size,
		    ss[j].name, NICE(cs->med[LINK_IPCX].p50_us));
		if (cs->state[LINK_BARE] == CELL_OK && ss[j].r->bare != NULL)
			ADD(" (bare %s: %s us)", ss[j].r->bare->calls, NICE(cs->med[LINK_BARE].p50_us));
	}
	q = best(res, ss, n, small, 0, w_peer);
	if (q >= 0) {
		double r = x_times(sfig(&ss[q], small)->p50_us, sfig(&ss[a], small)->p50_us);
		ADD(". The fastest peer library, %s (%s us), is %sx %s than %s", ss[q].name,
		    NICE(sfig(&ss[q], small)->p50_us), NICE(r >= 1 ? r : 1 / r), r >= 1 ? "slower" : "faster",
		    ss[a].name);
	}
	for (j = 0, e = 0; j < n; j++) {
		int k, skipped = 0;
		for (k = 0; k < ss[j].r->ncells; k++) {
			skipped += ss[j].r->cells[k].state[ss[j].k] == CELL_SKIP;
			/* Measured at its own size: no limit to raise. */
			if (ss[j].r->cells[k].size < res->o->sizes[k])
				skipped = ss[j].r->ncells;
		}
		if (skipped > 0 && skipped < ss[j].r->ncells && ss[j].kind == SERIES_IPCX)
			ADD("%s%s", e++ ? ", " : ". Not every size fitted ", ss[j].name);
	}
	if (e > 0)
		ADD(" on this system (the notes say which limit to raise)");
	(void)best(res, ss, n, small, 0, w_any);
	ADD(".");
}

/* ---- CSV -------------------------------------------------------------------------- */

static void
csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const char *
kind_word(enum series_kind k)
{
	return k == SERIES_IPCX ? "ipcx" : k == SERIES_BARE ? "bare" : "peer";
}

static const char *
state_text(enum cell_state s)
{
	return s == CELL_OK ? "ok" : s == CELL_SKIP ? "skipped" : s == CELL_FAIL ? "failed"
	                                                                         : "not run";
}

static void
csv_num(FILE *f, double v)
{
	if (v > 0)
		fprintf(f, ",%.6g", v);
	else
		fputs(",", f);
}

static void
csv_floor(FILE *f, const char *name, const char *unit, const struct bench_floor *fl)
{
	fputs("floor,", f);
	csv_text(f, name);
	fprintf(f, ",,,%s,,", fl->ok ? "ok" : "failed");
	if (strcmp(unit, "ns") == 0)
		fprintf(f, ",%.6g,,,,,,", fl->value / 1e3);
	else
		fprintf(f, ",,,,,,%.6g,", fl->value);
	fprintf(f, ",%s,,,,\n", fl->spread > NOISY ? "1" : "0");
}

void
bench_write_csv(const struct bench_result *res, FILE *f)
{
	struct bench_series ss[BENCH_MAX_SERIES];
	int n = bench_series(res, ss, true), i, j;

	fputs("kind,transport,calls,size,status,reason,rtt_p50_us,rtt_p99_us,rtt_p999_us,"
	      "rtt_max_us,round_trips,msgs_per_s,mb_per_s,noisy_latency,noisy_throughput,"
	      "ratio_rtt_p50,ratio_mb_per_s,floor_multiple_latency,floor_multiple_throughput\n",
	      f);
	for (i = 0; i < n; i++) {
		const struct bench_series *s = &ss[i];
		for (j = 0; j < s->r->ncells; j++) {
			const struct bench_cell *c = &s->r->cells[j];
			const struct bench_fig *x = &c->med[s->k];
			bool ok = c->state[s->k] == CELL_OK;
			fprintf(f, "%s,", kind_word(s->kind));
			csv_text(f, s->r->label);
			fputc(',', f);
			csv_text(f, s->r->bare != NULL && s->kind != SERIES_IPCX ? s->r->bare->calls
			                                                         : "ipcx_send/ipcx_recv");
			fprintf(f, ",%zu,%s,", c->size, state_text(c->state[s->k]));
			csv_text(f, c->state[s->k] == CELL_OK ? "" : c->why[s->k]);
			csv_num(f, ok ? x->p50_us : 0);
			csv_num(f, ok ? x->p99_us : 0);
			csv_num(f, ok ? x->p999_us : 0);
			csv_num(f, ok ? x->max_us : 0);
			fprintf(f, ",%ld", ok ? x->rtt_n : 0);
			csv_num(f, ok ? x->msgs_s : 0);
			csv_num(f, ok ? x->mb_s : 0);
			fprintf(f, ",%d,%d", ok && c->noisy[s->k][0], ok && c->noisy[s->k][1]);
			csv_num(f, s->kind == SERIES_IPCX && c->r_p50.n > 0 ? c->r_p50.med : 0);
			csv_num(f, s->kind == SERIES_IPCX && c->r_thr.n > 0 ? c->r_thr.med : 0);
			csv_num(f, bench_mult_lat(res, s, j));
			csv_num(f, bench_mult_thr(res, s, j));
			fputc('\n', f);
		}
	}
	if (res->fl->measured) {
		csv_floor(f, "cache line round trip", "ns", &res->fl->cacheline_ns);
		csv_floor(f, "futex round trip", "ns", &res->fl->futex_ns);
		csv_floor(f, "system call", "ns", &res->fl->syscall_ns);
		csv_floor(f, "memcpy 64K", "mbs", &res->fl->memcpy64k_mbs);
		csv_floor(f, "memcpy 1M", "mbs", &res->fl->memcpy1m_mbs);
	}
}

/* ---- SVG ---------------------------------------------------------------------------- */

#define SVG_W 1290
#define PANEL_W 440
#define PANEL_H 360
#define PANEL_TOP 70
#define PANEL_L1 80
#define PANEL_L2 (PANEL_L1 + PANEL_W + 90)
#define LEGEND_X (PANEL_L2 + PANEL_W + 20)

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
	"#bcbd22", "#ff7f0e", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
};
#define NPAL ((int)(sizeof(palette) / sizeof(palette[0])))

static void
svg_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

struct axis {
	double lo, hi; /* decades: log10 */
};

static void
axis_fit(struct axis *a, double v)
{
	double l;

	if (v <= 0)
		return;
	l = log10(v);
	if (a->lo > a->hi) {
		a->lo = a->hi = l;
		return;
	}
	if (l < a->lo)
		a->lo = l;
	if (l > a->hi)
		a->hi = l;
}

static double
ypos(const struct axis *a, double v)
{
	return PANEL_TOP + PANEL_H - (log10(v) - a->lo) / (a->hi - a->lo) * PANEL_H;
}

static double
xpos(int left, int j, int nsizes)
{
	return left + 30 + (nsizes > 1 ? (double)j * (PANEL_W - 60) / (nsizes - 1) : PANEL_W / 2.0);
}

static void
svg_panel(FILE *f, const struct bench_result *res, int left, const struct axis *a,
          const char *title, const char *ylabel)
{
	char s[24];
	int d, j;

	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
	           "stroke=\"#444\"/>\n",
	        left, PANEL_TOP, PANEL_W, PANEL_H);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"15\" text-anchor=\"middle\" "
	           "font-weight=\"bold\">",
	        left + PANEL_W / 2, PANEL_TOP - 12);
	svg_escape(f, title);
	fputs("</text>\n", f);
	for (d = (int)floor(a->lo); d <= (int)ceil(a->hi); d++) {
		double y = ypos(a, pow(10, d));
		if (y < PANEL_TOP - 0.5 || y > PANEL_TOP + PANEL_H + 0.5)
			continue;
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
		        left, y, left + PANEL_W, y);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%g</text>\n",
		        left - 5, y + 4, pow(10, d));
	}
	for (j = 0; j < res->o->nsizes; j++) {
		double x = xpos(left, j, res->o->nsizes);
		bench_size_label(res->o->sizes[j], s, sizeof(s));
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x,
		        PANEL_TOP, x, PANEL_TOP + PANEL_H);
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
		        x, PANEL_TOP + PANEL_H + 16, s);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">message size "
	           "(bytes, log scale)</text>\n",
	        left + PANEL_W / 2, PANEL_TOP + PANEL_H + 36);
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
	           "transform=\"rotate(-90 %d %d)\">",
	        left - 50, PANEL_TOP + PANEL_H / 2, left - 50, PANEL_TOP + PANEL_H / 2);
	svg_escape(f, ylabel);
	fputs("</text>\n", f);
}

static void
svg_line(FILE *f, const struct bench_result *res, const struct bench_series *s, int left,
         const struct axis *a, int which, const char *color, const char *dash)
{
	int j, pts = 0;

	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s%s%s points=\"",
	        color, s->kind == SERIES_PEER ? "2.5" : "1.8", dash[0] ? " stroke-dasharray=\"" : "",
	        dash, dash[0] ? "\"" : "");
	for (j = 0; j < s->r->ncells; j++) {
		const struct bench_fig *x = sfig(s, j);
		double v = x == NULL ? 0 : which == 0 ? x->p50_us : x->mb_s;
		if (v <= 0)
			continue;
		fprintf(f, "%s%.1f,%.1f", pts++ ? " " : "", xpos(left, j, res->o->nsizes),
		        ypos(a, v));
	}
	fputs("\"/>\n", f);
	for (j = 0; j < s->r->ncells; j++) {
		const struct bench_fig *x = sfig(s, j);
		double v = x == NULL ? 0 : which == 0 ? x->p50_us : x->mb_s;
		if (v <= 0)
			continue;
		if (s->kind == SERIES_PEER)
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"/>\n",
			        xpos(left, j, res->o->nsizes) - 3.5, ypos(a, v) - 3.5, color);
		else
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
			        xpos(left, j, res->o->nsizes), ypos(a, v), color);
	}
}

static void
svg_floor(FILE *f, int left, const struct axis *a, double v, const char *label)
{
	double y;

	if (v <= 0)
		return;
	y = ypos(a, v);
	fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#000\" "
	           "stroke-width=\"1.5\" stroke-dasharray=\"2,3\"/>\n",
	        left, y, left + PANEL_W, y);
	fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" font-style=\"italic\">floor: ",
	        left + 4, y - 3);
	svg_escape(f, label);
	fputs("</text>\n", f);
}

void
bench_write_svg(const struct bench_result *res, FILE *f)
{
	struct bench_series ss[BENCH_MAX_SERIES];
	int n = bench_series(res, ss, false), i, j, h, ly, m = 0;
	struct axis lat = { 1, 0 }, thr = { 1, 0 };
	const struct bench_floors *fl = res->fl;

	/* A row with no figure at all (every cell skipped) has no line. */
	for (i = 0; i < n; i++)
		if (any_ok(ss[i].r, ss[i].k))
			ss[m++] = ss[i];
	n = m;

	for (i = 0; i < n; i++)
		for (j = 0; j < ss[i].r->ncells; j++) {
			const struct bench_fig *x = sfig(&ss[i], j);
			if (x != NULL) {
				axis_fit(&lat, x->p50_us);
				axis_fit(&thr, x->mb_s);
			}
		}
	if (fl->measured) {
		axis_fit(&lat, fl->cacheline_ns.value / 1e3);
		axis_fit(&lat, fl->futex_ns.value / 1e3);
		axis_fit(&thr, fl->memcpy64k_mbs.value);
		axis_fit(&thr, fl->memcpy1m_mbs.value);
	}
	if (lat.lo > lat.hi)
		lat.lo = 0, lat.hi = 1;
	if (thr.lo > thr.hi)
		thr.lo = 0, thr.hi = 1;
	lat.lo = floor(lat.lo), lat.hi = ceil(lat.hi);
	thr.lo = floor(thr.lo), thr.hi = ceil(thr.hi);
	if (lat.hi <= lat.lo)
		lat.hi = lat.lo + 1;
	if (thr.hi <= thr.lo)
		thr.hi = thr.lo + 1;
	h = PANEL_TOP + PANEL_H + 60;
	if (h < 90 + 18 * (n + 4))
		h = 90 + 18 * (n + 4);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	           "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	           "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
	        SVG_W, h, SVG_W, h);
	fprintf(f, "<text x=\"20\" y=\"24\" font-size=\"16\" font-weight=\"bold\">ipcx bench: "
	           "two processes, %s</text>\n",
	        res->env->pinned ? "pinned to two CPUs" : "not pinned");
	svg_panel(f, res, PANEL_L1, &lat, "round trip, p50", "microseconds (log scale)");
	svg_panel(f, res, PANEL_L2, &thr, "one-way throughput", "MB/s (log scale)");
	for (i = 0; i < n; i++) {
		const char *color = palette[i % NPAL];
		const char *dash = ss[i].kind == SERIES_PEER ? "8,4" : (i / NPAL) % 2 ? "4,2" : "";
		svg_line(f, res, &ss[i], PANEL_L1, &lat, 0, color, dash);
		svg_line(f, res, &ss[i], PANEL_L2, &thr, 1, color, dash);
	}
	if (fl->measured) {
		svg_floor(f, PANEL_L1, &lat, fl->cacheline_ns.value / 1e3, "cache line round trip");
		svg_floor(f, PANEL_L1, &lat, fl->futex_ns.value / 1e3, "futex round trip");
		svg_floor(f, PANEL_L2, &thr, fl->memcpy64k_mbs.value, "memcpy 64K");
		svg_floor(f, PANEL_L2, &thr, fl->memcpy1m_mbs.value, "memcpy 1M");
	}
	ly = PANEL_TOP;
	fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">legend</text>\n",
	        LEGEND_X, ly - 12);
	for (i = 0; i < n; i++, ly += 18) {
		const char *color = palette[i % NPAL];
		const char *dash = ss[i].kind == SERIES_PEER ? "8,4" : (i / NPAL) % 2 ? "4,2" : "";
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		           "stroke-width=\"%s\"%s%s%s/>\n",
		        LEGEND_X, ly, LEGEND_X + 26, ly, color,
		        ss[i].kind == SERIES_PEER ? "2.5" : "1.8", dash[0] ? " stroke-dasharray=\"" : "",
		        dash, dash[0] ? "\"" : "");
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", LEGEND_X + 32, ly + 4);
		svg_escape(f, ss[i].name);
		if (ss[i].kind == SERIES_PEER)
			fputs(" (peer)", f);
		fputs("</text>\n", f);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\" "
	           "stroke-width=\"1.5\" stroke-dasharray=\"2,3\"/>\n"
	           "<text x=\"%d\" y=\"%d\" font-size=\"11\" font-style=\"italic\">this machine's "
	           "floors</text>\n",
	        LEGEND_X, ly, LEGEND_X + 26, ly, LEGEND_X + 32, ly + 4);
	fputs("</svg>\n", f);
}
