/*
 * stale.c - see stale.h.
 */
#include "stale.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"
#include "proc.h"
#include "sysio.h"

/* How long a segment with no creator signed counts as being set up. */
#define SETUP_GRACE_S 10

int
pipeline_creator_gone(const struct pipeline_shared *sh, time_t made, int waited_out)
{
	pid_t pid = sh ? (pid_t)atomic_load(&sh->creator_pid) : 0;

	if (pid)
		return !proc_alive(pid, sh->creator_start);
	return waited_out || time(NULL) - made > SETUP_GRACE_S;
}

/* A segment being created: not ready yet, and its creator still there
 * (one that died at that point leaves it for good: fair game). */
static int
segment_starting(const struct stat *st, int fd)
{
	struct pipeline_shared *sh;
	int ready, gone;

	if (st->st_size < PIPELINE_HEADER_SIZE)
		return !pipeline_creator_gone(NULL, st->st_mtime, 0);
	sh = mmap(NULL, PIPELINE_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		return 0;
	ready = (int)atomic_load(&sh->ready);
	gone = pipeline_creator_gone(sh, st->st_mtime, 0);
	munmap(sh, PIPELINE_HEADER_SIZE);
	return !ready && !gone;
}

int
pipeline_live_stage(const struct pipeline_shared *sh, int *died)
{
	int s, state;
	pid_t pid;

	*died = 0;
	for (s = 0; s < STAGE_COUNT; s++) {
		pid = (pid_t)atomic_load(&sh->stage[s].pid);
		state = atomic_load(&sh->stage[s].state);
		if (pid == 0 || state == STAGE_DONE)
			continue;
		if (state == STAGE_RUNNING &&
		    proc_alive(pid, atomic_load(&sh->stage[s].start_time)))
			return s;
		*died = 1;
	}
	return -1;
}

int
pipeline_remove(const char *name)
{
	struct pipeline p;
	int i, removed = 0;

	ipc_names_make(&p.names, name);
	/* The segment's name last: whoever creates it anew (O_EXCL) must
	 * not see semaphores of ours, nor have its own removed by us.  What
	 * is not ours stays. */
	for (i = 0; i < EV_COUNT; i++)
		if (ipc_event_ours(&p.names, i, 0) == 1)
			removed += event_unlink(p.names.ev[i]) == 0;
	if (ipc_segment_ours(&p.names, 0) == 1)
		removed += shm_unlink(p.names.shm) == 0;
	return removed;
}

/* spare_starting: leave a segment that is being created alone (the
 * sweep of every pipeline does; the launcher, which has reaped its own
 * stages, must not). */
static int
cleanup_one(const char *name, int spare_starting)
{
	struct pipeline p;
	struct stat st;
	int fd, s, died;

	memset(&p, 0, sizeof(p));
	ipc_names_make(&p.names, name);
	if (ipc_segment_ours(&p.names, 0) < 0)
		return -1;
	fd = shm_open(p.names.shm, O_RDWR, 0);
	if (fd < 0 && errno != ENOENT)
		return fail_sys("shm_open %s", p.names.shm);
	if (fd >= 0 && fstat(fd, &st) < 0) {
		sys_close(fd);
		return fail_sys("%s: fstat", p.names.shm);
	}
	if (fd >= 0 && spare_starting && segment_starting(&st, fd)) {
		msg_warn("pipeline %s is starting; not removed", name);
		sys_close(fd);
		return -1;
	}
	if (fd >= 0 && st.st_size >= PIPELINE_HEADER_SIZE &&
	    pipeline_map(&p, fd, PIPELINE_HEADER_SIZE) == 0) {
		if (p.sh->magic == PIPELINE_MAGIC &&
		    (s = pipeline_live_stage(p.sh, &died)) >= 0) {
			msg_warn("pipeline %s is running (its %s is pid %ld); "
			    "not removed", name, stage_name(s),
			    (long)atomic_load(&p.sh->stage[s].pid));
			munmap(p.sh, p.map_len);
			sys_close(fd);
			return -1;
		}
		munmap(p.sh, p.map_len);
	}
	if (fd >= 0)
		sys_close(fd);
	return pipeline_remove(name);
}

int
pipeline_cleanup(const char *name)
{
	return cleanup_one(name, 0);
}

static int
sweep_one(const char *name, void *arg)
{
	int *count = arg;

	if (cleanup_one(name, 1) < 0)
		count[1]++;
	else
		count[0]++;
	return 0;
}

int
pipeline_cleanup_all(void)
{
	int count[2] = { 0, 0 }; /* removed, left running */

	if (ipc_each_pipeline(sweep_one, count) < 0)
		return -1;
	if (count[1])
		msg_info("%d running pipeline%s left alone", count[1],
		    count[1] == 1 ? "" : "s");
	return count[0];
}

/* Removes a dead run's objects so that this run can start afresh. Two
 * stages may find the same dead segment: the first to lock it replaces
 * it; the second must not remove the replacement, so it removes only
 * while the name still means this segment. Returns 1: try again. */
int
pipeline_replace_dead(struct pipeline *p, int fd)
{
	char path[sizeof(p->names.shm) + 16];
	struct stat mine, named;
	int ours;

	if (sys_flock(fd, LOCK_EX) < 0 || fstat(fd, &mine) < 0) {
		pipeline_unmap(p);
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/shm%s", p->names.shm);
	ours = lstat(path, &named) == 0 && named.st_dev == mine.st_dev &&
	    named.st_ino == mine.st_ino;
	if (ours) {
		msg_warn("pipeline %s: removing what a dead run left in "
		    "/dev/shm", p->names.name);
		pipeline_remove(p->names.name);
	}
	sys_flock(fd, LOCK_UN);
	pipeline_unmap(p);
	return 1;
}

/* A segment whose stages died, all of them, is a leftover (its launcher
 * was killed too): it is replaced. 1 if so, else 0. */
int
pipeline_remove_if_stale(struct pipeline *p, int fd, int no_events)
{
	int died;

	/* Dead: a stage died and none lives; or, its semaphores gone, none
	 * lives (a removal cut short leaves a segment without them). */
	if (!p->sh || pipeline_live_stage(p->sh, &died) >= 0 || (!died && !no_events))
		return 0;
	return pipeline_replace_dead(p, fd);
}
