/*
 * msg.c - program-name-prefixed diagnostics on stderr.
 *
 * Each message is formatted into one buffer and written with one write(2),
 * so lines from three stages sharing a terminal do not interleave mid-line.
 */
#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *progname = "csvpack";
static int quiet;
static const char *line_start = "";

void
msg_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
	/* On a terminal the packer may be drawing a progress line: a
	 * message first clears it (the line is redrawn after). */
	if (isatty(STDERR_FILENO))
		line_start = "\r\033[K";
}

const char *
msg_progname(void)
{
	return progname;
}

void
msg_quiet(int q)
{
	quiet = q;
}

/* Appends to buf at *len, never past cap; a cut message ends in "...". */
static void
append(char *buf, size_t cap, size_t *len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf + *len, cap - *len, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= cap - *len) {
		*len = cap - 1;
		memcpy(buf + cap - 4, "...", 3);
	} else {
		*len += (size_t)n;
	}
}

static void
appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append(buf, cap, len, fmt, ap);
	va_end(ap);
}

/* Formats "prog: <prefix><fmt>[: suffix]\n" and writes it at once.
 * Diagnostics are not data: an overlong one is cut, visibly. */
static void
emit(const char *prefix, const char *suffix, const char *fmt, va_list ap)
{
	char buf[4096];
	size_t len = 0, cap = sizeof(buf) - 1, off = 0;

	appendf(buf, cap, &len, "%s%s: %s", line_start, progname, prefix);
	append(buf, cap, &len, fmt, ap);
	if (suffix)
		appendf(buf, cap, &len, ": %s", suffix);
	buf[len++] = '\n';
	while (off < len) {
		ssize_t w = write(STDERR_FILENO, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	emit("", NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
msg_warn_errno(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	emit("", strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
msg_vwarn(const char *suffix, const char *fmt, va_list ap)
{
	int saved = errno;

	emit("", suffix, fmt, ap);
	errno = saved;
}

void
msg_vdata(const char *file, uint64_t line, const char *fmt, va_list ap)
{
	char prefix[1200];
	int saved = errno;

	snprintf(prefix, sizeof(prefix), "%.1000s:%llu: ", file,
	    (unsigned long long)line);
	emit(prefix, NULL, fmt, ap);
	errno = saved;
}

void
msg_data(const char *file, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vdata(file, line, fmt, ap);
	va_end(ap);
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	emit("", NULL, fmt, ap);
	va_end(ap);
}
