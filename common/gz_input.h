/*
 * gz_input.h - a csv_source that reads another through, inflating it with
 * zlib when it starts with the gzip magic (1F 8B) and handing it out as it
 * is otherwise.
 *
 * Members follow one another as gzip(1) reads them (cat a.gz b.gz); zero
 * bytes after the last member (tape padding) are ignored, anything else
 * there is damage.  Memory is constant: one compressed buffer and zlib's
 * state.
 *
 * Damage is for good: the bytes inflated before it are handed out, then
 * read() fails with EBADMSG, and gz_input_error() says what ("gzip stream is
 * corrupt (incorrect data check)", "gzip stream ends early").  gzip checks
 * a member's CRC and length only at its end, so the bytes of a damaged
 * member have been handed out by then: member_line and out_bytes say
 * which ones.  Line numbers count as the CSV reader does (LF, CR, CRLF
 * each end one), on the inflated bytes.
 */
#ifndef CSVPACK_GZ_INPUT_H
#define CSVPACK_GZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#include "csv.h"

struct gz_input {
	struct csv_source inner;
	int gzip;              /* the input starts with the magic */
	unsigned char head[2]; /* not gzip: the bytes read to tell */
	size_t head_pos, head_len;
	z_stream zs;
	int zinit;
	unsigned char *in;     /* compressed bytes (gzip only) */
	int in_eof;
	int between;           /* a member ended; another may follow */
	int done;
	uint64_t raw_bytes;    /* bytes read from inner */
	uint64_t out_bytes;    /* bytes handed out */
	unsigned member;       /* the member being read, from 1 */
	uint64_t member_out;   /* bytes handed out before it */
	uint64_t member_line;  /* the line its first byte is on */
	uint64_t line;         /* the line of the next byte handed out */
	int prev_cr;
	int damaged;           /* 1: corrupt, 2: ends early */
	int err_errno;         /* a failed inner read, kept for the next call */
	char why[160];         /* gz_input_error(): what the damage was */
};

/* Reads the first bytes of inner to tell gzip from the rest.  Returns 0,
 * or -1 with errno set (the inner source's; ENOMEM). */
int gz_input_open(struct gz_input *g, struct csv_source inner);
void gz_input_close(struct gz_input *g);
ssize_t gz_input_read(void *ctx, void *buf, size_t n); /* ctx: gz_input */
/* What the damage was (when read() failed with EBADMSG and damaged). */
const char *gz_input_error(const struct gz_input *g);

#endif
