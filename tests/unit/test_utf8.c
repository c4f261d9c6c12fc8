/*
 * test_utf8.c - unit tests of common/utf8.h, the one UTF-8 decoder.
 *
 * Each side of every boundary (U+007F/0080, U+07FF/0800, U+D7FF/D800,
 * U+DFFF/E000, U+FFFF/10000, U+10FFFF/110000), overlongs, surrogates,
 * sequences cut short by the end or by a byte that is no continuation,
 * stray continuation bytes, and the bytes that never lead (C0, C1,
 * F5..FF).  Then exhaustively: every code point, encoded here, decodes
 * back whole; and of all two- and three-byte strings (and all four-byte
 * ones whose tail is continuations) exactly the encodings of code points
 * are accepted, as many as Unicode has.  utf8_valid on its own table
 * (moved from test_csv.c), and with a bad byte at every offset of an
 * ASCII run, for its eight-bytes-at-a-time path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "check_helpers.h"
#include "utf8.h"

/* The test's own encoder: any value below 2^21, surrogates included, in
 * the shortest form the bit patterns allow. */
static size_t
encode(uint32_t c, unsigned char *p)
{
	if (c < 0x80) {
		p[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (unsigned char)(0xC0 | c >> 6);
		p[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (unsigned char)(0xE0 | c >> 12);
		p[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		p[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	p[0] = (unsigned char)(0xF0 | c >> 18);
	p[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
	p[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
	p[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

static void
hex(char *out, size_t size, const char *s, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%02X", i ? " " : "",
		    (unsigned char)s[i]);
}

struct dcase {
	const char *s;
	size_t n;       /* bytes given */
	size_t len;     /* the answer: 0 or the character's length */
	uint32_t cp;
};

#define D(lit, len, cp)	{ (lit), sizeof(lit) - 1, (len), (cp) }
#define BAD(lit)	{ (lit), sizeof(lit) - 1, 0, 0 }

START_TEST(decode_table)
{
	static const struct dcase t[] = {
		D("\0", 1, 0),
		D("A", 1, 'A'),
		D("\x7F", 1, 0x7F),			/* U+007F */
		D("\xC2\x80", 2, 0x80),			/* U+0080 */
		D("\xDF\xBF", 2, 0x7FF),		/* U+07FF */
		D("\xE0\xA0\x80", 3, 0x800),		/* U+0800 */
		D("\xED\x9F\xBF", 3, 0xD7FF),		/* U+D7FF */
		D("\xEE\x80\x80", 3, 0xE000),		/* U+E000 */
		D("\xEF\xBF\xBD", 3, 0xFFFD),
		D("\xEF\xBF\xBF", 3, 0xFFFF),		/* U+FFFF */
		D("\xF0\x90\x80\x80", 4, 0x10000),	/* U+10000 */
		D("\xF4\x8F\xBF\xBF", 4, 0x10FFFF),	/* U+10FFFF */
		D("\xE8\x82\xA1" "rest", 3, 0x80A1),	/* only the first */
		D("a\x80", 1, 'a'),
		BAD("\xF4\x90\x80\x80"),		/* U+110000 */
		BAD("\xF7\xBF\xBF\xBF"),		/* U+1FFFFF */
		/* overlongs */
		BAD("\xC0\x80"), BAD("\xC0\xAF"), BAD("\xC1\xBF"),
		BAD("\xE0\x80\x80"), BAD("\xE0\x9F\xBF"),
		BAD("\xF0\x80\x80\x80"), BAD("\xF0\x8F\xBF\xBF"),
		/* surrogates */
		BAD("\xED\xA0\x80"), BAD("\xED\xAF\xBF"), BAD("\xED\xB0\x80"),
		BAD("\xED\xBF\xBF"),
		BAD("\xED\xA0\xBD\xED\xB8\x80"),	/* a pair, CESU-8 */
		/* stray continuation bytes */
		BAD("\x80"), BAD("\xBF"), BAD("\x80\x80\x80\x80"),
		/* bytes that never lead */
		BAD("\xC0"), BAD("\xC1\x80"), BAD("\xF5\x80\x80\x80"),
		BAD("\xF6\x80\x80\x80"), BAD("\xF7\x80\x80\x80"),
		BAD("\xF8\x88\x80\x80\x80"), BAD("\xFB\xBF\xBF\xBF\xBF"),
		BAD("\xFC\x84\x80\x80\x80\x80"), BAD("\xFD\xBF\xBF\xBF\xBF\xBF"),
		BAD("\xFE"), BAD("\xFF"), BAD("\xFE\xFF"), BAD("\xFF\xFE"),
		/* cut short by the end */
		BAD("\xC2"), BAD("\xDF"), BAD("\xE0"), BAD("\xE0\xA0"),
		BAD("\xEF\xBF"), BAD("\xF0"), BAD("\xF0\x90"),
		BAD("\xF0\x90\x80"), BAD("\xF4\x8F\xBF"),
		{ "\xE4\xB8\xAD", 2, 0, 0 }, { "\xF0\x9F\x98\x80", 3, 0, 0 },
		{ "\xC2\x80", 1, 0, 0 }, { "A", 0, 0, 0 },
		/* cut short by a byte that is no continuation */
		BAD("\xC2" "A"), BAD("\xC2\xC2\x80"), BAD("\xC2\xC0"),
		BAD("\xE4" "a\xAD"), BAD("\xE4\xB8" "a"), BAD("\xE4\xB8\xE4"),
		BAD("\xF0\x9F\x98" "a"), BAD("\xF0\x9F" "a\x80"),
		BAD("\xF0" "a\x98\x80"), BAD("\xE0\xA0\xFF"),
	};
	size_t i, len;
	uint32_t cp;
	char h[64];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		hex(h, sizeof(h), t[i].s, t[i].n);
		cp = 0xDEADBEEF;
		len = utf8_decode((const unsigned char *)t[i].s, t[i].n, &cp);
		ck_assert_msg(len == t[i].len, "utf8_decode(%s) = %zu, want %zu",
		    h, len, t[i].len);
		if (len)
			ck_assert_msg(cp == t[i].cp, "utf8_decode(%s): U+%04X, "
			    "want U+%04X", h, cp, t[i].cp);
		else
			ck_assert_msg(cp == 0xDEADBEEF, "utf8_decode(%s) set "
			    "*cp on failure", h);
		ck_assert_msg(utf8_char_len((const unsigned char *)t[i].s,
		    t[i].n) == t[i].len, "utf8_char_len(%s) != %zu", h,
		    t[i].len);
	}
}
END_TEST

/* Every value below 2^21, encoded: a code point decodes back whole, and
 * from no fewer bytes; a surrogate or a value past U+10FFFF does not. */
START_TEST(every_code_point)
{
	unsigned char b[4];
	uint32_t c, cp;
	size_t n, k;
	int valid;

	for (c = 0; c < 0x200000; c++) {
		n = encode(c, b);
		valid = c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF);
		cp = 0;
		REQUIRE_MSG(utf8_decode(b, n, &cp) == (valid ? n : 0),
		    "U+%04X: length", c);
		REQUIRE_MSG(!valid || cp == c, "U+%04X decoded as U+%04X",
		    c, cp);
		for (k = 1; k < n; k++)
			REQUIRE_MSG(utf8_decode(b, k, &cp) == 0,
			    "U+%04X accepted from %zu of %zu bytes", c, k, n);
	}
}
END_TEST

/* Accepted strings of length len among those tried: each must be the
 * encoding of what it decodes to (so no two forms of one code point). */
static unsigned long
accepted(const unsigned char *b, size_t len)
{
	unsigned char again[4];
	uint32_t cp;

	if (utf8_decode(b, len, &cp) != len)
		return 0;
	REQUIRE_MSG(encode(cp, again) == len && memcmp(again, b, len) == 0,
	    "%02X %02X.. decoded as U+%04X, which is not its encoding",
	    b[0], len > 1 ? b[1] : 0, cp);
	return 1;
}

START_TEST(every_short_string)
{
	unsigned char b[4];
	unsigned long two = 0, three = 0, four = 0;
	unsigned x, y, z, w;

	for (x = 0x80; x < 0x100; x++)
		for (y = 0; y < 0x100; y++) {
			b[0] = (unsigned char)x;
			b[1] = (unsigned char)y;
			two += accepted(b, 2);
			for (z = 0; z < 0x100; z++) {
				b[2] = (unsigned char)z;
				three += accepted(b, 3);
			}
		}
	/* U+0080..07FF; U+0800..FFFF less the 2048 surrogates. */
	ck_assert_uint_eq(two, 0x800 - 0x80);
	ck_assert_uint_eq(three, 0x10000 - 0x800 - 0x800);
	for (x = 0xF0; x < 0x100; x++)
		for (y = 0x80; y < 0xC0; y++)
			for (z = 0x80; z < 0xC0; z++)
				for (w = 0x80; w < 0xC0; w++) {
					b[0] = (unsigned char)x;
					b[1] = (unsigned char)y;
					b[2] = (unsigned char)z;
					b[3] = (unsigned char)w;
					four += accepted(b, 4);
				}
	ck_assert_uint_eq(four, 0x110000 - 0x10000); /* U+10000..10FFFF */
}
END_TEST

struct vcase {
	const char *s;
	size_t n;
	int valid;
};

#define U(lit, valid)	{ (lit), sizeof(lit) - 1, (valid) }

START_TEST(test_utf8_valid)
{
	static const struct vcase t[] = {
		U("", 1),
		U("plain ASCII, \t\r\n", 1),
		U("\0", 1),
		U("a\0b", 1),
		U("\xC2\x80", 1),			/* U+0080 */
		U("\xDF\xBF", 1),			/* U+07FF */
		U("\xE0\xA0\x80", 1),			/* U+0800 */
		U("\xED\x9F\xBF", 1),			/* U+D7FF */
		U("\xEE\x80\x80", 1),			/* U+E000 */
		U("\xEF\xBB\xBF", 1),			/* BOM */
		U("\xEF\xBF\xBD", 1),			/* U+FFFD */
		U("\xEF\xBF\xBF", 1),			/* U+FFFF */
		U("\xF0\x90\x80\x80", 1),		/* U+10000 */
		U("\xF4\x8F\xBF\xBF", 1),		/* U+10FFFF */
		U("\xE8\x82\xA1\xE7\xA5\xA8", 1),	/* CJK */
		U("\xF0\x9F\x98\x80!", 1),		/* emoji */
		U("\x80", 0),				/* continuation */
		U("\xBF", 0),
		U("a\x80" "b", 0),
		U("\xC0\x80", 0),			/* overlong NUL */
		U("\xC1\xBF", 0),			/* overlong */
		U("\xE0\x80\x80", 0),			/* overlong */
		U("\xE0\x9F\xBF", 0),			/* U+07FF, long */
		U("\xF0\x80\x80\x80", 0),		/* overlong */
		U("\xF0\x8F\xBF\xBF", 0),		/* overlong U+FFFF */
		U("\xED\xA0\x80", 0),			/* U+D800 */
		U("\xED\xBF\xBF", 0),			/* U+DFFF */
		U("\xF4\x90\x80\x80", 0),		/* U+110000 */
		U("\xF5\x80\x80\x80", 0),
		U("\xF8\x88\x80\x80\x80", 0),		/* 5 bytes */
		U("\xFE", 0),
		U("\xFF", 0),
		U("\xC2", 0),				/* truncated */
		U("\xC2" "A", 0),
		U("\xE4\xB8", 0),
		U("\xE4\xB8\xAD\xE4", 0),
		U("\xF0\x9F\x98", 0),
		U("\xC2\xC2\x80", 0),
		U("\xE4" "a\xAD", 0),
		/* only n bytes count */
		{ "\xE4\xB8\xAD", 2, 0 },
		{ "a\x80", 1, 1 },
		{ "\xF0\x9F\x98\x80", 0, 1 },
	};
	size_t i;
	char buf[256];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		hex(buf, sizeof(buf), t[i].s, t[i].n);
		ck_assert_msg(utf8_valid((const unsigned char *)t[i].s,
		    t[i].n) == t[i].valid, "utf8_valid(%s) != %d", buf,
		    t[i].valid);
	}
}
END_TEST

/* The eight-byte stride: a character, good or bad, at every offset of
 * an ASCII run of every length up to 24, and cut off by the end. */
START_TEST(valid_at_every_offset)
{
	static const struct {
		const char *s;
		int valid;
	} piece[] = {
		{ "\xC2\x80", 1 }, { "\xE8\x82\xA1", 1 },
		{ "\xF0\x9F\x98\x80", 1 }, { "\x80", 0 }, { "\xC0\x80", 0 },
		{ "\xED\xA0\x80", 0 }, { "\xFF", 0 }, { "\xF4\x90\x80\x80", 0 },
	};
	unsigned char b[40];
	size_t i, run, at, len;

	for (i = 0; i < sizeof(piece) / sizeof(piece[0]); i++) {
		len = strlen(piece[i].s);
		for (run = 0; run <= 24; run++)
			for (at = 0; at <= run; at++) {
				memset(b, 'x', sizeof(b));
				memcpy(b + at, piece[i].s, len);
				REQUIRE_MSG(utf8_valid(b, run + len) ==
				    piece[i].valid, "piece %zu at %zu of %zu",
				    i, at, run + len);
				/* Cut by the end: a good multi-byte piece is
				 * no longer valid. */
				if (len > 1)
					REQUIRE_MSG(utf8_valid(b,
					    at + len - 1) == 0,
					    "piece %zu cut at %zu", i,
					    at + len - 1);
			}
	}
}
END_TEST

Suite *
utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *t = tcase_create("utf8");

	tcase_add_test(t, decode_table);
	tcase_add_test(t, every_code_point);
	tcase_add_test(t, every_short_string);
	tcase_add_test(t, test_utf8_valid);
	tcase_add_test(t, valid_at_every_offset);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return s;
}
