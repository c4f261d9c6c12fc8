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

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t limit;
};

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_u32(struct buf *b, uint32_t v);
int buf_append_u64(struct buf *b, uint64_t v);
static inline void buf_reset(struct buf *b) { b->len = 0; }

#endif
