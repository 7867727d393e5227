/* SPDX-License-Identifier: MIT */
/*
 * cmd_relay.c - `ipcx relay URI_A URI_B [--reconnect]`: pump messages from A
 * to B, and from B back to A when both are two-way, keeping boundaries.
 *
 * Each side is opened as the verb that would use it: A as `recv` does (a
 * scheme that listens is served: the relay creates it and takes one client
 * at a time; anything else is joined), B as `send` does (a socket is
 * connected to, anything else joined).  One message is in flight at a time:
 * it is received from one side, sent whole to the other, and only then is
 * the next one taken, so a relay killed at any moment loses at most that
 * one message - none where the source lends messages (IPCX_SCHEME_LOAN),
 * since a borrowed message is released only once it has been sent on, and
 * a borrower that dies has it delivered again.
 *
 * --reconnect: a connected side that goes away is joined again with
 * back-off and the message in flight is sent to it; a served side whose
 * client leaves accepts the next.  Without it, the relay ends: status 0
 * when the source ended (its client hung up, a pipe's writer closed),
 * status 1 when the destination went away.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define RELAY_BATCH 64
#define RELAY_MAX_STEP_MS 1000 /* back-off between reconnects */

static const char relay_help[] =
	"Usage: ipcx relay URI_A URI_B [--reconnect] [-n COUNT] [-t MS] [-q] [-v]\n"
	"\n"
	"Pump messages from A to B - and from B back to A when both are two-way\n"
	"(unix:, tcp:, pipe:RFD,WFD ...) - keeping every message whole.\n"
	"\n"
	"A is opened as `ipcx recv` opens it: a socket scheme is served (the relay\n"
	"creates it, announces `ipcx: listening on URI`, and takes one client at a\n"
	"time); anything else is joined.  B is opened as `ipcx send` opens it: a\n"
	"socket is connected to, anything else joined.  One message is in flight at\n"
	"a time, so a relay that is killed loses at most that one, and none when A\n"
	"lends its messages (shared-memory rings).\n"
	"\n"
	"  -r, --reconnect   survive either side restarting: reconnect to B with\n"
	"                    back-off and send it the message in flight; accept the\n"
	"                    next client on A after one leaves\n"
	"  -n, --count N     stop after N messages from A to B\n"
	"  -t, --timeout MS  end after MS milliseconds (status 3 if -n was not\n"
	"                    reached; 0 without -n)\n"
	"  -q, --quiet       no `listening on` line\n"
	"  -v, --verbose     what is opened, connections, reconnects and each\n"
	"                    message's size, with timestamps, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 A ended (its client hung up, its pipe closed) or COUNT\n"
	"messages were relayed; 1 failure (B went away without --reconnect);\n"
	"2 usage error; 3 the -t deadline passed before COUNT; 4 no such channel;\n"
	"128+N ended by signal N (the message being sent is finished first).\n";

struct relay_side {
	const char *name;          /* "A", "B" */
	const struct cli_uri *u;
	bool served;               /* we create it and accept clients */
	ipcx_chan *lst;            /* the listener, when served with connections */
	ipcx_chan *ch;             /* what messages come from and go to */
	struct cli_buf buf;
	bool borrow;               /* recv_borrow/release */
};

struct relay {
	struct relay_side a, b;
	bool reconnect, quiet, two_way;
	long count, moved, back;
	struct cli_deadline dl;
	int status;
	bool done;
};

static void
relay_end(struct relay *r, int status)
{
	if (!r->done) {
		r->done = true;
		r->status = status;
	}
}

static void
side_close(struct relay_side *s)
{
	if (s->ch != NULL && s->ch != s->lst) {
		cli_unwatch(s->ch);
		ipcx_close(s->ch);
	}
	s->ch = NULL;
}

/* The end of something that cannot be waited out. */
static bool
relay_stop_check(struct relay *r)
{
	if (cli_signalled()) {
		relay_end(r, cli_signal_status());
		return true;
	}
	if (cli_deadline_passed(&r->dl)) {
		if (r->count >= 0) {
			cli_say("relay", NULL, "the -t deadline passed after %ld of %ld messages",
			        r->moved, r->count);
			relay_end(r, CLI_DEADLINE);
		} else {
			relay_end(r, CLI_OK);
		}
		return true;
	}
	return false;
}

/* Served side: wait for and take the next client. */
static int
side_accept(struct relay *r, struct relay_side *s)
{
	struct pollfd p[2];
	char peer[160];

	p[0].fd = cli_signal_fd();
	p[0].events = POLLIN;
	p[1].fd = ipcx_pollfd(s->lst);
	p[1].events = POLLIN;
	for (;;) {
		int rc;

		if (relay_stop_check(r))
			return -EINTR;
		rc = ipcx_accept(s->lst, &s->ch, 0);
		if (rc == 0) {
			if (cli_verbose) {
				cli_peer_text(s->ch, peer, sizeof(peer));
				cli_log("%s: client accepted%s", s->name, peer);
			}
			cli_watch(s->ch);
			return 0;
		}
		if (rc != -EAGAIN && rc != -ECANCELED && rc != -EINTR) {
			cli_error("relay", s->u->text, rc, s->lst, "not accepting");
			relay_end(r, CLI_FAIL);
			return rc;
		}
		if (poll(p, 2, cli_deadline_left(&r->dl)) < 0 && errno != EINTR) {
			cli_say("relay", s->u->text, "poll: %s", strerror(errno));
			relay_end(r, CLI_FAIL);
			return -errno;
		}
	}
}

/* Connected or joined side: (re)join, waiting with --reconnect. */
static int
side_join(struct relay *r, struct relay_side *s, bool again)
{
	int rc = cli_join(s->u, &r->dl, r->reconnect, &s->ch);

	if (rc < 0) {
		if (rc == -EINTR || cli_signalled())
			relay_end(r, cli_signal_status());
		else if (rc == -ETIMEDOUT && cli_deadline_passed(&r->dl))
			relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
		else
			relay_end(r, cli_open_failed("relay", s->u, &r->dl, rc));
		return rc;
	}
	if (again)
		cli_log("%s: reconnected to %s", s->name, s->u->text);
	cli_watch(s->ch);
	return 0;
}

static int
side_open(struct relay *r, struct relay_side *s)
{
	struct ipcx_stat st;
	const char *q;
	int rc;

	if (!s->served)
		return side_join(r, s, false);
	rc = ipcx_create(&s->lst, s->u->text, 0);
	if (rc < 0) {
		relay_end(r, cli_open_failed("relay", s->u, &r->dl, rc));
		return rc;
	}
	if (ipcx_stat(s->lst, &st) == 0) {
		cli_log("%s: created %s (%s)", s->name, st.uri, s->u->summary);
		q = strchr(s->u->text, '?');
		if (!r->quiet)
			fprintf(stderr, "ipcx: listening on %s%s\n", st.uri, q != NULL ? q : "");
		if (!st.listening) {
			/* A socket with no connections (type=dgram): the
			 * socket itself is the channel. */
			s->ch = s->lst;
			cli_watch(s->ch);
			return 0;
		}
	}
	return 0;
}

/*
 * s's channel is gone.  Returns true if the relay goes on (a new client or
 * a new connection is there); otherwise it has ended with status.
 */
static bool
side_lost(struct relay *r, struct relay_side *s, int status)
{
	side_close(s);
	if (!r->reconnect || relay_stop_check(r)) {
		relay_end(r, status);
		return false;
	}
	if (s->served)
		return side_accept(r, s) == 0;
	return side_join(r, s, true) == 0;
}

/* Why a channel returned err: the peer left (true), or a real failure. */
static bool
peer_left(int err)
{
	return err == IPCX_EOF || err == -EPIPE || err == -ECONNRESET || err == -ENOTCONN ||
	       err == -ECONNABORTED;
}

/*
 * Send one message to `to`, reconnecting it as often as --reconnect allows.
 * Returns true once sent; false when the relay has ended.
 */
static bool
relay_send(struct relay *r, struct relay_side *to, const void *buf, size_t len)
{
	for (;;) {
		int rc, left;

		if (to->ch == NULL && !side_lost(r, to, CLI_FAIL))
			return false;
		left = cli_deadline_left(&r->dl);
		rc = ipcx_send(to->ch, buf, len, left);
		if (rc == 0) {
			cli_log("%s -> %s: %zu bytes", to == &r->b ? "A" : "B", to->name, len);
			return true;
		}
		if (rc == -ECANCELED) {
			if (cli_signalled()) {
				/* A frame the signal came in was finished; one that
				 * never started is the message lost. */
				relay_end(r, cli_signal_status());
				return false;
			}
			continue;
		}
		if ((rc == -ETIMEDOUT || rc == -EAGAIN || rc == -EPIPE) && r->dl.set &&
		    cli_deadline_passed(&r->dl)) {
			relay_stop_check(r);
			return false;
		}
		if (rc == -EMSGSIZE) {
			cli_say("relay", to->u->text, "a message of %zu bytes is over max=%zu there; "
			                              "dropped",
			        len, to->buf.max);
			return true;
		}
		if (peer_left(rc) && to->served) {
			/* A reply for a client that left is for nobody else:
			 * drop it; the next client is accepted by the loop. */
			cli_log("%s: the client left before a message of %zu bytes; dropped",
			        to->name, len);
			side_close(to);
			if (!r->reconnect)
				relay_end(r, CLI_OK);
			return !r->done;
		}
		if (peer_left(rc)) {
			cli_log("%s: %s went away (%s)", to->name, to->u->text, ipcx_strerror(rc));
			if (!r->reconnect)
				cli_error("relay", to->u->text, rc, to->ch,
				          "%ld relayed; --reconnect waits for it to come back", r->moved);
			if (!side_lost(r, to, CLI_FAIL))
				return false;
			continue;
		}
		cli_error("relay", to->u->text, rc, to->ch, "%ld relayed", r->moved);
		relay_end(r, cli_status(rc));
		return false;
	}
}

/*
 * Move what `from` has to `to`, at most RELAY_BATCH messages.  Returns
 * false when from's channel is gone (and the relay ended or went on with a
 * new one); *more says a full batch was taken.
 */
static bool
relay_drain(struct relay *r, struct relay_side *from, struct relay_side *to, bool *more)
{
	struct ipcx_msg_info info;
	int k;

	*more = false;
	for (k = 0; k < RELAY_BATCH && !r->done; k++) {
		const void *ptr = NULL;
		size_t blen = 0;
		ssize_t n;

		if (from == &r->a && r->count >= 0 && r->moved >= r->count) {
			relay_end(r, CLI_OK);
			return true;
		}
		if (from->borrow) {
			n = ipcx_recv_borrow(from->ch, &ptr, &blen, 0);
			if (n == -ENOTSUP) {
				from->borrow = false;
				k--;
				continue;
			}
		} else {
			n = ipcx_recv_info(from->ch, from->buf.data, from->buf.cap, &info, 0);
			ptr = from->buf.data;
			blen = n >= 0 ? (size_t)n : 0;
		}
		if (n >= 0) {
			bool sent = relay_send(r, to, ptr, blen);
			/* Released only once it is sent on: a relay killed before
			 * has it delivered again. */
			if (from->borrow)
				(void)ipcx_release(from->ch, ptr);
			if (!sent)
				return true;
			if (from == &r->a)
				r->moved++;
			else
				r->back++;
			continue;
		}
		switch (n) {
		case -EAGAIN:
			return true;
		case -ECANCELED:
			continue;
		case -EMSGSIZE:
			if (cli_buf_grow(&from->buf) == 0) {
				k--;
				continue;
			}
			cli_error("relay", from->u->text, (int)n, from->ch, "message dropped");
			continue;
		default:
			break;
		}
		if (peer_left((int)n)) {
			if (from->served)
				cli_log("%s: the client left", from->name);
			else
				cli_log("%s: %s ended after %ld messages", from->name, from->u->text,
				        from == &r->a ? r->moved : r->back);
			/* The source ending is the relay's natural end; a
			 * joined source that ended (a pipe) has no second
			 * life to wait for. */
			if (from == &r->a && !from->served) {
				side_close(from);
				relay_end(r, CLI_OK);
				return false;
			}
			(void)side_lost(r, from, from == &r->a ? CLI_OK : CLI_FAIL);
			return false;
		}
		cli_error("relay", from->u->text, (int)n, from->ch, "%ld relayed", r->moved);
		if (from->served && r->reconnect) {
			(void)side_lost(r, from, CLI_FAIL);
			return false;
		}
		relay_end(r, cli_status((int)n));
		return true;
	}
	*more = !r->done;
	return true;
}

static void
relay_loop(struct relay *r)
{
	bool more_a = false, more_b = false;

	while (!r->done) {
		struct pollfd p[3];
		int timeout, fa, fb;

		if (relay_stop_check(r))
			break;
		if (r->a.ch == NULL && side_accept(r, &r->a) < 0)
			break;
		fa = ipcx_pollfd(r->a.ch);
		fb = r->two_way && r->b.ch != NULL ? ipcx_pollfd(r->b.ch) : -1;
		p[0].fd = cli_signal_fd();
		p[0].events = POLLIN;
		p[1].fd = fa;
		p[1].events = POLLIN;
		p[2].fd = fb;
		p[2].events = POLLIN;
		timeout = more_a || more_b ? 0 : cli_deadline_left(&r->dl);
		/* A side with no descriptor (-ENOTSUP) is tried every 10 ms. */
		if ((fa < 0 || (r->two_way && fb < 0)) && (timeout < 0 || timeout > 10))
			timeout = 10;
		if (poll(p, 3, timeout) < 0 && errno != EINTR) {
			cli_say("relay", NULL, "poll: %s", strerror(errno));
			relay_end(r, CLI_FAIL);
			break;
		}
		if (p[1].revents != 0 || more_a || fa < 0) {
			if (!relay_drain(r, &r->a, &r->b, &more_a))
				more_a = false;
		}
		if (r->done)
			break;
		if (r->two_way && r->b.ch != NULL && r->a.ch != NULL &&
		    (p[2].revents != 0 || more_b || fb < 0)) {
			if (!relay_drain(r, &r->b, &r->a, &more_b))
				more_b = false;
		}
	}
}

int
cli_relay_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reconnect", no_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct relay r = { .count = -1 };
	struct cli_uri ua, ub;
	long ms = -1;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rn:t:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			r.reconnect = true;
			break;
		case 'n':
			if (cli_parse_long(optarg, 0x7fffffffffffL, &r.count) < 0)
				return cli_usage("relay", "-n wants a count, not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_long(optarg, 86400000L * 365, &ms) < 0)
				return cli_usage("relay", "-t wants milliseconds, not '%s'", optarg);
			break;
		case 'q':
			r.quiet = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(relay_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("relay", c, argv);
		}
	}
	if (argc - optind < 2)
		return cli_usage("relay", "needs two URIs, A and B");
	if (argc - optind > 2)
		return cli_usage("relay", "unexpected argument '%s'", argv[optind + 2]);
	rc = cli_uri_parse("relay", argv[optind], &ua);
	if (rc != 0)
		return rc;
	rc = cli_uri_parse("relay", argv[optind + 1], &ub);
	if (rc != 0)
		return rc;
	r.a.name = "A";
	r.a.u = &ua;
	r.a.served = cli_uri_listens(&ua);
	r.a.borrow = (ua.caps & IPCX_SCHEME_LOAN) != 0;
	r.b.name = "B";
	r.b.u = &ub;
	r.two_way = (ua.caps & IPCX_SCHEME_BIDIR) && (ub.caps & IPCX_SCHEME_BIDIR);
	cli_deadline_start(&r.dl, ms);

	/* B first: messages taken from A must have somewhere to go. */
	if (side_open(&r, &r.b) < 0 || side_open(&r, &r.a) < 0)
		goto out;
	if (cli_buf_init(&r.a.buf, r.a.ch != NULL ? r.a.ch : r.a.lst) < 0 ||
	    cli_buf_init(&r.b.buf, r.b.ch) < 0) {
		cli_say("relay", NULL, "out of memory");
		relay_end(&r, CLI_FAIL);
		goto out;
	}
	/* Asking for A's descriptor opens what a join leaves closed (a FIFO's
	 * read end): the relay is A's receiver from now on. */
	if (r.a.ch != NULL)
		(void)ipcx_pollfd(r.a.ch);
	cli_log("relaying %s -> %s%s", ua.text, ub.text, r.two_way ? " and back" : "");
	relay_loop(&r);
out:
	cli_log("relayed %ld messages from A to B, %ld back", r.moved, r.back);
	side_close(&r.a);
	side_close(&r.b);
	if (r.a.lst != NULL) {
		cli_unwatch(r.a.lst);
		ipcx_close(r.a.lst); /* removes the socket file it bound */
	}
	cli_buf_fini(&r.a.buf);
	cli_buf_fini(&r.b.buf);
	return r.status;
}
