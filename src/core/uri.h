/* SPDX-License-Identifier: MIT */
/*
 * uri.h - the parsed form of SCHEME:ADDRESS[?KEY=VALUE[&KEY=VALUE]...].
 */
#ifndef IPCX_CORE_URI_H
#define IPCX_CORE_URI_H

#include <stdbool.h>
#include <stddef.h>

#define IPCX_URI_MAX_PARAMS 16
#define IPCX_SCHEME_MAX 15

struct ipcx_uri_param {
	const char *key;   /* [a-z0-9_]+ */
	const char *value; /* %-decoded, no NUL inside */
};

struct ipcx_uri {
	char scheme[IPCX_SCHEME_MAX + 1];
	bool double_slash;      /* "scheme://" was written */
	const char *address;    /* %-decoded, NUL-terminated, no NUL inside */
	size_t address_len;
	int nparams;
	struct ipcx_uri_param params[IPCX_URI_MAX_PARAMS];
	char *storage;          /* one allocation holding every string above */
};

/*
 * Parse text into *out.  Strict and total: any input of any length is
 * either accepted or answered -EINVAL (-ENOMEM if out of memory), reading
 * nothing past the terminating NUL.  Checks syntax only: which schemes,
 * keys and values are accepted is checked by the core (uri_resolve() in
 * chan.c) and the transport's c_check.  On -EINVAL, *ret_why (ret_why may
 * be NULL) is a static phrase saying what is wrong, without the
 * "invalid URI: " that the core puts before it.
 */
int ipcx__uri_parse(const char *text, struct ipcx_uri *out, const char **ret_why);
void ipcx__uri_fini(struct ipcx_uri *uri);

/* The value of key, or NULL. */
const char *ipcx__uri_get(const struct ipcx_uri *uri, const char *key);

/* Number parsers for values; each returns 0 or -EINVAL. */
int ipcx__parse_size(const char *s, size_t limit, size_t *ret);      /* 64K, 1M, 2G */
int ipcx__parse_ulong(const char *s, int base, unsigned long limit, unsigned long *ret);

#endif
