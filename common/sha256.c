/*
 * sha256.c - see sha256.h.  Names follow FIPS 180-4: Ch, Maj, the big and
 * small sigmas, the schedule W, the working variables a..h.
 *
 * Two compression functions take the same input, the hash value and a run
 * of whole blocks, and leave the same result:
 *
 *   compress_portable  the text of 6.2.2 in plain C, one block at a time.
 *   compress_shani     on x86-64 with the SHA extensions: SHA256RNDS2 does
 *                      two rounds, SHA256MSG1 and SHA256MSG2 between them
 *                      extend the schedule four words at a time, so a
 *                      block is 32 + 24 instructions of the kind instead of
 *                      a few thousand scalar ones.
 *
 * compress() picks one per call: SHA-NI when CPUID said so at start-up (a
 * constructor asks once, so the threads that hash never race on the
 * answer) and the tests have not asked for the portable path.  Only
 * compress_shani is compiled for the SHA extensions (a target attribute),
 * so the rest of the program runs on any x86-64 and the CPU check itself
 * is generic code.  update() hands over every whole block of a piece in
 * one call: the vector path then keeps the state in registers from block
 * to block instead of reshuffling it into h[] and back each time.
 */
#include "sha256.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (4.2.2). */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* H(0): the fractional parts of the square roots of the first 8 primes
 * (5.3.3). */
static const uint32_t H0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint32_t
rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

#define CH(x, y, z)  (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x) (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define BSIG1(x) (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define SSIG0(x) (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))

static uint32_t
load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One 512-bit block into the hash value (6.2.2, steps 1-4). */
static void
compress_block(uint32_t h[8], const unsigned char *m)
{
	uint32_t w[64], v[8], t1, t2;
	int t;

	for (t = 0; t < 16; t++)
		w[t] = load_be32(m + 4 * t);
	for (; t < 64; t++)
		w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) +
		    w[t - 16];
	memcpy(v, h, sizeof(v));
	for (t = 0; t < 64; t++) {
		/* v[0..7] are a..h */
		t1 = v[7] + BSIG1(v[4]) + CH(v[4], v[5], v[6]) + K[t] + w[t];
		t2 = BSIG0(v[0]) + MAJ(v[0], v[1], v[2]);
		/* h = g, ..., e = d + T1, ..., a = T1 + T2, written out: as
		 * a memmove() it was a libc call every round, which kept
		 * v[] in memory and halved the speed */
		v[7] = v[6];
		v[6] = v[5];
		v[5] = v[4];
		v[4] = v[3] + t1;
		v[3] = v[2];
		v[2] = v[1];
		v[1] = v[0];
		v[0] = t1 + t2;
	}
	for (t = 0; t < 8; t++)
		h[t] += v[t];
}

/* n 512-bit blocks into the hash value (6.2.2, steps 1-4, each). */
static void
compress_portable(uint32_t h[8], const unsigned char *m, size_t n)
{
	for (; n > 0; m += 64, n--)
		compress_block(h, m);
}

#ifdef HAVE_SHANI
/*
 * The SHA-NI path.  The instructions keep the eight working variables in
 * two vectors, grouped as a round uses them rather than as a..h:
 * ABEF = {a, b, e, f} and CDGH = {c, d, g, h}, a and c in the top lane.
 * SHA256RNDS2 takes CDGH, ABEF and W[t] + K[t], W[t+1] + K[t+1] in the
 * low two lanes of its third operand, and returns the new ABEF; the old
 * ABEF is then the new CDGH (two rounds shift a, b into c, d and e, f
 * into g, h), so the two vectors simply swap roles every call.
 */
#define SHANI __attribute__((target("sha,sse4.1,ssse3")))

/* Rounds t..t+3, w holding W[t..t+3]. */
static inline SHANI void
rounds4(__m128i *abef, __m128i *cdgh, __m128i w, int t)
{
	__m128i wk;

	wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)(K + t)));
	*cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
	/* the upper two sums down to where the instruction reads them */
	wk = _mm_shuffle_epi32(wk, 0x0e);
	*abef = _mm_sha256rnds2_epu32(*abef, *cdgh, wk);
}

/*
 * W[t..t+3] (6.2.2 step 1) from w0 = W[t-16..t-13], w1 = W[t-12..t-9],
 * w2 = W[t-8..t-5], w3 = W[t-4..t-1].  SHA256MSG1 gives W[t-16+i] +
 * SSIG0(W[t-15+i]); W[t-7+i] is added by hand; SHA256MSG2 adds
 * SSIG1(W[t-2+i]), computing the last two lanes from the first two, as
 * W[t+2] needs W[t].
 */
static inline SHANI __m128i
schedule4(__m128i w0, __m128i w1, __m128i w2, __m128i w3)
{
	__m128i x;

	x = _mm_sha256msg1_epu32(w0, w1);
	x = _mm_add_epi32(x, _mm_alignr_epi8(w3, w2, 4));
	return _mm_sha256msg2_epu32(x, w3);
}

static SHANI void
compress_shani(uint32_t h[8], const unsigned char *m, size_t n)
{
	/* pshufb pattern reversing the bytes of each 32-bit word: the
	 * message words are big-endian (3.1) */
	const __m128i be = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11,
	    4, 5, 6, 7, 0, 1, 2, 3);
	__m128i abef, cdgh, abef0, cdgh0, w0, w1, w2, w3, x, y;
	int t;

	/* h[] as {a,b,c,d} {e,f,g,h} (lane 0 first) into ABEF and CDGH,
	 * i.e. {f,e,b,a} and {h,g,d,c}, by way of {b,a,d,c} {h,g,f,e} */
	x = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0xb1);
	y = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h + 4)), 0x1b);
	abef = _mm_alignr_epi8(x, y, 8);
	cdgh = _mm_blend_epi16(y, x, 0xf0);

	for (; n > 0; m += 64, n--) {
		abef0 = abef;
		cdgh0 = cdgh;
		/* loadu: the blocks come straight from the caller's buffer,
		 * at any alignment */
		w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)m), be);
		w1 = _mm_shuffle_epi8(
		    _mm_loadu_si128((const __m128i *)(m + 16)), be);
		w2 = _mm_shuffle_epi8(
		    _mm_loadu_si128((const __m128i *)(m + 32)), be);
		w3 = _mm_shuffle_epi8(
		    _mm_loadu_si128((const __m128i *)(m + 48)), be);
		rounds4(&abef, &cdgh, w0, 0);
		rounds4(&abef, &cdgh, w1, 4);
		rounds4(&abef, &cdgh, w2, 8);
		rounds4(&abef, &cdgh, w3, 12);
		/* the schedule in place: each new quarter replaces the one
		 * sixteen words back, which nothing needs any more */
		for (t = 16; t < 64; t += 16) {
			w0 = schedule4(w0, w1, w2, w3);
			rounds4(&abef, &cdgh, w0, t);
			w1 = schedule4(w1, w2, w3, w0);
			rounds4(&abef, &cdgh, w1, t + 4);
			w2 = schedule4(w2, w3, w0, w1);
			rounds4(&abef, &cdgh, w2, t + 8);
			w3 = schedule4(w3, w0, w1, w2);
			rounds4(&abef, &cdgh, w3, t + 12);
		}
		/* step 4, lane by lane: the order of the lanes is the same
		 * on both sides */
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}

	/* and back: {a,b,e,f} {g,h,c,d}, then {a,b,c,d} {e,f,g,h} */
	x = _mm_shuffle_epi32(abef, 0x1b);
	y = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)h, _mm_blend_epi16(x, y, 0xf0));
	_mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(y, x, 8));
}

static int have_shani;

/*
 * Asked once, before main() and so before any thread that hashes.  CPUID
 * itself rather than __builtin_cpu_supports("sha"), which clang accepts
 * only since version 19.  compress_shani needs SSSE3 and SSE4.1 besides;
 * every CPU with SHA has them, but it costs nothing to ask.  No XGETBV:
 * these are 128-bit SSE instructions, whose state every x86-64 kernel
 * saves.
 */
__attribute__((constructor)) static void
detect_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) ||
	    (c & (bit_SSSE3 | bit_SSE4_1)) != (bit_SSSE3 | bit_SSE4_1))
		return;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return;
	have_shani = (b & bit_SHA) != 0;
}
#endif /* HAVE_SHANI */

static int portable_forced;

void
sha256_force_portable(int on)
{
	portable_forced = on;
}

const char *
sha256_impl(void)
{
#ifdef HAVE_SHANI
	if (have_shani && !portable_forced)
		return "sha-ni";
#endif
	return "portable";
}

/* n whole blocks at m into h, by the path chosen. */
static void
compress(uint32_t h[8], const unsigned char *m, size_t n)
{
#ifdef HAVE_SHANI
	if (have_shani && !portable_forced) {
		compress_shani(h, m, n);
		return;
	}
#endif
	compress_portable(h, m, n);
}

void
sha256_init(struct sha256 *c)
{
	memcpy(c->h, H0, sizeof(c->h));
	c->bytes = 0;
	c->fill = 0;
}

void
sha256_update(struct sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t take;

	if (n == 0)
		return; /* data may then be NULL, which memcpy must not see */
	c->bytes += n;
	if (c->fill) {
		take = 64 - c->fill < n ? 64 - c->fill : n;
		memcpy(c->block + c->fill, p, take);
		c->fill += take;
		p += take;
		n -= take;
		if (c->fill < 64)
			return;
		compress(c->h, c->block, 1);
		c->fill = 0;
	}
	/* Whole blocks straight from the caller's buffer, all in one call;
	 * only a partial block is ever copied. */
	if (n >= 64) {
		compress(c->h, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	memcpy(c->block, p, n);
	c->fill = n;
}

void
sha256_final(struct sha256 *c, unsigned char out[SHA256_DIGEST])
{
	uint64_t bits = c->bytes * 8;
	int i;

	/* 5.1.1: a 1 bit, then zeros until 8 bytes short of a block. */
	c->block[c->fill++] = 0x80;
	if (c->fill > 56) {
		memset(c->block + c->fill, 0, 64 - c->fill);
		compress(c->h, c->block, 1);
		c->fill = 0;
	}
	memset(c->block + c->fill, 0, 56 - c->fill);
	for (i = 0; i < 8; i++)
		c->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	compress(c->h, c->block, 1);
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, c->h[i]);
}

void
sha256_hex(const unsigned char digest[SHA256_DIGEST], char out[SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < SHA256_DIGEST; i++) {
		out[2 * i] = digits[digest[i] >> 4];
		out[2 * i + 1] = digits[digest[i] & 15];
	}
	out[2 * SHA256_DIGEST] = '\0';
}
