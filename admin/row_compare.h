/*
 * row_compare.h - `csvpack verify` with inputs: every row read again
 * from its input and compared, field by field, with the archived one.
 *
 * The second pass reads documents in journal order; the documents of one
 * input hold its rows in ascending order (a run reads each input from
 * start to end, and a resumed run only adds rows after what was done), so
 * each input is read once, alongside, from start to end: when a document
 * begins, its input is read up to the document's first row (rows passed
 * over are in no archive: one problem for the run of them, with the line
 * where it starts), and each row of the document takes the input's next
 * row.  A document that starts before where its input's reader is (a
 * journal out of order) makes the input be opened again from the start
 * - unless it starts at row 1 and the same name was given again, as the
 * run was (`a.csv - a.csv`): then the next input of that name takes it;
 * its gaps are then left to row_ranges.h, which sees all of them.  At the
 * end the rows left in each input are in no archive.
 *
 * Each row is compared with what the converter would have written for it
 * in the run's shape (row_match.h): names, attributes, nulls, values.  Each
 * problem is "INPUT:LINE: ..." naming the archive and document ("where").
 * An input that is itself bad CSV is said as such (exit 65) and compared
 * no further; the other inputs still are.
 *
 * Memory: each input's reader (one row and a read buffer), opened when
 * its first document comes.
 */
#ifndef CSVPACK_ROW_COMPARE_H
#define CSVPACK_ROW_COMPARE_H

#include <stdint.h>

#include "buf.h"
#include "doc_parse.h"
#include "input.h"
#include "meta.h"
#include "options.h"
#include "row_match.h"

struct compared_input {
	const char *name;     /* as given, as the journal names it */
	struct input in;
	int open, failed, reopened;
	int superseded;       /* given again: the next of its name reads on */
	uint64_t next_row;    /* the row number the next read gives */
};

struct row_compare {
	const struct options *o;
	struct compared_input *in;
	int n;
	/* The document being compared; cur NULL when it is not. */
	struct compared_input *cur;
	const char *where;
	uint64_t first_row, last_row;
	struct row_match match;  /* each row as the converter wrote it */
};

int compare_init(struct row_compare *c, const struct options *o,
    char **names, int n);
struct compared_input *compare_find(struct row_compare *c,
    const char *source);
/* A document of the journal (m) begins, in "where".  0, or -1 after
 * saying why (a failure of verify itself: stdout, a read error). */
int compare_doc_begin(struct row_compare *c, const struct doc_meta *m,
    const char *where);
int compare_row(struct row_compare *c, const struct doc_row *r);
int compare_doc_end(struct row_compare *c);
/* The rows left in each input (all of them, for an input no document
 * named). */
int compare_finish(struct row_compare *c);
void compare_free(struct row_compare *c);

#endif
