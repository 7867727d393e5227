/* SPDX-License-Identifier: MIT */
/*
 * cmd_create.c - `ipcx create URI [--exist-ok]` and `ipcx rm URI...`.
 *
 * create makes a named channel that outlives the command - a scheme whose
 * descriptor says IPCX_SCHEME_NAMED (fifo:, and file:, shm:, mq: and the
 * System V ones as their transports arrive): it is made with IPCX_KEEP, so
 * closing the command's handle leaves it - and its registry entry, marked
 * kept - in place until `ipcx rm`.  What is not named (a socket, a pipe, a
 * signal) lives only while a process holds it, so creating one from the
 * command line is a usage error, as DESIGN.md says.  rm asks the library
 * (ipcx_unlink) what there is to remove; a scheme with nothing to remove
 * is a usage error too.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char create_help[] =
	"Usage: ipcx create URI [--exist-ok]\n"
	"\n"
	"Make a named channel that stays until `ipcx rm URI` (fifo:PATH, and the\n"
	"other named schemes this build has: see `ipcx --help`).  It is mode 0600\n"
	"unless the URI says ?mode=, created exclusively (never through a symbolic\n"
	"link).  Sockets, pipes and signals exist only while a process holds them:\n"
	"creating one is a usage error; serve a socket with `ipcx listen`.\n"
	"\n"
	"  -p, --exist-ok  an existing channel of the same kind is fine\n"
	"  -v, --verbose   say what was created, with a timestamp, on standard error\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 created (or existing, with --exist-ok); 1 failure (e.g. it\n"
	"exists, or is something else); 2 usage error, or a URI that cannot be\n"
	"created this way.\n";

static const char rm_help[] =
	"Usage: ipcx rm URI...\n"
	"       ipcx rm --stale\n"
	"\n"
	"Remove named channels (fifo:, a unix: socket file, ...) and their registry\n"
	"entries.  A server's socket is removed by the server itself when it ends.\n"
	"A channel with nothing to remove (a pipe, a tcp: port, an abstract unix:\n"
	"socket: they end with the process that holds them) is a usage error.\n"
	"--stale (remove what no live process uses) is not built yet.\n"
	"\n"
	"  -v, --verbose   say what was removed, with a timestamp, on standard error\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 removed; 1 failure; 2 usage error; 4 no such channel.\n";

int
cli_create_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exist-ok", no_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_uri u;
	ipcx_chan *ch;
	bool exist_ok = false;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":pvh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			exist_ok = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(create_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("create", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("create", "missing URI");
	if (optind + 1 < argc)
		return cli_usage("create", "unexpected argument '%s'", argv[optind + 1]);
	rc = cli_uri_parse("create", argv[optind], &u);
	if (rc != 0)
		return rc;
	/* A scheme not built yet is left to ipcx_create, which says so. */
	if (u.built && !cli_uri_named(&u)) {
		if (cli_uri_listens(&u))
			return cli_usage("create", "%s: a %s: channel exists only while a process "
			                           "holds it; there is nothing to create: serve it "
			                           "with `ipcx listen`",
			                 u.text, u.scheme);
		return cli_usage("create", "%s: a %s: channel exists only while a process holds "
		                           "it; there is nothing to create",
		                 u.text, u.scheme);
	}
	rc = ipcx_create(&ch, u.text, IPCX_KEEP | (exist_ok ? 0u : IPCX_EXCL));
	if (rc == -EEXIST && !exist_ok) {
		char word[IPCX_URI_MAX * 2 + 8];
		cli_error("create", u.text, rc, NULL, "use --exist-ok to accept it, or remove "
		                                      "it with `ipcx rm %s`",
		          cli_shell_word(u.text, word, sizeof(word)));
		return CLI_FAIL;
	}
	if (rc == -EEXIST) {
		/* Without IPCX_EXCL the library adopts a leftover of the same
		 * kind; -EEXIST then means something else is in the way. */
		cli_error("create", u.text, rc, NULL,
		          "it is not a %s: channel this user can adopt", u.scheme);
		return CLI_FAIL;
	}
	if (rc < 0)
		return cli_open_failed("create", &u, NULL, rc);
	if (cli_verbose) {
		struct ipcx_stat st;
		if (ipcx_stat(ch, &st) == 0)
			cli_log("created %s (%s, mode %04o, max=%zu), kept until `ipcx rm`", st.uri,
			        u.summary, st.mode, st.max_msg);
	}
	/* IPCX_KEEP: closing our handle leaves the channel in place. */
	ipcx_close(ch);
	return CLI_OK;
}

/* The library says there is nothing to remove at u: a usage error. */
static int
rm_nothing(const struct cli_uri *u)
{
	const char *detail = ipcx_errmsg(NULL);

	if (detail[0] != '\0')
		return cli_usage("rm", "%s: %s", u->text, detail);
	return cli_usage("rm", "%s: a %s: channel here has nothing to remove; it ends with the "
	                       "process that holds it",
	                 u->text, u->scheme);
}

int
cli_rm_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stale", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool stale = false;
	int c, i, rc, status = CLI_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			stale = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(rm_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("rm", c, argv);
		}
	}
	if (stale) {
		if (optind < argc)
			return cli_usage("rm", "--stale takes no URI");
		fprintf(stderr, "ipcx: rm: --stale is not built yet in ipcx %s\n", ipcx_version());
		return CLI_FAIL;
	}
	if (optind >= argc)
		return cli_usage("rm", "missing URI");
	/* Check every URI first: a typo in the third must not leave the first
	 * two removed and the command failed.  What only the library knows
	 * (a socket address with no file) is answered when it is reached. */
	for (i = optind; i < argc; i++) {
		struct cli_uri u;
		rc = cli_uri_parse("rm", argv[i], &u);
		if (rc != 0)
			return rc;
		if (u.built && !cli_uri_named(&u) && !cli_uri_listens(&u))
			return cli_usage("rm", "%s: a %s: channel has nothing to remove; it exists "
			                       "only while a process holds it",
			                 u.text, u.scheme);
	}
	for (i = optind; i < argc; i++) {
		struct cli_uri u;
		(void)cli_uri_parse("rm", argv[i], &u);
		rc = ipcx_unlink(u.text);
		if (rc == 0) {
			cli_log("removed %s", u.text);
			continue;
		}
		if (rc == -ENOTSUP && u.built) {
			status = rm_nothing(&u);
			continue;
		}
		/* The URI passed the check: -EINVAL is what is at the path (not
		 * a FIFO), which the library names. */
		if (rc == -EINVAL && ipcx_errmsg(NULL)[0] != '\0')
			cli_say("rm", u.text, "%s", ipcx_errmsg(NULL));
		else if (rc == -ENOENT)
			cli_error("rm", u.text, rc, NULL, NULL);
		else
			cli_error("rm", u.text, rc, NULL, "%s",
			          cli_hint("rm", &u, rc) ? cli_hint("rm", &u, rc) : "");
		if (status != CLI_USAGE)
			status = cli_status(rc);
	}
	return status;
}
