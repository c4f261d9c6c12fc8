/*
 * escape.c - see escape.h.
 */
#include "escape.h"

int
escape_append(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '%' || *p == 0x7F) {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			if (buf_append(b, e, 3) < 0)
				return -1;
		} else if (buf_append(b, p, 1) < 0) {
			return -1;
		}
	}
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
unescape(const char *s, char *out, size_t size)
{
	size_t n = 0;
	int hi, lo;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (n + 1 >= size || (unsigned char)*s <= ' ' || *s == 0x7F)
			return -1;
		if (*s == '%') {
			if ((hi = hex_digit(s[1])) < 0 || (lo = hex_digit(s[2])) < 0
			    || (hi == 0 && lo == 0))
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return 0;
}
