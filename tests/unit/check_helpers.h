/*
 * check_helpers.h - the small assertions every suite uses besides Check's.
 *
 * Check records the location of every passing ck_assert with a write(2),
 * so the hot loops use these instead: they call into Check only when the
 * condition fails.
 *
 *   REQUIRE_MSG(cond, fmt, ...)  fails with the printf-style message
 *   REQUIRE(cond)                fails with "failed: cond"
 *   REQUIRE_EQ(a, b)             integers; fails showing both values
 *   assert_has(text, part)       strstr(text, part), showing both
 *
 * Two hooks, defined by a file before it includes this header:
 *
 *   REQUIRE_UNDO()  what a failure undoes before Check is told (kill a
 *                   forked child, unlink named semaphores); nothing by
 *                   default.
 *   REQUIRE_WHERE   a string naming where a loop is, put in front of the
 *                   messages of REQUIRE and REQUIRE_EQ; "" by default.
 */
#ifndef CSVPACK_CHECK_HELPERS_H
#define CSVPACK_CHECK_HELPERS_H

#include <stdint.h>
#include <string.h>

#include <check.h>

#ifndef REQUIRE_UNDO
#define REQUIRE_UNDO() ((void)0)
#endif
#ifndef REQUIRE_WHERE
#define REQUIRE_WHERE ""
#endif

#define REQUIRE_MSG(cond, ...) do {					\
	if (!(cond)) {							\
		REQUIRE_UNDO();						\
		ck_abort_msg(__VA_ARGS__);				\
	}								\
} while (0)

#define REQUIRE(cond)							\
	REQUIRE_MSG(cond, "%s%sfailed: %s", REQUIRE_WHERE,		\
	    *REQUIRE_WHERE ? ": " : "", #cond)

#define REQUIRE_EQ(a, b) do {						\
	intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);		\
	REQUIRE_MSG(a_ == b_, "%s%s%s == %s failed: %jd != %jd",	\
	    REQUIRE_WHERE, *REQUIRE_WHERE ? ": " : "", #a, #b, a_, b_);	\
} while (0)

#define assert_has(text, part)						\
	ck_assert_msg(strstr((text), (part)) != NULL,			\
	    "expected \"%s\" in: %s", (part), (text))

#endif
