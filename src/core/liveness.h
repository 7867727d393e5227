/* SPDX-License-Identifier: MIT */
/*
 * liveness.h - is that process still alive?  The one answer the registry,
 * ring recovery, `ipcx ls` and `ipcx rm --stale` all use (DESIGN.md).
 *
 * A pid alone is not a process: pids are reused.  A process is its pid plus
 * its start time (field 22 of /proc/PID/stat, clock ticks after boot), so a
 * new process that got a dead one's pid never looks like it.
 */
#ifndef IPCX_CORE_LIVENESS_H
#define IPCX_CORE_LIVENESS_H

#include <stdint.h>
#include <sys/types.h>

struct ipcx_proc_id {
	int32_t pid;
	uint32_t pad;        /* zero: the struct may live in shared memory */
	uint64_t start_time; /* 0 never names a live process */
};

/* This process (cached per pid, so cheap after the first call and right
 * after fork). */
int ipcx__proc_self(struct ipcx_proc_id *out);

/* The process that has pid now.  Returns 0, -ESRCH (no such process), or
 * another -errno (no /proc). */
int ipcx__proc_identify(pid_t pid, struct ipcx_proc_id *out);

/*
 * Whether id names a living process: 1 alive (a stopped or zombie-free
 * process included), 0 provably dead (no such pid, or the pid now belongs
 * to a process started at another time), -errno when it cannot be told
 * (no /proc): callers then treat it as alive, since recovery must act only
 * on proof.  A zombie (dead, not yet reaped) counts as dead.
 */
int ipcx__proc_alive(const struct ipcx_proc_id *id);

#endif
