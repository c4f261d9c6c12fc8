/*
 * csv.c - the streaming CSV reader; see csv.h for what it accepts.
 *
 * A state machine over bytes, fed from a read buffer that is refilled
 * whenever it runs dry, so a row, a quoted field or a CRLF may straddle any
 * number of reads.  Runs of ordinary bytes are copied as spans found with a
 * byte-class table; only delimiters, quotes and line ends go through the
 * switch.  Field bytes collect in one buffer, each field followed by a NUL,
 * so callers get C strings without another copy.  Whether a field was
 * quoted is one byte stored as the field begins (S_FIELD_START), so the
 * spans pay nothing for it.
 *
 * Line counting is one rule applied to every byte consumed, quoted or not:
 * CR ends a line; LF ends a line unless it follows a CR.  So the LF of a
 * CRLF that ended a row, reaching the row-start state, reads as a blank
 * line and is skipped without counting: no "expect LF" state is needed.
 */
#include "csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "utf8.h"

#define CSV_READ_SIZE (256 * 1024)

enum state {
	S_ROW_START,   /* between rows: blank lines are skipped here */
	S_FIELD_START, /* a row has begun; a field begins at the next byte */
	S_UNQUOTED,
	S_QUOTED,
	S_QUOTE_SEEN,  /* a quote inside a quoted field: the end, or doubled */
};

enum byte_class { C_PLAIN, C_DELIM, C_QUOTE, C_NEWLINE };

struct csv_reader {
	struct csv_source src;
	int check_utf8;
	unsigned char delim;
	size_t max_row;
	unsigned char cls[256];

	unsigned char *in;
	size_t in_pos, in_len;
	int eof, started;
	uint64_t bytes;

	enum state state;
	uint64_t line;       /* the line of the next byte */
	int prev_cr;
	uint64_t row_line;
	uint64_t row_end;    /* the line where the row ends */

	struct buf fields;   /* field bytes, each followed by a NUL */
	size_t *start;       /* start[i]: offset of field i in fields */
	const char **ptr;    /* the row handed out */
	size_t *len;
	unsigned char *quoted; /* quoted[i]: field i began with a quote */
	size_t nfields, cap_fields;

	int status;          /* sticky error */
	int err_errno;
	uint64_t err_line;
	char err[160];
};

struct csv_reader *
csv_reader_new(struct csv_source src, char delim, int check_utf8,
    size_t max_row)
{
	struct csv_reader *r;

	if (delim == '"' || delim == '\r' || delim == '\n') {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->in = malloc(CSV_READ_SIZE);
	r->cap_fields = 64;
	r->start = malloc(r->cap_fields * sizeof(*r->start));
	r->ptr = malloc(r->cap_fields * sizeof(*r->ptr));
	r->len = malloc(r->cap_fields * sizeof(*r->len));
	r->quoted = malloc(r->cap_fields);
	if (!r->in || !r->start || !r->ptr || !r->len || !r->quoted) {
		csv_reader_free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->src = src;
	r->check_utf8 = check_utf8;
	r->max_row = max_row;
	r->delim = (unsigned char)delim;
	r->cls[(unsigned char)delim] = C_DELIM;
	r->cls['"'] = C_QUOTE;
	r->cls['\r'] = C_NEWLINE;
	r->cls['\n'] = C_NEWLINE;
	r->line = 1;
	buf_init(&r->fields, 0);
	return r;
}

void
csv_reader_free(struct csv_reader *r)
{
	if (!r)
		return;
	buf_free(&r->fields);
	free(r->start);
	free(r->ptr);
	free(r->len);
	free(r->quoted);
	free(r->in);
	free(r);
}

const char *
csv_error(const struct csv_reader *r)
{
	return r->err;
}

uint64_t
csv_error_line(const struct csv_reader *r)
{
	return r->err_line;
}

int
csv_errno(const struct csv_reader *r)
{
	return r->err_errno;
}

uint64_t
csv_bytes_read(const struct csv_reader *r)
{
	return r->bytes;
}

ssize_t
csv_fd_read(void *ctx, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(*(int *)ctx, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
fail(struct csv_reader *r, int status, uint64_t line, const char *what)
{
	r->status = status;
	r->err_line = line;
	r->err_errno = errno;
	snprintf(r->err, sizeof(r->err), "%s", what);
	return status;
}

/* Reads more input after in_len.  Returns 1 if bytes came, 0 at the end,
 * or CSV_EIO. */
static int
fill(struct csv_reader *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->in_pos == r->in_len)
		r->in_pos = r->in_len = 0;
	/* EINTR is not retried here: the source decides (a stage's source
	 * returns it only when a stop signal came). */
	n = r->src.read(r->src.ctx, r->in + r->in_len,
	    CSV_READ_SIZE - r->in_len);
	if (n < 0)
		return fail(r, CSV_EIO, r->line, errno == EILSEQ ?
		    "input cannot be decoded in the given encoding" :
		    strerror(errno));
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->in_len += (size_t)n;
	r->bytes += (uint64_t)n;
	return 1;
}

/* Skips a UTF-8 byte order mark at the very start of the input. */
static int
skip_bom(struct csv_reader *r)
{
	int rc;

	r->started = 1;
	while (r->in_len < 3) {
		rc = fill(r);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
	}
	if (r->in_len >= 3 && memcmp(r->in, "\xEF\xBB\xBF", 3) == 0)
		r->in_pos = 3;
	return 0;
}

static void
count_newline(struct csv_reader *r, unsigned char c)
{
	if (c == '\r' || !r->prev_cr)
		r->line++;
	r->prev_cr = c == '\r';
}

static int
append(struct csv_reader *r, const unsigned char *p, size_t n)
{
	/* fields.len counts one NUL per finished field: not data. */
	if (r->max_row && r->fields.len - r->nfields + n > r->max_row) {
		char what[120];

		snprintf(what, sizeof(what), "row is longer than %zu bytes",
		    r->max_row);
		errno = EFBIG;
		return fail(r, CSV_EDATA, r->row_line, what);
	}
	if (buf_append(&r->fields, p, n) < 0)
		return fail(r, CSV_ENOMEM, r->row_line, "out of memory");
	return 0;
}

static int
grow_fields(struct csv_reader *r)
{
	size_t cap = r->cap_fields * 2;
	size_t *s, *l;
	const char **p;
	unsigned char *q;

	s = realloc(r->start, cap * sizeof(*s));
	if (s)
		r->start = s;
	p = realloc(r->ptr, cap * sizeof(*p));
	if (p)
		r->ptr = p;
	l = realloc(r->len, cap * sizeof(*l));
	if (l)
		r->len = l;
	q = realloc(r->quoted, cap);
	if (q)
		r->quoted = q;
	if (!s || !p || !l || !q)
		return fail(r, CSV_ENOMEM, r->row_line, "out of memory");
	r->cap_fields = cap;
	return 0;
}

static int
end_field(struct csv_reader *r)
{
	if (r->nfields + 1 >= r->cap_fields && grow_fields(r) < 0)
		return r->status;
	if (buf_append(&r->fields, "", 1) < 0)
		return fail(r, CSV_ENOMEM, r->row_line, "out of memory");
	r->nfields++;
	r->start[r->nfields] = r->fields.len;
	return 0;
}

/* Hands out the finished row. */
static int
emit(struct csv_reader *r, struct csv_row *row)
{
	size_t i;

	if (r->check_utf8 && !utf8_valid(r->fields.data, r->fields.len)) {
		errno = EILSEQ;
		return fail(r, CSV_EDATA, r->row_line, "invalid UTF-8");
	}
	for (i = 0; i < r->nfields; i++) {
		r->ptr[i] = (const char *)r->fields.data + r->start[i];
		r->len[i] = r->start[i + 1] - r->start[i] - 1;
	}
	row->line = r->row_line;
	row->end_line = r->row_end;
	row->nfields = r->nfields;
	row->field = r->ptr;
	row->len = r->len;
	row->quoted = r->quoted;
	r->state = S_ROW_START;
	return CSV_ROW;
}

static int
at_eof(struct csv_reader *r, struct csv_row *row)
{
	switch (r->state) {
	case S_ROW_START:
		return CSV_EOF;
	case S_QUOTED:
		errno = 0;
		return fail(r, CSV_EDATA, r->row_line,
		    "unterminated quoted field");
	case S_FIELD_START: /* "a," at the end: an empty unquoted field */
		r->quoted[r->nfields] = 0;
		/* FALLTHROUGH */
	default:
		if (end_field(r) < 0)
			return r->status;
		r->row_end = r->line; /* a last line without a newline */
		return emit(r, row);
	}
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Nonzero if a byte of x equals the byte repeated in pattern.  The lowest
 * set bit marks the first such byte exactly: the borrow that can raise a
 * false bit only travels upwards, past a true one. */
static inline uint64_t
has_byte(uint64_t x, uint64_t pattern)
{
	uint64_t v = x ^ pattern;

	return (v - ONES) & ~v & HIGHS;
}

/* Where the run of ordinary bytes from q ends: at the first stop byte (the
 * delimiter, or the quote), CR or LF.  Eight bytes at a time, as memchr
 * does, then byte by byte. */
static const unsigned char *
span_end(const struct csv_reader *r, const unsigned char *q,
    const unsigned char *end, unsigned char stop_byte, int stop)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t a = ONES * stop_byte, cr = ONES * '\r', lf = ONES * '\n';
	uint64_t x, hit;

	while (end - q >= 8) {
		memcpy(&x, q, 8);
		hit = has_byte(x, a) | has_byte(x, cr) | has_byte(x, lf);
		if (hit)
			return q + __builtin_ctzll(hit) / 8;
		q += 8;
	}
#else
	(void)stop_byte;
#endif
	while (q < end && r->cls[*q] != stop && r->cls[*q] != C_NEWLINE)
		q++;
	return q;
}

/* Copies the run of ordinary bytes at in_pos.  Unquoted, a run ends at a
 * delimiter or line end; quoted, at a quote or line end. */
static int
copy_span(struct csv_reader *r, int quoted)
{
	const unsigned char *p = r->in + r->in_pos, *end = r->in + r->in_len;
	const unsigned char *q;

	q = quoted ? span_end(r, p, end, '"', C_QUOTE) :
	    span_end(r, p, end, r->delim, C_DELIM);
	if (q == p)
		return 0;
	r->prev_cr = 0;
	r->in_pos += (size_t)(q - p);
	return append(r, p, (size_t)(q - p));
}

static void
begin_row(struct csv_reader *r)
{
	r->row_line = r->line;
	r->nfields = 0;
	r->start[0] = 0;
	buf_reset(&r->fields);
	r->state = S_FIELD_START;
}

/* One step of the machine on byte c (not yet consumed).  Returns 1 when a
 * row is complete, 0 to go on, or a negative status. */
static int
step(struct csv_reader *r, unsigned char c)
{
	int cls = r->cls[c];

	switch (r->state) {
	case S_ROW_START:
		if (cls != C_NEWLINE) {
			begin_row(r);
			return 0;
		}
		count_newline(r, c);
		r->in_pos++;
		return 0;
	case S_FIELD_START:
		r->quoted[r->nfields] = cls == C_QUOTE;
		if (cls == C_QUOTE) {
			r->prev_cr = 0;
			r->in_pos++;
			r->state = S_QUOTED;
			return 0;
		}
		r->state = S_UNQUOTED;
		if (cls == C_PLAIN)
			return copy_span(r, 0);
		break; /* a delimiter or line end: an empty field */
	case S_UNQUOTED:
		if (cls == C_PLAIN || cls == C_QUOTE) /* a quote here is literal */
			return copy_span(r, 0);
		break;
	case S_QUOTED:
		if (cls == C_QUOTE) {
			r->prev_cr = 0;
			r->in_pos++;
			r->state = S_QUOTE_SEEN;
			return 0;
		}
		if (cls == C_NEWLINE) {
			count_newline(r, c);
			r->in_pos++;
			return append(r, &c, 1);
		}
		return copy_span(r, 1);
	case S_QUOTE_SEEN:
		if (cls == C_QUOTE) {
			r->prev_cr = 0;
			r->in_pos++;
			r->state = S_QUOTED;
			return append(r, &c, 1);
		}
		if (cls == C_PLAIN) {
			errno = 0;
			return fail(r, CSV_EDATA, r->row_line,
			    "text after a closing quote");
		}
		break;
	}
	/* A delimiter or a line end closes the field. */
	r->in_pos++;
	if (end_field(r) < 0)
		return r->status;
	if (cls == C_DELIM) {
		r->prev_cr = 0;
		r->state = S_FIELD_START;
		return 0;
	}
	r->row_end = r->line;
	count_newline(r, c);
	return 1;
}

int
csv_read_row(struct csv_reader *r, struct csv_row *row)
{
	int rc;

	if (r->status)
		return r->status;
	if (!r->started && (rc = skip_bom(r)) < 0)
		return rc;
	for (;;) {
		if (r->in_pos == r->in_len) {
			rc = fill(r);
			if (rc < 0)
				return rc;
			if (rc == 0)
				return at_eof(r, row);
		}
		rc = step(r, r->in[r->in_pos]);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return emit(r, row);
	}
}
