/*
 * row_compare.c - see row_compare.h.
 */
#include "row_compare.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "problems.h"

int
compare_init(struct row_compare *c, const struct options *o, char **names,
    int n)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->o = o;
	if (row_match_init(&c->match, o) < 0)
		return -1;
	if (n > 0 && !(c->in = calloc((size_t)n, sizeof(*c->in))))
		return fail_nomem("verify");
	for (i = 0; i < n; i++)
		c->in[i].name = names[i];
	c->n = n;
	return 0;
}

struct compared_input *
compare_find(struct row_compare *c, const char *source)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!c->in[i].superseded && strcmp(c->in[i].name, source) == 0)
			return &c->in[i];
	return NULL;
}

/* An input that fails (bad CSV said as FILE:LINE, or one that cannot be
 * read) is compared no further, and verify goes on with the rest; the
 * failure's kind, recorded, makes the exit status (65, or 1). */
static int
input_failed(struct compared_input *ci)
{
	ci->failed = 1;
	if (ci->open)
		input_close(&ci->in);
	ci->open = 0;
	return 0;
}

static int
open_input(struct compared_input *ci, const struct options *o)
{
	if (ci->open)
		input_close(&ci->in);
	ci->open = 0;
	memset(&ci->in, 0, sizeof(ci->in));
	/* A row larger than the ring could not have been archived. */
	if (input_open(&ci->in, ci->name, o, (size_t)o->ring_size) < 0)
		return input_failed(ci);
	ci->open = 1;
	ci->next_row = 1;
	return 0;
}

/* The input's next row: 1, 0 at its end, -1 if it failed (said). */
static int
next_row(struct compared_input *ci, const struct field **f, uint32_t *n,
    uint64_t *line)
{
	int rc = input_next(&ci->in, f, n, line);

	if (rc > 0)
		ci->next_row++;
	return rc;
}

/* Rows from..to of ci, from line, are in no archive. */
static int
report_missing(const struct compared_input *ci, uint64_t line,
    uint64_t from, uint64_t to)
{
	if (from == to)
		return problem("%s:%" PRIu64 ": row %" PRIu64 " is in no "
		    "archive", ci->name, line, from);
	return problem("%s:%" PRIu64 ": rows %" PRIu64 "-%" PRIu64 " are in "
	    "no archive", ci->name, line, from, to);
}

/* Reads ci up to row `upto` (excluded); what it passes over is missing.
 * 1 when there, 0 when the input ended first, -1 after saying why. */
static int
skip_to(struct compared_input *ci, uint64_t upto)
{
	const struct field *f;
	uint64_t line, first_line = 0, from = ci->next_row;
	uint32_t n;
	int rc = 1;

	while (ci->next_row < upto) {
		if ((rc = next_row(ci, &f, &n, &line)) <= 0)
			break;
		if (!first_line)
			first_line = line;
	}
	if (rc < 0)
		return input_failed(ci) < 0 ? -1 : 0;
	if (first_line && !ci->reopened &&
	    report_missing(ci, first_line, from, ci->next_row - 1) < 0)
		return -1;
	return rc > 0 ? 1 : 0;
}

static int
report_beyond(struct row_compare *c, uint64_t from)
{
	struct compared_input *ci = c->cur;

	c->cur = NULL;
	return problem("%s: %s holds rows %" PRIu64 "-%" PRIu64 ", the input "
	    "has %" PRIu64 " rows", ci->name, c->where, from, c->last_row,
	    ci->next_row - 1);
}

/* Whether the input's name was given once more, after ci. */
static int
again(const struct row_compare *c, const struct compared_input *ci)
{
	const struct compared_input *p;

	for (p = ci + 1; p < c->in + c->n; p++)
		if (strcmp(p->name, ci->name) == 0)
			return 1;
	return 0;
}

int
compare_doc_begin(struct row_compare *c, const struct doc_meta *m,
    const char *where)
{
	struct compared_input *ci = compare_find(c, m->source);
	int back, rc;

	c->cur = NULL;
	if (!ci || ci->failed || m->first_row == 0)
		return 0;
	back = ci->open && ci->next_row > m->first_row;
	if (back && m->first_row == 1 && again(c, ci)) {
		ci->superseded = 1;
		if ((ci = compare_find(c, m->source))->failed)
			return 0;
		back = 0;
	} else if (back) {
		ci->reopened = 1;
	}
	if ((!ci->open || back) && open_input(ci, c->o) < 0)
		return -1;
	if (ci->failed)
		return 0;
	c->where = where;
	c->first_row = m->first_row;
	c->last_row = m->last_row;
	c->cur = ci;
	rc = skip_to(ci, m->first_row);
	if (rc > 0)
		return 0;
	if (rc < 0 || ci->failed) {
		c->cur = NULL;
		return rc;
	}
	return report_beyond(c, m->first_row);
}

int
compare_row(struct row_compare *c, const struct doc_row *r)
{
	struct compared_input *ci = c->cur;
	const struct field *f;
	const char *why;
	uint64_t line;
	uint32_t n, width;
	int rc;

	if (!ci)
		return 0;
	if ((rc = next_row(ci, &f, &n, &line)) <= 0) {
		if (rc < 0)
			return c->cur = NULL, input_failed(ci);
		return report_beyond(c, c->first_row + r->index - 1);
	}
	if (r->line && strtoull(r->line, NULL, 10) != line &&
	    problem("%s:%" PRIu64 ": row %" PRIu64 " starts on line %" PRIu64
	    ", %s row %" PRIu64 " says line %s", ci->name, line,
	    ci->next_row - 1, line, c->where, r->index, r->line) < 0)
		return -1;
	if (row_match_header(&c->match, ci->name, ci->in.header,
	    ci->in.ncols) < 0) {
		/* The run would have refused it: other options than the
		 * run's?  Said (FILE: --attr ...); compared no further. */
		c->cur = NULL;
		return input_failed(ci);
	}
	if ((width = row_match_width(&c->match, f, n)) != r->nfields)
		return problem("%s:%" PRIu64 ": row %" PRIu64 " has %" PRIu32
		    " field%s, %s row %" PRIu64 " has %zu", ci->name, line,
		    ci->next_row - 1, width, width == 1 ? "" : "s", c->where,
		    r->index, r->nfields);
	rc = row_match(&c->match, f, n, ci->in.header, ci->in.ncols, r, &why);
	if (rc <= 0)
		return rc;
	return problem("%s:%" PRIu64 ": row %" PRIu64 " differs from %s row "
	    "%" PRIu64 ": %s", ci->name, line, ci->next_row - 1, c->where,
	    r->index, why);
}

int
compare_doc_end(struct row_compare *c)
{
	c->cur = NULL;
	return 0;
}

/* The rows after the last archived one. */
static int
rest_missing(struct compared_input *ci)
{
	const struct field *f;
	uint64_t line, first_line = 0, from = ci->next_row;
	uint32_t n;
	int rc;

	while ((rc = next_row(ci, &f, &n, &line)) > 0)
		if (!first_line)
			first_line = line;
	if (rc < 0)
		return input_failed(ci);
	if (first_line)
		return report_missing(ci, first_line, from, ci->next_row - 1);
	return 0;
}

int
compare_finish(struct row_compare *c)
{
	struct compared_input *ci;
	int i;

	for (i = 0; i < c->n; i++) {
		ci = &c->in[i];
		if (!ci->open && !ci->failed && open_input(ci, c->o) < 0)
			return -1;
		if (ci->failed || ci->reopened)
			continue;
		if (rest_missing(ci) < 0)
			return -1;
	}
	return 0;
}

void
compare_free(struct row_compare *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (c->in[i].open)
			input_close(&c->in[i].in);
	free(c->in);
	row_match_free(&c->match);
	memset(c, 0, sizeof(*c));
}
