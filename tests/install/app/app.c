/* SPDX-License-Identifier: MIT */
/*
 * app.c - a program built out of the tree against an installed ipcx (by
 * install_test.sh, once with pkg-config and once with find_package): one
 * message through a pipe pair, printed.
 */
#include <ipcx.h>
#include <stdio.h>
#include <string.h>

int
main(void)
{
	ipcx_chan *a, *b;
	char buf[64];
	ssize_t n;
	int rc = ipcx_pair("pipe:", &a, &b);

	if (rc < 0) {
		fprintf(stderr, "ipcx_pair: %s\n", ipcx_strerror(rc));
		return 1;
	}
	rc = ipcx_send(a, "installed", strlen("installed"), 1000);
	n = rc < 0 ? rc : ipcx_recv(b, buf, sizeof(buf) - 1, 1000);
	ipcx_close(a);
	ipcx_close(b);
	if (n < 0) {
		fprintf(stderr, "send/recv: %s\n", ipcx_strerror((int)n));
		return 1;
	}
	buf[n] = '\0';
	printf("%s %s\n", buf, ipcx_version());
	return 0;
}
