/*
 * outdir.c - see outdir.h.
 */
#include "outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"
#include "sysio.h"

/* Re-planted names a temporary file's creation outlasts. */
#define CREATE_TRIES 100

int
same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int
outdir_open(const char *path, int missing_ok, int *fd)
{
	*fd = sys_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (*fd >= 0)
		return 1;
	if (missing_ok && errno == ENOENT)
		return 0;
	return fail_sys("%s", path);
}

static int
refuse(const char *dir_path, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(const char *dir_path, const char *name, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	msg_warn("%s/%s: refused: %s", dir_path, name, why);
	return fail_note(FAIL_SYS);
}

static int
refuse_stat(const struct stat *st, const char *dir_path, const char *name,
    mode_t want)
{
	const char *what = want == S_IFDIR ? "a directory" : "a regular file";

	if (S_ISLNK(st->st_mode))
		return refuse(dir_path, name, "it is a symbolic link (csvpack "
		    "does not follow here)");
	if ((st->st_mode & S_IFMT) != want)
		return refuse(dir_path, name, "not %s", what);
	if (st->st_uid != geteuid())
		return refuse(dir_path, name, "owned by uid %lu, not by uid %lu "
		    "who runs csvpack", (unsigned long)st->st_uid,
		    (unsigned long)geteuid());
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(dir_path, name, "writable by its group or others "
		    "(mode %03o)", (unsigned)(st->st_mode & 0777));
	if (want == S_IFREG && st->st_nlink > 1)
		return refuse(dir_path, name, "it has %lu hard links (csvpack "
		    "writes only a file of its own)",
		    (unsigned long)st->st_nlink);
	return 0;
}

int
outdir_check(int fd, const char *dir_path, const char *name, mode_t want)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail_sys("%s/%s: fstat", dir_path, name);
	return refuse_stat(&st, dir_path, name, want);
}

/* After an openat with O_NOFOLLOW failed: says why, in the words of
 * refuse_stat when something of the wrong kind stands there. */
static int
open_failed(int dirfd, const char *dir_path, const char *name, mode_t want)
{
	int saved = errno;
	struct stat st;

	if ((saved == ELOOP || saved == ENOTDIR || saved == ENXIO ||
	    saved == EISDIR) &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    refuse_stat(&st, dir_path, name, want) < 0)
		return -1;
	errno = saved;
	return fail_sys("%s/%s", dir_path, name);
}

/* A regular file: O_NONBLOCK (there against FIFOs) changes nothing, but
 * it goes, as the caller did not ask for it.  0 or -1 (said). */
static int
blocking_again(int fd, const char *dir_path, const char *name)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return fail_sys("%s/%s: fcntl", dir_path, name);
	return 0;
}

int
outdir_open_file(int dirfd, const char *dir_path, const char *name,
    int flags, mode_t mode, int *fd)
{
	*fd = sys_openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, mode);
	if (*fd < 0) {
		if (errno == ENOENT && !(flags & O_CREAT))
			return 0;
		return open_failed(dirfd, dir_path, name, S_IFREG);
	}
	if (outdir_check(*fd, dir_path, name, S_IFREG) < 0)
		goto fail;
	if (!(flags & O_NONBLOCK) && blocking_again(*fd, dir_path, name) < 0)
		goto fail;
	return 1;
fail:
	sys_close(*fd);
	*fd = -1;
	return -1;
}

int
outdir_open_read(int dirfd, const char *dir_path, const char *name, int *fd)
{
	struct stat st;

	*fd = sys_openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, 0);
	if (*fd < 0) {
		if (errno == ENOENT)
			return 0;
		return open_failed(dirfd, dir_path, name, S_IFREG);
	}
	if (fstat(*fd, &st) < 0) {
		fail_sys("%s/%s: fstat", dir_path, name);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		refuse(dir_path, name, "not a regular file");
		goto fail;
	}
	if (blocking_again(*fd, dir_path, name) < 0)
		goto fail;
	return 1;
fail:
	sys_close(*fd);
	*fd = -1;
	return -1;
}

int
outdir_open_dir(int dirfd, const char *dir_path, const char *name,
    int create, int *fd)
{
	if (create && mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return fail_sys("mkdir %s/%s", dir_path, name);
	*fd = sys_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC, 0);
	if (*fd < 0) {
		if (errno == ENOENT && !create)
			return 0;
		return open_failed(dirfd, dir_path, name, S_IFDIR);
	}
	if (outdir_check(*fd, dir_path, name, S_IFDIR) < 0) {
		sys_close(*fd);
		*fd = -1;
		return -1;
	}
	return 1;
}

int
outdir_create_excl(int dirfd, const char *name, mode_t mode)
{
	int i, fd;

	for (i = 0; i < CREATE_TRIES; i++) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return -1;
		fd = sys_openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
		/* Planted again between the unlink and the create. */
	}
	return -1;
}

int
outdir_create_tmp(int dirfd, const char *dir_path, const char *name,
    mode_t mode)
{
	int fd = outdir_create_excl(dirfd, name, mode);

	if (fd < 0)
		return fail_sys("%s/%s", dir_path, name);
	return fd;
}

/* A link from the descriptor failed this way: a check of the name, then
 * a link by name, may do (no /proc, no access to it). */
static int
may_fall_back(int err)
{
	return err == ENOENT || err == EPERM || err == EACCES ||
	    err == EOPNOTSUPP || err == ENOTSUP || err == ENOSYS;
}

/* No hard links on this filesystem. */
static int
no_links(int err)
{
	return err == EPERM || err == EOPNOTSUPP || err == ENOTSUP ||
	    err == ENOSYS;
}

static int
not_replaced(const char *dir_path, const char *name)
{
	errno = EEXIST;
	return fail_sys("%s/%s: not replaced", dir_path, name);
}

int
outdir_link_fd(int fd, int dirfd, const char *dir_path, const char *tmp,
    const char *name)
{
	char proc[64];
	struct stat mine, there;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno == EEXIST)
		return not_replaced(dir_path, name);
	if (!may_fall_back(errno))
		return fail_sys("%s/%s: link", dir_path, name);
	/* By name: only while the name is still the file we wrote. */
	if (fstat(fd, &mine) < 0)
		return fail_sys("%s/%s: fstat", dir_path, tmp);
	if (fstatat(dirfd, tmp, &there, AT_SYMLINK_NOFOLLOW) < 0)
		return fail_sys("%s/%s", dir_path, tmp);
	if (!same_inode(&mine, &there)) {
		errno = ESTALE;
		return fail_sys("%s/%s: no longer the file csvpack wrote; "
		    "%s not made", dir_path, tmp, name);
	}
	if (linkat(dirfd, tmp, dirfd, name, 0) == 0)
		return 0;
	if (errno == EEXIST)
		return not_replaced(dir_path, name);
	if (!no_links(errno))
		return fail_sys("%s/%s: link", dir_path, name);
	/* No hard links here: rename, after a check that the final name
	 * is free (the check and the rename are two steps: best effort). */
	if (fstatat(dirfd, name, &there, AT_SYMLINK_NOFOLLOW) == 0)
		return not_replaced(dir_path, name);
	if (errno != ENOENT)
		return fail_sys("%s/%s", dir_path, name);
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		return fail_sys("%s/%s: rename", dir_path, name);
	return 0;
}

int
outdir_unlink_same(int dirfd, const char *name, int fd, int flags)
{
	struct stat mine, there;

	if (fstat(fd, &mine) < 0)
		return -1;
	if (fstatat(dirfd, name, &there, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!same_inode(&mine, &there))
		return 0;
	if (unlinkat(dirfd, name, flags) < 0)
		return errno == ENOENT ? 0 : -1;
	return 1;
}
