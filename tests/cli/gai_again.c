/* SPDX-License-Identifier: MIT */
/*
 * gai_again.c - preloaded by ipcx_errors_test.sh: getaddrinfo answers
 * EAI_AGAIN (a temporary failure, as when no name server answers) for any
 * host under "again.invalid", and is the real one for everything else.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *,
                      struct addrinfo **);

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
             struct addrinfo **res)
{
	static const char suffix[] = "again.invalid";
	size_t n = node != NULL ? strlen(node) : 0;
	gai_fn real;

	if (n >= sizeof(suffix) - 1 && strcmp(node + n - (sizeof(suffix) - 1), suffix) == 0)
		return EAI_AGAIN;
	real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	return real != NULL ? real(node, service, hints, res) : EAI_SYSTEM;
}
