/* SPDX-License-Identifier: MIT */
/*
 * bench_int.h - what the files of the benchmark engine share: the options,
 * one row's result, the self-checking message format, and the "link" that
 * lets one measurement loop drive either an ipcx channel or the raw pipe(2)
 * baseline, so both do exactly the same work per message.
 */
#ifndef IPCX_BENCH_INT_H
#define IPCX_BENCH_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipcx.h"

/* ---- options and results ---------------------------------------------- */

struct bench_opts {
	bool quick;
	bool json;
	const char *only;      /* comma-separated schemes, or NULL for all */
	size_t small_size;     /* latency and small-message throughput (64) */
	size_t bulk_size;      /* bulk throughput (4096), --size */
	long rtt_count;        /* round trips to time */
	long small_count;      /* messages per small stream */
	long bulk_count;       /* messages per bulk stream */
	int64_t rtt_cap_ns;    /* each measurement also stops at this time */
	int64_t stream_cap_ns;
	unsigned row_alarm_s;  /* watchdog for one whole row */
	int io_timeout_ms;     /* one send or receive */
	char dir[256];         /* the private scratch directory (mkdtemp) */
};

enum bench_status {
	ROW_OK,          /* measured, every message verified */
	ROW_FAILED,      /* measured with errors, or could not finish */
	ROW_NOT_BUILT,   /* the library answers -ENOTSUP */
	ROW_NO_DRIVER,   /* built, but this engine has no way to drive it yet */
};

struct bench_result {
	const char *name;      /* "unix seqpacket" */
	const char *scheme;    /* "unix"; "raw" for the baseline */
	enum bench_status status;
	char note[200];        /* why it failed, or what was special */
	double rtt_p50_us, rtt_p99_us;
	long rtt_samples;
	double small_msgs_s, small_mb_s;
	long small_n;
	double bulk_msgs_s, bulk_mb_s;
	long bulk_n;
	long checked;          /* messages whose integrity was verified */
	long errors;           /* integrity errors, either process */
};

/* ---- the message format ------------------------------------------------ */

/*
 * Every benchmark message starts with a 16-byte header in little-endian
 * order: kind, two fields, and a check word over the three.  A DATA
 * message's body is a slice of a pseudo-random pattern chosen by its
 * sequence number, so the receiver can verify every byte with one memcmp
 * without the sender computing a checksum per message.
 */
#define BENCH_HDR 16
#define BENCH_MIN_SIZE BENCH_HDR
#define BENCH_MAX_SIZE ((size_t)16 << 20) /* the default max of framed schemes */

enum bench_kind {
	MSG_HELLO = 0x31786370, /* child -> parent: joined and ready */
	MSG_CMD,                /* a = op, b = message size */
	MSG_DATA,               /* a = sequence number, b = length */
	MSG_END,                /* a = messages sent, b = 0 */
	MSG_ACK,                /* a = messages received, b = errors seen */
};

enum bench_op {
	OP_ECHO = 1, /* verify and send back every DATA until END */
	OP_SINK,     /* verify every DATA until END */
	OP_QUIT,
};

struct bench_pattern {
	uint8_t *bytes; /* max size + the largest offset */
	size_t len;
};

int bench_pattern_init(struct bench_pattern *p, size_t max_size);
void bench_pattern_fini(struct bench_pattern *p);

/* Write a 16-byte control header (HELLO, CMD, END, ACK) into buf. */
void bench_msg_put(uint8_t *buf, uint32_t kind, uint32_t a, uint32_t b);
/* Read one: 0 and the fields, or -1 when n is short or the check fails. */
int bench_msg_get(const uint8_t *buf, size_t n, uint32_t *kind, uint32_t *a,
                  uint32_t *b);
/* A whole DATA message of len bytes for sequence number seq. */
void bench_data_fill(const struct bench_pattern *p, uint8_t *buf, uint32_t seq,
                     size_t len);
/* 0 when buf[0..n) is exactly the DATA message (seq, len); -1 otherwise. */
int bench_data_check(const struct bench_pattern *p, const uint8_t *buf, size_t n,
                     uint32_t seq, size_t len);

/* ---- links -------------------------------------------------------------- */

/*
 * One process's end of a benchmark connection: either ipcx channels (tx and
 * rx may be the same) or, for the baseline, two blocking pipe descriptors
 * carrying the same 4-byte big-endian length framing ipcx puts on a pipe.
 */
struct bench_link {
	bool raw;
	ipcx_chan *tx, *rx;
	int rfd, wfd;            /* raw */
	uint8_t *buf;            /* raw receive buffer */
	size_t cap, start, end;
	int timeout_ms;
	char what[120];          /* the last failure, for the table */
};

void bench_link_init_ipcx(struct bench_link *l, ipcx_chan *tx, ipcx_chan *rx,
                          int timeout_ms);
int bench_link_init_raw(struct bench_link *l, int rfd, int wfd, size_t max);
void bench_link_fini(struct bench_link *l);
/* 0, or a negative code (an ipcx result, or -EINTR when stopped). */
int bench_link_send(struct bench_link *l, const void *buf, size_t len);
/* The message length, or a negative code (IPCX_EOF at end of stream). */
ssize_t bench_link_recv(struct bench_link *l, void *buf, size_t cap);

/* ---- stopping ------------------------------------------------------------ */

/*
 * Set by the SIGINT/SIGTERM/SIGALRM handler: the signal that asked the run
 * (or, for SIGALRM, the current row) to stop.  The handler also calls
 * ipcx_wake() on every channel registered here, so a blocked call returns
 * at once, and re-arms alarm(1) so a blocking raw read is interrupted again
 * if the first signal came just before it.
 */
extern volatile sig_atomic_t bench_stop;
#define BENCH_LIVE_MAX 4
extern ipcx_chan *volatile bench_live[BENCH_LIVE_MAX];

/* ---- running ------------------------------------------------------------- */

/* Number of rows, and one row's identity. */
int bench_row_count(void);
const char *bench_row_name(int i);
const char *bench_row_scheme(int i);

/* Run row i (two processes) and fill *r.  Never exits; reaps its child. */
void bench_row_run(int i, const struct bench_opts *o, struct bench_result *r);

int64_t bench_now_ns(void);

#endif
