/* SPDX-License-Identifier: MIT */
/*
 * cmd_stat.c - `ipcx stat URI [--json]`: join the channel (for a socket:
 * connect to its server) and print what ipcx_stat() tells, as `key: value`
 * lines or one JSON object.  Keys the mechanism does not know are left out
 * (queued is "unknown" / null).  Joining a FIFO opens nothing, so stat never
 * steals a message or becomes a second receiver.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char stat_help[] =
	"Usage: ipcx stat URI [--json] [-t MS] [-v]\n"
	"\n"
	"Describe a channel: scheme, canonical URI, role, permission mode, largest\n"
	"message, queued messages or bytes, owner, and for a connected socket the\n"
	"peer's pid/uid/gid.  A socket URI is described by connecting to it.\n"
	"\n"
	"  -j, --json        one JSON object instead of `key: value` lines\n"
	"  -t, --timeout MS  bound the connect (status 3)\n"
	"  -v, --verbose     what is opened, with a timestamp, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0; 1 failure; 2 usage error; 3 the -t deadline passed;\n"
	"4 no such channel, or nobody listening.\n";

static const char *
role_name(int role)
{
	switch (role) {
	case IPCX_ROLE_CREATOR:
		return "creator";
	case IPCX_ROLE_JOINER:
		return "joiner";
	case IPCX_ROLE_ACCEPTED:
		return "accepted";
	case IPCX_ROLE_PAIR:
		return "pair";
	default:
		return "unknown";
	}
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void
json_string(FILE *f, const char *s)
{
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

static void
stat_print_text(const struct ipcx_stat *st)
{
	printf("scheme: %s\n", st->scheme);
	printf("uri: %s\n", st->uri);
	printf("role: %s\n", role_name(st->role));
	printf("mode: %04o\n", st->mode);
	printf("listening: %s\n", st->listening ? "yes" : "no");
	printf("max_msg: %zu\n", st->max_msg);
	if (st->queued >= 0)
		printf("queued: %ld %s\n", st->queued, st->queued_unit ? "bytes" : "messages");
	else
		printf("queued: unknown\n");
	if (st->has_owner)
		printf("owner_uid: %lu\n", (unsigned long)st->owner_uid);
	if (st->has_peer) {
		printf("peer_pid: %ld\n", (long)st->peer_pid);
		printf("peer_uid: %lu\n", (unsigned long)st->peer_uid);
		printf("peer_gid: %lu\n", (unsigned long)st->peer_gid);
	}
}

static void
stat_print_json(const struct ipcx_stat *st)
{
	printf("{\"scheme\":");
	json_string(stdout, st->scheme);
	printf(",\"uri\":");
	json_string(stdout, st->uri);
	printf(",\"role\":\"%s\",\"mode\":\"%04o\",\"listening\":%s,\"max_msg\":%zu",
	       role_name(st->role), st->mode, st->listening ? "true" : "false", st->max_msg);
	if (st->queued >= 0)
		printf(",\"queued\":%ld,\"queued_unit\":\"%s\"", st->queued,
		       st->queued_unit ? "bytes" : "messages");
	else
		printf(",\"queued\":null");
	if (st->has_owner)
		printf(",\"owner_uid\":%lu", (unsigned long)st->owner_uid);
	if (st->has_peer)
		printf(",\"peer_pid\":%ld,\"peer_uid\":%lu,\"peer_gid\":%lu", (long)st->peer_pid,
		       (unsigned long)st->peer_uid, (unsigned long)st->peer_gid);
	printf("}\n");
}

int
cli_stat_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_deadline dl;
	struct ipcx_stat st;
	struct cli_uri u;
	ipcx_chan *ch;
	bool json = false;
	long ms = -1;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jt:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 't':
			if (cli_parse_long(optarg, 86400000L * 365, &ms) < 0)
				return cli_usage("stat", "-t wants milliseconds, not '%s'", optarg);
			break;
		case 'h':
			fputs(stat_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("stat", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("stat", "missing URI");
	if (optind + 1 < argc)
		return cli_usage("stat", "unexpected argument '%s'", argv[optind + 1]);
	rc = cli_uri_parse("stat", argv[optind], &u);
	if (rc != 0)
		return rc;
	cli_deadline_start(&dl, ms);
	rc = cli_join(&u, &dl, false, &ch);
	if (rc < 0)
		return cli_open_failed("stat", &u, &dl, rc);
	rc = ipcx_stat(ch, &st);
	ipcx_close(ch);
	if (rc < 0) {
		cli_error("stat", u.text, rc, NULL, NULL);
		return CLI_FAIL;
	}
	if (json)
		stat_print_json(&st);
	else
		stat_print_text(&st);
	if (fflush(stdout) != 0) {
		if (errno == EPIPE)
			return CLI_STDOUT_GONE;
		cli_say("stat", u.text, "writing standard output: %s", strerror(errno));
		return CLI_FAIL;
	}
	return CLI_OK;
}
