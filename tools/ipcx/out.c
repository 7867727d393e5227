/* SPDX-License-Identifier: MIT */
/*
 * out.c - writing received messages to standard output in the four formats
 * of `ipcx recv --format`: text (payload, newline), hex (lowercase, newline),
 * json (one object per line: base64 payload under "data", its length, and
 * the ipcx_recv_info fields the mechanism filled) and raw (payloads back to
 * back).  Output goes straight to descriptor 1 with write(2), one call per
 * message where possible: nothing waits in a stdio buffer, so a pipeline
 * sees each message as it arrives, and a closed standard output is seen as
 * EPIPE at once (SIGPIPE is blocked by the command).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cli.h"
#include "ipcx_shared.h"

int
cli_parse_format(const char *s, enum cli_format *ret)
{
	if (strcmp(s, "text") == 0)
		*ret = CLI_FMT_TEXT;
	else if (strcmp(s, "hex") == 0)
		*ret = CLI_FMT_HEX;
	else if (strcmp(s, "json") == 0)
		*ret = CLI_FMT_JSON;
	else if (strcmp(s, "raw") == 0)
		*ret = CLI_FMT_RAW;
	else
		return -EINVAL;
	return 0;
}

/* Wait until fd takes more: standard output may have been left
 * non-blocking by whoever shares it. */
static int
out_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	if (poll(&p, 1, -1) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

static int
out_writev_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t r = writev(fd, iov, cnt);

		if (r < 0) {
			if (errno == EINTR) {
				/* A signal asked us to end: do not block on a stuck
				 * reader any longer. */
				if (cli_signalled())
					return -EINTR;
				continue;
			}
			if (errno == EAGAIN) {
				int rc = out_wait(fd);
				if (rc < 0)
					return rc;
				if (cli_signalled())
					return -EINTR;
				continue;
			}
			return -errno;
		}
		ipcx_shared_iov_advance(iov, &cnt, (size_t)r);
	}
	return 0;
}

int
cli_write_all(int fd, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return out_writev_all(fd, &iov, 1);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = '=';
	}
	return o;
}

/* The metadata part of a json line: only what info->fields vouches for. */
static size_t
json_fields(const struct ipcx_msg_info *info, char *out, size_t outlen)
{
	size_t o = 0;

	if (info == NULL)
		return 0;
	if (info->fields & IPCX_INFO_PID)
		o += (size_t)snprintf(out + o, outlen - o, ",\"pid\":%ld", (long)info->pid);
	if (info->fields & IPCX_INFO_UID)
		o += (size_t)snprintf(out + o, outlen - o, ",\"uid\":%lu,\"gid\":%lu",
		                      (unsigned long)info->uid, (unsigned long)info->gid);
	if (info->fields & IPCX_INFO_PRIO)
		o += (size_t)snprintf(out + o, outlen - o, ",\"prio\":%u", info->prio);
	if (info->fields & IPCX_INFO_MTYPE)
		o += (size_t)snprintf(out + o, outlen - o, ",\"mtype\":%ld", info->mtype);
	if (info->fields & IPCX_INFO_SIGNO)
		o += (size_t)snprintf(out + o, outlen - o, ",\"signo\":%d,\"code\":%d",
		                      info->signo, info->code);
	return o;
}

int
cli_bytes_reserve(struct cli_bytes *b, size_t more)
{
	size_t ncap;
	uint8_t *p;

	if (more > (size_t)-1 / 2 - b->len)
		return -ENOMEM;
	if (b->cap - b->len >= more)
		return 0;
	ncap = b->cap ? b->cap : 4096;
	while (ncap - b->len < more)
		ncap *= 2;
	p = realloc(b->p, ncap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = ncap;
	return 0;
}

int
cli_bytes_append(struct cli_bytes *b, const void *p, size_t n)
{
	int rc = cli_bytes_reserve(b, n);

	if (rc < 0)
		return rc;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void
cli_bytes_consume(struct cli_bytes *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void
cli_bytes_fini(struct cli_bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
cli_encode(enum cli_format fmt, const void *buf, size_t len, const struct ipcx_msg_info *info,
           struct cli_bytes *out)
{
	static const char hexdig[] = "0123456789abcdef";
	const uint8_t *p = buf;
	size_t i, need;
	char *o;
	int rc;

	switch (fmt) {
	case CLI_FMT_RAW:
		return cli_bytes_append(out, buf, len);
	case CLI_FMT_TEXT:
		rc = cli_bytes_append(out, buf, len);
		return rc < 0 ? rc : cli_bytes_append(out, "\n", 1);
	case CLI_FMT_HEX:
		if (len > ((size_t)-1 - 1) / 2)
			return -ENOMEM;
		rc = cli_bytes_reserve(out, len * 2 + 1);
		if (rc < 0)
			return rc;
		o = (char *)out->p + out->len;
		for (i = 0; i < len; i++) {
			*o++ = hexdig[p[i] >> 4];
			*o++ = hexdig[p[i] & 15];
		}
		*o = '\n';
		out->len += len * 2 + 1;
		return 0;
	case CLI_FMT_JSON:
		need = (len + 2) / 3 * 4 + 256;
		rc = cli_bytes_reserve(out, need);
		if (rc < 0)
			return rc;
		o = (char *)out->p + out->len;
		memcpy(o, "{\"data\":\"", 9);
		i = 9;
		i += base64_encode(p, len, o + i);
		i += (size_t)snprintf(o + i, need - i, "\",\"len\":%zu", len);
		i += json_fields(info, o + i, need - i);
		o[i++] = '}';
		o[i++] = '\n';
		out->len += i;
		return 0;
	}
	return -EINVAL;
}

int
cli_emit(enum cli_format fmt, const void *buf, size_t len, const struct ipcx_msg_info *info)
{
	struct cli_bytes b = { 0 };
	struct iovec iov[2];
	int rc;

	switch (fmt) {
	case CLI_FMT_RAW:
		return len > 0 ? cli_write_all(1, buf, len) : 0;
	case CLI_FMT_TEXT:
		iov[0].iov_base = (void *)buf;
		iov[0].iov_len = len;
		iov[1].iov_base = (void *)"\n";
		iov[1].iov_len = 1;
		return out_writev_all(1, iov, 2);
	default:
		break;
	}
	rc = cli_encode(fmt, buf, len, info, &b);
	if (rc == 0)
		rc = cli_write_all(1, b.p, b.len);
	cli_bytes_fini(&b);
	return rc;
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
void
cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* buf as a JSON string of its standard base64. */
int
cli_json_base64(FILE *f, const void *buf, size_t len)
{
	char *o = malloc((len + 2) / 3 * 4 + 1);
	size_t n;

	if (o == NULL)
		return -ENOMEM;
	n = base64_encode(buf, len, o);
	fputc('"', f);
	fwrite(o, 1, n, f);
	fputc('"', f);
	free(o);
	return 0;
}
