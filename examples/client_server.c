/* SPDX-License-Identifier: MIT */
/*
 * client_server.c - request/reply over a UNIX-domain socket.  The server
 * creates "unix:PATH" (create = listen), takes each client with
 * ipcx_accept() and answers "add A B" with the sum until the client leaves
 * (IPCX_EOF); a client joins the same URI (join = connect).  With no
 * arguments it runs a demo with two clients; or run the sides yourself:
 *   ./client_server server unix:/tmp/calc.sock &
 *   ./client_server client unix:/tmp/calc.sock "add 2 40"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipcx.h>

#define TIMEOUT_MS 5000

/* Serve `clients` clients one after the other (< 0: forever). */
static int
server(ipcx_chan *listener, int clients)
{
	char req[256], rep[64];
	ipcx_chan *conn;
	long a, b;

	for (int i = 0; clients < 0 || i < clients; i++) {
		int rc = ipcx_accept(listener, &conn, clients < 0 ? -1 : TIMEOUT_MS);
		if (rc < 0) {
			fprintf(stderr, "accept: %s\n", ipcx_strerror(rc));
			return 1;
		}
		ssize_t n;
		while ((n = ipcx_recv(conn, req, sizeof(req) - 1, TIMEOUT_MS)) >= 0) {
			req[n] = '\0';
			if (sscanf(req, "add %ld %ld", &a, &b) == 2)
				snprintf(rep, sizeof(rep), "%ld", a + b);
			else /* any reply is a message: errors travel as text */
				snprintf(rep, sizeof(rep), "error: expected \"add A B\"");
			if (ipcx_send(conn, rep, strlen(rep), TIMEOUT_MS) < 0)
				break;
		}
		ipcx_close(conn);
	}
	return 0;
}

static int
client(const char *uri, char **reqs, int n)
{
	char rep[256];
	ipcx_chan *ch = NULL;
	ssize_t r = ipcx_join(&ch, uri, 0);

	for (int i = 0; r >= 0 && i < n; i++) {
		r = ipcx_send(ch, reqs[i], strlen(reqs[i]), TIMEOUT_MS);
		if (r >= 0 && (r = ipcx_recv(ch, rep, sizeof(rep), TIMEOUT_MS)) >= 0)
			printf("[client %d] %s -> %.*s\n", (int)getpid(), reqs[i], (int)r, rep);
	}
	if (r < 0)
		fprintf(stderr, "client: %s\n", ipcx_strerror((int)r));
	fflush(stdout); /* the demo's clients end with _exit() */
	return ipcx_close(ch) | (r < 0); /* ipcx_close(NULL) is a no-op */
}

int
main(int argc, char **argv)
{
	char *reqs[] = { "add 2 40", "add -7 7", "mul 3 3" };
	char uri[64];
	ipcx_chan *listener;
	int rc, status, failed = 0;

	if (argc >= 3 && strcmp(argv[1], "client") == 0)
		return client(argv[2], argv + 3, argc - 3);
	snprintf(uri, sizeof(uri), "unix:/tmp/ipcx-calc-%d.sock", (int)getpid());
	if ((rc = ipcx_create(&listener, argc >= 3 ? argv[2] : uri, 0)) < 0) {
		fprintf(stderr, "create: %s\n", ipcx_strerror(rc));
		return 1;
	}
	if (argc >= 3) { /* "server URI"; closing the listener removes the socket file */
		rc = server(listener, -1);
		return ipcx_close(listener) | rc;
	}
	for (int i = 0; i < 2; i++) { /* the demo: two clients, one after the other */
		pid_t pid = fork();
		if (pid == 0) {
			ipcx_close(listener); /* the parent's: a child only releases it */
			_exit(client(uri, reqs, 3));
		}
		failed |= server(listener, 1);
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	ipcx_close(listener);
	return failed;
}
