/* SPDX-License-Identifier: MIT */
/*
 * tcp.c - TCP sockets: "tcp:HOST:PORT" or "tcp://HOST:PORT", HOST being a
 * name, an IPv4 address or a bracketed IPv6 address ("[::1]").
 *
 * A byte stream, framed by the core.  TCP_NODELAY is set on every
 * connection: ipcx writes whole frames in one call, so Nagle's algorithm
 * would only add latency.  Listeners set SO_REUSEADDR so a restarted server
 * can bind while old connections sit in TIME_WAIT.  Port 0 picks a free
 * port; ipcx_stat() reports the bound one.
 *
 * TCP is unauthenticated: anyone who can reach the port can connect.  Bind
 * to 127.0.0.1 or ::1 for local use.  Names are resolved with getaddrinfo,
 * which may block on DNS beyond the deadline; numeric addresses never do.
 * A listener's registry entry is written once it is bound: only then is
 * its name known (port 0), and the kernel already refuses a second
 * listener on one address.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/sock.h"
#include "core/transport.h"
#include "os/io.h"

struct tcp_chan {
	struct ipcx_chan base;
	struct sockaddr_storage bound; /* listener: the address bound */
	socklen_t bound_len;
	/* A connection's peer, kept from accept or connect: once the peer has
	 * gone, getpeername no longer says who it was, and that is when an
	 * error message names it. */
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

static struct tcp_chan *
tcp_of(struct ipcx_chan *ch)
{
	return (struct tcp_chan *)ch;
}

/*
 * Split "host:port" / "[v6]:port" into host and port strings: the one
 * check of a tcp: address, run by tcp_chan_check before anything is
 * resolved and again by create and join, which keep the parts.
 */
static int
tcp_split(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = addr;
	size_t hl;
	unsigned long p;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			return ipcx__uri_invalid(-EINVAL, "expected tcp:[IPV6]:PORT");
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
		if (memchr(h, ':', hl) == NULL)
			return ipcx__uri_invalid(-EINVAL, "brackets are for IPv6 addresses "
			                                  "only: tcp:HOST:PORT");
	} else {
		colon = strchr(addr, ':');
		if (colon == NULL)
			return ipcx__uri_invalid(-EINVAL, "expected tcp:HOST:PORT");
		if (strchr(colon + 1, ':') != NULL)
			return ipcx__uri_invalid(-EINVAL, "IPv6 addresses need brackets: "
			                                  "tcp:[::1]:PORT");
		hl = (size_t)(colon - addr);
	}
	if (hl == 0)
		return ipcx__uri_invalid(-EINVAL, "expected tcp:HOST:PORT; the host is empty");
	if (hl >= hostlen)
		return ipcx__uri_invalid(-EINVAL, "a tcp: host is at most %zu bytes",
		                         hostlen - 1);
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (strlen(colon + 1) >= portlen ||
	    ipcx__parse_ulong(colon + 1, 10, 65535, &p) < 0)
		return ipcx__uri_invalid(-EINVAL, "a tcp: port is a number from 0 to 65535");
	snprintf(port, portlen, "%lu", p);
	return 0;
}

/* c_check: the address form, resolving nothing. */
static int
tcp_chan_check(const struct ipcx_uri *uri)
{
	char host[256], port[8];

	return tcp_split(uri->address, host, sizeof(host), port, sizeof(port));
}

/*
 * Resolve the host.  getaddrinfo's errors are not errno values; each is
 * given the code that says what a caller can do about it (ipcx-tcp(7)):
 * a name that does not exist is -ENOENT ("unknown host"), a resolver that
 * could not answer now is -EAGAIN (try again later), never -EINVAL, which
 * would blame the URI.
 */
static int
tcp_resolve(struct ipcx_chan *ch, bool passive, struct addrinfo **ret)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) };
	char host[256], port[8];
	int rc, err;

	rc = tcp_split(ch->uri.address, host, sizeof(host), port, sizeof(port));
	if (rc < 0)
		return rc;
	errno = 0;
	rc = getaddrinfo(host, port, &hints, ret);
	err = errno;
	switch (rc) {
	case 0:
		return 0;
	case EAI_NONAME:
	case EAI_NODATA:
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		ipcx__set_errmsg(ch, "unknown host %s", host);
		return -ENOENT;
	case EAI_AGAIN:
		ipcx__set_errmsg(ch, "name resolution of %s failed temporarily; try again later",
		                 host);
		return -EAGAIN;
	case EAI_FAIL:
		ipcx__set_errmsg(ch, "name resolution of %s failed: the name server reported a "
		                     "permanent failure", host);
		return -EHOSTUNREACH;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		ipcx__set_errmsg(ch, "name resolution of %s failed: %s", host,
		                 strerror(err != 0 ? err : EIO));
		return err != 0 ? -err : -EHOSTUNREACH;
	default:
		ipcx__set_errmsg(ch, "name resolution of %s failed: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
}

static void
tcp_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
tcp_check(struct ipcx_chan *ch)
{
	int rc = ipcx__stream_open(ch, &ipcx__fd_stream_ops, IPCX_STREAM_SOCKET);

	return rc < 0 ? rc : tcp_chan_check(&ch->uri);
}

static int
tcp_chan_create(struct ipcx_chan *ch)
{
	struct tcp_chan *t = tcp_of(ch);
	struct addrinfo *ai, *res;
	int rc, fd = -1, one = 1;

	rc = tcp_check(ch);
	if (rc < 0)
		return rc;
	rc = tcp_resolve(ch, true, &res);
	if (rc < 0)
		return rc;
	rc = -EADDRNOTAVAIL;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = ipcx__socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0) {
			rc = fd;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
			break;
		rc = -errno;
		ipcx__close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return rc;
	ch->rfd = fd;
	ch->listening = true;
	t->bound_len = sizeof(t->bound);
	if (getsockname(fd, (struct sockaddr *)&t->bound, &t->bound_len) < 0)
		return -errno;
	return 0;
}

static int
tcp_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	struct addrinfo *ai, *res;
	int rc, fd;

	rc = tcp_check(ch);
	if (rc < 0)
		return rc;
	rc = tcp_resolve(ch, false, &res);
	if (rc < 0)
		return rc;
	rc = -ECONNREFUSED;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = ipcx__socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0) {
			rc = fd;
			continue;
		}
		tcp_nodelay(fd);
		rc = ipcx__sock_connect(ch, fd, ai->ai_addr, ai->ai_addrlen, deadline);
		if (rc == 0) {
			ch->rfd = ch->wfd = fd;
			if (ai->ai_addrlen <= sizeof(tcp_of(ch)->peer)) {
				memcpy(&tcp_of(ch)->peer, ai->ai_addr, ai->ai_addrlen);
				tcp_of(ch)->peer_len = ai->ai_addrlen;
			}
			break;
		}
		ipcx__close(fd);
		if (rc == -ETIMEDOUT || rc == -ECANCELED || rc == -EINTR || rc == -EAGAIN)
			break; /* the deadline covers all addresses together */
	}
	freeaddrinfo(res);
	return rc;
}

static int
tcp_chan_accept(struct ipcx_chan *listener, struct ipcx_chan *conn, int64_t deadline)
{
	struct tcp_chan *t = tcp_of(conn);
	int fd;

	t->peer_len = sizeof(t->peer);
	fd = ipcx__sock_accept(listener, deadline, (struct sockaddr *)&t->peer, &t->peer_len);
	if (fd < 0) {
		t->peer_len = 0;
		return fd;
	}
	tcp_nodelay(fd);
	conn->rfd = conn->wfd = fd;
	return ipcx__stream_open(conn, &ipcx__fd_stream_ops, IPCX_STREAM_SOCKET);
}

static void
tcp_chan_close(struct ipcx_chan *ch, bool remove)
{
	(void)remove;
	if (ch->wfd != ch->rfd)
		ipcx__close(ch->wfd);
	ipcx__close(ch->rfd);
	ch->rfd = ch->wfd = -1;
}

static int
tcp_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN];
	int n, port;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		n = snprintf(out, outlen, "tcp:[%s]:%d", host, port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		n = snprintf(out, outlen, "tcp:%s:%d", host, port);
	}
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
tcp_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out,
                   size_t outlen)
{
	(void)uri;
	if (ch != NULL && ch->role == IPCX_ROLE_CREATOR && tcp_of(ch)->bound_len > 0)
		return tcp_format((struct sockaddr *)&tcp_of(ch)->bound, out, outlen);
	/* Connections are not registered (the server's entry is), and a
	 * listener's name is known only once it is bound: a host name
	 * resolves to an address, port 0 to a port. */
	return 1;
}

static int
tcp_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int n;

	st->mode = 0;
	if (!ch->listening && ch->rfd >= 0) {
		n = ipcx__fionread(ch->rfd);
		if (n >= 0) {
			st->queued = n;
			st->queued_unit = 1;
		}
	}
	/* The peer's address: an accepted connection's client, or the server
	 * a joiner reached (a host name as it resolved). */
	if (tcp_of(ch)->peer_len > 0)
		(void)tcp_format((struct sockaddr *)&tcp_of(ch)->peer, st->uri, sizeof(st->uri));
	else if (!ch->listening && ch->rfd >= 0 &&
	         getpeername(ch->rfd, (struct sockaddr *)&peer, &len) == 0)
		(void)tcp_format((struct sockaddr *)&peer, st->uri, sizeof(st->uri));
	return 0;
}

static const struct ipcx_chan_ops tcp_ops = {
	.c_create = tcp_chan_create,
	.c_join = tcp_chan_join,
	.c_accept = tcp_chan_accept,
	.c_close = tcp_chan_close,
	.c_stat = tcp_chan_stat,
	.c_canonical = tcp_chan_canonical,
	.c_check = tcp_chan_check,
};

static const char *const tcp_keys[] = { "max", "framing", "timeout", NULL };

const struct ipcx_transport ipcx__tcp_transport = {
	.t_scheme = "tcp",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct tcp_chan),
	.t_caps = IPCX_CAP_STREAM | IPCX_CAP_BIDIR | IPCX_CAP_EOF | IPCX_CAP_POLLABLE |
	          IPCX_CAP_LISTEN,
	.t_keys = tcp_keys,
	.t_ops = &tcp_ops,
	.t_double_slash = true,
	.t_default_max = (size_t)16 << 20,
	.t_summary = "TCP socket (unauthenticated)",
	.t_address = "HOST:PORT | [V6]:PORT",
	.t_sample = "tcp:127.0.0.1:0",
};
