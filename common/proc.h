/*
 * proc.h - is a process still the one we think it is?
 *
 * A pid alone can be reused; pid + start time (field 22 of /proc/PID/stat,
 * in clock ticks since boot) names one process for good.  A zombie counts
 * as dead: it runs no code, and the launcher may not have reaped it yet.
 */
#ifndef CSVPACK_PROC_H
#define CSVPACK_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* The start time of pid, or 0 if it cannot be read (the process is gone). */
uint64_t proc_start_time(pid_t pid);
/* 1 if pid runs and started at start_time, 0 if not, -1 (errno set) if
 * /proc/PID/stat cannot be read for another reason than its absence:
 * then nobody can tell, and the caller must not guess. */
int proc_alive(pid_t pid, uint64_t start_time);
/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t now_ms(void);

#endif
