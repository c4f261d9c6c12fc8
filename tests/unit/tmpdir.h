/*
 * tmpdir.h - scratch directories and files under /tmp: /tmp/<tag>XXXXXX,
 * and files written into them.
 *
 * A test removes what it made (tmpdir_remove).  A failing test ends at
 * once, so a suite whose tests may leave something names its scratch with
 * a tag carrying the runner's pid, made in the runner by an unchecked
 * setup (tmpdir_tag), and sweeps the tag in the runner's unchecked
 * teardown (tmpdir_sweep):
 *
 *	static char tag[TMPDIR_TAG_LEN];
 *	static void sweep_setup(void) { tmpdir_tag(tag, "tar"); }
 *	static void sweep_teardown(void) { tmpdir_sweep(tag); }
 *	...
 *	tcase_add_unchecked_fixture(tc, sweep_setup, sweep_teardown);
 */
#ifndef CSVPACK_TMPDIR_H
#define CSVPACK_TMPDIR_H

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#define TMPDIR_TAG_LEN 64

/* "csvpack-unit-SUITE-PID-", PID this process's: call it in the runner. */
static inline void
tmpdir_tag(char tag[TMPDIR_TAG_LEN], const char *suite)
{
	snprintf(tag, TMPDIR_TAG_LEN, "csvpack-unit-%s-%ld-", suite,
	    (long)getpid());
}

/* Makes the directory /tmp/<tag>XXXXXX; its name goes to path. */
static inline void
tmpdir_make(char *path, size_t size, const char *tag)
{
	ck_assert_msg((size_t)snprintf(path, size, "/tmp/%sXXXXXX", tag) < size,
	    "tmpdir_make: /tmp/%sXXXXXX does not fit in %zu bytes", tag, size);
	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp %s: %s", path,
	    strerror(errno));
}

/* Makes and opens the file /tmp/<tag>XXXXXX; returns mkstemp's result. */
static inline int
tmpdir_file(char *path, size_t size, const char *tag)
{
	ck_assert_msg((size_t)snprintf(path, size, "/tmp/%sXXXXXX", tag) < size,
	    "tmpdir_file: /tmp/%sXXXXXX does not fit in %zu bytes", tag, size);
	return mkstemp(path);
}

/* Writes n bytes to name in dirfd (AT_FDCWD: a path), created or
 * truncated, and leaves it with exactly mode (whatever the umask). */
static inline void
write_file_at(int dirfd, const char *name, const void *p, size_t n,
    mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, mode);
	const unsigned char *q = p;
	ssize_t w;

	ck_assert_msg(fd >= 0, "create %s: %s", name, strerror(errno));
	while (n > 0) {
		w = write(fd, q, n);
		ck_assert_msg(w > 0, "write %s: %s", name, strerror(errno));
		q += w;
		n -= (size_t)w;
	}
	ck_assert_int_eq(close(fd), 0);
	ck_assert_msg(fchmodat(dirfd, name, mode, 0) == 0, "chmod %s: %s",
	    name, strerror(errno));
}

/* Removes name (relative to dirfd) and everything under it; symbolic
 * links are removed, never followed.  Quiet: what cannot go stays. */
static inline void
tmpdir_remove_at(int dirfd, const char *name)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dirfd, name, 0);
		return;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd >= 0 && (d = fdopendir(fd)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				tmpdir_remove_at(fd, e->d_name);
		closedir(d);
	} else if (fd >= 0) {
		close(fd);
	}
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

static inline void
tmpdir_remove(const char *path)
{
	tmpdir_remove_at(AT_FDCWD, path);
}

/* Removes every /tmp/<tag>*: what the tests of a runner left. */
static inline void
tmpdir_sweep(const char *tag)
{
	struct dirent *e;
	DIR *d;

	if (!tag || !*tag || (d = opendir("/tmp")) == NULL)
		return;	/* never all of /tmp */
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, tag, strlen(tag)) == 0)
			tmpdir_remove_at(dirfd(d), e->d_name);
	closedir(d);
}

#endif
