/*
 * fuzz_csv_xml.c - libFuzzer target over the CSV reader and the XML writer.
 *
 * Input: byte 0 picks the delimiter, byte 1 the read size (so chunk edges
 * move), byte 2 the flags (--no-header, ragged-like widths); the rest is
 * the CSV.  Every row read is written as XML with xmlTextWriter, then the
 * document is parsed back with libxml2 and each element's text compared
 * with the field's value (after the U+FFFD replacement of characters XML
 * cannot carry).  So the oracle is not "no crash" alone: a document that is
 * not well-formed, or a value that does not come back exactly, aborts.
 *
 * A second oracle holds the two row paths equal (xml_doc.h): the same
 * rows are written on the fast path and on the reference path in the
 * default shape and in two more picked by byte 0's high bits and byte 2's
 * (names, namespace and prefix, provenance, --null under nil, omit or
 * empty, layout, --attr 1 or 1 and 2), and the documents, the characters
 * replaced and the nulls counted must be the same, byte for byte.
 *
 * Build: make fuzz (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <fcntl.h>
#include <unistd.h>

#include "csv.h"
#include "fail.h"
#include "options.h"
#include "xml_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem_source {
	const uint8_t *p;
	size_t left, step;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem_source *m = ctx;
	size_t take = m->left < m->step ? m->left : m->step;

	if (take > n)
		take = n;
	memcpy(buf, m->p, take);
	m->p += take;
	m->left -= take;
	return (ssize_t)take;
}

/* The rows as written, to compare with what the parser reads back. */
struct expect {
	struct buf values; /* cleaned values, each NUL-terminated */
	size_t count;
};

/* stderr while render() has it off, else -1. */
static int saved_stderr = -1;

static void
die(const char *what)
{
	if (saved_stderr >= 0)
		dup2(saved_stderr, STDERR_FILENO);
	fprintf(stderr, "fuzz_csv_xml: %s\n", what);
	abort();
}

static void
remember(struct expect *e, const char *s, size_t len)
{
	struct buf clean;
	uint64_t bad;
	const char *v;

	buf_init(&clean, 0);
	v = xml_clean_value(s, len, &clean, &bad);
	if (!v || buf_append(&e->values, v, strlen(v) + 1) < 0)
		die("out of memory");
	e->count++;
	buf_free(&clean);
}

/* Parses the document and checks every value against e, in order. */
static void
check_document(const struct buf *doc, const struct expect *e)
{
	xmlDocPtr x = xmlReadMemory((const char *)doc->data, (int)doc->len,
	    "fuzz.xml", "UTF-8", XML_PARSE_NONET | XML_PARSE_HUGE);
	xmlNodePtr root, row, cell;
	const char *want = (const char *)e->values.data;
	size_t seen = 0;

	if (!x)
		die("the document is not well-formed XML");
	root = xmlDocGetRootElement(x);
	for (row = root ? root->children : NULL; row; row = row->next) {
		if (row->type != XML_ELEMENT_NODE)
			continue;
		for (cell = row->children; cell; cell = cell->next) {
			xmlChar *text;

			if (cell->type != XML_ELEMENT_NODE)
				continue;
			text = xmlNodeGetContent(cell);
			if (seen >= e->count || strcmp((char *)text, want) != 0)
				die("a value did not come back exactly");
			xmlFree(text);
			want += strlen(want) + 1;
			seen++;
		}
	}
	if (seen != e->count)
		die("a value is missing");
	xmlFreeDoc(x);
}

/* Shape number k (0: the default) into o: the dimensions from bits. */
static void
shape_options(unsigned k, struct options *o, char **nulls, char **attrs)
{
	memset(o, 0, sizeof(*o));
	o->root_name = k & 1 ? "orders" : "table";
	o->row_name = k & 1 ? "order" : "row";
	if (k >> 1 & 3) {
		o->xmlns = "urn:x&\"y\"";
		if ((k >> 1 & 3) == 2)
			o->xmlns_prefix = "p";
	}
	o->provenance = (k >> 3) % 3 == 0 ? PROVENANCE_ALL :
	    (k >> 3) % 3 == 1 ? PROVENANCE_DOC : PROVENANCE_NONE;
	o->null_as = NULL_AS_NIL;
	if (k >> 5 & 3) {
		nulls[0] = "NULL";
		nulls[1] = "";
		o->nulls = nulls;
		o->nnulls = 2;
		o->null_as = (k >> 5 & 3) == 1 ? NULL_AS_NIL :
		    (k >> 5 & 3) == 2 ? NULL_AS_OMIT : NULL_AS_EMPTY;
	}
	o->layout = (k >> 7) % 3 == 0 ? LAYOUT_ROWS : (k >> 7) % 3 == 1 ?
	    LAYOUT_PRETTY : LAYOUT_COMPACT;
	if (k >> 9 & 3) {
		attrs[0] = "1";
		attrs[1] = "2";
		o->attr_cols = attrs;
		o->nattr_cols = (k >> 9 & 3) == 1 ? 1 : 2;
	}
}

/* xml_doc_attrs says why it refuses a header: expected here, so stderr
 * is off while --attr is resolved. */
static void
stderr_off(void)
{
	int null = open("/dev/null", O_WRONLY);

	saved_stderr = dup(STDERR_FILENO);
	if (saved_stderr < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0)
		die("dup");
	close(null);
}

static void
stderr_on(void)
{
	int saved = saved_stderr;

	saved_stderr = -1;
	if (dup2(saved, STDERR_FILENO) < 0)
		die("dup2");
	close(saved);
}

struct rendering {
	struct buf doc;
	uint64_t replaced, first_line, nulls;
	int refused;
};

/* The input's rows as one document in shape o on path p. */
static void
render(const uint8_t *data, size_t size, const struct options *o,
    enum xml_path p, struct rendering *out)
{
	static const char delims[] = ",;\t|";
	struct mem_source m = { data + 3, size - 3, (size_t)data[1] % 64 + 1 };
	struct csv_reader *r;
	struct csv_row row;
	struct xml_doc doc;
	struct field *f = NULL;
	size_t i;
	uint64_t rows = 0;
	uint32_t nh;
	int rc, attrs = o->nattr_cols > 0, begun = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&out->doc, 0);
	r = csv_reader_new((struct csv_source){ mem_read, &m },
	    delims[data[0] % 4], 1, 1 << 20);
	if (!r)
		die("csv_reader_new");
	xml_doc_init(&doc);
	xml_doc_path(&doc, p);
	if (xml_doc_shape(&doc, o) < 0)
		die("xml_doc_shape");
	if (attrs)
		stderr_off();
	while ((rc = csv_read_row(r, &row)) == CSV_ROW && rows++ < 10000) {
		free(f);
		f = calloc(row.nfields + 1, sizeof(*f));
		if (!f)
			die("out of memory");
		for (i = 0; i < row.nfields; i++) {
			f[i].s = row.field[i];
			f[i].len = (uint32_t)row.len[i];
			f[i].quoted = row.quoted ? row.quoted[i] : 0;
		}
		nh = (data[2] & 1) ? (uint32_t)row.nfields : 0;
		/* --attr against each row's header, as the converter does
		 * per header; fieldN names when there is none. */
		if (attrs && (row.nfields < 2 || xml_doc_attrs(&doc,
		    "fuzz.csv", f, nh ? nh : (uint32_t)row.nfields) < 0)) {
			fail_reset();
			out->refused = 1;
			break;
		}
		attrs = attrs && nh;
		if (!begun && xml_doc_begin(&doc, -1, "fuzz.csv", 1) < 0)
			die("xml_doc_begin");
		begun = 1;
		if (xml_doc_columns(&doc, f, nh, (uint32_t)row.nfields) < 0 ||
		    xml_doc_row(&doc, row.line, f, (uint32_t)row.nfields) < 0)
			die("xml_doc_row");
	}
	if (saved_stderr >= 0)
		stderr_on();
	/* The fast path off because libxml2 escapes otherwise would make
	 * this oracle compare the reference with itself. */
	if (p == XML_PATH_FAST && doc.fast_rows == 0 && doc.fast.probed < 0)
		die("libxml2 escapes unlike xml_fast.c: the fast path is off");
	if (!begun && !out->refused && xml_doc_begin(&doc, -1, "fuzz.csv",
	    1) < 0)
		die("xml_doc_begin");
	if (!out->refused) {
		if (xml_doc_end(&doc) < 0)
			die("xml_doc_end");
		if (buf_append(&out->doc, doc.sink.pending.data,
		    doc.sink.pending.len) < 0)
			die("out of memory");
	}
	out->replaced = doc.replaced;
	out->first_line = doc.first_replaced_line;
	out->nulls = doc.nulls;
	free(f);
	xml_doc_free(&doc);
	csv_reader_free(r);
}

/* The fast path and the reference path, in shape k: the same. */
static void
check_paths(const uint8_t *data, size_t size, unsigned k)
{
	struct options o;
	struct rendering fast, ref;
	char *nulls[3] = { NULL, NULL, NULL }, *attrs[3] = { NULL, NULL, NULL };

	shape_options(k, &o, nulls, attrs);
	render(data, size, &o, XML_PATH_FAST, &fast);
	render(data, size, &o, XML_PATH_REFERENCE, &ref);
	if (fast.refused != ref.refused)
		die("--attr refused on one path only");
	if (fast.doc.len != ref.doc.len || (ref.doc.len &&
	    memcmp(fast.doc.data, ref.doc.data, ref.doc.len) != 0)) {
		fprintf(stderr, "shape %u: fast %zu bytes, reference %zu\n",
		    k, fast.doc.len, ref.doc.len);
		fwrite(fast.doc.data, 1, fast.doc.len, stderr);
		fputs("\n---\n", stderr);
		fwrite(ref.doc.data, 1, ref.doc.len, stderr);
		die("the fast path's document differs from the reference's");
	}
	if (fast.replaced != ref.replaced ||
	    fast.first_line != ref.first_line || fast.nulls != ref.nulls)
		die("the paths count differently");
	buf_free(&fast.doc);
	buf_free(&ref.doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = ",;\t|";
	struct mem_source m;
	struct csv_reader *r;
	struct csv_row row;
	struct xml_doc doc;
	struct expect e;
	struct field *f = NULL;
	size_t i;
	uint64_t rows = 0;
	int rc;

	if (size < 3)
		return 0;
	m.p = data + 3;
	m.left = size - 3;
	m.step = (size_t)data[1] % 64 + 1;
	r = csv_reader_new((struct csv_source){ mem_read, &m },
	    delims[data[0] % 4], 1, 1 << 20);
	if (!r)
		return 0;
	xml_doc_init(&doc);
	buf_init(&e.values, 0);
	e.count = 0;
	if (xml_doc_begin(&doc, -1, "fuzz.csv", 1) < 0)
		die("xml_doc_begin");
	while ((rc = csv_read_row(r, &row)) == CSV_ROW && rows++ < 10000) {
		free(f);
		f = calloc(row.nfields + 1, sizeof(*f));
		if (!f)
			die("out of memory");
		for (i = 0; i < row.nfields; i++) {
			f[i].s = row.field[i];
			f[i].len = (uint32_t)row.len[i];
		}
		/* Byte 2 bit 0: the row's own cells as the header (names
		 * from arbitrary text), else fieldN names. */
		if (xml_doc_columns(&doc, f, (data[2] & 1) ? (uint32_t)row.nfields :
		    0, (uint32_t)row.nfields) < 0 ||
		    xml_doc_row(&doc, row.line, f, (uint32_t)row.nfields) < 0)
			die("xml_doc_row");
		for (i = 0; i < row.nfields; i++)
			remember(&e, row.field[i], row.len[i]);
	}
	if (xml_doc_end(&doc) < 0)
		die("xml_doc_end");
	check_document(&doc.sink.pending, &e);
	free(f);
	buf_free(&e.values);
	xml_doc_free(&doc);
	csv_reader_free(r);
	check_paths(data, size, 0);
	check_paths(data, size, (unsigned)(data[0] >> 2) |
	    (unsigned)(data[2] >> 1) << 6);
	check_paths(data, size, ((unsigned)data[2] << 3 ^ data[0]) * 7919u);
	return 0;
}
