/*
 * test_names.c - unit tests of the converter's XML side: element names
 * from header cells (converter/xml_names.h), value cleaning and document
 * writing (converter/xml_doc.h).
 *
 * Names.  A table gives headers (cells with exact bytes, the column count
 * and the total with extra columns) and the names the spec's rules give:
 * replacement by '_', the leading '_', fieldN, _2/_3 de-duplication,
 * non-ASCII letters kept.  Then a few thousand random headers (fixed seed)
 * of valid UTF-8 drawn from the interesting ranges of Unicode are compared
 * with an independent model of the rules whose character classes come from
 * libxml2's own parser: c may start a name iff "<cb/>" parses, c may stand
 * in one iff "<acb/>" parses (':' excluded by the spec).  Every name made
 * must be unique within its header and parse as an element name.
 *
 * Validity is judged by libxml2's parser (xmlReadMemory of "<NAME/>"), which
 * implements XML 1.0 5th edition names as the spec and xml_names.h require.
 * xmlValidateName() in libxml2 2.9.x still uses the 4th-edition letter
 * tables (it refuses U+1F600, U+FFFD, U+200C, U+203F, a leading U+0660,
 * which the 5th edition and the parser accept), so it is applied to the
 * table rows not marked ED5 only.
 *
 * Values.  xml_clean_value on a table of bad and good characters: exact
 * output, count, and the same pointer back when nothing is bad.
 *
 * Documents.  xml_doc_* writes a document into a temporary file with
 * values holding < > & " ' CR, CRLF, spaces, "]]>", NUL and control bytes,
 * and empty fields; libxml2 (xmlReadFile) reads it back and every element's
 * text must equal the written value exactly; `xmllint --noout` (under
 * `timeout 30`) must pass.  A write error (/dev/full) must surface as
 * ENOSPC, and a row wider than the names as EINVAL.  Temporary files
 * carry the runner's pid in their names; an unchecked teardown removes
 * what a failing test left.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "suites.h"
#include "check_helpers.h"
#include "tmpdir.h"
#include "buf.h"
#include "xml_doc.h"
#include "xml_pool.h"
#include "xml_names.h"

#define MAXC 8
#define RANDOM_HEADERS 3000
#define ED5 1 /* the name needs XML 1.0 5th edition rules */

/* A cell: bytes and length (NULs allowed); len -1 means strlen. */
struct cell {
	const char *s;
	int len;
};

struct name_case {
	struct cell cells[MAXC];
	uint32_t ncols, total;
	const char *want[MAXC];
	int flags;
};

#define C(x) { x, -1 }

static const struct name_case name_cases[] = {
	{ { C("ticker") }, 1, 1, { "ticker" }, 0 },
	{ { C("股票代码"), C("price") }, 2, 2, { "股票代码", "price" }, 0 },
	{ { C("a b") }, 1, 1, { "a_b" }, 0 },
	{ { C("a:b") }, 1, 1, { "a_b" }, 0 },
	{ { C(":") }, 1, 1, { "_" }, 0 },
	{ { C("a:") }, 1, 1, { "a_" }, 0 },
	{ { C("1st") }, 1, 1, { "_1st" }, 0 },
	{ { C("-x") }, 1, 1, { "_-x" }, 0 },
	{ { C(".x") }, 1, 1, { "_.x" }, 0 },
	{ { C("@x") }, 1, 1, { "_x" }, 0 },
	{ { C("@1") }, 1, 1, { "_1" }, 0 },
	{ { C("9") }, 1, 1, { "_9" }, 0 },
	{ { C(" ") }, 1, 1, { "_" }, 0 },
	{ { C("a\tb\nc\rd") }, 1, 1, { "a_b_c_d" }, 0 },
	{ { { "a\0b", 3 } }, 1, 1, { "a_b" }, 0 },
	{ { C("x<y>&\"'=/") }, 1, 1, { "x_y______" }, 0 },
	{ { C("_ok-1.2")}, 1, 1, { "_ok-1.2" }, 0 },
	{ { C("xml") }, 1, 1, { "xml" }, 0 },
	/* Empty cells: fieldN with the 1-based column. */
	{ { C(""), C("b"), C("") }, 3, 3, { "field1", "b", "field3" }, 0 },
	/* Repeats, left to right, the first free suffix. */
	{ { C("a"), C("a"), C("a") }, 3, 3, { "a", "a_2", "a_3" }, 0 },
	{ { C("a b"), C("a_b") }, 2, 2, { "a_b", "a_b_2" }, 0 },
	{ { C("a"), C("a_2"), C("a") }, 3, 3, { "a", "a_2", "a_3" }, 0 },
	{ { C("a_2"), C("a"), C("a") }, 3, 3, { "a_2", "a", "a_3" }, 0 },
	{ { C("a"), C("a_2"), C("a"), C("a_2") }, 4, 4,
	    { "a", "a_2", "a_3", "a_2_2" }, 0 },
	{ { C("field2"), C("") }, 2, 2, { "field2", "field2_2" }, 0 },
	{ { C(""), C("field1") }, 2, 2, { "field1", "field1_2" }, 0 },
	{ { C("1"), C("_1") }, 2, 2, { "_1", "_1_2" }, 0 },
	{ { C("x"), C("X") }, 2, 2, { "x", "X" }, 0 },
	/* Extra columns beyond the header. */
	{ { C("a"), C("b") }, 2, 4, { "a", "b", "field3", "field4" }, 0 },
	{ { C("field4"), C("b") }, 2, 4,
	    { "field4", "b", "field3", "field4_2" }, 0 },
	{ { C("x") }, 0, 2, { "field1", "field2" }, 0 },
	/* Non-ASCII: combining marks and other name characters that may
	 * not start a name get the prefix; letters and digits of other
	 * scripts (all NameStartChar in the 5th edition) stay. */
	{ { C("\xcc\x80x") }, 1, 1, { "_\xcc\x80x" }, 0 },           /* U+0300 */
	{ { C("a\xcc\x81") }, 1, 1, { "a\xcc\x81" }, 0 },
	{ { C("\xc2\xb7x") }, 1, 1, { "_\xc2\xb7x" }, 0 },           /* U+00B7 */
	{ { C("\xe2\x80\xbfx") }, 1, 1, { "_\xe2\x80\xbfx" }, ED5 }, /* U+203F */
	{ { C("\xd9\xa0\xd9\xa1") }, 1, 1, { "\xd9\xa0\xd9\xa1" }, ED5 }, /* ٠١ */
	{ { C("Ünïcödé") }, 1, 1, { "Ünïcödé" }, 0 },
	{ { C("a\xc3\x97" "b") }, 1, 1, { "a_b" }, 0 },              /* × */
	{ { C("\xc3\x97") }, 1, 1, { "_" }, 0 },
	{ { C("\xc3\xb7x") }, 1, 1, { "_x" }, 0 },                   /* ÷ */
	{ { C("a\xcd\xbe") }, 1, 1, { "a_" }, 0 },                   /* U+037E */
	{ { C("a\xef\xb7\x90") }, 1, 1, { "a_" }, 0 },               /* U+FDD0 */
	{ { C("a\xef\xbf\xbe") }, 1, 1, { "a_" }, 0 },               /* U+FFFE */
	{ { C("a\xf3\xb0\x80\x80") }, 1, 1, { "a_" }, 0 },           /* U+F0000 */
	{ { C("\xf0\x9f\x98\x80") }, 1, 1, { "\xf0\x9f\x98\x80" }, ED5 }, /* 😀 */
	{ { C("a\xf0\x9f\x98\x80") }, 1, 1, { "a\xf0\x9f\x98\x80" }, ED5 },
	{ { C("a\xf3\xaf\xbf\xbf") }, 1, 1, { "a\xf3\xaf\xbf\xbf" },
	    ED5 },                                                  /* U+EFFFF */
	{ { C("\xef\xbf\xbd") }, 1, 1, { "\xef\xbf\xbd" }, ED5 },    /* U+FFFD */
	{ { C("a\xe2\x80\x8c" "b") }, 1, 1, { "a\xe2\x80\x8c" "b" }, ED5 }, /* ZWNJ */
	{ { C("\xe2\x81\xb0") }, 1, 1, { "\xe2\x81\xb0" }, ED5 },    /* U+2070 */
};

/* --- helpers ------------------------------------------------------------ */

static uint64_t
rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t
utf8_put(char *p, uint32_t c)
{
	if (c < 0x80) {
		p[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (char)(0xC0 | c >> 6);
		p[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (char)(0xE0 | c >> 12);
		p[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		p[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	p[0] = (char)(0xF0 | c >> 18);
	p[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	p[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	p[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

static int
parses(const char *doc, size_t len)
{
	xmlDocPtr d = xmlReadMemory(doc, (int)len, "t.xml", "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

	if (!d)
		return 0;
	xmlFreeDoc(d);
	return 1;
}

/* 1 if name parses as an element name (XML 1.0 5th edition). */
static int
name_parses(const char *name)
{
	char doc[512];
	int n = snprintf(doc, sizeof(doc), "<%s/>", name);

	REQUIRE_MSG(n > 0 && (size_t)n < sizeof(doc), "name too long");
	return parses(doc, (size_t)n) && strchr(name, ':') == NULL;
}

/* The oracle's character classes, from libxml2's parser. */
static int
oracle_start(uint32_t c)
{
	char doc[16];
	size_t n = 0;

	if (c == ':')
		return 0;
	doc[n++] = '<';
	n += utf8_put(doc + n, c);
	memcpy(doc + n, "b/>", 3);
	return parses(doc, n + 3);
}

static int
oracle_char(uint32_t c)
{
	char doc[16];
	size_t n = 0;

	if (c == ':')
		return 0;
	doc[n++] = '<';
	doc[n++] = 'a';
	n += utf8_put(doc + n, c);
	memcpy(doc + n, "b/>", 3);
	return parses(doc, n + 3);
}

static size_t
cell_len(const struct cell *c)
{
	return c->len < 0 ? strlen(c->s) : (size_t)c->len;
}

static void
check_unique(const struct xml_names *n, uint32_t total, const char *ctx)
{
	uint32_t i, j;

	for (i = 0; i < total; i++)
		for (j = i + 1; j < total; j++)
			REQUIRE_MSG(strcmp(n->name[i], n->name[j]) != 0,
			    "%s: columns %u and %u both named %s", ctx, i + 1,
			    j + 1, n->name[i]);
}

/* --- the table ---------------------------------------------------------- */

START_TEST(names_table)
{
	const struct name_case *t = &name_cases[_i];
	struct field h[MAXC];
	struct xml_names n;
	uint32_t i;

	xml_names_init(&n);
	for (i = 0; i < t->ncols; i++) {
		h[i].s = t->cells[i].s;
		h[i].len = (uint32_t)cell_len(&t->cells[i]);
	}
	ck_assert_int_eq(xml_names_build(&n, h, t->ncols, t->total), 0);
	ck_assert_uint_eq(n.count, t->total);
	for (i = 0; i < t->total; i++) {
		ck_assert_msg(strcmp(n.name[i], t->want[i]) == 0,
		    "case %d column %u: got '%s', want '%s'", _i, i + 1,
		    n.name[i], t->want[i]);
		ck_assert_msg(name_parses(n.name[i]),
		    "case %d: '%s' does not parse as a name", _i, n.name[i]);
		if (!(t->flags & ED5))
			ck_assert_msg(xmlValidateName(BAD_CAST n.name[i], 0) == 0,
			    "case %d: xmlValidateName('%s') refuses", _i,
			    n.name[i]);
	}
	check_unique(&n, t->total, "table");
	xml_names_free(&n);
}
END_TEST

/* xml_name_sanitize alone: one cell, before de-duplication. */
START_TEST(sanitize_single)
{
	struct buf out;

	buf_init(&out, 0);
	ck_assert_int_eq(xml_name_sanitize(&out, "", 0, 7), 0);
	ck_assert_uint_eq(out.len, 7);
	ck_assert_str_eq((char *)out.data, "field7");
	buf_reset(&out);
	ck_assert_int_eq(xml_name_sanitize(&out, "a b", 3, 1), 0);
	ck_assert_str_eq((char *)out.data, "a_b");
	/* Appends after what is there, NUL-separated. */
	ck_assert_int_eq(xml_name_sanitize(&out, "1", 1, 2), 0);
	ck_assert_uint_eq(out.len, 4 + 3);
	ck_assert_str_eq((char *)out.data + 4, "_1");
	/* Only len bytes are read. */
	buf_reset(&out);
	ck_assert_int_eq(xml_name_sanitize(&out, "abc", 2, 1), 0);
	ck_assert_str_eq((char *)out.data, "ab");
	buf_free(&out);
}
END_TEST

/* Same header twice gives the same names; a new header, new ones. */
START_TEST(names_rebuild)
{
	struct field a[2] = { { "x", 1, 0 }, { "x", 1, 0 } };
	struct field b[2] = { { "y", 1, 0 }, { "", 0, 0 } };
	struct xml_names n;

	xml_names_init(&n);
	ck_assert_int_eq(xml_names_build(&n, a, 2, 2), 0);
	ck_assert_str_eq(n.name[1], "x_2");
	ck_assert_int_eq(xml_names_build(&n, a, 2, 2), 0);
	ck_assert_str_eq(n.name[0], "x");
	ck_assert_str_eq(n.name[1], "x_2");
	ck_assert_int_eq(xml_names_build(&n, a, 2, 3), 0);
	ck_assert_uint_eq(n.count, 3);
	ck_assert_str_eq(n.name[2], "field3");
	ck_assert_int_eq(xml_names_build(&n, b, 2, 2), 0);
	ck_assert_uint_eq(n.count, 2);
	ck_assert_str_eq(n.name[0], "y");
	ck_assert_str_eq(n.name[1], "field2");
	ck_assert_int_eq(xml_names_build(&n, a, 1, 1), 0);
	ck_assert_str_eq(n.name[0], "x");
	xml_names_free(&n);
	xml_names_free(&n); /* twice is safe */
}
END_TEST

/* --- random headers against the oracle ---------------------------------- */

/* A code point from ranges where name rules change (no surrogates). */
static uint32_t
random_cp(uint64_t *s)
{
	static const uint32_t r[][2] = {
		{ 0x00, 0x7F }, { 0x20, 0x7E }, { 0x20, 0x7E }, { 0x80, 0x2FF },
		{ 0x2F0, 0x380 }, { 0x1FF0, 0x2200 }, { 0x2BF0, 0x3010 },
		{ 0x4E00, 0x9FFF }, { 0xD7F0, 0xD7FF }, { 0xE000, 0xE010 },
		{ 0xF8F0, 0xF910 }, { 0xFDC0, 0xFFFF }, { 0x10000, 0x1FFFF },
		{ 0xEFFF0, 0xF0010 }, { 0x10FFF0, 0x10FFFF },
	};
	size_t k = rng(s) % (sizeof(r) / sizeof(r[0]));

	return r[k][0] + (uint32_t)(rng(s) % (r[k][1] - r[k][0] + 1));
}

/* The model: sanitize one cell by the spec's rules. */
static void
model_sanitize(const char *s, size_t len, uint32_t column, char *out,
    size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n;
	uint32_t c;

	if (len == 0) {
		snprintf(out, cap, "field%u", column);
		return;
	}
	while (i < len) {
		/* Decode (the input is valid UTF-8). */
		if (p[i] < 0x80) {
			c = p[i];
			n = 1;
		} else if (p[i] < 0xE0) {
			c = (uint32_t)(p[i] & 0x1F) << 6 | (p[i + 1] & 0x3F);
			n = 2;
		} else if (p[i] < 0xF0) {
			c = (uint32_t)(p[i] & 0x0F) << 12 |
			    (uint32_t)(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
			n = 3;
		} else {
			c = (uint32_t)(p[i] & 0x07) << 18 |
			    (uint32_t)(p[i + 1] & 0x3F) << 12 |
			    (uint32_t)(p[i + 2] & 0x3F) << 6 | (p[i + 3] & 0x3F);
			n = 4;
		}
		if (i == 0 && !oracle_start(c) && oracle_char(c))
			out[o++] = '_';
		if (oracle_char(c)) {
			memcpy(out + o, p + i, n);
			o += n;
		} else {
			out[o++] = '_';
		}
		i += n;
		REQUIRE_MSG(o + 5 < cap, "model name too long");
	}
	out[o] = '\0';
}

START_TEST(names_random)
{
	enum { K = 7, L = 8, W = 80 };
	uint64_t seed = UINT64_C(0x853C49E6748FEA9B);
	char cells[K][L * 4 + 2 * K + 1], want[K + 2][W + 40], tmp[W + 24];
	struct field h[K];
	struct xml_names n;
	uint32_t ncols, total, i, j, k, len;
	int iter;
	char ctx[64];

	xml_names_init(&n);
	for (iter = 0; iter < RANDOM_HEADERS; iter++) {
		ncols = 1 + (uint32_t)(rng(&seed) % K);
		total = ncols + (uint32_t)(rng(&seed) % 3);
		for (i = 0; i < ncols; i++) {
			size_t o = 0;
			uint64_t pick = rng(&seed) % 10;

			if (pick == 0 && i > 0) {        /* a repeat */
				memcpy(cells[i], cells[rng(&seed) % i], sizeof(cells[i]));
				h[i].s = cells[i];
				h[i].len = (uint32_t)strlen(cells[i]);
				continue;
			}
			if (pick == 1) {                 /* a literal fieldN */
				snprintf(cells[i], sizeof(cells[i]), "field%u",
				    1 + (uint32_t)(rng(&seed) % (total + 1)));
				h[i].s = cells[i];
				h[i].len = (uint32_t)strlen(cells[i]);
				continue;
			}
			if (pick == 2 && i > 0) {        /* a taken name + _2 */
				/* At most L * 4 + 2 * K bytes: fits. */
				j = (uint32_t)(rng(&seed) % i);
				len = (uint32_t)strlen(cells[j]);
				memcpy(cells[i], cells[j], len);
				memcpy(cells[i] + len, "_2", 3);
				h[i].s = cells[i];
				h[i].len = (uint32_t)strlen(cells[i]);
				continue;
			}
			len = pick == 3 ? 0 : (uint32_t)(rng(&seed) % L);
			for (k = 0; k < len; k++) {
				uint32_t c;

				do
					c = random_cp(&seed);
				while (c == 0); /* NUL: own table case */
				o += utf8_put(cells[i] + o, c);
			}
			cells[i][o] = '\0';
			h[i].s = cells[i];
			h[i].len = (uint32_t)o;
		}
		/* The model: sanitize, then the first free _K left to right. */
		for (i = 0; i < total; i++) {
			model_sanitize(i < ncols ? h[i].s : "",
			    i < ncols ? h[i].len : 0, i + 1, tmp, W);
			snprintf(want[i], sizeof(want[i]), "%s", tmp);
			for (k = 2;; k++) {
				for (j = 0; j < i; j++)
					if (strcmp(want[j], want[i]) == 0)
						break;
				if (j == i)
					break;
				snprintf(want[i], sizeof(want[i]), "%.90s_%u", tmp, k);
			}
		}
		REQUIRE_MSG(xml_names_build(&n, h, ncols, total) == 0, "build");
		REQUIRE_MSG(n.count == total, "count");
		snprintf(ctx, sizeof(ctx), "header %d", iter);
		for (i = 0; i < total; i++) {
			REQUIRE_MSG(strcmp(n.name[i], want[i]) == 0,
			    "%s column %u: cell '%s' got '%s', want '%s'", ctx,
			    i + 1, i < ncols ? h[i].s : "", n.name[i], want[i]);
			REQUIRE_MSG(name_parses(n.name[i]),
			    "%s: '%s' does not parse", ctx, n.name[i]);
		}
		check_unique(&n, total, ctx);
	}
	xml_names_free(&n);
}
END_TEST

/* Thousands of columns with the same header: right names, in bounded
 * time (a child with an alarm, so a slow algorithm fails fast). */
START_TEST(names_many_duplicates)
{
	enum { N = 5000, SECONDS = 5 };
	pid_t pid;
	int st;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct field *h = calloc(N, sizeof(*h));
		struct xml_names n;
		char want[32];
		uint32_t i;

		signal(SIGALRM, SIG_DFL); /* not Check's handler */
		alarm(SECONDS);
		if (!h)
			_exit(2);
		for (i = 0; i < N; i++) {
			h[i].s = "value";
			h[i].len = 5;
		}
		xml_names_init(&n);
		if (xml_names_build(&n, h, N, N) < 0)
			_exit(3);
		if (strcmp(n.name[0], "value") != 0)
			_exit(4);
		for (i = 1; i < N; i++) {
			snprintf(want, sizeof(want), "value_%u", i + 1);
			if (strcmp(n.name[i], want) != 0)
				_exit(5);
		}
		xml_names_free(&n);
		free(h);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(!(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM),
	    "naming %d identical header cells took over %d s", N, SECONDS);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child status %d", st);
}
END_TEST

/* --- xml_clean_value ---------------------------------------------------- */

struct clean_case {
	const char *in;
	size_t len;
	const char *out; /* NULL: unchanged, same pointer back */
	uint64_t count;
};

#define S(x) x, sizeof(x) - 1

static const struct clean_case clean_cases[] = {
	{ S(""), NULL, 0 },
	{ S("plain text"), NULL, 0 },
	{ S("tab\tnl\ncr\r"), NULL, 0 },
	{ S("\x7f\xc2\x80\xc2\x9f"), NULL, 0 },          /* DEL, C1: allowed */
	{ S("\xef\xbf\xbd"), NULL, 0 },                  /* U+FFFD itself */
	{ S("\xef\xbb\xbf"), NULL, 0 },                  /* U+FEFF */
	{ S("\xef\xbf\xbc\xef\xbe\xbe\xee\xbf\xbe"), NULL, 0 }, /* near misses */
	{ S("股票 😀"), NULL, 0 },
	{ S("\0"), "\xef\xbf\xbd", 1 },
	{ S("a\0b"), "a\xef\xbf\xbd" "b", 1 },
	{ S("\x01"), "\xef\xbf\xbd", 1 },
	{ S("a\x0b" "b"), "a\xef\xbf\xbd" "b", 1 },
	{ S("a\x0c" "b"), "a\xef\xbf\xbd" "b", 1 },
	{ S("a\x1f"), "a\xef\xbf\xbd", 1 },
	{ S("\x08\t\x0e"), "\xef\xbf\xbd\t\xef\xbf\xbd", 2 },
	{ S("x\xef\xbf\xbey"), "x\xef\xbf\xbdy", 1 },    /* U+FFFE */
	{ S("x\xef\xbf\xbfy"), "x\xef\xbf\xbdy", 1 },    /* U+FFFF */
	{ S("\xef\xbf\xbe\xef\xbf\xbf\0\x01"),
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 4 },
	{ S("\r\n\x01\r\n"), "\r\n\xef\xbf\xbd\r\n", 1 },
};

START_TEST(clean_table)
{
	const struct clean_case *t = &clean_cases[_i];
	struct buf out;
	uint64_t count = 99;
	const char *r;

	buf_init(&out, 0);
	r = xml_clean_value(t->in, t->len, &out, &count);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(count, t->count);
	if (!t->out) {
		ck_assert_msg(r == t->in, "case %d: a copy was made", _i);
	} else {
		ck_assert_msg(r != t->in, "case %d: not cleaned", _i);
		ck_assert_uint_eq(strlen(r), strlen(t->out));
		ck_assert_msg(strcmp(r, t->out) == 0, "case %d: wrong output",
		    _i);
	}
	buf_free(&out);
}
END_TEST

/* Every byte below 0x20: 29 replaced, TAB LF CR kept. */
START_TEST(clean_all_controls)
{
	char in[32], want[32 * 3 + 1];
	struct buf out;
	uint64_t count;
	const char *r;
	size_t i, o = 0;

	buf_init(&out, 0);
	for (i = 0; i < 32; i++) {
		in[i] = (char)i;
		if (i == '\t' || i == '\n' || i == '\r')
			want[o++] = (char)i;
		else
			o += (size_t)snprintf(want + o, 4, "\xef\xbf\xbd");
	}
	want[o] = '\0';
	r = xml_clean_value(in, sizeof(in), &out, &count);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(count, 29);
	ck_assert_str_eq(r, want);
	/* The count restarts at every call. */
	r = xml_clean_value("ok", 2, &out, &count);
	ck_assert_uint_eq(count, 0);
	buf_free(&out);
}
END_TEST

/* --- documents ---------------------------------------------------------- */

#define DOC_COLS 5
#define DOC_TOTAL 6

struct doc_row {
	uint64_t line;
	uint32_t n;
	struct field f[DOC_TOTAL];
	const char *want[DOC_TOTAL]; /* NULL: same as the input */
};

static const struct field doc_header[DOC_COLS] = {
	{ "ticker", 6, 0 }, { "a b", 3, 0 }, { "", 0, 0 },
	{ "股票代码", 12, 0 }, { "ticker", 6, 0 },
};
static const char *doc_names[DOC_TOTAL] = {
	"ticker", "a_b", "field3", "股票代码", "ticker_2", "field6",
};
static const struct doc_row doc_rows[] = {
	{ 2, 6, { { "ACME", 4, 0 }, { "<b>&amp;</b>", 12, 0 }, { "", 0, 0 },
	    { "\"q\" 'a'", 7, 0 }, { "a\rb", 3, 0 }, { "x\r\ny", 4, 0 } },
	    { NULL } },
	{ 3, 6, { { "  spaces  ", 10, 0 }, { "]]>", 3, 0 }, { "\t\n", 2, 0 },
	    { "股票 😀", 11, 0 }, { "\r", 1, 0 }, { "&#13;", 5, 0 } },
	    { NULL } },
	{ 7, 6, { { "a\0b", 3, 0 }, { "\x01\x0b", 2, 0 },
	    { "\xef\xbf\xbe", 3, 0 },
	    { "", 0, 0 }, { "", 0, 0 }, { "", 0, 0 } },
	    { "a\xef\xbf\xbd" "b", "\xef\xbf\xbd\xef\xbf\xbd", "\xef\xbf\xbd",
	    NULL, NULL, NULL } },
	{ 9, 3, { { "short", 5, 0 }, { "row", 3, 0 }, { ">", 1, 0 } },
	    { NULL } },
	{ 12, 0, { { NULL, 0, 0 } }, { NULL } },
};
#define NDOC_ROWS (sizeof(doc_rows) / sizeof(doc_rows[0]))

/* Temporary files are /tmp/<tmp_tag>XXXXXX (tmpdir.h); the tag holds the
 * runner's pid, so the runner's teardown can sweep what a failed test
 * left. */
static char tmp_tag[TMPDIR_TAG_LEN];

static void
sweep_setup(void)
{
	tmpdir_tag(tmp_tag, "names");
}

static void
sweep_teardown(void)
{
	tmpdir_sweep(tmp_tag);
}

static void
write_doc(int fd, const char *source, uint64_t sid, struct xml_doc *d)
{
	size_t i;

	ck_assert_int_eq(xml_doc_begin(d, fd, source, sid), 0);
	ck_assert_int_eq(xml_doc_columns(d, doc_header, DOC_COLS, DOC_TOTAL),
	    0);
	for (i = 0; i < NDOC_ROWS; i++)
		ck_assert_int_eq(xml_doc_row(d, doc_rows[i].line, doc_rows[i].f,
		    doc_rows[i].n), 0);
	ck_assert_int_eq(xml_doc_end(d), 0);
}

static xmlNodePtr
next_element(xmlNodePtr n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static void
check_attr(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);

	ck_assert_msg(v != NULL, "no attribute %s", name);
	ck_assert_msg(strcmp((char *)v, want) == 0, "attribute %s: '%s', "
	    "want '%s'", name, (char *)v, want);
	xmlFree(v);
}

START_TEST(doc_round_trip)
{
	static const char *source = "dir/pr&ces <\"1\">\t'x'.csv";
	char path[128], cmd[160], line[24];
	struct xml_doc d;
	struct stat st;
	xmlDocPtr doc;
	xmlNodePtr root, row, el;
	xmlChar *text;
	size_t r;
	uint32_t i;
	int fd;

	fd = tmpdir_file(path, sizeof(path), tmp_tag);
	ck_assert_int_ge(fd, 0);
	xml_doc_init(&d);
	write_doc(fd, source, 42, &d);
	ck_assert_uint_eq(d.replaced, 4);
	ck_assert_uint_eq(d.first_replaced_line, 7);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(d.sink.bytes, (uint64_t)st.st_size);
	close(fd);

	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	ck_assert_msg(doc != NULL, "libxml2 cannot read %s", path);
	root = xmlDocGetRootElement(doc);
	ck_assert_str_eq((const char *)root->name, "table");
	check_attr(root, "source", source);
	check_attr(root, "sid", "42");
	row = next_element(root->children);
	for (r = 0; r < NDOC_ROWS; r++, row = next_element(row->next)) {
		const struct doc_row *t = &doc_rows[r];

		ck_assert_msg(row != NULL, "row %zu missing", r);
		ck_assert_str_eq((const char *)row->name, "row");
		snprintf(line, sizeof(line), "%" PRIu64, t->line);
		check_attr(row, "line", line);
		el = next_element(row->children);
		for (i = 0; i < t->n; i++, el = next_element(el->next)) {
			const char *want = t->want[i] ? t->want[i] : t->f[i].s;

			ck_assert_msg(el != NULL, "row %zu: element %u missing",
			    r, i);
			ck_assert_str_eq((const char *)el->name, doc_names[i]);
			text = xmlNodeGetContent(el);
			ck_assert_ptr_nonnull(text);
			ck_assert_msg(strcmp((char *)text, want) == 0,
			    "row %zu col %u: read '%s', wrote '%s'", r, i,
			    (char *)text, want);
			/* Element text only: no child elements. */
			ck_assert(el->children == NULL ||
			    next_element(el->children) == NULL);
			xmlFree(text);
		}
		ck_assert_msg(el == NULL, "row %zu: extra element %s", r,
		    el ? (const char *)el->name : "");
	}
	ck_assert_msg(row == NULL, "extra row");
	xmlFreeDoc(doc);

	snprintf(cmd, sizeof(cmd), "timeout 30 xmllint --noout '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	xml_doc_free(&d);
	unlink(path);
}
END_TEST

/* Begins with the prolog the spec shows; stdin is "-". */
START_TEST(doc_text_form)
{
	static const char *head =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<table source=\"-\" sid=\"1\">\n"
	    "  <row line=\"2\"><ticker>ACME</ticker><price>12.50</price></row>\n"
	    "  <row line=\"3\"><ticker>股票</ticker><price></price></row>\n"
	    "</table>\n";
	static const struct field h[2] = {
		{ "ticker", 6, 0 }, { "price", 5, 0 },
	};
	static const struct field r1[2] = {
		{ "ACME", 4, 0 }, { "12.50", 5, 0 },
	};
	static const struct field r2[2] = { { "股票", 6, 0 }, { "", 0, 0 } };
	char path[128], got[512];
	struct xml_doc d;
	ssize_t n;
	int fd;

	fd = tmpdir_file(path, sizeof(path), tmp_tag);
	ck_assert_int_ge(fd, 0);
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_begin(&d, fd, "-", 1), 0);
	ck_assert_int_eq(xml_doc_columns(&d, h, 2, 2), 0);
	ck_assert_int_eq(xml_doc_row(&d, 2, r1, 2), 0);
	ck_assert_int_eq(xml_doc_row(&d, 3, r2, 2), 0);
	ck_assert_int_eq(xml_doc_end(&d), 0);
	n = pread(fd, got, sizeof(got) - 1, 0);
	ck_assert_int_ge(n, 0);
	got[n] = '\0';
	/* Empty elements may be written <price/> or <price></price>; both
	 * read the same, so compare after folding the first form. */
	{
		char *p = strstr(got, "<price/>");

		if (p) {
			memmove(p + 15, p + 8, strlen(p + 8) + 1);
			memcpy(p, "<price></price>", 15);
		}
	}
	ck_assert_str_eq(got, head);
	xml_doc_free(&d);
	close(fd);
	unlink(path);
}
END_TEST

/* A document bigger than the 1 MiB sink: flushed in pieces, whole. */
START_TEST(doc_large)
{
	enum { ROWS = 30000 };
	static const struct field h[2] = { { "k", 1, 0 }, { "v", 1, 0 } };
	char path[128], key[32], cmd[160];
	struct field f[2];
	struct xml_doc d;
	struct stat st;
	xmlDocPtr doc;
	xmlNodePtr row;
	uint64_t i;
	int fd, rows = 0;

	fd = tmpdir_file(path, sizeof(path), tmp_tag);
	ck_assert_int_ge(fd, 0);
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_begin(&d, fd, "big.csv", 9), 0);
	ck_assert_int_eq(xml_doc_columns(&d, h, 2, 2), 0);
	f[1].s = "<&>\r some longer value to make the rows wider, 0123456789";
	f[1].len = (uint32_t)strlen(f[1].s);
	for (i = 0; i < ROWS; i++) {
		f[0].len = (uint32_t)snprintf(key, sizeof(key), "%" PRIu64, i);
		f[0].s = key;
		ck_assert_int_eq(xml_doc_row(&d, i + 2, f, 2), 0);
	}
	ck_assert_int_eq(xml_doc_end(&d), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_gt((uint64_t)st.st_size, 2 * 1024 * 1024);
	ck_assert_uint_eq(d.sink.bytes, (uint64_t)st.st_size);
	close(fd);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
	ck_assert_ptr_nonnull(doc);
	for (row = next_element(xmlDocGetRootElement(doc)->children); row;
	    row = next_element(row->next))
		rows++;
	ck_assert_int_eq(rows, ROWS);
	xmlFreeDoc(doc);
	snprintf(cmd, sizeof(cmd), "timeout 30 xmllint --noout '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	xml_doc_free(&d);
	unlink(path);
}
END_TEST

static void
quiet_errors(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

START_TEST(doc_write_error)
{
	static const struct field h[1] = { { "v", 1, 0 } };
	struct field f[1];
	char value[4096];
	struct xml_doc d;
	int fd = open("/dev/full", O_WRONLY), rc = 0, i;

	if (fd < 0)
		return; /* no /dev/full here */
	memset(value, 'x', sizeof(value));
	f[0].s = value;
	f[0].len = sizeof(value) - 1;
	value[sizeof(value) - 1] = '\0';
	xmlSetGenericErrorFunc(NULL, quiet_errors); /* "I/O error" */
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_begin(&d, fd, "x.csv", 1), 0);
	ck_assert_int_eq(xml_doc_columns(&d, h, 1, 1), 0);
	/* 2 MiB of rows: the sink must flush, and fail, on the way. */
	for (i = 0; i < 512 && rc == 0; i++)
		rc = xml_doc_row(&d, (uint64_t)i + 2, f, 1);
	if (rc == 0)
		rc = xml_doc_end(&d);
	xmlSetGenericErrorFunc(NULL, NULL);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, ENOSPC);
	xml_doc_free(&d);
	close(fd);
}
END_TEST

START_TEST(doc_row_too_wide)
{
	static const struct field h[1] = { { "v", 1, 0 } };
	static const struct field f[2] = { { "a", 1, 0 }, { "b", 1, 0 } };
	char path[128];
	struct xml_doc d;
	int fd;

	fd = tmpdir_file(path, sizeof(path), tmp_tag);
	ck_assert_int_ge(fd, 0);
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_begin(&d, fd, "x.csv", 1), 0);
	ck_assert_int_eq(xml_doc_columns(&d, h, 1, 1), 0);
	errno = 0;
	ck_assert_int_eq(xml_doc_row(&d, 2, f, 2), -1);
	ck_assert_int_eq(errno, EINVAL);
	xml_doc_free(&d);
	close(fd);
	unlink(path);
}
END_TEST

/* The source attribute is the input's name: file names may hold bytes
 * XML cannot carry (a control character, Latin-1 bytes).  The document
 * must still be well-formed. */
static const char *unusual_sources[] = { "a\x01" "b.csv", "caf\xe9.csv",
    "tab\tnl\n.csv" };

START_TEST(doc_source_unusual)
{
	static const struct field h[1] = { { "v", 1, 0 } };
	static const struct field f[1] = { { "1", 1, 0 } };
	const char *source = unusual_sources[_i];
	char path[128];
	struct xml_doc d;
	xmlDocPtr doc;
	int fd;

	fd = tmpdir_file(path, sizeof(path), tmp_tag);
	ck_assert_int_ge(fd, 0);
	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_begin(&d, fd, source, 1), 0);
	ck_assert_int_eq(xml_doc_columns(&d, h, 1, 1), 0);
	ck_assert_int_eq(xml_doc_row(&d, 2, f, 1), 0);
	ck_assert_int_eq(xml_doc_end(&d), 0);
	close(fd);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	unlink(path);
	xml_doc_free(&d);
	ck_assert_msg(doc != NULL, "source name %d makes a document that is "
	    "not well-formed", _i);
	xmlFreeDoc(doc);
}
END_TEST

/* The small-block pool (converter/xml_pool.h): every size gets a 16-byte
 * aligned block that keeps its bytes, realloc keeps the contents across
 * classes and into large blocks, and a freed block is reused by the next
 * request of its class. */
START_TEST(pool_blocks)
{
	enum { N = 600 };
	unsigned char *p[N];
	size_t size[N], i, j;
	void *again;

	for (i = 0; i < N; i++) {
		size[i] = i < 300 ? i : 4096 + i;
		p[i] = xml_pool_malloc(size[i]);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq((uintptr_t)p[i] % 16, 0);
		memset(p[i], (int)(i & 0xFF), size[i]);
	}
	for (i = 0; i < N; i++)
		for (j = 0; j < size[i]; j++)
			ck_assert_uint_eq(p[i][j], i & 0xFF);
	/* Grow each block past its class, then past the small limit. */
	for (i = 0; i < N; i += 7) {
		size_t grown[2] = { size[i] + 17, size[i] + 1000 };
		int k;

		for (k = 0; k < 2; k++) {
			p[i] = xml_pool_realloc(p[i], grown[k]);
			ck_assert_ptr_nonnull(p[i]);
			for (j = 0; j < size[i]; j++)
				ck_assert_uint_eq(p[i][j], i & 0xFF);
			memset(p[i] + size[i], (int)(i & 0xFF),
			    grown[k] - size[i]);
			size[i] = grown[k];
		}
	}
	for (i = 0; i < N; i++)
		xml_pool_free(p[i]);
	xml_pool_free(NULL);
	/* Last freed of a class comes back first. */
	p[0] = xml_pool_malloc(40);
	xml_pool_free(p[0]);
	again = xml_pool_malloc(33);
	ck_assert_ptr_eq(again, p[0]);
	xml_pool_free(again);
	again = xml_pool_strdup("<row line=\"2\">");
	ck_assert_str_eq(again, "<row line=\"2\">");
	xml_pool_free(again);
	ck_assert_ptr_null(xml_pool_malloc(SIZE_MAX - 8));
}
END_TEST

Suite *
names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *n = tcase_create("names");
	TCase *c = tcase_create("clean");
	TCase *d = tcase_create("doc");

	tcase_set_timeout(n, 60);
	tcase_add_loop_test(n, names_table, 0,
	    (int)(sizeof(name_cases) / sizeof(name_cases[0])));
	tcase_add_test(n, sanitize_single);
	tcase_add_test(n, names_rebuild);
	tcase_add_test(n, names_random);
	tcase_add_test(n, names_many_duplicates);
	suite_add_tcase(s, n);

	tcase_add_loop_test(c, clean_table, 0,
	    (int)(sizeof(clean_cases) / sizeof(clean_cases[0])));
	tcase_add_test(c, clean_all_controls);
	suite_add_tcase(s, c);

	tcase_set_timeout(d, 60);
	tcase_add_unchecked_fixture(d, sweep_setup, sweep_teardown);
	tcase_add_test(d, doc_round_trip);
	tcase_add_test(d, doc_text_form);
	tcase_add_test(d, doc_large);
	tcase_add_test(d, doc_write_error);
	tcase_add_test(d, doc_row_too_wide);
	tcase_add_test(d, pool_blocks);
	tcase_add_loop_test(d, doc_source_unusual, 0,
	    (int)(sizeof(unusual_sources) / sizeof(unusual_sources[0])));
	suite_add_tcase(s, d);
	return s;
}
