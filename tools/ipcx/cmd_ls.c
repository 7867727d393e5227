/* SPDX-License-Identifier: MIT */
/*
 * cmd_ls.c - `ipcx ls [--stale] [--json] [-o COLUMNS]`: every object in this
 * user's registry (ipcx_objects), with its creator and whether it is alive
 * (pid and start time: a reused pid is not the creator), how many handles
 * hold it open, whether it is kept, its age; and, for a named object, what
 * joining it tells (mode, largest message, queued).  A socket is not
 * connected to: that would be a client its server sees.
 *
 * --all adds what the kernel shows of every System V object
 * (/proc/sysvipc) and POSIX object (/dev/shm, /dev/mqueue) on the machine,
 * each marked with the ipcx URI that made it when the registry has one.
 * Which scheme made which kind of object is read from the descriptors'
 * capabilities, not from scheme names (see sys_match).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MQUEUE_FS_MAGIC 0x19800202 /* linux/magic.h */

static const char ls_help[] =
	"Usage: ipcx ls [--all] [--stale] [--json] [-o COLUMNS] [--noheadings] [-v]\n"
	"\n"
	"List the channels ipcx created for this user (its registry), one a line.\n"
	"A named channel is joined to show its mode, largest message and queue;\n"
	"a socket is not connected to.  STALE objects - not kept, their creator\n"
	"gone, nobody holding them - are what `ipcx rm --stale` removes.\n"
	"\n"
	"  -a, --all           also every System V object and POSIX shared-memory\n"
	"                      object and message queue on the machine, ipcx's or\n"
	"                      not, with the URI of the ones ipcx made (a second\n"
	"                      table; a /dev/mqueue that is not mounted is said)\n"
	"  -s, --stale         only the stale objects\n"
	"  -j, --json          one JSON document: {\"objects\": [{...}, ...]}, with the\n"
	"                      fields uri, scheme, owner, owner_uid, mode, max_msg,\n"
	"                      queued, queued_unit, creator_pid, creator_start,\n"
	"                      creator_alive, holders, kept, created, age_s, stale\n"
	"                      (null where unknown); with --all also \"system\":\n"
	"                      [{kind, name, id, owner, owner_uid, mode, bytes,\n"
	"                      attached, messages, creator_pid, ipcx}] and\n"
	"                      \"not_mounted\": [PATH...]\n"
	"  -o, --output LIST   the columns, comma-separated, of: uri, scheme, owner,\n"
	"                      uid, mode, max, queued, pid, start, alive, holders,\n"
	"                      kept, created, age, stale (default: pid,alive,holders,\n"
	"                      kept,mode,owner,max,queued,age,uri); the --all table\n"
	"                      has fixed columns\n"
	"  -n, --noheadings    no header line\n"
	"  -v, --verbose       what is read, with timestamps, on standard error\n"
	"  -h, --help          this help\n"
	"\n"

	"Exit status: 0; 1 the registry cannot be read; 2 usage error.\n";

enum ls_col {
	COL_URI, COL_SCHEME, COL_OWNER, COL_UID, COL_MODE, COL_MAX, COL_QUEUED, COL_PID,
	COL_START, COL_ALIVE, COL_HOLDERS, COL_KEPT, COL_CREATED, COL_AGE, COL_STALE,
	COL_COUNT
};

static const struct {
	const char *name, *head;
	bool right; /* numbers align right */
} ls_cols[COL_COUNT] = {
	[COL_URI] = { "uri", "URI", false },
	[COL_SCHEME] = { "scheme", "SCHEME", false },
	[COL_OWNER] = { "owner", "OWNER", false },
	[COL_UID] = { "uid", "UID", true },
	[COL_MODE] = { "mode", "MODE", false },
	[COL_MAX] = { "max", "MAX", true },
	[COL_QUEUED] = { "queued", "QUEUED", true },
	[COL_PID] = { "pid", "PID", true },
	[COL_START] = { "start", "START", true },
	[COL_ALIVE] = { "alive", "ALIVE", false },
	[COL_HOLDERS] = { "holders", "HOLDERS", true },
	[COL_KEPT] = { "kept", "KEPT", false },
	[COL_CREATED] = { "created", "CREATED", false },
	[COL_AGE] = { "age", "AGE", true },
	[COL_STALE] = { "stale", "STALE", false },
};

static const enum ls_col ls_default[] = { COL_PID, COL_ALIVE, COL_HOLDERS, COL_KEPT, COL_MODE,
	                                  COL_OWNER, COL_MAX, COL_QUEUED, COL_AGE, COL_URI };

struct ls_row {
	struct ipcx_object obj;
	bool have_stat;     /* joined: the fields below are known */
	bool has_owner;
	uid_t owner_uid;    /* the object's owner, when has_owner */
	unsigned mode;
	size_t max_msg;
	long queued;
	int queued_unit;
};

struct ls_list {
	struct ls_row *rows;
	size_t n, cap;
	bool stale_only;
	int err;
};

static int
ls_collect(const struct ipcx_object *obj, void *arg)
{
	struct ls_list *l = arg;

	if (l->stale_only && !obj->stale)
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		struct ls_row *p = realloc(l->rows, ncap * sizeof(*p));
		if (p == NULL) {
			l->err = -ENOMEM;
			return 1;
		}
		l->rows = p;
		l->cap = ncap;
	}
	memset(&l->rows[l->n], 0, sizeof(l->rows[l->n]));
	l->rows[l->n].obj = *obj;
	l->n++;
	return 0;
}

static int
ls_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ls_row *)a)->obj.uri, ((const struct ls_row *)b)->obj.uri);
}

/* What joining a named object tells.  Sockets are left alone. */
static void
ls_stat(struct ls_row *r)
{
	struct ipcx_scheme_info info;
	struct ipcx_stat st;
	ipcx_chan *ch;

	if (ipcx_scheme_info(r->obj.scheme, &info) < 0 || !(info.caps & IPCX_SCHEME_NAMED))
		return;
	if (ipcx_join(&ch, r->obj.uri, 0) < 0) {
		cli_log("%s: not joined: %s", r->obj.uri, ipcx_errmsg(NULL));
		return;
	}
	if (ipcx_stat(ch, &st) == 0) {
		r->have_stat = true;
		r->has_owner = st.has_owner;
		r->owner_uid = st.owner_uid;
		r->mode = st.mode;
		r->max_msg = st.max_msg;
		r->queued = st.queued;
		r->queued_unit = st.queued_unit;
	}
	ipcx_close(ch);
}

static const char *
ls_user(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

static void
ls_age(int64_t secs, char *buf, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(buf, len, "%llds", (long long)secs);
	else if (secs < 7200)
		snprintf(buf, len, "%lldm", (long long)(secs / 60));
	else if (secs < 172800)
		snprintf(buf, len, "%lldh", (long long)(secs / 3600));
	else
		snprintf(buf, len, "%lldd", (long long)(secs / 86400));
}

static const char *
ls_alive(int alive)
{
	return alive > 0 ? "yes" : alive == 0 ? "no" : "?";
}

static void
ls_cell(const struct ls_row *r, enum ls_col c, int64_t now, char *buf, size_t len)
{
	const struct ipcx_object *o = &r->obj;
	struct tm tm;
	time_t t;

	switch (c) {
	case COL_URI:
		snprintf(buf, len, "%s", o->uri);
		break;
	case COL_SCHEME:
		snprintf(buf, len, "%s", o->scheme);
		break;
	case COL_OWNER:
		ls_user(r->has_owner ? r->owner_uid : o->uid, buf, len);
		break;
	case COL_UID:
		snprintf(buf, len, "%lu", (unsigned long)o->uid);
		break;
	case COL_MODE:
		if (r->have_stat && r->has_owner)
			snprintf(buf, len, "%04o", r->mode);
		else
			snprintf(buf, len, "-");
		break;
	case COL_MAX:
		if (r->have_stat)
			snprintf(buf, len, "%zu", r->max_msg);
		else
			snprintf(buf, len, "-");
		break;
	case COL_QUEUED:
		if (r->have_stat && r->queued >= 0)
			snprintf(buf, len, "%ld%s", r->queued, r->queued_unit ? "B" : "");
		else
			snprintf(buf, len, "-");
		break;
	case COL_PID:
		snprintf(buf, len, "%ld", (long)o->creator_pid);
		break;
	case COL_START:
		snprintf(buf, len, "%llu", (unsigned long long)o->creator_start);
		break;
	case COL_ALIVE:
		snprintf(buf, len, "%s", ls_alive(o->creator_alive));
		break;
	case COL_HOLDERS:
		if (o->holders >= 0)
			snprintf(buf, len, "%d", o->holders);
		else
			snprintf(buf, len, "%s", o->in_use ? "1+" : "?");
		break;
	case COL_KEPT:
		snprintf(buf, len, "%s", o->kept ? "yes" : "no");
		break;
	case COL_CREATED:
		t = (time_t)o->created;
		localtime_r(&t, &tm);
		strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
		break;
	case COL_AGE:
		ls_age(now - o->created, buf, len);
		break;
	case COL_STALE:
		snprintf(buf, len, "%s", o->stale ? "yes" : "no");
		break;
	case COL_COUNT:
		buf[0] = '\0';
		break;
	}
}

static void
ls_print_table(const struct ls_list *l, const enum ls_col *cols, size_t ncols, bool headings)
{
	int64_t now = (int64_t)time(NULL);
	size_t width[COL_COUNT] = { 0 }, i, k;
	char cell[IPCX_URI_MAX + 32];

	for (k = 0; k < ncols; k++)
		width[k] = headings ? strlen(ls_cols[cols[k]].head) : 0;
	for (i = 0; i < l->n; i++) {
		for (k = 0; k < ncols; k++) {
			ls_cell(&l->rows[i], cols[k], now, cell, sizeof(cell));
			if (strlen(cell) > width[k])
				width[k] = strlen(cell);
		}
	}
	/* The last column is not padded: a long URI does not widen the rest. */
	if (headings) {
		for (k = 0; k < ncols; k++)
			printf("%s%*s", k ? " " : "",
			       k + 1 < ncols || ls_cols[cols[k]].right
			               ? (ls_cols[cols[k]].right ? 1 : -1) * (int)width[k]
			               : 0,
			       ls_cols[cols[k]].head);
		printf("\n");
	}
	for (i = 0; i < l->n; i++) {
		for (k = 0; k < ncols; k++) {
			ls_cell(&l->rows[i], cols[k], now, cell, sizeof(cell));
			printf("%s%*s", k ? " " : "",
			       k + 1 < ncols || ls_cols[cols[k]].right
			               ? (ls_cols[cols[k]].right ? 1 : -1) * (int)width[k]
			               : 0,
			       cell);
		}
		printf("\n");
	}
}

static void
ls_print_json(const struct ls_list *l)
{
	int64_t now = (int64_t)time(NULL);
	char user[64];
	size_t i;

	printf("\"objects\":[");
	for (i = 0; i < l->n; i++) {
		const struct ls_row *r = &l->rows[i];
		const struct ipcx_object *o = &r->obj;

		printf("%s\n{\"uri\":", i ? "," : "");
		cli_json_string(stdout, o->uri);
		printf(",\"scheme\":");
		cli_json_string(stdout, o->scheme);
		printf(",\"owner\":");
		cli_json_string(stdout, ls_user(r->has_owner ? r->owner_uid : o->uid, user,
		                                sizeof(user)));
		printf(",\"owner_uid\":%lu", (unsigned long)(r->has_owner ? r->owner_uid : o->uid));
		if (r->have_stat && r->has_owner)
			printf(",\"mode\":\"%04o\"", r->mode);
		else
			printf(",\"mode\":null");
		if (r->have_stat)
			printf(",\"max_msg\":%zu", r->max_msg);
		else
			printf(",\"max_msg\":null");
		if (r->have_stat && r->queued >= 0)
			printf(",\"queued\":%ld,\"queued_unit\":\"%s\"", r->queued,
			       r->queued_unit ? "bytes" : "messages");
		else
			printf(",\"queued\":null,\"queued_unit\":null");
		printf(",\"creator_pid\":%ld,\"creator_start\":%llu,\"creator_alive\":%s",
		       (long)o->creator_pid, (unsigned long long)o->creator_start,
		       o->creator_alive > 0 ? "true" : o->creator_alive == 0 ? "false" : "null");
		if (o->holders >= 0)
			printf(",\"holders\":%d", o->holders);
		else
			printf(",\"holders\":null");
		printf(",\"kept\":%s,\"created\":%lld,\"age_s\":%lld,\"stale\":%s}",
		       o->kept ? "true" : "false", (long long)o->created,
		       (long long)(now - o->created < 0 ? 0 : now - o->created),
		       o->stale ? "true" : "false");
	}
	printf("%s]", l->n ? "\n" : "");
}


/* ---- --all: what the kernel shows ------------------------------------------ */

enum sys_kind { SYS_SHM, SYS_MSG, SYS_SEM, POSIX_SHM, POSIX_SEM, POSIX_MQ };

static const char *const sys_kind_name[] = {
	[SYS_SHM] = "sysv-shm", [SYS_MSG] = "sysv-msg", [SYS_SEM] = "sysv-sem",
	[POSIX_SHM] = "posix-shm", [POSIX_SEM] = "posix-sem", [POSIX_MQ] = "posix-mq",
};

struct sys_row {
	enum sys_kind kind;
	char name[300];     /* System V: the key, 0x%08x; POSIX: /NAME */
	long id;            /* System V id; -1 for POSIX */
	uid_t uid;
	unsigned mode;
	long long bytes;    /* size, or bytes queued; -1 unknown */
	long long attached; /* shm: attached processes; -1 unknown */
	long long messages; /* messages queued; -1 unknown */
	long cpid;          /* creator pid; -1 unknown */
	const char *ipcx;   /* the registry's URI for it, or NULL */
};

struct sys_list {
	struct sys_row *rows;
	size_t n, cap;
	bool mq_unmounted;
};

static struct sys_row *
sys_add(struct sys_list *sl)
{
	if (sl->n == sl->cap) {
		size_t ncap = sl->cap ? sl->cap * 2 : 32;
		struct sys_row *p = realloc(sl->rows, ncap * sizeof(*p));
		if (p == NULL)
			return NULL;
		sl->rows = p;
		sl->cap = ncap;
	}
	memset(&sl->rows[sl->n], 0, sizeof(sl->rows[sl->n]));
	sl->rows[sl->n].id = -1;
	sl->rows[sl->n].bytes = sl->rows[sl->n].attached = sl->rows[sl->n].messages = -1;
	sl->rows[sl->n].cpid = -1;
	return &sl->rows[sl->n++];
}

/*
 * /proc/sysvipc/{shm,msg,sem}: a header line, then one object a line with
 * the key (signed decimal), the id and the mode (octal) first; the rest
 * differs per file and is picked by field number.
 */
static int
sys_read_sysv(struct sys_list *sl, enum sys_kind kind)
{
	static const char *const path[] = { [SYS_SHM] = "/proc/sysvipc/shm",
		                            [SYS_MSG] = "/proc/sysvipc/msg",
		                            [SYS_SEM] = "/proc/sysvipc/sem" };
	char line[512];
	FILE *f = fopen(path[kind], "re");

	if (f == NULL)
		return errno == ENOENT ? 0 : -errno; /* a kernel without System V IPC */
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		long long v[16];
		long key;
		unsigned mode;
		int n;
		struct sys_row *r;

		if (sscanf(line, "%ld %lld %o", &key, &v[0], &mode) != 3)
			continue;
		/* The fields after perms, as numbers (times and all). */
		n = sscanf(line, "%*d %*d %*o %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[1],
		           &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]);
		r = sys_add(sl);
		if (r == NULL) {
			fclose(f);
			return -ENOMEM;
		}
		r->kind = kind;
		snprintf(r->name, sizeof(r->name), "0x%08lx", (unsigned long)(uint32_t)key);
		r->id = (long)v[0];
		r->mode = mode & 0777;
		switch (kind) {
		case SYS_SHM: /* size cpid lpid nattch uid gid cuid ... */
			if (n >= 7) {
				r->bytes = v[1];
				r->cpid = (long)v[2];
				r->attached = v[4];
				r->uid = (uid_t)v[5];
			}
			break;
		case SYS_MSG: /* cbytes qnum lspid lrpid uid gid cuid ... */
			if (n >= 5) {
				r->bytes = v[1];
				r->messages = v[2];
				r->uid = (uid_t)v[5];
			}
			break;
		default: /* nsems uid gid ... */
			if (n >= 2)
				r->uid = (uid_t)v[2];
			break;
		}
	}
	fclose(f);
	return 0;
}

/* Every entry of a POSIX object directory (/dev/shm, /dev/mqueue). */
static int
sys_read_dir(struct sys_list *sl, const char *dir, bool mq)
{
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dp)) != NULL) {
		struct sys_row *r;
		struct stat st;

		if (d->d_name[0] == '.' || fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		r = sys_add(sl);
		if (r == NULL) {
			closedir(dp);
			return -ENOMEM;
		}
		/* glibc names a POSIX semaphore "sem.NAME" in /dev/shm. */
		if (!mq && strncmp(d->d_name, "sem.", 4) == 0) {
			r->kind = POSIX_SEM;
			snprintf(r->name, sizeof(r->name), "/%s", d->d_name + 4);
		} else {
			r->kind = mq ? POSIX_MQ : POSIX_SHM;
			snprintf(r->name, sizeof(r->name), "/%s", d->d_name);
		}
		r->uid = st.st_uid;
		r->mode = st.st_mode & 0777;
		r->bytes = mq ? -1 : (long long)st.st_size;
		if (mq) {
			/* The queue's file reads "QSIZE:N NOTIFY:...": N bytes queued. */
			char buf[128];
			int fd = openat(dirfd(dp), d->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			if (fd >= 0) {
				ssize_t k = read(fd, buf, sizeof(buf) - 1);
				long long q;
				if (k > 0) {
					buf[k] = '\0';
					if (sscanf(buf, "QSIZE:%lld", &q) == 1)
						r->bytes = q;
				}
				close(fd);
			}
		}
	}
	closedir(dp);
	return 0;
}

/*
 * Which registry URI made this object.  A URI's address is what the
 * mechanism names the object by: a System V key (0x...) or a POSIX /NAME;
 * the scheme's capabilities tell the kinds apart (a ring is a SEGMENT; a
 * POSIX queue is a named message object that is no segment and is not
 * kept, unlike a file: log).
 */
static bool
sys_match(const struct sys_row *r, const struct ls_row *row)
{
	const char *addr = strchr(row->obj.uri, ':');
	struct ipcx_scheme_info info;
	bool seg, mq_like;

	if (addr == NULL || ipcx_scheme_info(row->obj.scheme, &info) < 0 ||
	    !(info.caps & IPCX_SCHEME_NAMED))
		return false;
	addr++;
	seg = (info.caps & IPCX_SCHEME_SEGMENT) != 0;
	mq_like = (info.caps & IPCX_SCHEME_MESSAGE) && !seg && !(info.caps & IPCX_SCHEME_KEPT);
	switch (r->kind) {
	case SYS_SHM:
	case SYS_MSG:
		if (strncmp(addr, "0x", 2) != 0 || strtoul(addr, NULL, 16) != strtoul(r->name, NULL, 16))
			return false;
		return r->kind == SYS_SHM ? seg : mq_like;
	case POSIX_SHM:
		return seg && strcmp(addr, r->name) == 0;
	case POSIX_MQ:
		return mq_like && strcmp(addr, r->name) == 0;
	default:
		return false;
	}
}

static int
sys_collect(struct sys_list *sl, const struct ls_list *l)
{
	struct statfs fs;
	size_t i, k;
	int rc = 0;

	for (k = SYS_SHM; k <= SYS_SEM && rc == 0; k++)
		rc = sys_read_sysv(sl, (enum sys_kind)k);
	if (rc == 0)
		rc = sys_read_dir(sl, "/dev/shm", false);
	if (rc == 0 && (statfs("/dev/mqueue", &fs) < 0 || fs.f_type != MQUEUE_FS_MAGIC))
		sl->mq_unmounted = true;
	else if (rc == 0)
		rc = sys_read_dir(sl, "/dev/mqueue", true);
	for (i = 0; i < sl->n; i++)
		for (k = 0; k < l->n && sl->rows[i].ipcx == NULL; k++)
			if (sys_match(&sl->rows[i], &l->rows[k]))
				sl->rows[i].ipcx = l->rows[k].obj.uri;
	return rc;
}

static void
sys_num(long long v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld", v);
}

static void
sys_print_table(const struct sys_list *sl, bool headings)
{
	char user[64], id[24], bytes[24], att[24], msgs[24], cpid[24];
	int wname = 4;
	size_t i;

	for (i = 0; i < sl->n; i++)
		if ((int)strlen(sl->rows[i].name) > wname)
			wname = (int)strlen(sl->rows[i].name);
	if (headings)
		printf("%-9s %-*s %10s %-8s %4s %12s %6s %8s %7s %s\n", "KIND", wname, "NAME", "ID",
		       "OWNER", "MODE", "BYTES", "NATTCH", "MESSAGES", "CPID", "IPCX");
	for (i = 0; i < sl->n; i++) {
		const struct sys_row *r = &sl->rows[i];
		sys_num(r->id, id, sizeof(id));
		sys_num(r->bytes, bytes, sizeof(bytes));
		sys_num(r->attached, att, sizeof(att));
		sys_num(r->messages, msgs, sizeof(msgs));
		sys_num(r->cpid, cpid, sizeof(cpid));
		printf("%-9s %-*s %10s %-8s %04o %12s %6s %8s %7s %s\n", sys_kind_name[r->kind], wname,
		       r->name, id, ls_user(r->uid, user, sizeof(user)), r->mode, bytes, att, msgs,
		       cpid, r->ipcx != NULL ? r->ipcx : "-");
	}
}

static void
sys_json_num(const char *key, long long v)
{
	if (v < 0)
		printf(",\"%s\":null", key);
	else
		printf(",\"%s\":%lld", key, v);
}

static void
sys_print_json(const struct sys_list *sl)
{
	char user[64];
	size_t i;

	printf(",\"system\":[");
	for (i = 0; i < sl->n; i++) {
		const struct sys_row *r = &sl->rows[i];
		printf("%s\n{\"kind\":\"%s\",\"name\":", i ? "," : "", sys_kind_name[r->kind]);
		cli_json_string(stdout, r->name);
		sys_json_num("id", r->id);
		printf(",\"owner\":");
		cli_json_string(stdout, ls_user(r->uid, user, sizeof(user)));
		printf(",\"owner_uid\":%lu,\"mode\":\"%04o\"", (unsigned long)r->uid, r->mode);
		sys_json_num("bytes", r->bytes);
		sys_json_num("attached", r->attached);
		sys_json_num("messages", r->messages);
		sys_json_num("creator_pid", r->cpid);
		printf(",\"ipcx\":");
		if (r->ipcx != NULL)
			cli_json_string(stdout, r->ipcx);
		else
			printf("null");
		printf("}");
	}
	printf("%s],\"not_mounted\":[%s]", sl->n ? "\n" : "", sl->mq_unmounted ? "\"/dev/mqueue\"" : "");
}

/* "-o pid,uri": the columns, or a usage error. */
static int
ls_parse_cols(const char *spec, enum ls_col *cols, size_t *ncols)
{
	const char *p = spec;

	*ncols = 0;
	while (*p) {
		size_t len = strcspn(p, ","), k;
		bool found = false;

		for (k = 0; k < COL_COUNT; k++) {
			if (strlen(ls_cols[k].name) == len && strncasecmp(p, ls_cols[k].name, len) == 0) {
				found = true;
				break;
			}
		}
		if (!found || *ncols >= COL_COUNT)
			return cli_usage("ls", "-o: unknown column '%.*s' (columns: uri, scheme, owner, "
			                       "uid, mode, max, queued, pid, start, alive, holders, kept, "
			                       "created, age, stale)",
			                 (int)len, p);
		cols[(*ncols)++] = (enum ls_col)k;
		p += len;
		if (*p == ',')
			p++;
	}
	if (*ncols == 0)
		return cli_usage("ls", "-o wants at least one column");
	return 0;
}

int
cli_ls_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stale", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum ls_col cols[COL_COUNT];
	struct ls_list l = { 0 };
	struct sys_list sl = { 0 };
	bool all = false;
	size_t ncols = sizeof(ls_default) / sizeof(ls_default[0]), i;
	bool json = false, headings = true;
	int c, rc;

	memcpy(cols, ls_default, sizeof(ls_default));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":sjo:navh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			l.stale_only = true;
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			rc = ls_parse_cols(optarg, cols, &ncols);
			if (rc != 0)
				return rc;
			break;
		case 'n':
			headings = false;
			break;
		case 'a':
			all = true;
			break;
		case 'v':
			cli_verbose = true;
			break;
		case 'h':
			fputs(ls_help, stdout);
			return CLI_OK;
		default:
			return cli_bad_option("ls", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage("ls", "unexpected argument '%s'", argv[optind]);
	rc = ipcx_objects(ls_collect, &l);
	if (rc < 0 || l.err < 0) {
		rc = rc < 0 ? rc : l.err;
		cli_say("ls", NULL, "cannot read the registry: %s%s%s%s", ipcx_strerror(rc),
		        ipcx_errmsg(NULL)[0] ? " (" : "", ipcx_errmsg(NULL),
		        ipcx_errmsg(NULL)[0] ? ")" : "");
		free(l.rows);
		return CLI_FAIL;
	}
	cli_log("%zu objects in the registry%s", l.n, l.stale_only ? " are stale" : "");
	qsort(l.rows, l.n, sizeof(*l.rows), ls_cmp);
	for (i = 0; i < l.n; i++)
		ls_stat(&l.rows[i]);
	if (all) {
		rc = sys_collect(&sl, &l);
		if (rc < 0) {
			cli_say("ls", NULL, "--all: cannot read the system's objects: %s", strerror(-rc));
			free(sl.rows);
			free(l.rows);
			return CLI_FAIL;
		}
		if (sl.mq_unmounted && !json)
			cli_say("ls", NULL, "/dev/mqueue is not mounted: POSIX message queues are not "
			                    "listed (mount -t mqueue none /dev/mqueue)");
	}
	if (json) {
		printf("{");
		ls_print_json(&l);
		if (all)
			sys_print_json(&sl);
		printf("}\n");
	} else {
		if (l.n > 0)
			ls_print_table(&l, cols, ncols, headings);
		if (all && sl.n > 0) {
			if (l.n > 0)
				printf("\n");
			sys_print_table(&sl, headings);
		}
	}
	free(sl.rows);
	free(l.rows);
	if (fflush(stdout) != 0)
		return errno == EPIPE ? CLI_STDOUT_GONE : CLI_FAIL;
	return CLI_OK;
}
