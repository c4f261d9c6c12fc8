/*
 * doc_parse.h - a csvpack document's rows back out of its bytes, for
 * `csvpack verify`.
 *
 * Verify reads each archive once, streaming, and gets the bytes of a
 * document in pieces, as they come out of the inflate buffer.  So this is
 * a push parser: doc_parser_begin() starts a document, doc_parser_feed()
 * takes its bytes in pieces of any size (one byte at a time works), and
 * doc_parser_end() says whether it was whole.  libxml2's SAX2 parser does
 * the XML (every well-formedness rule is its); on top of it we check that
 * the document has csvpack's shape, and hand the root, then every row
 * with its fields, to the caller's callbacks as they close.  Nothing is
 * built: memory holds one row, whatever the document's size, and is
 * reused from row to row and from document to document.
 *
 * The shape (SPEC "Formats", "Shape of the documents"): one root element
 * whose children are row elements, whose children are field elements,
 * which hold text only (character references and CDATA sections are
 * text).  White space between elements is allowed; inside a field it is
 * the value.  Anything else - text directly in the root or a row, an
 * element inside a field, a comment, a processing instruction, a DOCTYPE,
 * an entity reference - is "not a csvpack document".  Names are not
 * judged (--root, --row and the headers decide them), nor attributes:
 * they are reported, verify judges them.  Names are local names; a field
 * is nil when it carries xsi:nil="true" (or "1") in the XML Schema
 * instance namespace.  A field's other attributes are not reported.
 *
 * A row is handed out when libxml2 has read its end tag, before the rest
 * of the document: a document that turns out malformed later has had
 * some rows reported.  Pieces under 16 KiB are gathered before libxml2
 * sees them, so a call may report no row and the next several.  What a
 * callback is given lives until it returns.
 */
#ifndef CSVPACK_DOC_PARSE_H
#define CSVPACK_DOC_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct doc_root {
	const char *name;     /* the root element's local name */
	const char *prefix;   /* its namespace prefix, NULL if none */
	const char *uri;      /* its namespace URI, NULL if none */
	const char *source;   /* its "source" attribute, NULL if absent */
	const char *sid;      /* its "sid" attribute's text, NULL if absent */
};

struct doc_row {
	uint64_t index;                  /* 1-based position in the document */
	const char *name;                /* the row element's local name */
	const char *line;                /* its "line" attribute's text, NULL if absent */
	size_t nattrs;                   /* its other attributes, document order */
	const char *const *attr_name;    /* local names */
	const char *const *attr_value;
	size_t nfields;                  /* its child elements, in order */
	const char *const *field_name;   /* local names */
	const char *const *value;        /* each field's text, UTF-8, NUL-terminated */
	const size_t *len;
	const unsigned char *nil;        /* 1 if the field has xsi:nil="true" */
};

struct doc_callbacks {
	/* Either may be NULL.  0 goes on; -1 stops the document, which
	 * then fails with doc_parser_stopped() true. */
	int (*on_root)(const struct doc_root *root, void *arg);
	int (*on_row)(const struct doc_row *row, void *arg);
	void *arg;
};

struct doc_parser;

/* A parser, reusable for any number of documents, one at a time.  NULL if
 * out of memory (nothing printed). */
struct doc_parser *doc_parser_new(void);
void doc_parser_free(struct doc_parser *p);

/* Starts a new document, whatever became of the last one.  Returns 0, or
 * -1 when out of memory (said, see doc_parser_failed_sys). */
int doc_parser_begin(struct doc_parser *p, const struct doc_callbacks *cb);
/* The next n bytes of the document.  Returns 0, or -1 on the document's
 * first problem; after it every call but doc_parser_begin returns -1 and
 * parses nothing. */
int doc_parser_feed(struct doc_parser *p, const void *data, size_t n);
/* The document is complete: 0 if it was well-formed and of csvpack's
 * shape, else -1. */
int doc_parser_end(struct doc_parser *p);

/* After -1, why: "line L: " and
 *   libxml2's message, on one line ("Opening and ending tag mismatch: a
 *     line 3 and b"), or one of ours where libxml2 has none or a
 *     misleading one: "premature end of the document in row 3 <row>"
 *     (WHERE as below), "the document is empty", "bytes that are not
 *     US-ASCII, the declared encoding";
 *   "not a csvpack document: WHAT WHERE": "text directly in row 2
 *     <row>", "a comment in the root element <table>", "an element <b> in
 *     field <a> of row 1", "a processing instruction <?pi?> before the
 *     root element", "a DOCTYPE <!DOCTYPE t> (csvpack writes none)", "a
 *     CDATA section directly in row 1 <row>";
 *   "stopped" (doc_parser_stopped) or "out of memory" (failed_sys). */
const char *doc_parser_problem(const struct doc_parser *p);
/* After -1: 1 if a callback returned -1 (it had its own reason, there is
 * nothing more to say). */
int doc_parser_stopped(const struct doc_parser *p);
/* After -1: 1 if out of memory, already said with fail_nomem (fail.h):
 * not the document's fault. */
int doc_parser_failed_sys(const struct doc_parser *p);

#endif
