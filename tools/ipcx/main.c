/* SPDX-License-Identifier: MIT */
/*
 * main.c - the ipcx command: `ipcx VERB ...` dispatch, `ipcx --help` and
 * `ipcx --version`.  Each verb lives in its own cmd_<verb>.c; verbs that
 * DESIGN.md names but this build does not have yet are listed in the help
 * and answer "not built yet" with status 1, so scripts can tell them from a
 * typing mistake (an unknown verb is a usage error, status 2).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const struct cli_verb verbs[] = {
	{ "send", cli_send_main, "URI [MESSAGE...] [--whole] [--format text|hex|json]",
	  "send each argument as a message; with none, standard input one per line" },
	{ "recv", cli_recv_main,
	  "URI [-n COUNT] [-t MS] [--idle MS] [--wait] [--format text|hex|json|raw]",
	  "receive and print messages" },
	{ "listen", cli_listen_main, "URI [--echo | --exec CMD]",
	  "serve a socket: accept any number of clients, print, echo, or run CMD per "
	  "connection" },
	{ "request", cli_request_main, "URI MESSAGE", "send one message and print the one reply" },
	{ "relay", cli_relay_main, "URI_A URI_B [--reconnect]",
	  "pump messages from A to B (and back, for two-way transports)" },
	{ "create", cli_create_main, "URI [--exist-ok]",
	  "make a named channel that outlives the command" },
	{ "rm", cli_rm_main, "URI... [--force] | ipcx rm --stale",
	  "remove named channels, or every stale one" },
	{ "stat", cli_stat_main, "URI [--json]", "capacity, queued messages, owner, peers" },
	{ "ls", cli_ls_main, "[--stale] [--json] [-o COLUMNS]", "list the channels ipcx created" },
	{ "dump", cli_dump_main, "URI [--bytes] [--format F]",
	  "show a shared-memory segment, ipcx's ring decoded or anyone's bytes" },
	{ "bench", cli_bench_main, "[...]", "latency and throughput of every transport" },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static bool
verb_built(const struct cli_verb *v)
{
	if (v->run == cli_bench_main)
		return cli_bench_built;
	return v->run != NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: ipcx VERB [ARGS...] [-v]\n"
	           "       ipcx --help | ipcx VERB --help | ipcx --version\n"
	           "\n"
	           "Every Linux IPC mechanism behind one command.  A channel is a URI,\n"
	           "SCHEME:ADDRESS[?KEY=VALUE[&KEY=VALUE]...]; the schemes built in:\n");
	cli_print_schemes(f);
	fprintf(f, "Each is described in ipcx-SCHEME(7).\n"
	           "\n"
	           "Verbs (each takes -v, --verbose: what it opens, connections, message\n"
	           "sizes, with timestamps, on standard error):\n");
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  ipcx %s %s\n      %s%s\n", verbs[i].name, verbs[i].synopsis,
		        verbs[i].summary, verb_built(&verbs[i]) ? "" : " (not built yet)");
	fprintf(f, "\n"
	           "Exit status: 0 success; 1 failure; 2 usage error (a malformed URI\n"
	           "included); 3 the -t deadline ended the command before it was done;\n"
	           "4 no such channel (or a socket nobody listens on); 128+N ended by\n"
	           "signal N (SIGINT 130, SIGTERM 143); 141 standard output was closed.\n"
	           "Errors are written as `ipcx: VERB: URI: reason`.\n");
}

static int
not_built(const struct cli_verb *v, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("Usage: ipcx %s %s\n\n%s.\n\nThis verb is not built yet in "
			       "ipcx %s.\n",
			       v->name, v->synopsis, v->summary, ipcx_version());
			return CLI_OK;
		}
	}
	fprintf(stderr, "ipcx: %s: not built yet in ipcx %s\n", v->name, ipcx_version());
	return CLI_FAIL;
}

/* Descriptors 0-2 must be open before anything else is: a channel or the
 * signal pipe opened into one of them would receive stray output. */
static void
std_fds_open(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd)
				close(n);
		}
	}
}

int
main(int argc, char **argv)
{
	size_t i;

	std_fds_open();
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (strcmp(argv[1], "help") == 0 && argc > 2) {
			/* `ipcx help VERB` is `ipcx VERB --help`. */
			char *args[] = { argv[2], (char *)"--help", NULL };
			for (i = 0; i < NVERBS; i++) {
				if (strcmp(verbs[i].name, argv[2]) == 0) {
					cli_verb = verbs[i].name;
					if (verb_built(&verbs[i]) && verbs[i].run != NULL)
						return verbs[i].run(2, args);
					return not_built(&verbs[i], 2, args);
				}
			}
			return cli_usage(NULL, "unknown verb '%s'", argv[2]);
		}
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ipcx %s\n", ipcx_version());
		return CLI_OK;
	}
	if (argv[1][0] == '-')
		return cli_usage(NULL, "unknown option '%s'", argv[1]);
	for (i = 0; i < NVERBS; i++) {
		if (strcmp(verbs[i].name, argv[1]) != 0)
			continue;
		if (!verb_built(&verbs[i]))
			return not_built(&verbs[i], argc - 1, argv + 1);
		cli_verb = verbs[i].name;
		/* The benchmark engine installs and restores its own handlers. */
		if (verbs[i].run != cli_bench_main && cli_signals_init() < 0) {
			perror("ipcx: signals");
			return CLI_FAIL;
		}
		return verbs[i].run(argc - 1, argv + 1);
	}
	return cli_usage(NULL, "unknown verb '%s'", argv[1]);
}
