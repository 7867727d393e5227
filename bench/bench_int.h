/* SPDX-License-Identifier: MIT */
/*
 * bench_int.h - what the files of the benchmark engine share.
 *
 *   bench.c       options, the run over every row, the table and JSON
 *   bench_row.c   one row: the ipcx channel planned from ipcx_scheme_info,
 *                 the peer process, the paired measurements
 *   bench_peer.c  the peer process (`--peer`, started with exec)
 *   bench_link.c  the checked messages, and one send/receive interface over
 *                 an ipcx channel or a bare descriptor
 *   bare.c        the bare mechanisms: plain system calls, keyed by scheme
 *                 and variant (bare_ring.c: the shared-memory rings,
 *                 bare_log.c: a file log under a record lock)
 *
 * Nothing here names a scheme: the ipcx rows come from the library
 * (ipcx_schemes, ipcx_scheme_info); only bare.c knows mechanisms.
 */
#ifndef IPCX_BENCH_INT_H
#define IPCX_BENCH_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipcx.h"

#define BENCH_MAX_SIZES 8
#define BENCH_MAX_REPS 21
#define BENCH_MIN_SIZE ((size_t)16)
/* A mechanism whose messages are smaller than BENCH_MIN_SIZE (a signal's
 * 7 bytes) is measured at its own size, down to this: a 4-byte stamp. */
#define BENCH_SMALL_MIN ((size_t)4)
#define BENCH_MAX_SIZE ((size_t)16 << 20)
#define BENCH_URI_LEN 1024
/* --quick on a row that waits for the disk on every message (BARE_DISK):
 * the fewest round trips and messages a measurement takes, instead of
 * min_rtt and min_stream, so that the row fits make run's minute. */
#define BENCH_DISK_QUICK_MIN 5L

/* The two sides of every pair: the mechanism alone, and ipcx on it. */
enum { LINK_BARE, LINK_IPCX, NLINKS };

enum bench_pin { PIN_CROSS, PIN_SAME, PIN_NONE };

/* ---- options ---------------------------------------------------------- */

struct bench_opts {
	bool quick;
	const char *json_path;     /* NULL, "-" (standard output) or a file */
	const char *csv_path;      /* NULL or a file ("-": standard output) */
	const char *svg_path;      /* NULL or a file */
	const char *only;          /* comma-separated schemes, or NULL for all */
	size_t sizes[BENCH_MAX_SIZES];
	int nsizes;
	int reps;                  /* paired repetitions per cell */
	int64_t target_ns;         /* the length one measurement aims at */
	long min_rtt, min_stream;  /* fewest round trips / messages measured */
	long max_count;            /* most of either */
	enum bench_pin pin;
	int timeout_ms;            /* of every ipcx call: -1 (blocking) unless --timeout */
	unsigned watchdog_s;       /* one phase may not take longer */
	bool side[NLINKS];         /* the links to measure (--side) */
	bool phase_rtt;            /* round trips (--phase) */
	bool phase_stream;         /* one-way streams (--phase) */
	bool markdown;             /* --markdown: the tables as Markdown */
	bool test_corrupt;         /* --test-corrupt: damage one ipcx message */
	char dir[256];             /* the private scratch directory (mkdtemp) */
	char self[32];             /* how the peer is started: "" or "bench" (ipcx bench) */
};

/* ---- results ---------------------------------------------------------- */

/* One measurement of one link at one size. */
struct bench_fig {
	double p50_us, p99_us;     /* round trip */
	double p999_us, max_us;
	long rtt_n;
	double msgs_s, mb_s;       /* one way */
	long stream_n;
};

enum cell_state {
	CELL_NOT_RUN,  /* the row stopped before it */
	CELL_OK,
	CELL_SKIP,     /* the mechanism cannot carry this size here: why[] says */
	CELL_FAIL,     /* an error or an integrity failure: why[] says */
};

struct bench_ratio {
	double med, min, max;
	int n;                     /* pairs; 0: no ratio */
};

struct bench_cell {
	size_t size;
	enum cell_state state[NLINKS];
	char why[NLINKS][200];
	int nrep;
	struct bench_fig rep[BENCH_MAX_REPS][NLINKS];
	struct bench_fig med[NLINKS];           /* median over the repetitions */
	struct bench_ratio r_p50, r_p99, r_thr; /* ipcx/bare, per pair */
	bool noisy[NLINKS][2];                  /* latency, throughput: spread above 30% */
	char uri[BENCH_URI_LEN];                /* the ipcx URI measured */
	long pipe_buf;                          /* the bare pipe's size, 0: n/a */
};

enum row_state {
	ROW_OK,
	ROW_UNAVAILABLE, /* cannot be opened on this system: why says */
	ROW_FAILED,
};

struct bench_row {
	char label[48];          /* "unix seqpacket" */
	char scheme[16];
	const char *variant;     /* "type=seqpacket", or NULL */
	const char *summary;     /* ipcx_scheme_info().summary */
	const char *sample;      /* ipcx_scheme_info().sample */
	const char *address;     /* ipcx_scheme_info().address */
	unsigned caps;           /* ipcx_scheme_info().caps */
	size_t default_max;      /* ipcx_scheme_info().default_max */
	bool peer;               /* another library's row: bare is its driver, no ipcx side */
	const struct bare_driver *bare;
	enum row_state state;
	char why[300];
	int ncells;
	struct bench_cell cells[BENCH_MAX_SIZES];
	long checked, errors;    /* messages verified, integrity errors */
};

/* Whole-run facts the table and JSON print. */
struct bench_env {
	int cpu_tx, cpu_rx;      /* -1: not pinned */
	bool pinned;             /* both processes were pinned where asked */
	char pin_why[200];       /* why not, when not */
};

/* One floor (floors.c): the median of its batches, and their spread
 * (max - min) / median. */
struct bench_floor {
	double value;
	double spread;
	bool ok;
};

struct bench_floors {
	bool measured;
	struct bench_floor cacheline_ns;   /* round trip of one cache line, two CPUs */
	struct bench_floor futex_ns;       /* futex wake+wait round trip, two processes */
	struct bench_floor syscall_ns;     /* getppid(2) */
	struct bench_floor memcpy64k_mbs;  /* single-thread memcpy, MB/s */
	struct bench_floor memcpy1m_mbs;
};

/* ---- bare mechanisms (bare.c) -------------------------------------------- */

enum {
	BARE_STREAM = 1u << 0, /* no boundaries: read until the length */
	BARE_SOCK = 1u << 1,   /* send(2)/recv(2) */
	BARE_IDS = 1u << 2,    /* fds[] are System V ids, not descriptors */
	BARE_BUSY = 1u << 3,   /* never sleeps: spins a CPU while it waits */
	BARE_PEER = 1u << 4,   /* another library (a peer): a row of its own, no ipcx */
	BARE_NONE = 1u << 5,   /* the scheme has no bare equivalent: mechanism says why */
	BARE_SPINS = 1u << 6,  /* spins before it sleeps: its floor is the cache line */
	BARE_FORK = 1u << 7,   /* measured from a child process of the run (bench_row.c) */
	BARE_DISK = 1u << 8,   /* every message waits for the disk (fdatasync), ipcx's too */
};

/* What open is given, and what it answers beside the descriptors. */
struct bare_open {
	const char *dir;       /* the group's private directory */
	size_t max;            /* the largest message of the group */
	char addr[256];        /* out: what the peer needs beyond its descriptors */
	char why[300];         /* out: why not, when open fails */
};

/*
 * A bare driver opens the mechanism with plain system calls, in the parent,
 * before the peer starts: fds[0..1] the parent's receive and send ends,
 * fds[2..3] the peer's (equal where one descriptor goes both ways), and
 * *st whatever else the parent's end needs (a mapping, a buffer).  The
 * peer inherits fds[2..3] and, when the driver has attach, builds its own
 * state from them and from o->addr.  Without send/recv the transfer is a
 * plain blocking write/read (send/recv on sockets): a stream moves the
 * payload alone, and the receiver reads exactly its length.
 * open returns 0, -EMSGSIZE when this system cannot carry o->max on the
 * mechanism (the cells are skipped, o->why says why and how to raise the
 * limit), or another -errno (o->why may say more).
 */
struct bare_driver {
	const char *scheme;    /* the ipcx row it stands beside; a peer's own name */
	const char *variant;   /* the ipcx variant it stands beside, or NULL */
	const char *label;     /* a peer's row label ("zmq ipc"), NULL otherwise */
	const char *calls;     /* "write/read" */
	const char *mechanism; /* "pipe(2)" */
	unsigned flags;        /* BARE_* */
	int (*open)(struct bare_open *o, int fds[4], void **st);
	int (*attach)(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
	              size_t whylen);
	int (*send)(void *st, int fd, const void *buf, size_t len);
	ssize_t (*recv)(void *st, int fd, void *buf, size_t cap, size_t expect);
	/* Release this process's end; owner: the parent, which removes the
	 * objects.  Optional: close(2) on the descriptors. */
	void (*close)(int fds[4], void *st, bool owner);
	/* Optional: make the bare mechanism's geometry match ipcx's (a pipe's
	 * buffer, a socket's), so that neither side gains from a larger one.
	 * Called in the parent once ipcx opened its side, before the peer
	 * starts (all four ends here), and again once ipcx has carried
	 * messages of each size (fds[2..3] are -1 then).  Returns the pipe
	 * buffer it matched, in bytes, or 0. */
	long (*match)(const int fds[4]);
	/* Optional: the peer runs, as process pid (a mechanism addressed by
	 * process id).  Called in the parent once the peer has started. */
	void (*started)(void *st, pid_t pid);
};

const struct bare_driver *bare_find(const char *scheme, const char *variant);
int bare_index(const struct bare_driver *d);
const struct bare_driver *bare_at(int i);
/* The peers this build has, and those it was built without (NULL-ended
 * lines: "iceoryx: not built (no libiceoryx-binding-c-dev)"). */
extern const char *const bench_peers_absent[];
/* The end of a run: stop what the peers started (iceoryx's RouDi). */
void bench_peers_fini(void);
/* Before a peer row runs, in the run's own process: start what it needs
 * (RouDi).  0, or -errno with why said. */
int bench_peer_prepare(const struct bare_driver *d, char *why, size_t whylen);
void bench_iceoryx_fini(void); /* peer_iceoryx.c, when built */
int bench_iceoryx_prepare(char *why, size_t whylen);
int bare_send(const struct bare_driver *d, void *st, int fd, const void *buf, size_t len);
/* The message length, 0 at end of stream, or -errno. */
ssize_t bare_recv(const struct bare_driver *d, void *st, int fd, void *buf, size_t cap,
                  size_t expect);
void bare_close(const struct bare_driver *d, int fds[4], void *st, bool owner);

/* ---- messages and links (bench_link.c) ----------------------------------- */

/*
 * Message seq of length len is a slice of one pseudo-random pattern, at an
 * offset seq chooses, whose first 8 bytes are replaced by a stamp: seq,
 * len, and a flag on the last message of a stream.  The sender stamps the
 * pattern in place (no per-message copy); the receiver compares every byte.
 * A message shorter than 8 bytes (BENCH_SMALL_MIN to 7: a signal's) has a
 * 4-byte stamp, seq and the flag, and the rest of its bytes from the
 * pattern, so each one is still checked whole: its sequence and every
 * byte.
 */
struct bench_pattern {
	uint8_t *bytes;
	size_t len;
};

int bench_pattern_init(struct bench_pattern *p, size_t max_size);
void bench_pattern_fini(struct bench_pattern *p);
/* The message to send (inside p), stamped; bench_msg_done restores p. */
uint8_t *bench_msg_make(struct bench_pattern *p, uint32_t seq, size_t len, bool last,
                        uint8_t save[8]);
void bench_msg_done(struct bench_pattern *p, uint32_t seq, const uint8_t save[8]);
/* 0 when buf[0..n) is message seq of length len (*last set); -1 otherwise. */
int bench_msg_check(const struct bench_pattern *p, const uint8_t *buf, size_t n,
                    uint32_t seq, size_t len, bool *last);

struct bench_link {
	int kind;                        /* LINK_BARE or LINK_IPCX */
	ipcx_chan *tx, *rx;              /* ipcx (may be the same) */
	int timeout_ms;
	const struct bare_driver *bare;  /* bare */
	void *bst;                       /* the bare driver's state */
	int rfd, wfd;
	char what[200];                  /* the last failure */
};

int bench_link_send(struct bench_link *l, const void *buf, size_t len);
/* The length received; expect is the length a bare stream reads. */
ssize_t bench_link_recv(struct bench_link *l, void *buf, size_t cap, size_t expect);

/* ---- the control channel between the two processes ---------------------- */

enum ctl_op {
	CTL_READY = 1,   /* peer -> parent: joined; a = pinned, b = errno */
	CTL_HANDSHAKE,   /* send one message on the ipcx link first */
	CTL_ECHO,        /* receive and send back count messages */
	CTL_SINK,        /* receive count messages (fewer if one says last) */
	CTL_QUIT,
	CTL_GO,          /* peer -> parent: about to receive */
	CTL_DONE,        /* peer -> parent: a = received, b = integrity errors */
	CTL_FAILED,      /* peer -> parent: the link failed; text says how */
};

struct ctl_msg {
	uint32_t op;
	uint32_t link;
	uint64_t size;
	uint64_t count;
	uint64_t a, b;
	char text[160];
};

int ctl_send(int fd, const struct ctl_msg *m);
/* 0, -ETIMEDOUT, -EPIPE (the peer went away), -EINTR (asked to stop). */
int ctl_recv(int fd, struct ctl_msg *m, int timeout_ms);

/* ---- stopping ------------------------------------------------------------- */

/*
 * Set by the handler of SIGINT, SIGTERM and SIGALRM (the watchdog): the
 * signal that asked the run or the current phase to stop.  The handler also
 * calls ipcx_wake on every channel listed in bench_live and re-arms
 * alarm(1), so a blocking bare read that began just after it is
 * interrupted too.
 */
extern volatile sig_atomic_t bench_stop;
#define BENCH_LIVE_MAX 4
extern ipcx_chan *volatile bench_live[BENCH_LIVE_MAX];

int64_t bench_now_ns(void);
/* snprintf for messages, where cutting a long one short is fine. */
void bench_text(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void bench_floors_measure(struct bench_floors *fl, const struct bench_opts *o,
                          const struct bench_env *env);

/* ---- the output (bench_out.c) -------------------------------------------- */

/* Everything a run produced, for the renderers. */
struct bench_result {
	const struct bench_opts *o;
	const struct bench_env *env;
	const struct bench_floors *fl;
	const struct bench_row *rows;
	int nrows;
	long checked, errors;
	int status;
	double pressure;           /* share of the run other work waited for a CPU; < 0: unknown */
};

enum series_kind { SERIES_IPCX, SERIES_BARE, SERIES_PEER };

/* One line of the glance tables and the chart: a row's ipcx side, its
 * bare side, or a peer. */
struct bench_series {
	const struct bench_row *r;
	int k;                     /* LINK_IPCX or LINK_BARE */
	enum series_kind kind;
	bool busy;                 /* never sleeps while it waits */
	bool spins;                /* waits in user space first: its floor is the cache line */
	char name[64];
};

#define BENCH_MAX_SERIES 160
int bench_series(const struct bench_result *res, struct bench_series *out, bool with_bare);
/* The floor a figure can at best reach and the figure as its multiple
 * (latency: p50 / floor; throughput: memcpy MB/s / MB/s); 0: none. */
double bench_floor_lat_ns(const struct bench_result *res, const struct bench_series *s,
                          size_t size);
double bench_floor_thr_mbs(const struct bench_result *res, size_t size);
double bench_mult_lat(const struct bench_result *res, const struct bench_series *s, int cell);
double bench_mult_thr(const struct bench_result *res, const struct bench_series *s, int cell);
void bench_verdict(const struct bench_result *res, int cell, char *out, size_t len);
void bench_summary(const struct bench_result *res, char *out, size_t len);
void bench_print_floors(const struct bench_result *res);
void bench_print_glance(const struct bench_result *res);
void bench_print_verdicts(const struct bench_result *res);
void bench_write_csv(const struct bench_result *res, FILE *f);
void bench_write_svg(const struct bench_result *res, FILE *f);
void bench_size_label(size_t n, char *out, size_t outlen);

/* ---- rows and the peer -------------------------------------------------- */

/* Fill r->label, scheme, variant, caps, bare for variant v of scheme. */
void bench_row_init(struct bench_row *r, const char *scheme,
                    const struct ipcx_scheme_info *info, const char *variant);
/* A row for peer library d (its driver's label). */
void bench_row_init_peer(struct bench_row *r, const struct bare_driver *d);
/* Does --quick measure row r with fewer messages (BENCH_DISK_QUICK_MIN)? */
bool bench_disk_quick(const struct bench_row *r, const struct bench_opts *o);
/* Measure row r at every size; never exits.  Clears env->pinned (and
 * says why) when the peer could not pin itself. */
void bench_row_run(struct bench_row *r, const struct bench_opts *o, struct bench_env *env);
/* The peer process: argv after "--peer".  Returns its exit status. */
int bench_peer_main(int argc, char **argv);

#endif
