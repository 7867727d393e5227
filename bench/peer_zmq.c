/* SPDX-License-Identifier: MIT */
/*
 * peer_zmq.c - ZeroMQ as a peer row: a PAIR socket per process, bound by
 * the parent and connected by the peer, over ipc:// (a UNIX socket in the
 * group's directory) and tcp:// (loopback, a port the kernel picks), with
 * zmq_send/zmq_recv copying each message as ipcx_send/ipcx_recv do.
 * ZeroMQ's defaults otherwise (high-water marks, its one I/O thread, which
 * runs on the same pinned CPU as the process that owns it).  Built only
 * when libzmq3-dev was found (BENCH_HAVE_ZMQ).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bench_int.h"

struct zst {
	void *ctx, *sock;
};

static int
zsock(void **ctx, void **sock)
{
	int zero = 0, timeo = 1000;

	*ctx = zmq_ctx_new();
	if (*ctx == NULL)
		return -errno;
	*sock = zmq_socket(*ctx, ZMQ_PAIR);
	if (*sock == NULL) {
		int err = -errno;
		zmq_ctx_term(*ctx);
		return err;
	}
	(void)zmq_setsockopt(*sock, ZMQ_LINGER, &zero, sizeof(zero));
	/* Wake up once a second, so that a stop request is seen. */
	(void)zmq_setsockopt(*sock, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	(void)zmq_setsockopt(*sock, ZMQ_SNDTIMEO, &timeo, sizeof(timeo));
	return 0;
}

static void
zfree(struct zst *z)
{
	if (z == NULL)
		return;
	if (z->sock != NULL)
		zmq_close(z->sock);
	if (z->ctx != NULL)
		zmq_ctx_term(z->ctx);
	free(z);
}

static int
zopen(struct bare_open *o, void **st, const char *url)
{
	struct zst *z = calloc(1, sizeof(*z));
	size_t len = sizeof(o->addr);
	int rc;

	if (z == NULL)
		return -ENOMEM;
	rc = zsock(&z->ctx, &z->sock);
	if (rc < 0) {
		free(z);
		return rc;
	}
	if (zmq_bind(z->sock, url) < 0 ||
	    zmq_getsockopt(z->sock, ZMQ_LAST_ENDPOINT, o->addr, &len) < 0) {
		rc = -errno;
		bench_text(o->why, sizeof(o->why), "zmq_bind %s: %s", url, zmq_strerror(errno));
		zfree(z);
		return rc;
	}
	*st = z;
	return 0;
}

static int
zipc_open(struct bare_open *o, int fds[4], void **st)
{
	char url[400];

	(void)fds;
	snprintf(url, sizeof(url), "ipc://%s/zmq.sock", o->dir);
	return zopen(o, st, url);
}

static int
ztcp_open(struct bare_open *o, int fds[4], void **st)
{
	(void)fds;
	return zopen(o, st, "tcp://127.0.0.1:*");
}

static int
zattach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why, size_t whylen)
{
	struct zst *z = calloc(1, sizeof(*z));
	int rc;

	(void)rfd;
	(void)wfd;
	(void)max;
	if (z == NULL)
		return -ENOMEM;
	rc = zsock(&z->ctx, &z->sock);
	if (rc < 0) {
		free(z);
		return rc;
	}
	if (zmq_connect(z->sock, addr) < 0) {
		rc = -errno;
		bench_text(why, whylen, "zmq_connect %s: %s", addr, zmq_strerror(errno));
		zfree(z);
		return rc;
	}
	*st = z;
	return 0;
}

static int
zsend(void *st, int fd, const void *buf, size_t len)
{
	struct zst *z = st;

	(void)fd;
	for (;;) {
		if (zmq_send(z->sock, buf, len, 0) >= 0)
			return 0;
		if ((errno != EINTR && errno != EAGAIN) || bench_stop)
			return -errno;
	}
}

static ssize_t
zrecv(void *st, int fd, void *buf, size_t cap, size_t expect)
{
	struct zst *z = st;

	(void)fd;
	(void)expect;
	for (;;) {
		int r = zmq_recv(z->sock, buf, cap, 0);
		if (r >= 0)
			return (size_t)r > cap ? -EMSGSIZE : r;
		if ((errno != EINTR && errno != EAGAIN) || bench_stop)
			return -errno;
	}
}

static void
zclose(int fds[4], void *st, bool owner)
{
	(void)fds;
	(void)owner;
	zfree(st);
}

const struct bare_driver peer_zmq_ipc = {
	"zmq", NULL, "zmq ipc", "zmq_send/zmq_recv", "ZeroMQ PAIR sockets over ipc:// (a UNIX socket)",
	BARE_PEER, zipc_open, zattach, zsend, zrecv, zclose, NULL, NULL,
};
const struct bare_driver peer_zmq_tcp = {
	"zmq", NULL, "zmq tcp", "zmq_send/zmq_recv", "ZeroMQ PAIR sockets over tcp://127.0.0.1",
	BARE_PEER, ztcp_open, zattach, zsend, zrecv, zclose, NULL, NULL,
};
