/* SPDX-License-Identifier: MIT */
/*
 * ipcx_bench.c - the ipcx-bench command: all of it is the engine, so that
 * `ipcx bench` in the command-line tool is the very same code.
 */
#include "bench.h"

int
main(int argc, char **argv)
{
	return ipcx_bench_main(argc, argv);
}
