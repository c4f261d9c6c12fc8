/*
 * staging.c - see staging.h.
 */
#include "staging.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"
#include "outdir.h"
#include "sysio.h"

int
make_dirs(const char *path)
{
	char *copy = strdup(path), *p;
	int rc = 0;

	if (!copy)
		return fail_nomem(path);
	for (p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			rc = fail_sys("mkdir %s", copy);
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return rc;
}

DIR *
dir_stream(int dirfd, const char *path)
{
	int fd = dup(dirfd);
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		fail_sys("%s", path);
		if (fd >= 0)
			sys_close(fd);
		return NULL;
	}
	rewinddir(d); /* the offset is shared with dirfd: start afresh */
	return d;
}

int
dir_next(DIR *d, const char *path, struct dirent **e)
{
	errno = 0;
	*e = readdir(d);
	if (*e)
		return 1;
	if (errno)
		return fail_sys("readdir %s", path);
	return 0;
}

static char *
staging_path(const char *out_path)
{
	size_t len = strlen(out_path) + sizeof(STAGING_DIR) + 1;
	char *path = malloc(len);

	if (!path) {
		fail_nomem(out_path);
		return NULL;
	}
	snprintf(path, len, "%s/%s", out_path, STAGING_DIR);
	return path;
}

int
staging_open_at(int out_fd, const char *out_path, char **path)
{
	int fd;

	if (!(*path = staging_path(out_path)))
		return -1;
	if (outdir_open_dir(out_fd, out_path, STAGING_DIR, 1, &fd) < 0) {
		free(*path);
		*path = NULL;
		return -1;
	}
	return fd;
}

int
staging_find(int out_fd, const char *out_path, int *fd, char **path)
{
	int rc;

	*fd = -1;
	if (!(*path = staging_path(out_path)))
		return -1;
	rc = outdir_open_dir(out_fd, out_path, STAGING_DIR, 0, fd);
	if (rc <= 0) {
		free(*path);
		*path = NULL;
	}
	return rc;
}

int
staging_open(const char *outdir, char **path)
{
	int out_fd, fd;

	*path = NULL;
	if (make_dirs(outdir) < 0 || outdir_open(outdir, 0, &out_fd) < 0)
		return -1;
	fd = staging_open_at(out_fd, outdir, path);
	sys_close(out_fd);
	return fd;
}

int
staging_create_tmp(int dirfd, const char *path, const char *name)
{
	return outdir_create_tmp(dirfd, path, name, 0644);
}

void
staging_doc_name(char *buf, size_t size, uint64_t sid)
{
	snprintf(buf, size, "%06" PRIu64 ".xml", sid);
}

int
parse_numbered(const char *name, const char *prefix, const char *suffix,
    uint64_t *num)
{
	size_t plen = prefix ? strlen(prefix) : 0, slen = strlen(suffix);
	size_t len = strlen(name), digits, i;
	uint64_t v = 0;

	if (prefix && strncmp(name, prefix, plen) != 0)
		return 0;
	if (len < plen + slen + 6 || strcmp(name + len - slen, suffix) != 0)
		return 0;
	digits = len - plen - slen;
	if (digits > 19)
		return 0;
	for (i = 0; i < digits; i++) {
		char c = name[plen + i];
		if (c < '0' || c > '9')
			return 0;
		v = v * 10 + (uint64_t)(c - '0');
	}
	*num = v;
	return 1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
staging_list(int dirfd, const char *path, uint64_t **sids, size_t *n)
{
	DIR *d;
	struct dirent *e;
	uint64_t *list = NULL, *grown, sid;
	size_t count = 0, cap = 0;
	int more;

	*sids = NULL;
	*n = 0;
	if (!(d = dir_stream(dirfd, path)))
		return -1;
	while ((more = dir_next(d, path, &e)) > 0) {
		if (!parse_numbered(e->d_name, NULL, ".xml", &sid))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 128;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				fail_nomem(path);
				goto fail;
			}
			list = grown;
		}
		list[count++] = sid;
	}
	if (more < 0)
		goto fail;
	closedir(d);
	if (count > 1)
		qsort(list, count, sizeof(*list), cmp_u64);
	*sids = list;
	*n = count;
	return 0;
fail:
	closedir(d);
	free(list);
	return -1;
}

int
staging_doc_complete(int dirfd, const char *path, uint64_t sid)
{
	static const char end[] = "</table>\n";
	char name[40], tail[sizeof(end) - 1];
	struct stat st;
	ssize_t got;
	int fd, rc;

	staging_doc_name(name, sizeof(name), sid);
	if ((rc = outdir_open_read(dirfd, path, name, &fd)) <= 0)
		return rc;
	if (fstat(fd, &st) < 0) {
		rc = fail_sys("%s/%s: fstat", path, name);
	} else if (st.st_size < (off_t)sizeof(tail)) {
		rc = 0;
	} else if ((got = pread_full(fd, tail, sizeof(tail),
	    st.st_size - (off_t)sizeof(tail))) < 0) {
		rc = fail_sys("%s/%s: read", path, name);
	} else {
		rc = got == (ssize_t)sizeof(tail) &&
		    memcmp(tail, end, sizeof(tail)) == 0;
	}
	sys_close(fd);
	return rc;
}

/* A hidden temporary file: ".NAME.tmp". */
static int
is_tmp(const char *n)
{
	size_t len = strlen(n);

	return n[0] == '.' && len > 4 && strcmp(n + len - 4, ".tmp") == 0;
}

long
staging_clean(int dirfd, const char *path)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	char doc[40];
	uint64_t sid;
	long docs = 0;
	int more, c;

	if (!(d = dir_stream(dirfd, path)))
		return -1;
	while ((more = dir_next(d, path, &e)) > 0) {
		const char *n = e->d_name;
		int junk = 0;

		if (parse_numbered(n, NULL, ".xml", &sid)) {
			/* Cut short by a power loss (documents are not
			 * fsync'd): its rows were never archived, so it goes,
			 * with its meta, and the rows are read again. */
			if ((c = staging_doc_complete(dirfd, path, sid)) < 0)
				goto fail;
			if (c) {
				docs++;
				continue;
			}
			msg_warn("%s/%s: incomplete document removed", path, n);
			snprintf(doc, sizeof(doc), "%06" PRIu64 ".meta", sid);
			if (unlinkat(dirfd, doc, 0) < 0 && errno != ENOENT) {
				fail_sys("%s/%s", path, doc);
				goto fail;
			}
			junk = 1;
		} else if (parse_numbered(n, NULL, ".meta", &sid)) {
			staging_doc_name(doc, sizeof(doc), sid);
			if (fstatat(dirfd, doc, &st, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
			if (errno != ENOENT) {
				fail_sys("%s/%s", path, doc);
				goto fail;
			}
			junk = 1;
		} else {
			junk = is_tmp(n);
		}
		if (junk && unlinkat(dirfd, n, 0) < 0 && errno != ENOENT) {
			fail_sys("%s/%s", path, n);
			goto fail;
		}
	}
	if (more < 0)
		goto fail;
	closedir(d);
	return docs;
fail:
	closedir(d);
	return -1;
}

int
staging_remove(int out_fd, int staging_fd, const char *path, int sweep)
{
	struct dirent *e;
	DIR *d = NULL;
	int more = 0, rc;

	/* Temporary files are junk once the converter is done; anything
	 * else here (a document, a stranger's file) keeps the directory. */
	if (sweep && !(d = dir_stream(staging_fd, path)))
		return -1;
	while (sweep && (more = dir_next(d, path, &e)) > 0)
		if (is_tmp(e->d_name) && unlinkat(staging_fd, e->d_name, 0) < 0 &&
		    errno != ENOENT) {
			fail_sys("%s/%s", path, e->d_name);
			more = -1;
			break;
		}
	if (sweep)
		closedir(d);
	if (more < 0)
		return -1;
	rc = outdir_unlink_same(out_fd, STAGING_DIR, staging_fd, AT_REMOVEDIR);
	if (rc >= 0)
		return 0; /* removed, or the name is no longer ours: left */
	if (errno == ENOTEMPTY || errno == EEXIST) {
		msg_warn("%s: left in place: not empty", path);
		return 0;
	}
	return fail_sys("%s: rmdir", path);
}
