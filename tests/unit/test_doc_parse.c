/*
 * test_doc_parse.c - unit tests of admin/doc_parse.h, the push parser
 * `csvpack verify` reads every document with.
 *
 * Round trip.  converter/xml_doc.h writes a real document in memory (fd
 * -1): a thousand rows whose values are the hard ones - empty, spaces
 * only, < > & " ', CR, CRLF, LF, tabs, 股票, "]]>", a U+0001 the writer
 * turns into U+FFFD - one of them 3 MB, with a source attribute that
 * needs escaping.  Fed one byte at a time, seven at a time and whole, the
 * parser must give back exactly those fields (names, values, lengths,
 * NUL-terminated), lines and root attributes, every row once and in
 * order.  One parser serves all three, and then a namespaced document
 * and the first one again (reuse).
 *
 * Hand-written documents, each fed in the same three ways: xsi:nil
 * under any prefix bound to the XML Schema instance namespace (not in
 * another, nor without one, nor "false", "0", "TRUE"); row attributes
 * besides line, in order, '&' however escaped; a default namespace and a
 * prefixed one (local names, the root's prefix and URI); compact and
 * pretty layouts (white space between elements dropped, inside a field
 * kept, CRLF); CDATA and character references as text.
 *
 * Problems, each with its exact text: every copy cut short, a mismatched
 * end tag, a bad character, bad UTF-8, text in the root or a row, a
 * comment, a processing instruction, a DOCTYPE declaring an entity (never
 * expanded: no row is reported), two roots, an element in a field, an
 * undefined entity, CDATA outside a field.  A callback returning -1 stops
 * the document and is not called again; after any problem every call
 * returns -1 and parses nothing, until the next document, which parses.
 * Out of memory (an address-space limit, not under ASan) is
 * doc_parser_failed_sys(), said once on stderr.  130 documents of 1000
 * new names each outgrow the parser's dictionary (it is dropped and made
 * anew): every name must still come back right.
 */
#include <sys/resource.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "check_helpers.h"
#include "capture.h"
#include "buf.h"
#include "doc_parse.h"
#include "fail.h"
#include "xml_doc.h"

#define WHOLE SIZE_MAX
#define XSI "http://www.w3.org/2001/XMLSchema-instance"

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Begins, feeds s in pieces of `piece` bytes, ends: the first -1, or 0. */
static int
parse(struct doc_parser *p, const struct doc_callbacks *cb, const char *s,
    size_t len, size_t piece)
{
	size_t off, n;

	if (doc_parser_begin(p, cb) < 0)
		return -1;
	for (off = 0; off < len; off += n) {
		n = min_size(len - off, piece);
		if (doc_parser_feed(p, s + off, n) < 0)
			return -1;
	}
	return doc_parser_end(p);
}

/* The round trip. */

#define NCOLS 3
#define NROWS 1000
#define BIG_ROW 500            /* the row whose second field is 3 MB */
#define BIG_LEN (3u << 20)

struct tricky {
	const char *in, *out;  /* written; read back */
};

static const struct tricky tricky[] = {
	{ "", "" },
	{ "   ", "   " },
	{ "<>&\"'", "<>&\"'" },
	{ "\r", "\r" },
	{ "\r\n", "\r\n" },
	{ "\n", "\n" },
	{ "\ta\t\tb\t", "\ta\t\tb\t" },
	{ "\xe8\x82\xa1\xe7\xa5\xa8", "\xe8\x82\xa1\xe7\xa5\xa8" }, /* 股票 */
	{ "a\x01" "b", "a\xef\xbf\xbd" "b" },
	{ "]]>", "]]>" },
	{ "&#13; is not a CR", "&#13; is not a CR" },
	{ " lead and trail ", " lead and trail " },
	{ "12.50", "12.50" },
};
#define NTRICKY (sizeof(tricky) / sizeof(tricky[0]))

static const char *const header_cells[NCOLS] = {
	"id", "text", "\xe8\x82\xa1\xe7\xa5\xa8 code",
};
static const char *const field_names[NCOLS] = {
	"id", "text", "\xe8\x82\xa1\xe7\xa5\xa8_code",
};
static const char source[] = "dir/prix <&\"> \xe8\x82\xa1.csv";

static char *big;  /* the 3 MB value, NUL-terminated */
static char ids[NROWS][24];

static uint64_t
line_of(size_t k)
{
	return 2 + 3 * (uint64_t)k + (k == NROWS - 1 ? 1000000000000u : 0);
}

/* Row k's field c: written (out 0) or read back (out 1). */
static const char *
value_of(size_t k, int c, int out)
{
	const struct tricky *t;

	if (c == 0)
		return ids[k];
	if (c == 1 && k == BIG_ROW)
		return big;
	t = &tricky[(c == 1 ? k : k * 7 + 3) % NTRICKY];
	return out ? t->out : t->in;
}

static void
make_big(void)
{
	static const char pattern[] = "0123456789 \xe8\x82\xa1 <&> \r\n\t]]>";
	size_t i, n = sizeof(pattern) - 1;

	big = malloc(BIG_LEN + 1);
	ck_assert_ptr_nonnull(big);
	/* whole patterns, so that no character is cut; then x */
	for (i = 0; i + n <= BIG_LEN; i += n)
		memcpy(big + i, pattern, n);
	memset(big + i, 'x', BIG_LEN - i);
	big[BIG_LEN] = '\0';
}

/* The document, in d->sink.pending. */
static void
write_round_trip(struct xml_doc *d)
{
	struct field h[NCOLS], f[NCOLS];
	size_t k;
	int c;

	make_big();
	for (c = 0; c < NCOLS; c++) {
		h[c].s = header_cells[c];
		h[c].len = (uint32_t)strlen(header_cells[c]);
	}
	xml_doc_init(d);
	ck_assert_int_eq(xml_doc_begin(d, -1, source, 42), 0);
	ck_assert_int_eq(xml_doc_columns(d, h, NCOLS, NCOLS), 0);
	for (k = 0; k < NROWS; k++) {
		snprintf(ids[k], sizeof(ids[k]), "%zu", k);
		for (c = 0; c < NCOLS; c++) {
			f[c].s = value_of(k, c, 0);
			f[c].len = (uint32_t)strlen(f[c].s);
		}
		ck_assert_int_eq(xml_doc_row(d, line_of(k), f, NCOLS), 0);
	}
	ck_assert_int_eq(xml_doc_end(d), 0);
	ck_assert_uint_gt(d->sink.pending.len, BIG_LEN);
}

struct seen {
	int roots;
	size_t rows;
	size_t stop_at;  /* on_row returns -1 at this row; 0 never */
};

static int
check_root(const struct doc_root *r, void *arg)
{
	struct seen *s = arg;

	s->roots++;
	REQUIRE(strcmp(r->name, "table") == 0);
	REQUIRE(r->prefix == NULL && r->uri == NULL);
	REQUIRE(r->source && strcmp(r->source, source) == 0);
	REQUIRE(r->sid && strcmp(r->sid, "42") == 0);
	return 0;
}

static int
check_row(const struct doc_row *r, void *arg)
{
	struct seen *s = arg;
	size_t k = s->rows++, c;
	char line[24];
	const char *want;

	REQUIRE_EQ(r->index, k + 1);
	REQUIRE(strcmp(r->name, "row") == 0);
	snprintf(line, sizeof(line), "%" PRIu64, line_of(k));
	REQUIRE_MSG(r->line && strcmp(r->line, line) == 0,
	    "row %zu: line %s, want %s", k + 1, r->line ? r->line : "NULL",
	    line);
	REQUIRE_EQ(r->nattrs, 0);
	REQUIRE_EQ(r->nfields, NCOLS);
	for (c = 0; c < NCOLS; c++) {
		want = value_of(k, (int)c, 1);
		REQUIRE(strcmp(r->field_name[c], field_names[c]) == 0);
		REQUIRE_MSG(r->len[c] == strlen(want) &&
		    memcmp(r->value[c], want, r->len[c]) == 0 &&
		    r->value[c][r->len[c]] == '\0',
		    "row %zu field %zu: %zu bytes \"%.40s\", want %zu \"%.40s\"",
		    k + 1, c, r->len[c], r->value[c], strlen(want), want);
		REQUIRE_EQ(r->nil[c], 0);
	}
	return 0;
}

static const char ns_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<p:t xmlns:p=\"urn:x\" source=\"b.csv\" sid=\"9\">"
    "<p:r line=\"5\"><p:a>1</p:a></p:r></p:t>\n";

static int
count_row(const struct doc_row *r, void *arg)
{
	struct seen *s = arg;

	(void)r;
	s->rows++;
	return s->rows == s->stop_at ? -1 : 0;
}

START_TEST(round_trip_in_any_pieces)
{
	static const size_t pieces[] = { 1, 7, WHOLE };
	struct xml_doc d;
	struct doc_parser *p = doc_parser_new();
	struct seen s;
	struct doc_callbacks cb = { check_root, check_row, &s };
	struct doc_callbacks other = { NULL, count_row, &s };
	const char *doc;
	size_t i, len;

	ck_assert_ptr_nonnull(p);
	write_round_trip(&d);
	doc = (const char *)d.sink.pending.data;
	len = d.sink.pending.len;
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		memset(&s, 0, sizeof(s));
		ck_assert_msg(parse(p, &cb, doc, len, pieces[i]) == 0,
		    "pieces of %zu: %s", pieces[i], doc_parser_problem(p));
		ck_assert_int_eq(s.roots, 1);
		ck_assert_uint_eq(s.rows, NROWS);
	}
	/* The same parser, another document, then the first again. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &other, ns_doc, strlen(ns_doc), 3), 0);
	ck_assert_uint_eq(s.rows, 1);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &cb, doc, len, 65536), 0);
	ck_assert_uint_eq(s.rows, NROWS);
	doc_parser_free(p);
	xml_doc_free(&d);
	free(big);
}
END_TEST

/* Hand-written documents, each row kept as text to compare. */

struct kept {
	char root[256];
	char rows[1024];
};

static int
keep_root(const struct doc_root *r, void *arg)
{
	struct kept *k = arg;

	snprintf(k->root, sizeof(k->root), "%s|%s|%s|%s|%s", r->name,
	    r->prefix ? r->prefix : "-", r->uri ? r->uri : "-",
	    r->source ? r->source : "-", r->sid ? r->sid : "-");
	return 0;
}

/* "2:row@line=7@x=y[a=1][b*=]" - '*' marks a nil field. */
static int
keep_row(const struct doc_row *r, void *arg)
{
	struct kept *k = arg;
	size_t n = strlen(k->rows), i;

	n += snprintf(k->rows + n, sizeof(k->rows) - n, "%s%" PRIu64 ":%s",
	    n ? " " : "", r->index, r->name);
	if (r->line)
		n += snprintf(k->rows + n, sizeof(k->rows) - n, "@line=%s",
		    r->line);
	for (i = 0; i < r->nattrs; i++)
		n += snprintf(k->rows + n, sizeof(k->rows) - n, "@%s=%s",
		    r->attr_name[i], r->attr_value[i]);
	for (i = 0; i < r->nfields; i++) {
		REQUIRE_EQ(strlen(r->value[i]), r->len[i]);
		n += snprintf(k->rows + n, sizeof(k->rows) - n, "[%s%s=%s]",
		    r->field_name[i], r->nil[i] ? "*" : "", r->value[i]);
	}
	REQUIRE(n < sizeof(k->rows));
	return 0;
}

struct good_case {
	const char *doc, *root, *rows;
};

static const struct good_case good_cases[] = {
	/* xsi:nil, under the usual prefix and another; not "false", not
	 * without the namespace */
	{ "<table xmlns:xsi=\"" XSI "\" xmlns:i=\"" XSI "\" source=\"a.csv\" "
	  "sid=\"1\"><row line=\"2\"><a xsi:nil=\"true\"/><b xsi:nil=\"1\">"
	  "</b><c i:nil=\"true\"/><d xsi:nil=\"false\">v</d><e nil=\"true\"/>"
	  "<f xsi:nil=\"TRUE\">w</f><g xsi:nil=\"0\"/><h xmlns:x=\"urn:x\" "
	  "x:nil=\"true\"/></row></table>",
	  "table|-|-|a.csv|1",
	  "1:row@line=2[a*=][b*=][c*=][d=v][e=][f=w][g=][h=]" },
	/* attributes besides line, in document order, unescaped; a row
	 * without line; the root's other attributes ignored */
	{ "<table sid=\"3\" x=\"1\"><row ticker=\"ACME\" line=\"2\" "
	  "q=\"&lt;&amp;&quot;&#38;&#x26;&amp;#38;\"><a>1</a></row><row>"
	  "<a>2</a></row></table>",
	  "table|-|-|-|3",
	  "1:row@line=2@ticker=ACME@q=<&\"&&&#38;[a=1] 2:row[a=2]" },
	/* a default namespace: local names, the URI, xsi:nil still known */
	{ "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	  "<table xmlns=\"urn:example:prices\" xmlns:xsi=\"" XSI "\" "
	  "source=\"p.csv\" sid=\"4\">\n"
	  "  <row line=\"2\"><ticker>ACME</ticker><price xsi:nil=\"true\"/>"
	  "</row>\n</table>\n",
	  "table|-|urn:example:prices|p.csv|4",
	  "1:row@line=2[ticker=ACME][price*=]" },
	/* a prefix: local names, the root's prefix */
	{ "<p:table xmlns:p=\"urn:x\" source=\"p.csv\" sid=\"5\"><p:row "
	  "line=\"2\"><p:a>1</p:a><p:b/></p:row></p:table>",
	  "table|p|urn:x|p.csv|5", "1:row@line=2[a=1][b=]" },
	/* compact layout */
	{ "<t><r line=\"1\"><a>x</a><b> </b></r><r line=\"2\"><a/><b/></r></t>",
	  "t|-|-|-|-", "1:r@line=1[a=x][b= ] 2:r@line=2[a=][b=]" },
	/* pretty layout, CRLF line ends between elements: white space
	 * between elements is not a value, inside a field it is */
	{ "<t>\r\n  <r line=\"1\">\r\n    <a>x</a>\r\n    <b>  </b>\r\n"
	  "    <c>\r\n</c>\r\n  </r>\r\n\t<r line=\"2\">\n\t\t<a/>\n\t</r>\n</t>",
	  "t|-|-|-|-", "1:r@line=1[a=x][b=  ][c=\n] 2:r@line=2[a=]" },
	/* CDATA and character references are text */
	{ "<t><r><a><![CDATA[<x> & ]]>y&#13;&#x41;&amp;&#x80a1;</a></r></t>",
	  "t|-|-|-|-", "1:r[a=<x> & y\rA&\xe8\x82\xa1]" },
	/* a document with no rows */
	{ "<t source=\"s\" sid=\"6\">\n</t>", "t|-|-|s|6", "" },
};

START_TEST(hand_written_documents)
{
	static const size_t pieces[] = { 1, 7, WHOLE };
	const struct good_case *g = &good_cases[_i];
	struct doc_parser *p = doc_parser_new();
	struct kept k;
	struct doc_callbacks cb = { keep_root, keep_row, &k };
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		memset(&k, 0, sizeof(k));
		ck_assert_msg(parse(p, &cb, g->doc, strlen(g->doc),
		    pieces[i]) == 0, "%s: %s", g->doc, doc_parser_problem(p));
		ck_assert_str_eq(k.root, g->root);
		ck_assert_str_eq(k.rows, g->rows);
	}
	doc_parser_free(p);
}
END_TEST

/* Problems. */

struct bad_case {
	const char *doc, *problem;
};

#define SHAPE "not a csvpack document: "

static const struct bad_case bad_cases[] = {
	{ "<table>\n  <row line=\"2\"><a>1</a></row>\n"
	  "  <row line=\"3\"><a>1</b></row>\n</table>\n",
	  "line 3: Opening and ending tag mismatch: a line 3 and b" },
	{ "<table><row><a>x\x01y</a></row></table>",
	  "line 1: PCDATA invalid Char value 1" },
	{ "<table><row><a>\xff</a></row></table>",
	  "line 1: Input is not proper UTF-8, indicate encoding ! "
	  "Bytes: 0xFF 0x3C 0x2F 0x61" },
	{ "<table>\n  <row line=\"2\"><a>1</a></row>\n"
	  "  <row line=\"3\"> x <a>1</a></row>\n</table>\n",
	  "line 3: " SHAPE "text directly in row 2 <row>" },
	{ "<table>\n<row><a>1</a></row>\nx</table>",
	  "line 3: " SHAPE "text directly in the root element <table>" },
	{ "<table><row><a>1</a></row><!-- c --></table>",
	  "line 1: " SHAPE "a comment in the root element <table>" },
	{ "<!-- c --><table/>",
	  "line 1: " SHAPE "a comment before the root element" },
	{ "<table/>\n<!-- c -->",
	  "line 2: " SHAPE "a comment after the root element" },
	{ "<table><row><a>1<?php x?></a></row></table>",
	  "line 1: " SHAPE "a processing instruction <?php?> in field <a> of "
	  "row 1" },
	{ "<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"s\"?>\n<table/>",
	  "line 2: " SHAPE "a processing instruction <?xml-stylesheet?> "
	  "before the root element" },
	{ "<?xml version=\"1.0\"?>\n<!DOCTYPE table [<!ENTITY e \"x\">]>\n"
	  "<table><row><a>&e;</a></row></table>",
	  "line 2: " SHAPE "a DOCTYPE <!DOCTYPE table> (csvpack writes none)" },
	{ "<table><row><a>1</a></row></table>\n<table/>",
	  "line 2: Extra content at the end of the document" },
	{ "<table><row><a>1<b>2</b></a></row></table>",
	  "line 1: " SHAPE "an element <b> in field <a> of row 1" },
	{ "<table><row><a>&nosuch;</a></row></table>",
	  "line 1: Entity 'nosuch' not defined" },
	{ "<table><row><![CDATA[x]]><a/></row></table>",
	  "line 1: " SHAPE "a CDATA section directly in row 1 <row>" },
	{ "<p:table><row/></p:table>",
	  "line 1: Namespace prefix p on table is not defined" },
	{ "", "line 1: the document is empty" },
	{ "<?xml version=\"1.0\"?>\n",
	  "line 2: premature end of the document before the root element" },
	{ "<table>\n<row line=\"2\"><a>1</a></row>",
	  "line 2: premature end of the document in the root element <table>" },
	{ "<table>\n<row line=\"2\"><a>1</a>",
	  "line 2: premature end of the document in row 1 <row>" },
	{ "<table>\n<row line=\"2\"><a>1",
	  "line 2: premature end of the document in field <a> of row 1" },
	{ "<?xml version=\"1.0\" encoding=\"US-ASCII\"?>"
	  "<t><r><a>\xc3\xa9</a></r></t>",
	  "line 1: bytes that are not US-ASCII, the declared encoding" },
};

START_TEST(problems_said_exactly)
{
	static const size_t pieces[] = { 1, WHOLE };
	const struct bad_case *b = &bad_cases[_i];
	struct doc_parser *p = doc_parser_new();
	struct seen s;
	struct doc_callbacks cb = { NULL, count_row, &s };
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		memset(&s, 0, sizeof(s));
		ck_assert_msg(parse(p, &cb, b->doc, strlen(b->doc),
		    pieces[i]) == -1, "passed: %s", b->doc);
		ck_assert_str_eq(doc_parser_problem(p), b->problem);
		ck_assert_int_eq(doc_parser_stopped(p), 0);
		ck_assert_int_eq(doc_parser_failed_sys(p), 0);
	}
	doc_parser_free(p);
}
END_TEST

/* The entity a DOCTYPE declares is never read, let alone expanded. */
START_TEST(doctype_stops_before_its_entities)
{
	static const char doc[] =
	    "<!DOCTYPE t [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
	    "<t><r><x>&b;</x></r></t>";
	struct doc_parser *p = doc_parser_new();
	struct kept k;
	struct doc_callbacks cb = { keep_root, keep_row, &k };

	ck_assert_ptr_nonnull(p);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(parse(p, &cb, doc, strlen(doc), WHOLE), -1);
	assert_has(doc_parser_problem(p), "a DOCTYPE <!DOCTYPE t>");
	ck_assert_str_eq(k.root, "");
	ck_assert_str_eq(k.rows, "");
	doc_parser_free(p);
}
END_TEST

static const char three_rows[] =
    "<table source=\"a.csv\" sid=\"1\">\n"
    "  <row line=\"2\"><a>1</a><b>x</b></row>\n"
    "  <row line=\"3\"><a>2</a><b>&lt;y&gt;</b></row>\n"
    "  <row line=\"4\"><a>3</a><b/></row>\n"
    "</table>\n";

/* Cut anywhere before the root closes, a copy is refused at the end (or
 * before: a cut inside a tag may be seen as soon as it is fed). */
START_TEST(every_cut_short_copy_fails)
{
	size_t end = strstr(three_rows, "</table>") - three_rows + 8, len;
	struct doc_parser *p = doc_parser_new();
	struct seen s;
	struct doc_callbacks cb = { NULL, count_row, &s };

	ck_assert_ptr_nonnull(p);
	for (len = 0; len < end; len++) {
		memset(&s, 0, sizeof(s));
		if (parse(p, &cb, three_rows, len, 1) != -1)
			ck_abort_msg("a copy cut at byte %zu passed", len);
		REQUIRE_MSG(strncmp(doc_parser_problem(p), "line ", 5) == 0,
		    "cut at %zu: %s", len, doc_parser_problem(p));
	}
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &cb, three_rows, end, 1), 0);
	ck_assert_uint_eq(s.rows, 3);
	doc_parser_free(p);
}
END_TEST

static int
stop_root(const struct doc_root *r, void *arg)
{
	(void)r;
	(void)arg;
	return -1;
}

/* Feeds s a byte at a time up to the first -1, which it returns. */
static int
feed_bytes(struct doc_parser *p, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (doc_parser_feed(p, s + i, 1) < 0)
			return -1;
	return doc_parser_end(p);
}

START_TEST(callback_stops_the_document)
{
	struct doc_parser *p = doc_parser_new();
	struct seen s;
	struct doc_callbacks cb = { NULL, count_row, &s };
	struct doc_callbacks at_root = { stop_root, count_row, &s };

	ck_assert_ptr_nonnull(p);
	/* on_row: -1 at row 2, never called again */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(doc_parser_begin(p, &cb), 0);
	ck_assert_int_eq(feed_bytes(p, three_rows, strlen(three_rows)), -1);
	ck_assert_uint_eq(s.rows, 2);
	ck_assert_int_eq(doc_parser_stopped(p), 1);
	ck_assert_int_eq(doc_parser_failed_sys(p), 0);
	ck_assert_int_eq(doc_parser_feed(p, three_rows, strlen(three_rows)),
	    -1);
	ck_assert_int_eq(doc_parser_end(p), -1);
	ck_assert_uint_eq(s.rows, 2);
	ck_assert_int_eq(doc_parser_stopped(p), 1);
	/* on_root: no row at all */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &at_root, three_rows, strlen(three_rows),
	    WHOLE), -1);
	ck_assert_uint_eq(s.rows, 0);
	ck_assert_int_eq(doc_parser_stopped(p), 1);
	/* the next document parses */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &cb, three_rows, strlen(three_rows), WHOLE),
	    0);
	ck_assert_uint_eq(s.rows, 3);
	ck_assert_int_eq(doc_parser_stopped(p), 0);
	doc_parser_free(p);
}
END_TEST

/* After the first problem nothing more is parsed: the rest of a document
 * gives no row, the problem stays the first.  The document is large, so
 * that the problem is met while it is fed, not gathered. */
START_TEST(first_problem_is_final)
{
	static const char row[] = "<row><a>1</a></row>";
	struct doc_parser *p = doc_parser_new();
	struct seen s;
	struct doc_callbacks cb = { NULL, count_row, &s };
	struct buf b;
	size_t i, half;

	ck_assert_ptr_nonnull(p);
	buf_init(&b, 0);
	ck_assert_int_eq(buf_append(&b, "<table>", 7), 0);
	for (i = 0; i < 2000; i++) {
		if (i == 1000)
			ck_assert_int_eq(buf_append(&b, "x", 1), 0);
		ck_assert_int_eq(buf_append(&b, row, strlen(row)), 0);
	}
	half = b.len / 2 + 100;
	ck_assert_int_eq(buf_append(&b, "</table>", 8), 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(doc_parser_begin(p, &cb), 0);
	ck_assert_int_eq(doc_parser_feed(p, b.data, half), -1);
	ck_assert_str_eq(doc_parser_problem(p), "line 1: " SHAPE
	    "text directly in the root element <table>");
	ck_assert_uint_eq(s.rows, 1000);
	ck_assert_int_eq(doc_parser_feed(p, b.data + half, b.len - half), -1);
	ck_assert_int_eq(doc_parser_end(p), -1);
	ck_assert_str_eq(doc_parser_problem(p), "line 1: " SHAPE
	    "text directly in the root element <table>");
	ck_assert_uint_eq(s.rows, 1000);
	/* outside a document */
	ck_assert_int_eq(parse(p, &cb, three_rows, strlen(three_rows), WHOLE),
	    0);
	ck_assert_int_eq(doc_parser_feed(p, "<", 1), -1);
	ck_assert_int_eq(doc_parser_end(p), -1);
	buf_free(&b);
	doc_parser_free(p);
}
END_TEST

/* Documents with ever new names: the parser's dictionary is dropped
 * now and then (DICT_MAX names), and every name handed out is right. */
#define NEW_NAMES 1000

struct names_seen {
	int doc;
	size_t rows;
};

static int
check_names(const struct doc_row *r, void *arg)
{
	struct names_seen *s = arg;
	char want[32];
	size_t i;

	s->rows++;
	REQUIRE_EQ(r->nfields, NEW_NAMES);
	for (i = 0; i < r->nfields; i++) {
		snprintf(want, sizeof(want), "f%d_%zu", s->doc, i);
		REQUIRE_MSG(strcmp(r->field_name[i], want) == 0,
		    "field %zu: %s, want %s", i, r->field_name[i], want);
	}
	return 0;
}

START_TEST(ever_new_names)
{
	struct doc_parser *p = doc_parser_new();
	struct names_seen s;
	struct doc_callbacks cb = { NULL, check_names, &s };
	struct buf b;
	char el[64];
	int n;
	size_t i;

	ck_assert_ptr_nonnull(p);
	buf_init(&b, 0);
	for (s.doc = 0; s.doc < 130; s.doc++) {
		buf_reset(&b);
		ck_assert_int_eq(buf_append(&b, "<t><r>", 6), 0);
		for (i = 0; i < NEW_NAMES; i++) {
			n = snprintf(el, sizeof(el), "<f%d_%zu>v</f%d_%zu>",
			    s.doc, i, s.doc, i);
			ck_assert_int_eq(buf_append(&b, el, (size_t)n), 0);
		}
		ck_assert_int_eq(buf_append(&b, "</r></t>", 8), 0);
		s.rows = 0;
		REQUIRE_MSG(parse(p, &cb, (const char *)b.data, b.len,
		    WHOLE) == 0, "document %d: %s", s.doc,
		    doc_parser_problem(p));
		REQUIRE_EQ(s.rows, 1);
	}
	buf_free(&b);
	doc_parser_free(p);
}
END_TEST

/* An address-space limit a little above what the process uses, and a
 * value that grows past it: out of memory, said once, not the
 * document's fault; with the limit lifted the parser goes on. */
START_TEST(out_of_memory_is_failed_sys)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan reserves terabytes of address space: no limit fits */
#else
	static char piece[256 * 1024];
	static const char head[] = "<t><r><a>";
	struct doc_parser *p = doc_parser_new();
	struct seen s;
	struct doc_callbacks cb = { NULL, count_row, &s };
	struct rlimit old, low;
	struct cap c;
	char *said;
	long pages;
	FILE *f;
	int rc = 0, i;

	ck_assert_ptr_nonnull(p);
	memset(piece, 'x', sizeof(piece));
	f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld", &pages), 1);
	fclose(f);
	ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
	    (64u << 20);
	memset(&s, 0, sizeof(s));
	fail_reset();
	cap_begin(&c, STDERR_FILENO);
	ck_assert_int_eq(doc_parser_begin(p, &cb), 0);
	ck_assert_int_eq(doc_parser_feed(p, head, strlen(head)), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &low), 0);
	for (i = 0; i < 4096 && rc == 0; i++)
		rc = doc_parser_feed(p, piece, sizeof(piece));
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
	said = cap_end(&c);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(doc_parser_failed_sys(p), 1);
	ck_assert_int_eq(doc_parser_stopped(p), 0);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	assert_has(said, "the XML parser: out of memory");
	ck_assert_ptr_null(strstr(strstr(said, "out of memory") + 1,
	    "out of memory"));
	free(said);
	ck_assert_int_eq(doc_parser_end(p), -1);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &cb, three_rows, strlen(three_rows), WHOLE),
	    0);
	ck_assert_uint_eq(s.rows, 3);
	doc_parser_free(p);
	fail_reset();
#endif
}
END_TEST

Suite *
doc_parse_suite(void)
{
	Suite *s = suite_create("doc_parse");
	TCase *t = tcase_create("doc_parse");

	tcase_add_test(t, round_trip_in_any_pieces);
	tcase_add_loop_test(t, hand_written_documents, 0,
	    sizeof(good_cases) / sizeof(good_cases[0]));
	tcase_add_loop_test(t, problems_said_exactly, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(t, doctype_stops_before_its_entities);
	tcase_add_test(t, every_cut_short_copy_fails);
	tcase_add_test(t, callback_stops_the_document);
	tcase_add_test(t, first_problem_is_final);
	tcase_add_test(t, ever_new_names);
	tcase_add_test(t, out_of_memory_is_failed_sys);
	suite_add_tcase(s, t);
	return s;
}
