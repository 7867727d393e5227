/* SPDX-License-Identifier: MIT */
/*
 * deadline.h - absolute CLOCK_MONOTONIC deadlines in nanoseconds.
 *
 * Every blocking path converts the caller's timeout once, at entry, into an
 * absolute deadline, and recomputes what is left after each wake-up, so a
 * signal or a spurious wake-up can neither shorten nor stretch the wait.
 */
#ifndef IPCX_CORE_DEADLINE_H
#define IPCX_CORE_DEADLINE_H

#include <stdint.h>
#include <time.h>

#define IPCX_DEADLINE_NOW   ((int64_t)0)         /* never block */
#define IPCX_DEADLINE_NEVER ((int64_t)INT64_MAX) /* wait forever */

int64_t ipcx__now_ns(void);

/* -1 -> NEVER, 0 -> NOW, > 0 -> now + ms.  The caller rejects other values. */
int64_t ipcx__deadline_from_ms(int timeout_ms);

/* The error a wait that reached its deadline reports: -EAGAIN for NOW,
 * -ETIMEDOUT otherwise. */
int ipcx__deadline_error(int64_t deadline);

/* Time left as a timespec for ppoll; returns 0 when the deadline has passed
 * (ts zeroed), 1 when there is time left, 2 when there is no deadline. */
int ipcx__deadline_left(int64_t deadline, struct timespec *ts);

#endif
