/*
 * peers.h - bounded waits that watch the other stages.
 *
 * No stage ever blocks for good: every wait (the ring, an event, the
 * others' arrival) is cut into PIPELINE_SLICE_MS slices, and between two
 * slices the stage checks its peers by pid and start time (proc.h).  A
 * peer that died or failed, the launcher gone before starting a stage, a
 * stage that has not come within --attach-timeout, or a stop signal ends
 * the wait; the caller then asks pipeline_wait_failed() what to record.
 */
#ifndef CSVPACK_PEERS_H
#define CSVPACK_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

/* Checks the other stages: returns 0 if none has died, else -1 after
 * printing which one (and sets p->peer_died), or after saying that
 * /proc could not be read. */
int pipeline_check_peers(struct pipeline *p);
/* Waits until the other two stages have attached (the producer's rows
 * mean nothing if no converter ever comes).  Returns 0, or -1 as
 * pipeline_check_peers does: attach timeout, dead launcher, stop. */
int pipeline_wait_attached(struct pipeline *p);
/* Records why a wait failed (fail.h): a stop if one was asked and no
 * stage died, else a peer's failure.  Returns -1. */
int pipeline_wait_failed(struct pipeline *p);
/* The signal that asked the pipeline to stop (this process's or another
 * stage's), or 0. */
int pipeline_stop_signal(struct pipeline *p);
void pipeline_doing(struct pipeline *p, enum stage_doing what);

/* Blocking ring operations with peer checks; ring_status codes.  They give
 * up with RING_STOPPED when a peer dies, when a stop is requested and
 * p->interruptible is set, or once p->deadline_ms (CLOCK_MONOTONIC) is
 * past (p->deadline_hit is then set). */
int pipeline_push(struct pipeline *p, uint32_t type, const void *data,
    size_t len);
int pipeline_peek(struct pipeline *p, struct ring_rec *rec);

/* Waits for event ev to be set, checking peers.  Returns 0, or -1 if a
 * peer died or a semaphore call failed (printed). */
int pipeline_wait_event(struct pipeline *p, int ev);

#endif
