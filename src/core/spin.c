/* SPDX-License-Identifier: MIT */
/*
 * spin.c - ipcx_wake() for calls that spin instead of sleeping in the
 * core's waits (see spin.h).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "core/spin.h"

int
ipcx__wake_take(struct ipcx_chan *ch)
{
	uint64_t v;

	if (atomic_load_explicit(&ch->wake_pending, memory_order_relaxed) == 0)
		return 0;
	/* The same as the core's waits: clear the flag, drain the eventfd, so
	 * the wake ends exactly one call. */
	if (atomic_exchange(&ch->wake_pending, 0) == 0)
		return 0;
	(void)!read(ch->wake_fd, &v, sizeof(v));
	return -ECANCELED;
}
