/*
 * test_xml_diff.c - the fast row path (converter/xml_fast.c) against the
 * reference path (xmlTextWriter call by call, converter/xml_doc.c): the
 * same documents, byte for byte, for every shape.
 *
 * Shapes.  The cross product of the shape options (SPEC "Shape of the
 * documents"): root and row names default or not; no namespace, --xmlns,
 * --xmlns with --xmlns-prefix; --provenance all, doc, none; no --null, or
 * --null NULL --null '' under nil, omit and empty; --layout rows, pretty,
 * compact; no --attr, the first column, or the second and the last: 648
 * shapes, the default among them.
 *
 * Each document is written twice into memory (xml_doc_begin with fd -1),
 * once per path (xml_doc_path), and the two must agree on every byte, on
 * the characters replaced and the first line that had one, and on the
 * nulls counted; the fast path must have written the rows whenever
 * libxml2 takes every name (xmlValidateQName), else none of them.
 *
 * Corpus.  Every CSV of the test data (tests/conformance/csv-spectrum,
 * examples/, the fuzzer's seed corpus read as the fuzzer reads it, and the
 * e2e shape suite's corpus: quoted, CR/CRLF, non-ASCII, repeated headers,
 * ]]>, & and "NULL" quoted and not) in every shape.
 *
 * Property.  Random documents in every shape: random headers (empty,
 * repeated, non-ASCII, astral, ':', digits first, "xmlns", names libxml2
 * refuses), a header change halfway through some documents (so a
 * document mixes the two paths), short rows, and random values from all of
 * Unicode: control characters (which become U+FFFD), U+FFFE and U+FFFF
 * (also), U+FFFD itself, astral characters, < > & " ' ]]> CR LF CRLF TAB,
 * the --null strings quoted and not, empty and long values (past
 * XML_FAST_FLUSH, so a row is handed over in more than one piece).
 *
 * Probe.  xml_fast_probe agrees with the installed libxml2.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites.h"
#include "check_helpers.h"
#include "csv.h"
#include "fail.h"
#include "options.h"
#include "xml_doc.h"
#include "xml_fast.h"
#include "xml_shape.h"

/* --- shapes ------------------------------------------------------------ */

#define N_NAMES 2
#define N_NS 3
#define N_PROV 3
#define N_NULLS 4
#define N_LAYOUT 3
#define N_ATTR 3
#define N_SHAPES (N_NAMES * N_NS * N_PROV * N_NULLS * N_LAYOUT * N_ATTR)

struct shape_opts {
	struct options o;
	char *nulls[3];
	char *attrs[3];
	char attr_num[2][16];
	int attr_kind;
	char what[160];
};

/* Shape number i of the cross product; attrs are resolved against ncols
 * columns. */
static void
shape_of(int i, uint32_t ncols, struct shape_opts *so)
{
	static const char *const prov[] = { "all", "doc", "none" };
	static const char *const null_as[] = { "-", "nil", "omit", "empty" };
	static const char *const layout[] = { "rows", "pretty", "compact" };
	static const char *const attr[] = { "-", "first", "second+last" };
	struct options *o = &so->o;
	int names = i % N_NAMES, ns = i / N_NAMES % N_NS;
	int pv = i / (N_NAMES * N_NS) % N_PROV;
	int nl = i / (N_NAMES * N_NS * N_PROV) % N_NULLS;
	int ly = i / (N_NAMES * N_NS * N_PROV * N_NULLS) % N_LAYOUT;
	int at = i / (N_NAMES * N_NS * N_PROV * N_NULLS * N_LAYOUT);

	memset(so, 0, sizeof(*so));
	o->root_name = names ? "orders" : "table";
	o->row_name = names ? "order" : "row";
	if (ns)
		o->xmlns = "urn:x:a/b?c=1&d=\"2\"";
	if (ns == 2)
		o->xmlns_prefix = "p";
	o->provenance = pv == 0 ? PROVENANCE_ALL : pv == 1 ? PROVENANCE_DOC :
	    PROVENANCE_NONE;
	if (nl) {
		so->nulls[0] = "NULL";
		so->nulls[1] = "";
		o->nulls = so->nulls;
		o->nnulls = 2;
		o->null_as = nl == 1 ? NULL_AS_NIL : nl == 2 ? NULL_AS_OMIT :
		    NULL_AS_EMPTY;
	} else {
		o->null_as = NULL_AS_NIL;
	}
	o->layout = ly == 0 ? LAYOUT_ROWS : ly == 1 ? LAYOUT_PRETTY :
	    LAYOUT_COMPACT;
	so->attr_kind = at;
	if (at && ncols >= 1) {
		snprintf(so->attr_num[0], sizeof(so->attr_num[0]), "%u",
		    at == 1 ? 1u : ncols >= 2 ? 2u : 1u);
		snprintf(so->attr_num[1], sizeof(so->attr_num[1]), "%u",
		    ncols);
		so->attrs[0] = so->attr_num[0];
		so->attrs[1] = so->attr_num[1];
		o->attr_cols = so->attrs;
		o->nattr_cols = at == 1 ? 1 : 2;
	}
	snprintf(so->what, sizeof(so->what),
	    "shape %d: %s, ns %d, provenance %s, null %s, layout %s, attr %s",
	    i, names ? "orders/order" : "table/row", ns, prov[pv],
	    null_as[nl], layout[ly], attr[at]);
}

/* --- documents ------------------------------------------------------------ */

/* A document as calls: a header (attrs + columns) or a row. */
struct dev {
	int is_header;
	uint64_t line;
	struct field *f;
	uint32_t n;        /* fields; for a header, ncols */
	uint32_t total;    /* a header's columns */
};

struct doc {
	const char *source;
	uint64_t sid;
	struct dev *ev;
	size_t nev, cap;
	/* Every block allocated for it, freed together. */
	void **blocks;
	size_t nblocks, bcap;
};

static void *
doc_alloc(struct doc *d, size_t n)
{
	void *p = calloc(1, n ? n : 1);

	ck_assert_ptr_nonnull(p);
	if (d->nblocks == d->bcap) {
		d->bcap = d->bcap ? 2 * d->bcap : 64;
		d->blocks = realloc(d->blocks, d->bcap * sizeof(*d->blocks));
		ck_assert_ptr_nonnull(d->blocks);
	}
	d->blocks[d->nblocks++] = p;
	return p;
}

static void
doc_free(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->nblocks; i++)
		free(d->blocks[i]);
	free(d->blocks);
	free(d->ev);
	memset(d, 0, sizeof(*d));
}

static struct dev *
doc_dev(struct doc *d)
{
	if (d->nev == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->ev = realloc(d->ev, d->cap * sizeof(*d->ev));
		ck_assert_ptr_nonnull(d->ev);
	}
	memset(&d->ev[d->nev], 0, sizeof(d->ev[0]));
	return &d->ev[d->nev++];
}

/* A field holding a copy of s[0..len), NUL-terminated as the ring's are. */
static void
set_field(struct doc *d, struct field *f, const char *s, size_t len,
    int quoted)
{
	char *p = doc_alloc(d, len + 1);

	memcpy(p, s, len);
	f->s = p;
	f->len = (uint32_t)len;
	f->quoted = (unsigned char)quoted;
}

static void
add_header(struct doc *d, const struct field *h, uint32_t ncols,
    uint32_t total)
{
	struct dev *e = doc_dev(d);
	uint32_t i;

	e->is_header = 1;
	e->f = doc_alloc(d, (ncols + 1) * sizeof(*e->f));
	for (i = 0; i < ncols; i++)
		set_field(d, &e->f[i], h[i].s, h[i].len, h[i].quoted);
	e->n = ncols;
	e->total = total;
}

static void
add_row(struct doc *d, uint64_t line, const struct field *f, uint32_t n)
{
	struct dev *e = doc_dev(d);
	uint32_t i;

	e->line = line;
	e->f = doc_alloc(d, (n + 1) * sizeof(*e->f));
	for (i = 0; i < n; i++)
		set_field(d, &e->f[i], f[i].s, f[i].len, f[i].quoted);
	e->n = n;
}

struct render {
	struct buf out;
	uint64_t replaced, first_line, nulls, fast_rows, rows;
	int refused;       /* xml_doc_attrs refused a header */
};

/* xml_doc_attrs says why it refuses a header on stderr: the refusals
 * here are expected (random headers clash), their messages not wanted. */
static int
stderr_off(void)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(null, 0);
	ck_assert_int_ge(dup2(null, STDERR_FILENO), 0);
	close(null);
	return saved;
}

static void
stderr_on(int saved)
{
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
}

/* Writes d in shape so on path into r. */
static void
render(const struct doc *d, const struct shape_opts *so, enum xml_path path,
    struct render *r)
{
	struct xml_doc x;
	const struct dev *e;
	size_t i;
	int begun = 0, saved, rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->out, 0);
	xml_doc_init(&x);
	xml_doc_path(&x, path);
	ck_assert_msg(xml_doc_shape(&x, &so->o) == 0, "%s: refused",
	    so->what);
	for (i = 0; i < d->nev; i++) {
		e = &d->ev[i];
		if (e->is_header) {
			saved = stderr_off();
			rc = xml_doc_attrs(&x, d->source, e->f, e->n);
			stderr_on(saved);
			if (rc < 0) {
				fail_reset();
				r->refused = 1;
				break;
			}
			if (!begun) {
				ck_assert_int_eq(xml_doc_begin(&x, -1,
				    d->source, d->sid), 0);
				begun = 1;
			}
			ck_assert_int_eq(xml_doc_columns(&x, e->f, e->n,
			    e->total), 0);
		} else {
			ck_assert_int_eq(xml_doc_row(&x, e->line, e->f,
			    e->n), 0);
			r->rows++;
		}
	}
	if (begun && !r->refused) {
		ck_assert_int_eq(xml_doc_end(&x), 0);
		ck_assert_int_eq(buf_append(&r->out, x.sink.pending.data,
		    x.sink.pending.len), 0);
	}
	r->replaced = x.replaced;
	r->first_line = x.first_replaced_line;
	r->nulls = x.nulls;
	r->fast_rows = x.fast_rows;
	xml_doc_free(&x);
}

/* Prints where a and b part, with some context. */
static void
show_difference(const char *what, const struct buf *a, const struct buf *b)
{
	size_t i = 0, from, n;

	while (i < a->len && i < b->len && a->data[i] == b->data[i])
		i++;
	from = i > 60 ? i - 60 : 0;
	fprintf(stderr, "%s: the paths part at byte %zu (fast %zu bytes, "
	    "reference %zu)\n", what, i, a->len, b->len);
	n = a->len - from < 120 ? a->len - from : 120;
	fprintf(stderr, "  fast:      %.*s\n", (int)n, a->data + from);
	n = b->len - from < 120 ? b->len - from : 120;
	fprintf(stderr, "  reference: %.*s\n", (int)n, b->data + from);
}

struct tally {
	uint64_t docs, fast_docs, refused;
};

/* d in shape so on both paths: the same.  fast_expected: every name
 * libxml2 would take, so the fast path must have written every row. */
static void
compare(const struct doc *d, const struct shape_opts *so, const char *what,
    int fast_expected, struct tally *t)
{
	struct render f, r;

	render(d, so, XML_PATH_FAST, &f);
	render(d, so, XML_PATH_REFERENCE, &r);
	ck_assert_msg(f.refused == r.refused, "%s: %s: attrs refused on one "
	    "path only", what, so->what);
	t->docs++;
	if (r.refused) {
		t->refused++;
	} else {
		if (f.out.len != r.out.len ||
		    memcmp(f.out.data, r.out.data, r.out.len) != 0) {
			show_difference(what, &f.out, &r.out);
			ck_abort_msg("%s: %s: the fast path's document differs "
			    "from the reference's", what, so->what);
		}
		ck_assert_msg(f.replaced == r.replaced &&
		    f.first_line == r.first_line && f.nulls == r.nulls,
		    "%s: %s: counts differ: replaced %" PRIu64 "/%" PRIu64
		    ", first line %" PRIu64 "/%" PRIu64 ", nulls %" PRIu64
		    "/%" PRIu64, what, so->what, f.replaced, r.replaced,
		    f.first_line, r.first_line, f.nulls, r.nulls);
		ck_assert_msg(r.fast_rows == 0, "%s: the reference path used "
		    "the fast one", what);
		if (fast_expected)
			ck_assert_msg(f.fast_rows == f.rows, "%s: %s: %" PRIu64
			    " of %" PRIu64 " rows on the fast path", what,
			    so->what, f.fast_rows, f.rows);
		t->fast_docs += f.rows > 0 && f.fast_rows == f.rows;
	}
	buf_free(&f.out);
	buf_free(&r.out);
}

/* --- the corpus ------------------------------------------------------------ */

struct mem_source {
	const unsigned char *p;
	size_t left;
};

static ssize_t
mem_read(void *ctx, void *out, size_t n)
{
	struct mem_source *m = ctx;
	size_t take = m->left < n ? m->left : n;

	memcpy(out, m->p, take);
	m->p += take;
	m->left -= take;
	return (ssize_t)take;
}

#define CORPUS_MAX_ROWS 120

/* The rows of CSV text (first row the header) as a document: the header's
 * width is the document's, wider rows are cut, narrower ones stay short.
 * Reading stops at the first error (the fuzzer's seeds are not all valid
 * CSV).  Returns the rows read. */
static size_t
doc_from_csv(struct doc *d, const unsigned char *p, size_t len, char delim)
{
	struct mem_source m = { p, len };
	struct csv_reader *rd;
	struct csv_row row;
	struct field f[64];
	uint32_t n, i, width = 0;
	size_t rows = 0;

	rd = csv_reader_new((struct csv_source){ mem_read, &m }, delim, 1,
	    1 << 24);
	ck_assert_ptr_nonnull(rd);
	while (rows < CORPUS_MAX_ROWS && csv_read_row(rd, &row) == CSV_ROW) {
		n = row.nfields < 64 ? (uint32_t)row.nfields : 64;
		for (i = 0; i < n; i++) {
			f[i].s = row.field[i];
			f[i].len = (uint32_t)row.len[i];
			f[i].quoted = row.quoted ? row.quoted[i] : 0;
		}
		if (!width) {
			width = n;
			add_header(d, f, n, n);
			continue;
		}
		add_row(d, row.line, f, n < width ? n : width);
		rows++;
	}
	csv_reader_free(rd);
	return rows;
}

static const char *
testdata(void)
{
	const char *v = getenv("CSVPACK_TESTDATA");

	return v && *v ? v : "tests";
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *p;
	ssize_t n;
	size_t off = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !(p = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size &&
	    (n = read(fd, p + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	*len = off;
	return p;
}

/* The e2e shape suite's corpus (tests/e2e/test_shape.py), as CSV. */
static const char *const e2e_corpus[] = {
	"id,name,price,note\r\n"
	"1,\"Widget, large\",12.50,NULL\r\n"
	"2,\"NULL\",,\"\"\r\n"
	"3,\"line1\r\nline2\",NULL,\"cr\ronly\"\r\n"
	"4,\xE8\x82\xA1\xE7\xA5\xA8,\"say \"\"hi\"\"\",<&>\r\n"
	"NULL,\"tab\there\",\"  spaced  \",\"a\nb\"\r\n",
	"id,\xE8\x82\xA1\xE7\xA5\xA8\xE4\xBB\xA3\xE7\xA0\x81,"
	"\xC3\x9Cn\xC3\xAF\x63\xC3\xB6\x64\xC3\xA9,price\n"
	"10,ACME,\xC3\xBC,1\n"
	"11,\"NULL\",NULL,\n"
	"12,\"]]>\",\"x\r\n\",NULL\n",
	"id,x,x,a b\n"
	"20,p,q,r\n"
	"21,,NULL,\"\"\n"
	"22,\"<tag/>\",&amp;,NULL\n",
};

/* Every shape over one document. */
static void
all_shapes(const struct doc *d, uint32_t ncols, const char *what,
    int fast_expected, struct tally *t)
{
	struct shape_opts so;
	int i;

	for (i = 0; i < N_SHAPES; i++) {
		shape_of(i, ncols, &so);
		compare(d, &so, what, fast_expected, t);
	}
}

START_TEST(diff_e2e_corpus)
{
	const char *csv = e2e_corpus[_i];
	struct doc d;
	struct tally t = { 0, 0, 0 };

	memset(&d, 0, sizeof(d));
	d.source = _i == 1 ? "b \xE8\x82\xA1.csv" : "a&<\"b\".csv";
	d.sid = (uint64_t)_i + 1;
	ck_assert_uint_gt(doc_from_csv(&d, (const unsigned char *)csv,
	    strlen(csv), ','), 0);
	all_shapes(&d, d.ev[0].n, "e2e corpus", 1, &t);
	doc_free(&d);
}
END_TEST

/* Every CSV under dir (delim ',', or as the fuzzer reads its inputs). */
static size_t
corpus_dir(const char *dir, int fuzz_input, struct tally *t)
{
	char path[1200];
	DIR *dh;
	struct dirent *de;
	struct doc d;
	unsigned char *p;
	size_t len, n = 0, nlen;

	dh = opendir(dir);
	ck_assert_msg(dh != NULL, "%s: %s (set CSVPACK_TESTDATA?)", dir,
	    strerror(errno));
	while ((de = readdir(dh)) != NULL) {
		nlen = strlen(de->d_name);
		if (de->d_name[0] == '.' || (!fuzz_input && (nlen < 5 ||
		    strcmp(de->d_name + nlen - 4, ".csv") != 0)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		p = slurp(path, &len);
		ck_assert_msg(p != NULL, "%s: %s", path, strerror(errno));
		memset(&d, 0, sizeof(d));
		d.source = de->d_name;
		d.sid = 1;
		if (!fuzz_input)
			doc_from_csv(&d, p, len, ',');
		else if (len >= 3)
			doc_from_csv(&d, p + 3, len - 3, ",;\t|"[p[0] % 4]);
		/* Names from anything: libxml2 may refuse some, so the fast
		 * path is not required there; the bytes are. */
		if (d.nev)
			all_shapes(&d, d.ev[0].n, path, 0, t);
		doc_free(&d);
		free(p);
		n++;
	}
	closedir(dh);
	return n;
}

START_TEST(diff_file_corpus)
{
	char dir[1024];
	struct tally t = { 0, 0, 0 };
	size_t files = 0;

	snprintf(dir, sizeof(dir), "%s/conformance/csv-spectrum/csvs",
	    testdata());
	files += corpus_dir(dir, 0, &t);
	snprintf(dir, sizeof(dir), "%s/../examples", testdata());
	files += corpus_dir(dir, 0, &t);
	snprintf(dir, sizeof(dir), "%s/fuzz/corpus", testdata());
	files += corpus_dir(dir, 1, &t);
	ck_assert_uint_ge(files, 14);
	/* The corpus is mostly plain names: most documents went fast. */
	ck_assert_msg(t.fast_docs * 2 > t.docs, "%" PRIu64 " of %" PRIu64
	    " documents on the fast path", t.fast_docs, t.docs);
}
END_TEST

/* --- random documents ------------------------------------------------------ */

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint32_t
below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

static size_t
put_utf8(unsigned char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xC0 | c >> 6);
		o[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xE0 | c >> 12);
		o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | c >> 18);
	o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

/* One character of a value: anything in Unicode but surrogates (not
 * UTF-8), the XML-special ones and the troublesome ones often. */
static uint32_t
random_char(uint64_t *s)
{
	static const uint32_t special[] = {
		'<', '>', '&', '"', '\'', ']', '\r', '\n', '\t', 0, 1, 8, 0x0B,
		0x0C, 0x0E, 0x1F, 0x7F, 0x80, 0x9F, 0xA0, 0xFEFF, 0xFFFD,
		0xFFFE, 0xFFFF, 0xD7FF, 0xE000, 0xEFFF, 0xF000, 0xFF01,
		0x10000, 0x1F600, 0x10FFFF, 0x10FFFE, 0x2028, 0x85, ' ',
	};
	uint32_t c;

	switch (below(s, 8)) {
	case 0:
	case 1:
	case 2:
		return 0x20 + below(s, 0x5F); /* printable ASCII */
	case 3:
	case 4:
		return special[below(s, sizeof(special) / sizeof(special[0]))];
	case 5:
		return below(s, 0x20); /* a control character */
	case 6:
		c = 0x80 + below(s, 0xFFFF - 0x80);
		return c >= 0xD800 && c < 0xE000 ? c + 0x800 : c;
	default:
		return 0x10000 + below(s, 0x100000);
	}
}

/* A random value into f (fields of d). */
static void
random_value(struct doc *d, uint64_t *s, struct field *f)
{
	static const char *const pieces[] = {
		"]]>", "\r\n", "&amp;", "&#13;", "NULL", "<![CDATA[", "\"\"",
		"\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xEF\xBF\xBD", "\xEF\xBB\xBF",
		"\xEF", "a\rb", "\t\t",
	};
	unsigned char *tmp;
	size_t len = 0, max, want;
	uint32_t k = below(s, 10);

	if (k == 0) {
		k = below(s, 2);
		set_field(d, f, k ? "NULL" : "", k ? 4 : 0, (int)below(s, 2));
		return;
	}
	if (below(s, 300) == 0)
		want = 1000 + below(s, 3 * XML_FAST_FLUSH / 2); /* long */
	else
		want = below(s, k < 6 ? 8 : 40);
	max = 4 * want + 16;
	tmp = malloc(max);
	ck_assert_ptr_nonnull(tmp);
	while (len < want) {
		if (below(s, 6) == 0) {
			const char *p = pieces[below(s,
			    sizeof(pieces) / sizeof(pieces[0]))];
			size_t n = strlen(p);

			if (len + n > max)
				break;
			memcpy(tmp + len, p, n);
			len += n;
		} else {
			if (len + 4 > max)
				break;
			len += put_utf8(tmp + len, random_char(s));
		}
	}
	set_field(d, f, (const char *)tmp, len, (int)below(s, 2));
	free(tmp);
}

/* A random header cell.  *plain: cleared when libxml2 might refuse the
 * name it makes (the fast path then need not be taken). */
static void
random_header(struct doc *d, uint64_t *s, struct field *f, int *plain,
    uint32_t col, int simple)
{
	static const char *const cells[] = {
		"", "id", "id", "price", "a b", "a:b", "1st", "-x", ".y",
		"xmlns", "xmlns:p", "xml", "XmlFoo", "line", "\xC3\xA9t\xC3\xA9",
		"\xE8\x82\xA1\xE7\xA5\xA8", "na\xC3\xAFve", "_", "a.b-c",
		"\xF0\x9F\x98\x80", "x\xE2\x80\x8Dy", "\xEF\xBF\xBD",
		"tab\there", "<&>", "\xCD\xB8",
	};
	char tmp[64];
	size_t len;
	uint32_t k = simple ? 2 : below(s, 3);

	if (k < 2) {
		const char *c = cells[below(s,
		    sizeof(cells) / sizeof(cells[0]))];

		len = strlen(c);
		memcpy(tmp, c, len);
		/* Outside ASCII, the rules of XML 1.0 5th edition (ours)
		 * and libxml2's (4th) part. */
		if (strpbrk(c, "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89"
		    "\x8A\x8B\x8C\x8D\x8E\x8F\x90\x91\x92\x93\x94\x95\x96"
		    "\x97\x98\x99\x9A\x9B\x9C\x9D\x9E\x9F\xA0\xA1\xA2\xA3"
		    "\xA4\xA5\xA6\xA7\xA8\xA9\xAA\xAB\xAC\xAD\xAE\xAF\xB0"
		    "\xB1\xB2\xB3\xB4\xB5\xB6\xB7\xB8\xB9\xBA\xBB\xBC\xBD"
		    "\xBE\xBF"))
			*plain = 0;
	} else {
		len = (size_t)snprintf(tmp, sizeof(tmp), "c%u_%u", col,
		    below(s, 3));
	}
	set_field(d, f, tmp, len, 0);
}

#define MAX_COLS 7

/* A random document into d; *plain as random_header.  simple: plain
 * names that never clash, and rows. */
static void
random_doc(struct doc *d, uint64_t *s, int *plain, uint32_t *ncols0,
    int simple)
{
	struct field h[MAX_COLS], f[MAX_COLS];
	uint32_t ncols, total, nrows, i, j, n;
	uint64_t line = 2;
	int change;

	*plain = 1;
	ncols = 1 + below(s, MAX_COLS - 1);
	total = ncols + (below(s, 4) == 0); /* a ragged extra column */
	for (i = 0; i < ncols; i++)
		random_header(d, s, &h[i], plain, i, simple);
	add_header(d, h, ncols, total);
	*ncols0 = ncols;
	nrows = below(s, 10) + (uint32_t)simple;
	change = below(s, 4) == 0;
	for (i = 0; i < nrows; i++) {
		if (change && i == nrows / 2) {
			/* Another header mid-document, as --stdout --ragged
			 * gives when the width changes. */
			for (j = 0; j < ncols; j++)
				random_header(d, s, &h[j], plain, j, simple);
			total = ncols + below(s, 2);
			add_header(d, h, ncols, total);
		}
		n = below(s, 5) == 0 ? below(s, total + 1) : total;
		for (j = 0; j < n; j++)
			random_value(d, s, &f[j]);
		add_row(d, line, f, n);
		line += 1 + below(s, 3);
	}
}

#define DOCS_PER_SHAPE 6
/* A loop test is a fork: the shapes go in groups, the null, layout and
 * --attr combination (N_GROUPS) per test, the other dimensions within. */
#define N_GROUPS (N_NULLS * N_LAYOUT * N_ATTR)
#define PER_GROUP (N_NAMES * N_NS * N_PROV)

static void
random_shape(int shape)
{
	struct shape_opts so;
	struct tally t = { 0, 0, 0 };
	struct doc d;
	uint64_t seed = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)shape << 20);
	char what[96];
	uint32_t ncols;
	int k, plain;

	for (k = 0; k < DOCS_PER_SHAPE; k++) {
		memset(&d, 0, sizeof(d));
		d.source = k % 2 ? "in\xFF\x01.csv" : "data/2024 q1/a&b.csv";
		d.sid = (uint64_t)k + 1;
		rnd(&seed);
		random_doc(&d, &seed, &plain, &ncols, k == 0);
		shape_of(shape, ncols, &so);
		snprintf(what, sizeof(what), "random document %d of shape %d",
		    k, shape);
		compare(&d, &so, what, plain, &t);
		doc_free(&d);
	}
	/* Not a vacuous comparison: most documents were written, and some
	 * by the fast path. */
	ck_assert_msg(t.refused * 2 <= t.docs && t.fast_docs >= 1,
	    "shape %d: %" PRIu64 " documents, %" PRIu64 " refused, %" PRIu64
	    " on the fast path", shape, t.docs, t.refused, t.fast_docs);
}

START_TEST(diff_random)
{
	int m;

	for (m = 0; m < PER_GROUP; m++)
		random_shape(_i * PER_GROUP + m);
}
END_TEST

/* Rows long enough to be handed to the writer in several pieces, and
 * flushes between rows: in every null, layout and --attr combination
 * (the other dimensions vary along). */

START_TEST(diff_long_rows)
{
	struct shape_opts so;
	struct tally t = { 0, 0, 0 };
	struct doc d;
	struct field h[3], f[3];
	char *big;
	size_t len = 2 * XML_FAST_FLUSH + 17, i;
	int r;

	big = malloc(len);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < len; i++)
		big[i] = "ab<&\"\r\n\t\x01]>"[i % 11];
	memset(&d, 0, sizeof(d));
	d.source = "long.csv";
	d.sid = 9;
	set_field(&d, &h[0], "a", 1, 0);
	set_field(&d, &h[1], "b", 1, 0);
	set_field(&d, &h[2], "c", 1, 0);
	add_header(&d, h, 3, 3);
	for (r = 0; r < 12; r++) {
		set_field(&d, &f[0], big, r % 3 ? 5 : len, 0);
		set_field(&d, &f[1], "NULL", 4, r % 2);
		set_field(&d, &f[2], big + r, (size_t)r * 1000, 0);
		add_row(&d, (uint64_t)r + 2, f, 3);
	}
	shape_of(_i * PER_GROUP + _i % PER_GROUP, 3, &so);
	compare(&d, &so, "long rows", 1, &t);
	doc_free(&d);
	free(big);
}
END_TEST

/* No rows, a row of no fields, a header of no columns. */
static void
empty_shape(int shape)
{
	struct shape_opts so;
	struct tally t = { 0, 0, 0 };
	struct doc d;
	struct field h[1];

	memset(&d, 0, sizeof(d));
	d.source = "e.csv";
	d.sid = 1;
	set_field(&d, &h[0], "a", 1, 0);
	add_header(&d, h, 1, 1);
	shape_of(shape, 1, &so);
	compare(&d, &so, "no rows", 1, &t);
	add_row(&d, 2, h, 0);
	add_row(&d, 3, h, 1);
	add_row(&d, 4, h, 0);
	compare(&d, &so, "rows of no fields", 1, &t);
	doc_free(&d);
	memset(&d, 0, sizeof(d));
	d.source = "e.csv";
	d.sid = 1;
	add_header(&d, h, 0, 0);
	add_row(&d, 2, h, 0);
	shape_of(shape % (N_SHAPES / N_ATTR), 0, &so); /* no --attr */
	compare(&d, &so, "no columns", 1, &t);
	doc_free(&d);
}

START_TEST(diff_empty)
{
	int m;

	for (m = 0; m < PER_GROUP; m++)
		empty_shape(_i * PER_GROUP + m);
}
END_TEST

START_TEST(diff_probe)
{
	struct xml_fast x;

	xml_fast_init(&x);
	ck_assert_int_eq(xml_fast_probe(&x), 1);
	ck_assert_int_eq(x.probed, 1);
	ck_assert_int_eq(xml_fast_probe(&x), 1);
	xml_fast_free(&x);
}
END_TEST

/* CSVPACK_XML_PATH=reference selects the reference path at init. */
START_TEST(diff_env)
{
	struct xml_doc x;
	const char *old = getenv("CSVPACK_XML_PATH");
	char *saved = old ? strdup(old) : NULL;

	setenv("CSVPACK_XML_PATH", "reference", 1);
	xml_doc_init(&x);
	ck_assert_int_eq(x.reference, 1);
	xml_doc_free(&x);
	unsetenv("CSVPACK_XML_PATH");
	xml_doc_init(&x);
	ck_assert_int_eq(x.reference, 0);
	xml_doc_free(&x);
	setenv("CSVPACK_XML_PATH", "fast", 1);
	xml_doc_init(&x);
	ck_assert_int_eq(x.reference, 0);
	xml_doc_free(&x);
	if (saved)
		setenv("CSVPACK_XML_PATH", saved, 1);
	else
		unsetenv("CSVPACK_XML_PATH");
	free(saved);
}
END_TEST

Suite *
xml_diff_suite(void)
{
	Suite *s = suite_create("xml_diff");
	TCase *c = tcase_create("corpus"), *p = tcase_create("property");

	tcase_add_test(c, diff_probe);
	tcase_add_test(c, diff_env);
	tcase_add_loop_test(c, diff_e2e_corpus, 0,
	    (int)(sizeof(e2e_corpus) / sizeof(e2e_corpus[0])));
	tcase_add_test(c, diff_file_corpus);
	suite_add_tcase(s, c);
	tcase_add_loop_test(p, diff_random, 0, N_GROUPS);
	tcase_add_loop_test(p, diff_long_rows, 0, N_GROUPS);
	tcase_add_loop_test(p, diff_empty, 0, N_GROUPS);
	suite_add_tcase(s, p);
	return s;
}
