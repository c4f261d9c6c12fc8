/*
 * problems.c - see problems.h.
 */
#include "problems.h"

#include <stdarg.h>
#include <stdio.h>

#include "fail.h"

static uint64_t count;

int
problem(const char *fmt, ...)
{
	va_list ap;
	int rc;

	count++;
	va_start(ap, fmt);
	rc = vprintf(fmt, ap);
	va_end(ap);
	if (rc < 0 || putchar('\n') == EOF || fflush(stdout) == EOF)
		return fail_sys("stdout");
	return 0;
}

uint64_t
problems_count(void)
{
	return count;
}
