/*
 * row_ranges.c - see row_ranges.h.
 */
#include "row_ranges.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "problems.h"

struct input_rows *
ranges_find(struct row_ranges *rs, const char *source)
{
	size_t i;

	/* last is always the latest reading of its source: readings are
	 * only ever added at the end, and become last then. */
	if (rs->n && strcmp(rs->in[rs->last].source, source) == 0)
		return &rs->in[rs->last];
	for (i = rs->n; i-- > 0;)
		if (strcmp(rs->in[i].source, source) == 0) {
			rs->last = i;
			return &rs->in[i];
		}
	return NULL;
}

/* A new reading of source, at the end. */
static struct input_rows *
new_reading(struct row_ranges *rs, const char *source)
{
	struct input_rows *in;
	size_t cap;

	if (rs->n == rs->cap) {
		cap = rs->cap ? rs->cap * 2 : 16;
		if (!(in = realloc(rs->in, cap * sizeof(*in)))) {
			fail_nomem("verify");
			return NULL;
		}
		rs->in = in;
		rs->cap = cap;
	}
	in = &rs->in[rs->n];
	memset(in, 0, sizeof(*in));
	if (!(in->source = strdup(source))) {
		fail_nomem("verify");
		return NULL;
	}
	rs->last = rs->n++;
	return in;
}

static struct input_rows *
input_of(struct row_ranges *rs, const char *source)
{
	struct input_rows *in = ranges_find(rs, source);

	return in ? in : new_reading(rs, source);
}

/* The reading document m belongs to (row_ranges.h). */
static struct input_rows *
reading_of(struct row_ranges *rs, const struct doc_meta *m)
{
	struct input_rows *in = ranges_find(rs, m->source);

	if (in && m->first_row == 1 && in->n > 0 && m->sid > in->max_sid)
		in = new_reading(rs, m->source);
	else if (!in)
		in = new_reading(rs, m->source);
	if (in && m->sid > in->max_sid)
		in->max_sid = m->sid;
	return in;
}

int
ranges_note(struct row_ranges *rs, const char *source)
{
	return input_of(rs, source) ? 0 : -1;
}

/* Inserts [first, last] at position at (no overlap there), merging with
 * touching neighbours. */
static int
insert_at(struct input_rows *in, size_t at, uint64_t first, uint64_t last)
{
	struct row_range *r;
	size_t cap;

	if (at > 0 && in->r[at - 1].last + 1 == first) {
		in->r[at - 1].last = last;
		if (at < in->n && in->r[at].first == last + 1) {
			in->r[at - 1].last = in->r[at].last;
			memmove(&in->r[at], &in->r[at + 1],
			    (in->n - at - 1) * sizeof(*in->r));
			in->n--;
		}
		return 0;
	}
	if (at < in->n && in->r[at].first == last + 1) {
		in->r[at].first = first;
		return 0;
	}
	if (in->n == in->cap) {
		cap = in->cap ? in->cap * 2 : 8;
		if (!(r = realloc(in->r, cap * sizeof(*r))))
			return fail_nomem("verify");
		in->r = r;
		in->cap = cap;
	}
	memmove(&in->r[at + 1], &in->r[at], (in->n - at) * sizeof(*in->r));
	in->r[at].first = first;
	in->r[at].last = last;
	in->n++;
	return 0;
}

/* The first range that ends at or after row; from the end, since a
 * document's rows nearly always come after all the others. */
static size_t
first_ending_after(const struct input_rows *in, uint64_t row)
{
	size_t at = in->n;

	while (at > 0 && in->r[at - 1].last >= row)
		at--;
	return at;
}

int
ranges_add(struct row_ranges *rs, const struct doc_meta *m, const char *where)
{
	struct input_rows *in = reading_of(rs, m);
	const char *source = m->source;
	uint64_t first = m->first_row, last = m->last_row, a, b, held_to;
	size_t at;

	if (!in)
		return -1;
	for (;;) {
		at = first_ending_after(in, first);
		if (at == in->n || in->r[at].first > last)
			return insert_at(in, at, first, last);
		a = first > in->r[at].first ? first : in->r[at].first;
		b = last < in->r[at].last ? last : in->r[at].last;
		if (problem("%s: rows %" PRIu64 "-%" PRIu64 " are in %s and also "
		    "in an earlier document", source, a, b, where) < 0)
			return -1;
		/* Keep what is new of the range, so the gaps stay right. */
		held_to = in->r[at].last;
		if (in->r[at].first > first &&
		    insert_at(in, at, first, in->r[at].first - 1) < 0)
			return -1;
		if (held_to >= last)
			return 0;
		first = held_to + 1;
	}
}

int
ranges_flush_lost(struct row_ranges *rs)
{
	struct input_rows *in = rs->lost_in;

	rs->lost_in = NULL;
	if (!in)
		return 0;
	return problem("%s: rows %" PRIu64 "-%" PRIu64 " are in no archive "
	    "(%s)", in->source, rs->lost_first, rs->lost_last, rs->lost_why);
}

int
ranges_lost(struct row_ranges *rs, const struct doc_meta *m, const char *why)
{
	struct input_rows *in = reading_of(rs, m);
	uint64_t first = m->first_row, last = m->last_row;

	if (!in)
		return -1;
	if (rs->lost_in == in && rs->lost_last + 1 == first &&
	    strcmp(rs->lost_why, why) == 0) {
		rs->lost_last = last;
	} else {
		if (ranges_flush_lost(rs) < 0)
			return -1;
		rs->lost_in = in;
		rs->lost_first = first;
		rs->lost_last = last;
		snprintf(rs->lost_why, sizeof(rs->lost_why), "%s", why);
	}
	/* Known: the gaps must not say these rows again. */
	return insert_at(in, first_ending_after(in, first), first, last);
}

int
ranges_report_gaps(const struct row_ranges *rs)
{
	const struct input_rows *in;
	uint64_t next;
	size_t i, j;

	for (i = 0; i < rs->n; i++) {
		in = &rs->in[i];
		if (in->gaps_elsewhere)
			continue;
		for (next = 1, j = 0; j < in->n; j++) {
			if (in->r[j].first > next && problem("%s: rows %" PRIu64
			    "-%" PRIu64 " are in no archive", in->source, next,
			    in->r[j].first - 1) < 0)
				return -1;
			next = in->r[j].last + 1;
		}
	}
	return 0;
}

uint64_t
ranges_rows(const struct input_rows *in)
{
	uint64_t n = 0;
	size_t j;

	for (j = 0; j < in->n; j++)
		n += in->r[j].last - in->r[j].first + 1;
	return n;
}

void
ranges_free(struct row_ranges *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->in[i].source);
		free(rs->in[i].r);
	}
	free(rs->in);
	memset(rs, 0, sizeof(*rs));
}
