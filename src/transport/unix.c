/* SPDX-License-Identifier: MIT */
/*
 * unix.c - UNIX-domain sockets: "unix:PATH" and "unix:@NAME" (abstract).
 *
 * type=stream (default) is a byte stream the core frames; seqpacket and
 * dgram keep message boundaries themselves.  Create listens (stream,
 * seqpacket) or binds the receiving socket (dgram); join connects.
 *
 *  - Creation never follows a link and never takes over a live server.  The
 *    core calls c_create holding the registry entry's exclusive lock, so
 *    ipcx creators of one path are serialised, and it sets may_adopt only
 *    when no live process holds the entry.  Then, when bind finds the path
 *    taken, a socket file is also probed with connect() (a server that is
 *    not ipcx's, or keeps another registry): ECONNREFUSED means its server
 *    died, and only then is it replaced (nng's ipc_remove_stale) - if it is
 *    still the file that was probed.  Anything that is not a socket is left
 *    alone.
 *  - The socket file gets its mode before it exists: fchmod on the unbound
 *    socket sets the inode mode bind copies (minus the umask), so there is
 *    no window with wider permissions; fchmodat(AT_SYMLINK_NOFOLLOW) then
 *    sets the exact "mode=".
 *  - Abstract names have no permissions: only the creator's uid, plus
 *    "allow_uid=", may connect (checked with SO_PEERCRED on accept, or with
 *    SCM_CREDENTIALS per datagram); a path socket applies "allow_uid=" too
 *    when it is given.
 *  - SO_PASSCRED costs every message on the socket (the kernel takes the
 *    sender's pid and credentials per datagram), so it is on only where a
 *    message's sender must be known: a creator that filters by uid (an
 *    abstract name, or allow_uid=), and a dgram socket from its first
 *    ipcx_recv_info on.  Seqpacket messages otherwise carry the
 *    connection's SO_PEERCRED, as streams do.
 *  - A zero-length seqpacket read is an empty message or the end of the
 *    stream.  An empty message carries its sender's name (every ipcx end
 *    has one: accepted ends share the listener's, joiners and socket pairs
 *    autobind) or credentials; the end carries neither.  From a nameless
 *    peer (not ipcx), a zero-length read is the end only once the peer has
 *    shut the connection down.
 *  - A dgram creator replies to the last sender it received from (each
 *    joiner autobinds an abstract address for this).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/sock.h"
#include "core/transport.h"
#include "os/io.h"

#define UNIX_MAX_ALLOW 16
/* Messages on seqpacket/dgram: the default fits the default socket buffer
 * (net.core.wmem_default, 208 KiB) with room for the kernel's overhead. */
#define UNIX_MSG_DEFAULT_MAX ((size_t)64 * 1024)

struct unix_chan {
	struct ipcx_chan base;
	int type;                  /* SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM */
	struct sockaddr_un addr;
	socklen_t addrlen;
	bool abstract;
	bool bound_path;           /* we bound a file at addr.sun_path */
	dev_t dev;                 /* that file, to remove only it */
	ino_t ino;
	uid_t allow[UNIX_MAX_ALLOW];
	int nallow;
	bool restrict_uid;         /* enforce allow[] */
	bool passcred;             /* SO_PASSCRED is on */
	struct sockaddr_un reply_to; /* dgram creator: the last sender */
	socklen_t reply_len;
	struct ipcx_rx_adapt rx;   /* wait before receiving, or try first */
};

static struct unix_chan *
unix_of(struct ipcx_chan *ch)
{
	return (struct unix_chan *)ch;
}

/*
 * The checks below run twice with the same code: from unix_chan_check
 * (ipcx_uri_check and every open, before anything exists) and from
 * unix_setup/unix_chan_pair, which also keep what they parse.
 */
static int
unix_parse_type(const struct ipcx_uri *uri, int *type)
{
	const char *v = ipcx__uri_get(uri, "type");

	*type = SOCK_STREAM;
	if (v == NULL || strcmp(v, "stream") == 0)
		return 0;
	if (strcmp(v, "seqpacket") == 0)
		*type = SOCK_SEQPACKET;
	else if (strcmp(v, "dgram") == 0)
		*type = SOCK_DGRAM;
	else
		return ipcx__uri_invalid(-EINVAL, "type must be stream, seqpacket or dgram");
	if (ipcx__uri_get(uri, "framing") != NULL)
		return ipcx__uri_invalid(-EINVAL, "framing= is for type=stream only: "
		                                  "seqpacket and dgram keep message boundaries");
	return 0;
}

static int
unix_parse_addr(const struct ipcx_uri *uri, struct sockaddr_un *sa, socklen_t *len,
                bool *abstract)
{
	const char *a = uri->address;
	size_t n = uri->address_len;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*abstract = n > 0 && a[0] == '@';
	if (*abstract) {
		if (n < 2)
			return ipcx__uri_invalid(-EINVAL, "an abstract unix: name needs a "
			                                  "name after '@'");
		if (n > sizeof(sa->sun_path))
			return ipcx__uri_invalid(-ENAMETOOLONG, "abstract unix name longer "
			                         "than %zu bytes", sizeof(sa->sun_path) - 1);
		/* sun_path[0] stays 0: the abstract namespace. */
		memcpy(sa->sun_path + 1, a + 1, n - 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
		return 0;
	}
	if (n == 0)
		return ipcx__uri_invalid(-EINVAL, "unix: needs a PATH or @NAME (no address "
		                                  "is for ipcx_pair only)");
	if (n >= sizeof(sa->sun_path))
		return ipcx__uri_invalid(-ENAMETOOLONG, "unix path longer than %zu bytes",
		                         sizeof(sa->sun_path) - 1);
	memcpy(sa->sun_path, a, n);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* "allow_uid=UID[,UID...]" into uids[] (room for UNIX_MAX_ALLOW - 1: the
 * creator's own uid takes a slot).  v may be NULL. */
static int
unix_parse_uids(const char *v, uid_t *uids, int *ret_n)
{
	char buf[32];
	int n = 0;

	while (v != NULL && *v) {
		const char *comma = strchr(v, ',');
		size_t len = comma ? (size_t)(comma - v) : strlen(v);
		unsigned long uid;

		if (n == UNIX_MAX_ALLOW - 1)
			return ipcx__uri_invalid(-EINVAL, "allow_uid takes at most %d uids",
			                         UNIX_MAX_ALLOW - 1);
		if (len == 0 || len >= sizeof(buf))
			goto bad;
		memcpy(buf, v, len);
		buf[len] = '\0';
		if (ipcx__parse_ulong(buf, 10, 0xfffffffeul, &uid) < 0)
			goto bad;
		uids[n++] = (uid_t)uid;
		if (comma != NULL && comma[1] == '\0')
			goto bad;
		v = comma ? comma + 1 : NULL;
	}
	*ret_n = n;
	return 0;
bad:
	return ipcx__uri_invalid(-EINVAL, "allow_uid must be decimal uids separated by ','");
}

static int
unix_parse_allow(struct unix_chan *u)
{
	const char *v = ipcx__uri_get(&u->base.uri, "allow_uid");
	int n, rc;

	u->nallow = 0;
	u->allow[u->nallow++] = geteuid();
	/* Only the creator filters.  A joiner's socket is connected, and the
	 * kernel delivers to a connected socket only what its peer sends
	 * (unix_may_send), so a filter there could only drop the server's own
	 * replies: a joiner of another uid would never hear its server. */
	u->restrict_uid = u->base.role == IPCX_ROLE_CREATOR && (u->abstract || v != NULL);
	rc = unix_parse_uids(v, u->allow + 1, &n);
	if (rc < 0)
		return rc;
	u->nallow += n;
	return 0;
}

/* c_check: type=, allow_uid= and the address, touching nothing.  No
 * address is a socketpair's (ipcx_pair), which has no peer to filter. */
static int
unix_chan_check(const struct ipcx_uri *uri)
{
	const char *allow = ipcx__uri_get(uri, "allow_uid");
	struct sockaddr_un sa;
	uid_t uids[UNIX_MAX_ALLOW];
	socklen_t len;
	bool abstract;
	int type, n, rc;

	rc = unix_parse_type(uri, &type);
	if (rc < 0)
		return rc;
	if (uri->address_len == 0) {
		if (allow != NULL)
			return ipcx__uri_invalid(-EINVAL, "allow_uid needs a socket address "
			                                  "(unix:PATH or unix:@NAME)");
		return 0;
	}
	rc = unix_parse_addr(uri, &sa, &len, &abstract);
	if (rc < 0)
		return rc;
	return unix_parse_uids(allow, uids, &n);
}

static bool
unix_uid_allowed(const struct unix_chan *u, uid_t uid)
{
	int i;

	if (!u->restrict_uid)
		return true;
	for (i = 0; i < u->nallow; i++)
		if (u->allow[i] == uid)
			return true;
	return false;
}

/* Everything checked before any socket exists. */
static int
unix_setup(struct ipcx_chan *ch)
{
	struct unix_chan *u = unix_of(ch);
	int rc;

	rc = unix_parse_type(&ch->uri, &u->type);
	if (rc < 0)
		return rc;
	rc = unix_parse_addr(&ch->uri, &u->addr, &u->addrlen, &u->abstract);
	if (rc < 0)
		return rc;
	rc = unix_parse_allow(u);
	if (rc < 0)
		return rc;
	if (u->type == SOCK_STREAM)
		return ipcx__stream_open(ch, &ipcx__fd_stream_ops, IPCX_STREAM_SOCKET);
	if (ch->max == 0)
		ch->max = UNIX_MSG_DEFAULT_MAX;
	return 0;
}

/*
 * Room for one message of max bytes on a message socket; the kernel caps it
 * at wmem_max/rmem_max and a larger send fails with EMSGSIZE.  Accepted
 * sockets need it too: they start with the defaults, not the listener's.
 */
static void
unix_size_buffers(int fd, int type, size_t max)
{
	if (type != SOCK_STREAM && max > UNIX_MSG_DEFAULT_MAX) {
		/* The kernel caps it (wmem_max, rmem_max) anyway; an int must
		 * not wrap on the way (max=1G). */
		int sz = max > (size_t)(INT_MAX - 4096) / 2 ? INT_MAX : (int)(max * 2 + 4096);
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
}

/* From now on every message arriving on fd carries its sender. */
static int
unix_passcred_on(struct unix_chan *u, int fd)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return -errno;
	u->passcred = true;
	return 0;
}

/* An abstract address of the kernel's choosing (autobind), so that what
 * this socket sends carries a name: a dgram receiver replies to it, a
 * seqpacket receiver tells an empty message from the end by it. */
static int
unix_autobind(int fd)
{
	sa_family_t fam = AF_UNIX;

	return bind(fd, (struct sockaddr *)&fam, sizeof(fam)) < 0 ? -errno : 0;
}

static int
unix_socket(struct unix_chan *u)
{
	int fd = ipcx__socket(AF_UNIX, u->type, 0), rc;

	if (fd < 0)
		return fd;
	/* The uid filter needs every datagram's sender, from the first one:
	 * on before bind, so none arrives without. */
	if (u->type != SOCK_STREAM && u->restrict_uid) {
		rc = unix_passcred_on(u, fd);
		if (rc < 0) {
			ipcx__close(fd);
			return rc;
		}
	}
	unix_size_buffers(fd, u->type, u->base.max);
	return fd;
}

/* Is a server alive behind the socket file at addr?  1 yes, 0 stale. */
static int
unix_probe_live(struct unix_chan *u)
{
	int fd = ipcx__socket(AF_UNIX, u->type, 0), rc;

	if (fd < 0)
		return fd;
	rc = connect(fd, (struct sockaddr *)&u->addr, u->addrlen) == 0 ? 1 : -errno;
	ipcx__close(fd);
	if (rc == -ECONNREFUSED)
		return 0;
	if (rc == -EPROTOTYPE)
		return 1; /* a server of another socket type: alive all the same */
	return rc == 1 || rc == -EAGAIN || rc == -EINPROGRESS ? 1 : rc;
}

static int
unix_bind(struct unix_chan *u, int fd)
{
	struct ipcx_chan *ch = &u->base;
	struct stat st, st2;
	int rc, live;

	if (!u->abstract && fchmod(fd, ch->mode) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&u->addr, u->addrlen) == 0)
		goto bound;
	rc = -errno;
	if (rc != -EADDRINUSE || u->abstract)
		return rc;
	if (lstat(u->addr.sun_path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode)) {
		ipcx__set_errmsg(ch, "%s exists and is not a socket", u->addr.sun_path);
		return -EEXIST;
	}
	if (!ch->may_adopt) {
		ipcx__set_errmsg(ch, "a socket file is already at %s", u->addr.sun_path);
		return -EEXIST;
	}
	live = unix_probe_live(u);
	if (live != 0) {
		ipcx__set_errmsg(ch, "a live server holds %s", u->addr.sun_path);
		return live == 1 ? -EADDRINUSE : live;
	}
	/* Replace only the file that was probed: one swapped in since came
	 * from a server that is not serialised by our registry. */
	if (lstat(u->addr.sun_path, &st2) < 0 || st2.st_dev != st.st_dev ||
	    st2.st_ino != st.st_ino) {
		ipcx__set_errmsg(ch, "another server took %s", u->addr.sun_path);
		return -EADDRINUSE;
	}
	if (unlink(u->addr.sun_path) < 0 && errno != ENOENT)
		return -errno;
	if (bind(fd, (struct sockaddr *)&u->addr, u->addrlen) < 0) {
		rc = -errno;
		if (rc == -EADDRINUSE)
			ipcx__set_errmsg(ch, "another server took %s", u->addr.sun_path);
		return rc;
	}
bound:
	if (u->abstract)
		return 0;
	u->bound_path = true;
	if (lstat(u->addr.sun_path, &st) < 0)
		return -errno;
	u->dev = st.st_dev;
	u->ino = st.st_ino;
	if (fchmodat(AT_FDCWD, u->addr.sun_path, ch->mode, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static bool unix_file_is_ours(const struct unix_chan *u);

static int
unix_chan_create(struct ipcx_chan *ch)
{
	struct unix_chan *u = unix_of(ch);
	int fd, rc;

	rc = unix_setup(ch);
	if (rc < 0)
		return rc;
	fd = unix_socket(u);
	if (fd < 0)
		return fd;
	ch->rfd = fd;
	rc = unix_bind(u, fd);
	if (rc == 0 && u->type != SOCK_DGRAM && listen(fd, SOMAXCONN) < 0)
		rc = -errno;
	if (rc < 0) {
		/* A failed create leaves nothing behind that it made. */
		if (u->bound_path && unix_file_is_ours(u))
			(void)unlink(u->addr.sun_path);
		u->bound_path = false;
		return rc;
	}
	if (u->type == SOCK_DGRAM)
		ch->wfd = fd; /* replies go to the last sender */
	else
		ch->listening = true;
	return 0;
}

static int
unix_chan_join(struct ipcx_chan *ch, int64_t deadline)
{
	struct unix_chan *u = unix_of(ch);
	int fd, rc;

	rc = unix_setup(ch);
	if (rc < 0)
		return rc;
	fd = unix_socket(u);
	if (fd < 0)
		return fd;
	ch->rfd = ch->wfd = fd;
	if (u->type != SOCK_STREAM) {
		rc = unix_autobind(fd);
		if (rc < 0)
			return rc;
	}
	rc = ipcx__sock_connect(ch, fd, (struct sockaddr *)&u->addr, u->addrlen, deadline);
	if (rc < 0)
		return rc;
	if (u->type != SOCK_DGRAM)
		(void)ipcx__sock_peercred(ch, fd);
	return 0;
}

static int
unix_chan_accept(struct ipcx_chan *listener, struct ipcx_chan *conn, int64_t deadline)
{
	struct unix_chan *l = unix_of(listener), *c = unix_of(conn);
	int fd;

	c->type = l->type;
	c->addr = l->addr;
	c->addrlen = l->addrlen;
	c->abstract = l->abstract;
	c->passcred = l->passcred; /* accepted sockets inherit SO_PASSCRED */
	if (l->type == SOCK_STREAM &&
	    ipcx__stream_open(conn, &ipcx__fd_stream_ops, IPCX_STREAM_SOCKET) < 0)
		return -ENOMEM;
	conn->max = listener->max;
	for (;;) {
		fd = ipcx__sock_accept(listener, deadline, NULL, NULL);
		if (fd < 0)
			return fd;
		if (ipcx__sock_peercred(conn, fd) == 0 && unix_uid_allowed(l, conn->peer_uid))
			break;
		ipcx__close(fd); /* refused: another user */
		conn->has_peer = false;
	}
	unix_size_buffers(fd, l->type, conn->max);
	conn->rfd = conn->wfd = fd;
	return 0;
}

static ssize_t
unix_msg_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct unix_chan *u = unix_of(ch);
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };

	if (ch->role == IPCX_ROLE_CREATOR) {
		if (u->reply_len <= sizeof(sa_family_t))
			return -ENOTCONN; /* nobody has written to us yet */
		msg.msg_name = &u->reply_to;
		msg.msg_namelen = u->reply_len;
	}
	for (;;) {
		ssize_t r = ipcx__sendmsg(ch->wfd, &msg, MSG_DONTWAIT);
		int w;

		if (r >= 0)
			return r;
		if (r == -ECONNREFUSED || r == -ECONNRESET || r == -ENOTCONN)
			return -EPIPE;
		if (r != -EAGAIN)
			return r;
		w = ipcx__wait_fd(ch, ch->wfd, POLLOUT, deadline);
		if (w < 0)
			return w;
		if ((w & POLLHUP) && u->type == SOCK_SEQPACKET)
			return -EPIPE;
	}
}

static struct ucred *
unix_msg_cred(struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
			return (struct ucred *)CMSG_DATA(c);
	return NULL;
}

/*
 * Whether a message's sender may be heard.  A refused datagram is dropped.
 * The socket had SO_PASSCRED before it was bound, so a message without
 * credentials cannot come from an allowed peer: fail closed.
 */
static bool
unix_msg_allowed(const struct unix_chan *u, const struct ucred *cred)
{
	if (!u->restrict_uid)
		return true;
	return cred != NULL && unix_uid_allowed(u, cred->uid);
}

/* A zero-length seqpacket read (see the top of the file): the end? */
static bool
unix_seqpacket_eof(struct ipcx_chan *ch, const struct msghdr *msg, const struct ucred *cred)
{
	struct pollfd p = { .fd = ch->rfd, .events = POLLRDHUP };
	int n;

	if (cred != NULL || msg->msg_namelen > sizeof(sa_family_t))
		return false;
	/* The end is sticky: a peer that has not shut down has sent an
	 * empty message. */
	do
		n = poll(&p, 1, 0);
	while (n < 0 && errno == EINTR);
	return n == 1 && (p.revents & (POLLRDHUP | POLLHUP)) != 0;
}

static ssize_t
unix_msg_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
              int64_t deadline)
{
	struct unix_chan *u = unix_of(ch);

	/* A datagram's sender is known only from the kernel's credentials:
	 * asked for, they are on from here on (what is already queued was
	 * sent without, and is reported without). */
	if (info != NULL && u->type == SOCK_DGRAM && !u->passcred)
		(void)unix_passcred_on(u, ch->rfd);
	for (;;) {
		union {
			struct cmsghdr hdr;
			char space[CMSG_SPACE(sizeof(struct ucred))];
		} ctl;
		struct sockaddr_un from;
		struct iovec iov = { buf, cap };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.space, .msg_controllen = sizeof(ctl.space),
		};
		struct ucred *cred;
		bool waited = false;
		ssize_t r;
		int w;

		if (ipcx__rx_wait_first(&u->rx, deadline)) {
			w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
			if (w < 0)
				return w;
			waited = true;
		}
		/*
		 * When the buffer may be too small, look first, so an oversize
		 * message stays queued instead of being cut.  The look sees the
		 * sender too: a refused user's datagram is taken and dropped
		 * below, never reported as oversize - it would stand in front
		 * of every later message.
		 */
		if (cap < ch->max) {
			struct msghdr peek = { .msg_iov = NULL, .msg_iovlen = 0,
			                       .msg_control = ctl.space,
			                       .msg_controllen = sizeof(ctl.space) };
			r = ipcx__recvmsg(ch->rfd, &peek, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);
			if (r == -EAGAIN)
				goto wait;
			if (r > 0 && (size_t)r > cap && unix_msg_allowed(u, unix_msg_cred(&peek))) {
				ipcx__set_errmsg(ch, "message of %zd bytes, buffer of %zu", r, cap);
				return -EMSGSIZE;
			}
		}
		r = ipcx__recvmsg(ch->rfd, &msg, MSG_DONTWAIT | MSG_TRUNC);
		if (r == -EAGAIN)
			goto wait;
		if (r == -ECONNRESET)
			return IPCX_EOF;
		if (r < 0)
			return r;
		cred = unix_msg_cred(&msg);
		if (r == 0 && u->type == SOCK_SEQPACKET && unix_seqpacket_eof(ch, &msg, cred))
			return IPCX_EOF;
		if (!unix_msg_allowed(u, cred))
			continue; /* a datagram from a refused user: dropped */
		if ((size_t)r > cap || (msg.msg_flags & MSG_TRUNC)) {
			/* Only another receiver on this socket, taking the message
			 * that was looked at, can bring us here. */
			ipcx__set_errmsg(ch, "a %zd-byte message exceeded the %zu-byte buffer "
			                     "and was dropped", r, cap);
			return -EMSGSIZE;
		}
		ipcx__rx_found(&u->rx, waited);
		if (ch->role == IPCX_ROLE_CREATOR && u->type == SOCK_DGRAM) {
			u->reply_to = from;
			u->reply_len = msg.msg_namelen;
		}
		/* pid 0: sent before SO_PASSCRED was on (no credentials), or
		 * from a pid namespace this one cannot see. */
		if (info != NULL && cred != NULL && cred->pid != 0) {
			info->pid = cred->pid;
			info->uid = cred->uid;
			info->gid = cred->gid;
			info->fields |= IPCX_INFO_PID | IPCX_INFO_UID;
		} else if (info != NULL && ch->has_peer) {
			info->pid = ch->peer_pid;
			info->uid = ch->peer_uid;
			info->gid = ch->peer_gid;
			info->fields |= IPCX_INFO_PID | IPCX_INFO_UID;
		}
		return r;
	wait:
		ipcx__rx_empty(&u->rx);
		w = ipcx__wait_fd(ch, ch->rfd, POLLIN, deadline);
		if (w < 0)
			return w;
	}
}

static int
unix_chan_pair(struct ipcx_chan *a, struct ipcx_chan *b)
{
	struct unix_chan *ua = unix_of(a), *ub = unix_of(b);
	int sv[2], rc;

	if (a->uri.address_len != 0) {
		ipcx__set_errmsg(a, "invalid URI: ipcx_pair takes unix: with no address "
		                    "(unix:?type=...)");
		return -EINVAL;
	}
	rc = unix_parse_type(&a->uri, &ua->type);
	if (rc < 0)
		return rc;
	ub->type = ua->type;
	if (socketpair(AF_UNIX, ua->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return -errno;
	sv[0] = ipcx__fd_above_stdio(sv[0]);
	sv[1] = ipcx__fd_above_stdio(sv[1]);
	if (sv[0] < 0 || sv[1] < 0) {
		ipcx__close(sv[0]);
		ipcx__close(sv[1]);
		return -EMFILE;
	}
	a->rfd = a->wfd = sv[0];
	b->rfd = b->wfd = sv[1];
	if (ua->type == SOCK_STREAM &&
	    (ipcx__stream_open(a, &ipcx__fd_stream_ops, IPCX_STREAM_SOCKET) < 0 ||
	     ipcx__stream_open(b, &ipcx__fd_stream_ops, IPCX_STREAM_SOCKET) < 0))
		return -ENOMEM; /* the sockets are the channels': c_close frees them */
	if (!a->stream) {
		/* Named ends: see unix_seqpacket_eof. */
		if (ua->type == SOCK_SEQPACKET &&
		    ((rc = unix_autobind(sv[0])) < 0 || (rc = unix_autobind(sv[1])) < 0))
			return rc;
		if (a->max == 0)
			a->max = b->max = UNIX_MSG_DEFAULT_MAX;
		unix_size_buffers(sv[0], ua->type, a->max);
		unix_size_buffers(sv[1], ua->type, b->max);
	}
	(void)ipcx__sock_peercred(a, sv[0]);
	(void)ipcx__sock_peercred(b, sv[1]);
	return 0;
}

static bool
unix_file_is_ours(const struct unix_chan *u)
{
	struct stat st;

	return lstat(u->addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	       st.st_dev == u->dev && st.st_ino == u->ino;
}

static void
unix_chan_close(struct ipcx_chan *ch, bool remove)
{
	struct unix_chan *u = unix_of(ch);

	if (ch->wfd != ch->rfd)
		ipcx__close(ch->wfd);
	ipcx__close(ch->rfd);
	ch->rfd = ch->wfd = -1;
	/* Remove the file only if it is still the one we bound (a failed
	 * create never got that far, so it removes nothing). */
	if (remove && u->bound_path && unix_file_is_ours(u))
		(void)unlink(u->addr.sun_path);
}

static int
unix_chan_unlink(const struct ipcx_uri *uri)
{
	struct sockaddr_un sa;
	socklen_t len;
	struct stat st;
	bool abstract;
	int rc;

	rc = unix_parse_addr(uri, &sa, &len, &abstract);
	if (rc < 0)
		return rc;
	if (abstract)
		return -ENOTSUP; /* an abstract name ends with its socket */
	if (lstat(sa.sun_path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	return unlink(sa.sun_path) < 0 ? -errno : 0;
}

static int
unix_chan_canonical(const struct ipcx_uri *uri, struct ipcx_chan *ch, char *out,
                    size_t outlen)
{
	char abs[PATH_MAX];
	int rc, n;

	(void)ch;
	if (uri->address_len == 0)
		return 1; /* a socketpair has no name */
	if (uri->address[0] == '@') {
		n = snprintf(out, outlen, "unix:%s", uri->address);
	} else {
		rc = ipcx__abs_path(uri->address, abs, sizeof(abs));
		if (rc < 0)
			return rc;
		n = snprintf(out, outlen, "unix:%s", abs);
	}
	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

static int
unix_chan_stat(struct ipcx_chan *ch, struct ipcx_stat *st)
{
	struct unix_chan *u = unix_of(ch);
	struct stat sb;
	int n;

	if (!u->abstract && u->addr.sun_path[0] && lstat(u->addr.sun_path, &sb) == 0) {
		st->mode = sb.st_mode & 07777;
		st->owner_uid = sb.st_uid;
		st->has_owner = 1;
	}
	n = (!ch->listening && ch->rfd >= 0) ? ipcx__fionread(ch->rfd) : -1;
	if (n >= 0) {
		st->queued = n;
		st->queued_unit = ch->stream ? 1 : 0;
		if (!ch->stream)
			st->queued = n > 0 ? 1 : 0; /* SIOCINQ tells the next one's size */
	}
	return 0;
}

static const struct ipcx_chan_ops unix_ops = {
	.c_create = unix_chan_create,
	.c_join = unix_chan_join,
	.c_accept = unix_chan_accept,
	.c_send = unix_msg_send,
	.c_recv = unix_msg_recv,
	.c_close = unix_chan_close,
	.c_unlink = unix_chan_unlink,
	.c_stat = unix_chan_stat,
	.c_pair = unix_chan_pair,
	.c_canonical = unix_chan_canonical,
	.c_check = unix_chan_check,
};

static const char *const unix_keys[] = {
	"type", "allow_uid", "mode", "max", "framing", "timeout", NULL,
};

/* type=stream is the default; the other two keep boundaries natively
 * (their default max is 64 KiB), and dgram knows no EOF. */
static const char *const unix_variants[] = { "type=stream", "type=seqpacket", "type=dgram",
	                                     NULL };

const struct ipcx_transport ipcx__unix_transport = {
	.t_scheme = "unix",
	.t_version = IPCX_TRANSPORT_VERSION,
	.t_chan_size = sizeof(struct unix_chan),
	.t_caps = IPCX_CAP_STREAM | IPCX_CAP_MESSAGE | IPCX_CAP_BIDIR | IPCX_CAP_EOF |
	          IPCX_CAP_PEER_CRED | IPCX_CAP_POLLABLE | IPCX_CAP_LISTEN | IPCX_CAP_PAIR,
	.t_keys = unix_keys,
	.t_ops = &unix_ops,
	.t_address_optional = true,
	.t_default_max = (size_t)16 << 20,
	.t_summary = "UNIX-domain socket (stream, seqpacket, dgram)",
	.t_address = "PATH | @NAME",
	.t_sample = "unix:{dir}/sock",
	.t_variants = unix_variants,
};
