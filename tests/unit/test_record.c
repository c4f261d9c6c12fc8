/*
 * test_record.c - unit tests of CHUNK records (common/record.h): building
 * with chunk_begin / chunk_add_row / chunk_finish, reading with chunk_open
 * / chunk_next_row / chunk_max_fields.
 *
 * The layout is checked byte for byte against the one record.h documents
 * (a record built by hand; sid, first_row, ncols, nrows, ...).  Round
 * trips cover 0..N columns and fields, empty fields, NUL bytes inside
 * names and values, extreme line numbers, a 70000-column header and a
 * 200000-field row, and a few hundred random shapes from a fixed seed.
 *
 * Hostile input: every record read here sits in a heap block of exactly
 * its length, so any read past its end is caught by the sanitizer build
 * (`make build/san/tests/unit-tests SANITIZE=1`), and every field handed
 * out is checked to lie inside the block with its NUL.  For every prefix
 * of a valid record, reading must stay in bounds (truncate_in_bounds) and
 * must fail somewhere - chunk_open, chunk_max_fields or chunk_next_row
 * returning -1 (truncate_rejected): a record cut short is bad, record.h
 * says, even when the cut falls between two rows.  Every length field
 * (source, names, nfields, values, ncols) set to values past the end must
 * be rejected; every byte of a record set to 0x00, 0xFF, 0x7F or flipped
 * must never lead to a read out of bounds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "buf.h"
#include "record.h"

#define MAXF 16

/* Check records the location of every passing ck_assert with a write(2);
 * in the hot loops below only a failure calls into Check. */
#define REQUIRE(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* A row as the tests describe it. */
struct trow {
	uint64_t line;
	uint32_t n;
	struct field f[MAXF];
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

/* A heap copy of exactly n bytes (1 if n is 0, so it is never NULL). */
static unsigned char *
exact_copy(const void *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* A field handed out by the reader must lie inside [lo, hi), NUL too. */
static void
assert_inside(const struct field *f, const unsigned char *lo,
    const unsigned char *hi)
{
	const unsigned char *s = (const unsigned char *)f->s;

	REQUIRE(s >= lo && s < hi && (size_t)(hi - s) > f->len,
	    "field of %u bytes at offset %td outside a %td-byte record",
	    f->len, s - lo, hi - lo);
	REQUIRE(s[f->len] == '\0', "field without its NUL");
}

static void
build(struct buf *b, uint64_t sid, uint64_t first_row, const char *source,
    const struct field *header, uint32_t ncols, const struct trow *rows,
    uint32_t nrows)
{
	uint32_t i;
	size_t before;

	ck_assert_int_eq(chunk_begin(b, sid, first_row, source, header, ncols),
	    0);
	for (i = 0; i < nrows; i++) {
		before = b->len;
		REQUIRE(chunk_add_row(b, rows[i].line, rows[i].f,
		    rows[i].n) == 0, "chunk_add_row failed");
		REQUIRE(b->len - before == chunk_row_size(rows[i].f, rows[i].n),
		    "chunk_row_size disagrees with chunk_add_row");
	}
	chunk_finish(b, nrows);
}

static void
assert_field_eq(const struct field *got, const struct field *want)
{
	REQUIRE(got->len == want->len, "field length %u, want %u", got->len,
	    want->len);
	REQUIRE(want->len == 0 || memcmp(got->s, want->s, want->len) == 0,
	    "field bytes differ");
	REQUIRE(got->s[got->len] == '\0', "field without its NUL");
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
	int64_t width;

	ck_assert_int_eq(chunk_open(&c, data, b->len, names, MAXF), 0);
	ck_assert_uint_eq(c.sid, sid);
	ck_assert_uint_eq(c.first_row, first_row);
	ck_assert_uint_eq(c.ncols, ncols);
	ck_assert_uint_eq(c.nrows, nrows);
	ck_assert_uint_eq(c.source.len, strlen(source));
	ck_assert_str_eq(c.source.s, source);
	for (i = 0; i < ncols; i++) {
		assert_inside(&names[i], data, data + b->len);
		assert_field_eq(&names[i], &header[i]);
	}
	for (i = 0; i < nrows; i++)
		if (rows[i].n > most)
			most = rows[i].n;
	width = chunk_max_fields(&c);
	ck_assert_int_eq(width, most);
	for (i = 0; i < nrows; i++) {
		REQUIRE(chunk_next_row(&c, &line, fields, MAXF, &n) == 1,
		    "row %u not read", i);
		REQUIRE(line == rows[i].line, "row %u: line", i);
		REQUIRE(n == rows[i].n, "row %u: %u fields, want %u", i, n,
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

/* A record with a bit of everything, used by the hostile tests. */
static const struct field sample_header[3] = {
	{ "ticker", 6 }, { "", 0 }, { "a\0b", 3 },
};
static const struct trow sample_rows[4] = {
	{ 2, 3, { { "ACME", 4 }, { "12.5", 4 }, { "", 0 } } },
	{ 3, 0, { { NULL, 0 } } },
	{ 5, 4, { { "x", 1 }, { "", 0 }, { "n\0ul", 4 }, { "last", 4 } } },
	{ 9, 1, { { "\xe8\x82\xa1", 3 } } },
};

static void
build_sample(struct buf *b)
{
	build(b, 7, 1001, "prices.csv", sample_header, 3, sample_rows, 4);
}

/* Reads a (possibly bad) record in full, checking bounds on the way.
 * Returns -1 if any step reported it bad, else the rows read. */
static int
read_all(const unsigned char *data, size_t len, uint32_t max)
{
	static struct field names[1024], fields[1024];
	struct chunk c;
	uint64_t line;
	uint32_t i, n, rows = 0;
	int rc;

	if (max > 1024)
		max = 1024;
	if (chunk_open(&c, data, len, names, max) < 0)
		return -1;
	REQUIRE(c.ncols <= max, "ncols %u > max %u", c.ncols, max);
	assert_inside(&c.source, data, data + len);
	for (i = 0; i < c.ncols; i++)
		assert_inside(&names[i], data, data + len);
	if (chunk_max_fields(&c) < 0)
		return -1;
	while ((rc = chunk_next_row(&c, &line, fields, max, &n)) == 1) {
		REQUIRE(n <= max, "nfields %u > max %u", n, max);
		for (i = 0; i < n; i++)
			assert_inside(&fields[i], data, data + len);
		rows++;
		REQUIRE(rows <= len, "more rows than bytes");
	}
	return rc < 0 ? -1 : (int)rows;
}

/* Offsets of the u32 length fields of a record, found by walking the
 * layout record.h documents (so the walk checks that layout too).
 * kind: 'c' ncols, 's' a string's length, 'n' a row's nfields. */
static size_t
length_offsets(const unsigned char *p, size_t len, size_t *off, char *kind,
    size_t cap)
{
	size_t at = 8, k = 0;
	uint32_t ncols, nrows, v, i, j, nf;

	ck_assert_uint_ge(len, 24);
	memcpy(&ncols, p + 16, 4);
	memcpy(&nrows, p + 20, 4);
	off[k] = 16, kind[k++] = 'c';
	at = 24;
	for (i = 0; i < 1 + ncols; i++) { /* source, then the names */
		memcpy(&v, p + at, 4);
		off[k] = at, kind[k++] = 's';
		at += 4 + (size_t)v;
		ck_assert_int_eq(p[at], '\0');
		at++;
	}
	for (i = 0; i < nrows; i++) {
		at += 8; /* line */
		memcpy(&nf, p + at, 4);
		off[k] = at, kind[k++] = 'n';
		at += 4;
		for (j = 0; j < nf; j++) {
			memcpy(&v, p + at, 4);
			off[k] = at, kind[k++] = 's';
			at += 4 + (size_t)v;
			ck_assert_int_eq(p[at], '\0');
			at++;
		}
		ck_assert_uint_lt(k, cap);
	}
	ck_assert_uint_eq(at, len); /* nothing else in the record */
	return k;
}

/* --- layout and round trips --------------------------------------------- */

START_TEST(layout_exact)
{
	static const struct field h[2] = { { "a", 1 }, { "", 0 } };
	static const struct trow r[1] = { { 2, 2, { { "xy", 2 }, { "\0", 1 } } } };
	struct buf b, want;
	uint64_t u64;
	uint32_t u32;

	buf_init(&b, 0);
	buf_init(&want, 0);
	build(&b, 5, 42, "s.csv", h, 2, r, 1);
	u64 = 5;
	buf_append(&want, &u64, 8);                 /* sid */
	u64 = 42;
	buf_append(&want, &u64, 8);                 /* first_row */
	u32 = 2;
	buf_append(&want, &u32, 4);                 /* ncols */
	u32 = 1;
	buf_append(&want, &u32, 4);                 /* nrows */
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
	buf_append(&want, "xy", 3);
	u32 = 1;
	buf_append(&want, &u32, 4);
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
	ck_assert_uint_eq(b.len, 8 + 8 + 4 + 4 + 4 + 1);
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
		{ 1, 0, { { NULL, 0 } } },
		{ 2, 1, { { "", 0 } } },
		{ 3, 3, { { "", 0 }, { "", 0 }, { "", 0 } } },
		{ UINT64_MAX, 2, { { "\0\0\0", 3 }, { "a\0", 2 } } },
		{ 0, MAXF, { { "1", 1 }, { "2", 1 }, { "3", 1 }, { "4", 1 },
		    { "5", 1 }, { "6", 1 }, { "7", 1 }, { "8", 1 }, { "9", 1 },
		    { "10", 2 }, { "11", 2 }, { "12", 2 }, { "13", 2 },
		    { "14", 2 }, { "15", 2 }, { "", 0 } } },
		{ 4, 1, { { "\"quoted, with\r\nnewline\"", 23 } } },
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
		}
		for (i = 0; i < nrows; i++) {
			rows[i].line = rng(&seed);
			rows[i].n = (uint32_t)(rng(&seed) % (MAXF + 1));
			for (j = 0; j < rows[i].n; j++) {
				k = (uint32_t)(rng(&seed) % (MAXF * 4));
				rows[i].f[j].s = pool[k];
				rows[i].f[j].len = (uint32_t)(rng(&seed) % 40);
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
	}
	buf_init(&b, 0);
	ck_assert_int_eq(chunk_begin(&b, 1, 1, "wide.csv", h, COLS), 0);
	ck_assert_int_eq(chunk_add_row(&b, 2, f, WIDE), 0);
	ck_assert_int_eq(chunk_add_row(&b, 3, f, 2), 0);
	chunk_finish(&b, 2);
	data = exact_copy(b.data, b.len);

	/* Too few names: refused, not overrun. */
	ck_assert_int_eq(chunk_open(&c, data, b.len, small, 2), -1);
	ck_assert_int_eq(chunk_open(&c, data, b.len, got, COLS), 0);
	ck_assert_uint_eq(c.ncols, COLS);
	for (i = 0; i < COLS; i++) {
		assert_inside(&got[i], data, data + b.len);
		REQUIRE(got[i].len == h[i].len, "name %u", i);
	}
	ck_assert_int_eq(chunk_max_fields(&c), WIDE);
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
		REQUIRE(got[i].len == f[i].len, "field %u", i);
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

/* chunk_max_fields does not move the cursor. */
START_TEST(max_fields_keeps_cursor)
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
	ck_assert_int_eq(chunk_next_row(&c, &line, fields, MAXF, &n), 1);
	p = c.p;
	ck_assert_int_eq(chunk_max_fields(&c), 4);
	ck_assert_ptr_eq(c.p, p);
	ck_assert_int_eq(chunk_next_row(&c, &line, fields, MAXF, &n), 1);
	ck_assert_uint_eq(line, 3);
	buf_free(&b);
}
END_TEST

/* --- hostile records ---------------------------------------------------- */

/* Every prefix: reading stays inside the block and never crashes. */
START_TEST(truncate_in_bounds)
{
	struct buf b;
	unsigned char *data;
	size_t cut;
	int rc;

	buf_init(&b, 0);
	build_sample(&b);
	for (cut = 0; cut < b.len; cut++) {
		data = exact_copy(b.data, cut);
		rc = read_all(data, cut, MAXF);
		ck_assert_msg(rc < 4, "prefix of %zu/%zu bytes read as whole",
		    cut, b.len);
		free(data);
	}
	buf_free(&b);
}
END_TEST

/* Every prefix must be refused somewhere: a record cut short is bad,
 * also when the cut falls between two rows (fewer rows than nrows). */
START_TEST(truncate_rejected)
{
	struct buf b;
	unsigned char *data;
	char missed[512];
	size_t cut, o = 0, nmissed = 0;

	buf_init(&b, 0);
	build_sample(&b);
	missed[0] = '\0';
	for (cut = 0; cut < b.len; cut++) {
		data = exact_copy(b.data, cut);
		if (read_all(data, cut, MAXF) != -1) {
			nmissed++;
			if (o < sizeof(missed) - 16)
				o += (size_t)snprintf(missed + o,
				    sizeof(missed) - o, " %zu", cut);
		}
		free(data);
	}
	ck_assert_msg(nmissed == 0, "%zu of %zu prefixes of a %zu-byte record "
	    "read without error; lengths:%s", nmissed, b.len, b.len, missed);
	buf_free(&b);
}
END_TEST

/* nrows disagreeing with the rows present is a bad record. */
START_TEST(nrows_mismatch_rejected)
{
	struct buf b;
	uint32_t nrows;
	unsigned char *data;

	buf_init(&b, 0);
	build_sample(&b);
	for (nrows = 0; nrows < 8; nrows++) {
		if (nrows == 4)
			continue;
		memcpy(b.data + 20, &nrows, 4);
		data = exact_copy(b.data, b.len);
		ck_assert_msg(read_all(data, b.len, MAXF) == -1,
		    "nrows %u (4 rows present) not refused", nrows);
		free(data);
	}
	buf_free(&b);
}
END_TEST

/* Every length field set past the record's end: refused. */
START_TEST(corrupt_lengths_rejected)
{
	struct buf b;
	size_t off[128], n, i, v;
	char kind[128];
	unsigned char *data;
	uint32_t bad[5], orig;

	buf_init(&b, 0);
	build_sample(&b);
	n = length_offsets(b.data, b.len, off, kind, 128);
	ck_assert_uint_eq(n, 1 + 1 + 3 + 4 + (3 + 0 + 4 + 1)); /* walked */
	for (i = 0; i < n; i++) {
		memcpy(&orig, b.data + off[i], 4);
		bad[0] = UINT32_MAX;
		bad[1] = UINT32_MAX - 1;
		bad[2] = UINT32_C(0x80000000);
		bad[3] = (uint32_t)(b.len - off[i]); /* just past the end */
		bad[4] = (uint32_t)(b.len);
		for (v = 0; v < 5; v++) {
			memcpy(b.data + off[i], &bad[v], 4);
			data = exact_copy(b.data, b.len);
			ck_assert_msg(read_all(data, b.len, 1024) == -1,
			    "length field '%c' at %zu set to %" PRIu32
			    " not refused", kind[i], off[i], bad[v]);
			free(data);
		}
		memcpy(b.data + off[i], &orig, 4);
	}
	buf_free(&b);
}
END_TEST

/* Off-by-some lengths and arbitrary byte damage may or may not be
 * detectable, but must never make the reader leave the record. */
START_TEST(corrupt_bytes_in_bounds)
{
	static const int deltas[] = { -2, -1, 1, 2, 12, 13 };
	struct buf b;
	size_t off[128], n, i, k;
	char kind[128];
	unsigned char *data, save;
	uint32_t orig, v;

	buf_init(&b, 0);
	build_sample(&b);
	n = length_offsets(b.data, b.len, off, kind, 128);
	for (i = 0; i < n; i++) {
		memcpy(&orig, b.data + off[i], 4);
		for (k = 0; k < sizeof(deltas) / sizeof(deltas[0]); k++) {
			v = orig + (uint32_t)deltas[k];
			memcpy(b.data + off[i], &v, 4);
			data = exact_copy(b.data, b.len);
			read_all(data, b.len, 1024);
			read_all(data, b.len, 2);
			free(data);
		}
		memcpy(b.data + off[i], &orig, 4);
	}
	for (i = 0; i < b.len; i++) {
		static const unsigned char vals[] = { 0x00, 0xFF, 0x7F, 0x01 };

		save = b.data[i];
		for (k = 0; k < sizeof(vals) + 1; k++) {
			b.data[i] = k < sizeof(vals) ? vals[k] : save ^ 0x80;
			data = exact_copy(b.data, b.len);
			read_all(data, b.len, 1024);
			free(data);
		}
		b.data[i] = save;
	}
	buf_free(&b);
}
END_TEST

/* Header claims more columns than the caller has room for; and more
 * columns than the record holds. */
START_TEST(corrupt_ncols)
{
	struct field names[1024];
	struct chunk c;
	struct buf b;
	uint32_t v;

	buf_init(&b, 0);
	build_sample(&b);
	ck_assert_int_eq(chunk_open(&c, b.data, b.len, names, 2), -1);
	ck_assert_int_eq(chunk_open(&c, b.data, b.len, names, 3), 0);
	v = 1000;
	memcpy(b.data + 16, &v, 4);
	{
		unsigned char *data = exact_copy(b.data, b.len);

		ck_assert_int_eq(chunk_open(&c, data, b.len, names, 1024), -1);
		free(data);
	}
	buf_free(&b);
}
END_TEST

Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *r = tcase_create("round_trip");
	TCase *h = tcase_create("hostile");

	tcase_set_timeout(r, 60);
	tcase_set_timeout(h, 60);
	tcase_add_test(r, layout_exact);
	tcase_add_test(r, round_trip_empty);
	tcase_add_test(r, round_trip_shapes);
	tcase_add_test(r, round_trip_random);
	tcase_add_test(r, round_trip_huge_counts);
	tcase_add_test(r, max_fields_keeps_cursor);
	suite_add_tcase(s, r);

	tcase_add_test(h, truncate_in_bounds);
	tcase_add_test(h, truncate_rejected);
	tcase_add_test(h, nrows_mismatch_rejected);
	tcase_add_test(h, corrupt_lengths_rejected);
	tcase_add_test(h, corrupt_bytes_in_bounds);
	tcase_add_test(h, corrupt_ncols);
	suite_add_tcase(s, h);
	return s;
}
