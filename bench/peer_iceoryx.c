/* SPDX-License-Identifier: MIT */
/*
 * peer_iceoryx.c - iceoryx (its C binding) as a peer row: a publisher and
 * a subscriber per direction, a message loaned as a chunk, copied in and
 * published, taken on the other side, copied out and released - the same
 * one copy each way ipcx_send/ipcx_recv make.  The length travels in the
 * chunk's user header (the C binding does not tell a payload's size).
 *
 *   iceoryx block   an empty queue waits on a WaitSet (a futex inside)
 *   iceoryx busy    an empty queue is polled, never sleeping
 *
 * iceoryx needs its daemon, RouDi.  The benchmark starts one the first
 * time an iceoryx row runs, with the memory pools of bench/iceoryx-roudi.toml
 * (chunks for 64 B to 1 MiB messages), and stops it at the end of the run
 * (bench_peers_fini).  A RouDi that is already running is not ours to use
 * (its pools may not fit): the row says so and is skipped.
 *
 * A process that has joined RouDi stays registered until it exits (the C
 * binding has no way out), and RouDi, when it stops, sends SIGTERM to every
 * process still registered.  So the run's own process never joins: each
 * iceoryx row is measured from a child of the run (BARE_FORK, bench_row.c),
 * which exits, and leaves RouDi, before RouDi is stopped.  Built only when
 * libiceoryx-binding-c-dev was found (BENCH_HAVE_ICEORYX).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iceoryx_binding_c/chunk.h"
#include "iceoryx_binding_c/log.h"
#include "iceoryx_binding_c/publisher.h"
#include "iceoryx_binding_c/runtime.h"
#include "iceoryx_binding_c/subscriber.h"
#include "iceoryx_binding_c/wait_set.h"

#include "bench_int.h"

#ifndef BENCH_ICEORYX_CONFIG
#define BENCH_ICEORYX_CONFIG "iceoryx-roudi.toml"
#endif
#define ROUDI_SOCKET "/tmp/roudi"
#define READY_MS 10000
#define QUEUE 16

extern char **environ;

static pid_t roudi_pid;
static bool runtime_up;
static int iox_seq;

struct iox_st {
	iox_pub_storage_t pub_storage;
	iox_sub_storage_t sub_storage;
	iox_ws_storage_t ws_storage;
	iox_pub_t pub;
	iox_sub_t sub;
	iox_ws_t ws;
	bool busy;
};

/* Is some RouDi answering on its socket? */
static bool
roudi_answers(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ROUDI_SOCKET);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

static int
roudi_start(char *why, size_t whylen, const char *dir)
{
	char log[600], *argv[8];
	posix_spawn_file_actions_t fa;
	int64_t until;
	int rc;

	if (roudi_pid > 0)
		return 0;
	if (roudi_answers()) {
		bench_text(why, whylen,
		           "a RouDi is already running here (%s); the benchmark runs iceoryx "
		           "only on a RouDi of its own, with its own memory pools",
		           ROUDI_SOCKET);
		return -EBUSY;
	}
	if (access(BENCH_ICEORYX_CONFIG, R_OK) < 0) {
		bench_text(why, whylen, "RouDi config %s: %s", BENCH_ICEORYX_CONFIG,
		           strerror(errno));
		return -ENOENT;
	}
	snprintf(log, sizeof(log), "%s/roudi.log", dir);
	argv[0] = (char *)"iox-roudi";
	argv[1] = (char *)"-c";
	argv[2] = (char *)BENCH_ICEORYX_CONFIG;
	argv[3] = (char *)"-m";
	argv[4] = (char *)"off";
	argv[5] = (char *)"-l";
	argv[6] = (char *)"warning";
	argv[7] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawnp(&roudi_pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		roudi_pid = 0;
		bench_text(why, whylen, "cannot start iox-roudi: %s", strerror(rc));
		return -rc;
	}
	for (until = bench_now_ns() + (int64_t)READY_MS * 1000000; !roudi_answers();) {
		int st;
		if (waitpid(roudi_pid, &st, WNOHANG) == roudi_pid || bench_now_ns() > until) {
			bench_text(why, whylen, "iox-roudi did not become ready (see %s)", log);
			(void)kill(roudi_pid, SIGKILL);
			(void)waitpid(roudi_pid, &st, 0);
			roudi_pid = 0;
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	return 0;
}

static void
runtime_up_once(const char *role)
{
	char name[64];

	if (runtime_up)
		return;
	iox_set_loglevel(Iceoryx_LogLevel_Warn);
	snprintf(name, sizeof(name), "ipcx-bench-%s-%ld", role, (long)getpid());
	iox_runtime_init(name);
	runtime_up = true;
}

/* The publisher of direction dir and the subscriber of the other. */
static struct iox_st *
endpoints(const char *instance, const char *tx, const char *rx, bool busy)
{
	struct iox_st *s = calloc(1, sizeof(*s));
	iox_pub_options_t po;
	iox_sub_options_t so;

	if (s == NULL)
		return NULL;
	s->busy = busy;
	iox_pub_options_init(&po);
	po.historyCapacity = 0;
	po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	s->pub = iox_pub_init(&s->pub_storage, "ipcx-bench", instance, tx, &po);
	iox_sub_options_init(&so);
	so.queueCapacity = QUEUE;
	so.historyRequest = 0;
	so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	s->sub = iox_sub_init(&s->sub_storage, "ipcx-bench", instance, rx, &so);
	if (!busy) {
		s->ws = iox_ws_init(&s->ws_storage);
		(void)iox_ws_attach_subscriber_state(s->ws, s->sub, SubscriberState_HAS_DATA, 0, NULL);
	}
	return s;
}

static void
endpoints_free(struct iox_st *s)
{
	if (s == NULL)
		return;
	if (s->ws != NULL) {
		iox_ws_detach_subscriber_state(s->ws, s->sub, SubscriberState_HAS_DATA);
		iox_ws_deinit(s->ws);
	}
	iox_sub_deinit(s->sub);
	iox_pub_deinit(s->pub);
	free(s);
}

static int
iox_open(struct bare_open *o, void **st, bool busy)
{
	char instance[64];

	if (roudi_pid <= 0) {
		bench_text(o->why, sizeof(o->why), "RouDi was not started");
		return -ENOTCONN;
	}
	runtime_up_once("parent");
	snprintf(instance, sizeof(instance), "i%ld-%d", (long)getpid(), iox_seq++);
	*st = endpoints(instance, "p2c", "c2p", busy);
	if (*st == NULL)
		return -ENOMEM;
	snprintf(o->addr, sizeof(o->addr), "%s", instance);
	return 0;
}

static int
block_open(struct bare_open *o, int fds[4], void **st)
{
	(void)fds;
	return iox_open(o, st, false);
}

static int
busy_open(struct bare_open *o, int fds[4], void **st)
{
	(void)fds;
	return iox_open(o, st, true);
}

/* The peer: its ends, then wait until both directions are connected, so
 * that no message is published before anyone subscribed. */
static int
iox_attach(const char *addr, void **st, bool busy, char *why, size_t whylen)
{
	struct iox_st *s;
	int64_t until = bench_now_ns() + (int64_t)READY_MS * 1000000;

	runtime_up_once("peer");
	s = endpoints(addr, "c2p", "p2c", busy);
	if (s == NULL)
		return -ENOMEM;
	while (iox_sub_get_subscription_state(s->sub) != SubscribeState_SUBSCRIBED ||
	       !iox_pub_has_subscribers(s->pub)) {
		if (bench_now_ns() > until) {
			bench_text(why, whylen, "the two sides did not connect within %d ms",
			           READY_MS);
			endpoints_free(s);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
	*st = s;
	return 0;
}

static int
block_attach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
             size_t whylen)
{
	(void)rfd;
	(void)wfd;
	(void)max;
	return iox_attach(addr, st, false, why, whylen);
}

static int
busy_attach(int rfd, int wfd, const char *addr, size_t max, void **st, char *why,
            size_t whylen)
{
	(void)rfd;
	(void)wfd;
	(void)max;
	return iox_attach(addr, st, true, why, whylen);
}

static int
iox_send(void *st, int fd, const void *buf, size_t len)
{
	struct iox_st *s = st;
	void *p = NULL;
	unsigned n = 0;

	(void)fd;
	for (;;) {
		enum iox_AllocationResult r = iox_pub_loan_aligned_chunk_with_user_header(
			s->pub, &p, (uint32_t)len, 8, sizeof(uint64_t), 8);
		if (r == AllocationResult_SUCCESS)
			break;
		if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS &&
		    r != AllocationResult_TOO_MANY_CHUNKS_ALLOCATED_IN_PARALLEL)
			return -ENOMEM;
		if ((++n & 1023) == 0 && bench_stop)
			return -EINTR;
	}
	memcpy(iox_chunk_header_to_user_header(iox_chunk_header_from_user_payload(p)),
	       &(uint64_t){ len }, sizeof(uint64_t));
	memcpy(p, buf, len);
	iox_pub_publish_chunk(s->pub, p);
	return 0;
}

static ssize_t
iox_recv(void *st, int fd, void *buf, size_t cap, size_t expect)
{
	struct iox_st *s = st;
	const void *p = NULL;
	uint64_t len;
	unsigned n = 0;

	(void)fd;
	(void)expect;
	for (;;) {
		enum iox_ChunkReceiveResult r = iox_sub_take_chunk(s->sub, &p);
		if (r == ChunkReceiveResult_SUCCESS)
			break;
		if (r != ChunkReceiveResult_NO_CHUNK_AVAILABLE)
			return -EIO;
		if (s->busy) {
			if ((++n & 1023) == 0 && bench_stop)
				return -EINTR;
		} else {
			iox_notification_info_t info[2];
			uint64_t missed = 0;
			/* A second at most, so that a stop request is seen. */
			struct timespec t = { 1, 0 };
			if (bench_stop)
				return -EINTR;
			(void)iox_ws_timed_wait(s->ws, t, info, 2, &missed);
		}
	}
	memcpy(&len,
	       iox_chunk_header_to_user_header_const(iox_chunk_header_from_user_payload_const(p)),
	       sizeof(len));
	if (len > cap) {
		iox_sub_release_chunk(s->sub, p);
		return -EMSGSIZE;
	}
	memcpy(buf, p, len);
	iox_sub_release_chunk(s->sub, p);
	return (ssize_t)len;
}

static void
iox_close(int fds[4], void *st, bool owner)
{
	(void)fds;
	(void)owner;
	endpoints_free(st);
}

/* RouDi for the rows to come, started by the run's own process. */
int
bench_iceoryx_prepare(char *why, size_t whylen)
{
	const char *reg = getenv("IPCX_REGISTRY_DIR");
	char dir[512];

	/* The run's scratch directory holds the registry and RouDi's log. */
	snprintf(dir, sizeof(dir), "%s", reg != NULL ? reg : "/tmp");
	if (reg != NULL && strrchr(dir, '/') != NULL)
		*strrchr(dir, '/') = '\0';
	return roudi_start(why, whylen, dir);
}

/* The end of the run, in its own process: no process of the run is
 * registered any more, so RouDi stops without signalling anyone. */
void
bench_iceoryx_fini(void)
{
	int st, i;

	if (roudi_pid <= 0)
		return;
	(void)kill(roudi_pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(roudi_pid, &st, WNOHANG) == roudi_pid) {
			roudi_pid = 0;
			return;
		}
		usleep(10000);
	}
	(void)kill(roudi_pid, SIGKILL);
	(void)waitpid(roudi_pid, &st, 0);
	roudi_pid = 0;
}

const struct bare_driver peer_iox_block = {
	"iceoryx", NULL, "iceoryx block", "loan/publish, take/release",
	"iceoryx publisher/subscriber per direction, a WaitSet to wait", BARE_PEER | BARE_FORK,
	block_open, block_attach, iox_send, iox_recv, iox_close, NULL, NULL,
};
const struct bare_driver peer_iox_busy = {
	"iceoryx", NULL, "iceoryx busy", "loan/publish, take/release",
	"iceoryx publisher/subscriber per direction, polled", BARE_PEER | BARE_BUSY | BARE_SPINS | BARE_FORK,
	busy_open, busy_attach, iox_send, iox_recv, iox_close, NULL, NULL,
};
