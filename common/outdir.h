/*
 * outdir.h - opening things inside an output directory that other users
 * may write to (spec guarantee 11).
 *
 * -o may be a drop directory under /tmp or a group-writable share: anyone
 * who can write there can plant a symlink, a hard link, a FIFO or a
 * directory of their own under any name csvpack uses, at any moment.  So
 * everything inside it is reached from a descriptor of the directory
 * (never by a path rebuilt from its name), without following a symlink,
 * and what csvpack keeps there between runs (the staging directory, the
 * lock, the journal) is used only if it is the running user's and nobody
 * else can write to it.  New temporary files are created exclusively: a
 * name someone planted is never written through.  Following a symlink
 * for -o itself is fine: the user named it.
 *
 * Every function here prints what failed, naming DIR/NAME, and records
 * FAIL_SYS (fail.h) before returning -1.
 */
#ifndef CSVPACK_OUTDIR_H
#define CSVPACK_OUTDIR_H

#include <sys/stat.h>
#include <sys/types.h>

/* Opens directory path (following a symlink: the user named it).
 * Returns 1 and *fd; 0 if it does not exist and missing_ok (nothing
 * printed); -1 after saying why. */
int outdir_open(const char *path, int missing_ok, int *fd);

/* Refuses what csvpack must not use: anything but a regular file (want
 * S_IFREG) or a directory (S_IFDIR), one owned by another user, one the
 * group or others may write to, a regular file with other hard links.
 * Returns 0, or -1 after "DIR/NAME: refused: why". */
int outdir_check(int fd, const char *dir_path, const char *name,
    mode_t want);

/* Opens dir_path/name relative to dirfd with flags | O_NOFOLLOW |
 * O_CLOEXEC | O_NOCTTY (a FIFO planted there does not block the open),
 * then outdir_check()s it as a regular file.  Returns 1 and *fd; 0 if it
 * does not exist and flags has no O_CREAT (nothing printed); -1 after
 * saying why (a symlink: "is a symbolic link"). */
int outdir_open_file(int dirfd, const char *dir_path, const char *name,
    int flags, mode_t mode, int *fd);

/* For reading a document or a meta inside a checked directory (staging,
 * or --dir's): O_RDONLY | O_NOFOLLOW, and a regular file of any owner.
 * Returns 1 and *fd, 0 if missing (nothing printed), -1 after saying
 * why. */
int outdir_open_read(int dirfd, const char *dir_path, const char *name,
    int *fd);

/* The same for a directory; create: mkdirat it first (mode 0755) if
 * missing. */
int outdir_open_dir(int dirfd, const char *dir_path, const char *name,
    int create, int *fd);

/* A new temporary file dir_path/name for writing (O_EXCL | O_NOFOLLOW):
 * whatever stands there (a crash's leftover, a planted symlink) is
 * unlinked first, never followed; a name re-planted between the unlink
 * and the create is unlinked again, a bounded number of times.  Returns
 * the descriptor, or -1 after saying why. */
int outdir_create_tmp(int dirfd, const char *dir_path, const char *name,
    mode_t mode);
/* The same without a word: -1 with errno set (EISDIR, EPERM: what stands
 * there cannot be unlinked; EEXIST: re-planted every time). */
int outdir_create_excl(int dirfd, const char *name, mode_t mode);

/* Gives the file open on fd (created as dirfd/tmp) the name dirfd/name,
 * never replacing one there (EEXIST) and never linking whatever tmp
 * names by now: the link is made from the descriptor
 * (/proc/self/fd/N); without /proc, or on a filesystem without hard
 * links, only after checking that tmp is still fd's file.  tmp itself is
 * left for the caller (outdir_unlink_same).  Returns 0, or -1 after
 * saying why (errno kept). */
int outdir_link_fd(int fd, int dirfd, const char *dir_path, const char *tmp,
    const char *name);

/* Unlinks dirfd/name if it is still the file open on fd (or, with flags
 * AT_REMOVEDIR, that directory).  Returns 1 if removed, 0 if the name
 * is gone or now names something else (left alone), -1 with errno set
 * (nothing printed: the caller decides how bad it is). */
int outdir_unlink_same(int dirfd, const char *name, int fd, int flags);

/* 1 if a and b are the same file. */
int same_inode(const struct stat *a, const struct stat *b);

#endif
