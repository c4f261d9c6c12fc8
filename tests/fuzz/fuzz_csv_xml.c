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
 * Build: make fuzz (clang -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "csv.h"
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

static void
die(const char *what)
{
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
	return 0;
}
