/*
 * record.h - what the producer puts in the ring and the converter takes out.
 *
 * A CHUNK record is one future XML document: up to R data rows of one
 * input, with the input's name and header.  Its rows are consecutive data
 * rows of the input, the first being number first_row (from 1, the header
 * not counted): the journal tracks documents by these numbers.  Layout
 * (native byte order: the ring never leaves the host), each string
 * followed by a NUL so readers use it in place:
 *
 *   u64 sid, u64 first_row, u64 last_line, u32 ncols, u32 nrows, u32 width
 *   u32 len, source[len], NUL
 *   ncols x { u32 len, name[len], NUL }
 *   nrows x { u64 line, u32 nfields,
 *             nfields x { u32 len, u8 flags, value[len], NUL } }
 *
 * flags: FIELD_QUOTED if the field was quoted in the input (a quoted
 * field is never null, --null); no other bit may be set.
 *
 * width is the widest row's field count, the header counted as a row: the
 * document's columns, known before its first row, so the converter reads
 * each record once.  The producer's chunk_add_row keeps it up to date;
 * chunk_finish patches nrows in, and last_line: the physical line where
 * the last row ends (the journal records the lines a document spans, so
 * that `csvpack locate --line` finds any line of a multi-line row).
 *
 * An END record (u32 flags) closes the stream.  The reader checks every
 * length against the record's end, and width against the rows: a bad
 * record is an error, never a read out of bounds.
 */
#ifndef CSVPACK_RECORD_H
#define CSVPACK_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ring.h"

enum record_type {
	REC_CHUNK = RING_USER,
	REC_END,
};

enum field_flags {
	FIELD_QUOTED = 1,
};

enum end_flags {
	END_INPUT_FAILED = 1, /* an input was bad or unreadable: it stops here */
};

/* A field as the converter sees it: bytes and length, NUL-terminated,
 * and whether it was quoted in the input (a header name, a padding field:
 * 0). */
struct field {
	const char *s;
	uint32_t len;
	unsigned char quoted;
};

/* Building (producer).  chunk_begin resets b and writes the fixed part;
 * chunk_add_row appends a row (and raises the width when it is wider);
 * chunk_finish patches the row count in. */
int chunk_begin(struct buf *b, uint64_t sid, uint64_t first_row,
    const char *source, const struct field *header, uint32_t ncols);
/* Bytes chunk_add_row would add for a row of these fields. */
size_t chunk_row_size(const struct field *fields, uint32_t nfields);
int chunk_add_row(struct buf *b, uint64_t line, const struct field *fields,
    uint32_t nfields);
void chunk_finish(struct buf *b, uint32_t nrows, uint64_t last_line);

/* Reading (converter). */
struct chunk {
	uint64_t sid;
	uint64_t first_row;
	uint64_t first_line;  /* the first row's line, once it is read */
	uint64_t last_line;   /* where the last row ends */
	uint32_t ncols, nrows;
	uint32_t width;      /* the widest row, the header counted */
	uint32_t rows_read;
	uint32_t widest;     /* the widest row read so far */
	struct field source;
	const unsigned char *p, *end; /* the cursor */
};

/* A record's sid, before anything else is read: 0, or -1 if the record
 * is too short to hold one. */
int chunk_sid(const void *data, size_t len, uint64_t *sid);
/* Parses the fixed part; header names go into names[0..ncols) (the caller
 * gives room for max_cols; more is an error).  Returns 0, or -1 if the
 * record is bad: cut short, or a width below ncols or above what its
 * bytes could hold (so it is safe to allocate width fields). */
int chunk_open(struct chunk *c, const void *data, size_t len,
    struct field *names, uint32_t max_cols);
/* Reads the next row's fields into fields[0..max) and sets *nfields and
 * *line.  Returns 1, 0 after the last of nrows rows, or -1 if the record
 * is bad (cut short, bytes after the last row, a row wider than width, no
 * row as wide as width, or a field's flags unknown) or the row has more
 * than max fields.  fields may be NULL to skip the row. */
int chunk_next_row(struct chunk *c, uint64_t *line, struct field *fields,
    uint32_t max, uint32_t *nfields);

#endif
