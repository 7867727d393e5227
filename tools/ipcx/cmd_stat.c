/* SPDX-License-Identifier: MIT */
/*
 * cmd_stat.c - `ipcx stat URI [--json]`: describe the channel, not stat's
 * own handle: what ipcx_stat() tells after joining (for a socket:
 * connecting to its server) and what the registry knows of the object
 * (ipcx_object, read before joining so stat does not count itself), as
 * `key: value` lines or one JSON object.  Keys the mechanism does not know
 * are left out (queued is "unknown" / null).  Joining a FIFO opens nothing,
 * so stat never steals a message or becomes a second receiver.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char stat_help[] =
	"Usage: ipcx stat URI [--json] [-t MS] [-v]\n"
	"\n"
	"Describe a channel: its scheme and canonical URI; what the mechanism\n"
	"tells (permission mode and owner of a named object, largest message,\n"
	"messages or bytes queued, and the most it holds; the last sender and\n"
	"receiver pids where the kernel keeps them; for a FIFO, whether a\n"
	"receiver holds it, and its pid); for a log (file:), the bytes queued,\n"
	"the read position, the file's size and limit, the age of the oldest\n"
	"queued message and the sync mode; for a shared-memory ring, its slots\n"
	"and participants, alive or not; for a socket, that a server listens\n"
	"there (its address and port as it resolved) and its pid/uid/gid (it is\n"
	"connected to: its server sees one client come and go); and what the\n"
	"registry knows (creator pid and start time, whether it is alive, how\n"
	"many processes hold it open, kept or not, when it was\n"
	"made).  Keys the mechanism does not know are left out.\n"
	"\n"
	"  -j, --json        one JSON object instead of `key: value` lines\n"
	"  -t, --timeout MS  bound the connect (status 3)\n"
	"  -v, --verbose     what is opened, with a timestamp, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0; 1 failure; 2 usage error; 3 the -t deadline passed;\n"
	"4 no such channel, or nobody listening.\n";

struct stat_view {
	const struct cli_uri *u;
	struct ipcx_stat st;
	bool have_obj;
	struct ipcx_object obj;
	bool have_ring;          /* a shared-memory ring: its header, read-only */
	struct ipcx_ring_view *ring;
};

/* A ring's geometry and participants, from a read-only look at it (the
 * handle stat joined takes no place in it). */
static void
stat_ring(struct stat_view *v)
{
	struct ipcx_scheme_info info;
	ipcx_segment *seg;

	if (ipcx_scheme_info(v->st.scheme, &info) < 0 || !(info.caps & IPCX_SCHEME_SEGMENT) ||
	    ipcx_segment_open(&seg, v->st.uri) < 0)
		return;
	v->ring = malloc(sizeof(*v->ring));
	v->have_ring = v->ring != NULL && ipcx_segment_ring(seg, v->ring) == 0;
	ipcx_segment_close(seg);
}

static const char *
stat_alive(int a)
{
	return a > 0 ? "alive" : a == 0 ? "dead" : "unknown";
}

static void
stat_time(int64_t secs, char *buf, size_t len)
{
	time_t t = (time_t)secs;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* Milliseconds since a CLOCK_REALTIME time in ns (0 if it is ahead). */
static int64_t
stat_age_ms(int64_t then_ns)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	return now > then_ns ? (now - then_ns) / 1000000 : 0;
}

/* A socket's peer, seen from stat's connection, is its server. */
static const char *
stat_peer_word(const struct stat_view *v)
{
	return cli_uri_listens(v->u) ? "server" : "peer";
}

static void
stat_print_text(const struct stat_view *v)
{
	const struct ipcx_stat *st = &v->st;
	const struct ipcx_object *o = &v->obj;
	bool served = cli_uri_listens(v->u);
	const char *pw = stat_peer_word(v);
	char when[64];

	printf("scheme: %s\n", st->scheme);
	printf("uri: %s\n", st->uri);
	if (v->u->summary != NULL)
		printf("mechanism: %s\n", v->u->summary);
	/* stat connected to a server: what is true of the channel is that one
	 * listens there; the connection itself is stat's own. */
	if (served)
		printf("listening: yes\n");
	if (st->has_owner) {
		printf("mode: %04o\n", st->mode);
		printf("owner_uid: %lu\n", (unsigned long)st->owner_uid);
	}
	printf("max_msg: %zu\n", st->max_msg);
	if (!served) {
		if (st->queued >= 0)
			printf("queued: %ld %s\n", st->queued, st->queued_unit ? "bytes" : "messages");
		else
			printf("queued: unknown\n");
	}
	if (st->capacity >= 0)
		printf("capacity: %ld %s\n", st->capacity, st->capacity_unit ? "bytes" : "messages");
	if (st->last_sender_pid > 0)
		printf("last_sender_pid: %ld\n", (long)st->last_sender_pid);
	if (st->last_receiver_pid > 0)
		printf("last_receiver_pid: %ld\n", (long)st->last_receiver_pid);
	if (st->has_log) {
		printf("queued_bytes: %llu\n", (unsigned long long)st->queued_bytes);
		printf("read_pos: %llu\n", (unsigned long long)st->read_pos);
		printf("log_bytes: %llu\n", (unsigned long long)st->log_bytes);
		if (st->oldest_ns > 0)
			printf("oldest_age: %.3f s\n", (double)stat_age_ms(st->oldest_ns) / 1000);
		else
			printf("oldest_age: none\n");
	}
	if (st->log_limit > 0)
		printf("log_limit: %llu\n", (unsigned long long)st->log_limit);
	if (st->sync[0] != '\0')
		printf("sync: %s\n", st->sync);
	if (st->receiver >= 0)
		printf("receiver: %s\n", st->receiver ? "yes" : "no");
	if (st->receiver > 0 && st->receiver_pid > 0)
		printf("receiver_pid: %ld\n", (long)st->receiver_pid);
	if (st->has_peer) {
		printf("%s_pid: %ld\n", pw, (long)st->peer_pid);
		printf("%s_uid: %lu\n", pw, (unsigned long)st->peer_uid);
		printf("%s_gid: %lu\n", pw, (unsigned long)st->peer_gid);
	}
	if (v->have_ring) {
		unsigned i;
		printf("slots: %u\nslot_size: %llu\nparticipants: %u\n", v->ring->slots,
		       (unsigned long long)v->ring->slot_size, v->ring->nparts);
		for (i = 0; i < v->ring->nparts; i++)
			printf("participant: pid %ld %s\n", (long)v->ring->parts[i].pid,
			       stat_alive(v->ring->parts[i].alive));
	}
	if (!v->have_obj) {
		printf("registered: no\n");
		return;
	}
	printf("creator_pid: %ld\n", (long)o->creator_pid);
	printf("creator_start: %llu\n", (unsigned long long)o->creator_start);
	printf("creator_alive: %s\n",
	       o->creator_alive > 0 ? "yes" : o->creator_alive == 0 ? "no" : "unknown");
	if (o->holders >= 0)
		printf("holders: %d\n", o->holders);
	else
		printf("holders: %s\n", o->in_use ? "1 or more" : "unknown");
	printf("kept: %s\n", o->kept ? "yes" : "no");
	stat_time(o->created, when, sizeof(when));
	printf("created: %s\n", when);
}

static void
stat_print_json(const struct stat_view *v)
{
	const struct ipcx_stat *st = &v->st;
	const struct ipcx_object *o = &v->obj;
	bool served = cli_uri_listens(v->u);
	const char *pw = stat_peer_word(v);

	printf("{\"scheme\":");
	cli_json_string(stdout, st->scheme);
	printf(",\"uri\":");
	cli_json_string(stdout, st->uri);
	if (served)
		printf(",\"listening\":true");
	if (st->has_owner)
		printf(",\"mode\":\"%04o\",\"owner_uid\":%lu", st->mode,
		       (unsigned long)st->owner_uid);
	printf(",\"max_msg\":%zu", st->max_msg);
	if (!served) {
		if (st->queued >= 0)
			printf(",\"queued\":%ld,\"queued_unit\":\"%s\"", st->queued,
			       st->queued_unit ? "bytes" : "messages");
		else
			printf(",\"queued\":null");
	}
	if (st->capacity >= 0)
		printf(",\"capacity\":%ld,\"capacity_unit\":\"%s\"", st->capacity,
		       st->capacity_unit ? "bytes" : "messages");
	if (st->last_sender_pid > 0)
		printf(",\"last_sender_pid\":%ld", (long)st->last_sender_pid);
	if (st->last_receiver_pid > 0)
		printf(",\"last_receiver_pid\":%ld", (long)st->last_receiver_pid);
	if (st->has_log) {
		printf(",\"queued_bytes\":%llu,\"read_pos\":%llu,\"log_bytes\":%llu",
		       (unsigned long long)st->queued_bytes, (unsigned long long)st->read_pos,
		       (unsigned long long)st->log_bytes);
		if (st->oldest_ns > 0)
			printf(",\"oldest_sent_ns\":%lld,\"oldest_age_ms\":%lld",
			       (long long)st->oldest_ns, (long long)stat_age_ms(st->oldest_ns));
		else
			printf(",\"oldest_sent_ns\":null,\"oldest_age_ms\":null");
	}
	if (st->log_limit > 0)
		printf(",\"log_limit\":%llu", (unsigned long long)st->log_limit);
	if (st->sync[0] != '\0') {
		printf(",\"sync\":");
		cli_json_string(stdout, st->sync);
	}
	if (st->receiver >= 0)
		printf(",\"receiver\":%s", st->receiver ? "true" : "false");
	if (st->receiver > 0 && st->receiver_pid > 0)
		printf(",\"receiver_pid\":%ld", (long)st->receiver_pid);
	if (st->has_peer)
		printf(",\"%s_pid\":%ld,\"%s_uid\":%lu,\"%s_gid\":%lu", pw, (long)st->peer_pid, pw,
		       (unsigned long)st->peer_uid, pw, (unsigned long)st->peer_gid);
	if (v->have_ring) {
		unsigned i;
		printf(",\"slots\":%u,\"slot_size\":%llu,\"participants\":[", v->ring->slots,
		       (unsigned long long)v->ring->slot_size);
		for (i = 0; i < v->ring->nparts; i++)
			printf("%s{\"pid\":%ld,\"alive\":%s}", i ? "," : "",
			       (long)v->ring->parts[i].pid,
			       v->ring->parts[i].alive > 0    ? "true"
			       : v->ring->parts[i].alive == 0 ? "false"
			                                      : "null");
		printf("]");
	}
	if (v->have_obj) {
		printf(",\"creator_pid\":%ld,\"creator_start\":%llu,\"creator_alive\":%s",
		       (long)o->creator_pid, (unsigned long long)o->creator_start,
		       o->creator_alive > 0 ? "true" : o->creator_alive == 0 ? "false" : "null");
		if (o->holders >= 0)
			printf(",\"holders\":%d", o->holders);
		else
			printf(",\"holders\":null");
		printf(",\"kept\":%s,\"created\":%lld", o->kept ? "true" : "false",
		       (long long)o->created);
	}
	printf(",\"registered\":%s}\n", v->have_obj ? "true" : "false");
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
	struct stat_view v = { 0 };
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
	/* The registry first: stat's own handle is not one of the holders. */
	v.u = &u;
	v.have_obj = ipcx_object(u.text, &v.obj) == 0;
	rc = cli_join(&u, &dl, false, &ch);
	if (rc < 0)
		return cli_open_failed("stat", &u, &dl, rc);
	rc = ipcx_stat(ch, &v.st);
	ipcx_close(ch);
	/* A name that resolves (tcp:localhost) is registered as it resolved. */
	if (rc == 0 && !v.have_obj && strcmp(v.st.uri, u.text) != 0)
		v.have_obj = ipcx_object(v.st.uri, &v.obj) == 0;
	if (rc < 0) {
		cli_error("stat", u.text, rc, NULL, NULL);
		return CLI_FAIL;
	}
	stat_ring(&v);
	if (json)
		stat_print_json(&v);
	else
		stat_print_text(&v);
	free(v.ring);
	if (fflush(stdout) != 0) {
		if (errno == EPIPE)
			return CLI_STDOUT_GONE;
		cli_say("stat", u.text, "writing standard output: %s", strerror(errno));
		return CLI_FAIL;
	}
	return CLI_OK;
}
