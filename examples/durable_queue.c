/* SPDX-License-Identifier: MIT */
/*
 * durable_queue.c - a job queue that loses nothing when its worker is
 * killed: "file:PATH", a log in a regular file.
 *
 * The producer sends jobs; they are in the file once ipcx_send returns,
 * whatever happens to any process afterwards.  The worker borrows a job
 * (ipcx_recv_borrow), does it, and only then releases it (ipcx_release),
 * which is when the job leaves the queue.  A worker killed in the middle
 * of a job never released it, so the next worker gets that job again: at
 * least once.  A job may therefore be done twice (the one in hand when the
 * worker died); make jobs idempotent, or record what is done, as the demo
 * does.  Run with no arguments for a demo that SIGKILLs its worker halfway
 * and starts another, or:
 *   ./durable_queue produce file:/tmp/jobs 100
 *   ./durable_queue work file:/tmp/jobs        (kill it, run it again...)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ipcx.h>

#define JOBS 200
#define TIMEOUT_MS 10000

static int
produce(const char *uri, int n)
{
	ipcx_chan *q = NULL;
	char job[32];
	int rc;

	/* Without IPCX_EXCL a restarted producer adopts the queue as it is. */
	rc = ipcx_create(&q, uri, 0);
	for (int i = 1; rc == 0 && i <= n; i++)
		rc = ipcx_send(q, job, (size_t)snprintf(job, sizeof(job), "job %d", i), TIMEOUT_MS);
	if (rc == 0)
		rc = ipcx_send(q, "quit", 4, TIMEOUT_MS);
	if (rc < 0)
		fprintf(stderr, "produce: %s (%s)\n", ipcx_strerror(rc), ipcx_errmsg(q));
	/* The queue stays: file: logs are kept after close. */
	ipcx_close(q);
	return rc < 0;
}

/* Do jobs until "quit"; each done job's number goes to done_fd (if >= 0). */
static int
work(const char *uri, int done_fd)
{
	ipcx_chan *q = NULL;
	int rc = ipcx_join(&q, uri, 0);

	while (rc == 0) {
		const void *job;
		size_t len;
		ssize_t n = ipcx_recv_borrow(q, &job, &len, TIMEOUT_MS);
		char line[40];

		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (len == 4 && memcmp(job, "quit", 4) == 0) {
			rc = ipcx_release(q, job);
			break;
		}
		/* The work: record the job as done, durably, before letting go. */
		if (done_fd >= 0) {
			int k = snprintf(line, sizeof(line), "%.*s\n", (int)len, (const char *)job);
			if (write(done_fd, line, (size_t)k) != k || fdatasync(done_fd) < 0) {
				perror("work: done file");
				break;
			}
		} else {
			printf("work: %.*s\n", (int)len, (const char *)job);
		}
		rc = ipcx_release(q, job);
	}
	if (rc < 0)
		fprintf(stderr, "work: %s (%s)\n", ipcx_strerror(rc), ipcx_errmsg(q));
	ipcx_close(q);
	return rc < 0;
}

static int
lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static pid_t
start_worker(const char *uri, const char *done)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(done, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		_exit(fd < 0 ? 2 : work(uri, fd));
	}
	return pid;
}

static int
demo(void)
{
	char dir[] = "/tmp/ipcx-durable-XXXXXX", uri[128], done[128];
	int seen[JOBS + 1] = { 0 }, twice = 0, missing = 0, status;
	struct timespec ms = { 0, 1000000 };
	pid_t worker;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(uri, sizeof(uri), "file:%s/jobs", dir);
	snprintf(done, sizeof(done), "%s/done", dir);
	if (produce(uri, JOBS) != 0)
		return 1;
	printf("producer: %d jobs queued in %s\n", JOBS, uri + 5);

	/* The first worker is killed once it has done about a third. */
	worker = start_worker(uri, done);
	while (lines(done) < JOBS / 3) {
		if (waitpid(worker, &status, WNOHANG) == worker)
			return 1; /* it ended by itself: something is wrong */
		nanosleep(&ms, NULL);
	}
	kill(worker, SIGKILL);
	waitpid(worker, &status, 0);
	printf("worker 1: killed after %d jobs\n", lines(done));

	/* A new one takes over where it stopped. */
	worker = start_worker(uri, done);
	waitpid(worker, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;

	f = fopen(done, "r");
	for (int j; f != NULL && fscanf(f, "job %d\n", &j) == 1;)
		if (j >= 1 && j <= JOBS && seen[j]++)
			twice++;
	if (f != NULL)
		fclose(f);
	for (int j = 1; j <= JOBS; j++)
		missing += seen[j] == 0;
	printf("worker 2: done; %d jobs, %d lost, %d done twice (the one in hand at the kill)\n",
	       JOBS, missing, twice);
	ipcx_unlink(uri);
	unlink(done);
	rmdir(dir);
	return missing != 0 || twice > 1;
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		return demo();
	if (argc == 4 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "work") == 0)
		return work(argv[2], -1);
	fprintf(stderr, "usage: %s [produce URI COUNT | work URI]\n", argv[0]);
	return 2;
}
