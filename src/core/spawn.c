/* SPDX-License-Identifier: MIT */
/*
 * spawn.c - ipcx_spawn: a child process with a pipe channel to it.
 *
 * The child's ends are made blocking before it starts: the child may be any
 * program (cat, a shell), and a non-blocking standard input would make such
 * programs fail with EAGAIN.  posix_spawn's dup2 of a descriptor onto itself
 * clears its FD_CLOEXEC in the child only (glibc 2.29+), so the child
 * inherits exactly its two ends and nothing else ipcx holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/transport.h"
#include "os/io.h"

extern char **environ;

static char **
env_with_channel(const char *entry)
{
	size_t n = 0, i, o = 0;
	char **env;

	while (environ != NULL && environ[n] != NULL)
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "IPCX_CHANNEL=", 13) != 0)
			env[o++] = environ[i];
	env[o++] = (char *)entry;
	env[o] = NULL;
	return env;
}

static int
set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int
ipcx_spawn(char *const argv[], const char *uri, ipcx_chan **ret_ch, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	ipcx_chan *mine = NULL, *theirs = NULL;
	char entry[64];
	char **env = NULL;
	const struct ipcx_transport *tp, *adopter = NULL, *const *t;
	const char *colon;
	sigset_t none;
	pid_t pid;
	int rc;

	if (argv == NULL || argv[0] == NULL || uri == NULL || ret_ch == NULL || ret_pid == NULL)
		return -EINVAL;
	/* Any transport that pairs into byte streams will do; the child joins
	 * its inherited descriptors through the transport that adopts them. */
	colon = strchr(uri, ':');
	if (colon == NULL)
		return -EINVAL;
	tp = ipcx__transport_find(uri, (size_t)(colon - uri));
	for (t = ipcx__transports; *t != NULL && adopter == NULL; t++)
		if ((*t)->t_caps & IPCX_CAP_ADOPT_FDS)
			adopter = *t;
	if (tp == NULL)
		return -EINVAL;
	if (!(tp->t_caps & IPCX_CAP_PAIR) || adopter == NULL)
		return -ENOTSUP;
	rc = ipcx_pair(uri, &mine, &theirs);
	if (rc < 0)
		return rc;
	if (!theirs->stream) {
		rc = -ENOTSUP; /* a message socket would lose its boundaries */
		goto out;
	}
	if ((rc = set_blocking(theirs->rfd)) < 0 || (rc = set_blocking(theirs->wfd)) < 0)
		goto out;
	/* A socket pair's end is one descriptor both ways: "RFD,WFD" names
	 * two different ones. */
	if (theirs->rfd == theirs->wfd)
		snprintf(entry, sizeof(entry), "IPCX_CHANNEL=%s:%d", adopter->t_scheme,
		         theirs->rfd);
	else
		snprintf(entry, sizeof(entry), "IPCX_CHANNEL=%s:%d,%d", adopter->t_scheme,
		         theirs->rfd, theirs->wfd);
	env = env_with_channel(entry);
	if (env == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, theirs->rfd, theirs->rfd);
	posix_spawn_file_actions_adddup2(&fa, theirs->wfd, theirs->wfd);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		rc = -rc;
		goto out;
	}
	*ret_ch = mine;
	*ret_pid = pid;
	mine = NULL;
out:
	free(env);
	ipcx_close(theirs);
	ipcx_close(mine);
	return rc;
}
