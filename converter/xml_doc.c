/*
 * xml_doc.c - see xml_doc.h.
 *
 * libxml2 writes into an xmlOutputBuffer whose write callback appends to
 * our 1 MiB buffer, flushed to the descriptor when full and at the end: a
 * document costs a handful of write(2) calls, whatever its row count.
 *
 * On the fast path a row is xml_fast_row's markup, gathered in d->fast.out
 * and handed to the writer with one xmlTextWriterWriteRawLen per
 * XML_FAST_FLUSH bytes, before any other call into the writer: the bytes
 * stay in order whichever path wrote them, so a document may mix the two
 * (columns whose names libxml2 refuses take the reference path).
 */
#include "xml_doc.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "xml_chars.h"
#include "xml_pool.h"

#define SINK_SIZE (1024 * 1024)

static int
sink_flush(struct xml_sink *s)
{
	size_t off = 0;
	ssize_t n;

	while (off < s->pending.len && !s->error) {
		n = write(s->fd, s->pending.data + off, s->pending.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			s->error = errno;
		else if (n == 0)
			s->error = EIO;
		else
			off += (size_t)n;
	}
	s->bytes += off;
	buf_reset(&s->pending);
	return s->error ? -1 : 0;
}

static int
sink_write(void *ctx, const char *p, int len)
{
	struct xml_sink *s = ctx;

	if (s->error)
		return -1;
	if (s->fd >= 0 && s->pending.len + (size_t)len > SINK_SIZE &&
	    sink_flush(s) < 0)
		return -1;
	if (buf_append(&s->pending, p, (size_t)len) < 0) {
		s->error = ENOMEM;
		return -1;
	}
	return len;
}

static int
sink_close(void *ctx)
{
	(void)ctx; /* the descriptor is the caller's */
	return 0;
}

void
xml_doc_init(struct xml_doc *d)
{
	const char *v;

	memset(d, 0, sizeof(*d));
	buf_init(&d->sink.pending, 0);
	buf_init(&d->clean, 0);
	buf_init(&d->elem_bytes, 0);
	xml_names_init(&d->names);
	xml_shape_init(&d->shape);
	xml_fast_init(&d->fast);
	v = getenv("CSVPACK_XML_PATH");
	d->reference = v && strcmp(v, "reference") == 0;
}

void
xml_doc_path(struct xml_doc *d, enum xml_path path)
{
	d->reference = path == XML_PATH_REFERENCE;
}

void
xml_doc_free(struct xml_doc *d)
{
	if (d->writer)
		xmlFreeTextWriter(d->writer);
	buf_free(&d->sink.pending);
	buf_free(&d->clean);
	buf_free(&d->elem_bytes);
	free(d->elem);
	xml_names_free(&d->names);
	xml_shape_free(&d->shape);
	xml_fast_free(&d->fast);
	memset(d, 0, sizeof(*d));
}

int
xml_doc_shape(struct xml_doc *d, const struct options *o)
{
	return xml_shape_set(&d->shape, o);
}

int
xml_doc_attrs(struct xml_doc *d, const char *source,
    const struct field *header, uint32_t ncols)
{
	/* The fast path's attributes are those of the last columns. */
	d->fast.usable = 0;
	return xml_shape_resolve(&d->shape, source, header, ncols);
}

/* The writer's -1 says little; the sink knows when it was the disk, and
 * the pool when libxml2 ran out of memory. */
static int
failed(struct xml_doc *d)
{
	if (d->sink.error)
		errno = d->sink.error;
	else if (xml_pool_failures() != d->pool_failures)
		errno = ENOMEM;
	else
		errno = EIO;
	return -1;
}

/* The root's start tag in any shape but the default: the namespace
 * declarations first, then provenance. */
static int
begin_shaped(struct xml_doc *d, const char *source, const char *num)
{
	const struct xml_shape *s = &d->shape;
	xmlTextWriterPtr w = d->writer;

	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST s->root) < 0 ||
	    (s->xmlns && xmlTextWriterWriteAttribute(w,
	    BAD_CAST s->xmlns_attr, BAD_CAST s->xmlns) < 0) ||
	    (s->nnulls && s->null_as == NULL_AS_NIL &&
	    xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:xsi",
	    BAD_CAST XML_SHAPE_XSI) < 0) ||
	    (s->provenance != PROVENANCE_NONE &&
	    (xmlTextWriterWriteAttribute(w, BAD_CAST "source",
	    BAD_CAST source) < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "sid", BAD_CAST num) < 0)))
		return failed(d);
	return 0;
}

int
xml_doc_begin(struct xml_doc *d, int fd, const char *source, uint64_t sid)
{
	xmlOutputBufferPtr out;
	xmlTextWriterPtr w;
	char num[24];

	if (d->writer) {
		xmlFreeTextWriter(d->writer);
		d->writer = NULL;
	}
	d->sink.fd = fd;
	d->sink.error = 0;
	d->sink.bytes = 0;
	buf_reset(&d->sink.pending);
	d->replaced = 0;
	d->first_replaced_line = 0;
	d->nulls = 0;
	buf_reset(&d->fast.out);
	d->pool_failures = xml_pool_failures();
	out = xmlOutputBufferCreateIO(sink_write, sink_close, &d->sink, NULL);
	if (!out)
		return errno = ENOMEM, -1;
	w = xmlNewTextWriter(out); /* owns out from here */
	if (!w) {
		xmlOutputBufferClose(out);
		return errno = ENOMEM, -1;
	}
	d->writer = w;
	source = xml_clean_name(source, &d->clean);
	if (!source)
		return errno = ENOMEM, -1;
	snprintf(num, sizeof(num), "%" PRIu64, sid);
	if (d->shape.custom)
		return begin_shaped(d, source, num);
	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "table") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "source",
	    BAD_CAST source) < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "sid", BAD_CAST num) < 0)
		return failed(d);
	return 0;
}

static int
fast_columns(struct xml_doc *d, uint32_t total)
{
	d->fast.usable = 0;
	if (d->reference)
		return 0;
	return xml_fast_columns(&d->fast, &d->shape, d->shape.prefix ?
	    d->elem : d->names.name, total);
}

/* Hands the fast path's markup to the writer. */
static int
fast_flush(struct xml_doc *d)
{
	struct buf *b = &d->fast.out;
	size_t off = 0, n;

	while (off < b->len) {
		n = b->len - off < INT_MAX ? b->len - off : INT_MAX;
		if (xmlTextWriterWriteRawLen(d->writer, b->data + off,
		    (int)n) < 0) {
			buf_reset(b);
			return failed(d);
		}
		off += n;
	}
	buf_reset(b);
	return 0;
}

int
xml_doc_columns(struct xml_doc *d, const struct field *header, uint32_t ncols,
    uint32_t total)
{
	const char *prefix = d->shape.prefix;
	const char **e;
	size_t *off = NULL;
	uint32_t i;

	if (xml_names_build(&d->names, header, ncols, total) < 0)
		return errno = ENOMEM, -1;
	if (!prefix) {
		d->elem = NULL;
		return fast_columns(d, total);
	}
	/* Under a prefix, every element is "P:name". */
	if (total > d->elem_cap) {
		e = realloc(d->elem, (size_t)total * sizeof(*e));
		if (!e)
			return errno = ENOMEM, -1;
		d->elem = e;
		d->elem_cap = total;
	}
	if (total && !(off = malloc((size_t)total * sizeof(*off))))
		return errno = ENOMEM, -1;
	buf_reset(&d->elem_bytes);
	for (i = 0; i < total; i++) {
		off[i] = d->elem_bytes.len;
		if (buf_append(&d->elem_bytes, prefix, strlen(prefix)) < 0 ||
		    buf_append(&d->elem_bytes, ":", 1) < 0 ||
		    buf_append(&d->elem_bytes, d->names.name[i],
		    strlen(d->names.name[i]) + 1) < 0) {
			free(off);
			return errno = ENOMEM, -1;
		}
	}
	for (i = 0; i < total; i++)
		d->elem[i] = (const char *)d->elem_bytes.data + off[i];
	free(off);
	return fast_columns(d, total);
}

/* Bytes that make a value take the slow path: what the writer escapes
 * (< > & " and CR), control characters, and 0xEF (U+FFFE and U+FFFF
 * start with it). */
static const unsigned char special[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
	[0x06] = 1, [0x07] = 1, [0x08] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1,
	[0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
	[0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1,
	[0x1A] = 1, [0x1B] = 1, [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1,
	['<'] = 1, ['>'] = 1, ['&'] = 1, ['"'] = 1, [0xEF] = 1,
};

/* Writes one value as element content.  Most values hold nothing the
 * writer would escape and nothing to replace: those skip
 * xmlTextWriterWriteString's escaping copy (a malloc per value) and go
 * through xmlTextWriterWriteRawLen as they are, the same bytes
 * WriteString would write.  The others are cleaned, then escaped by it. */
static int
write_value(struct xml_doc *d, const struct field *f, uint64_t line)
{
	const unsigned char *p = (const unsigned char *)f->s;
	uint32_t i;
	uint64_t bad;
	const char *v;

	for (i = 0; i < f->len && !special[p[i]]; i++)
		;
	if (i == f->len && f->len <= INT_MAX)
		return xmlTextWriterWriteRawLen(d->writer, BAD_CAST f->s,
		    (int)f->len);
	v = xml_clean_value(f->s, f->len, &d->clean, &bad);
	if (!v)
		return errno = ENOMEM, -1;
	if (bad && !d->first_replaced_line)
		d->first_replaced_line = line;
	d->replaced += bad;
	return xmlTextWriterWriteString(d->writer, BAD_CAST v);
}

/* In an attribute the writer also escapes TAB and LF (as character
 * references, so that attribute-value normalisation keeps them). */
static const unsigned char special_attr[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
	[0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0A] = 1, [0x0B] = 1,
	[0x0C] = 1, [0x0D] = 1,
	[0x0E] = 1, [0x0F] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
	[0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1,
	[0x1A] = 1, [0x1B] = 1, [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1,
	['<'] = 1, ['>'] = 1, ['&'] = 1, ['"'] = 1, [0xEF] = 1,
};

/* Writes one value as an attribute of the element open, the same way. */
static int
write_attr(struct xml_doc *d, const char *name, const struct field *f,
    uint64_t line)
{
	xmlTextWriterPtr w = d->writer;
	const unsigned char *p = (const unsigned char *)f->s;
	uint32_t i;
	uint64_t bad;
	const char *v;

	if (xmlTextWriterStartAttribute(w, BAD_CAST name) < 0)
		return -1;
	for (i = 0; i < f->len && !special_attr[p[i]]; i++)
		;
	if (i == f->len && f->len <= INT_MAX) {
		if (xmlTextWriterWriteRawLen(w, BAD_CAST f->s,
		    (int)f->len) < 0)
			return -1;
	} else {
		v = xml_clean_value(f->s, f->len, &d->clean, &bad);
		if (!v)
			return errno = ENOMEM, -1;
		if (bad && !d->first_replaced_line)
			d->first_replaced_line = line;
		d->replaced += bad;
		if (xmlTextWriterWriteString(w, BAD_CAST v) < 0)
			return -1;
	}
	return xmlTextWriterEndAttribute(w);
}

/* Writes v in decimal at the end of num (24 bytes) and returns where the
 * digits start; snprintf took 1% of the converter's time. */
static const char *
format_u64(uint64_t v, char num[24])
{
	char *p = num + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* A row in any shape but the default. */
static int
row_shaped(struct xml_doc *d, uint64_t line, const struct field *f,
    uint32_t n)
{
	static const struct field empty = { "", 0, 0 };
	const struct xml_shape *s = &d->shape;
	xmlTextWriterPtr w = d->writer;
	const char **elem = s->prefix ? d->elem : d->names.name;
	int pretty = s->layout == LAYOUT_PRETTY, children = 0, null;
	char num[24];
	const char *digits;
	uint32_t i, k;

	if ((s->layout != LAYOUT_COMPACT &&
	    xmlTextWriterWriteRawLen(w, BAD_CAST "\n  ", 3) < 0) ||
	    xmlTextWriterStartElement(w, BAD_CAST s->row) < 0)
		return failed(d);
	if (s->provenance == PROVENANCE_ALL) {
		digits = format_u64(line, num);
		if (xmlTextWriterStartAttribute(w, BAD_CAST "line") < 0 ||
		    xmlTextWriterWriteRawLen(w, BAD_CAST digits,
		    (int)(num + sizeof(num) - 1 - digits)) < 0 ||
		    xmlTextWriterEndAttribute(w) < 0)
			return failed(d);
	}
	for (k = 0; k < s->nattr; k++) {
		i = s->attr_col[k];
		if (i >= n)
			continue;
		null = s->nnulls && xml_shape_is_null(s, &f[i]);
		d->nulls += (uint64_t)null;
		/* An attribute cannot carry xsi:nil: under nil, left out. */
		if (null && s->null_as != NULL_AS_EMPTY)
			continue;
		if (write_attr(d, s->attr_name[k], null ? &empty : &f[i],
		    line) < 0)
			return failed(d);
	}
	for (i = 0; i < n; i++) {
		if (xml_shape_is_attr(s, i))
			continue;
		null = s->nnulls && xml_shape_is_null(s, &f[i]);
		d->nulls += (uint64_t)null;
		if (null && s->null_as == NULL_AS_OMIT)
			continue;
		if ((pretty && xmlTextWriterWriteRawLen(w,
		    BAD_CAST "\n    ", 5) < 0) ||
		    xmlTextWriterStartElement(w, BAD_CAST elem[i]) < 0)
			return failed(d);
		if (null && s->null_as == NULL_AS_NIL) {
			if (xmlTextWriterWriteAttribute(w, BAD_CAST "xsi:nil",
			    BAD_CAST "true") < 0)
				return failed(d);
		} else if (write_value(d, null ? &empty : &f[i], line) < 0) {
			return failed(d);
		}
		if (xmlTextWriterEndElement(w) < 0)
			return failed(d);
		children = 1;
	}
	if ((pretty && children &&
	    xmlTextWriterWriteRawLen(w, BAD_CAST "\n  ", 3) < 0) ||
	    xmlTextWriterEndElement(w) < 0)
		return failed(d);
	return 0;
}

int
xml_doc_row(struct xml_doc *d, uint64_t line, const struct field *f,
    uint32_t n)
{
	xmlTextWriterPtr w = d->writer;
	char num[24];
	const char *digits;
	uint32_t i;
	uint64_t bad;

	if (n > d->names.count)
		return errno = EINVAL, -1;
	if (!d->reference && d->fast.usable) {
		bad = d->replaced;
		if (d->sink.error)
			return failed(d);
		if (xml_fast_row(&d->fast, &d->shape, line, f, n,
		    &d->replaced, &d->nulls) < 0)
			return -1;
		if (d->replaced != bad && !d->first_replaced_line)
			d->first_replaced_line = line;
		d->fast_rows++;
		if (d->fast.out.len >= XML_FAST_FLUSH)
			return fast_flush(d);
		return 0;
	}
	if (d->fast.out.len && fast_flush(d) < 0)
		return -1;
	if (d->shape.custom)
		return row_shaped(d, line, f, n);
	digits = format_u64(line, num);
	/* White space and digits need no escaping: written raw, they spare
	 * the writer an escaped copy (a malloc) each. */
	if (xmlTextWriterWriteRawLen(w, BAD_CAST "\n  ", 3) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "row") < 0 ||
	    xmlTextWriterStartAttribute(w, BAD_CAST "line") < 0 ||
	    xmlTextWriterWriteRawLen(w, BAD_CAST digits,
	    (int)(num + sizeof(num) - 1 - digits)) < 0 ||
	    xmlTextWriterEndAttribute(w) < 0)
		return failed(d);
	for (i = 0; i < n; i++) {
		if (xmlTextWriterStartElement(w, BAD_CAST d->names.name[i]) < 0 ||
		    write_value(d, &f[i], line) < 0 ||
		    xmlTextWriterEndElement(w) < 0)
			return failed(d);
	}
	if (xmlTextWriterEndElement(w) < 0)
		return failed(d);
	return 0;
}

int
xml_doc_end(struct xml_doc *d)
{
	xmlTextWriterPtr w = d->writer;

	if (d->fast.out.len && fast_flush(d) < 0)
		return -1;
	if ((!d->shape.custom || d->shape.layout != LAYOUT_COMPACT) &&
	    xmlTextWriterWriteString(w, BAD_CAST "\n") < 0)
		return failed(d);
	if (xmlTextWriterEndElement(w) < 0 ||
	    xmlTextWriterEndDocument(w) < 0 || xmlTextWriterFlush(w) < 0)
		return failed(d);
	xmlFreeTextWriter(w);
	d->writer = NULL;
	/* An allocation libxml2 lost without a word means bytes it never
	 * wrote: the document is not the one asked for. */
	if (d->sink.error || xml_pool_failures() != d->pool_failures ||
	    (d->sink.fd >= 0 && sink_flush(&d->sink) < 0))
		return failed(d);
	return 0;
}
