/* SPDX-License-Identifier: MIT */
/*
 * errors_test.c - ipcx_strerror and ipcx_errname (DESIGN.md, "Errors"):
 * every documented code has its symbolic name and a sentence, IPCX_EOF is
 * its own code far below errno, and no code, known or not, ever gives NULL.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <limits.h>
#include <pthread.h>

struct code {
	int err;
	const char *name;
};

/* The codes ipcx.h and DESIGN.md document. */
static const struct code documented[] = {
	{ -EAGAIN, "EAGAIN" },
	{ -ETIMEDOUT, "ETIMEDOUT" },
	{ -EMSGSIZE, "EMSGSIZE" },
	{ -EPIPE, "EPIPE" },
	{ -ENOENT, "ENOENT" },
	{ -EEXIST, "EEXIST" },
	{ -EINVAL, "EINVAL" },
	{ -EPROTO, "EPROTO" },
	{ -EACCES, "EACCES" },
	{ -EPERM, "EPERM" },
	{ -ECANCELED, "ECANCELED" },
	{ -ENOTSUP, "ENOTSUP" },
	{ -EINTR, "EINTR" },
	{ -EADDRINUSE, "EADDRINUSE" },
	{ -ECONNREFUSED, "ECONNREFUSED" },
	{ -ENOTCONN, "ENOTCONN" },
	{ -ENOTSOCK, "ENOTSOCK" },
	{ -ENAMETOOLONG, "ENAMETOOLONG" },
	{ -ENOMEM, "ENOMEM" },
	{ -EMFILE, "EMFILE" },
	{ -EBUSY, "EBUSY" },
	{ IPCX_EOF, "IPCX_EOF" },
};

#define NDOC (sizeof(documented) / sizeof(documented[0]))

static void
test_documented(void)
{
	size_t i, j;

	for (i = 0; i < NDOC; i++) {
		const char *n = ipcx_errname(documented[i].err);
		const char *s = ipcx_strerror(documented[i].err);

		ASSERT_TRUE(n != NULL && s != NULL);
		ASSERT_STREQ(n, documented[i].name);
		ASSERT_TRUE(strlen(s) > 3);
		/* A sentence, not the "unknown" fallback. */
		ASSERT_TRUE(strstr(s, "unknown") == NULL);
		for (j = 0; j < i; j++)
			if (strcmp(s, ipcx_strerror(documented[j].err)) == 0)
				IPCX_TEST_FAILF("%s and %s share the sentence \"%s\"",
				                documented[i].name, documented[j].name, s);
	}
	/* Public constants are errno values; EOPNOTSUPP is ENOTSUP on Linux. */
	ASSERT_STREQ(ipcx_errname(-EOPNOTSUPP), "ENOTSUP");
	ASSERT_STREQ(ipcx_errname(-EWOULDBLOCK), "EAGAIN");
}

/* IPCX_EOF is far below every errno and never looks like success. */
static void
test_eof(void)
{
	ASSERT_LT(IPCX_EOF, -4000);
	ASSERT_NE(IPCX_EOF, 0);
	ASSERT_STREQ(ipcx_errname(IPCX_EOF), "IPCX_EOF");
	ASSERT_TRUE(strstr(ipcx_strerror(IPCX_EOF), "end") != NULL);
	ASSERT_TRUE(strcmp(ipcx_strerror(IPCX_EOF), ipcx_strerror(0)) != 0);
}

/* Any other code: a name and a sentence, never NULL, never empty. */
static void
test_unknown(void)
{
	static const int codes[] = { 0, 1, 5, 4095, -4094, -4096, -4097, -5000, -200, -133,
		                     -134, -255, -256, -1000, -99999, INT_MIN, INT_MIN + 1,
		                     INT_MAX, -ENOSPC, -EBADF, -EHOSTUNREACH, -EIO };
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *n = ipcx_errname(codes[i]);
		const char *s = ipcx_strerror(codes[i]);
		ASSERT_TRUE(n != NULL && s != NULL);
		ASSERT_TRUE(n[0] != '\0' && s[0] != '\0');
	}
	/* Success is not an error. */
	ASSERT_TRUE(strstr(ipcx_strerror(0), "success") != NULL);
	/* An errno ipcx does not list still gets the system's name. */
	ASSERT_STREQ(ipcx_errname(-EIO), "EIO");
	/* Codes nobody knows carry their number, so a log says something. */
	ASSERT_TRUE(strstr(ipcx_errname(-5000), "5000") != NULL);
	ASSERT_TRUE(strstr(ipcx_strerror(-5000), "5000") != NULL);
	ASSERT_TRUE(strstr(ipcx_errname(INT_MIN), "2147483648") != NULL);
}

/*
 * A name and a sentence asked for together, as every log line does
 * (printf("%s: %s", ipcx_errname(e), ipcx_strerror(e))), are both right,
 * and so are two names in one call (as the test harness's IPCX_FAIL does).
 */
static void
test_held_together(void)
{
	const char *n1 = ipcx_errname(-5001);
	const char *s1 = ipcx_strerror(-5001);
	const char *n2 = ipcx_errname(-5002);
	const char *s2 = ipcx_strerror(-5002);

	ASSERT_TRUE(strstr(n1, "5001") != NULL);
	ASSERT_TRUE(strstr(s1, "5001") != NULL);
	ASSERT_TRUE(strstr(n2, "5002") != NULL);
	ASSERT_TRUE(strstr(s2, "5002") != NULL);
	ASSERT_TRUE(strcmp(n1, s1) != 0);
}

/* Thread-safe: unknown codes formatted by many threads at once. */
static void *
hammer(void *arg)
{
	int base = (int)(intptr_t)arg, i;

	for (i = 0; i < 20000; i++) {
		int code = -(5000 + base * 100000 + i);
		char want[32];
		const char *n = ipcx_errname(code);

		snprintf(want, sizeof(want), "%d", -code);
		if (n == NULL || strstr(n, want) == NULL)
			return (void *)1;
		if (strcmp(ipcx_errname(-EPIPE), "EPIPE") != 0)
			return (void *)1;
		if (strstr(ipcx_strerror(code), want) == NULL)
			return (void *)1;
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t[4];
	void *rc;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &rc);
		ASSERT_TRUE(rc == NULL);
	}
}

static void
test_version(void)
{
	ASSERT_STREQ(ipcx_version(), IPCX_VERSION_STRING);
	ASSERT_STREQ(ipcx_errmsg(NULL), "");
}

TEST_LIST = {
	{ "errors documented codes", test_documented },
	{ "errors IPCX_EOF", test_eof },
	{ "errors unknown codes never NULL", test_unknown },
	{ "errors name and sentence held together", test_held_together },
	{ "errors thread-safe", test_threads },
	{ "errors version", test_version },
	{ NULL, NULL },
};
