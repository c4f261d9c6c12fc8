/*
 * xml_doc.c - see xml_doc.h.
 *
 * libxml2 writes into an xmlOutputBuffer whose write callback appends to
 * our 1 MiB buffer, flushed to the descriptor when full and at the end: a
 * document costs a handful of write(2) calls, whatever its row count.
 */
#include "xml_doc.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
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
	memset(d, 0, sizeof(*d));
	buf_init(&d->sink.pending, 0);
	buf_init(&d->clean, 0);
	xml_names_init(&d->names);
}

void
xml_doc_free(struct xml_doc *d)
{
	if (d->writer)
		xmlFreeTextWriter(d->writer);
	buf_free(&d->sink.pending);
	buf_free(&d->clean);
	xml_names_free(&d->names);
	memset(d, 0, sizeof(*d));
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
	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "table") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "source",
	    BAD_CAST source) < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "sid", BAD_CAST num) < 0)
		return failed(d);
	return 0;
}

int
xml_doc_columns(struct xml_doc *d, const struct field *header, uint32_t ncols,
    uint32_t total)
{
	if (xml_names_build(&d->names, header, ncols, total) < 0)
		return errno = ENOMEM, -1;
	return 0;
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

int
xml_doc_row(struct xml_doc *d, uint64_t line, const struct field *f,
    uint32_t n)
{
	xmlTextWriterPtr w = d->writer;
	char num[24];
	const char *digits;
	uint32_t i;

	if (n > d->names.count)
		return errno = EINVAL, -1;
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

	if (xmlTextWriterWriteString(w, BAD_CAST "\n") < 0 ||
	    xmlTextWriterEndElement(w) < 0 ||
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
