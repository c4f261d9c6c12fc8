/*
 * problems.h - what `csvpack verify` found, one line each on stdout.
 *
 * A problem is not a failure of verify: it is the answer.  Each is one
 * line, written at once, so a user can pipe them to head or grep and see
 * them as they come; all of them are printed, and counted for the
 * summary.  A failure of verify itself (a read error, out of memory) goes
 * the usual way (fail.h) and ends it with exit 1.
 */
#ifndef CSVPACK_PROBLEMS_H
#define CSVPACK_PROBLEMS_H

#include <stdint.h>

/* Prints one problem line.  0, or -1 if stdout failed (said). */
int problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t problems_count(void);

#endif
