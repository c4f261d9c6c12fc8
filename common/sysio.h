/*
 * sysio.h - system calls as csvpack means them.
 *
 * POSIX lets a call fail with EINTR when a signal arrives, and lets read
 * and write move fewer bytes than asked.  Neither is an error: these
 * wrappers retry EINTR (the stop signals only set a flag that the loops
 * look at) and finish short transfers, so that every caller has one thing
 * to check, -1 with errno set.  close() is the exception: Linux has closed
 * the descriptor before it reports EINTR, so that counts as success and is
 * never retried (a retry could close a descriptor another thread just got).
 *
 * Nothing here prints: the caller knows the file's name.
 */
#ifndef CSVPACK_SYSIO_H
#define CSVPACK_SYSIO_H

#include <stddef.h>
#include <sys/types.h>

int sys_open(const char *path, int flags, mode_t mode);
int sys_openat(int dirfd, const char *path, int flags, mode_t mode);
int sys_close(int fd);
/* One read(2), EINTR retried: a count, 0 at the end, or -1. */
ssize_t sys_read(int fd, void *buf, size_t n);
/* Reads until n bytes or the end: the count (< n only at the end), -1. */
ssize_t read_full(int fd, void *buf, size_t n);
ssize_t pread_full(int fd, void *buf, size_t n, off_t off);
/* Writes all n bytes: 0, or -1 (a write that moves nothing is EIO). */
int write_full(int fd, const void *buf, size_t n);
int pwrite_full(int fd, const void *buf, size_t n, off_t off);
int sys_fsync(int fd);
int sys_ftruncate(int fd, off_t len);
int sys_flock(int fd, int op);

#endif
