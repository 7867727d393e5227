/* SPDX-License-Identifier: MIT */
/*
 * file.c - the durable channel: "file:PATH", a message log in a regular
 * file, shared by any number of senders and receivers in any number of
 * processes, whose committed messages outlive every one of them.
 *
 * The file (docs/wire-format.md, "The file: log", is the reference):
 *   - a 4096-byte header: a fixed part (magic, version, geometry) and two
 *     state slots written alternately, each with a generation and a
 *     CRC-32C, so a torn slot leaves the other one in force;
 *   - then records, each 32 bytes of header (magic, length, sequence, send
 *     time, CRC-32C, a consumed mark) and the payload, padded to 8 bytes.
 * A record is committed once it lies whole in the file with a good CRC and
 * the next sequence number: that, not the slot, is the commit point, so a
 * sender that dies after writing it still delivers it, and one that dies
 * in the middle of it leaves a torn tail that the next locked operation
 * truncates.  The slot's write position is a hint that saves a scan.
 *
 * Locking.  Every operation runs under one OFD write lock on byte 0
 * (fcntl(2) F_OFD_SETLK: owned by the open file description, released by
 * the kernel when its holder dies, never by a close elsewhere in the
 * process).  F_OFD_SETLKW has no deadline and no ipcx_wake, so it is never
 * used: a busy lock is retried after sched_yield() a few times (holders
 * keep it for microseconds), then with back-off sleeps (50 us doubling to
 * 64 ms) until the deadline.  A stopped holder therefore stalls everyone
 * else, who wait until their deadlines; a dead one frees the lock at once.
 *
 * Receivers share the read position in the slot, so each message goes to
 * one receiver.  ipcx_recv_borrow claims a record with a second OFD lock,
 * on byte CLAIM_BASE + sequence, and consumes it only at ipcx_release: a
 * borrower that dies loses its claim with its descriptor, and the record
 * goes to the next receiver.  A record consumed while an earlier one is
 * still borrowed gets its consumed mark instead of moving the read position.
 *
 * Waiting.  inotify watches the file (IN_MODIFY: any send or receive;
 * IN_ATTRIB: the file was replaced by compaction or removed), so receivers
 * waiting for a message and senders waiting for room sleep in poll(2) and
 * ipcx_pollfd has an honest descriptor.  Where inotify is unavailable
 * (instance limit), waits fall back to ipcx__backoff.
 *
 * Reclaiming.  Consumed records are dropped in two ways, both under the
 * lock: a log that becomes empty is truncated in place (the slot first,
 * then ftruncate); a log with a backlog is compacted into a new file
 * (PATH.ipcx-compact, synced, locked, then renamed over PATH).  Until the
 * rename the old file is whole and in force; after it the new one is.  A
 * process whose descriptor points at the replaced file sees st_nlink == 0
 * once it holds the old file's lock, and follows the path to the new one.
 *
 * Map:
 *   format: constants, CRC-32C, encoding
 *   the channel
 *   opening: check, create, join
 *   the lock, refreshing the state, recovery
 *   records: probe, scan, corruption
 *   waiting and readiness
 *   durability
 *   reclaiming: reset and compaction
 *   send, receive, borrow, release
 *   close, unlink, stat, the descriptor
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"
#include "os/sys.h"

/* ---- format: constants, CRC-32C, encoding ----------------------------- */

#define LOG_MAGIC "IPCXFLOG"
#define LOG_VERSION 1u
#define LOG_DATA 4096u        /* the header block; records start here */
#define LOG_FIXED_LEN 64u     /* magic, version, geometry, CRC */
#define SLOT_LEN 96u
#define SLOT_OFF(i) (LOG_FIXED_LEN + SLOT_LEN * (i))
#define REC_MAGIC 0x52435849u /* "IXCR" as little-endian bytes */
#define REC_DONE 0x454e4f44u  /* "DONE": consumed ahead of the read position */
#define REC_HDR 32u
#define REC_STATE_OFF 28u
#define CLAIM_BASE ((off_t)1 << 62)
#define SEQ_LIMIT ((uint64_t)1 << 61)

#define FILE_DEFAULT_MAX ((size_t)1 << 20)
#define FILE_DEFAULT_SIZE ((uint64_t)64 << 20)
#define FILE_SIZE_LIMIT ((size_t)1 << 40)
#define FILE_MAX_LIMIT ((size_t)1 << 30)
#define COMPACT_SUFFIX ".ipcx-compact"

/* sync=batch: fdatasync after this many changes, or at the first change
 * this long after the oldest unsynced one (docs: ipcx-file(7)). */
#define BATCH_COUNT 128u
#define BATCH_NS ((int64_t)100 * 1000000)

/* A drained log is truncated in place once this much is consumed. */
#define RESET_MIN ((uint64_t)256 << 10)
#define SPIN_TRIES 64

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static bool crc_hw;

static uint32_t crc_update_sw(uint32_t c, const uint8_t *p, size_t n);
#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_update_hw(uint32_t crc, const uint8_t *p, size_t n);
#endif

static void
crc_init(void)
{
	uint32_t c;
	int i, j, k;

	/* CRC-32C (Castagnoli), reflected polynomial 0x82F63B78. */
	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
			                  crc_table[0][crc_table[k - 1][i] & 0xff];
#if defined(__x86_64__)
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
	/* A known answer for both ways (the tests reach only one of them on
	 * a given machine): 67 bytes of i * 37 + 11, through the eight-byte
	 * loops and their tails. */
	{
		uint8_t v[67];
		for (i = 0; i < 67; i++)
			v[i] = (uint8_t)(i * 37 + 11);
		assert((crc_update_sw(0xffffffffu, v, sizeof(v)) ^ 0xffffffffu) == 0xf801c6e6u);
#if defined(__x86_64__)
		assert(!crc_hw ||
		       (crc_update_hw(0xffffffffu, v, sizeof(v)) ^ 0xffffffffu) == 0xf801c6e6u);
#endif
		(void)v;
	}
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_update_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc, v;

	while (n >= 8) {
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

/* Slicing by eight: the table form, eight bytes a step. */
static uint32_t
crc_update_sw(uint32_t c, const uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		                   (uint32_t)p[3] << 24);
		c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		    crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		    crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^
		    crc_table[0][p[7]];
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
	return c;
}

/* Running CRC-32C: start with CRC_START, feed with crc_update, finish
 * with crc_final (the usual ~0 pre- and post-conditioning). */
#define CRC_START 0xffffffffu

static uint32_t
crc_update(uint32_t c, const void *buf, size_t n)
{
	pthread_once(&crc_once, crc_init);
#if defined(__x86_64__)
	if (crc_hw)
		return crc_update_hw(c, buf, n);
#endif
	return crc_update_sw(c, buf, n);
}

static uint32_t
crc_final(uint32_t c)
{
	return c ^ 0xffffffffu;
}

static uint32_t
crc32c(const void *buf, size_t n)
{
	return crc_final(crc_update(CRC_START, buf, n));
}

/* The file is little-endian whatever the machine. */
static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t
rec_size(uint64_t len)
{
	return (REC_HDR + len + 7) & ~(uint64_t)7;
}

/* The fixed part of the header: what the log is. */
struct log_geom {
	uint64_t size;    /* the largest the file may grow */
	uint32_t max;     /* the largest payload */
	uint32_t sync;    /* the creator's sync=, as enum file_sync + 1; 0: not recorded */
	uint64_t created; /* CLOCK_REALTIME, ns */
};

/* A state slot: where the log stands. */
struct log_state {
	uint64_t gen;        /* bumped by every write; slot gen % 2 holds it */
	uint64_t read_off;   /* the first record not yet consumed */
	uint64_t read_seq;   /* its sequence number */
	uint64_t write_off;  /* one past the last committed record known */
	uint64_t write_seq;  /* the sequence number the next record gets */
	uint64_t synced_seq; /* records below this are known to be on disk */
	uint32_t claims;     /* borrows outstanding (a hint: never below the truth) */
	uint32_t done_ahead; /* records marked consumed past read_off (a hint) */
	uint8_t boot[16];    /* the boot (kernel boot_id) of the last write */
	uint32_t flags;      /* SLOT_FULL */
};

/* A sender found no room: every sender waits until space is reclaimed, so
 * small messages cannot starve a large one, and "full" is a state of the
 * log rather than of the message being sent. */
#define SLOT_FULL 1u

static void
geom_encode(const struct log_geom *g, uint8_t *out)
{
	memset(out, 0, LOG_FIXED_LEN);
	memcpy(out, LOG_MAGIC, 8);
	put32(out + 8, LOG_VERSION);
	put32(out + 12, LOG_DATA);
	put64(out + 16, g->size);
	put32(out + 24, g->max);
	put32(out + 28, g->sync);
	put64(out + 32, g->created);
	put32(out + 60, crc32c(out, 60));
}

static int
geom_decode(const uint8_t *in, struct log_geom *g, const char **why)
{
	if (memcmp(in, LOG_MAGIC, 8) != 0) {
		*why = "is not an ipcx log (no IPCXFLOG magic)";
		return -EPROTO;
	}
	if (get32(in + 60) != crc32c(in, 60)) {
		*why = "has a corrupt log header (checksum mismatch)";
		return -EPROTO;
	}
	if (get32(in + 8) != LOG_VERSION) {
		*why = "is a log of another version than this ipcx reads (1)";
		return -EPROTO;
	}
	g->size = get64(in + 16);
	g->max = get32(in + 24);
	g->sync = get32(in + 28);
	g->created = get64(in + 32);
	if (get32(in + 12) != LOG_DATA || g->max == 0 || g->max > FILE_MAX_LIMIT || g->sync > 3 ||
	    g->size > FILE_SIZE_LIMIT || g->size < LOG_DATA + rec_size(g->max)) {
		*why = "has an impossible log geometry";
		return -EPROTO;
	}
	return 0;
}

static void
slot_encode(const struct log_state *s, uint8_t *out)
{
	memset(out, 0, SLOT_LEN);
	put64(out, s->gen);
	put64(out + 8, s->read_off);
	put64(out + 16, s->read_seq);
	put64(out + 24, s->write_off);
	put64(out + 32, s->write_seq);
	put64(out + 40, s->synced_seq);
	put32(out + 48, s->claims);
	put32(out + 52, s->done_ahead);
	memcpy(out + 56, s->boot, 16);
	put32(out + 72, s->flags);
	put32(out + SLOT_LEN - 4, crc32c(out, SLOT_LEN - 4));
}

static bool
slot_decode(const uint8_t *in, struct log_state *s)
{
	if (get32(in + SLOT_LEN - 4) != crc32c(in, SLOT_LEN - 4))
		return false;
	s->gen = get64(in);
	s->read_off = get64(in + 8);
	s->read_seq = get64(in + 16);
	s->write_off = get64(in + 24);
	s->write_seq = get64(in + 32);
	s->synced_seq = get64(in + 40);
	s->claims = get32(in + 48);
	s->done_ahead = get32(in + 52);
	memcpy(s->boot, in + 56, 16);
	s->flags = get32(in + 72);
	return true;
}

/* What a slot with a good CRC must still satisfy before it is believed:
 * a hostile writer can compute CRCs too. */
static bool
state_sane(const struct log_geom *g, const struct log_state *s)
{
	return s->read_off >= LOG_DATA && s->read_off <= s->write_off &&
	       s->write_off <= g->size && (s->read_off & 7) == 0 && (s->write_off & 7) == 0 &&
	       s->read_seq >= 1 && s->read_seq <= s->write_seq && s->write_seq < SEQ_LIMIT;
}

/*
 * Before a slot is written: a log whose slot claimed other records than
 * the file holds (a hostile slot with a good CRC) is brought back in line
 * as the reader walks it.  Sequence numbers only ever move forward: stale
 * records are told from live ones by their sequence, so none may be reused.
 */
static void
state_normalize(struct log_state *s)
{
	if (s->read_seq > s->write_seq)
		s->write_seq = s->read_seq;
	if (s->read_off == s->write_off)
		s->read_seq = s->write_seq;
	if (s->synced_seq > s->write_seq)
		s->synced_seq = s->write_seq;
}

/* This boot, from /proc/sys/kernel/random/boot_id (zeros if unknown): a
 * slot written in another boot may describe data a power cut lost. */
static uint8_t boot_id[16];
static pthread_once_t boot_once = PTHREAD_ONCE_INIT;

static void
boot_init(void)
{
	char buf[64];
	ssize_t n;
	int fd, i = 0, hi = -1;

	fd = ipcx__open("/proc/sys/kernel/random/boot_id", O_RDONLY, 0);
	if (fd < 0)
		return;
	n = ipcx__read(fd, buf, sizeof(buf) - 1);
	ipcx__close(fd);
	for (ssize_t k = 0; k < n && i < 16; k++) {
		int c = buf[k], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			boot_id[i++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
}

static const uint8_t *
boot_self(void)
{
	pthread_once(&boot_once, boot_init);
	return boot_id;
}

static uint64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the channel ------------------------------------------------------ */

enum file_sync { SYNC_NONE, SYNC_BATCH, SYNC_ALWAYS };
static const char *const sync_names[3] = { "none", "batch", "always" };

struct file_chan {
	struct ipcx_chan base;
	char path[PATH_MAX];       /* absolute: a chdir cannot move the log */
	int fd;                    /* the log, O_RDWR; -1 */
	dev_t dev;                 /* the file fd refers to */
	ino_t ino;
	uint64_t fsize;            /* its size, as of the last refresh */
	struct log_geom geom;
	struct log_state st;       /* valid while locked */
	bool dirty;                /* st differs from the slot on disk */
	bool locked;
	enum file_sync sync;
	bool want_sync;            /* sync= given; else the log's recorded one */
	bool want_max, want_size;  /* max=, size= given: checked against the file */
	uint64_t size_opt;
	/* durability (see file_synced) */
	unsigned unsynced;         /* changes made since the last fdatasync */
	int64_t unsynced_since;
	uint64_t mark_seq;         /* write_seq when the last change was made */
	uint64_t synced_seq;       /* records below it are on disk, in file synced_ino */
	ino_t synced_ino;
	/* waiting */
	int ino_fd;                /* inotify instance; -1 until a wait needs it */
	int wd;                    /* its watch on fd's file; -1 */
	bool no_inotify;           /* unavailable: wait with back-off instead */
	int wait_step;
	int ready_fd;              /* eventfd: set while a message is known to wait */
	int poll_fd;               /* epoll set of ino_fd and ready_fd: ipcx_pollfd */
	bool ready;
	/* one borrowed record */
	uint8_t *bbuf;
	size_t bcap;
	bool borrowed;
	uint64_t bseq, boff;
};

static struct file_chan *
file_of(struct ipcx_chan *ch)
{
	return (struct file_chan *)ch;
}

/* A record's header, decoded, and the start of its payload: a small
 * message comes in the same pread as its header. */
#define REC_PEEK 512u

struct rec {
	uint64_t off;
	uint64_t size; /* header, payload and padding */
	uint64_t seq;
	uint64_t time;
	uint32_t len;
	uint32_t crc;
	uint32_t state;
	size_t have;   /* bytes of raw read: the header and have - REC_HDR of payload */
	uint8_t raw[REC_PEEK];
};

static int file_follow(struct ipcx_chan *ch);

/* ---- opening: check, create, join ------------------------------------- */

static size_t
file_uri_max(const struct ipcx_uri *uri)
{
	const char *v = ipcx__uri_get(uri, "max");
	size_t sz;

	if (v != NULL && ipcx__parse_size(v, FILE_MAX_LIMIT, &sz) == 0 && sz > 0)
		return sz;
	return FILE_DEFAULT_MAX;
}

/* The default size holds at least four largest messages. */
static uint64_t
file_default_size(size_t max)
{
	uint64_t need = LOG_DATA + 4 * rec_size(max);

	return need > FILE_DEFAULT_SIZE ? need : FILE_DEFAULT_SIZE;
}

/* c_check: the path, sync= and size=; touches nothing. */
static int
file_chan_check(const struct ipcx_uri *uri)
{
	const char *v;
	size_t sz, max = file_uri_max(uri);

	if (uri->address_len == 0)
		return ipcx__uri_invalid(-EINVAL, "file: needs a PATH");
	if (uri->address_len + sizeof(COMPACT_SUFFIX) >= PATH_MAX)
		return ipcx__uri_invalid(-ENAMETOOLONG, "file path longer than %zu bytes",
		                         PATH_MAX - sizeof(COMPACT_SUFFIX) - 1);
	v = ipcx__uri_get(uri, "sync");
	if (v != NULL && strcmp(v, "none") != 0 && strcmp(v, "batch") != 0 &&
	    strcmp(v, "always") != 0)
		return ipcx__uri_invalid(-EINVAL, "sync must be none, batch or always");
	v = ipcx__uri_get(uri, "size");
	if (v != NULL) {
		if (ipcx__parse_size(v, FILE_SIZE_LIMIT, &sz) < 0)
			return ipcx__uri_invalid(-EINVAL, "size must be a size up to 1T (K, M, G: "
			                                  "powers of two)");
		if (sz < LOG_DATA + rec_size(max))
			return ipcx__uri_invalid(-EINVAL,
			                         "size=%s cannot hold one message of max=%zu "
			                         "bytes (at least %llu)",
			                         v, max,
			                         (unsigned long long)(LOG_DATA + rec_size(max)));
	}
	return 0;
}

static int
file_setup(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	const char *v;
	size_t sz;
	int rc;

	f->fd = f->ino_fd = f->ready_fd = f->poll_fd = -1;
	f->wd = -1;
	f->wait_step = 1;
	rc = file_chan_check(&ch->uri);
	if (rc < 0)
		return rc;
	rc = ipcx__abs_path(ch->uri.address, f->path, sizeof(f->path) - sizeof(COMPACT_SUFFIX));
	if (rc < 0)
		return rc;
	v = ipcx__uri_get(&ch->uri, "sync");
	f->want_sync = v != NULL;
	f->sync = v == NULL || strcmp(v, "batch") == 0 ? SYNC_BATCH
	          : strcmp(v, "always") == 0           ? SYNC_ALWAYS
	                                               : SYNC_NONE;
	f->want_max = ipcx__uri_get(&ch->uri, "max") != NULL;
	v = ipcx__uri_get(&ch->uri, "size");
	f->want_size = v != NULL;
	if (v != NULL && ipcx__parse_size(v, FILE_SIZE_LIMIT, &sz) == 0)
		f->size_opt = sz;
	return 0;
}

/* A descriptor above stdio, or the error. */
static int
fd_fix(int fd)
{
	return fd < 0 ? -errno : ipcx__fd_above_stdio(fd);
}

/*
 * Open the log at path, never through a symbolic link, and check that it
 * is one: a regular file with a good header and a believable slot.  Reads
 * only, so a refused file is left byte for byte as it was.  Returns the
 * descriptor, or -ELOOP (a link), -EPROTO (not a log, or corrupt; errmsg
 * says why), -ENOENT, -EACCES.
 */
static int log_open_at(struct ipcx_chan *ch, const char *path, int oflags, struct log_geom *g,
                       struct stat *sb, struct log_state *ret_st);
static int lock_range(int fd, short type, off_t start, off_t len);

static int
log_open(struct ipcx_chan *ch, struct log_geom *g, struct stat *sb)
{
	return log_open_at(ch, file_of(ch)->path, O_RDWR, g, sb, NULL);
}

/* The same for path, opened with oflags (O_RDWR, O_RDONLY); errors are
 * said on ch (NULL: the thread's).  *ret_st: the slot in force. */
static int
log_open_at(struct ipcx_chan *ch, const char *path, int oflags, struct log_geom *g,
            struct stat *sb, struct log_state *ret_st)
{
	uint8_t hdr[LOG_FIXED_LEN + 2 * SLOT_LEN];
	struct log_state s[2];
	const char *why = NULL;
	bool ok[2];
	ssize_t n;
	int fd, rc, i;

	/* O_NONBLOCK: never hang opening a FIFO planted at the path. */
	fd = ipcx__open(path, oflags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
	if (fd == -ELOOP) {
		ipcx__set_errmsg(ch, "%s is a symbolic link; file: never follows one", path);
		return fd;
	}
	if (fd == -EISDIR) {
		ipcx__set_errmsg(ch, "%s is a directory, not an ipcx log", path);
		return -EPROTO;
	}
	if (fd < 0)
		return fd;
	if (fstat(fd, sb) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = -EPROTO;
	if (!S_ISREG(sb->st_mode)) {
		why = "is not a regular file";
		goto fail;
	}
	if ((uint64_t)sb->st_size < LOG_DATA) {
		n = ipcx__pread_full(fd, hdr, 8, 0);
		why = n == 8 && memcmp(hdr, LOG_MAGIC, 8) == 0 ? "is a log with a truncated header"
		                                                : "is not an ipcx log";
		goto fail;
	}
	/*
	 * The state is read without the lock, and other processes change it
	 * meanwhile: a slot being written, a log cut back and grown again
	 * between the fstat and the read.  What looks impossible is looked at
	 * again under a shared lock (held off writers for one read), so that
	 * a busy log is never taken for a corrupt one.
	 */
	for (int attempt = 0;; attempt++) {
		bool locked = false;

		if (attempt == 1) {
			for (int k = 0; k < 200 && !locked; k++) {
				struct timespec ts = { 0, 5000000 };
				locked = lock_range(fd, F_RDLCK, 0, 1) == 0;
				if (!locked)
					nanosleep(&ts, NULL);
			}
			/* A holder that never lets go (stopped): the first look stands. */
			if (!locked)
				goto fail;
			if (fstat(fd, sb) < 0) {
				rc = -errno;
				(void)lock_range(fd, F_UNLCK, 0, 1);
				goto fail;
			}
		}
		n = ipcx__pread_full(fd, hdr, sizeof(hdr), 0);
		if (n < 0) {
			rc = (int)n;
			if (locked)
				(void)lock_range(fd, F_UNLCK, 0, 1);
			goto fail;
		}
		why = NULL;
		if (geom_decode(hdr, g, &why) < 0) {
			if (locked)
				(void)lock_range(fd, F_UNLCK, 0, 1);
			goto fail; /* the fixed part never changes: no second look */
		}
		for (i = 0; i < 2; i++)
			ok[i] = slot_decode(hdr + SLOT_OFF(i), &s[i]);
		i = ok[0] && ok[1] ? (s[1].gen > s[0].gen) : ok[1];
		if (!ok[i])
			why = "has no readable state slot (both checksums fail)";
		else if (!state_sane(g, &s[i]))
			why = "has an impossible read or write position";
		else if (s[i].read_off > (uint64_t)sb->st_size)
			why = "is truncated below its read position";
		if (locked)
			(void)lock_range(fd, F_UNLCK, 0, 1);
		if (why == NULL)
			break;
		if (attempt == 1)
			goto fail;
	}
	if (ret_st != NULL)
		*ret_st = s[i];
	return fd;
fail:
	if (why != NULL)
		ipcx__set_errmsg(ch, "%s %s", path, why);
	ipcx__close(fd);
	return rc;
}

/* The geometry the URI asked for (explicit keys only) matches the file's. */
static bool
geom_matches(struct ipcx_chan *ch, const struct log_geom *g)
{
	struct file_chan *f = file_of(ch);

	if ((f->want_max && ch->max != g->max) || (f->want_size && f->size_opt != g->size)) {
		ipcx__set_errmsg(ch, "%s is a log with max=%u size=%llu", f->path, g->max,
		                 (unsigned long long)g->size);
		return false;
	}
	return true;
}

static void
file_adopt_fd(struct ipcx_chan *ch, int fd, const struct log_geom *g, const struct stat *sb)
{
	struct file_chan *f = file_of(ch);

	f->fd = fd;
	f->geom = *g;
	f->dev = sb->st_dev;
	f->ino = sb->st_ino;
	f->fsize = (uint64_t)sb->st_size;
	ch->max = g->max;
	/* A handle that does not say takes the durability the log was made
	 * with: it is the queue's promise, not one process's. */
	if (!f->want_sync && g->sync != 0)
		f->sync = (enum file_sync)(g->sync - 1);
}

/* fsync the directory holding path, so a link or rename in it survives a
 * power cut. */
static int
dir_sync(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = ipcx__open(dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	rc = fsync(fd) < 0 ? -errno : 0;
	ipcx__close(fd);
	return rc;
}

/* The header block of a new, empty log (or of a compacted one). */
static void
log_header_block(const struct log_geom *g, const struct log_state *s, uint8_t *block)
{
	memset(block, 0, LOG_DATA);
	geom_encode(g, block);
	slot_encode(s, block + SLOT_OFF(s->gen & 1));
}

/*
 * A new log appears at its path whole or not at all: it is written into an
 * unnamed file (O_TMPFILE; a named one beside the path where the filesystem
 * has none), given its mode with fchmod, synced, then linked to the path.
 * link(2) never replaces anything and never follows a symbolic link at the
 * path, so the creation is exclusive.  Returns the descriptor, -EEXIST when
 * something is at the path, or -errno.
 */
static int
log_make(struct ipcx_chan *ch, const struct log_geom *g)
{
	struct file_chan *f = file_of(ch);
	char dir[PATH_MAX], tmp[PATH_MAX + 32], proc[64];
	struct log_state s = { .read_off = LOG_DATA, .read_seq = 1, .write_off = LOG_DATA,
		               .write_seq = 1, .synced_seq = 1 };
	uint8_t *block;
	char *slash;
	bool named = false;
	int fd, rc;

	memcpy(s.boot, boot_self(), 16);
	snprintf(dir, sizeof(dir), "%s", f->path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	fd = ipcx__open(dir, O_TMPFILE | O_RDWR, 0600);
	if (fd == -EOPNOTSUPP || fd == -EISDIR || fd == -EINVAL) {
		snprintf(tmp, sizeof(tmp), "%s.ipcx-new-%d", f->path, (int)getpid());
		(void)unlink(tmp);
		fd = ipcx__open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		named = true;
	}
	if (fd < 0)
		return fd;
	block = malloc(LOG_DATA);
	if (block == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	log_header_block(g, &s, block);
	{
		struct iovec iov = { block, LOG_DATA };
		ssize_t w = ipcx__pwritev_full(fd, &iov, 1, 0);
		rc = w < 0 ? (int)w : 0;
	}
	free(block);
	if (rc == 0 && fchmod(fd, ch->mode) < 0)
		rc = -errno;
	if (rc == 0 && f->sync != SYNC_NONE)
		rc = ipcx__fdatasync(fd);
	if (rc < 0)
		goto fail;
	if (named) {
		rc = link(tmp, f->path) < 0 ? -errno : 0;
		(void)unlink(tmp);
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rc = linkat(AT_FDCWD, proc, AT_FDCWD, f->path, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
	}
	if (rc < 0) {
		ipcx__close(fd);
		return rc;
	}
	if (f->sync != SYNC_NONE)
		(void)dir_sync(f->path);
	return fd;
fail:
	if (named)
		(void)unlink(tmp);
	ipcx__close(fd);
	return rc;
}

static int
file_chan_create(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	struct log_geom g = { 0 };
	struct stat sb;
	int rc, fd;

	rc = file_setup(ch);
	if (rc < 0)
		return rc;
	g.max = (uint32_t)(ch->max != 0 ? ch->max : FILE_DEFAULT_MAX);
	g.size = f->want_size ? f->size_opt : file_default_size(g.max);
	g.created = realtime_ns();
	g.sync = (uint32_t)f->sync + 1;
	ch->max = g.max;
	fd = log_make(ch, &g);
	if (fd >= 0) {
		if (fstat(fd, &sb) < 0) {
			rc = -errno;
			ipcx__close(fd);
			return rc;
		}
		file_adopt_fd(ch, fd, &g, &sb);
		return 0;
	}
	if (fd != -EEXIST)
		return fd;
	/* Something is at the path: adopt our own log (a restarted service
	 * finds its queue), never anything else. */
	if ((ch->flags & IPCX_EXCL) || !ch->may_adopt)
		return -EEXIST;
	fd = log_open(ch, &g, &sb);
	if (fd < 0) {
		if (fd == -ELOOP || fd == -EPROTO)
			return -EEXIST; /* errmsg says what is there */
		return fd;
	}
	if (sb.st_uid != geteuid()) {
		ipcx__set_errmsg(ch, "%s is a log of uid %u; only its owner adopts it", f->path,
		                 (unsigned)sb.st_uid);
		ipcx__close(fd);
		return -EEXIST;
	}
	if (!geom_matches(ch, &g)) {
		ipcx__close(fd);
		return -EEXIST;
	}
	/* An adopted log keeps its mode unless mode= says otherwise. */
	if (ipcx__uri_get(&ch->uri, "mode") != NULL && fchmod(fd, ch->mode) < 0) {
		rc = -errno;
		ipcx__close(fd);
		return rc;
	}
	file_adopt_fd(ch, fd, &g, &sb);
	return 0;
}

static int
file_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	struct log_geom g;
	struct stat sb;
	int rc, fd;

	(void)deadline;
	rc = file_setup(ch);
	if (rc < 0)
		return rc;
	fd = log_open(ch, &g, &sb);
	if (fd < 0)
		return fd;
	if (!geom_matches(ch, &g)) {
		ipcx__close(fd);
		return -EINVAL;
	}
	file_adopt_fd(ch, fd, &g, &sb);
	return 0;
}

/* ---- the lock, refreshing the state, recovery ------------------------- */

static int
lock_range(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	int r;

	do
		r = fcntl(fd, F_OFD_SETLK, &fl);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

/* Whether another open file description holds a lock in [start, start+len). */
static int
lock_held_elsewhere(int fd, off_t start, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type != F_UNLCK;
}

/* The next state slot: the generation advanced, encoded into buf; returns
 * where it goes (the slots alternate, so a torn one leaves the other). */
static off_t
slot_next(struct file_chan *f, uint8_t *buf)
{
	state_normalize(&f->st);
	f->st.gen++;
	slot_encode(&f->st, buf);
	return (off_t)SLOT_OFF(f->st.gen & 1);
}

static int
slot_write(struct file_chan *f)
{
	uint8_t buf[SLOT_LEN];
	struct iovec iov = { buf, SLOT_LEN };
	ssize_t w;

	w = ipcx__pwritev_full(f->fd, &iov, 1, slot_next(f, buf));
	if (w < 0) {
		f->st.gen--;
		return (int)w;
	}
	f->dirty = false;
	return 0;
}

/*
 * Write the slot and have it on disk before returning, without forcing
 * out the rest of the file: pwritev2(RWF_DSYNC) makes only this write
 * durable (O_DSYNC semantics), whereas fdatasync would also write back the
 * records just consumed, which the caller is about to cut off anyway.
 * Where RWF_DSYNC is refused (an old kernel, a filesystem without it),
 * the plain write and fdatasync.
 */
static int
slot_write_durable(struct file_chan *f)
{
	uint8_t buf[SLOT_LEN];
	struct iovec iov = { buf, SLOT_LEN };
	off_t at = slot_next(f, buf);
	ssize_t w;

	do
		w = ipcx__sys.pwritev2(f->fd, &iov, 1, at, RWF_DSYNC);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)SLOT_LEN) {
		f->dirty = false;
		return 0;
	}
	f->st.gen--;
	if (w < 0 && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	/* Short, or no RWF_DSYNC: the whole slot again, then the file. */
	w = slot_write(f);
	return w < 0 ? (int)w : ipcx__fdatasync(f->fd);
}

/* Write the slot if it changed, then let go of the lock. */
static int
file_unlock(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	int rc = 0;

	if (!f->locked)
		return 0;
	if (f->dirty)
		rc = slot_write(f);
	f->dirty = false;
	f->locked = false;
	(void)lock_range(f->fd, F_UNLCK, 0, 1);
	if (rc < 0)
		ipcx__set_errmsg(ch, "cannot write the state of %s: %s", f->path,
		                 ipcx_strerror(rc));
	return rc;
}

static int rec_probe(struct file_chan *f, uint64_t off, uint64_t seq, uint64_t limit,
                     struct rec *r, bool check_crc);

/* From (*off, *seq), step over whole, valid records below limit. */
static int
log_scan(struct file_chan *f, uint64_t *off, uint64_t *seq, uint64_t limit)
{
	struct rec r;
	int rc;

	for (;;) {
		rc = rec_probe(f, *off, *seq, limit, &r, true);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return 0;
		*off += r.size;
		(*seq)++;
	}
}

/* Cut what follows the last committed record: a torn tail. */
static int
log_cut(struct file_chan *f, uint64_t end)
{
	int rc;

	if (f->fsize <= end)
		return 0;
	rc = ipcx__ftruncate(f->fd, (off_t)end);
	if (rc == 0)
		f->fsize = end;
	return rc;
}

/*
 * Make st.write_off the true end of the committed records.  Beyond it:
 * records of a sender that died before writing the slot (adopted) or a
 * torn one (cut).  Short of it (the file was cut, or a power cut lost the
 * tail): the records that are still whole are kept, from the read position.
 */
static int
log_recover_tail(struct file_chan *f)
{
	uint64_t off, seq;
	int rc;

	if (f->fsize >= f->st.write_off) {
		off = f->st.write_off;
		seq = f->st.write_seq;
	} else {
		off = f->st.read_off;
		seq = f->st.read_seq;
	}
	rc = log_scan(f, &off, &seq, f->fsize);
	if (rc < 0)
		return rc;
	if (off != f->st.write_off || seq != f->st.write_seq) {
		f->st.write_off = off;
		f->st.write_seq = seq;
		if (f->st.synced_seq > seq)
			f->st.synced_seq = seq;
		f->dirty = true;
	}
	return log_cut(f, off);
}

/*
 * The slot was written in another boot: a power cut may have lost or torn
 * what was not yet synced, even below st.write_off.  Walk the records from
 * the read position; if the first bad one is past everything known to be
 * on disk, what follows it was never synced: cut it.  A bad record among
 * synced ones is corruption, left for receivers to report.
 */
static int
log_recover_boot(struct file_chan *f)
{
	uint64_t off = f->st.read_off, seq = f->st.read_seq;
	int rc;

	rc = log_scan(f, &off, &seq, f->fsize);
	if (rc < 0)
		return rc;
	if (seq >= f->st.synced_seq || f->st.write_off > f->fsize) {
		f->st.write_off = off;
		f->st.write_seq = seq;
		if (f->st.synced_seq > seq)
			f->st.synced_seq = seq;
		rc = log_cut(f, off);
		if (rc < 0)
			return rc;
	} else if (f->fsize > f->st.write_off) {
		rc = log_recover_tail(f);
		if (rc < 0)
			return rc;
	}
	memcpy(f->st.boot, boot_self(), 16);
	f->dirty = true;
	return 0;
}

#define REFRESH_FOLLOW 1

/*
 * Under the lock: is fd still the log at the path (compaction renames a
 * new file over it, ipcx_unlink removes it)?  Then read the state and
 * repair what dead processes left.  Returns 0, REFRESH_FOLLOW, -EPROTO.
 */
static int
file_refresh(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	uint8_t buf[2 * SLOT_LEN];
	struct log_state s[2];
	struct stat sb, sp;
	bool ok[2];
	ssize_t n;
	int i;

	if (fstat(f->fd, &sb) < 0)
		return -errno;
	if (sb.st_nlink == 0)
		return REFRESH_FOLLOW;
	/* A second link: the rename may have left this name elsewhere. */
	if (sb.st_nlink > 1 &&
	    (lstat(f->path, &sp) < 0 || sp.st_dev != sb.st_dev || sp.st_ino != sb.st_ino))
		return REFRESH_FOLLOW;
	f->fsize = (uint64_t)sb.st_size;
	n = ipcx__pread_full(f->fd, buf, sizeof(buf), LOG_FIXED_LEN);
	if (n < 0)
		return (int)n;
	if ((size_t)n < sizeof(buf)) {
		ipcx__set_errmsg(ch, "%s is truncated inside its header", f->path);
		return -EPROTO;
	}
	for (i = 0; i < 2; i++)
		ok[i] = slot_decode(buf + SLOT_LEN * (size_t)i, &s[i]);
	i = ok[0] && ok[1] ? (s[1].gen > s[0].gen) : ok[1];
	if (!ok[i] || !state_sane(&f->geom, &s[i])) {
		ipcx__set_errmsg(ch, "%s: the log's state slots are corrupt", f->path);
		return -EPROTO;
	}
	if (s[i].read_off > f->fsize) {
		ipcx__set_errmsg(ch, "%s is truncated below its read position (offset %llu)",
		                 f->path, (unsigned long long)s[i].read_off);
		return -EPROTO;
	}
	f->st = s[i];
	f->dirty = false;
	if (memcmp(f->st.boot, boot_self(), 16) != 0) {
		int rc = log_recover_boot(f);
		if (rc < 0)
			return rc;
	} else if (f->fsize != f->st.write_off) {
		int rc = log_recover_tail(f);
		if (rc < 0)
			return rc;
	}
	/* What this channel synced since (file_synced) raises the mark. */
	if (f->synced_ino == f->ino && f->synced_seq > f->st.synced_seq &&
	    f->synced_seq <= f->st.write_seq)
		f->st.synced_seq = f->synced_seq;
	return 0;
}

/*
 * Sleep between tries of a busy lock: LOCK_SLEEP_MIN doubling to
 * LOCK_SLEEP_MAX, within the deadline, ended by ipcx_wake.  The ladder
 * starts far below ipcx__backoff's millisecond: a holder writing or reading
 * a large record keeps the lock for a few hundred microseconds, longer
 * than the yields last, and a first sleep of 1 ms cost a streaming
 * receiver most of its throughput.
 */
#define LOCK_SLEEP_MIN ((int64_t)50 * 1000)
#define LOCK_SLEEP_MAX ((int64_t)64 * 1000000)

static int
lock_backoff(struct ipcx_chan *ch, int64_t deadline, int64_t *step)
{
	int64_t now = ipcx__now_ns(), until;
	int rc;

	if (deadline != IPCX_DEADLINE_NEVER && deadline <= now)
		return ipcx__deadline_error(deadline);
	until = now + *step;
	if (deadline != IPCX_DEADLINE_NEVER && until > deadline)
		until = deadline;
	if (*step < LOCK_SLEEP_MAX)
		*step *= 2;
	rc = ipcx__wait_fd(ch, -1, 0, until);
	return rc == -ETIMEDOUT ? 0 : rc;
}

/*
 * Take the log's lock, with the state fresh.  F_OFD_SETLK is retried after
 * sched_yield() SPIN_TRIES times, then with lock_backoff until the
 * deadline (timeout 0 only spins).  Returns 0, -EAGAIN, -ETIMEDOUT,
 * -ECANCELED, -EINTR, -EPROTO, -ENOENT (the log was removed), -errno.
 */
static int
file_lock(struct ipcx_chan *ch, int64_t deadline)
{
	struct file_chan *f = file_of(ch);
	int64_t step = LOCK_SLEEP_MIN;
	int tries = 0, rc;

	for (;;) {
		rc = lock_range(f->fd, F_WRLCK, 0, 1);
		if (rc == 0) {
			f->locked = true;
			rc = file_refresh(ch);
			if (rc == 0)
				return 0;
			f->dirty = false;
			(void)file_unlock(ch);
			if (rc != REFRESH_FOLLOW)
				return rc;
			rc = file_follow(ch);
			if (rc < 0)
				return rc;
			tries = 0;
			continue;
		}
		if (rc != -EAGAIN && rc != -EACCES)
			return rc;
		if (++tries <= SPIN_TRIES) {
			sched_yield();
			continue;
		}
		if (deadline == IPCX_DEADLINE_NOW)
			return -EAGAIN;
		rc = lock_backoff(ch, deadline, &step);
		if (rc < 0)
			return rc;
	}
}

/* ---- records: probe, scan, corruption --------------------------------- */

static void
rec_decode(struct rec *r, uint64_t off)
{
	r->off = off;
	r->len = get32(r->raw + 4);
	r->seq = get64(r->raw + 8);
	r->time = get64(r->raw + 16);
	r->crc = get32(r->raw + 24);
	r->state = get32(r->raw + REC_STATE_OFF);
	r->size = rec_size(r->len);
}

/* The header fields of r are those of a record seq at r->off below limit. */
static bool
rec_plausible(const struct file_chan *f, const struct rec *r, uint64_t seq, uint64_t limit)
{
	return get32(r->raw) == REC_MAGIC && r->len <= f->geom.max && r->seq == seq &&
	       r->off + r->size <= limit && (r->state == 0 || r->state == REC_DONE);
}

/* CRC over the payload (in buf, or read from the file) then the header. */
static int
rec_crc_ok(struct file_chan *f, const struct rec *r, const void *payload)
{
	uint8_t chunk[16384];
	uint32_t c = CRC_START;
	uint64_t done = 0;

	if (payload != NULL) {
		c = crc_update(c, payload, r->len);
	} else {
		while (done < r->len) {
			size_t n = r->len - done < sizeof(chunk) ? (size_t)(r->len - done)
			                                         : sizeof(chunk);
			ssize_t got = ipcx__pread_full(f->fd, chunk, n,
			                               (off_t)(r->off + REC_HDR + done));
			if (got < 0)
				return (int)got;
			if ((size_t)got < n)
				return 0;
			c = crc_update(c, chunk, n);
			done += n;
		}
	}
	c = crc_update(c, r->raw, 24);
	return crc_final(c) == r->crc;
}

/*
 * Read the record header at off and check it is record seq lying whole
 * below limit (and, with check_crc, that its CRC holds).  Returns 0 with
 * *r filled, 1 when it is not (torn, garbage, past limit), or -errno.
 */
static int
rec_probe(struct file_chan *f, uint64_t off, uint64_t seq, uint64_t limit, struct rec *r,
          bool check_crc)
{
	ssize_t n;
	int rc;

	if (off + REC_HDR > limit)
		return 1;
	n = ipcx__pread_full(f->fd, r->raw,
	                     limit - off < REC_PEEK ? (size_t)(limit - off) : REC_PEEK, (off_t)off);
	if (n < 0)
		return (int)n;
	if (n < (ssize_t)REC_HDR)
		return 1;
	r->have = (size_t)n;
	rec_decode(r, off);
	if (!rec_plausible(f, r, seq, limit))
		return 1;
	if (check_crc) {
		rc = rec_crc_ok(f, r, NULL);
		if (rc <= 0)
			return rc < 0 ? rc : 1;
	}
	return 0;
}

/*
 * The first valid record after a corrupt one at off (sequence seq):
 * the one its length points to if that holds, else the first aligned
 * offset with a valid record of a later sequence, else the write position.
 * Read in chunks, so a long stretch of garbage costs few system calls.
 */
static int
log_resync(struct file_chan *f, uint64_t off, uint64_t seq, uint64_t *ret_off, uint64_t *ret_seq)
{
	static const size_t chunk = 65536;
	uint64_t end = f->st.write_off, pos;
	struct rec r;
	uint8_t *buf;
	int rc;

	rc = rec_probe(f, off, seq, end, &r, false);
	if (rc == 0 && rec_probe(f, off + r.size, seq + 1, end, &r, true) == 0) {
		*ret_off = r.off;
		*ret_seq = seq + 1;
		return 0;
	}
	buf = malloc(chunk);
	if (buf == NULL)
		return -ENOMEM;
	for (pos = off + 8; pos + REC_HDR <= end; pos += chunk - REC_HDR) {
		size_t want = end - pos < chunk ? (size_t)(end - pos) : chunk;
		ssize_t n = ipcx__pread_full(f->fd, buf, want, (off_t)pos);
		size_t i;

		if (n < 0) {
			free(buf);
			return (int)n;
		}
		for (i = 0; i + REC_HDR <= (size_t)n; i += 8) {
			uint64_t cseq;
			if (get32(buf + i) != REC_MAGIC)
				continue;
			cseq = get64(buf + i + 8);
			if (cseq <= seq || cseq >= f->st.write_seq)
				continue;
			if (rec_probe(f, pos + i, cseq, end, &r, true) == 0) {
				free(buf);
				*ret_off = pos + i;
				*ret_seq = cseq;
				return 0;
			}
		}
		if ((size_t)n < want || pos + (size_t)n >= end)
			break;
	}
	free(buf);
	*ret_off = end;
	*ret_seq = f->st.write_seq;
	return 0;
}

/*
 * A record that cannot be delivered (bad header, bad CRC, short) at off.
 * At the read position it is skipped with whatever garbage follows it up
 * to the next valid record; further on (past borrowed records) it is left
 * for when the read position reaches it.  Either way the caller reports
 * -EPROTO and ipcx_errmsg names the offset.
 */
static int
log_corrupt(struct ipcx_chan *ch, uint64_t off, uint64_t seq)
{
	struct file_chan *f = file_of(ch);
	uint64_t noff = 0, nseq = 0;
	int rc;

	if (off != f->st.read_off) {
		ipcx__set_errmsg(ch, "%s: record %llu at offset %llu is corrupt", f->path,
		                 (unsigned long long)seq, (unsigned long long)off);
		return -EPROTO;
	}
	rc = log_resync(f, off, seq, &noff, &nseq);
	if (rc < 0)
		return rc;
	ipcx__set_errmsg(ch,
	                 "%s: record %llu at offset %llu is corrupt; skipped %llu record(s), "
	                 "resuming at offset %llu",
	                 f->path, (unsigned long long)seq, (unsigned long long)off,
	                 (unsigned long long)(nseq - seq), (unsigned long long)noff);
	f->st.read_off = noff;
	f->st.read_seq = nseq;
	f->dirty = true;
	return -EPROTO;
}

/* Borrowed by another channel (its claim lock is held), or by this one. */
static int
rec_claimed(struct file_chan *f, uint64_t seq)
{
	if (f->borrowed && f->bseq == seq)
		return 1;
	return lock_held_elsewhere(f->fd, CLAIM_BASE + (off_t)seq, 1);
}

/*
 * The next record a receiver may take: at or after the read position, not
 * consumed, not borrowed.  Consumed records at the head move the read
 * position on.  Returns 0 with *r, 1 when there is none, -EPROTO (a
 * corrupt record; see log_corrupt), or -errno.
 */
static int
log_next(struct ipcx_chan *ch, struct rec *r)
{
	struct file_chan *f = file_of(ch);
	uint64_t off, seq;
	bool head = true, claims;
	int rc;

	claims = f->borrowed || f->st.claims > 0;
	if (f->st.claims > 0) {
		/* Borrowers that died leave the hint high: the locks tell. */
		rc = lock_held_elsewhere(f->fd, CLAIM_BASE, 0);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			f->st.claims = f->borrowed ? 1 : 0;
			f->dirty = true;
			claims = f->borrowed;
		}
	}
	off = f->st.read_off;
	seq = f->st.read_seq;
	while (off < f->st.write_off) {
		rc = rec_probe(f, off, seq, f->st.write_off, r, false);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return log_corrupt(ch, off, seq);
		if (r->state == REC_DONE) {
			if (head) {
				f->st.read_off = off + r->size;
				f->st.read_seq = seq + 1;
				if (f->st.done_ahead > 0)
					f->st.done_ahead--;
				f->dirty = true;
			}
		} else {
			rc = claims ? rec_claimed(f, seq) : 0;
			if (rc < 0)
				return rc;
			if (rc == 0)
				return 0;
			head = false;
		}
		off += r->size;
		seq++;
	}
	return 1;
}

/*
 * Whether ipcx_pollfd should say "readable": a record is there to take (or
 * a corrupt one to report).  Changes nothing, so that saying it never
 * swallows what a receive would report.
 */
static bool
log_peek(struct file_chan *f)
{
	uint64_t off = f->st.read_off, seq = f->st.read_seq;
	struct rec r;

	if (off >= f->st.write_off)
		return false;
	if (!f->borrowed && f->st.claims == 0 && f->st.done_ahead == 0)
		return true;
	for (; off < f->st.write_off; off += r.size, seq++) {
		if (rec_probe(f, off, seq, f->st.write_off, &r, false) != 0)
			return true;
		if (r.state != REC_DONE && rec_claimed(f, seq) != 1)
			return true;
	}
	return false;
}

/* Record r was delivered: move the read position over it, or mark it. */
static int
log_consume(struct file_chan *f, const struct rec *r)
{
	struct rec n;
	uint8_t done[4];
	struct iovec iov = { done, 4 };
	ssize_t w;

	f->dirty = true;
	if (r->off != f->st.read_off) {
		put32(done, REC_DONE);
		w = ipcx__pwritev_full(f->fd, &iov, 1, (off_t)(r->off + REC_STATE_OFF));
		if (w < 0)
			return (int)w;
		f->st.done_ahead++;
		return 0;
	}
	f->st.read_off += r->size;
	f->st.read_seq++;
	while (f->st.done_ahead > 0 &&
	       rec_probe(f, f->st.read_off, f->st.read_seq, f->st.write_off, &n, false) == 0 &&
	       n.state == REC_DONE) {
		f->st.read_off += n.size;
		f->st.read_seq++;
		f->st.done_ahead--;
	}
	return 0;
}

/* ---- waiting and readiness -------------------------------------------- */

/*
 * Watch fd's file (the inode, through /proc, not whatever is at the path
 * now).  Made at the first wait, not at open: closing an inotify instance
 * waits for the kernel's SRCU grace period (milliseconds), which a channel
 * that never waits should not pay.  The caller looks again after this, so
 * a change between its look and the watch is not missed.  Without inotify
 * (no instance left), waits fall back to back-off.
 */
static int
file_watch(struct file_chan *f)
{
	char proc[64];
	int fd, wd;

	if (f->no_inotify)
		return 0;
	if (f->ino_fd < 0) {
		fd = fd_fix(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOSYS) {
			f->no_inotify = true;
			return 0;
		}
		if (fd < 0)
			return fd;
		f->ino_fd = fd;
	}
	if (f->wd < 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
		wd = inotify_add_watch(f->ino_fd, proc,
		                       IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
		if (wd < 0) {
			if (errno == ENOSPC || errno == ENOENT) {
				f->no_inotify = true;
				return 0;
			}
			return -errno;
		}
		f->wd = wd;
	}
	return 0;
}

static void
file_drain(struct file_chan *f)
{
	char buf[4096] __attribute__((aligned(8)));

	if (f->ino_fd < 0)
		return;
	while (ipcx__read(f->ino_fd, buf, sizeof(buf)) > 0)
		;
}

/* Sleep until the file changes, the deadline, a wake-up or a signal. */
static int
file_wait(struct ipcx_chan *ch, int64_t deadline)
{
	struct file_chan *f = file_of(ch);
	int rc;

	if (deadline == IPCX_DEADLINE_NOW)
		return -EAGAIN;
	if (f->ino_fd >= 0 && f->wd >= 0) {
		rc = ipcx__wait_fd(ch, f->ino_fd, POLLIN, deadline);
		return rc < 0 ? rc : 0;
	}
	rc = ipcx__backoff(ch, deadline, &f->wait_step);
	if (f->wait_step > 64)
		f->wait_step = 64;
	return rc;
}

static void
ready_set(struct file_chan *f, bool on)
{
	uint64_t v = 1;

	if (f->ready_fd < 0 || f->ready == on)
		return;
	if (on)
		(void)!write(f->ready_fd, &v, sizeof(v));
	else
		(void)!read(f->ready_fd, &v, sizeof(v));
	f->ready = on;
}

/*
 * Under the lock, at the end of an operation: say on ipcx_pollfd whether a
 * message waits.  The slot is written and inotify drained first, so this
 * channel's own writes do not make its descriptor readable, and any change
 * after the lock is released does.
 */
static void
file_update_ready(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);

	if (f->poll_fd < 0)
		return;
	/* A failed write leaves dirty set, for file_unlock to report. */
	if (f->dirty)
		(void)slot_write(f);
	file_drain(f);
	ready_set(f, log_peek(f));
}

/* ---- durability ------------------------------------------------------- */

static int
file_datasync(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	int rc;

	rc = ipcx__fdatasync(f->fd);
	if (rc < 0) {
		ipcx__set_errmsg(ch, "fdatasync of %s: %s", f->path, ipcx_strerror(rc));
		return rc;
	}
	f->unsynced = 0;
	f->synced_seq = f->mark_seq;
	f->synced_ino = f->ino;
	return 0;
}

/*
 * After a change (a record written, one consumed), outside the lock, so
 * that fdatasync calls of many processes overlap.  always: now.  batch:
 * the BATCH_COUNT-th change, or the first one BATCH_NS after the oldest
 * unsynced one.  none: never (the kernel's writeback).
 */
static int
file_synced(struct ipcx_chan *ch, uint64_t mark_seq)
{
	struct file_chan *f = file_of(ch);
	int64_t now;

	if (f->sync == SYNC_NONE)
		return 0;
	f->mark_seq = mark_seq;
	if (f->sync == SYNC_ALWAYS)
		return file_datasync(ch);
	now = ipcx__now_ns();
	if (f->unsynced++ == 0)
		f->unsynced_since = now;
	if (f->unsynced >= BATCH_COUNT || now - f->unsynced_since >= BATCH_NS)
		return file_datasync(ch);
	return 0;
}

/* ---- reclaiming: reset and compaction --------------------------------- */

/*
 * A drained log: cut it back to its header, in place.  The slot goes
 * first, and to disk first when durability is asked for: otherwise a power
 * cut could keep the cut and lose the slot, leaving a read position past
 * the end of the file (refused as corrupt), or, once new records are
 * written over the consumed ones, a synced-looking record that is not
 * there.  With the slot on disk, a crash between the two leaves a slot at
 * the start of a longer file, whose stale records have old sequence
 * numbers and are cut as a torn tail.  Only the slot is synced: the
 * consumed records are dropped by the cut without ever being written back.
 */
static int
log_reset(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	int rc;

	f->st.read_off = f->st.write_off = LOG_DATA;
	f->st.done_ahead = 0;
	f->st.flags &= ~SLOT_FULL;
	rc = f->sync != SYNC_NONE ? slot_write_durable(f) : slot_write(f);
	if (rc == 0)
		rc = log_cut(f, LOG_DATA);
	return rc;
}

/* Copy [from, from + len) of src to dst at to. */
static int
copy_range(int src, uint64_t from, int dst, uint64_t to, uint64_t len)
{
	uint8_t *buf = NULL;
	int rc = 0;

	while (len > 0) {
		loff_t in = (loff_t)from, out = (loff_t)to;
		ssize_t n = copy_file_range(src, &in, dst, &out, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		from += (uint64_t)n;
		to += (uint64_t)n;
		len -= (uint64_t)n;
	}
	/* No copy_file_range here (another filesystem, an old kernel): copy. */
	while (len > 0 && rc == 0) {
		size_t want = len < 65536 ? (size_t)len : 65536;
		ssize_t n;
		if (buf == NULL && (buf = malloc(65536)) == NULL)
			return -ENOMEM;
		n = ipcx__pread_full(src, buf, want, (off_t)from);
		if (n < (ssize_t)want) {
			rc = n < 0 ? (int)n : -EIO;
			break;
		}
		{
			struct iovec iov = { buf, want };
			ssize_t w = ipcx__pwritev_full(dst, &iov, 1, (off_t)to);
			if (w < 0)
				rc = (int)w;
		}
		from += want;
		to += want;
		len -= want;
	}
	free(buf);
	return rc;
}

/*
 * Compact: copy the records not yet consumed into PATH.ipcx-compact, sync
 * it, lock it, and rename it over PATH.  The slot of the old file is
 * written first, so a crash at any point leaves either the old file whole
 * at the path or the new one.  Runs with the lock held and leaves the
 * channel locked on the new file.  Skipped (0) while records are borrowed:
 * claims are locks on the old file that the new one would not have.
 */
static int
log_compact(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	char tmp[PATH_MAX + sizeof(COMPACT_SUFFIX)];
	struct log_state ns;
	struct stat sb;
	uint8_t *block;
	uint64_t live = f->st.write_off - f->st.read_off;
	int nfd, rc;

	/* The hint may be stale; the claim locks are the truth. */
	if (f->borrowed || lock_held_elsewhere(f->fd, CLAIM_BASE, 0) != 0)
		return 0;
	if (fstat(f->fd, &sb) < 0 || sb.st_uid != geteuid())
		return 0; /* the new file would change owner: only the owner compacts */
	if (f->dirty) {
		rc = slot_write(f);
		if (rc < 0)
			return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s" COMPACT_SUFFIX, f->path);
	/* We hold the lock, so any file there is a dead compactor's. */
	(void)unlink(tmp);
	nfd = ipcx__open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (nfd < 0)
		return nfd;
	ns = f->st;
	ns.gen++;
	ns.read_off = LOG_DATA;
	ns.write_off = LOG_DATA + live;
	ns.claims = 0;
	ns.flags &= ~SLOT_FULL;
	ns.synced_seq = f->sync != SYNC_NONE ? ns.write_seq : ns.read_seq;
	memcpy(ns.boot, boot_self(), 16);
	rc = -ENOMEM;
	block = malloc(LOG_DATA);
	if (block != NULL) {
		struct iovec iov = { block, LOG_DATA };
		ssize_t w;
		log_header_block(&f->geom, &ns, block);
		w = ipcx__pwritev_full(nfd, &iov, 1, 0);
		rc = w < 0 ? (int)w : 0;
		free(block);
	}
	if (rc == 0 && fchmod(nfd, sb.st_mode & 07777) < 0)
		rc = -errno;
	if (rc == 0)
		rc = copy_range(f->fd, f->st.read_off, nfd, LOG_DATA, live);
	if (rc == 0 && f->sync != SYNC_NONE)
		rc = ipcx__fdatasync(nfd);
	/* Nobody else can have it open yet: this cannot fail, and it holds
	 * off whoever opens the new path until the rename is durable. */
	if (rc == 0)
		rc = lock_range(nfd, F_WRLCK, 0, 1);
	if (rc == 0)
		rc = ipcx__sys.renameat(AT_FDCWD, tmp, AT_FDCWD, f->path) < 0 ? -errno : 0;
	if (rc < 0) {
		(void)unlink(tmp);
		ipcx__close(nfd);
		return rc;
	}
	if (f->sync != SYNC_NONE)
		(void)dir_sync(f->path);
	/* Waiters on the old file get its lock, find it unlinked and follow
	 * the path here.  Unlock explicitly: a forked child may share this
	 * open file description, and a close would then release nothing. */
	if (f->wd >= 0) {
		(void)inotify_rm_watch(f->ino_fd, f->wd);
		f->wd = -1;
	}
	(void)lock_range(f->fd, F_UNLCK, 0, 1);
	ipcx__close(f->fd);
	f->fd = nfd;
	(void)fstat(nfd, &sb);
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->fsize = (uint64_t)sb.st_size;
	f->st = ns;
	f->dirty = false;
	if (f->ino_fd >= 0)
		(void)file_watch(f);
	return 0;
}

/*
 * Under the lock, after a record was consumed or when a sender needs room
 * (need > 0): reclaim what is consumed when it pays.  An empty log is cut
 * in place once RESET_MIN is consumed; a backlog is compacted when the
 * consumed part outweighs it and is an eighth of the size, or when the log
 * is full and a quarter is consumed, so copying stays within a few times
 * the bytes reclaimed.  Failures leave the log as it was (and are ignored:
 * reclaiming is never what the caller asked for).
 */
static void
file_reclaim(struct ipcx_chan *ch, uint64_t need)
{
	struct file_chan *f = file_of(ch);
	uint64_t dead = f->st.read_off - LOG_DATA, live = f->st.write_off - f->st.read_off;
	uint64_t size = f->geom.size;
	bool full = need > 0 && ((f->st.flags & SLOT_FULL) || f->st.write_off + need > size);

	if (dead == 0)
		return;
	if (live == 0) {
		if (dead >= RESET_MIN || full)
			(void)log_reset(ch);
		return;
	}
	if ((dead >= live && dead >= size / 8) || (full && dead >= size / 4))
		(void)log_compact(ch);
}

/* ---- send, receive, borrow, release ----------------------------------- */

static ssize_t
file_chan_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct file_chan *f = file_of(ch);
	static const uint8_t zeros[8];
	uint8_t hdr[REC_HDR];
	struct iovec v[16];
	uint64_t total = 0, need, seq;
	uint32_t crc = CRC_START;
	ssize_t w;
	int i, rc;

	if (iovcnt < 0 || iovcnt > 14)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		total += iov[i].iov_len;
		crc = crc_update(crc, iov[i].iov_base, iov[i].iov_len);
		v[i + 1] = iov[i];
	}
	if (total > f->geom.max)
		return -EMSGSIZE;
	need = rec_size(total);
	for (;;) {
		rc = file_lock(ch, deadline);
		if (rc < 0)
			return rc;
		if ((f->st.flags & SLOT_FULL) || f->st.write_off + need > f->geom.size)
			file_reclaim(ch, need);
		if (!(f->st.flags & SLOT_FULL) && f->st.write_off + need <= f->geom.size)
			break;
		if (!(f->st.flags & SLOT_FULL)) {
			f->st.flags |= SLOT_FULL;
			f->dirty = true;
		}
		/* Full: wait for receivers to make room.  The watch is set up
		 * before the next look, so no change is missed. */
		if (deadline != IPCX_DEADLINE_NOW && f->wd < 0 && !f->no_inotify) {
			(void)file_unlock(ch);
			rc = file_watch(f);
			if (rc < 0)
				return rc;
			continue;
		}
		file_drain(f);
		(void)file_unlock(ch);
		rc = file_wait(ch, deadline);
		if (rc < 0)
			return rc;
	}
	seq = f->st.write_seq;
	memset(hdr, 0, sizeof(hdr));
	put32(hdr, REC_MAGIC);
	put32(hdr + 4, (uint32_t)total);
	put64(hdr + 8, seq);
	put64(hdr + 16, realtime_ns());
	put32(hdr + 24, crc_final(crc_update(crc, hdr, 24)));
	v[0].iov_base = hdr;
	v[0].iov_len = REC_HDR;
	v[iovcnt + 1].iov_base = (void *)zeros;
	v[iovcnt + 1].iov_len = need - REC_HDR - total;
	w = ipcx__pwritev_full(f->fd, v, iovcnt + 2, (off_t)f->st.write_off);
	if (w < 0) {
		/* Take back what part of it went in. */
		(void)ipcx__ftruncate(f->fd, (off_t)f->st.write_off);
		(void)file_unlock(ch);
		ipcx__set_errmsg(ch, "cannot append to %s: %s", f->path, ipcx_strerror((int)w));
		return w;
	}
	f->st.write_off += need;
	f->st.write_seq++;
	f->fsize = f->st.write_off;
	f->dirty = true;
	rc = file_unlock(ch);
	/* The record is committed whatever the slot write said. */
	(void)rc;
	rc = file_synced(ch, seq + 1);
	return rc < 0 ? rc : (ssize_t)total;
}

static int
file_grow_bbuf(struct file_chan *f, size_t len)
{
	uint8_t *p;

	if (len <= f->bcap && f->bbuf != NULL)
		return 0;
	p = realloc(f->bbuf, len ? len : 1);
	if (p == NULL)
		return -ENOMEM;
	f->bbuf = p;
	f->bcap = len;
	return 0;
}

/*
 * Receive into buf, or borrow: into the channel's buffer, claimed until
 * ipcx_release.  Returns the length, or -EMSGSIZE (stays queued),
 * -EPROTO (a corrupt record, skipped; errmsg), -EAGAIN, -ETIMEDOUT,
 * -ECANCELED, -EINTR, -ENOENT (the log was removed).
 */
static ssize_t
file_take(struct ipcx_chan *ch, void *buf, size_t cap, bool borrow, int64_t deadline)
{
	struct file_chan *f = file_of(ch);
	uint8_t *dst;
	struct rec r;
	ssize_t n;
	int rc;

	for (;;) {
		bool watch;

		file_drain(f);
		rc = file_lock(ch, deadline);
		if (rc < 0)
			return rc;
		rc = log_next(ch, &r);
		if (rc == 0)
			break;
		watch = deadline != IPCX_DEADLINE_NOW && f->wd < 0 && !f->no_inotify;
		file_update_ready(ch);
		(void)file_unlock(ch);
		if (rc < 0)
			return rc;
		/* The first wait: watch, then look again before sleeping. */
		rc = watch ? file_watch(f) : file_wait(ch, deadline);
		if (rc < 0)
			return rc;
	}
	if (!borrow && r.len > cap) {
		/* A lying length must not pass for a large message. */
		rc = rec_crc_ok(f, &r, NULL);
		if (rc == 0)
			rc = log_corrupt(ch, r.off, r.seq);
		if (rc < 0)
			goto out;
		ipcx__set_errmsg(ch, "message of %u bytes does not fit in %zu", r.len, cap);
		rc = -EMSGSIZE;
		goto out;
	}
	if (borrow) {
		rc = file_grow_bbuf(f, r.len);
		if (rc < 0)
			goto out;
		dst = f->bbuf;
	} else {
		dst = buf;
	}
	if (r.len <= r.have - REC_HDR) {
		if (r.len > 0) /* dst may be NULL for an empty message */
			memcpy(dst, r.raw + REC_HDR, r.len);
		n = r.len;
	} else {
		n = ipcx__pread_full(f->fd, dst, r.len, (off_t)(r.off + REC_HDR));
	}
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	rc = (size_t)n == r.len ? rec_crc_ok(f, &r, dst) : 0;
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = log_corrupt(ch, r.off, r.seq);
		goto out;
	}
	if (borrow) {
		rc = lock_range(f->fd, F_WRLCK, CLAIM_BASE + (off_t)r.seq, 1);
		if (rc < 0)
			goto out;
		f->st.claims++;
		f->dirty = true;
		f->borrowed = true;
		f->bseq = r.seq;
		f->boff = r.off;
	} else {
		rc = log_consume(f, &r);
		if (rc < 0)
			goto out;
		file_reclaim(ch, 0);
	}
	file_update_ready(ch);
	rc = file_unlock(ch);
	if (rc < 0 && !borrow)
		return rc; /* not recorded as consumed: it will come again */
	if (!borrow)
		(void)file_synced(ch, f->st.write_seq);
	return (ssize_t)r.len;
out:
	file_update_ready(ch);
	(void)file_unlock(ch);
	return rc;
}

static ssize_t
file_chan_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
               int64_t deadline)
{
	(void)info;
	return file_take(ch, buf, cap, false, deadline);
}

static ssize_t
file_chan_borrow(struct ipcx_chan *ch, const void **ret_ptr, size_t *ret_len, int64_t deadline)
{
	struct file_chan *f = file_of(ch);
	ssize_t n;

	if (f->borrowed) {
		ipcx__set_errmsg(ch, "a borrowed message is not released yet");
		return -EBUSY;
	}
	n = file_take(ch, NULL, 0, true, deadline);
	if (n >= 0) {
		*ret_ptr = f->bbuf;
		*ret_len = (size_t)n;
	}
	return n;
}

/* Consume the borrowed record; may block for the lock (a stopped holder:
 * until ipcx_wake, -ECANCELED, and the borrow stays). */
static int
file_chan_release(struct ipcx_chan *ch, const void *ptr)
{
	struct file_chan *f = file_of(ch);
	struct rec r;
	int rc;

	if (!f->borrowed || ptr != f->bbuf)
		return -EINVAL;
	rc = file_lock(ch, IPCX_DEADLINE_NEVER);
	if (rc < 0)
		return rc;
	/* Compaction waits for borrows, so the record is where it was, unless
	 * the log was removed and made anew. */
	rc = rec_probe(f, f->boff, f->bseq, f->st.write_off, &r, false);
	if (rc == 0 && r.state == 0 && f->boff >= f->st.read_off)
		rc = log_consume(f, &r);
	else if (rc >= 0) {
		ipcx__set_errmsg(ch, "%s: the borrowed record is gone (the log was replaced)",
		                 f->path);
		rc = -ENOENT;
	}
	if (f->st.claims > 0) {
		f->st.claims--;
		f->dirty = true;
	}
	f->borrowed = false;
	if (rc == 0 && f->dirty)
		rc = slot_write(f);
	/* The claim goes only once the consumption is on record. */
	(void)lock_range(f->fd, F_UNLCK, CLAIM_BASE + (off_t)f->bseq, 1);
	if (rc == 0)
		file_reclaim(ch, 0);
	file_update_ready(ch);
	if (file_unlock(ch) < 0 && rc == 0)
		rc = -EIO;
	if (rc == 0)
		(void)file_synced(ch, f->st.write_seq);
	return rc;
}

/* ---- close, unlink, stat, the descriptor ------------------------------ */

/* The log at the path is not the one fd holds (compaction replaced it, or
 * it was removed): open what is there now. */
static int
file_follow(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	struct log_geom g;
	struct stat sb;
	int fd;

	fd = log_open(ch, &g, &sb);
	if (fd == -ENOENT) {
		ipcx__set_errmsg(ch, "%s was removed", f->path);
		return fd;
	}
	if (fd < 0)
		return fd;
	if (g.max != f->geom.max || g.size != f->geom.size) {
		ipcx__set_errmsg(ch, "%s was replaced by a log of another geometry", f->path);
		ipcx__close(fd);
		return -EPROTO;
	}
	if (f->borrowed) {
		/* The claim was a lock on the old file; the record is gone. */
		f->borrowed = false;
	}
	if (f->wd >= 0) {
		(void)inotify_rm_watch(f->ino_fd, f->wd);
		f->wd = -1;
	}
	ipcx__close(f->fd);
	file_adopt_fd(ch, fd, &g, &sb);
	if (f->ino_fd >= 0)
		return file_watch(f);
	return 0;
}

static int
file_chan_pollfd(struct ipcx_chan *ch)
{
	struct file_chan *f = file_of(ch);
	struct epoll_event ev = { .events = EPOLLIN };
	int rc, fd;

	if (f->poll_fd >= 0)
		return f->poll_fd;
	rc = file_watch(f);
	if (rc < 0)
		return rc;
	if (f->no_inotify) {
		ipcx__set_errmsg(ch, "no inotify instance left for ipcx_pollfd");
		return -EMFILE;
	}
	if (f->ready_fd < 0) {
		fd = fd_fix(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
		if (fd < 0)
			return fd;
		f->ready_fd = fd;
	}
	fd = fd_fix(epoll_create1(EPOLL_CLOEXEC));
	if (fd < 0)
		return fd;
	ev.data.fd = f->ino_fd;
	if (epoll_ctl(fd, EPOLL_CTL_ADD, f->ino_fd, &ev) < 0 ||
	    (ev.data.fd = f->ready_fd, epoll_ctl(fd, EPOLL_CTL_ADD, f->ready_fd, &ev) < 0)) {
		rc = -errno;
		ipcx__close(fd);
		return rc;
	}
	f->poll_fd = fd;
	if (file_lock(ch, IPCX_DEADLINE_NOW) == 0) {
		file_update_ready(ch);
		(void)file_unlock(ch);
	} else {
		ready_set(f, true); /* busy: a hint that something is happening */
	}
	return f->poll_fd;
}

static void
file_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct file_chan *f = file_of(ch);
	bool forked = getpid() != ch->opener_pid;
	struct stat sb;

	/* sync=batch: what this channel changed goes to disk now. */
	if (!forked && f->fd >= 0 && f->unsynced > 0)
		(void)ipcx__fdatasync(f->fd);
	if (remove && !forked && f->fd >= 0 && lstat(f->path, &sb) == 0 && sb.st_dev == f->dev &&
	    sb.st_ino == f->ino)
		(void)unlink(f->path);
	/* Closing releases the lock and any claim (a borrowed record goes to
	 * the next receiver).  A forked child's close leaves the parent's:
	 * OFD locks belong to the open file description they share. */
	ipcx__close(f->fd);
	ipcx__close(f->ino_fd);
	ipcx__close(f->ready_fd);
	ipcx__close(f->poll_fd);
	f->fd = f->ino_fd = f->ready_fd = f->poll_fd = -1;
	free(f->bbuf);
	f->bbuf = NULL;
	f->borrowed = false;
}

/*
 * Remove the log, and a compaction's leftover.  Only an ipcx log is
 * removed (-EPROTO and nothing touched otherwise).  The log's lock is
 * taken first, if it can be within about a second, so that no compaction
 * renames a new file into place after the removal.
 */
static int
file_chan_unlink(const struct ipcx_uri *uri)
{
	char path[PATH_MAX], tmp[PATH_MAX + sizeof(COMPACT_SUFFIX)];
	uint8_t hdr[LOG_FIXED_LEN];
	struct log_geom g;
	const char *why = NULL;
	struct stat sb, sp;
	int fd, rc, i;

	rc = file_chan_check(uri);
	if (rc < 0)
		return rc;
	rc = ipcx__abs_path(uri->address, path, sizeof(path) - sizeof(COMPACT_SUFFIX));
	if (rc < 0)
		return rc;
	fd = ipcx__open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0);
	if (fd == -ELOOP) {
		ipcx__set_errmsg(NULL, "%s is a symbolic link, not an ipcx log", path);
		return -EPROTO;
	}
	if (fd < 0)
		return fd;
	/* An ipcx log of any version, however damaged its state, is ipcx's
	 * to remove; anything else is not. */
	rc = -EPROTO;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    ipcx__pread_full(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    (geom_decode(hdr, &g, &why) < 0 && get32(hdr + 60) != crc32c(hdr, 60))) {
		ipcx__set_errmsg(NULL, "%s %s; not removed", path, why ? why : "is not an ipcx log");
		ipcx__close(fd);
		return rc;
	}
	for (i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10000000 };
		if (lock_range(fd, F_RDLCK, 0, 1) == 0)
			break;
		nanosleep(&ts, NULL);
	}
	rc = 0;
	if (lstat(path, &sp) < 0)
		rc = -errno;
	else if (sp.st_dev != sb.st_dev || sp.st_ino != sb.st_ino)
		rc = -EBUSY; /* replaced while we looked */
	else if (unlink(path) < 0)
		rc = -errno;
	snprintf(tmp, sizeof(tmp), "%s" COMPACT_SUFFIX, path);
	if (rc == 0)
		(void)unlink(tmp);
	ipcx__close(fd);
	if (rc == -EBUSY)
		ipcx__set_errmsg(NULL, "%s changed while it was being removed; try again", path);
	return rc;
}

static int
file_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out, size_t outlen)
{
	char abs[PATH_MAX];
	int rc, n;

	/* An open channel names the file it opened, whatever chdir came since. */
	if (ch != NULL && file_of(ch)->path[0] != '\0') {
		snprintf(abs, sizeof(abs), "%s", file_of(ch)->path);
	} else {
		rc = ipcx__abs_path(uri->address, abs, sizeof(abs));
		if (rc < 0)
			return rc;
	}
	n = snprintf(out, outlen, "file:%s", abs);
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
file_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct file_chan *f = file_of(ch);
	struct stat sb;

	if (fstat(f->fd, &sb) == 0) {
		st->mode = sb.st_mode & 07777;
		st->owner_uid = sb.st_uid;
		st->has_owner = 1;
	}
	snprintf(st->sync, sizeof(st->sync), "%s", sync_names[f->sync]);
	st->log_limit = f->geom.size;
	/* A busy log is waited for a little (a stopped holder: queued stays
	 * unknown), so that stat of a queue at work still says where it is. */
	if (file_lock(ch, ipcx__deadline_from_ms(200)) == 0) {
		uint64_t q = f->st.write_seq - f->st.read_seq, off = f->st.read_off;
		uint64_t seq = f->st.read_seq;
		struct rec r;

		st->queued = (long)(q > f->st.done_ahead ? q - f->st.done_ahead : 0);
		st->queued_unit = 0;
		st->has_log = 1;
		st->queued_bytes = f->st.write_off - f->st.read_off;
		st->read_pos = f->st.read_off;
		st->log_bytes = f->fsize;
		/* The oldest queued one: the first not marked consumed. */
		while (off < f->st.write_off &&
		       rec_probe(f, off, seq, f->st.write_off, &r, false) == 0) {
			if (r.state != REC_DONE) {
				st->oldest_ns = r.time > 0 && r.time <= INT64_MAX ? (int64_t)r.time : 1;
				break;
			}
			off += r.size;
			seq++;
		}
		(void)file_unlock(ch);
	}
	return 0;
}

/*
 * A problem met without the lock at (off, seq), below the write position:
 * corruption, or a receiver that consumed or reset that part while we
 * read?  Decided under a shared lock (writers are held off for as long as
 * one probe takes).  Returns 1 corrupt, 0 consumed under us (the snapshot
 * ends here), 2 whole after all, or -errno.
 */
static int
records_confirm(struct file_chan *f, uint64_t off, uint64_t seq, struct rec *r)
{
	uint8_t buf[2 * SLOT_LEN];
	struct log_state s[2];
	struct stat sb;
	bool ok[2], locked = false;
	int i, rc;

	for (i = 0; i < 200 && !locked; i++) {
		struct timespec ts = { 0, 5000000 };
		locked = lock_range(f->fd, F_RDLCK, 0, 1) == 0;
		if (!locked)
			nanosleep(&ts, NULL);
	}
	/* A holder that does not let go (a stopped process): what we saw
	 * stands, unconfirmed. */
	rc = 1;
	if (!locked)
		return rc;
	if (fstat(f->fd, &sb) < 0 || ipcx__pread_full(f->fd, buf, sizeof(buf), LOG_FIXED_LEN) !=
	                                     (ssize_t)sizeof(buf)) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < 2; i++)
		ok[i] = slot_decode(buf + SLOT_LEN * (size_t)i, &s[i]);
	i = ok[0] && ok[1] ? (s[1].gen > s[0].gen) : ok[1];
	if (!ok[i] || s[i].read_seq > seq) {
		rc = 0;
		goto out;
	}
	f->fsize = (uint64_t)sb.st_size;
	if (s[i].write_off > f->st.write_off) {
		f->st.write_off = s[i].write_off;
		f->st.write_seq = s[i].write_seq;
	}
	rc = rec_probe(f, off, seq, f->fsize, r, true);
	rc = rc < 0 ? rc : rc == 0 ? 2 : 1;
out:
	(void)lock_range(f->fd, F_UNLCK, 0, 1);
	return rc;
}

/* ipcx_records: walk a log read-only, as a receive would see it. */
static int
file_chan_records(const struct ipcx_uri *uri, ipcx_record_fn fn, void *arg)
{
	struct ipcx_record_view v;
	struct file_chan *f;
	struct stat sb;
	uint8_t *pay = NULL;
	size_t pcap = 0;
	uint64_t off, seq;
	struct rec r;
	int rc, fd, again = 0;

	rc = file_chan_check(uri);
	if (rc < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->fd = -1;
	rc = ipcx__abs_path(uri->address, f->path, sizeof(f->path) - sizeof(COMPACT_SUFFIX));
	if (rc < 0)
		goto out;
	fd = log_open_at(NULL, f->path, O_RDONLY, &f->geom, &sb, &f->st);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	f->fd = fd;
	f->fsize = (uint64_t)sb.st_size;
	off = f->st.read_off;
	seq = f->st.read_seq;
	while (off < f->fsize) {
		memset(&v, 0, sizeof(v));
		rc = rec_probe(f, off, seq, f->fsize, &r, false);
		if (rc < 0)
			goto out;
		if (rc == 0 && r.len > pcap) {
			uint8_t *p = realloc(pay, r.len);
			if (p == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			pay = p;
			pcap = r.len;
		}
		if (rc == 0 && r.len > r.have - REC_HDR) {
			if (ipcx__pread_full(f->fd, pay, r.len, (off_t)(off + REC_HDR)) !=
			    (ssize_t)r.len)
				rc = 1;
		} else if (rc == 0 && r.len > 0) {
			memcpy(pay, r.raw + REC_HDR, r.len);
		}
		if (rc == 0) {
			rc = rec_crc_ok(f, &r, pay);
			if (rc < 0)
				goto out;
			rc = rc ? 0 : 1;
		}
		if (rc > 0) {
			uint64_t noff, nseq;
			/* Past the write position: a torn tail or a sender
			 * still writing, never a message. */
			if (off >= f->st.write_off)
				break;
			rc = records_confirm(f, off, seq, &r);
			if (rc < 0)
				goto out;
			if (rc == 2 && ++again > 3)
				rc = 1; /* whole under the lock, never outside: say so */
			if (rc == 0)
				break;
			if (rc == 1) {
				rc = log_resync(f, off, seq, &noff, &nseq);
				if (rc < 0)
					goto out;
				v.seq = seq;
				v.offset = off;
				v.len = (size_t)(noff - off);
				v.state = IPCX_RECORD_CORRUPT;
				rc = fn(&v, arg);
				if (rc != 0)
					goto out;
				off = noff;
				seq = nseq;
				continue;
			}
			continue; /* whole after all: read it again */
		}
		again = 0;
		if (r.state != REC_DONE) {
			v.seq = seq;
			v.offset = off;
			v.sent_ns = r.time <= INT64_MAX ? (int64_t)r.time : INT64_MAX;
			v.len = r.len;
			v.data = r.len > 0 ? pay : NULL;
			v.state = lock_held_elsewhere(f->fd, CLAIM_BASE + (off_t)seq, 1) == 1
			                  ? IPCX_RECORD_BORROWED
			                  : IPCX_RECORD_QUEUED;
			rc = fn(&v, arg);
			if (rc != 0)
				goto out;
		}
		off += r.size;
		seq++;
	}
	rc = 0;
out:
	free(pay);
	if (f->fd >= 0)
		ipcx__close(f->fd);
	free(f);
	return rc;
}

static const struct ipcx_chan_ops file_ops = {
	.c_create = file_chan_create,
	.c_join = file_chan_join,
	.c_send = file_chan_send,
	.c_recv = file_chan_recv,
	.c_pollfd = file_chan_pollfd,
	.c_close = file_chan_close,
	.c_unlink = file_chan_unlink,
	.c_stat = file_chan_stat,
	.c_canonical = file_chan_canonical,
	.c_borrow = file_chan_borrow,
	.c_release = file_chan_release,
	.c_check = file_chan_check,
	.c_records = file_chan_records,
};

static const char *const file_keys[] = { "mode", "max", "sync", "size", NULL };

const struct ipcx_transport ipcx__file_transport = {
	.t_scheme = "file",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct file_chan),
	.t_caps = IPCX_CAP_MESSAGE | IPCX_CAP_POLLABLE | IPCX_CAP_KEPT | IPCX_CAP_NAMED |
	          IPCX_CAP_MANY_RECV | IPCX_CAP_LOAN,
	.t_keys = file_keys,
	.t_ops = &file_ops,
	.t_default_max = FILE_DEFAULT_MAX,
	.t_summary = "message log in a regular file (durable)",
	.t_address = "PATH",
	.t_sample = "file:{dir}/log",
};
