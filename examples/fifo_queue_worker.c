/* SPDX-License-Identifier: MIT */
/*
 * fifo_queue_worker.c - one worker takes jobs from a FIFO, many senders.
 *
 * The worker creates "fifo:PATH" and is its one receiver; any number of
 * processes join it and send.  Messages up to PIPE_BUF - 4 bytes (the
 * default max) go in one write(2), so jobs from different senders never
 * interleave.  A FIFO cannot tell that every sender has gone, so the
 * worker stops on a "quit" job (or, in the demo, after the jobs it
 * expects).  Run with no arguments for a demo with three senders, or:
 *   ./fifo_queue_worker worker fifo:/tmp/jobs &
 *   ./fifo_queue_worker send fifo:/tmp/jobs "resize a.png" "resize b.png" quit
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipcx.h>

#define SENDERS 3
#define JOBS_EACH 4
#define TIMEOUT_MS 5000

static int
send_jobs(const char *uri, char **jobs, int n)
{
	ipcx_chan *ch = NULL;
	int rc = ipcx_join(&ch, uri, 0);

	/* A send waits (up to its timeout) for the worker to open the FIFO. */
	for (int i = 0; rc == 0 && i < n; i++)
		rc = ipcx_send(ch, jobs[i], strlen(jobs[i]), TIMEOUT_MS);
	if (rc < 0)
		fprintf(stderr, "send: %s\n", ipcx_strerror(rc));
	ipcx_close(ch);
	return rc < 0;
}

/* Take jobs until "quit", or until `expect` jobs (expect < 0: no limit). */
static int
work(ipcx_chan *queue, int expect, int timeout_ms)
{
	char job[PIPE_BUF];
	ssize_t n;

	for (int done = 0; expect < 0 || done < expect; done++) {
		n = ipcx_recv(queue, job, sizeof(job), timeout_ms);
		if (n < 0) {
			fprintf(stderr, "worker: %s\n", ipcx_strerror((int)n));
			return 1;
		}
		if (n == 4 && memcmp(job, "quit", 4) == 0)
			break;
		printf("worker: job %d: %.*s\n", done + 1, (int)n, job);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char uri[64], jobs[JOBS_EACH][32], *ptrs[JOBS_EACH];
	ipcx_chan *queue;
	pid_t pids[SENDERS];
	int rc, status, failed = 0;

	if (argc >= 3 && strcmp(argv[1], "send") == 0)
		return send_jobs(argv[2], argv + 3, argc - 3);
	snprintf(uri, sizeof(uri), "fifo:/tmp/ipcx-jobs-%d", (int)getpid());
	if ((rc = ipcx_create(&queue, argc >= 3 ? argv[2] : uri, 0)) < 0) {
		fprintf(stderr, "create: %s\n", ipcx_strerror(rc));
		return 1;
	}
	if (argc >= 3) {
		rc = work(queue, -1, -1);
		ipcx_close(queue); /* removes the FIFO */
		return rc;
	}
	/* Demo: three sender processes at once, four jobs each. */
	for (int s = 0; s < SENDERS; s++) {
		if ((pids[s] = fork()) == 0) {
			ipcx_close(queue); /* the worker's handle: the child only releases it */
			for (int j = 0; j < JOBS_EACH; j++) {
				snprintf(jobs[j], sizeof(jobs[j]), "sender %d, item %d", s, j);
				ptrs[j] = jobs[j];
			}
			_exit(send_jobs(uri, ptrs, JOBS_EACH));
		}
	}
	failed = work(queue, SENDERS * JOBS_EACH, TIMEOUT_MS);
	for (int s = 0; s < SENDERS; s++)
		if (waitpid(pids[s], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	ipcx_close(queue);
	return failed;
}
