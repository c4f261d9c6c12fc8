/*
 * utf8.c - see utf8.h.
 */
#include "utf8.h"

#include <string.h>

#define HIGHS UINT64_C(0x8080808080808080)

/* The decoder; inline, so that utf8_valid's loop has no call in it. */
static inline size_t
decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t need, i;
	uint32_t c, min;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		need = 1, c = p[0] & 0x1F, min = 0x80;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		need = 2, c = p[0] & 0x0F, min = 0x800;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		need = 3, c = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need + 1;
}

size_t
utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	return decode(p, n, cp);
}

size_t
utf8_char_len(const unsigned char *p, size_t n)
{
	uint32_t cp;

	return decode(p, n, &cp);
}

int
utf8_valid(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;
	uint64_t x;
	uint32_t cp;
	size_t len;

	while (p < end) {
		/* ASCII eight bytes at a time: most of most CSV files. */
		if (end - p >= 8) {
			memcpy(&x, p, 8);
			if (!(x & HIGHS)) {
				p += 8;
				continue;
			}
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		len = decode(p, (size_t)(end - p), &cp);
		if (len == 0)
			return 0;
		p += len;
	}
	return 1;
}
