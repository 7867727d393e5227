/* SPDX-License-Identifier: MIT */
/*
 * shm_producer_consumer.c - a producer and a consumer sharing a ring in
 * shared memory, zero-copy both ways: the producer writes each message in
 * place (ipcx_loan / ipcx_commit), the consumer reads it in place
 * (ipcx_recv_borrow / ipcx_release).  Nothing is copied through the kernel.
 *
 *   shm_producer_consumer              run both (a demo: the consumer is a child)
 *   shm_producer_consumer produce URI  be the producer on an existing ring
 *   shm_producer_consumer consume URI  create the ring and consume from it
 *
 * Build: cc shm_producer_consumer.c -lipcx
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipcx.h>

#define COUNT 100000

struct reading {
	unsigned seq;
	double celsius;
};

static int
produce(const char *uri)
{
	ipcx_chan *ch;
	unsigned seq;
	int rc;

	rc = ipcx_join(&ch, uri, 0);
	if (rc < 0) {
		fprintf(stderr, "producer: join %s: %s\n", uri, ipcx_strerror(rc));
		return 1;
	}
	for (seq = 0; seq <= COUNT; seq++) {
		struct reading *r;
		void *slot;

		/* A slot of the ring itself: fill it and hand it over.  When the
		 * ring is full, ipcx_loan says -EAGAIN; ipcx_send would wait. */
		while ((rc = ipcx_loan(ch, sizeof(*r), &slot)) == -EAGAIN)
			usleep(100);
		if (rc < 0) {
			fprintf(stderr, "producer: loan: %s\n", ipcx_strerror(rc));
			ipcx_close(ch);
			return 1;
		}
		r = slot;
		r->seq = seq;
		r->celsius = seq == COUNT ? -273.15 : 20.0 + (seq % 100) / 10.0; /* -273.15: the end */
		rc = ipcx_commit(ch, slot, sizeof(*r));
		if (rc < 0) {
			fprintf(stderr, "producer: commit: %s\n", ipcx_strerror(rc));
			ipcx_close(ch);
			return 1;
		}
	}
	ipcx_close(ch);
	return 0;
}

static int
consume(ipcx_chan *ch)
{
	unsigned expect = 0;
	double sum = 0;

	for (;;) {
		const struct reading *r;
		const void *p;
		size_t len;
		ssize_t n = ipcx_recv_borrow(ch, &p, &len, 10000);

		if (n < 0) {
			fprintf(stderr, "consumer: %s\n", ipcx_strerror((int)n));
			return 1;
		}
		r = p;
		if (len != sizeof(*r) || r->seq != expect) {
			fprintf(stderr, "consumer: message %u out of place\n", expect);
			return 1;
		}
		if (r->celsius < -273) {
			ipcx_release(ch, p);
			break;
		}
		sum += r->celsius;
		expect++;
		/* Until released, the slot stays this consumer's. */
		ipcx_release(ch, p);
	}
	printf("consumer: %u readings, mean %.2f C\n", expect, sum / expect);
	return 0;
}

int
main(int argc, char **argv)
{
	char uri[64];
	ipcx_chan *ch;
	pid_t pid;
	int rc, status;

	if (argc == 3 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2]);
	if (argc == 3 && strcmp(argv[1], "consume") == 0) {
		rc = ipcx_create(&ch, argv[2], 0);
		if (rc < 0) {
			fprintf(stderr, "consumer: create %s: %s (%s)\n", argv[2], ipcx_strerror(rc),
			        ipcx_errmsg(NULL));
			return 1;
		}
		rc = consume(ch);
		ipcx_close(ch);
		return rc;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [produce|consume URI]\n", argv[0]);
		return 2;
	}
	/* The demo: a private ring of 64 slots of 64 bytes. */
	snprintf(uri, sizeof(uri), "shm:ipcx-example-%d?slots=64&slot_size=64", (int)getpid());
	rc = ipcx_create(&ch, uri, IPCX_EXCL);
	if (rc < 0) {
		fprintf(stderr, "create %s: %s (%s)\n", uri, ipcx_strerror(rc), ipcx_errmsg(NULL));
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(produce(uri));
	rc = consume(ch);
	ipcx_close(ch); /* the creator's close removes the ring */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = 1;
	return rc;
}
