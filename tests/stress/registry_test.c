/* SPDX-License-Identifier: MIT */
/*
 * registry_test.c - the registry's promises (DESIGN.md, "The registry"),
 * with real processes, real FIFOs and sockets, real locks:
 *
 *  - the entry is written before the object is made, so a creator killed
 *    in the middle of making it leaves an entry that names it;
 *  - a registry that cannot be written fails the create with a sentence
 *    naming the directory (a relative IPCX_REGISTRY_DIR, one that cannot
 *    be made, a full disk), and nothing is made;
 *  - a leftover is adopted only while no live process holds its entry: a
 *    live (even stopped) creator, or a process that joined it, keeps it;
 *  - creators of one unix: path are serialised: exactly one wins, and the
 *    winner's socket is never unlinked by the others, while the socket of
 *    a SIGKILLed server is still replaced;
 *  - the creator is named by pid and start time, so a reused pid is not
 *    taken for it.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "core/liveness.h"
#include "os/sys.h"
#include "registry/registry.h"

#define TMO 30000 /* hang guard (ms), never a bound */

/* ---- helpers ---------------------------------------------------------- */

static const char *
scratch(const char *name)
{
	static char buf[8][512];
	static int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, 512, "%s/%s", ipcx_test_dir, name);
	return b;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* The registry entry of canonical URI canon, read; false if none. */
static bool
entry_of(const char *canon, struct ipcx_registry_entry *e)
{
	char path[IPCX_URI_MAX + 256];
	int fd, rc;

	IPCX_PASS(ipcx__registry_path(canon, path, sizeof(path)));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	rc = ipcx__registry_read(fd, e);
	close(fd);
	return rc == 0;
}

/* Replace one "key=" line of canon's entry (simulating what another
 * process or time wrote there). */
static void
entry_set(const char *canon, const char *key, const char *value)
{
	char path[IPCX_URI_MAX + 256], text[8192], out[8192];
	size_t klen = strlen(key), o = 0;
	char *line, *save = NULL;
	ssize_t n;
	int fd;

	IPCX_PASS(ipcx__registry_path(canon, path, sizeof(path)));
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	n = pread(fd, text, sizeof(text) - 1, 0);
	ASSERT_TRUE(n > 0);
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s=%s\n", key, value);
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", line);
	}
	ASSERT_EQ(ftruncate(fd, 0), 0);
	ASSERT_EQ(pwrite(fd, out, o, 0), (ssize_t)o);
	close(fd);
}

static void
assert_errmsg_has(const char *what)
{
	if (strstr(ipcx_errmsg(NULL), what) == NULL)
		IPCX_TEST_FAILF("ipcx_errmsg(NULL) \"%s\" does not say \"%s\"", ipcx_errmsg(NULL),
		                what);
}

/* A FIFO channel works end to end between rx and a new sender. */
static void
fifo_delivers(ipcx_chan *rx, const char *uri, const char *msg)
{
	ipcx_chan *tx;

	IPCX_PASS(ipcx_join(&tx, uri, 0));
	ipcx_test_send_str(tx, msg);
	ipcx_test_recv_str(rx, msg);
	ipcx_close(tx);
}

/* ---- the entry comes first -------------------------------------------- */

static const char *crash_path;
static int (*real_openat)(int dirfd, const char *path, int flags, mode_t mode);

/* The FIFO transport opens its node right after making it: dying there is
 * dying with the object made and ipcx_create not yet returned. */
static int
crash_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	if (crash_path != NULL && strcmp(path, crash_path) == 0)
		_exit(0);
	return real_openat(dirfd, path, flags, mode);
}

static int
stop_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	if (crash_path != NULL && strcmp(path, crash_path) == 0) {
		crash_path = NULL;
		raise(SIGSTOP);
	}
	return real_openat(dirfd, path, flags, mode);
}

static int
creator_dies_inside(void *arg)
{
	ipcx_chan *ch;

	crash_path = scratch("f");
	real_openat = ipcx__sys.openat;
	ipcx__sys.openat = crash_openat;
	(void)ipcx_create(&ch, arg, 0);
	return 1; /* the crash point was never reached: the test is void */
}

static void
test_entry_written_before_object(void)
{
	const char *path = scratch("f");
	char uri[600], canon[600];
	struct ipcx_registry_entry e;
	struct stat st;
	ipcx_chan *rx;
	pid_t pid;

	snprintf(uri, sizeof(uri), "fifo:%s", path);
	snprintf(canon, sizeof(canon), "fifo:%s", path);
	pid = ipcx_test_peer(creator_dies_inside, uri);
	ipcx_test_wait(pid, TMO);
	/* The object was made and its creator died: its entry is there. */
	ASSERT_EQ(lstat(path, &st), 0);
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ(ipcx_test_registry_count(), 1);
	ASSERT_TRUE(entry_of(canon, &e));
	ASSERT_STREQ(e.uri, canon);
	ASSERT_EQ(e.creator.pid, pid);
	ASSERT_EQ(ipcx__registry_creator_alive(&e), 0);
	/* Nobody holds it: the next creator adopts it, and owns the entry. */
	IPCX_PASS(ipcx_create(&rx, uri, 0));
	ASSERT_TRUE(entry_of(canon, &e));
	ASSERT_EQ(e.creator.pid, getpid());
	IPCX_PASS(ipcx_pollfd(rx));
	fifo_delivers(rx, uri, "adopted");
	ipcx_close(rx);
	/* And the entry goes after the object. */
	ASSERT_TRUE(!exists(path));
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

/* A creator stopped inside c_create holds its entry exclusively; a joiner
 * waits for it only a few milliseconds, then joins without holding it. */
static int
creator_stops_inside(void *arg)
{
	ipcx_chan *ch;

	crash_path = scratch("f");
	real_openat = ipcx__sys.openat;
	ipcx__sys.openat = stop_openat;
	IPCX_PASS(ipcx_create(&ch, arg, 0));
	IPCX_PASS(ipcx_pollfd(ch));
	ipcx_test_recv_str(ch, "joined meanwhile");
	ipcx_close(ch);
	return 0;
}

static void
test_joiner_not_wedged_by_creator(void)
{
	const char *path = scratch("f");
	char uri[600];
	struct stat st;
	ipcx_chan *tx;
	pid_t pid;
	int status;

	snprintf(uri, sizeof(uri), "fifo:%s", path);
	pid = ipcx_test_peer(creator_stops_inside, uri);
	ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(lstat(path, &st), 0); /* made, and its creator stopped */
	IPCX_PASS(ipcx_join(&tx, uri, 0));
	ASSERT_EQ(kill(pid, SIGCONT), 0);
	ipcx_test_send_str(tx, "joined meanwhile");
	ipcx_test_wait(pid, TMO);
	ipcx_close(tx);
}

/* ---- a registry that cannot be written -------------------------------- */

static void
creates_refused_fifo(const char *path, int code, const char *say1, const char *say2)
{
	char fifo[600];
	ipcx_chan *ch;

	snprintf(fifo, sizeof(fifo), "fifo:%s", path);
	IPCX_FAIL(ipcx_create(&ch, fifo, 0), code);
	assert_errmsg_has(say1);
	assert_errmsg_has(say2);
	ASSERT_TRUE(!exists(path));
}

/* Both kinds of named object refuse the same way, and leave nothing. */
static void
creates_refused(const char *name, int code, const char *say1, const char *say2)
{
	const char *path = scratch(name);
	char fifo[600], sock[600];
	ipcx_chan *ch;

	snprintf(fifo, sizeof(fifo), "fifo:%s", path);
	snprintf(sock, sizeof(sock), "unix:%s?type=seqpacket", path);
	IPCX_FAIL(ipcx_create(&ch, fifo, 0), code);
	assert_errmsg_has(say1);
	assert_errmsg_has(say2);
	ASSERT_TRUE(!exists(path));
	IPCX_FAIL(ipcx_create(&ch, sock, 0), code);
	assert_errmsg_has(say1);
	ASSERT_TRUE(!exists(path));
}

static void
test_registry_dir_relative(void)
{
	ASSERT_EQ(chdir(ipcx_test_dir), 0);
	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", "relreg", 1), 0);
	creates_refused("f", -ENOTDIR, "IPCX_REGISTRY_DIR=relreg", "absolute");
	ASSERT_TRUE(!exists(scratch("relreg")));
}

static void
test_registry_dir_cannot_be_made(void)
{
	const char *reg = scratch("no/such/parent");

	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", reg, 1), 0);
	creates_refused("f", -ENOENT, reg, "cannot make");
}

static void
test_registry_entry_not_a_file(void)
{
	char canon[600], entry[IPCX_URI_MAX + 256], reg[600];

	snprintf(reg, sizeof(reg), "%s/.registry", ipcx_test_dir);
	ASSERT_EQ(mkdir(reg, 0700), 0);
	snprintf(canon, sizeof(canon), "fifo:%s", scratch("f"));
	IPCX_PASS(ipcx__registry_path(canon, entry, sizeof(entry)));
	ASSERT_EQ(mkfifo(entry, 0600), 0); /* planted where the entry goes */
	creates_refused_fifo(scratch("f"), -EPERM, reg, "not a regular file");
	ASSERT_EQ(unlink(entry), 0);
	ASSERT_EQ(mkdir(entry, 0700), 0);
	creates_refused_fifo(scratch("f"), -EPERM, reg, "not a regular file");
}

/*
 * A name known only once the object exists (a TCP port) is registered
 * right after; when that fails, the object goes again: nothing listens.
 */
static void
test_late_name_unregistered_object_undone(void)
{
	struct ipcx_stat st;
	ipcx_chan *srv, *cl;
	char uri[IPCX_URI_MAX + 8];

	IPCX_PASS(ipcx_create(&srv, "tcp:127.0.0.1:0", 0));
	IPCX_PASS(ipcx_stat(srv, &st));
	snprintf(uri, sizeof(uri), "%s", st.uri);
	ipcx_close(srv);
	ASSERT_EQ(chmod(scratch(".registry"), 0755), 0);
	IPCX_FAIL(ipcx_create(&srv, uri, 0), -EPERM);
	assert_errmsg_has(scratch(".registry"));
	IPCX_FAIL(ipcx_join(&cl, uri, 0), -ECONNREFUSED);
	ASSERT_EQ(chmod(scratch(".registry"), 0700), 0);
	IPCX_PASS(ipcx_create(&srv, uri, 0));
	IPCX_PASS(ipcx_join(&cl, uri, 0));
	ipcx_close(cl);
	ipcx_close(srv);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

static int
create_over_fsize_limit(void *arg)
{
	struct rlimit rl = { 0, 0 };

	(void)arg;
	/* A file-size limit of 0: writing the entry is what fails (EFBIG),
	 * as on a full disk.  SIGXFSZ would end the process instead. */
	signal(SIGXFSZ, SIG_IGN);
	ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
	creates_refused("f", -EFBIG, "cannot write the registry entry in", "/.registry");
	return 0;
}

static int
create_on_full_tmpfs(void *arg)
{
	const char *mnt = arg;
	char reg[600], fill[600], block[4096];
	int fd;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("ipcx-test", mnt, "tmpfs", 0, "size=16k,mode=0700") < 0)
		_exit(7); /* no mount namespace here (ipcx_test_peer makes any other return 1) */
	snprintf(fill, sizeof(fill), "%s/fill", mnt);
	snprintf(reg, sizeof(reg), "%s/reg", mnt);
	ASSERT_EQ(mkdir(reg, 0700), 0);
	fd = open(fill, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_TRUE(fd >= 0);
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	ASSERT_EQ(errno, ENOSPC);
	close(fd);
	ASSERT_EQ(setenv("IPCX_REGISTRY_DIR", reg, 1), 0);
	creates_refused("f", -ENOSPC, reg, "cannot write the registry entry");
	ASSERT_EQ(count_entries(reg), 0); /* the entry begun is removed */
	return 0;
}

static void
test_registry_full(void)
{
	const char *mnt = scratch("full");
	int status;
	pid_t pid;

	ipcx_test_wait(ipcx_test_peer(create_over_fsize_limit, NULL), TMO);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
	/* A really full filesystem needs a mount of our own (root). */
	ASSERT_EQ(mkdir(mnt, 0700), 0);
	pid = ipcx_test_peer(create_on_full_tmpfs, (void *)mnt);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 7)
		fprintf(stderr, "  (no mount namespace: the tmpfs part is left out)\n");
	else
		ASSERT_EQ(WEXITSTATUS(status), 0);
}

/* ---- a leftover a live process holds is never adopted ----------------- */

struct holder {
	const char *uri;
	unsigned flags;
	bool join;                 /* join instead of create */
	struct ipcx_test_line up;  /* holder -> test */
	struct ipcx_test_line down; /* test -> holder */
};

/* Create (or join) and keep the channel until told; a FIFO receiver also
 * takes the one message it is sent. */
static int
fifo_holder(void *arg)
{
	struct holder *h = arg;
	ipcx_chan *ch;

	if (h->join)
		IPCX_PASS(ipcx_join(&ch, h->uri, 0));
	else
		IPCX_PASS(ipcx_create(&ch, h->uri, h->flags));
	if (!h->join) {
		IPCX_PASS(ipcx_pollfd(ch)); /* the receiving end is open */
		ipcx_test_line_put(&h->up, 'r');
		ipcx_test_recv_str(ch, "still mine");
	}
	ipcx_test_line_put(&h->up, 'd');
	ASSERT_EQ(ipcx_test_line_get(&h->down), 'q');
	ipcx_close(ch);
	return 0;
}

static void
test_live_fifo_never_adopted(void)
{
	const char *path = scratch("f");
	char uri[600], pidtext[32];
	struct holder h = { NULL, 0, false, { { -1, -1 } }, { { -1, -1 } } };
	struct stat st, st2;
	ipcx_chan *ch;
	pid_t pid;

	snprintf(uri, sizeof(uri), "fifo:%s", path);
	h.uri = uri;
	ipcx_test_line_open(&h.up);
	ipcx_test_line_open(&h.down);
	pid = ipcx_test_peer(fifo_holder, &h);
	ASSERT_EQ(ipcx_test_line_get(&h.up), 'r');
	ASSERT_EQ(lstat(path, &st), 0);

	/* A refusal touches nothing of the caller's either (descriptor 0 is
	 * where a half-made channel's unset descriptors would point). */
	if (fcntl(0, F_GETFD) < 0)
		ASSERT_EQ(open("/dev/null", O_RDONLY), 0);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -EBUSY);
	snprintf(pidtext, sizeof(pidtext), "pid %d", (int)pid);
	assert_errmsg_has(pidtext);
	IPCX_FAIL(ipcx_create(&ch, uri, IPCX_EXCL), -EEXIST);
	ASSERT_TRUE(fcntl(0, F_GETFD) >= 0);
	/* Stopped is alive: it keeps what it holds. */
	ASSERT_EQ(kill(pid, SIGSTOP), 0);
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -EBUSY);
	ASSERT_EQ(kill(pid, SIGCONT), 0);

	/* The first creator's FIFO is where it was, and works. */
	ASSERT_EQ(lstat(path, &st2), 0);
	ASSERT_EQ(st2.st_ino, st.st_ino);
	IPCX_PASS(ipcx_join(&ch, uri, 0));
	ipcx_test_send_str(ch, "still mine");
	ASSERT_EQ(ipcx_test_line_get(&h.up), 'd');
	ipcx_close(ch);
	ipcx_test_line_put(&h.down, 'q');
	ipcx_test_wait(pid, TMO);
	ASSERT_TRUE(!exists(path));
	/* Gone with its creator: the name is free again. */
	IPCX_PASS(ipcx_create(&ch, uri, 0));
	ipcx_close(ch);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

static int
make_kept_and_exit(void *arg)
{
	ipcx_chan *ch;

	IPCX_PASS(ipcx_create(&ch, arg, IPCX_KEEP));
	ipcx_close(ch);
	return 0;
}

/*
 * A kept FIFO whose creator has exited, still joined by a live process:
 * not adopted.  The registry tells the creator's death by pid and start
 * time, so a live process that got its pid is not taken for it.
 */
static void
test_joined_leftover_never_adopted(void)
{
	const char *path = scratch("f");
	char uri[600], canon[600], mypid[32], start[32];
	struct holder h = { NULL, 0, true, { { -1, -1 } }, { { -1, -1 } } };
	struct ipcx_registry_entry e;
	struct ipcx_proc_id self;
	ipcx_chan *ch;
	pid_t pid;

	snprintf(uri, sizeof(uri), "fifo:%s", path);
	snprintf(canon, sizeof(canon), "fifo:%s", path);
	ipcx_test_wait(ipcx_test_peer(make_kept_and_exit, uri), TMO);
	ASSERT_TRUE(exists(path));
	ASSERT_TRUE(entry_of(canon, &e));
	ASSERT_EQ(ipcx__registry_creator_alive(&e), 0);
	/* Its pid is reused by a live process (ours), which started at
	 * another time (start times count clock ticks: a child forked at
	 * once may share ours, so the entry is given one that differs). */
	IPCX_PASS(ipcx__proc_self(&self));
	snprintf(mypid, sizeof(mypid), "%d", (int)getpid());
	snprintf(start, sizeof(start), "%llu", (unsigned long long)self.start_time + 1);
	entry_set(canon, "pid", mypid);
	entry_set(canon, "start", start);
	ASSERT_TRUE(entry_of(canon, &e));
	ASSERT_EQ(e.creator.pid, getpid());
	ASSERT_EQ(ipcx__registry_creator_alive(&e), 0);

	h.uri = uri;
	ipcx_test_line_open(&h.up);
	ipcx_test_line_open(&h.down);
	pid = ipcx_test_peer(fifo_holder, &h);
	ASSERT_EQ(ipcx_test_line_get(&h.up), 'd');
	IPCX_FAIL(ipcx_create(&ch, uri, 0), -EBUSY);
	assert_errmsg_has("has exited");
	ASSERT_TRUE(exists(path));
	ipcx_test_line_put(&h.down, 'q');
	ipcx_test_wait(pid, TMO);
	/* Nobody holds it now: adopted. */
	IPCX_PASS(ipcx_create(&ch, uri, 0));
	ASSERT_TRUE(entry_of(canon, &e));
	ASSERT_EQ(ipcx__registry_creator_alive(&e), 1);
	IPCX_PASS(ipcx_pollfd(ch));
	fifo_delivers(ch, uri, "adopted");
	ipcx_close(ch);
	ASSERT_TRUE(!exists(path));
}

static int
unix_holder(void *arg)
{
	struct holder *h = arg;
	ipcx_chan *srv, *c;

	IPCX_PASS(ipcx_create(&srv, h->uri, 0));
	ipcx_test_line_put(&h->up, 'r');
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ipcx_test_recv_str(c, "still mine");
	ipcx_test_send_str(c, "yes");
	ipcx_close(c);
	ASSERT_EQ(ipcx_test_line_get(&h->down), 'q');
	ipcx_close(srv);
	return 0;
}

static void
test_live_unix_server_never_replaced(void)
{
	static const char *types[] = { "stream", "seqpacket" };
	const char *path = scratch("s");
	size_t i;

	for (i = 0; i < 2; i++) {
		char uri[600];
		struct holder h = { NULL, 0, false, { { -1, -1 } }, { { -1, -1 } } };
		struct stat st, st2;
		ipcx_chan *ch;
		pid_t pid;

		snprintf(uri, sizeof(uri), "unix:%s?type=%s", path, types[i]);
		h.uri = uri;
		ipcx_test_line_open(&h.up);
		ipcx_test_line_open(&h.down);
		pid = ipcx_test_peer(unix_holder, &h);
		ASSERT_EQ(ipcx_test_line_get(&h.up), 'r');
		ASSERT_EQ(lstat(path, &st), 0);
		IPCX_FAIL(ipcx_create(&ch, uri, 0), -EADDRINUSE);
		IPCX_FAIL(ipcx_create(&ch, uri, IPCX_EXCL), -EEXIST);
		ASSERT_EQ(lstat(path, &st2), 0);
		ASSERT_EQ(st2.st_ino, st.st_ino);
		IPCX_PASS(ipcx_join(&ch, uri, 0));
		ipcx_test_send_str(ch, "still mine");
		ipcx_test_recv_str(ch, "yes");
		ipcx_close(ch);
		ipcx_test_line_put(&h.down, 'q');
		ipcx_test_wait(pid, TMO);
		ASSERT_TRUE(!exists(path));
	}
}

/* ---- many creators of one unix: path ---------------------------------- */

#define CREATORS 12
#define ROUNDS 6

struct race {
	const char *uri;
	int go[2];      /* every creator waits here for the start */
	int report[2];  /* creators -> test: one record each */
	struct ipcx_test_line quit; /* test -> winner */
};

struct race_report {
	pid_t pid;
	int rc;
	ino_t ino;      /* the winner's socket file */
};

static int
racing_creator(void *arg)
{
	struct race *r = arg;
	struct race_report rep = { getpid(), 0, 0 };
	struct stat st;
	ipcx_chan *srv, *c;
	char go;

	close(r->go[1]);
	if (read(r->go[0], &go, 1) < 0)
		return 1;
	rep.rc = ipcx_create(&srv, r->uri, 0);
	if (rep.rc == 0 && lstat(r->uri + 5, &st) == 0)
		rep.ino = st.st_ino;
	ipcx_test_write_full(r->report[1], &rep, sizeof(rep));
	if (rep.rc < 0)
		return 0;
	/* The winner serves one client, then waits to be told to go. */
	IPCX_PASS(ipcx_accept(srv, &c, TMO));
	ipcx_test_recv_str(c, "who?");
	{
		char me[32];
		snprintf(me, sizeof(me), "%d", (int)getpid());
		ipcx_test_send_str(c, me);
	}
	ipcx_close(c);
	ASSERT_EQ(ipcx_test_line_get(&r->quit), 'q');
	ipcx_close(srv);
	return 0;
}

static int
server_then_killed(void *arg)
{
	struct race *r = arg;
	ipcx_chan *srv;

	IPCX_PASS(ipcx_create(&srv, r->uri, 0));
	ipcx_test_line_put(&r->quit, 'k');
	for (;;)
		pause(); /* SIGKILLed here, leaving its socket file and entry */
}

/* A client of the server about to be killed, still connected after. */
static int
lingering_client(void *arg)
{
	struct race *r = arg;
	ipcx_chan *ch;

	IPCX_PASS(ipcx_join(&ch, r->uri, 0));
	ipcx_test_line_put(&r->quit, 'c');
	for (;;)
		pause();
}

static void
race_round(const char *uri, bool stale)
{
	struct race r = { uri, { -1, -1 }, { -1, -1 }, { { -1, -1 } } };
	struct race_report rep;
	pid_t pids[CREATORS], server = -1, client = -1, winner = -1;
	ino_t ino = 0;
	struct stat st;
	ipcx_chan *cl;
	char buf[64];
	int i, wins = 0;
	ssize_t n;

	ipcx_test_line_open(&r.quit);
	if (stale) {
		server = ipcx_test_peer(server_then_killed, &r);
		ASSERT_EQ(ipcx_test_line_get(&r.quit), 'k');
		client = ipcx_test_peer(lingering_client, &r);
		ASSERT_EQ(ipcx_test_line_get(&r.quit), 'c');
		ASSERT_EQ(kill(server, SIGKILL), 0);
		ASSERT_EQ(waitpid(server, NULL, 0), server);
		ASSERT_EQ(lstat(uri + 5, &st), 0); /* the stale file */
	}
	ASSERT_EQ(pipe2(r.go, O_CLOEXEC), 0);
	ASSERT_EQ(pipe2(r.report, O_CLOEXEC), 0);
	for (i = 0; i < CREATORS; i++)
		pids[i] = ipcx_test_peer(racing_creator, &r);
	/* Closing the write end starts them all at once. */
	close(r.go[0]);
	close(r.go[1]);
	for (i = 0; i < CREATORS; i++) {
		struct pollfd p = { r.report[0], POLLIN, 0 };
		ASSERT_EQ(poll(&p, 1, TMO), 1);
		ASSERT_EQ(read(r.report[0], &rep, sizeof(rep)), (ssize_t)sizeof(rep));
		if (rep.rc == 0) {
			wins++;
			winner = rep.pid;
			ino = rep.ino;
		} else if (rep.rc != -EADDRINUSE) {
			IPCX_TEST_FAILF("creator %d: %d %s", (int)rep.pid, rep.rc,
			                ipcx_errname(rep.rc));
		}
	}
	if (wins != 1)
		IPCX_TEST_FAILF("%d creators of one path won (%s)", wins,
		                stale ? "after a killed server" : "fresh");
	/* The winner's socket is the file at the path, and it answers. */
	ASSERT_EQ(lstat(uri + 5, &st), 0);
	ASSERT_EQ(st.st_ino, ino);
	IPCX_PASS(ipcx_join(&cl, uri, 0));
	ipcx_test_send_str(cl, "who?");
	n = ipcx_recv(cl, buf, sizeof(buf) - 1, TMO);
	ASSERT_GE(n, 1);
	buf[n] = '\0';
	ASSERT_EQ(atoi(buf), winner);
	ipcx_close(cl);
	ipcx_test_line_put(&r.quit, 'q');
	for (i = 0; i < CREATORS; i++)
		ipcx_test_wait(pids[i], TMO);
	if (client > 0) {
		kill(client, SIGKILL);
		waitpid(client, NULL, 0);
	}
	close(r.report[0]);
	close(r.report[1]);
	close(r.quit.fd[0]);
	close(r.quit.fd[1]);
	ASSERT_TRUE(!exists(uri + 5));
}

static void
test_unix_creators_race(void)
{
	char uri[600];
	int round;

	snprintf(uri, sizeof(uri), "unix:%s", scratch("s"));
	for (round = 0; round < ROUNDS; round++)
		race_round(uri, round % 2 == 1);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

/* ---- liveness --------------------------------------------------------- */

static void
test_entry_names_creator_by_start_time(void)
{
	const char *path = scratch("f");
	char uri[600], canon[600], text[32];
	struct ipcx_registry_entry e;
	struct ipcx_proc_id self;
	ipcx_chan *ch;

	snprintf(uri, sizeof(uri), "fifo:%s", path);
	snprintf(canon, sizeof(canon), "fifo:%s", path);
	IPCX_PASS(ipcx__proc_self(&self));
	IPCX_PASS(ipcx_create(&ch, uri, 0));
	ASSERT_TRUE(entry_of(canon, &e));
	ASSERT_EQ(e.creator.pid, getpid());
	ASSERT_EQ(e.creator.start_time, self.start_time);
	ASSERT_EQ(e.uid, geteuid());
	ASSERT_TRUE(!e.kept);
	ASSERT_EQ(ipcx__registry_creator_alive(&e), 1);
	/* The same pid, started at another time, is another process. */
	snprintf(text, sizeof(text), "%llu", (unsigned long long)self.start_time + 1);
	entry_set(canon, "start", text);
	ASSERT_TRUE(entry_of(canon, &e));
	ASSERT_EQ(ipcx__registry_creator_alive(&e), 0);
	ipcx_close(ch);
	ASSERT_EQ(ipcx_test_registry_count(), 0);
}

TEST_LIST = {
	{ "entry written before the object", test_entry_written_before_object },
	{ "a joiner is not wedged by a stopped creator", test_joiner_not_wedged_by_creator },
	{ "relative IPCX_REGISTRY_DIR fails the create", test_registry_dir_relative },
	{ "an entry that is not a file fails the create", test_registry_entry_not_a_file },
	{ "a late name that cannot be registered undoes the object",
	  test_late_name_unregistered_object_undone },
	{ "registry directory that cannot be made fails the create",
	  test_registry_dir_cannot_be_made },
	{ "full registry fails the create", test_registry_full },
	{ "live FIFO creator: never adopted", test_live_fifo_never_adopted },
	{ "joined leftover: never adopted", test_joined_leftover_never_adopted },
	{ "live unix server: never replaced", test_live_unix_server_never_replaced },
	{ "many creators of one unix path: one wins", test_unix_creators_race },
	{ "entry names its creator by pid and start time", test_entry_names_creator_by_start_time },
	{ NULL, NULL },
};
