/*
 * row_match.h - one input row against the archived row, as the converter
 * would have written it in the run's shape.
 *
 * The converter (converter/xml_doc.c) writes a row's --attr columns as
 * attributes named by xml_shape.h, in column order after line, and the
 * other columns as elements named by xml_names.h; a null field (--null:
 * unquoted and equal to a null string) is an empty element with xsi:nil
 * under nil, left out under omit (an attribute under nil too), and
 * written empty under empty; every value is cleaned of what XML cannot
 * carry (xml_chars.h).  row_match walks the input's fields in that order
 * and the archived row beside them, and stops at the first difference,
 * saying it in words for the caller's problem line.
 */
#ifndef CSVPACK_ROW_MATCH_H
#define CSVPACK_ROW_MATCH_H

#include <stdint.h>

#include "buf.h"
#include "doc_parse.h"
#include "options.h"
#include "record.h"
#include "xml_names.h"
#include "xml_shape.h"

struct row_match {
	struct xml_shape shape;
	struct xml_names names;
	struct buf clean, why, shown[2];
};

/* 0, or -1 after saying why. */
int row_match_init(struct row_match *m, const struct options *o);
void row_match_free(struct row_match *m);
/* The header of the input the next rows come from (resolved once per
 * distinct header).  0, or -1 after saying why (FAIL_DATA: an --attr
 * column the header does not have, as the converter refused it). */
int row_match_header(struct row_match *m, const char *source,
    const struct field *header, uint32_t ncols);
/* How many elements the converter writes for f[0..n): the columns that
 * are not attributes, less the nulls it leaves out. */
uint32_t row_match_width(const struct row_match *m, const struct field *f,
    uint32_t n);
/* 0 when r is f[0..n) as written; 1 when not, *why saying how (valid
 * until the next call); -1 after saying why (out of memory). */
int row_match(struct row_match *m, const struct field *f, uint32_t n,
    const struct field *header, uint32_t ncols, const struct doc_row *r,
    const char **why);

#endif
