/*
 * test_input.c - unit tests of common/input.h: one CSV input as a table.
 *
 * Real files in a scratch tree (dirfix.h), stdin pipes and a FIFO:
 * a header and rows (quoted, CRLF, blank lines, a last line without a
 * newline), --no-header, --ragged padding, a field-count mismatch and
 * not valid UTF-8 (FAIL_DATA, "FILE:LINE:"), a row over max_row, empty
 * inputs, a missing file and a directory (FAIL_SYS), --encoding CP1252
 * and GB18030, and undecodable bytes (FAIL_DATA).
 *
 * Read errors at every point: a stdin socket holding the first b bytes
 * of an input, whose peer then went away with data unread (the read after
 * them fails with ECONNRESET), for every b
 * (in the BOM, the header, inside a quoted field, between the CR and LF of
 * a row's end), decoded or not; a FIFO whose descriptor is replaced by a
 * directory's after k rows fails with EISDIR; a file of some MiB is failed
 * at each point where the reader has used up all it read (found with
 * input_bytes, so not tied to the reader's chunk size).  Each time the
 * complete rows before the failure come out once, then -1 with FAIL_SYS
 * and "NAME: read: <strerror>" said once, then -1 again, never a row.
 *
 * A stop signal (signal_caught set, or a real SIGTERM interrupting a
 * blocked read) ends the input with FAIL_STOP; another signal's EINTR is
 * retried; a stalled stream calls on_stall, whose failure ends it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "capture.h"
#include "check_helpers.h"
#include "dirfix.h"
#include "buf.h"
#include "fail.h"
#include "input.h"
#include "msg.h"
#include "signals.h"
#include "tmpdir.h"

static int
count_of(const char *text, const char *part)
{
	int n = 0;

	while ((text = strstr(text, part)) != NULL) {
		n++;
		text += strlen(part);
	}
	return n;
}

/* --- the fixture: a scratch tree, options, an input, rows read --------- */

struct fx {
	struct dirfix d;
	char path[160];      /* d.root/in.csv */
	struct options o;
	size_t max_row;
	struct input in;
	struct buf out;      /* rows as read_rows renders them */
};

static void
fx_open(struct fx *x)
{
	dirfix_open(&x->d, "input");
	snprintf(x->path, sizeof(x->path), "%s/in.csv", x->d.root);
	memset(&x->o, 0, sizeof(x->o));
	x->o.delim = ',';
	x->max_row = 0;
	memset(&x->in, 0, sizeof(x->in));
	x->in.fd = -1;
	buf_init(&x->out, 0);
	signal_caught = 0;
}

static void
fx_close(struct fx *x)
{
	input_close(&x->in);
	buf_free(&x->out);
	dirfix_close(&x->d);
	signal_caught = 0;
}

/* Writes data to x->path and opens it as the input. */
static int
fx_input(struct fx *x, const char *data)
{
	input_close(&x->in);
	write_file_at(AT_FDCWD, x->path, data, strlen(data), 0644);
	return input_open(&x->in, x->path, &x->o, x->max_row);
}

/* Appends "LINE:f1|f2|...\n" for each row input_next gives, at most max
 * rows (-1: no limit); returns input_next's last answer (1 at max). */
static int
read_rows(struct input *in, struct buf *out, long max)
{
	const struct field *f;
	uint32_t n, i;
	uint64_t line;
	char num[32];
	int rc = 1;

	while (max-- != 0 && (rc = input_next(in, &f, &n, &line)) == 1) {
		snprintf(num, sizeof(num), "%llu:", (unsigned long long)line);
		buf_append(out, num, strlen(num));
		for (i = 0; i < n; i++) {
			if (i)
				buf_append(out, "|", 1);
			buf_append(out, f[i].s, f[i].len);
		}
		buf_append(out, "\n", 1);
	}
	return rc;
}

static void
expect_text(const struct buf *b, const char *want)
{
	ck_assert_msg(b->len == strlen(want) &&
	    (b->len == 0 || memcmp(b->data, want, b->len) == 0),
	    "rows:\n%.*s\nexpected:\n%s", (int)b->len,
	    b->len ? (const char *)b->data : "", want);
}

/* Reads every row: they must render as want, input_next's last answer
 * must be rc. */
static void
expect_rows(struct fx *x, const char *want, int rc)
{
	buf_reset(&x->out);
	ck_assert_int_eq(read_rows(&x->in, &x->out, -1), rc);
	expect_text(&x->out, want);
}

/* After an error: -1 again twice, never a row, the kind unchanged. */
static void
expect_sticky(struct input *in, enum fail_kind kind)
{
	const struct field *f = NULL;
	uint32_t n = 0;
	uint64_t line = 0;

	ck_assert_int_eq(input_next(in, &f, &n, &line), -1);
	ck_assert_int_eq(input_next(in, &f, &n, &line), -1);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(fail_kind(), kind);
}

static void
expect_header(const struct input *in, const char *const *names, uint32_t n)
{
	uint32_t i;

	ck_assert_uint_eq(in->ncols, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(in->header[i].len, strlen(names[i]));
		ck_assert(in->header[i].len == 0 ||
		    memcmp(in->header[i].s, names[i], in->header[i].len) == 0);
	}
}

/* --- tables ------------------------------------------------------------- */

static void check_mismatch(struct fx *x, const char *data, const char *before,
    const char *what);

START_TEST(header_and_rows)
{
	static const char *const names[] = { "h1", "h2" };
	static const char data[] =
	    "h1,h2\r\nr1,a\r\nr2,\"b,\"\"c\"\"\"\n\nr4,\"x\ny\"\n\"r6\",";
	struct fx x;

	fx_open(&x);
	ck_assert_int_eq(fx_input(&x, data), 0);
	expect_header(&x.in, names, 2);
	expect_rows(&x, "2:r1|a\n3:r2|b,\"c\"\n5:r4|x\ny\n7:r6|\n", 0);
	expect_rows(&x, "", 0); /* the end stays the end */
	ck_assert_uint_eq(input_bytes(&x.in), sizeof(data) - 1);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fx_close(&x);
}
END_TEST

START_TEST(bom_and_delimiters)
{
	static const char *const names[] = { "a", "b" };
	struct fx x;

	fx_open(&x);
	ck_assert_int_eq(fx_input(&x, "\xEF\xBB\xBF" "a,b\n1,2\n"), 0);
	expect_header(&x.in, names, 2);
	expect_rows(&x, "2:1|2\n", 0);
	x.o.delim = ';';
	ck_assert_int_eq(fx_input(&x, "a;b\n1,5;2\n"), 0);
	expect_header(&x.in, names, 2);
	expect_rows(&x, "2:1,5|2\n", 0);
	x.o.delim = '\t';
	ck_assert_int_eq(fx_input(&x, "a\tb\n\"1\t\"\t2;3,4\n"), 0);
	expect_rows(&x, "2:1\t|2;3,4\n", 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fx_close(&x);
}
END_TEST

START_TEST(no_header_first_row_is_data)
{
	static const char *const empty[] = { "", "", "" };
	struct fx x;

	fx_open(&x);
	x.o.no_header = 1;
	ck_assert_int_eq(fx_input(&x, "a,b,c\nd,e,f\n"), 0);
	expect_header(&x.in, empty, 3);
	expect_rows(&x, "1:a|b|c\n2:d|e|f\n", 0);
	/* The first row's width counts: a narrower row is a mismatch. */
	check_mismatch(&x, "a,b\nc\n", "1:a|b\n",
	    ":2: row has 1 field, the header has 2");
	fx_close(&x);
}
END_TEST

START_TEST(ragged_pads_and_keeps)
{
	struct fx x;

	fx_open(&x);
	x.o.ragged = 1;
	ck_assert_int_eq(fx_input(&x, "a,b,c\n1\n1,2,3,4\n,\n\"\"\n"), 0);
	expect_rows(&x, "2:1||\n3:1|2|3|4\n4:||\n5:||\n", 0);
	x.o.no_header = 1;
	ck_assert_int_eq(fx_input(&x, "x,y\nz\n"), 0);
	expect_rows(&x, "1:x|y\n2:z|\n", 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fx_close(&x);
}
END_TEST

/* Without --ragged, a row of the wrong width at line is bad data,
 * said as "FILE:LINE: row has N field(s), the header has M". */
static void
check_mismatch(struct fx *x, const char *data, const char *before,
    const char *what)
{
	char where[256];
	struct cap c;
	char *err;

	fail_reset();
	ck_assert_int_eq(fx_input(x, data), 0);
	cap_begin(&c, STDERR_FILENO);
	expect_rows(x, before, -1);
	expect_sticky(&x->in, FAIL_DATA);
	err = cap_end(&c);
	snprintf(where, sizeof(where), "%s%s", x->path, what);
	assert_has(err, where);
	assert_has(err, "csvpack-test: ");
	ck_assert_int_eq(count_of(err, "row has"), 1);
	free(err);
}

START_TEST(field_count_mismatch)
{
	struct fx x;

	fx_open(&x);
	check_mismatch(&x, "a,b\n1,2\n3\n5,6\n", "2:1|2\n",
	    ":3: row has 1 field, the header has 2");
	check_mismatch(&x, "a,b\n\n1,2,3\n", "",
	    ":3: row has 3 fields, the header has 2");
	check_mismatch(&x, "a,b\n\"1\n2\",x\n\n\n,\n,,\n", "2:1\n2|x\n6:|\n",
	    ":7: row has 3 fields, the header has 2");
	fx_close(&x);
}
END_TEST

struct bad_utf8 {
	const char *data;
	const char *before;  /* rows first; NULL: input_open fails */
	unsigned line;
};

static const struct bad_utf8 bad_utf8_cases[] = {
	{ "a,b\n1,\xff\n", "", 2 },
	{ "a,b\n1,2\n\xc0\xaf,x\n", "2:1|2\n", 3 },      /* overlong */
	{ "a,b\n\"\xed\xa0\x80\",x\n", "", 2 },          /* surrogate */
	{ "a,b\n1,2\n3,\xe2\x82", "2:1|2\n", 3 },        /* cut at EOF */
	{ "a,\xf5\x80\x80\x80\n1,2\n", NULL, 1 },        /* in the header */
	{ "\xEF\xBB\xBF\xEF\xBB\n", NULL, 1 },
};

START_TEST(invalid_utf8_is_bad_data)
{
	char where[256];
	struct cap c;
	struct fx x;
	size_t i;
	char *err;

	fx_open(&x);
	for (i = 0; i < sizeof(bad_utf8_cases) / sizeof(bad_utf8_cases[0]);
	    i++) {
		const struct bad_utf8 *b = &bad_utf8_cases[i];

		fail_reset();
		cap_begin(&c, STDERR_FILENO);
		if (!b->before) {
			ck_assert_int_eq(fx_input(&x, b->data), -1);
		} else {
			ck_assert_int_eq(fx_input(&x, b->data), 0);
			expect_rows(&x, b->before, -1);
			expect_sticky(&x.in, FAIL_DATA);
		}
		err = cap_end(&c);
		ck_assert_int_eq(fail_kind(), FAIL_DATA);
		snprintf(where, sizeof(where), "%s:%u: not valid UTF-8", x.path,
		    b->line);
		assert_has(err, where);
		free(err);
	}
	fx_close(&x);
}
END_TEST

START_TEST(row_longer_than_max_row)
{
	char where[256];
	struct cap c;
	struct fx x;
	char *err;

	fx_open(&x);
	x.max_row = 8;
	ck_assert_int_eq(fx_input(&x, "a,b\n1234,5678\n\"12345678\",\n"), 0);
	expect_rows(&x, "2:1234|5678\n3:12345678|\n", 0);
	ck_assert_int_eq(fx_input(&x, "a,b\n1,2\n1234,56789\n7,8\n"), 0);
	cap_begin(&c, STDERR_FILENO);
	expect_rows(&x, "2:1|2\n", -1);
	expect_sticky(&x.in, FAIL_DATA);
	err = cap_end(&c);
	snprintf(where, sizeof(where), "%s:3: row is longer than 8 bytes; "
	    "a larger --ring-size carries longer rows", x.path);
	assert_has(err, where);
	free(err);
	fx_close(&x);
}
END_TEST

START_TEST(empty_inputs_end_at_once)
{
	static const char *const empties[] = {
		"", "\n", "\r\n\r\n\n", "\xEF\xBB\xBF", "\xEF\xBB\xBF\n",
	};
	struct fx x;
	size_t i;

	fx_open(&x);
	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		ck_assert_int_eq(fx_input(&x, empties[i]), 0);
		ck_assert_uint_eq(x.in.ncols, 0);
		expect_rows(&x, "", 0);
		expect_rows(&x, "", 0);
	}
	x.o.no_header = 1;
	ck_assert_int_eq(fx_input(&x, ""), 0);
	expect_rows(&x, "", 0);
	x.o.no_header = 0;
	ck_assert_int_eq(fx_input(&x, "only,a,header\n"), 0);
	ck_assert_uint_eq(x.in.ncols, 3);
	expect_rows(&x, "", 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fx_close(&x);
}
END_TEST

START_TEST(missing_file_and_directory)
{
	const struct field *f = NULL;
	char want[256];
	struct cap c;
	struct fx x;
	uint64_t line;
	uint32_t n;
	char *err;

	fx_open(&x);
	snprintf(x.path, sizeof(x.path), "%s/nope.csv", x.d.root);
	cap_begin(&c, STDERR_FILENO);
	ck_assert_int_eq(input_open(&x.in, x.path, &x.o, 0), -1);
	err = cap_end(&c);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	snprintf(want, sizeof(want), "%s: %s", x.path, strerror(ENOENT));
	assert_has(err, want);
	free(err);
	ck_assert_int_ne(input_next(&x.in, &f, &n, &line), 1);
	input_close(&x.in);
	/* A directory opens, and its first read fails. */
	fail_reset();
	cap_begin(&c, STDERR_FILENO);
	ck_assert_int_eq(input_open(&x.in, x.d.out, &x.o, 0), -1);
	err = cap_end(&c);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	snprintf(want, sizeof(want), "%s: read: %s", x.d.out, strerror(EISDIR));
	assert_has(err, want);
	free(err);
	fx_close(&x);
}
END_TEST

/* --- encodings ---------------------------------------------------------- */

START_TEST(cp1252_decoded)
{
	static const char *const names[] = { "na\xc3\xafve", "price" };
	struct fx x;

	fx_open(&x);
	x.o.encoding = "CP1252";
	ck_assert_int_eq(fx_input(&x, "na\xefve,price\r\n"
	    "caf\xe9,\x80 5\r\n\"\x93q\x94\",\x85\r\n"), 0);
	expect_header(&x.in, names, 2);
	expect_rows(&x, "2:caf\xc3\xa9|\xe2\x82\xac 5\n"
	    "3:\xe2\x80\x9cq\xe2\x80\x9d|\xe2\x80\xa6\n", 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fx_close(&x);
}
END_TEST

START_TEST(gb18030_decoded)
{
	static const char *const names[] = { "\xe4\xbd\xa0\xe5\xa5\xbd", "x" };
	struct fx x;

	fx_open(&x);
	x.o.encoding = "GB18030";
	/* 2-byte 你好 and €, 4-byte U+0080 and U+20000. */
	ck_assert_int_eq(fx_input(&x, "\xc4\xe3\xba\xc3,x\n"
	    "\xa2\xe3,\x81\x30\x81\x30\x95\x32\x82\x36\n"), 0);
	expect_header(&x.in, names, 2);
	expect_rows(&x, "2:\xe2\x82\xac|\xc2\x80\xf0\xa0\x80\x80\n", 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fx_close(&x);
}
END_TEST

/* An undecodable byte: the rows before it, then bad data at its line. */
static void
check_undecodable(struct fx *x, const char *enc, const char *data,
    const char *before, unsigned line)
{
	char where[256];
	struct cap c;
	char *err;

	fail_reset();
	x->o.encoding = enc;
	ck_assert_int_eq(fx_input(x, data), 0);
	cap_begin(&c, STDERR_FILENO);
	expect_rows(x, before, -1);
	expect_sticky(&x->in, FAIL_DATA);
	err = cap_end(&c);
	snprintf(where, sizeof(where), "%s:%u: input cannot be decoded in "
	    "the given encoding", x->path, line);
	assert_has(err, where);
	free(err);
}

START_TEST(undecodable_is_bad_data)
{
	struct fx x;

	fx_open(&x);
	check_undecodable(&x, "CP1252", "a\nok\nab\x81""c\nz\n", "2:ok\n", 3);
	check_undecodable(&x, "GB18030", "a,b\n\xc4\xe3,1\n\xc4",
	    "2:\xe4\xbd\xa0|1\n", 3);
	check_undecodable(&x, "GB18030", "a,b\n\xc4\xe3,1\n\xff\xff,2\n",
	    "2:\xe4\xbd\xa0|1\n", 3);
	fx_close(&x);
}
END_TEST

/* --- read errors at every byte: a non-blocking stdin pipe --------------- */

/* One row of an input and the byte of it that completes the row. */
struct piece {
	const char *text;
	size_t done;       /* complete after this many bytes; 0: only at EOF */
	const char *row;   /* as read_rows renders it; NULL: no row (the
	                    * header, a blank line) */
};

struct cut_input {
	const char *encoding;
	int no_header;       /* the first piece is a row, not the header */
	const struct piece *p;
	size_t n;
};

static const struct piece utf8_pieces[] = {
	{ "\xEF\xBB\xBF" "h1,h2\r\n", 9, NULL },
	{ "a,\"x\r\ny\"\r\n", 9, "2:a|x\r\ny\n" },
	{ "b,\"\"\"\"\n", 7, "4:b|\"\n" },
	{ "\n", 0, NULL },
	{ "\xc3\xa9,\xe2\x82\xac\n", 7, "6:\xc3\xa9|\xe2\x82\xac\n" },
	{ "d,e", 0, "7:d|e\n" },
};

static const struct piece cp1252_pieces[] = {
	{ "h\xe9,x\n", 5, NULL },
	{ "\x80,\"a\xe9\nb\"\n", 9, "2:\xe2\x82\xac|a\xc3\xa9\nb\n" },
	{ "c,d\r\n", 4, "4:c|d\n" },
	{ "\x93,", 0, "5:\xe2\x80\x9c|\n" },
};

static const struct piece gb18030_pieces[] = {
	{ "\xc4\xe3,\xba\xc3\n", 6, NULL },
	{ "\x81\x30\x81\x30,\xa2\xe3\n", 8, "2:\xc2\x80|\xe2\x82\xac\n" },
	{ "x,\x95\x32\x82\x36\n", 7, "3:x|\xf0\xa0\x80\x80\n" },
};

/* --no-header: the first row is data, held back by input_open. */
static const struct piece no_header_pieces[] = {
	{ "x,\"y\"\r\n", 6, "1:x|y\n" },
	{ "1,2\r\n", 4, "2:1|2\n" },
	{ "3,4", 0, "3:3|4\n" },
};

static const struct cut_input cut_inputs[] = {
	{ NULL, 0, utf8_pieces,
	    sizeof(utf8_pieces) / sizeof(utf8_pieces[0]) },
	{ "CP1252", 0, cp1252_pieces,
	    sizeof(cp1252_pieces) / sizeof(cp1252_pieces[0]) },
	{ "GB18030", 0, gb18030_pieces,
	    sizeof(gb18030_pieces) / sizeof(gb18030_pieces[0]) },
	{ NULL, 1, no_header_pieces,
	    sizeof(no_header_pieces) / sizeof(no_header_pieces[0]) },
};

/* The whole input's bytes, into text (NUL-terminated). */
static size_t
cut_text(const struct cut_input *ci, char *text, size_t cap)
{
	size_t i, len = 0;

	text[0] = '\0';
	for (i = 0; i < ci->n; i++) {
		len += strlen(ci->p[i].text);
		ck_assert_uint_lt(len, cap);
		strcat(text, ci->p[i].text);
	}
	return len;
}

/* The rows complete within the first b bytes (all at EOF), rendered.
 * Returns the offset where the header is complete. */
static size_t
cut_expect(const struct cut_input *ci, size_t b, int eof, struct buf *want)
{
	size_t i, off = 0, header = 0;

	buf_reset(want);
	for (i = 0; i < ci->n; i++) {
		const struct piece *p = &ci->p[i];

		if (i == 0)
			header = p->done;
		if (p->row && ((p->done && off + p->done <= b) || eof))
			buf_append(want, p->row, strlen(p->row));
		off += strlen(p->text);
	}
	buf_append(want, "", 1);
	return header;
}

/* Makes stdin a stream holding text[0..b).  eof: a pipe whose writer is
 * closed, so the end follows.  Else a socket whose peer has gone with
 * data of ours unread: the read after the b bytes fails (ECONNRESET). */
static void
stdin_stream(const char *text, size_t b, int eof)
{
	int p[2];

	if (eof)
		ck_assert_int_eq(pipe(p), 0);
	else
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
	ck_assert_int_eq(write(p[1], text, b), (ssize_t)b);
	if (!eof)
		ck_assert_int_eq(write(p[0], "x", 1), 1);
	close(p[1]);
	ck_assert_int_ge(dup2(p[0], STDIN_FILENO), 0);
	close(p[0]);
}

/* Makes stdin a pipe holding text[0..b), its writer open (returned): a
 * read after the b bytes blocks. */
static int
stdin_pipe(const char *text, size_t b)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], text, b), (ssize_t)b);
	ck_assert_int_ge(dup2(p[0], STDIN_FILENO), 0);
	close(p[0]);
	return p[1];
}

/* The input cut after b bytes: its complete rows, then a read error. */
static void
check_cut(struct fx *x, const struct cut_input *ci, const char *text,
    size_t b)
{
	char want_msg[128];
	struct buf want;
	size_t header;
	struct cap c;
	char *err;

	buf_init(&want, 0);
	header = cut_expect(ci, b, 0, &want);
	stdin_stream(text, b, 0);
	fail_reset();
	x->o.encoding = ci->encoding;
	x->o.no_header = ci->no_header;
	cap_begin(&c, STDERR_FILENO);
	if (b < header) {
		ck_assert_int_eq(input_open(&x->in, "-", &x->o, 0), -1);
		ck_assert_int_eq(fail_kind(), FAIL_SYS);
	} else {
		ck_assert_int_eq(input_open(&x->in, "-", &x->o, 0), 0);
		expect_rows(x, (const char *)want.data, -1);
		expect_sticky(&x->in, FAIL_SYS);
	}
	err = cap_end(&c);
	snprintf(want_msg, sizeof(want_msg), "-: read: %s",
	    strerror(ECONNRESET));
	ck_assert_msg(count_of(err, want_msg) == 1, "cut at %zu of %s: %s", b,
	    ci->encoding ? ci->encoding : "UTF-8", err);
	free(err);
	input_close(&x->in);
	buf_free(&want);
}

/* All of it, the writer closed: every row, then the end. */
static void
check_whole(struct fx *x, const struct cut_input *ci, const char *text,
    size_t len)
{
	struct buf want;

	buf_init(&want, 0);
	cut_expect(ci, len, 1, &want);
	stdin_stream(text, len, 1);
	fail_reset();
	x->o.encoding = ci->encoding;
	x->o.no_header = ci->no_header;
	ck_assert_int_eq(input_open(&x->in, "-", &x->o, 0), 0);
	expect_rows(x, (const char *)want.data, 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	input_close(&x->in);
	buf_free(&want);
}

START_TEST(read_error_at_every_byte)
{
	const struct cut_input *ci = &cut_inputs[_i];
	char text[512];
	size_t len, b;
	struct fx x;

	fx_open(&x);
	len = cut_text(ci, text, sizeof(text));
	for (b = 0; b <= len; b++)
		check_cut(&x, ci, text, b);
	check_whole(&x, ci, text, len);
	fx_close(&x);
}
END_TEST

/* --- a read error after k rows: a FIFO, then a directory's fd ----------- */

static void
fifo_rows(int wfd, int from, int to)
{
	char row[32];
	int i;

	for (i = from; i < to; i++) {
		snprintf(row, sizeof(row), "r%d,v%d\n", i, i);
		ck_assert_int_eq(write(wfd, row, strlen(row)),
		    (ssize_t)strlen(row));
	}
}

/* Rows 0..k-1 as read_rows renders them. */
static const char *
fifo_want(int k, char *want, size_t cap)
{
	size_t len = 0;
	int i;

	want[0] = '\0';
	for (i = 0; i < k; i++)
		len += (size_t)snprintf(want + len, cap - len, "%d:r%d|v%d\n",
		    i + 2, i, i);
	ck_assert_uint_lt(len, cap);
	return want;
}

static void
fifo_error_after(struct fx *x, const char *fifo, int k)
{
	char want_msg[256], want[256];
	struct cap c;
	char *err;
	int wfd, rfd;

	wfd = open(fifo, O_RDWR); /* a writer: the open below returns */
	ck_assert_int_ge(wfd, 0);
	ck_assert_int_eq(write(wfd, "h1,h2\n", 6), 6);
	fifo_rows(wfd, 0, k);
	fail_reset();
	ck_assert_int_eq(input_open(&x->in, fifo, &x->o, 0), 0);
	buf_reset(&x->out);
	ck_assert_int_eq(read_rows(&x->in, &x->out, k), 1);
	expect_text(&x->out, fifo_want(k, want, sizeof(want)));
	ck_assert_int_ge(dup2(x->d.out_fd, x->in.fd), 0);
	cap_begin(&c, STDERR_FILENO);
	expect_rows(x, "", -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	/* Readable again, with rows waiting: still never a row. */
	fifo_rows(wfd, k, k + 3);
	rfd = open(fifo, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(dup2(rfd, x->in.fd), 0);
	close(rfd);
	expect_sticky(&x->in, FAIL_SYS);
	err = cap_end(&c);
	snprintf(want_msg, sizeof(want_msg), "%s: read: %s", fifo,
	    strerror(EISDIR));
	assert_has(err, want_msg);
	ck_assert_int_eq(count_of(err, "read:"), 1);
	free(err);
	input_close(&x->in);
	close(wfd);
}

START_TEST(read_error_after_k_rows)
{
	char fifo[192];
	struct fx x;
	int k;

	fx_open(&x);
	snprintf(fifo, sizeof(fifo), "%s/fifo", x.d.root);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	for (k = 0; k <= 6; k++)
		fifo_error_after(&x, fifo, k);
	fx_close(&x);
}
END_TEST

/* --- a read error where the reader has used up what it read ------------- */

#define BIG_LINES 131072 /* 16-byte lines: 2 MiB, the header included */
#define BIG_MAX_CUTS 64

static void
put_big(const char *path)
{
	char *data = malloc((size_t)BIG_LINES * 16);
	char line[48];
	unsigned i;

	ck_assert_ptr_nonnull(data);
	memcpy(data, "aaaaaaa,bbbbbbb\n", 16);
	for (i = 1; i < BIG_LINES; i++) {
		snprintf(line, sizeof(line), "%07u,%07u\n", i,
		    (i * 7919u) % 10000000u);
		memcpy(data + (size_t)i * 16, line, 16);
	}
	write_file_at(AT_FDCWD, path, data, (size_t)BIG_LINES * 16, 0644);
	free(data);
}

/* Reads up to k rows of the big input, each checked; returns how many
 * came.  Records in cuts[] the rows after which all read was used. */
static int
big_rows(struct input *in, int k, int *cuts, int *ncuts)
{
	const struct field *f;
	char want[48];
	uint64_t line;
	uint32_t n;
	int i;

	for (i = 1; i <= k; i++) {
		if (input_next(in, &f, &n, &line) != 1)
			return i - 1;
		snprintf(want, sizeof(want), "%07u,%07u", (unsigned)i,
		    ((unsigned)i * 7919u) % 10000000u);
		if (n != 2 || line != (uint64_t)i + 1 || f[0].len != 7 ||
		    f[1].len != 7 ||
		    memcmp(f[0].s, want, 7) != 0 || memcmp(f[1].s, want + 8, 7))
			ck_abort_msg("row %d is wrong", i);
		if (cuts && input_bytes(in) == (uint64_t)(i + 1) * 16 &&
		    *ncuts < BIG_MAX_CUTS)
			cuts[(*ncuts)++] = i;
	}
	return k;
}

static void
big_cut(struct fx *x, int k)
{
	char want_msg[256];
	struct cap c;
	char *err;

	fail_reset();
	ck_assert_int_eq(input_open(&x->in, x->path, &x->o, 0), 0);
	ck_assert_int_eq(big_rows(&x->in, k, NULL, NULL), k);
	ck_assert_int_ge(dup2(x->d.out_fd, x->in.fd), 0);
	cap_begin(&c, STDERR_FILENO);
	expect_rows(x, "", -1);
	expect_sticky(&x->in, FAIL_SYS);
	err = cap_end(&c);
	snprintf(want_msg, sizeof(want_msg), "%s: read: %s", x->path,
	    strerror(EISDIR));
	ck_assert_msg(count_of(err, want_msg) == 1, "after row %d: %s", k, err);
	free(err);
	input_close(&x->in);
}

START_TEST(read_error_at_each_refill)
{
	int cuts[BIG_MAX_CUTS], ncuts = 0, i;
	struct fx x;

	fx_open(&x);
	put_big(x.path);
	ck_assert_int_eq(input_open(&x.in, x.path, &x.o, 0), 0);
	ck_assert_int_eq(big_rows(&x.in, BIG_LINES, cuts, &ncuts),
	    BIG_LINES - 1);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	input_close(&x.in);
	/* Some inside the file, and the last: the read that finds EOF. */
	ck_assert_int_ge(ncuts, 2);
	ck_assert_int_eq(cuts[ncuts - 1], BIG_LINES - 1);
	for (i = 0; i < ncuts; i++)
		big_cut(&x, cuts[i]);
	fx_close(&x);
}
END_TEST

/* --- stop signals, other interruptions, stalls -------------------------- */

START_TEST(stop_signal_ends_input)
{
	static const char *const encodings[] = { NULL, "CP1252" };
	const char *text = "a,b\n1,2\n3,4\n";
	struct fx x;
	int i;

	fx_open(&x);
	for (i = 0; i < 2; i++) {
		x.o.encoding = encodings[i];
		fail_reset();
		signal_caught = 0;
		stdin_stream(text, strlen(text), 0);
		ck_assert_int_eq(input_open(&x.in, "-", &x.o, 0), 0);
		buf_reset(&x.out);
		ck_assert_int_eq(read_rows(&x.in, &x.out, 2), 1);
		expect_text(&x.out, "2:1|2\n3:3|4\n");
		signal_caught = SIGTERM; /* as the handler does */
		expect_rows(&x, "", -1);
		ck_assert_int_eq(fail_kind(), FAIL_STOP);
		ck_assert_int_eq(fail_signal(), SIGTERM);
		expect_sticky(&x.in, FAIL_STOP);
		input_close(&x.in);
	}
	fx_close(&x);
}
END_TEST

START_TEST(stop_signal_before_open)
{
	struct fx x;
	int wfd;

	fx_open(&x);
	wfd = stdin_pipe("a,b\n1,2\n", 8);
	signal_caught = SIGINT;
	ck_assert_int_eq(input_open(&x.in, "-", &x.o, 0), -1);
	ck_assert_int_eq(fail_kind(), FAIL_STOP);
	ck_assert_int_eq(fail_signal(), SIGINT);
	close(wfd);
	fx_close(&x);
}
END_TEST

/* A timer sending sig every interval_ns, from now on. */
static timer_t
start_timer(int sig, long interval_ns)
{
	struct itimerspec its = { { 0, interval_ns }, { 0, interval_ns } };
	struct sigevent ev;
	timer_t t;

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = sig;
	ck_assert_int_eq(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
	ck_assert_int_eq(timer_settime(t, 0, &its, NULL), 0);
	return t;
}

/* Blocking stdin: a pipe with the header and one row, its writer open. */
static int
blocking_stdin(struct fx *x)
{
	int wfd = stdin_pipe("a,b\n1,2\n", 8);

	ck_assert_int_eq(input_open(&x->in, "-", &x->o, 0), 0);
	buf_reset(&x->out);
	ck_assert_int_eq(read_rows(&x->in, &x->out, 1), 1);
	expect_text(&x->out, "2:1|2\n");
	return wfd;
}

START_TEST(sigterm_interrupts_a_blocked_read)
{
	struct fx x;
	timer_t t;
	int wfd;

	fx_open(&x);
	ck_assert_int_eq(signals_install(), 0);
	wfd = blocking_stdin(&x);
	/* Repeated: one that came just before read(2) blocked is caught
	 * by the next. */
	t = start_timer(SIGTERM, 5 * 1000 * 1000);
	expect_rows(&x, "", -1);
	timer_delete(t);
	ck_assert_int_eq(fail_kind(), FAIL_STOP);
	ck_assert_int_eq(fail_signal(), SIGTERM);
	expect_sticky(&x.in, FAIL_STOP);
	close(wfd);
	fx_close(&x);
}
END_TEST

/* SIGUSR1: counted; the third delivery writes the rest of the input and
 * closes the pipe (write and close are async-signal-safe). */
static volatile sig_atomic_t usr1_count;
static int usr1_fd = -1;
static const char usr1_rest[] = "3,4\n5,6";

static void
on_usr1(int sig)
{
	(void)sig;
	if (++usr1_count == 3 && usr1_fd >= 0) {
		if (write(usr1_fd, usr1_rest, sizeof(usr1_rest) - 1) < 0)
			_exit(99);
		close(usr1_fd);
		usr1_fd = -1;
	}
}

START_TEST(other_signals_are_retried)
{
	struct sigaction sa;
	struct fx x;
	timer_t t;

	fx_open(&x);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART: read(2) gets EINTR */
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	usr1_fd = blocking_stdin(&x);
	t = start_timer(SIGUSR1, 2 * 1000 * 1000);
	expect_rows(&x, "3:3|4\n4:5|6\n", 0);
	timer_delete(t);
	ck_assert_int_ge(usr1_count, 3);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fx_close(&x);
}
END_TEST

/* on_stall: the third call feeds the rest; with fail set, it fails. */
struct stall {
	int fd, calls, fail;
};

static int
on_stall(void *arg)
{
	struct stall *s = arg;

	if (s->fail)
		return fail_peer("a peer gave up");
	if (++s->calls == 3) {
		ck_assert_int_eq(write(s->fd, "3,4\n", 4), 4);
		close(s->fd);
		s->fd = -1;
	}
	return 0;
}

static void
check_stall(int fail)
{
	struct stall s = { -1, 0, fail };
	struct cap c;
	struct fx x;
	char *err;

	fx_open(&x);
	s.fd = blocking_stdin(&x);
	x.in.stall_ms = 1;
	x.in.on_stall = on_stall;
	x.in.stall_arg = &s;
	cap_begin(&c, STDERR_FILENO);
	expect_rows(&x, fail ? "" : "3:3|4\n", fail ? -1 : 0);
	if (fail)
		expect_sticky(&x.in, FAIL_PEER);
	err = cap_end(&c);
	ck_assert_int_eq(count_of(err, "a peer gave up"), fail ? 1 : 0);
	ck_assert_int_eq(count_of(err, "read"), 0);
	ck_assert_int_eq(fail_kind(), fail ? FAIL_PEER : FAIL_NONE);
	if (!fail)
		ck_assert_int_eq(s.calls, 3);
	free(err);
	if (s.fd >= 0)
		close(s.fd);
	fx_close(&x);
}

START_TEST(stall_calls_on_stall)
{
	check_stall(0);
}
END_TEST

START_TEST(stall_failure_ends_input)
{
	check_stall(1);
}
END_TEST

/* A non-blocking stdin (a shell may hand one over) is no error: EAGAIN
 * waits for data as a blocking read would.  The writer, a child, sends
 * the input in three pieces with pauses between them. */
START_TEST(nonblocking_stdin_waits)
{
	static const char *const piece[] = { "a,b\n1,", "2\n3,4", "\n" };
	const struct timespec pause = { 0, 30 * 1000 * 1000 };
	struct fx x;
	pid_t pid;
	int p[2], i, status;

	fx_open(&x);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		for (i = 0; i < 3; i++) {
			nanosleep(&pause, NULL);
			if (write(p[1], piece[i], strlen(piece[i])) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_ge(dup2(p[0], STDIN_FILENO), 0);
	close(p[0]);
	ck_assert_int_eq(input_open(&x.in, "-", &x.o, 0), 0);
	expect_rows(&x, "2:1|2\n3:3|4\n", 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	input_close(&x.in);
	fx_close(&x);
}
END_TEST

/* input_open failed: input_next says so again, never "the end". */
START_TEST(next_after_a_failed_open)
{
	const struct field *f;
	uint32_t n;
	uint64_t line;
	struct cap c;
	struct fx x;
	char *err;

	fx_open(&x);
	cap_begin(&c, STDERR_FILENO);
	ck_assert_int_eq(input_open(&x.in, x.path, &x.o, 0), -1);
	ck_assert_int_eq(input_next(&x.in, &f, &n, &line), -1);
	err = cap_end(&c);
	ck_assert_int_eq(count_of(err, "No such file"), 1);
	free(err);
	input_close(&x.in);
	fx_close(&x);
}
END_TEST

static void
setup(void)
{
	msg_init("csvpack-test");
	fail_reset();
	signal_caught = 0;
}

Suite *
input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *t = tcase_create("input");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_test(t, header_and_rows);
	tcase_add_test(t, bom_and_delimiters);
	tcase_add_test(t, no_header_first_row_is_data);
	tcase_add_test(t, ragged_pads_and_keeps);
	tcase_add_test(t, field_count_mismatch);
	tcase_add_test(t, invalid_utf8_is_bad_data);
	tcase_add_test(t, row_longer_than_max_row);
	tcase_add_test(t, empty_inputs_end_at_once);
	tcase_add_test(t, missing_file_and_directory);
	tcase_add_test(t, cp1252_decoded);
	tcase_add_test(t, gb18030_decoded);
	tcase_add_test(t, undecodable_is_bad_data);
	tcase_add_loop_test(t, read_error_at_every_byte, 0,
	    (int)(sizeof(cut_inputs) / sizeof(cut_inputs[0])));
	tcase_add_test(t, read_error_after_k_rows);
	tcase_add_test(t, read_error_at_each_refill);
	tcase_add_test(t, stop_signal_ends_input);
	tcase_add_test(t, stop_signal_before_open);
	tcase_add_test(t, sigterm_interrupts_a_blocked_read);
	tcase_add_test(t, other_signals_are_retried);
	tcase_add_test(t, stall_calls_on_stall);
	tcase_add_test(t, stall_failure_ends_input);
	tcase_add_test(t, nonblocking_stdin_waits);
	tcase_add_test(t, next_after_a_failed_open);
	suite_add_tcase(s, t);
	return s;
}
