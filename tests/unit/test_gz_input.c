/*
 * test_gz_input.c - gzip inputs (common/gz_input.h), streams made here
 * with zlib: one member and several (cat a.gz b.gz), each read one byte
 * at a time and in larger pieces, through sources that give 1, 3 or 4096
 * bytes a read; plain input handed out as it is (empty, one byte, a lone
 * 1F); zero padding after the last member ignored, other bytes there
 * damage; a stream cut at every byte is "ends early" (unless the cut
 * falls between members: that is a whole stream; or after its first
 * byte, which cannot be the magic: plain input), after handing out a
 * prefix of the text only; a flipped CRC or length byte is "corrupt"
 * (with the member's number past the first) after the member's bytes
 * were handed out, member_line saying where it began; and through
 * input_open, a .gz input's rows, with input_bytes the compressed size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "suites.h"
#include "capture.h"
#include "check_helpers.h"
#include "buf.h"
#include "fail.h"
#include "gz_input.h"
#include "input.h"

/* Appends a gzip member of p[0..n) to out. */
static void
gzip_member(struct buf *out, const void *p, size_t n, int level)
{
	unsigned char tmp[1 << 16];
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS,
	    8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	do {
		zs.next_out = tmp;
		zs.avail_out = sizeof(tmp);
		rc = deflate(&zs, Z_FINISH);
		ck_assert_int_ne(rc, Z_STREAM_ERROR);
		ck_assert_int_eq(buf_append(out, tmp, sizeof(tmp) -
		    zs.avail_out), 0);
	} while (rc != Z_STREAM_END);
	deflateEnd(&zs);
}

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

/* Reads all of p through a gz_input: the output into out, the last
 * read's result (0, or -1 with *err = errno) returned; g left open. */
static int
gunzip(struct gz_input *g, struct chunked *c, const void *p, size_t n,
    size_t step, size_t outstep, struct buf *out, int *err)
{
	struct csv_source src = { chunked_read, c };
	unsigned char tmp[8192];
	ssize_t r;
	size_t guard = 64 * (n + 64) + 100000;

	c->p = p;
	c->len = n;
	c->pos = 0;
	c->step = step;
	buf_reset(out);
	*err = 0;
	REQUIRE(gz_input_open(g, src) == 0);
	for (;;) {
		REQUIRE_MSG(guard-- > 0, "gz_input_read does not end");
		r = gz_input_read(g, tmp, outstep);
		if (r < 0) {
			*err = errno;
			REQUIRE_EQ(gz_input_read(g, tmp, outstep), -1);
			return -1;
		}
		if (r == 0)
			return 0;
		REQUIRE((size_t)r <= outstep);
		REQUIRE(buf_append(out, tmp, (size_t)r) == 0);
	}
}

/* Some CSV text, n lines of it, different each time. */
static void
text(struct buf *t, unsigned n, unsigned seed)
{
	char line[64];
	unsigned i;

	buf_reset(t);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%u,%u,v%u%s", i, seed,
		    (i * 2654435761u + seed) % 100000u,
		    i % 3 == 0 ? "\r\n" : i % 3 == 1 ? "\n" : "\r");
		buf_append(t, line, strlen(line));
	}
}

START_TEST(members_every_step)
{
	static const size_t steps[] = { 1, 3, 4096 };
	static const size_t outsteps[] = { 1, 7, 8192 };
	struct buf t1, t2, gz, want, out;
	struct gz_input g;
	struct chunked c;
	size_t s, o;
	int err;

	buf_init(&t1, 0);
	buf_init(&t2, 0);
	buf_init(&gz, 0);
	buf_init(&want, 0);
	buf_init(&out, 0);
	text(&t1, 300, 1);
	text(&t2, 40, 2);
	gzip_member(&gz, t1.data, t1.len, 6);
	gzip_member(&gz, t2.data, t2.len, 1);
	gzip_member(&gz, "", 0, 6);               /* an empty member */
	gzip_member(&gz, t1.data, t1.len, 0);     /* stored blocks */
	buf_append(&want, t1.data, t1.len);
	buf_append(&want, t2.data, t2.len);
	buf_append(&want, t1.data, t1.len);
	for (s = 0; s < 3; s++)
		for (o = 0; o < 3; o++) {
			REQUIRE_EQ(gunzip(&g, &c, gz.data, gz.len, steps[s],
			    outsteps[o], &out, &err), 0);
			REQUIRE(g.gzip);
			REQUIRE_EQ(g.member, 4);
			REQUIRE_EQ(out.len, want.len);
			REQUIRE(memcmp(out.data, want.data, want.len) == 0);
			REQUIRE_EQ(g.raw_bytes, gz.len);
			REQUIRE_EQ(g.out_bytes, want.len);
			/* 300 lines, 40, none, then the last began */
			REQUIRE_EQ(g.member_line, 341);
			REQUIRE_EQ(g.line, 641);
			gz_input_close(&g);
		}
	buf_free(&t1);
	buf_free(&t2);
	buf_free(&gz);
	buf_free(&want);
	buf_free(&out);
}
END_TEST

START_TEST(plain_input_as_it_is)
{
	static const struct {
		const char *p;
		size_t n;
	} cases[] = {
		{ "", 0 }, { "a", 1 }, { "\x1f", 1 }, { "\x1f\x8c..", 4 },
		{ "a,b\n1,2\n", 8 }, { "\x8b\x1f", 2 },
	};
	struct gz_input g;
	struct chunked c;
	struct buf out;
	size_t i, s;
	int err;

	buf_init(&out, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (s = 1; s <= 3; s++) {
			REQUIRE_EQ(gunzip(&g, &c, cases[i].p, cases[i].n, s, 3,
			    &out, &err), 0);
			REQUIRE(!g.gzip);
			REQUIRE_EQ(out.len, cases[i].n);
			REQUIRE(out.len == 0 ||
			    memcmp(out.data, cases[i].p, out.len) == 0);
			gz_input_close(&g);
		}
	buf_free(&out);
}
END_TEST

START_TEST(padding_and_trailing_bytes)
{
	struct buf gz, out;
	struct gz_input g;
	struct chunked c;
	int err;

	buf_init(&gz, 0);
	buf_init(&out, 0);
	gzip_member(&gz, "a,b\n", 4, 6);
	buf_append(&gz, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	REQUIRE_EQ(gunzip(&g, &c, gz.data, gz.len, 5, 100, &out, &err), 0);
	REQUIRE_EQ(out.len, 4);
	gz_input_close(&g);
	buf_append(&gz, "x", 1);
	REQUIRE_EQ(gunzip(&g, &c, gz.data, gz.len, 5, 100, &out, &err), -1);
	REQUIRE_EQ(err, EBADMSG);
	REQUIRE_EQ(g.damaged, 1);
	assert_has(gz_input_error(&g), "gzip stream is corrupt (");
	assert_has(gz_input_error(&g), "not gzip");
	REQUIRE_EQ(out.len, 4);
	gz_input_close(&g);
	buf_free(&gz);
	buf_free(&out);
}
END_TEST

START_TEST(truncated_at_every_byte)
{
	struct buf t1, t2, gz, all, out;
	struct gz_input g;
	struct chunked c;
	size_t cut, end1, s;
	int err, rc;

	buf_init(&t1, 0);
	buf_init(&t2, 0);
	buf_init(&gz, 0);
	buf_init(&all, 0);
	buf_init(&out, 0);
	text(&t1, 120, 3);
	text(&t2, 80, 4);
	gzip_member(&gz, t1.data, t1.len, 9);
	end1 = gz.len;
	gzip_member(&gz, t2.data, t2.len, 9);
	buf_append(&all, t1.data, t1.len);
	buf_append(&all, t2.data, t2.len);
	for (cut = 1; cut < gz.len; cut++)
		for (s = 1; s <= 4096; s *= 64) {
			rc = gunzip(&g, &c, gz.data, cut, s, 4096, &out, &err);
			if (cut == 1) {
				/* one byte cannot be the magic: plain */
				REQUIRE_EQ(rc, 0);
				REQUIRE(!g.gzip);
				gz_input_close(&g);
				continue;
			}
			if (cut == end1) {
				/* a whole stream of one member */
				REQUIRE_EQ(rc, 0);
				REQUIRE_EQ(out.len, t1.len);
				gz_input_close(&g);
				continue;
			}
			REQUIRE_MSG(rc == -1, "cut at %zu of %zu read through",
			    cut, gz.len);
			REQUIRE_EQ(err, EBADMSG);
			REQUIRE_EQ(g.damaged, 2);
			REQUIRE(strncmp(gz_input_error(&g),
			    "gzip stream ends early", 22) == 0);
			if (cut > end1)
				assert_has(gz_input_error(&g), "member 2");
			REQUIRE(out.len <= all.len);
			REQUIRE(out.len == 0 ||
			    memcmp(out.data, all.data, out.len) == 0);
			gz_input_close(&g);
		}
	buf_free(&t1);
	buf_free(&t2);
	buf_free(&gz);
	buf_free(&all);
	buf_free(&out);
}
END_TEST

START_TEST(corrupt_crc_and_length)
{
	struct buf t1, t2, gz, out;
	struct gz_input g;
	struct chunked c;
	size_t end1, at;
	int err, i;

	buf_init(&t1, 0);
	buf_init(&t2, 0);
	buf_init(&gz, 0);
	buf_init(&out, 0);
	text(&t1, 50, 5);
	text(&t2, 70, 6);
	for (i = 0; i < 4; i++) {
		/* CRC of member 1, its length, CRC of member 2, its length */
		buf_reset(&gz);
		gzip_member(&gz, t1.data, t1.len, 6);
		end1 = gz.len;
		gzip_member(&gz, t2.data, t2.len, 6);
		at = (i < 2 ? end1 : gz.len) - (i % 2 ? 4 : 8);
		gz.data[at] ^= 0x40;
		REQUIRE_EQ(gunzip(&g, &c, gz.data, gz.len, 4096, 4096, &out,
		    &err), -1);
		REQUIRE_EQ(err, EBADMSG);
		REQUIRE_EQ(g.damaged, 1);
		assert_has(gz_input_error(&g), i % 2 ? "incorrect length check" :
		    "incorrect data check");
		if (i >= 2) {
			assert_has(gz_input_error(&g), "(member 2: ");
			REQUIRE_EQ(g.member_line, 51);
			REQUIRE_EQ(g.member_out, t1.len);
			/* its bytes were out before the check */
			REQUIRE_EQ(out.len, t1.len + t2.len);
		} else {
			REQUIRE(strncmp(gz_input_error(&g),
			    "gzip stream is corrupt (incorrect", 33) == 0);
			REQUIRE_EQ(g.member_line, 1);
			REQUIRE_EQ(out.len, t1.len);
		}
		gz_input_close(&g);
	}
	/* A damaged block: corrupt, whatever zlib calls it. */
	buf_reset(&gz);
	gzip_member(&gz, t1.data, t1.len, 6);
	gz.data[12] ^= 0xff;
	gz.data[13] ^= 0xff;
	REQUIRE_EQ(gunzip(&g, &c, gz.data, gz.len, 7, 4096, &out, &err), -1);
	REQUIRE_EQ(err, EBADMSG);
	assert_has(gz_input_error(&g), "gzip stream is corrupt (");
	gz_input_close(&g);
	buf_free(&t1);
	buf_free(&t2);
	buf_free(&gz);
	buf_free(&out);
}
END_TEST

START_TEST(through_input_open)
{
	char path[] = "/tmp/csvpack-unit-gz-XXXXXX";
	struct buf gz;
	struct options o;
	struct input in;
	const struct field *f;
	uint64_t line;
	uint32_t n;
	int fd, rows = 0;

	buf_init(&gz, 0);
	gzip_member(&gz, "k,v\n1,a\n", 8, 6);
	gzip_member(&gz, "2,b\r\n\n3,c\n", 10, 6);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, gz.data, gz.len), (ssize_t)gz.len);
	close(fd);
	memset(&o, 0, sizeof(o));
	o.delim = ',';
	fail_reset();
	ck_assert_int_eq(input_open(&in, path, &o, 0), 0);
	ck_assert_uint_eq(in.ncols, 2);
	while (input_next(&in, &f, &n, &line) == 1) {
		rows++;
		ck_assert_uint_eq(line, rows == 3 ? 5 : (uint64_t)rows + 1);
		ck_assert_int_eq(f[0].s[0], '0' + rows);
	}
	ck_assert_int_eq(rows, 3);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	ck_assert_uint_eq(input_bytes(&in), gz.len);
	input_close(&in);
	unlink(path);
	buf_free(&gz);
}
END_TEST

Suite *
gz_input_suite(void)
{
	Suite *s = suite_create("gz_input");
	TCase *t = tcase_create("gz_input");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, members_every_step);
	tcase_add_test(t, plain_input_as_it_is);
	tcase_add_test(t, padding_and_trailing_bytes);
	tcase_add_test(t, truncated_at_every_byte);
	tcase_add_test(t, corrupt_crc_and_length);
	tcase_add_test(t, through_input_open);
	suite_add_tcase(s, t);
	return s;
}
