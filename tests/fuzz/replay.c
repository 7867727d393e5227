/* SPDX-License-Identifier: MIT */
/*
 * replay.c - runs a fuzz target's body without libFuzzer, so the plain test
 * suite exercises it: every file of its seed corpus (FUZZ_CORPUS_DIR), then
 * a fixed sweep of mutations of them and of pseudo-random inputs.  A broken
 * invariant aborts, and the harness reports the test failed.
 */
#define IPCX_TEST_MAIN
#include "ipcx_test.h"

#include <dirent.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEDS 256
#define MAX_SEED_SIZE 65536

static uint8_t *seeds[MAX_SEEDS];
static size_t seed_len[MAX_SEEDS];
static int nseeds;

static void
load_corpus(void)
{
	DIR *d = opendir(FUZZ_CORPUS_DIR);
	struct dirent *e;

	if (d == NULL)
		IPCX_TEST_FAILF("%s: %s", FUZZ_CORPUS_DIR, strerror(errno));
	while ((e = readdir(d)) != NULL && nseeds < MAX_SEEDS) {
		char path[1024];
		FILE *f;
		uint8_t *buf;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", FUZZ_CORPUS_DIR, e->d_name);
		f = fopen(path, "rb");
		ASSERT_TRUE(f != NULL);
		buf = malloc(MAX_SEED_SIZE);
		ASSERT_TRUE(buf != NULL);
		n = fread(buf, 1, MAX_SEED_SIZE, f);
		fclose(f);
		seeds[nseeds] = buf;
		seed_len[nseeds++] = n;
	}
	closedir(d);
	ASSERT_GE(nseeds, 3);
}

/* Each input in an allocation of its exact size, so ASan sees overreads. */
static void
run(const uint8_t *data, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	ASSERT_TRUE(copy != NULL);
	memcpy(copy, data, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static void
test_corpus(void)
{
	int i;

	load_corpus();
	for (i = 0; i < nseeds; i++)
		run(seeds[i], seed_len[i]);
}

static uint32_t rng = 2463534242u;

static uint32_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Every prefix of every seed, byte flips, insertions of the characters
 * that matter to the grammars, and random bytes. */
static void
test_mutations(void)
{
	static const uint8_t special[] = { '%', '?', '&', '=', ':', '/', '@', '[', ']', '\n',
		                           0, 0xff, '0', 'K', 'G' };
	uint8_t buf[8192];
	int i, k;

	load_corpus();
	for (i = 0; i < nseeds; i++) {
		size_t n = seed_len[i] < sizeof(buf) ? seed_len[i] : sizeof(buf) - 1, cut;
		for (cut = 0; cut <= n; cut++)
			run(seeds[i], cut);
		for (k = 0; k < 300; k++) {
			size_t m = n;
			memcpy(buf, seeds[i], n);
			if (m > 0 && (k & 1))
				buf[next() % m] ^= (uint8_t)(1u << (next() % 8));
			if (m > 0 && (k & 2))
				buf[next() % m] = special[next() % sizeof(special)];
			if (k & 4 && m + 1 < sizeof(buf)) {
				size_t at = m ? next() % m : 0;
				memmove(buf + at + 1, buf + at, m - at);
				buf[at] = special[next() % sizeof(special)];
				m++;
			}
			run(buf, m);
		}
	}
	for (k = 0; k < 3000; k++) {
		size_t m = next() % 300, j;
		for (j = 0; j < m; j++)
			buf[j] = (uint8_t)next();
		run(buf, m);
	}
}

TEST_LIST = {
	{ "replay seed corpus", test_corpus },
	{ "replay mutations", test_mutations },
	{ NULL, NULL },
};
