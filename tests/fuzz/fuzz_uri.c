/* SPDX-License-Identifier: MIT */
/*
 * fuzz_uri.c - libFuzzer target for the URI parser (DESIGN.md: "Parsing is
 * strict and total: it never reads past the string and never crashes,
 * whatever the input").  The input, NUL-terminated, goes to
 * ipcx__uri_parse; what it accepts must be well formed, and the number
 * parsers are run on every value.  It also goes to ipcx_uri_check, which is
 * pure (it opens, creates and resolves nothing, so it is safe to call on
 * any input here): it must refuse what the parser refuses, and every
 * refusal must leave its reason in ipcx_errmsg(NULL).  A broken invariant
 * aborts, which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipcx.h"
#include "core/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                   \
	do {                                                                       \
		if (!(c)) {                                                        \
			fprintf(stderr, "fuzz_uri: invariant broken: %s\n", #c);  \
			abort();                                                   \
		}                                                                  \
	} while (0)

static void
check_value(const char *v)
{
	unsigned long ul;
	size_t sz;

	(void)ipcx__parse_size(v, (size_t)1 << 30, &sz);
	(void)ipcx__parse_size(v, SIZE_MAX, &sz);
	(void)ipcx__parse_ulong(v, 8, 0777, &ul);
	(void)ipcx__parse_ulong(v, 10, 65535, &ul);
	(void)ipcx__parse_ulong(v, 16, 0xffffffffu, &ul);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipcx_uri u;
	char *text = malloc(size + 1);
	const char *why = NULL;
	size_t len;
	int rc, crc, i;
	const char *p;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);
	rc = ipcx__uri_parse(text, &u, &why);
	CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	CHECK(rc != -EINVAL || (why != NULL && why[0] != '\0'));
	crc = ipcx_uri_check(text);
	CHECK(crc == 0 || crc == -EINVAL || crc == -ENAMETOOLONG || crc == -ENOMEM);
	CHECK(rc != -EINVAL || crc == -EINVAL);
	if (crc == 0)
		CHECK(ipcx_errmsg(NULL)[0] == '\0');
	else if (crc != -ENOMEM)
		CHECK(strncmp(ipcx_errmsg(NULL), "invalid URI: ", 13) == 0);
	if (rc == 0) {
		CHECK(len <= IPCX_URI_MAX);
		CHECK(u.scheme[0] >= 'a' && u.scheme[0] <= 'z');
		CHECK(strlen(u.scheme) <= IPCX_SCHEME_MAX);
		CHECK(memcmp(text, u.scheme, strlen(u.scheme)) == 0);
		CHECK(text[strlen(u.scheme)] == ':');
		CHECK(u.address != NULL && strlen(u.address) == u.address_len);
		/* Decoding never lengthens. */
		CHECK(u.address_len <= len);
		CHECK(u.nparams >= 0 && u.nparams <= IPCX_URI_MAX_PARAMS);
		for (i = 0; i < u.nparams; i++) {
			const char *k = u.params[i].key, *v = u.params[i].value;
			int j;
			CHECK(k != NULL && v != NULL && k[0] != '\0');
			for (p = k; *p; p++)
				CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				      *p == '_');
			for (j = 0; j < i; j++)
				CHECK(strcmp(u.params[j].key, k) != 0);
			CHECK(ipcx__uri_get(&u, k) == v);
			check_value(v);
		}
		CHECK(ipcx__uri_get(&u, "no such key!") == NULL);
		ipcx__uri_fini(&u);
		CHECK(u.storage == NULL && u.address == NULL);
	}
	/* The number parsers on the raw input too. */
	if (len < 64)
		check_value(text);
	free(text);
	return 0;
}
