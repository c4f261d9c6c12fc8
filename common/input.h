/*
 * input.h - one CSV input as a table: a header and rows of checked width.
 *
 * It opens the input by the name the user gave ("-" is stdin), inflates
 * it if it starts with the gzip magic (gz_input.h), decodes it if
 * --encoding or its byte-order mark says so (bom.h: a mark that
 * contradicts --encoding is bad input), else checks it is UTF-8 as it
 * streams (encoding_hint.h: a bad byte is said with its column, and the
 * encodings that would read it on a line of its own), reads the header (or, with --no-header, takes the
 * first row's width and leaves every name empty, which later becomes
 * fieldN), and checks each row's field count: without --ragged a mismatch
 * is bad input; with it, short rows are padded with empty fields and long
 * ones kept whole (a padding field is unquoted).  Each field says whether
 * it was quoted in the input (header names: 0).  Errors are printed as
 * "FILE:LINE: what" (bad data) or "FILE: read: why" (a failed read), and
 * their kind recorded (fail.h).
 *
 * A read interrupted by a stop signal (signals.h) ends the input as a
 * FAIL_STOP; other interruptions are retried.  An error is for good: once
 * input_next has returned -1 it returns -1 again, never a row.
 */
#ifndef CSVPACK_INPUT_H
#define CSVPACK_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "bom.h"
#include "buf.h"
#include "csv.h"
#include "decode.h"
#include "encoding_hint.h"
#include "gz_input.h"
#include "options.h"
#include "record.h"

struct input {
	const char *name;     /* as the user named it */
	const char *output;   /* -o, for messages that point to locate */
	int fd;
	int ragged;
	uint64_t raw_bytes;   /* read from fd: compressed, undecoded */
	struct gz_input gz;
	int gz_opened;
	struct bom_reader bom;
	struct decoder dec;
	int decoding;
	const char *read_as;  /* the encoding decoded, NULL: UTF-8 */
	int bom_decided;      /* read_as is the byte-order mark's */
	struct utf8_check u8;
	int checking;         /* u8 checks UTF-8 (no decoder) */
	struct csv_reader *csv;
	struct buf header_bytes;
	struct field *header;
	uint32_t ncols;
	struct field *row;    /* the row handed out, padded if ragged */
	size_t row_cap;
	int have_pending;     /* --no-header: the first row is held back */
	struct csv_row pending;
	/* A stream that stalls stall_ms (0: never mind) calls on_stall(arg),
	 * which returns 0, or -1 (having said why) to end the input. */
	int stall_ms;
	int (*on_stall)(void *arg);
	void *stall_arg;
	int stall_failed;
	int failed;           /* input_next returned -1 */
	uint64_t end_line;    /* where the last row handed out ends */
	uint64_t header_end;  /* where the header ends; 0: --no-header */
};

/* Opens name and reads its header.  max_row bounds one row's bytes.
 * Returns 0, or -1 after saying why (fail.h has the kind). */
int input_open(struct input *in, const char *name, const struct options *o,
    size_t max_row);
/* The next data row: returns 1 (a row), 0 (the end) or -1 (an error,
 * said and recorded; fail.h). */
int input_next(struct input *in, const struct field **fields,
    uint32_t *nfields, uint64_t *line);
/* Bytes read of the input as it is on disk (compressed, undecoded). */
uint64_t input_bytes(const struct input *in);
void input_close(struct input *in);

#endif
