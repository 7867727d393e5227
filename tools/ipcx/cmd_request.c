/* SPDX-License-Identifier: MIT */
/*
 * cmd_request.c - `ipcx request URI MESSAGE`: join a two-way channel (connect,
 * for sockets), send one message, and print the one reply in any --format.
 * -t bounds the whole exchange.  The counterpart of `ipcx listen --echo`
 * and of any server that answers each request with one message.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ipcx_shared.h"

static bool dl_default; /* -t not given: REQUEST_DEFAULT_MS */

/* Without -t, a server that never answers must not hold the command
 * forever (a length-framed request to a framing=line server never gets a
 * frame back). */
#define REQUEST_DEFAULT_MS 30000

static const char request_help[] =
	"Usage: ipcx request URI MESSAGE|- [-t MS] [--wait] [-v]\n"
	"                        [--format text|hex|json|raw]\n"
	"\n"
	"Send MESSAGE (with -, standard input: all of it, one trailing newline\n"
	"stripped) and print the one reply.  URI must be two-way: unix:, tcp:\n"
	"(which connect to a server) or pipe:RFD,WFD.  Put -- before a MESSAGE\n"
	"that starts with '-'.\n"
	"\n"
	"  -t, --timeout MS  give up after MS milliseconds for the whole exchange\n"
	"                    (default 30000: a server that never answers does not\n"
	"                    hold the command forever)\n"
	"      --wait        wait (within -t) for the server to appear\n"
	"  -f, --format F    text (default), hex, json or raw, as for `ipcx recv`\n"
	"  -v, --verbose     what is opened and each message's size, with\n"
	"                    timestamps, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 a reply was printed; 1 failure (e.g. the server hung up\n"
	"without replying); 2 usage error; 3 the deadline passed; 4 no such\n"
	"channel, or nobody listening; 128+N ended by signal N.\n";

/* All of standard input, one trailing newline stripped. */
static int
request_stdin(char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t r;
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *p = realloc(buf, ncap);
			if (p == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
			cap = ncap;
		}
		r = read(0, buf + len, cap - len);
		if (r < 0 && errno == EINTR) {
			if (cli_signalled()) {
				free(buf);
				return -EINTR;
			}
			continue;
		}
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int
request_run(const struct cli_uri *u, const char *msg, size_t msglen, enum cli_format fmt,
            struct cli_deadline *dl, bool wait)
{
	struct ipcx_msg_info info;
	struct cli_buf b;
	ipcx_chan *ch;
	ssize_t r;
	int rc, status = CLI_FAIL;

	rc = cli_join(u, dl, wait, &ch);
	if (rc < 0)
		return cli_open_failed("request", u, dl, rc);
	if (cli_buf_init(&b, ch) < 0) {
		ipcx_close(ch);
		cli_say("request", u->text, "out of memory");
		return CLI_FAIL;
	}
	cli_watch(ch);
	for (;;) {
		if (cli_signalled()) {
			status = cli_signal_status();
			goto out;
		}
		if (cli_deadline_passed(dl))
			goto deadline;
		rc = ipcx_send(ch, msg, msglen, cli_deadline_left(dl));
		if (rc == 0) {
			cli_log("request: %zu bytes sent", msglen);
			break;
		}
		if (rc == -ECANCELED)
			continue;
		/* -EPIPE past the deadline: it broke the started frame. */
		if ((rc == -ETIMEDOUT || rc == -EAGAIN || rc == -EPIPE) && dl->set &&
		    (rc != -EPIPE || cli_deadline_passed(dl)))
			goto deadline;
		cli_error("request", u->text, rc, ch, "request not sent");
		status = cli_status(rc);
		goto out;
	}
	for (;;) {
		enum ipcx_shared_recv_outcome oc;

		if (cli_signalled()) {
			status = cli_signal_status();
			goto out;
		}
		r = ipcx_recv_info(ch, b.data, b.cap, &info, cli_deadline_left(dl));
		oc = ipcx_shared_recv_outcome(r);
		if (oc == IPCX_RECV_MESSAGE) {
			cli_log("reply: %zd bytes", r);
			break;
		}
		if (oc == IPCX_RECV_STOPPED)
			continue;
		if (oc == IPCX_RECV_TOO_BIG && cli_buf_grow(&b) == 0)
			continue;
		if ((oc == IPCX_RECV_DEADLINE || oc == IPCX_RECV_NOTHING) && dl->set)
			goto deadline;
		if (oc == IPCX_RECV_END) {
			cli_say("request", u->text, "the peer hung up without replying");
			goto out;
		}
		cli_error("request", u->text, (int)r, ch, "%s",
		          cli_hint("request", u, (int)r) ? cli_hint("request", u, (int)r) : "");
		status = cli_status((int)r);
		goto out;
	}
	rc = cli_emit(fmt, b.data, (size_t)r, &info);
	if (rc == 0)
		status = CLI_OK;
	else if (rc == -EPIPE)
		status = CLI_STDOUT_GONE;
	else if (rc == -EINTR)
		status = cli_signal_status();
	else
		cli_say("request", u->text, "writing standard output: %s", strerror(-rc));
	goto out;
deadline:
	/* The commonest cause is a server that frames differently: it is still
	 * waiting for the rest of what it takes for a message. */
	cli_say("request", u->text, "the %s deadline passed before the reply came; if the "
	                            "server is up, does it use the same framing= (len, line, "
	                            "raw)?",
	        dl_default ? "default 30 s" : "-t");
	status = CLI_DEADLINE;
out:
	cli_unwatch(ch);
	ipcx_close(ch);
	cli_buf_fini(&b);
	return status;
}

int
cli_request_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "wait", no_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cli_format fmt = CLI_FMT_TEXT;
	struct cli_deadline dl;
	struct cli_uri u;
	bool wait = false;
	long ms = REQUEST_DEFAULT_MS;
	char *in = NULL;
	size_t inlen = 0;
	int c, rc;

	opterr = 0;
	dl_default = true;
	while ((c = getopt_long(argc, argv, ":t:f:vh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_long(optarg, 86400000L * 365, &ms) < 0)
				return cli_usage("request", "-t wants milliseconds, not '%s'", optarg);
			dl_default = false;
			break;
		case 'w':
			wait = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'f':
			if (cli_parse_format(optarg, &fmt) < 0)
				return cli_usage("request",
				                 "--format is text, hex, json or raw, not '%s'", optarg);
			break;
		case 'h':
			fputs(request_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("request", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("request", "missing URI");
	if (optind + 1 >= argc)
		return cli_usage("request", "missing MESSAGE");
	if (optind + 2 < argc)
		return cli_usage("request", "one MESSAGE only ('%s' is one too many)",
		                 argv[optind + 2]);
	rc = cli_uri_parse("request", argv[optind], &u);
	if (rc != 0)
		return rc;
	if (u.built && !(u.caps & IPCX_SCHEME_BIDIR)) {
		char with[256];
		return cli_usage("request", "%s: a %s: channel is one-way; request needs one whose "
		                            "ends both send and receive (%s)",
		                 u.text, u.scheme,
		                 cli_schemes_with(IPCX_SCHEME_BIDIR, with, sizeof(with)));
	}
	if (strcmp(argv[optind + 1], "-") == 0) {
		rc = request_stdin(&in, &inlen);
		if (rc < 0) {
			if (rc == -EINTR)
				return cli_signal_status();
			cli_say("request", u.text, "reading standard input: %s", strerror(-rc));
			return CLI_FAIL;
		}
	}
	cli_deadline_start(&dl, ms);
	rc = request_run(&u, in != NULL ? in : argv[optind + 1],
	                 in != NULL ? inlen : strlen(argv[optind + 1]), fmt, &dl, wait);
	free(in);
	return rc;
}
