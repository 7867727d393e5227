/* SPDX-License-Identifier: MIT */
/*
 * cmd_listen.c - `ipcx listen URI [--echo | --exec CMD]`, and the serve loop
 * it shares with `ipcx recv` on sockets.
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
 * --exec runs CMD per connection (socat's fork,EXEC:), with two pipes for
 * its standard input and output: each message from the client is written to
 * CMD's input as `ipcx recv --format F` would print it (F: text - a line per
 * message - unless the URI is framing=raw, whose bytes pass as they are),
 * and CMD's output is read back the way `ipcx send --format F` reads it, a
 * message per line.  The pipes are non-blocking and buffered here, so a CMD
 * that does not read holds up only its own client.  Children are reaped on
 * SIGCHLD, through a second self-pipe in the poll set.
 *
 * unix:...?type=dgram has no connections: the socket the command created is
 * read directly, and --echo replies to the sender of the last datagram.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ipcx_shared.h"

#define SERVE_BATCH 64
#define SERVE_ECHO_TIMEOUT_MS 10000 /* a client that does not read its echo is dropped */
#define SERVE_ACCEPT_PAUSE_MS 100   /* after EMFILE and the like */
#define EXEC_BUF_MAX (1u << 20)     /* input waiting for CMD before its client waits */
#define EXEC_KILL_WAIT_MS 2000      /* SIGTERM, then this long, then SIGKILL */

static const char listen_help[] =
	"Usage: ipcx listen URI [--echo | --exec CMD] [-n COUNT] [-t MS] [--idle MS]\n"
	"                       [--format text|hex|json|raw] [-q] [-v]\n"
	"\n"
	"Serve a socket (a scheme that listens: unix:PATH, unix:@NAME,\n"
	"tcp:HOST:PORT): create it, accept any number of clients at once, and print\n"
	"what they send - or, with --echo, send each message back to its sender;\n"
	"or, with --exec, run CMD for each connection.  The bound address is\n"
	"announced on standard error as `ipcx: listening on URI` (tcp:HOST:0 picks\n"
	"a free port and shows it there).  A client that hangs up or breaks the\n"
	"framing is dropped; the others are served on.  SIGINT or SIGTERM closes\n"
	"the socket and removes its file.\n"
	"\n"
	"  -e, --echo        send each message back instead of printing it\n"
	"  -x, --exec CMD    run `/bin/sh -c CMD` per connection, the connection on\n"
	"                    its standard input and output: each message arrives as\n"
	"                    one line (--format text; json or hex for binary\n"
	"                    payloads), each line CMD writes goes back as one\n"
	"                    message; on framing=raw the bytes pass as they are.\n"
	"                    The client hanging up closes CMD's input; CMD closing\n"
	"                    its output ends the connection.  CMD finds the peer in\n"
	"                    IPCX_PEER, IPCX_PEER_PID and IPCX_PEER_UID where known\n"
	"  -n, --count N     stop after N messages (with --exec: N connections)\n"
	"  -t, --timeout MS  serve for MS milliseconds, then end (status 0; 3 when\n"
	"                    -n COUNT was given and not reached)\n"
	"  -i, --idle MS     end with status 0 once no message has come for MS\n"
	"  -f, --format F    text (default), hex, json or raw, as for `ipcx recv`;\n"
	"                    with --exec, what CMD reads and writes\n"
	"  -q, --quiet       no `listening on` line\n"
	"  -v, --verbose     connections made and lost with the peer's address and\n"
	"                    pid/uid, each message's size, CMD's pid and exit\n"
	"                    status, with timestamps, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 after COUNT messages (or connections), -t MS or --idle;\n"
	"1 failure (e.g. another server holds the address); 2 usage error, or a\n"
	"URI that is not a socket; 3 the -t deadline passed before COUNT; 128+N\n"
	"ended by signal N; 141 standard output was closed.\n";

struct serve_conn {
	ipcx_chan *ch;      /* NULL once the connection is closed */
	unsigned long id;   /* for -v: connection 1, 2, ... */
	long msgs;
	bool pending;       /* stopped at SERVE_BATCH: may hold more */
	bool dead;
	/* --exec */
	pid_t pid;          /* CMD, until reaped */
	int to_fd;          /* CMD's standard input, -1 once closed */
	int from_fd;        /* CMD's standard output, -1 once at its end */
	bool peer_done;     /* the client sends no more */
	struct cli_bytes out; /* for CMD's input */
	struct cli_bytes in;  /* from CMD's output, not yet a whole line */
};

struct serve_state {
	const struct cli_serve *o;
	const char *where;  /* the address as announced (the port tcp:HOST:0 got) */
	char where_buf[IPCX_URI_MAX];
	ipcx_chan *lst;
	bool listening;  /* stream/seqpacket/tcp listener; false: a dgram socket */
	struct serve_conn *conns;
	size_t nconns, capconns;
	unsigned long next_id;
	bool lst_pending;
	int64_t accept_paused_until;
	struct cli_buf buf;
	long got;        /* messages; with --exec, connections finished */
	long accepted;
	struct cli_deadline idle;
	bool done;
	int status;
};

/*
 * A connection failed: "ipcx: VERB: WHERE: connection N from PEER: what
 * happened; TAIL".  The library's sentence, when it has one, says what
 * happened better than the code's (a peer that closed mid-message is not
 * a framing mismatch); the framing hint is for the code alone.
 */
static void
conn_error(const struct serve_state *s, unsigned long id, ipcx_chan *ch, int err,
           const char *tail)
{
	const char *detail = ch != NULL ? ipcx_errmsg(ch) : "";
	char peer[160] = "", who[200] = "";

	if (ch != NULL)
		cli_peer_text(ch, peer, sizeof(peer));
	if (id > 0)
		snprintf(who, sizeof(who), "connection %lu%s: ", id, peer);
	if (detail[0] != '\0')
		cli_say(s->o->verb, s->where, "%s%s; %s", who, detail, tail);
	else
		cli_say(s->o->verb, s->where, "%s%s; %s%s", who, ipcx_strerror(err), tail,
		        err == -EPROTO ? "; both ends must use the same framing=" : "");
}

static void
serve_end(struct serve_state *s, int status)
{
	if (!s->done) {
		s->done = true;
		s->status = status;
	}
}

/* ---- children (--exec) ------------------------------------------------------ */

static int child_pipe[2] = { -1, -1 };

static void
on_sigchld(int signo)
{
	int saved = errno;

	(void)signo;
	(void)!write(child_pipe[1], "c", 1);
	errno = saved;
}

static int
exec_init(void)
{
	struct sigaction sa;

	if (pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	return sigaction(SIGCHLD, &sa, NULL) < 0 ? -errno : 0;
}

static void
fd_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void
exec_env(ipcx_chan *ch)
{
	struct ipcx_stat st;
	char num[32];

	unsetenv("IPCX_CHANNEL"); /* CMD's standard input is not a framed pipe: */
	unsetenv("IPCX_PEER");
	unsetenv("IPCX_PEER_PID");
	unsetenv("IPCX_PEER_UID");
	if (ipcx_stat(ch, &st) < 0)
		return;
	if (st.role == IPCX_ROLE_ACCEPTED && !st.has_peer && st.uri[0] != '\0')
		setenv("IPCX_PEER", st.uri, 1);
	if (st.has_peer) {
		snprintf(num, sizeof(num), "%ld", (long)st.peer_pid);
		setenv("IPCX_PEER_PID", num, 1);
		snprintf(num, sizeof(num), "%lu", (unsigned long)st.peer_uid);
		setenv("IPCX_PEER_UID", num, 1);
	}
}

/* Start CMD for connection c.  Returns 0 or -errno. */
static int
exec_spawn(struct serve_state *s, struct serve_conn *c)
{
	int in[2], out[2];
	sigset_t none;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		int e = -errno;
		close(in[0]);
		close(in[1]);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return e;
	}
	if (pid == 0) {
		/* dup2 clears close-on-exec on 0 and 1; everything else the
		 * command and the library opened is close-on-exec. */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		exec_env(c->ch);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execl("/bin/sh", "sh", "-c", s->o->exec, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->to_fd = in[1];
	c->from_fd = out[0];
	cli_log("connection %lu: started `%s` as pid %ld", c->id, s->o->exec, (long)pid);
	return 0;
}

static void
exec_log_status(const struct serve_conn *c, pid_t pid, int wst)
{
	if (WIFEXITED(wst))
		cli_log("connection %lu: pid %ld exited with status %d", c->id, (long)pid,
		        WEXITSTATUS(wst));
	else if (WIFSIGNALED(wst))
		cli_log("connection %lu: pid %ld killed by signal %d (%s)", c->id, (long)pid,
		        WTERMSIG(wst), strsignal(WTERMSIG(wst)));
}

/* Reap what SIGCHLD announced. */
static void
exec_reap(struct serve_state *s)
{
	char junk[64];
	pid_t pid;
	int wst;
	size_t i;

	while (read(child_pipe[0], junk, sizeof(junk)) > 0)
		;
	while ((pid = waitpid(-1, &wst, WNOHANG)) > 0) {
		for (i = 0; i < s->nconns; i++) {
			if (s->conns[i].pid == pid) {
				exec_log_status(&s->conns[i], pid, wst);
				s->conns[i].pid = 0;
				break;
			}
		}
	}
}

/* The client is gone or refused: close the connection; CMD's input ends
 * once what is buffered for it is written. */
static void
exec_conn_close(struct serve_conn *c)
{
	if (c->ch != NULL) {
		ipcx_close(c->ch);
		c->ch = NULL;
	}
	c->peer_done = true;
}

/* Write what is buffered for CMD.  A CMD that stopped reading loses the
 * rest of its input, as `cmd < file` would. */
static void
exec_write(struct serve_conn *c)
{
	while (c->to_fd >= 0 && c->out.len > 0) {
		ssize_t w = write(c->to_fd, c->out.p, c->out.len);
		if (w > 0) {
			cli_bytes_consume(&c->out, (size_t)w);
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		cli_log("connection %lu: the command stopped reading its input (%s); %zu bytes "
		        "dropped",
		        c->id, w < 0 ? strerror(errno) : "closed", c->out.len);
		c->out.len = 0;
		fd_close(&c->to_fd);
	}
	if (c->peer_done && c->out.len == 0)
		fd_close(&c->to_fd);
}

/* Send one message CMD wrote.  false: the client is gone. */
static bool
exec_send(struct serve_state *s, struct serve_conn *c, const uint8_t *p, size_t len)
{
	int left = cli_deadline_left(&s->o->dl), rc;

	if (c->ch == NULL)
		return false;
	if (left < 0 || left > SERVE_ECHO_TIMEOUT_MS)
		left = SERVE_ECHO_TIMEOUT_MS;
	cli_watch(c->ch);
	rc = ipcx_send(c->ch, p, len, left);
	cli_unwatch(c->ch);
	if (rc == 0) {
		cli_log("connection %lu: sent %zu bytes from the command", c->id, len);
		return true;
	}
	if (rc == -ECANCELED && cli_signalled()) {
		serve_end(s, cli_signal_status());
		return true;
	}
	if (rc == -EPIPE || rc == -ENOTCONN)
		cli_log("connection %lu: the client left before the command's output", c->id);
	else
		cli_error(s->o->verb, s->o->uri->text, rc, c->ch,
		          "the command's output not sent; connection %lu dropped", c->id);
	exec_conn_close(c);
	return false;
}

/* One line (or, raw, one chunk) of CMD's output as a message. */
static bool
exec_line(struct serve_state *s, struct serve_conn *c, uint8_t *line, size_t len)
{
	const char *why;
	size_t n;
	int rc = cli_decode(s->o->exec_fmt, line, len, line, &n, &why);

	if (rc > 0)
		return true; /* an announcement, not a message */
	if (rc < 0) {
		cli_say(s->o->verb, s->o->uri->text,
		        "connection %lu: the command wrote a line that is not --format %s (%s); "
		        "skipped",
		        c->id, s->o->exec_fmt == CLI_FMT_HEX ? "hex" : "json", why);
		return true;
	}
	if (n > s->buf.max) {
		cli_say(s->o->verb, s->o->uri->text,
		        "connection %lu: the command wrote a message of %zu bytes, over max=%zu; "
		        "skipped",
		        c->id, n, s->buf.max);
		return true;
	}
	return exec_send(s, c, line, n);
}

/* The client is gone: CMD's next write fails (SIGPIPE), so a command that
 * writes forever ends rather than being read for nothing. */
static void
exec_output_unwanted(struct serve_conn *c)
{
	c->in.len = 0;
	c->out.len = 0;
	fd_close(&c->from_fd);
	fd_close(&c->to_fd);
}

/* Read what CMD wrote and send it on. */
static void
exec_read(struct serve_state *s, struct serve_conn *c)
{
	bool raw = s->o->exec_fmt == CLI_FMT_RAW;
	int k;

	for (k = 0; k < SERVE_BATCH && c->from_fd >= 0 && !s->done; k++) {
		size_t room = raw && s->buf.max < 65536 ? s->buf.max : 65536;
		ssize_t r;

		if (cli_bytes_reserve(&c->in, room) < 0) {
			cli_say(s->o->verb, s->o->uri->text, "out of memory");
			serve_end(s, CLI_FAIL);
			return;
		}
		r = read(c->from_fd, c->in.p + c->in.len, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			/* The end of CMD's output: an unterminated last line is
			 * a message, then the connection ends. */
			if (c->in.len > 0 && c->ch != NULL)
				(void)exec_line(s, c, c->in.p, c->in.len);
			c->in.len = 0;
			fd_close(&c->from_fd);
			if (c->ch != NULL)
				cli_log("connection %lu: the command's output ended; closing", c->id);
			exec_conn_close(c);
			fd_close(&c->to_fd);
			c->out.len = 0;
			return;
		}
		if (raw) {
			if (!exec_send(s, c, c->in.p, (size_t)r))
				exec_output_unwanted(c);
			continue;
		}
		c->in.len += (size_t)r;
		for (;;) {
			uint8_t *nl = memchr(c->in.p, '\n', c->in.len);
			size_t len;
			if (nl == NULL)
				break;
			len = (size_t)(nl - c->in.p);
			if (!exec_line(s, c, c->in.p, len)) {
				exec_output_unwanted(c);
				break;
			}
			cli_bytes_consume(&c->in, len + 1);
		}
		/* A line longer than any message it could hold is no line. */
		if (c->in.len > (s->buf.max > (size_t)-1 / 4 ? s->buf.max : s->buf.max * 2) + 65536) {
			cli_say(s->o->verb, s->o->uri->text,
			        "connection %lu: the command wrote a line longer than any message; "
			        "connection dropped",
			        c->id);
			exec_conn_close(c);
			c->in.len = 0;
		}
	}
}

/* At the end: no command outlives the server by more than a moment. */
static void
exec_stop_all(struct serve_state *s)
{
	struct timespec step = { 0, 10 * 1000000 };
	int64_t until;
	size_t i;
	bool any = false;

	for (i = 0; i < s->nconns; i++) {
		struct serve_conn *c = &s->conns[i];
		exec_conn_close(c);
		fd_close(&c->to_fd);
		fd_close(&c->from_fd);
		if (c->pid > 0) {
			(void)kill(c->pid, SIGTERM);
			any = true;
		}
	}
	if (!any)
		return;
	until = cli_now_ns() + (int64_t)EXEC_KILL_WAIT_MS * 1000000;
	for (;;) {
		any = false;
		exec_reap(s);
		for (i = 0; i < s->nconns; i++)
			any = any || s->conns[i].pid > 0;
		if (!any || cli_now_ns() >= until)
			break;
		nanosleep(&step, NULL);
	}
	for (i = 0; i < s->nconns; i++) {
		struct serve_conn *c = &s->conns[i];
		int wst;
		if (c->pid <= 0)
			continue;
		(void)kill(c->pid, SIGKILL);
		if (waitpid(c->pid, &wst, 0) == c->pid)
			exec_log_status(c, c->pid, wst);
		c->pid = 0;
	}
}

/* ---- connections ------------------------------------------------------------ */

static struct serve_conn *
serve_add(struct serve_state *s, ipcx_chan *ch)
{
	struct serve_conn *c;

	if (s->nconns == s->capconns) {
		size_t n = s->capconns ? s->capconns * 2 : 16;
		struct serve_conn *p = realloc(s->conns, n * sizeof(*p));
		if (p == NULL)
			return NULL;
		s->conns = p;
		s->capconns = n;
	}
	c = &s->conns[s->nconns++];
	memset(c, 0, sizeof(*c));
	c->ch = ch;
	c->id = ++s->next_id;
	c->to_fd = c->from_fd = -1;
	return c;
}

static bool
serve_accepting(const struct serve_state *s)
{
	/* --exec -n N serves N connections. */
	if (s->o->exec != NULL && s->o->count >= 0 && s->accepted >= s->o->count)
		return false;
	return s->accept_paused_until <= cli_now_ns();
}

static void
serve_accept(struct serve_state *s)
{
	const char *verb = s->o->verb, *uri = s->where;

	while (serve_accepting(s)) {
		struct serve_conn *c;
		ipcx_chan *ch;
		char peer[160];
		int rc = ipcx_accept(s->lst, &ch, 0);

		if (rc == 0) {
			c = serve_add(s, ch);
			if (c == NULL) {
				ipcx_close(ch);
				cli_say(verb, uri, "out of memory: connection refused");
				continue;
			}
			s->accepted++;
			if (cli_verbose) {
				cli_peer_text(ch, peer, sizeof(peer));
				cli_log("connection %lu accepted%s", c->id, peer);
			}
			if (s->o->exec != NULL) {
				rc = exec_spawn(s, c);
				if (rc < 0) {
					cli_error(verb, uri, rc, NULL,
					          "cannot run the command; connection %lu refused",
					          c->id);
					exec_conn_close(c);
				}
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
	cli_say(s->o->verb, s->where, "echo not sent: %s; client dropped",
	        ipcx_errmsg(c)[0] ? ipcx_errmsg(c) : ipcx_strerror(rc));
	return false;
}

/* What to do with one message: print it, echo it, or queue it for CMD.
 * false: drop the connection. */
static bool
serve_message(struct serve_state *s, struct serve_conn *c, ipcx_chan *ch, size_t len,
              const struct ipcx_msg_info *info)
{
	int rc;

	if (s->o->exec != NULL) {
		if (c->to_fd < 0)
			return true; /* the command no longer reads */
		rc = cli_encode(s->o->exec_fmt, s->buf.data, len, info, &c->out);
		if (rc < 0) {
			cli_say(s->o->verb, s->o->uri->text, "out of memory");
			serve_end(s, CLI_FAIL);
		}
		return true;
	}
	s->got++;
	if (s->o->echo)
		return serve_echo(s, ch, len);
	rc = cli_emit(s->o->fmt, s->buf.data, len, info);
	if (rc == -EPIPE)
		serve_end(s, CLI_STDOUT_GONE);
	else if (rc == -EINTR)
		serve_end(s, cli_signal_status());
	else if (rc < 0) {
		cli_say(s->o->verb, s->o->uri->text, "writing standard output: %s", strerror(-rc));
		serve_end(s, CLI_FAIL);
	}
	return true;
}

/* Take what one connection (c; NULL for the dgram socket) has.  Returns
 * false when the connection is finished and must be closed. */
static bool
serve_drain(struct serve_state *s, struct serve_conn *c, ipcx_chan *ch, bool *pending)
{
	unsigned long id = c != NULL ? c->id : 0;
	struct ipcx_msg_info info;
	int k;

	for (k = 0; k < SERVE_BATCH && !s->done; k++) {
		ssize_t r;

		if (s->o->exec == NULL && s->o->count >= 0 && s->got >= s->o->count) {
			serve_end(s, CLI_OK);
			break;
		}
		/* CMD is behind: let it catch up before taking more. */
		if (c != NULL && c->out.len >= EXEC_BUF_MAX) {
			*pending = true;
			return true;
		}
		r = ipcx_recv_info(ch, s->buf.data, s->buf.cap, &info, 0);
		if (r >= 0) {
			cli_deadline_start(&s->idle, s->o->idle_ms);
			if (c != NULL) {
				c->msgs++;
				cli_log("connection %lu: message %ld: %zd bytes", id, c->msgs, r);
			} else {
				cli_log("message %ld: %zd bytes%s", s->got + 1, r,
				        (info.fields & IPCX_INFO_PID) ? " (from a process)" : "");
			}
			if (!serve_message(s, c, ch, (size_t)r, &info))
				return false;
			continue;
		}
		switch (ipcx_shared_recv_outcome(r)) {
		case IPCX_RECV_NOTHING:
			*pending = false;
			return true;
		case IPCX_RECV_STOPPED:
			/* A wake-up left over from an echo; the signal, if any,
			 * is seen by the loop. */
			continue;
		case IPCX_RECV_TOO_BIG:
			if (cli_buf_grow(&s->buf) == 0) {
				k--;
				continue;
			}
			conn_error(s, id, ch, (int)r, "message dropped");
			continue;
		case IPCX_RECV_END:
			if (c != NULL)
				cli_log("connection %lu closed by the peer after %ld messages", id,
				        c->msgs);
			return c == NULL; /* the dgram socket itself never ends */
		case IPCX_RECV_MESSAGE: /* handled above */
		case IPCX_RECV_DEADLINE:
		case IPCX_RECV_FAILED:
			conn_error(s, id, ch, (int)r, "connection dropped");
			return c == NULL;
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

	if (ipcx_stat(s->lst, &st) == 0)
		cli_log("created %s (%s, max=%zu)%s", st.uri, s->o->uri->summary, st.max_msg,
		        s->listening ? ", accepting connections" : "");
	if (s->o->quiet)
		return;
	/* The canonical address (the port tcp:HOST:0 got), plus the user's
	 * parameters, so the line is a URI a client can use as it is. */
	if (ipcx_stat(s->lst, &st) == 0 && st.uri[0] != '\0')
		fprintf(stderr, "ipcx: listening on %s%s\n", st.uri, q != NULL ? q : "");
	else
		fprintf(stderr, "ipcx: listening on %s\n", text);
}

/* Has connection c nothing left: no client, no command output, no child? */
static bool
conn_finished(const struct serve_conn *c)
{
	return c->ch == NULL && c->from_fd < 0 && c->to_fd < 0 && c->pid <= 0;
}

/* Poll slots: the signal pipe, the listener, the child pipe, then three
 * per connection (the connection, CMD's input, CMD's output). */
#define SLOTS_FIXED 3
#define SLOTS_CONN 3

static void
serve_poll_conn(struct serve_state *s, struct serve_conn *c, struct pollfd *p, bool *pending)
{
	bool want_msgs = c->ch != NULL && !c->peer_done && c->out.len < EXEC_BUF_MAX;

	p[0].fd = want_msgs ? ipcx_pollfd(c->ch) : -1;
	p[0].events = POLLIN;
	p[1].fd = c->out.len > 0 ? c->to_fd : -1;
	p[1].events = POLLOUT;
	p[2].fd = c->from_fd;
	p[2].events = POLLIN;
	if (want_msgs && c->pending)
		*pending = true;
	(void)s;
}

static void
serve_conn_ready(struct serve_state *s, struct serve_conn *c, const struct pollfd *p)
{
	if (p[1].revents != 0)
		exec_write(c);
	if (c->ch != NULL && !c->peer_done && (p[0].revents != 0 || c->pending)) {
		if (!serve_drain(s, c, c->ch, &c->pending)) {
			if (s->o->exec == NULL) {
				c->dead = true;
			} else {
				/* CMD's input ends; its output may still go to a
				 * half-closed client, so keep the channel. */
				c->peer_done = true;
				c->pending = false;
			}
		}
		if (s->o->exec != NULL)
			exec_write(c);
	}
	if (p[2].revents != 0)
		exec_read(s, c);
	if (s->o->exec != NULL && conn_finished(c))
		c->dead = true;
}

static void
serve_loop(struct serve_state *s)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	cli_deadline_start(&s->idle, s->o->idle_ms);
	while (!s->done) {
		size_t n, i, j, polled;
		bool pending = s->lst_pending, accepting;
		int timeout, ileft;

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
				        "the -t deadline passed after %ld of %ld %s", s->got,
				        s->o->count, s->o->exec != NULL ? "connections" : "messages");
			/* listen -t without -n serves for that long: done. */
			serve_end(s, s->o->timed_run && s->o->count < 0 ? CLI_OK : CLI_DEADLINE);
			break;
		}
		if (cli_deadline_passed(&s->idle)) {
			cli_log("no message for %ld ms: done", s->o->idle_ms);
			serve_end(s, CLI_OK);
			break;
		}
		/* Sized for the connections polled now; serve_accept below may
		 * add more, which are polled from the next round on. */
		polled = s->nconns;
		if (cap < SLOTS_FIXED + SLOTS_CONN * polled) {
			size_t ncap = SLOTS_FIXED + SLOTS_CONN * (polled + 16);
			struct pollfd *p = realloc(pfd, ncap * sizeof(*p));
			if (p == NULL) {
				cli_say(s->o->verb, s->o->uri->text, "out of memory");
				serve_end(s, CLI_FAIL);
				break;
			}
			pfd = p;
			cap = ncap;
		}
		pfd[0].fd = cli_signal_fd();
		pfd[0].events = POLLIN;
		accepting = serve_accepting(s);
		pfd[1].fd = accepting ? ipcx_pollfd(s->lst) : -1;
		pfd[1].events = POLLIN;
		pfd[2].fd = child_pipe[0];
		pfd[2].events = POLLIN;
		for (i = 0; i < polled; i++)
			serve_poll_conn(s, &s->conns[i], &pfd[SLOTS_FIXED + SLOTS_CONN * i], &pending);
		n = SLOTS_FIXED + SLOTS_CONN * polled;
		timeout = pending ? 0 : cli_deadline_left(&s->o->dl);
		ileft = cli_deadline_left(&s->idle);
		if (ileft >= 0 && (timeout < 0 || ileft < timeout))
			timeout = ileft;
		if (!accepting && s->accept_paused_until > cli_now_ns() &&
		    (timeout < 0 || timeout > SERVE_ACCEPT_PAUSE_MS))
			timeout = SERVE_ACCEPT_PAUSE_MS;
		for (i = 0; i < n; i++)
			pfd[i].revents = 0;
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			cli_say(s->o->verb, s->o->uri->text, "poll: %s", strerror(errno));
			serve_end(s, CLI_FAIL);
			break;
		}
		if (pfd[2].revents != 0)
			exec_reap(s);
		if (pfd[1].revents != 0 || s->lst_pending) {
			if (s->listening)
				serve_accept(s);
			else
				(void)serve_drain(s, NULL, s->lst, &s->lst_pending);
		}
		for (i = 0; i < polled && !s->done; i++)
			serve_conn_ready(s, &s->conns[i], &pfd[SLOTS_FIXED + SLOTS_CONN * i]);
		for (i = j = 0; i < s->nconns; i++) {
			struct serve_conn *c = &s->conns[i];
			if (c->dead) {
				if (c->ch != NULL)
					ipcx_close(c->ch);
				cli_bytes_fini(&c->out);
				cli_bytes_fini(&c->in);
				if (s->o->exec != NULL)
					s->got++;
				continue;
			}
			s->conns[j++] = *c;
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
	s.where = o->uri->text;
	if (ipcx_stat(s.lst, &st) == 0 && st.uri[0] != '\0') {
		snprintf(s.where_buf, sizeof(s.where_buf), "%s", st.uri);
		s.where = s.where_buf;
	}
	if (o->exec != NULL && !s.listening) {
		ipcx_close(s.lst);
		return cli_usage(o->verb, "%s: --exec runs a command per connection, and this "
		                          "socket has none (type=dgram); use a stream or "
		                          "seqpacket socket",
		                 o->uri->text);
	}
	if (o->exec != NULL && (rc = exec_init()) < 0) {
		ipcx_close(s.lst);
		cli_say(o->verb, o->uri->text, "cannot watch for child processes: %s",
		        strerror(-rc));
		return CLI_FAIL;
	}
	if (cli_buf_init(&s.buf, s.lst) < 0) {
		ipcx_close(s.lst);
		cli_say(o->verb, o->uri->text, "out of memory");
		return CLI_FAIL;
	}
	serve_announce(&s);
	serve_loop(&s);
	if (o->exec != NULL)
		exec_stop_all(&s);
	for (i = 0; i < s.nconns; i++) {
		if (s.conns[i].ch != NULL)
			ipcx_close(s.conns[i].ch);
		cli_bytes_fini(&s.conns[i].out);
		cli_bytes_fini(&s.conns[i].in);
	}
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
		{ "exec", required_argument, NULL, 'x' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_serve o = { .verb = "listen", .fmt = CLI_FMT_TEXT, .count = -1, .idle_ms = -1 };
	struct cli_uri u;
	bool fmt_set = false;
	long ms = -1;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ex:n:t:i:f:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			o.echo = true;
			break;
		case 'x':
			o.exec = optarg;
			break;
		case 'n':
			if (cli_parse_long(optarg, 0x7fffffffL, &o.count) < 0)
				return cli_usage("listen", "-n wants a count, not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_long(optarg, 86400000L * 365, &ms) < 0)
				return cli_usage("listen", "-t wants milliseconds, not '%s'", optarg);
			break;
		case 'i':
			if (cli_parse_long(optarg, 86400000L * 365, &o.idle_ms) < 0)
				return cli_usage("listen", "--idle wants milliseconds, not '%s'",
				                 optarg);
			break;
		case 'f':
			if (cli_parse_format(optarg, &o.fmt) < 0)
				return cli_usage("listen",
				                 "--format is text, hex, json or raw, not '%s'", optarg);
			fmt_set = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'v':
			cli_verbose = true;
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
	if (o.echo && o.exec != NULL)
		return cli_usage("listen", "--echo and --exec are two ways to answer; pick one");
	if (o.exec != NULL && o.exec[0] == '\0')
		return cli_usage("listen", "--exec wants a command");
	rc = cli_uri_parse("listen", argv[optind], &u);
	if (rc != 0)
		return rc;
	if (!cli_uri_listens(&u)) {
		char with[256];
		return cli_usage("listen", "%s: listen serves sockets (%s); use `ipcx recv` to "
		                           "receive from a %s: channel",
		                 u.text, cli_schemes_with(IPCX_SCHEME_LISTEN, with, sizeof(with)),
		                 u.scheme);
	}
	/* The bytes of framing=raw pass as they are, unless told otherwise. */
	o.exec_fmt = fmt_set ? o.fmt : u.raw ? CLI_FMT_RAW : CLI_FMT_TEXT;
	o.timed_run = true;
	o.uri = &u;
	cli_deadline_start(&o.dl, ms);
	return cli_serve(&o);
}
