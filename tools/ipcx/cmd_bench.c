/* SPDX-License-Identifier: MIT */
/*
 * cmd_bench.c - `ipcx bench [...]`: hands the command line to the benchmark
 * engine (bench/bench.h, ipcx_bench_main) when the build has it.  The CMake
 * file defines IPCX_CLI_HAVE_BENCH and links ipcx_bench_engine only if that
 * target exists, so the command builds with or without bench/.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifdef IPCX_CLI_HAVE_BENCH
#include "bench.h"

const bool cli_bench_built = true;

/* -h is every verb's short help option; the engine knows only --help.
 * Only arguments before a "--" are options. */
int
cli_bench_main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0)
			argv[i] = (char *)"--help";
	return ipcx_bench_main(argc, argv);
}
#else
const bool cli_bench_built = false;

int
cli_bench_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ipcx: bench: not built yet in ipcx %s\n", ipcx_version());
	return CLI_FAIL;
}
#endif
