/* SPDX-License-Identifier: MIT */
/*
 * uri.c - the URI parser.  Every channel address passes through here first,
 * often straight from a command line or a configuration file, so it is
 * written to be total: bounded by the input's NUL, by IPCX_URI_MAX and by a
 * fixed number of parameters, with one allocation and no recursion.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipcx.h"
#include "core/uri.h"
#include "shared/ipcx_shared.h"

/*
 * Copy src[0..n) to dst, decoding %XX.  A decoded NUL is refused: every
 * consumer of an address or a value treats it as a C string, and a hidden
 * NUL would make two different URIs name the same object.
 */
static int
uri_decode(const char *src, size_t n, char *dst, size_t *ret_len, const char **why)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = src[i];
		if (c == '%') {
			int hi, lo;
			if (n - i < 3) {
				*why = "a '%' must be followed by two hex digits";
				return -EINVAL;
			}
			hi = ipcx_shared_hexval(src[i + 1]);
			lo = ipcx_shared_hexval(src[i + 2]);
			if (hi < 0 || lo < 0) {
				*why = "a '%' must be followed by two hex digits";
				return -EINVAL;
			}
			if (hi == 0 && lo == 0) {
				*why = "%00 (a NUL byte) cannot appear in a URI";
				return -EINVAL;
			}
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
	*ret_len = o;
	return 0;
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

void
ipcx__uri_fini(struct ipcx_uri *uri)
{
	if (uri == NULL)
		return;
	free(uri->storage);
	memset(uri, 0, sizeof(*uri));
}

/* Stringify a macro's value, for the static reasons below. */
#define URI_STR_(x) #x
#define URI_STR(x) URI_STR_(x)

int
ipcx__uri_parse(const char *text, struct ipcx_uri *out, const char **ret_why)
{
	struct ipcx_uri uri;
	const char *colon, *addr, *query, *p;
	const char *why = "malformed";
	size_t total, slen, alen, dlen;
	char *w;
	int rc;

	/* Every refusal below names its reason; one place hands it out. */
#define URI_BAD(reason)                  \
	do {                             \
		why = (reason);          \
		rc = -EINVAL;            \
		goto fail;               \
	} while (0)

	memset(&uri, 0, sizeof(uri));
	if (out == NULL)
		URI_BAD("no place for the result (NULL)");
	if (text == NULL)
		URI_BAD("no URI (NULL)");
	total = strnlen(text, IPCX_URI_MAX + 1);
	if (total > IPCX_URI_MAX)
		URI_BAD("longer than " URI_STR(IPCX_URI_MAX) " bytes");

	colon = memchr(text, ':', total);
	if (colon == NULL)
		URI_BAD("expected SCHEME:ADDRESS (e.g. fifo:/tmp/q, unix:@svc, "
		        "tcp:127.0.0.1:9000)");
	slen = (size_t)(colon - text);
	if (slen == 0)
		URI_BAD("missing scheme before ':'");
	if (slen > IPCX_SCHEME_MAX)
		URI_BAD("a scheme is at most " URI_STR(IPCX_SCHEME_MAX) " characters");
	for (p = text; p < colon; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (p > text && c >= '0' && c <= '9');
		if (!ok)
			URI_BAD("a scheme is lower-case letters and digits, starting with a "
			        "letter");
	}
	memcpy(uri.scheme, text, slen);
	uri.scheme[slen] = '\0';

	addr = colon + 1;
	if (text + total - addr >= 2 && addr[0] == '/' && addr[1] == '/') {
		uri.double_slash = true;
		addr += 2;
	}
	query = memchr(addr, '?', (size_t)(text + total - addr));
	alen = (size_t)((query ? query : text + total) - addr);

	/* An unescaped '&' before '?' is a typo, not a path. */
	if (memchr(addr, '&', alen) != NULL)
		URI_BAD("'&' in the address must be written %26");

	/* Decoding never lengthens, so the input length bounds the storage. */
	uri.storage = malloc(total + 1);
	if (uri.storage == NULL)
		return -ENOMEM;
	w = uri.storage;

	rc = uri_decode(addr, alen, w, &dlen, &why);
	if (rc < 0)
		goto fail;
	uri.address = w;
	uri.address_len = dlen;
	w += dlen + 1;

	if (query != NULL) {
		const char *q = query + 1, *end = text + total;
		if (q == end)
			URI_BAD("nothing after '?'");
		while (q < end) {
			const char *amp = memchr(q, '&', (size_t)(end - q));
			const char *pend = amp ? amp : end;
			const char *eq = memchr(q, '=', (size_t)(pend - q));
			size_t klen, vlen;
			int i;

			if (eq == NULL || eq == q)
				URI_BAD("parameters are KEY=VALUE, joined by '&'");
			if (uri.nparams == IPCX_URI_MAX_PARAMS)
				URI_BAD("more than " URI_STR(IPCX_URI_MAX_PARAMS) " parameters");
			klen = (size_t)(eq - q);
			for (p = q; p < eq; p++)
				if (!is_key_char(*p))
					URI_BAD("a key is lower-case letters, digits and '_'");
			memcpy(w, q, klen);
			w[klen] = '\0';
			/* A repeated key: which one wins would be a guess. */
			for (i = 0; i < uri.nparams; i++)
				if (strcmp(uri.params[i].key, w) == 0)
					URI_BAD("a key is given twice");
			uri.params[uri.nparams].key = w;
			w += klen + 1;
			rc = uri_decode(eq + 1, (size_t)(pend - eq - 1), w, &vlen, &why);
			if (rc < 0)
				goto fail;
			uri.params[uri.nparams].value = w;
			w += vlen + 1;
			uri.nparams++;
			if (amp != NULL && amp + 1 == end)
				URI_BAD("a trailing '&'");
			q = amp ? amp + 1 : end;
		}
	}
#undef URI_BAD
	*out = uri;
	return 0;
fail:
	free(uri.storage);
	if (ret_why != NULL)
		*ret_why = why;
	return rc;
}

const char *
ipcx__uri_get(const struct ipcx_uri *uri, const char *key)
{
	int i;

	for (i = 0; i < uri->nparams; i++)
		if (strcmp(uri->params[i].key, key) == 0)
			return uri->params[i].value;
	return NULL;
}

int
ipcx__parse_ulong(const char *s, int base, unsigned long limit, unsigned long *ret)
{
	unsigned long v = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (base == 16) {
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		if (*p == '\0')
			return -EINVAL;
	}
	for (; *p; p++) {
		int d = ipcx_shared_hexval(*p);
		if (d < 0 || d >= base)
			return -EINVAL;
		if (v > (limit - (unsigned long)d) / (unsigned long)base)
			return -EINVAL;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	*ret = v;
	return 0;
}

int
ipcx__parse_size(const char *s, size_t limit, size_t *ret)
{
	char digits[32];
	size_t n = strnlen(s, sizeof(digits));
	unsigned long v, mult = 1;
	int rc;

	if (n == 0 || n >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, s, n + 1);
	switch (digits[n - 1]) {
	case 'K': mult = 1ul << 10; break;
	case 'M': mult = 1ul << 20; break;
	case 'G': mult = 1ul << 30; break;
	default: break;
	}
	if (mult != 1)
		digits[--n] = '\0';
	rc = ipcx__parse_ulong(digits, 10, limit, &v);
	if (rc < 0)
		return rc;
	if (v > limit / mult)
		return -EINVAL;
	*ret = (size_t)(v * mult);
	return 0;
}
