/* SPDX-License-Identifier: MIT */
/*
 * cmd_relay.c - `ipcx relay URI_A URI_B [--reconnect]`: pump messages from A
 * to B, and from B back to A when both are two-way, keeping boundaries.
 *
 * Each side is opened as the verb that would use it: A as `recv` does (a
 * scheme that listens is served: the relay creates it and takes one client
 * at a time, and the next when one leaves; anything else is joined), B as
 * `send` does (a socket is connected to, anything else joined).  When A is
 * served and B is a connection, each client of A gets a connection of its
 * own to B, so replies go back to the client that asked.
 *
 * A message moves in two steps, take and put, and the next is taken only
 * once the last is put, so one message per direction is ever held: a slow B
 * slows the reading of A, and a relay killed at any moment loses at most
 * the message it held.  Where the source lends its messages (shm:, sysvshm:,
 * file:) it loses none: a borrowed message is released only once B has the
 * whole of it, and a borrower that dies (or closes) gives it back, so the
 * next relay sends it again (B may then see it twice: delivered at least
 * once, which is what DESIGN allows a borrower that died).
 *
 * One way, the relay blocks in the library's calls (a signal wakes them).
 * Two ways, each direction is driven without blocking: a receive with
 * timeout 0, a send with timeout 0 (a frame it starts is owned by the
 * channel and finished by ipcx_flush), and a poll of both sources; a put
 * that could not start is retried after a short back-off, since a framed
 * stream's descriptor says nothing of room to write.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define RELAY_BATCH      64   /* messages one direction moves before the other's turn */
#define RELAY_LINGER_MS  2000 /* to finish a started frame, or a held message at -t */
#define RELAY_RETRY_MAX_MS 8  /* two-way: back-off cap for a put that could not start */

static const char relay_help[] =
	"Usage: ipcx relay URI_A URI_B [--reconnect] [-n COUNT] [-t MS] [-q] [-v]\n"
	"\n"
	"Pump messages from A to B - and from B back to A when both are two-way\n"
	"(unix:, tcp:, pipe:RFD,WFD) - keeping every message whole.\n"
	"\n"
	"A is opened as `ipcx recv` opens it: a socket scheme is served (the relay\n"
	"creates it, announces `ipcx: listening on URI`, takes one client at a time\n"
	"and the next when one leaves); anything else is joined.  B is opened as\n"
	"`ipcx send` opens it: a socket is connected to, once for each client of A,\n"
	"anything else joined.  One message per direction is held at a time: a slow\n"
	"B slows the reading of A, a relay that is killed loses at most the message\n"
	"it held, and none when A lends its messages (shm:, sysvshm:, file:), which\n"
	"are given back to A and sent again by the next relay.\n"
	"\n"
	"  -r, --reconnect   survive either side restarting: a side that goes away\n"
	"                    (or is not there yet) is joined again with back-off\n"
	"                    (10 ms doubling to 320 ms), and the message held for it\n"
	"                    is sent there\n"
	"  -n, --count N     stop after N messages from A to B\n"
	"  -t, --timeout MS  end after MS milliseconds (status 3 if -n was not\n"
	"                    reached; 0 without -n)\n"
	"  -q, --quiet       no `listening on` line\n"
	"  -v, --verbose     what is opened, clients, lost sides and reconnects, and\n"
	"                    each message's size, with timestamps, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"A message larger than B's max= stops the relay with an error naming both\n"
	"maxima (a lent message stays in A).  SIGINT and SIGTERM stop it once the\n"
	"message it copied out of A is delivered, however long B takes (a second\n"
	"signal ends it at once); a lent message goes back to A.\n"
	"\n"
	"Exit status: 0 A ended (a joined source's writers closed it: pipe:, or B\n"
	"hung up on a two-way relay), or COUNT messages were relayed; 1 failure (B\n"
	"went away without --reconnect, a message too large for B); 2 usage error;\n"
	"3 the -t deadline passed before COUNT; 4 no such channel; 128+N ended by\n"
	"signal N.\n";

enum { HELD_NONE, HELD_TAKEN, HELD_STARTED };

struct side {
	const char *name;       /* "A", "B" */
	const struct cli_uri *u;
	bool served;            /* created by the relay and accepted on */
	bool per_client;        /* B: a connection of its own for each client of A */
	ipcx_chan *lst;         /* the listener, when served */
	ipcx_chan *ch;          /* what messages come from and go to; NULL between */
	size_t max;             /* largest message it sends or receives */
	long joins;             /* connections made or clients accepted */
	long reconnects;
	bool lost;              /* went away: the next join is a reconnect */
};

/* One direction: what it holds, and what it moved. */
struct flow {
	struct side *from, *to;
	struct cli_buf buf;     /* for sources that do not lend */
	bool try_borrow;
	int held;               /* HELD_* */
	const void *ptr;
	size_t len;
	bool borrowed;
	long moved;
	int retry_ms;           /* two-way: back-off of a put that could not start */
};

struct relay {
	struct side a, b;
	struct flow ab, ba;
	bool reconnect, quiet, two_way;
	long count;
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

/* Why a channel returned err: its peer left (true), or a real failure.
 * (-ECONNREFUSED: a datagram socket's server went away.) */
static bool
peer_left(int err)
{
	return err == IPCX_EOF || err == -EPIPE || err == -ECONNRESET || err == -ENOTCONN ||
	       err == -ECONNABORTED || err == -ECONNREFUSED;
}

static size_t
chan_max(ipcx_chan *ch)
{
	struct ipcx_stat st;

	return ipcx_stat(ch, &st) == 0 && st.max_msg > 0 ? st.max_msg : SIZE_MAX;
}

/* ---- sides --------------------------------------------------------------- */

static void
side_close(struct side *s)
{
	if (s->ch != NULL && s->ch != s->lst) {
		cli_unwatch(s->ch);
		ipcx_close(s->ch);
	}
	s->ch = NULL;
}

/* Join s (connect, for sockets); with --reconnect wait for it to appear. */
static bool
side_join(struct relay *r, struct side *s)
{
	int rc = cli_join(s->u, &r->dl, r->reconnect, &s->ch);

	if (rc < 0) {
		s->ch = NULL;
		if (rc == -EINTR || cli_signalled())
			relay_end(r, cli_signal_status());
		else if (rc == -ETIMEDOUT && cli_deadline_passed(&r->dl))
			relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
		else
			relay_end(r, cli_open_failed("relay", s->u, &r->dl, rc));
		return false;
	}
	s->joins++;
	s->max = chan_max(s->ch);
	if (s->lost) {
		s->lost = false;
		s->reconnects++;
		cli_log("%s: reconnected to %s (reconnect %ld)", s->name, s->u->text,
		        s->reconnects);
	}
	cli_watch(s->ch);
	return true;
}

/* Served side: wait for and take the next client. */
static bool
side_accept(struct relay *r, struct side *s)
{
	char peer[160];

	for (;;) {
		int rc;

		if (cli_signalled()) {
			relay_end(r, cli_signal_status());
			return false;
		}
		if (cli_deadline_passed(&r->dl)) {
			relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
			return false;
		}
		rc = ipcx_accept(s->lst, &s->ch, cli_deadline_left(&r->dl));
		if (rc == 0) {
			s->joins++;
			s->max = chan_max(s->ch);
			cli_peer_text(s->ch, peer, sizeof(peer));
			cli_log("%s: client %ld accepted%s", s->name, s->joins, peer);
			cli_watch(s->ch);
			return true;
		}
		s->ch = NULL;
		if (rc == -ECANCELED || rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc == -ETIMEDOUT && cli_deadline_passed(&r->dl)) {
			relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
			return false;
		}
		cli_error("relay", s->u->text, rc, s->lst, "not accepting");
		relay_end(r, CLI_FAIL);
		return false;
	}
}

static bool
side_open(struct relay *r, struct side *s)
{
	struct ipcx_stat st;
	const char *q;
	int rc;

	if (!s->served)
		return side_join(r, s);
	rc = ipcx_create(&s->lst, s->u->text, 0);
	if (rc < 0) {
		s->lst = NULL;
		relay_end(r, cli_open_failed("relay", s->u, &r->dl, rc));
		return false;
	}
	cli_watch(s->lst);
	s->max = chan_max(s->lst);
	if (ipcx_stat(s->lst, &st) == 0) {
		cli_log("%s: created %s (%s, max=%zu)", s->name, st.uri, s->u->summary, st.max_msg);
		q = strchr(s->u->text, '?');
		if (!r->quiet)
			fprintf(stderr, "ipcx: listening on %s%s\n", st.uri, q != NULL ? q : "");
		if (!st.listening) {
			/* A socket with no connections (type=dgram): the socket
			 * itself is the channel, and is never "accepted again". */
			s->served = false;
			s->ch = s->lst;
		}
	}
	return true;
}

/* ---- one direction: take, put --------------------------------------------- */

/* Take the next message from f's source into f.  Returns its length, or
 * the source's error (-EAGAIN, -ETIMEDOUT: nothing there). */
static ssize_t
flow_take(struct flow *f, int timeout)
{
	ssize_t n;

	if (f->try_borrow) {
		n = ipcx_recv_borrow(f->from->ch, &f->ptr, &f->len, timeout);
		if (n >= 0) {
			f->borrowed = true;
			f->held = HELD_TAKEN;
			return n;
		}
		if (n != -ENOTSUP)
			return n;
		f->try_borrow = false;
	}
	if (f->buf.data == NULL && cli_buf_init(&f->buf, f->from->ch) < 0)
		return -ENOMEM;
	for (;;) {
		n = ipcx_recv(f->from->ch, f->buf.data, f->buf.cap, timeout);
		if (n != -EMSGSIZE || cli_buf_grow(&f->buf) < 0)
			break;
	}
	if (n >= 0) {
		f->ptr = f->buf.data;
		f->len = (size_t)n;
		f->borrowed = false;
		f->held = HELD_TAKEN;
	}
	return n;
}

/* Give back what the source lent: only once the destination has it all. */
static void
flow_done(struct flow *f)
{
	if (f->borrowed) {
		int rc = ipcx_release(f->from->ch, f->ptr);
		if (rc < 0)
			cli_error("relay", f->from->u->text, rc, f->from->ch,
			          "a message relayed was not released: the source may send it again");
	}
	cli_log("%s -> %s: %zu bytes", f->from->name, f->to->name, f->len);
	f->borrowed = false;
	f->held = HELD_NONE;
	f->moved++;
	f->retry_ms = 0;
}

/* Put what f holds to its destination.  Returns 0 once all of it is there,
 * or the destination's error (-EAGAIN, -ETIMEDOUT: not yet). */
static int
flow_put(struct flow *f, int timeout)
{
	int rc;

	if (f->held == HELD_TAKEN) {
		if (f->len > f->to->max)
			return -EMSGSIZE;
		rc = ipcx_send(f->to->ch, f->ptr, f->len, timeout);
		if (rc < 0)
			return rc;
		f->held = HELD_STARTED;
	}
	rc = ipcx_flush(f->to->ch, timeout);
	if (rc == 0) {
		flow_done(f);
		return 0;
	}
	if (rc == -EPIPE)
		f->held = HELD_TAKEN; /* broken mid-frame: the peer saw no message */
	return rc;
}

/* What the held message becomes if it is never put: words for an error. */
static const char *
held_fate(const struct flow *f)
{
	if (f->held == HELD_NONE)
		return "";
	return f->borrowed ? "; the message held stays in the source"
	                   : "; the message held is lost";
}

/* Let go of what f holds without putting it: a lent message goes back to
 * the source when the source is closed; a copy is gone. */
static void
flow_drop(struct flow *f)
{
	f->held = HELD_NONE;
	f->borrowed = false;
	f->retry_ms = 0;
}

/* ---- sessions ------------------------------------------------------------ */

/*
 * A's client left (or B ended the conversation with it): deliver what A's
 * client had sent, then end the client's connection, and B's own one when
 * B is per client.  The loop accepts the next.
 */
static void
session_end(struct relay *r, const char *why)
{
	cli_log("A: client %ld %s", r->a.joins, why);
	if (r->ab.held != HELD_NONE && r->b.ch != NULL) {
		if (flow_put(&r->ab, RELAY_LINGER_MS) < 0) {
			cli_say("relay", r->b.u->text, "a message from A's client could not be "
			                               "delivered%s", held_fate(&r->ab));
			flow_drop(&r->ab);
		}
	}
	if (r->ba.held != HELD_NONE) {
		cli_log("A: a reply of %zu bytes for the client that left is dropped", r->ba.len);
		flow_drop(&r->ba);
	}
	side_close(&r->a);
	if (r->b.per_client)
		side_close(&r->b);
}

/* The source of f failed with err.  Returns true if the relay goes on. */
static bool
take_failed(struct relay *r, struct flow *f, int err)
{
	struct side *s = f->from;

	if (err == -EAGAIN || err == -ETIMEDOUT) {
		if (cli_deadline_passed(&r->dl)) {
			relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
			return false;
		}
		return true;
	}
	if (err == -ECANCELED || err == -EINTR) {
		if (cli_signalled()) {
			relay_end(r, cli_signal_status());
			return false;
		}
		return true;
	}
	if (s == &r->a && r->a.served && (peer_left(err) || err == -EPROTO)) {
		if (err == -EPROTO)
			cli_error("relay", s->u->text, err, s->ch, "the client is dropped");
		session_end(r, "left");
		return true;
	}
	if (s == &r->b && peer_left(err)) {
		if (r->a.served && r->b.per_client) {
			session_end(r, "is let go: B hung up");
			return true;
		}
		cli_log("B: %s hung up", s->u->text);
		side_close(s);
		s->lost = true;
		if (r->reconnect)
			return true;
		relay_end(r, CLI_OK);
		return false;
	}
	if (s == &r->a && err == IPCX_EOF) {
		cli_log("A: %s ended after %ld messages", s->u->text, f->moved);
		relay_end(r, CLI_OK);
		return false;
	}
	if (err == -EPROTO) {
		/* A FIFO that a foreign writer filled with garbage is flushed
		 * and goes on: the library said what it dropped. */
		cli_error("relay", s->u->text, err, s->ch, "%ld relayed", r->ab.moved);
		return true;
	}
	cli_error("relay", s->u->text, err, s->ch, "%ld relayed", r->ab.moved);
	relay_end(r, err == -ENOMEM ? CLI_FAIL : cli_status(err));
	return false;
}

/* The destination of f failed with err.  Returns true if the relay goes on. */
static bool
put_failed(struct relay *r, struct flow *f, int err)
{
	struct side *s = f->to;

	if (err == -EAGAIN || err == -ETIMEDOUT) {
		if (cli_deadline_passed(&r->dl)) {
			relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
			return false;
		}
		return true;
	}
	if (err == -ECANCELED || err == -EINTR) {
		if (cli_signalled()) {
			relay_end(r, cli_signal_status());
			return false;
		}
		return true;
	}
	if (err == -EMSGSIZE) {
		cli_say("relay", s->u->text,
		        "a message of %zu bytes from %s (%s, max=%zu) is over %s's max=%zu; "
		        "stopping%s (raise max= on %s)",
		        f->len, f->from->name, f->from->u->text, f->from->max, s->name, s->max,
		        held_fate(f), s->name);
		relay_end(r, CLI_FAIL);
		return false;
	}
	if (cli_deadline_passed(&r->dl)) {
		/* A frame the deadline broke: the -t end, not a lost peer. */
		relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
		return false;
	}
	if (s == &r->a && r->a.served && peer_left(err)) {
		session_end(r, "left");
		return true;
	}
	if (peer_left(err)) {
		cli_log("%s: lost %s (%s)", s->name, s->u->text, ipcx_strerror(err));
		side_close(s);
		s->lost = true;
		if (r->reconnect)
			return true;
		cli_error("relay", s->u->text, err, NULL,
		          "%ld relayed%s; --reconnect waits for it to come back", r->ab.moved,
		          held_fate(f));
		relay_end(r, CLI_FAIL);
		return false;
	}
	cli_error("relay", s->u->text, err, s->ch, "%ld relayed%s", r->ab.moved, held_fate(f));
	relay_end(r, cli_status(err));
	return false;
}

/* Both sides open, or the relay ended.  A served A waits for its next
 * client; B is joined for it when B is per client, and again after it was
 * lost with --reconnect. */
static bool
sides_ready(struct relay *r)
{
	if (r->a.ch == NULL && (!r->a.served || !side_accept(r, &r->a)))
		return false;
	if (r->b.ch == NULL && !side_join(r, &r->b))
		return false;
	return true;
}

static bool
count_reached(struct relay *r)
{
	if (r->count >= 0 && r->ab.moved >= r->count && r->ab.held == HELD_NONE) {
		relay_end(r, CLI_OK);
		return true;
	}
	return false;
}

/* ---- the two loops --------------------------------------------------------- */

/*
 * Has B, a connection, hung up?  One way, nothing reads B, so a far side
 * that restarted while the relay waited for A is only found by the next
 * send - and over TCP that send succeeds into the dead connection and the
 * message is lost.  Looked at once the relay has waited for A, so a busy
 * relay pays nothing.  Whatever B sent (a one-way relay has nowhere to put
 * it) is read and dropped.
 */
static bool
b_hung_up(struct relay *r)
{
	struct side *b = &r->b;
	struct pollfd p;

	if (!(b->u->caps & IPCX_SCHEME_LISTEN) || b->ch == NULL)
		return false;
	p.fd = ipcx_pollfd(b->ch);
	p.events = POLLIN;
	if (p.fd < 0 || poll(&p, 1, 0) <= 0)
		return false;
	if (r->ba.buf.data == NULL && cli_buf_init(&r->ba.buf, b->ch) < 0)
		return false;
	for (;;) {
		ssize_t n = ipcx_recv(b->ch, r->ba.buf.data, r->ba.buf.cap, 0);
		if (n >= 0) {
			cli_log("B: %zd bytes from B dropped (a one-way relay)", n);
			continue;
		}
		if (n == -EMSGSIZE && cli_buf_grow(&r->ba.buf) == 0)
			continue;
		return peer_left((int)n) || n == -EPROTO;
	}
}

/* One way: block in the library's calls; a signal wakes them. */
static void
relay_one_way(struct relay *r)
{
	struct flow *f = &r->ab;
	bool waited = false;

	while (!r->done) {
		int rc;

		if (cli_signalled()) {
			relay_end(r, cli_signal_status());
			break;
		}
		if (count_reached(r) || !sides_ready(r))
			break;
		if (f->held == HELD_NONE) {
			ssize_t n = flow_take(f, 0);
			if (n == -EAGAIN) {
				waited = true;
				n = flow_take(f, cli_deadline_left(&r->dl));
			}
			if (n >= 0 && waited) {
				waited = false;
				if (b_hung_up(r)) {
					if (!put_failed(r, f, -EPIPE))
						break;
					continue;
				}
			}
			if (n < 0) {
				if (!take_failed(r, f, (int)n))
					break;
				continue;
			}
		}
		/* Tried without waiting first, so -v can tell when B is what
		 * holds the relay back. */
		rc = flow_put(f, 0);
		if (rc == -EAGAIN || rc == -ETIMEDOUT) {
			cli_log("B: full; waiting to send a message of %zu bytes", f->len);
			rc = flow_put(f, cli_deadline_left(&r->dl));
		}
		if (rc < 0 && !put_failed(r, f, rc))
			break;
	}
}

/*
 * Move what f can without blocking, at most RELAY_BATCH messages.  Returns
 * 1 if something moved, 0 if not, -1 if a side changed (or the relay ended)
 * and the caller must look again.  *stuck says a put could not start.
 */
static int
flow_pump(struct relay *r, struct flow *f, bool *stuck)
{
	int k, moved = 0;

	*stuck = false;
	if (f->from->ch == NULL || f->to->ch == NULL)
		return 0;
	for (k = 0; k < RELAY_BATCH; k++) {
		int rc;

		if (f == &r->ab && count_reached(r))
			return -1;
		if (f->held == HELD_NONE) {
			ssize_t n = flow_take(f, 0);
			if (n == -EAGAIN)
				break;
			if (n < 0) {
				(void)take_failed(r, f, (int)n);
				return -1;
			}
		}
		rc = flow_put(f, 0);
		if (rc == -EAGAIN || rc == -ETIMEDOUT) {
			*stuck = true;
			break;
		}
		if (rc < 0) {
			(void)put_failed(r, f, rc);
			return -1;
		}
		moved = 1;
	}
	return moved;
}

/* Two ways: both directions, neither waiting for the other. */
static void
relay_two_way(struct relay *r)
{
	while (!r->done) {
		struct pollfd p[3];
		struct flow *fl[2] = { &r->ab, &r->ba };
		int np = 1, timeout, i, any = 0;
		bool stuck[2] = { false, false }, change = false;

		if (cli_signalled()) {
			relay_end(r, cli_signal_status());
			break;
		}
		if (cli_deadline_passed(&r->dl)) {
			relay_end(r, r->count >= 0 ? CLI_DEADLINE : CLI_OK);
			break;
		}
		if (!sides_ready(r))
			break;
		for (i = 0; i < 2 && !change; i++) {
			int m = flow_pump(r, fl[i], &stuck[i]);
			if (m < 0)
				change = true;
			any |= m > 0;
		}
		if (change || any)
			continue;
		p[0].fd = cli_signal_fd();
		p[0].events = POLLIN;
		timeout = cli_deadline_left(&r->dl);
		for (i = 0; i < 2; i++) {
			struct flow *f = fl[i];
			int fd;

			if (stuck[i]) {
				/* Room to write is not announced: look again soon,
				 * less often the longer the destination is full. */
				f->retry_ms = f->retry_ms == 0 ? 1 : f->retry_ms * 2;
				if (f->retry_ms > RELAY_RETRY_MAX_MS)
					f->retry_ms = RELAY_RETRY_MAX_MS;
				if (timeout < 0 || timeout > f->retry_ms)
					timeout = f->retry_ms;
				continue;
			}
			fd = ipcx_pollfd(f->from->ch);
			if (fd < 0) {
				/* No descriptor for this source: try it every 10 ms. */
				if (timeout < 0 || timeout > 10)
					timeout = 10;
				continue;
			}
			p[np].fd = fd;
			p[np].events = POLLIN;
			np++;
		}
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			cli_say("relay", NULL, "poll: %s", strerror(errno));
			relay_end(r, CLI_FAIL);
			break;
		}
	}
}

/*
 * The relay was told to stop (a signal, -t).  A message it copied out of
 * the source exists nowhere else: it is delivered, however long B takes
 * (a second signal ends the relay at once; -t gives it RELAY_LINGER_MS).
 * A lent one not yet started is given back to the source instead, and one
 * whose frame is started is finished within RELAY_LINGER_MS.
 */
static void
relay_finish(struct relay *r)
{
	struct flow *fl[2] = { &r->ab, &r->ba };
	bool by_signal = cli_signalled() != 0;
	int i;

	for (i = 0; i < 2; i++) {
		struct flow *f = fl[i];
		struct cli_deadline dl;
		int rc = -ECANCELED;

		if (f->held == HELD_NONE)
			continue;
		if (f->to->ch == NULL) {
			cli_say("relay", f->to->u->text,
			        "a message of %zu bytes was not delivered before stopping "
			        "(%s is not connected)%s",
			        f->len, f->to->name, held_fate(f));
			continue;
		}
		if (f->borrowed && f->held == HELD_TAKEN) {
			cli_log("%s: a message of %zu bytes goes back to %s", f->from->name, f->len,
			        f->from->u->text);
			continue;
		}
		if (f->borrowed || !by_signal)
			cli_deadline_start(&dl, RELAY_LINGER_MS);
		else
			cli_deadline_start(&dl, -1);
		if (!dl.set)
			cli_log("%s: delivering the message held (%zu bytes) before stopping",
			        f->to->name, f->len);
		/* A wake the signal left on the channel answers once. */
		while (rc == -ECANCELED || rc == -EINTR || rc == -EAGAIN) {
			if (cli_deadline_passed(&dl))
				break;
			rc = flow_put(f, cli_deadline_left(&dl));
		}
		if (rc < 0 && f->held != HELD_NONE)
			cli_say("relay", f->to->u->text,
			        "a message of %zu bytes was not delivered before stopping (%s)%s",
			        f->len, ipcx_strerror(rc), held_fate(f));
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
	if (!ua.built || !ub.built) {
		const struct cli_uri *u = !ua.built ? &ua : &ub;
		cli_say("relay", u->text, "the %s: transport is not built in this ipcx", u->scheme);
		return CLI_FAIL;
	}
	if (ua.raw || ub.raw)
		cli_log("framing=raw has no message boundaries: what one read returns is "
		        "relayed as one message");
	r.a.name = "A";
	r.a.u = &ua;
	r.a.served = cli_uri_listens(&ua);
	r.b.name = "B";
	r.b.u = &ub;
	r.two_way = (ua.caps & IPCX_SCHEME_BIDIR) && (ub.caps & IPCX_SCHEME_BIDIR);
	r.ab = (struct flow){ .from = &r.a, .to = &r.b, .try_borrow = true };
	r.ba = (struct flow){ .from = &r.b, .to = &r.a, .try_borrow = true };
	cli_deadline_start(&r.dl, ms);

	/* B first: messages taken from A must have somewhere to go. */
	if (!side_open(&r, &r.b) || !side_open(&r, &r.a))
		goto out;
	r.b.per_client = r.a.served && cli_uri_listens(&ub);
	if (r.a.max != SIZE_MAX && r.b.max < r.a.max)
		cli_log("A's max=%zu is above B's max=%zu: a larger message will stop the relay",
		        r.a.max, r.b.max);
	/* Asking for A's descriptor opens what a join leaves closed (a FIFO's
	 * read end): the relay is A's receiver from now on. */
	if (r.a.ch != NULL)
		(void)ipcx_pollfd(r.a.ch);
	cli_log("relaying %s -> %s%s", ua.text, ub.text, r.two_way ? " and back" : "");
	if (r.two_way)
		relay_two_way(&r);
	else
		relay_one_way(&r);
	if (cli_signalled() || cli_deadline_passed(&r.dl) || r.status == CLI_OK)
		relay_finish(&r);
out:
	cli_log("relayed %ld messages from A to B, %ld back", r.ab.moved, r.ba.moved);
	side_close(&r.a);
	side_close(&r.b);
	if (r.a.lst != NULL) {
		cli_unwatch(r.a.lst);
		ipcx_close(r.a.lst); /* removes the socket file it bound */
	}
	cli_buf_fini(&r.ab.buf);
	cli_buf_fini(&r.ba.buf);
	return r.status;
}
