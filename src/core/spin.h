/* SPDX-License-Identifier: MIT */
/*
 * spin.h - what a call that busy-waits (the shared-memory rings' spin
 * phase) needs from the core: to notice ipcx_wake() without sleeping, and
 * to pause politely between looks.
 */
#ifndef IPCX_CORE_SPIN_H
#define IPCX_CORE_SPIN_H

#include "core/transport.h"

/*
 * If an ipcx_wake() is pending on ch, consume it (as the core's waits do)
 * and return -ECANCELED; else 0.  One relaxed-cheap load when none is.
 */
int ipcx__wake_take(struct ipcx_chan *ch);

/* One short pause in a spin loop: the CPU's spin-wait hint. */
static inline void
ipcx__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
