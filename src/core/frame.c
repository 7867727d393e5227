/* SPDX-License-Identifier: MIT */
/*
 * frame.c - the three framings of byte streams, done once for every stream
 * transport (pipe, fifo, unix type=stream, tcp).
 *
 * Sending: a frame whose first byte is written is always completed or the
 * channel is broken; no peer ever sees a message spliced from two.  The
 * deadline bounds the wait for the first byte.  After that:
 *  - a blocking send keeps writing until its deadline; if the peer stops
 *    reading so the frame cannot be finished in time, the write side is shut
 *    (the peer sees the stream end mid-frame) and -EPIPE is returned, then
 *    and for every later send;
 *  - a timeout-0 send, which must not block, keeps the unwritten rest of the
 *    frame and reports success; every later send first finishes that rest.
 *  - ipcx_wake() or a signal in the middle of a frame does not abandon it:
 *    only the deadline can.  The frame is finished, the call returns its
 *    own result, and the next call that would block answers -ECANCELED
 *    (or -EINTR) at once.
 *
 * Receiving: bytes accumulate in the stream's rx buffer until a whole message is there, so a
 * timeout in the middle of a frame loses nothing; the next receive goes on.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/frame.h"
#include "os/io.h"

#define RX_CHUNK ((size_t)64 * 1024)

int
ipcx__frame_decode(enum ipcx_framing framing, size_t max, const uint8_t *data,
                   size_t n, size_t scan_from, bool eof, struct ipcx_frame *out)
{
	memset(out, 0, sizeof(*out));
	if (framing == IPCX_FRAMING_LEN) {
		uint64_t len;
		if (n < IPCX_FRAME_HDR) {
			out->need = IPCX_FRAME_HDR;
			return (eof && n > 0) ? -EPROTO : 0;
		}
		len = (uint64_t)data[0] << 24 | (uint64_t)data[1] << 16 |
		      (uint64_t)data[2] << 8 | (uint64_t)data[3];
		out->announced = len;
		if (len > max)
			return -EPROTO;
		out->need = IPCX_FRAME_HDR + (size_t)len;
		if (n < out->need)
			return eof ? -EPROTO : 0;
		out->off = IPCX_FRAME_HDR;
		out->len = (size_t)len;
		out->consumed = out->need;
		return 1;
	}
	if (framing == IPCX_FRAMING_LINE) {
		const uint8_t *nl = NULL;
		if (scan_from < n)
			nl = memchr(data + scan_from, '\n', n - scan_from);
		if (nl != NULL) {
			size_t len = (size_t)(nl - data);
			out->announced = len;
			if (len > max)
				return -EPROTO;
			out->len = len;
			out->consumed = len + 1;
			return 1;
		}
		out->announced = n;
		if (n > max)
			return -EPROTO;
		if (eof && n > 0) {
			/* An unterminated last line is still a message, as text tools
			 * treat it. */
			out->len = n;
			out->consumed = n;
			return 1;
		}
		return 0;
	}
	/* Raw: whatever is there is the message. */
	if (n == 0)
		return 0;
	out->len = n < max ? n : max;
	out->consumed = out->len;
	return 1;
}

/* ---- sending ---------------------------------------------------------- */

static void
chan_break(struct ipcx_chan *ch)
{
	struct ipcx_stream *st = ch->stream;

	st->broken = true;
	free(st->tx_tail);
	st->tx_tail = NULL;
	st->tx_tail_len = st->tx_tail_off = 0;
	st->ops->s_shutdown(ch, SHUT_WR);
}

/*
 * A wake-up (ipcx_wake, or a signal on an IPCX_INTERRUPTIBLE channel) that
 * arrives after a frame's first byte is kept, not acted on: the frame is
 * finished first, and the next call that would block answers for it.
 */
static void
hold_cancel(struct ipcx_chan *ch, ssize_t why)
{
	uint64_t one = 1;

	if (why == -EINTR) {
		ch->pending_intr = true;
		return;
	}
	atomic_store(&ch->wake_pending, 1);
	(void)!write(ch->wake_fd, &one, sizeof(one));
}

static int
tail_keep(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt)
{
	size_t total = ipcx__iov_total(iov, iovcnt), o = 0;
	int i;

	ch->stream->tx_tail = malloc(total);
	if (ch->stream->tx_tail == NULL)
		return -ENOMEM;
	for (i = 0; i < iovcnt; i++) {
		memcpy(ch->stream->tx_tail + o, iov[i].iov_base, iov[i].iov_len);
		o += iov[i].iov_len;
	}
	ch->stream->tx_tail_len = total;
	ch->stream->tx_tail_off = 0;
	return 0;
}

/*
 * Write iov completely.  `started` says whether bytes of this frame are
 * already out.  Once it has started, only the deadline ends the frame: a
 * timeout-0 call hands the rest to the channel (tx_tail) and succeeds;
 * any other deadline breaks the channel (-EPIPE).  Wake-ups and signals
 * in between are held for the next call (hold_cancel).
 */
static int
stream_write(struct ipcx_chan *ch, struct iovec *iov, int iovcnt, int64_t deadline,
             bool started)
{
	ssize_t held = 0;

	while (iovcnt > 0) {
		ssize_t r = ch->stream->ops->s_write(ch, iov, iovcnt, deadline);
		if (r > 0) {
			started = true;
			ipcx__iov_advance(iov, &iovcnt, (size_t)r);
			continue;
		}
		if (r == 0)
			r = -EPIPE; /* a stream that accepts nothing will never finish */
		if (!started)
			return (int)r;
		if (r == -ECANCELED || r == -EINTR) {
			if (held != -ECANCELED)
				held = r;
			continue;
		}
		if (r == -EAGAIN && deadline == IPCX_DEADLINE_NOW) {
			if (tail_keep(ch, iov, iovcnt) < 0) {
				ipcx__set_errmsg(ch, "no memory to keep the rest of a started frame; "
				                     "the channel is broken");
				chan_break(ch);
				r = -EPIPE;
				break;
			}
			r = 0;
			break;
		}
		if (r == -ETIMEDOUT || r == -EAGAIN)
			ipcx__set_errmsg(ch, "the peer stopped reading: a started frame could not "
			                     "be finished before the deadline; the channel is broken");
		else
			ipcx__set_errmsg(ch, "a started frame could not be finished (%s); the "
			                     "channel is broken",
			                 ipcx_strerror((int)r));
		chan_break(ch);
		r = -EPIPE;
		break;
	}
	if (held != 0)
		hold_cancel(ch, held);
	return iovcnt > 0 && ch->stream->broken ? -EPIPE : 0;
}

/*
 * Finish the rest of a frame a timeout-0 send left (tx_tail).  The caller's
 * own message has not started, so a wake-up or a signal ends the wait with
 * the rest still pending and the channel whole - except in close, which
 * has no caller left to tell and ignores them.  The deadline passing
 * leaves the rest pending under IPCX_FLUSH_KEEP (ipcx_flush, a later
 * timeout-0 send: the caller only asked to try); otherwise it breaks the
 * channel, as any started frame the deadline ends.
 */
int
ipcx__frame_flush(struct ipcx_chan *ch, int64_t deadline, unsigned how)
{
	int rc = 0;

	if (ch->stream->broken)
		return -EPIPE;
	while (ch->stream->tx_tail != NULL) {
		struct iovec iov = {
			.iov_base = ch->stream->tx_tail + ch->stream->tx_tail_off,
			.iov_len = ch->stream->tx_tail_len - ch->stream->tx_tail_off,
		};
		ssize_t r = ch->stream->ops->s_write(ch, &iov, 1, deadline);
		if (r > 0) {
			ch->stream->tx_tail_off += (size_t)r;
			if (ch->stream->tx_tail_off == ch->stream->tx_tail_len) {
				free(ch->stream->tx_tail);
				ch->stream->tx_tail = NULL;
				ch->stream->tx_tail_len = ch->stream->tx_tail_off = 0;
			}
			continue;
		}
		if (r == -ECANCELED || r == -EINTR) {
			if (how & IPCX_FLUSH_CLOSING)
				continue;
			rc = (int)r;
			break;
		}
		if ((r == -EAGAIN || r == -ETIMEDOUT) && (how & IPCX_FLUSH_KEEP)) {
			rc = (int)r;
			break;
		}
		ipcx__set_errmsg(ch, "the rest of a frame a timeout-0 send started could not be "
		                     "finished (%s); the channel is broken",
		                 ipcx_strerror(r == 0 ? -EPIPE : (int)r));
		chan_break(ch);
		/* Close tells a linger that ran out from a peer that went away. */
		rc = (how & IPCX_FLUSH_CLOSING) && (r == -ETIMEDOUT || r == -EAGAIN) ? -ETIMEDOUT
		                                                                  : -EPIPE;
		break;
	}
	return rc;
}

int
ipcx__frame_send(struct ipcx_chan *ch, const void *buf, size_t len, int64_t deadline)
{
	uint8_t hdr[IPCX_FRAME_HDR];
	struct iovec iov[2];
	int iovcnt = 0, rc;

	if (ch->stream->broken)
		return -EPIPE;
	switch (ch->framing) {
	case IPCX_FRAMING_LEN:
		hdr[0] = (uint8_t)(len >> 24);
		hdr[1] = (uint8_t)(len >> 16);
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		iov[iovcnt].iov_base = hdr;
		iov[iovcnt++].iov_len = sizeof(hdr);
		if (len > 0) {
			iov[iovcnt].iov_base = (void *)buf;
			iov[iovcnt++].iov_len = len;
		}
		break;
	case IPCX_FRAMING_LINE:
		if (len > 0 && memchr(buf, '\n', len) != NULL) {
			ipcx__set_errmsg(ch, "framing=line cannot send a message holding '\\n'");
			return -EINVAL;
		}
		if (len > 0) {
			iov[iovcnt].iov_base = (void *)buf;
			iov[iovcnt++].iov_len = len;
		}
		iov[iovcnt].iov_base = (void *)"\n";
		iov[iovcnt++].iov_len = 1;
		break;
	case IPCX_FRAMING_RAW:
		if (len == 0)
			return 0; /* nothing on the wire can say "empty" */
		iov[iovcnt].iov_base = (void *)buf;
		iov[iovcnt++].iov_len = len;
		break;
	}
	/* A timeout-0 send behind a pending rest waits its turn (-EAGAIN,
	 * nothing broken); a send with a deadline finishes the rest first, as
	 * part of the frame that rest belongs to. */
	rc = ipcx__frame_flush(ch, deadline, deadline == IPCX_DEADLINE_NOW ? IPCX_FLUSH_KEEP : 0);
	if (rc < 0)
		return rc;
	return stream_write(ch, iov, iovcnt, deadline, false);
}

/* ---- receiving -------------------------------------------------------- */

static int
rx_reserve(struct ipcx_rxbuf *rx, size_t want)
{
	size_t avail = rx->end - rx->start;
	uint8_t *p;
	size_t ncap;

	if (rx->start > 0 && (rx->cap - rx->end < want || avail == 0)) {
		memmove(rx->data, rx->data + rx->start, avail);
		rx->start = 0;
		rx->end = avail;
	}
	if (rx->cap - rx->end >= want)
		return 0;
	ncap = rx->cap ? rx->cap : RX_CHUNK;
	while (ncap - rx->end < want)
		ncap *= 2;
	p = realloc(rx->data, ncap);
	if (p == NULL)
		return -ENOMEM;
	rx->data = p;
	rx->cap = ncap;
	return 0;
}

/* Forget everything buffered and, on a shared stream, ask the transport to
 * resynchronise: after garbage there is no telling where the next frame
 * starts. */
static void
rx_drop(struct ipcx_chan *ch)
{
	struct ipcx_stream *st = ch->stream;

	st->rx.start = st->rx.end = 0;
	if (st->flags & IPCX_STREAM_SHARED)
		st->ops->s_shutdown(ch, SHUT_RD);
}

static ssize_t
proto_error(struct ipcx_chan *ch, const struct ipcx_frame *f, bool eof)
{
	struct ipcx_stream *st = ch->stream;

	if (eof && f->announced <= ch->max)
		ipcx__set_errmsg(ch, "the peer closed in the middle of a message "
		                     "(%zu of %zu bytes received)",
		                 st->rx.end - st->rx.start, f->need);
	else if (ch->framing == IPCX_FRAMING_LEN)
		ipcx__set_errmsg(ch, "frame length %llu exceeds max=%zu; is the peer "
		                     "using framing=line or raw?",
		                 (unsigned long long)f->announced, ch->max);
	else
		ipcx__set_errmsg(ch, "a line longer than max=%zu", ch->max);
	rx_drop(ch);
	if (!(st->flags & IPCX_STREAM_SHARED)) {
		/* Drop the connection: nothing after a broken frame can be
		 * trusted, and the peer must learn that we stopped listening. */
		st->rx.eof = true;
		st->ops->s_shutdown(ch, SHUT_RD);
		chan_break(ch);
	}
	return -EPROTO;
}

static void
fill_stream_info(const struct ipcx_chan *ch, struct ipcx_msg_info *info)
{
	if (info == NULL || !ch->has_peer)
		return;
	info->pid = ch->peer_pid;
	info->uid = ch->peer_uid;
	info->gid = ch->peer_gid;
	info->fields |= IPCX_INFO_PID | IPCX_INFO_UID;
}

/*
 * Put bytes that a direct read left in the caller's buffer back into the
 * stream's rx buffer,
 * ahead of what the same read put in rx after the header: rx then reads
 * [hdr_len bytes already at rx->data][buf[from..to)][the overflow], as if
 * everything had been read into rx.  overflow bytes sit at
 * rx->data + hdr_len.  The order on the wire is kept, which is all that
 * matters.
 */
static int
rx_spill(struct ipcx_rxbuf *rx, size_t hdr_len, const uint8_t *from, size_t n,
         size_t overflow)
{
	rx->start = 0;
	rx->end = hdr_len + overflow;
	if (rx_reserve(rx, n) < 0)
		return -ENOMEM;
	memmove(rx->data + hdr_len + n, rx->data + hdr_len, overflow);
	if (n > 0)
		memcpy(rx->data + hdr_len, from, n);
	rx->end = hdr_len + n + overflow;
	return 0;
}

/*
 * framing=len with nothing buffered: one readv of {the header, the caller's
 * buffer, room for what follows}, so a message that arrives whole is read
 * in one system call and copied once, by the kernel, into the caller's
 * buffer; only bytes beyond it are kept in the rx buffer.  On exact-read streams
 * (FIFOs, inherited descriptors) nothing beyond the frame may be read: the
 * header comes first, then the payload straight into the caller's buffer.
 * Returns the message length, an error with every byte read kept in the rx buffer
 * (a later call goes on from there), or NOT_DIRECT when the general path
 * must take over (every byte read is then in the rx buffer).
 */
#define NOT_DIRECT ((ssize_t)INT64_MIN)

static ssize_t
frame_recv_direct(struct ipcx_chan *ch, uint8_t *buf, size_t cap, int64_t deadline)
{
	struct ipcx_rxbuf *rx = &ch->stream->rx;
	bool exact = ch->stream->flags & IPCX_STREAM_EXACT;
	size_t extra = exact ? 0 : RX_CHUNK, got, over = 0, len;
	struct iovec iov[3];
	ssize_t r;
	int n;

	if (rx_reserve(rx, IPCX_FRAME_HDR + extra) < 0)
		return -ENOMEM;
	rx->start = rx->end = 0;
	iov[0] = (struct iovec){ rx->data, IPCX_FRAME_HDR };
	iov[1] = (struct iovec){ buf, cap };
	iov[2] = (struct iovec){ rx->data + IPCX_FRAME_HDR, extra };
	r = ch->stream->ops->s_read(ch, iov, exact ? 1 : 3, deadline);
	if (r == IPCX_EOF) {
		rx->eof = true;
		return NOT_DIRECT;
	}
	if (r < 0)
		return r;
	if ((size_t)r < IPCX_FRAME_HDR) {
		rx->end = (size_t)r;
		return NOT_DIRECT;
	}
	len = (size_t)rx->data[0] << 24 | (size_t)rx->data[1] << 16 |
	      (size_t)rx->data[2] << 8 | (size_t)rx->data[3];
	got = (size_t)r - IPCX_FRAME_HDR;
	if (got > cap) {
		over = got - cap;
		got = cap;
	}
	if (len > cap || len > ch->max) {
		/* Too large for this buffer or the channel: the general path
		 * says -EMSGSIZE (keeping it) or -EPROTO, from rx. */
		return rx_spill(rx, IPCX_FRAME_HDR, buf, got, over) < 0 ? -ENOMEM : NOT_DIRECT;
	}
	while (got < len) {
		/* The rest of this message goes straight to the caller too; on
		 * an exact stream not a byte more. */
		iov[0] = (struct iovec){ buf + got, len - got };
		iov[1] = (struct iovec){ rx->data + IPCX_FRAME_HDR + over, extra };
		n = exact || over > 0 ? 1 : 2;
		r = ch->stream->ops->s_read(ch, iov, n, deadline);
		if (r == IPCX_EOF)
			rx->eof = true;
		if (r < 0) {
			/* A deadline, a wake-up or the end in mid-message: keep
			 * everything for the next call (or for -EPROTO). */
			if (rx_spill(rx, IPCX_FRAME_HDR, buf, got, over) < 0)
				return -ENOMEM;
			return r == IPCX_EOF ? NOT_DIRECT : r;
		}
		if ((size_t)r > len - got) {
			over += (size_t)r - (len - got);
			got = len;
		} else {
			got += (size_t)r;
		}
	}
	/* The message is the caller's; what came after it (in the caller's
	 * buffer past len, then after the header in rx) starts rx. */
	memmove(rx->data, rx->data + IPCX_FRAME_HDR, over);
	if (rx_spill(rx, 0, buf + len, got - len, over) < 0)
		return -ENOMEM;
	if (rx->end == 0)
		rx->start = 0;
	return (ssize_t)len;
}

static ssize_t
frame_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
           int64_t deadline)
{
	struct ipcx_rxbuf *rx = &ch->stream->rx;
	size_t scanned = 0;

	for (;;) {
		struct ipcx_frame f;
		struct iovec iov1;
		size_t want;
		ssize_t r;
		int rc = ipcx__frame_decode(ch->framing, ch->max, rx->data + rx->start,
		                            rx->end - rx->start, scanned, rx->eof, &f);
		if (rc < 0)
			return proto_error(ch, &f, rx->eof);
		if (rc > 0) {
			if (f.len > cap) {
				ipcx__set_errmsg(ch, "message of %zu bytes, buffer of %zu", f.len,
				                 cap);
				return -EMSGSIZE; /* stays buffered for a larger buffer */
			}
			if (f.len > 0)
				memcpy(buf, rx->data + rx->start + f.off, f.len);
			rx->start += f.consumed;
			if (rx->start == rx->end)
				rx->start = rx->end = 0;
			fill_stream_info(ch, info);
			return (ssize_t)f.len;
		}
		if (rx->eof)
			return IPCX_EOF;
		if (ch->framing == IPCX_FRAMING_LINE)
			scanned = rx->end - rx->start;

		if (ch->framing == IPCX_FRAMING_RAW) {
			/* Nothing buffered: read straight into the caller's buffer. */
			if (cap == 0)
				return -EMSGSIZE;
			iov1.iov_base = buf;
			iov1.iov_len = cap < ch->max ? cap : ch->max;
			r = ch->stream->ops->s_read(ch, &iov1, 1, deadline);
			if (r == IPCX_EOF)
				rx->eof = true;
			if (r > 0)
				fill_stream_info(ch, info);
			return r;
		}
		if (ch->framing == IPCX_FRAMING_LEN && rx->end == rx->start && cap > 0) {
			r = frame_recv_direct(ch, buf, cap, deadline);
			if (r != NOT_DIRECT) {
				if (r >= 0)
					fill_stream_info(ch, info);
				return r;
			}
			continue;
		}
		want = RX_CHUNK;
		if (f.need > rx->end - rx->start && f.need - (rx->end - rx->start) > want)
			want = f.need - (rx->end - rx->start);
		if (rx_reserve(rx, want) < 0)
			return -ENOMEM;
		want = rx->cap - rx->end;
		if ((ch->stream->flags & IPCX_STREAM_EXACT))
			want = ch->framing == IPCX_FRAMING_LEN ? f.need - (rx->end - rx->start) : 1;
		iov1.iov_base = rx->data + rx->end;
		iov1.iov_len = want;
		r = ch->stream->ops->s_read(ch, &iov1, 1, deadline);
		if (r == IPCX_EOF) {
			rx->eof = true;
			continue;
		}
		if (r < 0)
			return r;
		rx->end += (size_t)r;
	}
}

/* ---- readiness -------------------------------------------------------- */

/*
 * One read may bring several messages into the rx buffer; the stream's descriptor
 * then no longer says that they wait, and a program that polls it before
 * each receive would never come back for them.  So once ipcx_pollfd has
 * been asked for (programs that never poll pay nothing), ready_fd is kept
 * readable exactly while the next receive would return at once from it,
 * and ipcx_pollfd gives out an epoll set of the stream and ready_fd.
 */
static void
rx_ready_update(struct ipcx_chan *ch)
{
	struct ipcx_rxbuf *rx = &ch->stream->rx;
	struct ipcx_frame f;
	uint64_t v = 1;
	bool ready;

	if (ch->stream->ready_fd < 0)
		return;
	ready = rx->eof || (rx->end > rx->start &&
	                    ipcx__frame_decode(ch->framing, ch->max, rx->data + rx->start,
	                                       rx->end - rx->start, 0, rx->eof, &f) != 0);
	if (ready == ch->stream->rx_ready)
		return;
	if (ready)
		(void)!write(ch->stream->ready_fd, &v, sizeof(v));
	else
		(void)!read(ch->stream->ready_fd, &v, sizeof(v));
	ch->stream->rx_ready = ready;
}

int
ipcx__frame_pollfd(struct ipcx_chan *ch, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, ready, err;

	if (ch->stream->poll_fd >= 0)
		return ch->stream->poll_fd;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ep = ep < 0 ? -errno : ipcx__fd_above_stdio(ep);
	if (ep < 0)
		return ep;
	ready = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ready = ready < 0 ? -errno : ipcx__fd_above_stdio(ready);
	if (ready < 0) {
		ipcx__close(ep);
		return ready;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, ready, &ev) < 0) {
		err = -errno;
		ipcx__close(ep);
		ipcx__close(ready);
		return err;
	}
	ch->stream->poll_fd = ep;
	ch->stream->ready_fd = ready;
	ch->stream->rx_ready = false;
	rx_ready_update(ch);
	return ep;
}

ssize_t
ipcx__frame_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
                 int64_t deadline)
{
	ssize_t r = frame_recv(ch, buf, cap, info, deadline);

	rx_ready_update(ch);
	return r;
}
