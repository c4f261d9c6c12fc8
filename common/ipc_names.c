/*
 * ipc_names.c - see ipc_names.h.
 */
#include "ipc_names.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"

static const char *const ev_suffix[EV_COUNT] = {
	"data", "space", "converted", "packed",
};

int
pipeline_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > PIPELINE_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

void
ipc_names_make(struct ipc_names *n, const char *name)
{
	int i;

	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->shm, sizeof(n->shm), "/csvpack-%lu-%s",
	    (unsigned long)getuid(), name);
	for (i = 0; i < EV_COUNT; i++)
		snprintf(n->ev[i], sizeof(n->ev[i]), "%s.%s", n->shm,
		    ev_suffix[i]);
}

/* May the IPC object at path be used or removed?  1: it is ours (a
 * regular file of this user, closed to others); 0: it is not there; -1:
 * it is someone else's, or not a shared-memory object at all, and is
 * left alone (said, with --name as the way round it).  /dev/shm is
 * sticky, so a name found ours stays ours: no one else can replace it. */
static int
object_ours(const char *path, const char *name, int quiet)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : fail_sys("%s", path);
	if (S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 077) == 0)
		return 1;
	if (quiet)
		return -1;
	if (!S_ISREG(st.st_mode))
		msg_warn("%s is not a shared-memory object (mode %06o); not "
		    "used, not removed: give the pipeline another --name than "
		    "%s", path, (unsigned)st.st_mode, name);
	else if (st.st_uid != geteuid())
		msg_warn("%s belongs to uid %lu, not to this user (uid %lu); "
		    "not used, not removed: give the pipeline another --name "
		    "than %s", path, (unsigned long)st.st_uid,
		    (unsigned long)geteuid(), name);
	else
		msg_warn("%s is open to other users (mode %04o); not used, "
		    "not removed: give the pipeline another --name than %s",
		    path, (unsigned)(st.st_mode & 07777), name);
	return fail_note(FAIL_SYS);
}

int
ipc_segment_ours(const struct ipc_names *n, int quiet)
{
	char path[sizeof(n->shm) + 16];

	snprintf(path, sizeof(path), "/dev/shm%s", n->shm);
	return object_ours(path, n->name, quiet);
}

int
ipc_event_ours(const struct ipc_names *n, int i, int quiet)
{
	char path[sizeof(n->ev[i]) + 16];

	snprintf(path, sizeof(path), "/dev/shm/sem.%s", n->ev[i] + 1);
	return object_ours(path, n->name, quiet);
}

int
ipc_segment_exists(const struct ipc_names *n)
{
	char path[sizeof(n->shm) + 16];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/shm%s", n->shm);
	return lstat(path, &st) == 0;
}

/* The pipeline NAME an entry of /dev/shm belongs to, if it is one of this
 * user's (prefix "csvpack-UID-"): copied into name, 1; else 0. */
static int
entry_pipeline(const char *entry, const char *prefix, char *name)
{
	size_t plen = strlen(prefix), len;
	int sem = strncmp(entry, "sem.", 4) == 0;

	if (sem)
		entry += 4;
	if (strncmp(entry, prefix, plen) != 0)
		return 0;
	entry += plen;
	len = strlen(entry);
	if (sem && strchr(entry, '.'))
		len = (size_t)(strrchr(entry, '.') - entry); /* NAME.suffix */
	if (len == 0 || len > PIPELINE_NAME_MAX)
		return 0;
	memcpy(name, entry, len);
	name[len] = '\0';
	return pipeline_name_valid(name);
}

/* Names seen so far, so that each pipeline is reported once. */
struct seen {
	char (*name)[PIPELINE_NAME_MAX + 1];
	size_t n, cap;
};

/* 1 if name was seen before; else records it (0), or -1 out of memory. */
static int
seen_before(struct seen *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return 1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *grown = realloc(s->name, cap * sizeof(*s->name));

		if (!grown)
			return fail_nomem("/dev/shm");
		s->name = grown;
		s->cap = cap;
	}
	snprintf(s->name[s->n++], sizeof(*s->name), "%s", name);
	return 0;
}

int
ipc_each_pipeline(int (*each)(const char *name, void *arg), void *arg)
{
	char prefix[64], name[PIPELINE_NAME_MAX + 1];
	struct seen seen = { NULL, 0, 0 };
	struct dirent *e;
	DIR *d = opendir("/dev/shm");
	int rc = 0, old;

	if (!d)
		return fail_sys("/dev/shm");
	snprintf(prefix, sizeof(prefix), "csvpack-%lu-", (unsigned long)getuid());
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (!entry_pipeline(e->d_name, prefix, name))
			continue;
		if ((old = seen_before(&seen, name)) < 0)
			rc = -1;
		else if (!old)
			rc = each(name, arg);
	}
	if (rc == 0 && errno)
		rc = fail_sys("readdir /dev/shm");
	closedir(d);
	free(seen.name);
	return rc;
}
