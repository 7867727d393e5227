/* SPDX-License-Identifier: MIT */
/*
 * pipe_parent_child.c - a parent runs a child with a channel to it.
 *
 * ipcx_spawn() starts a program with a "pipe:" channel and tells the child
 * where its end is in the environment variable IPCX_CHANNEL; the child
 * joins that URI.  Here the program spawns itself: the parent sends a few
 * words, the child answers each in capitals, and the parent closes its end,
 * which the child sees as IPCX_EOF.  Messages keep their boundaries even
 * though a pipe is a byte stream: ipcx frames them.
 *
 *   cc -o pipe_parent_child pipe_parent_child.c -lipcx && ./pipe_parent_child
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <ipcx.h>

#define TIMEOUT_MS 5000

static int
child(const char *uri)
{
	char buf[256];
	ipcx_chan *ch;
	ssize_t n;
	int rc = ipcx_join(&ch, uri, 0);

	if (rc < 0) {
		fprintf(stderr, "child: join %s: %s\n", uri, ipcx_strerror(rc));
		return 1;
	}
	/* Answer every message until the parent closes its end. */
	while ((n = ipcx_recv(ch, buf, sizeof(buf), TIMEOUT_MS)) >= 0) {
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		if ((rc = ipcx_send(ch, buf, (size_t)n, TIMEOUT_MS)) < 0)
			break;
	}
	ipcx_close(ch);
	return n == IPCX_EOF ? 0 : 1;
}

int
main(void)
{
	const char *words[] = { "hello", "from", "the parent" };
	char *argv[] = { "/proc/self/exe", NULL };
	const char *env = getenv("IPCX_CHANNEL");
	char buf[256];
	ipcx_chan *ch;
	pid_t pid;
	int rc, status, failed = 0;

	if (env != NULL)
		return child(env); /* we are the spawned child */

	rc = ipcx_spawn(argv, "pipe:", &ch, &pid);
	if (rc < 0) {
		fprintf(stderr, "spawn: %s\n", ipcx_strerror(rc));
		return 1;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		ssize_t n;
		rc = ipcx_send(ch, words[i], strlen(words[i]), TIMEOUT_MS);
		n = rc < 0 ? rc : ipcx_recv(ch, buf, sizeof(buf), TIMEOUT_MS);
		if (n < 0) {
			fprintf(stderr, "parent: %s\n", ipcx_strerror((int)n));
			failed = 1;
			break;
		}
		printf("sent \"%s\", child answered \"%.*s\"\n", words[i], (int)n, buf);
	}
	ipcx_close(ch); /* the child's next receive is IPCX_EOF */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failed = 1;
	return failed;
}
