/* SPDX-License-Identifier: MIT */
/*
 * bench.c - ipcx_bench_main: options, the private scratch directory, the
 * signal handling that lets ^C end a run cleanly, and the output (an
 * aligned table that grows row by row, or one JSON document).
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"
#include "bench_int.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"Measure every ipcx transport between two processes, side by side.\n"
	"\n"
	"For each transport the benchmark forks a child that joins the channel,\n"
	"then measures the round-trip latency of small messages (median and\n"
	"99th percentile) and one-way throughput of small and bulk messages.\n"
	"Every message carries a sequence number and a checked pattern; any\n"
	"mismatch fails the run.  The first row, raw pipe(2), does the same\n"
	"work with plain write(2)/read(2) and no ipcx, as the baseline.\n"
	"\n"
	"Options:\n"
	"  --quick         small counts, for a fast look (a few seconds)\n"
	"  --json          one JSON document instead of the table\n"
	"  --only LIST     only these schemes, comma-separated\n"
	"                  (raw, pipe, fifo, unix, tcp, file, shm, sysvshm, mq,\n"
	"                  sysvmq, signal)\n"
	"  --count N       messages per measurement (defaults: 20000 round trips,\n"
	"                  200000 small and 50000 bulk messages; --quick: 5000,\n"
	"                  50000 and 10000)\n"
	"  --size BYTES    bulk message size, 16 to 16M, K/M suffixes (default 4K)\n"
	"  --help          this text\n"
	"\n"
	"Each measurement also stops after a fixed time (0.5 s with --quick,\n"
	"2 s otherwise), so a slow transport cannot stretch the run.  Numbers\n"
	"are from one run on this machine: compare rows, not machines.\n"
	"Exit status: 0 all rows passed, 1 a row failed or an integrity check\n"
	"found an error, 2 usage error, 128+N ended by signal N.\n";

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
	if (errno != 0)
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

static bool
only_lists(const char *only, const char *scheme)
{
	size_t n = strlen(scheme);
	const char *p = only;

	while (p != NULL && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		/* "unix:" and "unix" both name the scheme. */
		if (len > 0 && p[len - 1] == ':')
			len--;
		if (len == n && strncmp(p, scheme, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static int
check_only(const char *only)
{
	const char *p = only;
	char word[32];
	int i;

	while (p != NULL && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		bool known = false;
		if (len == 0 || len >= sizeof(word))
			return -1;
		memcpy(word, p, len);
		word[len] = '\0';
		if (word[len - 1] == ':')
			word[len - 1] = '\0';
		for (i = 0; i < bench_row_count(); i++)
			if (strcmp(word, bench_row_scheme(i)) == 0)
				known = true;
		if (!known) {
			fprintf(stderr, "%s: --only: unknown scheme '%s'\n", prog, word);
			return -1;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o, bool *help)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' }, { "json", no_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long count = 0;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->small_size = 64;
	o->bulk_size = 4096;
	*help = false;
	optind = 0; /* a fresh scan, also when called twice in one process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o->quick = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'o':
			if (check_only(optarg) < 0)
				return -1;
			o->only = optarg;
			break;
		case 'c':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || count < 1 || count > 100000000) {
				fprintf(stderr, "%s: --count: expected 1 to 100000000\n", prog);
				return -1;
			}
			break;
		case 's':
			if (parse_size(optarg, &o->bulk_size) < 0) {
				fprintf(stderr, "%s: --size: expected 16 to 16M bytes\n", prog);
				return -1;
			}
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
	/* The time caps bound a row to about three caps plus set-up however
	 * slow the machine; the watchdog and the I/O timeout only catch a
	 * peer that stopped. */
	if (o->quick) {
		o->rtt_count = 5000;
		o->small_count = 50000;
		o->bulk_count = 10000;
		o->rtt_cap_ns = o->stream_cap_ns = 500000000;
		o->row_alarm_s = 10;
		o->io_timeout_ms = 5000;
	} else {
		o->rtt_count = 20000;
		o->small_count = 200000;
		o->bulk_count = 50000;
		o->rtt_cap_ns = o->stream_cap_ns = 2000000000;
		o->row_alarm_s = 40;
		o->io_timeout_ms = 10000;
	}
	if (count > 0)
		o->rtt_count = o->small_count = o->bulk_count = count;
	return 0;
}

/* ---- signals and the scratch directory ------------------------------ */

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
	/* A blocking read(2) of the raw row that began just after this
	 * handler ran would not see it: interrupt it again in a second. */
	alarm(1);
}

struct saved_signals {
	struct sigaction intr, term, alrm;
};

static void
signals_install(struct saved_signals *s)
{
	struct sigaction sa;
	sigset_t pipe_set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking raw read(2) must return EINTR. */
	sigaction(SIGINT, &sa, &s->intr);
	sigaction(SIGTERM, &sa, &s->term);
	sigaction(SIGALRM, &sa, &s->alrm);
	/* The raw row writes to pipes with plain write(2); a dead reader
	 * must be an EPIPE, never the end of the process.  ipcx leaves the
	 * same mask in every thread that writes to a pipe. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
}

static void
signals_restore(const struct saved_signals *s)
{
	alarm(0);
	sigaction(SIGINT, &s->intr, NULL);
	sigaction(SIGTERM, &s->term, NULL);
	sigaction(SIGALRM, &s->alrm, NULL);
}

static int
scratch_make(struct bench_opts *o)
{
	const char *tmp = getenv("TMPDIR");
	char reg[sizeof(o->dir) + 16];

	/* Socket paths must fit sun_path (108 bytes): fall back to /tmp when
	 * TMPDIR is long. */
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 60)
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

/* Remove the scratch directory and whatever a failed row left in it (one
 * level, plus the registry folder). */
static void
scratch_remove(const struct bench_opts *o)
{
	char path[PATH_MAX];
	int pass;

	for (pass = 0; pass < 2; pass++) {
		const char *base = o->dir;
		char sub[PATH_MAX];
		struct dirent *e;
		DIR *d;

		if (pass == 0) {
			snprintf(sub, sizeof(sub), "%s/registry", o->dir);
			base = sub;
		}
		d = opendir(base);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", base, e->d_name) >=
			    (int)sizeof(path))
				continue;
			if (unlink(path) < 0 && errno == EISDIR)
				(void)rmdir(path);
		}
		closedir(d);
		if (pass == 0)
			(void)rmdir(base);
	}
	(void)rmdir(o->dir);
}

/* ---- output --------------------------------------------------------- */

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

static void
table_header(const struct bench_opts *o)
{
	char s[32], b[32], cs[48], cb[48];

	size_label(o->small_size, s, sizeof(s));
	size_label(o->bulk_size, b, sizeof(b));
	snprintf(cs, sizeof(cs), "%s msg/s", s);
	snprintf(cb, sizeof(cb), "%s MB/s", b);
	printf("%-16s %11s %11s %12s %10s  %s\n", "transport", "rtt p50 us", "rtt p99 us", cs,
	       cb, "integrity");
	fflush(stdout);
}

/* A number for the table, or "-" for a measurement that did not finish. */
static const char *
num(double v, int decimals, char *buf)
{
	if (v <= 0)
		return "-";
	snprintf(buf, 24, "%.*f", decimals, v);
	return buf;
}

static void
table_row(const struct bench_result *r)
{
	char integ[64], c[4][24];

	if (r->status == ROW_NOT_BUILT || r->status == ROW_NO_DRIVER) {
		printf("%-16s %s\n", r->name, r->note);
	} else if (r->status == ROW_FAILED && r->rtt_samples == 0) {
		printf("%-16s FAILED: %s\n", r->name, r->note);
	} else {
		if (r->errors > 0)
			snprintf(integ, sizeof(integ), "FAIL: %ld errors in %ld msgs", r->errors,
			         r->checked);
		else if (r->status == ROW_FAILED)
			snprintf(integ, sizeof(integ), "FAILED");
		else
			snprintf(integ, sizeof(integ), "ok (%ld msgs)", r->checked);
		printf("%-16s %11s %11s %12s %10s  %s\n", r->name, num(r->rtt_p50_us, 1, c[0]),
		       num(r->rtt_p99_us, 1, c[1]), num(r->small_msgs_s, 0, c[2]),
		       num(r->bulk_mb_s, 1, c[3]), integ);
		if (r->status == ROW_FAILED)
			printf("%-16s   %s\n", "", r->note);
	}
	fflush(stdout);
}

static const struct bench_result *
find(const struct bench_result *res, int n, const char *scheme)
{
	int i;

	for (i = 0; i < n; i++)
		if (res[i].name != NULL && strcmp(res[i].scheme, scheme) == 0 &&
		    res[i].status == ROW_OK)
			return &res[i];
	return NULL;
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void
table_footer(const struct bench_opts *o, const struct bench_result *res, int n,
             const struct utsname *u)
{
	const struct bench_result *raw = find(res, n, "raw"), *pipe = find(res, n, "pipe");
	char s[32], b[32];
	int i;

	size_label(o->small_size, s, sizeof(s));
	size_label(o->bulk_size, b, sizeof(b));
	for (i = 0; i < n; i++)
		if (res[i].name != NULL && res[i].status == ROW_OK && res[i].note[0])
			printf("note: %s %s\n", res[i].name, res[i].note);
	if (raw != NULL && pipe != NULL)
		printf("ipcx pipe / raw pipe(2): latency x%.2f p50, x%.2f p99 (above 1: ipcx "
		       "slower); throughput x%.2f %s, x%.2f %s (below 1: ipcx slower)\n",
		       ratio(pipe->rtt_p50_us, raw->rtt_p50_us),
		       ratio(pipe->rtt_p99_us, raw->rtt_p99_us),
		       ratio(pipe->small_msgs_s, raw->small_msgs_s), s,
		       ratio(pipe->bulk_mb_s, raw->bulk_mb_s), b);
	printf("machine: %s %s %s, %ld CPUs; numbers are from one run%s (MB = 10^6 bytes)\n",
	       u->sysname, u->release, u->machine, sysconf(_SC_NPROCESSORS_ONLN),
	       o->quick ? " with --quick counts" : "");
}

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *
status_word(enum bench_status s)
{
	switch (s) {
	case ROW_OK:
		return "ok";
	case ROW_FAILED:
		return "failed";
	case ROW_NOT_BUILT:
		return "not built yet";
	case ROW_NO_DRIVER:
		return "no driver";
	}
	return "?";
}

static void
json_output(const struct bench_opts *o, const struct bench_result *res, int n,
            const struct utsname *u)
{
	int i, first = 1;

	printf("{\n  \"machine\": {\"sysname\": ");
	json_string(u->sysname);
	printf(", \"release\": ");
	json_string(u->release);
	printf(", \"machine\": ");
	json_string(u->machine);
	printf(", \"cpus\": %ld},\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("  \"quick\": %s,\n  \"small_size\": %zu,\n  \"bulk_size\": %zu,\n",
	       o->quick ? "true" : "false", o->small_size, o->bulk_size);
	printf("  \"rows\": [");
	for (i = 0; i < n; i++) {
		const struct bench_result *r = &res[i];
		if (r->name == NULL)
			continue;
		printf("%s\n    {\"transport\": ", first ? "" : ",");
		first = 0;
		json_string(r->name);
		printf(", \"scheme\": ");
		json_string(r->scheme);
		printf(", \"status\": ");
		json_string(status_word(r->status));
		if (r->status == ROW_OK || r->status == ROW_FAILED)
			printf(", \"rtt_p50_us\": %.2f, \"rtt_p99_us\": %.2f, \"rtt_samples\": %ld, "
			       "\"small_msgs_per_s\": %.0f, \"small_mb_per_s\": %.2f, "
			       "\"small_msgs\": %ld, \"bulk_msgs_per_s\": %.0f, "
			       "\"bulk_mb_per_s\": %.2f, \"bulk_msgs\": %ld, "
			       "\"checked\": %ld, \"integrity_errors\": %ld",
			       r->rtt_p50_us, r->rtt_p99_us, r->rtt_samples, r->small_msgs_s,
			       r->small_mb_s, r->small_n, r->bulk_msgs_s, r->bulk_mb_s, r->bulk_n,
			       r->checked, r->errors);
		printf(", \"note\": ");
		json_string(r->note);
		printf("}");
	}
	printf("\n  ]\n}\n");
}

/* ---- ipcx_bench_main ---------------------------------------------------- */

int
ipcx_bench_main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_result *res;
	struct saved_signals saved;
	struct utsname u;
	char *old_reg = NULL;
	const char *env;
	bool help;
	int i, n = bench_row_count(), status = 0;

	if (argc > 0 && argv[0] != NULL)
		prog = strcmp(argv[0], "bench") == 0 ? "ipcx bench" : argv[0];
	if (parse_opts(argc, argv, &o, &help) < 0)
		return EXIT_USAGE;
	if (help) {
		printf("usage: %s [--quick] [--json] [--only LIST] [--count N] [--size BYTES]\n\n%s",
		       prog, usage_text);
		return 0;
	}
	res = calloc((size_t)n, sizeof(*res));
	if (res == NULL)
		return 1;
	if ((env = getenv("IPCX_REGISTRY_DIR")) != NULL)
		old_reg = strdup(env);
	if (scratch_make(&o) < 0) {
		free(res);
		free(old_reg);
		return 1;
	}
	uname(&u);
	bench_stop = 0;
	signals_install(&saved);
	if (!o.json)
		table_header(&o);
	for (i = 0; i < n && bench_stop != SIGINT && bench_stop != SIGTERM; i++) {
		if (o.only != NULL && !only_lists(o.only, bench_row_scheme(i)))
			continue;
		bench_row_run(i, &o, &res[i]);
		if (bench_stop == SIGALRM)
			bench_stop = 0; /* the watchdog ended this row only */
		if (res[i].status == ROW_FAILED)
			status = 1;
		if (!o.json && bench_stop != SIGINT && bench_stop != SIGTERM)
			table_row(&res[i]);
	}
	if (bench_stop == SIGINT || bench_stop == SIGTERM) {
		status = 128 + bench_stop;
		fprintf(stderr, "%s: interrupted; removed %s\n", prog, o.dir);
	} else if (o.json) {
		json_output(&o, res, n, &u);
	} else {
		table_footer(&o, res, n, &u);
	}
	signals_restore(&saved);
	scratch_remove(&o);
	if (old_reg != NULL)
		setenv("IPCX_REGISTRY_DIR", old_reg, 1);
	else
		unsetenv("IPCX_REGISTRY_DIR");
	free(old_reg);
	free(res);
	fflush(stdout);
	return status;
}
