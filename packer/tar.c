/*
 * tar.c - see tar.h.  Field offsets are those of POSIX.1-2001 ustar.
 */
#include "tar.h"

#include <stdio.h>
#include <string.h>

/* Writes v as width-1 octal digits and a NUL; returns -1 if too big. */
static int
octal(unsigned char *field, size_t width, uint64_t v)
{
	size_t i = width - 1;

	field[i] = '\0';
	while (i-- > 0) {
		field[i] = (unsigned char)('0' + (v & 7));
		v >>= 3;
	}
	return v ? -1 : 0;
}

/* The base-256 form: a leading 0x80 byte, then big-endian bytes. */
static void
base256(unsigned char *field, size_t width, uint64_t v)
{
	size_t i = width;

	while (i-- > 1) {
		field[i] = (unsigned char)(v & 0xFF);
		v >>= 8;
	}
	field[0] = 0x80;
}

int
tar_write_header(unsigned char b[TAR_BLOCK], const char *name, uint64_t size,
    int64_t mtime)
{
	size_t len = strlen(name);
	unsigned sum = 0;
	size_t i;

	if (len == 0 || len > 100)
		return -1;
	memset(b, 0, TAR_BLOCK);
	memcpy(b, name, len);                  /* name     0, 100 */
	octal(b + 100, 8, 0644);               /* mode   100, 8 */
	octal(b + 108, 8, 0);                  /* uid    108, 8 */
	octal(b + 116, 8, 0);                  /* gid    116, 8 */
	if (octal(b + 124, 12, size) < 0)      /* size   124, 12 */
		base256(b + 124, 12, size);
	if (octal(b + 136, 12, mtime < 0 ? 0 : (uint64_t)mtime) < 0)
		return -1;                     /* mtime  136, 12 */
	memset(b + 148, ' ', 8);               /* chksum 148, 8 */
	b[156] = '0';                          /* typeflag: regular file */
	memcpy(b + 257, "ustar", 6);           /* magic  257, 6 */
	memcpy(b + 263, "00", 2);              /* version 263, 2 */
	/* uname, gname, devmajor, devminor, prefix: empty. */
	for (i = 0; i < TAR_BLOCK; i++)
		sum += b[i];
	octal(b + 148, 7, sum);                /* six digits, NUL, space */
	b[155] = ' ';
	return 0;
}

unsigned
tar_padding(uint64_t size)
{
	return (unsigned)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
}
