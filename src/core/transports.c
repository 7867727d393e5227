/* SPDX-License-Identifier: MIT */
/*
 * transports.c - the table of transports, looked up by scheme.  The table
 * is const: there is no way to register a transport at run time, so no
 * writable function pointer can be aimed elsewhere (libuv's argument).
 * Adding a mechanism is one file in src/transport/ and one line here.
 */
#include <string.h>

#include "core/transport.h"

extern const struct ipcx_transport ipcx__pipe_transport;
extern const struct ipcx_transport ipcx__fifo_transport;
extern const struct ipcx_transport ipcx__unix_transport;
extern const struct ipcx_transport ipcx__tcp_transport;
extern const struct ipcx_transport ipcx__file_transport;
extern const struct ipcx_transport ipcx__shm_transport;
extern const struct ipcx_transport ipcx__sysvshm_transport;
extern const struct ipcx_transport ipcx__mq_transport;
extern const struct ipcx_transport ipcx__sysvmq_transport;
extern const struct ipcx_transport ipcx__signal_transport;

const struct ipcx_transport *const ipcx__transports[] = {
	&ipcx__pipe_transport,
	&ipcx__fifo_transport,
	&ipcx__unix_transport,
	&ipcx__tcp_transport,
	&ipcx__file_transport,
	&ipcx__shm_transport,
	&ipcx__sysvshm_transport,
	&ipcx__mq_transport,
	&ipcx__sysvmq_transport,
	&ipcx__signal_transport,
	NULL,
};

const struct ipcx_transport *
ipcx__transport_find(const char *scheme, size_t len)
{
	const struct ipcx_transport *const *t;

	for (t = ipcx__transports; *t != NULL; t++)
		if (strlen((*t)->t_scheme) == len && memcmp((*t)->t_scheme, scheme, len) == 0)
			return *t;
	return NULL;
}
