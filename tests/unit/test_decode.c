/*
 * test_decode.c - unit tests of the iconv decoder (common/decode.h), a
 * csv_source that turns another encoding into UTF-8 as it streams.
 *
 * Fixtures are hard-coded bytes made with Python's codecs (and checked
 * with glibc's iconv(1)): GB18030 with 2- and 4-byte sequences, GBK,
 * CP1252 with its 0x80-0x9F punctuation, UTF-16 with a little- and a
 * big-endian BOM and without one (UTF-16LE / UTF-16BE), a surrogate pair
 * included; ISO-8859-1 is every byte 0x20-0xFF, whose UTF-8 is computed.
 *
 * Each fixture goes through an inner source that returns at most k bytes
 * per read, for every k from 1 to its length (so every multibyte character
 * is split at every point), and is read out in pieces of 1, 2, 3, 7 and
 * 4096 bytes; the output must be exactly the UTF-8 text.  A fixture
 * repeated past the decoder's 64 KiB input buffer checks its carry-over.
 *
 * Invalid input (a GB18030 character cut at EOF, bytes no encoding maps,
 * lone surrogates, an odd UTF-16 length) must give the good prefix
 * exactly, then read() == -1 with errno EILSEQ - never a silent EOF.
 * Also: an unknown encoding (EINVAL), an inner read error (errno kept),
 * empty input and a BOM alone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "check_helpers.h"
#include "buf.h"
#include "decode.h"

/* --- an inner source handing out at most step bytes per read ------------ */

struct chunked {
	const unsigned char *p;
	size_t len, pos, step;
	size_t fail_at;  /* fail once pos reaches this, if fail_errno */
	int fail_errno;
	unsigned reads;
};

static ssize_t
chunked_read(void *ctx, void *buf, size_t n)
{
	struct chunked *c = ctx;
	size_t k = c->len - c->pos;

	c->reads++;
	if (c->fail_errno && c->pos >= c->fail_at) {
		errno = c->fail_errno;
		return -1;
	}
	if (k > c->step)
		k = c->step;
	if (k > n)
		k = n;
	if (c->fail_errno && c->pos + k > c->fail_at)
		k = c->fail_at - c->pos;
	memcpy(buf, c->p + c->pos, k);
	c->pos += k;
	return (ssize_t)k;
}

/* Decodes all of in through a decoder, reading outstep bytes at a time.
 * Returns 0 at EOF, or -1 with *err = errno; the output goes to out. */
static int
decode_all(const char *enc, const void *in, size_t len, size_t step,
    size_t outstep, struct buf *out, int *err)
{
	struct chunked c = { in, len, 0, step, 0, 0, 0 };
	struct csv_source src = { chunked_read, &c };
	struct decoder d;
	unsigned char tmp[4096];
	size_t guard = 16 * (len + 16);
	ssize_t n;

	REQUIRE_MSG(outstep <= sizeof(tmp), "outstep too big");
	buf_reset(out);
	*err = 0;
	REQUIRE_MSG(decoder_open(&d, enc, src) == 0, "decoder_open %s: %s",
	    enc, strerror(errno));
	for (;;) {
		REQUIRE_MSG(guard-- > 0, "%s: the decoder does not end", enc);
		errno = 0;
		n = decoder_read(&d, tmp, outstep);
		if (n < 0) {
			*err = errno;
			break;
		}
		if (n == 0)
			break;
		REQUIRE_MSG((size_t)n <= outstep, "%s: read %zd > %zu", enc, n,
		    outstep);
		REQUIRE_MSG(buf_append(out, tmp, (size_t)n) == 0,
		    "out of memory");
	}
	decoder_close(&d);
	return n < 0 ? -1 : 0;
}

/* --- fixtures ----------------------------------------------------------- */

struct fixture {
	const char *name, *enc;
	const char *in;
	size_t in_len;
	const char *out;
	size_t out_len;
};

#define B(x) x, sizeof(x) - 1

static const struct fixture fixtures[] = {
	{ "gb18030", "GB18030",
	    /* 股票代码,价格\n中文€é😀,U+0080x¥\r\n末 */
	    B("\xb9\xc9\xc6\xb1\xb4\xfa\xc2\xeb\x2c\xbc\xdb\xb8\xf1\x0a\xd6\xd0"
	    "\xce\xc4\xa2\xe3\xa8\xa6\x94\x39\xfc\x36\x2c\x81\x30\x81\x30\x78"
	    "\x81\x30\x84\x36\x0d\x0a\xc4\xa9"),
	    B("\xe8\x82\xa1\xe7\xa5\xa8\xe4\xbb\xa3\xe7\xa0\x81\x2c\xe4\xbb\xb7"
	    "\xe6\xa0\xbc\x0a\xe4\xb8\xad\xe6\x96\x87\xe2\x82\xac\xc3\xa9\xf0"
	    "\x9f\x98\x80\x2c\xc2\x80\x78\xc2\xa5\x0d\x0a\xe6\x9c\xab") },
	{ "gbk", "GBK",
	    /* 股票代码,价格\n中文,汉字\n */
	    B("\xb9\xc9\xc6\xb1\xb4\xfa\xc2\xeb\x2c\xbc\xdb\xb8\xf1\x0a\xd6\xd0"
	    "\xce\xc4\x2c\xba\xba\xd7\xd6\x0a"),
	    B("\xe8\x82\xa1\xe7\xa5\xa8\xe4\xbb\xa3\xe7\xa0\x81\x2c\xe4\xbb\xb7"
	    "\xe6\xa0\xbc\x0a\xe4\xb8\xad\xe6\x96\x87\x2c\xe6\xb1\x89\xe5\xad"
	    "\x97\x0a") },
	{ "cp1252", "CP1252",
	    /* café,€5 “quoted” – ÿ Š\n DEL ~ */
	    B("\x63\x61\x66\xe9\x2c\x80\x35\x20\x93\x71\x75\x6f\x74\x65\x64\x94"
	    "\x20\x96\x20\xff\x20\x8a\x0a\x7f\x7e"),
	    B("\x63\x61\x66\xc3\xa9\x2c\xe2\x82\xac\x35\x20\xe2\x80\x9c\x71\x75"
	    "\x6f\x74\x65\x64\xe2\x80\x9d\x20\xe2\x80\x93\x20\xc3\xbf\x20\xc5"
	    "\xa0\x0a\x7f\x7e") },
	{ "utf16-le-bom", "UTF-16",
	    /* BOM a,股\n😀é\r\n */
	    B("\xff\xfe\x61\x00\x2c\x00\xa1\x80\x0a\x00\x3d\xd8\x00\xde\xe9\x00"
	    "\x0d\x00\x0a\x00"),
	    B("\x61\x2c\xe8\x82\xa1\x0a\xf0\x9f\x98\x80\xc3\xa9\x0d\x0a") },
	{ "utf16-be-bom", "UTF-16",
	    B("\xfe\xff\x00\x61\x00\x2c\x80\xa1\x00\x0a\xd8\x3d\xde\x00\x00\xe9"
	    "\x00\x0d\x00\x0a"),
	    B("\x61\x2c\xe8\x82\xa1\x0a\xf0\x9f\x98\x80\xc3\xa9\x0d\x0a") },
	{ "utf16le", "UTF-16LE",
	    B("\x61\x00\x2c\x00\xa1\x80\x0a\x00\x3d\xd8\x00\xde\xe9\x00\x0d\x00"
	    "\x0a\x00"),
	    B("\x61\x2c\xe8\x82\xa1\x0a\xf0\x9f\x98\x80\xc3\xa9\x0d\x0a") },
	{ "utf16be", "UTF-16BE",
	    B("\x00\x61\x00\x2c\x80\xa1\x00\x0a\xd8\x3d\xde\x00\x00\xe9\x00\x0d"
	    "\x00\x0a"),
	    B("\x61\x2c\xe8\x82\xa1\x0a\xf0\x9f\x98\x80\xc3\xa9\x0d\x0a") },
	{ "utf8", "UTF-8",
	    B("a,\xe8\x82\xa1\n\xf0\x9f\x98\x80\r\n"),
	    B("a,\xe8\x82\xa1\n\xf0\x9f\x98\x80\r\n") },
};
#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static const size_t outsteps[] = { 1, 2, 3, 7, 4096 };

static void
check_every_step(const char *name, const char *enc, const void *in,
    size_t len, const void *want, size_t want_len)
{
	struct buf out;
	size_t step, o;
	int err;

	buf_init(&out, 0);
	for (step = 1; step <= len; step++)
		for (o = 0; o < sizeof(outsteps) / sizeof(outsteps[0]); o++) {
			REQUIRE_MSG(decode_all(enc, in, len, step, outsteps[o],
			    &out, &err) == 0, "%s step %zu/%zu: error %s", name,
			    step, outsteps[o], strerror(err));
			REQUIRE_MSG(out.len == want_len &&
			    memcmp(out.data, want, want_len) == 0,
			    "%s step %zu/%zu: wrong output (%zu bytes, want %zu)",
			    name, step, outsteps[o], out.len, want_len);
		}
	buf_free(&out);
}

START_TEST(fixture_every_step)
{
	const struct fixture *f = &fixtures[_i];

	check_every_step(f->name, f->enc, f->in, f->in_len, f->out,
	    f->out_len);
}
END_TEST

START_TEST(latin1_every_byte)
{
	unsigned char in[0x100 - 0x20 + 2];
	char want[2 * sizeof(in)];
	size_t n = 0, o = 0;
	unsigned c;

	for (c = 0x20; c <= 0xFF; c++) {
		in[n++] = (unsigned char)c;
		if (c < 0x80) {
			want[o++] = (char)c;
		} else {
			want[o++] = (char)(0xC0 | c >> 6);
			want[o++] = (char)(0x80 | (c & 0x3F));
		}
	}
	in[n++] = '\n';
	want[o++] = '\n';
	check_every_step("iso-8859-1", "ISO-8859-1", in, n, want, o);
}
END_TEST

/* Fixtures repeated past the 64 KiB input buffer, so characters straddle
 * its edge; read through a few inner and outer sizes. */
START_TEST(fixture_large)
{
	static const size_t steps[] = { 1, 2, 3, 4095, 65535, 65536, 65537,
	    1 << 20 };
	static const size_t osteps[] = { 1, 4096 };
	const struct fixture *f = &fixtures[_i];
	struct buf in, want, out;
	size_t bom = 0, s, o;
	int err;

	if (strcmp(f->enc, "UTF-16") == 0)
		bom = 2; /* the BOM once, then the body again and again */
	buf_init(&in, 0);
	buf_init(&want, 0);
	buf_init(&out, 0);
	buf_append(&in, f->in, bom);
	while (in.len < 3 * 65536 + 17) {
		buf_append(&in, f->in + bom, f->in_len - bom);
		buf_append(&want, f->out, f->out_len);
	}
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++)
		for (o = 0; o < sizeof(osteps) / sizeof(osteps[0]); o++) {
			if (steps[s] < 4 && osteps[o] == 1)
				continue; /* slow and adds nothing */
			ck_assert_msg(decode_all(f->enc, in.data, in.len, steps[s],
			    osteps[o], &out, &err) == 0, "%s large step %zu: %s",
			    f->name, steps[s], strerror(err));
			ck_assert_msg(out.len == want.len &&
			    memcmp(out.data, want.data, want.len) == 0,
			    "%s large step %zu/%zu: wrong output", f->name,
			    steps[s], osteps[o]);
		}
	buf_free(&in);
	buf_free(&want);
	buf_free(&out);
}
END_TEST

/* A character split across reads at chosen points. */
START_TEST(split_character)
{
	/* "x" U+1F600 "y" in GB18030: 78 | 94 39 FC 36 | 79 */
	static const unsigned char in[] = { 0x78, 0x94, 0x39, 0xFC, 0x36, 0x79 };
	static const char want[] = "x\xf0\x9f\x98\x80y";
	struct chunked c = { in, sizeof(in), 0, 1, 0, 0, 0 };
	struct csv_source src = { chunked_read, &c };
	struct decoder d;
	char out[16];
	ssize_t n;
	size_t got = 0;

	ck_assert_int_eq(decoder_open(&d, "GB18030", src), 0);
	while ((n = decoder_read(&d, out + got, sizeof(out) - got)) > 0)
		got += (size_t)n;
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(got, sizeof(want) - 1);
	ck_assert_mem_eq(out, want, got);
	ck_assert_uint_ge(c.reads, sizeof(in)); /* one byte per read */
	decoder_close(&d);
}
END_TEST

/* --- invalid input ------------------------------------------------------ */

struct bad_case {
	const char *name, *enc;
	const char *in;
	size_t in_len;
	const char *good;
	size_t good_len;
};

static const struct bad_case bad_cases[] = {
	{ "gb18030 2-byte cut at EOF", "GB18030", B("ab\xb9"), B("ab") },
	{ "gb18030 4-byte cut at EOF", "GB18030", B("ab\x81\x30\x81"), B("ab") },
	{ "gb18030 0x80", "GB18030", B("ab\x80" "cd"), B("ab") },
	{ "gb18030 0xFF", "GB18030", B("\xb9\xc9" "ab\xff\x30" "cd"),
	    B("\xe8\x82\xa1" "ab") },
	{ "gbk cut at EOF", "GBK", B("ab\xb9"), B("ab") },
	{ "cp1252 0x81", "CP1252", B("caf\xe9\x81" "x"), B("caf\xc3\xa9") },
	{ "utf16le lone high surrogate", "UTF-16LE", B("a\0\0\xd8" "b\0"),
	    B("a") },
	{ "utf16le odd length", "UTF-16LE", B("a\0b"), B("a") },
	{ "utf16 bom lone low surrogate", "UTF-16", B("\xff\xfe" "a\0\0\xdc"),
	    B("a") },
	{ "utf8 0xFF", "UTF-8", B("ab\xff" "c"), B("ab") },
	{ "utf8 cut at EOF", "UTF-8", B("ab\xe8\x82"), B("ab") },
};
#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

static void
check_bad(const char *name, const char *enc, const void *in, size_t len,
    const void *good, size_t good_len, int every_step)
{
	static const size_t osteps[] = { 1, 3, 4096 };
	struct buf out;
	size_t step, o;
	int err;

	buf_init(&out, 0);
	for (step = 1; step <= len; step = every_step ? step + 1 : step * 7)
		for (o = 0; o < sizeof(osteps) / sizeof(osteps[0]); o++) {
			REQUIRE_MSG(decode_all(enc, in, len, step, osteps[o],
			    &out, &err) == -1, "%s step %zu/%zu: no error, "
			    "%zu bytes out", name, step, osteps[o], out.len);
			REQUIRE_MSG(err == EILSEQ, "%s step %zu/%zu: errno %s",
			    name, step, osteps[o], strerror(err));
			REQUIRE_MSG(out.len == good_len &&
			    memcmp(out.data, good, good_len) == 0,
			    "%s step %zu/%zu: good prefix %zu bytes, want %zu",
			    name, step, osteps[o], out.len, good_len);
		}
	buf_free(&out);
}

START_TEST(invalid_sequence)
{
	const struct bad_case *b = &bad_cases[_i];

	check_bad(b->name, b->enc, b->in, b->in_len, b->good, b->good_len, 1);
}
END_TEST

/* A long good prefix (past the input buffer) before the bad byte. */
START_TEST(invalid_after_long_prefix)
{
	const struct fixture *f = &fixtures[0]; /* GB18030 */
	struct buf in, good;

	buf_init(&in, 0);
	buf_init(&good, 0);
	while (in.len < 65536 + 100) {
		buf_append(&in, f->in, f->in_len);
		buf_append(&good, f->out, f->out_len);
	}
	buf_append(&in, "\x81\x30", 2); /* half a 4-byte character, EOF */
	check_bad("gb18030 long", "GB18030", in.data, in.len, good.data,
	    good.len, 0);
	buf_reset(&in);
	buf_reset(&good);
	while (in.len < 65536 + 100) {
		buf_append(&in, f->in, f->in_len);
		buf_append(&good, f->out, f->out_len);
	}
	buf_append(&in, "\xff\xff" "tail", 6);
	check_bad("gb18030 long 0xFF", "GB18030", in.data, in.len, good.data,
	    good.len, 0);
	buf_free(&in);
	buf_free(&good);
}
END_TEST

/* --- the rest ----------------------------------------------------------- */

START_TEST(unknown_encoding)
{
	struct chunked c = { (const unsigned char *)"", 0, 0, 1, 0, 0, 0 };
	struct csv_source src = { chunked_read, &c };
	struct decoder d;

	errno = 0;
	ck_assert_int_eq(decoder_open(&d, "NO-SUCH-ENCODING-42", src), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(inner_error_kept)
{
	static const char text[] = "abc\xb9\xc9" "def";
	struct chunked c = { (const unsigned char *)text, sizeof(text) - 1, 0,
	    2, 5, EIO, 0 };
	struct csv_source src = { chunked_read, &c };
	struct decoder d;
	char out[64];
	size_t got = 0;
	ssize_t n;

	ck_assert_int_eq(decoder_open(&d, "GB18030", src), 0);
	while ((n = decoder_read(&d, out + got, sizeof(out) - got)) > 0)
		got += (size_t)n;
	ck_assert_int_eq(n, -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_uint_le(got, 6); /* at most "abc" + 股 */
	ck_assert_mem_eq(out, "abc\xe8\x82\xa1", got);
	decoder_close(&d);
}
END_TEST

START_TEST(empty_and_bom_only)
{
	struct buf out;
	int err;

	buf_init(&out, 0);
	ck_assert_int_eq(decode_all("GB18030", "", 0, 1, 16, &out, &err), 0);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(decode_all("UTF-16", "\xff\xfe", 2, 1, 16, &out,
	    &err), 0);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(decode_all("UTF-16", "\xfe\xff", 2, 2, 16, &out,
	    &err), 0);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

Suite *
decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *ok = tcase_create("valid");
	TCase *bad = tcase_create("invalid");

	/* Each test takes well under a second (sanitizer build included); a
	 * decoder that loops forever fails fast instead of at 60 s. */
	tcase_set_timeout(ok, 20);
	tcase_set_timeout(bad, 20);
	tcase_add_loop_test(ok, fixture_every_step, 0, (int)NFIXTURES);
	tcase_add_test(ok, latin1_every_byte);
	tcase_add_loop_test(ok, fixture_large, 0, (int)NFIXTURES);
	tcase_add_test(ok, split_character);
	tcase_add_test(ok, empty_and_bom_only);
	suite_add_tcase(s, ok);

	tcase_add_loop_test(bad, invalid_sequence, 0, (int)NBAD);
	tcase_add_test(bad, invalid_after_long_prefix);
	tcase_add_test(bad, unknown_encoding);
	tcase_add_test(bad, inner_error_kept);
	suite_add_tcase(s, bad);
	return s;
}
