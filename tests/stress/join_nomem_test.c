/* SPDX-License-Identifier: MIT */
/*
 * join_nomem_test.c - a join that runs out of memory at any of its
 * allocations fails with -ENOMEM and leaves the caller's descriptors as
 * they were: still open, still the same pipes, and no descriptor of the
 * failed channel left behind.  (pipe:RFD,WFD opens the pipes again through
 * /proc; the originals may be given up only once the join can no longer
 * fail.)  Allocation failure is injected by this program's own malloc
 * family, which the library's calls reach; sanitizer builds keep theirs.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <dirent.h>
#include <stdatomic.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NOMEM_INJECTION 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define NOMEM_INJECTION 0
#endif
#endif
#ifndef NOMEM_INJECTION
#define NOMEM_INJECTION 1
#endif

#if NOMEM_INJECTION
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

/* The allocation (counted from arming) that fails; -1: none. */
static _Atomic long fail_at = -1;
static _Atomic long allocs;

static bool
nomem_now(void)
{
	long at = atomic_load(&fail_at);
	return at >= 0 && atomic_fetch_add(&allocs, 1) == at;
}

void *
malloc(size_t n)
{
	if (nomem_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t k, size_t n)
{
	if (nomem_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(k, n);
}

void *
realloc(void *p, size_t n)
{
	if (nomem_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}
#endif

static void
same_pipe(int fd, const struct stat *want)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		IPCX_TEST_FAILF("descriptor %d was closed by a failed join", fd);
	if (st.st_ino != want->st_ino || st.st_dev != want->st_dev)
		IPCX_TEST_FAILF("descriptor %d names another object after a failed join", fd);
}

/* Every allocation of the join fails in turn; then one join succeeds and
 * carries a message, so the sweep is known to have covered the join. */
static void
join_fails_at_each_allocation(const char *what, bool two)
{
	int p[2], q[2];
	struct stat sp, sq;
	char uri[64];
	bool done = false;
	long at;

	for (at = 0; !done; at++) {
		ipcx_chan *ch = NULL;
		int before, rc;

		ASSERT_EQ(pipe(p), 0);
		ASSERT_EQ(pipe(q), 0);
		ASSERT_EQ(fstat(p[0], &sp), 0);
		ASSERT_EQ(fstat(q[1], &sq), 0);
		if (two)
			snprintf(uri, sizeof(uri), "pipe:%d,%d", p[0], q[1]);
		else
			snprintf(uri, sizeof(uri), "pipe:%d", p[0]);
		before = ipcx_test_fd_count();
		atomic_store(&allocs, 0);
		atomic_store(&fail_at, at);
		rc = ipcx_join(&ch, uri, 0);
		atomic_store(&fail_at, -1);
		if (rc == -ENOMEM) {
			same_pipe(p[0], &sp);
			if (two)
				same_pipe(q[1], &sq);
			ASSERT_EQ(ipcx_test_fd_count(), before);
			ASSERT_TRUE(ch == NULL);
			close(p[0]);
			close(q[1]);
		} else {
			IPCX_PASS(rc);
			/* Past the last allocation: the join works, and owns p[0]
			 * (and q[1]). */
			ASSERT_EQ(write(p[1], "\0\0\0\2ok", 6), 6);
			{
				char buf[8];
				ASSERT_EQ(ipcx_recv(ch, buf, sizeof(buf), IPCX_TEST_TMO), 2);
				ASSERT_EQ(memcmp(buf, "ok", 2), 0);
			}
			IPCX_PASS(ipcx_close(ch));
			if (!two)
				close(q[1]);
			done = true;
		}
		close(p[1]);
		close(q[0]);
		if (at > 1000)
			IPCX_TEST_FAILF("%s: the join never succeeded", what);
	}
}

static void
one_descriptor(void)
{
	if (!NOMEM_INJECTION)
		TEST_SKIP("a sanitizer owns malloc here");
	join_fails_at_each_allocation("pipe:FD", false);
}

static void
two_descriptors(void)
{
	if (!NOMEM_INJECTION)
		TEST_SKIP("a sanitizer owns malloc here");
	join_fails_at_each_allocation("pipe:RFD,WFD", true);
}

TEST_LIST = {
	{ "pipe:FD join out of memory at each allocation", one_descriptor },
	{ "pipe:RFD,WFD join out of memory at each allocation", two_descriptors },
	{ NULL, NULL },
};
