/*
 * pipeline.c - see pipeline.h.
 */
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"
#include "proc.h"
#include "signals.h"
#include "stale.h"
#include "sysio.h"

const char *
stage_name(enum stage s)
{
	static const char *const names[STAGE_COUNT] = {
		"producer", "converter", "packer",
	};

	return (unsigned)s < STAGE_COUNT ? names[s] : "stage";
}

int
pipeline_map(struct pipeline *p, int fd, size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (m == MAP_FAILED)
		return fail_sys("%s: mmap", p->names.shm);
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
	if (event_open(&p->ev[i], p->names.ev[i], 1) == 0)
		return 0;
	if (errno != EEXIST)
		return fail_sys("sem_open %s", p->names.ev[i]);
	if (ipc_event_ours(&p->names, i, 0) < 0)
		return -1;
	if (event_unlink(p->names.ev[i]) < 0 && errno != ENOENT)
		return fail_sys("sem_unlink %s", p->names.ev[i]);
	if (event_open(&p->ev[i], p->names.ev[i], 1) < 0)
		return fail_sys("sem_open %s", p->names.ev[i]);
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
		if ((ours = ipc_event_ours(&p->names, i, 0)) < 0)
			return -1;
		if (ours == 0)
			return 1;
		if (event_open(&p->ev[i], p->names.ev[i], 0) < 0) {
			if (errno == ENOENT)
				return 1;
			return fail_sys("sem_open %s", p->names.ev[i]);
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

	sh = mmap(NULL, PIPELINE_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		return fail_sys("%s: mmap", p->names.shm);
	sh->creator_start = proc_start_time(getpid());
	if (!sh->creator_start) {
		munmap(sh, PIPELINE_HEADER_SIZE);
		return fail_sys("/proc/%ld/stat", (long)getpid());
	}
	atomic_store(&sh->creator_pid, (int32_t)getpid());
	munmap(sh, PIPELINE_HEADER_SIZE);
	return 0;
}

static int
create_segment(struct pipeline *p, int fd, uint64_t ring_size)
{
	struct pipeline_shared *sh;
	struct timespec ts;

	if (sys_ftruncate(fd, (off_t)(PIPELINE_HEADER_SIZE + ring_size)) < 0)
		return fail_sys("%s: ftruncate to %llu bytes", p->names.shm,
		    (unsigned long long)(PIPELINE_HEADER_SIZE + ring_size));
	if (sign_creator(p, fd) < 0)
		return -1;
	/* Reserve the pages now: a /dev/shm too small for the ring is an
	 * error here, not a SIGBUS at the first touch of a page. */
	while ((errno = posix_fallocate(fd, 0,
	    (off_t)(PIPELINE_HEADER_SIZE + ring_size))) == EINTR)
		;
	if (errno != 0)
		return fail_sys("%s: %llu bytes of shared memory (--ring-size)",
		    p->names.shm, (unsigned long long)(PIPELINE_HEADER_SIZE + ring_size));
	if (pipeline_map(p, fd, PIPELINE_HEADER_SIZE + ring_size) < 0)
		return -1;
	if (open_events(p, 1) < 0)
		return -1;
	sh = p->sh;
	sh->magic = PIPELINE_MAGIC;
	sh->version = PIPELINE_VERSION;
	sh->header_size = PIPELINE_HEADER_SIZE;
	sh->capacity = ring_size;
	sh->owner_uid = (uint32_t)getuid();
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return fail_sys("clock_gettime");
	sh->started = ts.tv_sec;
	sh->started_ms = now_ms();
	if (ring_bind(&p->ring, &sh->ring, (char *)sh + PIPELINE_HEADER_SIZE, ring_size,
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
	uint64_t deadline = now_ms() + PIPELINE_ATTACH_WAIT_MS;
	struct pipeline_shared *sh;
	struct stat st;
	size_t len;

	for (;;) {
		if (fstat(fd, &st) < 0)
			return fail_sys("%s: fstat", p->names.shm);
		if ((size_t)st.st_size >= PIPELINE_HEADER_SIZE) {
			if (!p->sh && pipeline_map(p, fd, PIPELINE_HEADER_SIZE) < 0)
				return -1;
			if (atomic_load(&p->sh->ready))
				break;
		}
		if (signal_caught) {
			msg_warn("stopping: pipeline %s was still being set up",
			    p->names.name);
			return fail_note_stop(signal_caught);
		}
		/* Not ready: half-made if its creator is gone. */
		if (pipeline_creator_gone(p->sh, st.st_mtime, now_ms() > deadline))
			return 2;
		if (now_ms() > deadline) {
			msg_warn("%s: not initialised after %d ms; if no stage "
			    "of pipeline %s runs, remove it with: csvpack "
			    "--cleanup %s", p->names.shm, PIPELINE_ATTACH_WAIT_MS,
			    p->names.name, p->names.name);
			return fail_note(FAIL_SYS);
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
	sh = p->sh;
	len = PIPELINE_HEADER_SIZE + sh->capacity;
	if (sh->magic != PIPELINE_MAGIC || sh->version != PIPELINE_VERSION ||
	    sh->header_size != PIPELINE_HEADER_SIZE || sh->owner_uid != getuid() ||
	    st.st_uid != getuid() || (uint64_t)st.st_size != len) {
		msg_warn("%s: not a csvpack pipeline of this version and user "
		    "(another --name avoids it)", p->names.shm);
		return fail_note(FAIL_SYS);
	}
	munmap(p->sh, p->map_len);
	p->sh = NULL;
	if (pipeline_map(p, fd, len) < 0)
		return -1;
	if (ring_bind(&p->ring, &p->sh->ring, (char *)p->sh + PIPELINE_HEADER_SIZE,
	    p->sh->capacity, 0) < 0) {
		msg_warn("%s: bad ring size", p->names.shm);
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
			    p->names.name, stage_name(p->self), (long)pid);
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

void
pipeline_unmap(struct pipeline *p)
{
	int i;

	for (i = 0; i < EV_COUNT; i++)
		event_close(&p->ev[i]);
	if (p->sh)
		munmap(p->sh, p->map_len);
	p->sh = NULL;
}

/* Opens the segment that another stage made, once it is known to be
 * ours.  Returns a descriptor, -2 if it went away meanwhile (try again),
 * or -1 after saying why. */
static int
open_segment(struct pipeline *p)
{
	int fd, ours = ipc_segment_ours(&p->names, 0);

	if (ours <= 0)
		return ours == 0 ? -2 : -1;
	fd = shm_open(p->names.shm, O_RDWR, 0);
	if (fd < 0 && errno == ENOENT)
		return -2;
	if (fd < 0)
		return fail_sys("shm_open %s", p->names.shm);
	return fd;
}

/* Returns 0, or -1 when the launcher's /proc entry cannot be read (one
 * that is gone leaves start time 0: it counts as dead from then on). */
static int
note_launcher(struct pipeline *p)
{
	const char *s = getenv("CSVPACK_LAUNCHER_PID");
	char *end;
	long v;

	if (!s || !*s)
		return 0;
	v = strtol(s, &end, 10);
	if (*end || v <= 0)
		return 0;
	p->launcher_pid = (pid_t)v;
	p->launcher_start = proc_start_time(p->launcher_pid);
	if (!p->launcher_start && errno != ESRCH)
		return fail_sys("/proc/%ld/stat (the launcher)", v);
	return 0;
}

int
pipeline_attach(struct pipeline *p, const char *name, uint64_t ring_size,
    enum stage self)
{
	int fd, created = 0, tries, rc;

	memset(p, 0, sizeof(*p));
	p->self = self;
	ipc_names_make(&p->names, name);
	if (note_launcher(p) < 0)
		return -1;
	for (tries = 0; tries < 5; tries++) {
		created = 0;
		fd = shm_open(p->names.shm, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			created = 1;
		else if (errno == EEXIST)
			fd = open_segment(p);
		else
			return fail_sys("shm_open %s", p->names.shm);
		if (fd == -2)
			continue; /* removed between our two opens */
		if (fd < 0)
			return -1;
		rc = created ? create_segment(p, fd, ring_size) :
		    join_segment(p, fd);
		if (rc < 0)
			goto fail;
		if (rc == 0 && (created || !pipeline_remove_if_stale(p, fd, 0)))
			break;
		if (rc == 1)
			pipeline_remove_if_stale(p, fd, 1);
		else if (rc == 2)
			pipeline_replace_dead(p, fd);
		pipeline_unmap(p);
		sys_close(fd);
		fd = -1;
	}
	if (!p->sh) {
		msg_warn("%s: cannot attach", p->names.shm);
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
	pipeline_unmap(p);
	if (created)
		pipeline_remove(p->names.name);
	if (signal_caught)
		fail_note_stop(signal_caught);
	return fail_note(FAIL_SYS);
}

/* 1 if every other stage has come and finished: this one is the last. */
static int
last_one_out(struct pipeline *p)
{
	int s;

	/* A stage the dead launcher never started will not come either. */
	if (p->launcher_pid && !proc_alive(p->launcher_pid, p->launcher_start))
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
pipeline_detach(struct pipeline *p, int ok)
{
	int last;

	if (!p->sh)
		return;
	if (p->withdrawn) {
		pipeline_unmap(p);
		return;
	}
	atomic_store(&p->sh->stage[p->self].state, ok ? STAGE_DONE : STAGE_FAILED);
	last = last_one_out(p);
	pipeline_unmap(p);
	if (last || !ok)
		pipeline_remove(p->names.name);
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
	    "is another directory: give every stage the same -o", p->names.name,
	    sh->conf_output, stage_name((enum stage)atomic_load(
	    &sh->conf_setter)), output);
	return -1;
}

/* --xsd: 0 unset, 1 without, 2 with; 0 from a stage that does not care. */
static int
agree_xsd(struct pipeline *p, uint32_t xsd)
{
	uint32_t none = 0;

	if (xsd == 0 ||
	    atomic_compare_exchange_strong(&p->sh->conf_xsd, &none, xsd) ||
	    none == xsd)
		return 0;
	msg_warn("pipeline %s runs %s --xsd; this stage %s: give the converter "
	    "and the packer the same --xsd", p->names.name,
	    none == 2 ? "with" : "without", xsd == 2 ? "has it" : "does not");
	return -1;
}

int
pipeline_agree(struct pipeline *p, const char *output, uint64_t batch,
    uint32_t xsd)
{
	struct stat st;
	uint64_t none = 0, theirs;

	if (stat(output, &st) < 0)
		return fail_sys("%s", output);
	if (agree_output(p, output, &st) < 0 || agree_xsd(p, xsd) < 0)
		goto refused;
	if (batch == 0 ||
	    atomic_compare_exchange_strong(&p->sh->conf_batch, &none, batch))
		return 0;
	theirs = none;
	if (theirs == batch)
		return 0;
	msg_warn("pipeline %s packs %llu documents per archive; -b %llu "
	    "differs: give the converter and the packer the same -b", p->names.name,
	    (unsigned long long)theirs, (unsigned long long)batch);
refused:
	/* The pipeline is right, this stage is not: its slot is freed for
	 * a stage started the right way, and the others wait on. */
	atomic_store(&p->sh->stage[p->self].state, STAGE_ABSENT);
	atomic_store(&p->sh->stage[p->self].pid, 0);
	p->withdrawn = 1;
	return fail_note(FAIL_USAGE);
}
