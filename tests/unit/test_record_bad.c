/*
 * test_record_bad.c - CHUNK records (common/record.h) that are bad: the
 * reader must refuse them or at least never leave them.
 *
 * Every record read here sits in a heap block of exactly its length, so
 * any read past its end is caught by the sanitizer build (`make
 * build/san/tests/unit-tests SANITIZE=1`), and every field handed out is
 * checked to lie inside the block with its NUL.  For every prefix of a
 * valid record, reading must stay in bounds (truncate_in_bounds) and must
 * fail somewhere - chunk_open or chunk_next_row returning -1
 * (truncate_rejected): a record cut short is bad, record.h says, even
 * when the cut falls between two rows.  Every length field (source,
 * names, nfields, values, ncols) set to values past the end must be
 * rejected, and so must a width that is not the widest row's and a
 * field's flags byte with a bit other than FIELD_QUOTED; every byte
 * of a record set to 0x00, 0xFF, 0x7F or flipped must never lead to a
 * read out of bounds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "buf.h"
#include "recfix.h"
#include "record.h"

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
	REQUIRE_MSG(c.ncols <= max, "ncols %u > max %u", c.ncols, max);
	assert_inside(&c.source, data, data + len);
	for (i = 0; i < c.ncols; i++)
		assert_inside(&names[i], data, data + len);
	while ((rc = chunk_next_row(&c, &line, fields, max, &n)) == 1) {
		REQUIRE_MSG(n <= max, "nfields %u > max %u", n, max);
		for (i = 0; i < n; i++)
			assert_inside(&fields[i], data, data + len);
		rows++;
		REQUIRE_MSG(rows <= len, "more rows than bytes");
	}
	return rc < 0 ? -1 : (int)rows;
}

/* Offsets of the u32 length fields of a record, found by walking the
 * layout record.h documents (so the walk checks that layout too).
 * kind: 'c' ncols, 's' a string's length, 'n' a row's nfields.  With
 * flags, the offsets of the row fields' flags bytes go there too
 * (*nflags of them). */
static size_t
length_offsets_flags(const unsigned char *p, size_t len, size_t *off,
    char *kind, size_t cap, size_t *flags, size_t *nflags)
{
	size_t at = 8, k = 0;
	uint32_t ncols, nrows, v, i, j, nf;

	ck_assert_uint_ge(len, 32);
	memcpy(&ncols, p + 24, 4);
	memcpy(&nrows, p + 28, 4);
	off[k] = 24, kind[k++] = 'c';
	at = 36; /* past width */
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
			at += 4;
			ck_assert_uint_le(p[at], FIELD_QUOTED);
			if (flags) {
				ck_assert_uint_lt(*nflags, cap);
				flags[(*nflags)++] = at;
			}
			at += 1 + (size_t)v;
			ck_assert_int_eq(p[at], '\0');
			at++;
		}
		ck_assert_uint_lt(k, cap);
	}
	ck_assert_uint_eq(at, len); /* nothing else in the record */
	return k;
}

static size_t
length_offsets(const unsigned char *p, size_t len, size_t *off, char *kind,
    size_t cap)
{
	return length_offsets_flags(p, len, off, kind, cap, NULL, NULL);
}

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
		memcpy(b.data + 28, &nrows, 4);
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

/* A flags byte is FIELD_QUOTED or 0: any other bit is a bad record, on
 * every field of the sample; either good value reads. */
START_TEST(corrupt_flags_rejected)
{
	static const unsigned char bad[] = { 2, 3, 0x80, 0x81, 0xFE, 0xFF };
	struct buf b;
	size_t off[128], flags[128], nflags = 0, i, v;
	char kind[128];
	unsigned char *data, orig;

	buf_init(&b, 0);
	build_sample(&b);
	length_offsets_flags(b.data, b.len, off, kind, 128, flags, &nflags);
	ck_assert_uint_eq(nflags, 3 + 0 + 4 + 1);
	for (i = 0; i < nflags; i++) {
		orig = b.data[flags[i]];
		for (v = 0; v < sizeof(bad); v++) {
			b.data[flags[i]] = bad[v];
			data = exact_copy(b.data, b.len);
			ck_assert_msg(read_all(data, b.len, MAXF) == -1,
			    "flags byte at %zu set to 0x%02x not refused",
			    flags[i], bad[v]);
			free(data);
		}
		b.data[flags[i]] = orig ^ FIELD_QUOTED;
		data = exact_copy(b.data, b.len);
		ck_assert_int_eq(read_all(data, b.len, MAXF), 4);
		free(data);
		b.data[flags[i]] = orig;
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

/* A width that is not the widest row's: below the header's count, below
 * a row's (refused at that row), above every row's (refused at the end),
 * or more than the record's bytes could hold (refused at chunk_open, so
 * a reader may allocate width fields). */
START_TEST(corrupt_width_rejected)
{
	static const uint32_t bad[] = { 0, 2, 3, 5, 6, 1000,
	    UINT32_C(0x80000000), UINT32_MAX };
	struct field names[MAXF];
	unsigned char *data;
	struct chunk c;
	struct buf b;
	size_t i;
	uint32_t w;

	buf_init(&b, 0);
	build_sample(&b);
	memcpy(&w, b.data + 32, 4);
	ck_assert_uint_eq(w, 4);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b.data + 32, &bad[i], 4);
		data = exact_copy(b.data, b.len);
		ck_assert_msg(read_all(data, b.len, 1024) == -1,
		    "width %" PRIu32 " (4 is right) not refused", bad[i]);
		free(data);
	}
	for (i = 5; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b.data + 32, &bad[i], 4);
		ck_assert_int_eq(chunk_open(&c, b.data, b.len, names, MAXF), -1);
	}
	/* No rows: the width is the header's. */
	build(&b, 1, 1, "s", sample_header, 3, NULL, 0);
	w = 4;
	memcpy(b.data + 32, &w, 4);
	ck_assert_int_eq(chunk_open(&c, b.data, b.len, names, MAXF), -1);
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
	memcpy(b.data + 32, &v, 4);
	{
		unsigned char *data = exact_copy(b.data, b.len);

		ck_assert_int_eq(chunk_open(&c, data, b.len, names, 1024), -1);
		free(data);
	}
	buf_free(&b);
}
END_TEST


Suite *
record_bad_suite(void)
{
	Suite *s = suite_create("record_bad");
	TCase *h = tcase_create("hostile");

	tcase_set_timeout(h, 60);
	tcase_add_test(h, truncate_in_bounds);
	tcase_add_test(h, truncate_rejected);
	tcase_add_test(h, nrows_mismatch_rejected);
	tcase_add_test(h, corrupt_lengths_rejected);
	tcase_add_test(h, corrupt_flags_rejected);
	tcase_add_test(h, corrupt_bytes_in_bounds);
	tcase_add_test(h, corrupt_width_rejected);
	tcase_add_test(h, corrupt_ncols);
	suite_add_tcase(s, h);
	return s;
}
