/* SPDX-License-Identifier: MIT */
/*
 * uri_test.c - the URI grammar (DESIGN.md, "URI grammar"): a table of
 * malformed URIs that must give -EINVAL from ipcx_uri_check, ipcx_create
 * and ipcx_join alike, with nothing created and a reason in
 * ipcx_errmsg(NULL); valid ones that ipcx_uri_check passes; the parse of
 * valid ones through ipcx__uri_parse; and the planned schemes answering
 * -ENOTSUP rather than -EINVAL.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <dirent.h>
#include <limits.h>

#include "core/uri.h"

/* ipcx_errmsg(NULL) gives the reason for a refused URI. */
static void
assert_uri_reason(const char *call, const char *uri)
{
	const char *why = ipcx_errmsg(NULL);

	if (why == NULL || strncmp(why, "invalid URI: ", 13) != 0 || why[13] == '\0')
		IPCX_TEST_FAILF("%s(\"%s\"): ipcx_errmsg(NULL) = \"%s\", expected "
		                "\"invalid URI: <reason>\"", call, uri, why ? why : "(null)");
}

/* Entries of the scratch directory, the registry directory included if it
 * holds anything. */
static int
scratch_entries(void)
{
	DIR *d = opendir(ipcx_test_dir);
	struct dirent *e;
	int n = 0;

	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strcmp(e->d_name, ".registry") == 0)
			continue;
		n++;
	}
	closedir(d);
	return n + ipcx_test_registry_count();
}

/* "@" in a template stands for the scratch directory. */
static char *
expand(const char *tmpl)
{
	static char out[20000];
	size_t o = 0;

	for (; *tmpl && o < sizeof(out) - 300; tmpl++) {
		if (*tmpl == '@' && tmpl[1] == '/') {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", ipcx_test_dir);
			continue;
		}
		out[o++] = *tmpl;
	}
	out[o] = '\0';
	return out;
}

/*
 * Malformed URIs, each -EINVAL with nothing created.  "@/" is the scratch
 * directory, so anything wrongly made would be seen.
 */
static const char *const malformed[] = {
	/* no scheme, bad scheme */
	"",
	":",
	":@/a",
	"fifo",
	"@/a",
	"FIFO:@/a",
	"Fifo:@/a",
	"1fifo:@/a",
	"fi-fo:@/a",
	"fi fo:@/a",
	"nosuch:@/a",
	"averyveryverylongscheme:@/a",
	/* no address where one is needed */
	"fifo:",
	"fifo:?mode=0600",
	"unix:@",
	"tcp:",
	/* "//" is for tcp only */
	"fifo://@/a",
	"unix://@/s",
	"pipe://",
	/* the query */
	"fifo:@/a?",
	"fifo:@/a?mode",
	"fifo:@/a?=0600",
	"fifo:@/a?mode=0600&",
	"fifo:@/a?mode=0600&&max=1K",
	"fifo:@/a?&mode=0600",
	"fifo:@/a?bogus=1",
	"fifo:@/a?timeout=5",           /* a key of other schemes, not of fifo */
	"fifo:@/a?MODE=0600",
	"fifo:@/a?mo-de=0600",
	"fifo:@/a?m%6Fde=0600",          /* keys are never escaped */
	"fifo:@/a?mode=0600&mode=0600",  /* repeated key */
	"fifo:@/a?max=1K&mode=0600&max=1K",
	"fifo:@/a?mode=0600?max=1K",     /* a second '?' is part of a value */
	/* empty values */
	"fifo:@/a?mode=",
	"fifo:@/a?max=",
	"fifo:@/a?framing=",
	"unix:@/s?type=",
	/* values out of range */
	"fifo:@/a?mode=0800",
	"fifo:@/a?mode=01777",
	"fifo:@/a?mode=-1",
	"fifo:@/a?mode=0x1ff",
	"fifo:@/a?mode=rw",
	"fifo:@/a?max=0",
	"fifo:@/a?max=0K",
	"fifo:@/a?max=2G",
	"fifo:@/a?max=1T",
	"fifo:@/a?max=-1",
	"fifo:@/a?max=1.5K",
	"fifo:@/a?max=12X",
	"fifo:@/a?max=K",
	"fifo:@/a?max=99999999999999999999999",
	"fifo:@/a?max=1k",
	"fifo:@/a?framing=foo",
	"fifo:@/a?framing=LEN",
	"unix:@/s?type=foo",
	"unix:@/s?type=STREAM",
	"unix:@/s?type=dgram&framing=line", /* only byte streams are framed */
	"unix:@/s?allow_uid=abc",
	"unix:@/s?allow_uid=1,",
	"unix:@/s?allow_uid=,1",
	"unix:@/s?allow_uid=4294967296",
	"tcp:127.0.0.1:65536",
	"tcp:127.0.0.1:99999999999",
	"tcp:127.0.0.1:-1",
	"tcp:127.0.0.1:8a",
	"tcp:127.0.0.1:",
	"tcp:127.0.0.1",
	"tcp::80",
	"tcp:::1:80",                    /* IPv6 must be bracketed */
	"tcp:fe80::1:80",
	"tcp:[::1]",
	"tcp:[::1]80",
	"tcp:[::1:80",
	"tcp:[127.0.0.1]:80",           /* brackets are for IPv6 only */
	"tcp:[]:80",
	"tcp:127.0.0.1:80?mode=0600",   /* tcp takes no mode */
	"tcp://127.0.0.1:80?framing=foo",
	/* escapes */
	"fifo:@/a%",
	"fifo:@/a%4",
	"fifo:@/a%zz",
	"fifo:@/a%g0",
	"fifo:@/a%00b",                 /* an embedded NUL */
	"fifo:@/a?mode=06%000",
	"fifo:@/a?framing=l%00ine",
	/* an unescaped '&' before '?' is a typo, not a path */
	"fifo:@/a&b",
	NULL,
};

/* pipe: addresses are descriptors; create makes no sense for pipe: (that
 * is -ENOTSUP), so these are checked with ipcx_join only. */
static const char *const malformed_pipe[] = {
	"pipe:x", "pipe:-1", "pipe:1,", "pipe:,1", "pipe:3,3", "pipe:1,2,3",
	"pipe:99999999999", "pipe:0x3", "pipe: 3", "pipe:3?framing=foo", "pipe:3?mode=0600",
	NULL,
};

static void
test_malformed(void)
{
	const char *const *t;

	for (t = malformed; *t != NULL; t++) {
		const char *uri = expand(*t);
		ipcx_chan *ch = (ipcx_chan *)0x1;
		int rc, fds = ipcx_test_fd_count();

		/* The check agrees with create and join, and touches nothing. */
		rc = ipcx_uri_check(uri);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_uri_check(\"%s\") -> %s, expected EINVAL", uri,
			                ipcx_errname(rc));
		assert_uri_reason("ipcx_uri_check", uri);
		ASSERT_EQ(ipcx_test_fd_count(), fds);
		if (scratch_entries() != 0)
			IPCX_TEST_FAILF("ipcx_uri_check(\"%s\") left something in %s", uri,
			                ipcx_test_dir);
		rc = ipcx_create(&ch, uri, 0);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_create(\"%s\") -> %s, expected EINVAL", uri,
			                ipcx_errname(rc));
		assert_uri_reason("ipcx_create", uri);
		/* Outputs are untouched on failure. */
		ASSERT_TRUE(ch == (ipcx_chan *)0x1);
		rc = ipcx_create(&ch, uri, IPCX_EXCL | IPCX_KEEP);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_create(\"%s\", EXCL|KEEP) -> %s", uri,
			                ipcx_errname(rc));
		rc = ipcx_join(&ch, uri, 0);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_join(\"%s\") -> %s, expected EINVAL", uri,
			                ipcx_errname(rc));
		assert_uri_reason("ipcx_join", uri);
		ASSERT_TRUE(ch == (ipcx_chan *)0x1);
		rc = ipcx_unlink(uri);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_unlink(\"%s\") -> %s, expected EINVAL", uri,
			                ipcx_errname(rc));
		assert_uri_reason("ipcx_unlink", uri);
		if (scratch_entries() != 0)
			IPCX_TEST_FAILF("\"%s\" left something in %s", uri, ipcx_test_dir);
	}
	for (t = malformed_pipe; *t != NULL; t++) {
		ipcx_chan *ch = NULL;
		int rc = ipcx_uri_check(*t);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_uri_check(\"%s\") -> %s, expected EINVAL", *t,
			                ipcx_errname(rc));
		assert_uri_reason("ipcx_uri_check", *t);
		rc = ipcx_join(&ch, *t, 0);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_join(\"%s\") -> %s, expected EINVAL", *t,
			                ipcx_errname(rc));
		assert_uri_reason("ipcx_join", *t);
		ASSERT_TRUE(ch == NULL);
	}
}

/*
 * Refused by the transport's own rules (its keys' values, its address
 * form), which used to be seen only inside c_create/c_join: now at check
 * time, with the reason a user reads.  "@/" is the scratch directory.
 */
static void
test_check_reasons(void)
{
	static const struct {
		const char *uri;
		int err;
		const char *why; /* the start of ipcx_errmsg(NULL) */
	} cases[] = {
		{ "fifo:@/a%zz", -EINVAL, "invalid URI: a '%' must be followed by two hex digits" },
		{ "fifo:@/a%4", -EINVAL, "invalid URI: a '%' must be followed by two hex digits" },
		{ "fifo:@/a%00", -EINVAL, "invalid URI: %00 (a NUL byte)" },
		{ "fifo:@/a?foo=1", -EINVAL, "invalid URI: unknown key 'foo' for fifo:" },
		{ "fifo:@/a?mode=0800", -EINVAL, "invalid URI: mode must be octal, at most 0777" },
		{ "fifo:@/a?framing=xml", -EINVAL, "invalid URI: framing must be len, line or raw" },
		{ "fifo:@/a?max=0", -EINVAL, "invalid URI: max must be" },
		{ "fifo:@/a?mode=1&mode=1", -EINVAL, "invalid URI: a key is given twice" },
		{ "foo:x", -EINVAL, "invalid URI: unknown scheme 'foo'" },
		{ "nocolon", -EINVAL, "invalid URI: expected SCHEME:ADDRESS" },
		{ "fifo://x", -EINVAL, "invalid URI: '//' is accepted for tcp: only" },
		{ "fifo:", -EINVAL, "invalid URI: the address after 'fifo:' is empty" },
		{ "unix:@/s?type=foo", -EINVAL,
		  "invalid URI: type must be stream, seqpacket or dgram" },
		{ "unix:@/s?type=dgram&framing=raw", -EINVAL, "invalid URI: framing= is for" },
		{ "unix:@/s?allow_uid=abc", -EINVAL, "invalid URI: allow_uid must be" },
		{ "unix:@/s?allow_uid=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", -EINVAL,
		  "invalid URI: allow_uid takes at most 15 uids" },
		{ "unix:?allow_uid=1", -EINVAL, "invalid URI: allow_uid needs a socket address" },
		{ "unix:@", -EINVAL, "invalid URI: an abstract unix: name needs a name" },
		{ "unix:@/s?timeout=soon", -EINVAL, "invalid URI: timeout must be" },
		{ "tcp:localhost:99999", -EINVAL, "invalid URI: a tcp: port is a number" },
		{ "tcp:::1:80", -EINVAL, "invalid URI: IPv6 addresses need brackets: tcp:[::1]:PORT" },
		{ "tcp:[127.0.0.1]:80", -EINVAL, "invalid URI: brackets are for IPv6" },
		{ "tcp:[::1]80", -EINVAL, "invalid URI: expected tcp:[IPV6]:PORT" },
		{ "tcp:localhost", -EINVAL, "invalid URI: expected tcp:HOST:PORT" },
		{ "pipe:x", -EINVAL, "invalid URI: pipe: takes a descriptor number" },
		{ "pipe:1,1", -EINVAL, "invalid URI: pipe:RFD,WFD names two different" },
		{ "pipe:1,2,3", -EINVAL, "invalid URI: pipe: takes a descriptor number" },
	};
	char uri[600];
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *u = expand(cases[i].uri);
		int rc = ipcx_uri_check(u);
		if (rc != cases[i].err)
			IPCX_TEST_FAILF("ipcx_uri_check(\"%s\") -> %s, expected %s", u,
			                ipcx_errname(rc), ipcx_errname(cases[i].err));
		if (strncmp(ipcx_errmsg(NULL), cases[i].why, strlen(cases[i].why)) != 0)
			IPCX_TEST_FAILF("ipcx_uri_check(\"%s\"): ipcx_errmsg(NULL) = \"%s\", "
			                "expected \"%s...\"", u, ipcx_errmsg(NULL), cases[i].why);
	}
	/* A unix path of 200 bytes: -ENAMETOOLONG, as create says, now from
	 * the check. */
	n = snprintf(uri, sizeof(uri), "unix:%s/", ipcx_test_dir);
	memset(uri + n, 's', 200);
	uri[n + 200] = '\0';
	IPCX_FAIL(ipcx_uri_check(uri), -ENAMETOOLONG);
	ASSERT_STREQ(ipcx_errmsg(NULL), "invalid URI: unix path longer than 107 bytes");
	/* A passing check clears the reason. */
	IPCX_PASS(ipcx_uri_check("pipe:0"));
	ASSERT_STREQ(ipcx_errmsg(NULL), "");
	IPCX_FAIL(ipcx_uri_check(NULL), -EINVAL);
	assert_uri_reason("ipcx_uri_check", "NULL");
	ASSERT_EQ(scratch_entries(), 0);
}

/*
 * URIs ipcx_uri_check passes, and the opening calls then never refuse as
 * -EINVAL (they may still find nothing there, or a scheme not built yet).
 */
static void
test_check_valid(void)
{
	static const char *const valid[] = {
		"fifo:@/v1",
		"fifo:@/v2?mode=0640&max=4K&framing=line",
		"fifo:@/v%3Fq%26r",
		"unix:@/v.sock",
		"unix:@/v.sock?type=seqpacket&allow_uid=1,2&mode=0600&timeout=100",
		"unix:@/v.sock?type=dgram&max=1K",
		"unix:@ipcx-uri-check-valid?allow_uid=0",
		"tcp:127.0.0.1:0?max=64K&framing=raw",
		"tcp://127.0.0.1:0?timeout=100",
		"pipe:99999",
		"pipe:99998,99999?framing=line",
		"shm:x?slots=16&slot_size=4K",
		"mq:/x?maxmsg=10",
		"signal:self",
		NULL,
	};
	/* Valid for ipcx_pair: no address. */
	static const char *const pair_only[] = {
		"pipe:", "pipe:?max=1K&framing=raw", "unix:", "unix:?type=dgram", NULL,
	};
	const char *const *t;
	int fds = ipcx_test_fd_count();

	for (t = valid; *t != NULL; t++) {
		const char *uri = expand(*t);
		int rc = ipcx_uri_check(uri);
		if (rc != 0)
			IPCX_TEST_FAILF("ipcx_uri_check(\"%s\") -> %s (%s)", uri, ipcx_errname(rc),
			                ipcx_errmsg(NULL));
		ASSERT_STREQ(ipcx_errmsg(NULL), "");
	}
	for (t = pair_only; *t != NULL; t++)
		IPCX_PASS(ipcx_uri_check(*t));
	/* Nothing was created, opened or registered. */
	ASSERT_EQ(ipcx_test_fd_count(), fds);
	ASSERT_EQ(scratch_entries(), 0);

	for (t = valid; *t != NULL; t++) {
		char uri[600];
		ipcx_chan *ch = NULL;
		int rc;

		snprintf(uri, sizeof(uri), "%s", expand(*t));
		rc = ipcx_create(&ch, uri, 0);
		if (rc == -EINVAL)
			IPCX_TEST_FAILF("ipcx_create(\"%s\") -> EINVAL (%s) after the check passed",
			                uri, ipcx_errmsg(NULL));
		if (rc == 0)
			ipcx_close(ch);
		ch = NULL;
		rc = ipcx_join(&ch, uri, 0);
		if (rc == -EINVAL)
			IPCX_TEST_FAILF("ipcx_join(\"%s\") -> EINVAL (%s) after the check passed",
			                uri, ipcx_errmsg(NULL));
		if (rc == 0)
			ipcx_close(ch);
	}
	for (t = pair_only; *t != NULL; t++) {
		ipcx_chan *a = NULL, *b = NULL;
		IPCX_PASS(ipcx_pair(*t, &a, &b));
		ipcx_close(a);
		ipcx_close(b);
	}
	ASSERT_EQ(scratch_entries(), 0);
}

/* ipcx_errmsg(NULL) for what is not the URI's fault, and for the calls that
 * need an address the check lets through (a pair's). */
static void
test_errmsg_runtime(void)
{
	char uri[600], path[500];
	ipcx_chan *a = NULL, *b = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/plain", ipcx_test_dir);
	snprintf(uri, sizeof(uri), "fifo:%s", path);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	IPCX_PASS(ipcx_uri_check(uri));
	IPCX_FAIL(ipcx_join(&a, uri, 0), -EINVAL);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "exists and is not a FIFO") != NULL);
	ASSERT_TRUE(strncmp(ipcx_errmsg(NULL), "invalid URI", 11) != 0);
	IPCX_FAIL(ipcx_unlink(uri), -EINVAL);
	ASSERT_TRUE(strstr(ipcx_errmsg(NULL), "exists and is not a FIFO") != NULL);
	ASSERT_EQ(unlink(path), 0);
	/* Valid URIs that these calls cannot take as written. */
	IPCX_FAIL(ipcx_join(&a, "unix:", 0), -EINVAL);
	assert_uri_reason("ipcx_join", "unix:");
	IPCX_FAIL(ipcx_join(&a, "pipe:", 0), -EINVAL);
	assert_uri_reason("ipcx_join", "pipe:");
	IPCX_FAIL(ipcx_pair("pipe:3", &a, &b), -EINVAL);
	assert_uri_reason("ipcx_pair", "pipe:3");
	IPCX_FAIL(ipcx_pair("unix:@x", &a, &b), -EINVAL);
	assert_uri_reason("ipcx_pair", "unix:@x");
	IPCX_FAIL(ipcx_pair("unix:?type=foo", &a, &b), -EINVAL);
	assert_uri_reason("ipcx_pair", "unix:?type=foo");
	ASSERT_TRUE(a == NULL && b == NULL);
	/* A flag error is not a URI's. */
	IPCX_FAIL(ipcx_join(&a, "fifo:/x", IPCX_EXCL), -EINVAL);
	ASSERT_TRUE(ipcx_errmsg(NULL)[0] != '\0');
	ASSERT_EQ(scratch_entries(), 0);
}

/* Over-long input, a few sizes around the limit and far above it. */
static void
test_overlong(void)
{
	static const size_t lens[] = { IPCX_URI_MAX + 1, IPCX_URI_MAX + 100, 10000, 100000 };
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *uri = malloc(lens[i] + 1);
		struct ipcx_uri u;
		ipcx_chan *ch = NULL;
		int n;

		ASSERT_TRUE(uri != NULL);
		n = snprintf(uri, lens[i] + 1, "fifo:%s/", ipcx_test_dir);
		memset(uri + n, 'a', lens[i] - (size_t)n);
		uri[lens[i]] = '\0';
		ASSERT_EQ(strlen(uri), lens[i]);
		IPCX_FAIL(ipcx__uri_parse(uri, &u, NULL), -EINVAL);
		IPCX_FAIL(ipcx_uri_check(uri), -EINVAL);
		ASSERT_STREQ(ipcx_errmsg(NULL), "invalid URI: longer than 4200 bytes");
		IPCX_FAIL(ipcx_create(&ch, uri, 0), -EINVAL);
		IPCX_FAIL(ipcx_join(&ch, uri, 0), -EINVAL);
		IPCX_FAIL(ipcx_unlink(uri), -EINVAL);
		/* The same length as a query value. */
		n = snprintf(uri, lens[i] + 1, "fifo:%s/q?framing=", ipcx_test_dir);
		memset(uri + n, 'l', lens[i] - (size_t)n);
		IPCX_FAIL(ipcx__uri_parse(uri, &u, NULL), -EINVAL);
		IPCX_FAIL(ipcx_create(&ch, uri, 0), -EINVAL);
		free(uri);
	}
	ASSERT_EQ(scratch_entries(), 0);
}

/* Too long for the mechanism but fine as a URI: a clear -ENAMETOOLONG. */
static void
test_name_too_long(void)
{
	char uri[600];
	ipcx_chan *ch = NULL;
	int n;

	n = snprintf(uri, sizeof(uri), "unix:%s/", ipcx_test_dir);
	memset(uri + n, 's', 200);
	uri[n + 200] = '\0';
	IPCX_FAIL(ipcx_uri_check(uri), -ENAMETOOLONG);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -ENAMETOOLONG);
	assert_uri_reason("ipcx_create", uri);
	IPCX_FAIL(ipcx_join(&ch, uri, 0), -ENAMETOOLONG);
	snprintf(uri, sizeof(uri), "unix:@%0200d", 7);
	IPCX_FAIL(ipcx_uri_check(uri), -ENAMETOOLONG);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -ENAMETOOLONG);
	assert_uri_reason("ipcx_create", uri);
	ASSERT_EQ(scratch_entries(), 0);
}

/* A fifo: path of PATH_MAX bytes fits a URI but not the file system. */
static void
test_fifo_path_too_long(void)
{
	static char uri[IPCX_URI_MAX + 1];
	ipcx_chan *ch = NULL;
	int n;

	n = snprintf(uri, sizeof(uri), "fifo:%s/", ipcx_test_dir);
	memset(uri + n, 'f', PATH_MAX);
	uri[n + PATH_MAX] = '\0';
	IPCX_FAIL(ipcx_uri_check(uri), -ENAMETOOLONG);
	assert_uri_reason("ipcx_uri_check", "fifo:<PATH_MAX>");
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -ENAMETOOLONG);
	ASSERT_EQ(scratch_entries(), 0);
}

/* Malformed URIs and bad arguments elsewhere in the API. */
static void
test_other_entry_points(void)
{
	ipcx_chan *a = NULL, *b = NULL;
	char *argv[] = { (char *)"true", NULL };
	pid_t pid;

	IPCX_FAIL(ipcx_pair("pipe:?framing=foo", &a, &b), -EINVAL);
	IPCX_FAIL(ipcx_pair("pipe:?bogus=1", &a, &b), -EINVAL);
	IPCX_FAIL(ipcx_pair("unix:?type=foo", &a, &b), -EINVAL);
	IPCX_FAIL(ipcx_pair("unix:?type=dgram&framing=line", &a, &b), -EINVAL);
	IPCX_FAIL(ipcx_pair("nosuch:", &a, &b), -EINVAL);
	IPCX_FAIL(ipcx_pair("", &a, &b), -EINVAL);
	IPCX_FAIL(ipcx_pair(NULL, &a, &b), -EINVAL);
	IPCX_FAIL(ipcx_pair("pipe:", NULL, &b), -EINVAL);
	ASSERT_TRUE(a == NULL && b == NULL);
	IPCX_FAIL(ipcx_spawn(argv, "pipe:?framing=foo", &a, &pid), -EINVAL);
	IPCX_FAIL(ipcx_spawn(argv, "nonsense", &a, &pid), -EINVAL);
	IPCX_FAIL(ipcx_unlink("fifo:"), -EINVAL);
	IPCX_FAIL(ipcx_unlink("nosuch:/x"), -EINVAL);
	IPCX_FAIL(ipcx_unlink(expand("fifo:@/a?bogus=1")), -EINVAL);
	IPCX_FAIL(ipcx_unlink(NULL), -EINVAL);
	IPCX_FAIL(ipcx_create(NULL, expand("fifo:@/a"), 0), -EINVAL);
	IPCX_FAIL(ipcx_create(&a, NULL, 0), -EINVAL);
	IPCX_FAIL(ipcx_create(&a, expand("fifo:@/a"), 1u << 20), -EINVAL);
	IPCX_FAIL(ipcx_join(&a, expand("fifo:@/a"), IPCX_EXCL), -EINVAL);
	ASSERT_TRUE(a == NULL);
	ASSERT_EQ(scratch_entries(), 0);
}

/* Valid URIs, parsed right. */
struct parse_case {
	const char *text;
	const char *scheme;
	bool double_slash;
	const char *address;
	size_t address_len;
	int nparams;
	const char *keys[4];
	const char *values[4];
};

static const struct parse_case parse_cases[] = {
	{ "pipe:", "pipe", false, "", 0, 0, { 0 }, { 0 } },
	{ "a:b", "a", false, "b", 1, 0, { 0 }, { 0 } },
	{ "fifo:/run/app/in", "fifo", false, "/run/app/in", 11, 0, { 0 }, { 0 } },
	{ "fifo:relative/path", "fifo", false, "relative/path", 13, 0, { 0 }, { 0 } },
	{ "fifo:/a%3Fb%26c%25d", "fifo", false, "/a?b&c%d", 8, 0, { 0 }, { 0 } },
	{ "fifo:/%41%4a%4A%7e", "fifo", false, "/AJJ~", 5, 0, { 0 }, { 0 } },
	{ "fifo:/a b", "fifo", false, "/a b", 4, 0, { 0 }, { 0 } },
	{ "fifo:/%ff%01", "fifo", false, "/\xff\x01", 3, 0, { 0 }, { 0 } },
	{ "fifo:/x?mode=0640", "fifo", false, "/x", 2, 1, { "mode" }, { "0640" } },
	{ "fifo:/x?k=v%3D%26%25", "fifo", false, "/x", 2, 1, { "k" }, { "v=&%" } },
	{ "fifo:/x?k=", "fifo", false, "/x", 2, 1, { "k" }, { "" } },
	{ "fifo:/x?a=1&b_2=two&c3=%20", "fifo", false, "/x", 2, 3, { "a", "b_2", "c3" },
	  { "1", "two", " " } },
	{ "fifo:/x?k=a?b", "fifo", false, "/x", 2, 1, { "k" }, { "a?b" } },
	{ "fifo:/x?k=a=b", "fifo", false, "/x", 2, 1, { "k" }, { "a=b" } },
	{ "unix:@name?type=seqpacket", "unix", false, "@name", 5, 1, { "type" },
	  { "seqpacket" } },
	{ "unix:@", "unix", false, "@", 1, 0, { 0 }, { 0 } },
	{ "tcp://127.0.0.1:80", "tcp", true, "127.0.0.1:80", 12, 0, { 0 }, { 0 } },
	{ "tcp:[::1]:0?max=64K", "tcp", false, "[::1]:0", 7, 1, { "max" }, { "64K" } },
	{ "fifo://x", "fifo", true, "x", 1, 0, { 0 }, { 0 } }, /* syntax only */
	{ "shm:/name", "shm", false, "/name", 5, 0, { 0 }, { 0 } },
	{ "sysvmq:ftok:/tmp/x:7", "sysvmq", false, "ftok:/tmp/x:7", 13, 0, { 0 }, { 0 } },
	{ "x9:y", "x9", false, "y", 1, 0, { 0 }, { 0 } },
};

static void
test_parse_valid(void)
{
	size_t i;
	int j;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct ipcx_uri u;
		int rc = ipcx__uri_parse(c->text, &u, NULL);

		if (rc != 0)
			IPCX_TEST_FAILF("parse \"%s\" -> %s", c->text, ipcx_errname(rc));
		ASSERT_STREQ(u.scheme, c->scheme);
		ASSERT_EQ(u.double_slash, c->double_slash);
		ASSERT_EQ(u.address_len, c->address_len);
		ASSERT_EQ(strlen(u.address), c->address_len);
		ASSERT_MEMEQ(u.address, c->address, c->address_len);
		ASSERT_EQ(u.nparams, c->nparams);
		for (j = 0; j < c->nparams; j++) {
			ASSERT_STREQ(u.params[j].key, c->keys[j]);
			ASSERT_STREQ(u.params[j].value, c->values[j]);
			ASSERT_STREQ(ipcx__uri_get(&u, c->keys[j]), c->values[j]);
		}
		ASSERT_TRUE(ipcx__uri_get(&u, "absent") == NULL);
		ipcx__uri_fini(&u);
		ipcx__uri_fini(&u); /* a second fini is harmless */
	}
	ipcx__uri_fini(NULL);
}

static void
test_parse_limits(void)
{
	char text[IPCX_URI_MAX + 64];
	struct ipcx_uri u;
	int n, i;

	/* Exactly IPCX_URI_MAX characters is accepted. */
	n = snprintf(text, sizeof(text), "fifo:/");
	memset(text + n, 'p', IPCX_URI_MAX - (size_t)n);
	text[IPCX_URI_MAX] = '\0';
	IPCX_PASS(ipcx__uri_parse(text, &u, NULL));
	ASSERT_EQ(u.address_len, IPCX_URI_MAX - 5);
	ipcx__uri_fini(&u);
	/* IPCX_URI_MAX_PARAMS parameters, and one more. */
	n = snprintf(text, sizeof(text), "fifo:/x?");
	for (i = 0; i < IPCX_URI_MAX_PARAMS; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%sk%d=%d", i ? "&" : "", i, i);
	IPCX_PASS(ipcx__uri_parse(text, &u, NULL));
	ASSERT_EQ(u.nparams, IPCX_URI_MAX_PARAMS);
	ASSERT_STREQ(ipcx__uri_get(&u, "k15"), "15");
	ipcx__uri_fini(&u);
	snprintf(text + n, sizeof(text) - (size_t)n, "&k99=1");
	IPCX_FAIL(ipcx__uri_parse(text, &u, NULL), -EINVAL);
	/* The longest scheme, and one longer. */
	IPCX_PASS(ipcx__uri_parse("abcdefghijklmno:x", &u, NULL));
	ASSERT_STREQ(u.scheme, "abcdefghijklmno");
	ipcx__uri_fini(&u);
	IPCX_FAIL(ipcx__uri_parse("abcdefghijklmnop:x", &u, NULL), -EINVAL);
	IPCX_FAIL(ipcx__uri_parse(NULL, &u, NULL), -EINVAL);
	IPCX_FAIL(ipcx__uri_parse("fifo:/x", NULL, NULL), -EINVAL);
}

/* Syntax errors the parser itself refuses (not only ipcx_create). */
static void
test_parse_invalid(void)
{
	static const char *const bad[] = {
		"", ":", "x", "X:y", "9:y", "a-b:c", "fifo:/a%", "fifo:/a%4", "fifo:/a%%41",
		"fifo:/a%00", "fifo:/a?", "fifo:/a?k", "fifo:/a?=v", "fifo:/a?k=v&",
		"fifo:/a?k=v&&j=w", "fifo:/a?k=1&k=2", "fifo:/a?K=1", "fifo:/a?k.k=1",
		"fifo:/a?k=%0", "fifo:/a?k=%00", "fifo:/a&b", "fifo:/a&b?k=1", NULL,
	};
	const char *const *t;

	for (t = bad; *t; t++) {
		struct ipcx_uri u;
		const char *why = NULL;
		int rc = ipcx__uri_parse(*t, &u, &why);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("parse \"%s\" -> %s, expected EINVAL", *t,
			                ipcx_errname(rc));
		/* Every refusal says why. */
		if (why == NULL || why[0] == '\0')
			IPCX_TEST_FAILF("parse \"%s\": no reason", *t);
	}
}

static void
test_numbers(void)
{
	size_t sz;
	unsigned long ul;

	IPCX_PASS(ipcx__parse_size("64K", (size_t)1 << 30, &sz));
	ASSERT_EQ(sz, 65536);
	IPCX_PASS(ipcx__parse_size("1M", (size_t)1 << 30, &sz));
	ASSERT_EQ(sz, 1 << 20);
	IPCX_PASS(ipcx__parse_size("1G", (size_t)1 << 30, &sz));
	ASSERT_EQ(sz, 1 << 30);
	IPCX_PASS(ipcx__parse_size("123", 1000, &sz));
	ASSERT_EQ(sz, 123);
	IPCX_PASS(ipcx__parse_size("0", 1000, &sz));
	ASSERT_EQ(sz, 0);
	IPCX_FAIL(ipcx__parse_size("2G", (size_t)1 << 30, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("1025K", (size_t)1 << 20, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("", 1000, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("K", 1000, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("1KK", 1u << 30, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size(" 1", 1000, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("+1", 1000, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("18446744073709551616", SIZE_MAX, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("17179869184G", SIZE_MAX, &sz), -EINVAL);
	IPCX_FAIL(ipcx__parse_size("123456789012345678901234567890123", SIZE_MAX, &sz),
	          -EINVAL);
	IPCX_PASS(ipcx__parse_ulong("0777", 8, 0777, &ul));
	ASSERT_EQ(ul, 0777);
	IPCX_FAIL(ipcx__parse_ulong("0778", 8, 07777, &ul), -EINVAL);
	IPCX_FAIL(ipcx__parse_ulong("1000", 8, 0777, &ul), -EINVAL);
	IPCX_PASS(ipcx__parse_ulong("0x1234", 16, 0xffffffff, &ul));
	ASSERT_EQ(ul, 0x1234);
	IPCX_PASS(ipcx__parse_ulong("ffff", 16, 0xffffffff, &ul));
	ASSERT_EQ(ul, 0xffff);
	IPCX_FAIL(ipcx__parse_ulong("0x", 16, 0xffffffff, &ul), -EINVAL);
	IPCX_FAIL(ipcx__parse_ulong("65536", 10, 65535, &ul), -EINVAL);
	IPCX_PASS(ipcx__parse_ulong("65535", 10, 65535, &ul));
	ASSERT_EQ(ul, 65535);
	IPCX_FAIL(ipcx__parse_ulong("18446744073709551616", 10, ULONG_MAX, &ul), -EINVAL);
	IPCX_PASS(ipcx__parse_ulong("18446744073709551615", 10, ULONG_MAX, &ul));
	ASSERT_TRUE(ul == ULONG_MAX);
	IPCX_FAIL(ipcx__parse_ulong(NULL, 10, 5, &ul), -EINVAL);
	IPCX_FAIL(ipcx__parse_ulong("-0", 10, 5, &ul), -EINVAL);
}

/* %XX decoding reaches the file system: the FIFO is named with the
 * decoded bytes, and join and unlink find it by the same URI. */
static void
test_escapes_end_to_end(void)
{
	char uri[600], path[600];
	ipcx_chan *c = NULL, *j = NULL;
	char buf[8];
	struct stat st;

	snprintf(uri, sizeof(uri), "fifo:%s/p%%3Fq%%26r%%25s%%20t?mode=0640", ipcx_test_dir);
	snprintf(path, sizeof(path), "%s/p?q&r%%s t", ipcx_test_dir);
	IPCX_PASS(ipcx_create(&c, uri, IPCX_EXCL));
	ASSERT_EQ(lstat(path, &st), 0);
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ(st.st_mode & 0777, 0640);
	ASSERT_EQ(scratch_entries(), 2); /* the FIFO and its registry entry */
	IPCX_PASS(ipcx_join(&j, uri, 0));
	IPCX_PASS(ipcx_pollfd(c)); /* be the receiver */
	IPCX_PASS(ipcx_send(j, "hi", 2, 5000));
	IPCX_FAIL(ipcx_recv(c, buf, sizeof(buf), 5000), 2);
	ipcx_close(j);
	ipcx_close(c);
	ASSERT_EQ(lstat(path, &st), -1);
	ASSERT_EQ(scratch_entries(), 0);
	/* Kept, then removed by ipcx_unlink through the same escapes. */
	IPCX_PASS(ipcx_create(&c, uri, IPCX_KEEP));
	ipcx_close(c);
	ASSERT_EQ(lstat(path, &st), 0);
	IPCX_PASS(ipcx_unlink(uri));
	ASSERT_EQ(lstat(path, &st), -1);
	ASSERT_EQ(scratch_entries(), 0);
}

/* Valid keys every scheme takes are accepted end to end. */
static void
test_valid_keys(void)
{
	char uri[600];
	ipcx_chan *c = NULL, *a = NULL, *b = NULL;
	struct ipcx_stat st;

	snprintf(uri, sizeof(uri), "fifo:%s/k?mode=0600&max=4K&framing=len", ipcx_test_dir);
	IPCX_PASS(ipcx_create(&c, uri, 0));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.max_msg, 4096);
	ipcx_close(c);
	IPCX_PASS(ipcx_pair("pipe:?max=1G&framing=line", &a, &b));
	IPCX_PASS(ipcx_stat(a, &st));
	ASSERT_EQ(st.max_msg, (size_t)1 << 30);
	ipcx_close(a);
	ipcx_close(b);
	IPCX_PASS(ipcx_pair("unix:?type=seqpacket&max=1", &a, &b));
	IPCX_PASS(ipcx_stat(b, &st));
	ASSERT_EQ(st.max_msg, 1);
	ipcx_close(a);
	ipcx_close(b);
	IPCX_PASS(ipcx_create(&c, "tcp://127.0.0.1:0?max=64K", 0));
	IPCX_PASS(ipcx_stat(c, &st));
	ASSERT_EQ(st.max_msg, 65536);
	ipcx_close(c);
	ASSERT_EQ(scratch_entries(), 0);
}

/* The planned schemes are known: a valid URI answers -ENOTSUP, a
 * malformed one still -EINVAL. */
static void
test_planned_schemes(void)
{
	static const char *const planned[] = {
		NULL,
	};
	static const char *const planned_bad[] = {
		"shm:x?bogus=1", "mq:", "shm:x?slots=1&slots=2", "file:@/f?mode=0800",
		"signal:self?max=0", "mq://x", NULL,
	};
	const char *const *t;

	for (t = planned; *t; t++) {
		const char *uri = expand(*t);
		ipcx_chan *ch = NULL;
		int rc = ipcx_create(&ch, uri, 0);
		if (rc != -ENOTSUP)
			IPCX_TEST_FAILF("ipcx_create(\"%s\") -> %s, expected ENOTSUP", uri,
			                ipcx_errname(rc));
		rc = ipcx_join(&ch, uri, 0);
		if (rc != -ENOTSUP)
			IPCX_TEST_FAILF("ipcx_join(\"%s\") -> %s, expected ENOTSUP", uri,
			                ipcx_errname(rc));
		ASSERT_TRUE(ch == NULL);
	}
	for (t = planned_bad; *t; t++) {
		const char *uri = expand(*t);
		ipcx_chan *ch = NULL;
		int rc = ipcx_create(&ch, uri, 0);
		if (rc != -EINVAL)
			IPCX_TEST_FAILF("ipcx_create(\"%s\") -> %s, expected EINVAL", uri,
			                ipcx_errname(rc));
	}
	ASSERT_EQ(scratch_entries(), 0);
}

TEST_LIST = {
	{ "uri malformed is EINVAL, nothing created", test_malformed },
	{ "uri over-long input", test_overlong },
	{ "uri name too long for the mechanism", test_name_too_long },
	{ "uri fifo path too long", test_fifo_path_too_long },
	{ "uri check reasons", test_check_reasons },
	{ "uri check passes valid URIs, touching nothing", test_check_valid },
	{ "uri errmsg for runtime causes", test_errmsg_runtime },
	{ "uri other entry points", test_other_entry_points },
	{ "uri parse valid", test_parse_valid },
	{ "uri parse limits", test_parse_limits },
	{ "uri parse invalid", test_parse_invalid },
	{ "uri numbers", test_numbers },
	{ "uri escapes end to end", test_escapes_end_to_end },
	{ "uri valid keys", test_valid_keys },
	{ "uri planned schemes are ENOTSUP", test_planned_schemes },
	{ NULL, NULL },
};
