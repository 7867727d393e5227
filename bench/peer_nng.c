/* SPDX-License-Identifier: MIT */
/*
 * peer_nng.c - nng as a peer row: a pair0 socket per process, the parent
 * listening and the peer dialling, over ipc:// (a UNIX socket in the
 * group's directory) and tcp:// (loopback, a port the kernel picks), with
 * nng_send/nng_recv copying each message as ipcx_send/ipcx_recv do.  The
 * receive size limit is lifted (nng refuses messages above 1 MiB by
 * default); a queue of 256 messages each way;
 * nng's defaults otherwise, its threads on the process's pinned
 * CPU.  Built only when libnng-dev was found (BENCH_HAVE_NNG).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>

#include "bench_int.h"

struct nst {
	nng_socket s;
	bool open;
};

static int
nerr(int rv)
{
	switch (rv) {
	case NNG_ETIMEDOUT:
		return -ETIMEDOUT;
	case NNG_ECLOSED:
		return -EPIPE;
	case NNG_ENOMEM:
		return -ENOMEM;
	case NNG_EADDRINUSE:
		return -EADDRINUSE;
	case NNG_ECONNREFUSED:
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static int
nsock(struct nst **ret)
{
	struct nst *n = calloc(1, sizeof(*n));
	int rv;

	if (n == NULL)
		return -ENOMEM;
	rv = nng_pair0_open(&n->s);
	if (rv != 0) {
		free(n);
		return nerr(rv);
	}
	n->open = true;
	(void)nng_socket_set_size(n->s, NNG_OPT_RECVMAXSZ, 0);
	/* pair0 buffers no message by default, so every send waits for the
	 * receiver: give it the queue a streaming program would ask for. */
	(void)nng_socket_set_int(n->s, NNG_OPT_SENDBUF, 256);
	(void)nng_socket_set_int(n->s, NNG_OPT_RECVBUF, 256);
	/* Wake up once a second, so that a stop request is seen. */
	(void)nng_socket_set_ms(n->s, NNG_OPT_RECVTIMEO, 1000);
	(void)nng_socket_set_ms(n->s, NNG_OPT_SENDTIMEO, 1000);
	*ret = n;
	return 0;
}

static void
nfree(struct nst *n)
{
	if (n == NULL)
		return;
	if (n->open)
		nng_close(n->s);
	free(n);
}

static int
nopen(struct bare_open *o, void **st, const char *url, bool tcp)
{
	struct nst *n;
	nng_listener l;
	int rc = nsock(&n), rv;

	if (rc < 0)
		return rc;
	rv = nng_listen(n->s, url, &l, 0);
	if (rv != 0) {
		bench_text(o->why, sizeof(o->why), "nng_listen %s: %s", url, nng_strerror(rv));
		nfree(n);
		return nerr(rv);
	}
	if (tcp) {
		nng_sockaddr sa;
		rv = nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa);
		if (rv != 0) {
			nfree(n);
			return nerr(rv);
		}
		snprintf(o->addr, sizeof(o->addr), "tcp://127.0.0.1:%u", ntohs(sa.s_in.sa_port));
	} else {
		snprintf(o->addr, sizeof(o->addr), "%s", url);
	}
	*st = n;
	return 0;
}

static int
nipc_open(struct bare_open *o, int fds[4], void **st)
{
	char url[400];

	(void)fds;
	snprintf(url, sizeof(url), "ipc://%s/nng.sock", o->dir);
	return nopen(o, st, url, false);
}

static int
ntcp_open(struct bare_open *o, int fds[4], void **st)
{
	(void)fds;
	return nopen(o, st, "tcp://127.0.0.1:0", true);
}

static int
nattach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why, size_t whylen)
{
	struct nst *n;
	int rc = nsock(&n), rv;

	(void)rfd;
	(void)wfd;
	(void)max;
	if (rc < 0)
		return rc;
	rv = nng_dial(n->s, addr, NULL, 0);
	if (rv != 0) {
		bench_text(why, whylen, "nng_dial %s: %s", addr, nng_strerror(rv));
		nfree(n);
		return nerr(rv);
	}
	*st = n;
	return 0;
}

static int
nsend(void *st, int fd, const void *buf, size_t len)
{
	struct nst *n = st;

	(void)fd;
	for (;;) {
		int rv = nng_send(n->s, (void *)buf, len, 0);
		if (rv == 0)
			return 0;
		if (rv != NNG_ETIMEDOUT || bench_stop)
			return bench_stop ? -EINTR : nerr(rv);
	}
}

static ssize_t
nrecv(void *st, int fd, void *buf, size_t cap, size_t expect)
{
	struct nst *n = st;

	(void)fd;
	(void)expect;
	for (;;) {
		size_t sz = cap;
		int rv = nng_recv(n->s, buf, &sz, 0);
		if (rv == 0)
			return sz > cap ? -EMSGSIZE : (ssize_t)sz;
		if (rv != NNG_ETIMEDOUT || bench_stop)
			return bench_stop ? -EINTR : nerr(rv);
	}
}

static void
nclose(int fds[4], void *st, bool owner)
{
	(void)fds;
	(void)owner;
	nfree(st);
}

const struct bare_driver peer_nng_ipc = {
	"nng", NULL, "nng ipc", "nng_send/nng_recv", "nng pair0 sockets over ipc:// (a UNIX socket)",
	BARE_PEER, nipc_open, nattach, nsend, nrecv, nclose, NULL, NULL,
};
const struct bare_driver peer_nng_tcp = {
	"nng", NULL, "nng tcp", "nng_send/nng_recv", "nng pair0 sockets over tcp://127.0.0.1",
	BARE_PEER, ntcp_open, nattach, nsend, nrecv, nclose, NULL, NULL,
};
