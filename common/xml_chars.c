/*
 * xml_chars.c - see xml_chars.h.
 */
#include "xml_chars.h"

#include <string.h>

#include "utf8.h"

/* Length of the character XML cannot carry at p, or 0 if p is fine. */
static size_t
bad_char_len(const unsigned char *p, const unsigned char *end)
{
	if (*p < 0x20)
		return (*p == '\t' || *p == '\n' || *p == '\r') ? 0 : 1;
	if (*p == 0xEF && end - p >= 3 && p[1] == 0xBF &&
	    (p[2] == 0xBE || p[2] == 0xBF))
		return 3;
	return 0;
}

const char *
xml_clean_value(const char *s, size_t len, struct buf *out, uint64_t *count)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *q;
	size_t bad;

	*count = 0;
	for (q = p; q < end; q++)
		if ((*q < 0x20 || *q == 0xEF) && bad_char_len(q, end))
			break;
	if (q == end)
		return s;
	buf_reset(out);
	while (p < end) {
		bad = bad_char_len(p, end);
		if (bad) {
			if (buf_append(out, "\xEF\xBF\xBD", 3) < 0)
				return NULL;
			(*count)++;
			p += bad;
		} else {
			if (buf_append(out, p, 1) < 0)
				return NULL;
			p++;
		}
	}
	if (buf_append(out, "", 1) < 0)
		return NULL;
	return (const char *)out->data;
}

/* An input's name is bytes, not text: invalid UTF-8 and characters XML
 * cannot carry become U+FFFD, so the attribute is always well-formed. */
const char *
xml_clean_name(const char *s, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t n;

	buf_reset(out);
	while (p < end) {
		n = utf8_char_len(p, (size_t)(end - p));
		if (n == 0 || bad_char_len(p, end)) {
			if (buf_append(out, "\xEF\xBF\xBD", 3) < 0)
				return NULL;
			p += n ? n : 1;
		} else {
			if (buf_append(out, p, n) < 0)
				return NULL;
			p += n;
		}
	}
	if (buf_append(out, "", 1) < 0)
		return NULL;
	return (const char *)out->data;
}
