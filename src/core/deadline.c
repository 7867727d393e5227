/* SPDX-License-Identifier: MIT */
/*
 * deadline.c - CLOCK_MONOTONIC deadlines.  The wall clock is never used: a
 * clock step must not end or extend a wait.
 */
#include <errno.h>

#include "core/deadline.h"
#include "shared/ipcx_shared.h"

int64_t
ipcx__now_ns(void)
{
	return ipcx_shared_now_ns();
}

int64_t
ipcx__deadline_from_ms(int timeout_ms)
{
	if (timeout_ms < 0)
		return IPCX_DEADLINE_NEVER;
	if (timeout_ms == 0)
		return IPCX_DEADLINE_NOW;
	return ipcx__now_ns() + (int64_t)timeout_ms * 1000000;
}

int
ipcx__deadline_error(int64_t deadline)
{
	return deadline == IPCX_DEADLINE_NOW ? -EAGAIN : -ETIMEDOUT;
}

int
ipcx__deadline_left(int64_t deadline, struct timespec *ts)
{
	int64_t left;

	if (deadline == IPCX_DEADLINE_NEVER)
		return 2;
	left = deadline == IPCX_DEADLINE_NOW ? 0 : deadline - ipcx__now_ns();
	if (left <= 0) {
		ts->tv_sec = 0;
		ts->tv_nsec = 0;
		return 0;
	}
	ts->tv_sec = (time_t)(left / 1000000000);
	ts->tv_nsec = (long)(left % 1000000000);
	return 1;
}
