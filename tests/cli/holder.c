/* SPDX-License-Identifier: MIT */
/*
 * holder.c - a process that holds channels open, for ipcx_ls_test.sh:
 * `holder create|join URI...` creates (not kept) or joins each URI, prints
 * "ready" on standard output once all are open, then waits for SIGTERM
 * and closes them (a creator's close removes its objects).  Killed with
 * SIGKILL it leaves them behind, which is what `ipcx rm --stale` is for.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ipcx.h"

int
main(int argc, char **argv)
{
	ipcx_chan *ch[64];
	sigset_t set;
	bool create;
	int i, n = argc - 2, sig, rc;

	if (argc < 3 || n > 64 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "join") != 0)) {
		fprintf(stderr, "usage: holder create|join URI...\n");
		return 2;
	}
	create = strcmp(argv[1], "create") == 0;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < n; i++) {
		rc = create ? ipcx_create(&ch[i], argv[i + 2], 0) : ipcx_join(&ch[i], argv[i + 2], 0);
		if (rc < 0) {
			fprintf(stderr, "holder: %s %s: %s (%s)\n", argv[1], argv[i + 2], ipcx_strerror(rc),
			        ipcx_errmsg(NULL));
			while (i-- > 0)
				ipcx_close(ch[i]);
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	for (i = 0; i < n; i++)
		ipcx_close(ch[i]);
	return 0;
}
