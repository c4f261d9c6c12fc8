/*
 * xml_doc.h - one XML document, written with libxml2's xmlTextWriter:
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <table source="prices.csv" sid="1">
 *     <row line="2"><ticker>ACME</ticker><price>12.50</price></row>
 *   </table>
 *
 * Values are written exactly: the writer escapes < > & and writes CR as
 * &#13;; characters XML 1.0 cannot carry become U+FFFD and are counted.
 * Output goes to a file descriptor through one large buffer; a write error
 * (ENOSPC, EPIPE, ...) is kept and reported by the next call.
 *
 * That is the default shape; xml_doc_shape gives another (xml_shape.h:
 * names, namespace, provenance, attributes, nulls, layout).
 *
 * Two row paths write the same bytes.  The reference path makes every
 * tag, attribute and value with its own xmlTextWriter call (the default
 * shape keeps its own code there; every shape writes values raw when a
 * byte-class check finds nothing to escape or replace).  The fast path,
 * the default, builds the rows' markup itself (xml_fast.h) and hands it
 * to the writer in large pieces; the document's start and end are the
 * writer's on both.  CSVPACK_XML_PATH=reference in the environment, read
 * by xml_doc_init, selects the reference path (tests and the bench use
 * it); xml_doc_path sets it for one document.
 */
#ifndef CSVPACK_XML_DOC_H
#define CSVPACK_XML_DOC_H

#include <stdint.h>

#include "buf.h"
#include "record.h"
#include "xml_fast.h"
#include "xml_chars.h"
#include "xml_names.h"
#include "xml_shape.h"

struct xml_sink {
	int fd;
	int error;         /* errno of the first failed write */
	uint64_t bytes;    /* written to fd */
	struct buf pending;
};

struct xml_doc {
	struct xml_sink sink;
	void *writer;      /* xmlTextWriterPtr */
	struct xml_names names;
	struct buf clean;  /* a value with bad characters replaced */
	uint64_t replaced; /* characters replaced in this document */
	uint64_t first_replaced_line;
	unsigned long pool_failures; /* xml_pool_failures() at the start */
	struct xml_shape shape;
	const char **elem; /* the columns' element names as written */
	struct buf elem_bytes; /* "P:name"s under a prefix */
	uint32_t elem_cap;
	uint64_t nulls;    /* null fields in this document */
	int reference;     /* 1: the reference row path */
	struct xml_fast fast;
	uint64_t fast_rows; /* rows written by the fast path (for tests) */
};

enum xml_path {
	XML_PATH_FAST,
	XML_PATH_REFERENCE,
};

/* Sets the row path from CSVPACK_XML_PATH ("reference", else fast). */
void xml_doc_init(struct xml_doc *d);
void xml_doc_free(struct xml_doc *d);
/* The row path for the columns that follow: call it before
 * xml_doc_columns. */
void xml_doc_path(struct xml_doc *d, enum xml_path path);
/* Takes the shape options of o (which must outlive d) for the documents
 * that follow.  Returns 0, or -1 (errno EINVAL: xml_shape_set). */
int xml_doc_shape(struct xml_doc *d, const struct options *o);
/* Resolves --attr against an input's header (xml_shape_resolve): call it
 * for every header before xml_doc_columns.  0, or -1 after saying why. */
int xml_doc_attrs(struct xml_doc *d, const char *source,
    const struct field *header, uint32_t ncols);
/* Starts a document on fd.  With fd -1 the document stays in memory, in
 * d->sink.pending, until the next xml_doc_begin (for tests and fuzzing).
 * Returns 0 or -1 (errno set). */
int xml_doc_begin(struct xml_doc *d, int fd, const char *source,
    uint64_t sid);
/* Sets the column names for the rows that follow (see xml_names.h). */
int xml_doc_columns(struct xml_doc *d, const struct field *header,
    uint32_t ncols, uint32_t total);
int xml_doc_row(struct xml_doc *d, uint64_t line, const struct field *f,
    uint32_t n);
/* Ends the document and flushes it to fd.  Returns 0 or -1 (errno set). */
int xml_doc_end(struct xml_doc *d);

#endif
