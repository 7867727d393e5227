/* SPDX-License-Identifier: MIT */
/*
 * cmd_dump.c - `ipcx dump URI`: show a shared-memory object (shm:,
 * sysvshm:), ipcx's or any program's, read-only (ipcx_segment_*): an ipcx
 * ring decoded - geometry, head and tail, slots by state, participants
 * with their liveness, every slot in use with its holder and the start of
 * its message - or anyone else's segment as bytes (offset, hex and the
 * printable characters, as hexdump -C; --format hex or json).  Nothing is
 * joined, registered or written: the mapping is read-only.  A log whose
 * messages can be listed (file:, IPCX_SCHEME_RECORDS) is shown record by
 * record through ipcx_records, which consumes nothing: the operator's view
 * of a stuck queue.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char dump_help[] =
	"Usage: ipcx dump URI [--bytes] [--format text|hex|json] [-v]\n"
	"\n"
	"Show a shared-memory object (shm:NAME, sysvshm:KEY), ipcx's or any\n"
	"program's, mapped read-only: nothing is joined, registered or written.\n"
	"An ipcx ring is decoded: its geometry, head and tail, how many slots are\n"
	"in each state, its participants (pid, start time, alive or not, slots\n"
	"held) and every slot not free (position, state, holder, length, the\n"
	"start of its message).  Any other segment is shown as bytes.  A log\n"
	"(file:PATH) is listed record by record - sequence, offset, length, when\n"
	"it was sent, queued or borrowed, the start of its payload (hex: all of\n"
	"it; json: base64) - and any corrupt stretch with its offset, without\n"
	"taking a message, locking or writing anything.\n"
	"\n"
	"  -b, --bytes       the bytes, even of a ring\n"
	"  -f, --format F    text (default: decoded ring, or offset/hex/characters\n"
	"                    lines, repeated lines as '*'), hex (the bytes as one\n"
	"                    hex line), json (one document: {\"uri\", \"bytes\",\n"
	"                    \"ring\": {...} or null, and \"data\" in base64 when the\n"
	"                    bytes are shown})\n"
	"  -v, --verbose     what is opened, with a timestamp, on standard error\n"
	"  -h, --help        this help\n"
	"\n"
	"Exit status: 0; 1 failure (e.g. not allowed to read it); 2 usage error,\n"
	"or a URI with no segment; 4 no such object.\n";

static const char *const state_name[8] = { "free", "writing", "skipped", "ready",
	                                   "reading", "requeued", "6?", "7?" };

/* The first bytes of a message, printable or escaped, for a glance. */
static void
dump_preview(const uint8_t *p, size_t n)
{
	size_t i, max = n < 32 ? n : 32;

	putchar('"');
	for (i = 0; i < max; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	printf("\"%s", n > max ? "..." : "");
}

static const char *
dump_alive(int a)
{
	return a > 0 ? "alive" : a == 0 ? "dead" : "alive?";
}

static void
dump_ring_text(const char *uri, const ipcx_segment *seg, size_t len,
               const struct ipcx_ring_view *v)
{
	const uint8_t *base = ipcx_segment_data(seg, NULL);
	unsigned i;
	uint32_t k;

	printf("uri: %s\nbytes: %zu\nring: ipcx ring\n", uri, len);
	printf("slots: %u\nslot_size: %llu\nhead: %llu\ntail: %llu\nqueued: %llu\n", v->slots,
	       (unsigned long long)v->slot_size, (unsigned long long)v->head,
	       (unsigned long long)v->tail,
	       (unsigned long long)(v->tail - v->head <= v->slots ? v->tail - v->head : 0));
	printf("states:");
	for (i = 0; i < 6; i++)
		printf(" %s %u", state_name[i], v->by_state[i]);
	printf("\nparticipants: %u\n", v->nparts);
	for (i = 0; i < v->nparts; i++) {
		const struct ipcx_ring_part_view *p = &v->parts[i];
		printf("  #%u pid %ld start %llu %s %s held %u%s\n", p->index, (long)p->pid,
		       (unsigned long long)p->start_time,
		       p->status == 2 ? "recovering" : "active", dump_alive(p->alive), p->held,
		       p->polls ? " polls" : "");
	}
	for (k = 0; k < v->slots; k++) {
		struct ipcx_ring_slot_view s;
		if (ipcx_segment_slot(seg, k, &s) < 0 || s.state == IPCX_SLOT_FREE)
			continue;
		printf("slot %u: position %llu %s", k, (unsigned long long)s.position,
		       state_name[s.state & 7]);
		if (s.owner != 0)
			printf(" by #%u", s.owner);
		if (s.state >= IPCX_SLOT_READY && s.state <= IPCX_SLOT_REQUEUED &&
		    s.data_off + s.len <= len) {
			printf(" len %u ", s.len);
			dump_preview(base + s.data_off, s.len);
		}
		putchar('\n');
	}
}

static void
dump_ring_json(const ipcx_segment *seg, size_t len, const struct ipcx_ring_view *v)
{
	unsigned i;
	uint32_t k;
	bool first = true;

	(void)len;
	printf("{\"slots\":%u,\"slot_size\":%llu,\"head\":%llu,\"tail\":%llu,\"states\":{", v->slots,
	       (unsigned long long)v->slot_size, (unsigned long long)v->head,
	       (unsigned long long)v->tail);
	for (i = 0; i < 6; i++)
		printf("%s\"%s\":%u", i ? "," : "", state_name[i], v->by_state[i]);
	printf("},\"participants\":[");
	for (i = 0; i < v->nparts; i++) {
		const struct ipcx_ring_part_view *p = &v->parts[i];
		printf("%s{\"index\":%u,\"pid\":%ld,\"start\":%llu,\"status\":\"%s\",\"alive\":%s,"
		       "\"held\":%u,\"polls\":%s}",
		       i ? "," : "", p->index, (long)p->pid, (unsigned long long)p->start_time,
		       p->status == 2 ? "recovering" : "active",
		       p->alive > 0 ? "true" : p->alive == 0 ? "false" : "null", p->held,
		       p->polls ? "true" : "false");
	}
	printf("],\"in_use\":[");
	for (k = 0; k < v->slots; k++) {
		struct ipcx_ring_slot_view s;
		if (ipcx_segment_slot(seg, k, &s) < 0 || s.state == IPCX_SLOT_FREE)
			continue;
		printf("%s{\"slot\":%u,\"position\":%llu,\"state\":\"%s\",\"owner\":%u,\"len\":%u}",
		       first ? "" : ",", k, (unsigned long long)s.position, state_name[s.state & 7],
		       s.owner, s.len);
		first = false;
	}
	printf("]}");
}

/* hexdump -C: 16 bytes a line, a run of lines equal to the one before as
 * one "*". */
static void
dump_bytes_text(const uint8_t *p, size_t len)
{
	size_t off, i;
	bool starred = false;

	for (off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;
		if (off > 0 && n == 16 && memcmp(p + off, p + off - 16, 16) == 0) {
			if (!starred)
				printf("*\n");
			starred = true;
			continue;
		}
		starred = false;
		printf("%08zx ", off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				putchar(' ');
			if (i < n)
				printf(" %02x", p[off + i]);
			else
				printf("   ");
		}
		printf("  |");
		for (i = 0; i < n; i++)
			putchar(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.');
		printf("|\n");
	}
	printf("%08zx\n", len);
}

static int
dump_encoded(enum cli_format fmt, const void *p, size_t len, bool strip_nl)
{
	struct cli_bytes b = { 0 };
	int rc = cli_encode(fmt, p, len, NULL, &b);

	if (rc == 0) {
		size_t n = b.len;
		if (strip_nl && n > 0 && b.p[n - 1] == '\n')
			n--;
		fwrite(b.p, 1, n, stdout);
	}
	cli_bytes_fini(&b);
	return rc;
}

/* ---- a log's records (file:): ipcx_records ---------------------------- */

static const char *const record_state[3] = { "queued", "borrowed", "corrupt" };

struct dump_log {
	const char *uri;
	bool started;            /* the heading is out: nothing before the log opened */
	enum cli_format fmt;
	unsigned long long n, bytes, borrowed, corrupt;
	int rc;
};

static void
dump_when(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(ns / 1000000 % 1000));
}

static void
dump_log_start(struct dump_log *d)
{
	if (d->started)
		return;
	d->started = true;
	if (d->fmt == CLI_FMT_JSON) {
		printf("{\"uri\":");
		cli_json_string(stdout, d->uri);
		printf(",\"records\":[");
	} else {
		printf("uri: %s\n", d->uri);
	}
}

static int
dump_record(const struct ipcx_record_view *r, void *arg)
{
	struct dump_log *d = arg;
	const char *state = record_state[r->state >= 0 && r->state < 3 ? r->state : 2];
	char when[48];

	dump_log_start(d);

	if (r->state == IPCX_RECORD_CORRUPT) {
		d->corrupt++;
		if (d->fmt == CLI_FMT_JSON)
			printf("%s{\"seq\":%llu,\"offset\":%llu,\"len\":%zu,\"state\":\"%s\"}",
			       d->n + d->corrupt > 1 ? "," : "", (unsigned long long)r->seq,
			       (unsigned long long)r->offset, r->len, state);
		else
			printf("seq %llu offset %llu corrupt: %zu bytes a receive reports "
			       "(-EPROTO) and skips\n",
			       (unsigned long long)r->seq, (unsigned long long)r->offset, r->len);
		return 0;
	}
	d->n++;
	d->bytes += r->len;
	if (r->state == IPCX_RECORD_BORROWED)
		d->borrowed++;
	dump_when(r->sent_ns, when, sizeof(when));
	if (d->fmt == CLI_FMT_JSON) {
		printf("%s{\"seq\":%llu,\"offset\":%llu,\"len\":%zu,\"sent_ns\":%lld,"
		       "\"state\":\"%s\",\"data\":",
		       d->n + d->corrupt > 1 ? "," : "", (unsigned long long)r->seq,
		       (unsigned long long)r->offset, r->len, (long long)r->sent_ns, state);
		if (cli_json_base64(stdout, r->data, r->len) < 0)
			d->rc = -ENOMEM;
		putchar('}');
		return d->rc;
	}
	printf("seq %llu offset %llu len %zu sent %s %s ", (unsigned long long)r->seq,
	       (unsigned long long)r->offset, r->len, when, state);
	if (d->fmt == CLI_FMT_HEX) {
		if (dump_encoded(CLI_FMT_HEX, r->data, r->len, true) < 0)
			d->rc = -ENOMEM;
	} else {
		dump_preview(r->data, r->len);
	}
	putchar('\n');
	return d->rc;
}

/* List a log's queued messages; returns the exit status. */
static int
dump_log(const struct cli_uri *u, enum cli_format fmt)
{
	struct dump_log d = { .uri = u->text, .fmt = fmt };
	int rc;

	rc = ipcx_records(u->text, dump_record, &d);
	if (rc < 0) {
		const char *detail = ipcx_errmsg(NULL);
		if (d.started && fmt == CLI_FMT_JSON)
			printf("]}\n");
		fflush(stdout);
		/* The library's sentence says what is there ("... is not an
		 * ipcx log"); EPROTO's word for it speaks of framing. */
		if (detail[0] != '\0')
			cli_say("dump", u->text, "%s", detail);
		else
			cli_error("dump", u->text, rc, NULL, NULL);
		return rc == -ENOENT ? CLI_NOENT : CLI_FAIL;
	}
	dump_log_start(&d);
	if (fmt == CLI_FMT_JSON)
		printf("],\"queued\":%llu,\"queued_payload_bytes\":%llu,\"borrowed\":%llu,"
		       "\"corrupt\":%llu}\n",
		       d.n, d.bytes, d.borrowed, d.corrupt);
	else
		printf("queued: %llu messages, %llu payload bytes (%llu borrowed); %llu corrupt\n",
		       d.n, d.bytes, d.borrowed, d.corrupt);
	if (fflush(stdout) != 0)
		return errno == EPIPE ? CLI_STDOUT_GONE : CLI_FAIL;
	return CLI_OK;
}

int
cli_dump_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bytes", no_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ipcx_ring_view *v = NULL;
	enum cli_format fmt = CLI_FMT_TEXT;
	ipcx_segment *seg;
	struct cli_uri u;
	const void *data;
	bool bytes = false, ring;
	size_t len;
	int c, rc, status = CLI_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":bf:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bytes = true;
			break;
		case 'f':
			if (cli_parse_format(optarg, &fmt) < 0 || fmt == CLI_FMT_RAW)
				return cli_usage("dump", "--format is text, hex or json, not '%s'", optarg);
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(dump_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("dump", c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage("dump", "missing URI");
	if (optind + 1 < argc)
		return cli_usage("dump", "unexpected argument '%s'", argv[optind + 1]);
	rc = cli_uri_parse("dump", argv[optind], &u);
	if (rc != 0)
		return rc;
	{
		struct ipcx_scheme_info info;
		if (ipcx_scheme_info(u.scheme, &info) == 0 && (info.caps & IPCX_SCHEME_RECORDS)) {
			if (bytes)
				return cli_usage("dump", "--bytes shows shared-memory segments; a %s: "
				                         "log is listed record by record",
				                 u.scheme);
			return dump_log(&u, fmt);
		}
	}
	rc = ipcx_segment_open(&seg, u.text);
	if (rc == -ENOTSUP) {
		char with[256];
		return cli_usage("dump", "%s: a %s: channel has no shared-memory segment to show "
		                         "(dump takes %s)",
		                 u.text, u.scheme, cli_schemes_with(IPCX_SCHEME_SEGMENT, with, sizeof(with)));
	}
	if (rc < 0) {
		const char *detail = ipcx_errmsg(NULL);
		if (detail[0] != '\0')
			cli_say("dump", u.text, "%s: %s", ipcx_strerror(rc), detail);
		else
			cli_error("dump", u.text, rc, NULL, NULL);
		return rc == -ENOENT ? CLI_NOENT : CLI_FAIL;
	}
	data = ipcx_segment_data(seg, &len);
	cli_log("mapped %s read-only: %zu bytes", u.text, len);
	v = malloc(sizeof(*v));
	if (v == NULL) {
		ipcx_segment_close(seg);
		cli_say("dump", u.text, "%s", strerror(ENOMEM));
		return CLI_FAIL;
	}
	ring = ipcx_segment_ring(seg, v) == 0;
	if (!ring)
		cli_log("%s", ipcx_errmsg(NULL));
	if (fmt == CLI_FMT_JSON) {
		printf("{\"uri\":");
		cli_json_string(stdout, u.text);
		printf(",\"bytes\":%zu,\"ring\":", len);
		if (ring)
			dump_ring_json(seg, len, v);
		else
			printf("null");
		if (!ring || bytes) {
			printf(",\"data\":");
			cli_json_base64(stdout, data, len);
		}
		printf("}\n");
	} else if (ring && !bytes && fmt == CLI_FMT_TEXT) {
		dump_ring_text(u.text, seg, len, v);
	} else if (fmt == CLI_FMT_HEX) {
		dump_encoded(CLI_FMT_HEX, data, len, false);
	} else {
		if (!ring)
			printf("# %s: %zu bytes, not an ipcx ring\n", u.text, len);
		dump_bytes_text(data, len);
	}
	free(v);
	ipcx_segment_close(seg);
	if (fflush(stdout) != 0)
		status = errno == EPIPE ? CLI_STDOUT_GONE : CLI_FAIL;
	return status;
}
