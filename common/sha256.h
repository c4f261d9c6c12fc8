/*
 * sha256.h - SHA-256 (FIPS 180-4, section 6.2), for --manifest.
 *
 * The message is taken in pieces of any size: whole 64-byte blocks are
 * compressed as they come, a partial one waits in the context.  final()
 * pads (a 1 bit, zeros, the message length in bits as a big-endian 64-bit
 * number, to a multiple of 512 bits) and yields the 32-byte digest; the
 * result does not depend on how the message was cut.  No allocation, no
 * failure: a context is plain data, on the stack.
 *
 * On x86-64 CPUs with the SHA extensions the blocks are compressed with
 * those instructions, chosen at start-up; elsewhere, and when a test asks,
 * by portable C.  Both give the same digests.
 */
#ifndef CSVPACK_SHA256_H
#define CSVPACK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST 32
#define SHA256_HEX (2 * SHA256_DIGEST + 1) /* 64 lowercase digits, NUL */

struct sha256 {
	uint32_t h[8];            /* the hash value H(i) */
	uint64_t bytes;           /* message length so far */
	unsigned char block[64];  /* a partial block */
	size_t fill;              /* bytes in it, 0..63 */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
/* The digest; c must be initialised again before reuse. */
void sha256_final(struct sha256 *c, unsigned char out[SHA256_DIGEST]);
/* digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const unsigned char digest[SHA256_DIGEST],
    char out[SHA256_HEX]);

/*
 * For the unit tests, so both paths can be checked on one machine: on
 * != 0 makes every context use the portable C from then on, 0 lets the
 * SHA extensions back in where the CPU has them.  Not for use while other
 * threads hash.  sha256_impl() names the path now in use, "sha-ni" or
 * "portable".
 */
void sha256_force_portable(int on);
const char *sha256_impl(void);

#endif
