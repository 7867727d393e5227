/* SPDX-License-Identifier: MIT */
/*
 * frame.h - message framing on byte streams (DESIGN.md, "Framing").
 */
#ifndef IPCX_CORE_FRAME_H
#define IPCX_CORE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/transport.h"

#define IPCX_FRAME_HDR 4

struct ipcx_frame {
	size_t off;         /* payload offset in the buffer */
	size_t len;         /* payload length */
	size_t consumed;    /* bytes the message occupies, framing included */
	size_t need;        /* bytes needed for the message, when known (len) */
	uint64_t announced; /* the length a peer announced (diagnostics) */
};

/*
 * Find one message at the start of data[0..n).  Pure: touches nothing but
 * its arguments, reads nothing outside data[0..n) (the fuzz target).
 * scan_from: bytes already known to hold no '\n' (line framing).
 * Returns 1 (a message; *out filled), 0 (need more bytes), or -EPROTO
 * (cannot become a valid message: a length above max, a line longer than
 * max, or end of stream inside a len frame).
 */
int ipcx__frame_decode(enum ipcx_framing framing, size_t max, const uint8_t *data,
                       size_t n, size_t scan_from, bool eof, struct ipcx_frame *out);

/* Send one message on a stream channel, framed.  Returns 0 or an error. */
int ipcx__frame_send(struct ipcx_chan *ch, const void *buf, size_t len, int64_t deadline);

/* Receive one message from a stream channel.  Returns its length or an error. */
ssize_t ipcx__frame_recv(struct ipcx_chan *ch, void *buf, size_t cap,
                         struct ipcx_msg_info *info, int64_t deadline);

/* ipcx_pollfd of a framed stream whose stream descriptor is fd: a
 * descriptor readable while fd is, or while a whole message waits in ch->rx.
 * Returns it (owned by the channel) or an error. */
int ipcx__frame_pollfd(struct ipcx_chan *ch, int fd);

/* Finish a frame a timeout-0 send started, by the deadline.  Returns 0 when
 * nothing is left pending.  IPCX_FLUSH_KEEP: a deadline that passes leaves
 * the rest pending (-EAGAIN/-ETIMEDOUT) instead of breaking the channel
 * (-EPIPE).  IPCX_FLUSH_CLOSING: wake-ups and signals do not end it. */
#define IPCX_FLUSH_KEEP    1u
#define IPCX_FLUSH_CLOSING 2u
int ipcx__frame_flush(struct ipcx_chan *ch, int64_t deadline, unsigned how);

/* Release a channel's stream and what the framing holds (chan_free). */
void ipcx__stream_free(struct ipcx_chan *ch);

#endif
