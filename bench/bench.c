/* SPDX-License-Identifier: MIT */
/*
 * bench.c - ipcx_bench_main: the options, the rows (every built scheme and
 * each of its variants, as the library lists them), where the processes
 * run, and the output: the comparison tables, or JSON for tools.
 *
 * Everything the run makes lives in one mkdtemp directory: the FIFOs and
 * socket files, and the ipcx registry entries (IPCX_REGISTRY_DIR points
 * there while the run lasts, so a killed run cannot leave entries in the
 * user's own registry).  The directory is removed at the end, after ^C
 * and SIGTERM too: the handler only wakes the blocked call, and the normal
 * path closes every channel and removes what is left.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "bench_int.h"

#define EXIT_USAGE 2
#define MAX_ROWS 64
#define NOISY 0.30 /* a spread (max - min) above this share of the median */

static const char usage_text[] =
	"Measure every built ipcx transport between two processes, each beside\n"
	"its bare mechanism: the same payload moved with plain system calls and\n"
	"no ipcx (write/read on a pipe or FIFO, send/recv on sockets, mq_send,\n"
	"msgsnd, a ring in /dev/shm, sigqueue/sigwaitinfo, a file log under an\n"
	"OFD lock with and without fdatasync), beside this machine's floors (a\n"
	"cache line and a futex bounced between the two CPUs, a system call,\n"
	"memcpy) and the peer libraries built in (ZeroMQ, nng, iceoryx).\n"
	"A mechanism of smaller messages (a signal's 7 bytes) is measured at\n"
	"its own size, in the column of the smallest.\n"
	"\n"
	"The processes are pinned to two CPUs (sender on the first, receiver on\n"
	"the second).  For each size, bare and ipcx run back to back several\n"
	"times, in alternating order; each figure is the median of those\n"
	"repetitions and each ratio ipcx/bare the median of the per-pair ratios,\n"
	"shown with its spread [min-max].  Round trips give p50, p99, p99.9 and\n"
	"max latency, a one-way stream MB/s and messages/s.  Every message is\n"
	"checked (its sequence number, length and every byte); one mismatch\n"
	"fails the run.  The output: a table a row per transport, each figure\n"
	"also as a multiple of the floor it can at best reach, a verdict per\n"
	"size and which one to use, then the details and notes.\n"
	"\n"
	"Options:\n"
	"  --quick          fewer and shorter repetitions (make run; well under\n"
	"                   a minute on two cores)\n"
	"  --only LIST      only these rows: schemes, SCHEME?VARIANT or peers\n"
	"                   (unix?type=dgram, zmq), comma-separated\n"
	"  --sizes LIST     message sizes, 16 to 16M, K/M suffixes\n"
	"                   (default 64,4K,64K,1M)\n"
	"  --reps N         paired repetitions per size (default 5, --quick 3)\n"
	"  --time MS        the length one measurement aims at (default 250,\n"
	"                   --quick 40)\n"
	"  --count N        exactly N round trips and N streamed messages per\n"
	"                   measurement instead\n"
	"  --json FILE      also write every figure as JSON to FILE ('-':\n"
	"                   standard output, instead of the table)\n"
	"  --csv FILE       also write every figure as CSV, a line per transport,\n"
	"                   side and size ('-': standard output, after the table)\n"
	"  --svg FILE       also draw latency and throughput per transport across\n"
	"                   sizes (log scales, peers and floors marked) as SVG\n"
	"  --no-pin         let the scheduler place the processes (no ratios)\n"
	"  --same-core      pin both processes to the first CPU\n"
	"  --timeout MS     the timeout of every ipcx call (default -1: block)\n"
	"  --side SIDE      bare, ipcx or both (default): measure one side only\n"
	"                   (to trace its system calls; no ratio then)\n"
	"  --phase PHASE    rtt, stream or both (default): one measurement only\n"
	"  --markdown       the tables in Markdown (docs/performance.md)\n"
	"  --test-corrupt   damage one ipcx message, to see the run fail\n"
	"  -h, --help       this help\n"
	"\n"
	"Numbers are from this machine and this run: compare rows, not machines.\n"
	"Exit status: 0 every row passed, 1 a row failed or a message was lost or\n"
	"damaged, 2 usage error, 128+N ended by signal N.\n";

static const char *prog = "ipcx-bench";

/* ---- options -------------------------------------------------------- */

static int
parse_size(const char *s, size_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v > BENCH_MAX_SIZE)
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end != '\0' || v < BENCH_MIN_SIZE || v > BENCH_MAX_SIZE)
		return -1;
	*ret = (size_t)v;
	return 0;
}

static int
parse_sizes(const char *s, struct bench_opts *o)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	o->nsizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (o->nsizes == BENCH_MAX_SIZES || parse_size(tok, &o->sizes[o->nsizes]) < 0)
			return -1;
		o->nsizes++;
	}
	return o->nsizes > 0 ? 0 : -1;
}

static int
parse_long(const char *s, long lo, long hi, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*ret = v;
	return 0;
}

/* Does one entry of --only name this row? "unix" names every unix row,
 * "unix?type=dgram" one of them. */
static bool
only_names(const char *only, const struct bench_row *r)
{
	char buf[512], *tok, *save = NULL;

	if (only == NULL)
		return true;
	snprintf(buf, sizeof(buf), "%s", only);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *q = strchr(tok, '?');
		size_t n = q != NULL ? (size_t)(q - tok) : strlen(tok);
		if (n > 0 && tok[n - 1] == ':')
			n--;
		if (n != strlen(r->scheme) || strncmp(tok, r->scheme, n) != 0)
			continue;
		if (q == NULL || (r->variant != NULL && strcmp(q + 1, r->variant) == 0))
			return true;
	}
	return false;
}

static int
check_only(const char *only)
{
	const char *const *s;
	char buf[512], *tok, *save = NULL;

	if (strlen(only) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", only);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *q = strchr(tok, '?');
		bool known = false;
		if (q != NULL)
			*q = '\0';
		if (*tok && tok[strlen(tok) - 1] == ':')
			tok[strlen(tok) - 1] = '\0';
		const struct bare_driver *d;
		int i;
		for (s = ipcx_schemes(); *s != NULL; s++)
			if (strcmp(*s, tok) == 0)
				known = true;
		for (i = 0; (d = bare_at(i)) != NULL; i++)
			if ((d->flags & BARE_PEER) && strcmp(d->scheme, tok) == 0)
				known = true;
		if (!known) {
			fprintf(stderr, "%s: --only: '%s' is not a built scheme; built:", prog, tok);
			for (s = ipcx_schemes(); *s != NULL; s++)
				fprintf(stderr, " %s", *s);
			for (i = 0; (d = bare_at(i)) != NULL; i++)
				if ((d->flags & BARE_PEER) && (i == 0 || bare_at(i - 1)->scheme != d->scheme))
					fprintf(stderr, " %s", d->scheme);
			fprintf(stderr, "\n");
			return -1;
		}
	}
	return 0;
}

static int
usage_error(const char *opt, const char *what)
{
	fprintf(stderr, "%s: %s: expected %s\n", prog, opt, what);
	return -1;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o, bool *help)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'C' },
		{ "svg", required_argument, NULL, 'G' },
		{ "only", required_argument, NULL, 'o' },
		{ "sizes", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "time", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "no-pin", no_argument, NULL, 'N' },
		{ "same-core", no_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "test-corrupt", no_argument, NULL, 'X' },
		{ "side", required_argument, NULL, 'D' },
		{ "phase", required_argument, NULL, 'P' },
		{ "markdown", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long reps = 0, time_ms = 0, count = 0, v;
	bool sizes = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = -1;
	o->side[LINK_BARE] = o->side[LINK_IPCX] = true;
	o->phase_rtt = o->phase_stream = true;
	*help = false;
	optind = 0; /* a fresh scan, also when called twice in one process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o->quick = true;
			break;
		case 'j':
			o->json_path = optarg;
			break;
		case 'C':
			o->csv_path = optarg;
			break;
		case 'G':
			o->svg_path = optarg;
			break;
		case 'o':
			if (check_only(optarg) < 0)
				return -1;
			o->only = optarg;
			break;
		case 's':
			if (parse_sizes(optarg, o) < 0)
				return usage_error("--sizes", "up to 8 sizes of 16 to 16M bytes");
			sizes = true;
			break;
		case 'r':
			if (parse_long(optarg, 1, BENCH_MAX_REPS, &reps) < 0)
				return usage_error("--reps", "1 to 21");
			break;
		case 't':
			if (parse_long(optarg, 1, 60000, &time_ms) < 0)
				return usage_error("--time", "1 to 60000 milliseconds");
			break;
		case 'c':
			if (parse_long(optarg, 1, 10000000, &count) < 0)
				return usage_error("--count", "1 to 10000000");
			break;
		case 'N':
			o->pin = PIN_NONE;
			break;
		case 'S':
			o->pin = PIN_SAME;
			break;
		case 'T':
			if (parse_long(optarg, -1, 3600000, &v) < 0)
				return usage_error("--timeout", "-1 to 3600000 milliseconds");
			o->timeout_ms = (int)v;
			break;
		case 'X':
			o->test_corrupt = true;
			break;
		case 'D':
			o->side[LINK_BARE] = strcmp(optarg, "ipcx") != 0;
			o->side[LINK_IPCX] = strcmp(optarg, "bare") != 0;
			if (strcmp(optarg, "bare") != 0 && strcmp(optarg, "ipcx") != 0 &&
			    strcmp(optarg, "both") != 0)
				return usage_error("--side", "bare, ipcx or both");
			break;
		case 'M':
			o->markdown = true;
			break;
		case 'P':
			o->phase_rtt = strcmp(optarg, "stream") != 0;
			o->phase_stream = strcmp(optarg, "rtt") != 0;
			if (strcmp(optarg, "rtt") != 0 && strcmp(optarg, "stream") != 0 &&
			    strcmp(optarg, "both") != 0)
				return usage_error("--phase", "rtt, stream or both");
			break;
		case 'h':
			*help = true;
			return 0;
		default:
			fprintf(stderr, "%s: unknown option '%s'; try --help\n", prog,
			        argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'; try --help\n", prog, argv[optind]);
		return -1;
	}
	if (!sizes) {
		static const size_t def[] = { 64, 4096, 65536, 1048576 };
		memcpy(o->sizes, def, sizeof(def));
		o->nsizes = 4;
	}
	if (o->quick) {
		o->reps = 3;
		o->target_ns = 40000000;
		o->min_rtt = 20;
		o->min_stream = 10;
		o->max_count = 200000;
		o->watchdog_s = 20;
	} else {
		o->reps = 5;
		o->target_ns = 250000000;
		o->min_rtt = 100;
		o->min_stream = 50;
		o->max_count = 2000000;
		o->watchdog_s = 60;
	}
	if (reps > 0)
		o->reps = (int)reps;
	if (time_ms > 0)
		o->target_ns = time_ms * 1000000;
	if (count > 0)
		o->min_rtt = o->min_stream = o->max_count = count;
	/* A blocked ipcx call with a timeout must end before the watchdog. */
	if (o->timeout_ms > 0 && (unsigned)(o->timeout_ms / 1000) + 5 > o->watchdog_s)
		o->watchdog_s = (unsigned)(o->timeout_ms / 1000) + 5;
	return 0;
}

/* ---- signals, placement and the scratch directory --------------------- */

static void
on_signal(int sig)
{
	int i;

	/* A SIGALRM while ^C is being handled must not hide the ^C. */
	if (bench_stop != SIGINT && bench_stop != SIGTERM)
		bench_stop = sig;
	for (i = 0; i < BENCH_LIVE_MAX; i++) {
		ipcx_chan *ch = bench_live[i];
		if (ch != NULL)
			(void)ipcx_wake(ch); /* async-signal-safe by contract */
	}
	/* A blocking bare read that began just after this handler ran would
	 * not see it: interrupt it again in a second. */
	alarm(1);
}

struct load {
	long long p0;      /* CPU pressure total at the start, us; -1: unknown */
	int64_t t0;
	double share;      /* of the run; < 0: unknown */
};

struct saved {
	struct sigaction intr, term, alrm;
	sigset_t mask;
	cpu_set_t cpus;
	bool cpus_saved;
};

/* What the run blocks: SIGPIPE and the real-time signals. */
static void
blocked_set(sigset_t *set)
{
	int sig;

	sigemptyset(set);
	sigaddset(set, SIGPIPE);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(set, sig);
}

static void
signals_install(struct saved *s)
{
	struct sigaction sa;
	sigset_t pipe_set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking bare read must return EINTR. */
	sigaction(SIGINT, &sa, &s->intr);
	sigaction(SIGTERM, &sa, &s->term);
	sigaction(SIGALRM, &sa, &s->alrm);
	/* The bare rows write to pipes with plain write(2): a peer that died
	 * must be an EPIPE, never the end of the run.  Real-time signals carry
	 * the signal rows' messages: one that arrives after its measurement
	 * was cut short (the watchdog) must wait in the queue, not end the run
	 * by its default action, once its channel is closed. */
	blocked_set(&pipe_set);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &s->mask);
}

static void
signals_restore(const struct saved *s)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set;
	int sig;

	alarm(0);
	sigaction(SIGINT, &s->intr, NULL);
	sigaction(SIGTERM, &s->term, NULL);
	sigaction(SIGALRM, &s->alrm, NULL);
	/* Take what a bare write or a late signal left pending, so it cannot
	 * fire once the caller's mask is back; a signal the caller blocked
	 * itself stays pending for it. */
	blocked_set(&pipe_set);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&s->mask, sig) == 1)
			sigdelset(&pipe_set, sig);
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &s->mask, NULL);
}

/*
 * Sender (this process) on the first CPU this process may use, receiver
 * on the second.  Ratios are reported only when both are pinned: two
 * processes left to the scheduler may share a CPU for one run and not the
 * next, and the ratio then says nothing of ipcx.
 */
static void
placement(const struct bench_opts *o, struct bench_env *env, struct saved *s)
{
	cpu_set_t one;
	int cpu, n = 0, first = -1, second = -1;

	env->cpu_tx = env->cpu_rx = -1;
	env->pinned = false;
	if (sched_getaffinity(0, sizeof(s->cpus), &s->cpus) < 0) {
		snprintf(env->pin_why, sizeof(env->pin_why), "sched_getaffinity: %s",
		         strerror(errno));
		return;
	}
	s->cpus_saved = true;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &s->cpus))
			continue;
		if (n == 0)
			first = cpu;
		else if (n == 1)
			second = cpu;
		n++;
	}
	if (o->pin == PIN_NONE) {
		snprintf(env->pin_why, sizeof(env->pin_why),
		         "--no-pin: the scheduler places the processes");
		return;
	}
	if (o->pin == PIN_CROSS && n < 2) {
		snprintf(env->pin_why, sizeof(env->pin_why),
		         "only one CPU is available to this process; the two processes need "
		         "two (or run with --same-core)");
		return;
	}
	env->cpu_tx = first;
	env->cpu_rx = o->pin == PIN_SAME ? first : second;
	CPU_ZERO(&one);
	CPU_SET(env->cpu_tx, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0) {
		snprintf(env->pin_why, sizeof(env->pin_why),
		         "the sender could not pin itself to CPU %d: %s", env->cpu_tx,
		         strerror(errno));
		env->cpu_tx = env->cpu_rx = -1;
		return;
	}
	env->pinned = true;
}

static int
scratch_make(struct bench_opts *o)
{
	const char *tmp = getenv("TMPDIR");
	char reg[sizeof(o->dir) + 16];

	/* Socket paths must fit sun_path (108 bytes): fall back to /tmp when
	 * TMPDIR is long. */
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(o->dir, sizeof(o->dir), "%s/ipcx-bench-XXXXXX", tmp);
	if (mkdtemp(o->dir) == NULL) {
		fprintf(stderr, "%s: cannot make a scratch directory in %s: %s\n", prog, tmp,
		        strerror(errno));
		return -1;
	}
	snprintf(reg, sizeof(reg), "%s/registry", o->dir);
	setenv("IPCX_REGISTRY_DIR", reg, 1);
	return 0;
}

/* Remove the scratch directory and whatever a failed row left in it. */
static void
remove_tree(const char *path, int depth)
{
	struct dirent *e;
	DIR *d;

	if (depth > 6 || (d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= (int)sizeof(sub))
			continue;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(sub, depth + 1);
		else
			(void)unlink(sub);
	}
	closedir(d);
	(void)rmdir(path);
}

/*
 * How much of the run other work competed for the CPUs: the kernel's CPU
 * pressure (the share of time at least one runnable task waited for a
 * CPU), over the run.  The benchmark's own two processes each have a CPU
 * of their own, so on a quiet machine this stays near 0.
 */
static long long
cpu_pressure_us(void)
{
	char line[256];
	long long total = -1;
	FILE *f = fopen("/proc/pressure/cpu", "r");
	char *t;

	if (f == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL && strncmp(line, "some ", 5) == 0 &&
	    (t = strstr(line, "total=")) != NULL)
		total = strtoll(t + 6, NULL, 10);
	fclose(f);
	return total;
}

/* ---- figures ---------------------------------------------------------- */

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double
median(double *v, int n)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
ratio_of(struct bench_ratio *r, double *v, int n)
{
	r->n = n;
	if (n == 0)
		return;
	r->med = median(v, n);
	r->min = v[0];
	r->max = v[n - 1];
}

static bool
spread_noisy(double *v, int n)
{
	double m = median(v, n);

	return n > 1 && m > 0 && (v[n - 1] - v[0]) / m > NOISY;
}

/* Medians over the repetitions, and the ratio of every pair. */
static void
cell_figures(struct bench_cell *c, bool ratios)
{
	double a[BENCH_MAX_REPS], b[BENCH_MAX_REPS], t[BENCH_MAX_REPS], u[BENCH_MAX_REPS];
	double e[BENCH_MAX_REPS], x9[BENCH_MAX_REPS];
	int k, i, n = 0, m = 0;

	for (k = 0; k < NLINKS; k++) {
		if (c->state[k] != CELL_OK)
			continue;
		for (i = 0; i < c->nrep; i++) {
			a[i] = c->rep[i][k].p50_us;
			b[i] = c->rep[i][k].p99_us;
			t[i] = c->rep[i][k].mb_s;
			u[i] = c->rep[i][k].msgs_s;
			e[i] = c->rep[i][k].p999_us;
			x9[i] = c->rep[i][k].max_us;
		}
		c->med[k].p999_us = median(e, c->nrep);
		/* The worst round trip of all the repetitions, not a typical one. */
		c->med[k].max_us = 0;
		for (i = 0; i < c->nrep; i++)
			if (x9[i] > c->med[k].max_us)
				c->med[k].max_us = x9[i];
		c->med[k].p50_us = median(a, c->nrep);
		c->noisy[k][0] = spread_noisy(a, c->nrep);
		c->med[k].p99_us = median(b, c->nrep);
		c->med[k].mb_s = median(t, c->nrep);
		c->noisy[k][1] = spread_noisy(t, c->nrep);
		c->med[k].msgs_s = median(u, c->nrep);
		c->med[k].rtt_n = c->rep[0][k].rtt_n;
		c->med[k].stream_n = c->rep[0][k].stream_n;
	}
	if (!ratios || c->state[LINK_BARE] != CELL_OK || c->state[LINK_IPCX] != CELL_OK)
		return;
	for (i = 0; i < c->nrep; i++) {
		const struct bench_fig *x = &c->rep[i][LINK_BARE], *y = &c->rep[i][LINK_IPCX];
		if (x->p50_us > 0 && y->p50_us > 0) {
			a[n] = y->p50_us / x->p50_us;
			b[n] = y->p99_us / x->p99_us;
			n++;
		}
		if (x->mb_s > 0 && y->mb_s > 0)
			t[m++] = y->mb_s / x->mb_s;
	}
	ratio_of(&c->r_p50, a, n);
	ratio_of(&c->r_p99, b, n);
	ratio_of(&c->r_thr, t, m);
}

/* ---- the table --------------------------------------------------------- */

static void
size_label(size_t n, char *out, size_t outlen)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(out, outlen, "%zuM", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(out, outlen, "%zuK", n >> 10);
	else
		snprintf(out, outlen, "%zuB", n);
}

/* Three significant figures, at most. */
static const char *
num(double v, char *buf, size_t len)
{
	if (v <= 0)
		snprintf(buf, len, "-");
	else if (v < 10)
		snprintf(buf, len, "%.2f", v);
	else if (v < 100)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *
rate(double v, char *buf, size_t len)
{
	if (v <= 0)
		snprintf(buf, len, "-");
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.0fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

/* A skip that is no news: no bare driver, or a side not asked for. */
static bool
quiet(const char *why)
{
	return strncmp(why, "no bare", 7) == 0 || strncmp(why, "not asked", 9) == 0;
}

/* The mark of a noisy figure: Markdown would read a bare '*' as emphasis. */
static const char *noisy_mark = "*";

/* A figure of one link, or what stands in for it; thr: a throughput one. */
static const char *
fig(const struct bench_cell *c, int k, double v, bool thr, bool is_rate, char *buf, size_t len)
{
	char tmp[24];

	switch (c->state[k]) {
	case CELL_OK:
		if (is_rate)
			rate(v, tmp, sizeof(tmp));
		else
			num(v, tmp, sizeof(tmp));
		snprintf(buf, len, "%s%s", tmp, v > 0 && c->noisy[k][thr] ? noisy_mark : "");
		return buf;
	case CELL_SKIP:
		return quiet(c->why[k]) ? "-" : "skip";
	case CELL_FAIL:
		return "FAIL";
	case CELL_NOT_RUN:
		break;
	}
	return "-";
}

static bool
ratio_noisy(const struct bench_ratio *r)
{
	return r->n > 1 && r->med > 0 && (r->max - r->min) / r->med > NOISY;
}

/* The ratio of a cell, or what stands in for it. */
static const char *
ratio_text(const struct bench_cell *c, const struct bench_ratio *r, bool spread, char *buf,
           size_t len)
{
	if (r->n == 0) {
		if (c->state[LINK_IPCX] == CELL_FAIL || c->state[LINK_BARE] == CELL_FAIL)
			return "FAIL";
		if (c->state[LINK_IPCX] == CELL_SKIP && !quiet(c->why[LINK_IPCX]))
			return "skip";
		return "-";
	}
	if (spread && r->n > 1)
		snprintf(buf, len, "%.2f [%.2f-%.2f]%s", r->med, r->min, r->max,
		         ratio_noisy(r) ? noisy_mark : "");
	else
		snprintf(buf, len, "%.2f%s", r->med, ratio_noisy(r) ? noisy_mark : "");
	return buf;
}

static const char *
calls(const struct bench_row *r)
{
	return r->bare != NULL ? r->bare->calls : "-";
}

static bool
shown(const struct bench_row *r)
{
	return r->ncells > 0 && r->state != ROW_UNAVAILABLE;
}

static void
print_machine(const struct bench_opts *o, const struct bench_env *env)
{
	const char *lead = o->markdown ? "- " : "";
	struct utsname u;
	char model[128] = "unknown CPU", line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *c = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && c != NULL) {
			snprintf(model, sizeof(model), "%s", c + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	uname(&u);
	printf("%sipcx %s bench%s: %s %s %s, %s, %ld CPUs online\n", lead, ipcx_version(),
	       o->quick ? " --quick" : "", u.sysname, u.release, u.machine, model,
	       sysconf(_SC_NPROCESSORS_ONLN));
	if (env->pinned && env->cpu_tx != env->cpu_rx)
		printf("%splacement: sender pinned to CPU %d, receiver to CPU %d "
		       "(sched_setaffinity)\n",
		       lead, env->cpu_tx, env->cpu_rx);
	else if (env->pinned)
		printf("%splacement: both processes pinned to CPU %d (--same-core)\n", lead,
		       env->cpu_tx);
	else
		printf("%splacement: NOT PINNED: %s; no ratio is reported\n", lead, env->pin_why);
	printf("%smethod: %d pair%s per size, bare and ipcx back to back in alternating order; "
	       "figure = median of the pairs,\n"
	       "%s        ratio = ipcx/bare, median of the per-pair ratios [min-max]; "
	       "* = spread above 30%%; every message checked\n",
	       lead, o->reps, o->reps == 1 ? "" : "s", o->markdown ? "  " : "");
}

/*
 * One detail table: latency (which == 0) or throughput.  Plain text is
 * aligned for a terminal; Markdown is for docs/performance.md.
 */
static void
print_detail(const struct bench_opts *o, const struct bench_row *rows, int nrows, int which)
{
	static const char *const head[2][5] = {
		{ "bare p50 us", "ipcx p50 us", "ipcx/bare p50", "bare p99 us", "ipcx p99 us" },
		{ "bare MB/s", "ipcx MB/s", "ipcx/bare MB/s", "bare msg/s", "ipcx msg/s" },
	};
	char s[24], b1[40], b2[40], b3[48], b4[40], b5[40];
	int i, j;

	if (o->markdown) {
		printf("\n| %s | bare calls | size | %s | %s | %s | %s | %s |\n"
		       "|---|---|---:|---:|---:|---:|---:|---:|\n",
		       which == 0 ? "round trip" : "one way", head[which][0], head[which][1],
		       head[which][2], head[which][3], head[which][4]);
	} else {
		printf("\n%-21s %-20s %5s  %11s  %11s  %-20s  %11s  %11s\n",
		       which == 0 ? "round trip" : "one way", "bare calls", "size", head[which][0],
		       head[which][1], head[which][2], head[which][3], head[which][4]);
	}
	for (i = 0; i < nrows; i++) {
		const struct bench_row *r = &rows[i];
		if (!shown(r))
			continue;
		for (j = 0; j < r->ncells; j++) {
			const struct bench_cell *c = &r->cells[j];
			const struct bench_fig *x = &c->med[LINK_BARE], *y = &c->med[LINK_IPCX];
			size_label(c->size, s, sizeof(s));
			if (which == 0) {
				fig(c, LINK_BARE, x->p50_us, false, false, b1, sizeof(b1));
				fig(c, LINK_IPCX, y->p50_us, false, false, b2, sizeof(b2));
				fig(c, LINK_BARE, x->p99_us, false, false, b4, sizeof(b4));
				fig(c, LINK_IPCX, y->p99_us, false, false, b5, sizeof(b5));
			} else {
				fig(c, LINK_BARE, x->mb_s, true, false, b1, sizeof(b1));
				fig(c, LINK_IPCX, y->mb_s, true, false, b2, sizeof(b2));
				fig(c, LINK_BARE, x->msgs_s, true, true, b4, sizeof(b4));
				fig(c, LINK_IPCX, y->msgs_s, true, true, b5, sizeof(b5));
			}
			/* fig() may answer a constant instead of filling the buffer. */
#define PICK(b, st, k) ((st) == CELL_OK ? (b) : fig(c, k, 0, false, false, b, sizeof(b)))
			printf(o->markdown ? "| %s | %s | %s | %s | %s | %s | %s | %s |\n"
			                   : "%-21s %-20s %5s  %11s  %11s  %-20s  %11s  %11s\n",
			       j == 0 || o->markdown ? r->label : "",
			       j == 0 || o->markdown ? calls(r) : "", s,
			       PICK(b1, c->state[LINK_BARE], LINK_BARE),
			       PICK(b2, c->state[LINK_IPCX], LINK_IPCX),
			       ratio_text(c, which == 0 ? &c->r_p50 : &c->r_thr, true, b3, sizeof(b3)),
			       PICK(b4, c->state[LINK_BARE], LINK_BARE),
			       PICK(b5, c->state[LINK_IPCX], LINK_IPCX));
#undef PICK
		}
	}
}

/* The ratios at a glance: a row per transport, a column per size. */
static void
print_matrix(const struct bench_opts *o, const struct bench_row *rows, int nrows)
{
	char s[24], b[48];
	int i, j, k;

	if (o->markdown) {
		for (k = 0; k < 2; k++) {
			printf("\n| ipcx/bare %s |", k == 0 ? "p50 latency (above 1: ipcx slower)"
			                                     : "throughput (below 1: ipcx slower)");
			for (j = 0; j < o->nsizes; j++) {
				size_label(o->sizes[j], s, sizeof(s));
				printf(" %s |", s);
			}
			printf("\n|---|");
			for (j = 0; j < o->nsizes; j++)
				printf("---:|");
			printf("\n");
			for (i = 0; i < nrows; i++) {
				const struct bench_row *r = &rows[i];
				if (!shown(r))
					continue;
				printf("| %s |", r->label);
				for (j = 0; j < r->ncells; j++) {
					const struct bench_cell *c = &r->cells[j];
					printf(" %s |", ratio_text(c, k == 0 ? &c->r_p50 : &c->r_thr,
					                           false, b, sizeof(b)));
				}
				printf("\n");
			}
		}
		return;
	}
	printf("\n%-21s", "ipcx/bare");
	printf("%-*s", o->nsizes * 7 + 4, " p50 latency (>1: slower)");
	printf(" throughput (<1: slower)\n%-21s", "");
	for (k = 0; k < 2; k++) {
		for (j = 0; j < o->nsizes; j++) {
			size_label(o->sizes[j], s, sizeof(s));
			printf(" %6s", s);
		}
		printf("    ");
	}
	printf("\n");
	for (i = 0; i < nrows; i++) {
		const struct bench_row *r = &rows[i];
		if (!shown(r))
			continue;
		printf("%-21s", r->label);
		for (k = 0; k < 2; k++) {
			for (j = 0; j < r->ncells; j++) {
				const struct bench_cell *c = &r->cells[j];
				printf(" %6s", ratio_text(c, k == 0 ? &c->r_p50 : &c->r_thr, false, b,
				                          sizeof(b)));
			}
			printf("    ");
		}
		printf("\n");
	}
}

/* The file system a path is on, as a reader knows it: on tmpfs an
 * fdatasync writes nothing to a disk. */
static const char *
fs_name(const char *path)
{
	static char other[48];
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return "file system unknown";
	switch ((unsigned long)sf.f_type) {
	case 0x01021994ul:
		return "tmpfs: memory, fdatasync reaches no disk; set TMPDIR to a disk's directory";
	case 0xef53ul:
		return "ext2/3/4";
	case 0x58465342ul:
		return "xfs";
	case 0x9123683eul:
		return "btrfs";
	case 0x794c7630ul:
		return "overlayfs";
	}
	snprintf(other, sizeof(other), "file system 0x%lx", (unsigned long)sf.f_type);
	return other;
}

static void
print_notes(const struct bench_opts *o, const struct bench_row *rows, int nrows,
            const struct bench_env *env, const struct load *ld, long checked, long errors)
{
	const char *lead = o->markdown ? "- " : "";
	char s[24];
	int i, j, k;

	printf("\n");
	for (i = 0; i < nrows; i++) {
		const struct bench_row *r = &rows[i];
		long pb = -1;
		bool same = true;
		if (r->state != ROW_OK && r->why[0])
			printf("%s%s: %s%s\n", lead, r->label,
			       r->state == ROW_UNAVAILABLE ? "not measured here: " : "FAILED: ",
			       r->why);
		if (!shown(r))
			continue;
		if (r->bare == NULL)
			printf("%s%s: no bare driver in bench/bare.c: ipcx figures only\n", lead,
			       r->label);
		else
			printf("%s%s: %s = %s on %s\n", lead, r->label, r->peer ? "peer" : "bare", r->bare->calls,
			       r->bare->mechanism);
		if (r->bare != NULL && (r->bare->flags & BARE_DISK))
			printf("%s%s: every message waits for fdatasync of a file in %s (%s)\n", lead,
			       r->label, o->dir, fs_name(o->dir));
		if (bench_disk_quick(r, o))
			printf("%s%s: so --quick measures at least %ld round trips and %ld messages "
			       "per figure on this row (%ld and %ld elsewhere): its p99 is the worst "
			       "of few\n",
			       lead, r->label, BENCH_DISK_QUICK_MIN, BENCH_DISK_QUICK_MIN, o->min_rtt,
			       o->min_stream);
		for (j = 0; j < r->ncells; j++) {
			const struct bench_cell *c = &r->cells[j];
			size_label(c->size, s, sizeof(s));
			for (k = 0; k < NLINKS; k++) {
				/* One line for what both sides, or every size, share. */
				bool both = k == LINK_BARE && c->state[LINK_IPCX] == c->state[k] &&
				            strcmp(c->why[LINK_IPCX], c->why[k]) == 0;
				bool all = true;
				char sizes[160];
				int x, first;
				if (k == LINK_IPCX && c->state[LINK_BARE] == c->state[k] &&
				    strcmp(c->why[LINK_BARE], c->why[k]) == 0)
					continue;
				if ((c->state[k] != CELL_SKIP && c->state[k] != CELL_FAIL) ||
				    quiet(c->why[k]))
					continue;
				/* The sizes that share this line, named once. */
				sizes[0] = '\0';
				for (x = 0, first = -1; x < r->ncells; x++) {
					char t[24];
					size_t used = strlen(sizes);
					if (r->cells[x].state[k] != c->state[k] ||
					    strcmp(r->cells[x].why[k], c->why[k]) != 0) {
						all = false;
						continue;
					}
					if (first < 0)
						first = x;
					size_label(r->cells[x].size, t, sizeof(t));
					snprintf(sizes + used, sizeof(sizes) - used, "%s%s",
					         used ? ", " : "", t);
				}
				if (first != j)
					continue;
				printf("%s%s %s, %s: %s%s\n", lead, r->label, all ? "every size" : sizes,
				       both ? "bare and ipcx" : k == LINK_BARE ? "bare" : r->peer ? r->label : "ipcx",
				       c->state[k] == CELL_SKIP ? "skipped: " : "FAILED: ", c->why[k]);
			}
			if (c->pipe_buf > 0) {
				if (pb >= 0 && pb != c->pipe_buf)
					same = false;
				pb = c->pipe_buf;
			}
		}
		for (j = 0; j < r->ncells && pb > 0; j++) {
			if (r->cells[j].pipe_buf <= 0)
				continue;
			size_label(r->cells[j].size, s, sizeof(s));
			printf("%s%s%s%s: bare pipe buffer %ld KiB, as large as ipcx's\n", lead, r->label,
			       same ? "" : " ", same ? "" : s, r->cells[j].pipe_buf / 1024);
			if (same)
				break;
		}
	}
	if (!env->pinned)
		printf("%sratios not reported: %s\n", lead, env->pin_why);
	if (ld->share >= 0)
		printf("%sCPU pressure during the run: %.0f%% of the time a task waited for a CPU%s\n",
		       lead, ld->share * 100,
		       ld->share > 0.10 ? " - other work competed with the benchmark: the figures "
		                          "are noisy, run again on a quiet machine"
		                        : "");
	if (errors > 0)
		printf("%sINTEGRITY FAILURE: %ld messages lost or damaged among %ld checked\n", lead,
		       errors, checked);
	else
		printf("%sintegrity: %ld messages checked, none lost or damaged\n", lead, checked);
}

/* ---- JSON --------------------------------------------------------------- */

static void
json_string(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *
state_word(enum cell_state s)
{
	switch (s) {
	case CELL_OK:
		return "ok";
	case CELL_SKIP:
		return "skipped";
	case CELL_FAIL:
		return "failed";
	case CELL_NOT_RUN:
		break;
	}
	return "not run";
}

static void
json_ratio(FILE *f, const char *name, const struct bench_ratio *r)
{
	fprintf(f, "\"%s\": ", name);
	if (r->n == 0)
		fputs("null", f);
	else
		fprintf(f, "{\"median\": %.4f, \"min\": %.4f, \"max\": %.4f, \"pairs\": %d}", r->med,
		        r->min, r->max, r->n);
}

/* A number, or null where there is none. */
static void
json_num(FILE *f, const char *name, double v)
{
	fprintf(f, ", \"%s\": ", name);
	if (v > 0)
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

static void
json_link(FILE *f, const struct bench_result *res, const struct bench_row *r, int j, int k)
{
	const struct bench_cell *c = &r->cells[j];
	struct bench_series s = { r, k,
		                  r->peer ? SERIES_PEER : k == LINK_IPCX ? SERIES_IPCX : SERIES_BARE,
		                  r->bare != NULL && (r->bare->flags & BARE_BUSY),
		                  (r->bare != NULL && (r->bare->flags & BARE_SPINS)) ||
		                          (!r->peer && (r->caps & IPCX_SCHEME_LOAN)),
		                  "" };
	int i;

	fprintf(f, "{\"status\": \"%s\"", state_word(c->state[k]));
	if (c->state[k] == CELL_SKIP || c->state[k] == CELL_FAIL) {
		fputs(", \"reason\": ", f);
		json_string(f, c->why[k]);
	}
	if (c->state[k] == CELL_OK) {
		const struct bench_fig *m = &c->med[k];
		json_num(f, "rtt_p50_us", m->p50_us);
		json_num(f, "rtt_p99_us", m->p99_us);
		json_num(f, "rtt_p999_us", m->p999_us);
		json_num(f, "rtt_max_us", m->max_us);
		json_num(f, "mb_per_s", m->mb_s);
		json_num(f, "msgs_per_s", m->msgs_s);
		fprintf(f, ", \"noisy\": %s, \"noisy_latency\": %s, \"noisy_throughput\": %s",
		        c->noisy[k][0] || c->noisy[k][1] ? "true" : "false",
		        c->noisy[k][0] ? "true" : "false", c->noisy[k][1] ? "true" : "false");
		json_num(f, "floor_latency_us", bench_floor_lat_ns(res, &s, c->size) / 1e3);
		json_num(f, "floor_multiple_latency", bench_mult_lat(res, &s, j));
		json_num(f, "floor_throughput_mb_per_s", bench_floor_thr_mbs(res, c->size));
		json_num(f, "floor_multiple_throughput", bench_mult_thr(res, &s, j));
		fputs(", \"reps\": [", f);
		for (i = 0; i < c->nrep; i++) {
			const struct bench_fig *x = &c->rep[i][k];
			fprintf(f,
			        "%s{\"rtt_p50_us\": %.6g, \"rtt_p99_us\": %.6g, \"rtt_p999_us\": %.6g, "
			        "\"rtt_max_us\": %.6g, \"round_trips\": %ld, "
			        "\"mb_per_s\": %.6g, \"msgs_per_s\": %.6g, \"messages\": %ld}",
			        i ? ", " : "", x->p50_us, x->p99_us, x->p999_us, x->max_us, x->rtt_n,
			        x->mb_s, x->msgs_s, x->stream_n);
		}
		fputs("]", f);
	}
	fputs("}", f);
}

static void
json_floor(FILE *f, const char *name, const struct bench_floor *fl, double scale, bool last)
{
	fprintf(f, "\"%s\": ", name);
	if (fl->ok)
		fprintf(f, "{\"value\": %.6g, \"spread\": %.4f, \"noisy\": %s}", fl->value * scale,
		        fl->spread, fl->spread > NOISY ? "true" : "false");
	else
		fputs("null", f);
	fputs(last ? "" : ", ", f);
}

static void
json_write(FILE *f, const struct bench_opts *o, const struct bench_env *env,
           const struct load *ld, const struct bench_result *res)
{
	const struct bench_row *rows = res->rows;
	static char text[4096];
	struct utsname u;
	int i, j;

	uname(&u);
	fprintf(f, "{\n  \"ipcx_version\": ");
	json_string(f, ipcx_version());
	fprintf(f, ",\n  \"machine\": {\"sysname\": ");
	json_string(f, u.sysname);
	fprintf(f, ", \"release\": ");
	json_string(f, u.release);
	fprintf(f, ", \"machine\": ");
	json_string(f, u.machine);
	fprintf(f, ", \"cpus_online\": %ld},\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "  \"settings\": {\"quick\": %s, \"reps\": %d, \"target_ms\": %.0f, "
	           "\"ipcx_timeout_ms\": %d, \"sizes\": [",
	        o->quick ? "true" : "false", o->reps, (double)o->target_ns / 1e6, o->timeout_ms);
	for (i = 0; i < o->nsizes; i++)
		fprintf(f, "%s%zu", i ? ", " : "", o->sizes[i]);
	fprintf(f, "]},\n  \"placement\": {\"pinned\": %s, \"sender_cpu\": %d, "
	           "\"receiver_cpu\": %d, \"why_not\": ",
	        env->pinned ? "true" : "false", env->cpu_tx, env->cpu_rx);
	json_string(f, env->pinned ? NULL : env->pin_why);
	fprintf(f, "},\n  \"cpu_pressure\": ");
	if (ld->share >= 0)
		fprintf(f, "%.4f", ld->share);
	else
		fputs("null", f);
	fprintf(f, ",\n  \"floors\": {");
	json_floor(f, "cacheline_rtt_us", &res->fl->cacheline_ns, 1e-3, false);
	json_floor(f, "futex_rtt_us", &res->fl->futex_ns, 1e-3, false);
	json_floor(f, "syscall_us", &res->fl->syscall_ns, 1e-3, false);
	json_floor(f, "memcpy_64k_mb_per_s", &res->fl->memcpy64k_mbs, 1, false);
	json_floor(f, "memcpy_1m_mb_per_s", &res->fl->memcpy1m_mbs, 1, true);
	fprintf(f, "},\n  \"peers_absent\": [");
	for (i = 0; bench_peers_absent[i] != NULL; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, bench_peers_absent[i]);
	}
	fprintf(f, "],\n  \"verdicts\": [");
	for (j = 0; j < o->nsizes; j++) {
		bench_verdict(res, j, text, sizeof(text));
		fputs(j ? ",\n    " : "\n    ", f);
		json_string(f, text);
	}
	bench_summary(res, text, sizeof(text));
	fprintf(f, "],\n  \"summary\": ");
	json_string(f, text);
	fprintf(f, ",\n  \"rows\": [");
	for (i = 0; i < res->nrows; i++) {
		const struct bench_row *r = &rows[i];
		fprintf(f, "%s\n    {\"transport\": ", i ? "," : "");
		json_string(f, r->label);
		fprintf(f, ", \"kind\": \"%s\", \"scheme\": ", r->peer ? "peer" : "ipcx");
		json_string(f, r->scheme);
		fprintf(f, ", \"variant\": ");
		json_string(f, r->variant);
		fprintf(f, ", \"bare\": ");
		if (r->bare != NULL) {
			fprintf(f, "{\"calls\": ");
			json_string(f, r->bare->calls);
			fprintf(f, ", \"mechanism\": ");
			json_string(f, r->bare->mechanism);
			fprintf(f, ", \"busy\": %s}", (r->bare->flags & BARE_BUSY) ? "true" : "false");
		} else {
			fprintf(f, "null");
		}
		fprintf(f, ", \"status\": \"%s\", \"reason\": ",
		        r->state == ROW_OK ? "ok" : r->state == ROW_UNAVAILABLE ? "unavailable"
		                                                                : "failed");
		json_string(f, r->why[0] ? r->why : NULL);
		fprintf(f, ",\n     \"cells\": [");
		for (j = 0; j < r->ncells; j++) {
			const struct bench_cell *c = &r->cells[j];
			fprintf(f, "%s\n       {\"size\": %zu, \"uri\": ", j ? "," : "", c->size);
			json_string(f, c->uri[0] ? c->uri : NULL);
			if (c->pipe_buf > 0)
				fprintf(f, ", \"bare_pipe_buffer\": %ld", c->pipe_buf);
			fprintf(f, ",\n        \"bare\": ");
			json_link(f, res, r, j, LINK_BARE);
			fprintf(f, ",\n        \"ipcx\": ");
			json_link(f, res, r, j, LINK_IPCX);
			fprintf(f, ",\n        \"ratio\": {");
			json_ratio(f, "rtt_p50", &c->r_p50);
			fprintf(f, ", ");
			json_ratio(f, "rtt_p99", &c->r_p99);
			fprintf(f, ", ");
			json_ratio(f, "mb_per_s", &c->r_thr);
			fprintf(f, "}}");
		}
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"integrity\": {\"checked\": %ld, \"errors\": %ld},\n"
	           "  \"exit_status\": %d\n}\n",
	        res->checked, res->errors, res->status);
}

static void
json_write_res(FILE *f, const struct bench_result *res, const struct load *ld)
{
	json_write(f, res->o, res->env, ld, res);
}

static void
csv_write_res(FILE *f, const struct bench_result *res, const struct load *ld)
{
	(void)ld;
	bench_write_csv(res, f);
}

static void
svg_write_res(FILE *f, const struct bench_result *res, const struct load *ld)
{
	(void)ld;
	bench_write_svg(res, f);
}

/* Write one of the files (or standard output), saying why not. */
static int
write_out(const char *path, const char *opt, bool to_stdout, const struct bench_result *res,
          const struct load *ld,
          void (*fn)(FILE *, const struct bench_result *, const struct load *))
{
	FILE *f = to_stdout ? stdout : fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s: %s\n", prog, opt, path, strerror(errno));
		return -1;
	}
	fn(f, res, ld);
	if (f == stdout)
		return fflush(f) == 0 ? 0 : -1;
	if (ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "%s: %s: %s: %s\n", prog, opt, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- ipcx_bench_main ---------------------------------------------------- */

/* Is the library's list of variants for this scheme holding v? */
static bool
listed_variant(const struct ipcx_scheme_info *info, const char *v)
{
	const char *const *x;

	for (x = info->variants; *x != NULL; x++)
		if (strcmp(*x, v) == 0)
			return true;
	return false;
}

/*
 * Every built scheme, and each of its variants; then a row for each bare
 * driver that stands beside a variant the library does not list (shm
 * spin=-1 beside the busy ring), and one for each peer library built in.
 */
static int
rows_make(const struct bench_opts *o, struct bench_row *rows)
{
	const struct bare_driver *d;
	const char *const *s;
	int n = 0, i;

	for (s = ipcx_schemes(); *s != NULL; s++) {
		struct ipcx_scheme_info info;
		const char *const *v;
		if (ipcx_scheme_info(*s, &info) < 0)
			continue;
		if (info.variants[0] == NULL) {
			if (n < MAX_ROWS)
				bench_row_init(&rows[n], *s, &info, NULL);
			n += n < MAX_ROWS && only_names(o->only, &rows[n]);
		}
		for (v = info.variants; *v != NULL && n < MAX_ROWS; v++) {
			bench_row_init(&rows[n], *s, &info, *v);
			n += only_names(o->only, &rows[n]);
		}
		for (i = 0; (d = bare_at(i)) != NULL && n < MAX_ROWS; i++) {
			if ((d->flags & BARE_PEER) || d->variant == NULL ||
			    strcmp(d->scheme, *s) != 0 || listed_variant(&info, d->variant))
				continue;
			bench_row_init(&rows[n], *s, &info, d->variant);
			n += only_names(o->only, &rows[n]);
		}
	}
	for (i = 0; (d = bare_at(i)) != NULL && n < MAX_ROWS; i++) {
		if (!(d->flags & BARE_PEER))
			continue;
		bench_row_init_peer(&rows[n], d);
		n += only_names(o->only, &rows[n]);
	}
	return n;
}

int
ipcx_bench_main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_env env;
	struct bench_row *rows;
	struct saved saved = { .cpus_saved = false };
	struct load ld = { .share = -1 };
	struct bench_floors floors;
	struct bench_result res;
	static char summary[4096];
	char *old_reg = NULL;
	const char *envreg;
	long checked = 0, errors = 0;
	bool help, tty = isatty(2), json_only;
	int i, j, n, status = 0;

	if (argc >= 2 && strcmp(argv[1], "--peer") == 0)
		return bench_peer_main(argc - 2, argv + 2);
	if (argc > 0 && argv[0] != NULL)
		prog = strcmp(argv[0], "bench") == 0 ? "ipcx bench" : argv[0];
	if (parse_opts(argc, argv, &o, &help) < 0)
		return EXIT_USAGE;
	noisy_mark = o.markdown ? "\\*" : "*";
	if (help) {
		printf("Usage: %s [--quick] [--only LIST] [--sizes LIST] [--reps N] [--time MS]\n"
		       "       [--count N] [--json FILE] [--csv FILE] [--svg FILE]\n"
		       "       [--no-pin | --same-core] [--timeout MS]\n\n%s",
		       prog, usage_text);
		return 0;
	}
	/* The peer is this very program started again: `ipcx bench --peer`
	 * or `ipcx-bench --peer`. */
	snprintf(o.self, sizeof(o.self), "%s", strcmp(prog, "ipcx bench") == 0 ? "bench" : "");
	json_only = o.json_path != NULL && strcmp(o.json_path, "-") == 0;
	rows = calloc(MAX_ROWS, sizeof(*rows));
	if (rows == NULL)
		return 1;
	n = rows_make(&o, rows);
	if ((envreg = getenv("IPCX_REGISTRY_DIR")) != NULL)
		old_reg = strdup(envreg);
	if (scratch_make(&o) < 0) {
		free(rows);
		free(old_reg);
		return 1;
	}
	bench_stop = 0;
	signals_install(&saved);
	placement(&o, &env, &saved);
	if (!json_only) {
		print_machine(&o, &env);
		fflush(stdout);
	}
	if (tty)
		fprintf(stderr, "\r%s: [floors] cache line, futex, system call, memcpy", prog);
	bench_floors_measure(&floors, &o, &env);
	if (!json_only) {
		bench_print_floors(&(struct bench_result){ .o = &o, .fl = &floors });
		fflush(stdout);
	}
	ld.p0 = cpu_pressure_us();
	ld.t0 = bench_now_ns();
	for (i = 0; i < n && bench_stop != SIGINT && bench_stop != SIGTERM; i++) {
		if (tty)
			fprintf(stderr, "\r%s: [%d/%d] %-50s", prog, i + 1, n, rows[i].label);
		bench_row_run(&rows[i], &o, &env);
		checked += rows[i].checked;
		errors += rows[i].errors;
		if (rows[i].state == ROW_FAILED)
			status = 1;
	}
	if (tty)
		fprintf(stderr, "\r%*s\r", (int)strlen(prog) + 64, "");
	if (ld.p0 >= 0 && cpu_pressure_us() >= ld.p0 && bench_now_ns() > ld.t0)
		ld.share = (double)(cpu_pressure_us() - ld.p0) * 1e3 / (double)(bench_now_ns() - ld.t0);
	for (i = 0; i < n; i++)
		for (j = 0; j < rows[i].ncells; j++)
			cell_figures(&rows[i].cells[j], env.pinned);
	if (errors > 0)
		status = 1;
	res = (struct bench_result){ .o = &o, .env = &env, .fl = &floors, .rows = rows,
		                     .nrows = n, .checked = checked, .errors = errors,
		                     .pressure = ld.share };
	if (bench_stop == SIGINT || bench_stop == SIGTERM) {
		status = 128 + bench_stop;
		fprintf(stderr, "%s: interrupted; removed %s\n", prog, o.dir);
	} else {
		if (!json_only) {
			bench_print_glance(&res);
			bench_print_verdicts(&res);
			bench_summary(&res, summary, sizeof(summary));
			printf("\nwhich one should I use: %s\n", summary);
			print_detail(&o, rows, n, 0);
			print_detail(&o, rows, n, 1);
			print_matrix(&o, rows, n);
			print_notes(&o, rows, n, &env, &ld, checked, errors);
		}
		res.status = status;
		if (o.json_path != NULL &&
		    write_out(o.json_path, "--json", json_only, &res, &ld, json_write_res) < 0)
			status = 1;
		if (o.csv_path != NULL &&
		    write_out(o.csv_path, "--csv", strcmp(o.csv_path, "-") == 0, &res, &ld,
		              csv_write_res) < 0)
			status = 1;
		if (o.svg_path != NULL &&
		    write_out(o.svg_path, "--svg", strcmp(o.svg_path, "-") == 0, &res, &ld,
		              svg_write_res) < 0)
			status = 1;
		if (o.svg_path != NULL && strcmp(o.svg_path, "-") != 0 && status == 0 && !json_only)
			printf("chart: %s\n", o.svg_path);
	}
	bench_peers_fini();
	if (saved.cpus_saved)
		(void)sched_setaffinity(0, sizeof(saved.cpus), &saved.cpus);
	signals_restore(&saved);
	remove_tree(o.dir, 0);
	if (old_reg != NULL)
		setenv("IPCX_REGISTRY_DIR", old_reg, 1);
	else
		unsetenv("IPCX_REGISTRY_DIR");
	free(old_reg);
	free(rows);
	fflush(stdout);
	return status;
}
