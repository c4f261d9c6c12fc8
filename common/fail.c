/*
 * fail.c - see fail.h.
 *
 * One word per process, set once by compare-and-swap: the packer's
 * compression threads may fail while its main thread does.
 */
#include "fail.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include "msg.h"

static _Atomic int first_kind;
static _Atomic int first_signal;

int
fail_note(enum fail_kind kind)
{
	int none = FAIL_NONE;

	atomic_compare_exchange_strong(&first_kind, &none, (int)kind);
	return -1;
}

int
fail_note_stop(int sig)
{
	int none = FAIL_NONE;

	if (atomic_compare_exchange_strong(&first_kind, &none, FAIL_STOP))
		atomic_store(&first_signal, sig);
	return -1;
}

int
fail_sys(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	msg_vwarn(strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
	return fail_note(FAIL_SYS);
}

int
fail_nomem(const char *what)
{
	msg_warn("%s: out of memory", what);
	errno = ENOMEM;
	return fail_note(FAIL_SYS);
}

int
fail_data(const char *file, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vdata(file, line, fmt, ap);
	va_end(ap);
	return fail_note(FAIL_DATA);
}

int
fail_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(NULL, fmt, ap);
	va_end(ap);
	return fail_note(FAIL_USAGE);
}

int
fail_peer(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(NULL, fmt, ap);
	va_end(ap);
	return fail_note(FAIL_PEER);
}

enum fail_kind
fail_kind(void)
{
	return (enum fail_kind)atomic_load(&first_kind);
}

int
fail_signal(void)
{
	return atomic_load(&first_signal);
}

int
fail_exit_status(void)
{
	switch (fail_kind()) {
	case FAIL_NONE: return EXIT_OK;
	case FAIL_DATA: return EXIT_DATA;
	case FAIL_USAGE: return EXIT_USAGE;
	case FAIL_STOP: return 128 + fail_signal();
	case FAIL_SYS:
	case FAIL_PEER:
	default: return EXIT_FAIL;
	}
}

int
fail_status_of(int rc)
{
	if (rc < 0 && fail_kind() == FAIL_NONE)
		return EXIT_FAIL;
	return fail_exit_status();
}

void
fail_reset(void)
{
	atomic_store(&first_kind, FAIL_NONE);
	atomic_store(&first_signal, 0);
}
