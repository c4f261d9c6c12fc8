/*
 * capture.h - what a test's code writes to stdout or stderr, caught in an
 * unlinked temporary file (no echo) and handed back as a string.
 *
 *	struct cap c;
 *	cap_begin(&c, STDERR_FILENO);
 *	... code that complains ...
 *	text = cap_end(&c);		(malloc'd, NUL-terminated)
 */
#ifndef CSVPACK_CAPTURE_H
#define CSVPACK_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

struct cap {
	int target, saved, fd;
};

static inline void
cap_begin(struct cap *c, int target)
{
	char path[] = "/tmp/csvpack-unit-capture-XXXXXX";

	c->target = target;
	c->fd = mkstemp(path);
	ck_assert_int_ge(c->fd, 0);
	unlink(path);
	fflush(stdout);
	fflush(stderr);
	c->saved = dup(target);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_ge(dup2(c->fd, target), 0);
}

/* What was written since cap_begin (malloc'd); the target is restored. */
static inline char *
cap_end(struct cap *c)
{
	off_t n;
	char *text;

	fflush(stdout);
	fflush(stderr);
	ck_assert_int_ge(dup2(c->saved, c->target), 0);
	close(c->saved);
	n = lseek(c->fd, 0, SEEK_END);
	ck_assert_int_ge(n, 0);
	text = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(pread(c->fd, text, (size_t)n, 0), n);
	text[n] = '\0';
	close(c->fd);
	return text;
}

#endif
