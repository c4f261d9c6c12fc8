/*
 * buf.h - a growable byte buffer.  Growth doubles, so appends are amortised
 * O(1); a limit (0 = none) turns runaway growth into an error instead of an
 * exhausted machine.  Functions return 0, or -1 with errno ENOMEM (or
 * EFBIG past the limit).
 */
#ifndef CSVPACK_BUF_H
#define CSVPACK_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t limit;
};

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
static inline void buf_reset(struct buf *b) { b->len = 0; }

/* Inline: the CSV reader and the record writer append a few bytes at a
 * time, and a call per append was a quarter of the producer's time. */
static inline int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > b->cap - b->len && buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static inline int
buf_append_u32(struct buf *b, uint32_t v)
{
	return buf_append(b, &v, sizeof(v));
}

static inline int
buf_append_u64(struct buf *b, uint64_t v)
{
	return buf_append(b, &v, sizeof(v));
}

#endif
