/*
 * bom.h - a byte-order mark at the start of an input: which one, whether
 * it agrees with --encoding, and a csv_source that drops it.
 *
 * The marks are UTF-8 (EF BB BF), UTF-16LE (FF FE), UTF-16BE (FE FF),
 * UTF-32LE (FF FE 00 00) and UTF-32BE (00 00 FE FF).  FF FE 00 00 is read
 * as UTF-32LE unless --encoding says UTF-16 (then it is the UTF-16LE mark
 * and a U+0000).  An encoding that is not a Unicode one contradicts every
 * mark: a file starting with EF BB BF is UTF-8, whatever else it is
 * called.
 */
#ifndef CSVPACK_BOM_H
#define CSVPACK_BOM_H

#include <stddef.h>
#include <sys/types.h>

#include "csv.h"

enum bom_kind {
	BOM_NONE,
	BOM_UTF8,
	BOM_UTF16LE,
	BOM_UTF16BE,
	BOM_UTF32LE,
	BOM_UTF32BE,
};

#define BOM_MAX 4  /* the longest mark */

/* The mark p[0..n) starts with, its length in *len (0 for BOM_NONE).
 * Give at least BOM_MAX bytes, or all there are. */
enum bom_kind bom_detect(const unsigned char *p, size_t n, size_t *len);
/* The iconv name of the encoding a mark says ("UTF-16LE"), "" for none. */
const char *bom_name(enum bom_kind k);
/* The mark as read under an explicit --encoding: k itself (or, for
 * FF FE 00 00 read as UTF-16, BOM_UTF16LE) when they agree, BOM_NONE
 * when there is no mark, -1 when they contradict. */
int bom_resolve(enum bom_kind k, const char *encoding);

/* A source that reads the start of another, drops the mark, and hands
 * out the rest. */
struct bom_reader {
	struct csv_source inner;
	unsigned char head[BOM_MAX];
	size_t head_pos, head_len;
	enum bom_kind kind;  /* as detected */
	size_t mark_len;
	int eof;             /* the inner source ended within head */
	int err_errno;       /* a read after head failed: the next says so */
};

/* Reads up to BOM_MAX bytes from inner and detects the mark.  Returns 0,
 * or -1 with errno set (the inner source's). */
int bom_open(struct bom_reader *b, struct csv_source inner);
/* Drops the first len bytes (the mark, as resolved); len <= head_len. */
void bom_skip(struct bom_reader *b, size_t len);
ssize_t bom_read(void *ctx, void *buf, size_t n); /* ctx: bom_reader */

#endif
