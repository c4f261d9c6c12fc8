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

#include "fail.h"
#include "msg.h"
#include "outdir.h"
#include "ipc_names.h"
#include "sysio.h"

#define OUTLOCK_TRIES 200 /* x 10 ms: the first holder writes its name */

static void
pause_10ms(void)
{
	nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
}

/* The name written in the lock; -1 after saying why. */
static int
read_owner(int fd, const char *out_path, char *name, size_t size)
{
	ssize_t n = pread_full(fd, name, size - 1, 0);

	if (n < 0)
		return fail_sys("%s/%s: read", out_path, OUTLOCK_FILE);
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return 0;
}

static void
say_busy(const char *out_path, const char *owner)
{
	msg_warn("%s is in use by pipeline %s; one pipeline per output "
	    "directory", out_path, owner);
}

/* 1 if the lock file names pipeline, 0 (said) if another, -1 on error. */
static int
owned_by(int fd, const char *pipeline, const char *out_path)
{
	char owner[PIPELINE_NAME_MAX + 2];

	if (read_owner(fd, out_path, owner, sizeof(owner)) < 0)
		return -1;
	if (strcmp(owner, pipeline) == 0)
		return 1;
	say_busy(out_path, owner);
	fail_note(FAIL_SYS);
	return 0;
}

/* flock(op | LOCK_NB): 1 taken, 0 held by another, -1 (said) failed. */
static int
try_flock(int fd, int op, const char *out_path)
{
	if (sys_flock(fd, op | LOCK_NB) == 0)
		return 1;
	if (errno == EWOULDBLOCK)
		return 0;
	return fail_sys("flock %s/%s", out_path, OUTLOCK_FILE);
}

int
outlock_take_at(int out_fd, const char *out_path, const char *pipeline)
{
	int fd, i, got;

	if (outdir_open_file(out_fd, out_path, OUTLOCK_FILE, O_RDWR | O_CREAT,
	    0600, &fd) < 0)
		return -1;
	for (i = 0; i < OUTLOCK_TRIES; i++) {
		if ((got = try_flock(fd, LOCK_EX, out_path)) < 0)
			break;
		if (got) {
			if (sys_ftruncate(fd, 0) < 0 ||
			    pwrite_full(fd, pipeline, strlen(pipeline), 0) < 0 ||
			    sys_flock(fd, LOCK_SH) < 0) {
				fail_sys("%s/%s", out_path, OUTLOCK_FILE);
				break;
			}
			/* The change to shared is not atomic: someone may
			 * have slipped in between.  The file says who won. */
			if (owned_by(fd, pipeline, out_path) == 1)
				return fd;
			break;
		}
		if ((got = try_flock(fd, LOCK_SH, out_path)) < 0)
			break;
		if (got) {
			if (owned_by(fd, pipeline, out_path) == 1)
				return fd;
			break;
		}
		/* Held exclusively: its holder is writing its name. */
		pause_10ms();
	}
	if (i == OUTLOCK_TRIES) {
		msg_warn("%s/%s: cannot take the lock", out_path, OUTLOCK_FILE);
		fail_note(FAIL_SYS);
	}
	sys_close(fd);
	return -1;
}

int
outlock_take(const char *out_path, const char *pipeline)
{
	int out_fd, fd;

	if (outdir_open(out_path, 0, &out_fd) < 0)
		return -1;
	fd = outlock_take_at(out_fd, out_path, pipeline);
	sys_close(out_fd);
	return fd;
}

int
outlock_busy_at(int out_fd, const char *out_path, const char *pipeline)
{
	char owner[PIPELINE_NAME_MAX + 2];
	int fd, rc;

	if ((rc = outdir_open_file(out_fd, out_path, OUTLOCK_FILE, O_RDONLY, 0,
	    &fd)) <= 0)
		return rc; /* no lock file: nobody at work there */
	rc = 0;
	if (sys_flock(fd, LOCK_EX | LOCK_NB) == 0) {
		sys_flock(fd, LOCK_UN);
	} else if (errno != EWOULDBLOCK) {
		rc = fail_sys("flock %s/%s", out_path, OUTLOCK_FILE);
	} else if (read_owner(fd, out_path, owner, sizeof(owner)) < 0) {
		rc = -1;
	} else if (!pipeline || strcmp(owner, pipeline)) {
		say_busy(out_path, owner);
		fail_note(FAIL_SYS);
		rc = 1;
	}
	sys_close(fd);
	return rc;
}

int
outlock_busy(const char *out_path, const char *pipeline)
{
	int out_fd, rc;

	if ((rc = outdir_open(out_path, 1, &out_fd)) <= 0)
		return rc;
	rc = outlock_busy_at(out_fd, out_path, pipeline);
	sys_close(out_fd);
	return rc;
}

int
outlock_release_at(int lock_fd, int out_fd, const char *out_path,
    int remove)
{
	int i, rc = 0;

	if (lock_fd < 0)
		return 0;
	/* Unlink only while holding the only lock: a pipeline that opened
	 * the old file meanwhile is refused, or takes a fresh one.  Both
	 * writing stages try when they finish; while the other still holds
	 * its share, try again for a moment: the last one out removes it.
	 * Only the file held goes, never what its name has become. */
	for (i = 0; remove && out_fd >= 0 && i < OUTLOCK_TRIES; i++) {
		if (sys_flock(lock_fd, LOCK_EX | LOCK_NB) == 0) {
			if (outdir_unlink_same(out_fd, OUTLOCK_FILE, lock_fd, 0)
			    < 0)
				rc = fail_sys("%s/%s: unlink", out_path,
				    OUTLOCK_FILE);
			break;
		}
		if (errno != EWOULDBLOCK) {
			rc = fail_sys("flock %s/%s", out_path, OUTLOCK_FILE);
			break;
		}
		pause_10ms();
	}
	sys_close(lock_fd);
	return rc;
}

int
outlock_release(int lock_fd, const char *out_path, int remove)
{
	int out_fd = -1, rc;

	if (lock_fd < 0)
		return 0;
	if (remove && outdir_open(out_path, 0, &out_fd) < 0) {
		sys_close(lock_fd);
		return -1;
	}
	rc = outlock_release_at(lock_fd, out_fd, out_path, remove);
	if (out_fd >= 0)
		sys_close(out_fd);
	return rc;
}
