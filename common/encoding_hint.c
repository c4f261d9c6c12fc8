/*
 * encoding_hint.c - see encoding_hint.h.
 *
 * The check works in place, in the caller's buffer: ASCII goes eight
 * bytes at a time, a character split between two reads is finished from
 * the next one (its first bytes are already out: the reader above cannot
 * end a row in the middle of it, and the next read fails if it is bad).
 */
#include "encoding_hint.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define HIGHS UINT64_C(0x8080808080808080)

void
utf8_check_init(struct utf8_check *c, struct csv_source inner)
{
	memset(c, 0, sizeof(*c));
	c->inner = inner;
}

/* The length a character led by b has, 0 if b leads none. */
static size_t
seq_len(unsigned char b)
{
	if (b >= 0xC2 && b <= 0xDF)
		return 2;
	if (b >= 0xE0 && b <= 0xEF)
		return 3;
	if (b >= 0xF0 && b <= 0xF4)
		return 4;
	return 0;
}

/* 1 if p[0..m), m shorter than its character, may begin a valid one. */
static int
prefix_ok(const unsigned char *p, size_t m)
{
	unsigned char t[4];
	size_t need = seq_len(p[0]), i;

	if (need == 0 || m >= need)
		return 0;
	/* Complete it with the smallest continuation that may follow. */
	t[0] = p[0];
	for (i = 1; i < need; i++)
		t[i] = 0x80;
	if (p[0] == 0xE0)
		t[1] = 0xA0;
	if (p[0] == 0xF0)
		t[1] = 0x90;
	memcpy(t, p, m);
	return utf8_char_len(t, need) == need;
}

static uint64_t
chars(const unsigned char *p, size_t n)
{
	uint64_t k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += (p[i] & 0xC0) != 0x80;
	return k;
}

/* The column count after p[0..n) is handed out. */
static void
col_update(struct utf8_check *c, const unsigned char *p, size_t n)
{
	size_t j = n;

	while (j > 0 && p[j - 1] != '\n' && p[j - 1] != '\r')
		j--;
	if (j > 0)
		c->col = chars(p + j, n - j);
	else
		c->col += chars(p, n);
}

/* Keeps the first and the last bytes handed out. */
static void
keep(struct utf8_check *c, const unsigned char *p, size_t n)
{
	size_t k;

	if (c->handed < sizeof(c->head)) {
		k = sizeof(c->head) - (size_t)c->handed;
		k = k < n ? k : n;
		memcpy(c->head + c->handed, p, k);
		c->head_len = (size_t)c->handed + k;
	}
	if (n >= HINT_BEFORE) {
		memcpy(c->tail, p + n - HINT_BEFORE, HINT_BEFORE);
		c->tail_len = HINT_BEFORE;
		return;
	}
	k = c->tail_len + n > HINT_BEFORE ? c->tail_len + n - HINT_BEFORE : 0;
	memmove(c->tail, c->tail + k, c->tail_len - k);
	c->tail_len -= k;
	memcpy(c->tail + c->tail_len, p, n);
	c->tail_len += n;
}

static void
hand_out(struct utf8_check *c, const unsigned char *p, size_t n)
{
	keep(c, p, n);
	col_update(c, p, n);
	c->handed += n;
}

/* The bad character begins at p[s] of this read (s < 0: it began in the
 * last, its bytes there are c->part); p[0..len) came.  Hands out p[0..s)
 * and keeps the window.  Returns what read() returns. */
static ssize_t
found_bad(struct utf8_check *c, unsigned char *p, size_t len, ssize_t s)
{
	size_t before, from, k;

	if (s < 0) {
		c->bad_byte = c->part[0];
		c->bad_col = c->part_col;
		c->bad_offset = c->handed - c->part_len;
		from = 0;
	} else {
		hand_out(c, p, (size_t)s);
		c->bad_byte = p[s];
		c->bad_col = c->col + 1;
		c->bad_offset = c->handed;
		from = (size_t)s;
	}
	c->failed = 1;
	/* The window: what went before, from the tail (the bytes of p
	 * before the bad one are in it now), then the rest. */
	before = c->tail_len;
	memcpy(c->win, c->tail, before);
	c->win_bad = s < 0 ? before - c->part_len : before;
	k = len - from < HINT_AFTER ? len - from : HINT_AFTER;
	memcpy(c->win + before, p + from, k);
	c->win_len = before + k;
	/* No more is read for it: on a stream that could wait for ever. */
	if (s > 0)
		return s;
	errno = EILSEQ;
	return -1;
}

ssize_t
utf8_check_read(void *ctx, void *buf, size_t n)
{
	struct utf8_check *c = ctx;
	unsigned char *p = buf, t[4];
	size_t len, i = 0, need, take, l;
	uint64_t x;
	ssize_t r;

	if (c->failed) {
		errno = EILSEQ;
		return -1;
	}
	if (c->eof)
		return 0;
	r = c->inner.read(c->inner.ctx, buf, n);
	if (r < 0)
		return -1;
	if (r == 0) {
		c->eof = 1;
		if (c->part_len)
			return found_bad(c, p, 0, -1);
		return 0;
	}
	len = (size_t)r;
	if (c->part_len) {
		need = seq_len(c->part[0]);
		take = need - c->part_len < len ? need - c->part_len : len;
		memcpy(t, c->part, c->part_len);
		memcpy(t + c->part_len, p, take);
		if (c->part_len + take < need) {
			if (!prefix_ok(t, c->part_len + take))
				return found_bad(c, p, len, -1);
			memcpy(c->part, t, c->part_len + take);
			c->part_len += take;
			hand_out(c, p, len);
			return r;
		}
		if (utf8_char_len(t, need) != need)
			return found_bad(c, p, len, -1);
		c->saw_multibyte = 1;
		c->part_len = 0;
		i = take;
	}
	while (i < len) {
		if (len - i >= 8) {
			memcpy(&x, p + i, 8);
			if (!(x & HIGHS)) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		l = utf8_char_len(p + i, len - i);
		if (l > 0) {
			c->saw_multibyte = 1;
			i += l;
			continue;
		}
		if (len - i < 4 && prefix_ok(p + i, len - i)) {
			/* Cut by the read: the next one finishes it. */
			hand_out(c, p, i);
			c->part_col = c->col + 1;
			memcpy(c->part, p + i, len - i);
			c->part_len = len - i;
			hand_out(c, p + i, len - i);
			return r;
		}
		return found_bad(c, p, len, (ssize_t)i);
	}
	hand_out(c, p, len);
	return r;
}

void
utf8_check_what(const struct utf8_check *c, char *out, size_t n)
{
	snprintf(out, n, "not valid UTF-8 (byte 0x%02x at column %llu)",
	    c->bad_byte, (unsigned long long)c->bad_col);
}

uint64_t
utf8_check_early_line(const struct utf8_check *c)
{
	uint64_t line = 1;
	size_t i;

	if (c->bad_offset >= 3)
		return 0;
	for (i = 0; i < c->bad_offset && i < c->head_len; i++)
		if (c->head[i] == '\r' || (c->head[i] == '\n' &&
		    (i == 0 || c->head[i - 1] != '\r')))
			line++;
	return line;
}

/* --- the advice ---------------------------------------------------------- */

/* Decodes p[0..n) from encoding into out; the length, or -1. */
static ssize_t
to_utf8(const char *encoding, const unsigned char *p, size_t n, char *out,
    size_t cap)
{
	iconv_t cd = iconv_open("UTF-8", encoding);
	char *in = (char *)(uintptr_t)p, *o = out;
	size_t inleft = n, outleft = cap, r;
	int e = 0;

	if (cd == (iconv_t)-1)
		return -1;
	r = iconv(cd, &in, &inleft, &o, &outleft);
	if (r == (size_t)-1)
		e = errno;
	iconv_close(cd);
	/* EINVAL: a character cut by the window's end, not the text's. */
	if (r == (size_t)-1 && e != EINVAL)
		return -1;
	return (ssize_t)(cap - outleft);
}

static int
is_cjk(uint32_t cp)
{
	return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 &&
	    cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
	    (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 &&
	    cp <= 0x3FFFF) ||
	    /* and what GB2312 has besides: Greek, Cyrillic, punctuation,
	     * numbers in circles, box drawing, arrows, maths, shapes */
	    (cp >= 0x0391 && cp <= 0x03C9) || (cp >= 0x0401 &&
	    cp <= 0x0451) || (cp >= 0x2010 && cp <= 0x203B) ||
	    (cp >= 0x2100 && cp <= 0x26FF) || cp == 0x00B7 ||
	    cp == 0x00D7 || cp == 0x00F7 || cp == 0x00A4 || cp == 0x00A7 ||
	    cp == 0x00A8 || cp == 0x00B0 || cp == 0x00B1;
}

/* GB18030's two-byte characters: mostly both bytes high in real text
 * (GB2312's); a trail byte in 0x40-0x7E (GBK's rarer characters) is
 * what a Latin letter after an accented one looks like. */
static int
gb_shape_ok(const unsigned char *p, size_t n)
{
	size_t i = 0, two = 0, low = 0;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
		} else if (i + 1 < n && p[i + 1] >= 0x30 && p[i + 1] <= 0x39) {
			i += 4;
		} else {
			two++;
			low += i + 1 < n && p[i + 1] < 0x80;
			i += 2;
		}
	}
	return low * 2 <= two;
}

int
encoding_sensible(const char *encoding, const unsigned char *p, size_t n)
{
	char out[4 * (HINT_BEFORE + HINT_AFTER) + 16];
	const unsigned char *q = (const unsigned char *)out;
	int cp1252 = strcmp(encoding, "CP1252") == 0;
	int gb = strcmp(encoding, "GB18030") == 0;
	size_t i = 0, l, run = 0, maxrun = 0, nonascii = 0;
	ssize_t len;
	uint32_t cp;

	if (n > HINT_BEFORE + HINT_AFTER)
		n = HINT_BEFORE + HINT_AFTER;
	len = to_utf8(encoding, p, n, out, sizeof(out));
	if (len <= 0)
		return 0;
	if (gb && !gb_shape_ok(p, n))
		return 0;
	while (i < (size_t)len) {
		l = utf8_decode(q + i, (size_t)len - i, &cp);
		if (l == 0)
			return 0;
		i += l;
		if ((cp < 0x20 && cp != '\t' && cp != '\r' && cp != '\n') ||
		    (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFD ||
		    cp == 0xFEFF || (cp >= 0xE000 && cp <= 0xF8FF) ||
		    (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
			return 0;
		if (cp < 0x80) {
			run = 0;
			continue;
		}
		nonascii++;
		if (++run > maxrun)
			maxrun = run;
		if (gb && !is_cjk(cp))
			return 0;
	}
	/* Western text has its accented letters alone or in pairs; longer
	 * runs are another encoding's bytes read one by one. */
	if (cp1252 && maxrun > 2)
		return 0;
	return nonascii > 0;
}

/* Whether win looks like UTF-16 (every other byte zero): "UTF-16LE",
 * "UTF-16BE" or NULL. */
static const char *
utf16_order(const unsigned char *win, size_t len, uint64_t abs)
{
	size_t i, even = 0, odd = 0;

	for (i = 0; i < len; i++)
		if (win[i] == 0) {
			if ((abs + i) % 2 == 0)
				even++;
			else
				odd++;
		}
	if ((even + odd) * 4 < len || len < 8)
		return NULL;
	if (odd >= 9 * even && odd > 0)
		return "UTF-16LE"; /* 'a' 00: the zero at the odd place */
	if (even >= 9 * odd && even > 0)
		return "UTF-16BE";
	return NULL;
}

/* The start of the line the bad byte is on, within the window. */
static size_t
line_start(const unsigned char *win, size_t bad)
{
	size_t j = bad;

	while (j > 0 && win[j - 1] != '\n' && win[j - 1] != '\r')
		j--;
	return j;
}

void
encoding_hint(const unsigned char *win, size_t len, size_t bad,
    uint64_t abs, struct hint *h)
{
	const char *u16 = utf16_order(win, len, abs);
	size_t from;
	int cp_ok, gb_ok;

	h->n = 0;
	if (u16) {
		/* Aligned to a character: an even place in the input. */
		from = (size_t)(abs % 2);
		if (len - from >= 2 && encoding_sensible(u16, win + from,
		    (len - from) & ~(size_t)1))
			h->enc[h->n++] = u16;
		return;
	}
	from = line_start(win, bad);
	cp_ok = encoding_sensible("CP1252", win + from, len - from);
	gb_ok = encoding_sensible("GB18030", win + from, len - from);
	if (cp_ok)
		h->enc[h->n++] = "CP1252";
	if (gb_ok)
		h->enc[h->n++] = "GB18030";
}

/* The line with the bad byte as encoding reads it, quoted, into out. */
static void
preview(const struct utf8_check *c, const char *encoding, char *out,
    size_t n)
{
	char text[4 * (HINT_BEFORE + HINT_AFTER) + 16];
	size_t from = line_start(c->win, c->win_bad), to = c->win_bad, i, k;
	ssize_t len;

	if (strncmp(encoding, "UTF-16", 6) == 0) {
		from = (size_t)((c->bad_offset - c->win_bad) % 2);
		to = c->win_len;
	}
	while (to < c->win_len && c->win[to] != '\n' && c->win[to] != '\r')
		to++;
	if (strncmp(encoding, "UTF-16", 6) == 0)
		to = from + ((to - from) & ~(size_t)1);
	len = to_utf8(encoding, c->win + from, to - from, text, sizeof(text));
	if (len < 0)
		len = 0;
	/* Whole characters, at most 60 bytes; no line ends, tabs shown. */
	k = 0;
	out[k++] = '"';
	for (i = 0; i < (size_t)len && k + 6 < n && i < 60; ) {
		size_t l = utf8_char_len((const unsigned char *)text + i,
		    (size_t)len - i);

		if (l == 0)
			break;
		if (text[i] == '\r' || text[i] == '\n')
			break;
		if (text[i] == '\t') {
			out[k++] = '\\';
			out[k++] = 't';
		} else if ((unsigned char)text[i] >= 0x20 || text[i] < 0) {
			if (k + l + 2 >= n)
				break;
			memcpy(out + k, text + i, l);
			k += l;
		}
		i += l;
	}
	out[k++] = '"';
	out[k] = '\0';
}

void
utf8_check_advice(const struct utf8_check *c, char *out, size_t n)
{
	struct hint h;
	char p1[256], p2[256];

	if (c->saw_multibyte) {
		snprintf(out, n, "no --encoding to suggest: the input is UTF-8 "
		    "with non-ASCII text before that byte, so it may be "
		    "damaged there");
		return;
	}
	encoding_hint(c->win, c->win_len, c->win_bad,
	    c->bad_offset - c->win_bad, &h);
	if (h.n == 0) {
		snprintf(out, n, "neither CP1252 nor GB18030 reads the bytes "
		    "there sensibly; --encoding NAME reads another encoding");
		return;
	}
	preview(c, h.enc[0], p1, sizeof(p1));
	if (h.n == 1) {
		snprintf(out, n, "try --encoding %s (it reads %s)", h.enc[0],
		    p1);
		return;
	}
	preview(c, h.enc[1], p2, sizeof(p2));
	snprintf(out, n, "try --encoding %s (it reads %s) or --encoding %s "
	    "(%s)", h.enc[0], p1, h.enc[1], p2);
}
