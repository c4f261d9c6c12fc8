/*
 * xml_fast.h - the fast row path: a row's markup built in one buffer.
 *
 * The reference path (xml_doc.c) writes a row with about 50 calls into
 * xmlTextWriter for 8 columns, each with its own checks, list walks and
 * copies.  Here the start and end tags are made once per set of columns
 * (xml_fast_columns), from names libxml2 has validated (xmlValidateQName;
 * a name it refuses leaves the fast path off for those columns, and the
 * document's rows go the reference way), and a row is those pieces with
 * the values escaped between them: appended to one buffer that the
 * document hands to the writer with one xmlTextWriterWriteRawLen per
 * XML_FAST_FLUSH bytes (xml_doc.c).
 *
 * The values are escaped as xmlTextWriterWriteString escapes them after
 * xml_clean_value: characters XML 1.0 cannot carry become U+FFFD (and are
 * counted); in element content < > & " and CR become &lt; &gt; &amp;
 * &quot; &#13;; an attribute value that holds any of those, TAB, LF, a
 * control character or a 0xEF byte is written the same way with TAB and
 * LF as &#9; and &#10; too, any other raw as it is (the reference path's
 * own shortcut).  xml_fast_probe checks that the installed libxml2 does
 * escape so, once per struct, before the fast path is used.
 *
 * The tests (tests/unit/test_xml_diff.c, the fuzz target's oracle) hold
 * the two paths byte for byte equal for every shape.
 *
 * A struct xml_fast is its document's: no state is shared, so documents
 * on several threads each have their own.
 */
#ifndef CSVPACK_XML_FAST_H
#define CSVPACK_XML_FAST_H

#include <stdint.h>

#include "buf.h"
#include "record.h"
#include "xml_shape.h"

/* Markup is handed to the writer once this much is buffered. */
#define XML_FAST_FLUSH (64 * 1024)

struct xml_fast_piece {
	const unsigned char *p;
	uint32_t len;
};

struct xml_fast {
	struct buf out;          /* rows not yet handed to the writer */
	struct buf tags;         /* the pieces' bytes */
	struct xml_fast_piece *col; /* 3 per column: open, nil, close */
	struct xml_fast_piece *attr; /* per attribute: ' NAME="' */
	struct xml_fast_piece row_open, row_close;
	uint32_t ncols, col_cap, nattr, attr_cap;
	size_t fixed;            /* bound on a row's bytes besides values */
	int usable;              /* columns set, every name validated */
	int probed;              /* 0: not yet, 1: libxml2 agrees, -1: not */
};

void xml_fast_init(struct xml_fast *x);
void xml_fast_free(struct xml_fast *x);
/* 1 if libxml2 escapes as this file does (asked once per x), else 0. */
int xml_fast_probe(struct xml_fast *x);
/* Makes the pieces for rows of total columns named elem[] (as written,
 * "P:name" under a prefix) in shape s, whose --attr is resolved for
 * them.  Sets x->usable: 0 when libxml2 refuses a name.  Returns 0, or
 * -1 with errno ENOMEM. */
int xml_fast_columns(struct xml_fast *x, const struct xml_shape *s,
    const char *const *elem, uint32_t total);
/* Appends row line of n fields (n at most total) to x->out.  Adds the
 * characters replaced to *replaced and the nulls to *nulls.  Returns 0,
 * or -1 with errno ENOMEM. */
int xml_fast_row(struct xml_fast *x, const struct xml_shape *s,
    uint64_t line, const struct field *f, uint32_t n, uint64_t *replaced,
    uint64_t *nulls);

#endif
