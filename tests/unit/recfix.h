/*
 * recfix.h - what the CHUNK record tests share (test_record.c,
 * test_record_bad.c): rows as the tests describe them (each field quoted
 * or not), records built from them, the sample record, heap copies of
 * exactly a record's length and the check that a field handed out lies
 * inside one.
 */
#ifndef CSVPACK_RECFIX_H
#define CSVPACK_RECFIX_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_helpers.h"

#include "buf.h"
#include "record.h"

#define MAXF 16

/* A row as the tests describe it. */
struct trow {
	uint64_t line;
	uint32_t n;
	struct field f[MAXF];
};

/* A heap copy of exactly n bytes (1 if n is 0, so it is never NULL). */
static inline unsigned char *
exact_copy(const void *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

/* A field handed out by the reader must lie inside [lo, hi), NUL too. */
static inline void
assert_inside(const struct field *f, const unsigned char *lo,
    const unsigned char *hi)
{
	const unsigned char *s = (const unsigned char *)f->s;

	REQUIRE_MSG(s >= lo && s < hi && (size_t)(hi - s) > f->len,
	    "field of %u bytes at offset %td outside a %td-byte record",
	    f->len, s - lo, hi - lo);
	REQUIRE_MSG(s[f->len] == '\0', "field without its NUL");
}

static inline void
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
		REQUIRE_MSG(chunk_add_row(b, rows[i].line, rows[i].f,
		    rows[i].n) == 0, "chunk_add_row failed");
		REQUIRE_MSG(b->len - before ==
		    chunk_row_size(rows[i].f, rows[i].n),
		    "chunk_row_size disagrees with chunk_add_row");
	}
	chunk_finish(b, nrows, nrows ? rows[nrows - 1].line : 0);
}

/* A record with a bit of everything: quoted and unquoted fields, empty
 * ones of both kinds (`""` and nothing). */
static const struct field sample_header[3] = {
	{ "ticker", 6, 0 }, { "", 0, 0 }, { "a\0b", 3, 0 },
};
static const struct trow sample_rows[4] = {
	{ 2, 3, { { "ACME", 4, 1 }, { "12.5", 4, 0 }, { "", 0, 1 } } },
	{ 3, 0, { { NULL, 0, 0 } } },
	{ 5, 4, { { "x", 1, 0 }, { "", 0, 0 }, { "n\0ul", 4, 1 },
	    { "last", 4, 0 } } },
	{ 9, 1, { { "\xe8\x82\xa1", 3, 1 } } },
};

static inline void
build_sample(struct buf *b)
{
	build(b, 7, 1001, "prices.csv", sample_header, 3, sample_rows, 4);
}

#endif
