/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the verbs of the ipcx command share: exit statuses, the
 * `ipcx: VERB: URI: reason` error printer, the URI check (the library's
 * ipcx_uri_check, so a malformed URI is a usage error before anything is
 * opened),
 * signal handling that wakes the channel being waited on, the -t deadline,
 * the four output formats, and the serve loop behind `recv` and `listen`
 * on sockets.  Only the public API (ipcx.h) is used: the command is a
 * client of the library like any other program.
 */
#ifndef IPCX_CLI_H
#define IPCX_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ipcx.h"

/* Exit statuses (DESIGN.md, "Command line"); 128+N for signal N. */
#define CLI_OK       0
#define CLI_FAIL     1
#define CLI_USAGE    2
#define CLI_DEADLINE 3
#define CLI_NOENT    4
/* Standard output went away (a reader like `head` quit): reported as the
 * status a process killed by SIGPIPE shows, 128 + 13, without a message. */
#define CLI_STDOUT_GONE 141

/* ---- verbs ------------------------------------------------------------ */

struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv); /* NULL: not built yet */
	const char *synopsis;              /* after "ipcx VERB " */
	const char *summary;               /* one line for `ipcx --help` */
};

int cli_send_main(int argc, char **argv);
int cli_recv_main(int argc, char **argv);
int cli_listen_main(int argc, char **argv);
int cli_request_main(int argc, char **argv);
int cli_create_main(int argc, char **argv);
int cli_rm_main(int argc, char **argv);
int cli_stat_main(int argc, char **argv);
int cli_relay_main(int argc, char **argv);
int cli_ls_main(int argc, char **argv);
int cli_dump_main(int argc, char **argv);
int cli_bench_main(int argc, char **argv);
extern const bool cli_bench_built; /* cmd_bench.c: the engine is linked in */

/* ---- messages and statuses ---------------------------------------------- */

/* "ipcx: VERB: URI: reason (detail); hint" on standard error.  reason is
 * ipcx_strerror(err); detail is ipcx_errmsg(ch) when ch is given and has one;
 * hint (printf format, may be NULL) follows a semicolon. */
void cli_error(const char *verb, const char *uri, int err, ipcx_chan *ch,
               const char *hint, ...) __attribute__((format(printf, 5, 6)));

/* "ipcx: VERB: URI: text" (uri may be NULL: "ipcx: VERB: text"). */
void cli_say(const char *verb, const char *uri, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A usage error: the message, "Try 'ipcx VERB --help'.", and CLI_USAGE. */
int cli_usage(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit status for a result code that ended a verb: 4 for a channel that
 * does not exist (-ENOENT) or a socket nobody listens on (-ECONNREFUSED),
 * 1 for everything else.  Deadlines and signals are decided by the caller. */
int cli_status(int err);

/* text as one shell word: as it is when the shell would leave it alone,
 * else in single quotes, so a hint can be pasted as it is.  out holds the
 * quoted form (2 * strlen + 8 bytes is always enough). */
const char *cli_shell_word(const char *text, char *out, size_t outlen);

/* The hint for a failed open or operation, or NULL.  u passed
 * cli_uri_parse. */
struct cli_uri;
const char *cli_hint(const char *verb, const struct cli_uri *u, int err);

/* ---- -v, --verbose ---------------------------------------------------------- */

/* Set by every verb's -v: what it opens, connections made and lost, each
 * message's size, with timestamps, on standard error. */
extern bool cli_verbose;
/* The verb being run (main sets it), for the lines cli_log writes. */
extern const char *cli_verb;

/* With -v: "ipcx: VERB: [YYYY-MM-DD HH:MM:SS.mmm] text" on standard error. */
void cli_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What is known of ch's peer, for -v: " from tcp:127.0.0.1:40312",
 * " (pid 123, uid 1000)", both, or "". */
void cli_peer_text(ipcx_chan *ch, char *out, size_t outlen);

/* ---- URIs --------------------------------------------------------------- */

/*
 * A URI the library accepted, with what its scheme's descriptor says
 * (ipcx_scheme_info): the command decides what a verb may do with it from
 * the capabilities alone, never from the scheme's name, so a transport added
 * to the library is reachable from every verb with no edit here.
 */
struct cli_uri {
	const char *text;       /* as the user wrote it */
	char scheme[16];
	bool built;             /* false: a scheme DESIGN names, not built yet */
	unsigned caps;          /* IPCX_SCHEME_*; 0 when !built */
	const char *summary;    /* "named pipe" */
	bool has_query;
	bool has_timeout;       /* the query already sets timeout= */
	bool takes_timeout;     /* the scheme accepts timeout= (connects) */
	bool raw;               /* framing=raw: bytes as they come, no boundaries */
	char address[IPCX_URI_MAX]; /* as written: %XX escapes are not decoded */
};

/* create listens, join connects: served by `recv` and `listen`. */
static inline bool
cli_uri_listens(const struct cli_uri *u)
{
	return (u->caps & IPCX_SCHEME_LISTEN) != 0;
}

/* A named object that exists without any process: create, rm. */
static inline bool
cli_uri_named(const struct cli_uri *u)
{
	return (u->caps & IPCX_SCHEME_NAMED) != 0;
}

/* Neither named nor served: the channel is a descriptor the process was
 * given (pipe:1).  Its reader leaving ends a sender quietly, as for cat. */
static inline bool
cli_uri_inherited(const struct cli_uri *u)
{
	return u->built && !(u->caps & (IPCX_SCHEME_NAMED | IPCX_SCHEME_LISTEN));
}

/*
 * Check text with the library (ipcx_uri_check: the grammar, the scheme, the
 * keys, the values, the transport's address form), and that it has an
 * address (the library takes none for ipcx_pair, which the command never
 * calls).  Then fill *out with what the verbs need, read off the validated
 * text and the scheme's descriptor.  Returns 0, or prints `ipcx: VERB: URI:
 * invalid URI: reason` and the usage hint and returns CLI_USAGE.
 */
int cli_uri_parse(const char *verb, const char *text, struct cli_uri *out);

/* "unix:, tcp:": the built schemes whose capabilities include all of caps,
 * for messages that name what would do instead. */
const char *cli_schemes_with(unsigned caps, char *out, size_t outlen);

/* Print the schemes this library has built, one a line, for `--help`. */
void cli_print_schemes(FILE *f);

/* ---- the -t deadline ------------------------------------------------------ */

struct cli_deadline {
	bool set;
	int64_t at_ns; /* CLOCK_MONOTONIC */
};

int64_t cli_now_ns(void);
void cli_deadline_start(struct cli_deadline *d, long ms); /* ms < 0: none */
/* Milliseconds left, rounded up so a wait never ends early; -1 if no
 * deadline; 0 once it has passed. */
int cli_deadline_left(const struct cli_deadline *d);
bool cli_deadline_passed(const struct cli_deadline *d);

/* ---- signals -------------------------------------------------------------- */

/* Install the SIGINT/SIGTERM/SIGHUP handlers (a signal already ignored when
 * the command started stays ignored, as nohup and background jobs expect)
 * and block SIGPIPE, so a closed standard output is an EPIPE to handle. */
int cli_signals_init(void);
/* The signal that asked the command to end, or 0. */
int cli_signalled(void);
/* Readable once a signal arrived: poll it next to the channels. */
int cli_signal_fd(void);
/* The status for ending by signal: 128 + N. */
int cli_signal_status(void);
/* Channels the handler wakes (ipcx_wake) so a blocked call returns. */
void cli_watch(ipcx_chan *ch);
void cli_unwatch(ipcx_chan *ch);
/* While set, a signal ends the process at once with 128+N: for calls that
 * have no channel to wake yet (ipcx_join) and have made nothing to clean. */
void cli_exit_on_signal(bool on);
/* Sleep ms (or until a signal); returns 0, or -EINTR after a signal. */
int cli_sleep(int ms);

/* ---- options -------------------------------------------------------------- */

/* The usage error for what getopt_long returned as c ('?' or ':'). */
int cli_bad_option(const char *verb, int c, char **argv);

/* A non-negative decimal number; 0 on success, -EINVAL otherwise. */
int cli_parse_long(const char *s, long max, long *ret);

/* ---- output --------------------------------------------------------------- */

enum cli_format {
	CLI_FMT_TEXT, /* payload, "\n" */
	CLI_FMT_HEX,  /* lowercase hex, "\n" */
	CLI_FMT_JSON, /* {"data":"<base64>","len":N,...} per line */
	CLI_FMT_RAW,  /* payloads back to back */
};

int cli_parse_format(const char *s, enum cli_format *ret);

/* A growing byte buffer. */
struct cli_bytes {
	uint8_t *p;
	size_t len, cap;
};

/* Room for more bytes after len; 0 or -ENOMEM. */
int cli_bytes_reserve(struct cli_bytes *b, size_t more);
int cli_bytes_append(struct cli_bytes *b, const void *p, size_t n);
/* Drop the first n bytes. */
void cli_bytes_consume(struct cli_bytes *b, size_t n);
void cli_bytes_fini(struct cli_bytes *b);

/* Append one message encoded as fmt writes it (text and hex add "\n"). */
int cli_encode(enum cli_format fmt, const void *buf, size_t len,
               const struct ipcx_msg_info *info, struct cli_bytes *out);

/*
 * in.c: the message one line of input in fmt stands for, the reverse of
 * cli_encode for text, hex and json (the line without its "\n").  out must
 * hold len bytes (a decoded message is never longer than its line).  Returns
 * 0 and sets *outlen, 1 for a json line that stands for no message (recv's
 * "receiving" announcement), or -EINVAL with *why saying what is wrong.
 */
int cli_decode(enum cli_format fmt, const uint8_t *line, size_t len, uint8_t *out,
               size_t *outlen, const char **why);

/* Write one message to standard output in fmt.  Returns 0, or -EPIPE when
 * standard output is gone, or another negative errno. */
int cli_emit(enum cli_format fmt, const void *buf, size_t len,
             const struct ipcx_msg_info *info);
/* s as a JSON string: quotes, backslashes and control bytes escaped. */
void cli_json_string(FILE *f, const char *s);
/* buf as a JSON string of its base64; 0 or -ENOMEM. */
int cli_json_base64(FILE *f, const void *buf, size_t len);

/* Write all of buf to fd, retrying EINTR and short writes. */
int cli_write_all(int fd, const void *buf, size_t len);

/* ---- opening ---------------------------------------------------------------- */

/*
 * Join u (connect, for sockets).  When the command has a deadline and the
 * URI sets none, socket connects are bounded by it ("timeout=").  With
 * wait, a channel that does not exist yet (-ENOENT, -ECONNREFUSED) is
 * retried with back-off until it appears, the deadline passes or a signal
 * arrives.  Prints nothing; returns 0 or the last error, -ETIMEDOUT when
 * the deadline ended the wait, -EINTR after a signal.
 */
int cli_join(const struct cli_uri *u, const struct cli_deadline *dl, bool wait,
             ipcx_chan **ret_ch);

/*
 * Report a failed open of u and return the exit status: 3 for -ETIMEDOUT
 * under a deadline, 4 for a channel that does not exist, 128+N after a
 * signal, 1 otherwise.  u passed cli_uri_parse, so -EINVAL has a runtime
 * cause (a path that is not a FIFO): status 1, with ipcx_errmsg(NULL).
 */
int cli_open_failed(const char *verb, const struct cli_uri *u,
                    const struct cli_deadline *dl, int err);

/* A receive buffer that grows (doubling, up to the channel's max) when a
 * message does not fit. */
struct cli_buf {
	uint8_t *data;
	size_t cap;
	size_t max;
};

int cli_buf_init(struct cli_buf *b, ipcx_chan *ch);
/* Grow after -EMSGSIZE; returns 0, or -EMSGSIZE when already at max. */
int cli_buf_grow(struct cli_buf *b);
void cli_buf_fini(struct cli_buf *b);

/* ---- serving sockets (recv and listen) -------------------------------------- */

struct cli_serve {
	const char *verb;
	const struct cli_uri *uri;
	enum cli_format fmt;
	bool echo;          /* send each message back instead of printing it */
	long count;         /* stop after this many messages; -1: never */
	bool quiet;         /* no "listening on" line */
	const char *exec;   /* --exec CMD: run per connection; count = connections */
	enum cli_format exec_fmt; /* what CMD reads and writes */
	long idle_ms;       /* end with 0 after this long without a message; -1: never */
	bool timed_run;     /* listen: -t without -n is how long to serve: status 0 */
	struct cli_deadline dl;
};

/* Create the socket u names and serve every client at once until count,
 * the deadline or a signal.  Returns the exit status. */
int cli_serve(const struct cli_serve *s);

#endif
