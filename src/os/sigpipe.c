/* SPDX-License-Identifier: MIT */
/*
 * sigpipe.c - writes to pipes and FIFOs that never kill the process.
 *
 * Sockets take MSG_NOSIGNAL; write(2) on a pipe has no such flag.  libpq
 * blocks SIGPIPE around each write, which costs two system calls per
 * message.  DESIGN.md asks for none on the fast path, so ipcx blocks SIGPIPE
 * in a thread the first time that thread writes to a pipe, and leaves it
 * blocked: the thread's later writes to a dead pipe (its own included) fail
 * with EPIPE instead of killing the process.  The disposition is never
 * touched and no handler is installed.  After an EPIPE the SIGPIPE the
 * kernel queued for the thread is consumed, so it cannot fire later if the
 * program unblocks the signal.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "os/io.h"

static __thread bool sigpipe_blocked;

void
ipcx__sigpipe_block_thread(void)
{
	sigset_t set;

	if (sigpipe_blocked)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) == 0)
		sigpipe_blocked = true;
}

void
ipcx__sigpipe_consume(void)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	/* Only a SIGPIPE pending for this thread or process is taken; the
	 * zero timeout makes this a poll, never a wait. */
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
		(void)sigtimedwait(&set, NULL, &zero);
}
