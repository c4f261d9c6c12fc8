/*
 * jfix.h - what the meta, journal and coverage tests share: a doc_meta
 * in one call, a group appended or a journal written as text, and an
 * input's covered rows as "a-b,c-d" to compare with a string.
 */
#ifndef CSVPACK_JFIX_H
#define CSVPACK_JFIX_H

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "coverage.h"
#include "dirfix.h"
#include "journal.h"
#include "meta.h"

static inline struct doc_meta
meta(uint64_t sid, uint64_t first, uint64_t last, const char *source)
{
	struct doc_meta m;

	memset(&m, 0, sizeof(m));
	m.sid = sid;
	m.first_row = first;
	m.last_row = last;
	snprintf(m.source, sizeof(m.source), "%s", source);
	return m;
}

static inline void
append(struct dirfix *f, const char *archive, const struct doc_meta *d,
    size_t n)
{
	ck_assert_int_eq(journal_append(f->out_fd, f->out, archive, d, n), 0);
}

static inline void
put_journal(struct dirfix *f, const char *text)
{
	put_at(f->out_fd, JOURNAL_FILE, text, 0644);
}

/* The ranges of source as "a-b,c-d", in a static buffer. */
static inline const char *
ranges(const struct coverage *c, const char *source)
{
	static char out[512];
	const struct covered_input *ci = coverage_find(c, source);
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; ci && i < ci->n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%llu-%llu",
		    i ? "," : "", (unsigned long long)ci->r[i].first,
		    (unsigned long long)ci->r[i].last);
	return out;
}

#endif
