/* SPDX-License-Identifier: MIT */
/*
 * segment.c - read-only views of shared-memory objects for tools
 * (ipcx_segment_*, `ipcx dump`): the transport maps the object it names
 * for reading only (c_peek), and the ring decodes it (ipcx__ring_describe,
 * ipcx__ring_slot) without registering or writing anything.  The layout
 * stays in ring.c; this file only translates to the public structs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipcx.h"
#include "core/transport.h"
#include "core/uri.h"
#include "shm/ring.h"

struct ipcx_segment {
	void *base;
	size_t len;
	void (*unmap)(void *base, size_t len);
};

int
ipcx_segment_open(ipcx_segment **ret_seg, const char *text)
{
	const struct ipcx_transport *tp;
	struct ipcx_segment *seg;
	struct ipcx_uri uri;
	const char *why = NULL;
	int rc;

	ipcx__set_errmsg(NULL, "%s", "");
	if (ret_seg == NULL || text == NULL)
		return -EINVAL;
	*ret_seg = NULL;
	rc = ipcx_uri_check(text);
	if (rc < 0)
		return rc;
	rc = ipcx__uri_parse(text, &uri, &why);
	if (rc < 0)
		return rc;
	tp = ipcx__transport_find(uri.scheme, strlen(uri.scheme));
	if (tp == NULL || tp->t_ops->c_peek == NULL) {
		ipcx__uri_fini(&uri);
		return -ENOTSUP;
	}
	seg = calloc(1, sizeof(*seg));
	if (seg == NULL) {
		ipcx__uri_fini(&uri);
		return -ENOMEM;
	}
	rc = tp->t_ops->c_peek(&uri, &seg->base, &seg->len, &seg->unmap);
	ipcx__uri_fini(&uri);
	if (rc < 0) {
		free(seg);
		return rc;
	}
	*ret_seg = seg;
	return 0;
}

const void *
ipcx_segment_data(const ipcx_segment *seg, size_t *ret_len)
{
	if (seg == NULL) {
		if (ret_len != NULL)
			*ret_len = 0;
		return NULL;
	}
	if (ret_len != NULL)
		*ret_len = seg->len;
	return seg->base;
}

void
ipcx_segment_close(ipcx_segment *seg)
{
	if (seg == NULL)
		return;
	if (seg->base != NULL && seg->unmap != NULL)
		seg->unmap(seg->base, seg->len);
	free(seg);
}

int
ipcx_segment_ring(const ipcx_segment *seg, struct ipcx_ring_view *out)
{
	struct ipcx_ring_info *info;
	const char *why = "";
	unsigned i;
	int rc;

	ipcx__set_errmsg(NULL, "%s", "");
	if (seg == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (seg->base == NULL) {
		ipcx__set_errmsg(NULL, "the segment is empty: not an ipcx ring");
		return -EPROTO;
	}
	{
		struct ipcx_ring_geom g;
		rc = ipcx__ring_check(seg->base, seg->len, &g, &why);
		if (rc < 0) {
			ipcx__set_errmsg(NULL, "not an ipcx ring: %s", why != NULL ? why : "");
			return -EPROTO;
		}
	}
	info = malloc(sizeof(*info)); /* 127 participants: kept off the stack */
	if (info == NULL)
		return -ENOMEM;
	rc = ipcx__ring_describe(seg->base, seg->len, info);
	if (rc < 0) {
		free(info);
		return -EPROTO;
	}
	out->slots = info->geom.slots;
	out->slot_size = info->geom.slot_size;
	out->head = info->head;
	out->tail = info->tail;
	memcpy(out->by_state, info->slots_by_state, sizeof(out->by_state));
	out->nparts = info->nparts;
	for (i = 0; i < info->nparts && i < 127; i++) {
		const struct ipcx_ring_part_info *pi = &info->parts[i];
		struct ipcx_ring_part_view *pv = &out->parts[i];
		pv->index = pi->index;
		pv->pid = pi->pid;
		pv->start_time = pi->start_time;
		pv->status = pi->status;
		pv->alive = pi->alive;
		pv->held = pi->held;
		pv->polls = pi->polls;
	}
	free(info);
	return 0;
}

int
ipcx_segment_slot(const ipcx_segment *seg, uint32_t index, struct ipcx_ring_slot_view *out)
{
	struct ipcx_ring_slot_info si;
	int rc;

	if (seg == NULL || out == NULL || seg->base == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = ipcx__ring_slot(seg->base, seg->len, index, &si);
	if (rc < 0)
		return rc == -EINVAL ? rc : -EPROTO;
	out->position = si.position;
	out->state = si.state;
	out->owner = si.owner;
	out->len = si.len;
	out->data_off = si.data_off;
	return 0;
}
