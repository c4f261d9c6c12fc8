/*
 * outlock.c - see outlock.h.
 */
#include "outlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "pipeline.h"

#define OUTLOCK_TRIES 200 /* x 10 ms: the first holder writes its name */

static int
read_owner(int fd, char *name, size_t size)
{
	ssize_t n = pread(fd, name, size - 1, 0);

	if (n < 0)
		return -1;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

static void
lock_path(char *buf, size_t size, const char *out_path)
{
	snprintf(buf, size, "%s/%s", out_path, OUTLOCK_FILE);
}

/* 1 if the lock file names pipeline, 0 if another, -1 on error. */
static int
owned_by(int fd, const char *pipeline, const char *out_path)
{
	char owner[PIPELINE_NAME_MAX + 2];

	if (read_owner(fd, owner, sizeof(owner)) < 0) {
		msg_warn_errno("%s/%s", out_path, OUTLOCK_FILE);
		return -1;
	}
	if (strcmp(owner, pipeline) == 0)
		return 1;
	msg_warn("%s is in use by pipeline %s; one pipeline per output "
	    "directory", out_path, owner);
	return 0;
}

int
outlock_take(const char *out_path, const char *pipeline)
{
	char path[4200];
	int fd, i;

	lock_path(path, sizeof(path), out_path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		msg_warn_errno("%s", path);
		return -1;
	}
	for (i = 0; i < OUTLOCK_TRIES; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (ftruncate(fd, 0) < 0 ||
			    pwrite(fd, pipeline, strlen(pipeline), 0) < 0 ||
			    flock(fd, LOCK_SH) < 0) {
				msg_warn_errno("%s", path);
				break;
			}
			/* The change to shared is not atomic: someone may
			 * have slipped in between.  The file says who won. */
			if (owned_by(fd, pipeline, out_path) == 1)
				return fd;
			break;
		}
		if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
			if (owned_by(fd, pipeline, out_path) == 1)
				return fd;
			break;
		}
		if (errno != EWOULDBLOCK) {
			msg_warn_errno("flock %s", path);
			break;
		}
		/* Held exclusively: its holder is writing its name. */
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
	if (i == OUTLOCK_TRIES)
		msg_warn("%s: cannot take the lock", path);
	close(fd);
	return -1;
}

int
outlock_busy(const char *out_path, const char *pipeline)
{
	char path[4200], owner[PIPELINE_NAME_MAX + 2];
	int fd, busy = 0;

	lock_path(path, sizeof(path), out_path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* no lock file: nobody at work there */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
	} else if (errno == EWOULDBLOCK && read_owner(fd, owner,
	    sizeof(owner)) == 0 && (!pipeline || strcmp(owner, pipeline))) {
		msg_warn("%s is in use by pipeline %s; one pipeline per output "
		    "directory", out_path, owner);
		busy = 1;
	}
	close(fd);
	return busy;
}

/* 1 if path still names the file open on fd (not a newer lock file). */
static int
same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void
outlock_release(int lock_fd, const char *out_path, int remove)
{
	char path[4200];
	int i;

	if (lock_fd < 0)
		return;
	/* Unlink only while holding the only lock: a pipeline that opened
	 * the old file meanwhile is refused, or takes a fresh one.  Both
	 * writing stages try when they finish; while the other still holds
	 * its share, try again for a moment: the last one out removes it. */
	lock_path(path, sizeof(path), out_path);
	for (i = 0; remove && i < OUTLOCK_TRIES; i++) {
		if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0) {
			if (same_file(lock_fd, path))
				unlink(path);
			break;
		}
		if (errno != EWOULDBLOCK)
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
	close(lock_fd);
}
