/* SPDX-License-Identifier: MIT */
/*
 * file_test.c - the durable log, "file:PATH" (ipcx-file(7)).
 *
 * The log is checked from outside with a reader of its own, written from
 * docs/wire-format.md (bitwise CRC-32C, no code shared with the library),
 * so the documented format is the one on disk.  Then: kept by default,
 * adoption and geometry, foreign and corrupt files refused and left byte
 * for byte untouched, corrupt records reported with their offset and
 * skipped, a torn tail cut at every byte offset, recovery after a reboot,
 * borrow/release, the sync= policy counted at the system-call table, a lock
 * held by a stopped process and released by a dead one, removal under an
 * open channel, compaction followed by another process, a full log, and
 * many writers and readers in separate processes with every byte checked
 * and every message delivered exactly once while the log is compacted.
 * IPCX_STRESS=1 scales the last one to a million messages (make stress).
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "os/sys.h"

#define LONG_MS 30000
#define LOG_DATA 4096u
#define REC_HDR 32u
#define REC_MAGIC 0x52435849u
#define REC_DONE 0x454e4f44u

/* ---- an independent reader of the documented format ------------------- */

static uint32_t
t_crc_update(uint32_t c, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	int k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
	}
	return c;
}

static uint32_t
t_crc(const void *buf, size_t n)
{
	return t_crc_update(0xffffffffu, buf, n) ^ 0xffffffffu;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void
set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
set64(uint8_t *p, uint64_t v)
{
	set32(p, (uint32_t)v);
	set32(p + 4, (uint32_t)(v >> 32));
}

struct t_slot {
	uint64_t gen, read_off, read_seq, write_off, write_seq, synced_seq;
	uint32_t claims, done_ahead, flags;
	int index;
};

/* The slot in force: the one with a good CRC and the higher generation. */
static bool
t_slot(const uint8_t *file, struct t_slot *s)
{
	bool ok[2];
	struct t_slot v[2];
	int i;

	for (i = 0; i < 2; i++) {
		const uint8_t *p = file + 64 + 96 * i;
		ok[i] = le32(p + 92) == t_crc(p, 92);
		v[i].gen = le64(p);
		v[i].read_off = le64(p + 8);
		v[i].read_seq = le64(p + 16);
		v[i].write_off = le64(p + 24);
		v[i].write_seq = le64(p + 32);
		v[i].synced_seq = le64(p + 40);
		v[i].claims = le32(p + 48);
		v[i].done_ahead = le32(p + 52);
		v[i].flags = le32(p + 72);
		v[i].index = i;
	}
	if (!ok[0] && !ok[1])
		return false;
	i = ok[0] && ok[1] ? (v[1].gen > v[0].gen) : ok[1];
	*s = v[i];
	return true;
}

/* Rewrite the slot in force as s, in the other slot, with a higher gen. */
static void
t_put_slot(uint8_t *file, const struct t_slot *s, const uint8_t *boot)
{
	uint64_t gen = s->gen + 1;
	uint8_t *p = file + 64 + 96 * (gen & 1);

	memset(p, 0, 96);
	set64(p, gen);
	set64(p + 8, s->read_off);
	set64(p + 16, s->read_seq);
	set64(p + 24, s->write_off);
	set64(p + 32, s->write_seq);
	set64(p + 40, s->synced_seq);
	set32(p + 48, s->claims);
	set32(p + 52, s->done_ahead);
	if (boot != NULL)
		memcpy(p + 56, boot, 16);
	set32(p + 72, s->flags);
	set32(p + 92, t_crc(p, 92));
}

static uint64_t
t_rec_size(uint64_t len)
{
	return (REC_HDR + len + 7) & ~(uint64_t)7;
}

/* The record's CRC as documented: payload, then header bytes 0..23. */
static uint32_t
t_rec_crc(const uint8_t *rec)
{
	uint32_t len = le32(rec + 4);
	uint32_t c = t_crc_update(0xffffffffu, rec + REC_HDR, len);

	return t_crc_update(c, rec, 24) ^ 0xffffffffu;
}

static uint8_t *
read_all(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0)
		IPCX_TEST_FAILF("open %s: %s", path, strerror(errno));
	buf = ipcx_test_malloc((size_t)sb.st_size);
	if (read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		IPCX_TEST_FAILF("read %s", path);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static void
write_all(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		IPCX_TEST_FAILF("open %s: %s", path, strerror(errno));
	ipcx_test_write_full(fd, buf, len);
	close(fd);
}

/* The path of a file: URI (no query). */
static void
uri_path(const char *uri, char *out, size_t outlen)
{
	const char *q = strchr(uri, '?');
	size_t n = q ? (size_t)(q - uri) - 5 : strlen(uri) - 5;

	ASSERT_LT(n, outlen);
	memcpy(out, uri + 5, n);
	out[n] = '\0';
}

/* ---- helpers ---------------------------------------------------------- */

static void
send_seed(ipcx_chan *ch, size_t n, uint32_t seed)
{
	uint8_t *buf = ipcx_test_malloc(n);

	ipcx_test_fill(buf, n, seed);
	IPCX_PASS(ipcx_send(ch, buf, n, LONG_MS));
	free(buf);
}

static void
recv_seed(ipcx_chan *ch, size_t n, uint32_t seed)
{
	uint8_t *buf = ipcx_test_malloc(n + 16);
	ssize_t r = ipcx_recv(ch, buf, n + 16, LONG_MS);

	if (r < 0)
		IPCX_TEST_FAILF("recv (seed %u) -> %s (%s)", seed, ipcx_errname((int)r),
		                ipcx_errmsg(ch));
	ASSERT_EQ(r, (ssize_t)n);
	if (!ipcx_test_check(buf, n, seed))
		IPCX_TEST_FAILF("message %u has wrong bytes", seed);
	free(buf);
}

static void
expect_empty(ipcx_chan *ch)
{
	uint8_t buf[16];

	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), 0), -EAGAIN);
}

/* ---- kept by default, and what the descriptor says --------------------- */

static void
test_kept_by_default(void)
{
	const char *uri = ipcx_test_uri("file", NULL);
	struct ipcx_scheme_info info;
	char path[PATH_MAX];
	struct stat sb;
	ipcx_chan *a, *b;

	IPCX_PASS(ipcx_scheme_info("file", &info));
	ASSERT_TRUE(info.caps & IPCX_SCHEME_KEPT);
	ASSERT_TRUE(info.caps & IPCX_SCHEME_NAMED);
	ASSERT_TRUE(info.caps & IPCX_SCHEME_MESSAGE);
	ASSERT_TRUE(info.caps & IPCX_SCHEME_MANY_RECV);
	ASSERT_TRUE(info.caps & IPCX_SCHEME_POLLFD);
	ASSERT_TRUE(!(info.caps & IPCX_SCHEME_STREAM));
	ASSERT_TRUE(!(info.caps & IPCX_SCHEME_EOF));
	ASSERT_EQ(info.default_max, 1 << 20);
	ASSERT_STREQ(info.sample, "file:{dir}/log");

	uri_path(uri, path, sizeof(path));
	IPCX_PASS(ipcx_create(&a, uri, 0));
	ipcx_test_send_str(a, "one");
	ipcx_close(a);
	/* The creator's close removed nothing: file and registry entry stay. */
	ASSERT_EQ(stat(path, &sb), 0);
	ASSERT_EQ(ipcx_test_registry_count(), 1);
	IPCX_PASS(ipcx_join(&b, uri, 0));
	ipcx_test_recv_str(b, "one");
	ipcx_close(b);
	ASSERT_EQ(stat(path, &sb), 0);
	IPCX_PASS(ipcx_unlink(uri));
	ASSERT_TRUE(stat(path, &sb) < 0 && errno == ENOENT);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
	IPCX_FAIL(ipcx_unlink(uri), -ENOENT);
	IPCX_FAIL(ipcx_join(&b, uri, 0), -ENOENT);
}

/* ---- the documented format -------------------------------------------- */

static void
test_format_documented(void)
{
	const char *uri = ipcx_test_uri("file", "sync=none&max=4K&size=1M");
	static const size_t sizes[3] = { 0, 5, 1000 };
	char path[PATH_MAX];
	uint8_t *file, buf[1100];
	const void *bp;
	size_t len, bl, off;
	struct t_slot s;
	ipcx_chan *a, *b;
	int i;

	uri_path(uri, path, sizeof(path));
	IPCX_PASS(ipcx_create(&a, uri, 0));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	for (i = 0; i < 3; i++)
		send_seed(a, sizes[i], 100 + (uint32_t)i);
	file = read_all(path, &len);
	/* The fixed header. */
	ASSERT_MEMEQ(file, "IPCXFLOG", 8);
	ASSERT_EQ(le32(file + 8), 1);
	ASSERT_EQ(le32(file + 12), LOG_DATA);
	ASSERT_EQ(le64(file + 16), 1 << 20);
	ASSERT_EQ(le32(file + 24), 4096);
	ASSERT_EQ(le32(file + 60), t_crc(file, 60));
	/* The slot. */
	ASSERT_TRUE(t_slot(file, &s));
	ASSERT_EQ(s.read_off, LOG_DATA);
	ASSERT_EQ(s.read_seq, 1);
	ASSERT_EQ(s.write_seq, 4);
	ASSERT_EQ(s.write_off, LOG_DATA + t_rec_size(0) + t_rec_size(5) + t_rec_size(1000));
	ASSERT_EQ(len, s.write_off);
	/* The records. */
	for (i = 0, off = LOG_DATA; i < 3; i++) {
		const uint8_t *r = file + off;
		ASSERT_EQ(le32(r), REC_MAGIC);
		ASSERT_EQ(le32(r + 4), sizes[i]);
		ASSERT_EQ(le64(r + 8), (uint64_t)i + 1);
		ASSERT_TRUE(le64(r + 16) > 1600000000ull * 1000000000ull); /* send time, ns */
		ASSERT_EQ(le32(r + 24), t_rec_crc(r));
		ASSERT_EQ(le32(r + 28), 0);
		ASSERT_TRUE(ipcx_test_check(r + REC_HDR, sizes[i], 100 + (uint32_t)i));
		for (size_t k = REC_HDR + sizes[i]; k < t_rec_size(sizes[i]); k++)
			ASSERT_EQ(r[k], 0); /* padding */
		off += t_rec_size(sizes[i]);
	}
	free(file);
	/* Receiving moves the shared read position. */
	recv_seed(b, 0, 100);
	file = read_all(path, &len);
	ASSERT_TRUE(t_slot(file, &s));
	ASSERT_EQ(s.read_off, LOG_DATA + t_rec_size(0));
	ASSERT_EQ(s.read_seq, 2);
	free(file);
	/* A record consumed while an earlier one is borrowed gets the mark. */
	ASSERT_EQ(ipcx_recv_borrow(a, &bp, &bl, LONG_MS), 5);
	ASSERT_EQ(bl, 5);
	ASSERT_TRUE(ipcx_test_check(bp, 5, 101));
	ASSERT_EQ(ipcx_recv(b, buf, sizeof(buf), LONG_MS), 1000);
	file = read_all(path, &len);
	ASSERT_TRUE(t_slot(file, &s));
	ASSERT_EQ(s.read_seq, 2);
	ASSERT_EQ(s.claims, 1);
	ASSERT_EQ(s.done_ahead, 1);
	ASSERT_EQ(le32(file + LOG_DATA + t_rec_size(0) + t_rec_size(5) + 28), REC_DONE);
	free(file);
	IPCX_PASS(ipcx_release(a, bp));
	file = read_all(path, &len);
	ASSERT_TRUE(t_slot(file, &s));
	ASSERT_EQ(s.read_seq, 4);
	ASSERT_EQ(s.claims, 0);
	ASSERT_EQ(s.done_ahead, 0);
	free(file);
	ipcx_close(a);
	ipcx_close(b);
}

/* ---- URIs ------------------------------------------------------------- */

static void
test_uri_checks(void)
{
	char big[PATH_MAX + 64];
	ipcx_chan *ch = NULL;

	IPCX_PASS(ipcx_uri_check("file:/tmp/x"));
	IPCX_PASS(ipcx_uri_check("file:rel/x?sync=always&size=1G&max=64K&mode=0660"));
	IPCX_PASS(ipcx_uri_check("file:/tmp/x?sync=none&size=8K&max=1K"));
	IPCX_FAIL(ipcx_uri_check("file:"), -EINVAL);
	IPCX_FAIL(ipcx_uri_check("file:/tmp/x?sync=sometimes"), -EINVAL);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "sync") != NULL);
	IPCX_FAIL(ipcx_uri_check("file:/tmp/x?size=lots"), -EINVAL);
	IPCX_FAIL(ipcx_uri_check("file:/tmp/x?size=2T"), -EINVAL);
	/* The default max (1M) cannot fit in 64K. */
	IPCX_FAIL(ipcx_uri_check("file:/tmp/x?size=64K"), -EINVAL);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "max=") != NULL);
	IPCX_FAIL(ipcx_uri_check("file:/tmp/x?framing=line"), -EINVAL);
	IPCX_FAIL(ipcx_uri_check("file:/tmp/x?slots=4"), -EINVAL);
	memset(big, 'a', sizeof(big));
	memcpy(big, "file:/", 6);
	big[PATH_MAX] = '\0';
	IPCX_FAIL(ipcx_uri_check(big), -ENAMETOOLONG);
	/* Nothing was made by a refused URI. */
	char uri[600];
	snprintf(uri, sizeof(uri), "file:%s/x?size=1K", ipcx_test_dir);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -EINVAL);
	ASSERT_TRUE(ch == NULL);
	snprintf(uri, sizeof(uri), "%s/x", ipcx_test_dir);
	ASSERT_TRUE(access(uri, F_OK) < 0);
}

/* ---- adoption and geometry -------------------------------------------- */

static void
test_adopt_and_geometry(void)
{
	const char *uri = ipcx_test_uri("file", "size=1M&max=4K");
	char path[PATH_MAX], other[PATH_MAX + 32];
	struct ipcx_stat st;
	ipcx_chan *a, *b;

	uri_path(uri, path, sizeof(path));
	IPCX_PASS(ipcx_create(&a, uri, 0));
	ipcx_test_send_str(a, "kept");
	ipcx_close(a);
	/* A restarted creator adopts its log, messages and all. */
	IPCX_PASS(ipcx_create(&a, uri, 0));
	ipcx_test_recv_str(a, "kept");
	ipcx_close(a);
	IPCX_FAIL(ipcx_create(&a, uri, IPCX_EXCL), -EEXIST);
	snprintf(other, sizeof(other), "file:%s?size=2M&max=4K", path);
	IPCX_FAIL(ipcx_create(&a, other, 0), -EEXIST);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "size=1048576") != NULL);
	snprintf(other, sizeof(other), "file:%s?max=8K", path);
	IPCX_FAIL(ipcx_join(&b, other, 0), -EINVAL);
	/* Keys left out take the file's geometry. */
	snprintf(other, sizeof(other), "file:%s", path);
	IPCX_PASS(ipcx_join(&b, other, 0));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_EQ(st.max_msg, 4096);
	ASSERT_STREQ(st.scheme, "file");
	ASSERT_TRUE(strncmp(st.uri, "file:/", 6) == 0);
	ASSERT_EQ(st.mode, 0600);
	ASSERT_EQ(st.queued, 0);
	{
		uint8_t big[5000] = { 0 };
		IPCX_FAIL(ipcx_send(b, big, sizeof(big), 0), -EMSGSIZE);
	}
	ipcx_close(b);
	IPCX_PASS(ipcx_unlink(uri));
}

/* mode= is applied with fchmod, whatever the umask. */
static void
test_mode(void)
{
	const char *uri = ipcx_test_uri("file", "mode=0640");
	char path[PATH_MAX];
	struct stat sb;
	ipcx_chan *a;
	mode_t old = umask(077);

	uri_path(uri, path, sizeof(path));
	IPCX_PASS(ipcx_create(&a, uri, 0));
	umask(old);
	ASSERT_EQ(stat(path, &sb), 0);
	ASSERT_EQ(sb.st_mode & 07777, 0640);
	ipcx_close(a);
}

/* ---- foreign and corrupt files ---------------------------------------- */

/* A good log's bytes, made by the library, with three records. */
static uint8_t *
good_log(const char *dir, size_t *len)
{
	char uri[700], path[600];
	ipcx_chan *a;
	uint8_t *b;

	snprintf(path, sizeof(path), "%s/good", dir);
	snprintf(uri, sizeof(uri), "file:%s?sync=none&max=4K&size=1M", path);
	IPCX_PASS(ipcx_create(&a, uri, 0));
	for (uint32_t k = 1; k <= 3; k++)
		send_seed(a, 100, k);
	ipcx_close(a);
	b = read_all(path, len);
	IPCX_PASS(ipcx_unlink(uri));
	return b;
}

enum bad_kind { BAD_TEXT, BAD_EMPTY, BAD_SHORT_HEADER, BAD_HEADER_CRC, BAD_VERSION, BAD_SLOTS,
	        BAD_SLOT_INSANE, BAD_BELOW_READ, NBAD };

static const char *const bad_names[NBAD] = { "text", "empty", "truncated header",
	                                     "header CRC", "version", "both slots",
	                                     "impossible slot", "cut below read position" };

static void
test_foreign_files_untouched(void)
{
	size_t glen, len, blen;
	uint8_t *good = good_log(ipcx_test_dir, &glen), *before, *after;
	char path[600], uri[700], target[600];
	struct t_slot s;
	ipcx_chan *ch = NULL;
	struct stat sb;
	int k;

	snprintf(path, sizeof(path), "%s/victim", ipcx_test_dir);
	snprintf(uri, sizeof(uri), "file:%s", path);
	for (k = 0; k < NBAD; k++) {
		before = ipcx_test_malloc(glen + 64);
		memcpy(before, good, glen);
		blen = glen;
		switch (k) {
		case BAD_TEXT:
			blen = (size_t)snprintf((char *)before, glen, "just some text\n%s\n",
			                        "not a log at all");
			break;
		case BAD_EMPTY:
			blen = 0;
			break;
		case BAD_SHORT_HEADER:
			blen = 200;
			break;
		case BAD_HEADER_CRC:
			before[20] ^= 0x40;
			break;
		case BAD_VERSION:
			set32(before + 8, 2);
			set32(before + 60, t_crc(before, 60));
			break;
		case BAD_SLOTS:
			before[64 + 3] ^= 1;
			before[160 + 3] ^= 1;
			break;
		case BAD_SLOT_INSANE:
			ASSERT_TRUE(t_slot(before, &s));
			s.read_off = s.write_off + 8;
			t_put_slot(before, &s, NULL);
			break;
		case BAD_BELOW_READ:
			ASSERT_TRUE(t_slot(before, &s));
			s.read_off = LOG_DATA + t_rec_size(100) * 2;
			s.read_seq = 3;
			t_put_slot(before, &s, NULL);
			blen = LOG_DATA + t_rec_size(100);
			break;
		}
		write_all(path, before, blen);
		IPCX_FAIL(ipcx_join(&ch, uri, 0), -EPROTO);
		if (ipcx_errmsg(NULL)[0] == '\0')
			IPCX_TEST_FAILF("%s: no reason given", bad_names[k]);
		IPCX_FAIL(ipcx_create(&ch, uri, 0), -EEXIST);
		ASSERT_TRUE(ch == NULL);
		/* What has no intact ipcx log header is not ipcx's to remove. */
		if (k == BAD_TEXT || k == BAD_EMPTY || k == BAD_HEADER_CRC)
			IPCX_FAIL(ipcx_unlink(uri), -EPROTO);
		after = read_all(path, &len);
		if (len != blen || memcmp(before, after, len) != 0)
			IPCX_TEST_FAILF("%s: the file was changed", bad_names[k]);
		free(after);
		free(before);
		if (k == BAD_TEXT || k == BAD_EMPTY || k == BAD_HEADER_CRC)
			ASSERT_EQ(unlink(path), 0);
		else
			IPCX_PASS(ipcx_unlink(uri)); /* a damaged log is still a log */
	}

	/* A symbolic link planted at the path is never followed. */
	snprintf(target, sizeof(target), "%s/target", ipcx_test_dir);
	write_all(target, good, glen);
	ASSERT_EQ(symlink(target, path), 0);
	IPCX_FAIL(ipcx_join(&ch, uri, 0), -ELOOP);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "symbolic link") != NULL);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -EEXIST);
	IPCX_FAIL(ipcx_unlink(uri), -EPROTO);
	ASSERT_EQ(lstat(path, &sb), 0);
	ASSERT_TRUE(S_ISLNK(sb.st_mode));
	after = read_all(target, &len);
	ASSERT_EQ(len, glen);
	ASSERT_MEMEQ(after, good, glen);
	free(after);
	ASSERT_EQ(unlink(path), 0);

	/* A FIFO and a directory: refused without blocking. */
	ASSERT_EQ(mkfifo(path, 0600), 0);
	IPCX_FAIL(ipcx_join(&ch, uri, 0), -EPROTO);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -EEXIST);
	IPCX_FAIL(ipcx_unlink(uri), -EPROTO);
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(mkdir(path, 0700), 0);
	IPCX_FAIL(ipcx_join(&ch, uri, 0), -EPROTO);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -EEXIST);
	IPCX_FAIL(ipcx_unlink(uri), -EPROTO);
	ASSERT_EQ(rmdir(path), 0);
	free(good);
}

#define NOBODY 65534

static void
become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
		IPCX_TEST_FAILF("cannot drop to uid %d: %s", NOBODY, strerror(errno));
}

struct uarg {
	char uri[700];
	char reg[600];
	int want;
};

static int
nobody_join(void *p)
{
	struct uarg *a = p;
	ipcx_chan *ch = NULL;
	int rc;

	become_nobody();
	setenv("IPCX_REGISTRY_DIR", a->reg, 1);
	rc = ipcx_join(&ch, a->uri, 0);
	if (rc != a->want) {
		fprintf(stderr, "  nobody: join -> %s, want %s\n", ipcx_errname(rc),
		        ipcx_errname(a->want));
		return 1;
	}
	if (rc == 0) {
		ipcx_test_send_str(ch, "from nobody");
		ipcx_close(ch);
	}
	return 0;
}

static int
nobody_create(void *p)
{
	struct uarg *a = p;
	ipcx_chan *ch = NULL;

	become_nobody();
	setenv("IPCX_REGISTRY_DIR", a->reg, 1);
	IPCX_PASS(ipcx_create(&ch, a->uri, 0));
	ipcx_test_send_str(ch, "nobody's");
	ipcx_close(ch);
	return 0;
}

/* Another user's access is the file's mode; another user's log is never
 * adopted.  As root, the other user is nobody in a child. */
static void
test_other_user(void)
{
	struct uarg a;
	char dir[400], path[700];
	uint8_t *before, *after;
	size_t blen, alen;
	ipcx_chan *ch, *mine;

	if (geteuid() != 0)
		TEST_SKIP("needs root to act as a second user");
	snprintf(dir, sizeof(dir), "%s/shared", ipcx_test_dir);
	ASSERT_EQ(mkdir(dir, 0777), 0);
	ASSERT_EQ(chmod(dir, 01777), 0);
	snprintf(a.reg, sizeof(a.reg), "%s/reg-nobody", dir);
	/* Root's log, default mode 0600: nobody cannot open it. */
	snprintf(a.uri, sizeof(a.uri), "file:%s/private", dir);
	IPCX_PASS(ipcx_create(&mine, a.uri, 0));
	a.want = -EACCES;
	ipcx_test_wait(ipcx_test_peer(nobody_join, &a), LONG_MS);
	ipcx_close(mine);
	/* mode=0666 shares it. */
	snprintf(a.uri, sizeof(a.uri), "file:%s/public?mode=0666", dir);
	IPCX_PASS(ipcx_create(&mine, a.uri, 0));
	a.want = 0;
	snprintf(a.uri, sizeof(a.uri), "file:%s/public", dir);
	ipcx_test_wait(ipcx_test_peer(nobody_join, &a), LONG_MS);
	ipcx_test_recv_str(mine, "from nobody");
	ipcx_close(mine);
	/* Nobody's log: root's create does not adopt it, nor change it. */
	snprintf(a.uri, sizeof(a.uri), "file:%s/theirs", dir);
	ipcx_test_wait(ipcx_test_peer(nobody_create, &a), LONG_MS);
	snprintf(path, sizeof(path), "%s/theirs", dir);
	before = read_all(path, &blen);
	IPCX_FAIL(ipcx_create(&ch, a.uri, 0), -EEXIST);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "uid 65534") != NULL);
	after = read_all(path, &alen);
	ASSERT_EQ(alen, blen);
	ASSERT_MEMEQ(after, before, blen);
	free(before);
	free(after);
}

/* ---- corrupt records in the middle ------------------------------------ */

/* A log of n 100-byte messages, seeds 1..n; returns its path in out. */
static void
make_log(char *uri_out, size_t outlen, int n)
{
	const char *uri = ipcx_test_uri("file", "sync=none&max=4K&size=1M");
	ipcx_chan *a;

	snprintf(uri_out, outlen, "%s", uri);
	IPCX_PASS(ipcx_create(&a, uri, 0));
	for (int k = 1; k <= n; k++)
		send_seed(a, 100, (uint32_t)k);
	ipcx_close(a);
}

static size_t
rec_off(int k) /* the k-th (1-based) 100-byte record */
{
	return LOG_DATA + t_rec_size(100) * (size_t)(k - 1);
}

static void
patch(const char *uri, size_t off, const void *bytes, size_t n)
{
	char path[PATH_MAX];
	int fd;

	uri_path(uri, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void
expect_eproto_at(ipcx_chan *ch, size_t off)
{
	uint8_t buf[200];
	char want[64];

	IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), LONG_MS), -EPROTO);
	snprintf(want, sizeof(want), "offset %zu", off);
	if (strstr(ipcx_errmsg(ch), want) == NULL)
		IPCX_TEST_FAILF("errmsg \"%s\" does not name %s", ipcx_errmsg(ch), want);
}

static void
test_corrupt_records_skipped(void)
{
	char uri[IPCX_URI_MAX];
	uint8_t flip = 0x5a, lie[4], garbage[700];
	const void *bp;
	size_t bl;
	ipcx_chan *ch, *b;
	int k;

	/* A flipped payload byte: that record is reported, the rest arrive. */
	make_log(uri, sizeof(uri), 6);
	patch(uri, rec_off(3) + REC_HDR + 50, &flip, 1);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	recv_seed(ch, 100, 1);
	recv_seed(ch, 100, 2);
	expect_eproto_at(ch, rec_off(3));
	for (k = 4; k <= 6; k++)
		recv_seed(ch, 100, (uint32_t)k);
	expect_empty(ch);
	ipcx_close(ch);

	/* A lying length (far past the end, or onto another record). */
	for (int v = 0; v < 3; v++) {
		uint32_t lens[3] = { 0x7fffffffu, (uint32_t)(t_rec_size(100) * 2 - REC_HDR), 99 };
		make_log(uri, sizeof(uri), 6);
		set32(lie, lens[v]);
		patch(uri, rec_off(3) + 4, lie, 4);
		IPCX_PASS(ipcx_join(&ch, uri, 0));
		recv_seed(ch, 100, 1);
		recv_seed(ch, 100, 2);
		expect_eproto_at(ch, rec_off(3));
		for (k = 4; k <= 6; k++)
			recv_seed(ch, 100, (uint32_t)k);
		expect_empty(ch);
		ipcx_close(ch);
	}

	/* The last record's length pointing past the end of the file (within
	 * max): reported with its offset, never cut away as a torn tail, its
	 * bytes left as they are. */
	{
		char path[PATH_MAX];
		uint8_t *b0, *b1;
		size_t l0, l1;
		make_log(uri, sizeof(uri), 6);
		set32(lie, 4000);
		patch(uri, rec_off(6) + 4, lie, 4);
		uri_path(uri, path, sizeof(path));
		b0 = read_all(path, &l0);
		IPCX_PASS(ipcx_join(&ch, uri, 0));
		for (k = 1; k <= 5; k++)
			recv_seed(ch, 100, (uint32_t)k);
		expect_eproto_at(ch, rec_off(6));
		expect_empty(ch);
		ipcx_close(ch);
		b1 = read_all(path, &l1);
		ASSERT_EQ(l1, l0);
		ASSERT_MEMEQ(b1 + rec_off(6), b0 + rec_off(6), l0 - rec_off(6));
		free(b0);
		free(b1);
	}

	/* Garbage over records 3 to 5: one report, then record 6. */
	make_log(uri, sizeof(uri), 6);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 37 + 11);
	memcpy(garbage + 8, "IXCR", 4); /* a false magic in the garbage */
	patch(uri, rec_off(3), garbage, t_rec_size(100) * 3);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	recv_seed(ch, 100, 1);
	recv_seed(ch, 100, 2);
	expect_eproto_at(ch, rec_off(3));
	ASSERT_TRUE(strstr(ipcx_errmsg(ch), "skipped 3") != NULL);
	recv_seed(ch, 100, 6);
	expect_empty(ch);
	/* The log goes on: a new message after the damage. */
	send_seed(ch, 33, 77);
	recv_seed(ch, 33, 77);
	ipcx_close(ch);

	/* Garbage to the end: reported once, nothing invented, still usable. */
	make_log(uri, sizeof(uri), 4);
	patch(uri, rec_off(2), garbage, t_rec_size(100) * 3);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	recv_seed(ch, 100, 1);
	expect_eproto_at(ch, rec_off(2));
	expect_empty(ch);
	send_seed(ch, 10, 9);
	recv_seed(ch, 10, 9);
	ipcx_close(ch);

	/* A corrupt record behind a borrowed one is reported, and skipped
	 * once the borrow is released. */
	make_log(uri, sizeof(uri), 3);
	patch(uri, rec_off(2) + REC_HDR + 1, &flip, 1);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	ASSERT_EQ(ipcx_recv_borrow(b, &bp, &bl, LONG_MS), 100);
	ASSERT_TRUE(ipcx_test_check(bp, 100, 1));
	expect_eproto_at(ch, rec_off(2));
	IPCX_PASS(ipcx_release(b, bp));
	expect_eproto_at(ch, rec_off(2));
	recv_seed(ch, 100, 3);
	expect_empty(ch);
	ipcx_close(b);
	ipcx_close(ch);
}

/* ---- power cuts ------------------------------------------------------- */

/*
 * A log cut at every byte offset past its header (what a power cut or a
 * copy taken in the middle of writes leaves): the reader gets every record
 * that lies whole below the cut, in order, never the torn one and never an
 * error, and the log takes new messages after it.
 */
static char copy_uri[IPCX_URI_MAX];

static void
test_torn_tail_every_offset(void)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 100, 3000, 5, 64 };
	const size_t n = sizeof(sizes) / sizeof(sizes[0]);
	char uri[IPCX_URI_MAX], path[PATH_MAX], cut_uri[700], cut_path[600];
	size_t len, ends[16], cut, k;
	uint8_t *file, buf[4000];
	ipcx_chan *ch;

	snprintf(uri, sizeof(uri), "%s", ipcx_test_uri("file", "sync=none&max=4K&size=1M"));
	uri_path(uri, path, sizeof(path));
	IPCX_PASS(ipcx_create(&ch, uri, 0));
	for (k = 0; k < n; k++) {
		send_seed(ch, sizes[k], 500 + (uint32_t)k);
		ends[k] = (k ? ends[k - 1] : LOG_DATA) + t_rec_size(sizes[k]);
	}
	ipcx_close(ch);
	file = read_all(path, &len);
	ASSERT_EQ(len, ends[n - 1]);
	snprintf(cut_path, sizeof(cut_path), "%s/cut", ipcx_test_dir);
	snprintf(cut_uri, sizeof(cut_uri), "file:%s?sync=none", cut_path);
	for (cut = LOG_DATA; cut <= len; cut++) {
		size_t whole = 0;
		while (whole < n && ends[whole] <= cut)
			whole++;
		write_all(cut_path, file, cut);
		IPCX_PASS(ipcx_join(&ch, cut_uri, 0));
		for (k = 0; k < whole; k++) {
			ssize_t r = ipcx_recv(ch, buf, sizeof(buf), 0);
			if (r != (ssize_t)sizes[k] || !ipcx_test_check(buf, sizes[k], 500 + (uint32_t)k))
				IPCX_TEST_FAILF("cut at %zu: record %zu -> %zd (%s)", cut, k, r,
				                ipcx_errmsg(ch));
		}
		IPCX_FAIL(ipcx_recv(ch, buf, sizeof(buf), 0), -EAGAIN);
		send_seed(ch, 11, 999);
		recv_seed(ch, 11, 999);
		ipcx_close(ch);
		ASSERT_EQ(unlink(cut_path), 0);
	}
	free(file);
}

/*
 * A copy of the file taken while a sender writes (cp of a live log, or
 * what reaches the disk at a random moment of a write): every message
 * whose send returned before the copy began is in the copy, whole and in
 * order, followed by what else was whole when it was read; a record caught
 * half written is never delivered, and no error shows.
 */
struct copy_shared {
	atomic_uint acked;
	atomic_int stop;
};

static size_t
copy_len(uint32_t k)
{
	return (k * 7919u) % 2000;
}

static int
copy_writer(void *p)
{
	struct copy_shared *sh = p;
	uint8_t buf[2000];
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, copy_uri, 0));
	for (uint32_t k = 1; k <= 20000 && !atomic_load(&sh->stop); k++) {
		ipcx_test_fill(buf, copy_len(k), k);
		IPCX_PASS(ipcx_send(ch, buf, copy_len(k), LONG_MS));
		atomic_store(&sh->acked, k);
	}
	ipcx_close(ch);
	return 0;
}

static void
test_copy_while_written(void)
{
	char path[PATH_MAX], cpath[600], curi[700];
	struct copy_shared *sh;
	uint8_t *file, buf[2000];
	size_t len;
	ipcx_chan *a, *ch;
	pid_t pid;
	int copies = 0, status;
	bool reaped = false;
	uint32_t rng = 7;

	snprintf(copy_uri, sizeof(copy_uri), "%s",
	         ipcx_test_uri("file", "sync=none&max=2K&size=64M"));
	uri_path(copy_uri, path, sizeof(path));
	snprintf(cpath, sizeof(cpath), "%s/copy", ipcx_test_dir);
	snprintf(curi, sizeof(curi), "file:%s", cpath);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(sh != MAP_FAILED);
	IPCX_PASS(ipcx_create(&a, copy_uri, 0));
	pid = ipcx_test_peer(copy_writer, sh);
	while (copies < 40 && !reaped) {
		uint32_t before = atomic_load(&sh->acked), k;
		ssize_t r;

		file = read_all(path, &len);
		write_all(cpath, file, len);
		free(file);
		IPCX_PASS(ipcx_join(&ch, curi, 0));
		for (k = 1;; k++) {
			r = ipcx_recv(ch, buf, sizeof(buf), 0);
			if (r == -EAGAIN)
				break;
			if (r != (ssize_t)copy_len(k) || !ipcx_test_check(buf, (size_t)r, k))
				IPCX_TEST_FAILF("copy %d: message %u -> %zd (%s)", copies, k, r,
				                r < 0 ? ipcx_errmsg(ch) : "wrong bytes");
		}
		if (k - 1 < before)
			IPCX_TEST_FAILF("copy %d: %u messages, but %u were sent before it", copies,
			                k - 1, before);
		ipcx_close(ch);
		ASSERT_EQ(unlink(cpath), 0);
		copies++;
		rng = rng * 1103515245u + 12345u;
		usleep((rng >> 8) % 3000);
		reaped = waitpid(pid, &status, WNOHANG) == pid;
	}
	atomic_store(&sh->stop, 1);
	if (reaped)
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	else
		ipcx_test_wait(pid, LONG_MS);
	fprintf(stderr, "  %d copies\n", copies);
	ASSERT_GE(copies, 1);
	ipcx_close(a);
	munmap(sh, sizeof(*sh));
}

/*
 * After a reboot (the slot names another boot), records that a power cut
 * left bad past everything known synced are cut with all that follows;
 * a bad record among synced ones is corruption: reported, never a cut.
 */
static void
test_power_cut_reboot(void)
{
	static const uint8_t other_boot[16] = { 1, 2, 3 };
	char uri[IPCX_URI_MAX], path[PATH_MAX];
	uint8_t *file;
	struct t_slot s;
	size_t len;
	ipcx_chan *ch;
	int k, variant;

	for (variant = 0; variant < 3; variant++) {
		make_log(uri, sizeof(uri), 5);
		uri_path(uri, path, sizeof(path));
		file = read_all(path, &len);
		file[rec_off(4) + REC_HDR + 9] ^= 0x10;
		ASSERT_TRUE(t_slot(file, &s));
		if (variant == 1)
			s.synced_seq = 6; /* everything was on disk before the cut */
		/* variant 2: the same boot as now: plain corruption */
		if (variant < 2)
			t_put_slot(file, &s, other_boot);
		write_all(path, file, len);
		free(file);
		IPCX_PASS(ipcx_join(&ch, uri, 0));
		for (k = 1; k <= 3; k++)
			recv_seed(ch, 100, (uint32_t)k);
		if (variant == 0) {
			expect_empty(ch); /* 4 and 5 were never synced: gone */
		} else {
			uint8_t b[200];
			IPCX_FAIL(ipcx_recv(ch, b, sizeof(b), 0), -EPROTO);
			recv_seed(ch, 100, 5);
		}
		expect_empty(ch);
		ipcx_close(ch);
	}
}

/* ---- borrow and release ----------------------------------------------- */

struct line_arg {
	const char *uri;
	struct ipcx_test_line *line;
};

static int
borrow_then_hang(void *p)
{
	struct line_arg *a = p;
	const void *bp;
	size_t bl;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, a->uri, 0));
	ASSERT_EQ(ipcx_recv_borrow(ch, &bp, &bl, LONG_MS), 10);
	ASSERT_TRUE(ipcx_test_check(bp, 10, 42));
	ipcx_test_line_put(a->line, 'b');
	pause();
	return 1;
}

static void
test_borrow_release(void)
{
	const char *uri = ipcx_test_uri("file", "sync=none&max=4K&size=1M");
	struct ipcx_test_line line;
	struct line_arg la = { uri, &line };
	const void *bp, *bp2;
	size_t bl;
	ipcx_chan *a, *b;
	void *lp;
	pid_t pid;
	int status;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	IPCX_FAIL(ipcx_loan(a, 10, &lp), -ENOTSUP);
	for (uint32_t k = 1; k <= 3; k++)
		send_seed(a, 50, k);
	ASSERT_EQ(ipcx_recv_borrow(a, &bp, &bl, LONG_MS), 50);
	ASSERT_EQ(bl, 50);
	ASSERT_TRUE(ipcx_test_check(bp, 50, 1));
	IPCX_FAIL(ipcx_recv_borrow(a, &bp2, &bl, 0), -EBUSY);
	/* Another receiver skips the borrowed record. */
	recv_seed(b, 50, 2);
	IPCX_FAIL(ipcx_release(a, "not it"), -EINVAL);
	IPCX_PASS(ipcx_release(a, bp));
	IPCX_FAIL(ipcx_release(a, bp), -EINVAL);
	recv_seed(b, 50, 3);
	expect_empty(b);
	expect_empty(a);

	/* Closed without release: the record goes to the next receiver. */
	send_seed(a, 20, 7);
	ASSERT_EQ(ipcx_recv_borrow(a, &bp, &bl, LONG_MS), 20);
	expect_empty(b);
	ipcx_close(a);
	recv_seed(b, 20, 7);
	expect_empty(b);

	/* A borrower killed between borrow and release: delivered again. */
	send_seed(b, 10, 42);
	send_seed(b, 10, 43);
	ipcx_test_line_open(&line);
	pid = ipcx_test_peer(borrow_then_hang, &la);
	ASSERT_EQ(ipcx_test_line_get(&line), 'b');
	recv_seed(b, 10, 43);
	expect_empty(b);
	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	recv_seed(b, 10, 42);
	expect_empty(b);
	ipcx_close(b);
}

/* ---- queued count ------------------------------------------------------ */

static void
test_stat_queued(void)
{
	const char *uri = ipcx_test_uri("file", "sync=none&max=4K&size=1M");
	struct ipcx_stat st;
	const void *bp;
	size_t bl;
	ipcx_chan *a;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	for (uint32_t k = 1; k <= 3; k++)
		send_seed(a, 10, k);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.queued, 3);
	ASSERT_EQ(st.queued_unit, 0);
	recv_seed(a, 10, 1);
	ASSERT_EQ(ipcx_recv_borrow(a, &bp, &bl, 0), 10);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.queued, 2); /* a borrowed message is still queued */
	IPCX_PASS(ipcx_release(a, bp));
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.queued, 1);
	ipcx_close(a);
}

/* ---- what ipcx_stat tells of a log ------------------------------------ */

static int64_t
realtime_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Bytes, read position, size, limit, the oldest message's send time, and
 * the sync mode: the creator's, recorded in the log, unless a handle says. */
static void
test_stat_log_fields(void)
{
	const char *uri = ipcx_test_uri("file", "sync=always&max=4K&size=1M");
	char path[PATH_MAX], plain[PATH_MAX + 8], other[PATH_MAX + 16];
	struct ipcx_stat st;
	const void *bp;
	size_t bl, len;
	ipcx_chan *a, *b;
	uint8_t *file;
	int64_t t0, t1;

	uri_path(uri, path, sizeof(path));
	snprintf(plain, sizeof(plain), "file:%s", path);
	IPCX_PASS(ipcx_create(&a, uri, 0));
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.has_log, 1);
	ASSERT_EQ(st.queued, 0);
	ASSERT_EQ(st.queued_bytes, 0);
	ASSERT_EQ(st.read_pos, LOG_DATA);
	ASSERT_EQ(st.log_bytes, LOG_DATA);
	ASSERT_EQ(st.log_limit, 1 << 20);
	ASSERT_EQ(st.oldest_ns, 0);
	ASSERT_STREQ(st.sync, "always");
	t0 = realtime_now_ns();
	send_seed(a, 10, 1);
	t1 = realtime_now_ns();
	send_seed(a, 100, 2);
	send_seed(a, 0, 3);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.queued, 3);
	ASSERT_EQ(st.queued_bytes, t_rec_size(10) + t_rec_size(100) + t_rec_size(0));
	ASSERT_EQ(st.log_bytes, LOG_DATA + st.queued_bytes);
	ASSERT_TRUE(st.oldest_ns >= t0 && st.oldest_ns <= t1);
	/* A handle that gives no sync= takes the log's; one that does, its own. */
	IPCX_PASS(ipcx_join(&b, plain, 0));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_STREQ(st.sync, "always");
	ipcx_close(b);
	snprintf(other, sizeof(other), "file:%s?sync=none", path);
	IPCX_PASS(ipcx_join(&b, other, 0));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_STREQ(st.sync, "none");
	/* A borrowed message is still the oldest queued one; a consumed one is
	 * not, and the read position moves past it. */
	ASSERT_EQ(ipcx_recv_borrow(b, &bp, &bl, LONG_MS), 10);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_TRUE(st.oldest_ns >= t0 && st.oldest_ns <= t1);
	ASSERT_EQ(st.read_pos, LOG_DATA);
	IPCX_PASS(ipcx_release(b, bp));
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.queued, 2);
	ASSERT_EQ(st.read_pos, LOG_DATA + t_rec_size(10));
	ASSERT_EQ(st.queued_bytes, t_rec_size(100) + t_rec_size(0));
	ASSERT_TRUE(st.oldest_ns > t1);
	ipcx_close(b);
	ipcx_close(a);
	/* The mode is in the header (bytes 28..31: mode + 1); a log of an
	 * ipcx that recorded none (0) is batch; an impossible one is refused,
	 * and left as it was. */
	file = read_all(path, &len);
	ASSERT_EQ(le32(file + 28), 3);
	set32(file + 28, 0);
	set32(file + 60, t_crc(file, 60));
	write_all(path, file, len);
	IPCX_PASS(ipcx_join(&b, plain, 0));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_STREQ(st.sync, "batch");
	recv_seed(b, 100, 2);
	ipcx_close(b);
	free(file);
	file = read_all(path, &len);
	set32(file + 28, 4);
	set32(file + 60, t_crc(file, 60));
	write_all(path, file, len);
	IPCX_FAIL(ipcx_join(&b, plain, 0), -EPROTO);
	{
		size_t alen;
		uint8_t *after = read_all(path, &alen);
		ASSERT_EQ(alen, len);
		ASSERT_MEMEQ(after, file, len);
		free(after);
	}
	free(file);
}

/* ---- listing the queue without taking from it (ipcx_records) ----------- */

struct seen_rec {
	uint64_t seq, off;
	size_t len;
	int state;
	uint32_t seed;  /* the payload's seed (checked), for queued/borrowed */
};

struct rec_list {
	struct seen_rec r[64];
	int n;
	int stop_at;    /* the callback's value once n reaches it (0: never) */
};

static int
collect(const struct ipcx_record_view *v, void *arg)
{
	struct rec_list *l = arg;
	struct seen_rec *s;

	ASSERT_LT(l->n, 64);
	s = &l->r[l->n++];
	s->seq = v->seq;
	s->off = v->offset;
	s->len = v->len;
	s->state = v->state;
	s->seed = 0;
	if (v->state != IPCX_RECORD_CORRUPT) {
		ASSERT_TRUE(v->sent_ns > 1600000000ll * 1000000000ll);
		for (uint32_t k = 1; k <= 64; k++)
			if (ipcx_test_check(v->data, v->len, k))
				s->seed = k;
		ASSERT_NE(s->seed, 0);
	} else {
		ASSERT_TRUE(v->data == NULL);
	}
	return l->stop_at != 0 && l->n == l->stop_at ? 42 : 0;
}

static int
borrow_first_and_hang(void *p)
{
	struct line_arg *a = p;
	const void *bp;
	size_t bl;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, a->uri, 0));
	ASSERT_EQ(ipcx_recv_borrow(ch, &bp, &bl, LONG_MS), 100);
	ASSERT_TRUE(ipcx_test_check(bp, 100, 1));
	ipcx_test_line_put(a->line, 'b');
	pause();
	return 1;
}

static void
test_records_listed(void)
{
	char uri[IPCX_URI_MAX], path[PATH_MAX], link[700];
	struct line_arg la;
	struct ipcx_test_line line;
	struct rec_list l = { 0 };
	struct t_slot s;
	uint8_t *before, *after, flip = 0x5a;
	size_t blen, alen;
	ipcx_chan *ch;
	pid_t pid;
	int status;

	/* Six 100-byte messages; the first borrowed by a live process, the
	 * second consumed past it (marked), the fifth corrupt. */
	make_log(uri, sizeof(uri), 6);
	uri_path(uri, path, sizeof(path));
	la.uri = uri;
	la.line = &line;
	ipcx_test_line_open(&line);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	pid = ipcx_test_peer(borrow_first_and_hang, &la);
	ASSERT_EQ(ipcx_test_line_get(&line), 'b');
	recv_seed(ch, 100, 2);
	ipcx_close(ch);
	patch(uri, rec_off(5) + REC_HDR + 7, &flip, 1);
	before = read_all(path, &blen);
	IPCX_PASS(ipcx_records(uri, collect, &l));
	after = read_all(path, &alen);
	ASSERT_EQ(alen, blen);
	ASSERT_MEMEQ(after, before, blen);
	free(after);
	ASSERT_EQ(l.n, 5); /* 1 borrowed, 3, 4, 5 corrupt, 6 */
	ASSERT_EQ(l.r[0].seq, 1);
	ASSERT_EQ(l.r[0].state, IPCX_RECORD_BORROWED);
	ASSERT_EQ(l.r[0].seed, 1);
	ASSERT_EQ(l.r[0].off, rec_off(1));
	ASSERT_EQ(l.r[1].seq, 3);
	ASSERT_EQ(l.r[1].state, IPCX_RECORD_QUEUED);
	ASSERT_EQ(l.r[1].seed, 3);
	ASSERT_EQ(l.r[1].len, 100);
	ASSERT_EQ(l.r[2].seed, 4);
	ASSERT_EQ(l.r[3].seq, 5);
	ASSERT_EQ(l.r[3].state, IPCX_RECORD_CORRUPT);
	ASSERT_EQ(l.r[3].off, rec_off(5));
	ASSERT_EQ(l.r[3].len, t_rec_size(100));
	ASSERT_EQ(l.r[4].seq, 6);
	ASSERT_EQ(l.r[4].seed, 6);
	/* The callback ends the walk with its value. */
	l.n = 0;
	l.stop_at = 2;
	ASSERT_EQ(ipcx_records(uri, collect, &l), 42);
	ASSERT_EQ(l.n, 2);
	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	/* The borrower died: its message is queued again. */
	l.n = 0;
	l.stop_at = 0;
	IPCX_PASS(ipcx_records(uri, collect, &l));
	ASSERT_EQ(l.r[0].state, IPCX_RECORD_QUEUED);
	free(before);

	/* A record past the slot's write position (its sender died before
	 * the slot) is committed: listed; a torn one after it is not. */
	make_log(uri, sizeof(uri), 2);
	uri_path(uri, path, sizeof(path));
	before = read_all(path, &blen);
	ASSERT_TRUE(t_slot(before, &s));
	s.write_off = rec_off(2);
	s.write_seq = 2;
	t_put_slot(before, &s, NULL);
	before = realloc(before, blen + 50);
	ASSERT_TRUE(before != NULL);
	memcpy(before + blen, before + rec_off(2), 50); /* a torn copy */
	write_all(path, before, blen + 50);
	l.n = 0;
	IPCX_PASS(ipcx_records(uri, collect, &l));
	ASSERT_EQ(l.n, 2);
	ASSERT_EQ(l.r[1].seq, 2);
	ASSERT_EQ(l.r[1].state, IPCX_RECORD_QUEUED);
	after = read_all(path, &alen);
	ASSERT_EQ(alen, blen + 50);
	free(after);
	free(before);

	/* What is no log: the errors a join gives, nothing touched. */
	{
		char tpath[600], turi[700];
		l.n = 0;
		snprintf(turi, sizeof(turi), "file:%s/none", ipcx_test_dir);
		IPCX_FAIL(ipcx_records(turi, collect, &l), -ENOENT);
		snprintf(tpath, sizeof(tpath), "%s/text", ipcx_test_dir);
		write_all(tpath, "not a log\n", 10);
		snprintf(turi, sizeof(turi), "file:%s", tpath);
		IPCX_FAIL(ipcx_records(turi, collect, &l), -EPROTO);
		ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "not an ipcx log") != NULL);
		snprintf(tpath, sizeof(tpath), "%s/link", ipcx_test_dir);
		ASSERT_EQ(symlink(path, tpath), 0);
		snprintf(link, sizeof(link), "file:%s", tpath);
		IPCX_FAIL(ipcx_records(link, collect, &l), -ELOOP);
	}
	IPCX_FAIL(ipcx_records("fifo:/tmp/x", collect, &l), -ENOTSUP);
	IPCX_FAIL(ipcx_records(link, NULL, NULL), -EINVAL);
	ASSERT_EQ(l.n, 0);
	{
		struct ipcx_scheme_info info;
		IPCX_PASS(ipcx_scheme_info("file", &info));
		ASSERT_TRUE(info.caps & IPCX_SCHEME_RECORDS);
		IPCX_PASS(ipcx_scheme_info("fifo", &info));
		ASSERT_TRUE(!(info.caps & IPCX_SCHEME_RECORDS));
	}
}

/* Listing (and joining) while a receiver consumes and resets the log:
 * never a false "corrupt", never a message out of order. */
struct walk_state {
	uint64_t last_seq;
	int n;
};

static int
walk_check(const struct ipcx_record_view *v, void *arg)
{
	struct walk_state *w = arg;

	if (v->state == IPCX_RECORD_CORRUPT)
		IPCX_TEST_FAILF("a live log listed as corrupt at offset %llu (seq %llu)",
		                (unsigned long long)v->offset, (unsigned long long)v->seq);
	if (v->seq <= w->last_seq)
		IPCX_TEST_FAILF("seq %llu after %llu", (unsigned long long)v->seq,
		                (unsigned long long)w->last_seq);
	if (v->len < 4 || !ipcx_test_check((const uint8_t *)v->data + 4, v->len - 4,
	                                   *(const uint32_t *)v->data))
		IPCX_TEST_FAILF("a listed message has wrong bytes");
	w->last_seq = v->seq;
	w->n++;
	return 0;
}

static int
churn(void *p)
{
	const char *uri = p;
	uint8_t buf[1100];
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, uri, 0));
	for (uint32_t k = 1; k <= 6000; k++) {
		size_t n = 4 + (k * 7919u) % 1000;
		memcpy(buf, &k, 4);
		ipcx_test_fill(buf + 4, n - 4, k);
		IPCX_PASS(ipcx_send(ch, buf, n, LONG_MS));
		if (k % 3 != 0 && ipcx_recv(ch, buf, sizeof(buf), LONG_MS) < 0)
			return 1;
		if (k % 40 == 0) /* drain now and then: resets in place */
			while (ipcx_recv(ch, buf, sizeof(buf), 0) >= 0)
				;
	}
	ipcx_close(ch);
	return 0;
}

static void
test_records_while_busy(void)
{
	const char *uri = ipcx_test_uri("file", "sync=none&max=2K&size=64K");
	ipcx_chan *a, *b;
	pid_t pid;
	int walks = 0, status;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	pid = ipcx_test_peer(churn, (void *)uri);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		struct walk_state w = { 0, 0 };
		int rc = ipcx_records(uri, walk_check, &w);
		if (rc < 0)
			IPCX_TEST_FAILF("walk %d: %s (%s)", walks, ipcx_errname(rc), ipcx_errmsg(NULL));
		/* A join reads the state the same way, without the lock. */
		rc = ipcx_join(&b, uri, 0);
		if (rc < 0)
			IPCX_TEST_FAILF("join %d: %s (%s)", walks, ipcx_errname(rc), ipcx_errmsg(NULL));
		ipcx_close(b);
		walks++;
	}
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fprintf(stderr, "  %d walks\n", walks);
	ipcx_close(a);
}

/* ---- sync= ------------------------------------------------------------ */

static atomic_int n_datasync;

static int
count_fdatasync(int fd)
{
	atomic_fetch_add(&n_datasync, 1);
	return fdatasync(fd);
}

static int
sync_round(const char *query, int n)
{
	const char *uri = ipcx_test_uri("file", query);
	ipcx_chan *a;
	int before, k;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	before = atomic_load(&n_datasync);
	for (k = 0; k < n; k++)
		send_seed(a, 10, (uint32_t)k);
	for (k = 0; k < n; k++)
		recv_seed(a, 10, (uint32_t)k);
	k = atomic_load(&n_datasync) - before;
	ipcx_close(a);
	return k;
}

/* fdatasync is where ipcx-file(7) says it is: counted at the table. */
static void
test_sync_policy(void)
{
	const char *uri;
	ipcx_chan *a;
	int64_t t0;
	int n, before;

	ipcx__sys.fdatasync = count_fdatasync;
	ASSERT_EQ(sync_round("sync=none", 300), 0);
	/* always: each send is on disk before it returns. */
	uri = ipcx_test_uri("file", "sync=always");
	IPCX_PASS(ipcx_create(&a, uri, 0));
	for (int k = 0; k < 5; k++) {
		before = atomic_load(&n_datasync);
		send_seed(a, 10, (uint32_t)k);
		ASSERT_EQ(atomic_load(&n_datasync), before + 1);
	}
	ipcx_close(a);
	/* always: every send and every receive. */
	ASSERT_EQ(sync_round("sync=always", 50), 100);
	/* batch: one per 128 changes, plus one for each 100 ms that passed. */
	t0 = ipcx_test_now_ms();
	n = sync_round("sync=batch", 300);
	ASSERT_GE(n, 600 / 128);
	ASSERT_LE(n, 600 / 128 + (ipcx_test_now_ms() - t0) / 100 + 1);
	/* The window: a change 100 ms after the oldest unsynced one syncs. */
	uri = ipcx_test_uri("file", NULL);
	IPCX_PASS(ipcx_create(&a, uri, 0));
	before = atomic_load(&n_datasync);
	send_seed(a, 10, 1);
	ASSERT_EQ(atomic_load(&n_datasync), before);
	usleep(150 * 1000);
	send_seed(a, 10, 2);
	ASSERT_EQ(atomic_load(&n_datasync), before + 1);
	/* And closing syncs what is left. */
	send_seed(a, 10, 3);
	ipcx_close(a);
	ASSERT_EQ(atomic_load(&n_datasync), before + 2);
	ipcx__sys_reset();
}

static atomic_int n_dsync;
static bool dsync_refused;

static ssize_t
count_pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
	if (flags & RWF_DSYNC) {
		atomic_fetch_add(&n_dsync, 1);
		if (dsync_refused) {
			errno = EOPNOTSUPP;
			return -1;
		}
	}
	return pwritev2(fd, iov, iovcnt, off, flags);
}

/* Three 100 KiB messages through a log, then one more: the third receive
 * drains 300 KiB and cuts the log back. Returns the RWF_DSYNC writes. */
static int
cut_round(const char *query)
{
	const char *uri = ipcx_test_uri("file", query);
	ipcx_chan *a;
	struct ipcx_stat st;
	int before = atomic_load(&n_dsync), k;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	for (k = 0; k < 3; k++)
		send_seed(a, 100 << 10, (uint32_t)k);
	for (k = 0; k < 3; k++)
		recv_seed(a, 100 << 10, (uint32_t)k);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.log_bytes, 4096);
	send_seed(a, 100 << 10, 7);
	recv_seed(a, 100 << 10, 7);
	ipcx_close(a);
	return atomic_load(&n_dsync) - before;
}

/* Cutting a drained log back puts its state on disk first, by itself
 * (RWF_DSYNC), or with fdatasync where RWF_DSYNC is refused. */
static void
test_cut_back_sync(void)
{
	int before, plain;

	ipcx__sys.pwritev2 = count_pwritev2;
	ipcx__sys.fdatasync = count_fdatasync;
	ASSERT_EQ(cut_round("sync=none"), 0);
	ASSERT_EQ(cut_round("sync=batch"), 1);
	/* always: a count that no clock changes, with and without RWF_DSYNC */
	before = atomic_load(&n_datasync);
	ASSERT_EQ(cut_round("sync=always"), 1);
	plain = atomic_load(&n_datasync) - before;
	dsync_refused = true;
	before = atomic_load(&n_datasync);
	ASSERT_EQ(cut_round("sync=always"), 1);
	ASSERT_EQ(atomic_load(&n_datasync) - before, plain + 1);
	ASSERT_EQ(cut_round("sync=batch"), 1);
	dsync_refused = false;
	ipcx__sys_reset();
}

/* ---- waiting without spinning ----------------------------------------- */

static atomic_int n_ppoll, n_pread;

static int
count_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	atomic_fetch_add(&n_ppoll, 1);
	return ppoll(fds, n, ts, mask);
}

static ssize_t
count_pread(int fd, void *buf, size_t n, off_t off)
{
	atomic_fetch_add(&n_pread, 1);
	return pread(fd, buf, n, off);
}

static int
send_later(void *p)
{
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, p, 0));
	usleep(200 * 1000);
	ipcx_test_send_str(ch, "woken");
	ipcx_close(ch);
	return 0;
}

/*
 * A receiver with nothing to take sleeps in one poll(2) on its inotify
 * watch until the deadline or a change - counted at the system-call table:
 * a receiver that looked again and again (spinning, or polling with
 * back-off) would read the log's state each time.
 */
static void
test_wait_sleeps(void)
{
	const char *uri = ipcx_test_uri("file", "sync=none");
	struct pollfd p;
	uint8_t buf[16];
	ipcx_chan *a;
	pid_t pid;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	ipcx__sys.ppoll = count_ppoll;
	ipcx__sys.pread = count_pread;
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 1000), -ETIMEDOUT);
	if (atomic_load(&n_ppoll) > 2 || atomic_load(&n_pread) > 8)
		IPCX_TEST_FAILF("a second's wait made %d polls and %d reads", atomic_load(&n_ppoll),
		                atomic_load(&n_pread));
	/* A send from another process ends the sleep. */
	atomic_store(&n_ppoll, 0);
	atomic_store(&n_pread, 0);
	pid = ipcx_test_peer(send_later, (void *)uri);
	ipcx_test_recv_str(a, "woken");
	ipcx_test_wait(pid, LONG_MS);
	if (atomic_load(&n_ppoll) > 3 || atomic_load(&n_pread) > 12)
		IPCX_TEST_FAILF("a wait for one message made %d polls and %d reads",
		                atomic_load(&n_ppoll), atomic_load(&n_pread));
	ipcx__sys_reset();
	/* ipcx_pollfd: quiet while empty, readable once another process sends. */
	p.fd = ipcx_pollfd(a);
	ASSERT_GE(p.fd, 0);
	p.events = POLLIN;
	ASSERT_EQ(poll(&p, 1, 0), 0);
	pid = ipcx_test_peer(send_later, (void *)uri);
	ASSERT_EQ(poll(&p, 1, LONG_MS), 1);
	ipcx_test_recv_str(a, "woken");
	ipcx_test_wait(pid, LONG_MS);
	ipcx_close(a);
}

/* ---- a lock held by a stopped, then a dead, process ------------------- */

static int
hold_lock_and_stop(void *p)
{
	struct line_arg *a = p;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	char path[PATH_MAX];
	int fd;

	uri_path(a->uri, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fcntl(fd, F_OFD_SETLK, &fl), 0);
	ipcx_test_line_put(a->line, 'L');
	raise(SIGSTOP);
	pause();
	return 1;
}

static void *
wake_soon(void *ch)
{
	usleep(100 * 1000);
	ipcx_wake(ch);
	return NULL;
}

static void
test_stopped_lock_holder(void)
{
	const char *uri = ipcx_test_uri("file", "sync=none");
	struct ipcx_test_line line;
	struct line_arg la = { uri, &line };
	uint8_t buf[16];
	pthread_t t;
	ipcx_chan *a;
	int64_t t0;
	pid_t pid;
	int status;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	ipcx_test_line_open(&line);
	pid = ipcx_test_peer(hold_lock_and_stop, &la);
	ASSERT_EQ(ipcx_test_line_get(&line), 'L');
	ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	ASSERT_TRUE(WIFSTOPPED(status));
	/* A stopped holder keeps the lock: we wait to the deadline, no less. */
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_send(a, "x", 1, 300), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 300);
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EAGAIN);
	/* ipcx_wake ends even a wait without a deadline. */
	ASSERT_EQ(pthread_create(&t, NULL, wake_soon, a), 0);
	IPCX_FAIL(ipcx_send(a, "x", 1, -1), -ECANCELED);
	pthread_join(t, NULL);
	/* A dead holder's lock is the kernel's to release. */
	kill(pid, SIGKILL);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ipcx_test_send_str(a, "after");
	ipcx_test_recv_str(a, "after");
	ipcx_close(a);
}

/* ---- removal and replacement under an open channel -------------------- */

static void
test_removed_under_channel(void)
{
	const char *uri = ipcx_test_uri("file", NULL);
	ipcx_chan *a, *b, *c;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	IPCX_PASS(ipcx_unlink(uri));
	IPCX_FAIL(ipcx_send(b, "lost?", 5, 1000), -ENOENT);
	ASSERT_TRUE(strstr(ipcx_errmsg(b), "removed") != NULL);
	/* A new log at the path: the open channels follow it. */
	IPCX_PASS(ipcx_create(&c, uri, 0));
	ipcx_test_send_str(b, "to the new one");
	ipcx_test_recv_str(c, "to the new one");
	ipcx_test_send_str(c, "and back");
	ipcx_test_recv_str(a, "and back");
	ipcx_close(a);
	ipcx_close(b);
	ipcx_close(c);
}

/* A relative path names the file it named at open, whatever chdir follows. */
static void
test_relative_path(void)
{
	char cwd[PATH_MAX], sub[600];
	ipcx_chan *a, *b;

	ASSERT_TRUE(getcwd(cwd, sizeof(cwd)) != NULL);
	ASSERT_EQ(chdir(ipcx_test_dir), 0);
	IPCX_PASS(ipcx_create(&a, "file:rel.log?size=64K&max=1K&sync=none", 0));
	snprintf(sub, sizeof(sub), "%s/elsewhere", ipcx_test_dir);
	ASSERT_EQ(mkdir(sub, 0700), 0);
	ASSERT_EQ(chdir(sub), 0);
	/* Enough traffic to compact and reset the log more than once. */
	for (uint32_t k = 0; k < 399; k++) {
		send_seed(a, 900, k);
		if (k % 3 == 2)
			for (uint32_t j = k - 2; j <= k; j++)
				recv_seed(a, 900, j);
	}
	ASSERT_TRUE(access("rel.log", F_OK) < 0);
	{
		struct ipcx_stat st;
		char want[700];
		IPCX_PASS(ipcx_stat(a, &st));
		snprintf(want, sizeof(want), "file:%s/rel.log", ipcx_test_dir);
		ASSERT_STREQ(st.uri, want);
	}
	ASSERT_EQ(chdir(ipcx_test_dir), 0);
	IPCX_PASS(ipcx_join(&b, "file:rel.log", 0));
	expect_empty(b);
	ipcx_close(b);
	ipcx_close(a);
	ASSERT_EQ(chdir(cwd), 0);
}

/* ---- compaction followed by another process --------------------------- */

struct recv_arg {
	const char *uri;
	struct ipcx_test_line *line;
	uint32_t first, count;
	size_t len;
};

static int
receive_n(void *p)
{
	struct recv_arg *a = p;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, a->uri, 0));
	for (uint32_t k = 0; k < a->count; k++)
		recv_seed(ch, a->len, a->first + k);
	ipcx_close(ch);
	return 0;
}

static int
scratch_entries(void)
{
	char cmd[700];
	FILE *f;
	int n = 0, c;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -v '^\\.registry$'", ipcx_test_dir);
	f = popen(cmd, "r");
	ASSERT_TRUE(f != NULL);
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			n++;
	pclose(f);
	return n;
}

static void
test_compaction_followed(void)
{
	const char *uri = ipcx_test_uri("file", "size=64K&max=1K");
	struct recv_arg ra = { uri, NULL, 0, 40, 1000 };
	/* (64K - 4K) / 1032 = 59 records fit; 55 leave room to follow. */
	char path[PATH_MAX];
	struct stat s0, s1;
	ipcx_chan *a;
	uint32_t k;

	uri_path(uri, path, sizeof(path));
	IPCX_PASS(ipcx_create(&a, uri, 0));
	ASSERT_EQ(stat(path, &s0), 0);
	for (k = 0; k < 55; k++)
		send_seed(a, 1000, k);
	/* Another process consumes 40: enough for it to compact. */
	ipcx_test_wait(ipcx_test_peer(receive_n, &ra), LONG_MS);
	ASSERT_EQ(stat(path, &s1), 0);
	ASSERT_NE(s1.st_ino, s0.st_ino);
	ASSERT_LT(s1.st_size, s0.st_size + 55 * 1032);
	/* Our descriptor points at the old file; we follow the path. */
	for (; k < 65; k++)
		send_seed(a, 1000, k);
	ra.first = 40;
	ra.count = 25;
	ipcx_test_wait(ipcx_test_peer(receive_n, &ra), LONG_MS);
	expect_empty(a);
	ASSERT_EQ(scratch_entries(), 1); /* no compaction leftover */
	ipcx_close(a);
}

/* ---- a full log ------------------------------------------------------- */

static void
test_full_log(void)
{
	const char *uri = ipcx_test_uri("file", "size=64K&max=1K&sync=none");
	struct recv_arg ra = { uri, NULL, 0, 0, 1000 };
	uint8_t buf[1000];
	ipcx_chan *a;
	uint32_t k;
	int rc;

	IPCX_PASS(ipcx_create(&a, uri, 0));
	for (k = 0;; k++) {
		ipcx_test_fill(buf, sizeof(buf), k);
		rc = ipcx_send(a, buf, sizeof(buf), 0);
		if (rc == -EAGAIN)
			break;
		IPCX_PASS(rc);
		ASSERT_LT(k, 100);
	}
	ASSERT_GE(k, 50);
	/* Full is a state of the log: a smaller message waits too. */
	IPCX_FAIL(ipcx_send(a, "x", 1, 0), -EAGAIN);
	IPCX_FAIL(ipcx_send(a, "x", 1, 100), -ETIMEDOUT);
	/* A receiver in another process drains it; the blocked send goes. */
	ra.count = k + 1;
	pid_t pid = ipcx_test_peer(receive_n, &ra);
	ipcx_test_fill(buf, sizeof(buf), k);
	IPCX_PASS(ipcx_send(a, buf, sizeof(buf), LONG_MS));
	ipcx_test_wait(pid, LONG_MS);
	expect_empty(a);
	ipcx_close(a);
}

/* ---- many writers and readers ------------------------------------------ */

#define NW 4
#define NR 4
#define STOP_BYTE 0xff

static uint32_t per_writer;

static size_t
msg_len(uint32_t id, uint32_t seq)
{
	/* Mostly small, now and then up to 12000 bytes. */
	uint32_t x = seq * 2654435761u + id * 40503u;

	return 5 + (x % 7 == 0 ? x % 12000 : x % 200);
}

struct mw {
	char uri[IPCX_URI_MAX];
	uint32_t id;
	bool borrow;
};

static int
mw_writer(void *p)
{
	struct mw *a = p;
	uint8_t *buf = ipcx_test_malloc(12100);
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, a->uri, 0));
	for (uint32_t seq = 0; seq < per_writer; seq++) {
		size_t n = msg_len(a->id, seq);
		buf[0] = (uint8_t)a->id;
		memcpy(buf + 1, &seq, 4);
		ipcx_test_fill(buf + 5, n - 5, a->id << 24 | seq);
		IPCX_PASS(ipcx_send(ch, buf, n, LONG_MS));
	}
	ipcx_close(ch);
	free(buf);
	return 0;
}

/* A reader: receive (or borrow) until a stop message, check every byte and
 * each writer's order, and write the (id, seq) it got to its result file. */
static int
mw_reader(void *p)
{
	struct mw *a = p;
	uint8_t *buf = ipcx_test_malloc(12100);
	uint32_t last[NW];
	char path[700];
	ipcx_chan *ch;
	FILE *out;

	for (int i = 0; i < NW; i++)
		last[i] = UINT32_MAX;
	snprintf(path, sizeof(path), "%s/got-%u", ipcx_test_dir, a->id);
	out = fopen(path, "w");
	ASSERT_TRUE(out != NULL);
	IPCX_PASS(ipcx_join(&ch, a->uri, 0));
	for (;;) {
		const uint8_t *m;
		const void *bp = NULL;
		size_t bl;
		ssize_t r;
		uint32_t id, seq;

		if (a->borrow) {
			r = ipcx_recv_borrow(ch, &bp, &bl, 120000);
			m = bp;
		} else {
			r = ipcx_recv(ch, buf, 12100, 120000);
			m = buf;
		}
		if (r < 0)
			IPCX_TEST_FAILF("reader %u: %s (%s)", a->id, ipcx_errname((int)r),
			                ipcx_errmsg(ch));
		if (r == 1 && m[0] == STOP_BYTE) {
			if (a->borrow)
				IPCX_PASS(ipcx_release(ch, bp));
			break;
		}
		ASSERT_GE(r, 5);
		id = m[0];
		memcpy(&seq, m + 1, 4);
		ASSERT_LT(id, NW);
		ASSERT_LT(seq, per_writer);
		ASSERT_EQ((size_t)r, msg_len(id, seq));
		if (!ipcx_test_check(m + 5, (size_t)r - 5, id << 24 | seq))
			IPCX_TEST_FAILF("reader %u: message %u/%u has wrong bytes", a->id, id, seq);
		/* Per-writer order, as this reader sees it. */
		if (last[id] != UINT32_MAX)
			ASSERT_LT(last[id], seq);
		last[id] = seq;
		fwrite(&id, 4, 1, out);
		fwrite(&seq, 4, 1, out);
		if (a->borrow)
			IPCX_PASS(ipcx_release(ch, bp));
	}
	fclose(out);
	ipcx_close(ch);
	free(buf);
	return 0;
}

static void
test_many_writers_readers(void)
{
	struct mw w[NW], r[NR];
	const char *env = getenv("IPCX_STRESS");
	uint8_t *seen;
	char path[PATH_MAX], got[700];
	pid_t wp[NW], rp[NR];
	struct stat sb;
	ino_t ino = 0;
	int inodes = 0, i, status;
	ipcx_chan *ctl;
	uint8_t stop = STOP_BYTE;
	uint32_t rng = 1;

	per_writer = env != NULL && atoi(env) > 0 ? 250000 : 5000;
	snprintf(w[0].uri, sizeof(w[0].uri), "%s",
	         ipcx_test_uri("file", "size=512K&max=16K&sync=none"));
	uri_path(w[0].uri, path, sizeof(path));
	IPCX_PASS(ipcx_create(&ctl, w[0].uri, 0));
	for (i = 0; i < NR; i++) {
		memcpy(r[i].uri, w[0].uri, sizeof(r[i].uri));
		r[i].id = (uint32_t)i;
		r[i].borrow = i >= 2;
		rp[i] = ipcx_test_peer(mw_reader, &r[i]);
	}
	for (i = 0; i < NW; i++) {
		memcpy(w[i].uri, w[0].uri, sizeof(w[i].uri));
		w[i].id = (uint32_t)i;
		wp[i] = ipcx_test_peer(mw_writer, &w[i]);
	}
	/* While they run: stop and resume a reader now and then (it may hold
	 * the lock: the others wait), and watch compaction replace the file. */
	for (int done = 0; done < NW;) {
		pid_t pid = waitpid(-1, &status, WNOHANG);
		for (i = 0; i < NW; i++)
			if (pid == wp[i]) {
				ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
				done++;
			}
		for (i = 0; i < NR; i++)
			if (pid == rp[i])
				IPCX_TEST_FAILF("reader %d ended early (status %d)", i, status);
		if (stat(path, &sb) == 0 && sb.st_ino != ino) {
			ino = sb.st_ino;
			inodes++;
		}
		if (pid <= 0) {
			rng = rng * 1103515245u + 12345u;
			if (rng % 8 == 0) {
				pid_t v = rp[(rng >> 8) % NR];
				kill(v, SIGSTOP);
				usleep(20000);
				kill(v, SIGCONT);
			} else {
				usleep(5000);
			}
		}
	}
	for (i = 0; i < NR; i++)
		IPCX_PASS(ipcx_send(ctl, &stop, 1, LONG_MS));
	for (i = 0; i < NR; i++)
		ipcx_test_wait(rp[i], 300000);
	/* Exactly once: every (writer, seq) in exactly one reader's file. */
	seen = calloc((size_t)NW * per_writer, 1);
	ASSERT_TRUE(seen != NULL);
	for (i = 0; i < NR; i++) {
		uint32_t pair[2];
		FILE *f;
		snprintf(got, sizeof(got), "%s/got-%d", ipcx_test_dir, i);
		f = fopen(got, "r");
		ASSERT_TRUE(f != NULL);
		while (fread(pair, 4, 2, f) == 2) {
			size_t at = (size_t)pair[0] * per_writer + pair[1];
			if (seen[at]++)
				IPCX_TEST_FAILF("message %u/%u delivered twice", pair[0], pair[1]);
		}
		fclose(f);
	}
	for (size_t at = 0; at < (size_t)NW * per_writer; at++)
		if (!seen[at])
			IPCX_TEST_FAILF("message %zu/%zu lost", at / per_writer, at % per_writer);
	free(seen);
	expect_empty(ctl);
	ASSERT_EQ(stat(path, &sb), 0);
	ASSERT_LE(sb.st_size, 512 * 1024);
	fprintf(stderr, "  %u messages, the file replaced %d times\n", NW * per_writer,
	        inodes - 1);
	ipcx_close(ctl);
}

TEST_LIST = {
	{ "file kept by default", test_kept_by_default },
	{ "file format is the documented one", test_format_documented },
	{ "file uri checks", test_uri_checks },
	{ "file adopt and geometry", test_adopt_and_geometry },
	{ "file mode despite umask", test_mode },
	{ "file foreign and corrupt files untouched", test_foreign_files_untouched },
	{ "file other user", test_other_user },
	{ "file corrupt records reported and skipped", test_corrupt_records_skipped },
	{ "file torn tail cut at every offset", test_torn_tail_every_offset },
	{ "file copy taken while written", test_copy_while_written },
	{ "file power cut and reboot", test_power_cut_reboot },
	{ "file borrow and release", test_borrow_release },
	{ "file stat queued", test_stat_queued },
	{ "file stat of a log", test_stat_log_fields },
	{ "file records listed without consuming", test_records_listed },
	{ "file records listed while busy", test_records_while_busy },
	{ "file sync policy", test_sync_policy },
	{ "file cut-back syncs its state", test_cut_back_sync },
	{ "file waiting sleeps", test_wait_sleeps },
	{ "file stopped then dead lock holder", test_stopped_lock_holder },
	{ "file removed under a channel", test_removed_under_channel },
	{ "file relative path", test_relative_path },
	{ "file compaction followed", test_compaction_followed },
	{ "file full log", test_full_log },
	{ "file many writers and readers", test_many_writers_readers },
	{ NULL, NULL },
};
