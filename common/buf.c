/*
 * buf.c - growable byte buffer; see buf.h.
 */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t want, cap;
	unsigned char *p;

	if (extra > SIZE_MAX - b->len) {
		errno = ENOMEM;
		return -1;
	}
	want = b->len + extra;
	if (want <= b->cap)
		return 0;
	if (b->limit && want > b->limit) {
		errno = EFBIG;
		return -1;
	}
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (b->limit && cap > b->limit)
		cap = b->limit;
	p = realloc(b->data, cap);
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}
