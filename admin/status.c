/*
 * status.c - see status.h.
 */
#include "status.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"
#include "ipc_names.h"
#include "msg.h"
#include "pipeline.h"
#include "proc.h"
#include "shm_layout.h"
#include "stale.h"

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
	char enc[sizeof(sh->reading_as)];
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
	memcpy(enc, sh->reading_as, sizeof(enc));
	enc[sizeof(enc) - 1] = '\0';
	if (enc[0])
		printf("  encoding:  %s\n", enc);
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

	if (!pipeline_creator_gone(sh, made, 0)) {
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
	struct ipc_names n;
	struct stat st;
	void *m;
	int fd, died, live = 0;

	ipc_names_make(&n, name);
	if (ipc_segment_ours(&n, 1) != 1)
		return -1;
	fd = shm_open(n.shm, O_RDONLY, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < PIPELINE_HEADER_SIZE) {
		close(fd);
		return -1;
	}
	m = mmap(NULL, PIPELINE_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	if (((struct pipeline_shared *)m)->magic == PIPELINE_MAGIC) {
		print_status(name, m);
		live = pipeline_live_stage(m, &died) >= 0;
	} else
		live = print_unready(name, m, st.st_mtime);
	munmap(m, PIPELINE_HEADER_SIZE);
	return live;
}

struct shown {
	int found, live;
};

static int
show_each(const char *name, void *arg)
{
	struct shown *s = arg;
	int rc = status_one(name);

	if (rc >= 0) {
		s->found++;
		s->live += rc;
	}
	return 0;
}

int
status_show(const char *name, int quiet)
{
	struct shown s = { 0, 0 };
	int rc;

	if (name) {
		rc = status_one(name);
		if (rc < 0 && !quiet)
			msg_warn("no pipeline %s (of this user) is running", name);
		return rc;
	}
	if (ipc_each_pipeline(show_each, &s) < 0)
		return -1;
	if (!s.found)
		printf("no csvpack pipeline of this user is running\n");
	return s.live;
}

int
status_run(const char *name, int watch)
{
	const struct timespec second = { 1, 0 };
	int tty = isatty(STDOUT_FILENO), n, seen = 0;

	if (!watch)
		return status_show(name, 0) < 0 ? fail_note(FAIL_SYS) : 0;
	for (;;) {
		if (tty)
			fputs("\033[H\033[2J", stdout);
		n = status_show(name, seen);
		if (n < 0 && !seen)
			return fail_note(FAIL_SYS);
		/* Gone, or nothing of it lives (killed: --cleanup is due). */
		if (n <= 0) {
			if (name)
				printf("pipeline %s has ended\n", name);
			return 0;
		}
		seen = 1;
		if (fflush(stdout) == EOF)
			return fail_sys("stdout");
		nanosleep(&second, NULL);
	}
}
