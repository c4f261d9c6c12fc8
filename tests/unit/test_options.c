/*
 * test_options.c - unit tests of common/options.h: options_parse over
 * tables of argv vectors.
 *
 * The defaults; every numeric option at its bounds and one past them
 * (-b, -r, -l, -j, --attach-timeout); -d with '\t', "tab", a real tab and
 * plain bytes, refused for '"', CR, LF, a byte >= 0x80, two bytes and
 * none; --ring-size with K/M/G (and B/iB) suffixes, rounded up to a power
 * of two, refused below 64K, above 1T, and when not a size; --prefix and
 * --name at their length limits and refused for '/', control characters,
 * DEL, a leading '.' (--name); --encoding (UTF-8 spellings become NULL);
 * --flush-after; flags; --stdout with and without =FILE; unknown options,
 * a missing value; inputs after options, between them and after "--";
 * --help and --version.  The shape options (SPEC "Shape of the
 * documents"): their defaults; --root, --row and --xmlns-prefix accepted
 * for XML names without a colon and refused, saying why, for others;
 * --attr split on commas and added up, refused for an empty COL, column 0
 * and the clashes the options alone can tell (with "line" under
 * --provenance all, whichever comes first; two COLs one attribute after
 * the element-name rules, "xmlns" becoming "_xmlns"; a column twice);
 * --provenance, --null-as and --layout with each word and a wrong one;
 * --xmlns (not empty, reserved URIs); --null repeated, '' and '\N' as
 * they stand; --xsd; --schema like --stdout, and not with it.  A refusal
 * returns -1, records FAIL_USAGE and says, once, on stderr,
 * "csvpack-test: " and what was wrong with which option; --help and
 * --version return 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "capture.h"
#include "check_helpers.h"
#include "msg.h"
#include "fail.h"
#include "options.h"

/* --- parsing an argv ----------------------------------------------------- */

#define MAX_ARGS 40

/* o->inputs points into it: it outlives each parse. */
static char *argv_store[MAX_ARGS + 2];

/* Parses "csvpack-test" followed by args (NULL-terminated), with
 * getopt's state reset; what it said on stderr goes to *err (or is
 * checked to be nothing, if err is NULL). */
static int
parse(struct options *o, const char *const *args, char **err)
{
	struct cap c;
	char *text;
	int argc = 0, rc;

	argv_store[argc++] = "csvpack-test";
	while (*args) {
		ck_assert_int_lt(argc, MAX_ARGS + 1);
		argv_store[argc++] = (char *)*args++;
	}
	argv_store[argc] = NULL;
	optind = 0; /* GNU: a full reinitialisation */
	cap_begin(&c, STDERR_FILENO);
	fail_reset();
	rc = options_parse(o, argc, argv_store);
	text = cap_end(&c);
	/* The kind of a refusal is recorded, nothing else's. */
	ck_assert_int_eq(fail_kind(), rc < 0 ? FAIL_USAGE : FAIL_NONE);
	if (err) {
		*err = text;
	} else {
		ck_assert_msg(text[0] == '\0', "unexpected stderr: %s", text);
		free(text);
	}
	return rc;
}

/* parse() of a good command line: 0, nothing said. */
static void
parse_ok(struct options *o, const char *const *args)
{
	ck_assert_msg(parse(o, args, NULL) == 0, "refused: %s %s", args[0],
	    args[0] && args[1] ? args[1] : "");
}

/* --- defaults and good values -------------------------------------------- */

START_TEST(defaults)
{
	static const char *const none[] = { NULL };
	struct options o;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	parse_ok(&o, none);
	ck_assert_str_eq(o.output, "out");
	ck_assert_uint_eq(o.batch, 100);
	ck_assert_uint_eq(o.rows, 1000);
	ck_assert_int_eq(o.delim, ',');
	ck_assert_int_eq(o.level, 6);
	ck_assert_int_eq(o.jobs, cores > 0 ? (int)cores : 1);
	ck_assert_uint_eq(o.ring_size, UINT64_C(16) << 20);
	ck_assert_uint_eq(o.attach_timeout, 60);
	ck_assert(o.flush_after == 0.0);
	ck_assert_ptr_null(o.encoding);
	ck_assert_ptr_null(o.name);
	ck_assert_ptr_null(o.prefix);
	ck_assert_ptr_null(o.stdout_input);
	ck_assert_ptr_null(o.pack_dir);
	ck_assert_int_eq(o.no_header + o.ragged + o.resume + o.quiet +
	    o.progress + o.to_stdout + o.cleanup + o.status +
	    o.watch, 0);
	ck_assert_int_eq(o.ninputs, 0);
	ck_assert_ptr_eq(o.inputs, argv_store + 1);
	/* the shape: the document of SPEC "Formats" */
	ck_assert_str_eq(o.root_name, "table");
	ck_assert_str_eq(o.row_name, "row");
	ck_assert_ptr_null(o.attr_cols);
	ck_assert_int_eq(o.nattr_cols, 0);
	ck_assert_int_eq(o.provenance, PROVENANCE_ALL);
	ck_assert_ptr_null(o.xmlns);
	ck_assert_ptr_null(o.xmlns_prefix);
	ck_assert_ptr_null(o.nulls);
	ck_assert_int_eq(o.nnulls, 0);
	ck_assert_int_eq(o.null_as, NULL_AS_NIL);
	ck_assert_int_eq(o.layout, LAYOUT_ROWS);
	ck_assert_int_eq(o.xsd + o.schema, 0);
	ck_assert_ptr_null(o.schema_input);
}
END_TEST

enum num_field { N_BATCH, N_ROWS, N_LEVEL, N_JOBS, N_ATTACH, N_RING };

static uint64_t
num_of(const struct options *o, enum num_field f)
{
	switch (f) {
	case N_BATCH: return o->batch;
	case N_ROWS: return o->rows;
	case N_LEVEL: return (uint64_t)o->level;
	case N_JOBS: return (uint64_t)o->jobs;
	case N_ATTACH: return o->attach_timeout;
	case N_RING: return o->ring_size;
	}
	return 0;
}

struct num_case {
	const char *args[5];
	enum num_field field;
	uint64_t want;
};

#define K(n) ((uint64_t)(n) << 10)
#define M(n) ((uint64_t)(n) << 20)
#define G(n) ((uint64_t)(n) << 30)

static const struct num_case num_cases[] = {
	{ { "-b", "1" }, N_BATCH, 1 },
	{ { "-b", "1000000" }, N_BATCH, 1000000 },
	{ { "--batch=7" }, N_BATCH, 7 },
	{ { "-b5" }, N_BATCH, 5 },
	{ { "-b", "5", "-b", "6" }, N_BATCH, 6 },   /* the last counts */
	{ { "-r", "1" }, N_ROWS, 1 },
	{ { "--rows", "100000000" }, N_ROWS, 100000000 },
	{ { "-l", "0" }, N_LEVEL, 0 },
	{ { "--level=9" }, N_LEVEL, 9 },
	{ { "-j", "1" }, N_JOBS, 1 },
	{ { "--jobs", "256" }, N_JOBS, 256 },
	{ { "--attach-timeout", "0" }, N_ATTACH, 0 },
	{ { "--attach-timeout=86400" }, N_ATTACH, 86400 },
	{ { "--ring-size", "64K" }, N_RING, K(64) },
	{ { "--ring-size", "64k" }, N_RING, K(64) },
	{ { "--ring-size", "64KB" }, N_RING, K(64) },
	{ { "--ring-size", "64KiB" }, N_RING, K(64) },
	{ { "--ring-size", "65536" }, N_RING, K(64) },
	{ { "--ring-size", "65537" }, N_RING, K(128) },
	{ { "--ring-size", "100K" }, N_RING, K(128) },
	{ { "--ring-size", "1M" }, N_RING, M(1) },
	{ { "--ring-size", "3m" }, N_RING, M(4) },
	{ { "--ring-size=16M" }, N_RING, M(16) },
	{ { "--ring-size", "1G" }, N_RING, G(1) },
	{ { "--ring-size", "1025M" }, N_RING, G(2) },
	{ { "--ring-size", "1024G" }, N_RING, G(1024) },
};

START_TEST(numbers_accepted)
{
	const struct num_case *c = &num_cases[_i];
	struct options o;

	parse_ok(&o, c->args);
	ck_assert_msg(num_of(&o, c->field) == c->want, "%s %s: %llu, not %llu",
	    c->args[0], c->args[1] ? c->args[1] : "",
	    (unsigned long long)num_of(&o, c->field),
	    (unsigned long long)c->want);
	ck_assert_int_eq(o.ninputs, 0);
}
END_TEST

struct delim_case {
	const char *arg;
	char want;
};

static const struct delim_case delim_cases[] = {
	{ "\\t", '\t' }, { "tab", '\t' }, { "\t", '\t' }, { ",", ',' },
	{ ";", ';' }, { "|", '|' }, { " ", ' ' }, { "x", 'x' }, { "'", '\'' },
};

START_TEST(delimiters_accepted)
{
	const struct delim_case *c = &delim_cases[_i];
	const char *args[] = { "-d", c->arg, NULL };
	const char *longer[] = { "--delimiter", c->arg, NULL };
	struct options o;

	parse_ok(&o, args);
	ck_assert_int_eq(o.delim, c->want);
	parse_ok(&o, longer);
	ck_assert_int_eq(o.delim, c->want);
}
END_TEST

START_TEST(strings_accepted)
{
	static const char *const args[] = {
		"-o", "some/dir", "--prefix", "batch_2024-01.v\xc3\xa9",
		"--name", "a.b_C-9", "--encoding", "CP1252", "--dir", "staged",
		NULL,
	};
	struct options o;

	parse_ok(&o, args);
	ck_assert_str_eq(o.output, "some/dir");
	ck_assert_str_eq(o.prefix, "batch_2024-01.v\xc3\xa9");
	ck_assert_str_eq(o.name, "a.b_C-9");
	ck_assert_str_eq(o.encoding, "CP1252");
	ck_assert_str_eq(o.pack_dir, "staged");
	ck_assert_int_eq(o.ninputs, 0);
}
END_TEST

START_TEST(encodings)
{
	static const char *const utf8[] = { "UTF-8", "utf-8", "UTF8", "utf8" };
	static const char *const gb[] = { "--encoding=gb18030", NULL };
	const char *args[] = { "--encoding", NULL, NULL };
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++) {
		args[1] = utf8[i];
		parse_ok(&o, args);
		ck_assert_ptr_null(o.encoding); /* UTF-8: checked, not iconv */
	}
	parse_ok(&o, gb);
	ck_assert_str_eq(o.encoding, "gb18030");
}
END_TEST

/* A string of n copies of c, in a static buffer (one at a time). */
static const char *
repeat(char c, size_t n)
{
	static char s[512];

	ck_assert_uint_lt(n, sizeof(s));
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

START_TEST(length_limits)
{
	const char *args[] = { "--prefix", NULL, NULL };
	struct options o;
	char *err;

	args[1] = repeat('p', 200);
	parse_ok(&o, args);
	ck_assert_uint_eq(strlen(o.prefix), 200);
	args[1] = repeat('p', 201);
	ck_assert_int_eq(parse(&o, args, &err), -1);
	assert_has(err, "csvpack-test: --prefix: '");
	free(err);
	args[0] = "--name";
	args[1] = repeat('n', 64);
	parse_ok(&o, args);
	ck_assert_uint_eq(strlen(o.name), 64);
	args[1] = repeat('n', 65);
	ck_assert_int_eq(parse(&o, args, &err), -1);
	assert_has(err, "csvpack-test: --name: '");
	free(err);
}
END_TEST

START_TEST(flags_and_flush_after)
{
	static const char *const args[] = {
		"--no-header", "--ragged", "--resume", "-q", "--progress",
		"--cleanup", "--status", "--watch",
		"--flush-after", "0.5", NULL,
	};
	struct options o;

	parse_ok(&o, args);
	ck_assert_int_eq(o.no_header + o.ragged + o.resume + o.quiet +
	    o.progress + o.cleanup + o.status + o.watch, 8);
	ck_assert(o.flush_after == 0.5);
	ck_assert_int_eq(o.to_stdout, 0);
}
END_TEST

START_TEST(flush_after_values)
{
	static const char *const values[] = { "0.5", "2", "1e6", "0.001" };
	static const double want[] = { 0.5, 2.0, 1e6, 0.001 };
	const char *args[] = { "--flush-after", NULL, NULL };
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		args[1] = values[i];
		parse_ok(&o, args);
		ck_assert_msg(o.flush_after == want[i], "%s: %g", values[i],
		    o.flush_after);
	}
}
END_TEST

START_TEST(stdout_mode)
{
	static const char *const bare[] = { "--stdout", NULL };
	static const char *const file[] = { "--stdout=prices.csv", NULL };
	static const char *const spaced[] = { "--stdout", "prices.csv", NULL };
	struct options o;

	parse_ok(&o, bare);
	ck_assert_int_eq(o.to_stdout, 1);
	ck_assert_ptr_null(o.stdout_input);
	ck_assert_int_eq(o.ninputs, 0);
	parse_ok(&o, file);
	ck_assert_int_eq(o.to_stdout, 1);
	ck_assert_str_eq(o.stdout_input, "prices.csv");
	ck_assert_int_eq(o.ninputs, 0);
	/* An optional value needs '=': a separate word is an input. */
	parse_ok(&o, spaced);
	ck_assert_int_eq(o.to_stdout, 1);
	ck_assert_ptr_null(o.stdout_input);
	ck_assert_int_eq(o.ninputs, 1);
	ck_assert_str_eq(o.inputs[0], "prices.csv");
}
END_TEST

/* --- the shape of the documents ----------------------------------------- */

START_TEST(shape_accepted)
{
	static const char *const args[] = {
		"--root", "orders", "--row", "order", "--attr", "id",
		"--attr", "a b,3", "--provenance", "doc",
		"--xmlns", "urn:example:orders", "--xmlns-prefix", "o",
		"--null", "NULL", "--null", "\\N", "--null", "",
		"--null-as", "omit", "--layout", "pretty", "--xsd",
		"in.csv", NULL,
	};
	struct options o;

	parse_ok(&o, args);
	ck_assert_str_eq(o.root_name, "orders");
	ck_assert_str_eq(o.row_name, "order");
	ck_assert_int_eq(o.nattr_cols, 3);
	ck_assert_str_eq(o.attr_cols[0], "id");
	ck_assert_str_eq(o.attr_cols[1], "a b");
	ck_assert_str_eq(o.attr_cols[2], "3");
	ck_assert_int_eq(o.provenance, PROVENANCE_DOC);
	ck_assert_str_eq(o.xmlns, "urn:example:orders");
	ck_assert_str_eq(o.xmlns_prefix, "o");
	ck_assert_int_eq(o.nnulls, 3);
	ck_assert_str_eq(o.nulls[0], "NULL");
	/* taken as it stands: a backslash and an N */
	ck_assert_uint_eq(strlen(o.nulls[1]), 2);
	ck_assert_str_eq(o.nulls[1], "\\N");
	ck_assert_str_eq(o.nulls[2], "");
	ck_assert_int_eq(o.null_as, NULL_AS_OMIT);
	ck_assert_int_eq(o.layout, LAYOUT_PRETTY);
	ck_assert_int_eq(o.xsd, 1);
	ck_assert_int_eq(o.schema, 0);
	ck_assert_int_eq(o.ninputs, 1);
	ck_assert_str_eq(o.inputs[0], "in.csv");
}
END_TEST

/* XML names without a colon: accepted by --root, --row, --xmlns-prefix. */
static const char *const good_names[] = {
	"a", "A", "_", "_1", "x1", "a-b.c", "a\xc2\xb7" "b",
	"\xe8\x82\xa1\xe7\xa5\xa8", "\xc3\xa9t\xc3\xa9", "xmlish", "ROW",
	"table",
};

START_TEST(names_accepted)
{
	const char *name = good_names[_i];
	const char *root[] = { "--root", name, NULL };
	const char *row[] = { "--row", name, NULL };
	const char *prefix[] = { "--xmlns", "urn:x", "--xmlns-prefix", name,
	    NULL };
	struct options o;

	parse_ok(&o, root);
	ck_assert_str_eq(o.root_name, name);
	ck_assert_str_eq(o.row_name, "row");
	parse_ok(&o, row);
	ck_assert_str_eq(o.row_name, name);
	ck_assert_str_eq(o.root_name, "table");
	parse_ok(&o, prefix);
	ck_assert_str_eq(o.xmlns_prefix, name);
	ck_assert_str_eq(o.xmlns, "urn:x");
}
END_TEST

struct word_case {
	const char *opt, *word;
	int which;       /* 0 provenance, 1 null-as, 2 layout */
	int want;
};

static const struct word_case word_cases[] = {
	{ "--provenance", "all", 0, PROVENANCE_ALL },
	{ "--provenance", "doc", 0, PROVENANCE_DOC },
	{ "--provenance", "none", 0, PROVENANCE_NONE },
	{ "--null-as", "nil", 1, NULL_AS_NIL },
	{ "--null-as", "omit", 1, NULL_AS_OMIT },
	{ "--null-as", "empty", 1, NULL_AS_EMPTY },
	{ "--layout", "rows", 2, LAYOUT_ROWS },
	{ "--layout", "pretty", 2, LAYOUT_PRETTY },
	{ "--layout", "compact", 2, LAYOUT_COMPACT },
};

START_TEST(words_accepted)
{
	const struct word_case *c = &word_cases[_i];
	const char *args[] = { c->opt, c->word, NULL };
	char joined[64];
	const char *eq[] = { joined, NULL };
	struct options o;
	int got;

	snprintf(joined, sizeof(joined), "%s=%s", c->opt, c->word);
	parse_ok(&o, args);
	got = c->which == 0 ? (int)o.provenance : c->which == 1 ?
	    (int)o.null_as : (int)o.layout;
	ck_assert_int_eq(got, c->want);
	parse_ok(&o, eq);
	got = c->which == 0 ? (int)o.provenance : c->which == 1 ?
	    (int)o.null_as : (int)o.layout;
	ck_assert_int_eq(got, c->want);
}
END_TEST

/* The COLs parsed must be want (NULL-terminated). */
static void
expect_attrs(const struct options *o, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		ck_assert_int_gt(o->nattr_cols, i);
		ck_assert_str_eq(o->attr_cols[i], want[i]);
	}
	ck_assert_int_eq(o->nattr_cols, i);
}

START_TEST(attr_lists)
{
	static const char *const split[] = { "--attr=a,b,c", NULL };
	static const char *const want_split[] = { "a", "b", "c", NULL };
	static const char *const added[] = { "--attr", "1,3", "--attr", "id",
	    "--attr", "\xe8\x82\xa1 x", NULL };
	static const char *const want_added[] = { "1", "3", "id",
	    "\xe8\x82\xa1 x", NULL };
	/* "line" is free when the row carries no line */
	static const char *const doc[] = { "--provenance", "doc", "--attr",
	    "line,sid,source", NULL };
	static const char *const want_doc[] = { "line", "sid", "source",
	    NULL };
	static const char *const none[] = { "--attr", "line",
	    "--provenance", "none", NULL };
	static const char *const want_none[] = { "line", NULL };
	/* "line" as a column number, or a name that is not "line" */
	static const char *const lines[] = { "--attr", "2,Line,line_,lin e",
	    NULL };
	static const char *const want_lines[] = { "2", "Line", "line_",
	    "lin e", NULL };
	/* names and numbers cannot be told apart without a header */
	static const char *const mixed[] = { "--attr", "1,id,2", "--attr",
	    "x", NULL };
	static const char *const want_mixed[] = { "1", "id", "2", "x", NULL };
	/* an arg whose value is kept: the split does not touch argv */
	char arg[] = "p,q";
	const char *own[] = { "--attr", arg, NULL };
	static const char *const want_own[] = { "p", "q", NULL };
	struct options o;

	parse_ok(&o, split);
	expect_attrs(&o, want_split);
	parse_ok(&o, added);
	expect_attrs(&o, want_added);
	parse_ok(&o, doc);
	expect_attrs(&o, want_doc);
	parse_ok(&o, none);
	expect_attrs(&o, want_none);
	ck_assert_int_eq(o.provenance, PROVENANCE_NONE);
	parse_ok(&o, lines);
	expect_attrs(&o, want_lines);
	parse_ok(&o, mixed);
	expect_attrs(&o, want_mixed);
	parse_ok(&o, own);
	expect_attrs(&o, want_own);
	ck_assert_str_eq(arg, "p,q");
}
END_TEST

START_TEST(null_strings)
{
	static const char *const args[] = { "--null", "", "--null=NULL",
	    "--null", "\\N", "--null", "NULL", "--null", " ", NULL };
	static const char *const want[] = { "", "NULL", "\\N", "NULL", " " };
	static const char *const as[] = { "--null-as", "empty", "--null-as",
	    "nil", NULL };
	struct options o;
	int i;

	parse_ok(&o, args);
	ck_assert_int_eq(o.nnulls, 5);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(o.nulls[i], want[i]);
	ck_assert_int_eq(o.null_as, NULL_AS_NIL);
	parse_ok(&o, as);   /* the last counts */
	ck_assert_int_eq(o.null_as, NULL_AS_NIL);
	ck_assert_int_eq(o.nnulls, 0);
}
END_TEST

START_TEST(xmlns_values)
{
	static const char *const uris[] = { "urn:example:orders",
	    "http://example.com/ns", "u", "urn:\xc3\xa9", "a b" };
	const char *args[] = { "--xmlns", NULL, NULL };
	/* xsi is free when no null is written as xsi:nil */
	static const char *const xsi_omit[] = { "--xmlns", "urn:x",
	    "--xmlns-prefix", "xsi", "--null", "N", "--null-as", "omit", NULL };
	static const char *const xsi_no_null[] = { "--xmlns", "urn:x",
	    "--xmlns-prefix", "xsi", NULL };
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		args[1] = uris[i];
		parse_ok(&o, args);
		ck_assert_str_eq(o.xmlns, uris[i]);
		ck_assert_ptr_null(o.xmlns_prefix);
	}
	parse_ok(&o, xsi_omit);
	ck_assert_str_eq(o.xmlns_prefix, "xsi");
	parse_ok(&o, xsi_no_null);
	ck_assert_str_eq(o.xmlns_prefix, "xsi");
}
END_TEST

START_TEST(schema_mode)
{
	static const char *const bare[] = { "--schema", NULL };
	static const char *const file[] = { "--schema=prices.csv", "--xsd",
	    NULL };
	static const char *const spaced[] = { "--schema", "prices.csv", NULL };
	static const char *const dash[] = { "--schema=-", NULL };
	struct options o;

	parse_ok(&o, bare);
	ck_assert_int_eq(o.schema, 1);
	ck_assert_int_eq(o.to_stdout, 0);
	ck_assert_ptr_null(o.schema_input);
	ck_assert_int_eq(o.ninputs, 0);
	parse_ok(&o, file);
	ck_assert_int_eq(o.schema, 1);
	ck_assert_int_eq(o.xsd, 1);
	ck_assert_str_eq(o.schema_input, "prices.csv");
	ck_assert_int_eq(o.ninputs, 0);
	/* An optional value needs '=': a separate word is an input. */
	parse_ok(&o, spaced);
	ck_assert_int_eq(o.schema, 1);
	ck_assert_ptr_null(o.schema_input);
	ck_assert_int_eq(o.ninputs, 1);
	ck_assert_str_eq(o.inputs[0], "prices.csv");
	parse_ok(&o, dash);
	ck_assert_str_eq(o.schema_input, "-");
}
END_TEST

/* The inputs parsed must be want (NULL-terminated). */
static void
expect_inputs(const struct options *o, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		ck_assert_int_gt(o->ninputs, i);
		ck_assert_str_eq(o->inputs[i], want[i]);
	}
	ck_assert_int_eq(o->ninputs, i);
}

START_TEST(positional_inputs)
{
	static const char *const after[] = { "-b", "5", "a.csv", "-", NULL };
	static const char *const want_after[] = { "a.csv", "-", NULL };
	static const char *const dashes[] = {
		"-r", "9", "--", "-b", "x", "--ragged", NULL,
	};
	static const char *const want_dashes[] = { "-b", "x", "--ragged", NULL };
	static const char *const mixed[] = { "a.csv", "-b", "5", "b.csv", NULL };
	static const char *const want_mixed[] = { "a.csv", "b.csv", NULL };
	struct options o;

	parse_ok(&o, after);
	ck_assert_uint_eq(o.batch, 5);
	expect_inputs(&o, want_after);
	parse_ok(&o, dashes);
	ck_assert_uint_eq(o.rows, 9);
	ck_assert_uint_eq(o.batch, 100);
	ck_assert_int_eq(o.ragged, 0);
	expect_inputs(&o, want_dashes);
	/* GNU getopt takes options after an input too (not POSIXLY_CORRECT). */
	unsetenv("POSIXLY_CORRECT");
	parse_ok(&o, mixed);
	ck_assert_uint_eq(o.batch, 5);
	expect_inputs(&o, want_mixed);
}
END_TEST

/* --- refusals ------------------------------------------------------------ */

/* A refusal is one message, ending in the pointer to --help. */
static void
expect_said_once(const char *err)
{
	const char *end = "(see --help)\n";
	size_t n = strlen(err), m = strlen(end);
	const char *p = err;
	int count = 0;

	while ((p = strstr(p, "csvpack-test: ")) != NULL) {
		count++;
		p++;
	}
	ck_assert_msg(count == 1, "said %d times: %s", count, err);
	ck_assert_msg(n >= m && strcmp(err + n - m, end) == 0,
	    "no \"%s\" at the end: %s", "(see --help)", err);
}

struct refusal {
	const char *args[8];
	const char *says;   /* in the message, after "csvpack-test: " */
};

static const struct refusal refusals[] = {
	{ { "-b", "0" }, "-b: '0' is not a count 1-1000000" },
	{ { "-b", "1000001" }, "-b: '1000001' is not a count" },
	{ { "--batch", "-1" }, "-b: '-1' is not a count" },
	{ { "-b", "abc" }, "-b: 'abc' is not a count" },
	{ { "-b", "" }, "-b: '' is not a count" },
	{ { "-b", "5x" }, "-b: '5x' is not a count" },
	{ { "-b", "1e3" }, "-b: '1e3' is not a count" },
	{ { "-b", "18446744073709551616" }, "-b: '18446744073709551616'" },
	{ { "-r", "0" }, "-r: '0' is not a count 1-100000000" },
	{ { "-r", "100000001" }, "-r: '100000001' is not a count" },
	{ { "-l", "10" }, "-l: '10' is not a level 0-9" },
	{ { "-l", "-1" }, "-l: '-1' is not a level" },
	{ { "-j", "0" }, "-j: '0' is not a count 1-256" },
	{ { "-j", "257" }, "-j: '257' is not a count 1-256" },
	{ { "-d", "\"" }, "-d: '\"' is not a one-byte ASCII delimiter" },
	{ { "-d", "\r" }, "-d: '\\x0d' is not a one-byte ASCII delimiter" },
	{ { "-d", "\n" }, "-d: '\\x0a' is not a one-byte ASCII delimiter" },
	{ { "-d", "\xe9" }, "-d: '\xe9' is not a one-byte ASCII delimiter" },
	{ { "-d", "\xc3\xa9" }, "-d: '\xc3\xa9' is not a one-byte ASCII" },
	{ { "-d", ",;" }, "-d: ',;' is not a one-byte ASCII delimiter" },
	{ { "--delimiter", "" }, "-d: '' is not a one-byte ASCII delimiter" },
	{ { "--ring-size", "4K" }, "--ring-size: '4K' is below the minimum, 64K" },
	{ { "--ring-size", "65535" }, "--ring-size: '65535' is below" },
	{ { "--ring-size", "0" }, "--ring-size: '0' is below" },
	{ { "--ring-size", "abc" }, "--ring-size: 'abc' is not a size 64K-1T" },
	{ { "--ring-size", "2T" }, "--ring-size: '2T' is not a size" },
	{ { "--ring-size", "1025G" }, "--ring-size: '1025G' is not a size" },
	{ { "--ring-size", "64KBx" }, "--ring-size: '64KBx' is not a size" },
	{ { "--ring-size", "-64K" }, "--ring-size: '-64K' is not a size" },
	{ { "--ring-size", "" }, "--ring-size: '' is not a size" },
	/* (2^34 + 1) G wraps to 1G in 64 bits. */
	{ { "--ring-size", "17179869185G" }, "--ring-size: '17179869185G'" },
	{ { "--prefix", "a/b" }, "--prefix: 'a/b' must be a name of 1-200" },
	{ { "--prefix", "/" }, "--prefix: '/' must be" },
	{ { "--prefix", "a\nb" }, "--prefix: 'a\\x0ab' must be" },
	{ { "--prefix", "a\tb" }, "--prefix: 'a\\x09b' must be" },
	{ { "--prefix", "a\x7f" }, "--prefix: 'a\\x7f' must be" },
	/* echoed escaped: a value must not drive the terminal */
	{ { "--prefix", "\x1b[2J" }, "--prefix: '\\x1b[2J' must be" },
	{ { "--prefix", "" }, "--prefix: '' must be" },
	{ { "--name", "a/b" }, "--name: 'a/b' must be 1-64 of" },
	{ { "--name", ".x" }, "--name: '.x' must be" },
	{ { "--name", "a\x01" }, "--name: 'a\\x01' must be" },
	{ { "--name", "a\n" }, "--name: 'a\\x0a' must be" },
	{ { "--name", "a b" }, "--name: 'a b' must be" },
	{ { "--name", "\xc3\xa9" }, "--name: '\xc3\xa9' must be" },
	{ { "--name", "" }, "--name: '' must be" },
	{ { "--encoding", "NOPE" }, "--encoding: unknown encoding 'NOPE'" },
	/* iconv's "" would be the locale's charset, not what was meant */
	{ { "--encoding", "" }, "--encoding: unknown encoding ''" },
	{ { "--flush-after", "0" }, "--flush-after: '0' is not a number" },
	{ { "--flush-after", "-1" }, "--flush-after: '-1' is not a number" },
	{ { "--flush-after", "abc" }, "--flush-after: 'abc' is not a number" },
	{ { "--flush-after", "" }, "--flush-after: '' is not a number" },
	{ { "--flush-after", "nan" }, "--flush-after: 'nan' is not a number" },
	{ { "--flush-after", "inf" }, "--flush-after: 'inf' is not a number" },
	{ { "--flush-after", "1e7" }, "--flush-after: '1e7' is not a number" },
	{ { "--flush-after", "5s" }, "--flush-after: '5s' is not a number" },
	{ { "--attach-timeout", "-1" }, "--attach-timeout: '-1' is not a" },
	{ { "--attach-timeout", "86401" }, "--attach-timeout: '86401'" },
	{ { "--attach-timeout", "x" }, "--attach-timeout: 'x' is not a" },
	{ { "--bogus" }, "unknown option --bogus" },
	/* the launcher's old hidden check, now csvpack-admin check */
	{ { "--validate" }, "unknown option --validate" },
	{ { "--bogus=1" }, "unknown option --bogus=1" },
	{ { "--n" }, "unknown option --n" },  /* ambiguous: --name, --no-... */
	{ { "-z" }, "unknown option -z" },
	{ { "-qz" }, "unknown option -z" },
	{ { "a.csv", "-Z" }, "unknown option -Z" },
	{ { "-b" }, "option -b needs a value" },
	{ { "--batch" }, "option --batch needs a value" },
	{ { "-o" }, "option -o needs a value" },
	{ { "--ring-size" }, "option --ring-size needs a value" },
	{ { "--prefix" }, "option --prefix needs a value" },
	{ { "-q", "--encoding" }, "option --encoding needs a value" },
	/* the shape */
	{ { "--root", "1x" }, "--root '1x': not an XML name (a name cannot "
	    "start with a digit)" },
	{ { "--root", "" }, "--root '': not an XML name (a name cannot be "
	    "empty)" },
	{ { "--root", "a:b" }, "--root 'a:b': not an XML name (a name cannot "
	    "contain ':')" },
	{ { "--root", ":a" }, "--root ':a': not an XML name (a name cannot "
	    "start with ':')" },
	{ { "--root", "a b" }, "--root 'a b': not an XML name (a name cannot "
	    "contain ' ')" },
	{ { "--root", "-x" }, "--root '-x': not an XML name (a name cannot "
	    "start with '-')" },
	{ { "--root", ".x" }, "--root '.x': not an XML name (a name cannot "
	    "start with '.')" },
	{ { "--root", "x\ty" }, "--root 'x\\x09y': not an XML name (a name "
	    "cannot contain '\\x09')" },
	{ { "--root", "a&b" }, "--root 'a&b': not an XML name (a name cannot "
	    "contain '&')" },
	{ { "--root", "\xc3\xa9\xe2\x82\xac" }, "--root "
	    "'\xc3\xa9\xe2\x82\xac': not an XML name (a name cannot contain "
	    "'\xe2\x82\xac')" },
	{ { "--root", "\xff" }, "--root '\xff': not an XML name (a name must "
	    "be UTF-8)" },
	{ { "--row", "9" }, "--row '9': not an XML name (a name cannot start "
	    "with a digit)" },
	{ { "--row", "r/w" }, "--row 'r/w': not an XML name (a name cannot "
	    "contain '/')" },
	{ { "--row", "" }, "--row '': not an XML name (a name cannot be "
	    "empty)" },
	{ { "--attr", "" }, "--attr '': an empty COL (COL[,COL...]: header "
	    "names, or column numbers from 1)" },
	{ { "--attr", "a,,b" }, "--attr 'a,,b': an empty COL" },
	{ { "--attr", "a," }, "--attr 'a,': an empty COL" },
	{ { "--attr", ",a" }, "--attr ',a': an empty COL" },
	{ { "--attr", "a\xff" }, "--attr 'a\xff': a COL must be UTF-8" },
	{ { "--attr", "line" }, "--attr 'line': the attribute 'line' clashes "
	    "with the row's 'line' (--provenance all)" },
	{ { "--attr", "id,line" }, "--attr 'line': the attribute 'line' "
	    "clashes" },
	{ { "--attr", "line", "--provenance", "doc", "--provenance", "all" },
	    "--attr 'line': the attribute 'line' clashes" },
	{ { "--attr", "a b,a_b" }, "--attr 'a b' and 'a_b' are both the "
	    "attribute 'a_b'" },
	{ { "--attr", "a:b", "--attr", "a?b" }, "--attr 'a:b' and 'a?b' are "
	    "both the attribute 'a_b'" },
	{ { "--attr", "1x,_1x" }, "--attr '1x' and '_1x' are both the "
	    "attribute '_1x'" },
	{ { "--attr", "xmlns,_xmlns" }, "--attr 'xmlns' and '_xmlns' are both "
	    "the attribute '_xmlns'" },
	{ { "--attr", "id,x,id" }, "--attr 'id' and 'id' are both the "
	    "attribute 'id'" },
	{ { "--attr", "1", "--attr", "01" }, "--attr '1' and '01' are both "
	    "column 1" },
	{ { "--attr", "3,x,3" }, "--attr '3' and '3' are both column 3" },
	{ { "--provenance", "" }, "--provenance '': not one of all, doc, "
	    "none" },
	{ { "--provenance", "ALL" }, "--provenance 'ALL': not one of all, doc, "
	    "none" },
	{ { "--provenance", "al" }, "--provenance 'al': not one of" },
	{ { "--null-as", "null" }, "--null-as 'null': not one of nil, omit, "
	    "empty" },
	{ { "--null-as", "" }, "--null-as '': not one of nil, omit, empty" },
	{ { "--layout", "row" }, "--layout 'row': not one of rows, pretty, "
	    "compact" },
	{ { "--layout", "" }, "--layout '': not one of rows, pretty, "
	    "compact" },
	{ { "--xmlns", "" }, "--xmlns '': a namespace URI cannot be empty" },
	{ { "--xmlns", "urn:a\nb" }, "--xmlns 'urn:a\\x0ab': a namespace URI "
	    "must be UTF-8 without control characters" },
	{ { "--xmlns", "urn:\xff" }, "--xmlns 'urn:\xff': a namespace URI "
	    "must be" },
	{ { "--xmlns", "http://www.w3.org/2000/xmlns/" }, "--xmlns "
	    "'http://www.w3.org/2000/xmlns/': reserved by Namespaces in XML" },
	{ { "--xmlns", "http://www.w3.org/XML/1998/namespace" }, "--xmlns "
	    "'http://www.w3.org/XML/1998/namespace': reserved by" },
	{ { "--xmlns-prefix", "p" }, "--xmlns-prefix needs --xmlns" },
	{ { "--xmlns-prefix", "p", "--root", "r" }, "--xmlns-prefix needs "
	    "--xmlns" },
	{ { "--xmlns", "urn:x", "--xmlns-prefix", "p:q" }, "--xmlns-prefix "
	    "'p:q': not an XML name (a name cannot contain ':')" },
	{ { "--xmlns", "urn:x", "--xmlns-prefix", "1p" }, "--xmlns-prefix "
	    "'1p': not an XML name (a name cannot start with a digit)" },
	{ { "--xmlns", "urn:x", "--xmlns-prefix", "" }, "--xmlns-prefix '': "
	    "not an XML name (a name cannot be empty)" },
	{ { "--xmlns", "urn:x", "--xmlns-prefix", "xmlns" }, "--xmlns-prefix "
	    "'xmlns': reserved by Namespaces in XML" },
	{ { "--xmlns", "urn:x", "--xmlns-prefix", "xml" }, "--xmlns-prefix "
	    "'xml': reserved by Namespaces in XML" },
	{ { "--xmlns", "urn:x", "--xmlns-prefix", "xsi", "--null", "N" },
	    "--xmlns-prefix 'xsi': the root declares xmlns:xsi for xsi:nil "
	    "(--null-as nil); choose another prefix" },
	{ { "--schema", "--stdout" }, "--schema and --stdout are two modes: "
	    "give one" },
	{ { "--stdout=a.csv", "--schema=a.csv" }, "--schema and --stdout are "
	    "two modes" },
	{ { "--xsd=1" }, "option --xsd=1 takes no value" },
	{ { "--root" }, "option --root needs a value" },
	{ { "--attr" }, "option --attr needs a value" },
	{ { "--null" }, "option --null needs a value" },
	{ { "--ro", "x" }, "unknown option --ro" }, /* --root, --row, --rows */
};

START_TEST(refused)
{
	const struct refusal *r = &refusals[_i];
	char want[512];
	struct options o;
	char *err;

	ck_assert_int_eq(parse(&o, r->args, &err), -1);
	snprintf(want, sizeof(want), "csvpack-test: %s", r->says);
	assert_has(err, want);
	expect_said_once(err);
	free(err);
}
END_TEST

/* A flag given a value: refused (what the message names, see below). */
START_TEST(flag_with_a_value_refused)
{
	static const char *const values[] = {
		"--ragged=1", "--no-header=x", "--quiet=yes", "--resu=1",
	};
	const char *args[] = { NULL, NULL };
	struct options o;
	char *err;

	args[0] = values[_i];
	ck_assert_int_eq(parse(&o, args, &err), -1);
	/* The message names the option as given, not a stray byte. */
	assert_has(err, "csvpack-test: option ");
	assert_has(err, values[_i]);
	assert_has(err, " takes no value");
	expect_said_once(err);
	free(err);
}
END_TEST

START_TEST(help_and_version)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const h[] = { "-h", "-b", "0", NULL };
	static const char *const version[] = { "-V", NULL };
	struct options o;
	struct cap c;
	char *out;

	cap_begin(&c, STDOUT_FILENO);
	ck_assert_int_eq(parse(&o, version, NULL), 1);
	out = cap_end(&c);
	ck_assert_str_eq(out, "csvpack-test " CSVPACK_VERSION "\n");
	free(out);
	cap_begin(&c, STDOUT_FILENO);
	ck_assert_int_eq(parse(&o, help, NULL), 1);
	ck_assert_int_eq(parse(&o, h, NULL), 1); /* before -b is seen */
	out = cap_end(&c);
	assert_has(out, "usage: csvpack-test [OPTIONS] [INPUT...]");
	assert_has(out, "--ring-size BYTES");
	/* a stage's help: the stage's example, not csvpack-admin's chores */
	assert_has(out, "csvpack-producer --name dbg -o out data.csv");
	ck_assert_ptr_null(strstr(out, "--cleanup"));
	/* the shape options, in every program's help */
	assert_has(out, "--root NAME");
	assert_has(out, "--row NAME");
	assert_has(out, "--attr COL[,COL...]");
	assert_has(out, "--provenance all|doc|none");
	assert_has(out, "--xmlns URI");
	assert_has(out, "--xmlns-prefix P");
	assert_has(out, "--null STR");
	assert_has(out, "--null-as nil|omit|empty");
	assert_has(out, "--layout rows|pretty|compact");
	assert_has(out, "--xsd");
	/* --schema is the converter's, as --stdout is */
	ck_assert_ptr_null(strstr(out, "--schema"));
	free(out);
}
END_TEST

static void
setup(void)
{
	msg_init("csvpack-test");
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *
options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *t = tcase_create("options");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, defaults);
	tcase_add_loop_test(t, numbers_accepted, 0, N(num_cases));
	tcase_add_loop_test(t, delimiters_accepted, 0, N(delim_cases));
	tcase_add_test(t, strings_accepted);
	tcase_add_test(t, encodings);
	tcase_add_test(t, length_limits);
	tcase_add_test(t, flags_and_flush_after);
	tcase_add_test(t, flush_after_values);
	tcase_add_test(t, stdout_mode);
	tcase_add_test(t, shape_accepted);
	tcase_add_loop_test(t, names_accepted, 0, N(good_names));
	tcase_add_loop_test(t, words_accepted, 0, N(word_cases));
	tcase_add_test(t, attr_lists);
	tcase_add_test(t, null_strings);
	tcase_add_test(t, xmlns_values);
	tcase_add_test(t, schema_mode);
	tcase_add_test(t, positional_inputs);
	tcase_add_loop_test(t, refused, 0, N(refusals));
	tcase_add_loop_test(t, flag_with_a_value_refused, 0, 4);
	tcase_add_test(t, help_and_version);
	suite_add_tcase(s, t);
	return s;
}
