/*
 * test_record.c - unit tests of CHUNK records (common/record.h): building
 * with chunk_begin / chunk_add_row / chunk_finish, reading with chunk_sid
 * / chunk_open / chunk_next_row.  Hostile records: test_record_bad.c.
 *
 * The layout is checked byte for byte against the one record.h documents
 * (a record built by hand; sid, first_row, ncols, nrows, width, ...), and
 * the width in the header is the widest row's, whichever row that is, the
 * header counted, known at chunk_open before any row is read.  Round
 * trips cover 0..N columns and fields, empty fields, NUL bytes inside
 * names and values, extreme line numbers, a 70000-column header and a
 * 200000-field row, and a few hundred random shapes from a fixed seed,
 * each read back from a heap block of exactly its length; every field's
 * quoted flag comes back as it went in (any nonzero as 1), a header
 * name's as 0; and from a CSV file through input_next (a padding field
 * unquoted, --no-header's first row too) into a record and back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "buf.h"
#include "input.h"
#include "options.h"
#include "recfix.h"
#include "record.h"
#include "tmpdir.h"

/* --- helpers ------------------------------------------------------------ */

static uint64_t
rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
assert_field_eq(const struct field *got, const struct field *want)
{
	REQUIRE_MSG(got->len == want->len, "field length %u, want %u", got->len,
	    want->len);
	REQUIRE_MSG(got->quoted == (want->quoted != 0), "quoted %u, want %u",
	    got->quoted, want->quoted != 0);
	REQUIRE_MSG(want->len == 0 || memcmp(got->s, want->s, want->len) == 0,
	    "field bytes differ");
	REQUIRE_MSG(got->s[got->len] == '\0', "field without its NUL");
}

/* Reads b back from an exact copy and compares with what was built. */
static void
check_round_trip(const struct buf *b, uint64_t sid, uint64_t first_row,
    const char *source,
    const struct field *header, uint32_t ncols, const struct trow *rows,
    uint32_t nrows)
{
	unsigned char *data = exact_copy(b->data, b->len);
	struct field names[MAXF], fields[MAXF];
	struct chunk c;
	uint64_t line;
	uint32_t i, j, n, most = ncols;
	uint64_t got_sid;

	ck_assert_int_eq(chunk_sid(data, b->len, &got_sid), 0);
	ck_assert_uint_eq(got_sid, sid);
	ck_assert_int_eq(chunk_open(&c, data, b->len, names, MAXF), 0);
	ck_assert_uint_eq(c.sid, sid);
	ck_assert_uint_eq(c.first_row, first_row);
	ck_assert_uint_eq(c.ncols, ncols);
	ck_assert_uint_eq(c.nrows, nrows);
	ck_assert_uint_eq(c.source.len, strlen(source));
	ck_assert_str_eq(c.source.s, source);
	for (i = 0; i < ncols; i++) {
		struct field name = header[i];

		name.quoted = 0; /* a name's flag is not recorded */
		assert_inside(&names[i], data, data + b->len);
		assert_field_eq(&names[i], &name);
	}
	for (i = 0; i < nrows; i++)
		if (rows[i].n > most)
			most = rows[i].n;
	ck_assert_uint_eq(c.width, most);
	for (i = 0; i < nrows; i++) {
		REQUIRE_MSG(chunk_next_row(&c, &line, fields, MAXF, &n) == 1,
		    "row %u not read", i);
		REQUIRE_MSG(line == rows[i].line, "row %u: line", i);
		REQUIRE_MSG(n == rows[i].n, "row %u: %u fields, want %u", i, n,
		    rows[i].n);
		for (j = 0; j < n; j++) {
			assert_inside(&fields[j], data, data + b->len);
			assert_field_eq(&fields[j], &rows[i].f[j]);
		}
	}
	ck_assert_int_eq(chunk_next_row(&c, &line, fields, MAXF, &n), 0);
	ck_assert_int_eq(chunk_next_row(&c, &line, fields, MAXF, &n), 0);
	free(data);
}

/* --- layout and round trips --------------------------------------------- */

START_TEST(layout_exact)
{
	static const struct field h[2] = { { "a", 1, 0 }, { "", 0, 1 } };
	static const struct trow r[1] = {
		{ 2, 2, { { "xy", 2, 1 }, { "\0", 1, 0 } } },
	};
	struct buf b, want;
	uint64_t u64;
	uint32_t u32;
	unsigned char flags;

	buf_init(&b, 0);
	buf_init(&want, 0);
	build(&b, 5, 42, "s.csv", h, 2, r, 1);
	u64 = 5;
	buf_append(&want, &u64, 8);                 /* sid */
	u64 = 42;
	buf_append(&want, &u64, 8);                 /* first_row */
	u64 = 2;
	buf_append(&want, &u64, 8);                 /* last_line */
	u32 = 2;
	buf_append(&want, &u32, 4);                 /* ncols */
	u32 = 1;
	buf_append(&want, &u32, 4);                 /* nrows */
	u32 = 2;
	buf_append(&want, &u32, 4);                 /* width */
	u32 = 5;
	buf_append(&want, &u32, 4);
	buf_append(&want, "s.csv", 6);              /* source, NUL */
	u32 = 1;
	buf_append(&want, &u32, 4);
	buf_append(&want, "a", 2);
	u32 = 0;
	buf_append(&want, &u32, 4);
	buf_append(&want, "", 1);
	u64 = 2;
	buf_append(&want, &u64, 8);                 /* line */
	u32 = 2;
	buf_append(&want, &u32, 4);                 /* nfields */
	buf_append(&want, &u32, 4);
	flags = FIELD_QUOTED;
	buf_append(&want, &flags, 1);               /* "xy" was quoted */
	buf_append(&want, "xy", 3);
	u32 = 1;
	buf_append(&want, &u32, 4);
	flags = 0;
	buf_append(&want, &flags, 1);
	buf_append(&want, "\0", 2);
	ck_assert_uint_eq(b.len, want.len);
	ck_assert_msg(memcmp(b.data, want.data, b.len) == 0, "layout differs");
	buf_free(&b);
	buf_free(&want);
}
END_TEST

START_TEST(round_trip_empty)
{
	struct buf b;

	buf_init(&b, 0);
	build(&b, 0, 0, "", NULL, 0, NULL, 0);
	ck_assert_uint_eq(b.len, 8 + 8 + 8 + 4 + 4 + 4 + 4 + 1);
	check_round_trip(&b, 0, 0, "", NULL, 0, NULL, 0);
	/* chunk_begin resets: a second record in the same buffer. */
	build(&b, UINT64_MAX, UINT64_MAX, "-", NULL, 0, NULL, 0);
	check_round_trip(&b, UINT64_MAX, UINT64_MAX, "-", NULL, 0, NULL, 0);
	buf_free(&b);
}
END_TEST

START_TEST(round_trip_shapes)
{
	static const struct trow rows[] = {
		{ 1, 0, { { NULL, 0, 0 } } },
		{ 2, 1, { { "", 0, 0 } } },
		{ 3, 3, { { "", 0, 1 }, { "", 0, 0 }, { "", 0, 1 } } },
		{ UINT64_MAX, 2, { { "\0\0\0", 3, 1 }, { "a\0", 2, 0 } } },
		{ 0, MAXF, { { "1", 1, 0 }, { "2", 1, 1 }, { "3", 1, 0 },
		    { "4", 1, 1 }, { "5", 1, 0 }, { "6", 1, 0 }, { "7", 1, 1 },
		    { "8", 1, 1 }, { "9", 1, 0 }, { "10", 2, 0 },
		    { "11", 2, 0 }, { "12", 2, 1 }, { "13", 2, 0 },
		    { "14", 2, 0 }, { "15", 2, 1 }, { "", 0, 1 } } },
		/* any nonzero flag is "quoted": read back as 1 */
		{ 4, 2, { { "\"quoted, with\r\nnewline\"", 23, 0xff },
		    { "x", 1, 2 } } },
	};
	struct buf b;
	uint32_t nrows = sizeof(rows) / sizeof(rows[0]), k;

	buf_init(&b, 0);
	build_sample(&b);
	check_round_trip(&b, 7, 1001, "prices.csv", sample_header, 3,
	    sample_rows, 4);
	for (k = 0; k <= nrows; k++) {
		build(&b, k, 10 * k + 1, "shapes.csv", sample_header, k % 4,
		    rows, k);
		check_round_trip(&b, k, 10 * k + 1, "shapes.csv", sample_header,
		    k % 4, rows, k);
	}
	buf_free(&b);
}
END_TEST

START_TEST(round_trip_random)
{
	enum { CHUNKS = 300 };
	uint64_t seed = UINT64_C(0x9E3779B97F4A7C15);
	static char pool[MAXF * 4][40];
	static struct trow rows[40];
	struct field header[MAXF];
	struct buf b;
	uint32_t ncols, nrows, i, j, k;
	char source[32];
	int iter;

	buf_init(&b, 0);
	for (i = 0; i < MAXF * 4; i++) {
		uint32_t len = (uint32_t)(rng(&seed) % (sizeof(pool[i]) - 1));

		for (j = 0; j < len; j++)
			pool[i][j] = (char)(rng(&seed) & 0xFF); /* NULs too */
		pool[i][len] = '\0';
	}
	for (iter = 0; iter < CHUNKS; iter++) {
		ncols = (uint32_t)(rng(&seed) % (MAXF + 1));
		nrows = (uint32_t)(rng(&seed) % 40);
		for (i = 0; i < ncols; i++) {
			k = (uint32_t)(rng(&seed) % (MAXF * 4));
			header[i].s = pool[k];
			header[i].len = (uint32_t)(rng(&seed) % 40);
			header[i].quoted = (unsigned char)(rng(&seed) & 1);
		}
		for (i = 0; i < nrows; i++) {
			rows[i].line = rng(&seed);
			rows[i].n = (uint32_t)(rng(&seed) % (MAXF + 1));
			for (j = 0; j < rows[i].n; j++) {
				k = (uint32_t)(rng(&seed) % (MAXF * 4));
				rows[i].f[j].s = pool[k];
				rows[i].f[j].len = (uint32_t)(rng(&seed) % 40);
				rows[i].f[j].quoted =
				    (unsigned char)(rng(&seed) % 3 == 0);
			}
		}
		snprintf(source, sizeof(source), "in-%d.csv", iter);
		build(&b, (uint64_t)iter, 40 * (uint64_t)iter + 1, source,
		    header, ncols, rows, nrows);
		check_round_trip(&b, (uint64_t)iter, 40 * (uint64_t)iter + 1,
		    source, header, ncols, rows, nrows);
	}
	buf_free(&b);
}
END_TEST

/* Huge field counts: a 70000-column header and a 200000-field row. */
START_TEST(round_trip_huge_counts)
{
	enum { COLS = 70000, WIDE = 200000 };
	struct field *h = calloc(COLS, sizeof(*h));
	struct field *f = calloc(WIDE, sizeof(*f));
	struct field *got = calloc(WIDE, sizeof(*got));
	struct field small[2];
	unsigned char *data;
	struct chunk c;
	struct buf b;
	uint64_t line;
	uint32_t i, n;

	ck_assert(h && f && got);
	for (i = 0; i < COLS; i++) {
		h[i].s = (i % 2) ? "col" : "";
		h[i].len = (i % 2) ? 3 : 0;
	}
	for (i = 0; i < WIDE; i++) {
		f[i].s = (i % 3) ? "v" : "";
		f[i].len = (i % 3) ? 1 : 0;
		f[i].quoted = i % 5 == 0 || i % 7 == 0;
	}
	buf_init(&b, 0);
	ck_assert_int_eq(chunk_begin(&b, 1, 1, "wide.csv", h, COLS), 0);
	ck_assert_int_eq(chunk_add_row(&b, 2, f, WIDE), 0);
	ck_assert_int_eq(chunk_add_row(&b, 3, f, 2), 0);
	chunk_finish(&b, 2, 3);
	data = exact_copy(b.data, b.len);

	/* Too few names: refused, not overrun. */
	ck_assert_int_eq(chunk_open(&c, data, b.len, small, 2), -1);
	ck_assert_int_eq(chunk_open(&c, data, b.len, got, COLS), 0);
	ck_assert_uint_eq(c.ncols, COLS);
	for (i = 0; i < COLS; i++) {
		assert_inside(&got[i], data, data + b.len);
		REQUIRE_MSG(got[i].len == h[i].len, "name %u", i);
	}
	ck_assert_uint_eq(c.width, WIDE);
	/* A row wider than the room given: -1, not an overrun... */
	{
		struct chunk c2 = c;

		ck_assert_int_eq(chunk_next_row(&c2, &line, got, WIDE - 1, &n),
		    -1);
	}
	/* ...and skipped when fields is NULL. */
	{
		struct chunk c3 = c;

		ck_assert_int_eq(chunk_next_row(&c3, &line, NULL, 0, &n), 1);
		ck_assert_uint_eq(n, WIDE);
		ck_assert_uint_eq(line, 2);
		ck_assert_int_eq(chunk_next_row(&c3, &line, small, 2, &n), 1);
		ck_assert_uint_eq(line, 3);
	}
	ck_assert_int_eq(chunk_next_row(&c, &line, got, WIDE, &n), 1);
	ck_assert_uint_eq(n, WIDE);
	for (i = 0; i < WIDE; i++) {
		assert_inside(&got[i], data, data + b.len);
		REQUIRE_MSG(got[i].len == f[i].len &&
		    got[i].quoted == f[i].quoted, "field %u", i);
	}
	ck_assert_int_eq(chunk_next_row(&c, &line, got, WIDE, &n), 1);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(chunk_next_row(&c, &line, got, WIDE, &n), 0);
	free(data);
	buf_free(&b);
	free(h);
	free(f);
	free(got);
}
END_TEST

/* The width is there at chunk_open, before the widest row (the third)
 * is read, and reading it moves nothing. */
START_TEST(width_before_rows)
{
	struct field names[MAXF], fields[MAXF];
	struct chunk c;
	struct buf b;
	uint64_t line;
	uint32_t n;
	const unsigned char *p;

	buf_init(&b, 0);
	build_sample(&b);
	ck_assert_int_eq(chunk_open(&c, b.data, b.len, names, MAXF), 0);
	ck_assert_uint_eq(c.width, 4);
	ck_assert_int_eq(chunk_next_row(&c, &line, fields, MAXF, &n), 1);
	p = c.p;
	ck_assert_uint_eq(c.width, 4);
	ck_assert_ptr_eq(c.p, p);
	ck_assert_int_eq(chunk_next_row(&c, &line, fields, MAXF, &n), 1);
	ck_assert_uint_eq(line, 3);
	buf_free(&b);
}
END_TEST

/* The header's width field, as chunk_add_row leaves it: the header's
 * count, raised by each wider row, never lowered by a narrower one. */
START_TEST(width_in_header)
{
	static const struct field h[2] = { { "a", 1, 0 }, { "b", 1, 0 } };
	static const struct trow r[4] = {
		{ 2, 1, { { "x", 1, 0 } } },
		{ 3, 5, { { "", 0, 0 }, { "", 0, 1 }, { "", 0, 0 },
		    { "", 0, 1 }, { "", 0, 0 } } },
		{ 4, 3, { { "", 0, 1 }, { "", 0, 1 }, { "", 0, 0 } } },
		{ 5, 0, { { NULL, 0, 0 } } },
	};
	static const uint32_t want[5] = { 2, 2, 5, 5, 5 };
	struct buf b;
	uint32_t k, w;

	buf_init(&b, 0);
	for (k = 0; k <= 4; k++) {
		build(&b, 1, 1, "w.csv", h, 2, r, k);
		memcpy(&w, b.data + 32, 4);
		ck_assert_msg(w == want[k], "%u rows: width %u, want %u", k, w,
		    want[k]);
		check_round_trip(&b, 1, 1, "w.csv", h, 2, r, k);
	}
	/* No header: the widest row; none, no rows: 0. */
	build(&b, 1, 1, "w.csv", NULL, 0, r + 2, 2);
	memcpy(&w, b.data + 32, 4);
	ck_assert_uint_eq(w, 3);
	build(&b, 1, 1, "w.csv", NULL, 0, NULL, 0);
	memcpy(&w, b.data + 32, 4);
	ck_assert_uint_eq(w, 0);
	buf_free(&b);
}
END_TEST

/* chunk_sid needs the 8 bytes of a sid, nothing more. */
START_TEST(sid_first)
{
	unsigned char *data;
	uint64_t sid = 0;
	struct buf b;
	size_t cut;

	buf_init(&b, 0);
	build_sample(&b);
	for (cut = 0; cut < 8; cut++) {
		data = exact_copy(b.data, cut);
		ck_assert_int_eq(chunk_sid(data, cut, &sid), -1);
		free(data);
	}
	data = exact_copy(b.data, 8);
	ck_assert_int_eq(chunk_sid(data, 8, &sid), 0);
	ck_assert_uint_eq(sid, 7);
	free(data);
	buf_free(&b);
}
END_TEST

/* Reads path with input_next (--ragged, with or without --no-header),
 * puts every row into one record and reads it back: each row's fields'
 * quoting, "Q" or "F" each, must be want[i]'s. */
static void
check_input_quoting(const char *path, int no_header, const char *const *want,
    uint32_t nwant)
{
	struct field names[MAXF], got[MAXF];
	const struct field *f;
	struct options o;
	struct input in;
	struct chunk c;
	struct buf b;
	uint64_t line;
	uint32_t n, i, j, nrows = 0;
	char q[MAXF + 1];

	memset(&o, 0, sizeof(o));
	o.delim = ',';
	o.ragged = 1;
	o.no_header = no_header;
	buf_init(&b, 0);
	ck_assert_int_eq(input_open(&in, path, &o, 0), 0);
	ck_assert_int_eq(chunk_begin(&b, 1, 1, path, in.header, in.ncols), 0);
	while (input_next(&in, &f, &n, &line) == 1) {
		ck_assert_uint_lt(nrows, nwant);
		for (j = 0; j < n; j++)
			q[j] = f[j].quoted ? 'Q' : 'F';
		q[n] = '\0';
		ck_assert_msg(strcmp(q, want[nrows]) == 0, "input row %u: %s, "
		    "want %s", nrows + 1, q, want[nrows]);
		ck_assert_int_eq(chunk_add_row(&b, line, f, n), 0);
		nrows++;
	}
	ck_assert_uint_eq(nrows, nwant);
	chunk_finish(&b, nrows, line);
	ck_assert_int_eq(chunk_open(&c, b.data, b.len, names, MAXF), 0);
	for (i = 0; i < c.ncols; i++)
		ck_assert_uint_eq(names[i].quoted, 0);
	for (i = 0; i < nrows; i++) {
		ck_assert_int_eq(chunk_next_row(&c, &line, got, MAXF, &n), 1);
		for (j = 0; j < n; j++)
			q[j] = got[j].quoted ? 'Q' : 'F';
		q[n] = '\0';
		ck_assert_msg(strcmp(q, want[i]) == 0, "record row %u: %s, "
		    "want %s", i + 1, q, want[i]);
	}
	ck_assert_int_eq(chunk_next_row(&c, &line, got, MAXF, &n), 0);
	input_close(&in);
	buf_free(&b);
}

START_TEST(input_quoting_round_trip)
{
	static const char csv[] = "\"h1\",h2,h3\r\n"
	    "\"a\",b,\"\"\n"
	    ",\"\",c\n"
	    "\"x\"\n"                   /* short: two padding fields */
	    "\n"
	    "\"\",,,\"long\"\n"         /* long: kept whole */
	    "\"multi\nline\",\"\"\"\",";
	static const char *const rows[] = {
		"QFQ", "FQF", "QFF", "QFFQ", "QQF",
	};
	static const char *const rows_no_header[] = {
		"QFF", "QFQ", "FQF", "QFF", "QFFQ", "QQF",
	};
	char path[128];
	int fd;

	fd = tmpdir_file(path, sizeof(path), "csvpack-unit-record-");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, csv, sizeof(csv) - 1),
	    (ssize_t)(sizeof(csv) - 1));
	close(fd);
	check_input_quoting(path, 0, rows, 5);
	check_input_quoting(path, 1, rows_no_header, 6);
	unlink(path);
}
END_TEST

Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *r = tcase_create("round_trip");

	tcase_set_timeout(r, 60);
	tcase_add_test(r, layout_exact);
	tcase_add_test(r, round_trip_empty);
	tcase_add_test(r, round_trip_shapes);
	tcase_add_test(r, round_trip_random);
	tcase_add_test(r, round_trip_huge_counts);
	tcase_add_test(r, width_before_rows);
	tcase_add_test(r, width_in_header);
	tcase_add_test(r, sid_first);
	tcase_add_test(r, input_quoting_round_trip);
	suite_add_tcase(s, r);
	return s;
}
