/*
 * row_ranges.h - per input, the rows the archives hold: no row twice, no
 * row left out.
 *
 * Every document the second pass reads adds its journal row range to its
 * input's list, kept sorted and merged (documents of one input nearly
 * always come in row order, so adding is an append and the list stays a
 * handful of ranges).  A range that overlaps what an earlier document
 * added is a problem at once; the gaps are reported at the end, when all
 * archives are read: rows from 1 up to the highest row archived that no
 * archive holds.  Rows past the highest are known only to the input
 * itself (row_compare.h).
 */
#ifndef CSVPACK_ROW_RANGES_H
#define CSVPACK_ROW_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include "coverage.h"
#include "meta.h"

/* One reading of an input.  A run given the same input twice (`a.csv -
 * a.csv`) reads it twice: a document that starts again at row 1, with a
 * sid above every earlier one of that input, begins a new reading (a
 * copy of an earlier document has an earlier sid, and overlaps). */
struct input_rows {
	char *source;
	struct row_range *r;
	size_t n, cap;
	uint64_t max_sid;
	int gaps_elsewhere;  /* row_compare reports this input's gaps */
};

struct row_ranges {
	struct input_rows *in;
	size_t n, cap;
	size_t last;         /* the input added to last: the next is likely it */
	/* Lost rows not yet said, so that a run of them is one line. */
	struct input_rows *lost_in;
	uint64_t lost_first, lost_last;
	char lost_why[600];
};

/* Adds the rows of document m, held by `where` ("DIR/A.tgz M.xml").
 * 0, or -1 after saying why (out of memory, stdout). */
int ranges_add(struct row_ranges *rs, const struct doc_meta *m,
    const char *where);
/* An input the journal names, whether or not any of its rows is found. */
int ranges_note(struct row_ranges *rs, const char *source);
/* The latest reading of source, or NULL. */
struct input_rows *ranges_find(struct row_ranges *rs, const char *source);
/* The rows of document m are in no archive, for why: said as one
 * problem with the rows next to them (ranges_flush_lost says the last
 * run), and counted as known so that the gaps do not say them again. */
int ranges_lost(struct row_ranges *rs, const struct doc_meta *m,
    const char *why);
int ranges_flush_lost(struct row_ranges *rs);
/* Problems for the gaps of every input not marked gaps_elsewhere. */
int ranges_report_gaps(const struct row_ranges *rs);
uint64_t ranges_rows(const struct input_rows *in);
void ranges_free(struct row_ranges *rs);

#endif
