/*
 * csv.h - a streaming CSV reader: RFC 4180 and what real files do.
 *
 * It pulls bytes from a source in chunks of any size and hands out one row
 * at a time; it never holds more than one row (bounded by max_row) plus one
 * read buffer.  It accepts LF, CRLF and lone-CR line ends; quoted fields
 * with delimiters, doubled quotes, CR and LF inside; a leading UTF-8 BOM
 * (skipped); blank lines (skipped, still counted); a last line without a
 * newline; a quote inside an unquoted field (literal).  It rejects an
 * unterminated quoted field, text after a closing quote, invalid UTF-8 (when
 * asked to check) and a row longer than max_row bytes.
 *
 * Each row carries the physical line (1-based) where it starts: every LF,
 * every CR not followed by LF and every CRLF ends one line, inside quotes
 * too.  And per field whether it was quoted: `""` is a quoted empty field,
 * nothing between two delimiters an unquoted one (--null tells them apart).
 */
#ifndef CSVPACK_CSV_H
#define CSVPACK_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A byte source: read up to n bytes into buf; return the count, 0 at end,
 * or -1 with errno set (EILSEQ for undecodable input). */
struct csv_source {
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	void *ctx;
};

struct csv_row {
	uint64_t line;        /* physical line where the row starts */
	uint64_t end_line;    /* and where it ends (a quoted line end inside) */
	size_t nfields;
	const char **field;   /* field[i]: NUL-terminated, may contain NULs */
	const size_t *len;    /* len[i]: bytes of field[i], NUL excluded */
	const unsigned char *quoted; /* quoted[i]: 1 if field i was quoted */
};

enum csv_status {
	CSV_ROW = 1,
	CSV_EOF = 0,
	CSV_EDATA = -1, /* bad input: csv_error() says what, csv_error_line() where */
	CSV_EIO = -2,   /* the source failed (errno kept in csv_errno()) */
	CSV_ENOMEM = -3,
};

struct csv_reader;

/* delim: the field separator (not '"', CR or LF).  check_utf8: reject rows
 * that are not valid UTF-8.  max_row: the most bytes of field data one row
 * may hold (0 = no limit). */
struct csv_reader *csv_reader_new(struct csv_source src, char delim,
    int check_utf8, size_t max_row);
void csv_reader_free(struct csv_reader *r);

/* Reads the next row into *row (valid until the next call).  Returns
 * CSV_ROW, CSV_EOF or a negative csv_status. */
int csv_read_row(struct csv_reader *r, struct csv_row *row);

const char *csv_error(const struct csv_reader *r);
uint64_t csv_error_line(const struct csv_reader *r);
int csv_errno(const struct csv_reader *r);
/* Bytes consumed from the source so far. */
uint64_t csv_bytes_read(const struct csv_reader *r);

/* A source on a file descriptor; retries EINTR.  ctx: int *. */
ssize_t csv_fd_read(void *ctx, void *buf, size_t n);

#endif
