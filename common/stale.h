/*
 * stale.h - deciding that a pipeline is dead, and removing what it left.
 *
 * A pipeline's objects outlive its processes when all of them were killed
 * at once (a scheduler's SIGKILL to the job): no one was left to remove
 * them.  Such a segment is recognised by its stage slots, every stage
 * there dead by pid + start time (proc.h), and is replaced by the next
 * run of that name or removed by `csvpack --cleanup`.  A segment whose
 * creator died between creating it and marking it ready is dead too, once
 * its creator is known gone.  A segment with a live stage is never
 * touched; neither is anything not this user's (ipc_names.h).
 */
#ifndef CSVPACK_STALE_H
#define CSVPACK_STALE_H

#include <time.h>

#include "pipeline.h"

/* How long a stage waits for a segment's creator to mark it ready. */
#define PIPELINE_ATTACH_WAIT_MS 5000

/* 1 if the creator of a segment (header sh, NULL if not sized yet; made
 * at `made`) is gone: its pid is signed and dead, or it never signed and
 * the segment is older than 10 s, or the caller has waited its whole
 * PIPELINE_ATTACH_WAIT_MS (signing comes microseconds after creating). */
int pipeline_creator_gone(const struct pipeline_shared *sh, time_t made,
    int waited_out);
/* The first stage whose process lives (-1 if none), and in *died whether
 * some stage died without finishing. */
int pipeline_live_stage(const struct pipeline_shared *sh, int *died);

/* Removes the names of pipeline NAME that are this user's.  Returns how
 * many objects were removed. */
int pipeline_remove(const char *name);
/* Removes pipeline NAME's objects unless one of its stages still runs
 * (then says which and returns -1). */
int pipeline_cleanup(const char *name);
/* pipeline_cleanup() for every pipeline of this user in /dev/shm; running
 * ones, and ones being set up, are left alone (and counted).  Returns how
 * many were removed, or -1 if /dev/shm cannot be read. */
int pipeline_cleanup_all(void);

/* For a stage attaching over the segment open on fd (mapped in p):
 * removes it if the dead run it belongs to is still what its name means
 * (two stages may find the same dead segment; the first replaces it).
 * Returns 1: attach again. */
int pipeline_replace_dead(struct pipeline *p, int fd);
/* pipeline_replace_dead() if no stage of the segment lives and one died
 * (or, no_events: its semaphores are gone).  1 if so, else 0. */
int pipeline_remove_if_stale(struct pipeline *p, int fd, int no_events);

#endif
