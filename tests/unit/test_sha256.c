/*
 * test_sha256.c - unit tests of common/sha256.h.
 *
 * The FIPS 180-4 examples (NIST's "SHA256.pdf" and the SHAVS short
 * messages): "", "abc", the 448-bit and 896-bit messages and a million
 * 'a's (fed 1000 at a time); 55, 64 and 119 'a's, the lengths at which
 * padding takes one block, two, or ends flush.  Then 200000 pseudo-random
 * bytes hashed at once, one byte at a time and in random-sized pieces
 * (0 to 300 bytes, some several blocks long) must agree with each other
 * and with the digest Python's hashlib gives for the same bytes.  A
 * context reinitialised after final() gives the same digest again.
 *
 * All of that runs twice, once per compression path: the TCase "portable"
 * with sha256_force_portable(1), "sha-ni" without, added only when the
 * CPU has the SHA extensions (the test which_paths says so in the output
 * when it has not).  Then 1 MiB of pseudo-random bytes is hashed on each
 * path, cut into different random-sized pieces (odd sizes, so the vector
 * loads meet every alignment, and some pieces of many blocks): the two
 * digests and a one-shot one must agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "check_helpers.h"
#include "sha256.h"

static void
hex_of(const void *m, size_t n, char out[SHA256_HEX])
{
	unsigned char d[SHA256_DIGEST];
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, m, n);
	sha256_final(&c, d);
	sha256_hex(d, out);
}

static void
assert_hash(const char *m, const char *want)
{
	char got[SHA256_HEX];

	hex_of(m, strlen(m), got);
	ck_assert_str_eq(got, want);
}

START_TEST(nist_vectors)
{
	assert_hash("",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_hash("abc",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_hash("abcdefghbcdefghicdefghijdefghijkefghijklfghijklm"
	    "ghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(million_a)
{
	unsigned char d[SHA256_DIGEST];
	char got[SHA256_HEX], a[1000];
	struct sha256 c;
	int i;

	memset(a, 'a', sizeof(a));
	sha256_init(&c);
	for (i = 0; i < 1000; i++)
		sha256_update(&c, a, sizeof(a));
	sha256_final(&c, d);
	sha256_hex(d, got);
	ck_assert_str_eq(got,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* Padding: 55 bytes leave room for 0x80 and the length in one block; 64
 * fill a block exactly; 119 leave 55 in the second. */
START_TEST(padding_edges)
{
	static const struct { size_t n; const char *want; } t[] = {
	    { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
	    { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	    { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
	};
	char m[128], got[SHA256_HEX];
	size_t i;

	memset(m, 'a', sizeof(m));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		hex_of(m, t[i].n, got);
		ck_assert_str_eq(got, t[i].want);
	}
}
END_TEST

#define RAND_LEN 200000
/* hashlib.sha256 over the same bytes (xorshift64, low byte of each). */
#define RAND_SHA "6705af8841c84dbe87caa149a36b92776a7125c2f72a3553a926932dcc2648b1"

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned char *
random_bytes(void)
{
	uint64_t s = UINT64_C(0x9E3779B97F4A7C15);
	unsigned char *p = malloc(RAND_LEN);
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < RAND_LEN; i++)
		p[i] = (unsigned char)xorshift(&s);
	return p;
}

START_TEST(pieces_match_one_shot)
{
	unsigned char *p = random_bytes(), d[SHA256_DIGEST];
	char once[SHA256_HEX], bytewise[SHA256_HEX], pieces[SHA256_HEX];
	uint64_t s = (uint64_t)_i * 7919 + 1;
	struct sha256 c;
	size_t i, n;

	hex_of(p, RAND_LEN, once);
	ck_assert_str_eq(once, RAND_SHA);
	sha256_init(&c);
	for (i = 0; i < RAND_LEN; i++)
		sha256_update(&c, p + i, 1);
	sha256_final(&c, d);
	sha256_hex(d, bytewise);
	ck_assert_str_eq(bytewise, RAND_SHA);
	sha256_init(&c);
	for (i = 0; i < RAND_LEN; i += n) {
		n = xorshift(&s) % 301;
		if (xorshift(&s) % 10 == 0)
			n *= 17; /* several whole blocks at once */
		if (n > RAND_LEN - i)
			n = RAND_LEN - i;
		sha256_update(&c, p + i, n);
	}
	sha256_final(&c, d);
	sha256_hex(d, pieces);
	ck_assert_str_eq(pieces, RAND_SHA);
	free(p);
}
END_TEST

START_TEST(reinit_after_final)
{
	unsigned char d1[SHA256_DIGEST], d2[SHA256_DIGEST];
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, "abc", 3);
	sha256_final(&c, d1);
	sha256_init(&c);
	sha256_update(&c, "abc", 3);
	sha256_final(&c, d2);
	ck_assert_mem_eq(d1, d2, SHA256_DIGEST);
}
END_TEST

static int
have_shani(void)
{
	sha256_force_portable(0);
	return strcmp(sha256_impl(), "sha-ni") == 0;
}

/* A test of one path must not quietly run on the other. */
static void
use_portable(void)
{
	sha256_force_portable(1);
	ck_assert_str_eq(sha256_impl(), "portable");
}

static void
use_shani(void)
{
	sha256_force_portable(0);
	ck_assert_str_eq(sha256_impl(), "sha-ni");
}

static void
use_default(void)
{
	sha256_force_portable(0);
}

START_TEST(which_paths)
{
	if (!have_shani()) {
		printf("sha256: this CPU has no SHA extensions; "
		    "only the portable path was tested\n");
		fflush(stdout);
	}
	sha256_force_portable(1);
	ck_assert_str_eq(sha256_impl(), "portable");
	sha256_force_portable(0);
}
END_TEST

#define AGREE_LEN (1024 * 1024)

/* p[0..AGREE_LEN) in pieces of random sizes drawn from *s. */
static void
hex_in_pieces(const unsigned char *p, uint64_t *s, char out[SHA256_HEX])
{
	unsigned char d[SHA256_DIGEST];
	struct sha256 c;
	size_t i, n;

	sha256_init(&c);
	for (i = 0; i < AGREE_LEN; i += n) {
		if (xorshift(s) % 8 == 0)
			n = xorshift(s) % 100000; /* hundreds of blocks */
		else
			n = xorshift(s) % 200;
		if (n > AGREE_LEN - i)
			n = AGREE_LEN - i;
		sha256_update(&c, p + i, n);
	}
	sha256_final(&c, d);
	sha256_hex(d, out);
}

START_TEST(paths_agree)
{
	char once[SHA256_HEX], portable[SHA256_HEX], shani[SHA256_HEX];
	uint64_t s = (uint64_t)_i * 104729 + 17;
	unsigned char *p = malloc(AGREE_LEN);
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < AGREE_LEN; i++)
		p[i] = (unsigned char)xorshift(&s);
	sha256_force_portable(1);
	hex_of(p, AGREE_LEN, once);
	hex_in_pieces(p, &s, portable);
	sha256_force_portable(0);
	hex_in_pieces(p, &s, shani);
	ck_assert_str_eq(portable, once);
	ck_assert_str_eq(shani, once);
	free(p);
}
END_TEST

/* The tests of the FIPS examples and of cutting, on one path. */
static TCase *
path_tcase(const char *name, void (*setup)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, use_default);
	tcase_add_test(tc, nist_vectors);
	tcase_add_test(tc, million_a);
	tcase_add_test(tc, padding_edges);
	tcase_add_loop_test(tc, pieces_match_one_shot, 0, 4);
	tcase_add_test(tc, reinit_after_final);
	return tc;
}

Suite *
sha256_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("both");

	suite_add_tcase(s, path_tcase("portable", use_portable));
	if (have_shani())
		suite_add_tcase(s, path_tcase("sha-ni", use_shani));
	tcase_add_test(tc, which_paths);
	tcase_add_loop_test(tc, paths_agree, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
