/* SPDX-License-Identifier: MIT */
/*
 * article_test.c - the message-queue and signal programs of the source
 * article (article/, faithful copies) and small programs written against
 * the raw system calls, run against ipcx both ways: the library and the
 * `ipcx` command.
 *
 *  - 4.2: the System V sender (ftok("msg_queue_demo", 65), 1024-byte
 *    messages, IPC_RMID after a second) to ipcx_recv and `ipcx recv`; ipcx
 *    to the article's receiver, which stops at "exit".
 *  - 4.4: `ipcx send signal:PID?sig=USR1/USR2` to the signal() receiver;
 *    the kill() sender to `ipcx recv signal:self?sig=USR1,USR2` and to
 *    ipcx_recv_info.
 *  - 3.2: `ipcx send` to the Python handlers (HUP, then TERM; CHLD, then
 *    INT).
 *  - Raw peers: mq_send with priorities to `ipcx recv mq:` (highest first,
 *    "prio" in json), `ipcx send mq:?prio=` to mq_receive; msgsnd with an
 *    mtype to `ipcx recv sysvmq:?type=`; sigqueue with an int to
 *    `ipcx recv signal:self`.
 *
 * Readiness is read from /proc (a handler installed: SigCgt; a signal
 * blocked by ipcx's join: SigBlk), never slept for.  The CLI tests skip
 * without the ipcx command, the Python one without python3.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#ifndef IPCX_CLI
#define IPCX_CLI ""
#endif
#ifndef IPCX_PYTHON3
#define IPCX_PYTHON3 ""
#endif
#ifndef ARTICLE_DIR
#define ARTICLE_DIR "."
#endif

#define TMO 30000 /* hang guard (ms), never a bound */

/* ---- running programs --------------------------------------------------- */

/*
 * Run argv in directory cwd (NULL: here) with its standard output on a
 * pipe (*out, if out is not NULL) and its standard input from a pipe
 * holding in_len bytes of in (if in is not NULL).  The child starts with
 * an empty signal mask and default dispositions, as from a shell.
 */
static pid_t
run(char *const argv[], const char *cwd, int *out, const void *in, size_t in_len)
{
	int o[2] = { -1, -1 }, i[2] = { -1, -1 };
	sigset_t none;
	pid_t pid;
	int sig;

	if (out != NULL)
		ASSERT_EQ(pipe2(o, O_CLOEXEC), 0);
	if (in != NULL)
		ASSERT_EQ(pipe2(i, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		if ((out != NULL && dup2(o[1], 1) < 0) || (in != NULL && dup2(i[0], 0) < 0))
			_exit(126);
		if (cwd != NULL && chdir(cwd) < 0)
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	if (out != NULL) {
		close(o[1]);
		*out = o[0];
	}
	if (in != NULL) {
		close(i[0]);
		ipcx_test_write_full(i[1], in, in_len);
		close(i[1]);
	}
	return pid;
}

/* Everything fd gives until its end, NUL-terminated; the length. */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, TMO) <= 0)
			IPCX_TEST_FAILF("no output within %d ms (so far \"%.*s\")", TMO, (int)n, buf);
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		ASSERT_TRUE(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
		ASSERT_LT(n, cap - 1);
	}
	buf[n] = '\0';
	close(fd);
	return n;
}

/* One line of fd (without its '\n'). */
static void
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		char c;
		ssize_t r;

		if (poll(&p, 1, TMO) <= 0)
			IPCX_TEST_FAILF("no line within %d ms", TMO);
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			IPCX_TEST_FAILF("output ended (after \"%.*s\")", (int)n, buf);
		if (c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
	}
	buf[n] = '\0';
}

static void
exits_zero(pid_t pid)
{
	int status;

	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		IPCX_TEST_FAILF("program %d ended with status 0x%x", (int)pid, status);
}

/* Run the ipcx command to its end: it must exit 0.  stdin from in. */
static void
ipcx_cmd(const void *in, size_t in_len, char *const args[])
{
	char *argv[16];
	int i;

	argv[0] = (char *)IPCX_CLI;
	for (i = 0; args[i] != NULL && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	exits_zero(run(argv, ipcx_test_dir, NULL, in, in_len));
}

static void
need_cli(void)
{
	if (IPCX_CLI[0] == '\0' || access(IPCX_CLI, X_OK) != 0)
		TEST_SKIP("the ipcx command was not built");
}

/* Does /proc/PID/status say sig is in field ("SigCgt", "SigBlk")?  Any
 * thread's line will do for SigCgt; SigBlk is the main thread's. */
static bool
proc_has(pid_t pid, const char *field, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	size_t flen = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			mask = strtoull(line + flen + 1, NULL, 16);
	fclose(f);
	return (mask >> (sig - 1)) & 1;
}

static void
wait_proc(pid_t pid, const char *field, int sig1, int sig2)
{
	int64_t end = ipcx_test_now_ms() + TMO;

	while (!proc_has(pid, field, sig1) || !proc_has(pid, field, sig2)) {
		if (ipcx_test_now_ms() > end)
			IPCX_TEST_FAILF("process %d never had signals %d, %d in %s", (int)pid, sig1,
			                sig2, field);
		usleep(1000);
	}
}

/* The article's ftok file, made in the scratch directory. */
static const char *
demo_path(void)
{
	static char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/msg_queue_demo", ipcx_test_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	close(fd);
	return path;
}

/* Its URI, with the absolute path. */
static const char *
demo_uri(void)
{
	static char uri[600];

	snprintf(uri, sizeof(uri), "sysvmq:ftok:%s:65", demo_path());
	return uri;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The two 1024-byte messages the article's sender sends. */
static void
sender_messages(uint8_t hello[1024], uint8_t exit_msg[1024])
{
	memset(hello, 0, 1024);
	strcpy((char *)hello, "Hello from sender!");
	memcpy(exit_msg, hello, 1024);
	strcpy((char *)exit_msg, "exit");
}

/* ---- 4.2: System V message queues ------------------------------------- */

/* The article's sender to ipcx_recv: the bytes after the mtype, all 1024
 * of each message, mtype 1. */
static void
test_msg_sender_to_library(void)
{
	char *argv[] = { (char *)ARTICLE_MSG_SENDER, NULL };
	uint8_t hello[1024], exit_msg[1024], buf[8192];
	struct ipcx_msg_info info;
	ipcx_chan *rx;
	pid_t pid;

	sender_messages(hello, exit_msg);
	IPCX_PASS(ipcx_create(&rx, demo_uri(), IPCX_EXCL));
	pid = run(argv, ipcx_test_dir, NULL, NULL, 0);
	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 1024);
	ASSERT_MEMEQ(buf, hello, 1024);
	ASSERT_EQ(info.mtype, 1);
	ASSERT_EQ(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 1024);
	ASSERT_MEMEQ(buf, exit_msg, 1024);
	/* Then the sender removes the queue: the end of this channel. */
	IPCX_FAIL(ipcx_recv(rx, buf, sizeof(buf), TMO), IPCX_EOF);
	exits_zero(pid);
	ipcx_close(rx);
}

/* The article's sender to `ipcx recv`, which waits for the queue. */
static void
test_msg_sender_to_cli(void)
{
	char *sender[] = { (char *)ARTICLE_MSG_SENDER, NULL };
	char *recv[] = { (char *)IPCX_CLI, (char *)"recv", (char *)"--wait", (char *)"-n",
		         (char *)"2", (char *)"--format", (char *)"hex",
		         (char *)"sysvmq:ftok:msg_queue_demo:65", NULL };
	uint8_t hello[1024], exit_msg[1024];
	static char out[8192], want[8192];
	pid_t rp, sp;
	int fd;

	need_cli();
	sender_messages(hello, exit_msg);
	(void)demo_uri();
	rp = run(recv, ipcx_test_dir, &fd, NULL, 0);
	sp = run(sender, ipcx_test_dir, NULL, NULL, 0);
	read_all(fd, out, sizeof(out));
	exits_zero(rp);
	exits_zero(sp);
	hex(hello, 1024, want);
	strcat(want, "\n");
	hex(exit_msg, 1024, want + strlen(want));
	strcat(want, "\n");
	ASSERT_STREQ(out, want);
}

/* ipcx to the article's receiver: `ipcx create`, two `ipcx send` of
 * NUL-terminated strings (what a C program reading %s needs), `ipcx rm`. */
static void
test_cli_to_msg_receiver(void)
{
	char *receiver[] = { (char *)ARTICLE_MSG_RECEIVER, NULL };
	char *create[] = { (char *)"create", (char *)"sysvmq:ftok:msg_queue_demo:65", NULL };
	char *send[] = { (char *)"send", (char *)"--whole", (char *)"sysvmq:ftok:msg_queue_demo:65",
		         NULL };
	char *rm[] = { (char *)"rm", (char *)"sysvmq:ftok:msg_queue_demo:65", NULL };
	static char out[4096];
	pid_t pid;
	int fd;

	need_cli();
	(void)demo_uri();
	ipcx_cmd(NULL, 0, create);
	pid = run(receiver, ipcx_test_dir, &fd, NULL, 0);
	ipcx_cmd("Hello from ipcx!", 17, send);
	ipcx_cmd("exit", 5, send);
	read_all(fd, out, sizeof(out));
	exits_zero(pid);
	ASSERT_STREQ(out, "Received: Hello from ipcx!\nReceived: exit\n");
	ipcx_cmd(NULL, 0, rm);
	ASSERT_TRUE(msgget(ftok(demo_path(), 65), 0) < 0 && errno == ENOENT);
}

/* ---- 4.4: signals --------------------------------------------------------- */

/* `ipcx send signal:PID?sig=USR1`, then USR2, to the signal() receiver. */
static void
test_cli_to_sig_receiver(void)
{
	char *receiver[] = { (char *)ARTICLE_SIG_RECEIVER, NULL };
	char uri1[64], uri2[64], want[256];
	static char out[1024];
	pid_t pid;
	int fd;

	need_cli();
	pid = run(receiver, NULL, &fd, NULL, 0);
	wait_proc(pid, "SigCgt", SIGUSR1, SIGUSR2); /* its handlers are in place */
	snprintf(uri1, sizeof(uri1), "signal:%d?sig=USR1", (int)pid);
	snprintf(uri2, sizeof(uri2), "signal:%d?sig=USR2", (int)pid);
	ipcx_cmd(NULL, 0, (char *[]){ (char *)"send", uri1, (char *)"hello", NULL });
	ipcx_cmd(NULL, 0, (char *[]){ (char *)"send", uri2, (char *)"bye", NULL });
	read_all(fd, out, sizeof(out));
	exits_zero(pid);
	snprintf(want, sizeof(want),
	         "Receiver PID: %d\nGot SIGUSR1, PID %d\nGot SIGUSR2, exiting\n", (int)pid,
	         (int)pid);
	ASSERT_STREQ(out, want);
}

/* The article's kill() sender to `ipcx recv signal:self`. */
static void
test_sig_sender_to_cli(void)
{
	char *recv[] = { (char *)IPCX_CLI, (char *)"recv", (char *)"-n", (char *)"2",
		         (char *)"--format", (char *)"json", (char *)"signal:self?sig=USR1,USR2",
		         NULL };
	char pidarg[16], l1[512], l2[512], want[128];
	pid_t rp, sp;
	int fd;

	need_cli();
	rp = run(recv, NULL, &fd, NULL, 0);
	wait_proc(rp, "SigBlk", SIGUSR1, SIGUSR2); /* joined: the signals are its */
	snprintf(pidarg, sizeof(pidarg), "%d", (int)rp);
	/* First, where it receives: the pid a script sends to. */
	read_line(fd, l1, sizeof(l1));
	snprintf(want, sizeof(want), "{\"receiving\":\"signal:self?sig=USR1,USR2\",\"pid\":%d}",
	         (int)rp);
	ASSERT_STREQ(l1, want);
	sp = run((char *[]){ (char *)ARTICLE_SIG_SENDER, pidarg, NULL }, NULL, NULL, NULL, 0);
	read_line(fd, l1, sizeof(l1));
	read_line(fd, l2, sizeof(l2));
	exits_zero(sp);
	exits_zero(rp);
	close(fd);
	/* A kill carries nothing but its number, how, and who. */
	snprintf(want, sizeof(want), "\"pid\":%d,", (int)sp);
	ASSERT_TRUE(strstr(l1, "\"data\":\"\"") != NULL);
	ASSERT_TRUE(strstr(l1, "\"signo\":10,\"code\":0") != NULL);
	ASSERT_TRUE(strstr(l1, want) != NULL);
	ASSERT_TRUE(strstr(l2, "\"signo\":12,\"code\":0") != NULL);
	ASSERT_TRUE(strstr(l2, want) != NULL);
}

/* The same sender to ipcx_recv_info in this process. */
static void
test_sig_sender_to_library(void)
{
	struct ipcx_msg_info info;
	char pidarg[16], buf[8];
	ipcx_chan *rx;
	pid_t sp;

	IPCX_PASS(ipcx_join(&rx, "signal:self?sig=USR1,USR2", 0));
	snprintf(pidarg, sizeof(pidarg), "%d", (int)getpid());
	sp = run((char *[]){ (char *)ARTICLE_SIG_SENDER, pidarg, NULL }, NULL, NULL, NULL, 0);
	IPCX_FAIL(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 0);
	ASSERT_EQ(info.signo, SIGUSR1);
	ASSERT_EQ(info.code, SI_USER);
	ASSERT_EQ(info.pid, sp);
	ASSERT_EQ(info.uid, getuid());
	IPCX_FAIL(ipcx_recv_info(rx, buf, sizeof(buf), &info, TMO), 0);
	ASSERT_EQ(info.signo, SIGUSR2);
	exits_zero(sp);
	ipcx_close(rx);
}

/* ---- 3.2: the Python handlers ------------------------------------------- */

static void
test_cli_to_python(void)
{
	char *py[] = { (char *)IPCX_PYTHON3, (char *)"-u",
		       (char *)ARTICLE_DIR "/signal_handlers.py", NULL };
	char line[256], uri[64], want[64];
	pid_t pid;
	int fd;

	need_cli();
	if (IPCX_PYTHON3[0] == '\0')
		TEST_SKIP("no python3");
	pid = run(py, NULL, &fd, NULL, 0);
	read_line(fd, line, sizeof(line));
	snprintf(want, sizeof(want), "PID: %d", (int)pid);
	ASSERT_STREQ(line, want);
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Running – press Ctrl+C or send signals…");
	snprintf(uri, sizeof(uri), "signal:%d?sig=HUP", (int)pid);
	ipcx_cmd(NULL, 0, (char *[]){ (char *)"send", uri, (char *)"reload", NULL });
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Received SIGHUP(1) – terminal hangup");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Reloading config…");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Config reloaded");
	snprintf(uri, sizeof(uri), "signal:%d?sig=TERM", (int)pid);
	ipcx_cmd(NULL, 0, (char *[]){ (char *)"send", uri, (char *)"stop", NULL });
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Received SIGTERM(15) – termination request");
	exits_zero(pid);
	close(fd);

	/* The other two handlers, in a second run: CHLD (it has no child to
	 * reap: waitpid's error is what the handler expects), then INT. */
	pid = run(py, NULL, &fd, NULL, 0);
	read_line(fd, line, sizeof(line));
	snprintf(want, sizeof(want), "PID: %d", (int)pid);
	ASSERT_STREQ(line, want);
	read_line(fd, line, sizeof(line));
	snprintf(uri, sizeof(uri), "signal:%d?sig=CHLD", (int)pid);
	ipcx_cmd(NULL, 0, (char *[]){ (char *)"send", uri, (char *)"child", NULL });
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Received SIGCHLD(17) – child state change");
	snprintf(uri, sizeof(uri), "signal:%d?sig=INT", (int)pid);
	ipcx_cmd(NULL, 0, (char *[]){ (char *)"send", uri, (char *)"", NULL });
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Received SIGINT(2) – user interrupt");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Cleaning up…");
	read_line(fd, line, sizeof(line));
	ASSERT_STREQ(line, "Cleanup done, exiting");
	exits_zero(pid);
	close(fd);
}

/* ---- raw peers ------------------------------------------------------------ */

static int
raw_mq_sender(void *arg)
{
	mqd_t d = mq_open(arg, O_WRONLY);

	ASSERT_TRUE(d != (mqd_t)-1);
	ASSERT_EQ(mq_send(d, "low", 3, 1), 0);
	ASSERT_EQ(mq_send(d, "high", 4, 5), 0);
	ASSERT_EQ(mq_send(d, "mid", 3, 3), 0);
	mq_close(d);
	return 0;
}

/* mq_send with priorities to `ipcx recv mq:`; `ipcx send mq:?prio=` to
 * mq_receive. */
static void
test_raw_mq(void)
{
	char name[64], uri[80], uri7[96];
	char *recv[] = { (char *)IPCX_CLI, (char *)"recv", (char *)"-n", (char *)"3",
		         (char *)"--format", (char *)"json", uri, NULL };
	char l[3][256], buf[8192];
	unsigned prio;
	ipcx_chan *c;
	mqd_t d;
	pid_t rp;
	int fd, i;

	need_cli();
	/* A name the harness's sweep knows, should the test fail. */
	snprintf(name, sizeof(name), "/ipcx-test-%d-1000", (int)getpid());
	snprintf(uri, sizeof(uri), "mq:%s", name);
	snprintf(uri7, sizeof(uri7), "%s?prio=7", uri);
	IPCX_PASS(ipcx_create(&c, uri, 0));
	ipcx_test_wait(ipcx_test_peer(raw_mq_sender, name), -1);
	rp = run(recv, NULL, &fd, NULL, 0);
	for (i = 0; i < 3; i++)
		read_line(fd, l[i], sizeof(l[i]));
	exits_zero(rp);
	close(fd);
	/* base64: high aGlnaA==, mid bWlk, low bG93 */
	ASSERT_TRUE(strstr(l[0], "\"aGlnaA==\"") && strstr(l[0], "\"prio\":5"));
	ASSERT_TRUE(strstr(l[1], "\"bWlk\"") && strstr(l[1], "\"prio\":3"));
	ASSERT_TRUE(strstr(l[2], "\"bG93\"") && strstr(l[2], "\"prio\":1"));

	ipcx_cmd(NULL, 0, (char *[]){ (char *)"send", uri7, (char *)"to C", NULL });
	d = mq_open(name, O_RDONLY | O_NONBLOCK);
	ASSERT_TRUE(d != (mqd_t)-1);
	ASSERT_EQ(mq_receive(d, buf, sizeof(buf), &prio), 4);
	ASSERT_MEMEQ(buf, "to C", 4);
	ASSERT_EQ(prio, 7);
	mq_close(d);
	ipcx_close(c);
}

/* msgsnd with an mtype of its own to `ipcx recv sysvmq:?type=`. */
static void
test_raw_msgsnd(void)
{
	struct {
		long mtype;
		char text[16];
	} m;
	char uri[700], line[256];
	char *recv[] = { (char *)IPCX_CLI, (char *)"recv", (char *)"-n", (char *)"1",
		         (char *)"--format", (char *)"json", uri, NULL };
	ipcx_chan *c;
	pid_t rp;
	int fd, q;

	need_cli();
	snprintf(uri, sizeof(uri), "%s", demo_uri());
	IPCX_PASS(ipcx_create(&c, uri, 0));
	q = msgget(ftok(demo_path(), 65), 0);
	ASSERT_GE(q, 0);
	m.mtype = 1;
	memcpy(m.text, "one", 3);
	ASSERT_EQ(msgsnd(q, &m, 3, 0), 0);
	m.mtype = 2;
	memcpy(m.text, "two", 3);
	ASSERT_EQ(msgsnd(q, &m, 3, 0), 0);
	strcat(uri, "?type=2");
	rp = run(recv, NULL, &fd, NULL, 0);
	read_line(fd, line, sizeof(line));
	exits_zero(rp);
	close(fd);
	ASSERT_TRUE(strstr(line, "\"dHdv\"") && strstr(line, "\"mtype\":2"));
	ipcx_close(c);
}

/* sigqueue with an int of a program's own to `ipcx recv signal:self`: the
 * four bytes of sival_int, and how it was sent. */
static void
test_raw_sigqueue(void)
{
	char *recv[] = { (char *)IPCX_CLI, (char *)"recv", (char *)"-n", (char *)"1",
		         (char *)"--format", (char *)"hex", (char *)"signal:self?sig=RTMIN+3",
		         NULL };
	char line[64], want[16];
	int32_t v = 0x11223344;
	pid_t rp;
	int fd;

	need_cli();
	rp = run(recv, NULL, &fd, NULL, 0);
	wait_proc(rp, "SigBlk", SIGRTMIN + 3, SIGRTMIN + 3);
	ASSERT_EQ(sigqueue(rp, SIGRTMIN + 3, (union sigval){ .sival_int = v }), 0);
	read_line(fd, line, sizeof(line));
	exits_zero(rp);
	close(fd);
	hex((const uint8_t *)&v, 4, want);
	ASSERT_STREQ(line, want);
}

TEST_LIST = {
	{ "article 4.2 sender to ipcx_recv", test_msg_sender_to_library },
	{ "article 4.2 sender to ipcx recv", test_msg_sender_to_cli },
	{ "article 4.2 ipcx send to receiver", test_cli_to_msg_receiver },
	{ "article 4.4 ipcx send to signal() receiver", test_cli_to_sig_receiver },
	{ "article 4.4 kill sender to ipcx recv", test_sig_sender_to_cli },
	{ "article 4.4 kill sender to ipcx_recv_info", test_sig_sender_to_library },
	{ "article 3.2 ipcx send to Python handlers", test_cli_to_python },
	{ "raw mq_send priorities and mq_receive", test_raw_mq },
	{ "raw msgsnd mtype to ipcx recv type=", test_raw_msgsnd },
	{ "raw sigqueue int to ipcx recv", test_raw_sigqueue },
	{ NULL, NULL },
};
