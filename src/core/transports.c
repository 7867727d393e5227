/* SPDX-License-Identifier: MIT */
/*
 * transports.c - the table of transports, looked up by scheme.  The table
 * is const: there is no way to register a transport at run time, so no
 * writable function pointer can be aimed elsewhere (libuv's argument).
 * Adding a mechanism is one file in src/transport/ and one line here.
 */
#include <assert.h>
#include <string.h>

#include "core/transport.h"

/* Every built transport, in the order programs and help texts list them:
 * a transport's line here both declares its descriptor
 * (ipcx__<scheme>_transport, exported by its file) and puts it in the
 * table. */
#define IPCX_TRANSPORT_LIST(X) \
	X(pipe)                \
	X(fifo)                \
	X(unix)                \
	X(tcp)                 \
	X(file)                \
	X(shm)                 \
	X(sysvshm)             \
	X(mq)                  \
	X(sysvmq)              \
	X(signal)

#define IPCX_TRANSPORT_DECLARE(name) extern const struct ipcx_transport ipcx__##name##_transport;
#define IPCX_TRANSPORT_ENTRY(name) &ipcx__##name##_transport,

IPCX_TRANSPORT_LIST(IPCX_TRANSPORT_DECLARE)

const struct ipcx_transport *const ipcx__transports[] = {
	IPCX_TRANSPORT_LIST(IPCX_TRANSPORT_ENTRY) NULL,
};

#ifndef NDEBUG
/* A debug build refuses a descriptor that misses a required op or field
 * the first time its scheme is looked up, before anything can call it. */
static void
transport_check(const struct ipcx_transport *tp)
{
	const struct ipcx_chan_ops *ops = tp->t_ops;

	assert(tp->t_version == IPCX_TRANSPORT_VERSION);
	assert(tp->t_chan_size >= sizeof(struct ipcx_chan));
	assert(strlen(tp->t_scheme) < 16);
	assert(ops != NULL && ops->c_create != NULL && ops->c_join != NULL &&
	       ops->c_close != NULL);
	/* Only message channels use c_send/c_recv: streams go through their
	 * stream's table. */
	assert((tp->t_caps & IPCX_CAP_STREAM && !(tp->t_caps & IPCX_CAP_MESSAGE)) ||
	       (ops->c_send != NULL && ops->c_recv != NULL));
	assert(tp->t_planned || (tp->t_summary != NULL && tp->t_address != NULL &&
	                         tp->t_default_max != 0 && ops->c_check != NULL));
	/* Zero-copy comes as a whole or not at all. */
	assert((ops->c_loan == NULL) == (ops->c_commit == NULL));
	assert((ops->c_borrow == NULL) == (ops->c_release == NULL));
	assert(!(tp->t_caps & IPCX_CAP_LISTEN) || ops->c_accept != NULL);
	assert(!(tp->t_caps & IPCX_CAP_PAIR) || ops->c_pair != NULL);
	(void)ops;
}
#endif

const struct ipcx_transport *
ipcx__transport_find(const char *scheme, size_t len)
{
	const struct ipcx_transport *const *t;

	for (t = ipcx__transports; *t != NULL; t++)
		if (strlen((*t)->t_scheme) == len && memcmp((*t)->t_scheme, scheme, len) == 0) {
#ifndef NDEBUG
			transport_check(*t);
#endif
			return *t;
		}
	return NULL;
}
