/*
 * test_shape.c - unit tests of the documents' shape (converter/xml_shape.h
 * and the writer's shaped path in converter/xml_doc.c; SPEC "Shape of the
 * documents").
 *
 * Writer.  A table of shapes (the option fields set by hand in a struct
 * options, as the option parser will), each written over one small header
 * and rows into memory (xml_doc_begin with fd -1), gives the exact
 * document text wanted and the nulls counted; every document must parse
 * (libxml2, namespaces on), and every element must be in the namespace
 * --xmlns says.  Cases cover --root/--row, --provenance all|doc|none,
 * --xmlns with and without --xmlns-prefix, --attr by header and by
 * number (repeated headers: the first match; an empty header: fieldN; a
 * header "xmlns": _xmlns), --null under nil, omit and empty for elements
 * and attributes (quoted fields never null, --null '' against ""), the
 * three layouts, and the combination of all of them.
 *
 * Attribute values holding TAB, LF, CR, < & " > and a control byte read
 * back exactly through libxml2 (attribute-value normalisation would turn
 * an unescaped TAB, LF or CR into a space).
 *
 * Refusals.  A COL matching no column (a name, 0, past the last column),
 * two attributes that clash after naming, one that clashes with line
 * under --provenance all (and not under doc): -1 with FAIL_DATA, the
 * same header refused again, and a good header after a bad one resolved.
 * Shape options xml_shape_set refuses (bad names, reserved prefixes, a
 * prefix without --xmlns, an empty --xmlns): EINVAL.  And the default
 * options give custom 0: the default path, today's bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "suites.h"
#include "check_helpers.h"
#include "fail.h"
#include "options.h"
#include "xml_doc.h"
#include "xml_shape.h"

#define MAXC 4
#define MAXR 3

/* A cell of a row: bytes, and whether it was quoted. */
struct scell {
	const char *s;
	int quoted;
};

struct shape_case {
	const char *what;
	const char *root, *row, *xmlns, *prefix;
	const char *attr[MAXC + 1];   /* NULL-terminated */
	const char *nulls[3];         /* NULL-terminated */
	enum provenance prov;
	enum null_as null_as;
	enum layout layout;
	uint32_t ncols;
	const char *header[MAXC];
	uint32_t nrows;
	struct scell rows[MAXR][MAXC];
	const char *want;
	uint64_t want_nulls;
};

#define XD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define XSI "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
#define H3 3, { "id", "name", "price" }
/* Row 2: 1, a b, 12.50; row 3: NULL, "NULL" (quoted), "" (unquoted). */
#define R2 { { "1", 0 }, { "a b", 1 }, { "12.50", 0 } }
#define R3 { { "NULL", 0 }, { "NULL", 1 }, { "", 0 } }
#define ROWS 2, { R2, R3 }

static const struct shape_case cases[] = {
	{ "root and row", "orders", "order", NULL, NULL, { NULL }, { NULL },
	    PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_ROWS, H3, ROWS,
	    XD "<orders source=\"s.csv\" sid=\"7\">\n"
	    "  <order line=\"2\"><id>1</id><name>a b</name>"
	    "<price>12.50</price></order>\n"
	    "  <order line=\"3\"><id>NULL</id><name>NULL</name>"
	    "<price></price></order>\n</orders>\n", 0 },
	{ "provenance doc", NULL, NULL, NULL, NULL, { NULL }, { NULL },
	    PROVENANCE_DOC, NULL_AS_NIL, LAYOUT_ROWS, H3, ROWS,
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row><id>1</id><name>a b</name><price>12.50</price></row>\n"
	    "  <row><id>NULL</id><name>NULL</name><price></price></row>\n"
	    "</table>\n", 0 },
	{ "provenance none", NULL, NULL, NULL, NULL, { NULL }, { NULL },
	    PROVENANCE_NONE, NULL_AS_NIL, LAYOUT_ROWS, H3, ROWS,
	    XD "<table>\n"
	    "  <row><id>1</id><name>a b</name><price>12.50</price></row>\n"
	    "  <row><id>NULL</id><name>NULL</name><price></price></row>\n"
	    "</table>\n", 0 },
	{ "xmlns", NULL, NULL, "urn:x", NULL, { NULL }, { NULL },
	    PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_ROWS, H3, 1, { R2 },
	    XD "<table xmlns=\"urn:x\" source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\"><id>1</id><name>a b</name>"
	    "<price>12.50</price></row>\n</table>\n", 0 },
	{ "xmlns-prefix", "t", NULL, "urn:x:a/b?c=1", "p", { NULL },
	    { NULL }, PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_ROWS, H3, 1, { R2 },
	    XD "<p:t xmlns:p=\"urn:x:a/b?c=1\" "
	    "source=\"s.csv\" sid=\"7\">\n"
	    "  <p:row line=\"2\"><p:id>1</p:id><p:name>a b</p:name>"
	    "<p:price>12.50</p:price></p:row>\n</p:t>\n", 0 },
	{ "attr by header", NULL, NULL, NULL, NULL, { "price", "id" },
	    { NULL }, PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_ROWS, H3, ROWS,
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\" id=\"1\" price=\"12.50\"><name>a b</name></row>\n"
	    "  <row line=\"3\" id=\"NULL\" price=\"\"><name>NULL</name></row>\n"
	    "</table>\n", 0 },
	{ "attr by number", NULL, NULL, NULL, NULL, { "3" }, { NULL },
	    PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_ROWS, H3, 1, { R2 },
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\" price=\"12.50\"><id>1</id><name>a b</name>"
	    "</row>\n</table>\n", 0 },
	{ "attr: a header that is digits wins over the number", NULL, NULL,
	    NULL, NULL, { "1" }, { NULL }, PROVENANCE_NONE, NULL_AS_NIL,
	    LAYOUT_ROWS, 2, { "x", "1" }, 1, { { { "a", 0 }, { "b", 0 } } },
	    XD "<table>\n  <row _1=\"b\"><x>a</x></row>\n</table>\n", 0 },
	{ "attr: repeated headers, the first match; fieldN; _xmlns", NULL,
	    NULL, NULL, NULL, { "a", "", "xmlns" }, { NULL }, PROVENANCE_DOC,
	    NULL_AS_NIL, LAYOUT_ROWS, 4, { "a", "a", "", "xmlns" }, 1,
	    { { { "1", 0 }, { "2", 0 }, { "3", 0 }, { "4", 0 } } },
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row a=\"1\" field3=\"3\" _xmlns=\"4\"><a_2>2</a_2></row>\n"
	    "</table>\n", 0 },
	{ "attr: a column named twice is one attribute", NULL, NULL, NULL,
	    NULL, { "name", "2" }, { NULL }, PROVENANCE_ALL, NULL_AS_NIL,
	    LAYOUT_ROWS, H3, 1, { R2 },
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\" name=\"a b\"><id>1</id><price>12.50</price>"
	    "</row>\n</table>\n", 0 },
	{ "null nil", NULL, NULL, NULL, NULL, { NULL }, { "NULL", "" },
	    PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_ROWS, H3, ROWS,
	    XD "<table " XSI " source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\"><id>1</id><name>a b</name>"
	    "<price>12.50</price></row>\n"
	    "  <row line=\"3\"><id xsi:nil=\"true\"/><name>NULL</name>"
	    "<price xsi:nil=\"true\"/></row>\n</table>\n", 2 },
	{ "null omit", NULL, NULL, NULL, NULL, { NULL }, { "NULL" },
	    PROVENANCE_ALL, NULL_AS_OMIT, LAYOUT_ROWS, H3, ROWS,
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\"><id>1</id><name>a b</name>"
	    "<price>12.50</price></row>\n"
	    "  <row line=\"3\"><name>NULL</name><price></price></row>\n"
	    "</table>\n", 1 },
	{ "null empty", NULL, NULL, NULL, NULL, { NULL }, { "NULL" },
	    PROVENANCE_ALL, NULL_AS_EMPTY, LAYOUT_ROWS, H3, ROWS,
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\"><id>1</id><name>a b</name>"
	    "<price>12.50</price></row>\n"
	    "  <row line=\"3\"><id></id><name>NULL</name><price></price></row>\n"
	    "</table>\n", 1 },
	{ "null in attributes: nil leaves it out", NULL, NULL, NULL, NULL,
	    { "id", "name" }, { "NULL" }, PROVENANCE_ALL, NULL_AS_NIL,
	    LAYOUT_ROWS, H3, ROWS,
	    XD "<table " XSI " source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\" id=\"1\" name=\"a b\"><price>12.50</price></row>\n"
	    "  <row line=\"3\" name=\"NULL\"><price></price></row>\n"
	    "</table>\n", 1 },
	{ "null in attributes: omit", NULL, NULL, NULL, NULL, { "id" },
	    { "NULL", "" }, PROVENANCE_NONE, NULL_AS_OMIT, LAYOUT_ROWS, H3,
	    ROWS,
	    XD "<table>\n"
	    "  <row id=\"1\"><name>a b</name><price>12.50</price></row>\n"
	    "  <row><name>NULL</name></row>\n</table>\n", 2 },
	{ "null in attributes: empty", NULL, NULL, NULL, NULL, { "id" },
	    { "NULL" }, PROVENANCE_NONE, NULL_AS_EMPTY, LAYOUT_ROWS, H3, ROWS,
	    XD "<table>\n"
	    "  <row id=\"1\"><name>a b</name><price>12.50</price></row>\n"
	    "  <row id=\"\"><name>NULL</name><price></price></row>\n"
	    "</table>\n", 1 },
	{ "layout pretty", NULL, NULL, NULL, NULL, { NULL }, { NULL },
	    PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_PRETTY, H3, ROWS,
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\">\n    <id>1</id>\n    <name>a b</name>\n"
	    "    <price>12.50</price>\n  </row>\n"
	    "  <row line=\"3\">\n    <id>NULL</id>\n    <name>NULL</name>\n"
	    "    <price></price>\n  </row>\n</table>\n", 0 },
	{ "layout pretty, only attributes", NULL, NULL, NULL, NULL,
	    { "1", "2", "3" }, { NULL }, PROVENANCE_ALL, NULL_AS_NIL,
	    LAYOUT_PRETTY, H3, 1, { R2 },
	    XD "<table source=\"s.csv\" sid=\"7\">\n"
	    "  <row line=\"2\" id=\"1\" name=\"a b\" price=\"12.50\"/>\n"
	    "</table>\n", 0 },
	{ "layout compact", NULL, NULL, NULL, NULL, { NULL }, { NULL },
	    PROVENANCE_ALL, NULL_AS_NIL, LAYOUT_COMPACT, H3, ROWS,
	    XD "<table source=\"s.csv\" sid=\"7\">"
	    "<row line=\"2\"><id>1</id><name>a b</name><price>12.50</price>"
	    "</row><row line=\"3\"><id>NULL</id><name>NULL</name>"
	    "<price></price></row></table>\n", 0 },
	{ "layout compact, no rows", NULL, NULL, NULL, NULL, { NULL },
	    { NULL }, PROVENANCE_NONE, NULL_AS_NIL, LAYOUT_COMPACT, H3, 0,
	    { R2 }, XD "<table/>\n", 0 },
	{ "values never change with the layout", NULL, NULL, NULL, NULL,
	    { NULL }, { NULL }, PROVENANCE_NONE, NULL_AS_NIL, LAYOUT_PRETTY,
	    1, { "v" }, 1, { { { "  two\n  lines \r\n", 1 } } },
	    XD "<table>\n  <row>\n    <v>  two\n  lines &#13;\n</v>\n  </row>\n"
	    "</table>\n", 0 },
	{ "all of them (the README's)", "orders", "order",
	    "urn:example:orders", NULL, { "id" }, { "NULL" }, PROVENANCE_ALL,
	    NULL_AS_NIL, LAYOUT_PRETTY, H3, 3,
	    { R2, R3, { { "3", 0 }, { "NULL", 0 }, { "1.00", 0 } } },
	    XD "<orders xmlns=\"urn:example:orders\" " XSI
	    " source=\"s.csv\" sid=\"7\">\n"
	    "  <order line=\"2\" id=\"1\">\n    <name>a b</name>\n"
	    "    <price>12.50</price>\n  </order>\n"
	    "  <order line=\"3\">\n    <name>NULL</name>\n"
	    "    <price></price>\n  </order>\n"
	    "  <order line=\"4\" id=\"3\">\n    <name xsi:nil=\"true\"/>\n"
	    "    <price>1.00</price>\n  </order>\n</orders>\n", 2 },
	{ "prefix, nil, compact", NULL, "r", "urn:x", "x", { "name" },
	    { "NULL" }, PROVENANCE_DOC, NULL_AS_NIL, LAYOUT_COMPACT, H3, ROWS,
	    XD "<x:table xmlns:x=\"urn:x\" " XSI " source=\"s.csv\" sid=\"7\">"
	    "<x:r name=\"a b\"><x:id>1</x:id><x:price>12.50</x:price></x:r>"
	    "<x:r name=\"NULL\"><x:id xsi:nil=\"true\"/><x:price></x:price>"
	    "</x:r></x:table>\n", 1 },
};

/* --- helpers ------------------------------------------------------------ */

static void
default_options(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->root_name = "table";
	o->row_name = "row";
	o->provenance = PROVENANCE_ALL;
	o->null_as = NULL_AS_NIL;
	o->layout = LAYOUT_ROWS;
}

static int
count(const char *const *v)
{
	int n = 0;

	while (v[n])
		n++;
	return n;
}

static void
case_options(const struct shape_case *c, struct options *o)
{
	default_options(o);
	if (c->root)
		o->root_name = c->root;
	if (c->row)
		o->row_name = c->row;
	o->xmlns = c->xmlns;
	o->xmlns_prefix = c->prefix;
	o->attr_cols = (char **)(uintptr_t)c->attr;
	o->nattr_cols = count(c->attr);
	if (!o->nattr_cols)
		o->attr_cols = NULL;
	o->nulls = (char **)(uintptr_t)c->nulls;
	o->nnulls = count(c->nulls);
	if (!o->nnulls)
		o->nulls = NULL;
	o->provenance = c->prov;
	o->null_as = c->null_as;
	o->layout = c->layout;
}

static void
fields_of(const char *const *cells, uint32_t n, struct field *f)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		f[i].s = cells[i];
		f[i].len = (uint32_t)strlen(cells[i]);
		f[i].quoted = 0;
	}
}

/* Every element of the document in ns (NULL: in none). */
static void
check_ns(xmlNodePtr n, const char *ns, const char *what)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (ns)
			REQUIRE_MSG(n->ns && n->ns->href &&
			    strcmp((const char *)n->ns->href, ns) == 0,
			    "%s: <%s> not in %s", what, n->name, ns);
		else
			REQUIRE_MSG(!n->ns, "%s: <%s> in a namespace", what,
			    n->name);
		check_ns(n->children, ns, what);
	}
}

static xmlDocPtr
parse(const struct buf *b)
{
	return xmlReadMemory((const char *)b->data, (int)b->len, "t.xml",
	    "UTF-8", XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
}

/* --- the writer --------------------------------------------------------- */

START_TEST(shape_table)
{
	const struct shape_case *c = &cases[_i];
	struct options o;
	struct xml_doc d;
	struct field h[MAXC], r[MAXC];
	const char *cells[MAXC];
	uint32_t i, j;
	xmlDocPtr x;
	char *text;

	case_options(c, &o);
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_shape(&d, &o), 0);
	ck_assert_int_eq(d.shape.custom, 1);
	fields_of(c->header, c->ncols, h);
	ck_assert_int_eq(xml_doc_attrs(&d, "s.csv", h, c->ncols), 0);
	ck_assert_int_eq(xml_doc_columns(&d, h, c->ncols, c->ncols), 0);
	ck_assert_int_eq(xml_doc_begin(&d, -1, "s.csv", 7), 0);
	for (i = 0; i < c->nrows; i++) {
		for (j = 0; j < c->ncols; j++)
			cells[j] = c->rows[i][j].s;
		fields_of(cells, c->ncols, r);
		for (j = 0; j < c->ncols; j++)
			r[j].quoted = (unsigned char)c->rows[i][j].quoted;
		ck_assert_int_eq(xml_doc_row(&d, i + 2, r, c->ncols), 0);
	}
	ck_assert_int_eq(xml_doc_end(&d), 0);
	text = strndup((const char *)d.sink.pending.data, d.sink.pending.len);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strcmp(text, c->want) == 0, "%s: got\n%s\nwant\n%s",
	    c->what, text, c->want);
	ck_assert_msg(d.nulls == c->want_nulls, "%s: %llu nulls, want %llu",
	    c->what, (unsigned long long)d.nulls,
	    (unsigned long long)c->want_nulls);
	x = parse(&d.sink.pending);
	ck_assert_msg(x != NULL, "%s: not well-formed", c->what);
	check_ns(xmlDocGetRootElement(x), c->xmlns, c->what);
	xmlFreeDoc(x);
	free(text);
	xml_doc_free(&d);
}
END_TEST

/* Attribute values come back exactly, bad characters as U+FFFD. */
START_TEST(shape_attr_values)
{
	static const char *values[] = { "a\tb", "l1\nl2", "cr\r", "crlf\r\n",
	    "<&\">'", "  spaced  ", "", "ctl\x01x", "\xef\xbf\xbe", "股票" };
	static const char *back[] = { "a\tb", "l1\nl2", "cr\r", "crlf\r\n",
	    "<&\">'", "  spaced  ", "", "ctl\xef\xbf\xbdx", "\xef\xbf\xbd",
	    "股票" };
	static char *attr[] = { "v" };
	struct options o;
	struct xml_doc d;
	struct field h = { "v", 1, 0 }, f;
	xmlDocPtr x;
	xmlNodePtr row;
	xmlChar *got;
	size_t i, n = sizeof(values) / sizeof(values[0]);

	default_options(&o);
	o.attr_cols = attr;
	o.nattr_cols = 1;
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_shape(&d, &o), 0);
	ck_assert_int_eq(xml_doc_attrs(&d, "s.csv", &h, 1), 0);
	ck_assert_int_eq(xml_doc_columns(&d, &h, 1, 1), 0);
	ck_assert_int_eq(xml_doc_begin(&d, -1, "s.csv", 1), 0);
	for (i = 0; i < n; i++) {
		f.s = values[i];
		f.len = (uint32_t)strlen(values[i]);
		f.quoted = 1;
		ck_assert_int_eq(xml_doc_row(&d, i + 2, &f, 1), 0);
	}
	ck_assert_int_eq(xml_doc_end(&d), 0);
	ck_assert_uint_eq(d.replaced, 2);
	ck_assert_uint_eq(d.first_replaced_line, 9);
	x = parse(&d.sink.pending);
	ck_assert_ptr_nonnull(x);
	row = xmlDocGetRootElement(x)->children;
	for (i = 0; i < n; row = row->next) {
		if (row->type != XML_ELEMENT_NODE)
			continue;
		got = xmlGetProp(row, BAD_CAST "v");
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strcmp((const char *)got, back[i]) == 0,
		    "value %zu: got \"%s\"", i, got);
		xmlFree(got);
		i++;
	}
	xmlFreeDoc(x);
	xml_doc_free(&d);
}
END_TEST

/* The default options take the default path: no shape at all. */
START_TEST(shape_default_is_default)
{
	struct options o;
	struct xml_doc a, b;
	struct field h[2] = { { "x", 1, 0 }, { "y", 1, 0 } };
	struct field r[2] = { { "1", 1, 0 }, { "NULL", 4, 0 } };

	default_options(&o);
	o.null_as = NULL_AS_OMIT; /* without --null, nothing */
	xml_doc_init(&a);
	xml_doc_init(&b);
	ck_assert_int_eq(xml_doc_shape(&b, &o), 0);
	ck_assert_int_eq(b.shape.custom, 0);
	ck_assert_int_eq(xml_doc_attrs(&b, "s.csv", h, 2), 0);
	ck_assert_int_eq(xml_doc_columns(&a, h, 2, 2), 0);
	ck_assert_int_eq(xml_doc_columns(&b, h, 2, 2), 0);
	ck_assert_int_eq(xml_doc_begin(&a, -1, "s.csv", 3), 0);
	ck_assert_int_eq(xml_doc_begin(&b, -1, "s.csv", 3), 0);
	ck_assert_int_eq(xml_doc_row(&a, 2, r, 2), 0);
	ck_assert_int_eq(xml_doc_row(&b, 2, r, 2), 0);
	ck_assert_int_eq(xml_doc_end(&a), 0);
	ck_assert_int_eq(xml_doc_end(&b), 0);
	ck_assert_uint_eq(a.sink.pending.len, b.sink.pending.len);
	ck_assert(memcmp(a.sink.pending.data, b.sink.pending.data,
	    a.sink.pending.len) == 0);
	xml_doc_free(&a);
	xml_doc_free(&b);
}
END_TEST

/* --- refusals ----------------------------------------------------------- */

struct refusal {
	const char *what;
	const char *attr[MAXC + 1];
	enum provenance prov;
	uint32_t ncols;
	const char *header[MAXC];
	int ok;          /* 1: not a refusal after all */
};

static const struct refusal refusals[] = {
	{ "no such header", { "prce" }, PROVENANCE_ALL, H3, 0 },
	{ "a header's case counts", { "ID" }, PROVENANCE_ALL, H3, 0 },
	{ "column 0", { "0" }, PROVENANCE_ALL, H3, 0 },
	{ "past the last column", { "4" }, PROVENANCE_ALL, H3, 0 },
	{ "a negative number", { "-1" }, PROVENANCE_ALL, H3, 0 },
	{ "a number with a sign", { "+1" }, PROVENANCE_ALL, H3, 0 },
	{ "a huge number", { "99999999999999999999" }, PROVENANCE_ALL, H3, 0 },
	{ "one good, one not", { "id", "nope" }, PROVENANCE_ALL, H3, 0 },
	{ "no header at all", { "1" }, PROVENANCE_ALL, 0, { NULL }, 0 },
	{ "two clash after naming", { "a b", "a_b" }, PROVENANCE_ALL, 2,
	    { "a b", "a_b" }, 0 },
	{ "two clash by number", { "1", "2" }, PROVENANCE_ALL, 2,
	    { "x", "x" }, 0 },
	{ "xmlns clashes with _xmlns", { "1", "2" }, PROVENANCE_ALL, 2,
	    { "xmlns", "_xmlns" }, 0 },
	{ "line under provenance all", { "line" }, PROVENANCE_ALL, 2,
	    { "line", "x" }, 0 },
	{ "line after naming", { "2" }, PROVENANCE_ALL, 2,
	    { "x", "line" }, 0 },
	{ "line under provenance doc", { "line" }, PROVENANCE_DOC, 2,
	    { "line", "x" }, 1 },
	{ "line under provenance none", { "line" }, PROVENANCE_NONE, 2,
	    { "line", "x" }, 1 },
	{ "the same column twice", { "x", "1" }, PROVENANCE_ALL, 2,
	    { "x", "y" }, 1 },
};

START_TEST(shape_refusal)
{
	const struct refusal *r = &refusals[_i];
	struct options o;
	struct xml_doc d;
	struct field h[MAXC];

	default_options(&o);
	o.attr_cols = (char **)(uintptr_t)r->attr;
	o.nattr_cols = count(r->attr);
	o.provenance = r->prov;
	fields_of(r->header, r->ncols, h);
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_shape(&d, &o), 0);
	fail_reset();
	if (r->ok) {
		ck_assert_msg(xml_doc_attrs(&d, "s.csv", h, r->ncols) == 0,
		    "%s: refused", r->what);
		ck_assert_int_eq(fail_kind(), FAIL_NONE);
	} else {
		ck_assert_msg(xml_doc_attrs(&d, "s.csv", h, r->ncols) == -1,
		    "%s: taken", r->what);
		ck_assert_int_eq(fail_kind(), FAIL_DATA);
		/* Refused again, not remembered as resolved. */
		fail_reset();
		ck_assert_int_eq(xml_doc_attrs(&d, "s.csv", h, r->ncols), -1);
		ck_assert_int_eq(fail_kind(), FAIL_DATA);
	}
	fail_reset();
	xml_doc_free(&d);
}
END_TEST

/* Once per header: another header is resolved anew, both ways. */
START_TEST(shape_per_header)
{
	static char *attr[] = { "b" };
	struct options o;
	struct xml_doc d;
	struct field ab[2] = { { "a", 1, 0 }, { "b", 1, 0 } };
	struct field ba[2] = { { "b", 1, 0 }, { "a", 1, 0 } };
	struct field ac[2] = { { "a", 1, 0 }, { "c", 1, 0 } };

	default_options(&o);
	o.attr_cols = attr;
	o.nattr_cols = 1;
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_shape(&d, &o), 0);
	fail_reset();
	ck_assert_int_eq(xml_doc_attrs(&d, "1.csv", ab, 2), 0);
	ck_assert_uint_eq(d.shape.attr_col[0], 1);
	ck_assert_int_eq(xml_doc_attrs(&d, "1.csv", ab, 2), 0);
	ck_assert_int_eq(xml_doc_attrs(&d, "2.csv", ba, 2), 0);
	ck_assert_uint_eq(d.shape.nattr, 1);
	ck_assert_uint_eq(d.shape.attr_col[0], 0);
	ck_assert(xml_shape_is_attr(&d.shape, 0));
	ck_assert(!xml_shape_is_attr(&d.shape, 1));
	ck_assert(!xml_shape_is_attr(&d.shape, 5));
	ck_assert_int_eq(xml_doc_attrs(&d, "3.csv", ac, 2), -1);
	ck_assert_int_eq(fail_kind(), FAIL_DATA);
	fail_reset();
	ck_assert_int_eq(xml_doc_attrs(&d, "4.csv", ab, 2), 0);
	ck_assert_uint_eq(d.shape.attr_col[0], 1);
	ck_assert_str_eq(d.shape.attr_name[0], "b");
	xml_doc_free(&d);
}
END_TEST

struct bad_set {
	const char *what;
	const char *root, *row, *xmlns, *prefix;
	int nil_nulls;
};

static const struct bad_set bad_sets[] = {
	{ "root not a name", "1x", NULL, NULL, NULL, 0 },
	{ "root with a colon", "a:b", NULL, NULL, NULL, 0 },
	{ "root empty", "", NULL, NULL, NULL, 0 },
	{ "row with a space", NULL, "a b", NULL, NULL, 0 },
	{ "prefix not a name", NULL, NULL, "urn:x", "-p", 0 },
	{ "prefix with a colon", NULL, NULL, "urn:x", "p:q", 0 },
	{ "prefix xml", NULL, NULL, "urn:x", "xml", 0 },
	{ "prefix xmlns", NULL, NULL, "urn:x", "xmlns", 0 },
	{ "prefix xsi under nil", NULL, NULL, "urn:x", "xsi", 1 },
	{ "prefix without xmlns", NULL, NULL, NULL, "p", 0 },
	{ "xmlns empty", NULL, NULL, "", NULL, 0 },
};

START_TEST(shape_set_refused)
{
	const struct bad_set *b = &bad_sets[_i];
	static char *nulls[] = { "NULL" };
	struct options o;
	struct xml_shape s;

	default_options(&o);
	if (b->root)
		o.root_name = b->root;
	if (b->row)
		o.row_name = b->row;
	o.xmlns = b->xmlns;
	o.xmlns_prefix = b->prefix;
	if (b->nil_nulls) {
		o.nulls = nulls;
		o.nnulls = 1;
	}
	xml_shape_init(&s);
	errno = 0;
	ck_assert_msg(xml_shape_set(&s, &o) == -1 && errno == EINVAL,
	    "%s: taken", b->what);
	xml_shape_free(&s);
}
END_TEST

/* What xml_shape_set takes: 5th-edition names, xsi under omit. */
START_TEST(shape_set_taken)
{
	static char *nulls[] = { "NULL" };
	struct options o;
	struct xml_shape s;

	default_options(&o);
	o.root_name = "股票";
	o.row_name = "r\xf0\x9f\x98\x80-1.x";
	o.xmlns = "urn:x";
	o.xmlns_prefix = "xsi";
	o.nulls = nulls;
	o.nnulls = 1;
	o.null_as = NULL_AS_OMIT;
	xml_shape_init(&s);
	ck_assert_int_eq(xml_shape_set(&s, &o), 0);
	ck_assert_str_eq(s.root, "xsi:股票");
	ck_assert_str_eq(s.row, "xsi:r\xf0\x9f\x98\x80-1.x");
	ck_assert_str_eq(s.xmlns_attr, "xmlns:xsi");
	xml_shape_free(&s);
}
END_TEST

Suite *
shape_suite(void)
{
	Suite *s = suite_create("shape");
	TCase *w = tcase_create("writer"), *r = tcase_create("refusals");

	tcase_add_loop_test(w, shape_table, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(w, shape_attr_values);
	tcase_add_test(w, shape_default_is_default);
	suite_add_tcase(s, w);
	tcase_add_loop_test(r, shape_refusal, 0,
	    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(r, shape_per_header);
	tcase_add_loop_test(r, shape_set_refused, 0,
	    (int)(sizeof(bad_sets) / sizeof(bad_sets[0])));
	tcase_add_test(r, shape_set_taken);
	suite_add_tcase(s, r);
	return s;
}
