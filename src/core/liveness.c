/* SPDX-License-Identifier: MIT */
/*
 * liveness.c - a process named by pid and start time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/liveness.h"
#include "os/io.h"

/*
 * Read /proc/PID/stat: the start time, and the state letter.  The command
 * name may hold spaces and ')', so fields are counted from the last ')':
 * the state is field 3, the start time field 22.
 */
static int
proc_stat(pid_t pid, uint64_t *start, char *state)
{
	char path[64], buf[1024];
	unsigned long long st;
	const char *p;
	ssize_t n;
	int fd, i;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = ipcx__open(path, O_RDONLY, 0);
	if (fd < 0)
		return fd == -ENOENT ? (access("/proc/self/stat", R_OK) == 0 ? -ESRCH : -ENOENT)
		                     : fd;
	n = ipcx__read(fd, buf, sizeof(buf) - 1);
	ipcx__close(fd);
	if (n <= 0)
		return n == 0 ? -ESRCH : (int)n; /* it died between open and read */
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -EPROTO;
	*state = p[2];
	p += 2; /* at field 3 */
	for (i = 3; i < 22; i++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -EPROTO;
		p++;
	}
	if (sscanf(p, "%llu", &st) != 1)
		return -EPROTO;
	*start = st;
	return 0;
}

int
ipcx__proc_identify(pid_t pid, struct ipcx_proc_id *out)
{
	uint64_t start;
	char state;
	int rc = proc_stat(pid, &start, &state);

	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	out->pid = (int32_t)pid;
	out->start_time = start;
	return 0;
}

static _Atomic pid_t self_pid;
static _Atomic uint64_t self_start;

int
ipcx__proc_self(struct ipcx_proc_id *out)
{
	pid_t pid = getpid();
	int rc;

	/* Two threads may both fill the cache; they write the same values. */
	if (atomic_load(&self_pid) == pid && atomic_load(&self_start) != 0) {
		memset(out, 0, sizeof(*out));
		out->pid = (int32_t)pid;
		out->start_time = atomic_load(&self_start);
		return 0;
	}
	rc = ipcx__proc_identify(pid, out);
	if (rc == 0) {
		atomic_store(&self_start, out->start_time);
		atomic_store(&self_pid, pid);
	}
	return rc;
}

int
ipcx__proc_alive(const struct ipcx_proc_id *id)
{
	uint64_t start;
	char state;
	int rc;

	if (id->pid <= 0 || id->start_time == 0)
		return 0;
	rc = proc_stat((pid_t)id->pid, &start, &state);
	if (rc == -ESRCH)
		return 0;
	if (rc < 0)
		return rc;
	if (start != id->start_time)
		return 0;
	/* A zombie has run its last instruction; X is a task being reaped. */
	return state == 'Z' || state == 'X' ? 0 : 1;
}
