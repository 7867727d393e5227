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
#include <stdlib.h>
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
	"Usage: ipcx rm URI... [--force] [-v]\n"
	"       ipcx rm --stale [-v]\n"
	"\n"
	"Remove named channels (fifo:, a unix: socket file, ...) and their registry\n"
	"entries.  A channel that processes still hold open is not removed: the\n"
	"command says how many hold it; --force removes it anyway (they keep what\n"
	"they have open, and no one else can find it).  A server's socket is\n"
	"removed by the server itself when it ends.  A channel with nothing to\n"
	"remove (a pipe, a tcp: port, an abstract unix: socket: they end with the\n"
	"process that holds them) is a usage error.\n"
	"\n"
	"  -s, --stale     remove every stale object in the registry - not kept,\n"
	"                  its creator gone (pid and start time), no process\n"
	"                  holding it - each while holding its entry's exclusive\n"
	"                  lock, and print each URI removed (`ipcx ls --stale`\n"
	"                  lists them); what `ipcx create` made is kept, never stale\n"
	"  -f, --force     remove a channel even while processes hold it\n"
	"  -v, --verbose   say what was removed or kept, with a timestamp, on\n"
	"                  standard error\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 removed (with --stale: whatever was stale); 1 failure (e.g.\n"
	"held by a process); 2 usage error; 4 no such channel.\n";

/*
 * Something is already at u.  Joining tells which: an ipcx channel of this
 * kind (joining a named object opens nothing of it), or something else,
 * which the library names and ipcx will not touch.
 */
static int
create_exists(const struct cli_uri *u, bool exist_ok)
{
	char word[IPCX_URI_MAX * 2 + 8];
	ipcx_chan *ch;
	int rc = ipcx_join(&ch, u->text, 0);

	if (rc == 0) {
		ipcx_close(ch);
		if (!exist_ok) {
			cli_error("create", u->text, -EEXIST, NULL,
			          "use --exist-ok to accept it, or remove it with `ipcx rm %s`",
			          cli_shell_word(u->text, word, sizeof(word)));
			return CLI_FAIL;
		}
		cli_say("create", u->text, "a %s: channel is there that this user may not adopt "
		                           "(another owner, another geometry, or a live process "
		                           "holds it)",
		        u->scheme);
		return CLI_FAIL;
	}
	if (ipcx_errmsg(NULL)[0] != '\0')
		cli_say("create", u->text, "%s; ipcx will not touch it", ipcx_errmsg(NULL));
	else
		cli_say("create", u->text, "something that is not a %s: channel is there; ipcx "
		                           "will not touch it",
		        u->scheme);
	return CLI_FAIL;
}

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
	if (rc == -EEXIST)
		return create_exists(&u, exist_ok);
	if (rc == -ENOENT) {
		/* Not "no such channel": what is missing is where it goes. */
		cli_say("create", u.text, "cannot be made there: a directory on its path does not "
		                          "exist");
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

struct rm_stale {
	char **uris;
	size_t n, cap;
	int err;
};

static int
rm_collect(const struct ipcx_object *obj, void *arg)
{
	struct rm_stale *st = arg;
	char *u;

	if (!obj->stale)
		return 0;
	if (st->n == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 16;
		char **p = realloc(st->uris, ncap * sizeof(*p));
		if (p == NULL)
			goto nomem;
		st->uris = p;
		st->cap = ncap;
	}
	u = strdup(obj->uri);
	if (u == NULL)
		goto nomem;
	st->uris[st->n++] = u;
	return 0;
nomem:
	st->err = -ENOMEM;
	return 1;
}

/* rm --stale: what was stale when listed, removed if it still is under the
 * entry's exclusive lock (the library decides, holding it). */
static int
rm_stale(void)
{
	struct rm_stale st = { 0 };
	int rc, status = CLI_OK;
	size_t i;

	rc = ipcx_objects(rm_collect, &st);
	if (rc < 0 || st.err < 0) {
		rc = rc < 0 ? rc : st.err;
		cli_say("rm", NULL, "cannot read the registry: %s%s%s%s", ipcx_strerror(rc),
		        ipcx_errmsg(NULL)[0] ? " (" : "", ipcx_errmsg(NULL),
		        ipcx_errmsg(NULL)[0] ? ")" : "");
		status = CLI_FAIL;
		goto out;
	}
	for (i = 0; i < st.n; i++) {
		rc = ipcx_unlink_stale(st.uris[i]);
		if (rc == 0) {
			printf("%s\n", st.uris[i]);
			cli_log("removed %s (stale)", st.uris[i]);
		} else if (rc == -EBUSY || rc == -ENOENT) {
			/* Taken up again, or removed, since it was listed. */
			cli_log("kept %s: %s", st.uris[i],
			        rc == -ENOENT ? "already gone" : ipcx_errmsg(NULL));
		} else {
			cli_error("rm", st.uris[i], rc, NULL, "%s", ipcx_errmsg(NULL));
			status = CLI_FAIL;
		}
	}
out:
	for (i = 0; i < st.n; i++)
		free(st.uris[i]);
	free(st.uris);
	if (fflush(stdout) != 0 && status == CLI_OK)
		status = errno == EPIPE ? CLI_STDOUT_GONE : CLI_FAIL;
	return status;
}

/* A channel that processes hold open is not removed without --force. */
static bool
rm_held(const struct cli_uri *u)
{
	struct ipcx_object obj;
	char who[128] = "";

	if (ipcx_object(u->text, &obj) < 0 || !obj.in_use)
		return false;
	if (obj.creator_alive > 0)
		snprintf(who, sizeof(who), "; its creator, pid %ld, is running",
		         (long)obj.creator_pid);
	if (obj.holders > 0)
		cli_say("rm", u->text, "in use: %d %s %s it open%s; --force removes it anyway",
		        obj.holders, obj.holders == 1 ? "process" : "processes",
		        obj.holders == 1 ? "holds" : "hold", who);
	else
		cli_say("rm", u->text, "in use: a process holds it open%s; --force removes it "
		                       "anyway",
		        who);
	return true;
}

int
cli_rm_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stale", no_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool stale = false, force = false;
	int c, i, rc, status = CLI_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":sfvh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			stale = true;
			break;
		case 'f':
			force = true;
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
		if (force)
			return cli_usage("rm", "--stale removes only what nobody holds; --force is "
			                       "for a URI");
		return rm_stale();
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
		if (!force && rm_held(&u)) {
			status = status == CLI_OK ? CLI_FAIL : status;
			continue;
		}
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
			cli_say("rm", u.text, "%s; ipcx will not remove it", ipcx_errmsg(NULL));
		else if (rc == -EPROTO && ipcx_errmsg(NULL)[0] != '\0')
			cli_say("rm", u.text, "%s", ipcx_errmsg(NULL));
		else if (rc == -ENOTSOCK)
			cli_say("rm", u.text, "what is there is not a socket; ipcx will not remove "
			                      "it");
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
