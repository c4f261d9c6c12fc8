/*
 * fail.h - the kind of failure that ended an operation, kept for main().
 *
 * The return convention of every library function in csvpack: 0 (or a
 * count) for success, -1 for failure.  Before returning -1, the function
 * that saw the failure first says what failed (msg.h: the operation and the
 * file, or FILE:LINE for bad data) and records its kind here.  Callers pass
 * the -1 up without a word; only a program's main() turns the kind into an
 * exit status, with fail_exit_status().
 *
 * The first kind recorded counts: what fails after it (a peer that gives
 * up, a write to a pipeline already broken) is a consequence, not the
 * cause.  fail_reset() forgets it, for a program that goes on after a
 * handled failure (tests, mostly).
 */
#ifndef CSVPACK_FAIL_H
#define CSVPACK_FAIL_H

#include <stdint.h>

enum fail_kind {
	FAIL_NONE = 0,
	FAIL_SYS,    /* a system call or an allocation failed: exit 1 */
	FAIL_DATA,   /* the input is bad: exit 65 */
	FAIL_USAGE,  /* the command line is: exit 2 */
	FAIL_STOP,   /* a stop signal: exit 128 + the signal */
	FAIL_PEER,   /* another stage died or failed: exit 1 */
};

/* Record a kind (kept only if none is yet); they return -1, for
 * `return fail_note(FAIL_SYS);`. */
int fail_note(enum fail_kind kind);
int fail_note_stop(int sig);

/* Print, then record.  fail_sys appends ": strerror(errno)". */
int fail_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_nomem(const char *what);  /* "WHAT: out of memory" */
int fail_data(const char *file, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int fail_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_peer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

enum fail_kind fail_kind(void);
int fail_signal(void);
/* 0, 1, 2, 65 or 128 + signal, from the kind recorded. */
int fail_exit_status(void);
/* The same after an operation that returned rc: a -1 with no kind
 * recorded (a path that forgot to) is still a failure, EXIT_FAIL. */
int fail_status_of(int rc);
void fail_reset(void);

#endif
