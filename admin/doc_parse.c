/*
 * doc_parse.c - see doc_parse.h.
 *
 * libxml2's SAX2 push parser calls us for every start tag, end tag and
 * run of text.  A depth says where we are - outside the root, in the
 * root, in a row, in a field - and each handler refuses what may not
 * stand there.  Element and attribute names come from the parser's
 * dictionary, which lives as long as its context, so a row keeps pointers
 * to them.  Attribute values and text point into the parser's input
 * buffer, which moves on, so they are copied: the values of a row's
 * fields into one growing buffer (kept as offsets while the row is open,
 * as the buffer may move; made pointers when it closes), its attribute
 * values into another.  Nothing is allocated per row once the buffers
 * have grown to the widest row.
 *
 * Options: no network, no entity substitution, no DTD loading (a DOCTYPE
 * is refused at its first callback anyway, before its internal subset is
 * read), and XML_PARSE_HUGE, since a field may be larger than libxml2's
 * 10 MB limit on a text node.  Blanks are kept: white space in a field is
 * its value, and white space between elements comes to the same handler
 * as text, which lets it pass.
 *
 * Errors come through the structured error handler.  The first is the
 * problem; the parser is stopped there (xmlStopParser) and what follows
 * is ignored.  libxml2 raises a few errors (an encoder's, some
 * allocations) without naming the context: those go to the process-wide
 * handler, which is ours while libxml2 runs for us, so that nothing
 * reaches stderr behind the caller's back.
 *
 * Small pieces are gathered (up to GATHER bytes) before libxml2 sees
 * them: a call to xmlParseChunk costs most of a microsecond whatever its
 * size, so a document fed a byte at a time would parse at 1 MB/s.
 *
 * Cut short, a document makes libxml2 2.9 say "Extra content at the end
 * of the document" (XML_ERR_DOCUMENT_END is raised for both); inside the
 * root, that is said as "premature end of the document" and where.
 *
 * One parser context serves every document (xmlCtxtResetPush), keeping
 * its dictionary of names; it is made anew when that dictionary has grown
 * large (documents with ever new names) or after an allocation failed.
 */
#include "doc_parse.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/dict.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "buf.h"
#include "fail.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define OPTIONS (XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR | \
	XML_PARSE_NOWARNING)
#define GATHER 16384           /* smaller pieces are gathered first */
#define CHUNK_MAX (1 << 30)    /* xmlParseChunk takes an int */
#define DICT_MAX 100000        /* names kept before a fresh context */
#define NONE SIZE_MAX          /* no offset: the attribute is absent */

enum depth { OUTSIDE, IN_ROOT, IN_ROW, IN_FIELD };

struct doc_parser {
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;
	struct doc_callbacks cb;
	int open;                /* between begin and end */
	int ending;              /* in doc_parser_end's last push */
	uint64_t fed;            /* bytes of this document so far */
	int failed, stopped, nomem;
	enum depth depth;
	int root_done;
	char problem[512];
	struct buf gathered;     /* small pieces not yet given to libxml2 */

	struct doc_root root;
	struct buf root_text;    /* source and sid, each NUL-terminated */

	struct doc_row row;      /* what on_row is given */
	struct buf text;         /* the row's field values, NUL-terminated */
	struct buf attr_text;    /* its attribute values, NUL-terminated */
	size_t line_off;
	size_t nfields, fcap;
	const char **fname, **fvalue;
	size_t *foff, *flen;
	unsigned char *fnil;
	size_t nattrs, acap;
	const char **aname, **avalue;
	size_t *aoff;
};

/* Problems. */

/* A problem cut short by its buffer must not end inside a character. */
static void
cut_whole(char *s, size_t size)
{
	size_t n = strlen(s), i = n, need;
	unsigned char lead;

	if (n + 1 < size)
		return;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0 || (lead = (unsigned char)s[i - 1]) < 0x80)
		return;
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

static int
current_line(const struct doc_parser *p)
{
	return p->ctxt ? xmlSAX2GetLineNumber(p->ctxt) : 0;
}

/* Keeps the first problem and stops the parser where it is. */
static void
fail_at(struct doc_parser *p, int line, const char *fmt, va_list ap)
{
	int n;

	p->failed = 1;
	n = snprintf(p->problem, sizeof(p->problem), "line %d: ", line);
	if (n > 0 && (size_t)n < sizeof(p->problem))
		vsnprintf(p->problem + n, sizeof(p->problem) - (size_t)n, fmt,
		    ap);
	cut_whole(p->problem, sizeof(p->problem));
	if (p->ctxt)
		xmlStopParser(p->ctxt);
}

static void problem_at(struct doc_parser *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct doc_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
problem_at(struct doc_parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_at(p, line, fmt, ap);
	va_end(ap);
}

static void
problem(struct doc_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_at(p, current_line(p), fmt, ap);
	va_end(ap);
}

#define SHAPE "not a csvpack document: "

static int
out_of_memory(struct doc_parser *p)
{
	if (!p->failed) {
		problem(p, "out of memory");
		p->nomem = 1;
		fail_nomem("the XML parser");
	}
	return -1;
}

/* Where the parser is, for a problem: "in row 3 <row>". */
#define WHERE_MAX 256

static const char *
where(const struct doc_parser *p, char out[WHERE_MAX])
{
	switch (p->depth) {
	case OUTSIDE:
		return p->root_done ? "after the root element" :
		    "before the root element";
	case IN_ROOT:
		snprintf(out, WHERE_MAX, "in the root element <%s>",
		    p->root.name);
		break;
	case IN_ROW:
		snprintf(out, WHERE_MAX, "in row %" PRIu64 " <%s>",
		    p->row.index, p->row.name);
		break;
	default:
		snprintf(out, WHERE_MAX, "in field <%s> of row %" PRIu64,
		    p->fname[p->nfields - 1], p->row.index);
		break;
	}
	cut_whole(out, WHERE_MAX);
	return out;
}

/* "line 4: not a csvpack document: a comment in row 2 <row>"; name (or
 * NULL) and after follow what. */
static void
misplaced(struct doc_parser *p, const char *what, const xmlChar *name,
    const char *after)
{
	char at[WHERE_MAX];

	problem(p, SHAPE "%s%s%s %s", what, name ? (const char *)name : "",
	    after, where(p, at));
}

/* Bytes that do not convert from the encoding a document declares
 * (csvpack writes UTF-8, which needs no conversion) make libxml2 2.9 stop
 * without a word: it keeps them, unconverted, and at the end says
 * "Extra content".  Before the end, only an error it kept tells. */
static int
bad_encoding(struct doc_parser *p, int line, int at_end)
{
	xmlParserInputPtr in = p->ctxt ? p->ctxt->input : NULL;

	if (!in || !in->buf)
		return 0;
	if (in->buf->error == 0 && !(at_end && in->buf->encoder &&
	    in->buf->raw && xmlBufUse(in->buf->raw) > 0))
		return 0;
	problem_at(p, line, "bytes that are not %s, the declared encoding",
	    p->ctxt->encoding ? (const char *)p->ctxt->encoding : "?");
	return 1;
}

/* The end came before the root element closed. */
static void
cut_short(struct doc_parser *p, int line)
{
	char at[WHERE_MAX];

	if (bad_encoding(p, line, 1))
		return;
	if (p->fed == 0)
		problem_at(p, line, "the document is empty");
	else
		problem_at(p, line, "premature end of the document %s",
		    where(p, at));
}

/* libxml2's first error is the problem, its message on one line. */
static void
on_error(void *ctx, xmlErrorPtr e)
{
	struct doc_parser *p = ctx;
	char *s;
	size_t n;
	int line;

	if (p->failed || !e || e->level < XML_ERR_ERROR)
		return;
	if (e->code == XML_ERR_NO_MEMORY || e->domain == XML_FROM_MEMORY) {
		out_of_memory(p);
		return;
	}
	line = e->line > 0 ? e->line : current_line(p);
	if (p->ending && e->code == XML_ERR_DOCUMENT_END && !p->root_done) {
		cut_short(p, line);
		return;
	}
	/* libxml2 knows the line of its errors; the context, for those
	 * raised without it, where the parser is */
	problem_at(p, line, "%s", e->message ? e->message : "parse error");
	for (s = p->problem; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
	n = strlen(p->problem);
	while (n > 0 && p->problem[n - 1] == ' ')
		p->problem[--n] = '\0';
}

/* Growing arrays. */

static void *
grown(void *old, size_t cap, size_t size)
{
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(old, cap * size);
}

static int
grow_fields(struct doc_parser *p)
{
	size_t cap = p->fcap ? p->fcap * 2 : 16;
	void *q;

	if (!(q = grown(p->fname, cap, sizeof(*p->fname))))
		return -1;
	p->fname = q;
	if (!(q = grown(p->fvalue, cap, sizeof(*p->fvalue))))
		return -1;
	p->fvalue = q;
	if (!(q = grown(p->foff, cap, sizeof(*p->foff))))
		return -1;
	p->foff = q;
	if (!(q = grown(p->flen, cap, sizeof(*p->flen))))
		return -1;
	p->flen = q;
	if (!(q = grown(p->fnil, cap, sizeof(*p->fnil))))
		return -1;
	p->fnil = q;
	p->fcap = cap;
	return 0;
}

static int
grow_attrs(struct doc_parser *p)
{
	size_t cap = p->acap ? p->acap * 2 : 4;
	void *q;

	if (!(q = grown(p->aname, cap, sizeof(*p->aname))))
		return -1;
	p->aname = q;
	if (!(q = grown(p->avalue, cap, sizeof(*p->avalue))))
		return -1;
	p->avalue = q;
	if (!(q = grown(p->aoff, cap, sizeof(*p->aoff))))
		return -1;
	p->aoff = q;
	p->acap = cap;
	return 0;
}

/* Copies an attribute value (from, to) into b with a NUL; *off gets
 * where it starts.  Without entity substitution, libxml2 hands an
 * attribute's '&' (however written: &amp;, &#38;, &#x26;) as "&#38;", for
 * a tree builder to decode later; no other reference can be left in a
 * value, as there is no DTD to declare one.  So each "&#38;" is a '&'. */
static int
keep(struct buf *b, const xmlChar *from, const xmlChar *to, size_t *off)
{
	const xmlChar *amp;

	*off = b->len;
	while ((amp = memchr(from, '&', (size_t)(to - from))) != NULL) {
		if (buf_append(b, from, (size_t)(amp - from) + 1) < 0)
			return -1;
		from = amp + 1;
		if (to - from >= 4 && memcmp(from, "#38;", 4) == 0)
			from += 4;
	}
	if (buf_append(b, from, (size_t)(to - from)) < 0 ||
	    buf_append(b, "", 1) < 0)
		return -1;
	return 0;
}

/* SAX2 hands attributes as (localname, prefix, URI, value, end). */
static int
unqualified(const xmlChar *const *a, const char *name)
{
	return a[2] == NULL && strcmp((const char *)a[0], name) == 0;
}

/* The handlers, by depth. */

static void
start_root(struct doc_parser *p, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nattrs, const xmlChar **a)
{
	size_t source = NONE, sid = NONE;
	int i;

	if (p->root_done) {
		problem(p, SHAPE "a second root element <%s>", local);
		return;
	}
	p->root.name = (const char *)local;
	p->root.prefix = (const char *)prefix;
	p->root.uri = (const char *)uri;
	buf_reset(&p->root_text);
	for (i = 0; i < nattrs; i++, a += 5) {
		if (source == NONE && unqualified(a, "source")) {
			if (keep(&p->root_text, a[3], a[4], &source) < 0)
				goto nomem;
		} else if (sid == NONE && unqualified(a, "sid")) {
			if (keep(&p->root_text, a[3], a[4], &sid) < 0)
				goto nomem;
		}
	}
	p->root.source = source == NONE ? NULL :
	    (const char *)p->root_text.data + source;
	p->root.sid = sid == NONE ? NULL :
	    (const char *)p->root_text.data + sid;
	if (p->cb.on_root && p->cb.on_root(&p->root, p->cb.arg) < 0) {
		problem(p, "stopped");
		p->stopped = 1;
	}
	return;
nomem:
	out_of_memory(p);
}

static void
start_row(struct doc_parser *p, const xmlChar *local, int nattrs,
    const xmlChar **a)
{
	size_t n;
	int i;

	p->row.index++;
	p->row.name = (const char *)local;
	p->nfields = 0;
	p->nattrs = 0;
	p->line_off = NONE;
	buf_reset(&p->text);
	buf_reset(&p->attr_text);
	for (i = 0; i < nattrs; i++, a += 5) {
		if (p->line_off == NONE && unqualified(a, "line")) {
			if (keep(&p->attr_text, a[3], a[4], &p->line_off) < 0)
				goto nomem;
			continue;
		}
		if (p->nattrs == p->acap && grow_attrs(p) < 0)
			goto nomem;
		n = p->nattrs++;
		p->aname[n] = (const char *)a[0];
		if (keep(&p->attr_text, a[3], a[4], &p->aoff[n]) < 0)
			goto nomem;
	}
	return;
nomem:
	out_of_memory(p);
}

/* xsi:nil="true" (or "1", xs:boolean's other true). */
static unsigned char
is_nil(int nattrs, const xmlChar **a)
{
	size_t len;
	int i;

	for (i = 0; i < nattrs; i++, a += 5) {
		if (a[2] == NULL || strcmp((const char *)a[0], "nil") != 0 ||
		    strcmp((const char *)a[2], XSI_NS) != 0)
			continue;
		len = (size_t)(a[4] - a[3]);
		return (len == 4 && memcmp(a[3], "true", 4) == 0) ||
		    (len == 1 && a[3][0] == '1');
	}
	return 0;
}

static void
start_field(struct doc_parser *p, const xmlChar *local, int nattrs,
    const xmlChar **a)
{
	size_t n;

	if (p->nfields == p->fcap && grow_fields(p) < 0) {
		out_of_memory(p);
		return;
	}
	n = p->nfields++;
	p->fname[n] = (const char *)local;
	p->foff[n] = p->text.len;
	p->fnil[n] = nattrs ? is_nil(nattrs, a) : 0;
}

static void
on_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattrs,
    int ndefaulted, const xmlChar **a)
{
	struct doc_parser *p = ctx;

	(void)nns;
	(void)ns;
	(void)ndefaulted; /* counted in nattrs; without a DTD, none */
	if (p->failed)
		return;
	switch (p->depth) {
	case OUTSIDE:
		start_root(p, local, prefix, uri, nattrs, a);
		break;
	case IN_ROOT:
		start_row(p, local, nattrs, a);
		break;
	case IN_ROW:
		start_field(p, local, nattrs, a);
		break;
	default:
		misplaced(p, "an element <", local, ">");
		return;
	}
	p->depth++;
}

static void
end_row(struct doc_parser *p)
{
	const char *text = (const char *)p->text.data;
	const char *attrs = (const char *)p->attr_text.data;
	size_t i;

	for (i = 0; i < p->nfields; i++)
		p->fvalue[i] = text + p->foff[i];
	for (i = 0; i < p->nattrs; i++)
		p->avalue[i] = attrs + p->aoff[i];
	p->row.line = p->line_off == NONE ? NULL : attrs + p->line_off;
	p->row.nattrs = p->nattrs;
	p->row.attr_name = p->aname;
	p->row.attr_value = p->avalue;
	p->row.nfields = p->nfields;
	p->row.field_name = p->fname;
	p->row.value = p->fvalue;
	p->row.len = p->flen;
	p->row.nil = p->fnil;
	if (p->cb.on_row && p->cb.on_row(&p->row, p->cb.arg) < 0) {
		problem(p, "stopped");
		p->stopped = 1;
	}
}

static void
on_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct doc_parser *p = ctx;
	size_t n;

	(void)local;
	(void)prefix;
	(void)uri;
	if (p->failed)
		return;
	switch (p->depth) {
	case IN_FIELD:
		n = p->nfields - 1;
		p->flen[n] = p->text.len - p->foff[n];
		if (buf_append(&p->text, "", 1) < 0) {
			out_of_memory(p);
			return;
		}
		break;
	case IN_ROW:
		end_row(p);
		break;
	case IN_ROOT:
		p->root_done = 1;
		break;
	default:
		return; /* libxml2 never ends what it did not start */
	}
	p->depth--;
}

static int
blank(const xmlChar *s, int len)
{
	int i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

static void
on_text(void *ctx, const xmlChar *s, int len)
{
	struct doc_parser *p = ctx;

	if (p->failed)
		return;
	if (p->depth == IN_FIELD) {
		if (buf_append(&p->text, s, (size_t)len) < 0)
			out_of_memory(p);
		return;
	}
	if (!blank(s, len))
		misplaced(p, "text directly", NULL, "");
}

static void
on_cdata(void *ctx, const xmlChar *s, int len)
{
	struct doc_parser *p = ctx;

	if (p->failed)
		return;
	if (p->depth == IN_FIELD)
		on_text(ctx, s, len);
	else
		misplaced(p, "a CDATA section directly", NULL, "");
}

static void
on_comment(void *ctx, const xmlChar *s)
{
	struct doc_parser *p = ctx;

	(void)s;
	if (!p->failed)
		misplaced(p, "a comment", NULL, "");
}

static void
on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	struct doc_parser *p = ctx;

	(void)data;
	if (!p->failed)
		misplaced(p, "a processing instruction <?", target, "?>");
}

/* Called as a DOCTYPE's name is read, before its internal subset: the
 * entities it might declare are never read. */
static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *public_id,
    const xmlChar *system_id)
{
	struct doc_parser *p = ctx;

	(void)public_id;
	(void)system_id;
	if (!p->failed)
		problem(p, SHAPE "a DOCTYPE <!DOCTYPE %s> (csvpack writes none)",
		    name);
}

static void
on_reference(void *ctx, const xmlChar *name)
{
	struct doc_parser *p = ctx;

	if (!p->failed)
		misplaced(p, "an entity reference &", name, ";");
}

/* The process-wide error handler, ours while libxml2 works for us. */
struct saved_handler {
	xmlStructuredErrorFunc func;
	void *ctx;
};

static void
handler_take(struct doc_parser *p, struct saved_handler *s)
{
	s->func = xmlStructuredError;
	s->ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(p, on_error);
}

static void
handler_give_back(const struct saved_handler *s)
{
	xmlSetStructuredErrorFunc(s->ctx, s->func);
}

/* libxml2 2.9 halts without a word in a few places (bytes that do not
 * convert, a buffer it could not grow); rows would just stop coming. */
static void
check_halted(struct doc_parser *p)
{
	if (!bad_encoding(p, current_line(p), 0) &&
	    p->ctxt->instate == XML_PARSER_EOF)
		problem(p, "libxml2 stopped parsing without saying why");
}

/* Hands libxml2 n bytes (terminate: the end of the document). */
static int
push(struct doc_parser *p, const char *data, size_t n, int terminate)
{
	struct saved_handler saved;
	int len, last;

	handler_take(p, &saved);
	do {
		len = n > CHUNK_MAX ? CHUNK_MAX : (int)n;
		last = terminate && n == (size_t)len;
		xmlParseChunk(p->ctxt, data, len, last);
		if (!p->failed && !last)
			check_halted(p);
		data += len;
		n -= (size_t)len;
	} while (n > 0 && !p->failed);
	handler_give_back(&saved);
	return p->failed ? -1 : 0;
}

struct doc_parser *
doc_parser_new(void)
{
	struct doc_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	xmlInitParser();
	p->sax.initialized = XML_SAX2_MAGIC;
	p->sax.startElementNs = on_start;
	p->sax.endElementNs = on_end;
	p->sax.characters = on_text;
	p->sax.ignorableWhitespace = on_text;
	p->sax.cdataBlock = on_cdata;
	p->sax.comment = on_comment;
	p->sax.processingInstruction = on_pi;
	p->sax.internalSubset = on_doctype;
	p->sax.reference = on_reference;
	p->sax.serror = on_error;
	buf_init(&p->gathered, 0);
	buf_init(&p->root_text, 0);
	buf_init(&p->text, 0);
	buf_init(&p->attr_text, 0);
	return p;
}

void
doc_parser_free(struct doc_parser *p)
{
	if (!p)
		return;
	if (p->ctxt)
		xmlFreeParserCtxt(p->ctxt);
	buf_free(&p->gathered);
	buf_free(&p->root_text);
	buf_free(&p->text);
	buf_free(&p->attr_text);
	free(p->fname);
	free(p->fvalue);
	free(p->foff);
	free(p->flen);
	free(p->fnil);
	free(p->aname);
	free(p->avalue);
	free(p->aoff);
	free(p);
}

/* A context for a new document: the last one reset, or a fresh one. */
static int
context_ready(struct doc_parser *p, int renew)
{
	struct saved_handler saved;
	int rc = 0;

	handler_take(p, &saved);
	if (p->ctxt && renew) {
		xmlFreeParserCtxt(p->ctxt);
		p->ctxt = NULL;
	}
	if (!p->ctxt)
		p->ctxt = xmlCreatePushParserCtxt(&p->sax, p, NULL, 0, NULL);
	else if (xmlCtxtResetPush(p->ctxt, NULL, 0, NULL, NULL) != 0)
		rc = -1;
	if (!p->ctxt || rc < 0 || xmlCtxtUseOptions(p->ctxt, OPTIONS) != 0)
		rc = -1;
	else
		p->ctxt->userData = p;
	handler_give_back(&saved);
	return rc;
}

int
doc_parser_begin(struct doc_parser *p, const struct doc_callbacks *cb)
{
	int renew = p->nomem ||
	    (p->ctxt && xmlDictSize(p->ctxt->dict) > DICT_MAX);

	p->open = 1;
	p->ending = 0;
	p->fed = 0;
	p->failed = p->stopped = p->nomem = 0;
	p->depth = OUTSIDE;
	p->root_done = 0;
	p->problem[0] = '\0';
	buf_reset(&p->gathered);
	memset(&p->root, 0, sizeof(p->root));
	memset(&p->row, 0, sizeof(p->row));
	if (cb)
		p->cb = *cb;
	else
		memset(&p->cb, 0, sizeof(p->cb));
	if (context_ready(p, renew) < 0) {
		if (p->ctxt) {
			xmlFreeParserCtxt(p->ctxt);
			p->ctxt = NULL;
		}
		return out_of_memory(p);
	}
	return 0;
}

static int
not_open(struct doc_parser *p, const char *call)
{
	if (!p->failed) {
		p->failed = 1;
		snprintf(p->problem, sizeof(p->problem),
		    "%s outside a document", call);
	}
	return -1;
}

int
doc_parser_feed(struct doc_parser *p, const void *data, size_t n)
{
	if (p->failed || !p->open)
		return not_open(p, "doc_parser_feed");
	if (n == 0)
		return 0;
	p->fed += n;
	if (n < GATHER) {
		if (buf_append(&p->gathered, data, n) < 0)
			return out_of_memory(p);
		if (p->gathered.len < GATHER)
			return 0;
		data = NULL;
	}
	if (p->gathered.len) {
		if (push(p, (const char *)p->gathered.data, p->gathered.len,
		    0) < 0)
			return -1;
		buf_reset(&p->gathered);
	}
	return data ? push(p, data, n, 0) : 0;
}

int
doc_parser_end(struct doc_parser *p)
{
	int rc;

	if (p->failed || !p->open)
		return not_open(p, "doc_parser_end");
	p->open = 0;
	p->ending = 1;
	rc = push(p, (const char *)p->gathered.data, p->gathered.len, 1);
	p->ending = 0;
	if (rc < 0)
		return -1;
	buf_reset(&p->gathered);
	if (!p->ctxt->wellFormed || !p->ctxt->nsWellFormed) {
		problem(p, "not well-formed");
		return -1;
	}
	if (!p->root_done) {
		problem(p, SHAPE "no root element");
		return -1;
	}
	return 0;
}

const char *
doc_parser_problem(const struct doc_parser *p)
{
	return p->problem;
}

int
doc_parser_stopped(const struct doc_parser *p)
{
	return p->stopped;
}

int
doc_parser_failed_sys(const struct doc_parser *p)
{
	return p->nomem;
}
