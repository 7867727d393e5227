/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the benchmark engine behind `ipcx-bench`, `ipcx bench` and
 * `make run`.  For every transport it starts two real processes, measures
 * round-trip latency and one-way throughput with every payload checked, and
 * prints one comparison table, with a raw pipe(2) row as the baseline.
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
 * handlers for SIGINT, SIGTERM and SIGALRM while it runs and restores the
 * previous ones before returning; leaves SIGPIPE blocked in the calling
 * thread, as ipcx itself does.  Never calls exit().
 * Returns the exit status: 0 every measured row passed, 1 a row failed or
 * an integrity check found an error, 2 usage error, 128+N ended by signal N.
 */
int ipcx_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* IPCX_BENCH_H */
