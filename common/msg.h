/*
 * msg.h - diagnostics in the spirit of err(3)/warn(3), and the exit statuses
 * every csvpack program shares.
 *
 * Every message starts with the program's name ("csvpack-producer: ...").
 * Data errors name the input and the physical line: "FILE:LINE: what".
 * Nothing here exits: callers return a status up to main(), which cleans up
 * in one place and exits with it.
 */
#ifndef CSVPACK_MSG_H
#define CSVPACK_MSG_H

#include <stdarg.h>
#include <stdint.h>

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* I/O, a stage died, out of memory */
	EXIT_USAGE = 2,  /* bad command line */
	EXIT_DATA = 65,  /* bad input data (sysexits EX_DATAERR) */
	/* Between the producer and the launcher only: an input could not be
	 * read; the rows before it are in the ring, END sent, so the other
	 * stages finish them.  The launcher then exits EXIT_FAIL. */
	EXIT_FAIL_ORDERLY = 3,
};

void msg_init(const char *argv0);
const char *msg_progname(void);
void msg_quiet(int quiet);      /* quiet: drop msg_info() output */

void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like msg_warn, with ": strerror(errno)" appended (errno read on entry). */
void msg_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: FILE:LINE: what" */
void msg_data(const char *file, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with a va_list; suffix (or NULL) goes after ": ". */
void msg_vwarn(const char *suffix, const char *fmt, va_list ap);
void msg_vdata(const char *file, uint64_t line, const char *fmt, va_list ap);
/* Informational; silenced by msg_quiet(1). */
void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
