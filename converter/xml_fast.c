/*
 * xml_fast.c - see xml_fast.h.
 *
 * A row is written into space reserved once for it: the pieces' bound
 * (x->fixed) plus six bytes per value byte, the most any byte becomes
 * ('"' as &quot;), so nothing is checked while it is written.
 */
#include "xml_fast.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

/* What a byte of a value asks for. */
enum {
	C_COPY,   /* itself */
	C_ESC,    /* its character reference or entity (esc[]) */
	C_BAD,    /* a control character XML 1.0 cannot carry: U+FFFD */
	C_EF      /* U+FFFE and U+FFFF start with it: look further */
};

#define BAD_CONTROLS \
	[0x00] = C_BAD, [0x01] = C_BAD, [0x02] = C_BAD, [0x03] = C_BAD, \
	[0x04] = C_BAD, [0x05] = C_BAD, [0x06] = C_BAD, [0x07] = C_BAD, \
	[0x08] = C_BAD, [0x0B] = C_BAD, [0x0C] = C_BAD, [0x0E] = C_BAD, \
	[0x0F] = C_BAD, [0x10] = C_BAD, [0x11] = C_BAD, [0x12] = C_BAD, \
	[0x13] = C_BAD, [0x14] = C_BAD, [0x15] = C_BAD, [0x16] = C_BAD, \
	[0x17] = C_BAD, [0x18] = C_BAD, [0x19] = C_BAD, [0x1A] = C_BAD, \
	[0x1B] = C_BAD, [0x1C] = C_BAD, [0x1D] = C_BAD, [0x1E] = C_BAD, \
	[0x1F] = C_BAD, [0xEF] = C_EF

/* Element content: xmlEncodeSpecialChars, which WriteString uses there. */
static const unsigned char content_class[256] = {
	BAD_CONTROLS,
	['<'] = C_ESC, ['>'] = C_ESC, ['&'] = C_ESC, ['"'] = C_ESC,
	['\r'] = C_ESC,
};

/* Attribute values: xmlBufAttrSerializeTxtContent, which WriteString uses
 * in an attribute, also writes TAB and LF as references. */
static const unsigned char attr_class[256] = {
	BAD_CONTROLS,
	['<'] = C_ESC, ['>'] = C_ESC, ['&'] = C_ESC, ['"'] = C_ESC,
	['\r'] = C_ESC, ['\t'] = C_ESC, ['\n'] = C_ESC,
};

struct esc {
	const char *s;
	unsigned char len;
};

static const struct esc esc[256] = {
	['<'] = { "&lt;", 4 }, ['>'] = { "&gt;", 4 }, ['&'] = { "&amp;", 5 },
	['"'] = { "&quot;", 6 }, ['\r'] = { "&#13;", 5 },
	['\t'] = { "&#9;", 4 }, ['\n'] = { "&#10;", 5 },
};

#define MAX_GROWTH 6 /* bytes out per byte in, at most: &quot; */

/* Writes the value p[0..len) escaped for cls at o; returns the end.
 * Adds the characters replaced by U+FFFD to *bad. */
static unsigned char *
put_value(unsigned char *o, const unsigned char *p, size_t len,
    const unsigned char *cls, uint64_t *bad)
{
	const unsigned char *end = p + len, *run;

	while (p < end) {
		run = p;
		while (p < end && cls[*p] == C_COPY)
			p++;
		memcpy(o, run, (size_t)(p - run));
		o += p - run;
		if (p == end)
			break;
		switch (cls[*p]) {
		case C_ESC:
			memcpy(o, esc[*p].s, esc[*p].len);
			o += esc[*p].len;
			p++;
			break;
		case C_BAD:
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			(*bad)++;
			p++;
			break;
		default: /* C_EF */
			if (end - p >= 3 && p[1] == 0xBF &&
			    (p[2] == 0xBE || p[2] == 0xBF)) {
				memcpy(o, "\xEF\xBF\xBD", 3);
				o += 3;
				(*bad)++;
				p += 3;
			} else {
				*o++ = *p++;
			}
			break;
		}
	}
	return o;
}

/* A piece is a few bytes: copied PIECE_SLACK at a time (a fixed size the
 * compiler inlines, a call to memcpy cost 10% of a row), which the room
 * reserved after each piece and each row allows. */
#define PIECE_SLACK 32

static unsigned char *
put_piece(unsigned char *o, const struct xml_fast_piece *pc)
{
	if (pc->len <= PIECE_SLACK)
		memcpy(o, pc->p, PIECE_SLACK);
	else
		memcpy(o, pc->p, pc->len);
	return o + pc->len;
}

/* v in decimal at o; returns the end. */
static unsigned char *
put_u64(unsigned char *o, uint64_t v)
{
	uint64_t t = v;
	size_t n = 1;

	while (t >= 10) {
		t /= 10;
		n++;
	}
	o += n;
	do {
		*--o = (unsigned char)('0' + v % 10);
		v /= 10;
	} while (v);
	return o + n;
}

void
xml_fast_init(struct xml_fast *x)
{
	memset(x, 0, sizeof(*x));
	buf_init(&x->out, 0);
	buf_init(&x->tags, 0);
}

void
xml_fast_free(struct xml_fast *x)
{
	buf_free(&x->out);
	buf_free(&x->tags);
	free(x->col);
	free(x->attr);
	memset(x, 0, sizeof(*x));
}

/* Clean text (nothing xml_clean_value would replace) with every ASCII
 * character libxml2 might escape, non-ASCII of each length and "]]>". */
static const char probe_text[] =
    "\t\n\r !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~\x7F"
    "\xC2\x80\xC3\xA9\xE2\x82\xAC\xEF\xBC\x81\xEF\xBF\xBD"
    "\xF0\x9F\x98\x80\xF4\x8F\xBF\xBD ]]> a\r\nb";

int
xml_fast_probe(struct xml_fast *x)
{
	static const char decl[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
	xmlBufferPtr b;
	xmlTextWriterPtr w;
	unsigned char *want, *o;
	size_t len = sizeof(probe_text) - 1;
	uint64_t bad = 0;
	int ok = 0;

	if (x->probed)
		return x->probed > 0;
	if (!(b = xmlBufferCreate()))
		return 0; /* asked again next time */
	if (!(w = xmlNewTextWriterMemory(b, 0))) {
		xmlBufferFree(b);
		return 0;
	}
	want = malloc(2 * MAX_GROWTH * len + sizeof(decl) + 32);
	/* As a document starts (xml_doc_begin): the declared encoding
	 * decides whether non-ASCII in attributes is written as is. */
	if (want &&
	    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) >= 0 &&
	    xmlTextWriterStartElement(w, BAD_CAST "p") >= 0 &&
	    xmlTextWriterWriteAttribute(w, BAD_CAST "a",
	    BAD_CAST probe_text) >= 0 &&
	    xmlTextWriterStartElement(w, BAD_CAST "c") >= 0 &&
	    xmlTextWriterWriteString(w, BAD_CAST probe_text) >= 0 &&
	    xmlTextWriterEndElement(w) >= 0 &&
	    xmlTextWriterEndElement(w) >= 0 && xmlTextWriterFlush(w) >= 0) {
		memcpy(want, decl, sizeof(decl) - 1);
		o = want + sizeof(decl) - 1;
		memcpy(o, "<p a=\"", 6);
		o = put_value(o + 6, (const unsigned char *)probe_text, len,
		    attr_class, &bad);
		memcpy(o, "\"><c>", 5);
		o = put_value(o + 5, (const unsigned char *)probe_text, len,
		    content_class, &bad);
		memcpy(o, "</c></p>", 8);
		o += 8;
		x->probed = (size_t)xmlBufferLength(b) == (size_t)(o - want) &&
		    memcmp(xmlBufferContent(b), want, (size_t)(o - want)) == 0 &&
		    bad == 0 ? 1 : -1;
		ok = x->probed > 0;
	}
	free(want);
	xmlFreeTextWriter(w);
	xmlBufferFree(b);
	return ok;
}

/* 1 if libxml2 takes name as a (qualified) XML name. */
static int
valid_name(const char *name)
{
	return name && *name && xmlValidateQName(BAD_CAST name, 0) == 0;
}

/* Appends the strings (up to a NULL) to t, whose room is reserved, as
 * the piece pc. */
static void
piece(struct buf *t, struct xml_fast_piece *pc, const char *a, const char *b,
    const char *c, const char *d)
{
	const char *part[4] = { a, b, c, d };
	size_t start = t->len, n;
	int i;

	for (i = 0; i < 4 && part[i]; i++) {
		n = strlen(part[i]);
		memcpy(t->data + t->len, part[i], n);
		t->len += n;
	}
	pc->p = t->data + start;
	pc->len = (uint32_t)(t->len - start);
}

static int
grow(struct xml_fast *x, uint32_t total, uint32_t nattr)
{
	struct xml_fast_piece *p;

	if (total > x->col_cap) {
		p = realloc(x->col, (size_t)total * 3 * sizeof(*p));
		if (!p)
			return -1;
		x->col = p;
		x->col_cap = total;
	}
	if (nattr > x->attr_cap) {
		p = realloc(x->attr, (size_t)nattr * sizeof(*p));
		if (!p)
			return -1;
		x->attr = p;
		x->attr_cap = nattr;
	}
	return 0;
}

int
xml_fast_columns(struct xml_fast *x, const struct xml_shape *s,
    const char *const *elem, uint32_t total)
{
	static const char nil[] = " xsi:nil=\"true\"/>";
	const char *indent = s->layout == LAYOUT_PRETTY ? "\n    " : "";
	const char *nl = s->layout == LAYOUT_COMPACT ? "" : "\n  ";
	const char *close_nl = s->layout == LAYOUT_PRETTY ? "\n  " : "";
	struct xml_fast_piece *pc;
	struct buf *t = &x->tags;
	size_t room, mark, fixed;
	uint32_t i, k;

	x->usable = 0;
	if (!xml_fast_probe(x) || !valid_name(s->row))
		return 0;
	for (i = 0; i < total; i++)
		if (!xml_shape_is_attr(s, i) && !valid_name(elem[i]))
			return 0;
	for (k = 0; k < s->nattr; k++)
		if (!valid_name(s->attr_name[k]))
			return 0;
	if (grow(x, total, s->nattr) < 0)
		return errno = ENOMEM, -1;
	/* Room for every piece first, so that none moves once made. */
	room = 2 * strlen(s->row) + 16 + PIECE_SLACK;
	for (k = 0; k < s->nattr; k++)
		room += strlen(s->attr_name[k]) + 3;
	for (i = 0; i < total; i++)
		room += 3 * strlen(elem[i]) + 2 * strlen(indent) +
		    sizeof(nil) + 8;
	buf_reset(t);
	if (buf_reserve(t, room) < 0)
		return errno = ENOMEM, -1;
	memset(t->data, 0, room); /* what put_piece reads past a piece */
	piece(t, &x->row_open, nl, "<", s->row, NULL);
	piece(t, &x->row_close, close_nl, "</", s->row, ">");
	fixed = x->row_open.len + x->row_close.len + 2; /* or "/>" */
	if (s->provenance == PROVENANCE_ALL)
		fixed += sizeof(" line=\"\"") - 1 + 20;
	for (k = 0; k < s->nattr; k++) {
		piece(t, &x->attr[k], " ", s->attr_name[k], "=\"", NULL);
		fixed += x->attr[k].len + 1;
	}
	fixed += 1; /* the '>' before the first child */
	for (i = 0; i < total; i++) {
		pc = &x->col[3 * i];
		mark = t->len;
		piece(t, &pc[0], indent, "<", elem[i], ">");
		piece(t, &pc[1], indent, "<", elem[i], nil);
		piece(t, &pc[2], "</", elem[i], ">", NULL);
		fixed += t->len - mark;
	}
	x->ncols = total;
	x->nattr = s->nattr;
	x->fixed = fixed;
	x->usable = 1;
	return 0;
}

int
xml_fast_row(struct xml_fast *x, const struct xml_shape *s, uint64_t line,
    const struct field *f, uint32_t n, uint64_t *replaced, uint64_t *nulls)
{
	static const struct field empty = { "", 0, 0 };
	const struct field *v;
	const struct xml_fast_piece *pc;
	unsigned char *o;
	size_t need = x->fixed, bytes = 0;
	uint32_t i, k;
	int null, children = 0;

	if (n > x->ncols)
		return errno = EINVAL, -1;
	for (i = 0; i < n; i++)
		bytes += f[i].len;
	if (bytes > (SIZE_MAX - need - PIECE_SLACK) / MAX_GROWTH)
		return errno = ENOMEM, -1;
	if (buf_reserve(&x->out, need + MAX_GROWTH * bytes + PIECE_SLACK) < 0)
		return errno = ENOMEM, -1;
	o = x->out.data + x->out.len;
	o = put_piece(o, &x->row_open);
	if (s->provenance == PROVENANCE_ALL) {
		memcpy(o, " line=\"", 7);
		o = put_u64(o + 7, line);
		*o++ = '"';
	}
	for (k = 0; k < x->nattr; k++) {
		i = s->attr_col[k];
		if (i >= n)
			continue;
		null = s->nnulls && xml_shape_is_null(s, &f[i]);
		*nulls += (uint64_t)null;
		/* An attribute cannot carry xsi:nil: under nil, left out. */
		if (null && s->null_as != NULL_AS_EMPTY)
			continue;
		v = null ? &empty : &f[i];
		o = put_piece(o, &x->attr[k]);
		o = put_value(o, (const unsigned char *)v->s, v->len,
		    attr_class, replaced);
		*o++ = '"';
	}
	for (i = 0; i < n; i++) {
		if (xml_shape_is_attr(s, i))
			continue;
		null = s->nnulls && xml_shape_is_null(s, &f[i]);
		*nulls += (uint64_t)null;
		if (null && s->null_as == NULL_AS_OMIT)
			continue;
		if (!children) {
			*o++ = '>';
			children = 1;
		}
		pc = &x->col[3 * i];
		if (null && s->null_as == NULL_AS_NIL) {
			o = put_piece(o, &pc[1]);
			continue;
		}
		o = put_piece(o, &pc[0]);
		if (!null)
			o = put_value(o, (const unsigned char *)f[i].s,
			    f[i].len, content_class, replaced);
		o = put_piece(o, &pc[2]);
	}
	if (children) {
		o = put_piece(o, &x->row_close);
	} else {
		memcpy(o, "/>", 2);
		o += 2;
	}
	x->out.len = (size_t)(o - x->out.data);
	return 0;
}
