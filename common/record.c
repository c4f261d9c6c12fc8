/*
 * record.c - writing and reading CHUNK records; the layout is in record.h.
 * Reading trusts nothing: each length is checked against what is left.
 */
#include "record.h"

#include <string.h>

#define LAST_LINE_OFFSET (8 + 8)
#define NROWS_OFFSET (LAST_LINE_OFFSET + 8 + 4)
#define WIDTH_OFFSET (NROWS_OFFSET + 4)
#define ROW_MIN 12   /* u64 line, u32 nfields */
#define FIELD_MIN 6  /* u32 len, u8 flags, NUL */

static int
put_string(struct buf *b, const char *s, uint32_t len)
{
	if (buf_append_u32(b, len) < 0 || buf_append(b, s, len) < 0 ||
	    buf_append(b, "", 1) < 0)
		return -1;
	return 0;
}

int
chunk_begin(struct buf *b, uint64_t sid, uint64_t first_row,
    const char *source, const struct field *header, uint32_t ncols)
{
	uint32_t i;

	buf_reset(b);
	if (buf_append_u64(b, sid) < 0 || buf_append_u64(b, first_row) < 0 ||
	    buf_append_u64(b, 0) < 0 || buf_append_u32(b, ncols) < 0 || buf_append_u32(b, 0) < 0 ||
	    buf_append_u32(b, ncols) < 0 ||
	    put_string(b, source, (uint32_t)strlen(source)) < 0)
		return -1;
	for (i = 0; i < ncols; i++)
		if (put_string(b, header[i].s, header[i].len) < 0)
			return -1;
	return 0;
}

/* A row's field: its length, its flags, its bytes and a NUL. */
static int
put_value(struct buf *b, const struct field *f)
{
	unsigned char flags = f->quoted ? FIELD_QUOTED : 0;

	if (buf_append_u32(b, f->len) < 0 || buf_append(b, &flags, 1) < 0 ||
	    buf_append(b, f->s, f->len) < 0 || buf_append(b, "", 1) < 0)
		return -1;
	return 0;
}

size_t
chunk_row_size(const struct field *fields, uint32_t nfields)
{
	size_t n = 8 + 4;
	uint32_t i;

	for (i = 0; i < nfields; i++)
		n += 4 + 1 + (size_t)fields[i].len + 1;
	return n;
}

int
chunk_add_row(struct buf *b, uint64_t line, const struct field *fields,
    uint32_t nfields)
{
	uint32_t i, width;

	if (buf_reserve(b, chunk_row_size(fields, nfields)) < 0)
		return -1;
	if (buf_append_u64(b, line) < 0 || buf_append_u32(b, nfields) < 0)
		return -1;
	for (i = 0; i < nfields; i++)
		if (put_value(b, &fields[i]) < 0)
			return -1;
	memcpy(&width, b->data + WIDTH_OFFSET, 4);
	if (nfields > width)
		memcpy(b->data + WIDTH_OFFSET, &nfields, 4);
	return 0;
}

void
chunk_finish(struct buf *b, uint32_t nrows, uint64_t last_line)
{
	memcpy(b->data + LAST_LINE_OFFSET, &last_line, 8);
	memcpy(b->data + NROWS_OFFSET, &nrows, 4);
}

static int
take(struct chunk *c, void *dst, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	memcpy(dst, c->p, n);
	c->p += n;
	return 0;
}

static int
take_string(struct chunk *c, struct field *f)
{
	uint32_t len;

	if (take(c, &len, 4) < 0 || (size_t)(c->end - c->p) < (size_t)len + 1 ||
	    c->p[len] != '\0')
		return -1;
	f->s = (const char *)c->p;
	f->len = len;
	f->quoted = 0;
	c->p += (size_t)len + 1;
	return 0;
}

/* A row's field: take_string with the flags byte between the length and
 * the bytes. */
static int
take_value(struct chunk *c, struct field *f)
{
	uint32_t len;
	unsigned char flags;

	if (take(c, &len, 4) < 0 || take(c, &flags, 1) < 0 ||
	    (flags & ~FIELD_QUOTED) != 0 ||
	    (size_t)(c->end - c->p) < (size_t)len + 1 || c->p[len] != '\0')
		return -1;
	f->s = (const char *)c->p;
	f->len = len;
	f->quoted = flags & FIELD_QUOTED;
	c->p += (size_t)len + 1;
	return 0;
}

int
chunk_sid(const void *data, size_t len, uint64_t *sid)
{
	if (len < 8)
		return -1;
	memcpy(sid, data, 8);
	return 0;
}

/* A width the rows could have: the header's, or that of a row the bytes
 * left could hold. */
static int
width_possible(const struct chunk *c)
{
	if (c->width == c->ncols)
		return 1;
	return c->width > c->ncols && c->nrows > 0 &&
	    (size_t)(c->end - c->p) >= ROW_MIN + (size_t)c->width * FIELD_MIN;
}

int
chunk_open(struct chunk *c, const void *data, size_t len,
    struct field *names, uint32_t max_cols)
{
	uint32_t i;

	c->p = data;
	c->end = c->p + len;
	c->rows_read = 0;
	c->first_line = 0;
	if (take(c, &c->sid, 8) < 0 || take(c, &c->first_row, 8) < 0 ||
	    take(c, &c->last_line, 8) < 0 || take(c, &c->ncols, 4) < 0 || take(c, &c->nrows, 4) < 0 ||
	    take(c, &c->width, 4) < 0 ||
	    take_string(c, &c->source) < 0 || c->ncols > max_cols)
		return -1;
	for (i = 0; i < c->ncols; i++)
		if (take_string(c, &names[i]) < 0)
			return -1;
	c->widest = c->ncols;
	return width_possible(c) ? 0 : -1;
}

int
chunk_next_row(struct chunk *c, uint64_t *line, struct field *fields,
    uint32_t max, uint32_t *nfields)
{
	struct field skipped;
	uint32_t i;

	if (c->rows_read == c->nrows)
		return c->p == c->end && c->widest == c->width ? 0 : -1;
	c->rows_read++;
	if (take(c, line, 8) < 0 || take(c, nfields, 4) < 0 ||
	    *nfields > c->width || (fields && *nfields > max))
		return -1;
	if (c->rows_read == 1)
		c->first_line = *line;
	if (*nfields > c->widest)
		c->widest = *nfields;
	for (i = 0; i < *nfields; i++)
		if (take_value(c, fields ? &fields[i] : &skipped) < 0)
			return -1;
	return 1;
}
