/* SPDX-License-Identifier: MIT */
/*
 * planned.c - the schemes DESIGN.md names whose transports are not built
 * yet.  They sit in the transport table like any other, so the core has no
 * special case for them: every call answers -ENOTSUP.  Building one means
 * giving it its own file and deleting its line here.
 */
#include <errno.h>

#include "core/transport.h"

static int
planned_create(struct ipcx_chan *ch)
{
	(void)ch;
	return -ENOTSUP;
}

static int
planned_join(struct ipcx_chan *ch, int64_t deadline)
{
	(void)ch;
	(void)deadline;
	return -ENOTSUP;
}

static ssize_t
planned_send(struct ipcx_chan *ch, const struct iovec *iov, int iovcnt, int64_t deadline)
{
	(void)ch;
	(void)iov;
	(void)iovcnt;
	(void)deadline;
	return -ENOTSUP;
}

static ssize_t
planned_recv(struct ipcx_chan *ch, void *buf, size_t cap, struct ipcx_msg_info *info,
             int64_t deadline)
{
	(void)ch;
	(void)buf;
	(void)cap;
	(void)info;
	(void)deadline;
	return -ENOTSUP;
}

static void
planned_close(struct ipcx_chan *ch, bool remove)
{
	(void)ch;
	(void)remove;
}

static int
planned_unlink(const struct ipcx_uri *uri)
{
	(void)uri;
	return -ENOTSUP;
}

static const struct ipcx_chan_ops planned_ops = {
	.c_create = planned_create,
	.c_join = planned_join,
	.c_send = planned_send,
	.c_recv = planned_recv,
	.c_close = planned_close,
	.c_unlink = planned_unlink,
};

/* Every key DESIGN.md gives these schemes, so a valid URI reaches -ENOTSUP
 * rather than -EINVAL. */
static const char *const planned_keys[] = {
	"mode", "max", "slots", "slot_size", "maxmsg", "msgsize", "prio", "type",
	"sig", "sync", NULL,
};

#define PLANNED(name)                                          \
	const struct ipcx_transport ipcx__##name##_transport = { \
		.t_scheme = #name,                               \
		.t_version = IPCX_TRANSPORT_VERSION,             \
		.t_chan_size = sizeof(struct ipcx_chan),         \
		.t_keys = planned_keys,                          \
		.t_ops = &planned_ops,                           \
		.t_planned = true,                               \
	}

PLANNED(file);
PLANNED(mq);
PLANNED(sysvmq);
PLANNED(signal);
