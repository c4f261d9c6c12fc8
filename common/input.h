/*
 * input.h - one CSV input as a table: a header and rows of checked width.
 *
 * It opens the input by the name the user gave ("-" is stdin), decodes it
 * if --encoding says so, reads the header (or, with --no-header, takes the
 * first row's width and leaves every name empty, which later becomes
 * fieldN), and checks each row's field count: without --ragged a mismatch
 * is bad input; with it, short rows are padded with empty fields and long
 * ones kept whole.  Errors are printed as "FILE:LINE: what".
 *
 * A read interrupted by a stop signal (signals.h) ends the input with
 * 128 + the signal; other interruptions are retried.
 */
#ifndef CSVPACK_INPUT_H
#define CSVPACK_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "csv.h"
#include "decode.h"
#include "options.h"
#include "record.h"

struct input {
	const char *name;     /* as the user named it */
	int fd;
	int ragged;
	struct decoder dec;
	int decoding;
	struct csv_reader *csv;
	struct buf header_bytes;
	struct field *header;
	uint32_t ncols;
	struct field *row;    /* the row handed out, padded if ragged */
	size_t row_cap;
	int have_pending;     /* --no-header: the first row is held back */
	struct csv_row pending;
	/* A stream that stalls stall_ms (0: never mind) calls on_stall(arg),
	 * which returns 0 or an exit status that ends the input. */
	int stall_ms;
	int (*on_stall)(void *arg);
	void *stall_arg;
	int stall_status;
};

/* Opens name and reads its header.  max_row bounds one row's bytes.
 * Returns 0, or an exit status (EXIT_FAIL, EXIT_DATA) after printing. */
int input_open(struct input *in, const char *name, const struct options *o,
    size_t max_row);
/* The next data row.  Returns 1, 0 at the end, or an exit status (> 1)
 * after printing. */
int input_next(struct input *in, const struct field **fields,
    uint32_t *nfields, uint64_t *line);
uint64_t input_bytes(const struct input *in);
void input_close(struct input *in);

#endif
