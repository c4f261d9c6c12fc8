/*
 * test_bom.c - byte-order marks (common/bom.h): each kind told from the
 * others and from a mark cut short, every --encoding name against every
 * mark (agree, contradict, FF FE 00 00 under UTF-16), the reader that
 * drops the mark read one byte at a time and more, an inner error after
 * the mark kept for the next read; and through input_open, each mark
 * deciding the encoding with no --encoding (rows and line numbers as in
 * UTF-8), a mark that contradicts --encoding refused with both named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "capture.h"
#include "check_helpers.h"
#include "bom.h"
#include "fail.h"
#include "input.h"

#define B(s) (const unsigned char *)(s), sizeof(s) - 1
#define S(s) s, sizeof(s) - 1

static const struct {
	const unsigned char *p;
	size_t n;
	enum bom_kind kind;
	size_t len;
} detect_cases[] = {
	{ B("\xef\xbb\xbf" "a,b\n"), BOM_UTF8, 3 },
	{ B("\xef\xbb\xbf"), BOM_UTF8, 3 },
	{ B("\xef\xbb"), BOM_NONE, 0 },
	{ B("\xff\xfe" "a\0"), BOM_UTF16LE, 2 },
	{ B("\xff\xfe"), BOM_UTF16LE, 2 },
	{ B("\xfe\xff" "\0a"), BOM_UTF16BE, 2 },
	{ B("\xff\xfe\0\0"), BOM_UTF32LE, 4 },
	{ B("\0\0\xfe\xff"), BOM_UTF32BE, 4 },
	{ B("\0\0\xfe"), BOM_NONE, 0 },
	{ B("\xff"), BOM_NONE, 0 },
	{ B(""), BOM_NONE, 0 },
	{ B("a,b\n"), BOM_NONE, 0 },
	{ B("\xfe\xfe"), BOM_NONE, 0 },
};

START_TEST(detect_each_kind)
{
	size_t i, len;

	for (i = 0; i < sizeof(detect_cases) / sizeof(detect_cases[0]); i++) {
		ck_assert_msg(bom_detect(detect_cases[i].p, detect_cases[i].n,
		    &len) == detect_cases[i].kind, "case %zu", i);
		ck_assert_uint_eq(len, detect_cases[i].len);
	}
	ck_assert_str_eq(bom_name(BOM_UTF16LE), "UTF-16LE");
	ck_assert_str_eq(bom_name(BOM_UTF32BE), "UTF-32BE");
	ck_assert_str_eq(bom_name(BOM_NONE), "");
}
END_TEST

static const struct {
	enum bom_kind kind;
	const char *enc;
	int want;
} resolve_cases[] = {
	{ BOM_NONE, "CP1252", BOM_NONE },
	{ BOM_NONE, "UTF-16", BOM_NONE },
	{ BOM_UTF8, "UTF-8", BOM_UTF8 },
	{ BOM_UTF8, "utf8", BOM_UTF8 },
	{ BOM_UTF8, "utf_8", BOM_UTF8 },
	{ BOM_UTF8, "UTF-8//TRANSLIT", BOM_UTF8 },
	{ BOM_UTF8, "CP1252", -1 },
	{ BOM_UTF8, "ISO-8859-1", -1 },
	{ BOM_UTF8, "UTF-16", -1 },
	{ BOM_UTF16LE, "UTF-16", BOM_UTF16LE },
	{ BOM_UTF16BE, "UTF-16", BOM_UTF16BE },
	{ BOM_UTF16LE, "utf-16le", BOM_UTF16LE },
	{ BOM_UTF16LE, "UCS-2LE", BOM_UTF16LE },
	{ BOM_UTF16LE, "UTF-16BE", -1 },
	{ BOM_UTF16BE, "UTF-16LE", -1 },
	{ BOM_UTF16LE, "UTF-8", -1 },
	{ BOM_UTF16LE, "GB18030", -1 },
	{ BOM_UTF16LE, "UTF-32", -1 },
	{ BOM_UTF32LE, "UTF-16", BOM_UTF16LE },   /* FF FE, then U+0000 */
	{ BOM_UTF32LE, "UTF-16LE", BOM_UTF16LE },
	{ BOM_UTF32LE, "UTF-32", BOM_UTF32LE },
	{ BOM_UTF32LE, "UTF-32LE", BOM_UTF32LE },
	{ BOM_UTF32LE, "UTF-32BE", -1 },
	{ BOM_UTF32BE, "UTF-32BE", BOM_UTF32BE },
	{ BOM_UTF32BE, "UCS-4", BOM_UTF32BE },
	{ BOM_UTF32BE, "UTF-16", -1 },
	{ BOM_UTF32BE, "CP1252", -1 },
	{ BOM_UTF8, "A-VERY-LONG-ENCODING-NAME-THAT-IS-NONE", -1 },
};

START_TEST(resolve_against_encoding)
{
	size_t i;

	for (i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]);
	    i++)
		ck_assert_msg(bom_resolve(resolve_cases[i].kind,
		    resolve_cases[i].enc) == resolve_cases[i].want,
		    "%s mark under %s: %d", bom_name(resolve_cases[i].kind),
		    resolve_cases[i].enc, bom_resolve(resolve_cases[i].kind,
		    resolve_cases[i].enc));
}
END_TEST

/* --- the reader --------------------------------------------------------- */

struct chunked {
	const unsigned char *p;
	size_t len, pos, step;
	int fail_errno;  /* once all is read: fail with it (0: the end) */
};

static ssize_t
chunked_read(void *ctx, void *buf, size_t n)
{
	struct chunked *c = ctx;
	size_t k = c->len - c->pos;

	if (k == 0 && c->fail_errno) {
		errno = c->fail_errno;
		return -1;
	}
	if (k > c->step)
		k = c->step;
	if (k > n)
		k = n;
	memcpy(buf, c->p + c->pos, k);
	c->pos += k;
	return (ssize_t)k;
}

/* All of p through a bom_reader that drops the mark: into out; the
 * kind detected; the last read's result (0 or -1). */
static int
read_through(const unsigned char *p, size_t n, size_t step, size_t outstep,
    int fail_errno, unsigned char *out, size_t *outlen, enum bom_kind *kind)
{
	struct chunked c = { p, n, 0, step, fail_errno };
	struct csv_source src = { chunked_read, &c };
	struct bom_reader b;
	ssize_t r;
	int guard = 10000;

	REQUIRE(bom_open(&b, src) == 0);
	*kind = b.kind;
	bom_skip(&b, b.mark_len);
	*outlen = 0;
	for (;;) {
		REQUIRE(guard-- > 0);
		r = bom_read(&b, out + *outlen, outstep);
		if (r <= 0)
			return (int)r;
		REQUIRE((size_t)r <= outstep);
		*outlen += (size_t)r;
	}
}

START_TEST(reader_drops_the_mark)
{
	static const struct {
		const unsigned char *p;
		size_t n;
		size_t mark;
	} cases[] = {
		{ B("\xef\xbb\xbf" "a,b\n1,2\n"), 3 },
		{ B("\xff\xfe" "a\0,\0b\0\n\0"), 2 },
		{ B("\0\0\xfe\xff\0\0\0a"), 4 },
		{ B("a,b\n1,2\n"), 0 },
		{ B("a"), 0 },
		{ B(""), 0 },
		{ B("\xef\xbb\xbf"), 3 },
	};
	unsigned char out[64];
	enum bom_kind kind;
	size_t i, step, outstep, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (step = 1; step <= 9; step++)
			for (outstep = 1; outstep <= 9; outstep += 4) {
				REQUIRE_EQ(read_through(cases[i].p, cases[i].n,
				    step, outstep, 0, out, &len, &kind), 0);
				REQUIRE_EQ(len, cases[i].n - cases[i].mark);
				REQUIRE(memcmp(out, cases[i].p + cases[i].mark,
				    len) == 0);
			}
}
END_TEST

START_TEST(reader_keeps_inner_error)
{
	unsigned char out[64];
	enum bom_kind kind;
	size_t len, step;

	for (step = 1; step <= 8; step++) {
		REQUIRE_EQ(read_through(B("\xff\xfe" "a\0b\0"), step, 64,
		    ECONNRESET, out, &len, &kind), -1);
		REQUIRE_EQ(errno, ECONNRESET);
		REQUIRE_EQ(kind, BOM_UTF16LE);
		REQUIRE_EQ(len, 4);
		/* An error within the first bytes fails bom_open itself. */
	}
}
END_TEST

/* --- through input_open ------------------------------------------------- */

static char *
write_tmp(const void *data, size_t n)
{
	char *path = strdup("/tmp/csvpack-unit-bom-XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

/* The rows of an input as "LINE:f|f\n", or NULL if input_open failed. */
static char *
rows_of(const void *data, size_t n, const char *encoding, char **err)
{
	struct options o;
	struct input in;
	const struct field *f;
	struct cap c;
	uint64_t line;
	uint32_t nf, i;
	char *path = write_tmp(data, n), *out;
	size_t len = 0, cap = 4096;
	int rc;

	out = malloc(cap);
	ck_assert_ptr_nonnull(out);
	out[0] = '\0';
	memset(&o, 0, sizeof(o));
	o.delim = ',';
	o.encoding = encoding;
	fail_reset();
	cap_begin(&c, STDERR_FILENO);
	rc = input_open(&in, path, &o, 0);
	while (rc == 0 && (rc = input_next(&in, &f, &nf, &line)) == 1) {
		len += (size_t)snprintf(out + len, cap - len, "%llu:",
		    (unsigned long long)line);
		for (i = 0; i < nf; i++)
			len += (size_t)snprintf(out + len, cap - len, "%s%.*s",
			    i ? "|" : "", (int)f[i].len, f[i].s);
		len += (size_t)snprintf(out + len, cap - len, "\n");
		rc = 0;
	}
	if (rc >= 0 || in.csv)
		input_close(&in);
	*err = cap_end(&c);
	unlink(path);
	free(path);
	if (rc < 0) {
		free(out);
		return NULL;
	}
	return out;
}

START_TEST(mark_decides_encoding)
{
	static const struct {
		const char *p;
		size_t n;
	} inputs[] = {
		{ S("\xef\xbb\xbf" "h,k\n1,\xc3\xa9\r\n\n2,\"x\ny\"\n") },
		{ S("\xff\xfe" "h\0,\0k\0\n\0001\0,\0\xe9\0\r\0\n\0\n\0"
		  "2\0,\0\"\0x\0\n\0y\0\"\0\n\0") },
		{ S("\xfe\xff" "\0h\0,\0k\0\n\0001\0,\0\xe9\0\r\0\n\0\n"
		  "\0002\0,\0\"\0x\0\n\0y\0\"\0\n") },
		{ S("\xff\xfe\0\0" "h\0\0\0,\0\0\0k\0\0\0\n\0\0\0"
		  "1\0\0\0,\0\0\0\xe9\0\0\0\r\0\0\0\n\0\0\0\n\0\0\0"
		  "2\0\0\0,\0\0\0\"\0\0\0x\0\0\0\n\0\0\0y\0\0\0\"\0\0\0"
		  "\n\0\0\0") },
		{ S("\0\0\xfe\xff" "\0\0\0h\0\0\0,\0\0\0k\0\0\0\n"
		  "\0\0\0001\0\0\0,\0\0\0\xe9\0\0\0\r\0\0\0\n\0\0\0\n"
		  "\0\0\0002\0\0\0,\0\0\0\"\0\0\0x\0\0\0\n\0\0\0y\0\0\0\""
		  "\0\0\0\n") },
	};
	const char *want = "2:1|\xc3\xa9\n4:2|x\ny\n";
	size_t i;
	char *got, *err;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		got = rows_of(inputs[i].p, inputs[i].n, NULL, &err);
		ck_assert_msg(got != NULL, "input %zu: %s", i, err);
		ck_assert_msg(strcmp(got, want) == 0, "input %zu: %s", i, got);
		ck_assert_int_eq(fail_kind(), FAIL_NONE);
		free(got);
		free(err);
	}
	/* An agreeing --encoding reads the same. */
	got = rows_of(inputs[1].p, inputs[1].n, "UTF-16", &err);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
	free(err);
	got = rows_of(inputs[3].p, inputs[3].n, "UTF-32LE", &err);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
	free(err);
}
END_TEST

START_TEST(contradicting_mark_is_bad_input)
{
	static const struct {
		const char *p;
		size_t n;
		const char *enc, *msg;
	} cases[] = {
		{ S("\xff\xfe" "a\0\n\0"), "UTF-8",
		  "starts with a UTF-16LE byte-order mark, but --encoding "
		  "says UTF-8" },
		{ S("\xef\xbb\xbf" "a\n"), "CP1252",
		  "starts with a UTF-8 byte-order mark, but --encoding says "
		  "CP1252" },
		{ S("\xfe\xff\0a\0\n"), "UTF-16LE",
		  "starts with a UTF-16BE byte-order mark, but --encoding "
		  "says UTF-16LE" },
		{ S("\xff\xfe\0\0a\0\0\0"), "GB18030",
		  "starts with a UTF-32LE byte-order mark, but --encoding "
		  "says GB18030" },
	};
	size_t i;
	char *got, *err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = rows_of(cases[i].p, cases[i].n, cases[i].enc, &err);
		ck_assert_msg(got == NULL, "case %zu read", i);
		ck_assert_int_eq(fail_kind(), FAIL_DATA);
		assert_has(err, ":1: ");
		assert_has(err, cases[i].msg);
		free(err);
	}
}
END_TEST

Suite *
bom_suite(void)
{
	Suite *s = suite_create("bom");
	TCase *t = tcase_create("bom");

	tcase_set_timeout(t, 20);
	tcase_add_test(t, detect_each_kind);
	tcase_add_test(t, resolve_against_encoding);
	tcase_add_test(t, reader_drops_the_mark);
	tcase_add_test(t, reader_keeps_inner_error);
	tcase_add_test(t, mark_decides_encoding);
	tcase_add_test(t, contradicting_mark_is_bad_input);
	suite_add_tcase(s, t);
	return s;
}
