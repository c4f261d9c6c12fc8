/*
 * pipeline.c - attach, detach and wait; see pipeline.h for the layout.
 */
#include "pipeline.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"
#include "proc.h"
#include "signals.h"
#include "sysio.h"

#define HEADER_SIZE 4096u
#define ATTACH_WAIT_MS 5000

static const char *const ev_suffix[EV_COUNT] = {
	"data", "space", "converted", "packed",
};

static int map_segment(struct pipeline *p, int fd, size_t len);
static int note_launcher(void);
static int live_stage(const struct pipeline_shared *sh, int *died);

_Static_assert(sizeof(struct pipeline_shared) <= HEADER_SIZE,
    "the shared header must fit its page");

const char *
stage_name(enum stage s)
{
	static const char *const names[STAGE_COUNT] = {
		"producer", "converter", "packer",
	};

	return (unsigned)s < STAGE_COUNT ? names[s] : "stage";
}

int
pipeline_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > PIPELINE_NAME_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Fills in the object names; the name must be valid. */
static void
make_names(struct pipeline *p, const char *name)
{
	int i;

	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->shm_name, sizeof(p->shm_name), "/csvpack-%lu-%s",
	    (unsigned long)getuid(), name);
	for (i = 0; i < EV_COUNT; i++)
		snprintf(p->ev_name[i], sizeof(p->ev_name[i]), "%s.%s",
		    p->shm_name, ev_suffix[i]);
}

/* Where shm_open keeps shm_name ("/csvpack-UID-NAME") on Linux. */
static void
shm_path(char *buf, size_t size, const char *shm_name)
{
	snprintf(buf, size, "/dev/shm%s", shm_name);
}

/* Where sem_open keeps ev_name ("/csvpack-UID-NAME.data") on Linux. */
static void
sem_path(char *buf, size_t size, const char *ev_name)
{
	snprintf(buf, size, "/dev/shm/sem.%s", ev_name + 1);
}

/* May the IPC object at path be used or removed?  1: it is ours (a
 * regular file of this user, closed to others); 0: it is not there; -1:
 * it is someone else's, or not a shared-memory object at all, and is
 * left alone (said, with --name as the way round it).  /dev/shm is
 * sticky, so a name found ours stays ours: no one else can replace it. */
static int
ipc_ours(const char *path, const char *name, int quiet)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : fail_sys("%s", path);
	if (S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 077) == 0)
		return 1;
	if (quiet)
		return -1;
	if (!S_ISREG(st.st_mode))
		msg_warn("%s is not a shared-memory object (mode %06o); not "
		    "used, not removed: give the pipeline another --name than "
		    "%s", path, (unsigned)st.st_mode, name);
	else if (st.st_uid != geteuid())
		msg_warn("%s belongs to uid %lu, not to this user (uid %lu); "
		    "not used, not removed: give the pipeline another --name "
		    "than %s", path, (unsigned long)st.st_uid,
		    (unsigned long)geteuid(), name);
	else
		msg_warn("%s is open to other users (mode %04o); not used, "
		    "not removed: give the pipeline another --name than %s",
		    path, (unsigned)(st.st_mode & 07777), name);
	return fail_note(FAIL_SYS);
}

static int
segment_ours(const struct pipeline *p, int quiet)
{
	char path[sizeof(p->shm_name) + 16];

	shm_path(path, sizeof(path), p->shm_name);
	return ipc_ours(path, p->name, quiet);
}

static int
event_ours(const struct pipeline *p, int i, int quiet)
{
	char path[sizeof(p->ev_name[i]) + 16];

	sem_path(path, sizeof(path), p->ev_name[i]);
	return ipc_ours(path, p->name, quiet);
}

/* How long a segment with no creator signed counts as being set up. */
#define SETUP_GRACE_S 10

/* 1 if the creator of a segment (header sh, NULL if not sized yet; made
 * at `made`) is gone: its pid is signed and dead, or it never signed and
 * the segment is older than SETUP_GRACE_S, or the caller has waited its
 * whole ATTACH_WAIT_MS (signing comes microseconds after creating). */
static int
creator_gone(const struct pipeline_shared *sh, time_t made, int waited_out)
{
	pid_t pid = sh ? (pid_t)atomic_load(&sh->creator_pid) : 0;

	if (pid)
		return !proc_alive(pid, sh->creator_start);
	return waited_out || time(NULL) - made > SETUP_GRACE_S;
}

/* A segment being created: not ready yet, and its creator still there
 * (one that died at that point leaves it for good: fair game). */
static int
starting(const struct stat *st, int fd)
{
	struct pipeline_shared *sh;
	int ready, gone;

	if (st->st_size < HEADER_SIZE)
		return !creator_gone(NULL, st->st_mtime, 0);
	sh = mmap(NULL, HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		return 0;
	ready = (int)atomic_load(&sh->ready);
	gone = creator_gone(sh, st->st_mtime, 0);
	munmap(sh, HEADER_SIZE);
	return !ready && !gone;
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
	make_names(&p, name);
	if (segment_ours(&p, 0) < 0)
		return -1;
	fd = shm_open(p.shm_name, O_RDWR, 0);
	if (fd >= 0 && fstat(fd, &st) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && spare_starting && starting(&st, fd)) {
		msg_warn("pipeline %s is starting; not removed", name);
		close(fd);
		return -1;
	}
	if (fd >= 0 && st.st_size >= HEADER_SIZE &&
	    map_segment(&p, fd, HEADER_SIZE) == 0) {
		if (p.sh->magic == PIPELINE_MAGIC &&
		    (s = live_stage(p.sh, &died)) >= 0) {
			msg_warn("pipeline %s is running (its %s is pid %ld); "
			    "not removed", name, stage_name(s),
			    (long)atomic_load(&p.sh->stage[s].pid));
			munmap(p.sh, p.map_len);
			close(fd);
			return -1;
		}
		munmap(p.sh, p.map_len);
	}
	if (fd >= 0)
		close(fd);
	return pipeline_remove(name);
}

static int
segment_exists(const char *name)
{
	struct pipeline p;
	char path[sizeof(p.shm_name) + 16];
	struct stat st;

	make_names(&p, name);
	shm_path(path, sizeof(path), p.shm_name);
	return stat(path, &st) == 0;
}

int
pipeline_cleanup(const char *name)
{
	return cleanup_one(name, 0);
}

int
pipeline_cleanup_all(void)
{
	char prefix[64], name[PIPELINE_NAME_MAX + 1];
	struct dirent *e;
	DIR *d = opendir("/dev/shm");
	int removed = 0, busy = 0;
	size_t plen;

	if (!d) {
		msg_warn_errno("/dev/shm");
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "csvpack-%lu-", (unsigned long)getuid());
	plen = strlen(prefix);
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		int sem = strncmp(n, "sem.", 4) == 0;
		size_t len;

		if (sem)
			n += 4;
		if (strncmp(n, prefix, plen) != 0)
			continue;
		n += plen;
		len = strlen(n);
		if (sem && strchr(n, '.')) {
			/* a semaphore: NAME.suffix; NAME may hold dots */
			len = (size_t)(strrchr(n, '.') - n);
		}
		if (len == 0 || len > PIPELINE_NAME_MAX)
			continue;
		memcpy(name, n, len);
		name[len] = '\0';
		if (!pipeline_name_valid(name))
			continue;
		/* A pipeline is handled once, at its segment; semaphores
		 * only when they outlived it. */
		if (sem && segment_exists(name))
			continue;
		if (cleanup_one(name, 1) < 0)
			busy++;
		else
			removed++;
	}
	closedir(d);
	if (busy)
		msg_info("%d running pipeline%s left alone", busy,
		    busy == 1 ? "" : "s");
	return removed;
}

int
pipeline_remove(const char *name)
{
	struct pipeline p;
	int i, removed = 0;

	make_names(&p, name);
	/* The segment's name last: whoever creates it anew (O_EXCL) must
	 * not see semaphores of ours, nor have its own removed by us.  What
	 * is not ours stays. */
	for (i = 0; i < EV_COUNT; i++)
		if (event_ours(&p, i, 0) == 1)
			removed += event_unlink(p.ev_name[i]) == 0;
	if (segment_ours(&p, 0) == 1)
		removed += shm_unlink(p.shm_name) == 0;
	return removed;
}

static int
map_segment(struct pipeline *p, int fd, size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (m == MAP_FAILED)
		return fail_sys("%s: mmap", p->shm_name);
	p->sh = m;
	p->map_len = len;
	return 0;
}

/* Creates event i anew; a semaphore of ours already there is a leftover
 * of a run whose segment is gone (the creator holds the segment's name,
 * made O_EXCL), and is replaced. */
static int
create_event(struct pipeline *p, int i)
{
	if (event_open(&p->ev[i], p->ev_name[i], 1) == 0)
		return 0;
	if (errno != EEXIST)
		return fail_sys("sem_open %s", p->ev_name[i]);
	if (event_ours(p, i, 0) < 0)
		return -1;
	if (event_unlink(p->ev_name[i]) < 0 && errno != ENOENT)
		return fail_sys("sem_unlink %s", p->ev_name[i]);
	if (event_open(&p->ev[i], p->ev_name[i], 1) < 0)
		return fail_sys("sem_open %s", p->ev_name[i]);
	return 0;
}

/* Opens (create: makes) the four events.  Returns 0, 1 when joining a
 * dead run's segment that another stage is replacing right now (try
 * again), or -1. */
static int
open_events(struct pipeline *p, int create)
{
	int i, ours;

	for (i = 0; i < EV_COUNT; i++) {
		if (create) {
			if (create_event(p, i) < 0)
				return -1;
			continue;
		}
		if ((ours = event_ours(p, i, 0)) < 0)
			return -1;
		if (ours == 0)
			return 1;
		if (event_open(&p->ev[i], p->ev_name[i], 0) < 0) {
			if (errno == ENOENT)
				return 1;
			return fail_sys("sem_open %s", p->ev_name[i]);
		}
	}
	return 0;
}

/* The creator's pid goes in first, so that a sweep can tell a pipeline
 * being set up from one whose creator died doing so. */
static int
sign_creator(struct pipeline *p, int fd)
{
	struct pipeline_shared *sh;

	sh = mmap(NULL, HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		return fail_sys("%s: mmap", p->shm_name);
	sh->creator_start = proc_start_time(getpid());
	if (!sh->creator_start) {
		munmap(sh, HEADER_SIZE);
		return fail_sys("/proc/%ld/stat", (long)getpid());
	}
	atomic_store(&sh->creator_pid, (int32_t)getpid());
	munmap(sh, HEADER_SIZE);
	return 0;
}

static int
create_segment(struct pipeline *p, int fd, uint64_t ring_size)
{
	struct pipeline_shared *sh;
	struct timespec ts;

	if (sys_ftruncate(fd, (off_t)(HEADER_SIZE + ring_size)) < 0)
		return fail_sys("%s: ftruncate to %llu bytes", p->shm_name,
		    (unsigned long long)(HEADER_SIZE + ring_size));
	if (sign_creator(p, fd) < 0)
		return -1;
	/* Reserve the pages now: a /dev/shm too small for the ring is an
	 * error here, not a SIGBUS at the first touch of a page. */
	while ((errno = posix_fallocate(fd, 0,
	    (off_t)(HEADER_SIZE + ring_size))) == EINTR)
		;
	if (errno != 0)
		return fail_sys("%s: %llu bytes of shared memory (--ring-size)",
		    p->shm_name, (unsigned long long)(HEADER_SIZE + ring_size));
	if (map_segment(p, fd, HEADER_SIZE + ring_size) < 0)
		return -1;
	if (open_events(p, 1) < 0)
		return -1;
	sh = p->sh;
	sh->magic = PIPELINE_MAGIC;
	sh->version = PIPELINE_VERSION;
	sh->header_size = HEADER_SIZE;
	sh->capacity = ring_size;
	sh->owner_uid = (uint32_t)getuid();
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return fail_sys("clock_gettime");
	sh->started = ts.tv_sec;
	sh->started_ms = now_ms();
	if (ring_bind(&p->ring, &sh->ring, (char *)sh + HEADER_SIZE, ring_size,
	    1) < 0)
		return fail_usage("ring size %llu is not a power of two >= 4096",
		    (unsigned long long)ring_size);
	atomic_store(&sh->ready, 1);
	return 0;
}

/* Waits for the creator to finish, then checks what it made. Returns 0,
 * 1 if its semaphores went away meanwhile, 2 if it is half-made (its
 * creator died), or -1 (errno EINTR if a signal stopped the wait). */
static int
join_segment(struct pipeline *p, int fd)
{
	uint64_t deadline = now_ms() + ATTACH_WAIT_MS;
	struct pipeline_shared *sh;
	struct stat st;
	size_t len;

	for (;;) {
		if (fstat(fd, &st) < 0)
			return fail_sys("%s: fstat", p->shm_name);
		if ((size_t)st.st_size >= HEADER_SIZE) {
			if (!p->sh && map_segment(p, fd, HEADER_SIZE) < 0)
				return -1;
			if (atomic_load(&p->sh->ready))
				break;
		}
		if (signal_caught) {
			msg_warn("stopping: pipeline %s was still being set up",
			    p->name);
			return fail_note_stop(signal_caught);
		}
		/* Not ready: half-made if its creator is gone. */
		if (creator_gone(p->sh, st.st_mtime, now_ms() > deadline))
			return 2;
		if (now_ms() > deadline) {
			msg_warn("%s: not initialised after %d ms; if no stage "
			    "of pipeline %s runs, remove it with: csvpack "
			    "--cleanup %s", p->shm_name, ATTACH_WAIT_MS,
			    p->name, p->name);
			return fail_note(FAIL_SYS);
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
	sh = p->sh;
	len = HEADER_SIZE + sh->capacity;
	if (sh->magic != PIPELINE_MAGIC || sh->version != PIPELINE_VERSION ||
	    sh->header_size != HEADER_SIZE || sh->owner_uid != getuid() ||
	    st.st_uid != getuid() || (uint64_t)st.st_size != len) {
		msg_warn("%s: not a csvpack pipeline of this version and user "
		    "(another --name avoids it)", p->shm_name);
		return fail_note(FAIL_SYS);
	}
	munmap(p->sh, p->map_len);
	p->sh = NULL;
	if (map_segment(p, fd, len) < 0)
		return -1;
	if (ring_bind(&p->ring, &p->sh->ring, (char *)p->sh + HEADER_SIZE,
	    p->sh->capacity, 0) < 0) {
		msg_warn("%s: bad ring size", p->shm_name);
		return fail_note(FAIL_SYS);
	}
	return open_events(p, 0);
}

/* Takes this stage's slot; refuses if a live process holds it. */
static int
register_stage(struct pipeline *p)
{
	struct stage_slot *slot = &p->sh->stage[p->self];
	pid_t pid = (pid_t)atomic_load(&slot->pid);
	uint64_t start;
	int alive;

	if (pid && atomic_load(&slot->state) == STAGE_RUNNING) {
		alive = proc_alive(pid, atomic_load(&slot->start_time));
		if (alive < 0)
			return fail_sys("/proc/%ld/stat", (long)pid);
		if (alive) {
			msg_warn("pipeline %s already has a %s (pid %ld)",
			    p->name, stage_name(p->self), (long)pid);
			return fail_note(FAIL_SYS);
		}
	}
	start = proc_start_time(getpid());
	if (!start)
		return fail_sys("/proc/%ld/stat", (long)getpid());
	atomic_store(&slot->start_time, start);
	atomic_store(&slot->heartbeat_ms, now_ms());
	atomic_store(&slot->state, STAGE_RUNNING);
	atomic_store(&slot->pid, (int32_t)getpid());
	return 0;
}

/* Who holds the segment: the first stage whose process lives (-1 if none),
 * and whether some stage died without finishing. */
static int
live_stage(const struct pipeline_shared *sh, int *died)
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

static void
unmap_all(struct pipeline *p)
{
	int i;

	for (i = 0; i < EV_COUNT; i++)
		event_close(&p->ev[i]);
	if (p->sh)
		munmap(p->sh, p->map_len);
	p->sh = NULL;
}

/* Removes a dead run's objects so that this run can start afresh. Two
 * stages may find the same dead segment: the first to lock it replaces
 * it; the second must not remove the replacement, so it removes only
 * while the name still means this segment. Returns 1: try again. */
static int
replace_dead(struct pipeline *p, int fd)
{
	char path[sizeof(p->shm_name) + 16];
	struct stat mine, named;
	int ours;

	if (sys_flock(fd, LOCK_EX) < 0 || fstat(fd, &mine) < 0) {
		unmap_all(p);
		return 1;
	}
	shm_path(path, sizeof(path), p->shm_name);
	ours = stat(path, &named) == 0 && named.st_dev == mine.st_dev &&
	    named.st_ino == mine.st_ino;
	if (ours) {
		msg_warn("pipeline %s: removing what a dead run left in "
		    "/dev/shm", p->name);
		pipeline_remove(p->name);
	}
	sys_flock(fd, LOCK_UN);
	unmap_all(p);
	return 1;
}

/* A segment whose stages died, all of them, is a leftover (its launcher
 * was killed too): it is replaced. 1 if so, else 0. */
static int
remove_if_stale(struct pipeline *p, int fd, int no_events)
{
	int died;

	/* Dead: a stage died and none lives; or, its semaphores gone, none
	 * lives (a removal cut short leaves a segment without them). */
	if (!p->sh || live_stage(p->sh, &died) >= 0 || (!died && !no_events))
		return 0;
	return replace_dead(p, fd);
}

/* Opens the segment that another stage made, once it is known to be
 * ours.  Returns a descriptor, -2 if it went away meanwhile (try again),
 * or -1 after saying why. */
static int
open_segment(struct pipeline *p)
{
	int fd, ours = segment_ours(p, 0);

	if (ours <= 0)
		return ours == 0 ? -2 : -1;
	fd = shm_open(p->shm_name, O_RDWR, 0);
	if (fd < 0 && errno == ENOENT)
		return -2;
	if (fd < 0)
		return fail_sys("shm_open %s", p->shm_name);
	return fd;
}

int
pipeline_attach(struct pipeline *p, const char *name, uint64_t ring_size,
    enum stage self)
{
	int fd, created = 0, tries, rc;

	memset(p, 0, sizeof(*p));
	p->self = self;
	make_names(p, name);
	if (note_launcher() < 0)
		return -1;
	for (tries = 0; tries < 5; tries++) {
		created = 0;
		fd = shm_open(p->shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			created = 1;
		else if (errno == EEXIST)
			fd = open_segment(p);
		else
			return fail_sys("shm_open %s", p->shm_name);
		if (fd == -2)
			continue; /* removed between our two opens */
		if (fd < 0)
			return -1;
		rc = created ? create_segment(p, fd, ring_size) :
		    join_segment(p, fd);
		if (rc < 0)
			goto fail;
		if (rc == 0 && (created || !remove_if_stale(p, fd, 0)))
			break;
		if (rc == 1)
			remove_if_stale(p, fd, 1);
		else if (rc == 2)
			replace_dead(p, fd);
		unmap_all(p);
		sys_close(fd);
		fd = -1;
	}
	if (!p->sh) {
		msg_warn("%s: cannot attach", p->shm_name);
		return fail_note(FAIL_SYS);
	}
	sys_close(fd);
	fd = -1;
	ring_set_events(&p->ring, &p->ev[EV_DATA], &p->ev[EV_SPACE]);
	if (register_stage(p) < 0)
		goto fail;
	return 0;
fail:
	if (fd >= 0)
		sys_close(fd);
	unmap_all(p);
	if (created)
		pipeline_remove(p->name);
	if (signal_caught)
		fail_note_stop(signal_caught);
	return fail_note(FAIL_SYS);
}

/* The launcher that started this stage (CSVPACK_LAUNCHER_PID), if any:
 * once it is gone, a stage it never started will not come. */
static pid_t launcher_pid;
static uint64_t launcher_start;

/* 1 if every other stage has come and finished: this one is the last. */
static int
last_one_out(struct pipeline *p)
{
	int s;

	/* A stage the dead launcher never started will not come either. */
	if (launcher_pid && !proc_alive(launcher_pid, launcher_start))
		for (s = 0; s < STAGE_COUNT; s++)
			if (atomic_load(&p->sh->stage[s].pid) == 0)
				return 1;
	/* Nor is a stage that has not come by a stop worth waiting for. */
	for (s = 0; s < STAGE_COUNT; s++)
		if (s != (int)p->self &&
		    atomic_load(&p->sh->stage[s].state) != STAGE_DONE &&
		    !(atomic_load(&p->sh->stop) &&
		    atomic_load(&p->sh->stage[s].pid) == 0))
			return 0;
	return 1;
}

void
pipeline_detach(struct pipeline *p, int ok, int broken)
{
	int last;

	if (!p->sh)
		return;
	if (p->withdrawn) {
		unmap_all(p);
		return;
	}
	atomic_store(&p->sh->stage[p->self].state, ok ? STAGE_DONE : STAGE_FAILED);
	last = last_one_out(p);
	unmap_all(p);
	if (last || broken)
		pipeline_remove(p->name);
}

/* Returns 0, or -1 when the launcher's /proc entry cannot be read (one
 * that is gone leaves start time 0: it counts as dead from then on). */
static int
note_launcher(void)
{
	const char *s = getenv("CSVPACK_LAUNCHER_PID");
	char *end;
	long v;

	if (!s || !*s)
		return 0;
	v = strtol(s, &end, 10);
	if (*end || v <= 0)
		return 0;
	launcher_pid = (pid_t)v;
	launcher_start = proc_start_time(launcher_pid);
	if (!launcher_start && errno != ESRCH)
		return fail_sys("/proc/%ld/stat (the launcher)", v);
	return 0;
}

void
pipeline_set_attach_timeout(struct pipeline *p, unsigned seconds)
{
	p->attach_timeout_s = seconds;
	p->attach_deadline_ms = seconds ? now_ms() + seconds * UINT64_C(1000) :
	    0;
}

static int
agree_output(struct pipeline *p, const char *output, const struct stat *st)
{
	struct pipeline_shared *sh = p->sh;
	const struct timespec ms = { 0, 1000 * 1000 };
	uint32_t unset = 0;
	int i;

	if (atomic_compare_exchange_strong(&sh->conf_state, &unset, 1)) {
		sh->conf_dev = (uint64_t)st->st_dev;
		sh->conf_ino = (uint64_t)st->st_ino;
		snprintf(sh->conf_output, sizeof(sh->conf_output), "%s", output);
		atomic_store(&sh->conf_setter, (uint32_t)p->self);
		atomic_store(&sh->conf_state, 2);
		return 0;
	}
	for (i = 0; i < 1000 && atomic_load(&sh->conf_state) != 2; i++)
		nanosleep(&ms, NULL);
	if (atomic_load(&sh->conf_state) != 2)
		return 0; /* its writer died mid-way: nothing to compare */
	if (sh->conf_dev == (uint64_t)st->st_dev &&
	    sh->conf_ino == (uint64_t)st->st_ino)
		return 0;
	msg_warn("pipeline %s writes into '%s' (so its %s was told); -o '%s' "
	    "is another directory: give every stage the same -o", p->name,
	    sh->conf_output, stage_name((enum stage)atomic_load(
	    &sh->conf_setter)), output);
	return -1;
}

int
pipeline_agree(struct pipeline *p, const char *output, uint64_t batch)
{
	struct stat st;
	uint64_t none = 0, theirs;

	if (stat(output, &st) < 0)
		return fail_sys("%s", output);
	if (agree_output(p, output, &st) < 0)
		goto refused;
	if (batch == 0 ||
	    atomic_compare_exchange_strong(&p->sh->conf_batch, &none, batch))
		return 0;
	theirs = none;
	if (theirs == batch)
		return 0;
	msg_warn("pipeline %s packs %llu documents per archive; -b %llu "
	    "differs: give the converter and the packer the same -b", p->name,
	    (unsigned long long)theirs, (unsigned long long)batch);
refused:
	/* The pipeline is right, this stage is not: its slot is freed for
	 * a stage started the right way, and the others wait on. */
	atomic_store(&p->sh->stage[p->self].state, STAGE_ABSENT);
	atomic_store(&p->sh->stage[p->self].pid, 0);
	p->withdrawn = 1;
	return fail_note(FAIL_USAGE);
}

int
pipeline_wait_attached(struct pipeline *p)
{
	const struct timespec slice = { 0, 100 * 1000 * 1000 };
	int s, missing;

	for (;;) {
		missing = 0;
		for (s = 0; s < STAGE_COUNT; s++)
			if (s != (int)p->self &&
			    atomic_load(&p->sh->stage[s].pid) == 0)
				missing = 1;
		if (!missing)
			return 0;
		pipeline_stop_signal(p);
		if (pipeline_check_peers(p) < 0)
			return -1;
		nanosleep(&slice, NULL);
	}
}

int
pipeline_wait_failed(struct pipeline *p)
{
	int sig = pipeline_stop_signal(p);

	if (sig && !p->peer_died)
		return fail_note_stop(sig);
	return fail_note(p->peer_died ? FAIL_PEER : FAIL_SYS);
}

/* Stage s has not attached yet.  It will not come if the launcher that
 * should start it is dead or the attach timeout has passed; and a stop
 * request need not wait for it.  Returns -1 in those cases. */
static int
missing_peer(struct pipeline *p, enum stage s, int orphan)
{
	if (orphan) {
		msg_warn("the launcher died before the %s started",
		    stage_name(s));
		p->peer_died = 1;
		return -1;
	}
	if (p->attach_deadline_ms && now_ms() >= p->attach_deadline_ms) {
		msg_warn("no %s joined pipeline %s within %u s "
		    "(--attach-timeout)", stage_name(s), p->name,
		    p->attach_timeout_s);
		p->peer_died = 1;
		return -1;
	}
	if (atomic_load(&p->sh->stop)) {
		if (!p->told_missing++)
			msg_info("stopping: no %s joined pipeline %s",
			    stage_name(s), p->name);
		return -1;
	}
	return 0;
}

int
pipeline_check_peers(struct pipeline *p)
{
	struct pipeline_shared *sh = p->sh;
	int s, orphan, alive;

	atomic_store(&sh->stage[p->self].heartbeat_ms, now_ms());
	orphan = launcher_pid && !proc_alive(launcher_pid, launcher_start);
	for (s = 0; s < STAGE_COUNT; s++) {
		struct stage_slot *slot = &sh->stage[s];
		pid_t pid = (pid_t)atomic_load(&slot->pid);
		int state = atomic_load(&slot->state);

		if (s != (int)p->self && pid == 0 &&
		    missing_peer(p, (enum stage)s, orphan) < 0)
			return -1;
		if (s == (int)p->self || pid == 0 || state == STAGE_DONE)
			continue;
		if (state == STAGE_FAILED) {
			msg_warn("the %s (pid %ld) failed", stage_name(s),
			    (long)pid);
			p->peer_died = 1;
			return -1;
		}
		alive = proc_alive(pid, atomic_load(&slot->start_time));
		if (alive < 0) {
			fail_sys("/proc/%ld/stat (the %s)", (long)pid,
			    stage_name(s));
			return -1;
		}
		if (!alive) {
			msg_warn("the %s (pid %ld) died", stage_name(s),
			    (long)pid);
			p->peer_died = 1;
			return -1;
		}
	}
	return 0;
}

int
pipeline_stop_signal(struct pipeline *p)
{
	uint32_t zero = 0;

	if (signal_caught)
		atomic_compare_exchange_strong(&p->sh->stop, &zero,
		    (uint32_t)signal_caught);
	return (int)atomic_load(&p->sh->stop);
}

void
pipeline_doing(struct pipeline *p, enum stage_doing what)
{
	atomic_store_explicit(&p->sh->stage[p->self].doing, what,
	    memory_order_relaxed);
}

static int
ring_idle(void *arg)
{
	struct pipeline *p = arg;

	pipeline_doing(p, DOING_WAITING_RING);
	if (pipeline_check_peers(p) < 0)
		return 1;
	if (p->deadline_ms && now_ms() >= p->deadline_ms) {
		p->deadline_hit = 1;
		return 1;
	}
	return p->interruptible && pipeline_stop_signal(p);
}

int
pipeline_push(struct pipeline *p, uint32_t type, const void *data, size_t len)
{
	int rc = ring_push(&p->ring, type, data, len, PIPELINE_SLICE_MS,
	    ring_idle, p);

	pipeline_doing(p, DOING_WORKING);
	return rc;
}

int
pipeline_peek(struct pipeline *p, struct ring_rec *rec)
{
	int rc = ring_peek(&p->ring, rec, PIPELINE_SLICE_MS, ring_idle, p);

	pipeline_doing(p, DOING_WORKING);
	return rc;
}

int
pipeline_wait_event(struct pipeline *p, int ev)
{
	int rc;

	pipeline_doing(p, DOING_WAITING_PEER);
	for (;;) {
		rc = event_wait(&p->ev[ev], PIPELINE_SLICE_MS);
		if (rc == 0)
			return 0;
		if (rc != ETIMEDOUT && rc != EINTR) {
			errno = rc;
			msg_warn_errno("sem_clockwait %s", p->ev_name[ev]);
			return -1;
		}
		pipeline_stop_signal(p);
		if (pipeline_check_peers(p) < 0)
			return -1;
	}
}

static const char *
doing_name(const struct stage_slot *slot, uint32_t doing)
{
	static const char *const names[] = {
		"starting", "working", "waiting on the ring",
		"waiting on its peer", "packing",
	};
	int state = atomic_load(&slot->state);

	if (state == STAGE_ABSENT)
		return "not started";
	if (state == STAGE_DONE)
		return "done";
	if (state == STAGE_FAILED)
		return "failed";
	if (!proc_alive((pid_t)atomic_load(&slot->pid),
	    atomic_load(&slot->start_time)))
		return "dead";
	return doing < sizeof(names) / sizeof(names[0]) ? names[doing] : "?";
}

static void
print_status(const char *name, const struct pipeline_shared *sh)
{
	const struct pipeline_counters *c = &sh->count;
	uint64_t fill = atomic_load(&sh->ring.write_pos) -
	    atomic_load(&sh->ring.read_pos);
	int s;

	printf("pipeline %s: %.1f s\n", name,
	    (double)(now_ms() - sh->started_ms) / 1000.0);
	for (s = 0; s < STAGE_COUNT; s++) {
		const struct stage_slot *slot = &sh->stage[s];

		printf("  %-9s pid %-7ld %s\n", stage_name(s),
		    (long)atomic_load(&slot->pid),
		    doing_name(slot, atomic_load(&slot->doing)));
	}
	printf("  read:      %llu inputs, %llu rows, %.1f MB of CSV",
	    (unsigned long long)atomic_load(&c->inputs),
	    (unsigned long long)atomic_load(&c->rows),
	    (double)atomic_load(&c->csv_bytes) / 1e6);
	if (atomic_load(&c->input_total))
		printf(" of %.1f MB", (double)atomic_load(&c->input_total) / 1e6);
	putchar('\n');
	printf("  converted: %llu documents, %.1f MB of XML\n",
	    (unsigned long long)atomic_load(&c->documents),
	    (double)atomic_load(&c->xml_bytes) / 1e6);
	printf("  packed:    %llu archives, %.1f MB\n",
	    (unsigned long long)atomic_load(&c->archives),
	    (double)atomic_load(&c->archive_bytes) / 1e6);
	printf("  ring:      %.1f of %.1f MB (%.0f%%)\n", (double)fill / 1e6,
	    (double)sh->capacity / 1e6,
	    sh->capacity ? 100.0 * (double)fill / (double)sh->capacity : 0.0);
}

/* A header not written yet: its creator is setting it up, or died doing
 * so and left it half-made. 1 while the creator lives, else 0. */
static int
print_unready(const char *name, const struct pipeline_shared *sh,
    time_t made)
{
	pid_t pid = (pid_t)atomic_load(&sh->creator_pid);

	if (!creator_gone(sh, made, 0)) {
		if (pid)
			printf("pipeline %s: being set up by pid %ld\n", name,
			    (long)pid);
		else
			printf("pipeline %s: being set up\n", name);
		return 1;
	}
	printf("pipeline %s: left half-made by a stage that died "
	    "(csvpack --cleanup %s removes it)\n", name, name);
	return 0;
}

/* Maps NAME's header read-only and prints it; 1 if a stage of it lives,
 * 0 if none does, -1 if it is not there. */
static int
status_one(const char *name)
{
	struct pipeline p;
	struct stat st;
	void *m;
	int fd, died, live = 0;

	memset(&p, 0, sizeof(p));
	make_names(&p, name);
	if (segment_ours(&p, 1) != 1)
		return -1;
	fd = shm_open(p.shm_name, O_RDONLY, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < HEADER_SIZE) {
		close(fd);
		return -1;
	}
	m = mmap(NULL, HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	if (((struct pipeline_shared *)m)->magic == PIPELINE_MAGIC) {
		print_status(name, m);
		live = live_stage(m, &died) >= 0;
	} else
		live = print_unready(name, m, st.st_mtime);
	munmap(m, HEADER_SIZE);
	return live;
}

int
pipeline_status(const char *name, int quiet)
{
	char prefix[64];
	struct dirent *e;
	size_t plen;
	int found = 0, live = 0, rc;
	DIR *d;

	if (name) {
		rc = status_one(name);
		if (rc < 0 && !quiet)
			msg_warn("no pipeline %s (of this user) is running", name);
		return rc;
	}
	d = opendir("/dev/shm");
	if (!d) {
		msg_warn_errno("/dev/shm");
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "csvpack-%lu-", (unsigned long)getuid());
	plen = strlen(prefix);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, plen) == 0 &&
		    pipeline_name_valid(e->d_name + plen) &&
		    (rc = status_one(e->d_name + plen)) >= 0) {
			found++;
			live += rc;
		}
	closedir(d);
	if (!found)
		printf("no csvpack pipeline of this user is running\n");
	return live;
}
