/*
 * decode.h - a csv_source that converts another encoding to UTF-8 with
 * iconv(3) as it streams.  A multibyte character split across two reads is
 * carried over, never broken; an undecodable sequence makes read() fail
 * with EILSEQ, once every byte before it has been handed out.
 */
#ifndef CSVPACK_DECODE_H
#define CSVPACK_DECODE_H

#include <iconv.h>
#include <stddef.h>
#include <sys/types.h>

#include "csv.h"

struct decoder {
	iconv_t cd;
	struct csv_source inner;
	char *in, *out;
	size_t in_len;            /* undecoded bytes at in[0..) */
	size_t out_pos, out_len;  /* decoded bytes not yet handed out */
	int eof;
};

/* Returns 0, or -1 with errno set (EINVAL: unknown encoding). */
int decoder_open(struct decoder *d, const char *encoding,
    struct csv_source inner);
void decoder_close(struct decoder *d);
ssize_t decoder_read(void *ctx, void *buf, size_t n); /* ctx: decoder */

#endif
