/*
 * status.h - `csvpack status`: a running pipeline's stages and counters,
 * read from its shared-memory header (shm_layout.h) without taking part
 * in it: the segment is mapped read-only, nothing is written.
 */
#ifndef CSVPACK_STATUS_H
#define CSVPACK_STATUS_H

/* Prints pipeline NAME's counters and stages (or every pipeline of this
 * user when name is NULL) on stdout.  Returns how many of those shown
 * have a live stage, or -1 if NAME was not found (said unless quiet). */
int status_show(const char *name, int quiet);
/* status_show once, or (watch) redrawn every second, like watch(1), until
 * the pipeline, or every pipeline, has ended.  Returns 0 or -1. */
int status_run(const char *name, int watch);

#endif
