/* SPDX-License-Identifier: MIT */
/*
 * cmd_listen.c - `ipcx listen URI [--echo]`, and the serve loop it shares
 * with `ipcx recv` on sockets.
 *
 * One thread, one poll(2) over the signal pipe, the listener and every
 * accepted connection: clients are served concurrently without threads, and
 * one slow or broken client cannot stop the others.  A connection that ends
 * (IPCX_EOF) or breaks the framing (-EPROTO) is dropped with a line on
 * standard error; the server goes on.  Each ready connection is drained
 * with timeout-0 receives - a framed stream can hold several whole messages
 * in the library's buffer after one readable event - but at most
 * SERVE_BATCH at a time, so a fast client cannot starve the rest.
 *
 * unix:...?type=dgram has no connections: the socket the command created is
 * read directly, and --echo replies to the sender of the last datagram.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SERVE_BATCH 64
#define SERVE_ECHO_TIMEOUT_MS 10000 /* a client that does not read its echo is dropped */
#define SERVE_ACCEPT_PAUSE_MS 100   /* after EMFILE and the like */

static const char listen_help[] =
	"Usage: ipcx listen URI [--echo] [-n COUNT] [-t MS] [--format text|hex|json|raw]\n"
	"\n"
	"Serve a socket (unix:PATH, unix:@NAME, tcp:HOST:PORT): create it, accept\n"
	"any number of clients at once, and print what they send - or, with\n"
	"--echo, send each message back to its sender.  The bound address is\n"
	"announced on standard error as `ipcx: listening on URI` (tcp:HOST:0 picks\n"
	"a free port and shows it there).  A client that hangs up or breaks the\n"
	"framing is dropped; the others are served on.  SIGINT or SIGTERM closes\n"
	"the socket and removes its file.\n"
	"\n"
	"  -e, --echo        send each message back instead of printing it\n"
	"  -n, --count N     stop after N messages\n"
	"  -t, --timeout MS  end after MS milliseconds (status 3)\n"
	"  -f, --format F    text (default), hex, json or raw, as for `ipcx recv`\n"
	"  -q, --quiet       no `listening on` line\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 after COUNT messages; 1 failure (e.g. another server holds\n"
	"the address); 2 usage error, or a URI that is not a socket; 3 the -t\n"
	"deadline passed; 128+N ended by signal N; 141 standard output was closed.\n";

struct serve_conn {
	ipcx_chan *ch;
	bool pending; /* stopped at SERVE_BATCH: may hold more */
	bool dead;
};

struct serve_state {
	const struct cli_serve *o;
	ipcx_chan *lst;
	bool listening;  /* stream/seqpacket/tcp listener; false: a dgram socket */
	struct serve_conn *conns;
	size_t nconns, capconns;
	bool lst_pending;
	int64_t accept_paused_until;
	struct cli_buf buf;
	long got;
	bool done;
	int status;
};

static void
serve_end(struct serve_state *s, int status)
{
	if (!s->done) {
		s->done = true;
		s->status = status;
	}
}

static int
serve_add(struct serve_state *s, ipcx_chan *ch)
{
	if (s->nconns == s->capconns) {
		size_t n = s->capconns ? s->capconns * 2 : 16;
		struct serve_conn *p = realloc(s->conns, n * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		s->conns = p;
		s->capconns = n;
	}
	s->conns[s->nconns].ch = ch;
	s->conns[s->nconns].pending = false;
	s->conns[s->nconns].dead = false;
	s->nconns++;
	return 0;
}

static void
serve_accept(struct serve_state *s)
{
	const char *verb = s->o->verb, *uri = s->o->uri->text;

	for (;;) {
		ipcx_chan *c;
		int rc = ipcx_accept(s->lst, &c, 0);

		if (rc == 0) {
			if (serve_add(s, c) < 0) {
				ipcx_close(c);
				cli_say(verb, uri, "out of memory: connection refused");
			}
			continue;
		}
		if (rc == -EAGAIN || rc == -ECANCELED)
			return;
		if (rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS || rc == -ENOMEM) {
			/* The connection stays in the backlog; try again later
			 * rather than spin on a listener that stays readable. */
			cli_error(verb, uri, rc, s->lst, "not accepting for %d ms",
			          SERVE_ACCEPT_PAUSE_MS);
			s->accept_paused_until = cli_now_ns() + SERVE_ACCEPT_PAUSE_MS * 1000000LL;
			return;
		}
		cli_error(verb, uri, rc, s->lst, NULL);
		serve_end(s, CLI_FAIL);
		return;
	}
}

/* Send a message back where it came from.  false: drop the connection. */
static bool
serve_echo(struct serve_state *s, ipcx_chan *c, size_t len)
{
	int left = cli_deadline_left(&s->o->dl), rc;

	if (left < 0 || left > SERVE_ECHO_TIMEOUT_MS)
		left = SERVE_ECHO_TIMEOUT_MS;
	cli_watch(c);
	rc = ipcx_send(c, s->buf.data, len, left);
	cli_unwatch(c);
	if (rc == 0)
		return true;
	if (rc == -ECANCELED && cli_signalled()) {
		serve_end(s, cli_signal_status());
		return true;
	}
	if (rc == -EPIPE || rc == -ENOTCONN)
		return false; /* the client left without waiting for its echo */
	cli_error(s->o->verb, s->o->uri->text, rc, c, "echo not sent; client dropped");
	return false;
}

/* Take what one connection (or the dgram socket) has.  Returns false when
 * the connection is finished and must be closed. */
static bool
serve_drain(struct serve_state *s, ipcx_chan *c, bool *pending)
{
	const char *verb = s->o->verb, *uri = s->o->uri->text;
	struct ipcx_msg_info info;
	int k;

	for (k = 0; k < SERVE_BATCH && !s->done; k++) {
		ssize_t r;
		int rc;

		if (s->o->count >= 0 && s->got >= s->o->count) {
			serve_end(s, CLI_OK);
			break;
		}
		r = ipcx_recv_info(c, s->buf.data, s->buf.cap, &info, 0);
		if (r >= 0) {
			s->got++;
			if (s->o->echo) {
				if (!serve_echo(s, c, (size_t)r))
					return false;
				continue;
			}
			rc = cli_emit(s->o->fmt, s->buf.data, (size_t)r, &info);
			if (rc == -EPIPE)
				serve_end(s, CLI_STDOUT_GONE);
			else if (rc == -EINTR)
				serve_end(s, cli_signal_status());
			else if (rc < 0) {
				cli_say(verb, uri, "writing standard output: %s", strerror(-rc));
				serve_end(s, CLI_FAIL);
			}
			continue;
		}
		switch (r) {
		case -EAGAIN:
			*pending = false;
			return true;
		case -ECANCELED:
			/* A wake-up left over from an echo; the signal, if any,
			 * is seen by the loop. */
			continue;
		case -EMSGSIZE:
			if (cli_buf_grow(&s->buf) == 0) {
				k--;
				continue;
			}
			cli_error(verb, uri, (int)r, c, "message dropped");
			continue;
		case IPCX_EOF:
			return c == s->lst; /* the dgram socket itself never ends */
		case -EPROTO:
			cli_error(verb, uri, (int)r, c,
			          "connection dropped; both ends must use the same framing=");
			return c == s->lst;
		default:
			cli_error(verb, uri, (int)r, c, "connection dropped");
			return c == s->lst;
		}
	}
	*pending = !s->done;
	return true;
}

static void
serve_announce(const struct serve_state *s)
{
	const char *text = s->o->uri->text, *q = strchr(text, '?');
	struct ipcx_stat st;

	if (s->o->quiet)
		return;
	/* The canonical address (the port tcp:HOST:0 got), plus the user's
	 * parameters, so the line is a URI a client can use as it is. */
	if (ipcx_stat(s->lst, &st) == 0 && st.uri[0] != '\0')
		fprintf(stderr, "ipcx: listening on %s%s\n", st.uri, q != NULL ? q : "");
	else
		fprintf(stderr, "ipcx: listening on %s\n", text);
}

static void
serve_loop(struct serve_state *s)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	while (!s->done) {
		size_t n = 0, i, j;
		bool pending = s->lst_pending, accepting;
		int timeout, lfd;

		if (cli_signalled()) {
			serve_end(s, cli_signal_status());
			break;
		}
		if (s->o->count >= 0 && s->got >= s->o->count) {
			serve_end(s, CLI_OK);
			break;
		}
		if (cli_deadline_passed(&s->o->dl)) {
			if (s->o->count >= 0)
				cli_say(s->o->verb, s->o->uri->text,
				        "the -t deadline passed after %ld of %ld messages", s->got,
				        s->o->count);
			serve_end(s, CLI_DEADLINE);
			break;
		}
		if (cap < s->nconns + 2) {
			struct pollfd *p = realloc(pfd, (s->nconns + 16) * sizeof(*p));
			if (p == NULL) {
				cli_say(s->o->verb, s->o->uri->text, "out of memory");
				serve_end(s, CLI_FAIL);
				break;
			}
			pfd = p;
			cap = s->nconns + 16;
		}
		pfd[n].fd = cli_signal_fd();
		pfd[n++].events = POLLIN;
		accepting = s->accept_paused_until <= cli_now_ns();
		lfd = ipcx_pollfd(s->lst);
		pfd[n].fd = accepting ? lfd : -1;
		pfd[n++].events = POLLIN;
		for (i = 0; i < s->nconns; i++) {
			pfd[n].fd = ipcx_pollfd(s->conns[i].ch);
			pfd[n++].events = POLLIN;
			pending = pending || s->conns[i].pending;
		}
		timeout = pending ? 0 : cli_deadline_left(&s->o->dl);
		if (!accepting && (timeout < 0 || timeout > SERVE_ACCEPT_PAUSE_MS))
			timeout = SERVE_ACCEPT_PAUSE_MS;
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			cli_say(s->o->verb, s->o->uri->text, "poll: %s", strerror(errno));
			serve_end(s, CLI_FAIL);
			break;
		}
		if (pfd[1].revents != 0 || s->lst_pending) {
			if (s->listening)
				serve_accept(s);
			else
				(void)serve_drain(s, s->lst, &s->lst_pending);
		}
		for (i = 0; i < s->nconns && !s->done; i++) {
			struct serve_conn *c = &s->conns[i];
			if (pfd[2 + i].revents == 0 && !c->pending)
				continue;
			if (!serve_drain(s, c->ch, &c->pending))
				c->dead = true;
		}
		for (i = j = 0; i < s->nconns; i++) {
			if (s->conns[i].dead) {
				ipcx_close(s->conns[i].ch);
				continue;
			}
			s->conns[j++] = s->conns[i];
		}
		s->nconns = j;
	}
	free(pfd);
}

int
cli_serve(const struct cli_serve *o)
{
	struct serve_state s = { .o = o };
	struct ipcx_stat st;
	size_t i;
	int rc;

	rc = ipcx_create(&s.lst, o->uri->text, 0);
	if (rc < 0)
		return cli_open_failed(o->verb, o->uri, &o->dl, rc);
	s.listening = ipcx_stat(s.lst, &st) == 0 && st.listening;
	if (cli_buf_init(&s.buf, s.lst) < 0) {
		ipcx_close(s.lst);
		cli_say(o->verb, o->uri->text, "out of memory");
		return CLI_FAIL;
	}
	serve_announce(&s);
	serve_loop(&s);
	for (i = 0; i < s.nconns; i++)
		ipcx_close(s.conns[i].ch);
	free(s.conns);
	/* The creating handle removes the socket file it bound. */
	ipcx_close(s.lst);
	cli_buf_fini(&s.buf);
	return s.status;
}

int
cli_listen_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "echo", no_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_serve o = { .verb = "listen", .fmt = CLI_FMT_TEXT, .count = -1 };
	struct cli_uri u;
	long ms = -1;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":en:t:f:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o.echo = true;
			break;
		case 'n':
			if (cli_parse_long(optarg, 0x7fffffffL, &o.count) < 0)
				return cli_usage("listen", "-n wants a count, not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_long(optarg, 86400000L * 365, &ms) < 0)
				return cli_usage("listen", "-t wants milliseconds, not '%s'", optarg);
			break;
		case 'f':
			if (cli_parse_format(optarg, &o.fmt) < 0)
				return cli_usage("listen",
				                 "--format is text, hex, json or raw, not '%s'", optarg);
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			fputs(listen_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("listen", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("listen", "missing URI");
	if (optind + 1 < argc)
		return cli_usage("listen", "unexpected argument '%s'", argv[optind + 1]);
	rc = cli_uri_parse("listen", argv[optind], &u);
	if (rc != 0)
		return rc;
	if (u.kind != CLI_KIND_SOCKET)
		return cli_usage("listen", "%s: listen serves sockets (unix:, tcp:); use "
		                           "`ipcx recv %s` to receive from it",
		                 u.text, u.text);
	o.uri = &u;
	cli_deadline_start(&o.dl, ms);
	return cli_serve(&o);
}
