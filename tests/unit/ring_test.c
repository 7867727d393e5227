/* SPDX-License-Identifier: MIT */
/*
 * ring_test.c - the shared-memory rings' API and every error path: URIs,
 * geometry on create and join, adoption of a leftover, modes, the two
 * backings naming the same objects as shm_open(3) and ftok(3)/shmget(2),
 * loan/commit and borrow/release, wake-ups in every waiting strategy,
 * deadlines, the participant table filling up, fork.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <pthread.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "shm/ring.h"

#define LONG_MS 30000

static const char *
uri_with(const char *scheme, const char *query)
{
	return ipcx_test_uri(scheme, query);
}

/* The object behind a test URI, for checks from outside ipcx. */
static const char *
shm_name_of(const char *uri)
{
	static char name[300];
	const char *p = strchr(uri, ':') + 1;
	size_t n = strcspn(p, "?");

	if (*p == '/') {
		p++;
		n--;
	}
	snprintf(name, sizeof(name), "/dev/shm/%.*s", (int)n, p);
	return name;
}

static key_t
sysv_key_of(const char *uri)
{
	return (key_t)strtoul(strchr(uri, ':') + 1, NULL, 16);
}

static bool
exists(const char *scheme, const char *uri)
{
	if (strcmp(scheme, "shm") == 0)
		return access(shm_name_of(uri), F_OK) == 0;
	return shmget(sysv_key_of(uri), 0, 0) >= 0;
}

/* ---- URIs -------------------------------------------------------------- */

static void
uri_checks(void)
{
	static const char *const bad[] = {
		"shm:", "shm:/", "shm:a/b", "shm:.", "shm:..", "shm:x?slots=3", "shm:x?slots=1",
		"shm:x?slots=2M", "shm:x?slot_size=0", "shm:x?slot_size=2G", "shm:x?spin=-2",
		"shm:x?spin=abc", "shm:x?spin=99999999999", "shm:x?max=8K&slot_size=4K",
		"shm:x?framing=len", "shm:x?type=1", "shm:x?slots=1M&slot_size=1G",
		"sysvshm:", "sysvshm:0", "sysvshm:0x0", "sysvshm:0x", "sysvshm:0x100000000",
		"sysvshm:12ab", "sysvshm:-5", "sysvshm:ftok:", "sysvshm:ftok:/tmp",
		"sysvshm:ftok:/tmp:0", "sysvshm:ftok:/tmp:256", "sysvshm:ftok::1",
		"sysvshm:0x1234?slots=5", NULL,
	};
	static const char *const good[] = {
		"shm:x", "shm:/x", "shm:x?slots=2&slot_size=1", "shm:x?slots=1K&slot_size=64K",
		"shm:x?spin=0", "shm:x?spin=-1", "shm:x?max=100", "shm:x?max=4K&slot_size=4K",
		"shm:x?mode=0640", "sysvshm:0x1234", "sysvshm:4660", "sysvshm:0xffffffff",
		"sysvshm:ftok:/tmp:1", "sysvshm:ftok:/no/such/file:255", NULL,
	};
	char longname[300];
	int i;

	for (i = 0; bad[i] != NULL; i++) {
		int rc = ipcx_uri_check(bad[i]);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("%s -> %s, want EINVAL", bad[i], ipcx_errname(rc));
		ASSERT_TRUE(strncmp(ipcx_errmsg(NULL), "invalid URI: ", 13) == 0);
	}
	for (i = 0; good[i] != NULL; i++)
		if (ipcx_uri_check(good[i]) != 0)
			IPCX_TEST_FAILF("%s refused: %s", good[i], ipcx_errmsg(NULL));
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "shm:", 4);
	longname[4 + 256] = '\0';
	IPCX_FAIL(ipcx_uri_check(longname), -ENAMETOOLONG);
	longname[4 + 255] = '\0';
	IPCX_PASS(ipcx_uri_check(longname));
}

static void
scheme_info(void)
{
	static const char *const schemes[] = { "shm", "sysvshm" };
	struct ipcx_scheme_info info;
	int i;

	for (i = 0; i < 2; i++) {
		IPCX_PASS(ipcx_scheme_info(schemes[i], &info));
		ASSERT_EQ(info.default_max, 4096);
		ASSERT_TRUE(info.caps & IPCX_SCHEME_MESSAGE);
		ASSERT_TRUE(info.caps & IPCX_SCHEME_LOAN);
		ASSERT_TRUE(info.caps & IPCX_SCHEME_POLLFD);
		ASSERT_TRUE(info.caps & IPCX_SCHEME_NAMED);
		ASSERT_TRUE(info.caps & IPCX_SCHEME_MANY_RECV);
		ASSERT_TRUE(!(info.caps & IPCX_SCHEME_EOF));
		ASSERT_TRUE(info.sample != NULL);
	}
}

/* ---- naming: the same objects as the C APIs ---------------------------- */

static void
shm_names(void)
{
	const char *uri = uri_with("shm", NULL);
	char slash[300];
	ipcx_chan *a, *b;
	char buf[8];
	int fd;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	ASSERT_TRUE(exists("shm", uri));
	/* shm:NAME and shm:/NAME are one object, the one shm_open opens. */
	snprintf(slash, sizeof(slash), "shm:/%s", uri + 4);
	IPCX_PASS(ipcx_join(&b, slash, 0));
	ipcx_test_send_str(a, "same");
	ipcx_test_recv_str(b, "same");
	fd = shm_open(shm_name_of(uri) + 8, O_RDONLY, 0);
	ASSERT_GE(fd, 3);
	close(fd);
	IPCX_FAIL(ipcx_create(&b, slash, IPCX_EXCL), -EEXIST);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(b);
	ipcx_close(a);
	ASSERT_TRUE(!exists("shm", uri));
	ASSERT_EQ(ipcx_test_registry_count(), 0);
	IPCX_FAIL(ipcx_join(&a, uri, 0), -ENOENT);
	IPCX_FAIL(ipcx_unlink(uri), -ENOENT);
}

static void
sysv_keys(void)
{
	char path[600], uri[700], dec[100];
	struct ipcx_stat st;
	const char *hex = uri_with("sysvshm", NULL);
	ipcx_chan *a, *b;
	key_t k;
	int fd;

	/* ftok:PATH:ID is exactly the key ftok(3) gives. */
	snprintf(path, sizeof(path), "%s/keyfile", ipcx_test_dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_GE(fd, 0);
	close(fd);
	k = ftok(path, 7);
	ASSERT_NE(k, (key_t)-1);
	snprintf(uri, sizeof(uri), "sysvshm:ftok:%s:7", path);
	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	ASSERT_GE(shmget(k, 0, 0), 0);
	IPCX_PASS(ipcx_stat(a, &st));
	snprintf(dec, sizeof(dec), "sysvshm:0x%08x", (unsigned)k);
	ASSERT_STREQ(st.uri, dec);
	IPCX_PASS(ipcx_join(&b, dec, 0));
	ipcx_test_send_str(b, "ftok");
	ipcx_test_recv_str(a, "ftok");
	ipcx_close(b);
	ipcx_close(a);
	ASSERT_LT(shmget(k, 0, 0), 0);
	/* Hex and decimal name one key. */
	IPCX_PASS(ipcx_create(&a, hex, IPCX_EXCL));
	snprintf(dec, sizeof(dec), "sysvshm:%u", (unsigned)sysv_key_of(hex));
	IPCX_PASS(ipcx_join(&b, dec, 0));
	ipcx_test_send_str(b, "dec");
	ipcx_test_recv_str(a, "dec");
	ipcx_close(b);
	ipcx_close(a);
	ASSERT_TRUE(!exists("sysvshm", hex));
	/* An ftok path that does not exist. */
	snprintf(uri, sizeof(uri), "sysvshm:ftok:%s/none:1", ipcx_test_dir);
	IPCX_FAIL(ipcx_create(&a, uri, 0), -ENOENT);
	IPCX_FAIL(ipcx_join(&a, hex, 0), -ENOENT);
	IPCX_FAIL(ipcx_unlink(hex), -ENOENT);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

/* ---- geometry, adoption, modes ----------------------------------------- */

static void
geometry(const char *scheme)
{
	const char *uri = uri_with(scheme, "slots=8&slot_size=100");
	char other[700], base[600], bigmax[700], smallmax[700], buf[200];
	struct ipcx_stat st;
	ipcx_chan *a, *b;
	int rc;

	snprintf(base, sizeof(base), "%.*s", (int)strcspn(uri, "?") & 511, uri);
	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.max_msg, 100);
	/* Create with another geometry: -EEXIST, never a silent re-use. */
	snprintf(other, sizeof(other), "%s?slots=16&slot_size=100", base);
	/* While its creator lives the registry refuses first (-EBUSY, naming
	 * the holder); a leftover of another geometry is -EEXIST. */
	rc = ipcx_create(&b, other, 0);
	ASSERT_TRUE(rc == -EBUSY || rc == -EEXIST);
	if (rc == -EEXIST)
		ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "slots=8") != NULL);
	rc = ipcx_create(&b, base, 0); /* the defaults differ too */
	ASSERT_TRUE(rc == -EBUSY || rc == -EEXIST);
	/* Join takes the ring as it is, or checks what the URI says. */
	IPCX_FAIL(ipcx_join(&b, other, 0), -EINVAL);
	snprintf(bigmax, sizeof(bigmax), "%s?max=101", base);
	IPCX_FAIL(ipcx_join(&b, bigmax, 0), -EINVAL);
	snprintf(smallmax, sizeof(smallmax), "%s?max=10", base);
	IPCX_PASS(ipcx_join(&b, smallmax, 0));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_EQ(st.max_msg, 10);
	IPCX_FAIL(ipcx_send(b, buf, 11, 0), -EMSGSIZE);
	IPCX_PASS(ipcx_send(b, buf, 10, 0));
	ipcx_close(b);
	IPCX_PASS(ipcx_join(&b, base, 0));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_EQ(st.max_msg, 100);
	ASSERT_EQ(st.queued, 1);
	IPCX_FAIL(ipcx_send(b, buf, 101, 0), -EMSGSIZE);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), 10);
	ipcx_close(b);
	/* The same geometry while its creator lives: never adopted from under
	 * it (DESIGN.md, the registry). */
	IPCX_FAIL(ipcx_create(&b, uri, 0), -EBUSY);
	ipcx_close(a);
	ASSERT_TRUE(!exists(scheme, uri));
	/* max= alone on create sizes the slots. */
	snprintf(bigmax, sizeof(bigmax), "%s?max=20000", base);
	IPCX_PASS(ipcx_create(&a, bigmax, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&b, base, 0));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_EQ(st.max_msg, 20000);
	ipcx_close(b);
	ipcx_close(a);
}

static void
geometry_shm(void)
{
	geometry("shm");
}

static void
geometry_sysvshm(void)
{
	geometry("sysvshm");
}

/*
 * A leftover: its creator died without closing.  A create without
 * IPCX_EXCL adopts it, with what it still holds; with IPCX_EXCL it is
 * -EEXIST.
 */
static int
die_with_messages(void *arg)
{
	ipcx_chan *ch;

	if (ipcx_create(&ch, arg, IPCX_EXCL) < 0)
		return 1;
	ipcx_test_send_str(ch, "one");
	ipcx_test_send_str(ch, "two");
	_exit(0); /* no close: a crash, as far as the ring knows */
}

static void
adopt_leftover(const char *scheme)
{
	const char *uri = uri_with(scheme, NULL);
	ipcx_chan *a;

	ipcx_test_wait(ipcx_test_peer(die_with_messages, (void *)uri), LONG_MS);
	ASSERT_TRUE(exists(scheme, uri));
	IPCX_FAIL(ipcx_create(&a, uri, IPCX_EXCL), -EEXIST);
	IPCX_PASS(ipcx_create(&a, uri, 0));
	ipcx_test_recv_str(a, "one");
	ipcx_test_recv_str(a, "two");
	ipcx_close(a);
	ASSERT_TRUE(!exists(scheme, uri));
}

static void
adopt_shm(void)
{
	adopt_leftover("shm");
}

static void
adopt_sysvshm(void)
{
	adopt_leftover("sysvshm");
}

/* Someone else's object under the name is never adopted, read as a ring,
 * or harmed. */
static void
foreign_shm(void)
{
	const char *uri = uri_with("shm", NULL);
	const char *name = shm_name_of(uri) + 8;
	ipcx_chan *a;
	char buf[16];
	int fd;

	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(ftruncate(fd, 65536), 0);
	ASSERT_EQ(pwrite(fd, "not a ring", 10, 0), 10);
	IPCX_FAIL(ipcx_create(&a, uri, 0), -EEXIST);
	IPCX_FAIL(ipcx_join(&a, uri, 0), -EPROTO);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "magic") != NULL);
	ASSERT_EQ(pread(fd, buf, 10, 0), 10);
	ASSERT_MEMEQ(buf, "not a ring", 10);
	close(fd);
	/* An empty one (as shm_open leaves it) too. */
	ASSERT_EQ(shm_unlink(name), 0);
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	close(fd);
	IPCX_FAIL(ipcx_create(&a, uri, 0), -EEXIST);
	IPCX_FAIL(ipcx_join(&a, uri, 0), -EPROTO);
	/* ipcx_unlink removes what the name names. */
	IPCX_PASS(ipcx_unlink(uri));
	IPCX_FAIL(ipcx_unlink(uri), -ENOENT);
}

static void
foreign_sysvshm(void)
{
	const char *uri = uri_with("sysvshm", NULL);
	int id = shmget(sysv_key_of(uri), 65536, IPC_CREAT | IPC_EXCL | 0600);
	ipcx_chan *a;
	char *p;

	ASSERT_GE(id, 0);
	p = shmat(id, NULL, 0);
	ASSERT_TRUE(p != (void *)-1);
	memcpy(p, "not a ring", 10);
	IPCX_FAIL(ipcx_create(&a, uri, 0), -EEXIST);
	/* A joiner waits a moment for a creator to format it, then says no. */
	IPCX_FAIL(ipcx_join(&a, uri, 0), -EPROTO);
	ASSERT_MEMEQ(p, "not a ring", 10);
	shmdt(p);
	IPCX_PASS(ipcx_unlink(uri));
	ASSERT_LT(shmget(sysv_key_of(uri), 0, 0), 0);
}

static void
modes(const char *scheme)
{
	const char *uri = uri_with(scheme, "mode=0640");
	struct ipcx_stat st;
	ipcx_chan *a;
	mode_t old = umask(077);

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	umask(old);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.mode & 0777, 0640);
	ASSERT_TRUE(st.has_owner);
	ASSERT_EQ(st.owner_uid, geteuid());
	ASSERT_STREQ(st.scheme, scheme);
	ASSERT_EQ(st.role, IPCX_ROLE_CREATOR);
	ipcx_close(a);
	IPCX_PASS(ipcx_create(&a, uri_with(scheme, NULL), IPCX_EXCL));
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.mode & 0777, 0600);
	ipcx_close(a);
}

static void
modes_shm(void)
{
	modes("shm");
}

static void
modes_sysvshm(void)
{
	modes("sysvshm");
}

static void
keep_and_unlink(const char *scheme)
{
	const char *uri = uri_with(scheme, NULL);
	ipcx_chan *a;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL | IPCX_KEEP));
	ASSERT_EQ(ipcx_test_registry_count(), 1);
	ipcx_test_send_str(a, "kept");
	ipcx_close(a);
	ASSERT_TRUE(exists(scheme, uri));
	IPCX_PASS(ipcx_join(&a, uri, 0));
	ipcx_test_recv_str(a, "kept");
	ipcx_close(a);
	ASSERT_TRUE(exists(scheme, uri));
	IPCX_PASS(ipcx_unlink(uri));
	ASSERT_TRUE(!exists(scheme, uri));
	ASSERT_EQ(ipcx_test_registry_count(), 0);
	IPCX_FAIL(ipcx_unlink(uri), -ENOENT);
}

static void
keep_shm(void)
{
	keep_and_unlink("shm");
}

static void
keep_sysvshm(void)
{
	keep_and_unlink("sysvshm");
}

/* ---- zero-copy --------------------------------------------------------- */

static void
loan_commit(void)
{
	const char *uri = uri_with("shm", "slots=4&slot_size=64&spin=0");
	ipcx_chan *a, *b;
	void *p, *q;
	char buf[64];
	int i;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	IPCX_FAIL(ipcx_loan(a, 65, &p), -EMSGSIZE);
	IPCX_FAIL(ipcx_loan(a, 10, NULL), -EINVAL);
	IPCX_FAIL(ipcx_commit(a, buf, 3), -EINVAL); /* nothing loaned */
	IPCX_PASS(ipcx_loan(a, 10, &p));
	memcpy(p, "in place", 8);
	IPCX_FAIL(ipcx_loan(a, 10, &q), -EBUSY);
	IPCX_FAIL(ipcx_send(a, "x", 1, 0), -EBUSY); /* it would overtake the loan */
	IPCX_FAIL(ipcx_commit(a, buf, 8), -EINVAL);
	IPCX_FAIL(ipcx_commit(a, p, 11), -EMSGSIZE);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), -EAGAIN); /* not yet committed */
	IPCX_PASS(ipcx_commit(a, p, 8));
	IPCX_FAIL(ipcx_commit(a, p, 8), -EINVAL);
	IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), LONG_MS), 8);
	ASSERT_MEMEQ(buf, "in place", 8);
	/* Full: loan answers -EAGAIN (it never sleeps). */
	for (i = 0; i < 4; i++)
		IPCX_PASS(ipcx_send(a, "f", 1, 0));
	IPCX_FAIL(ipcx_loan(a, 1, &p), -EAGAIN);
	for (i = 0; i < 4; i++)
		IPCX_FAIL(ipcx_recv(b, buf, sizeof(buf), 0), 1);
	/* A loan never committed is given back at close: the slot is free
	 * again and no phantom message appears. */
	IPCX_PASS(ipcx_loan(b, 5, &p));
	ipcx_close(b);
	for (i = 0; i < 4; i++)
		IPCX_PASS(ipcx_send(a, "g", 1, 0));
	IPCX_FAIL(ipcx_send(a, "g", 1, 0), -EAGAIN);
	for (i = 0; i < 4; i++)
		IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), LONG_MS), 1);
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EAGAIN);
	/* A zero-length commit is an empty message. */
	IPCX_PASS(ipcx_loan(a, 0, &p));
	IPCX_PASS(ipcx_commit(a, p, 0));
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), 0);
	ipcx_close(a);
}

static void
borrow_release(void)
{
	const char *uri = uri_with("shm", "slots=32&slot_size=64");
	const void *ptrs[17], *p;
	ipcx_chan *a, *b;
	size_t len;
	char buf[64];
	int i;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	IPCX_FAIL(ipcx_recv_borrow(b, &p, &len, 0), -EAGAIN);
	IPCX_FAIL(ipcx_recv_borrow(b, NULL, &len, 0), -EINVAL);
	IPCX_FAIL(ipcx_release(b, buf), -EINVAL);
	for (i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "m%02d", i);
		IPCX_PASS(ipcx_send(a, buf, 3, 0));
	}
	/* Up to 16 held at once, each in place, in order. */
	for (i = 0; i < 16; i++) {
		snprintf(buf, sizeof(buf), "m%02d", i);
		IPCX_FAIL(ipcx_recv_borrow(b, &ptrs[i], &len, 0), 3);
		ASSERT_EQ(len, 3);
		ASSERT_MEMEQ(ptrs[i], buf, 3);
	}
	IPCX_FAIL(ipcx_recv_borrow(b, &p, &len, 0), -EBUSY);
	IPCX_PASS(ipcx_release(b, ptrs[3]));
	IPCX_FAIL(ipcx_release(b, ptrs[3]), -EINVAL);
	IPCX_FAIL(ipcx_release(b, (const char *)ptrs[4] + 1), -EINVAL);
	IPCX_FAIL(ipcx_recv_borrow(b, &ptrs[3], &len, 0), 3);
	ASSERT_MEMEQ(ptrs[3], "m16", 3);
	for (i = 0; i < 8; i++)
		IPCX_PASS(ipcx_release(b, ptrs[i]));
	/* Closing with 8 unreleased: they were never delivered, so another
	 * receiver gets them, oldest first. */
	ipcx_close(b);
	for (i = 8; i < 16; i++) {
		snprintf(buf, sizeof(buf), "m%02d", i);
		ipcx_test_recv_str(a, buf);
	}
	for (i = 17; i < 20; i++) {
		snprintf(buf, sizeof(buf), "m%02d", i);
		ipcx_test_recv_str(a, buf);
	}
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EAGAIN);
	ipcx_close(a);
}

/* ---- waiting: wake-ups, deadlines, every strategy ---------------------- */

static void *
wake_later(void *arg)
{
	usleep(100000);
	ipcx_wake(arg);
	return NULL;
}

static void
wakes(const char *spin)
{
	char q[64];
	const char *uri;
	ipcx_chan *a;
	pthread_t t;
	char buf[8];
	int64_t t0;
	int i;

	snprintf(q, sizeof(q), "slots=2&spin=%s", spin);
	uri = uri_with("shm", q);
	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	/* A receive blocked in whatever phase the strategy has. */
	ASSERT_EQ(pthread_create(&t, NULL, wake_later, a), 0);
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), -1), -ECANCELED);
	pthread_join(t, NULL);
	/* A send blocked on a full ring. */
	for (i = 0; i < 2; i++)
		IPCX_PASS(ipcx_send(a, "x", 1, 0));
	ASSERT_EQ(pthread_create(&t, NULL, wake_later, a), 0);
	IPCX_FAIL(ipcx_send(a, "y", 1, -1), -ECANCELED);
	pthread_join(t, NULL);
	/* One wake, one call: the next waits out its deadline, never less. */
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_send(a, "y", 1, 100), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 100);
	for (i = 0; i < 2; i++)
		IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), 1);
	t0 = ipcx_test_now_ms();
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 100), -ETIMEDOUT);
	ASSERT_GE(ipcx_test_now_ms() - t0, 100);
	/* A wake-up before the call ends the next blocking one; a
	 * non-blocking call neither waits nor uses it up. */
	IPCX_PASS(ipcx_wake(a));
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), -EAGAIN);
	IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), LONG_MS), -ECANCELED);
	ipcx_close(a);
}

static void
wake_spin_default(void)
{
	wakes("50");
}

static void
wake_spin_none(void)
{
	wakes("0");
}

static void
wake_spin_forever(void)
{
	wakes("-1");
}

/* A receiver in another process, blocked in each strategy, gets a message
 * sent later (the wake-up protocol across processes). */
static int
recv_one(void *arg)
{
	ipcx_chan *ch;
	char buf[16];

	if (ipcx_join(&ch, arg, 0) < 0)
		return 1;
	if (ipcx_recv(ch, buf, sizeof(buf), LONG_MS) != 5 || memcmp(buf, "later", 5) != 0)
		return 2;
	ipcx_close(ch);
	return 0;
}

static void
cross_process_wakes(void)
{
	static const char *const spins[] = { "spin=0", "spin=-1", "spin=50", "spin=200000" };
	int i;

	for (i = 0; i < 4; i++) {
		const char *uri = uri_with("shm", spins[i]);
		ipcx_chan *a;
		pid_t p;

		IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
		p = ipcx_test_peer(recv_one, (void *)uri);
		usleep(50000);
		ipcx_test_send_str(a, "later");
		ipcx_test_wait(p, LONG_MS);
		ipcx_close(a);
	}
}

/* ---- participants ------------------------------------------------------ */

static void
too_many_participants(void)
{
	const char *uri = uri_with("shm", "slots=2");
	static ipcx_chan *h[IPCX_RING_PARTS + 1];
	char buf[8];
	int i;

	for (i = 0; i <= (int)IPCX_RING_PARTS; i++)
		IPCX_PASS(i == 0 ? ipcx_create(&h[i], uri, IPCX_EXCL) : ipcx_join(&h[i], uri, 0));
	/* Joining takes no place; using the ring does. */
	for (i = 0; i < (int)IPCX_RING_PARTS; i++)
		IPCX_FAIL(ipcx_recv(h[i], buf, sizeof(buf), 0), -EAGAIN);
	IPCX_FAIL(ipcx_recv(h[IPCX_RING_PARTS], buf, sizeof(buf), 0), -EUSERS);
	ASSERT_TRUE(strstr(ipcx_errmsg(h[IPCX_RING_PARTS]), "participants") != NULL);
	ipcx_close(h[5]);
	IPCX_FAIL(ipcx_recv(h[IPCX_RING_PARTS], buf, sizeof(buf), 0), -EAGAIN);
	for (i = 0; i <= (int)IPCX_RING_PARTS; i++)
		if (i != 5)
			ipcx_close(h[i]);
}

/* A forked child that closes its copy of the parent's handle gives back
 * nothing of the parent's (DESIGN.md: channels do not survive fork). */
static int
close_copy(void *arg)
{
	ipcx_close(arg);
	return 0;
}

static void
fork_close(void)
{
	const char *uri = uri_with("shm", NULL);
	ipcx_chan *a, *b;
	const void *p;
	size_t len;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	IPCX_PASS(ipcx_join(&b, uri, 0));
	ipcx_test_send_str(a, "held");
	IPCX_FAIL(ipcx_recv_borrow(b, &p, &len, 0), 4);
	ipcx_test_wait(ipcx_test_peer(close_copy, b), LONG_MS);
	/* The borrow is still the parent's, not requeued by the child. */
	ipcx_test_send_str(a, "next");
	ipcx_test_recv_str(a, "next");
	IPCX_PASS(ipcx_release(b, p));
	ASSERT_TRUE(exists("shm", uri));
	ipcx_close(b);
	ipcx_close(a);
}

static void
stat_queued(void)
{
	const char *uri = uri_with("sysvshm", "slots=8");
	struct ipcx_stat st;
	ipcx_chan *a;
	char buf[8];
	int i;

	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	for (i = 0; i < 8; i++) {
		IPCX_PASS(ipcx_stat(a, &st));
		ASSERT_EQ(st.queued, i);
		ASSERT_EQ(st.queued_unit, 0);
		IPCX_PASS(ipcx_send(a, "q", 1, 0));
	}
	IPCX_FAIL(ipcx_send(a, "q", 1, 0), -EAGAIN);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.queued, 8);
	for (i = 0; i < 8; i++)
		IPCX_FAIL(ipcx_recv(a, buf, sizeof(buf), 0), 1);
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.queued, 0);
	ipcx_close(a);
}

/* The decoder for tools reads a ring without joining it. */
static void
describe(void)
{
	const char *uri = uri_with("shm", "slots=8&slot_size=64");
	struct ipcx_ring_info *info = calloc(1, sizeof(*info));
	ipcx_chan *a;
	struct stat sb;
	void *m;
	int fd;

	ASSERT_TRUE(info != NULL);
	IPCX_PASS(ipcx_create(&a, uri, IPCX_EXCL));
	ipcx_test_send_str(a, "one");
	fd = open(shm_name_of(uri), O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(fstat(fd, &sb), 0);
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(m != MAP_FAILED);
	ASSERT_EQ(ipcx__ring_describe(m, (size_t)sb.st_size, info), 1);
	ASSERT_EQ(info->geom.slots, 8);
	ASSERT_EQ(info->geom.slot_size, 64);
	ASSERT_EQ(info->tail - info->head, 1);
	ASSERT_EQ(info->parts[0].pid, getpid());
	ASSERT_EQ(info->parts[0].alive, 1);
	munmap(m, (size_t)sb.st_size);
	close(fd);
	ipcx_close(a);
	free(info);
}

TEST_LIST = {
	{ "uri checks", uri_checks },
	{ "scheme info", scheme_info },
	{ "shm names", shm_names },
	{ "sysvshm keys", sysv_keys },
	{ "geometry/shm", geometry_shm },
	{ "geometry/sysvshm", geometry_sysvshm },
	{ "adopt leftover/shm", adopt_shm },
	{ "adopt leftover/sysvshm", adopt_sysvshm },
	{ "foreign object/shm", foreign_shm },
	{ "foreign object/sysvshm", foreign_sysvshm },
	{ "modes/shm", modes_shm },
	{ "modes/sysvshm", modes_sysvshm },
	{ "keep and unlink/shm", keep_shm },
	{ "keep and unlink/sysvshm", keep_sysvshm },
	{ "loan and commit", loan_commit },
	{ "borrow and release", borrow_release },
	{ "wake/spin=50", wake_spin_default },
	{ "wake/spin=0", wake_spin_none },
	{ "wake/spin=-1", wake_spin_forever },
	{ "cross-process wake-ups", cross_process_wakes },
	{ "too many participants", too_many_participants },
	{ "fork close", fork_close },
	{ "stat queued", stat_queued },
	{ "describe", describe },
	{ NULL, NULL },
};
