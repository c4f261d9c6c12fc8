/*
 * test_schema.c - unit tests of the XML Schema of a run's documents
 * (converter/xml_schema.h; SPEC "Shape of the documents", --xsd).
 *
 * Build.  A table of shapes (the option fields set by hand, as the option
 * parser will), each over a header and rows: the document is written in
 * memory with converter/xml_doc.h, under each of the three layouts; the
 * column names are taken from the writer (its names without the --attr
 * columns, and its attribute names), as the converter hands them over;
 * the schema built from them must parse with libxml2's xmlSchemaParse
 * (so it is a well-formed XSD with a deterministic content model) and
 * the document must validate against it.  A document of the same shape
 * with two columns swapped must not (the schema says something).  Cases:
 * the default; --root/--row; --provenance doc and none; --xmlns with and
 * without --xmlns-prefix; --null with each --null-as (a null in an
 * element and in an attribute); --attr, also every column an attribute
 * and an attribute "line" under --provenance doc; --ragged with rows
 * wider than the header; non-ASCII, repeated, empty and renamed headers;
 * a document without rows; and the closing combination.
 * --ragged with --null-as omit is refused (EINVAL), and so is a name
 * libxml2 will not declare (EILSEQ: U+0140 is a 5th-edition name
 * character, not a 4th-edition one).
 *
 * Stage.  xml_schema_stage in a scratch staging directory: nothing
 * without --xsd; the first call writes schema.xsd (0644, the text built,
 * no temporary left); the same columns again are fine; other elements or
 * attributes are refused with FAIL_DATA and the file left alone; a
 * schema.xsd already there with the same text is kept (same inode), one
 * with other text is replaced.
 *
 * Print.  xml_schema_print on a CSV file, stdout redirected: the schema
 * for its header, --attr taken out; a COL that matches no column is
 * FAIL_DATA and prints nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "suites.h"
#include "check_helpers.h"
#include "fail.h"
#include "options.h"
#include "tmpdir.h"
#include "xml_doc.h"
#include "xml_schema.h"
#include "xml_shape.h"

#define MAXC 5
#define MAXR 3

struct scell {
	const char *s;
	int quoted;
};

struct schema_case {
	const char *what;
	const char *root, *row, *xmlns, *prefix;
	const char *attr[MAXC + 1];   /* NULL-terminated */
	const char *nulls[3];         /* NULL-terminated */
	enum provenance prov;
	enum null_as null_as;
	int ragged;
	uint32_t ncols;
	const char *header[MAXC];
	uint32_t nrows;
	uint32_t width[MAXR];         /* fields in the row; 0: ncols */
	struct scell rows[MAXR][MAXC];
};

#define H3 3, { "id", "name", "price" }
/* Row 2: 1, a b, 12.50; row 3: NULL, "NULL" (quoted), "" (unquoted). */
#define R2 { { "1", 0 }, { "a b", 1 }, { "12.50", 0 } }
#define R3 { { "NULL", 0 }, { "NULL", 1 }, { "", 0 } }
#define ROWS 2, { 0 }, { R2, R3 }
#define NONE { NULL }

static const struct schema_case cases[] = {
	{ "default", NULL, NULL, NULL, NULL, NONE, NONE, PROVENANCE_ALL,
	    NULL_AS_NIL, 0, H3, ROWS },
	{ "root and row", "orders", "order", NULL, NULL, NONE, NONE,
	    PROVENANCE_ALL, NULL_AS_NIL, 0, H3, ROWS },
	{ "provenance doc", NULL, NULL, NULL, NULL, NONE, NONE,
	    PROVENANCE_DOC, NULL_AS_NIL, 0, H3, ROWS },
	{ "provenance none", NULL, NULL, NULL, NULL, NONE, NONE,
	    PROVENANCE_NONE, NULL_AS_NIL, 0, H3, ROWS },
	{ "xmlns", NULL, NULL, "urn:x", NULL, NONE, NONE, PROVENANCE_ALL,
	    NULL_AS_NIL, 0, H3, ROWS },
	{ "xmlns-prefix", "t", NULL, "urn:x:a/b?c=1", "p", NONE,
	    NONE, PROVENANCE_ALL, NULL_AS_NIL, 0, H3, ROWS },
	{ "null nil", NULL, NULL, NULL, NULL, NONE, { "NULL", "", NULL },
	    PROVENANCE_ALL, NULL_AS_NIL, 0, H3, ROWS },
	{ "null omit", NULL, NULL, NULL, NULL, NONE, { "NULL", "", NULL },
	    PROVENANCE_ALL, NULL_AS_OMIT, 0, H3, ROWS },
	{ "null empty", NULL, NULL, NULL, NULL, NONE, { "NULL", "", NULL },
	    PROVENANCE_ALL, NULL_AS_EMPTY, 0, H3, ROWS },
	{ "attr, null nil", NULL, NULL, NULL, NULL, { "price", "id", NULL },
	    { "NULL", "", NULL }, PROVENANCE_ALL, NULL_AS_NIL, 0, H3, ROWS },
	{ "attr, null omit", NULL, NULL, NULL, NULL, { "1", NULL },
	    { "NULL", NULL }, PROVENANCE_ALL, NULL_AS_OMIT, 0, H3, ROWS },
	{ "attr, null empty", NULL, NULL, NULL, NULL, { "3", NULL },
	    { "", NULL }, PROVENANCE_ALL, NULL_AS_EMPTY, 0, H3, ROWS },
	{ "every column an attribute", NULL, NULL, NULL, NULL,
	    { "id", "name", "price", NULL }, NONE, PROVENANCE_ALL,
	    NULL_AS_NIL, 0, H3, ROWS },
	{ "attr line under doc", NULL, NULL, NULL, NULL, { "line", NULL },
	    NONE, PROVENANCE_DOC, NULL_AS_NIL, 0, 2, { "line", "v" }, 1,
	    { 0 }, { { { "7", 0 }, { "x", 0 } } } },
	{ "ragged", NULL, NULL, NULL, NULL, NONE, NONE, PROVENANCE_ALL,
	    NULL_AS_NIL, 1, 2, { "a", "b" }, 3, { 2, 4, 3 },
	    { { { "1", 0 }, { "2", 0 } },
	    { { "1", 0 }, { "2", 0 }, { "3", 0 }, { "4", 0 } },
	    { { "", 0 }, { "", 0 }, { "x", 1 } } } },
	{ "ragged, attr, null nil", NULL, NULL, "urn:r", "r", { "b", NULL },
	    { "", NULL }, PROVENANCE_ALL, NULL_AS_NIL, 1, 3,
	    { "a", "b", "c" }, 2, { 3, 5 },
	    { { { "", 0 }, { "", 0 }, { "", 0 } },
	    { { "1", 0 }, { "", 0 }, { "", 0 }, { "", 0 }, { "5", 0 } } } },
	{ "names", NULL, NULL, NULL, NULL, NONE, NONE, PROVENANCE_ALL,
	    NULL_AS_NIL, 0, 5, { "股票代码", "a b", "a_b", "", "1x" }, 1,
	    { 0 }, { { { "股票", 0 }, { "1", 0 }, { "2", 0 }, { "3", 0 },
	    { "4", 0 } } } },
	{ "repeated headers", NULL, NULL, NULL, NULL, { "x", NULL }, NONE,
	    PROVENANCE_ALL, NULL_AS_NIL, 0, 4, { "x", "x", "y", "x" }, 1,
	    { 0 }, { { { "1", 0 }, { "2", 0 }, { "3", 0 }, { "4", 0 } } } },
	{ "no rows", NULL, NULL, "urn:x", NULL, NONE, NONE, PROVENANCE_ALL,
	    NULL_AS_NIL, 0, H3, 0, { 0 }, { R2 } },
	{ "the issue's closing", "orders", "order", "urn:example:orders",
	    NULL, { "id", NULL }, { "NULL", NULL }, PROVENANCE_ALL,
	    NULL_AS_NIL, 0, H3, ROWS },
	{ "prefix, none, omit, attr", "o", "r", "urn:y", "q",
	    { "name", NULL }, { "NULL", "", NULL }, PROVENANCE_NONE,
	    NULL_AS_OMIT, 0, H3, ROWS },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static void
default_options(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->root_name = "table";
	o->row_name = "row";
	o->provenance = PROVENANCE_ALL;
	o->null_as = NULL_AS_NIL;
	o->layout = LAYOUT_ROWS;
	o->delim = ',';
	o->rows = 1000;
	o->batch = 100;
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
case_options(const struct schema_case *c, struct options *o)
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
	o->ragged = c->ragged;
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

static uint32_t
row_width(const struct schema_case *c, uint32_t i)
{
	return c->width[i] ? c->width[i] : c->ncols;
}

/* The case's document, in d->sink.pending, its header in h (swap: the
 * first two header cells exchanged). */
static void
write_doc(const struct schema_case *c, const struct options *o,
    struct xml_doc *d, int swap)
{
	struct field h[MAXC], r[MAXC];
	const char *cells[MAXC] = { 0 }, *t;
	uint32_t i, j, width = c->ncols;

	for (i = 0; i < c->nrows; i++)
		if (row_width(c, i) > width)
			width = row_width(c, i);
	for (j = 0; j < c->ncols; j++)
		cells[j] = c->header[j];
	if (swap) {
		t = cells[0];
		cells[0] = cells[1];
		cells[1] = t;
	}
	fields_of(cells, c->ncols, h);
	ck_assert_int_eq(xml_doc_shape(d, o), 0);
	ck_assert_int_eq(xml_doc_attrs(d, "s.csv", h, c->ncols), 0);
	ck_assert_int_eq(xml_doc_columns(d, h, c->ncols, width), 0);
	ck_assert_int_eq(xml_doc_begin(d, -1, "s.csv", 7), 0);
	for (i = 0; i < c->nrows; i++) {
		for (j = 0; j < row_width(c, i); j++) {
			r[j].s = c->rows[i][j].s ? c->rows[i][j].s : "";
			r[j].len = (uint32_t)strlen(r[j].s);
			r[j].quoted = (unsigned char)c->rows[i][j].quoted;
		}
		ck_assert_int_eq(xml_doc_row(d, i + 2, r, row_width(c, i)), 0);
	}
	ck_assert_int_eq(xml_doc_end(d), 0);
}

/* The column names as the converter hands them to xml_schema_stage:
 * the header's columns [0, ncols) that are not attributes (the names
 * unprefixed), and the attributes. */
static size_t
names_of(const struct xml_doc *d, uint32_t ncols, const char **el)
{
	size_t nel = 0;
	uint32_t i;

	for (i = 0; i < ncols; i++)
		if (!xml_shape_is_attr(&d->shape, i))
			el[nel++] = d->names.name[i];
	return nel;
}

static xmlSchemaPtr
parse_schema(const struct buf *b)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	pc = xmlSchemaNewMemParserCtxt((const char *)b->data, (int)b->len);
	ck_assert_ptr_nonnull(pc);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	return s;
}

static void
quiet(void *arg, xmlErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* 0 if the document in b validates against s; loud: libxml2 says why
 * not on stderr. */
static int
validate(xmlSchemaPtr s, const struct buf *b, int loud)
{
	xmlSchemaValidCtxtPtr vc;
	xmlDocPtr x;
	int rc;

	x = xmlReadMemory((const char *)b->data, (int)b->len, "t.xml",
	    "UTF-8", XML_PARSE_NONET);
	ck_assert_msg(x != NULL, "not well-formed:\n%.*s", (int)b->len,
	    (const char *)b->data);
	vc = xmlSchemaNewValidCtxt(s);
	ck_assert_ptr_nonnull(vc);
	if (!loud)
		xmlSchemaSetValidStructuredErrors(vc, quiet, NULL);
	rc = xmlSchemaValidateDoc(vc, x);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(x);
	return rc;
}

static void
build_for(const struct options *o, const struct xml_doc *d, uint32_t ncols,
    struct buf *out)
{
	const char *el[MAXC];
	size_t nel = names_of(d, ncols, el);

	ck_assert_int_eq(xml_schema_build(out, o, el, nel,
	    (const char *const *)d->shape.attr_name, d->shape.nattr), 0);
}

/* --- build ---------------------------------------------------------- */

START_TEST(schema_table)
{
	static const enum layout layouts[] = { LAYOUT_ROWS, LAYOUT_PRETTY,
	    LAYOUT_COMPACT };
	const struct schema_case *c = &cases[_i];
	struct options o;
	struct xml_doc d, sw;
	struct buf xsd;
	xmlSchemaPtr s;
	size_t l;

	for (l = 0; l < 3; l++) {
		case_options(c, &o);
		o.layout = layouts[l];
		xml_doc_init(&d);
		write_doc(c, &o, &d, 0);
		buf_init(&xsd, 0);
		build_for(&o, &d, c->ncols, &xsd);
		s = parse_schema(&xsd);
		ck_assert_msg(s != NULL, "%s: the schema does not parse:\n%.*s",
		    c->what, (int)xsd.len, (const char *)xsd.data);
		ck_assert_msg(validate(s, &d.sink.pending, 1) == 0,
		    "%s, layout %zu: the document does not validate:\n%.*s\n"
		    "against\n%.*s", c->what, l, (int)d.sink.pending.len,
		    (const char *)d.sink.pending.data, (int)xsd.len,
		    (const char *)xsd.data);
		/* Two element columns swapped: another document. */
		xml_doc_init(&sw);
		write_doc(c, &o, &sw, 1);
		if (c->ncols >= 2 && c->nrows > 0 && !o.attr_cols)
			ck_assert_msg(validate(s, &sw.sink.pending, 0) != 0,
			    "%s: a document with columns swapped validates",
			    c->what);
		xml_doc_free(&sw);
		xmlSchemaFree(s);
		buf_free(&xsd);
		xml_doc_free(&d);
	}
}
END_TEST

START_TEST(schema_ragged_omit)
{
	static char *nulls[] = { "" };
	const char *el[] = { "a" };
	struct options o;
	struct buf b;

	default_options(&o);
	o.ragged = 1;
	o.nulls = nulls;
	o.nnulls = 1;
	o.null_as = NULL_AS_OMIT;
	buf_init(&b, 0);
	errno = 0;
	ck_assert_int_eq(xml_schema_build(&b, &o, el, 1, NULL, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Under nil it is fine. */
	o.null_as = NULL_AS_NIL;
	ck_assert_int_eq(xml_schema_build(&b, &o, el, 1, NULL, 0), 0);
	buf_free(&b);
}
END_TEST

/* The attributes' types and uses, and the root's, as the spec says. */
START_TEST(schema_text)
{
	static char *nulls[] = { "NULL" };
	const char *el[] = { "a", "b" }, *at[] = { "k" };
	struct options o;
	struct buf b;
	char *t;

	default_options(&o);
	buf_init(&b, 0);
	ck_assert_int_eq(xml_schema_build(&b, &o, el, 2, at, 1), 0);
	t = strndup((const char *)b.data, b.len);
	assert_has(t, "<xs:element name=\"table\">");
	assert_has(t, "<xs:element name=\"row\" minOccurs=\"0\" "
	    "maxOccurs=\"unbounded\">");
	assert_has(t, "<xs:element name=\"a\" type=\"xs:string\"/>\n"
	    "              <xs:element name=\"b\" type=\"xs:string\"/>");
	assert_has(t, "<xs:attribute name=\"line\" "
	    "type=\"xs:positiveInteger\" use=\"required\"/>");
	assert_has(t, "<xs:attribute name=\"k\" type=\"xs:string\"/>");
	assert_has(t, "<xs:attribute name=\"sid\" "
	    "type=\"xs:positiveInteger\" use=\"required\"/>");
	ck_assert_ptr_null(strstr(t, "targetNamespace"));
	ck_assert_ptr_null(strstr(t, "nillable"));
	free(t);
	o.nulls = nulls;
	o.nnulls = 1;
	o.xmlns = "urn:a&b";
	b.len = 0;
	ck_assert_int_eq(xml_schema_build(&b, &o, el, 2, at, 1), 0);
	t = strndup((const char *)b.data, b.len);
	assert_has(t, " targetNamespace=\"urn:a&amp;b\" "
	    "elementFormDefault=\"qualified\">");
	assert_has(t, "<xs:element name=\"a\" type=\"xs:string\" "
	    "nillable=\"true\"/>");
	free(t);
	o.null_as = NULL_AS_OMIT;
	o.provenance = PROVENANCE_NONE;
	b.len = 0;
	ck_assert_int_eq(xml_schema_build(&b, &o, el, 2, at, 1), 0);
	t = strndup((const char *)b.data, b.len);
	assert_has(t, "<xs:element name=\"b\" type=\"xs:string\" "
	    "minOccurs=\"0\"/>");
	ck_assert_ptr_null(strstr(t, "\"line\""));
	ck_assert_ptr_null(strstr(t, "\"source\""));
	free(t);
	buf_free(&b);
}
END_TEST

/* --- stage ----------------------------------------------------------- */

static char tag[TMPDIR_TAG_LEN];
static char dir[256];
static int dfd = -1;

static void
sweep_setup(void)
{
	tmpdir_tag(tag, "schema");
}

static void
sweep_teardown(void)
{
	tmpdir_sweep(tag);
}

static void
dir_setup(void)
{
	tmpdir_make(dir, sizeof(dir), tag);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	fail_reset();
}

static void
dir_teardown(void)
{
	if (dfd >= 0)
		close(dfd);
	dfd = -1;
	tmpdir_remove(dir);
}

/* The whole file dirfd/name, NUL-terminated (NULL if missing). */
static char *
slurp_at(int dirfd, const char *name, size_t *len)
{
	char *p = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd = openat(dirfd, name, O_RDONLY);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap * 2 + 4096;
			p = realloc(p, cap + 1);
			ck_assert_ptr_nonnull(p);
		}
		r = read(fd, p + n, cap - n);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	p[n] = '\0';
	if (len)
		*len = n;
	return p;
}

static char *
built(const struct options *o, const char *const *el, size_t nel,
    const char *const *at, size_t nat)
{
	struct buf b;
	char *t;

	buf_init(&b, 0);
	ck_assert_int_eq(xml_schema_build(&b, o, el, nel, at, nat), 0);
	t = strndup((const char *)b.data, b.len);
	buf_free(&b);
	return t;
}

START_TEST(stage_off)
{
	const char *el[] = { "a" };
	struct xml_schema_state st;
	struct options o;
	struct stat sb;

	default_options(&o);
	xml_schema_state_init(&st);
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 1, NULL, 0,
	    "a.csv"), 0);
	ck_assert_int_eq(fstatat(dfd, XML_SCHEMA_FILE, &sb, 0), -1);
	xml_schema_state_free(&st);
}
END_TEST

START_TEST(stage_once)
{
	const char *el[] = { "a", "b" }, *at[] = { "k" };
	const char *el2[] = { "a", "c" }, *el3[] = { "a" }, *at2[] = { "j" };
	struct xml_schema_state st;
	struct options o;
	struct stat sb, sb2;
	char *want, *got;

	default_options(&o);
	o.xsd = 1;
	xml_schema_state_init(&st);
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, at, 1,
	    "a.csv"), 0);
	want = built(&o, el, 2, at, 1);
	got = slurp_at(dfd, XML_SCHEMA_FILE, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(fstatat(dfd, XML_SCHEMA_FILE, &sb, 0), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0644 & ~(mode_t)0);
	ck_assert_int_eq(fstatat(dfd, "." XML_SCHEMA_FILE ".tmp", &sb2, 0), -1);
	/* The same columns again, from another input. */
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, at, 1,
	    "b.csv"), 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	/* Another element, one fewer, another attribute: refused. */
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el2, 2, at, 1,
	    "c.csv"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_DATA);
	fail_reset();
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el3, 1, at, 1,
	    "d.csv"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_DATA);
	fail_reset();
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, at2, 1,
	    "e.csv"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_DATA);
	fail_reset();
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, NULL, 0,
	    "f.csv"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_DATA);
	free(got);
	got = slurp_at(dfd, XML_SCHEMA_FILE, NULL);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(fstatat(dfd, XML_SCHEMA_FILE, &sb2, 0), 0);
	ck_assert_uint_eq(sb.st_ino, sb2.st_ino);
	free(got);
	free(want);
	xml_schema_state_free(&st);
}
END_TEST

/* An interrupted run's schema.xsd: kept if the same, else replaced. */
START_TEST(stage_left_behind)
{
	const char *el[] = { "a", "b" };
	struct xml_schema_state st;
	struct options o;
	struct stat sb, sb2;
	char *want, *got;

	default_options(&o);
	o.xsd = 1;
	want = built(&o, el, 2, NULL, 0);
	write_file_at(dfd, XML_SCHEMA_FILE, want, strlen(want), 0644);
	ck_assert_int_eq(fstatat(dfd, XML_SCHEMA_FILE, &sb, 0), 0);
	xml_schema_state_init(&st);
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, NULL, 0,
	    "a.csv"), 0);
	ck_assert_int_eq(fstatat(dfd, XML_SCHEMA_FILE, &sb2, 0), 0);
	ck_assert_uint_eq(sb.st_ino, sb2.st_ino);
	xml_schema_state_free(&st);
	/* Another text (the same one, cut short; then one longer). */
	write_file_at(dfd, XML_SCHEMA_FILE, want, strlen(want) - 1, 0644);
	xml_schema_state_init(&st);
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, NULL, 0,
	    "a.csv"), 0);
	got = slurp_at(dfd, XML_SCHEMA_FILE, NULL);
	ck_assert_str_eq(got, want);
	free(got);
	xml_schema_state_free(&st);
	got = malloc(strlen(want) + 2);
	ck_assert_ptr_nonnull(got);
	snprintf(got, strlen(want) + 2, "%s\n", want);
	write_file_at(dfd, XML_SCHEMA_FILE, got, strlen(got), 0644);
	free(got);
	xml_schema_state_init(&st);
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, NULL, 0,
	    "a.csv"), 0);
	got = slurp_at(dfd, XML_SCHEMA_FILE, NULL);
	ck_assert_str_eq(got, want);
	free(got);
	xml_schema_state_free(&st);
	free(want);
}
END_TEST

START_TEST(stage_bad_shape)
{
	static char *nulls[] = { "" };
	const char *el[] = { "a" };
	struct xml_schema_state st;
	struct options o;

	default_options(&o);
	o.xsd = 1;
	o.ragged = 1;
	o.nulls = nulls;
	o.nnulls = 1;
	o.null_as = NULL_AS_OMIT;
	xml_schema_state_init(&st);
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 1, NULL, 0,
	    "a.csv"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_USAGE);
	xml_schema_state_free(&st);
}
END_TEST

/* A name the documents may carry and a schema may not declare (libxml2
 * checks xs:NCName by the 4th-edition rules): the header's is bad data,
 * --root's a usage error. */
START_TEST(stage_undeclarable)
{
	const char *el[] = { "a", "\xc5\x80x" }, *ok[] = { "a" };
	struct xml_schema_state st;
	struct options o;
	struct stat sb;
	struct buf b;

	default_options(&o);
	o.xsd = 1;
	buf_init(&b, 0);
	errno = 0;
	ck_assert_int_eq(xml_schema_build(&b, &o, el, 2, NULL, 0), -1);
	ck_assert_int_eq(errno, EILSEQ);
	ck_assert_str_eq(xml_schema_undeclarable(&o, el, 2, NULL, 0), el[1]);
	ck_assert_str_eq(xml_schema_undeclarable(&o, ok, 1, el + 1, 1),
	    el[1]);
	ck_assert_ptr_null(xml_schema_undeclarable(&o, ok, 1, ok, 1));
	xml_schema_state_init(&st);
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, el, 2, NULL, 0,
	    "a.csv"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_DATA);
	ck_assert_int_eq(fstatat(dfd, XML_SCHEMA_FILE, &sb, 0), -1);
	fail_reset();
	o.root_name = el[1];
	ck_assert_int_eq(xml_schema_stage(&st, dfd, dir, &o, ok, 1, NULL, 0,
	    "a.csv"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_USAGE);
	xml_schema_state_free(&st);
	buf_free(&b);
}
END_TEST

/* --- print ----------------------------------------------------------- */

/* xml_schema_print(o, input) with stdout in dir/out; its rc. */
static int
print_to_file(const struct options *o, const char *input)
{
	int fd, saved, rc;

	fflush(stdout);
	fd = openat(dfd, "out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDOUT_FILENO), 0);
	close(fd);
	rc = xml_schema_print(o, input);
	ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	return rc;
}

START_TEST(print_header)
{
	static const char csv[] = "id,name,price,name\n1,a,2,b\n";
	static char *attr[] = { "price" };
	const char *el[] = { "id", "name", "name_2" }, *at[] = { "price" };
	char path[300], *want, *got;
	struct options o;

	write_file_at(dfd, "in.csv", csv, sizeof(csv) - 1, 0644);
	snprintf(path, sizeof(path), "%s/in.csv", dir);
	default_options(&o);
	o.attr_cols = attr;
	o.nattr_cols = 1;
	o.xmlns = "urn:p";
	ck_assert_int_eq(print_to_file(&o, path), 0);
	want = built(&o, el, 3, at, 1);
	got = slurp_at(dfd, "out", NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	/* Through o->schema_input, as --schema FILE gives it. */
	o.schema = 1;
	o.schema_input = path;
	ck_assert_int_eq(print_to_file(&o, NULL), 0);
	got = slurp_at(dfd, "out", NULL);
	assert_has(got, "<xs:attribute name=\"price\"");
	free(got);
	/* A COL that matches no column: exit 65, nothing printed. */
	attr[0] = "nope";
	ck_assert_int_eq(print_to_file(&o, NULL), -1);
	ck_assert_int_eq(fail_kind(), FAIL_DATA);
	got = slurp_at(dfd, "out", NULL);
	ck_assert_str_eq(got, "");
	free(got);
	attr[0] = "price";
}
END_TEST

Suite *
schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *b = tcase_create("build"), *st = tcase_create("stage");

	tcase_add_loop_test(b, schema_table, 0, NCASES);
	tcase_add_test(b, schema_ragged_omit);
	tcase_add_test(b, schema_text);
	suite_add_tcase(s, b);
	tcase_add_unchecked_fixture(st, sweep_setup, sweep_teardown);
	tcase_add_checked_fixture(st, dir_setup, dir_teardown);
	tcase_add_test(st, stage_off);
	tcase_add_test(st, stage_once);
	tcase_add_test(st, stage_left_behind);
	tcase_add_test(st, stage_bad_shape);
	tcase_add_test(st, stage_undeclarable);
	tcase_add_test(st, print_header);
	suite_add_tcase(s, st);
	return s;
}
