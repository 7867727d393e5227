/* SPDX-License-Identifier: MIT */
/*
 * cmd_ls.c - `ipcx ls [--stale] [--json] [-o COLUMNS]`: every object in this
 * user's registry (ipcx_objects), with its creator and whether it is alive
 * (pid and start time: a reused pid is not the creator), how many handles
 * hold it open, whether it is kept, its age; and, for a named object, what
 * joining it tells (mode, largest message, queued).  A socket is not
 * connected to: that would be a client its server sees.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

static const char ls_help[] =
	"Usage: ipcx ls [--stale] [--json] [-o COLUMNS] [--noheadings] [-v]\n"
	"\n"
	"List the channels ipcx created for this user (its registry), one a line.\n"
	"A named channel is joined to show its mode, largest message and queue;\n"
	"a socket is not connected to.  STALE objects - not kept, their creator\n"
	"gone, nobody holding them - are what `ipcx rm --stale` removes.\n"
	"\n"
	"  -s, --stale         only the stale objects\n"
	"  -j, --json          one JSON document: {\"objects\": [{...}, ...]}, with the\n"
	"                      fields uri, scheme, owner, owner_uid, mode, max_msg,\n"
	"                      queued, queued_unit, creator_pid, creator_start,\n"
	"                      creator_alive, holders, kept, created, age_s, stale\n"
	"                      (null where unknown)\n"
	"  -o, --output LIST   the columns, comma-separated, of: uri, scheme, owner,\n"
	"                      uid, mode, max, queued, pid, start, alive, holders,\n"
	"                      kept, created, age, stale (default: pid,alive,holders,\n"
	"                      kept,mode,owner,max,queued,age,uri)\n"
	"  -n, --noheadings    no header line\n"
	"  -v, --verbose       what is read, with timestamps, on standard error\n"
	"  -h, --help          this help\n"
	"\n"
	"--all (System V and POSIX objects ipcx did not make) is not built yet.\n"
	"\n"
	"Exit status: 0; 1 the registry cannot be read; 2 usage error.\n";

enum ls_col {
	COL_URI, COL_SCHEME, COL_OWNER, COL_UID, COL_MODE, COL_MAX, COL_QUEUED, COL_PID,
	COL_START, COL_ALIVE, COL_HOLDERS, COL_KEPT, COL_CREATED, COL_AGE, COL_STALE,
	COL_COUNT
};

static const struct {
	const char *name, *head;
	bool right; /* numbers align right */
} ls_cols[COL_COUNT] = {
	[COL_URI] = { "uri", "URI", false },
	[COL_SCHEME] = { "scheme", "SCHEME", false },
	[COL_OWNER] = { "owner", "OWNER", false },
	[COL_UID] = { "uid", "UID", true },
	[COL_MODE] = { "mode", "MODE", false },
	[COL_MAX] = { "max", "MAX", true },
	[COL_QUEUED] = { "queued", "QUEUED", true },
	[COL_PID] = { "pid", "PID", true },
	[COL_START] = { "start", "START", true },
	[COL_ALIVE] = { "alive", "ALIVE", false },
	[COL_HOLDERS] = { "holders", "HOLDERS", true },
	[COL_KEPT] = { "kept", "KEPT", false },
	[COL_CREATED] = { "created", "CREATED", false },
	[COL_AGE] = { "age", "AGE", true },
	[COL_STALE] = { "stale", "STALE", false },
};

static const enum ls_col ls_default[] = { COL_PID, COL_ALIVE, COL_HOLDERS, COL_KEPT, COL_MODE,
	                                  COL_OWNER, COL_MAX, COL_QUEUED, COL_AGE, COL_URI };

struct ls_row {
	struct ipcx_object obj;
	bool have_stat;     /* joined: the fields below are known */
	bool has_owner;
	uid_t owner_uid;    /* the object's owner, when has_owner */
	unsigned mode;
	size_t max_msg;
	long queued;
	int queued_unit;
};

struct ls_list {
	struct ls_row *rows;
	size_t n, cap;
	bool stale_only;
	int err;
};

static int
ls_collect(const struct ipcx_object *obj, void *arg)
{
	struct ls_list *l = arg;

	if (l->stale_only && !obj->stale)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		struct ls_row *p = realloc(l->rows, ncap * sizeof(*p));
		if (p == NULL) {
			l->err = -ENOMEM;
			return 1;
		}
		l->rows = p;
		l->cap = ncap;
	}
	memset(&l->rows[l->n], 0, sizeof(l->rows[l->n]));
	l->rows[l->n].obj = *obj;
	l->n++;
	return 0;
}

static int
ls_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ls_row *)a)->obj.uri, ((const struct ls_row *)b)->obj.uri);
}

/* What joining a named object tells.  Sockets are left alone. */
static void
ls_stat(struct ls_row *r)
{
	struct ipcx_scheme_info info;
	struct ipcx_stat st;
	ipcx_chan *ch;

	if (ipcx_scheme_info(r->obj.scheme, &info) < 0 || !(info.caps & IPCX_SCHEME_NAMED))
		return;
	if (ipcx_join(&ch, r->obj.uri, 0) < 0) {
		cli_log("%s: not joined: %s", r->obj.uri, ipcx_errmsg(NULL));
		return;
	}
	if (ipcx_stat(ch, &st) == 0) {
		r->have_stat = true;
		r->has_owner = st.has_owner;
		r->owner_uid = st.owner_uid;
		r->mode = st.mode;
		r->max_msg = st.max_msg;
		r->queued = st.queued;
		r->queued_unit = st.queued_unit;
	}
	ipcx_close(ch);
}

static const char *
ls_user(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

static void
ls_age(int64_t secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(buf, len, "%llds", (long long)secs);
	else if (secs < 7200)
		snprintf(buf, len, "%lldm", (long long)(secs / 60));
	else if (secs < 172800)
		snprintf(buf, len, "%lldh", (long long)(secs / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(secs / 86400));
}

static const char *
ls_alive(int alive)
{
	return alive > 0 ? "yes" : alive == 0 ? "no" : "?";
}

static void
ls_cell(const struct ls_row *r, enum ls_col c, int64_t now, char *buf, size_t len)
{
	const struct ipcx_object *o = &r->obj;
	struct tm tm;
	time_t t;

	switch (c) {
	case COL_URI:
		snprintf(buf, len, "%s", o->uri);
		break;
	case COL_SCHEME:
		snprintf(buf, len, "%s", o->scheme);
		break;
	case COL_OWNER:
		ls_user(r->has_owner ? r->owner_uid : o->uid, buf, len);
		break;
	case COL_UID:
		snprintf(buf, len, "%lu", (unsigned long)o->uid);
		break;
	case COL_MODE:
		if (r->have_stat && r->has_owner)
			snprintf(buf, len, "%04o", r->mode);
		else
			snprintf(buf, len, "-");
		break;
	case COL_MAX:
		if (r->have_stat)
			snprintf(buf, len, "%zu", r->max_msg);
		else
			snprintf(buf, len, "-");
		break;
	case COL_QUEUED:
		if (r->have_stat && r->queued >= 0)
			snprintf(buf, len, "%ld%s", r->queued, r->queued_unit ? "B" : "");
		else
			snprintf(buf, len, "-");
		break;
	case COL_PID:
		snprintf(buf, len, "%ld", (long)o->creator_pid);
		break;
	case COL_START:
		snprintf(buf, len, "%llu", (unsigned long long)o->creator_start);
		break;
	case COL_ALIVE:
		snprintf(buf, len, "%s", ls_alive(o->creator_alive));
		break;
	case COL_HOLDERS:
		if (o->holders >= 0)
			snprintf(buf, len, "%d", o->holders);
		else
			snprintf(buf, len, "%s", o->in_use ? "1+" : "?");
		break;
	case COL_KEPT:
		snprintf(buf, len, "%s", o->kept ? "yes" : "no");
		break;
	case COL_CREATED:
		t = (time_t)o->created;
		localtime_r(&t, &tm);
		strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
		break;
	case COL_AGE:
		ls_age(now - o->created, buf, len);
		break;
	case COL_STALE:
		snprintf(buf, len, "%s", o->stale ? "yes" : "no");
		break;
	case COL_COUNT:
		buf[0] = '\0';
		break;
	}
}

static void
ls_print_table(const struct ls_list *l, const enum ls_col *cols, size_t ncols, bool headings)
{
	int64_t now = (int64_t)time(NULL);
	size_t width[COL_COUNT] = { 0 }, i, k;
	char cell[IPCX_URI_MAX + 32];

	for (k = 0; k < ncols; k++)
		width[k] = headings ? strlen(ls_cols[cols[k]].head) : 0;
	for (i = 0; i < l->n; i++) {
		for (k = 0; k < ncols; k++) {
			ls_cell(&l->rows[i], cols[k], now, cell, sizeof(cell));
			if (strlen(cell) > width[k])
				width[k] = strlen(cell);
		}
	}
	/* The last column is not padded: a long URI does not widen the rest. */
	if (headings) {
		for (k = 0; k < ncols; k++)
			printf("%s%*s", k ? " " : "",
			       k + 1 < ncols || ls_cols[cols[k]].right
			               ? (ls_cols[cols[k]].right ? 1 : -1) * (int)width[k]
			               : 0,
			       ls_cols[cols[k]].head);
		printf("\n");
	}
	for (i = 0; i < l->n; i++) {
		for (k = 0; k < ncols; k++) {
			ls_cell(&l->rows[i], cols[k], now, cell, sizeof(cell));
			printf("%s%*s", k ? " " : "",
			       k + 1 < ncols || ls_cols[cols[k]].right
			               ? (ls_cols[cols[k]].right ? 1 : -1) * (int)width[k]
			               : 0,
			       cell);
		}
		printf("\n");
	}
}

static void
ls_print_json(const struct ls_list *l)
{
	int64_t now = (int64_t)time(NULL);
	char user[64];
	size_t i;

	printf("{\"objects\":[");
	for (i = 0; i < l->n; i++) {
		const struct ls_row *r = &l->rows[i];
		const struct ipcx_object *o = &r->obj;

		printf("%s\n{\"uri\":", i ? "," : "");
		cli_json_string(stdout, o->uri);
		printf(",\"scheme\":");
		cli_json_string(stdout, o->scheme);
		printf(",\"owner\":");
		cli_json_string(stdout, ls_user(r->has_owner ? r->owner_uid : o->uid, user,
		                                sizeof(user)));
		printf(",\"owner_uid\":%lu", (unsigned long)(r->has_owner ? r->owner_uid : o->uid));
		if (r->have_stat && r->has_owner)
			printf(",\"mode\":\"%04o\"", r->mode);
		else
			printf(",\"mode\":null");
		if (r->have_stat)
			printf(",\"max_msg\":%zu", r->max_msg);
		else
			printf(",\"max_msg\":null");
		if (r->have_stat && r->queued >= 0)
			printf(",\"queued\":%ld,\"queued_unit\":\"%s\"", r->queued,
			       r->queued_unit ? "bytes" : "messages");
		else
			printf(",\"queued\":null,\"queued_unit\":null");
		printf(",\"creator_pid\":%ld,\"creator_start\":%llu,\"creator_alive\":%s",
		       (long)o->creator_pid, (unsigned long long)o->creator_start,
		       o->creator_alive > 0 ? "true" : o->creator_alive == 0 ? "false" : "null");
		if (o->holders >= 0)
			printf(",\"holders\":%d", o->holders);
		else
			printf(",\"holders\":null");
		printf(",\"kept\":%s,\"created\":%lld,\"age_s\":%lld,\"stale\":%s}",
		       o->kept ? "true" : "false", (long long)o->created,
		       (long long)(now - o->created < 0 ? 0 : now - o->created),
		       o->stale ? "true" : "false");
	}
	printf("%s]}\n", l->n ? "\n" : "");
}

/* "-o pid,uri": the columns, or a usage error. */
static int
ls_parse_cols(const char *spec, enum ls_col *cols, size_t *ncols)
{
	const char *p = spec;

	*ncols = 0;
	while (*p) {
		size_t len = strcspn(p, ","), k;
		bool found = false;

		for (k = 0; k < COL_COUNT; k++) {
			if (strlen(ls_cols[k].name) == len && strncasecmp(p, ls_cols[k].name, len) == 0) {
				found = true;
				break;
			}
		}
		if (!found || *ncols >= COL_COUNT)
			return cli_usage("ls", "-o: unknown column '%.*s' (columns: uri, scheme, owner, "
			                       "uid, mode, max, queued, pid, start, alive, holders, kept, "
			                       "created, age, stale)",
			                 (int)len, p);
		cols[(*ncols)++] = (enum ls_col)k;
		p += len;
		if (*p == ',')
			p++;
	}
	if (*ncols == 0)
		return cli_usage("ls", "-o wants at least one column");
	return 0;
}

int
cli_ls_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stale", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ls_col cols[COL_COUNT];
	struct ls_list l = { 0 };
	size_t ncols = sizeof(ls_default) / sizeof(ls_default[0]), i;
	bool json = false, headings = true;
	int c, rc;

	memcpy(cols, ls_default, sizeof(ls_default));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":sjo:navh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			l.stale_only = true;
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			rc = ls_parse_cols(optarg, cols, &ncols);
			if (rc != 0)
				return rc;
			break;
		case 'n':
			headings = false;
			break;
		case 'a':
			fprintf(stderr, "ipcx: ls: --all is not built yet in ipcx %s (it needs the "
			                "shared-memory and message-queue transports)\n",
			        ipcx_version());
			return CLI_FAIL;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(ls_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("ls", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("ls", "unexpected argument '%s'", argv[optind]);
	rc = ipcx_objects(ls_collect, &l);
	if (rc < 0 || l.err < 0) {
		rc = rc < 0 ? rc : l.err;
		cli_say("ls", NULL, "cannot read the registry: %s%s%s%s", ipcx_strerror(rc),
		        ipcx_errmsg(NULL)[0] ? " (" : "", ipcx_errmsg(NULL),
		        ipcx_errmsg(NULL)[0] ? ")" : "");
		free(l.rows);
		return CLI_FAIL;
	}
	cli_log("%zu objects in the registry%s", l.n, l.stale_only ? " are stale" : "");
	qsort(l.rows, l.n, sizeof(*l.rows), ls_cmp);
	for (i = 0; i < l.n; i++)
		ls_stat(&l.rows[i]);
	if (json)
		ls_print_json(&l);
	else if (l.n > 0)
		ls_print_table(&l, cols, ncols, headings);
	free(l.rows);
	if (fflush(stdout) != 0)
		return errno == EPIPE ? CLI_STDOUT_GONE : CLI_FAIL;
	return CLI_OK;
}
