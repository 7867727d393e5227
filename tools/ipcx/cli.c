/* SPDX-License-Identifier: MIT */
/*
 * cli.c - the services every verb of the ipcx command uses: error lines and
 * exit statuses, the URI check (the library's), signals, the -t deadline and
 * opening a channel with --wait.  Output formats live in out.c and the
 * socket serve loop in cmd_listen.c.
 *
 * Map:
 *   messages and statuses
 *   URIs
 *   deadline
 *   signals
 *   options
 *   opening
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ipcx_shared.h"

/* ---- messages and statuses ---------------------------------------------- */

void
cli_say(const char *verb, const char *uri, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (uri != NULL)
		fprintf(stderr, "ipcx: %s: %s: %s\n", verb, uri, text);
	else
		fprintf(stderr, "ipcx: %s: %s\n", verb, text);
}

void
cli_error(const char *verb, const char *uri, int err, ipcx_chan *ch, const char *hint, ...)
{
	const char *detail = ch != NULL ? ipcx_errmsg(ch) : "";
	char h[512] = "";
	va_list ap;

	if (hint != NULL) {
		va_start(ap, hint);
		vsnprintf(h, sizeof(h), hint, ap);
		va_end(ap);
	}
	fprintf(stderr, "ipcx: %s: %s: %s%s%s%s%s%s\n", verb, uri, ipcx_strerror(err),
	        detail[0] ? " (" : "", detail, detail[0] ? ")" : "", h[0] ? "; " : "", h);
}

int
cli_usage(const char *verb, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (verb != NULL)
		fprintf(stderr, "ipcx: %s: %s\nTry 'ipcx %s --help'.\n", verb, text, verb);
	else
		fprintf(stderr, "ipcx: %s\nTry 'ipcx --help'.\n", text);
	return CLI_USAGE;
}

int
cli_status(int err)
{
	return (err == -ENOENT || err == -ECONNREFUSED) ? CLI_NOENT : CLI_FAIL;
}

/* A URI as a shell word: quoted when it holds what the shell would take
 * apart ('&' ';' spaces ...), so a hint can be pasted as it is. */
const char *
cli_shell_word(const char *text, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p;

	if (text[strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                      "0123456789@%+=:,./_-")] == '\0')
		return text;
	out[o++] = '\'';
	for (p = text; *p && o + 6 < outlen; p++) {
		if (*p == '\'') {
			memcpy(out + o, "'\\''", 4);
			o += 4;
		} else {
			out[o++] = *p;
		}
	}
	out[o++] = '\'';
	out[o] = '\0';
	return out;
}

const char *
cli_hint(const char *verb, const struct cli_uri *u, int err)
{
	static char buf[IPCX_URI_MAX * 2 + 200];
	char word[IPCX_URI_MAX * 2 + 8];
	const char *w = cli_shell_word(u->text, word, sizeof(word));

	(void)verb;
	switch (-err) {
	case ENOENT:
		if (cli_uri_listens(u))
			snprintf(buf, sizeof(buf), "is a server running? start one with `ipcx listen %s`",
			         w);
		else if (cli_uri_named(u))
			snprintf(buf, sizeof(buf), "create it with `ipcx create %s`", w);
		else
			return NULL;
		return buf;
	case ECONNREFUSED:
		snprintf(buf, sizeof(buf), "start a server with `ipcx listen %s`", w);
		return buf;
	case EPROTO:
		/* Framing is a byte stream's; a message transport's -EPROTO is
		 * what is there (not a log, a corrupt record): its sentence. */
		if (!(u->caps & IPCX_SCHEME_STREAM))
			return NULL;
		return "both ends must use the same framing= (len, line or raw)";
	case EADDRINUSE:
		return "another server listens there; stop it or pick another address";
	case EEXIST:
		/* Only create has --exist-ok, and it asks what is there itself;
		 * a server refuses what is not its own kind of object. */
		return "it is not a channel this command can use, and ipcx will not touch it: "
		       "remove it yourself or pick another address";
	case ENOTSUP:
		if (!u->built)
			snprintf(buf, sizeof(buf), "the %s: transport is not built yet in ipcx %s",
			         u->scheme, ipcx_version());
		else
			snprintf(buf, sizeof(buf), "the %s: transport cannot do this", u->scheme);
		return buf;
	case EBADF:
		return "no descriptor of that number is open in this process";
	default:
		return NULL;
	}
}

/* ---- -v, --verbose ---------------------------------------------------------- */

bool cli_verbose;
const char *cli_verb = "ipcx";

void
cli_log(const char *fmt, ...)
{
	char text[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (!cli_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Wall-clock time, for matching against other programs' logs. */
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "ipcx: %s: [%s.%03ld] %s\n", cli_verb, stamp, ts.tv_nsec / 1000000, text);
}

void
cli_peer_text(ipcx_chan *ch, char *out, size_t outlen)
{
	struct ipcx_stat st;
	size_t o = 0;

	out[0] = '\0';
	if (ipcx_stat(ch, &st) < 0)
		return;
	/* An accepted connection's canonical URI is the peer's address where
	 * the mechanism has one (tcp:); on unix: it is the server's own. */
	if (st.role == IPCX_ROLE_ACCEPTED && st.uri[0] != '\0' && !st.has_peer)
		o += (size_t)snprintf(out, outlen, " from %s", st.uri);
	if (st.has_peer && o < outlen)
		snprintf(out + o, outlen - o, " (pid %ld, uid %lu)", (long)st.peer_pid,
		         (unsigned long)st.peer_uid);
}

/* ---- URIs --------------------------------------------------------------- */

/*
 * Does the query of a URI that ipcx_uri_check accepted hold key (with this
 * value, unless value is NULL)?  The URI is known to be well formed, so a
 * key is found as itself right after '?' or '&'; a value written with %XX
 * escapes is not recognised, which only costs the convenience it serves.
 */
static bool
cli_query_has(const char *query, const char *key, const char *value)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = query; p != NULL; p = strchr(p + 1, '&')) {
		const char *v = p + 1, *end;
		if (strncmp(v, key, klen) != 0 || v[klen] != '=')
			continue;
		if (value == NULL)
			return true;
		v += klen + 1;
		end = strchr(v, '&');
		if (end == NULL)
			end = v + strlen(v);
		return (size_t)(end - v) == strlen(value) && strncmp(v, value, strlen(value)) == 0;
	}
	return false;
}

/*
 * "?type=seqpacket,mode=0666": socat joins options with ','; a URI joins
 * keys with '&'.  The fixed URI, if a ',' before a "key=" is the cause.
 */
static const char *
uri_comma_fix(const char *text, char *out, size_t outlen)
{
	const char *q = strchr(text, '?'), *p;
	bool fixed = false;
	size_t o = 0;

	if (q == NULL || strlen(text) >= outlen)
		return NULL;
	for (p = text; *p && o + 1 < outlen; p++) {
		if (p > q && *p == ',') {
			size_t k = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");
			if (k > 0 && p[1 + k] == '=') {
				out[o++] = '&';
				fixed = true;
				continue;
			}
		}
		out[o++] = *p;
	}
	out[o] = '\0';
	return fixed && ipcx_uri_check(out) == 0 ? out : NULL;
}

static int
uri_bad(const char *verb, const char *text, const char *why)
{
	char fixed[IPCX_URI_MAX], word[IPCX_URI_MAX * 2 + 8];
	char why_copy[512];

	/* A URI too long to be one is not echoed back whole. */
	if (strnlen(text, IPCX_URI_MAX + 1) > IPCX_URI_MAX)
		text = "(URI)";
	snprintf(why_copy, sizeof(why_copy), "%s", why); /* the check below resets it */
	if (uri_comma_fix(text, fixed, sizeof(fixed)) != NULL)
		fprintf(stderr, "ipcx: %s: %s: %s; keys are joined with '&', quoted for the shell: "
		                "%s\nTry 'ipcx %s --help'.\n",
		        verb, text, why_copy, cli_shell_word(fixed, word, sizeof(word)), verb);
	else
		fprintf(stderr, "ipcx: %s: %s: %s\nTry 'ipcx %s --help'.\n", verb, text, why_copy,
		        verb);
	return CLI_USAGE;
}

int
cli_uri_parse(const char *verb, const char *text, struct cli_uri *out)
{
	struct ipcx_scheme_info info;
	const char *colon, *addr, *query;
	size_t slen, alen, n;
	char *probe;

	memset(out, 0, sizeof(*out));
	out->text = text;
	/* The library's own check: every refusal has its reason. */
	if (ipcx_uri_check(text) < 0)
		return uri_bad(verb, text, ipcx_errmsg(NULL));

	/* Well formed from here on: the scheme ends at the first ':' (at most
	 * 15 characters), the query starts at the first '?'. */
	colon = strchr(text, ':');
	slen = (size_t)(colon - text);
	snprintf(out->scheme, sizeof(out->scheme), "%.*s", (int)slen, text);
	if (ipcx_scheme_info(out->scheme, &info) == 0) {
		out->built = true;
		out->caps = info.caps;
		out->summary = info.summary;
	}
	addr = colon + 1;
	if (addr[0] == '/' && addr[1] == '/')
		addr += 2;
	query = strchr(addr, '?');
	alen = query != NULL ? (size_t)(query - addr) : strlen(addr);
	/* The library takes no address for ipcx_pair; the command never
	 * makes a pair, so here an address is always needed. */
	if (alen == 0) {
		char why[256];
		snprintf(why, sizeof(why), "invalid URI: the address after %s: is empty%s%s%s",
		         out->scheme, out->built ? " (" : "", out->built ? info.address : "",
		         out->built ? ")" : "");
		return uri_bad(verb, text, why);
	}
	snprintf(out->address, sizeof(out->address), "%.*s", (int)alen, addr);
	out->has_query = query != NULL;
	out->raw = cli_query_has(query, "framing", "raw");
	out->has_timeout = cli_query_has(query, "timeout", NULL);
	/* Does the scheme bound its join with timeout=?  Ask the library
	 * rather than know which schemes connect. */
	n = strlen(text) + 16;
	probe = malloc(n);
	if (probe != NULL) {
		snprintf(probe, n, "%s%ctimeout=1", text, out->has_query ? '&' : '?');
		out->takes_timeout = !out->has_timeout && ipcx_uri_check(probe) == 0;
		free(probe);
	}
	return 0;
}

const char *
cli_schemes_with(unsigned caps, char *out, size_t outlen)
{
	const char *const *s;
	size_t o = 0;

	out[0] = '\0';
	for (s = ipcx_schemes(); *s != NULL && o < outlen; s++) {
		struct ipcx_scheme_info info;
		if (ipcx_scheme_info(*s, &info) < 0 || (info.caps & caps) != caps)
			continue;
		o += (size_t)snprintf(out + o, outlen - o, "%s%s:", o > 0 ? ", " : "", *s);
	}
	return out;
}

void
cli_print_schemes(FILE *f)
{
	const char *const *s;

	for (s = ipcx_schemes(); *s != NULL; s++) {
		struct ipcx_scheme_info info;
		char form[96];

		if (ipcx_scheme_info(*s, &info) < 0)
			continue;
		snprintf(form, sizeof(form), "%s:%s", info.scheme, info.address);
		fprintf(f, "  %-28s %s\n", form, info.summary);
	}
}

/* ---- deadline ------------------------------------------------------------- */

int64_t
cli_now_ns(void)
{
	return ipcx_shared_now_ns();
}

void
cli_deadline_start(struct cli_deadline *d, long ms)
{
	d->set = ms >= 0;
	d->at_ns = d->set ? cli_now_ns() + (int64_t)ms * 1000000 : 0;
}

int
cli_deadline_left(const struct cli_deadline *d)
{
	int64_t left;

	if (!d->set)
		return -1;
	left = d->at_ns - cli_now_ns();
	if (left <= 0)
		return 0;
	/* Round up: a wait handed this many milliseconds never ends before
	 * the deadline itself. */
	left = (left + 999999) / 1000000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

bool
cli_deadline_passed(const struct cli_deadline *d)
{
	return d->set && cli_now_ns() >= d->at_ns;
}

/* ---- signals -------------------------------------------------------------- */

#define CLI_WATCH_MAX 4
#define CLI_PRIVATE_FD_MIN 200

static volatile sig_atomic_t cli_sig;
static volatile sig_atomic_t cli_exit_now;
static int cli_sig_pipe[2] = { -1, -1 };
static ipcx_chan *volatile cli_watched[CLI_WATCH_MAX];

/*
 * Async-signal-safe only: record the signal, make the self-pipe readable for
 * the poll loops, and ipcx_wake() the channels a library call may be blocked
 * on.  A second signal, or one during ipcx_join (nothing made yet), ends the
 * process at once.
 */
static void
cli_on_signal(int signo)
{
	int saved = errno, i;

	if (cli_exit_now || cli_sig != 0)
		_exit(128 + signo);
	cli_sig = signo;
	if (cli_sig_pipe[1] >= 0)
		(void)!write(cli_sig_pipe[1], "x", 1);
	for (i = 0; i < CLI_WATCH_MAX; i++) {
		ipcx_chan *ch = cli_watched[i];
		if (ch != NULL)
			(void)ipcx_wake(ch);
	}
	errno = saved;
}

/* The self-pipe lives out of the way of the low numbers a user names in
 * pipe:FD; its identity is kept to tell whether a join took it over. */
static dev_t cli_sig_pipe_dev;
static ino_t cli_sig_pipe_ino;

static int
cli_sig_pipe_open(void)
{
	struct stat st;
	int i;

	if (pipe2(cli_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		int fd = fcntl(cli_sig_pipe[i], F_DUPFD_CLOEXEC, CLI_PRIVATE_FD_MIN);
		if (fd >= 0) {
			close(cli_sig_pipe[i]);
			cli_sig_pipe[i] = fd;
		}
	}
	if (fstat(cli_sig_pipe[0], &st) == 0) {
		cli_sig_pipe_dev = st.st_dev;
		cli_sig_pipe_ino = st.st_ino;
	}
	if (cli_sig != 0)
		(void)!write(cli_sig_pipe[1], "x", 1);
	return 0;
}

/* Is descriptor fd still our end of the self-pipe? */
static bool
cli_sig_pipe_is(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == cli_sig_pipe_dev &&
	       st.st_ino == cli_sig_pipe_ino && fcntl(fd, F_GETFD) >= 0;
}

/*
 * A URI that adopts descriptors (pipe:FD) may name one of the self-pipe's,
 * which the user never passed.  Whatever scheme did it, the join then took
 * the descriptor over, and the pipe is no longer ours at that number: say
 * EBADF, as for any descriptor that was not open, and make a new pipe.
 * Runs while a signal ends the process at once, so the handler never
 * writes into a descriptor in flux.
 */
static bool
cli_sig_pipe_taken(void)
{
	int i;

	if (cli_sig_pipe_is(cli_sig_pipe[0]) && cli_sig_pipe_is(cli_sig_pipe[1]))
		return false;
	for (i = 0; i < 2; i++) {
		if (cli_sig_pipe_is(cli_sig_pipe[i]))
			close(cli_sig_pipe[i]);
		cli_sig_pipe[i] = -1;
	}
	return true;
}

int
cli_signals_init(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	sigset_t pipe_set;
	size_t i;
	int rc;

	rc = cli_sig_pipe_open();
	if (rc < 0)
		return rc;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_on_signal;
	sigfillset(&sa.sa_mask);
	/* No SA_RESTART: a blocking read of standard input must return. */
	sa.sa_flags = 0;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue; /* nohup, or a background job of a non-interactive shell */
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	}
	/* SIGPIPE blocked, never ignored: a write to a closed standard output
	 * then fails with EPIPE, so a listener can still remove its socket
	 * file; and ipcx itself blocks it in the thread after a pipe send. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &pipe_set, NULL);
	return 0;
}

int
cli_signalled(void)
{
	return cli_sig;
}

int
cli_signal_fd(void)
{
	return cli_sig_pipe[0];
}

int
cli_signal_status(void)
{
	return 128 + cli_sig;
}

/* Change the watch list with the handled signals blocked, so the handler
 * never sees a half-written slot. */
static void
cli_watch_set(ipcx_chan *from, ipcx_chan *to)
{
	sigset_t all, old;
	int i;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < CLI_WATCH_MAX; i++) {
		if (cli_watched[i] == from) {
			cli_watched[i] = to;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* A signal that came before the channel was watched found nothing to
	 * wake: wake it now, so its next blocking call returns at once. */
	if (to != NULL && cli_sig != 0)
		(void)ipcx_wake(to);
}

void
cli_watch(ipcx_chan *ch)
{
	cli_watch_set(NULL, ch);
}

void
cli_unwatch(ipcx_chan *ch)
{
	if (ch != NULL)
		cli_watch_set(ch, NULL);
}

void
cli_exit_on_signal(bool on)
{
	cli_exit_now = on;
	if (on && cli_sig != 0)
		_exit(128 + cli_sig);
}

int
cli_sleep(int ms)
{
	struct pollfd p = { .fd = cli_sig_pipe[0], .events = POLLIN };
	int64_t until = cli_now_ns() + (int64_t)ms * 1000000;

	for (;;) {
		int64_t left = until - cli_now_ns();
		if (cli_sig != 0)
			return -EINTR;
		if (left <= 0)
			return 0;
		(void)poll(&p, 1, (int)((left + 999999) / 1000000));
	}
}

/* ---- options -------------------------------------------------------------- */

int
cli_bad_option(const char *verb, int c, char **argv)
{
	if (c == ':') {
		if (optopt != 0)
			return cli_usage(verb, "option '-%c' needs a value", optopt);
		return cli_usage(verb, "option '%s' needs a value", argv[optind - 1]);
	}
	if (optopt != 0)
		return cli_usage(verb, "unknown option '-%c'", optopt);
	return cli_usage(verb, "unknown option '%s'", argv[optind - 1]);
}

int
cli_parse_long(const char *s, long max, long *ret)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (max - (*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	*ret = v;
	return 0;
}

/* ---- opening ---------------------------------------------------------------- */

int
cli_join(const struct cli_uri *u, const struct cli_deadline *dl, bool wait,
         ipcx_chan **ret_ch)
{
	size_t n = strlen(u->text) + 32;
	char *text = malloc(n);
	bool said_waiting = false;
	int step = 10, rc;

	if (text == NULL)
		return -ENOMEM;
	for (;;) {
		int left = cli_deadline_left(dl);

		if (cli_signalled()) {
			rc = -EINTR;
			break;
		}
		if (left == 0) {
			rc = -ETIMEDOUT;
			break;
		}
		/* Bound a connect by the command's deadline unless the URI
		 * says otherwise. */
		if (u->takes_timeout && left > 0)
			snprintf(text, n, "%s%ctimeout=%d", u->text, u->has_query ? '&' : '?',
			         left > 86400000 ? 86400000 : left);
		else
			snprintf(text, n, "%s", u->text);
		cli_exit_on_signal(true);
		rc = ipcx_join(ret_ch, text, 0);
		if (cli_sig_pipe_taken()) {
			int prc;
			if (rc == 0)
				ipcx_close(*ret_ch);
			*ret_ch = NULL;
			prc = cli_sig_pipe_open();
			rc = prc < 0 ? prc : -EBADF;
		}
		cli_exit_on_signal(false);
		/* With --wait, a name that cannot be resolved for now (-EAGAIN)
		 * is waited for like a channel that is not there yet. */
		if (rc == 0 || !wait || (rc != -ENOENT && rc != -ECONNREFUSED && rc != -EAGAIN))
			break;
		if (!said_waiting) {
			cli_log("waiting for %s to appear (%s)", u->text, ipcx_strerror(rc));
			said_waiting = true;
		}
		left = cli_deadline_left(dl);
		if (left == 0) {
			rc = -ETIMEDOUT;
			break;
		}
		if (cli_sleep(left > 0 && left < step ? left : step) < 0) {
			rc = -EINTR;
			break;
		}
		if (step < 250)
			step *= 2;
	}
	free(text);
	if (rc == 0 && cli_verbose) {
		struct ipcx_stat st;
		char peer[160];
		if (ipcx_stat(*ret_ch, &st) == 0) {
			cli_peer_text(*ret_ch, peer, sizeof(peer));
			cli_log("joined %s (%s, max=%zu)%s", st.uri,
			        u->summary != NULL ? u->summary : st.scheme, st.max_msg, peer);
		}
	}
	return rc;
}

/*
 * -EPROTOTYPE: the server's socket is another variant (type=seqpacket where
 * the client said stream).  Try each variant the descriptor lists that the
 * URI does not already choose, and name the one the server answers.
 */
static const char *
cli_variant_hint(const char *verb, const struct cli_uri *u)
{
	static char buf[IPCX_URI_MAX * 2 + 200];
	struct ipcx_scheme_info info;
	const char *const *v;
	size_t n = strlen(u->text) + 64;
	char *probe;

	if (ipcx_scheme_info(u->scheme, &info) < 0 || (probe = malloc(n)) == NULL)
		return NULL;
	for (v = info.variants; *v != NULL; v++) {
		const char *eq = strchr(*v, '=');
		char key[32], word[IPCX_URI_MAX * 2 + 8];
		ipcx_chan *ch;

		if (eq == NULL || (size_t)(eq - *v) >= sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - *v), *v);
		if (u->has_query && cli_query_has(strchr(u->text, '?'), key, NULL))
			break; /* the user chose one; the server has another */
		snprintf(probe, n, "%s%c%s", u->text, u->has_query ? '&' : '?', *v);
		if (ipcx_uri_check(probe) < 0 || ipcx_join(&ch, probe, 0) < 0)
			continue;
		ipcx_close(ch);
		snprintf(buf, sizeof(buf), "the server there is %s: use `ipcx %s %s`", *v, verb,
		         cli_shell_word(probe, word, sizeof(word)));
		free(probe);
		return buf;
	}
	free(probe);
	return "the server there uses another type= of socket";
}

int
cli_open_failed(const char *verb, const struct cli_uri *u, const struct cli_deadline *dl,
                int err)
{
	const char *detail = ipcx_errmsg(NULL), *hint;

	if (cli_signalled())
		return cli_signal_status();
	if (err == -ETIMEDOUT && dl != NULL && dl->set && cli_deadline_passed(dl)) {
		cli_say(verb, u->text, "the -t deadline passed before the channel was open");
		return CLI_DEADLINE;
	}
	/* The URI passed ipcx_uri_check, so -EINVAL now has a cause outside
	 * it (a path that is not a FIFO), which the library names. */
	if (err == -EINVAL && detail[0] != '\0') {
		cli_say(verb, u->text, "%s", detail);
		return CLI_FAIL;
	}
	/* Likewise -EPROTO from a message transport: what is there is not its
	 * kind of object (not a log), and framing has nothing to do with it. */
	if (err == -EPROTO && detail[0] != '\0' && !(u->caps & IPCX_SCHEME_STREAM)) {
		cli_say(verb, u->text, "%s", detail);
		return CLI_FAIL;
	}
	hint = err == -EPROTOTYPE ? cli_variant_hint(verb, u) : cli_hint(verb, u, err);
	/* A socket address that names nothing with a sentence of its own (an
	 * unknown host) is not cured by starting a server there. */
	if (err == -ENOENT && detail[0] != '\0' && cli_uri_listens(u))
		hint = NULL;
	/* Something else at the address (a regular file where a socket would
	 * go): the library's sentence says what; "channel already exists"
	 * would call it a channel. */
	if (err == -EEXIST && detail[0] != '\0' && hint != NULL)
		fprintf(stderr, "ipcx: %s: %s: %s; %s\n", verb, u->text, detail, hint);
	else if (detail[0] != '\0')
		fprintf(stderr, "ipcx: %s: %s: %s (%s)%s%s\n", verb, u->text, ipcx_strerror(err),
		        detail, hint != NULL ? "; " : "", hint != NULL ? hint : "");
	else
		cli_error(verb, u->text, err, NULL, "%s", hint != NULL ? hint : "");
	/* A name that cannot be resolved, now (-EAGAIN) or at all, is a
	 * failure of the moment or of the address, never a usage error: the
	 * URI was well formed. */
	return cli_status(err);
}

int
cli_buf_init(struct cli_buf *b, ipcx_chan *ch)
{
	struct ipcx_stat st;

	b->max = ipcx_stat(ch, &st) == 0 && st.max_msg > 0 ? st.max_msg : (size_t)16 << 20;
	b->cap = b->max < 65536 ? b->max : 65536;
	b->data = malloc(b->cap);
	return b->data != NULL ? 0 : -ENOMEM;
}

int
cli_buf_grow(struct cli_buf *b)
{
	size_t ncap;
	uint8_t *p;

	if (b->cap >= b->max)
		return -EMSGSIZE;
	ncap = b->cap * 2 > b->max ? b->max : b->cap * 2;
	p = realloc(b->data, ncap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

void
cli_buf_fini(struct cli_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->cap = 0;
}
