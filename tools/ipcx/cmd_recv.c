/* SPDX-License-Identifier: MIT */
/*
 * cmd_recv.c - `ipcx recv URI`: receive messages and write them to standard
 * output.  On unix: and tcp: the command is the server: it creates the
 * listening socket and takes messages from every client at once (the serve
 * loop in cmd_listen.c).  Elsewhere it joins the channel (fifo:, pipe:0,
 * ...) and receives until the end of the channel - which a FIFO never has,
 * senders come and go - or -n, -t, --idle or a signal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ipcx_shared.h"

static const char recv_help[] =
	"Usage: ipcx recv URI [-n COUNT] [-t MS] [--idle MS] [--wait] [-v]\n"
	"                     [--format text|hex|json|raw]\n"
	"\n"
	"Receive messages and write them to standard output.\n"
	"\n"
	"On unix: and tcp: recv creates the socket and takes messages from every\n"
	"client at once; it announces `ipcx: listening on URI` on standard error\n"
	"(with the port chosen for tcp:HOST:0) and removes the socket file when it\n"
	"ends.  On fifo:, pipe:0 and the others it joins the channel and receives\n"
	"until the channel ends (a FIFO never ends: senders come and go).\n"
	"On signal:self, which senders reach by the receiving process's pid,\n"
	"it announces `ipcx: receiving at pid PID on URI` on standard error and,\n"
	"with --format json, first writes {\"receiving\":\"URI\",\"pid\":PID}\n"
	"(which `ipcx send --format json` reads as no message).\n"
	"\n"
	"  -n, --count N     stop after N messages\n"
	"  -t, --timeout MS  end the whole command after MS milliseconds (status 3)\n"
	"  -i, --idle MS     end with status 0 once nothing has arrived for MS\n"
	"                    milliseconds (counted from the start, then from each\n"
	"                    message)\n"
	"      --wait        wait (within -t) for a channel that does not exist yet,\n"
	"                    instead of failing at once with status 4\n"
	"  -f, --format F    text (default): each payload, then a newline\n"
	"                    hex: the payload in lowercase hex, then a newline\n"
	"                    json: one object per line, {\"data\":\"<base64>\",\"len\":N}\n"
	"                      plus what the mechanism knows of the message: \"pid\",\n"
	"                      \"uid\", \"gid\", \"prio\", \"mtype\", \"signo\", \"code\"\n"
	"                    raw: the payloads back to back, nothing added\n"
	"                    (`ipcx send --format` reads text, hex and json back)\n"
	"  -q, --quiet       no `listening on` or `receiving at pid` line\n"
	"  -v, --verbose     what is opened, connections made and lost, each\n"
	"                    message's size, with timestamps, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0 done (COUNT messages, the channel ended, or --idle);\n"
	"1 failure;\n"
	"2 usage error; 3 the -t deadline ended the command first; 4 no such\n"
	"channel (without --wait); 128+N ended by signal N; 141 standard output\n"
	"was closed (e.g. `ipcx recv URI | head -1`).\n";

static int
recv_joined(const struct cli_uri *u, const struct cli_serve *o, bool wait)
{
	struct cli_deadline dl = o->dl, idle;
	struct ipcx_msg_info info;
	struct cli_buf b;
	ipcx_chan *ch = NULL;
	long got = 0;
	int rc, status;

	rc = cli_join(u, &dl, wait, &ch);
	if (rc < 0)
		return cli_open_failed("recv", u, &dl, rc);
	/* A receiver that is this process (signal:self) is reached by its
	 * pid, which a script cannot know otherwise. */
	if ((u->caps & IPCX_SCHEME_SELF) && !o->quiet)
		fprintf(stderr, "ipcx: receiving at pid %ld on %s\n", (long)getpid(), u->text);
	/* And in json, as the first record, for a script reading the output;
	 * `ipcx send --format json` reads it as no message. */
	if ((u->caps & IPCX_SCHEME_SELF) && o->fmt == CLI_FMT_JSON) {
		printf("{\"receiving\":");
		cli_json_string(stdout, u->text);
		printf(",\"pid\":%ld}\n", (long)getpid());
		fflush(stdout);
	}
	if (cli_buf_init(&b, ch) < 0) {
		ipcx_close(ch);
		cli_say("recv", u->text, "out of memory");
		return CLI_FAIL;
	}
	cli_watch(ch);
	cli_deadline_start(&idle, o->idle_ms);
	for (;;) {
		int left = cli_deadline_left(&dl), ileft = cli_deadline_left(&idle);
		ssize_t r;

		if (cli_signalled()) {
			status = cli_signal_status();
			break;
		}
		if (o->count >= 0 && got >= o->count) {
			status = CLI_OK;
			break;
		}
		/* The sooner of the deadline and the end of the quiet spell. */
		if (ileft >= 0 && (left < 0 || ileft < left))
			left = ileft;
		r = ipcx_recv_info(ch, b.data, b.cap, &info, left);
		if (r >= 0) {
			got++;
			cli_log("message %ld: %zd bytes", got, r);
			cli_deadline_start(&idle, o->idle_ms);
			rc = cli_emit(o->fmt, b.data, (size_t)r, &info);
			if (rc == -EPIPE) {
				status = CLI_STDOUT_GONE;
				break;
			}
			if (rc == -EINTR) {
				status = cli_signal_status();
				break;
			}
			if (rc < 0) {
				cli_say("recv", u->text, "writing standard output: %s", strerror(-rc));
				status = CLI_FAIL;
				break;
			}
			continue;
		}
		switch (ipcx_shared_recv_outcome(r)) {
		case IPCX_RECV_MESSAGE:
			break;
		case IPCX_RECV_END:
			cli_log("end of channel after %ld messages", got);
			status = CLI_OK;
			goto out;
		case IPCX_RECV_NOTHING:
		case IPCX_RECV_DEADLINE:
			if (cli_deadline_passed(&idle) && !cli_deadline_passed(&dl)) {
				cli_log("nothing for %ld ms after %ld messages: done", o->idle_ms, got);
				status = CLI_OK;
				goto out;
			}
			if (!dl.set)
				break; /* the quiet spell is not over: a spurious wake */
			if (o->count >= 0)
				cli_say("recv", u->text, "the -t deadline passed after %ld of %ld messages",
				        got, o->count);
			status = CLI_DEADLINE;
			goto out;
		case IPCX_RECV_STOPPED:
			continue; /* the signal is seen at the top of the loop */
		case IPCX_RECV_TOO_BIG:
			if (cli_buf_grow(&b) == 0)
				continue;
			cli_error("recv", u->text, (int)r, ch, "dropped");
			continue;
		case IPCX_RECV_FAILED:
			if (r == -EPROTO && cli_uri_named(u)) {
				/* A named channel's reader drops what it cannot frame
				 * (a FIFO flushes) and goes on: the other senders are
				 * still well-behaved. */
				cli_error("recv", u->text, (int)r, ch, "%s; unread data discarded",
				          cli_hint("recv", u, (int)r));
				continue;
			}
			cli_error("recv", u->text, (int)r, ch, "%s",
			          cli_hint("recv", u, (int)r) ? cli_hint("recv", u, (int)r) : "");
			status = cli_status((int)r);
			goto out;
		}
	}
out:
	cli_unwatch(ch);
	ipcx_close(ch);
	cli_buf_fini(&b);
	return status;
}

int
cli_recv_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'i' },
		{ "wait", no_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_serve o = { .verb = "recv", .fmt = CLI_FMT_TEXT, .count = -1, .idle_ms = -1 };
	struct cli_uri u;
	bool wait = false;
	long ms = -1;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:t:i:f:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_long(optarg, 0x7fffffffL, &o.count) < 0)
				return cli_usage("recv", "-n wants a count, not '%s'", optarg);
			break;
		case 't':
			if (cli_parse_long(optarg, 86400000L * 365, &ms) < 0)
				return cli_usage("recv", "-t wants milliseconds, not '%s'", optarg);
			break;
		case 'i':
			if (cli_parse_long(optarg, 86400000L * 365, &o.idle_ms) < 0)
				return cli_usage("recv", "--idle wants milliseconds, not '%s'", optarg);
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'w':
			wait = true;
			break;
		case 'f':
			if (cli_parse_format(optarg, &o.fmt) < 0)
				return cli_usage("recv", "--format is text, hex, json or raw, not '%s'",
				                 optarg);
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			fputs(recv_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("recv", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("recv", "missing URI");
	if (optind + 1 < argc)
		return cli_usage("recv", "unexpected argument '%s'", argv[optind + 1]);
	rc = cli_uri_parse("recv", argv[optind], &u);
	if (rc != 0)
		return rc;
	o.uri = &u;
	cli_deadline_start(&o.dl, ms);
	if (cli_uri_listens(&u))
		return cli_serve(&o);
	return recv_joined(&u, &o, wait);
}
