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

#include "msg.h"

int
make_dirs(const char *path)
{
	char *copy = strdup(path), *p;
	int rc = 0;

	if (!copy) {
		msg_warn("%s: out of memory", path);
		return -1;
	}
	for (p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST) {
			msg_warn_errno("mkdir %s", copy);
			rc = -1;
		}
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
		msg_warn_errno("%s", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d); /* the offset is shared with dirfd: start afresh */
	return d;
}

int
staging_open(const char *outdir, char **path)
{
	size_t len = strlen(outdir) + sizeof(STAGING_DIR) + 1;
	int fd;

	*path = malloc(len);
	if (!*path) {
		msg_warn("out of memory");
		return -1;
	}
	snprintf(*path, len, "%s/%s", outdir, STAGING_DIR);
	if (make_dirs(*path) < 0)
		goto fail;
	fd = open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		msg_warn_errno("%s", *path);
		goto fail;
	}
	return fd;
fail:
	free(*path);
	*path = NULL;
	return -1;
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

	*sids = NULL;
	*n = 0;
	if (!(d = dir_stream(dirfd, path)))
		return -1;
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (!parse_numbered(e->d_name, NULL, ".xml", &sid))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 128;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				msg_warn("%s: out of memory", path);
				goto fail;
			}
			list = grown;
		}
		list[count++] = sid;
	}
	if (errno) {
		msg_warn_errno("readdir %s", path);
		goto fail;
	}
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
staging_doc_complete(int dirfd, uint64_t sid)
{
	static const char end[] = "</table>\n";
	char name[40], tail[sizeof(end) - 1];
	struct stat st;
	int fd, ok;

	staging_doc_name(name, sizeof(name), sid);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(tail) &&
	    pread(fd, tail, sizeof(tail), st.st_size - (off_t)sizeof(tail)) ==
	    (ssize_t)sizeof(tail) && memcmp(tail, end, sizeof(tail)) == 0;
	close(fd);
	return ok;
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

	if (!(d = dir_stream(dirfd, path)))
		return -1;
	while ((errno = 0, e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		int junk = 0;

		if (parse_numbered(n, NULL, ".xml", &sid)) {
			/* Cut short by a power loss (documents are not
			 * fsync'd): its rows were never archived, so it goes,
			 * with its meta, and the rows are read again. */
			if (staging_doc_complete(dirfd, sid)) {
				docs++;
				continue;
			}
			msg_warn("%s/%s: incomplete document removed", path, n);
			snprintf(doc, sizeof(doc), "%06" PRIu64 ".meta", sid);
			unlinkat(dirfd, doc, 0); /* may be gone already */
			junk = 1;
		} else if (parse_numbered(n, NULL, ".meta", &sid)) {
			staging_doc_name(doc, sizeof(doc), sid);
			junk = fstatat(dirfd, doc, &st, 0) < 0 && errno == ENOENT;
		} else if (n[0] == '.' && len > 4 &&
		    strcmp(n + len - 4, ".tmp") == 0) {
			junk = 1;
		}
		if (junk && unlinkat(dirfd, n, 0) < 0 && errno != ENOENT) {
			msg_warn_errno("%s/%s", path, n);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return docs;
}
