/* SPDX-License-Identifier: MIT */
/*
 * cmd_send.c - `ipcx send URI [MESSAGE...]`: each argument is one message;
 * with none, standard input is read one message per line (one trailing
 * newline stripped, an empty line an empty message, an unterminated last
 * line a message), or as one message with --whole.  With --format hex or
 * json each line (and each argument) is a message as `ipcx recv --format`
 * writes it, so recv | send copies any payload.  Standard input is read as
 * it arrives, so `tail -f log | ipcx send ...` streams.  A message over the
 * channel's max stops the command with status 1 and says how many were sent
 * before it; so does any other failure.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char send_help[] =
	"Usage: ipcx send URI [MESSAGE...] [-t MS] [--whole] [--wait] [-v]\n"
	"                     [--format text|hex|json]\n"
	"\n"
	"Send each MESSAGE argument as one message.  With none, read standard\n"
	"input: one message per line (the trailing newline is not sent, an empty\n"
	"line is an empty message, an unterminated last line is a message).\n"
	"Put -- before messages that start with '-'.\n"
	"\n"
	"On unix: and tcp: the command connects to a server (`ipcx listen`,\n"
	"`ipcx recv`); on fifo: it opens the FIFO for writing and waits for a\n"
	"receiver; pipe:1 (or any inherited descriptor) sends down that pipe.\n"
	"\n"
	"  -t, --timeout MS  give up after MS milliseconds for the whole command\n"
	"                    (status 3); without it a send waits for its receiver.\n"
	"                    A message already started when the deadline comes\n"
	"                    breaks the channel (the receiver never sees half of\n"
	"                    it): status 3 as well\n"
	"      --whole       all of standard input is one message\n"
	"  -f, --format F    how each line (and each MESSAGE) is written:\n"
	"                    text (default): the payload itself\n"
	"                    hex: the payload in hex digits (either case)\n"
	"                    json: an object with the payload base64-encoded under\n"
	"                      \"data\"; \"len\", if present, must match; other keys\n"
	"                      (pid, uid, ...) are ignored\n"
	"                    exactly what `ipcx recv --format hex|json` writes, so\n"
	"                    `ipcx recv A --format json | ipcx send B --format json`\n"
	"                    copies any payload, empty and binary ones included\n"
	"      --wait        wait for the channel to appear (within -t) instead of\n"
	"                    failing with status 4\n"
	"  -v, --verbose     what is opened and each message's size, with\n"
	"                    timestamps, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 all sent; 1 failure (a message over the channel's max, or\n"
	"a line that is not in --format, stops the command and says how many were\n"
	"sent); 2 usage error (a MESSAGE not in --format included); 3 the -t\n"
	"deadline passed; 4 no such channel, or nobody listening on the socket;\n"
	"128+N ended by signal N (a message already started is finished first);\n"
	"141 the reader of a pipe: channel went away (quietly, as cat would).\n";

struct send_state {
	const struct cli_uri *u;
	ipcx_chan *ch;
	struct cli_deadline dl;
	enum cli_format fmt;
	size_t max;
	long sent;
	long line;        /* standard input lines read */
	uint8_t *dec;     /* a decoded hex/json line */
	size_t deccap;
};

/* Send message number sent+1.  Returns 0 or the exit status to end with. */
static int
send_one(struct send_state *s, const void *buf, size_t len)
{
	for (;;) {
		int left, r;

		if (cli_signalled())
			return cli_signal_status();
		if (len > s->max) {
			cli_say("send", s->u->text, "message %ld is %zu bytes, over max=%zu; %ld sent",
			        s->sent + 1, len, s->max, s->sent);
			return CLI_FAIL;
		}
		left = cli_deadline_left(&s->dl);
		if (left == 0) {
			cli_say("send", s->u->text, "the -t deadline passed; %ld sent", s->sent);
			return CLI_DEADLINE;
		}
		r = ipcx_send(s->ch, buf, len, left);
		if (r == 0) {
			s->sent++;
			cli_log("message %ld: %zu bytes sent", s->sent, len);
			return 0;
		}
		if (r == -ECANCELED) {
			if (cli_signalled())
				return cli_signal_status();
			continue;
		}
		if ((r == -ETIMEDOUT || r == -EAGAIN) && s->dl.set) {
			cli_say("send", s->u->text, "the -t deadline passed; %ld sent", s->sent);
			return CLI_DEADLINE;
		}
		if (r == -EMSGSIZE) {
			cli_say("send", s->u->text, "message %ld is %zu bytes, over max=%zu; %ld sent",
			        s->sent + 1, len, s->max, s->sent);
			return CLI_FAIL;
		}
		/* Only the deadline breaks a frame already started (DESIGN.md):
		 * the command ran out of time, and says so with its status. */
		if (r == -EPIPE && s->dl.set && cli_deadline_passed(&s->dl)) {
			cli_say("send", s->u->text,
			        "the -t deadline passed in the middle of message %ld, which the "
			        "receiver will not see; the channel is broken; %ld sent",
			        s->sent + 1, s->sent);
			return CLI_DEADLINE;
		}
		if (r == -EPIPE && cli_uri_inherited(s->u))
			return CLI_STDOUT_GONE; /* `ipcx send pipe:1 | head`: quietly, like cat */
		cli_error("send", s->u->text, r, s->ch, "%ld sent", s->sent);
		return cli_status(r);
	}
}

/* Read more of standard input into buf[*end..cap).  Returns the count, 0 at
 * end of input, -EINTR once a signal asked us to stop, or -errno. */
static ssize_t
stdin_read(uint8_t *buf, size_t cap, size_t end)
{
	struct pollfd p[2] = {
		{ .fd = 0, .events = POLLIN },
		{ .fd = cli_signal_fd(), .events = POLLIN },
	};

	for (;;) {
		ssize_t r;

		if (cli_signalled())
			return -EINTR;
		/* Wait with the signal pipe beside it: a read(2) entered just
		 * after the signal would otherwise block until the next line. */
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (cli_signalled())
			return -EINTR;
		r = read(0, buf + end, cap - end);
		if (r >= 0)
			return r;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static int
stdin_failed(struct send_state *s, ssize_t r)
{
	if (r == -EINTR)
		return cli_signal_status();
	cli_say("send", s->u->text, "reading standard input: %s; %ld sent", strerror((int)-r),
	        s->sent);
	return CLI_FAIL;
}

static int
buf_reserve(uint8_t **buf, size_t *cap, size_t want)
{
	uint8_t *p;
	size_t ncap = *cap ? *cap : 65536;

	if (*cap >= want)
		return 0;
	while (ncap < want)
		ncap *= 2;
	p = realloc(*buf, ncap);
	if (p == NULL)
		return -ENOMEM;
	*buf = p;
	*cap = ncap;
	return 0;
}

/* --whole: everything up to end of input, refused as soon as it is larger
 * than max (no need to read an endless input to know). */
static int
send_whole(struct send_state *s)
{
	uint8_t *buf = NULL;
	size_t cap = 0, end = 0;
	int status;

	for (;;) {
		ssize_t r;

		if (buf_reserve(&buf, &cap, end + 65536) < 0) {
			free(buf);
			cli_say("send", s->u->text, "out of memory");
			return CLI_FAIL;
		}
		r = stdin_read(buf, cap, end);
		if (r == 0)
			break;
		if (r < 0) {
			free(buf);
			return stdin_failed(s, r);
		}
		end += (size_t)r;
		if (end > s->max) {
			free(buf);
			cli_say("send", s->u->text,
			        "message %ld is more than max=%zu bytes; %ld sent", s->sent + 1,
			        s->max, s->sent);
			return CLI_FAIL;
		}
	}
	status = send_one(s, buf, end);
	free(buf);
	return status;
}

/* Send one line (or argument) in the command's --format. */
static int
send_encoded(struct send_state *s, const uint8_t *line, size_t len)
{
	const char *why;
	size_t n;
	int rc;

	if (s->fmt == CLI_FMT_TEXT)
		return send_one(s, line, len);
	if (len > s->deccap) {
		uint8_t *p = realloc(s->dec, len);
		if (p == NULL) {
			cli_say("send", s->u->text, "out of memory; %ld sent", s->sent);
			return CLI_FAIL;
		}
		s->dec = p;
		s->deccap = len;
	}
	rc = cli_decode(s->fmt, line, len, s->dec, &n, &why);
	if (rc < 0) {
		cli_say("send", s->u->text, "line %ld of standard input is not a message in "
		                            "--format %s: %s; %ld sent",
		        s->line, s->fmt == CLI_FMT_HEX ? "hex" : "json", why, s->sent);
		return CLI_FAIL;
	}
	if (rc > 0)
		return CLI_OK; /* an announcement, not a message */
	return send_one(s, s->dec, n);
}

/* The longest line that can hold a message of max bytes in s->fmt. */
static size_t
send_line_max(const struct send_state *s)
{
	if (s->max > ((size_t)-1 - 65536) / 2)
		return (size_t)-1;
	switch (s->fmt) {
	case CLI_FMT_HEX:
		return s->max * 2;
	case CLI_FMT_JSON:
		/* base64, plus the keys recv writes and room to spare. */
		return (s->max + 2) / 3 * 4 + 65536;
	default:
		return s->max;
	}
}

/* One message per line of standard input. */
static int
send_lines(struct send_state *s)
{
	uint8_t *buf = NULL, *nl;
	size_t cap = 0, start = 0, end = 0, scanned = 0;
	bool eof = false;
	int status = 0;

	for (;;) {
		ssize_t r;

		nl = end - start > scanned
		             ? memchr(buf + start + scanned, '\n', end - start - scanned)
		             : NULL;
		if (nl != NULL) {
			s->line++;
			status = send_encoded(s, buf + start, (size_t)(nl - (buf + start)));
			if (status != 0)
				break;
			start = (size_t)(nl - buf) + 1;
			scanned = 0;
			continue;
		}
		scanned = end - start;
		if (end - start > send_line_max(s)) {
			cli_say("send", s->u->text,
			        "message %ld is more than max=%zu bytes; %ld sent", s->sent + 1,
			        s->max, s->sent);
			status = CLI_FAIL;
			break;
		}
		if (eof) {
			if (end > start) { /* an unterminated last line */
				s->line++;
				status = send_encoded(s, buf + start, end - start);
			}
			break;
		}
		if (start > 0) {
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
		}
		if (buf_reserve(&buf, &cap, end + 65536) < 0) {
			cli_say("send", s->u->text, "out of memory; %ld sent", s->sent);
			status = CLI_FAIL;
			break;
		}
		r = stdin_read(buf, cap, end);
		if (r < 0) {
			status = stdin_failed(s, r);
			break;
		}
		if (r == 0)
			eof = true;
		end += (size_t)r;
	}
	free(buf);
	return status;
}

int
cli_send_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "whole", no_argument, NULL, 'W' },
		{ "wait", no_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct send_state s = { 0 };
	struct cli_uri u;
	struct ipcx_stat st;
	bool whole = false, wait = false;
	long ms = -1;
	int c, rc, status = 0, i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:f:vh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_long(optarg, 86400000L * 365, &ms) < 0)
				return cli_usage("send", "-t wants milliseconds, not '%s'", optarg);
			break;
		case 'W':
			whole = true;
			break;
		case 'w':
			wait = true;
			break;
		case 'f':
			if (cli_parse_format(optarg, &s.fmt) < 0 || s.fmt == CLI_FMT_RAW)
				return cli_usage("send", "--format is text, hex or json, not '%s'%s",
				                 optarg,
				                 strcmp(optarg, "raw") == 0
				                         ? " (--whole sends standard input as it is)"
				                         : "");
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(send_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("send", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("send", "missing URI");
	rc = cli_uri_parse("send", argv[optind], &u);
	if (rc != 0)
		return rc;
	if (whole && optind + 1 < argc)
		return cli_usage("send", "--whole reads standard input; give no MESSAGE");
	if (whole && s.fmt != CLI_FMT_TEXT)
		return cli_usage("send", "--whole sends standard input as it is; --format %s "
		                         "reads one message a line",
		                 s.fmt == CLI_FMT_HEX ? "hex" : "json");
	/* Arguments in --format are checked before anything is opened. */
	for (i = optind + 1; i < argc && s.fmt != CLI_FMT_TEXT; i++) {
		size_t n = strlen(argv[i]);
		uint8_t *tmp = malloc(n + 1);
		const char *why = "out of memory";
		if (tmp == NULL || cli_decode(s.fmt, (const uint8_t *)argv[i], n, tmp, &n, &why) < 0) {
			free(tmp);
			return cli_usage("send", "MESSAGE %d is not in --format %s: %s",
			                 i - optind, s.fmt == CLI_FMT_HEX ? "hex" : "json", why);
		}
		free(tmp);
	}

	s.u = &u;
	cli_deadline_start(&s.dl, ms);
	rc = cli_join(&u, &s.dl, wait, &s.ch);
	if (rc < 0)
		return cli_open_failed("send", &u, &s.dl, rc);
	s.max = ipcx_stat(s.ch, &st) == 0 ? st.max_msg : (size_t)-1;
	cli_watch(s.ch);

	if (optind + 1 < argc) {
		for (i = optind + 1; i < argc && status == 0; i++)
			status = send_encoded(&s, (const uint8_t *)argv[i], strlen(argv[i]));
	} else if (whole) {
		status = send_whole(&s);
	} else {
		status = send_lines(&s);
	}
	/* A signal that arrived while the last message went out ends the
	 * command as a signal all the same. */
	if (status == 0 && cli_signalled())
		status = cli_signal_status();
	cli_unwatch(s.ch);
	/* The last message may still be finishing (a frame accepted by a
	 * timeout-0 send); close says if it could not be. */
	rc = ipcx_close(s.ch);
	if (rc < 0 && status == 0) {
		cli_error("send", u.text, rc, NULL, "the last message may not have been delivered "
		                                    "whole; %ld sent",
		          s.sent);
		status = CLI_FAIL;
	}
	free(s.dec);
	return status;
}
