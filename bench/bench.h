/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the benchmark engine behind `ipcx-bench`, `ipcx bench` and
 * `make run`.  For every transport the library has built it starts two real
 * processes, pinned to two CPUs, and measures round-trip latency and
 * one-way throughput with every payload checked, each time beside the bare
 * mechanism (the same payload moved with plain system calls), and prints
 * the two side by side with the ratio ipcx/bare.
 */
#ifndef IPCX_BENCH_H
#define IPCX_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ipcx_bench_main - run the benchmark as a command would.  argv[0] names the
 * command in messages ("ipcx-bench"; "bench" is shown as "ipcx bench"), the
 * other arguments are the options of `ipcx-bench --help`.  Writes the table
 * or JSON to standard output and diagnostics to standard error.  Installs
 * handlers for SIGINT, SIGTERM and SIGALRM and blocks SIGPIPE and the
 * real-time signals while it runs, pins the calling thread to one CPU,
 * and restores all three before returning (taking first what it left
 * pending of the signals it blocked).  Never calls exit().  "ARGV0 --peer ..." runs the second
 * process of a row: the engine starts this very program again that way.
 * Returns the exit status: 0 every measured row passed, 1 a row failed or
 * an integrity check found an error, 2 usage error, 128+N ended by signal N.
 */
int ipcx_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* IPCX_BENCH_H */
