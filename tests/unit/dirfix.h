/*
 * dirfix.h - a scratch output directory for the journal, staging and lock
 * tests: /tmp/csvpack-unit-TAG-XXXXXX/out, its descriptor, files put and
 * read there, stderr captured to check what a refusal says.  Check forks
 * every test, so the state here is the test's own; dirfix_close() removes
 * the tree.
 */
#ifndef CSVPACK_DIRFIX_H
#define CSVPACK_DIRFIX_H

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "capture.h"
#include "fail.h"
#include "tmpdir.h"

struct dirfix {
	char root[96];   /* the scratch tree */
	char out[128];   /* root/out: the output directory */
	int out_fd;
	struct cap err;  /* stderr, between dirfix_stderr_begin and _end */
};

static inline void
dirfix_open(struct dirfix *f, const char *tag)
{
	char prefix[64];

	memset(f, 0, sizeof(*f));
	snprintf(prefix, sizeof(prefix), "csvpack-unit-%s-", tag);
	tmpdir_make(f->root, sizeof(f->root), prefix);
	snprintf(f->out, sizeof(f->out), "%s/out", f->root);
	ck_assert_int_eq(mkdir(f->out, 0755), 0);
	f->out_fd = open(f->out, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(f->out_fd, 0);
	fail_reset();
}

static inline void
dirfix_close(struct dirfix *f)
{
	if (f->out_fd >= 0)
		close(f->out_fd);
	tmpdir_remove(f->root);
	if (access(f->root, F_OK) == 0)
		fprintf(stderr, "dirfix: could not remove %s\n", f->root);
}

/* root/rel, in a static buffer (one at a time). */
static inline const char *
dirfix_path(struct dirfix *f, const char *rel)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", f->root, rel);
	return p;
}

/* A text file (tmpdir.h's write_file_at). */
static inline void
put_at(int dirfd, const char *name, const char *data, mode_t mode)
{
	write_file_at(dirfd, name, data, strlen(data), mode);
}

/* The whole file (malloc'd, NUL-terminated), or NULL if missing. */
static inline char *
get_at(int dirfd, const char *name)
{
	struct stat st;
	char *data;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	ck_assert_int_eq(fstat(fd, &st), 0);
	data = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(read(fd, data, (size_t)st.st_size), st.st_size);
	data[st.st_size] = '\0';
	close(fd);
	return data;
}

static inline int
exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Captures stderr until dirfix_stderr_end, which returns what was
 * written (malloc'd) and shows it on stderr too, as the other tests
 * show theirs. */
static inline void
dirfix_stderr_begin(struct dirfix *f)
{
	cap_begin(&f->err, STDERR_FILENO);
}

static inline char *
dirfix_stderr_end(struct dirfix *f)
{
	char *text = cap_end(&f->err);

	fputs(text, stderr);
	return text;
}

#endif
