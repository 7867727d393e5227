/* SPDX-License-Identifier: MIT */
/*
 * in.c - reading back what out.c writes: one line of `--format hex` or
 * `--format json` turned into the message it stands for, for `ipcx send
 * --format` and for what a `listen --exec` command writes.  The parsers are
 * strict (a line that is not exactly one message is refused with the
 * reason), total (they never read past the line, whatever it holds) and
 * need no allocation: a decoded message is never longer than its line.
 *
 * json: one object.  "data" is the payload in standard base64 (padding
 * optional); "len", when present, must be its length; every other key is
 * the metadata recv adds (pid, uid, prio, ...) or a script's own, and is
 * skipped whatever its value.  An object with "receiving" and no "data" is
 * the announcement recv writes first on signal:self: no message.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cli.h"
#include "ipcx_shared.h"

struct in_cursor {
	const uint8_t *p, *end;
	const char *why;
};

static int
decode_hex(const uint8_t *line, size_t len, uint8_t *out, size_t *outlen, const char **why)
{
	size_t i;

	if (len % 2 != 0) {
		*why = "an odd number of hex digits";
		return -EINVAL;
	}
	for (i = 0; i < len; i += 2) {
		int hi = ipcx_shared_hexval(line[i]), lo = ipcx_shared_hexval(line[i + 1]);
		if (hi < 0 || lo < 0) {
			*why = "a character that is not a hex digit";
			return -EINVAL;
		}
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = len / 2;
	return 0;
}

static int
b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64, "=" padding optional but, when there, only at the end. */
static int
decode_b64(const uint8_t *in, size_t n, uint8_t *out, size_t *outlen, const char **why)
{
	uint32_t acc = 0;
	size_t i, o = 0, pad = 0;
	int bits = 0;

	while (pad < 2 && n > 0 && in[n - 1] == '=') {
		n--;
		pad++;
	}
	if (pad > 0 && (n + pad) % 4 != 0) {
		*why = "base64 padding in the wrong place";
		return -EINVAL;
	}
	if (n % 4 == 1) {
		*why = "base64 of an impossible length";
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		int v = b64val(in[i]);
		if (v < 0) {
			*why = in[i] == '=' ? "base64 padding in the wrong place"
			                    : "a character that is not base64";
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

static void
skip_ws(struct in_cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static bool
expect(struct in_cursor *c, uint8_t ch, const char *why)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	c->why = why;
	return false;
}

/*
 * A JSON string at c->p (the opening quote).  With out, its bytes are
 * stored there (at most *outlen, which is then set to the count); escapes
 * are decoded, a \u above 0x7f is stored as '?' (no payload alphabet or key
 * recv writes needs one).
 */
static bool
parse_string(struct in_cursor *c, uint8_t *out, size_t *outlen)
{
	size_t o = 0, cap = outlen != NULL ? *outlen : 0;

	if (!expect(c, '"', "a string was expected"))
		return false;
	while (c->p < c->end && *c->p != '"') {
		uint8_t ch = *c->p++;
		if (ch < 0x20) {
			c->why = "a control character inside a string";
			return false;
		}
		if (ch == '\\') {
			if (c->p >= c->end)
				break;
			ch = *c->p++;
			switch (ch) {
			case '"': case '\\': case '/':
				break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case 'u': {
				unsigned v = 0;
				int k;
				if (c->end - c->p < 4) {
					c->why = "a \\u escape cut short";
					return false;
				}
				for (k = 0; k < 4; k++) {
					int h = ipcx_shared_hexval(c->p[k]);
					if (h < 0) {
						c->why = "a \\u escape that is not hex";
						return false;
					}
					v = v << 4 | (unsigned)h;
				}
				c->p += 4;
				ch = v < 0x80 ? (uint8_t)v : '?';
				break;
			}
			default:
				c->why = "an unknown escape in a string";
				return false;
			}
		}
		if (out != NULL) {
			if (o >= cap) {
				c->why = "a string longer than its line";
				return false;
			}
			out[o] = ch;
		}
		o++;
	}
	if (c->p >= c->end) {
		c->why = "a string that does not end";
		return false;
	}
	c->p++;
	if (outlen != NULL)
		*outlen = o;
	return true;
}

/* A non-negative integer (the only number "len" can be). */
static bool
parse_len(struct in_cursor *c, size_t *ret)
{
	size_t v = 0;
	bool any = false;

	skip_ws(c);
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (v > ((size_t)-1 - 9) / 10) {
			c->why = "\"len\" is too large";
			return false;
		}
		v = v * 10 + (size_t)(*c->p++ - '0');
		any = true;
	}
	if (!any) {
		c->why = "\"len\" is not a non-negative integer";
		return false;
	}
	*ret = v;
	return true;
}

/* Any JSON value, skipped.  Nesting is bounded so a hostile line cannot
 * exhaust the stack. */
static bool
skip_value(struct in_cursor *c, int depth)
{
	skip_ws(c);
	if (c->p >= c->end) {
		c->why = "a value was expected";
		return false;
	}
	if (depth > 64) {
		c->why = "values nested too deeply";
		return false;
	}
	switch (*c->p) {
	case '"':
		return parse_string(c, NULL, NULL);
	case '{':
	case '[': {
		uint8_t close = *c->p == '{' ? '}' : ']';
		bool object = close == '}';
		c->p++;
		skip_ws(c);
		if (c->p < c->end && *c->p == close) {
			c->p++;
			return true;
		}
		for (;;) {
			if (object && (!parse_string(c, NULL, NULL) ||
			               !expect(c, ':', "':' after a key was expected")))
				return false;
			if (!skip_value(c, depth + 1))
				return false;
			skip_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			return expect(c, close, "',' or the end of a list was expected");
		}
	}
	default: {
		/* A number, true, false or null: the characters they are made of. */
		const uint8_t *start = c->p;
		while (c->p < c->end && strchr("0123456789+-.eEtruefalsn", *c->p) != NULL &&
		       *c->p != '\0')
			c->p++;
		if (c->p == start) {
			c->why = "a value was expected";
			return false;
		}
		return true;
	}
	}
}

static int
decode_json(const uint8_t *line, size_t len, uint8_t *out, size_t *outlen, const char **why)
{
	struct in_cursor c = { line, line + len, NULL };
	bool have_data = false, have_len = false, receiving = false;
	size_t want_len = 0, n = 0;

	if (!expect(&c, '{', "a JSON object was expected"))
		goto bad;
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
	} else {
		for (;;) {
			uint8_t key[16];
			size_t klen = sizeof(key);
			const uint8_t *kstart;

			skip_ws(&c);
			kstart = c.p;
			/* Keys longer than the buffer are not ours: skip them. */
			if (!parse_string(&c, key, &klen)) {
				c.p = kstart;
				c.why = NULL;
				if (!parse_string(&c, NULL, NULL))
					goto bad;
				klen = 0;
			}
			if (!expect(&c, ':', "':' after a key was expected"))
				goto bad;
			skip_ws(&c);
			if (klen == 4 && memcmp(key, "data", 4) == 0) {
				/* The base64 text goes to out first, then is
				 * decoded in place: it is never shorter. */
				size_t tlen = len;
				if (have_data) {
					c.why = "\"data\" appears twice";
					goto bad;
				}
				if (c.p >= c.end || *c.p != '"') {
					c.why = "\"data\" is not a string";
					goto bad;
				}
				if (!parse_string(&c, out, &tlen))
					goto bad;
				if (decode_b64(out, tlen, out, &n, why) < 0)
					return -EINVAL;
				have_data = true;
			} else if (klen == 3 && memcmp(key, "len", 3) == 0) {
				if (have_len) {
					c.why = "\"len\" appears twice";
					goto bad;
				}
				if (!parse_len(&c, &want_len))
					goto bad;
				have_len = true;
			} else {
				if (klen == 9 && memcmp(key, "receiving", 9) == 0)
					receiving = true;
				if (!skip_value(&c, 1))
					goto bad;
			}
			skip_ws(&c);
			if (c.p < c.end && *c.p == ',') {
				c.p++;
				continue;
			}
			if (!expect(&c, '}', "',' or '}' was expected"))
				goto bad;
			break;
		}
	}
	skip_ws(&c);
	if (c.p != c.end) {
		c.why = "something follows the object";
		goto bad;
	}
	if (!have_data && receiving) {
		/* recv's first record on signal:self: where it receives. */
		*outlen = 0;
		return 1;
	}
	if (!have_data) {
		*why = "no \"data\" key";
		return -EINVAL;
	}
	if (have_len && want_len != n) {
		*why = "\"len\" does not match the length of \"data\"";
		return -EINVAL;
	}
	*outlen = n;
	return 0;
bad:
	*why = c.why != NULL ? c.why : "not a JSON object";
	return -EINVAL;
}

int
cli_decode(enum cli_format fmt, const uint8_t *line, size_t len, uint8_t *out, size_t *outlen,
           const char **why)
{
	*why = "";
	switch (fmt) {
	case CLI_FMT_HEX:
		return decode_hex(line, len, out, outlen, why);
	case CLI_FMT_JSON:
		return decode_json(line, len, out, outlen, why);
	case CLI_FMT_TEXT:
	case CLI_FMT_RAW:
		if (len > 0 && out != line)
			memmove(out, line, len);
		*outlen = len;
		return 0;
	}
	*why = "unknown format";
	return -EINVAL;
}
