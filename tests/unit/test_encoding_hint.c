/*
 * test_encoding_hint.c - UTF-8 checked as it streams, and the advice on
 * what else a file may be (common/encoding_hint.h).
 *
 * Valid UTF-8 (1- to 4-byte characters) passes through unchanged for
 * every read size, each character split at every point.  Each invalid
 * case (a stray continuation, a C1/Windows byte, an overlong, a surrogate,
 * a character cut by the end, a lead byte before a line end) gives
 * exactly the bytes before its character, then EILSEQ, for every read
 * size, and names its byte and column (characters, from 1, on its line).
 * The advice: CP1252 samples (curly quotes, dashes, accented letters)
 * get CP1252 and not GB18030; GB18030 samples (Chinese, a GBK name) get
 * GB18030 and not CP1252; UTF-16LE/BE without a BOM get their order;
 * text that was UTF-8 before the bad byte gets no suggestion; noise gets
 * none either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "check_helpers.h"
#include "encoding_hint.h"

struct chunked {
	const unsigned char *p;
	size_t len, pos, step;
};

static ssize_t
chunked_read(void *ctx, void *buf, size_t n)
{
	struct chunked *c = ctx;
	size_t k = c->len - c->pos;

	if (k > c->step)
		k = c->step;
	if (k > n)
		k = n;
	memcpy(buf, c->p + c->pos, k);
	c->pos += k;
	return (ssize_t)k;
}

/* Reads p[0..n) through a checker, step bytes a read from the inside,
 * outstep asked each time.  Returns 0 (the end) or -1 (errno in *err);
 * what came out in out[0..*outlen). */
static int
check_all(struct utf8_check *u, struct chunked *c, const char *p, size_t n,
    size_t step, size_t outstep, unsigned char *out, size_t *outlen,
    int *err)
{
	struct csv_source src = { chunked_read, c };
	ssize_t r;
	int guard = 100000;

	c->p = (const unsigned char *)p;
	c->len = n;
	c->pos = 0;
	c->step = step;
	utf8_check_init(u, src);
	*outlen = 0;
	*err = 0;
	for (;;) {
		REQUIRE(guard-- > 0);
		r = utf8_check_read(u, out + *outlen, outstep);
		if (r < 0) {
			*err = errno;
			REQUIRE_EQ(utf8_check_read(u, out, outstep), -1);
			return -1;
		}
		if (r == 0)
			return 0;
		*outlen += (size_t)r;
	}
}

#define S(s) s, sizeof(s) - 1

START_TEST(valid_passes_every_step)
{
	static const char text[] = "a,b\n\xc3\xa9,\xe2\x82\xac\r\n"
	    "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf,\xed\x9f\xbf\xee\x80\x80\n"
	    "plain ascii text longer than eight bytes\n\xe8\x82\xa1";
	unsigned char out[256];
	struct utf8_check u;
	struct chunked c;
	size_t step, len;
	int err;

	for (step = 1; step <= sizeof(text); step++) {
		REQUIRE_EQ(check_all(&u, &c, S(text), step, 256, out, &len,
		    &err), 0);
		REQUIRE_EQ(len, sizeof(text) - 1);
		REQUIRE(memcmp(out, text, len) == 0);
		REQUIRE(u.saw_multibyte);
	}
	REQUIRE_EQ(check_all(&u, &c, S("only ascii\nhere\n"), 3, 5, out, &len,
	    &err), 0);
	REQUIRE(!u.saw_multibyte);
}
END_TEST

static const struct bad_case {
	const char *p;
	size_t n;
	size_t good;      /* bytes handed out before */
	unsigned char byte;
	unsigned col;
} bad_cases[] = {
	{ S("name,quote\r\nC,\x93" "curly\x94\r\n"), 14, 0x93, 3 },
	{ S("ab\x80"), 2, 0x80, 3 },
	{ S("\xc3\xa9\xc3\xa9,\xff"), 5, 0xff, 4 },
	{ S("a\n\xc0\xaf"), 2, 0xc0, 1 },
	{ S("x,\xed\xa0\x80,y"), 2, 0xed, 3 },
	{ S("a,b\n1,2\n3,\xe2\x82"), 10, 0xe2, 3 },
	{ S("12345678\xe2\x82\n"), 8, 0xe2, 9 },
	{ S("\xe8\x82\xa1\xe8\x82\xa1\xe8\x82x"), 6, 0xe8, 3 },
	{ S("\xf5\x80\x80\x80"), 0, 0xf5, 1 },
	{ S("a\r\nb\rcc\x93"), 7, 0x93, 3 },
	{ S("long line of plain ascii, then \xe9t\xe9\n"), 31, 0xe9, 32 },
};

START_TEST(invalid_every_step)
{
	const struct bad_case *b = &bad_cases[_i];
	unsigned char out[256];
	char what[96], want[96];
	struct utf8_check u;
	struct chunked c;
	size_t step, len;
	int err;

	snprintf(want, sizeof(want), "not valid UTF-8 (byte 0x%02x at column "
	    "%u)", b->byte, b->col);
	for (step = 1; step <= b->n; step++) {
		REQUIRE_EQ(check_all(&u, &c, b->p, b->n, step, 256, out, &len,
		    &err), -1);
		REQUIRE_EQ(err, EILSEQ);
		REQUIRE_MSG(len >= b->good && len < b->good + 4,
		    "step %zu: %zu bytes out, %zu good", step, len, b->good);
		REQUIRE(memcmp(out, b->p, len) == 0);
		utf8_check_what(&u, what, sizeof(what));
		REQUIRE_MSG(strcmp(what, want) == 0, "step %zu: %s, not %s",
		    step, what, want);
		REQUIRE_EQ(u.bad_offset, b->good);
		REQUIRE_EQ(u.win[u.win_bad], b->byte);
	}
}
END_TEST

START_TEST(early_line)
{
	unsigned char out[16];
	struct utf8_check u;
	struct chunked c;
	size_t len;
	int err;

	REQUIRE_EQ(check_all(&u, &c, S("\n\n\xff"), 1, 16, out, &len, &err),
	    -1);
	REQUIRE_EQ(utf8_check_early_line(&u), 3);
	REQUIRE_EQ(check_all(&u, &c, S("\r\n\xff"), 1, 16, out, &len, &err),
	    -1);
	REQUIRE_EQ(utf8_check_early_line(&u), 2);
	REQUIRE_EQ(check_all(&u, &c, S("\xff"), 1, 16, out, &len, &err), -1);
	REQUIRE_EQ(utf8_check_early_line(&u), 1);
	REQUIRE_EQ(check_all(&u, &c, S("abc\n\xff"), 1, 16, out, &len, &err),
	    -1);
	REQUIRE_EQ(utf8_check_early_line(&u), 0); /* the reader counted */
}
END_TEST

/* The advice for text p, read 4096 at a time. */
static void
advice_of(const char *p, size_t n, char *out, size_t outlen)
{
	unsigned char buf[8192];
	struct utf8_check u;
	struct chunked c;
	size_t len;
	int err;

	REQUIRE(n < sizeof(buf));
	REQUIRE_EQ(check_all(&u, &c, p, n, 4096, sizeof(buf), buf, &len,
	    &err), -1);
	utf8_check_advice(&u, out, outlen);
}

static const char *const cp1252_samples[] = {
	/* “curly” — dash, naïve café, Größe, 5 €, ‘single’ */
	"name,quote\r\nC,\x93" "curly\x94 \x97 dash\r\n",
	"id,text\n1,na\xefve caf\xe9\n",
	"Ma\xdf,Gr\xf6\xdf" "e\n",
	"price\n5 \x80\n",
	"q\n\x91single\x92 and \x84low\x93\n",
};

static const char *const gb_samples[] = {
	/* 代码,名称 / 600000,浦发银行 / 万科Ａ / 中国平安 股份 */
	"\xb4\xfa\xc2\xeb,\xc3\xfb\xb3\xc6\n600000,\xc6\xd6\xb7\xa2"
	"\xd2\xf8\xd0\xd0\n",
	"id,name\n2,\xcd\xf2\xbf\xc6\xa3\xc1\n",
	"x,\xd6\xd0\xb9\xfa\xc6\xbd\xb0\xb2 \xb9\xc9\xb7\xdd\n",
};

START_TEST(hint_cp1252)
{
	char adv[768];
	size_t i;

	for (i = 0; i < sizeof(cp1252_samples) / sizeof(cp1252_samples[0]);
	    i++) {
		advice_of(cp1252_samples[i], strlen(cp1252_samples[i]), adv,
		    sizeof(adv));
		ck_assert_msg(strncmp(adv, "try --encoding CP1252 (", 23) == 0,
		    "sample %zu: %s", i, adv);
		ck_assert_msg(strstr(adv, "GB18030") == NULL, "sample %zu: %s",
		    i, adv);
	}
	advice_of(cp1252_samples[0], strlen(cp1252_samples[0]), adv,
	    sizeof(adv));
	ck_assert_str_eq(adv, "try --encoding CP1252 (it reads "
	    "\"C,\xe2\x80\x9c" "curly\xe2\x80\x9d \xe2\x80\x94 dash\")");
}
END_TEST

START_TEST(hint_gb18030)
{
	char adv[768];
	size_t i;

	for (i = 0; i < sizeof(gb_samples) / sizeof(gb_samples[0]); i++) {
		advice_of(gb_samples[i], strlen(gb_samples[i]), adv,
		    sizeof(adv));
		ck_assert_msg(strncmp(adv, "try --encoding GB18030 (", 24) == 0,
		    "sample %zu: %s", i, adv);
		ck_assert_msg(strstr(adv, "CP1252") == NULL, "sample %zu: %s",
		    i, adv);
	}
	advice_of(gb_samples[0], strlen(gb_samples[0]), adv, sizeof(adv));
	ck_assert_str_eq(adv, "try --encoding GB18030 (it reads "
	    "\"\xe4\xbb\xa3\xe7\xa0\x81,\xe5\x90\x8d\xe7\xa7\xb0\")");
}
END_TEST

START_TEST(hint_utf16_without_bom)
{
	/* "name,caf\u00e9\n" in both orders */
	static const char le[] = "n\0a\0m\0e\0,\0c\0a\0f\0\xe9\0\n\0";
	static const char be[] = "\0n\0a\0m\0e\0,\0c\0a\0f\0\xe9\0\n";
	char adv[768];

	advice_of(le, sizeof(le) - 1, adv, sizeof(adv));
	ck_assert_msg(strncmp(adv, "try --encoding UTF-16LE (", 25) == 0, "%s",
	    adv);
	advice_of(be, sizeof(be) - 1, adv, sizeof(adv));
	ck_assert_msg(strncmp(adv, "try --encoding UTF-16BE (", 25) == 0, "%s",
	    adv);
}
END_TEST

START_TEST(hint_none)
{
	char adv[768];

	/* UTF-8 before the bad byte: damage, not another encoding */
	advice_of(S("caf\xc3\xa9,ok\nna\xefve\n"), adv, sizeof(adv));
	assert_has(adv, "no --encoding to suggest");
	/* bytes no encoding tried reads sensibly (C1 controls in GB18030
	 * and CP1252 alike) */
	advice_of(S("a,\x81\x01\x02\x8d\x90\x9d\x81\n"), adv, sizeof(adv));
	assert_has(adv, "neither CP1252 nor GB18030");
}
END_TEST

START_TEST(sensible_directly)
{
	REQUIRE(encoding_sensible("CP1252", (const unsigned char *)
	    "caf\xe9", 4));
	REQUIRE(!encoding_sensible("CP1252", (const unsigned char *)
	    "\xc6\xd6\xb7\xa2\xd2\xf8", 6)); /* 浦发银 one byte at a time */
	REQUIRE(encoding_sensible("GB18030", (const unsigned char *)
	    "\xc6\xd6\xb7\xa2\xd2\xf8", 6));
	REQUIRE(!encoding_sensible("GB18030", (const unsigned char *)
	    "na\xefve", 5)); /* a GBK character of \xef and 'v' */
	REQUIRE(!encoding_sensible("CP1252", (const unsigned char *)
	    "plain", 5)); /* nothing non-ASCII: nothing to read */
	REQUIRE(!encoding_sensible("NO-SUCH-ENCODING", (const unsigned char *)
	    "caf\xe9", 4));
}
END_TEST

Suite *
encoding_hint_suite(void)
{
	Suite *s = suite_create("encoding_hint");
	TCase *t = tcase_create("encoding_hint");

	tcase_set_timeout(t, 20);
	tcase_add_test(t, valid_passes_every_step);
	tcase_add_loop_test(t, invalid_every_step, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(t, early_line);
	tcase_add_test(t, hint_cp1252);
	tcase_add_test(t, hint_gb18030);
	tcase_add_test(t, hint_utf16_without_bom);
	tcase_add_test(t, hint_none);
	tcase_add_test(t, sensible_directly);
	suite_add_tcase(s, t);
	return s;
}
