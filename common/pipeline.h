/*
 * pipeline.h - one stage's membership of a pipeline: attach, agree,
 * detach.  What the stages share is one shared-memory segment (its layout
 * and who writes what: shm_layout.h) and four events, all named after the
 * pipeline (ipc_names.h).
 *
 * Stages attach in any order: the first creates everything (O_EXCL, mode
 * 0600) and marks the header ready last; the others open it, after
 * checking it is this user's, and wait for that.  A segment whose stages
 * all died, or whose creator died setting it up, is replaced (stale.h).
 * Each stage records its pid and start time in the header, so the others
 * can tell when it has died; every wait is a bounded wait that checks
 * (peers.h).  The last of the three to finish removes the names (a stage
 * that finishes before the others have come leaves them be); a stage that
 * leaves a broken pipeline removes them at once.
 */
#ifndef CSVPACK_PIPELINE_H
#define CSVPACK_PIPELINE_H

#include <stdint.h>
#include <sys/types.h>

#include "event.h"
#include "ipc_names.h"
#include "ring.h"
#include "shm_layout.h"

#define PIPELINE_SLICE_MS 100  /* every wait wakes this often to check */

struct pipeline {
	enum stage self;
	struct ipc_names names;
	struct pipeline_shared *sh;
	size_t map_len;
	struct ring ring;
	struct event ev[EV_COUNT];
	/* The launcher that started this stage (CSVPACK_LAUNCHER_PID), if
	 * any: once it is gone, a stage it never started will not come. */
	pid_t launcher_pid;
	uint64_t launcher_start;
	int interruptible; /* ring waits give up when a stop is requested */
	int peer_died;
	uint64_t attach_deadline_ms; /* a stage not come by then fails us */
	unsigned attach_timeout_s;
	int told_missing;
	int withdrawn;     /* refused by pipeline_agree: left no trace */
	uint64_t deadline_ms; /* ring waits give up then (0: never) ... */
	int deadline_hit;     /* ... and say so here */
};

const char *stage_name(enum stage s);

/* Creates or joins the pipeline.  ring_size is used only by the creator.
 * Returns 0, or -1 after saying why (a signal that stopped the wait for a
 * creator is recorded as a stop).  IPC objects of the pipeline's names
 * that are not this user's are refused, never used or removed. */
int pipeline_attach(struct pipeline *p, const char *name, uint64_t ring_size,
    enum stage self);
/* Records how this stage ended and leaves; removes the names if the other
 * two stages are done, or if this one did not end in order (the pipeline
 * cannot go on).  A stage pipeline_agree refused leaves no trace. */
void pipeline_detach(struct pipeline *p, int ok);
/* Unmaps the segment and closes the events (the names stay). */
void pipeline_unmap(struct pipeline *p);
/* Maps len bytes of the segment open on fd into p->sh.  0 or -1. */
int pipeline_map(struct pipeline *p, int fd, size_t len);

/* The other stages must have attached within seconds from now (0: no
 * limit), or pipeline_check_peers fails saying which one never came. */
void pipeline_set_attach_timeout(struct pipeline *p, unsigned seconds);

/* Stages started by hand may be given different options.  The first
 * stage here records its output directory (which must exist), batch
 * size (0: this stage has none) and --xsd (0: this stage does not care;
 * 1 without, 2 with); a later one with others is refused with a message
 * saying what differs, and withdraws: the others wait for a stage
 * started the right way.  Returns 0, or -1 after saying why (a mismatch
 * is FAIL_USAGE). */
int pipeline_agree(struct pipeline *p, const char *output, uint64_t batch,
    uint32_t xsd);

#endif
