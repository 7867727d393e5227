/* SPDX-License-Identifier: MIT */
/*
 * sigpipe.c - writes to pipes and FIFOs that never kill the process, and a
 * guard that leaves nothing behind.
 *
 * Sockets take MSG_NOSIGNAL; write(2) on a pipe has no such flag.  libpq
 * blocks SIGPIPE around each write, which costs two system calls per
 * message; DESIGN.md asks for none on the fast path.  So a thread's first
 * pipe write blocks SIGPIPE in that thread, if the program had not blocked
 * it already, and it stays blocked while any channel that writes to a pipe
 * is open.  When the last such channel closes, the thread that closes it
 * restores its own mask at once; every other thread that ipcx blocked
 * restores its mask at its next ipcx call (an atomic load, no system call),
 * or when it ends.  A thread's mask is never changed if the program blocked
 * SIGPIPE there itself.
 *
 * An EPIPE from an ipcx write leaves a SIGPIPE pending for the thread.  It is
 * consumed before the call returns, but only when it is ipcx's: in a thread
 * ipcx blocked, any SIGPIPE pending at that point came from a write made
 * while ipcx's block stood; in a thread the program blocked itself, a
 * SIGPIPE that was pending before the write is the program's and is left
 * alone.  That case alone costs system calls per write: the program may
 * lift its block at any time, so the mask is asked for again, then the
 * pending set.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "os/io.h"

enum guard_state {
	GUARD_UNKNOWN = 0, /* this thread has not written to a pipe yet */
	GUARD_OURS,        /* ipcx blocked SIGPIPE in this thread */
	GUARD_PROGRAMS,    /* the program had it blocked already */
};

static __thread enum guard_state guard_state;
static __thread unsigned guard_epoch;

/* Channels open that write to pipes, and a count of the times that number
 * fell to zero, so threads learn that their block is no longer needed. */
static atomic_uint pipe_writers;
static atomic_uint release_epoch;

static void
sigpipe_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGPIPE);
}

static bool
sigpipe_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
}

static void
sigpipe_take(void)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set;

	sigpipe_set(&set);
	/* A zero timeout makes this a poll, never a wait.  The thread's own
	 * pending set is searched before the process's, so a SIGPIPE sent to
	 * the whole process is not the one taken while ours is there. */
	(void)sigtimedwait(&set, NULL, &zero);
}

/* Give back a block ipcx made in this thread that nothing needs now. */
static void
guard_release_thread(void)
{
	sigset_t set;

	sigpipe_set(&set);
	if (pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0)
		guard_state = GUARD_UNKNOWN;
}

void
ipcx__sigpipe_settle(void)
{
	if (guard_state == GUARD_OURS && atomic_load(&pipe_writers) == 0 &&
	    atomic_load(&release_epoch) != guard_epoch)
		guard_release_thread();
}

void
ipcx__sigpipe_ref(void)
{
	atomic_fetch_add(&pipe_writers, 1);
}

void
ipcx__sigpipe_unref(void)
{
	if (atomic_fetch_sub(&pipe_writers, 1) == 1) {
		atomic_fetch_add(&release_epoch, 1);
		ipcx__sigpipe_settle();
	}
}

bool
ipcx__sigpipe_before_write(void)
{
	sigset_t set, old;

	if (guard_state == GUARD_OURS)
		return false;
	/* The program's block is its own to lift (a section it ran with
	 * signals blocked has ended), so it is asked about again before each
	 * write: a lifted one is replaced by ipcx's. */
	sigpipe_set(&set);
	if (pthread_sigmask(SIG_BLOCK, &set, &old) != 0)
		return false;
	if (!sigismember(&old, SIGPIPE)) {
		guard_state = GUARD_OURS;
		guard_epoch = atomic_load(&release_epoch);
		return false;
	}
	guard_state = GUARD_PROGRAMS;
	return sigpipe_pending();
}

void
ipcx__sigpipe_after_epipe(bool was_pending)
{
	if (!was_pending && sigpipe_pending())
		sigpipe_take();
}
