/*
 * xml_names.h - element names from CSV header cells.
 *
 * The rules (SPEC "Formats"): a character that may not stand in an XML 1.0
 * (5th edition) Name, or a ':', becomes '_'; a name whose first character
 * may not start a Name gets a leading '_'; an empty cell is fieldN (N =
 * 1-based column); a name already taken, left to right, gets _2, _3, ...
 * (the first free one).  Non-ASCII letters stay.
 */
#ifndef CSVPACK_XML_NAMES_H
#define CSVPACK_XML_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

struct xml_names {
	struct buf bytes;    /* the names, NUL-separated */
	size_t *offset;
	const char **name;   /* name[i] for column i */
	uint32_t count, cap;
	struct buf key;      /* the header these names were made from */
};

void xml_names_init(struct xml_names *n);
void xml_names_free(struct xml_names *n);
/* Names for ncols header cells plus (total - ncols) extra columns (fieldN).
 * Reuses the last result when the header is the same.  The cells must be
 * valid UTF-8.  Returns 0, or -1 (out of memory). */
int xml_names_build(struct xml_names *n, const struct field *header,
    uint32_t ncols, uint32_t total);
/* A header and a width as one key, to tell whether a header is the same
 * as the last one (a cache's key).  0, or -1 (out of memory). */
int xml_names_key(struct buf *key, const struct field *header,
    uint32_t ncols, uint32_t total);
/* One cell's name before de-duplication, appended to out with a NUL. */
int xml_name_sanitize(struct buf *out, const char *s, size_t len,
    uint32_t column);

#endif
