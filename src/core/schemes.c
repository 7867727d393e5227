/* SPDX-License-Identifier: MIT */
/*
 * schemes.c - what each built transport is, read from its descriptor.  The
 * command line, the benchmark and the contract suite ask here instead of
 * keeping tables of schemes of their own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/transport.h"

static const char *const no_variants[] = { NULL };

/* One more than the table can ever hold, for the terminating NULL. */
static const char *built_schemes[64];
static pthread_once_t built_once = PTHREAD_ONCE_INIT;

static void
built_fill(void)
{
	const struct ipcx_transport *const *t;
	size_t n = 0;

	for (t = ipcx__transports; *t != NULL && n + 1 < sizeof(built_schemes) / sizeof(built_schemes[0]); t++)
		if (!(*t)->t_planned)
			built_schemes[n++] = (*t)->t_scheme;
	built_schemes[n] = NULL;
}

const char *const *
ipcx_schemes(void)
{
	(void)pthread_once(&built_once, built_fill);
	return built_schemes;
}

int
ipcx_scheme_info(const char *scheme, struct ipcx_scheme_info *info)
{
	const struct ipcx_transport *tp;

	if (scheme == NULL || info == NULL)
		return -EINVAL;
	tp = ipcx__transport_find(scheme, strlen(scheme));
	if (tp == NULL)
		return -EINVAL;
	if (tp->t_planned)
		return -ENOTSUP;
	memset(info, 0, sizeof(*info));
	snprintf(info->scheme, sizeof(info->scheme), "%s", tp->t_scheme);
	info->summary = tp->t_summary != NULL ? tp->t_summary : tp->t_scheme;
	info->address = tp->t_address != NULL ? tp->t_address : "ADDRESS";
	info->sample = tp->t_sample;
	info->variants = tp->t_variants != NULL ? tp->t_variants : no_variants;
	info->caps = tp->t_caps & IPCX_CAP_PUBLIC;
	if (tp->t_ops->c_peek != NULL)
		info->caps |= IPCX_SCHEME_SEGMENT;
	if (tp->t_ops->c_records != NULL)
		info->caps |= IPCX_SCHEME_RECORDS;
	if (tp->t_address_optional)
		info->caps |= IPCX_SCHEME_ADDRESS_OPTIONAL;
	info->default_max = tp->t_default_max;
	return 0;
}
