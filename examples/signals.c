/* SPDX-License-Identifier: MIT */
/*
 * signals.c - signals as small messages: "signal:self" receives,
 * "signal:PID" sends.
 *
 * A signal carries at most 7 bytes (sigqueue's value), and the receiver
 * learns which signal it was, who sent it and how (sigqueue, a plain kill,
 * the kernel).  The receiver blocks its signals with ipcx_signal_block()
 * before it starts any thread, so every thread inherits the mask and the
 * signals can only reach the channel.  Real-time signals (the default,
 * RTMIN+1) queue; standard ones such as USR1 merge while pending.
 *
 * Run with no arguments for a demo: a child sends "reload", "stats" and
 * a plain kill(2), the parent prints what arrives.  Or:
 *   ./signals wait &                      (prints its pid)
 *   ./signals send PID reload             (RTMIN+1, with a message)
 *   ./signals send PID quit
 *   kill -USR1 PID                        (a plain kill reaches it too)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipcx.h>

#define TIMEOUT_MS 5000
#define RECEIVE "signal:self?sig=RTMIN+1,USR1"

static const char *
how(int code)
{
	switch (code) {
	case SI_QUEUE: return "sigqueue";
	case SI_USER: return "kill";
	case SI_TKILL: return "tkill";
	case SI_KERNEL: return "the kernel";
	default: return "other";
	}
}

/* Take messages until "quit", or until `expect` of them (expect < 0: no
 * limit).  Returns 0 or 1. */
static int
receive(int expect)
{
	struct ipcx_msg_info info;
	sigset_t set;
	ipcx_chan *ch = NULL;
	char msg[8];
	ssize_t n;
	int rc;

	/* Before any thread exists; then join takes them for the channel. */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGUSR1);
	ipcx_signal_block(&set);
	rc = ipcx_join(&ch, RECEIVE, 0);
	if (rc < 0) {
		fprintf(stderr, "join: %s (%s)\n", ipcx_strerror(rc), ipcx_errmsg(NULL));
		return 1;
	}
	for (int got = 0; expect < 0 || got < expect; got++) {
		n = ipcx_recv_info(ch, msg, sizeof(msg), &info, expect < 0 ? -1 : TIMEOUT_MS);
		if (n < 0) {
			fprintf(stderr, "recv: %s\n", ipcx_strerror((int)n));
			ipcx_close(ch);
			return 1;
		}
		printf("signal %d from pid %d (%s): \"%.*s\"\n", info.signo, (int)info.pid,
		       how(info.code), (int)n, msg);
		if (n == 4 && memcmp(msg, "quit", 4) == 0)
			break;
	}
	ipcx_close(ch);
	return 0;
}

static int
send_to(pid_t pid, char **msgs, int n)
{
	char uri[64];
	ipcx_chan *ch = NULL;
	int rc;

	snprintf(uri, sizeof(uri), "signal:%d", (int)pid);
	rc = ipcx_join(&ch, uri, 0);
	for (int i = 0; rc == 0 && i < n; i++)
		rc = ipcx_send(ch, msgs[i], strlen(msgs[i]), TIMEOUT_MS);
	if (rc < 0)
		fprintf(stderr, "send: %s (%s)\n", ipcx_strerror(rc),
		        ch != NULL ? ipcx_errmsg(ch) : ipcx_errmsg(NULL));
	ipcx_close(ch);
	return rc < 0;
}

static int
demo(void)
{
	char *msgs[] = { (char *)"reload", (char *)"stats" };
	sigset_t set;
	pid_t parent = getpid(), child;
	int status, rc;

	/* Block first, so nothing sent before the join can be lost (or kill
	 * us: USR1's default action ends the process). */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGUSR1);
	ipcx_signal_block(&set);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		rc = send_to(parent, msgs, 2);
		kill(parent, SIGUSR1);
		_exit(rc);
	}
	rc = receive(3);
	waitpid(child, &status, 0);
	return rc || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		return demo();
	if (argc == 2 && strcmp(argv[1], "wait") == 0) {
		printf("pid %d\n", (int)getpid());
		fflush(stdout);
		return receive(-1);
	}
	if (argc >= 4 && strcmp(argv[1], "send") == 0)
		return send_to((pid_t)atoi(argv[2]), argv + 3, argc - 3);
	fprintf(stderr, "usage: %s [wait | send PID MESSAGE...]\n", argv[0]);
	return 2;
}
