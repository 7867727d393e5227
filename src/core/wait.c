/* SPDX-License-Identifier: MIT */
/*
 * wait.c - the core's two ways to block: on a descriptor (poll) and on a
 * futex word in shared memory.  Both end at an absolute CLOCK_MONOTONIC
 * deadline, on ipcx_wake() (-ECANCELED) and, on IPCX_INTERRUPTIBLE
 * channels, on a signal (-EINTR); neither lets EINTR shorten a deadline.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"
#include "os/sys.h"

static void
wake_consume(struct ipcx_chan *ch)
{
	uint64_t v;

	atomic_store(&ch->wake_pending, 0);
	(void)!read(ch->wake_fd, &v, sizeof(v));
}

int
ipcx__wait_fd(struct ipcx_chan *ch, int fd, short events, int64_t deadline)
{
	struct pollfd p[2];
	nfds_t n = 0;

	if (fd >= 0) {
		p[n].fd = fd;
		p[n].events = events;
		n++;
	}
	p[n].fd = ch->wake_fd;
	p[n].events = POLLIN;
	n++;
	if (ch->pending_intr) {
		/* A signal that came while a frame was being finished. */
		ch->pending_intr = false;
		return -EINTR;
	}
	for (;;) {
		struct timespec ts;
		int left = ipcx__deadline_left(deadline, &ts);
		int r = ipcx__sys.ppoll(p, n, left == 2 ? NULL : &ts, NULL);

		if (r < 0) {
			if (errno == EINTR) {
				if (ch->flags & IPCX_INTERRUPTIBLE)
					return -EINTR;
				/* The deadline is absolute: nothing to adjust; but a
				 * storm of signals must not outlast it. */
				if (ipcx__deadline_left(deadline, &ts) == 0)
					return ipcx__deadline_error(deadline);
				continue;
			}
			return -errno;
		}
		/* Ready beats woken: a call that can go on does not block, so
		 * the wake-up stays pending for the next call that would. */
		if (fd >= 0 && p[0].revents)
			return p[0].revents;
		if (p[n - 1].revents & POLLIN) {
			wake_consume(ch);
			return -ECANCELED;
		}
		/* ppoll may return a hair early; a deadline is never cut short. */
		if (left == 0 || ipcx__deadline_left(deadline, &ts) == 0)
			return ipcx__deadline_error(deadline);
	}
}

int
ipcx__backoff(struct ipcx_chan *ch, int64_t deadline, int *step_ms)
{
	int64_t now = ipcx__now_ns(), until;
	int rc;

	if (deadline != IPCX_DEADLINE_NEVER && deadline <= now)
		return ipcx__deadline_error(deadline);
	until = now + (int64_t)*step_ms * 1000000;
	if (deadline != IPCX_DEADLINE_NEVER && until > deadline)
		until = deadline;
	if (*step_ms < 50)
		*step_ms *= 2;
	rc = ipcx__wait_fd(ch, -1, 0, until);
	if (rc == -ETIMEDOUT)
		return 0;
	return rc;
}

/*
 * A futex wait cannot also watch the wake eventfd, so ipcx_wake reaches a
 * futex sleeper another way: it sets ch->wake_pending, then bumps the word
 * the channel is sleeping on (published in ch->futex_waiting) and wakes it.
 * The waiter publishes the word before it checks wake_pending, the waker
 * sets wake_pending before it reads the word; with both sequentially
 * consistent, either the waiter sees the wake or the waker sees the word,
 * and a bumped word makes FUTEX_WAIT return at once.  That bump is why the
 * word must be an event counter every party may advance.
 */
int
ipcx__wait_futex(struct ipcx_chan *ch, _Atomic uint32_t *word, uint32_t expected,
                 int64_t deadline)
{
	int rc = 0;

	if (atomic_load(word) != expected)
		return 0;
	if (deadline == IPCX_DEADLINE_NOW)
		return -EAGAIN;
	if (ch->pending_intr) {
		ch->pending_intr = false;
		return -EINTR;
	}
	atomic_store(&ch->futex_waiting, word);
	for (;;) {
		struct timespec ts;
		int64_t until = deadline;
		long r;

		if (atomic_load(&ch->wake_pending) != 0) {
			wake_consume(ch);
			rc = -ECANCELED;
			break;
		}
		/* A wait with no timeout is restarted after a SA_RESTART handler;
		 * one with a timeout returns EINTR after any handler, which is
		 * what IPCX_INTERRUPTIBLE needs.  So "forever" is a day at a time. */
		if (deadline == IPCX_DEADLINE_NEVER)
			until = ipcx__now_ns() + (int64_t)86400 * 1000000000;
		ts.tv_sec = until / 1000000000;
		ts.tv_nsec = until % 1000000000;
		r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET, expected, &ts, NULL,
		            FUTEX_BITSET_MATCH_ANY);
		if (r == 0 || errno == EAGAIN) {
			/* Woken, or the word moved: the caller rechecks its condition.
			 * A wake that bumped the word is reported as such. */
			if (atomic_load(&ch->wake_pending) != 0) {
				wake_consume(ch);
				rc = -ECANCELED;
			}
			break;
		}
		if (errno == EINTR) {
			if (ch->flags & IPCX_INTERRUPTIBLE) {
				rc = -EINTR;
				break;
			}
			continue;
		}
		if (errno == ETIMEDOUT) {
			if (deadline != IPCX_DEADLINE_NEVER && ipcx__now_ns() >= deadline) {
				rc = -ETIMEDOUT;
				break;
			}
			continue;
		}
		rc = -errno;
		break;
	}
	atomic_store(&ch->futex_waiting, NULL);
	return rc;
}

void
ipcx__wake_futex_waiter(struct ipcx_chan *ch)
{
	_Atomic uint32_t *word;

	word = atomic_load(&ch->futex_waiting);
	if (word != NULL) {
		atomic_fetch_add(word, 1);
		(void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	}
}

void
ipcx__futex_wake_all(_Atomic uint32_t *word)
{
	(void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}
